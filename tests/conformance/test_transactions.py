"""Runs every ethereum/tests TransactionTests file against `pyeth.transactions`.

Each file holds one test: `txbytes` and a result per fork. We check the Cancun result; the 61
tests filled only up to Shanghai or London (ttWrongRLP, two in ttSignature) hold bytes that are
invalid in every fork, so they are checked against the latest fork they list, which always
expects an exception. A valid transaction must decode, pass `validate_static` for chain id 1
and give the expected sender, hash and intrinsic gas; an invalid one must raise DecodingError
or InvalidTransaction, and the class is checked where the fixture's exception name implies it.
"""

import json

import pytest

from pyeth.errors import DecodingError, InvalidTransaction
from pyeth.transactions import (
    decode_transaction,
    encode_transaction,
    recover_sender,
    transaction_intrinsic_gas,
    validate_static,
)
from tests.helpers.fixtures import ETHEREUM_TESTS

TESTS_DIR = ETHEREUM_TESTS
TX_DIR = TESTS_DIR / "TransactionTests"
FORK = "Cancun"
CHAIN_ID = 1  # the chain id the fixtures were filled for

# Fork names in order, to find the latest fork a test lists when it has no Cancun result.
FORK_ORDER = [
    "Frontier",
    "Homestead",
    "EIP150",
    "EIP158",
    "Byzantium",
    "Constantinople",
    "ConstantinopleFix",
    "Istanbul",
    "Berlin",
    "London",
    "Paris",
    "Shanghai",
    "Cancun",
]

# Fixture exceptions that are about the bytes (and so must be DecodingError) and those that are
# about a well-formed transaction (InvalidTransaction). Others (overflows, bad v/r/s) may be
# either: a 33-byte integer is a decoding error, a 9-byte gas limit a validity one.
DECODING_EXCEPTIONS = ("RLP_", "TYPE_NOT_SUPPORTED", "ADDRESS_TOO_")
VALIDITY_EXCEPTIONS = {
    "INTRINSIC_GAS_TOO_LOW",
    "INITCODE_SIZE_EXCEEDED",
    "INVALID_CHAINID",
    "NONCE_TOO_BIG",
    "PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS_2",
    "GASLIMIT_PRICE_PRODUCT_OVERFLOW",
    "EC_RECOVERY_FAIL",
}


def _cases() -> list:
    if not TX_DIR.is_dir():
        reason = f"TransactionTests fixtures not found at {TX_DIR} (set PYETH_TESTS_DIR)"
        return [pytest.param(None, None, None, marks=pytest.mark.skip(reason=reason), id="missing")]
    params = []
    for path in sorted(TX_DIR.glob("*/*.json")):
        for name, test in json.loads(path.read_text()).items():
            results = test["result"]
            fork = FORK if FORK in results else max(results, key=FORK_ORDER.index)
            case_id = f"{path.parent.name}/{path.stem}:{name}:{fork}"
            params.append(pytest.param(test["txbytes"], fork, results[fork], id=case_id))
    return params


@pytest.mark.conformance
@pytest.mark.parametrize(("txbytes", "fork", "expected"), _cases())
def test_transaction(txbytes: str, fork: str, expected: dict) -> None:
    raw = bytes.fromhex(txbytes.removeprefix("0x"))
    if "exception" in expected:
        _check_rejected(raw, fork, expected)
        return
    assert fork == FORK, "only Cancun results can be valid"
    tx = decode_transaction(raw)
    validate_static(tx, chain_id=CHAIN_ID)
    assert encode_transaction(tx) == raw
    assert "0x" + recover_sender(tx).hex() == expected["sender"]
    assert "0x" + tx.hash.hex() == expected["hash"]
    assert transaction_intrinsic_gas(tx) == int(expected["intrinsicGas"], 16)


def _check_rejected(raw: bytes, fork: str, expected: dict) -> None:
    name = expected["exception"].removeprefix("TransactionException.")
    if name.startswith(DECODING_EXCEPTIONS):
        error: type[Exception] | tuple[type[Exception], ...] = DecodingError
    elif name in VALIDITY_EXCEPTIONS:
        error = InvalidTransaction
    else:
        error = (DecodingError, InvalidTransaction)
    with pytest.raises(error) as info:
        tx = decode_transaction(raw)
        if fork == FORK and int(expected["intrinsicGas"], 16):
            # The filler priced the transaction; where it decodes here too, so must we.
            assert transaction_intrinsic_gas(tx) == int(expected["intrinsicGas"], 16)
        validate_static(tx, chain_id=CHAIN_ID)
        recover_sender(tx)
    assert str(info.value), "the error must say what was wrong"

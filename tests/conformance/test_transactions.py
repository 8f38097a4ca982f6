"""Runs every ethereum/tests TransactionTests file against `pyeth.transactions`, for every fork
pyeth runs (Berlin to Cancun) that the file has a result for.

Each file holds one test: `txbytes` and a result per fork. A valid transaction must decode,
pass `validate_static` for chain id 1 under that fork's rules and give the expected sender,
hash and intrinsic gas (whose initcode charge is Shanghai's EIP-3860); an invalid one must
raise DecodingError or InvalidTransaction, and the class is checked where the fixture's
exception name implies it. A type no fork knows cannot be decoded (DecodingError); one a later
fork brought must be outside the fork's `tx_types`.
"""

import json

import pytest

from evm.forks import FORKS, rules_for
from pyeth.errors import DecodingError, InvalidTransaction
from pyeth.transactions import (
    TRANSACTION_TYPES,
    decode_transaction,
    encode_transaction,
    recover_sender,
    transaction_intrinsic_gas,
    validate_static,
)
from tests.helpers.fixtures import ETHEREUM_TESTS

TESTS_DIR = ETHEREUM_TESTS
TX_DIR = TESTS_DIR / "TransactionTests"
CHAIN_ID = 1  # the chain id the fixtures were filled for

# Fixture exceptions that are about the bytes (and so must be DecodingError) and those that are
# about a well-formed transaction (InvalidTransaction). Others (overflows, bad v/r/s) may be
# either: a 33-byte integer is a decoding error, a 9-byte gas limit a validity one.
DECODING_EXCEPTIONS = ("RLP_", "ADDRESS_TOO_")
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
            for fork, expected in test["result"].items():
                if fork in FORKS:
                    case_id = f"{path.parent.name}/{path.stem}:{name}:{fork}"
                    params.append(pytest.param(test["txbytes"], fork, expected, id=case_id))
    return params


@pytest.mark.conformance
@pytest.mark.parametrize(("txbytes", "fork", "expected"), _cases())
def test_transaction(txbytes: str, fork: str, expected: dict) -> None:
    raw = bytes.fromhex(txbytes.removeprefix("0x"))
    if "exception" in expected:
        _check_rejected(raw, fork, expected)
        return
    rules = rules_for(fork)
    tx = decode_transaction(raw)
    validate_static(tx, chain_id=CHAIN_ID, rules=rules)
    assert encode_transaction(tx) == raw
    assert "0x" + recover_sender(tx).hex() == expected["sender"]
    assert "0x" + tx.hash.hex() == expected["hash"]
    assert transaction_intrinsic_gas(tx, rules.initcode_word_gas) == int(
        expected["intrinsicGas"], 16
    )


def _check_rejected(raw: bytes, fork: str, expected: dict) -> None:
    name = expected["exception"].removeprefix("TransactionException.")
    rules = rules_for(fork)
    error: type[Exception] | tuple[type[Exception], ...]
    if name.startswith(DECODING_EXCEPTIONS):
        error = DecodingError
    elif name == "TYPE_NOT_SUPPORTED" and raw[:1] and raw[0] in TRANSACTION_TYPES:
        # A type a later fork brought: the fork's rule refuses it, unless the bytes cannot
        # even be decoded as that type.
        assert raw[0] not in rules.tx_types
        error = (DecodingError, InvalidTransaction)
    elif name == "TYPE_NOT_SUPPORTED":
        error = DecodingError
    elif name in VALIDITY_EXCEPTIONS:
        error = InvalidTransaction
    else:
        error = (DecodingError, InvalidTransaction)
    with pytest.raises(error) as info:
        tx = decode_transaction(raw)
        if int(expected["intrinsicGas"], 16):
            # The filler priced the transaction; where it decodes here too, so must we.
            gas = transaction_intrinsic_gas(tx, rules.initcode_word_gas)
            assert gas == int(expected["intrinsicGas"], 16)
        validate_static(tx, chain_id=CHAIN_ID, rules=rules)
        recover_sender(tx)
    assert str(info.value), "the error must say what was wrong"

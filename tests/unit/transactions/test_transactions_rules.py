"""intrinsic_gas, validate_static, signature checks and the signing hash, as tables."""

import dataclasses

import pytest

from pyeth.errors import InvalidTransaction
from pyeth.keys import SECP256K1_HALF_N, SECP256K1_N
from pyeth.transactions import (
    AccessListTransaction,
    BlobTransaction,
    FeeMarketTransaction,
    LegacyTransaction,
    intrinsic_gas,
    recover_sender,
    sign_transaction,
    signing_hash,
    transaction_intrinsic_gas,
    validate_static,
)

KEY = bytes.fromhex("4646464646464646464646464646464646464646464646464646464646464646")
TO = bytes.fromhex("3535353535353535353535353535353535353535")
BLOB_HASH = b"\x01" + b"\x00" * 31


@pytest.mark.parametrize(
    ("data", "is_create", "access_list", "gas"),
    [
        (b"", False, (), 21000),
        (b"\x00", False, (), 21004),
        (b"\x01", False, (), 21016),
        (b"\x00\x01\x00", False, (), 21024),
        (b"", True, (), 53000),
        (b"\x01" * 32, True, (), 53000 + 32 * 16 + 2),
        (b"\x01" * 33, True, (), 53000 + 33 * 16 + 2 * 2),
        (b"\x00" * 49152, True, (), 53000 + 49152 * 4 + 1536 * 2),
        (b"", False, ((TO, ()),), 21000 + 2400),
        (b"", False, ((TO, (1, 2)), (TO, (3,))), 21000 + 2 * 2400 + 3 * 1900),
    ],
)
def test_intrinsic_gas(data, is_create, access_list, gas):
    assert intrinsic_gas(data, is_create, access_list) == gas


def test_transaction_intrinsic_gas_uses_target_and_access_list():
    tx = AccessListTransaction(1, 0, 1, 100000, None, 0, b"\x01", ((TO, (5,)),))
    assert transaction_intrinsic_gas(tx) == 21000 + 32000 + 2 + 16 + 2400 + 1900


def test_eip155_example_signing():
    """The example of EIP-155: signing hash, v, r and s."""
    unsigned = LegacyTransaction(9, 20 * 10**9, 21000, TO, 10**18)
    signed = sign_transaction(unsigned, KEY, 1)
    assert signing_hash(signed).hex() == (
        "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53"
    )
    assert signed.v == 37
    assert signed.r == 18515461264373351373200002665853028612451056578545711640558177340181847433846
    assert signed.s == 46948507304638947509940763649030358759909902576025900602547168820602576006531
    assert recover_sender(signed).hex() == "9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f"


def test_typed_signing_requires_a_chain_id():
    with pytest.raises(ValueError, match="chain id"):
        sign_transaction(FeeMarketTransaction(1, 0, 1, 1, 21000, TO), KEY, None)


VALID = [
    sign_transaction(LegacyTransaction(0, 10, 21000, TO, 1), KEY, None),
    sign_transaction(LegacyTransaction(0, 10, 21000, TO, 1), KEY, 1),
    sign_transaction(AccessListTransaction(1, 0, 10, 60000, None, 0, b"\x60"), KEY, 1),
    sign_transaction(FeeMarketTransaction(1, 0, 1, 10, 21000, TO), KEY, 1),
    sign_transaction(
        BlobTransaction(1, 0, 1, 10, 21000, TO, blob_versioned_hashes=(BLOB_HASH,)), KEY, 1
    ),
]


@pytest.mark.parametrize("tx", VALID, ids=lambda tx: type(tx).__name__)
def test_valid_transactions_pass(tx):
    validate_static(tx, chain_id=1)
    assert len(recover_sender(tx)) == 20


def _resigned(tx, **changes):
    return sign_transaction(dataclasses.replace(tx, **changes), KEY, 1)


LEGACY, TYPE_2, TYPE_3 = VALID[1], VALID[3], VALID[4]

INVALID = [
    (_resigned(TYPE_2, nonce=2**64 - 1), "nonce"),
    (_resigned(TYPE_2, gas_limit=2**64), "64 bits"),
    (dataclasses.replace(TYPE_2, value=2**256), "value .* 256 bits"),
    (dataclasses.replace(TYPE_2, max_fee_per_gas=2**256), "max_fee_per_gas .* 256 bits"),
    (_resigned(LEGACY, gas_price=2**250, gas_limit=2**6), "fee cap"),
    (_resigned(TYPE_2, max_priority_fee_per_gas=11), "priority fee 11 is above the fee cap 10"),
    (_resigned(TYPE_2, gas_limit=20999), "below the intrinsic gas 21000"),
    (_resigned(TYPE_2, to=None, data=b"\x00" * 49153, gas_limit=10**6), "initcode of 49153"),
    (sign_transaction(TYPE_2, KEY, 5), "chain id 5"),
    (sign_transaction(LEGACY, KEY, 5), "chain 5, not chain 1"),
    (dataclasses.replace(LEGACY, v=29), "invalid v 29"),
    (dataclasses.replace(LEGACY, v=0), "invalid v 0"),
    (dataclasses.replace(TYPE_2, y_parity=2), "y-parity"),
    (dataclasses.replace(TYPE_2, r=0), "signature r"),
    (dataclasses.replace(TYPE_2, r=SECP256K1_N), "signature r"),
    (dataclasses.replace(TYPE_2, s=0), "signature s"),
    (dataclasses.replace(TYPE_2, s=SECP256K1_HALF_N + 1), "EIP-2"),
    (_resigned(TYPE_3, blob_versioned_hashes=()), "no blob versioned hashes"),
    (_resigned(TYPE_3, blob_versioned_hashes=(BLOB_HASH,) * 7), "7 blobs"),
    (_resigned(TYPE_3, blob_versioned_hashes=(b"\x02" + BLOB_HASH[1:],)), "0x01"),
    (dataclasses.replace(TYPE_3, to=None), "cannot create"),
]


@pytest.mark.parametrize(("tx", "problem"), [pytest.param(tx, p, id=p) for tx, p in INVALID])
def test_invalid_transactions_are_rejected(tx, problem):
    with pytest.raises(InvalidTransaction, match=problem):
        validate_static(tx, chain_id=1)


def test_high_s_is_refused_by_recovery_too():
    tx = VALID[3]
    flipped = dataclasses.replace(tx, y_parity=1 - tx.y_parity, s=SECP256K1_N - tx.s)
    with pytest.raises(InvalidTransaction, match="EIP-2"):
        recover_sender(flipped)


def test_sender_is_cached_and_replace_starts_afresh():
    tx = VALID[3]
    sender = recover_sender(tx)
    assert recover_sender(tx) is sender
    changed = dataclasses.replace(tx, nonce=1)
    assert recover_sender(changed) != sender  # the signature no longer matches the fields
    assert changed == dataclasses.replace(tx, nonce=1)  # the cache takes no part in equality

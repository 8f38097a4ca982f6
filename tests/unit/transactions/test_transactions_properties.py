"""Hypothesis properties of pyeth.transactions: every type round-trips through its encoding
and through signing and recovery, and no input bytes make decoding raise anything but a
PyethError."""

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from pyeth.errors import PyethError
from pyeth.keys import SECP256K1_N, private_key_to_address
from pyeth.transactions import (
    AccessListTransaction,
    BlobTransaction,
    FeeMarketTransaction,
    LegacyTransaction,
    decode_transaction,
    encode_transaction,
    recover_sender,
    sign_transaction,
    signing_hash,
    validate_static,
)

uint256 = st.integers(0, 2**256 - 1)
uint64 = st.integers(0, 2**64 - 2)
addresses = st.binary(min_size=20, max_size=20)
targets = st.none() | addresses
data = st.binary(max_size=64)
access_lists = st.lists(
    st.tuples(addresses, st.lists(uint256, max_size=3).map(tuple)), max_size=3
).map(tuple)
blob_hashes = st.lists(
    st.binary(min_size=31, max_size=31).map(lambda b: b"\x01" + b), min_size=1, max_size=6
).map(tuple)
private_keys = st.integers(1, SECP256K1_N - 1).map(lambda k: k.to_bytes(32, "big"))
chain_ids = st.integers(1, 2**64)

unsigned_transactions = st.one_of(
    st.builds(LegacyTransaction, uint64, uint256, uint64, targets, uint256, data),
    st.builds(
        AccessListTransaction,
        chain_ids,
        uint64,
        uint256,
        uint64,
        targets,
        uint256,
        data,
        access_lists,
    ),
    st.builds(
        FeeMarketTransaction,
        chain_ids,
        uint64,
        uint256,
        uint256,
        uint64,
        targets,
        uint256,
        data,
        access_lists,
    ),
    st.builds(
        BlobTransaction,
        chain_ids,
        uint64,
        uint256,
        uint256,
        uint64,
        addresses,
        uint256,
        data,
        access_lists,
        uint256,
        blob_hashes,
    ),
)


@given(unsigned_transactions, st.integers(0, 1), st.integers(1, 2**256 - 1), uint256)
def test_decode_inverts_encode(tx, y_parity, r, s):
    if isinstance(tx, LegacyTransaction):
        tx = dataclasses.replace(tx, v=27 + y_parity, r=r, s=s)
    else:
        tx = dataclasses.replace(tx, y_parity=y_parity, r=r, s=s)
    raw = encode_transaction(tx)
    assert decode_transaction(raw) == tx
    assert decode_transaction(raw).hash == tx.hash


@settings(max_examples=60)
@given(unsigned_transactions, private_keys, chain_ids)
def test_sign_then_recover_gives_the_signer(tx, private_key, chain_id):
    signed = sign_transaction(tx, private_key, chain_id)
    decoded = decode_transaction(encode_transaction(signed))
    assert recover_sender(decoded) == private_key_to_address(private_key)
    assert decoded.chain_id == chain_id
    assert signing_hash(decoded) == signing_hash(signed)


@settings(max_examples=20)
@given(st.builds(LegacyTransaction, uint64, uint256, uint64, targets, uint256, data), private_keys)
def test_legacy_signed_without_chain_id_recovers(tx, private_key):
    signed = sign_transaction(tx, private_key, None)
    assert signed.v in (27, 28) and signed.chain_id is None
    assert recover_sender(signed) == private_key_to_address(private_key)


@settings(max_examples=30)
@given(private_keys)
def test_signed_transactions_pass_validation(private_key):
    unsigned = FeeMarketTransaction(1, 0, 1, 10, 21000, b"\x01" * 20)
    signed = sign_transaction(unsigned, private_key, 1)
    validate_static(signed, chain_id=1)


@given(st.binary(max_size=200))
def test_random_bytes_raise_only_pyeth_errors(raw):
    _decode_and_check(raw)


@given(st.sampled_from([0x01, 0x02, 0x03, 0x04]), st.binary(max_size=200))
def test_random_typed_payloads_raise_only_pyeth_errors(tx_type, payload):
    _decode_and_check(bytes([tx_type]) + payload)


@settings(max_examples=300)
@given(unsigned_transactions, private_keys, st.data())
def test_mutated_transactions_raise_only_pyeth_errors(tx, private_key, draw):
    raw = bytearray(encode_transaction(sign_transaction(tx, private_key, 1)))
    for _ in range(draw.draw(st.integers(1, 3))):
        action = draw.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        index = draw.draw(st.integers(0, len(raw) - 1)) if raw else 0
        if action == "flip" and raw:
            raw[index] = draw.draw(st.integers(0, 255))
        elif action == "insert":
            raw.insert(index, draw.draw(st.integers(0, 255)))
        elif action == "delete" and raw:
            del raw[index]
        else:
            del raw[index:]
    _decode_and_check(bytes(raw))


def _decode_and_check(raw: bytes) -> None:
    """Decode, validate and recover; any failure must be a PyethError with a message."""
    try:
        tx = decode_transaction(raw)
        validate_static(tx, chain_id=1)
        recover_sender(tx)
    except PyethError as exc:
        assert str(exc)
    else:
        assert encode_transaction(tx) == raw

"""pyeth.sedes: the strict RLP codec (properties and a differential check against the `rlp`
package) and the sedes of accounts, logs, receipts, withdrawals and block headers."""

import dataclasses
import hashlib
import re

import pytest
import rlp
from hypothesis import given
from hypothesis import strategies as st

from pyeth.errors import DecodingError
from pyeth.sedes import (
    ACCOUNT,
    ADDRESS,
    HASH32,
    HEADER,
    LOG,
    OPTIONAL_ADDRESS,
    UINT,
    UINT64,
    WITHDRAWAL,
    Account,
    BlockHeader,
    ListOf,
    Log,
    Receipt,
    UInt,
    Withdrawal,
    decode,
    decode_receipt,
    encode,
    encode_receipt,
)

EMPTY_TRIE_ROOT = bytes.fromhex("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
EMPTY_OMMERS_HASH = bytes.fromhex(
    "1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"
)

rlp_items = st.recursive(
    st.binary(max_size=80),
    lambda children: st.lists(children, max_size=8),
    max_leaves=40,
)


# CODEC


@given(rlp_items)
def test_decode_inverts_encode(item):
    assert decode(encode(item)) == item


@given(rlp_items)
def test_encode_agrees_with_the_rlp_package(item):
    assert encode(item) == rlp.encode(item)


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (b"", "80"),
        (b"\x00", "00"),
        (b"\x7f", "7f"),
        (b"\x80", "8180"),
        (b"a" * 55, "b7" + "61" * 55),
        (b"a" * 56, "b838" + "61" * 56),
        (b"a" * 256, "b90100" + "61" * 256),
        ([], "c0"),
        ((b"\x01", bytearray(b"\x02")), "c20102"),
        ([[], [[]]], "c3c0c1c0"),
        ([b"a" * 55], "f838b7" + "61" * 55),
    ],
)
def test_encode_lengths_at_the_boundaries(item, expected):
    assert encode(item).hex() == expected


@pytest.mark.parametrize("item", [1, "text", [b"", None]])
def test_encode_refuses_what_is_not_bytes_or_lists(item):
    with pytest.raises(ValueError, match="cannot RLP-encode"):
        encode(item)


@given(st.binary(max_size=64))
def test_decode_agrees_with_the_rlp_package(data):
    try:
        expected = rlp.decode(data, strict=True)
    except rlp.DecodingError:
        with pytest.raises(DecodingError):
            decode(data)
    else:
        assert decode(data) == expected
        assert encode(expected) == data  # whatever decodes is canonical


@given(rlp_items, st.data())
def test_mutated_encodings_decode_canonically_or_raise_decoding_error(item, data):
    encoded = bytearray(encode(item))
    index = data.draw(st.integers(0, len(encoded) - 1))
    encoded[index] = data.draw(st.integers(0, 255))
    try:
        decoded = decode(bytes(encoded))
    except DecodingError as exc:
        assert str(exc)
    else:
        assert encode(decoded) == bytes(encoded)


@pytest.mark.parametrize(
    ("hex_input", "problem"),
    [
        ("", "empty"),
        ("81", "needs 1 bytes"),
        ("8100", "single byte 0x00"),
        ("817f", "single byte 0x7f"),
        ("b800", "leading zero"),
        ("b83701", "long form for a length of 55"),
        ("b9", "truncated"),
        ("c2010203", "bytes after the item"),
        ("c2c20102", "needs 2 bytes, 1 left"),
        ("c5010203", "needs 5 bytes"),
        ("f9000100", "leading zero"),
        ("ff0f0000000000000211", "needs"),
    ],
)
def test_decode_rejects_malformed_input(hex_input, problem):
    with pytest.raises(DecodingError, match=problem):
        decode(bytes.fromhex(hex_input))


def test_decode_handles_any_nesting_depth():
    data = b"\x80"
    for _ in range(5000):  # deeper than the interpreter's recursion limit
        data = _list_prefix(len(data)) + data
    item = decode(data)
    for _ in range(5000):
        (item,) = item
    assert item == b""


def _list_prefix(length: int) -> bytes:
    if length < 56:
        return bytes([0xC0 + length])
    size = (length.bit_length() + 7) // 8
    return bytes([0xF7 + size]) + length.to_bytes(size, "big")


# PRIMITIVE SEDES


@pytest.mark.parametrize(
    ("sedes", "item", "problem"),
    [
        (UINT, b"\x00", "leading zero"),
        (UINT, b"\x00\x01", "leading zero"),
        (UINT, [], "got a list"),
        (UINT64, b"\x01" * 9, "exceeds 64 bits"),
        (UInt(32, fixed=True), b"\x01" * 31, "expected 32 bytes, got 31"),
        (HASH32, b"\x01" * 33, "expected 32 bytes, got 33"),
        (ADDRESS, [b""], "got a list"),
        (OPTIONAL_ADDRESS, b"\x01" * 19, "20 bytes or empty, got 19"),
        (ListOf(HASH32), b"", "expected a list"),
        (ListOf(HASH32), [b"\x00" * 32, b"\x00"], "item 1: expected 32 bytes"),
    ],
)
def test_sedes_reject_wrong_shapes(sedes, item, problem):
    with pytest.raises(DecodingError, match=problem):
        sedes.deserialize(item)


@pytest.mark.parametrize(
    ("sedes", "value", "item"),
    [
        (UINT, 0, b""),
        (UINT, 127, b"\x7f"),
        (UINT, 256, b"\x01\x00"),
        (UInt(32, fixed=True), 1, b"\x00" * 31 + b"\x01"),
        (OPTIONAL_ADDRESS, None, b""),
        (OPTIONAL_ADDRESS, b"\x11" * 20, b"\x11" * 20),
    ],
)
def test_sedes_round_trip(sedes, value, item):
    assert sedes.serialize(value) == item
    assert sedes.deserialize(item) == value


@pytest.mark.parametrize("value", [-1, True, 2**64, "1"])
def test_uint_refuses_to_encode_misfits(value):
    with pytest.raises(ValueError):
        UINT64.serialize(value)


# RECORDS


def test_account_round_trip_and_field_errors():
    account = Account(nonce=1, balance=10**18, storage_root=EMPTY_TRIE_ROOT, code_hash=b"\xc5" * 32)
    assert decode(encode(account, ACCOUNT), ACCOUNT) == account
    with pytest.raises(DecodingError, match="Account: balance: non-canonical"):
        decode(encode([b"\x01", b"\x00\x01", EMPTY_TRIE_ROOT, EMPTY_TRIE_ROOT]), ACCOUNT)
    with pytest.raises(DecodingError, match="Account: expected 4 fields, got 3"):
        decode(encode([b"\x01", b"\x01", EMPTY_TRIE_ROOT]), ACCOUNT)


def test_log_round_trip():
    log = Log(address=b"\x01" * 20, topics=(b"\x02" * 32, b"\x03" * 32), data=b"hello")
    assert decode(encode(log, LOG), LOG) == log


@pytest.mark.parametrize("status", [0, 1, b"\x07" * 32])
@pytest.mark.parametrize("tx_type", [0, 1, 2, 3])
def test_receipt_round_trip(status, tx_type):
    log = Log(address=b"\x01" * 20, topics=(), data=b"")
    receipt = Receipt(status, 21000, b"\x00" * 256, (log,), tx_type)
    encoded = encode_receipt(receipt)
    assert encoded[0] == tx_type if tx_type else encoded[0] >= 0xC0
    assert decode_receipt(encoded) == receipt


@pytest.mark.parametrize(
    ("encoded", "problem"),
    [
        (b"\x00" + encode([b"", b"", b"\x00" * 256, []]), "type 0"),
        (encode([b"\x02", b"", b"\x00" * 256, []]), "status"),
        (encode([b"\x00", b"", b"\x00" * 256, []]), "status"),
        (encode([b"\x01", b"", b"\x00" * 255, []]), "logs_bloom"),
    ],
)
def test_receipt_rejects_malformed(encoded, problem):
    with pytest.raises(DecodingError, match=problem):
        decode_receipt(encoded)


def test_withdrawal_round_trip():
    withdrawal = Withdrawal(index=7, validator_index=3, address=b"\xaa" * 20, amount=32 * 10**9)
    assert decode(encode(withdrawal, WITHDRAWAL), WITHDRAWAL) == withdrawal


MAINNET_GENESIS = BlockHeader(
    parent_hash=b"\x00" * 32,
    ommers_hash=EMPTY_OMMERS_HASH,
    coinbase=b"\x00" * 20,
    state_root=bytes.fromhex("d7f8974fb5ac78d9ac099b9ad5018bedc2ce0a72dad1827a1709da30580f0544"),
    transactions_root=EMPTY_TRIE_ROOT,
    receipts_root=EMPTY_TRIE_ROOT,
    logs_bloom=b"\x00" * 256,
    difficulty=2**34,
    number=0,
    gas_limit=5000,
    gas_used=0,
    timestamp=0,
    extra_data=bytes.fromhex("11bbe8db4e347b4e8c937c1c8370e4b5ed33adb3db69cbdb7a38e1e50b1b82fa"),
    prev_randao=b"\x00" * 32,
    nonce=bytes.fromhex("0000000000000042"),
)

# The genesis of ethereum/tests BlockchainTests/ValidBlocks/bcBlockGasLimitTest/
# SuicideTransaction (Cancun).
CANCUN_GENESIS = BlockHeader(
    parent_hash=b"\x00" * 32,
    ommers_hash=EMPTY_OMMERS_HASH,
    coinbase=bytes.fromhex("8888f1f195afa192cfee860698584c030f4c9db1"),
    state_root=bytes.fromhex("1c8f7d94849a8f982c544ea6187a1e768bfd039e19cd5546b35b73349eb63ee0"),
    transactions_root=EMPTY_TRIE_ROOT,
    receipts_root=EMPTY_TRIE_ROOT,
    logs_bloom=b"\x00" * 256,
    difficulty=0,
    number=0,
    gas_limit=0x01E848,
    gas_used=0,
    timestamp=0x54C98C81,
    extra_data=b"\x42",
    prev_randao=(0x20000).to_bytes(32, "big"),
    nonce=b"\x00" * 8,
    base_fee_per_gas=0x10,
    withdrawals_root=EMPTY_TRIE_ROOT,
    blob_gas_used=0,
    excess_blob_gas=0,
    parent_beacon_block_root=b"\x00" * 32,
)


@pytest.mark.parametrize(
    ("header", "block_hash"),
    [
        (MAINNET_GENESIS, "d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3"),
        (CANCUN_GENESIS, "e0c750ad130e89d5d61618f99f2f291d10e6776775645ab29004a587654e7efc"),
    ],
)
def test_header_hash_matches_known_blocks(header, block_hash):
    assert header.hash.hex() == block_hash
    assert decode(encode(header, HEADER), HEADER) == header


LONDON = dataclasses.replace(MAINNET_GENESIS, base_fee_per_gas=7)
SHANGHAI = dataclasses.replace(LONDON, withdrawals_root=EMPTY_TRIE_ROOT)
PRAGUE = dataclasses.replace(CANCUN_GENESIS, requests_hash=hashlib.sha256(b"").digest())


@pytest.mark.parametrize(
    ("header", "n_fields"),
    [(MAINNET_GENESIS, 15), (LONDON, 16), (SHANGHAI, 17), (CANCUN_GENESIS, 20), (PRAGUE, 21)],
)
def test_header_decodes_every_fork_form(header, n_fields):
    encoded = encode(header, HEADER)
    assert len(decode(encoded)) == n_fields
    assert decode(encoded, HEADER) == header


@pytest.mark.parametrize("n_fields", [14, 18, 19, 22])
def test_header_rejects_lengths_between_forks(n_fields):
    fields = decode(encode(PRAGUE, HEADER))
    fields = (fields + [b""])[:n_fields]
    with pytest.raises(DecodingError, match="BlockHeader: expected"):
        decode(encode(fields), HEADER)


def test_header_refuses_to_encode_a_later_fork_field_without_the_earlier():
    gap = dataclasses.replace(CANCUN_GENESIS, withdrawals_root=None)
    with pytest.raises(ValueError, match="after all earlier ones"):
        encode(gap, HEADER)
    partial = dataclasses.replace(CANCUN_GENESIS, excess_blob_gas=None)
    with pytest.raises(ValueError, match="after all earlier ones"):
        encode(partial, HEADER)


_uint = st.one_of(st.integers(0, 300), st.integers(0, 2**256 + 5), st.just(-1), st.just(True))
_maybe = st.one_of(st.none(), st.just(0))  # None, or a value for a later-fork field


@given(
    number=_uint,
    gas_used=_uint,
    extra_data=st.one_of(st.binary(max_size=40), st.just(bytearray(b"\x01"))),
    nonce=st.one_of(st.just(bytes(8)), st.binary(min_size=7, max_size=9)),
    base_fee=st.one_of(st.none(), _uint),
    withdrawals=_maybe,
    blob_gas=st.one_of(st.none(), st.integers(0, 2**64 + 1)),
    excess=_maybe,
    beacon=_maybe,
    requests=_maybe,
)
def test_header_rlp_fast_path_agrees_with_the_generic_encoder(
    number, gas_used, extra_data, nonce, base_fee, withdrawals, blob_gas, excess, beacon, requests
):
    """BlockHeader.rlp writes the RLP straight from the fields: the same bytes as
    `encode(h, HEADER)`, and the same error for a header that does not fit."""
    header = dataclasses.replace(
        MAINNET_GENESIS,
        number=number,
        gas_used=gas_used,
        extra_data=extra_data,
        nonce=nonce,
        base_fee_per_gas=base_fee,
        withdrawals_root=None if withdrawals is None else b"\x05" * 32,
        blob_gas_used=blob_gas,
        excess_blob_gas=None if excess is None else 3,
        parent_beacon_block_root=None if beacon is None else b"\x06" * 32,
        requests_hash=None if requests is None else b"\x07" * 32,
    )
    try:
        expected = encode(header, HEADER)
    except ValueError as exc:
        with pytest.raises(ValueError, match=re.escape(str(exc))):
            header.rlp  # noqa: B018
    else:
        assert header.rlp == expected

"""Block codec, body roots, receipts and the logs bloom."""

import dataclasses

import pytest
from chain_helpers import ADDRESSES, KEYS, make_genesis, transfer

from pyeth.chain import Block, Chain, decode_block, encode_block
from pyeth.chain.blocks import EMPTY_OMMERS_HASH, decode_body, encode_body, ommers_hash
from pyeth.chain.builder import build_block
from pyeth.chain.receipts import (
    EMPTY_BLOOM,
    bloom_bits,
    bloom_contains,
    combine_blooms,
    encode_receipt_fast,
    logs_bloom,
    make_receipt,
    receipts_root,
)
from pyeth.errors import DecodingError
from pyeth.hashing import keccak256
from pyeth.sedes import (
    HEADER,
    WITHDRAWAL,
    Log,
    Withdrawal,
    decode,
    decode_receipt,
    encode,
    encode_receipt,
)
from pyeth.transactions import LegacyTransaction, encode_transaction, sign_transaction
from pyeth.trie import EMPTY_TRIE_ROOT


@pytest.fixture(scope="module")
def block() -> Block:
    chain = Chain.open(None, make_genesis())
    legacy = sign_transaction(
        LegacyTransaction(nonce=0, gas_price=10**10, gas_limit=21000, to=ADDRESSES[2], value=1),
        KEYS[1],
        1337,
    )
    withdrawals = [Withdrawal(0, 1, ADDRESSES[3], 5)]
    built = build_block(chain, [transfer(0, 0, ADDRESSES[1]), legacy], withdrawals=withdrawals)
    assert not built.rejected
    return built.block


def test_roundtrip(block: Block) -> None:
    raw = encode_block(block)
    decoded = decode_block(raw)
    assert decoded == block
    assert decoded.hash == block.hash == block.header.hash
    assert encode_block(decoded) == raw
    assert decode_body(block.header, encode_body(block)) == block


def test_body_rlp_is_the_generic_encoding_of_the_body(block: Block) -> None:
    # encode_body puts the RLP together from the parts' own; the generic encoder of the item
    # (typed transactions as byte strings, legacy ones as lists) must agree, both forks' way.
    for withdrawals in (block.withdrawals, None):
        shaped = dataclasses.replace(block, ommers=(block.header,), withdrawals=withdrawals)
        item = [
            [raw if raw[0] < 0x80 else decode(raw) for raw in shaped.encoded_transactions],
            [HEADER.serialize(ommer) for ommer in shaped.ommers],
        ]
        if withdrawals is not None:
            item.append([WITHDRAWAL.serialize(w) for w in withdrawals])
        assert encode_body(shaped) == encode(item)
    assert {raw[0] < 0x80 for raw in block.encoded_transactions} == {True, False}


def test_pre_shanghai_body_has_no_withdrawals(block: Block) -> None:
    old = dataclasses.replace(block, withdrawals=None)
    assert decode_block(encode_block(old)).withdrawals is None


def _parts(block: Block) -> list:
    return decode(encode_block(block))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda p: p + [[]], "expected 3 or 4 parts"),
        (lambda p: p[:2], "expected 3 or 4 parts"),
        (lambda p: [p[0][:-1], *p[1:]], "block header: BlockHeader"),
        (lambda p: [p[0], b"\x01", *p[2:]], "block transactions: expected an RLP list"),
        (lambda p: [p[0], [encode(p[1][1])], *p[2:]], "byte string must hold a typed"),
        (lambda p: [p[0], [b"\x05abc"], *p[2:]], "block transaction 0: unsupported"),
        (lambda p: [*p[:3], [[b"\x00", b"\x01", b"\x02"]]], "block withdrawal 0"),
        (lambda p: [p[0], p[1], [[b"\x01"]], p[3]], "block ommer 0"),
    ],
)
def test_malformed_blocks(block: Block, mutate, message: str) -> None:
    with pytest.raises(DecodingError, match=message):
        decode_block(encode(mutate(_parts(block))))


def test_non_canonical_and_trailing_bytes(block: Block) -> None:
    raw = encode_block(block)
    with pytest.raises(DecodingError):
        decode_block(raw + b"\x00")
    with pytest.raises(DecodingError):
        decode_block(raw[:-1])


def test_header_of_block_keeps_received_bytes(block: Block) -> None:
    header_rlp = encode(block.header, HEADER)
    assert decode_block(encode_block(block)).header_rlp == header_rlp
    assert keccak256(header_rlp) == block.hash


def test_roots() -> None:
    assert ommers_hash([]) == EMPTY_OMMERS_HASH
    assert receipts_root([]) == EMPTY_TRIE_ROOT


def test_bloom() -> None:
    address = bytes.fromhex("0000000000000000000000000000000000000001")
    topic = bytes(32)
    bits = bloom_bits(address)
    assert bin(bits).count("1") in (1, 2, 3)
    log = Log(address, (topic,), b"data")
    bloom = logs_bloom([log])
    assert len(bloom) == 256
    assert bloom_contains(bloom, address) and bloom_contains(bloom, topic)
    assert not bloom_contains(EMPTY_BLOOM, address)
    assert combine_blooms([bloom, EMPTY_BLOOM]) == bloom
    assert logs_bloom([]) == EMPTY_BLOOM


def test_bloom_bit_positions() -> None:
    # Bits are numbered from the filter's last byte: bit b lives in byte 255 - b // 8.
    bloom = bloom_bits(b"testtest").to_bytes(256, "big")
    digest = keccak256(b"testtest")
    for i in (0, 2, 4):
        bit = ((digest[i] << 8) | digest[i + 1]) & 2047
        assert bloom[256 - 1 - bit // 8] & (1 << (bit % 8))


def test_typed_receipt_encoding() -> None:
    log = Log(b"\x01" * 20, (b"\x02" * 32,), b"")
    legacy = make_receipt(0, True, 21000, [(log.address, log.topics, log.data)])
    typed = make_receipt(2, False, 42000, [])
    assert encode_receipt(legacy)[0] >= 0xC0
    assert encode_receipt(typed)[0] == 2
    assert decode_receipt(encode_receipt(typed)) == typed
    assert decode_receipt(encode_receipt(legacy)) == legacy
    assert typed.status == 0 and legacy.logs == (log,)


@pytest.mark.parametrize("tx_type", [0, 1, 2, 3])
@pytest.mark.parametrize("logs", [0, 1, 3])
@pytest.mark.parametrize("gas", [0, 21000, 2**63])
def test_fast_receipt_encoding_matches_sedes(tx_type: int, logs: int, gas: int) -> None:
    raw = [
        (bytes([i]) * 20, tuple(bytes([i, j]) * 16 for j in range(i)), b"x" * i * 30)
        for i in range(logs)
    ]
    receipt = make_receipt(tx_type, bool(logs % 2), gas, raw)
    assert encode_receipt_fast(receipt) == encode_receipt(receipt)


def test_transaction_root_uses_wire_encoding(block: Block) -> None:
    from pyeth.chain.blocks import indexed_root

    assert block.header.transactions_root == indexed_root(
        [encode_transaction(tx) for tx in block.transactions]
    )

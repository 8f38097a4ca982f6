"""The wire messages: every message survives encode/decode, and bytes that are not a message
only ever raise MalformedMessage (random bytes, truncations, wrong shapes, oversized lists)."""

import contextlib
import random

import pytest

from p2p.messages import (
    MAX_ITEMS,
    Auth,
    BlockBodies,
    BlockHeaders,
    Disconnect,
    GetBlockBodies,
    GetBlockHeaders,
    GetPeers,
    MalformedMessage,
    NewBlock,
    NewBlockHashes,
    Peers,
    Status,
    Transactions,
    body_block,
    decode_message,
    encode_message,
    header_message_item,
)
from pyeth.chain import build_block, encode_block
from pyeth.node import Node
from pyeth.sedes import encode
from pyeth.transactions import encode_transaction
from tests.helpers.p2p import transfer

STATUS = Status(2, 1337, 1337, 7, b"\x01" * 32, 5, b"\x02" * 32, b"\x03" * 64, b"\x04" * 32, 30303)


@pytest.fixture(scope="module")
def block():
    node = Node()
    try:
        built = build_block(node.chain, [transfer(0), transfer(1)])
        assert len(built.block.transactions) == 2
        yield built.block
    finally:
        node.close()


def test_simple_messages_round_trip():
    for message in (
        STATUS,
        NewBlockHashes(((b"\x05" * 32, 9), (b"\x06" * 32, 0))),
        Transactions((encode_transaction(transfer(0)), b"\x02\xc0")),
        GetBlockHeaders(7, b"\x09" * 32, 3, 0, True),
        GetBlockHeaders(2**64 - 1, 0, 192, 5, False),
        GetBlockBodies(1, (b"\x07" * 32,)),
        GetPeers(0),
        Peers(4, ("ws://127.0.0.1:30303/p2p", "ws://[::1]:1/p2p")),
        Disconnect("too many peers"),
        Auth(b"\x05" * 65),
        Auth(b"\x05" * 65, b"\x06" * 65),
    ):
        assert decode_message(encode_message(message)) == message


def test_blocks_headers_and_bodies_round_trip(block):
    message = decode_message(encode_message(NewBlock(block, 12345)))
    assert isinstance(message, NewBlock)
    assert message.block.hash == block.hash and message.total_difficulty == 12345
    assert encode_block(message.block) == encode_block(block)

    header = header_message_item(block.header)
    headers = decode_message(encode_message(BlockHeaders(3, (header, header))))
    assert isinstance(headers, BlockHeaders)
    assert [h.hash for h in headers.headers] == [block.hash, block.hash]

    bodies = decode_message(encode_message(BlockBodies(3, (block.body_rlp,))))
    assert isinstance(bodies, BlockBodies)
    joined = body_block(header, bodies.bodies[0])
    assert joined.hash == block.hash and joined.transaction_hashes == block.transaction_hashes


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff",  # unknown code
        b"\x00",  # Status without RLP
        b"\x00\xc0",  # Status with no fields
        bytes([0x00]) + encode([b"\x01"] * 9),  # one field short
        bytes([0x0B]) + encode([b"\x01" * 64, b""]),  # an Auth signature one byte short
        bytes([0x0B]) + encode([b"\x01" * 65, b"\x01" * 10]),  # a signer signature of 10
        bytes([0x03]) + encode([b"\x01", [b"\x00\x01", b"\x01", b"", b""]]),  # leading zero
        bytes([0x03]) + encode([b"\x01", [b"\x01", b"\x01", b"", b"\x02"]]),  # reverse 2
        bytes([0x07]) + encode([[b"\x01"], b"\x01"]),  # NewBlock with a broken block
        bytes([0x04]) + encode([b"\x01", [[b"\x01"]]]),  # a header of one field
        bytes([0x06]) + encode([b"\x01", [b"\x01"]]),  # a body that is not a list
        bytes([0x09]) + encode([b"\x01", [b"\xff\xfe"]]),  # a URL that is not ASCII
        bytes([0x02]) + encode([[b"\x01"]]),  # a transaction that is a list
        bytes([0x05]) + encode([b"", [b"\x01" * 31]]),  # a 31-byte hash
        bytes([0x01]) + encode([[b"\x01" * 32, b"\x01"]] * (MAX_ITEMS + 1)),  # too many
        bytes([0x08]) + encode([b"\x01"]) + b"\x00",  # trailing byte
    ],
)
def test_malformed_messages_are_refused(data):
    with pytest.raises(MalformedMessage):
        decode_message(data)


def test_random_and_mangled_bytes_never_raise_anything_else(block):
    rng = random.Random(7)
    valid = [
        encode_message(STATUS),
        encode_message(NewBlock(block, 3)),
        encode_message(GetBlockHeaders(1, 5, 10)),
        encode_message(Peers(1, ("ws://127.0.0.1:1/p2p",))),
    ]
    for _ in range(3000):
        choice = rng.randrange(3)
        if choice == 0:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
        else:
            data = bytearray(rng.choice(valid))
            if choice == 1:
                for _ in range(rng.randrange(1, 4)):
                    data[rng.randrange(len(data))] = rng.randrange(256)
            else:
                data = data[: rng.randrange(len(data))]
            data = bytes(data)
        with contextlib.suppress(MalformedMessage):
            decode_message(data)

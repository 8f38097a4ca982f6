"""The wire messages between peers, modelled on the eth protocol (eth/66 with request ids): each
WebSocket binary message is one code byte followed by the RLP of the message's fields.

| code | message | fields |
| --- | --- | --- |
| 0x00 | Status | version, network id, chain id, total difficulty, head hash, head number, |
| | | genesis hash, public key (64 bytes), nonce (32 bytes), listen port |
| 0x01 | NewBlockHashes | [[hash, number], ...] |
| 0x02 | Transactions | [tx, ...], each the transaction's wire bytes as a byte string |
| 0x03 | GetBlockHeaders | request id, [origin (hash or number), amount, skip, reverse] |
| 0x04 | BlockHeaders | request id, [header, ...] |
| 0x05 | GetBlockBodies | request id, [hash, ...] |
| 0x06 | BlockBodies | request id, [[transactions, ommers, withdrawals], ...] |
| 0x07 | NewBlock | [block, total difficulty] |
| 0x08 | GetPeers | request id |
| 0x09 | Peers | request id, [url, ...] |
| 0x0a | Disconnect | reason (text), sent before the sender closes the WebSocket |
| 0x0b | Auth | node signature (65 bytes), Clique signer signature (65 bytes or empty) |

The handshake is Status both ways, then Auth from the dialer, then Auth from the listener
(p2p.identity says what the signatures cover).

Decoding is strict and total: any byte string either decodes into one of these dataclasses or
raises `MalformedMessage` saying what was wrong; nothing else escapes. Lists are bounded here
(`MAX_ITEMS`) so that a message cannot describe more work than a peer is allowed to ask for;
whether a well-formed block or transaction is valid is the chain's and the pool's business.
This module does no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from pyeth.chain import Block, decode_block, encode_block
from pyeth.chain.blocks import decode_body
from pyeth.errors import DecodingError
from pyeth.hashing import keccak256
from pyeth.sedes import HEADER, BlockHeader, decode, encode

PROTOCOL_VERSION: Final = 2  # 2: node keys (public key and nonce in Status, then Auth)
MAX_ITEMS: Final = 1024  # entries in one list of any message (headers, hashes, txs, peers)
MAX_URL_LENGTH: Final = 256

STATUS: Final = 0x00
NEW_BLOCK_HASHES: Final = 0x01
TRANSACTIONS: Final = 0x02
GET_BLOCK_HEADERS: Final = 0x03
BLOCK_HEADERS: Final = 0x04
GET_BLOCK_BODIES: Final = 0x05
BLOCK_BODIES: Final = 0x06
NEW_BLOCK: Final = 0x07
GET_PEERS: Final = 0x08
PEERS: Final = 0x09
DISCONNECT: Final = 0x0A
AUTH: Final = 0x0B
MAX_REASON_LENGTH: Final = 256


class MalformedMessage(DecodingError):
    """Bytes from a peer that are not a message of this protocol."""


@dataclass(frozen=True, slots=True)
class Status:
    """The handshake: what a node is and where its chain is."""

    version: int
    network_id: int
    chain_id: int
    total_difficulty: int
    head_hash: bytes
    head_number: int
    genesis_hash: bytes
    public_key: bytes  # the sender's node key (64 bytes); its id is keccak256 of it
    nonce: bytes  # 32 fresh random bytes for this connection, signed by the other side
    listen_port: int  # where the sender accepts peers (0: it does not)

    @property
    def node_id(self) -> bytes:
        """The node id the sender claims (proven only by its Auth)."""
        return keccak256(self.public_key)


@dataclass(frozen=True, slots=True)
class NewBlockHashes:
    """Blocks the sender has: (hash, number) pairs."""

    items: tuple[tuple[bytes, int], ...]


@dataclass(frozen=True, slots=True)
class Transactions:
    """Transactions for the pool, each in its wire form (typed: type byte || rlp)."""

    transactions: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class GetBlockHeaders:
    """Up to `amount` headers from `origin` (a hash or a number), every `skip + 1`th, going
    down when `reverse`."""

    request_id: int
    origin: bytes | int
    amount: int
    skip: int = 0
    reverse: bool = False


@dataclass(frozen=True, slots=True)
class Header:
    """A header as received, with its RLP (so its hash needs no encoding)."""

    header: BlockHeader
    rlp: bytes

    @property
    def hash(self) -> bytes:
        return keccak256(self.rlp)


@dataclass(frozen=True, slots=True)
class BlockHeaders:
    request_id: int
    headers: tuple[Header, ...]


@dataclass(frozen=True, slots=True)
class GetBlockBodies:
    request_id: int
    hashes: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class BlockBodies:
    """Bodies in the order asked for (fewer if the sender lacks some), each the RLP of
    [transactions, ommers, withdrawals]; `body_block` joins one to its header."""

    request_id: int
    bodies: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class NewBlock:
    """A whole block and the total difficulty of the chain it heads."""

    block: Block
    total_difficulty: int


@dataclass(frozen=True, slots=True)
class GetPeers:
    request_id: int


@dataclass(frozen=True, slots=True)
class Peers:
    """Addresses of other nodes (ws://host:port/p2p)."""

    request_id: int
    urls: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Auth:
    """Proof that the sender holds the key of the public key in its Status (and, optionally,
    a Clique signer key): signatures over this connection's nonces."""

    signature: bytes
    signer_signature: bytes = b""


@dataclass(frozen=True, slots=True)
class Disconnect:
    """Why the sender is about to close the connection."""

    reason: str


Message = (
    Status
    | NewBlockHashes
    | Transactions
    | GetBlockHeaders
    | BlockHeaders
    | GetBlockBodies
    | BlockBodies
    | NewBlock
    | GetPeers
    | Peers
    | Disconnect
    | Auth
)
Request = GetBlockHeaders | GetBlockBodies | GetPeers
Response = BlockHeaders | BlockBodies | Peers


# ENCODING


def _uint(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def _rlp_list(encoded_items: list[bytes]) -> bytes:
    """The RLP list of items that are already RLP-encoded (headers, bodies and blocks are sent
    as stored, not decoded to be encoded again)."""
    payload = b"".join(encoded_items)
    if len(payload) < 56:
        return bytes([0xC0 + len(payload)]) + payload
    size = _uint(len(payload))
    return bytes([0xF7 + len(size)]) + size + payload


def encode_message(message: Message) -> bytes:
    """The wire form of `message`: its code byte, then the RLP of its fields."""
    match message:
        case BlockHeaders():
            headers = _rlp_list([h.rlp for h in message.headers])
            payload = _rlp_list([encode(_uint(message.request_id)), headers])
            return bytes([BLOCK_HEADERS]) + payload
        case BlockBodies():
            bodies = _rlp_list(list(message.bodies))
            payload = _rlp_list([encode(_uint(message.request_id)), bodies])
            return bytes([BLOCK_BODIES]) + payload
        case NewBlock():
            td = encode(_uint(message.total_difficulty))
            return bytes([NEW_BLOCK]) + _rlp_list([encode_block(message.block), td])
    code, item = _item(message)
    return bytes([code]) + encode(item)


def _item(message: Message) -> tuple[int, Any]:
    match message:
        case Status():
            return STATUS, [
                _uint(message.version),
                _uint(message.network_id),
                _uint(message.chain_id),
                _uint(message.total_difficulty),
                message.head_hash,
                _uint(message.head_number),
                message.genesis_hash,
                message.public_key,
                message.nonce,
                _uint(message.listen_port),
            ]
        case NewBlockHashes():
            return NEW_BLOCK_HASHES, [[h, _uint(n)] for h, n in message.items]
        case Transactions():
            return TRANSACTIONS, list(message.transactions)
        case GetBlockHeaders():
            origin = message.origin if isinstance(message.origin, bytes) else _uint(message.origin)
            query = [origin, _uint(message.amount), _uint(message.skip), _uint(message.reverse)]
            return GET_BLOCK_HEADERS, [_uint(message.request_id), query]
        case GetBlockBodies():
            return GET_BLOCK_BODIES, [_uint(message.request_id), list(message.hashes)]
        case GetPeers():
            return GET_PEERS, [_uint(message.request_id)]
        case Peers():
            urls = [url.encode() for url in message.urls]
            return PEERS, [_uint(message.request_id), urls]
        case Disconnect():
            return DISCONNECT, [message.reason.encode()[:MAX_REASON_LENGTH]]
        case Auth():
            return AUTH, [message.signature, message.signer_signature]
    raise TypeError(f"not a message: {type(message).__name__}")


def header_message_item(header: BlockHeader) -> Header:
    """A stored header ready to send."""
    return Header(header, encode(header, HEADER))


# DECODING


def decode_message(data: bytes) -> Message:
    """The message in `data`.

    Raises:
        MalformedMessage: an unknown code, bad RLP, or fields of the wrong shape or size.
    """
    if not data:
        raise MalformedMessage("empty message")
    code = data[0]
    decoder = _DECODERS.get(code)
    if decoder is None:
        raise MalformedMessage(f"unknown message code 0x{code:02x}")
    try:
        item = decode(data[1:])
        return decoder(item)
    except MalformedMessage:
        raise
    except DecodingError as exc:
        raise MalformedMessage(f"{_NAMES[code]}: {exc}") from None
    except (ValueError, TypeError, IndexError, UnicodeDecodeError) as exc:
        raise MalformedMessage(f"{_NAMES[code]}: {exc}") from None


def _list(item: Any, what: str, length: int | None = None) -> list[Any]:
    if not isinstance(item, list):
        raise MalformedMessage(f"{what}: expected a list")
    if length is not None and len(item) != length:
        raise MalformedMessage(f"{what}: expected {length} items, got {len(item)}")
    if len(item) > MAX_ITEMS:
        raise MalformedMessage(f"{what}: {len(item)} items, at most {MAX_ITEMS}")
    return item


def _int(item: Any, what: str, max_bytes: int = 32) -> int:
    if not isinstance(item, bytes):
        raise MalformedMessage(f"{what}: expected an integer, got a list")
    if item[:1] == b"\x00":
        raise MalformedMessage(f"{what}: integer with leading zero bytes")
    if len(item) > max_bytes:
        raise MalformedMessage(f"{what}: integer wider than {max_bytes} bytes")
    return int.from_bytes(item, "big")


def _bytes(item: Any, what: str, length: int | None = None) -> bytes:
    if not isinstance(item, bytes):
        raise MalformedMessage(f"{what}: expected a byte string, got a list")
    if length is not None and len(item) != length:
        raise MalformedMessage(f"{what}: expected {length} bytes, got {len(item)}")
    return item


def _status(item: Any) -> Status:
    fields = _list(item, "status", 10)
    return Status(
        version=_int(fields[0], "version", 8),
        network_id=_int(fields[1], "network id", 8),
        chain_id=_int(fields[2], "chain id", 32),
        total_difficulty=_int(fields[3], "total difficulty", 32),
        head_hash=_bytes(fields[4], "head hash", 32),
        head_number=_int(fields[5], "head number", 8),
        genesis_hash=_bytes(fields[6], "genesis hash", 32),
        public_key=_bytes(fields[7], "public key", 64),
        nonce=_bytes(fields[8], "nonce", 32),
        listen_port=_int(fields[9], "listen port", 2),
    )


def _new_block_hashes(item: Any) -> NewBlockHashes:
    pairs = []
    for entry in _list(item, "hashes"):
        pair = _list(entry, "hash entry", 2)
        pairs.append((_bytes(pair[0], "hash", 32), _int(pair[1], "number", 8)))
    return NewBlockHashes(tuple(pairs))


def _transactions(item: Any) -> Transactions:
    return Transactions(tuple(_bytes(tx, "transaction") for tx in _list(item, "transactions")))


def _get_block_headers(item: Any) -> GetBlockHeaders:
    fields = _list(item, "request", 2)
    query = _list(fields[1], "query", 4)
    origin_item = _bytes(query[0], "origin")
    origin: bytes | int = (
        origin_item if len(origin_item) == 32 else _int(origin_item, "origin number", 8)
    )
    reverse = _int(query[3], "reverse", 1)
    if reverse > 1:
        raise MalformedMessage("reverse: expected 0 or 1")
    return GetBlockHeaders(
        _int(fields[0], "request id", 8),
        origin,
        _int(query[1], "amount", 8),
        _int(query[2], "skip", 8),
        bool(reverse),
    )


def _block_headers(item: Any) -> BlockHeaders:
    fields = _list(item, "response", 2)
    headers = []
    for index, header_item in enumerate(_list(fields[1], "headers")):
        try:
            header = HEADER.deserialize(header_item)
        except DecodingError as exc:
            raise MalformedMessage(f"header {index}: {exc}") from None
        headers.append(Header(header, encode(header_item)))
    return BlockHeaders(_int(fields[0], "request id", 8), tuple(headers))


def _get_block_bodies(item: Any) -> GetBlockBodies:
    fields = _list(item, "request", 2)
    hashes = tuple(_bytes(h, "hash", 32) for h in _list(fields[1], "hashes"))
    return GetBlockBodies(_int(fields[0], "request id", 8), hashes)


def _block_bodies(item: Any) -> BlockBodies:
    fields = _list(item, "response", 2)
    bodies = []
    for index, body in enumerate(_list(fields[1], "bodies")):
        if not isinstance(body, list) or len(body) not in (2, 3):
            raise MalformedMessage(f"body {index}: expected a list of 2 or 3 parts")
        bodies.append(encode(body))
    return BlockBodies(_int(fields[0], "request id", 8), tuple(bodies))


def _new_block(item: Any) -> NewBlock:
    fields = _list(item, "new block", 2)
    if not isinstance(fields[0], list):
        raise MalformedMessage("block: expected a list")
    try:
        block = decode_block(encode(fields[0]))
    except DecodingError as exc:
        raise MalformedMessage(str(exc)) from None
    return NewBlock(block, _int(fields[1], "total difficulty", 32))


def _get_peers(item: Any) -> GetPeers:
    fields = _list(item, "request", 1)
    return GetPeers(_int(fields[0], "request id", 8))


def _peers(item: Any) -> Peers:
    fields = _list(item, "response", 2)
    urls = []
    for entry in _list(fields[1], "urls"):
        raw = _bytes(entry, "url")
        if len(raw) > MAX_URL_LENGTH:
            raise MalformedMessage(f"url longer than {MAX_URL_LENGTH} bytes")
        urls.append(raw.decode("ascii"))
    return Peers(_int(fields[0], "request id", 8), tuple(urls))


def _disconnect(item: Any) -> Disconnect:
    fields = _list(item, "disconnect", 1)
    raw = _bytes(fields[0], "reason")
    if len(raw) > MAX_REASON_LENGTH:
        raise MalformedMessage(f"reason longer than {MAX_REASON_LENGTH} bytes")
    return Disconnect(raw.decode("utf-8", errors="replace"))


def _auth(item: Any) -> Auth:
    fields = _list(item, "auth", 2)
    signature = _bytes(fields[0], "signature", 65)
    signer_signature = _bytes(fields[1], "signer signature")
    if len(signer_signature) not in (0, 65):
        raise MalformedMessage("signer signature: expected 65 bytes or none")
    return Auth(signature, signer_signature)


_DECODERS: Final[dict[int, Callable[[Any], Message]]] = {
    STATUS: _status,
    NEW_BLOCK_HASHES: _new_block_hashes,
    TRANSACTIONS: _transactions,
    GET_BLOCK_HEADERS: _get_block_headers,
    BLOCK_HEADERS: _block_headers,
    GET_BLOCK_BODIES: _get_block_bodies,
    BLOCK_BODIES: _block_bodies,
    NEW_BLOCK: _new_block,
    GET_PEERS: _get_peers,
    PEERS: _peers,
    DISCONNECT: _disconnect,
    AUTH: _auth,
}
_NAMES: Final = {
    STATUS: "Status",
    NEW_BLOCK_HASHES: "NewBlockHashes",
    TRANSACTIONS: "Transactions",
    GET_BLOCK_HEADERS: "GetBlockHeaders",
    BLOCK_HEADERS: "BlockHeaders",
    GET_BLOCK_BODIES: "GetBlockBodies",
    BLOCK_BODIES: "BlockBodies",
    NEW_BLOCK: "NewBlock",
    GET_PEERS: "GetPeers",
    PEERS: "Peers",
    DISCONNECT: "Disconnect",
    AUTH: "Auth",
}


def body_block(header: Header, body: bytes) -> Block:
    """The block of `header` with `body` (the RLP of one BlockBodies entry).

    Raises:
        MalformedMessage: the body does not decode.
    """
    try:
        block = decode_body(header.header, body)
    except DecodingError as exc:
        raise MalformedMessage(f"body of block {header.header.number}: {exc}") from None
    return Block(
        block.header,
        block.transactions,
        block.ommers,
        block.withdrawals,
        header.rlp,
        block.raw_transactions,
    )

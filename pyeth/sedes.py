"""RLP for the node's consensus objects: a strict codec and the sedes of accounts, logs, receipts,
withdrawals and block headers.

Encoding and decoding are our own: the encoder for speed (see `_encode_item`), the decoder
strict and iterative, so that bytes from peers and RPC raise `pyeth.errors.DecodingError` and
nothing else, in linear time, at any nesting depth. The sedes are our own small classes
following the `rlp` package's protocol (`serialize(obj)` / `deserialize(item)`) because its
`big_endian_int` turns an empty list into 0 and a list of bytes into a TypeError; consensus
decoding must instead reject every wrong shape with a message that names the field. `Record`
maps an RLP list onto a frozen dataclass.
This module knows no transaction types, and no fork rules beyond which header fields exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from pyeth.errors import DecodingError
from pyeth.hashing import keccak256


class Sedes(Protocol):
    """The `rlp` package's sedes protocol: Python value <-> nested list of byte strings."""

    def serialize(self, obj: Any) -> Any: ...

    def deserialize(self, item: Any) -> Any: ...


# CODEC


def encode(obj: Any, sedes: Sedes | None = None) -> bytes:
    """RLP-encode `obj` (a nested list of bytes when `sedes` is None).

    Raises ValueError when `obj` does not fit `sedes`: encoding only ever sees our own values,
    so a misfit is a programming error, not bad input.
    """
    item = obj if sedes is None else sedes.serialize(obj)
    try:
        return _encode_item(item)
    except TypeError as exc:
        raise ValueError(f"cannot RLP-encode {type(obj).__name__}: {exc}") from None


def _encode_item(item: Any) -> bytes:
    """RLP of bytes and (nested) lists or tuples of them. The `rlp` package's encoder asks
    `isinstance(item, collections.abc.Sequence)` of every item, an ABC check: it took 150-200 us
    per transaction or header here, this one about a fifth of that."""
    if isinstance(item, bytes | bytearray | memoryview):
        n = len(item)
        if n == 1 and item[0] < 0x80:
            return bytes(item)
        return _length_prefix(n, 0x80) + item
    if isinstance(item, list | tuple):
        payload = b"".join([_encode_item(x) for x in item])
        return _length_prefix(len(payload), 0xC0) + payload
    raise TypeError(f"{type(item).__name__} is neither bytes nor a list")


def _length_prefix(n: int, offset: int) -> bytes:
    if n < 56:
        return bytes((offset + n,))
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((offset + 55 + len(size),)) + size


def decode(data: bytes, sedes: Sedes | None = None) -> Any:
    """Decode exactly one canonical RLP item from `data` (no trailing bytes), then `sedes`.

    Raises DecodingError for empty, truncated or non-canonical input: lengths with leading
    zeros, long forms for lengths below 56, a single byte below 0x80 wrapped as a string,
    items running past their list, bytes after the item.
    """
    if not isinstance(data, bytes | bytearray):
        raise DecodingError(f"RLP input must be bytes, got {type(data).__name__}")
    data = bytes(data)
    item, end = _decode_item(data)
    if end != len(data):
        raise DecodingError(f"RLP: {len(data) - end} bytes after the item")
    return item if sedes is None else sedes.deserialize(item)


def _decode_item(data: bytes) -> tuple[Any, int]:
    """The first item of `data` and where it ends.

    Iterative, with an explicit stack of open lists: input nested any depth cannot exhaust the
    Python stack, and each list is built once (rlp.decode re-concatenates every list's bytes,
    which took 7.4 s for one 2 MB list of 40,000 items here).
    """
    stack: list[tuple[list[Any], int]] = []  # open lists and where each one ends
    pos = 0
    while True:
        is_list, start, length = _read_prefix(data, pos, stack[-1][1] if stack else len(data))
        if is_list:
            stack.append(([], start + length))
            pos = start
        else:
            pos = start + length
            if not stack:
                return data[start:pos], pos
            stack[-1][0].append(data[start:pos])
        while stack and pos == stack[-1][1]:
            items, _ = stack.pop()
            if not stack:
                return items, pos
            stack[-1][0].append(items)


def _read_prefix(data: bytes, pos: int, limit: int) -> tuple[bool, int, int]:
    """Parse the prefix at `pos`: (is it a list, payload start, payload length).

    `limit` is where the enclosing list (or the input) ends; the payload must end by then.
    """
    if pos >= limit:  # only at the top: inside a list, items are read while pos < its end
        raise DecodingError("RLP: input is empty")
    first = data[pos]
    if first < 0x80:
        return False, pos, 1
    if first < 0xB8:
        is_list, start, length = False, pos + 1, first - 0x80
    elif first < 0xC0:
        is_list, start, length = False, *_read_long_length(data, pos, first - 0xB7, limit)
    elif first < 0xF8:
        is_list, start, length = True, pos + 1, first - 0xC0
    else:
        is_list, start, length = True, *_read_long_length(data, pos, first - 0xF7, limit)
    if start + length > limit:
        kind = "list" if is_list else "string"
        raise DecodingError(
            f"RLP: {kind} at offset {pos} needs {length} bytes, {limit - start} left"
        )
    if not is_list and length == 1 and data[start] < 0x80:
        raise DecodingError(
            f"RLP: single byte {data[start]:#04x} at offset {pos} wrapped as a string"
        )
    return is_list, start, length


def _read_long_length(data: bytes, pos: int, size: int, limit: int) -> tuple[int, int]:
    """(payload start, payload length) of a long-form prefix with a `size`-byte length."""
    start = pos + 1 + size
    if start > limit:
        raise DecodingError(f"RLP: length of the item at offset {pos} is truncated")
    if data[pos + 1] == 0:
        raise DecodingError(f"RLP: length of the item at offset {pos} has leading zero bytes")
    length = int.from_bytes(data[pos + 1 : start], "big")
    if length < 56:
        raise DecodingError(f"RLP: long form for a length of {length} at offset {pos}")
    return start, length


# PRIMITIVE SEDES


def _describe(item: Any) -> str:
    return "a list" if isinstance(item, list) else f"{len(item)} bytes"


@dataclass(frozen=True, slots=True)
class UInt:
    """Unsigned integer: minimal big-endian bytes (zero is empty) of at most `max_bytes`.

    With `fixed`, exactly `max_bytes` bytes with leading zeros kept (storage keys, 32-byte
    slots that are integers to the EVM).
    """

    max_bytes: int | None = None
    fixed: bool = False

    def serialize(self, obj: int) -> bytes:
        if isinstance(obj, bool) or not isinstance(obj, int) or obj < 0:
            raise ValueError(f"expected a non-negative int, got {obj!r}")
        size = (obj.bit_length() + 7) // 8
        if self.max_bytes is not None:
            if size > self.max_bytes:
                raise ValueError(f"integer does not fit in {self.max_bytes} bytes")
            if self.fixed:
                size = self.max_bytes
        return obj.to_bytes(size, "big")

    def deserialize(self, item: Any) -> int:
        if not isinstance(item, bytes):
            raise DecodingError("expected an integer, got a list")
        if self.fixed:
            if len(item) != self.max_bytes:
                raise DecodingError(f"expected {self.max_bytes} bytes, got {len(item)}")
        elif item[:1] == b"\x00":
            raise DecodingError("non-canonical integer with leading zero bytes")
        elif self.max_bytes is not None and len(item) > self.max_bytes:
            raise DecodingError(f"integer of {len(item)} bytes exceeds {self.max_bytes * 8} bits")
        return int.from_bytes(item, "big")


@dataclass(frozen=True, slots=True)
class Bytes:
    """Byte string of exactly `length` bytes, or of any length when `length` is None."""

    length: int | None = None

    def serialize(self, obj: bytes) -> bytes:
        if not isinstance(obj, bytes | bytearray):
            raise ValueError(f"expected bytes, got {type(obj).__name__}")
        if self.length is not None and len(obj) != self.length:
            raise ValueError(f"expected {self.length} bytes, got {len(obj)}")
        return bytes(obj)

    def deserialize(self, item: Any) -> bytes:
        if not isinstance(item, bytes):
            raise DecodingError("expected a byte string, got a list")
        if self.length is not None and len(item) != self.length:
            raise DecodingError(f"expected {self.length} bytes, got {len(item)}")
        return item


@dataclass(frozen=True, slots=True)
class OptionalAddress:
    """A 20-byte address, or the empty string for None (the `to` of a contract creation)."""

    def serialize(self, obj: bytes | None) -> bytes:
        return b"" if obj is None else ADDRESS.serialize(obj)

    def deserialize(self, item: Any) -> bytes | None:
        if item == b"":
            return None
        if not isinstance(item, bytes):
            raise DecodingError("expected an address, got a list")
        if len(item) != 20:
            raise DecodingError(f"address must be 20 bytes or empty, got {len(item)}")
        return item


@dataclass(frozen=True, slots=True)
class ListOf:
    """A list of any length whose items all have the sedes `element`; decodes to a tuple."""

    element: Sedes

    def serialize(self, obj: Sequence[Any]) -> list[Any]:
        return [self.element.serialize(x) for x in obj]

    def deserialize(self, item: Any) -> tuple[Any, ...]:
        if not isinstance(item, list):
            raise DecodingError(f"expected a list, got {_describe(item)}")
        values = []
        for index, element in enumerate(item):
            try:
                values.append(self.element.deserialize(element))
            except DecodingError as exc:
                raise DecodingError(f"item {index}: {exc}") from None
        return tuple(values)


# Field tables: (attribute name, sedes) in wire order.
Fields = tuple[tuple[str, Sedes], ...]


def deserialize_fields(item: Any, fields: Fields, what: str) -> list[Any]:
    """Check that `item` is a list of exactly len(fields) items and deserialize each one.

    Error messages read `<what>: <field>: <problem>`.
    """
    if not isinstance(item, list):
        raise DecodingError(f"{what}: expected an RLP list, got {_describe(item)}")
    if len(item) != len(fields):
        raise DecodingError(f"{what}: expected {len(fields)} fields, got {len(item)}")
    values = []
    for (name, sedes), element in zip(fields, item, strict=True):
        try:
            values.append(sedes.deserialize(element))
        except DecodingError as exc:
            raise DecodingError(f"{what}: {name}: {exc}") from None
    return values


def serialize_fields(obj: Any, fields: Fields) -> list[Any]:
    """The RLP item of `obj`'s attributes named in `fields`, in order."""
    return [sedes.serialize(getattr(obj, name)) for name, sedes in fields]


@dataclass(frozen=True, slots=True)
class Record:
    """An RLP list mapped onto a dataclass `cls` by a field table.

    `tail` lists groups of fields that later forks appended (the block header's); an encoding
    may stop at any group boundary, and the missing fields decode as None.
    """

    cls: type
    fields: Fields
    tail: tuple[Fields, ...] = ()

    def serialize(self, obj: Any) -> list[Any]:
        item = serialize_fields(obj, self.fields)
        present = True
        for group in self.tail:
            missing = [getattr(obj, name) is None for name, _ in group]
            if all(missing):
                present = False
            elif any(missing) or not present:
                names = ", ".join(name for name, _ in group)
                raise ValueError(
                    f"{self.cls.__name__}: fields {names} are set together, after all earlier ones"
                )
            else:
                item += serialize_fields(obj, group)
        return item

    def deserialize(self, item: Any) -> Any:
        what = self.cls.__name__
        fields = self.fields
        if isinstance(item, list) and len(item) > len(fields):
            for group in self.tail:
                if len(item) <= len(fields):
                    break
                fields += group
        values = deserialize_fields(item, fields, what)
        return self.cls(**{name: value for (name, _), value in zip(fields, values, strict=True)})


UINT: Final = UInt()
UINT64: Final = UInt(8)
UINT256: Final = UInt(32)
BYTES: Final = Bytes()
HASH32: Final = Bytes(32)
ADDRESS: Final = Bytes(20)
BLOOM: Final = Bytes(256)
OPTIONAL_ADDRESS: Final = OptionalAddress()


# ACCOUNTS


@dataclass(frozen=True, slots=True)
class Account:
    """An account as the state trie stores it."""

    nonce: int
    balance: int
    storage_root: bytes
    code_hash: bytes


ACCOUNT: Final = Record(
    Account,
    (("nonce", UINT64), ("balance", UINT256), ("storage_root", HASH32), ("code_hash", HASH32)),
)


# LOGS AND RECEIPTS


@dataclass(frozen=True, slots=True)
class Log:
    """One LOGn record: the emitting contract, up to four 32-byte topics, and data."""

    address: bytes
    topics: tuple[bytes, ...]
    data: bytes


LOG: Final = Record(Log, (("address", ADDRESS), ("topics", ListOf(HASH32)), ("data", BYTES)))


@dataclass(frozen=True, slots=True)
class StatusOrRoot:
    """A receipt's first field: status 1 or 0 since Byzantium, a 32-byte state root before."""

    def serialize(self, obj: int | bytes) -> bytes:
        if isinstance(obj, bytes):
            return HASH32.serialize(obj)
        if obj not in (0, 1):
            raise ValueError(f"receipt status must be 0 or 1, got {obj!r}")
        return b"\x01" if obj else b""

    def deserialize(self, item: Any) -> int | bytes:
        if item == b"":
            return 0
        if item == b"\x01":
            return 1
        if isinstance(item, bytes) and len(item) == 32:
            return item
        raise DecodingError(
            f"expected status 0x, 0x01 or a 32-byte state root, got {_describe(item)}"
        )


@dataclass(frozen=True, slots=True)
class Receipt:
    """A transaction's receipt; `tx_type` is the EIP-2718 envelope byte, not an RLP field."""

    status: int | bytes
    cumulative_gas_used: int
    logs_bloom: bytes
    logs: tuple[Log, ...]
    tx_type: int = 0


RECEIPT: Final = Record(
    Receipt,
    (
        ("status", StatusOrRoot()),
        ("cumulative_gas_used", UINT256),
        ("logs_bloom", BLOOM),
        ("logs", ListOf(LOG)),
    ),
)


def encode_receipt(receipt: Receipt) -> bytes:
    """The receipt as the receipts trie stores it: RLP, behind the type byte for typed txs."""
    body = encode(receipt, RECEIPT)
    return body if receipt.tx_type == 0 else bytes([receipt.tx_type]) + body


def decode_receipt(data: bytes) -> Receipt:
    """Inverse of `encode_receipt`; raises DecodingError for anything else."""
    if data[:1] and data[0] < 0x80:
        if data[0] == 0:
            raise DecodingError("receipt type 0 must not carry a type byte")
        receipt = decode(data[1:], RECEIPT)
        return Receipt(
            receipt.status,
            receipt.cumulative_gas_used,
            receipt.logs_bloom,
            receipt.logs,
            data[0],
        )
    return decode(data, RECEIPT)  # type: ignore[no-any-return]


# WITHDRAWALS


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """A beacon-chain withdrawal (Shanghai): `amount` is in Gwei."""

    index: int
    validator_index: int
    address: bytes
    amount: int


WITHDRAWAL: Final = Record(
    Withdrawal,
    (("index", UINT64), ("validator_index", UINT64), ("address", ADDRESS), ("amount", UINT64)),
)


# BLOCK HEADERS


@dataclass(frozen=True, slots=True)
class BlockHeader:
    """A block header with every field up to Prague; a field is None before its fork."""

    parent_hash: bytes
    ommers_hash: bytes
    coinbase: bytes
    state_root: bytes
    transactions_root: bytes
    receipts_root: bytes
    logs_bloom: bytes
    difficulty: int
    number: int
    gas_limit: int
    gas_used: int
    timestamp: int
    extra_data: bytes
    prev_randao: bytes  # mix_hash before the merge
    nonce: bytes
    base_fee_per_gas: int | None = None  # London
    withdrawals_root: bytes | None = None  # Shanghai
    blob_gas_used: int | None = None  # Cancun
    excess_blob_gas: int | None = None  # Cancun
    parent_beacon_block_root: bytes | None = None  # Cancun
    requests_hash: bytes | None = None  # Prague (EIP-7685)
    # The RLP and the hash, computed on first use (the header is frozen);
    # `dataclasses.replace` starts the copy without them.
    _rlp: bytes | None = field(default=None, init=False, repr=False, compare=False)
    _hash: bytes | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def rlp(self) -> bytes:
        """The RLP header."""
        encoded = self._rlp
        if encoded is None:
            encoded = _header_rlp(self) or encode(self, HEADER)
            object.__setattr__(self, "_rlp", encoded)
        return encoded

    @property
    def hash(self) -> bytes:
        """The block hash: keccak256 of the RLP header."""
        block_hash = self._hash
        if block_hash is None:
            block_hash = keccak256(self.rlp)
            object.__setattr__(self, "_hash", block_hash)
        return block_hash


def _rlp_fixed(value: Any, size: int) -> bytes | None:
    """RLP of a byte string of exactly `size` bytes (size > 1), or None for anything else."""
    if type(value) is not bytes or len(value) != size:
        return None
    return _length_prefix(size, 0x80) + value


def _rlp_uint(value: Any, max_bytes: int) -> bytes | None:
    """RLP of a non-negative int of at most `max_bytes` bytes, or None for anything else."""
    if type(value) is not int or value < 0 or value.bit_length() > 8 * max_bytes:
        return None
    if value < 0x80:
        return bytes((value,)) if value else b"\x80"
    data = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return bytes((0x80 + len(data),)) + data


def _header_rlp(h: BlockHeader) -> bytes | None:
    """The header's RLP, straight from its fields (a fifth of the time `encode(h, HEADER)`
    takes); None when a field is not of its usual shape, for `encode` to raise about."""
    if type(h.extra_data) is not bytes:
        return None
    parts = [
        _rlp_fixed(h.parent_hash, 32),
        _rlp_fixed(h.ommers_hash, 32),
        _rlp_fixed(h.coinbase, 20),
        _rlp_fixed(h.state_root, 32),
        _rlp_fixed(h.transactions_root, 32),
        _rlp_fixed(h.receipts_root, 32),
        _rlp_fixed(h.logs_bloom, 256),
        _rlp_uint(h.difficulty, 32),
        _rlp_uint(h.number, 32),
        _rlp_uint(h.gas_limit, 32),
        _rlp_uint(h.gas_used, 32),
        _rlp_uint(h.timestamp, 32),
        _encode_item(h.extra_data),
        _rlp_fixed(h.prev_randao, 32),
        _rlp_fixed(h.nonce, 8),
    ]
    # The fork groups of HEADER's tail, each all set or all None, none set after a None one.
    groups = (
        ((h.base_fee_per_gas, 0),),
        ((h.withdrawals_root, 32),),
        ((h.blob_gas_used, 0), (h.excess_blob_gas, 0), (h.parent_beacon_block_root, 32)),
        ((h.requests_hash, 32),),
    )
    present = True
    for group in groups:
        missing = [value is None for value, _ in group]
        if all(missing):
            present = False
            continue
        if any(missing) or not present:
            return None
        for value, size in group:
            # size 0 marks the integers: the base fee is a UINT256, the blob gas fields UINT64.
            if size:
                parts.append(_rlp_fixed(value, size))
            else:
                parts.append(_rlp_uint(value, 32 if len(group) == 1 else 8))
    if None in parts:
        return None
    payload = b"".join(parts)  # type: ignore[arg-type]
    return _length_prefix(len(payload), 0xC0) + payload


HEADER: Final = Record(
    BlockHeader,
    (
        ("parent_hash", HASH32),
        ("ommers_hash", HASH32),
        ("coinbase", ADDRESS),
        ("state_root", HASH32),
        ("transactions_root", HASH32),
        ("receipts_root", HASH32),
        ("logs_bloom", BLOOM),
        ("difficulty", UINT256),
        ("number", UINT256),
        ("gas_limit", UINT256),
        ("gas_used", UINT256),
        ("timestamp", UINT256),
        ("extra_data", BYTES),
        ("prev_randao", HASH32),
        ("nonce", Bytes(8)),
    ),
    # One group per fork that appended fields, with a field on BlockHeader that is None
    # before that fork.
    tail=(
        (("base_fee_per_gas", UINT256),),
        (("withdrawals_root", HASH32),),
        (
            ("blob_gas_used", UINT64),
            ("excess_blob_gas", UINT64),
            ("parent_beacon_block_root", HASH32),
        ),
        (("requests_hash", HASH32),),
    ),
)

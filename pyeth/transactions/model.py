"""What a transaction is: one frozen dataclass per type, its wire fields, and its canonical bytes.

Each class carries its EIP-2718 type byte (`TYPE`) and its field table (`FIELDS`, wire order,
signature last), from which encoding, strict decoding and the signing payload are all derived.
A new type (EIP-7702's set-code transaction, type 4) is one more dataclass here and one more
entry in `TRANSACTION_TYPES`. Validity rules and signatures live in their own modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

from pyeth.hashing import keccak256
from pyeth.sedes import (
    ADDRESS,
    BYTES,
    HASH32,
    OPTIONAL_ADDRESS,
    UINT256,
    Fields,
    ListOf,
    Record,
    UInt,
    deserialize_fields,
    encode,
    serialize_fields,
)

# (address, storage keys) pairs; keys are the 32-byte slots read as integers, as the EVM
# sees them.
AccessList = tuple[tuple[bytes, tuple[int, ...]], ...]


STORAGE_KEY: Final = UInt(32, fixed=True)


class _AccessListEntry:
    """Sedes of one access-list entry: [address, [storage key, ...]] <-> (address, keys)."""

    FIELDS: Final[Fields] = (("address", ADDRESS), ("storage_keys", ListOf(STORAGE_KEY)))

    def serialize(self, obj: tuple[bytes, tuple[int, ...]]) -> list[Any]:
        address, keys = obj
        return [ADDRESS.serialize(address), [STORAGE_KEY.serialize(k) for k in keys]]

    def deserialize(self, item: Any) -> tuple[bytes, tuple[int, ...]]:
        address, keys = deserialize_fields(item, self.FIELDS, "entry")
        return address, keys


ACCESS_LIST: Final = ListOf(_AccessListEntry())


class _Envelope:
    """What every transaction type shares: its hash, and a cache for it and the sender.

    The cache is a per-instance dict excluded from equality; the dataclasses are frozen, so a
    cached value can never go stale (`dataclasses.replace` builds a new, empty cache).
    """

    __slots__ = ()
    TYPE: ClassVar[int]
    FIELDS: ClassVar[Fields]
    _cache: dict[str, bytes]

    @property
    def hash(self) -> bytes:
        """keccak256 of the wire encoding: the transaction's identity."""
        cached = self._cache.get("hash")
        if cached is None:
            cached = self._cache["hash"] = keccak256(encode_transaction(self))  # type: ignore[arg-type]
        return cached


def _cache_field() -> Any:
    return field(default_factory=dict, init=False, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class LegacyTransaction(_Envelope):
    """Type 0: the original RLP list; `v` is 27/28, or chain_id * 2 + 35/36 (EIP-155)."""

    TYPE: ClassVar[int] = 0
    FIELDS: ClassVar[Fields] = (
        ("nonce", UINT256),
        ("gas_price", UINT256),
        ("gas_limit", UINT256),
        ("to", OPTIONAL_ADDRESS),
        ("value", UINT256),
        ("data", BYTES),
        ("v", UINT256),
        ("r", UINT256),
        ("s", UINT256),
    )

    nonce: int
    gas_price: int
    gas_limit: int
    to: bytes | None
    value: int = 0
    data: bytes = b""
    v: int = 0
    r: int = 0
    s: int = 0
    _cache: dict[str, bytes] = _cache_field()

    @property
    def chain_id(self) -> int | None:
        """The EIP-155 chain id carried in `v`; None for 27/28 and for malformed `v`."""
        return (self.v - 35) // 2 if self.v >= 35 else None

    @property
    def access_list(self) -> AccessList:
        return ()

    @property
    def max_fee_per_gas(self) -> int:
        """The gas price: the fee cap of the fee-market rules, as clients treat it."""
        return self.gas_price

    @property
    def max_priority_fee_per_gas(self) -> int:
        return self.gas_price


@dataclass(frozen=True, slots=True)
class AccessListTransaction(_Envelope):
    """Type 1 (EIP-2930): a legacy-priced transaction with an access list and a chain id."""

    TYPE: ClassVar[int] = 1
    FIELDS: ClassVar[Fields] = (
        ("chain_id", UINT256),
        ("nonce", UINT256),
        ("gas_price", UINT256),
        ("gas_limit", UINT256),
        ("to", OPTIONAL_ADDRESS),
        ("value", UINT256),
        ("data", BYTES),
        ("access_list", ACCESS_LIST),
        ("y_parity", UINT256),
        ("r", UINT256),
        ("s", UINT256),
    )

    chain_id: int
    nonce: int
    gas_price: int
    gas_limit: int
    to: bytes | None
    value: int = 0
    data: bytes = b""
    access_list: AccessList = ()
    y_parity: int = 0
    r: int = 0
    s: int = 0
    _cache: dict[str, bytes] = _cache_field()

    @property
    def max_fee_per_gas(self) -> int:
        return self.gas_price

    @property
    def max_priority_fee_per_gas(self) -> int:
        return self.gas_price


@dataclass(frozen=True, slots=True)
class FeeMarketTransaction(_Envelope):
    """Type 2 (EIP-1559): a fee cap and a priority fee instead of a gas price."""

    TYPE: ClassVar[int] = 2
    FIELDS: ClassVar[Fields] = (
        ("chain_id", UINT256),
        ("nonce", UINT256),
        ("max_priority_fee_per_gas", UINT256),
        ("max_fee_per_gas", UINT256),
        ("gas_limit", UINT256),
        ("to", OPTIONAL_ADDRESS),
        ("value", UINT256),
        ("data", BYTES),
        ("access_list", ACCESS_LIST),
        ("y_parity", UINT256),
        ("r", UINT256),
        ("s", UINT256),
    )

    chain_id: int
    nonce: int
    max_priority_fee_per_gas: int
    max_fee_per_gas: int
    gas_limit: int
    to: bytes | None
    value: int = 0
    data: bytes = b""
    access_list: AccessList = ()
    y_parity: int = 0
    r: int = 0
    s: int = 0
    _cache: dict[str, bytes] = _cache_field()


@dataclass(frozen=True, slots=True)
class BlobTransaction(_Envelope):
    """Type 3 (EIP-4844) in its canonical form, as blocks hold it (no blobs, no proofs).

    It cannot create a contract: `to` is always an address.
    """

    TYPE: ClassVar[int] = 3
    FIELDS: ClassVar[Fields] = (
        ("chain_id", UINT256),
        ("nonce", UINT256),
        ("max_priority_fee_per_gas", UINT256),
        ("max_fee_per_gas", UINT256),
        ("gas_limit", UINT256),
        ("to", ADDRESS),
        ("value", UINT256),
        ("data", BYTES),
        ("access_list", ACCESS_LIST),
        ("max_fee_per_blob_gas", UINT256),
        ("blob_versioned_hashes", ListOf(HASH32)),
        ("y_parity", UINT256),
        ("r", UINT256),
        ("s", UINT256),
    )

    chain_id: int
    nonce: int
    max_priority_fee_per_gas: int
    max_fee_per_gas: int
    gas_limit: int
    to: bytes
    value: int = 0
    data: bytes = b""
    access_list: AccessList = ()
    max_fee_per_blob_gas: int = 0
    blob_versioned_hashes: tuple[bytes, ...] = ()
    y_parity: int = 0
    r: int = 0
    s: int = 0
    _cache: dict[str, bytes] = _cache_field()


@dataclass(frozen=True, slots=True)
class Authorization:
    """One EIP-7702 authorization: the signer (the authority) lets its account run the code at
    `address`, for `chain_id` (0: any chain) while its nonce is `nonce`."""

    chain_id: int
    address: bytes
    nonce: int
    y_parity: int
    r: int
    s: int


AUTHORIZATION_LIST: Final = ListOf(
    Record(
        Authorization,
        (
            ("chain_id", UINT256),
            ("address", ADDRESS),
            ("nonce", UINT256),
            ("y_parity", UINT256),
            ("r", UINT256),
            ("s", UINT256),
        ),
    )
)


@dataclass(frozen=True, slots=True)
class SetCodeTransaction(_Envelope):
    """Type 4 (EIP-7702, Prague): a fee-market transaction that also installs delegations."""

    TYPE: ClassVar[int] = 4
    FIELDS: ClassVar[Fields] = (
        ("chain_id", UINT256),
        ("nonce", UINT256),
        ("max_priority_fee_per_gas", UINT256),
        ("max_fee_per_gas", UINT256),
        ("gas_limit", UINT256),
        ("to", ADDRESS),
        ("value", UINT256),
        ("data", BYTES),
        ("access_list", ACCESS_LIST),
        ("authorization_list", AUTHORIZATION_LIST),
        ("y_parity", UINT256),
        ("r", UINT256),
        ("s", UINT256),
    )

    chain_id: int
    nonce: int
    max_priority_fee_per_gas: int
    max_fee_per_gas: int
    gas_limit: int
    to: bytes
    value: int = 0
    data: bytes = b""
    access_list: AccessList = ()
    authorization_list: tuple[Authorization, ...] = ()
    y_parity: int = 0
    r: int = 0
    s: int = 0
    _cache: dict[str, bytes] = _cache_field()


Transaction = (
    LegacyTransaction
    | AccessListTransaction
    | FeeMarketTransaction
    | BlobTransaction
    | SetCodeTransaction
)
TypedTransaction = (
    AccessListTransaction | FeeMarketTransaction | BlobTransaction | SetCodeTransaction
)

# The typed transactions by their envelope byte.
TRANSACTION_TYPES: Final[dict[int, type[TypedTransaction]]] = {
    AccessListTransaction.TYPE: AccessListTransaction,
    FeeMarketTransaction.TYPE: FeeMarketTransaction,
    BlobTransaction.TYPE: BlobTransaction,
    SetCodeTransaction.TYPE: SetCodeTransaction,
}


def encode_transaction(tx: Transaction) -> bytes:
    """The wire form: the RLP list for legacy, `type byte || RLP list` for typed transactions.

    Kept in the transaction's cache: a transaction is encoded for its hash, its block's
    transactions root and the stored block body (`decode_transaction` fills it in from the
    bytes it decoded).
    """
    encoded = tx._cache.get("rlp")
    if encoded is None:
        payload = encode(serialize_fields(tx, tx.FIELDS))
        encoded = tx._cache["rlp"] = payload if tx.TYPE == 0 else bytes([tx.TYPE]) + payload
    return encoded

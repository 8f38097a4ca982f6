"""Blocks and their bodies: the `Block` record, its strict wire codec, and the roots that tie a
body to its header (transactions root, ommers hash, withdrawals root).

A block on the wire is the RLP list `[header, transactions, ommers, withdrawals]`: a legacy
transaction is an RLP list inside `transactions`, a typed one (EIP-2718) a byte string holding
`type || rlp`. Decoding is strict: every failure is a `DecodingError` naming the part of the
block and the field that was wrong. Whether a well-formed block is *valid* is `validation`'s job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

from pyeth.errors import DecodingError
from pyeth.hashing import keccak256
from pyeth.sedes import HEADER, WITHDRAWAL, BlockHeader, Withdrawal, decode, encode
from pyeth.transactions import Transaction, decode_transaction, encode_transaction
from pyeth.trie import trie_root
from pyeth.trie.nodes import rlp_bytes, rlp_list

EMPTY_OMMERS_HASH: Final = keccak256(encode([]))  # keccak256(rlp([]))


@dataclass(frozen=True)
class Block:
    """A header and its body. `withdrawals` is None only for pre-Shanghai blocks."""

    header: BlockHeader
    transactions: tuple[Transaction, ...] = ()
    ommers: tuple[BlockHeader, ...] = ()
    withdrawals: tuple[Withdrawal, ...] | None = ()
    # The header's RLP and the transactions' wire bytes as received, kept so that hashes and
    # roots come from them without encoding again (pyrlp encoding dominated import time).
    header_rlp: bytes = field(default=b"", repr=False, compare=False)
    raw_transactions: tuple[bytes, ...] = field(default=(), repr=False, compare=False)

    @cached_property
    def hash(self) -> bytes:
        """keccak256 of the RLP header."""
        return keccak256(self.header_rlp) if self.header_rlp else self.header.hash

    @cached_property
    def body_rlp(self) -> bytes:
        """The RLP of the body, as stored (`encode_body`)."""
        return encode_body(self)

    @cached_property
    def encoded_transactions(self) -> tuple[bytes, ...]:
        """Each transaction's wire form (the bytes its hash and the transactions root use)."""
        if len(self.raw_transactions) == len(self.transactions):
            return self.raw_transactions
        return tuple(encode_transaction(tx) for tx in self.transactions)

    @cached_property
    def transaction_hashes(self) -> tuple[bytes, ...]:
        """keccak256 of each transaction's wire form, as each transaction caches it (a sealed
        block's come from the pool with theirs already computed)."""
        return tuple(tx.hash for tx in self.transactions)

    @property
    def number(self) -> int:
        return self.header.number

    @property
    def parent_hash(self) -> bytes:
        return self.header.parent_hash


def encode_body(block: Block) -> bytes:
    """The RLP of a block's body, [transactions, ommers, withdrawals?], put together from the
    parts' own RLP: a legacy transaction's wire bytes are an RLP list already, a typed one's go
    in as a byte string."""
    transactions = b"".join(
        raw if raw[0] >= 0xC0 else rlp_bytes(raw) for raw in block.encoded_transactions
    )
    body = rlp_list(transactions) + rlp_list(b"".join(ommer.rlp for ommer in block.ommers))
    if block.withdrawals is not None:
        body += rlp_list(b"".join(encode(w, WITHDRAWAL) for w in block.withdrawals))
    return rlp_list(body)


def encode_block(block: Block) -> bytes:
    """The block's wire form: rlp([header, transactions, ommers, withdrawals]), made from the
    header's and the body's RLP."""
    body = block.body_rlp
    prefix = 1 if body[0] <= 0xF7 else 1 + body[0] - 0xF7  # the body list's own length prefix
    return rlp_list((block.header_rlp or block.header.rlp) + body[prefix:])


def decode_block(data: bytes) -> Block:
    """Decode a block from its wire form.

    Raises DecodingError for non-canonical RLP, a wrong number of parts, or any header, ommer,
    transaction or withdrawal that does not decode.
    """
    item = decode(data)
    if not isinstance(item, list):
        raise DecodingError("block: expected an RLP list")
    if len(item) not in (3, 4):
        raise DecodingError(f"block: expected 3 or 4 parts, got {len(item)}")
    header_item = item[0]
    try:
        header = HEADER.deserialize(header_item)
    except DecodingError as exc:
        raise DecodingError(f"block header: {exc}") from None
    return _with_body(header, encode(header_item), item[1:])


def decode_body(header: BlockHeader, data: bytes) -> Block:
    """The block of `header` with a body stored by `encode_body` (the store keeps headers and
    bodies apart)."""
    item = decode(data)
    if not isinstance(item, list) or len(item) not in (2, 3):
        raise DecodingError("block body: expected an RLP list of 2 or 3 parts")
    return _with_body(header, b"", item)


def _with_body(header: BlockHeader, header_rlp: bytes, parts: Sequence[Any]) -> Block:
    """A block from its header and the RLP items of its body: transactions, ommers and
    withdrawals (None when the part is missing)."""
    tx_items, ommer_items = parts[0], parts[1]
    if not isinstance(tx_items, list):
        raise DecodingError("block transactions: expected an RLP list")
    transactions = []
    raw_transactions = []
    for index, tx_item in enumerate(tx_items):
        if isinstance(tx_item, list):
            raw = encode(tx_item)  # a legacy transaction; canonical, so these are its bytes
        elif tx_item[:1] and tx_item[0] < 0x80:
            raw = tx_item
        else:
            raise DecodingError(
                f"block transaction {index}: a byte string must hold a typed transaction"
            )
        try:
            transactions.append(decode_transaction(raw))
            raw_transactions.append(raw)
        except DecodingError as exc:
            raise DecodingError(f"block transaction {index}: {exc}") from None
    if not isinstance(ommer_items, list):
        raise DecodingError("block ommers: expected an RLP list")
    ommers = []
    for index, ommer_item in enumerate(ommer_items):
        try:
            ommers.append(HEADER.deserialize(ommer_item))
        except DecodingError as exc:
            raise DecodingError(f"block ommer {index}: {exc}") from None
    withdrawals = None
    if len(parts) > 2:
        if not isinstance(parts[2], list):
            raise DecodingError("block withdrawals: expected an RLP list")
        found = []
        for index, withdrawal_item in enumerate(parts[2]):
            try:
                found.append(WITHDRAWAL.deserialize(withdrawal_item))
            except DecodingError as exc:
                raise DecodingError(f"block withdrawal {index}: {exc}") from None
        withdrawals = tuple(found)
    return Block(
        header, tuple(transactions), tuple(ommers), withdrawals, header_rlp, tuple(raw_transactions)
    )


def _index_key(index: int) -> bytes:
    """rlp(index), the key of an indexed trie (0 is the empty string, 0x80)."""
    return rlp_bytes(index.to_bytes((index.bit_length() + 7) // 8, "big"))


def indexed_root(values: Sequence[bytes]) -> bytes:
    """Root of the trie mapping rlp(index) to each value: transactions, receipts, withdrawals."""
    return trie_root({_index_key(i): value for i, value in enumerate(values)})


def transactions_root(transactions: Sequence[Transaction]) -> bytes:
    return indexed_root([encode_transaction(tx) for tx in transactions])


def block_transactions_root(block: Block) -> bytes:
    """The transactions root of a block's body, from its transactions' wire bytes."""
    return indexed_root(block.encoded_transactions)


def withdrawals_root(withdrawals: Sequence[Withdrawal]) -> bytes:
    return indexed_root([encode(w, WITHDRAWAL) for w in withdrawals])


def ommers_hash(ommers: Sequence[BlockHeader]) -> bytes:
    return keccak256(encode([HEADER.serialize(ommer) for ommer in ommers]))

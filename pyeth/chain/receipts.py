"""Receipts and the logs bloom: building a transaction's typed receipt (EIP-2718) from its
execution, the 2048-bit bloom filter of its logs, and the receipts root.

The bloom sets three bits per item (the emitting address and each topic): for each of the first
three byte pairs of the item's keccak hash, the pair's low 11 bits index a bit counted from the
filter's last byte. A block's bloom is the OR of its receipts' blooms.
"""

from collections.abc import Iterable, Sequence

from pyeth.chain.blocks import indexed_root
from pyeth.hashing import keccak256
from pyeth.sedes import Log, Receipt, encode_receipt
from pyeth.trie.nodes import rlp_bytes, rlp_list

BLOOM_BYTES = 256
EMPTY_BLOOM = bytes(BLOOM_BYTES)

RawLog = tuple[bytes, tuple[bytes, ...], bytes]  # (address, topics, data), as the EVM emits


def bloom_bits(item: bytes) -> int:
    """The filter bits `item` sets, as an integer of 2048 bits (big-endian, as stored)."""
    digest = keccak256(item)
    bits = 0
    for i in (0, 2, 4):
        bits |= 1 << (((digest[i] << 8) | digest[i + 1]) & 2047)
    return bits


def logs_bloom(logs: Iterable[Log]) -> bytes:
    """The 256-byte bloom of `logs`: their addresses and topics."""
    bits = 0
    for log in logs:
        bits |= bloom_bits(log.address)
        for topic in log.topics:
            bits |= bloom_bits(topic)
    return bits.to_bytes(BLOOM_BYTES, "big")


def combine_blooms(blooms: Iterable[bytes]) -> bytes:
    """The OR of several blooms: a block's bloom from its receipts'."""
    bits = 0
    for bloom in blooms:
        bits |= int.from_bytes(bloom, "big")
    return bits.to_bytes(BLOOM_BYTES, "big")


def bloom_contains(bloom: bytes, item: bytes) -> bool:
    """Whether `item` may be in the filter (false positives possible, never false negatives)."""
    bits = bloom_bits(item)
    return int.from_bytes(bloom, "big") & bits == bits


def make_receipt(
    tx_type: int, success: bool, cumulative_gas_used: int, raw_logs: Sequence[RawLog]
) -> Receipt:
    """The receipt of one included transaction."""
    logs = tuple(Log(address, tuple(topics), data) for address, topics, data in raw_logs)
    return Receipt(
        status=1 if success else 0,
        cumulative_gas_used=cumulative_gas_used,
        logs_bloom=logs_bloom(logs),
        logs=logs,
        tx_type=tx_type,
    )


def encode_receipt_fast(receipt: Receipt) -> bytes:
    """`pyeth.sedes.encode_receipt` for receipts this node built (status 0/1, well-formed logs),
    written with the trie's RLP primitives: pyrlp took 160 us per receipt, most of import time
    after execution."""
    status = b"\x01" if receipt.status == 1 else b""
    logs = b"".join(
        rlp_list(
            rlp_bytes(log.address)
            + rlp_list(b"".join(rlp_bytes(topic) for topic in log.topics))
            + rlp_bytes(log.data)
        )
        for log in receipt.logs
    )
    gas = receipt.cumulative_gas_used
    body = rlp_list(
        rlp_bytes(status)
        + rlp_bytes(gas.to_bytes((gas.bit_length() + 7) // 8, "big"))
        + rlp_bytes(receipt.logs_bloom)
        + rlp_list(logs)
    )
    return body if receipt.tx_type == 0 else bytes((receipt.tx_type,)) + body


def receipts_root(receipts: Sequence[Receipt]) -> bytes:
    """Root of the receipts trie: rlp(index) -> the typed receipt encoding."""
    return indexed_root([encode_receipt(r) for r in receipts])

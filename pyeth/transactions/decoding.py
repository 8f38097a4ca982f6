"""Strict decoding of transaction bytes from the edge (RPC, peers, block bodies).

Only canonical encodings decode: the bytes re-encode to themselves, so the hash of a decoded
transaction is the hash of what was received. Every failure is a `DecodingError` whose message
says which field was wrong; nothing else escapes, whatever the input bytes. Validity rules
that need no state (ranges, fees, signature values) are `validation`'s job, not this module's.
"""

from pyeth.errors import DecodingError
from pyeth.sedes import decode, deserialize_fields
from pyeth.transactions.model import (
    TRANSACTION_TYPES,
    BlobTransaction,
    LegacyTransaction,
    Transaction,
)


def decode_transaction(raw: bytes) -> Transaction:
    """Decode one transaction in its wire form.

    A first byte below 0x80 is an EIP-2718 type followed by the RLP list of that type; a first
    byte from 0xc0 on starts a legacy RLP list. Raises DecodingError for anything else:
    truncated or non-canonical RLP, trailing bytes, unknown types, wrong field counts, wrong
    field shapes or lengths, integers with leading zeros or wider than 256 bits.
    """
    if not isinstance(raw, bytes | bytearray):
        raise DecodingError(f"transaction must be bytes, got {type(raw).__name__}")
    if not raw:
        raise DecodingError("transaction bytes are empty")
    first = raw[0]
    if first >= 0xC0:
        cls: type[Transaction] = LegacyTransaction
        payload = bytes(raw)
    elif first >= 0x80:
        raise DecodingError("transaction is an RLP byte string, not a list or a typed envelope")
    elif first in TRANSACTION_TYPES:
        cls = TRANSACTION_TYPES[first]
        payload = bytes(raw[1:])
    else:
        raise DecodingError(f"unsupported transaction type {first:#04x}")
    what = f"{cls.__name__} (type {cls.TYPE})"
    try:
        item = decode(payload)
    except DecodingError as exc:
        raise DecodingError(f"{what}: {exc}") from None
    if cls is BlobTransaction and _is_network_form(item):
        raise DecodingError(f"{what}: network form with blobs and proofs; expected the bare form")
    tx = cls(*deserialize_fields(item, cls.FIELDS, what))
    tx._cache["rlp"] = bytes(raw)  # canonical: what encode_transaction would make
    return tx


def _is_network_form(item: object) -> bool:
    """EIP-4844's pooled form wraps the transaction: [tx_fields, blobs, commitments, proofs]."""
    return isinstance(item, list) and len(item) == 4 and isinstance(item[0], list)

"""Blob transactions in their network form: the type-3 transaction together with its blobs,
their KZG commitments and proofs (its "sidecar"), as eth_sendRawTransaction and peers carry it
into a pool. Blocks hold only the bare transaction, whose `blob_versioned_hashes` commit to the
blobs.

Two wrappers exist (EIP-4844, and EIP-7594 from Osaka on):

    0x03 || rlp([tx_fields, blobs, commitments, proofs])              one blob proof per blob
    0x03 || rlp([tx_fields, 1, blobs, commitments, cell_proofs])      128 cell proofs per blob

`decode_pooled_transaction` reads either strictly; `verify_sidecar` checks the sidecar against the
transaction (counts, versioned hashes) and the KZG proofs with ckzg and the mainnet trusted
setup. This module decides nothing about fees, nonces or block limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import ckzg

from evm.precompiles.point_evaluation import kzg_to_versioned_hash, trusted_setup
from pyeth.errors import DecodingError, InvalidTransaction
from pyeth.sedes import decode, encode
from pyeth.transactions.decoding import decode_transaction
from pyeth.transactions.model import BlobTransaction

BYTES_PER_BLOB: Final = 4096 * 32
BYTES_PER_COMMITMENT: Final = 48
BYTES_PER_PROOF: Final = 48
CELLS_PER_EXT_BLOB: Final = 128  # EIP-7594
CELL_PROOFS_VERSION: Final = 1  # the wrapper version of EIP-7594's form


@dataclass(frozen=True, slots=True)
class BlobSidecar:
    """The blobs of a blob transaction with their commitments and proofs. `version` 0 carries
    one blob proof per blob (EIP-4844), version 1 `CELLS_PER_EXT_BLOB` cell proofs per blob
    (EIP-7594)."""

    version: int
    blobs: tuple[bytes, ...]
    commitments: tuple[bytes, ...]
    proofs: tuple[bytes, ...]


def is_pooled_form(raw: bytes) -> bool:
    """Whether `raw` looks like a blob transaction's network form (type 3, a list of lists
    first): the bare form's first field is the chain id, a byte string."""
    if len(raw) < 3 or raw[0] != BlobTransaction.TYPE or raw[1] < 0xC0:
        return False
    # The outer list's payload starts after its length prefix; its first item is a list in
    # the network form.
    offset = 2 + (raw[1] - 0xF7 if raw[1] > 0xF7 else 0)
    return offset < len(raw) and raw[offset] >= 0xC0


def decode_pooled_transaction(raw: bytes) -> tuple[BlobTransaction, bytes, BlobSidecar]:
    """The bare transaction, its canonical bytes (what its hash and blocks use) and its sidecar.

    Raises:
        DecodingError: not a blob transaction's network form, or a field of the wrong shape.
    """
    if not raw or raw[0] != BlobTransaction.TYPE:
        raise DecodingError("not a blob transaction (type 3)")
    item = decode(bytes(raw[1:]))
    if not isinstance(item, list) or len(item) not in (4, 5) or not isinstance(item[0], list):
        raise DecodingError("blob transaction network form: expected [tx, (1,) blobs, ...]")
    version = 0
    if len(item) == 5:
        if item[1] != bytes([CELL_PROOFS_VERSION]):
            raise DecodingError(f"blob transaction network form: unknown version {item[1]!r}")
        version = CELL_PROOFS_VERSION
    blobs, commitments, proofs = (
        _byte_strings(field, size, what)
        for field, size, what in zip(
            item[-3:],
            (BYTES_PER_BLOB, BYTES_PER_COMMITMENT, BYTES_PER_PROOF),
            ("blobs", "commitments", "proofs"),
            strict=True,
        )
    )
    bare = bytes([BlobTransaction.TYPE]) + encode(item[0])
    tx = decode_transaction(bare)
    assert isinstance(tx, BlobTransaction)
    return tx, bare, BlobSidecar(version, blobs, commitments, proofs)


def _byte_strings(value: object, size: int, what: str) -> tuple[bytes, ...]:
    if not isinstance(value, list):
        raise DecodingError(f"blob transaction network form: {what} must be a list")
    for entry in value:
        if not isinstance(entry, bytes) or len(entry) != size:
            raise DecodingError(f"blob transaction network form: each of {what} is {size} bytes")
    return tuple(value)


def verify_sidecar(tx: BlobTransaction, sidecar: BlobSidecar, cell_proofs: bool) -> None:
    """Check that `sidecar` belongs to `tx` and that its proofs hold. `cell_proofs` says which
    wrapper the fork in force takes (Osaka on: EIP-7594's).

    Raises:
        InvalidTransaction: the message says what does not match.
    """
    expected_version = CELL_PROOFS_VERSION if cell_proofs else 0
    if sidecar.version != expected_version:
        raise InvalidTransaction(
            f"blob sidecar version {sidecar.version}, this fork takes {expected_version}"
        )
    count = len(tx.blob_versioned_hashes)
    if len(sidecar.blobs) != count or len(sidecar.commitments) != count:
        raise InvalidTransaction(
            f"blob sidecar has {len(sidecar.blobs)} blobs and {len(sidecar.commitments)} "
            f"commitments for {count} versioned hashes"
        )
    per_blob = CELLS_PER_EXT_BLOB if cell_proofs else 1
    if len(sidecar.proofs) != count * per_blob:
        raise InvalidTransaction(
            f"blob sidecar has {len(sidecar.proofs)} proofs, want {count * per_blob}"
        )
    for index, (commitment, versioned) in enumerate(
        zip(sidecar.commitments, tx.blob_versioned_hashes, strict=True)
    ):
        if kzg_to_versioned_hash(commitment) != versioned:
            raise InvalidTransaction(f"blob {index}: commitment does not match its versioned hash")
    setup = trusted_setup()
    try:
        if cell_proofs:
            cells = [cell for blob in sidecar.blobs for cell in ckzg.compute_cells(blob, setup)]
            valid = ckzg.verify_cell_kzg_proof_batch(
                [c for c in sidecar.commitments for _ in range(CELLS_PER_EXT_BLOB)],
                list(range(CELLS_PER_EXT_BLOB)) * count,
                cells,
                list(sidecar.proofs),
                setup,
            )
        else:
            valid = ckzg.verify_blob_kzg_proof_batch(  # takes each list concatenated
                b"".join(sidecar.blobs),
                b"".join(sidecar.commitments),
                b"".join(sidecar.proofs),
                setup,
            )
    except RuntimeError as exc:  # a blob that is not field elements, a point not on the curve
        raise InvalidTransaction(f"blob sidecar: {exc}") from None
    if not valid:
        raise InvalidTransaction("blob sidecar: KZG proofs do not verify")

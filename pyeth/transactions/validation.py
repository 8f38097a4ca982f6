"""The static validity rules of a transaction under a fork's rules (Cancun's by default):
everything that can be checked without the state or the block (nonce and balance checks, the
block gas limit and the base fee are the chain's). Signature recovery itself is
`recover_sender`'s."""

from typing import Final

from evm.forks import CANCUN, ForkRules
from pyeth.errors import InvalidTransaction
from pyeth.sedes import UINT256
from pyeth.transactions.intrinsic import transaction_intrinsic_gas
from pyeth.transactions.model import (
    BlobTransaction,
    LegacyTransaction,
    Transaction,
)
from pyeth.transactions.signing import signature_values

MAX_NONCE: Final = 2**64 - 2  # EIP-2681: the nonce must stay incrementable within 64 bits
MAX_GAS_LIMIT: Final = 2**64 - 1
VERSIONED_HASH_VERSION_KZG: Final = 0x01
UINT256_LIMIT: Final = 2**256


def validate_static(tx: Transaction, *, chain_id: int, rules: ForkRules = CANCUN) -> None:
    """Raise InvalidTransaction unless `tx` obeys every state-free rule for chain `chain_id`.

    Checks, in order: the type is one the fork knows; integer fields within their widths
    (nonce below 2**64 - 1, gas limit within 64 bits, the rest within 256 bits); the fee cap
    times the gas limit within 256 bits; the priority fee at most the fee cap; the chain id;
    the signature values (v or y-parity, r, s, EIP-2 low s); for blob transactions a target
    and 1 to the fork's limit of versioned hashes of version 0x01; from Shanghai the initcode
    size of a creation; the gas limit against the intrinsic gas.
    """
    check_type(tx, rules)
    _check_widths(tx)
    _check_fees(tx)
    _check_chain_id(tx, chain_id)
    signature_values(tx)
    if isinstance(tx, BlobTransaction):
        _check_blobs(tx, rules.max_blobs_in_tx)
    limit = rules.max_initcode_size
    if tx.to is None and limit is not None and len(tx.data) > limit:
        raise InvalidTransaction(f"initcode of {len(tx.data)} bytes exceeds the limit of {limit}")
    gas = transaction_intrinsic_gas(tx, rules.initcode_word_gas)
    if tx.gas_limit < gas:
        raise InvalidTransaction(f"gas limit {tx.gas_limit} is below the intrinsic gas {gas}")


def check_type(tx: Transaction, rules: ForkRules) -> None:
    """Raise InvalidTransaction if the fork of `rules` does not know the type of `tx` (EIP-2718:
    access lists from Berlin, fee market London, blobs Cancun, set-code Prague)."""
    if tx.TYPE not in rules.tx_types:
        raise InvalidTransaction(
            f"transaction type not supported: type {tx.TYPE} is not valid in {rules.name}"
        )


def _check_widths(tx: Transaction) -> None:
    for name, sedes in tx.FIELDS:
        value = getattr(tx, name)
        if sedes is UINT256 and not 0 <= value < UINT256_LIMIT:
            raise InvalidTransaction(f"{name} {value} does not fit in 256 bits")
    if tx.nonce > MAX_NONCE:
        raise InvalidTransaction(f"nonce {tx.nonce} is above the maximum {MAX_NONCE} (EIP-2681)")
    if tx.gas_limit > MAX_GAS_LIMIT:
        raise InvalidTransaction(f"gas limit {tx.gas_limit} does not fit in 64 bits")


def _check_fees(tx: Transaction) -> None:
    if tx.max_fee_per_gas * tx.gas_limit >= UINT256_LIMIT:
        raise InvalidTransaction("gas limit times the fee cap does not fit in 256 bits")
    if tx.max_priority_fee_per_gas > tx.max_fee_per_gas:
        raise InvalidTransaction(
            f"priority fee {tx.max_priority_fee_per_gas} is above the fee cap {tx.max_fee_per_gas}"
        )


def _check_chain_id(tx: Transaction, chain_id: int) -> None:
    if isinstance(tx, LegacyTransaction):
        # v of 27/28 predates EIP-155 and is valid on every chain; other v below 35 are
        # refused with the signature values.
        if tx.chain_id is not None and tx.chain_id != chain_id:
            raise InvalidTransaction(
                f"v {tx.v} signs for chain {tx.chain_id}, not chain {chain_id} (EIP-155)"
            )
    elif tx.chain_id != chain_id:
        raise InvalidTransaction(f"chain id {tx.chain_id} is not this chain's ({chain_id})")


def _check_blobs(tx: BlobTransaction, max_blobs: int) -> None:
    if tx.to is None:
        raise InvalidTransaction("blob transaction cannot create a contract: `to` is required")
    hashes = tx.blob_versioned_hashes
    if not hashes:
        raise InvalidTransaction("blob transaction carries no blob versioned hashes")
    if len(hashes) > max_blobs:
        raise InvalidTransaction(
            f"blob transaction carries {len(hashes)} blobs, more than {max_blobs}"
        )
    for index, versioned_hash in enumerate(hashes):
        if len(versioned_hash) != 32 or versioned_hash[0] != VERSIONED_HASH_VERSION_KZG:
            raise InvalidTransaction(
                f"blob versioned hash {index} must be 32 bytes starting with 0x01"
            )

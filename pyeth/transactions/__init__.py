"""Transactions: the four Cancun types (legacy, EIP-2930, EIP-1559, EIP-4844), their strict wire
codec, signing and sender recovery, intrinsic gas and the static validity rules.

The usual path of a raw transaction: `decode_transaction` (DecodingError) ->
`validate_static` (InvalidTransaction) -> `recover_sender` (InvalidTransaction) -> txpool or
state transition, which adds the checks that need state.
"""

from pyeth.transactions.decoding import decode_transaction
from pyeth.transactions.intrinsic import intrinsic_gas, transaction_intrinsic_gas
from pyeth.transactions.model import (
    TRANSACTION_TYPES,
    AccessList,
    AccessListTransaction,
    BlobTransaction,
    FeeMarketTransaction,
    LegacyTransaction,
    Transaction,
    TypedTransaction,
    encode_transaction,
)
from pyeth.transactions.signing import (
    impersonate,
    impersonated_sender,
    mark_impersonated,
    recover_sender,
    sign_transaction,
    signature_values,
    signing_hash,
)
from pyeth.transactions.validation import check_type, validate_static

__all__ = [
    "TRANSACTION_TYPES",
    "AccessList",
    "AccessListTransaction",
    "BlobTransaction",
    "FeeMarketTransaction",
    "LegacyTransaction",
    "Transaction",
    "TypedTransaction",
    "check_type",
    "decode_transaction",
    "encode_transaction",
    "impersonate",
    "impersonated_sender",
    "intrinsic_gas",
    "mark_impersonated",
    "recover_sender",
    "sign_transaction",
    "signature_values",
    "signing_hash",
    "transaction_intrinsic_gas",
    "validate_static",
]

"""The gas schedule: every cost the EVM charges, as named constants, and the helpers that price
memory and copies. Opcode bodies use these names, never literals. Values are Cancun's; a fork
that prices something differently (earlier or later) says so in `evm.forks`, by name.
"""

from typing import Final

# Static costs of the opcode tiers (Yellow Paper appendix G).
GAS_ZERO: Final = 0
GAS_JUMPDEST: Final = 1
GAS_BASE: Final = 2
GAS_VERY_LOW: Final = 3
GAS_LOW: Final = 5
GAS_MID: Final = 8
GAS_HIGH: Final = 10
GAS_BLOCKHASH: Final = 20
GAS_EXP: Final = 10
GAS_EXP_BYTE: Final = 50
GAS_KECCAK256: Final = 30
GAS_KECCAK256_WORD: Final = 6
GAS_COPY_WORD: Final = 3
GAS_MEMORY: Final = 3
GAS_QUAD_DIVISOR: Final = 512
GAS_LOG: Final = 375
GAS_LOG_TOPIC: Final = 375
GAS_LOG_DATA: Final = 8
GAS_BLOBHASH: Final = 3

# State access (EIP-2929 warm/cold).
GAS_WARM_ACCESS: Final = 100
GAS_COLD_ACCOUNT_ACCESS: Final = 2600
GAS_COLD_SLOAD: Final = 2100
GAS_TLOAD: Final = 100
GAS_TSTORE: Final = 100

# SSTORE (EIP-2200 with EIP-2929 and EIP-3529).
GAS_SSTORE_SET: Final = 20000
GAS_SSTORE_RESET: Final = 2900  # 5000 - GAS_COLD_SLOAD
GAS_SSTORE_STIPEND: Final = 2300  # SSTORE fails if gas left is at or below this
REFUND_SSTORE_CLEARS: Final = 4800
MAX_REFUND_QUOTIENT: Final = 5
# Before London's EIP-3529: larger refunds, for clearing a slot and for SELFDESTRUCT, capped at
# half the gas used.
REFUND_SSTORE_CLEARS_BERLIN: Final = 15000
REFUND_SELFDESTRUCT_BERLIN: Final = 24000
MAX_REFUND_QUOTIENT_BERLIN: Final = 2

# Calls and creation.
GAS_CALL_VALUE: Final = 9000
GAS_CALL_STIPEND: Final = 2300
GAS_NEW_ACCOUNT: Final = 25000
GAS_CREATE: Final = 32000
GAS_CODE_DEPOSIT: Final = 200
GAS_INITCODE_WORD: Final = 2
GAS_SELFDESTRUCT: Final = 5000
GAS_SELFDESTRUCT_NEW_ACCOUNT: Final = 25000

# Transactions.
TX_BASE: Final = 21000
TX_CREATE: Final = 32000
TX_DATA_ZERO: Final = 4
TX_DATA_NON_ZERO: Final = 16
TX_ACCESS_LIST_ADDRESS: Final = 2400
TX_ACCESS_LIST_STORAGE_KEY: Final = 1900

# Prague: the calldata floor (EIP-7623) and set-code authorizations (EIP-7702).
TX_FLOOR_PER_TOKEN: Final = 10
TX_TOKENS_PER_NON_ZERO_BYTE: Final = 4
GAS_AUTH_PER_EMPTY_ACCOUNT: Final = 25000
GAS_AUTH_BASE: Final = 12500

# Blobs (EIP-4844).
GAS_PER_BLOB: Final = 2**17
TARGET_BLOB_GAS_PER_BLOCK: Final = 393216
MAX_BLOB_GAS_PER_BLOCK: Final = 786432
MIN_BLOB_BASE_FEE: Final = 1
BLOB_BASE_FEE_UPDATE_FRACTION: Final = 3338477

# Precompiles.
GAS_ECRECOVER: Final = 3000
GAS_SHA256: Final = 60
GAS_SHA256_WORD: Final = 12
GAS_RIPEMD160: Final = 600
GAS_RIPEMD160_WORD: Final = 120
GAS_IDENTITY: Final = 15
GAS_IDENTITY_WORD: Final = 3
GAS_MODEXP_MIN: Final = 200
GAS_MODEXP_DIVISOR: Final = 3
GAS_ECADD: Final = 150
GAS_ECMUL: Final = 6000
GAS_ECPAIRING_BASE: Final = 45000
GAS_ECPAIRING_PER_PAIR: Final = 34000
GAS_BLAKE2F_ROUND: Final = 1
GAS_POINT_EVALUATION: Final = 50000


def words(size: int) -> int:
    """Number of 32-byte words needed to hold `size` bytes."""
    return (size + 31) >> 5


def memory_cost(size_in_bytes: int) -> int:
    """Total gas for a memory of `size_in_bytes` (a multiple of 32): linear plus quadratic part."""
    w = size_in_bytes >> 5
    return GAS_MEMORY * w + w * w // GAS_QUAD_DIVISOR


def copy_cost(size: int) -> int:
    """Gas for copying `size` bytes (CALLDATACOPY, CODECOPY, MCOPY, ...)."""
    return GAS_COPY_WORD * ((size + 31) >> 5)

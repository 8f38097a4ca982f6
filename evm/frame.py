"""The plain data the interpreter works on: the block and transaction environment, a message
(one call or create), a frame (one executing message) and the result of a message."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evm.context import Context

STACK_LIMIT = 1024  # items on one frame's stack


@dataclass(slots=True)
class BlockEnv:
    """What the block opcodes read. `block_hashes(n)` answers BLOCKHASH for the last 256 blocks."""

    coinbase: bytes
    number: int
    timestamp: int
    gas_limit: int
    prev_randao: bytes
    base_fee: int
    chain_id: int
    blob_base_fee: int = 1
    block_hashes: Sequence[bytes] = ()  # hashes of blocks number-len .. number-1, oldest first
    difficulty: int = 0


@dataclass(slots=True)
class TxEnv:
    """What the transaction opcodes read (ORIGIN, GASPRICE, BLOBHASH)."""

    origin: bytes
    gas_price: int
    blob_hashes: Sequence[bytes] = ()


@dataclass(slots=True)
class Message:
    """One call or create to execute. For a create, `target` is the new address and `data` empty."""

    caller: bytes
    target: bytes  # the account whose storage and balance the code acts on (ADDRESS)
    code_address: bytes  # where the code came from (differs for CALLCODE/DELEGATECALL)
    value: int
    data: bytes
    gas: int
    code: bytes
    depth: int = 0
    is_static: bool = False
    is_create: bool = False
    should_transfer_value: bool = True
    disable_precompiles: bool = False  # the code came through an EIP-7702 delegation
    # What made the message, as tracers name it: CALL, CALLCODE, DELEGATECALL, STATICCALL,
    # CREATE or CREATE2 (a transaction's own message is a CALL or a CREATE). Only message hooks
    # read it; the interpreter goes by the flags above.
    kind: str = "CALL"


@dataclass(slots=True)
class Frame:
    """One executing message: the interpreter's working set. Lists are plain Python objects."""

    message: Message
    context: "Context"
    code: bytes  # padded with STOPs so reading past the end never raises
    jumpdests: bytearray
    push_values: list[int]
    gas_left: int
    stack: list[int] = field(default_factory=list)
    memory: bytearray = field(default_factory=bytearray)
    pc: int = 0
    return_data: bytes = b""  # the last child call's output (RETURNDATASIZE/COPY)
    output: bytes = b""
    refund: int = 0
    logs: list[tuple[bytes, tuple[bytes, ...], bytes]] = field(default_factory=list)
    to_destroy: set[bytes] = field(default_factory=set)
    touched: set[bytes] = field(default_factory=set)


@dataclass(slots=True)
class MessageResult:
    """What a message call or create leaves behind."""

    success: bool
    gas_left: int
    output: bytes
    refund: int = 0
    logs: list[tuple[bytes, tuple[bytes, ...], bytes]] = field(default_factory=list)
    to_destroy: set[bytes] = field(default_factory=set)
    touched: set[bytes] = field(default_factory=set)
    created_address: bytes | None = None
    error: Exception | None = None

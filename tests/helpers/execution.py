"""Run one message call against a fresh `pyeth.state.State`, the way a transaction would reach
the EVM (its sender, target and the precompiles warm), and hand back the result and the state.

No transaction rules here (no intrinsic gas, no refund cap, no fee payment): tests read the
frame's own gas, refund, output, logs and storage.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from evm.context import Context
from evm.forks import CANCUN
from evm.frame import BlockEnv, Message, MessageResult, TxEnv
from evm.interpreter import process_message
from evm.tracing import StepHook
from pyeth.state import State
from tests.helpers.bytecode import Bytecode

SENDER = bytes.fromhex("00000000000000000000000000000000000c0de0")
TARGET = bytes.fromhex("0000000000000000000000000000000000001000")
COINBASE = bytes.fromhex("000000000000000000000000000000000000c0b0")
GAS = 1_000_000
GAS_PRICE = 10


@dataclass
class AccountSpec:
    """Pre-state of one account."""

    code: Bytecode | bytes = b""
    balance: int = 0
    nonce: int = 0
    storage: Mapping[int, int] = field(default_factory=dict)


def block_env(number: int = 100, timestamp: int = 1_700_000_000) -> BlockEnv:
    return BlockEnv(
        coinbase=COINBASE,
        number=number,
        timestamp=timestamp,
        gas_limit=30_000_000,
        prev_randao=bytes(32),
        base_fee=7,
        chain_id=1,
    )


def install(state: State, accounts: Mapping[bytes, AccountSpec]) -> None:
    """Write pre-state accounts through the state's own setters."""
    for address, spec in accounts.items():
        if spec.code:
            state.set_code(address, bytes(spec.code))
        state.set_balance(address, spec.balance)
        state.set_nonce(address, spec.nonce)
        for key, value in spec.storage.items():
            state.set_storage(address, key, value)


def run(
    code: Bytecode | bytes,
    *,
    data: bytes = b"",
    gas: int = GAS,
    value: int = 0,
    caller: bytes = SENDER,
    target: bytes = TARGET,
    accounts: Mapping[bytes, AccountSpec] | None = None,
    target_balance: int = 0,
    target_nonce: int = 1,
    target_storage: Mapping[int, int] | None = None,
    warm_slots: Iterable[tuple[bytes, int]] = (),
    is_static: bool = False,
    depth: int = 0,
    block: BlockEnv | None = None,
    blob_hashes: Sequence[bytes] = (),
    state: State | None = None,
    tracer: StepHook | None = None,
) -> tuple[MessageResult, State]:
    """Install `code` at `target` and run a message call to it from `caller`.

    The caller gets `value` wei to send. With `state` given, only `code` is installed (the other
    pre-state arguments are ignored) and no new transaction begins: the call runs in the same
    transaction as the previous one.
    """
    if state is None:
        state = State()
        install(state, dict(accounts or {}))
        install(
            state,
            {
                target: AccountSpec(
                    code=code,
                    balance=target_balance,
                    nonce=target_nonce,
                    storage=dict(target_storage or {}),
                )
            },
        )
        if value:
            state.set_balance(caller, state.get_balance(caller) + value)
        state.begin_transaction(
            warm_accounts=(caller, target, COINBASE, *CANCUN.precompiles),
            warm_slots=warm_slots,
        )
    elif bytes(code) != state.get_code(target):
        state.set_code(target, bytes(code))
    tx = TxEnv(caller, GAS_PRICE, blob_hashes)
    context = Context(state, block or block_env(), tx, CANCUN, tracer)
    message = Message(
        caller=caller,
        target=target,
        code_address=target,
        value=value,
        data=data,
        gas=gas,
        code=state.get_code(target),
        depth=depth,
        is_static=is_static,
    )
    return process_message(message, context), state


def gas_used(result: MessageResult, gas: int = GAS) -> int:
    """Gas the message consumed (before any refund)."""
    return gas - result.gas_left


def word(value: int) -> bytes:
    """A 32-byte big-endian word."""
    return value.to_bytes(32, "big")


def neg(value: int) -> int:
    """Two's-complement stack word of a negative int (-1 -> 2**256 - 1)."""
    return value % 2**256

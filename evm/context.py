"""The per-transaction context every frame shares: the world state, the block and transaction
environment, the fork's rules (opcode table, gas schedule, precompiles) and the optional
tracing callbacks."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from evm.frame import BlockEnv, Message, MessageResult, TxEnv
from evm.state import WorldState

if TYPE_CHECKING:
    from evm.forks import ForkRules
    from evm.tracing import StepHook


class MessageHook(Protocol):
    """Told when each message starts and ends: a transaction's own call or create, every
    CALL, CALLCODE, DELEGATECALL, STATICCALL, CREATE and CREATE2, precompile calls included.

    `enter` comes before the value moves; `exit` after the message's changes are kept or undone
    (for a create, after the code deposit), with `message.gas - result.gas_left` the gas it
    used. `message.kind` names the instruction and `message.depth` the level (0: the
    transaction's). A call that fails before it starts (depth limit, insufficient balance, an
    address collision) makes no message and is not reported. The hook must not change the
    message, the result or the state: it reads them to record.

    The interpreter checks for a hook only where a message starts and ends, never per
    instruction, so a context without one pays a single `is None` test per message.
    """

    def enter(self, message: Message) -> None:
        """The message is about to run."""

    def exit(self, message: Message, result: MessageResult) -> None:
        """The message has ended with `result`."""


@dataclass(slots=True)
class Context:
    """Shared by all frames of one transaction."""

    state: WorldState
    block: BlockEnv
    tx: TxEnv
    rules: "ForkRules"
    tracer: "StepHook | None" = None  # when set, frames run in evm.tracing.run_traced
    message_hook: MessageHook | None = None  # told of each message's start and end
    # Before London, the `to_destroy` sets of the frames on the call stack, outermost first:
    # SELFDESTRUCT is refunded once per account among them (EIP-3529 removed the refund).
    destroy_sets: list[set[bytes]] = field(default_factory=list)

"""The per-transaction context every frame shares: the world state, the block and transaction
environment, and the fork's rules (opcode table, gas schedule, precompiles)."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from evm.frame import BlockEnv, TxEnv
from evm.state import WorldState

if TYPE_CHECKING:
    from evm.forks import ForkRules
    from evm.tracing import StepHook


@dataclass(slots=True)
class Context:
    """Shared by all frames of one transaction."""

    state: WorldState
    block: BlockEnv
    tx: TxEnv
    rules: "ForkRules"
    tracer: "StepHook | None" = None  # when set, frames run in evm.tracing.run_traced
    # Before London, the `to_destroy` sets of the frames on the call stack, outermost first:
    # SELFDESTRUCT is refunded once per account among them (EIP-3529 removed the refund).
    destroy_sets: list[set[bytes]] = field(default_factory=list)

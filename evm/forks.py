"""Fork rules as data: the 256-slot tables the interpreter indexes by opcode byte, the
precompiles and the size limits. A new fork is the previous one with a few changes
(`CANCUN.with_changes(...)`), never a copy of the VM."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from evm.instructions.system import invalid
from evm.opcodes import CANCUN_OPS, STACK_LIMIT, Op
from evm.precompiles import CANCUN_PRECOMPILES, Precompile

MAX_CODE_SIZE = 24576  # EIP-170
MAX_INITCODE_SIZE = 2 * MAX_CODE_SIZE  # EIP-3860


@dataclass(frozen=True)
class ForkRules:
    """Everything that differs between forks, in the shape the interpreter wants it."""

    name: str
    ops: Mapping[int, Op]
    precompiles: Mapping[bytes, Precompile]
    max_code_size: int = MAX_CODE_SIZE
    max_initcode_size: int = MAX_INITCODE_SIZE
    handlers: list = field(init=False, repr=False)
    static_gas: list[int] = field(init=False, repr=False)
    min_stack: list[int] = field(init=False, repr=False)
    max_stack: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Undefined slots: the INVALID handler, free, with no stack requirement.
        handlers = [invalid] * 256
        static_gas = [0] * 256
        min_stack = [0] * 256
        max_stack = [STACK_LIMIT] * 256
        for code, op in self.ops.items():
            handlers[code] = op.handler
            static_gas[code] = op.gas
            min_stack[code] = op.pops
            max_stack[code] = STACK_LIMIT - max(0, op.pushes - op.pops)
        object.__setattr__(self, "handlers", handlers)
        object.__setattr__(self, "static_gas", static_gas)
        object.__setattr__(self, "min_stack", min_stack)
        object.__setattr__(self, "max_stack", max_stack)

    def with_changes(
        self,
        name: str,
        ops: Iterable[Op] = (),
        removed: Iterable[int] = (),
        precompiles: Mapping[bytes, Precompile] | None = None,
        **limits: int,
    ) -> "ForkRules":
        """A later fork: these opcodes added or replaced, these removed, precompiles added."""
        table = dict(self.ops)
        for code in removed:
            table.pop(code, None)
        for op in ops:
            table[op.code] = op
        merged = dict(self.precompiles)
        merged.update(precompiles or {})
        return replace(self, name=name, ops=table, precompiles=merged, **limits)


CANCUN = ForkRules("Cancun", {op.code: op for op in CANCUN_OPS}, CANCUN_PRECOMPILES)

FORKS: dict[str, ForkRules] = {"Cancun": CANCUN}


def rules_for(name: str) -> ForkRules:
    """The rules of fork `name`, or a ValueError listing the forks pyeth knows."""
    try:
        return FORKS[name]
    except KeyError:
        raise ValueError(f"unknown fork {name!r}; known: {', '.join(FORKS)}") from None

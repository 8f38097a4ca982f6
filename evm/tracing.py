"""The traced dispatch loop: `evm.interpreter._run` with a callback before each instruction.

It is a second loop rather than an `if tracer:` inside the first, so that untraced execution
pays nothing for tracing. It must mirror `_run` exactly (same checks, same order); the tests
compare the two on the same programs. It must not change the frame: the callback gets the frame
to read, before the instruction's stack check and gas charge.
"""

from collections.abc import Callable

from evm.errors import OutOfGas, StackOverflow, StackUnderflow
from evm.frame import Frame

StepHook = Callable[[Frame, int], None]
"""Called as `on_step(frame, opcode)` before each instruction, with `frame.pc` at it."""


def run_traced(frame: Frame, on_step: StepHook) -> None:
    """The dispatch loop with `on_step` called before each instruction."""
    rules = frame.context.rules
    handlers = rules.handlers
    static_gas = rules.static_gas
    min_stack = rules.min_stack
    max_stack = rules.max_stack
    code = frame.code
    stack = frame.stack
    while True:
        op = code[frame.pc]
        on_step(frame, op)
        depth = len(stack)
        if depth < min_stack[op]:
            raise StackUnderflow
        if depth > max_stack[op]:
            raise StackOverflow
        gas_left = frame.gas_left - static_gas[op]
        if gas_left < 0:
            raise OutOfGas
        frame.gas_left = gas_left
        frame.pc += 1
        handlers[op](frame)

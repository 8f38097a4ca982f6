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


class StructLogger:
    """An `on_step` hook that produces geth's struct-log steps, one dict per instruction:
    `{"pc", "op", "gas", "gasCost", "memSize", "stack", "depth", "opName"}` (gas and gasCost as
    0x-hex strings, stack items as 0x-hex strings, depth from 1), handed to `emit` in order.

    gasCost is measured, not predicted: the gas before the step minus the gas after it, read at
    the frame's next step or, for its last step, when the frame has ended. A call's cost is
    therefore what it charged less the gas its child gave back. A step is emitted once its cost
    is known, so a CALL's line waits for its child's steps and comes out before them. Call
    `finish()` after the execution to emit the last steps.
    """

    def __init__(self, emit: Callable[[dict[str, object]], None]) -> None:
        self._emit = emit
        self._pending: list[tuple[Frame, dict[str, object], int]] = []  # per open frame
        self._queue: list[dict[str, object]] = []  # steps in order, waiting for their cost

    def __call__(self, frame: Frame, op: int) -> None:
        pending = self._pending
        depth = frame.message.depth
        # Steps of frames that have ended since (deeper ones, or an earlier sibling).
        while pending and pending[-1][0] is not frame and pending[-1][0].message.depth >= depth:
            self._settle(*pending.pop())
        if pending and pending[-1][0] is frame:
            self._settle(*pending.pop())
        ops = frame.context.rules.ops
        step: dict[str, object] = {
            "pc": frame.pc,
            "op": op,
            "gas": hex(frame.gas_left),
            "gasCost": None,
            "memSize": len(frame.memory),
            "stack": [hex(item) for item in frame.stack],
            "depth": depth + 1,
            "opName": ops[op].name if op in ops else f"opcode {op:#04x} not defined",
        }
        pending.append((frame, step, frame.gas_left))
        self._queue.append(step)
        self._flush()

    def finish(self) -> None:
        """Settle the steps still open (the last ones of every frame) and emit them."""
        while self._pending:
            self._settle(*self._pending.pop())
        self._flush()

    def _settle(self, frame: Frame, step: dict[str, object], gas_before: int) -> None:
        step["gasCost"] = hex(gas_before - frame.gas_left)

    def _flush(self) -> None:
        queue = self._queue
        done = 0
        while done < len(queue) and queue[done]["gasCost"] is not None:
            self._emit(queue[done])
            done += 1
        if done:
            del queue[:done]

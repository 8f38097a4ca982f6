"""Stack: POP, PUSH0..PUSH32, DUP1..DUP16, SWAP1..SWAP16.

PUSH immediates were decoded once by `evm.analysis`; the handlers read them by position. The
variants are made by small factories so that each stays a two-line function.
"""

from collections.abc import Callable

from evm.frame import Frame

Handler = Callable[[Frame], None]


def pop(frame: Frame) -> None:
    """POP: drop the top item."""
    frame.stack.pop()


def push0(frame: Frame) -> None:
    """PUSH0: push 0 (EIP-3855)."""
    frame.stack.append(0)


def make_push(width: int) -> Handler:
    """PUSHn: push the n-byte immediate that follows the opcode."""

    def push(frame: Frame) -> None:
        pc = frame.pc
        frame.stack.append(frame.push_values[pc - 1])
        frame.pc = pc + width

    push.__name__ = push.__qualname__ = f"push{width}"
    return push


def make_dup(depth: int) -> Handler:
    """DUPn: copy the n-th item to the top."""
    index = -depth

    def dup(frame: Frame) -> None:
        stack = frame.stack
        stack.append(stack[index])

    dup.__name__ = dup.__qualname__ = f"dup{depth}"
    return dup


def make_swap(depth: int) -> Handler:
    """SWAPn: exchange the top with the (n+1)-th item."""
    index = -depth - 1

    def swap(frame: Frame) -> None:
        stack = frame.stack
        stack[-1], stack[index] = stack[index], stack[-1]

    swap.__name__ = swap.__qualname__ = f"swap{depth}"
    return swap

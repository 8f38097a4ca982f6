"""Comparison: LT, GT, SLT, SGT, EQ, ISZERO (1 for true, 0 for false)."""

from evm.frame import Frame
from evm.instructions.common import to_signed


def lt(frame: Frame) -> None:
    """LT: (a, b) -> a < b."""
    stack = frame.stack
    a = stack.pop()
    stack.append(1 if a < stack.pop() else 0)


def gt(frame: Frame) -> None:
    """GT: (a, b) -> a > b."""
    stack = frame.stack
    a = stack.pop()
    stack.append(1 if a > stack.pop() else 0)


def slt(frame: Frame) -> None:
    """SLT: signed a < b."""
    stack = frame.stack
    a = to_signed(stack.pop())
    stack.append(1 if a < to_signed(stack.pop()) else 0)


def sgt(frame: Frame) -> None:
    """SGT: signed a > b."""
    stack = frame.stack
    a = to_signed(stack.pop())
    stack.append(1 if a > to_signed(stack.pop()) else 0)


def eq(frame: Frame) -> None:
    """EQ: (a, b) -> a == b."""
    stack = frame.stack
    stack.append(1 if stack.pop() == stack.pop() else 0)


def iszero(frame: Frame) -> None:
    """ISZERO: a -> a == 0."""
    stack = frame.stack
    stack.append(0 if stack.pop() else 1)

"""Control flow: STOP, JUMP, JUMPI, PC, GAS, JUMPDEST."""

from evm.errors import InvalidJump
from evm.frame import Frame


class Stop(Exception):
    """Raised by STOP, RETURN and SELFDESTRUCT to leave the loop: cheaper than a flag per step."""


def stop(frame: Frame) -> None:
    """STOP: halt with empty output."""
    raise Stop


def jump(frame: Frame) -> None:
    """JUMP: dest -> continue at dest, which must be a JUMPDEST."""
    destination = frame.stack.pop()
    if destination >= len(frame.jumpdests) or not frame.jumpdests[destination]:
        raise InvalidJump
    frame.pc = destination


def jumpi(frame: Frame) -> None:
    """JUMPI: (dest, cond) -> jump to dest if cond is non-zero."""
    stack = frame.stack
    destination = stack.pop()
    if stack.pop():
        if destination >= len(frame.jumpdests) or not frame.jumpdests[destination]:
            raise InvalidJump
        frame.pc = destination


def pc(frame: Frame) -> None:
    """PC: the position of this instruction."""
    frame.stack.append(frame.pc - 1)


def gas(frame: Frame) -> None:
    """GAS: gas left after paying for this instruction."""
    frame.stack.append(frame.gas_left)


def jumpdest(frame: Frame) -> None:
    """JUMPDEST: marks a valid jump target; does nothing."""

"""Bitwise: AND, OR, XOR, NOT, BYTE, SHL, SHR, SAR."""

from evm.frame import Frame
from evm.instructions.common import UINT256_MAX, to_signed


def and_(frame: Frame) -> None:
    """AND: (a, b) -> a & b."""
    stack = frame.stack
    stack.append(stack.pop() & stack.pop())


def or_(frame: Frame) -> None:
    """OR: (a, b) -> a | b."""
    stack = frame.stack
    stack.append(stack.pop() | stack.pop())


def xor(frame: Frame) -> None:
    """XOR: (a, b) -> a ^ b."""
    stack = frame.stack
    stack.append(stack.pop() ^ stack.pop())


def not_(frame: Frame) -> None:
    """NOT: a -> ~a (256-bit)."""
    stack = frame.stack
    stack.append(UINT256_MAX ^ stack.pop())


def byte(frame: Frame) -> None:
    """BYTE: (i, x) -> the i-th byte of x counted from the most significant; 0 if i >= 32."""
    stack = frame.stack
    index = stack.pop()
    value = stack.pop()
    stack.append((value >> (248 - index * 8)) & 0xFF if index < 32 else 0)


def shl(frame: Frame) -> None:
    """SHL: (shift, value) -> value << shift."""
    stack = frame.stack
    shift = stack.pop()
    value = stack.pop()
    stack.append((value << shift) & UINT256_MAX if shift < 256 else 0)


def shr(frame: Frame) -> None:
    """SHR: (shift, value) -> value >> shift (logical)."""
    stack = frame.stack
    shift = stack.pop()
    value = stack.pop()
    stack.append(value >> shift if shift < 256 else 0)


def sar(frame: Frame) -> None:
    """SAR: (shift, value) -> value >> shift (arithmetic, sign-filling)."""
    stack = frame.stack
    shift = stack.pop()
    value = to_signed(stack.pop())
    stack.append((value >> min(shift, 256)) & UINT256_MAX)


def clz(frame: Frame) -> None:
    """CLZ: x -> the number of leading zero bits of x, 256 for 0 (EIP-7939, Osaka)."""
    stack = frame.stack
    stack.append(256 - stack.pop().bit_length())

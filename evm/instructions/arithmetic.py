"""Arithmetic: ADD, MUL, SUB, DIV, SDIV, MOD, SMOD, ADDMOD, MULMOD, EXP, SIGNEXTEND.

Words are plain ints in [0, 2**256). Python's // and % round towards minus infinity, so the signed
operations work on magnitudes and put the sign back, as the EVM truncates towards zero.
"""

from evm.frame import Frame
from evm.gas import GAS_EXP_BYTE
from evm.instructions.common import UINT256_CEILING, UINT256_MAX, charge, to_signed


def add(frame: Frame) -> None:
    """ADD: (a, b) -> a + b."""
    stack = frame.stack
    stack.append((stack.pop() + stack.pop()) & UINT256_MAX)


def mul(frame: Frame) -> None:
    """MUL: (a, b) -> a * b."""
    stack = frame.stack
    stack.append((stack.pop() * stack.pop()) & UINT256_MAX)


def sub(frame: Frame) -> None:
    """SUB: (a, b) -> a - b."""
    stack = frame.stack
    a = stack.pop()
    stack.append((a - stack.pop()) & UINT256_MAX)


def div(frame: Frame) -> None:
    """DIV: (a, b) -> a // b, or 0 when b is 0."""
    stack = frame.stack
    a = stack.pop()
    b = stack.pop()
    stack.append(a // b if b else 0)


def sdiv(frame: Frame) -> None:
    """SDIV: signed division truncating towards zero; 0 when b is 0."""
    stack = frame.stack
    a = to_signed(stack.pop())
    b = to_signed(stack.pop())
    if b == 0:
        stack.append(0)
        return
    quotient = abs(a) // abs(b)
    if (a < 0) != (b < 0):
        quotient = -quotient
    stack.append(quotient & UINT256_MAX)


def mod(frame: Frame) -> None:
    """MOD: (a, b) -> a % b, or 0 when b is 0."""
    stack = frame.stack
    a = stack.pop()
    b = stack.pop()
    stack.append(a % b if b else 0)


def smod(frame: Frame) -> None:
    """SMOD: signed remainder taking the sign of a; 0 when b is 0."""
    stack = frame.stack
    a = to_signed(stack.pop())
    b = to_signed(stack.pop())
    if b == 0:
        stack.append(0)
        return
    remainder = abs(a) % abs(b)
    stack.append((-remainder if a < 0 else remainder) & UINT256_MAX)


def addmod(frame: Frame) -> None:
    """ADDMOD: (a, b, n) -> (a + b) % n without overflow, or 0 when n is 0."""
    stack = frame.stack
    a = stack.pop()
    b = stack.pop()
    n = stack.pop()
    stack.append((a + b) % n if n else 0)


def mulmod(frame: Frame) -> None:
    """MULMOD: (a, b, n) -> (a * b) % n without overflow, or 0 when n is 0."""
    stack = frame.stack
    a = stack.pop()
    b = stack.pop()
    n = stack.pop()
    stack.append((a * b) % n if n else 0)


def exp(frame: Frame) -> None:
    """EXP: (a, b) -> a ** b; 50 gas per byte of the exponent on top of the static cost."""
    stack = frame.stack
    base = stack.pop()
    exponent = stack.pop()
    if exponent:
        charge(frame, GAS_EXP_BYTE * ((exponent.bit_length() + 7) >> 3))
    stack.append(pow(base, exponent, UINT256_CEILING))


def signextend(frame: Frame) -> None:
    """SIGNEXTEND: (b, x) -> x sign-extended from its byte b (counted from the low end)."""
    stack = frame.stack
    byte_index = stack.pop()
    value = stack.pop()
    if byte_index < 31:
        bit = byte_index * 8 + 7
        low_mask = (1 << (bit + 1)) - 1
        if value >> bit & 1:
            value = (value | ~low_mask) & UINT256_MAX
        else:
            value &= low_mask
    stack.append(value)

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


def signed_div(a: int, b: int) -> int:
    """SDIV on words: signed division truncating towards zero; 0 when b is 0."""
    a = to_signed(a)
    b = to_signed(b)
    if b == 0:
        return 0
    quotient = abs(a) // abs(b)
    return (-quotient if (a < 0) != (b < 0) else quotient) & UINT256_MAX


def sdiv(frame: Frame) -> None:
    """SDIV: (a, b) -> a / b, signed, truncating towards zero; 0 when b is 0."""
    stack = frame.stack
    a = stack.pop()
    stack.append(signed_div(a, stack.pop()))


def mod(frame: Frame) -> None:
    """MOD: (a, b) -> a % b, or 0 when b is 0."""
    stack = frame.stack
    a = stack.pop()
    b = stack.pop()
    stack.append(a % b if b else 0)


def signed_mod(a: int, b: int) -> int:
    """SMOD on words: the remainder takes the sign of a; 0 when b is 0."""
    a = to_signed(a)
    b = to_signed(b)
    if b == 0:
        return 0
    remainder = abs(a) % abs(b)
    return (-remainder if a < 0 else remainder) & UINT256_MAX


def smod(frame: Frame) -> None:
    """SMOD: (a, b) -> a % b, signed; 0 when b is 0."""
    stack = frame.stack
    a = stack.pop()
    stack.append(signed_mod(a, stack.pop()))


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


def sign_extend(byte_index: int, value: int) -> int:
    """SIGNEXTEND on words: extend the sign bit of byte `byte_index` (from the low end)."""
    if byte_index >= 31:
        return value
    bit = byte_index * 8 + 7
    low_mask = (1 << (bit + 1)) - 1
    if value >> bit & 1:
        return (value | ~low_mask) & UINT256_MAX
    return value & low_mask


def signextend(frame: Frame) -> None:
    """SIGNEXTEND: (b, x) -> x sign-extended from its byte b."""
    stack = frame.stack
    byte_index = stack.pop()
    stack.append(sign_extend(byte_index, stack.pop()))

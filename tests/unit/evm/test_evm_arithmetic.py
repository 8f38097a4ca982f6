"""Arithmetic opcodes as tables of (a, b, expected): ADD .. SIGNEXTEND, with the signed cases of
SDIV and SMOD and the per-byte gas of EXP. Each program computes one value and returns it; the
gas asserted is the whole program's, from the Yellow Paper's static costs."""

import pytest

from tests.helpers.bytecode import RETURN_WORD_GAS, Op, push_gas, return_word
from tests.helpers.execution import gas_used, neg, run, word

MAX = 2**256 - 1
MIN_SIGNED = neg(-(2**255))  # 0x80..00, the most negative word
MAX_SIGNED = 2**255 - 1

# Static gas per opcode (Yellow Paper appendix G: W_verylow 3, W_low 5, W_mid 8, EXP 10).
STATIC_GAS = {
    "ADD": 3,
    "MUL": 5,
    "SUB": 3,
    "DIV": 5,
    "SDIV": 5,
    "MOD": 5,
    "SMOD": 5,
    "ADDMOD": 8,
    "MULMOD": 8,
    "EXP": 10,
    "SIGNEXTEND": 5,
}

BINARY_CASES = {
    "ADD": [
        (1, 2, 3),
        (0, 0, 0),
        (MAX, 1, 0),
        (MAX, MAX, MAX - 1),
        (MIN_SIGNED, MIN_SIGNED, 0),
    ],
    "MUL": [
        (3, 4, 12),
        (0, MAX, 0),
        (MAX, 2, MAX - 1),
        (MAX, MAX, 1),
        (2**128, 2**128, 0),
        (2**127, 2**128, 2**255),
    ],
    "SUB": [
        (10, 3, 7),
        (3, 10, neg(-7)),
        (0, 1, MAX),
        (0, MAX, 1),
        (MAX, MAX, 0),
    ],
    "DIV": [
        (10, 3, 3),
        (1, 2, 0),
        (10, 0, 0),
        (0, 0, 0),
        (MAX, 2, MAX_SIGNED),
        (MAX, MAX, 1),
        (MIN_SIGNED, neg(-1), 0),  # unsigned: 2**255 // (2**256 - 1)
    ],
    "SDIV": [
        (10, 3, 3),
        (neg(-10), 3, neg(-3)),  # truncates towards zero, not -4
        (10, neg(-3), neg(-3)),
        (neg(-10), neg(-3), 3),
        (neg(-1), 2, 0),
        (neg(-7), 2, neg(-3)),
        (7, 0, 0),
        (neg(-7), 0, 0),
        (MIN_SIGNED, neg(-1), MIN_SIGNED),  # overflow: -2**255 / -1 wraps to -2**255
        (MIN_SIGNED, 1, MIN_SIGNED),
        (MIN_SIGNED, 2, neg(-(2**254))),
        (MAX_SIGNED, neg(-1), neg(-MAX_SIGNED)),
    ],
    "MOD": [
        (10, 3, 1),
        (10, 0, 0),
        (3, 10, 3),
        (MAX, 2**255, MAX_SIGNED),
        (neg(-10), 3, (2**256 - 10) % 3),  # unsigned
    ],
    "SMOD": [
        (10, 3, 1),
        (neg(-10), 3, neg(-1)),  # the result takes the sign of the dividend
        (10, neg(-3), 1),
        (neg(-10), neg(-3), neg(-1)),
        (neg(-8), 3, neg(-2)),
        (5, 0, 0),
        (neg(-5), 0, 0),
        (MIN_SIGNED, neg(-1), 0),
        (MIN_SIGNED, 3, neg(-2)),  # -2**255 = 3 * -(2**255 // 3) - 2
        (MAX_SIGNED, MIN_SIGNED, MAX_SIGNED),
    ],
    "EXP": [
        (2, 10, 1024),
        (0, 0, 1),
        (0, 5, 0),
        (2, 255, 2**255),
        (2, 256, 0),
        (MAX, 2, 1),  # (-1)**2
        (MAX, 3, MAX),
        (3, MAX, pow(3, MAX, 2**256)),
    ],
    "SIGNEXTEND": [  # (byte index b, value x)
        (0, 0xFF, MAX),
        (0, 0x7F, 0x7F),
        (0, 0x1FF, MAX),  # bits above the sign byte are replaced
        (0, 0x17F, 0x7F),
        (1, 0x8000, MAX - 0x7FFF),
        (1, 0x7FFF, 0x7FFF),
        (30, 2**247, neg(-(2**247))),
        (31, 0x80, 0x80),  # byte 31 is the whole word: unchanged
        (31, MIN_SIGNED, MIN_SIGNED),
        (32, MAX, MAX),
        (2**255, 0x80, 0x80),
        (MAX, 0xFF, 0xFF),
    ],
}

TERNARY_CASES = {
    "ADDMOD": [
        (10, 10, 8, 4),
        (1, 2, 10, 3),
        (MAX, 2, 2, 1),  # (2**256 + 1) % 2: no wrap at 2**256
        (MAX, MAX, MAX, 0),
        (MAX, 1, 7, 2**256 % 7),
        (5, 6, 0, 0),
    ],
    "MULMOD": [
        (10, 10, 8, 4),
        (MAX, MAX, 12, 9),  # MAX = 3 (mod 12): 3 * 3
        (2**255, 2, MAX, 1),  # 2**256 = 1 (mod 2**256 - 1)
        (MAX, MAX, 0, 0),
        (7, 0, 5, 0),
    ],
}


def _binary(name: str):
    return [
        pytest.param(name, a, b, out, id=f"{name}-{a:#x}-{b:#x}")
        for a, b, out in BINARY_CASES[name]
    ]


@pytest.mark.parametrize(
    "name,a,b,expected",
    [case for name in BINARY_CASES if name != "EXP" for case in _binary(name)],
)
def test_binary_arithmetic(name: str, a: int, b: int, expected: int) -> None:
    opcode = getattr(Op, name)
    result, _ = run(return_word(opcode(a, b)))
    assert result.success
    assert result.output == word(expected)
    assert gas_used(result) == push_gas(a) + push_gas(b) + STATIC_GAS[name] + RETURN_WORD_GAS


@pytest.mark.parametrize(
    "name,a,b,n,expected",
    [
        pytest.param(name, a, b, n, out, id=f"{name}-{a:#x}-{b:#x}-{n:#x}")
        for name, cases in TERNARY_CASES.items()
        for a, b, n, out in cases
    ],
)
def test_ternary_arithmetic(name: str, a: int, b: int, n: int, expected: int) -> None:
    opcode = getattr(Op, name)
    result, _ = run(return_word(opcode(a, b, n)))
    assert result.success
    assert result.output == word(expected)
    assert gas_used(result) == (
        push_gas(a) + push_gas(b) + push_gas(n) + STATIC_GAS[name] + RETURN_WORD_GAS
    )


def _exponent_bytes(exponent: int) -> int:
    return (exponent.bit_length() + 7) // 8


@pytest.mark.parametrize("base,exponent,expected", BINARY_CASES["EXP"])
def test_exp_value(base: int, exponent: int, expected: int) -> None:
    result, _ = run(return_word(Op.EXP(base, exponent)))
    assert result.success
    assert result.output == word(expected)
    exp_gas = 10 + 50 * _exponent_bytes(exponent)
    assert gas_used(result) == push_gas(base) + push_gas(exponent) + exp_gas + RETURN_WORD_GAS


@pytest.mark.parametrize(
    "exponent,exp_gas",
    [
        (0, 10),
        (1, 60),
        (0xFF, 60),
        (0x100, 110),
        (0xFFFF, 110),
        (0x10000, 160),
        (2**248 - 1, 10 + 50 * 31),
        (2**248, 10 + 50 * 32),
        (2**255, 10 + 50 * 32),
        (MAX, 10 + 50 * 32),
    ],
)
def test_exp_gas_per_exponent_byte(exponent: int, exp_gas: int) -> None:
    """EIP-160: 10 static gas plus 50 per byte of the exponent."""
    result, _ = run(Op.EXP(3, exponent) + Op.STOP)
    assert result.success
    assert gas_used(result) == 3 + push_gas(exponent) + exp_gas


def test_exp_out_of_gas_on_the_byte_charge() -> None:
    """Enough gas for the pushes and the static 10, not for the 50 per byte: all gas burnt."""
    code = Op.EXP(3, 0x100)
    result, _ = run(code, gas=3 + 3 + 10 + 99)
    assert not result.success
    assert result.gas_left == 0
    result, _ = run(code, gas=3 + 3 + 10 + 100)
    assert result.success
    assert result.gas_left == 0


@pytest.mark.parametrize("name", sorted(STATIC_GAS))
def test_underflow_with_one_operand_too_few(name: str) -> None:
    opcode = getattr(Op, name)
    operands = opcode.pops - 1
    result, _ = run(Op.PUSH1[1] * operands + opcode)
    assert not result.success
    assert result.gas_left == 0

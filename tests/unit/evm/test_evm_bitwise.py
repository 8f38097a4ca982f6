"""Comparison and bitwise opcodes as tables: LT .. ISZERO, AND .. NOT, BYTE, and the EIP-145
shift test vectors for SHL, SHR and SAR (plus shifts far past 256). All cost 3 gas."""

import pytest

from tests.helpers.bytecode import RETURN_WORD_GAS, Op, push_gas, return_word
from tests.helpers.execution import gas_used, neg, run, word

MAX = 2**256 - 1
MIN_SIGNED = 2**255  # 0x80..00
MAX_SIGNED = 2**255 - 1
BYTES_1_TO_32 = int.from_bytes(bytes(range(1, 33)), "big")  # 0x0102..20

BINARY_CASES = {
    "LT": [(1, 2, 1), (2, 1, 0), (1, 1, 0), (0, MAX, 1), (MAX, 0, 0)],
    "GT": [(1, 2, 0), (2, 1, 1), (1, 1, 0), (MAX, 0, 1), (0, MAX, 0)],
    "SLT": [
        (neg(-1), 0, 1),
        (0, neg(-1), 0),
        (MIN_SIGNED, MAX_SIGNED, 1),
        (MAX_SIGNED, MIN_SIGNED, 0),
        (neg(-2), neg(-1), 1),
        (5, 5, 0),
    ],
    "SGT": [
        (0, neg(-1), 1),
        (neg(-1), 0, 0),
        (MAX_SIGNED, MIN_SIGNED, 1),
        (MIN_SIGNED, MAX_SIGNED, 0),
        (neg(-1), neg(-2), 1),
        (5, 5, 0),
    ],
    "EQ": [(0, 0, 1), (MAX, MAX, 1), (1, 2, 0), (MAX, MAX - 1, 0)],
    "AND": [(0xF0, 0x3C, 0x30), (MAX, 0x1234, 0x1234), (MAX, 0, 0)],
    "OR": [(0xF0, 0x0F, 0xFF), (MAX, 0x1234, MAX), (0, 0, 0)],
    "XOR": [(0xF0, 0x3C, 0xCC), (MAX, MAX, 0), (MAX, 0, MAX)],
    "BYTE": [  # (index from the most significant byte, value)
        (0, BYTES_1_TO_32, 0x01),
        (1, BYTES_1_TO_32, 0x02),
        (31, BYTES_1_TO_32, 0x20),
        (32, BYTES_1_TO_32, 0),
        (2**255, BYTES_1_TO_32, 0),
        (MAX, MAX, 0),
        (31, 0xAB, 0xAB),
        (30, 0xAB, 0),
    ],
    # EIP-145 test vectors, as (shift, value, result).
    "SHL": [
        (0x00, 0x01, 0x01),
        (0x01, 0x01, 0x02),
        (0xFF, 0x01, MIN_SIGNED),
        (0x100, 0x01, 0),
        (0x101, 0x01, 0),
        (0x00, MAX, MAX),
        (0x01, MAX, MAX - 1),
        (0xFF, MAX, MIN_SIGNED),
        (0x100, MAX, 0),
        (0x01, 0, 0),
        (0x01, MAX_SIGNED, MAX - 1),
        (MAX, MAX, 0),
        (2**64, 1, 0),
    ],
    "SHR": [
        (0x00, 0x01, 0x01),
        (0x01, 0x01, 0),
        (0x01, MIN_SIGNED, 2**254),
        (0xFF, MIN_SIGNED, 1),
        (0x100, MIN_SIGNED, 0),
        (0x101, MIN_SIGNED, 0),
        (0x00, MAX, MAX),
        (0x01, MAX, MAX_SIGNED),
        (0xFF, MAX, 1),
        (0x100, MAX, 0),
        (0x01, 0, 0),
        (MAX, MAX, 0),
    ],
    "SAR": [
        (0x00, 0x01, 0x01),
        (0x01, 0x01, 0),
        (0x01, MIN_SIGNED, 0xC0 << 248),
        (0xFF, MIN_SIGNED, MAX),
        (0x100, MIN_SIGNED, MAX),
        (0x101, MIN_SIGNED, MAX),
        (0x00, MAX, MAX),
        (0x01, MAX, MAX),
        (0xFF, MAX, MAX),
        (0x100, MAX, MAX),
        (0x01, 0, 0),
        (0xFE, 2**254, 1),
        (0xF8, MAX_SIGNED, 0x7F),
        (0xFE, MAX_SIGNED, 1),
        (0xFF, MAX_SIGNED, 0),
        (0x100, MAX_SIGNED, 0),
        (MAX, MIN_SIGNED, MAX),
        (MAX, MAX_SIGNED, 0),
        (0x04, neg(-0x100), neg(-0x10)),
        (0x04, neg(-0x101), neg(-0x11)),  # rounds towards minus infinity
    ],
}

UNARY_CASES = {
    "ISZERO": [(0, 1), (1, 0), (MAX, 0)],
    "NOT": [(0, MAX), (MAX, 0), (0xF0, MAX - 0xF0)],
}


@pytest.mark.parametrize(
    "name,a,b,expected",
    [
        pytest.param(name, a, b, out, id=f"{name}-{a:#x}-{b:#x}")
        for name, cases in BINARY_CASES.items()
        for a, b, out in cases
    ],
)
def test_binary(name: str, a: int, b: int, expected: int) -> None:
    result, _ = run(return_word(getattr(Op, name)(a, b)))
    assert result.success
    assert result.output == word(expected)
    assert gas_used(result) == push_gas(a) + push_gas(b) + 3 + RETURN_WORD_GAS


@pytest.mark.parametrize(
    "name,a,expected",
    [
        pytest.param(name, a, out, id=f"{name}-{a:#x}")
        for name, cases in UNARY_CASES.items()
        for a, out in cases
    ],
)
def test_unary(name: str, a: int, expected: int) -> None:
    result, _ = run(return_word(getattr(Op, name)(a)))
    assert result.success
    assert result.output == word(expected)
    assert gas_used(result) == push_gas(a) + 3 + RETURN_WORD_GAS


def test_operand_order_is_top_first() -> None:
    """LT(a, b) compares the top of the stack with the item below it: PUSH 2, PUSH 1, LT = 1."""
    code = Op.PUSH1[2] + Op.PUSH1[1] + Op.LT + Op.PUSH0 + Op.MSTORE + Op.RETURN(0, 32)
    assert bytes(Op.LT(1, 2))[:4] == bytes(Op.PUSH1[2] + Op.PUSH1[1])
    result, _ = run(code)
    assert result.output == word(1)

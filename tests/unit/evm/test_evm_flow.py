"""Control flow and the stack: JUMP/JUMPI (only onto a JUMPDEST that is not PUSH data), PC, GAS,
invalid opcodes, stack underflow and the 1024-item limit, PUSH0..PUSH32, DUP/SWAP, and a PUSH
truncated by the end of the code reading zeros."""

import pytest

from evm.frame import Frame
from tests.helpers.bytecode import Bytecode, Op, return_word
from tests.helpers.execution import TARGET, gas_used, run, word


def test_jump_to_a_jumpdest() -> None:
    # 0: PUSH1 4, 2: JUMP, 3: INVALID, 4: JUMPDEST, then return 7.
    code = Op.JUMP(4) + Op.INVALID + Op.JUMPDEST + return_word(7)
    assert bytes(code)[4] == 0x5B
    result, _ = run(code)
    assert result.success
    assert result.output == word(7)
    assert gas_used(result) == 3 + 8 + 1 + 3 + 13


@pytest.mark.parametrize("jump", ["JUMP", "JUMPI"])
def test_jump_into_push_data_halts(jump: str) -> None:
    # [PUSH1 1,] PUSH1 dest, JUMP(I), then PUSH1 0x5b whose immediate (0x5b) is not a JUMPDEST.
    args = (4,) if jump == "JUMP" else (6, 1)
    code = getattr(Op, jump)(*args) + Op.PUSH1[0x5B] + Op.JUMPDEST + Op.STOP
    target = args[0]
    assert bytes(code)[target] == 0x5B and bytes(code)[target - 1] == 0x60
    result, _ = run(code)
    assert not result.success
    assert result.gas_left == 0
    # The real JUMPDEST right after it is fine.
    ok, _ = run(getattr(Op, jump)(target + 1, *args[1:]) + Op.PUSH1[0x5B] + Op.JUMPDEST + Op.STOP)
    assert ok.success


def test_jumpdest_inside_push32_data_is_not_a_target() -> None:
    data = bytes([0x5B] * 32)
    code = Op.JUMP(10) + Op.PUSH32[data] + Op.JUMPDEST + Op.STOP
    result, _ = run(code)
    assert not result.success
    jump_after = Op.JUMP(36) + Op.PUSH32[data] + Op.JUMPDEST + Op.STOP
    assert bytes(jump_after)[36] == 0x5B
    assert run(jump_after)[0].success


def test_jumpi_not_taken_ignores_the_destination() -> None:
    code = Op.JUMPI(0xFFFF, 0) + return_word(1)
    result, _ = run(code)
    assert result.success
    assert result.output == word(1)
    assert gas_used(result) == 2 + 3 + 10 + 3 + 13


@pytest.mark.parametrize("destination", [3, 100, 2**64, 2**256 - 1])
def test_jump_outside_or_onto_a_non_jumpdest_halts(destination: int) -> None:
    result, _ = run(Op.JUMP(destination) + Op.STOP)
    assert not result.success
    assert result.gas_left == 0


def test_jump_to_the_end_of_code_halts() -> None:
    """len(code) is the implicit STOP, but it is not a JUMPDEST."""
    code = Op.JUMP(3) + Op.STOP
    assert len(code) == 4
    assert not run(Op.JUMP(4) + Op.STOP)[0].success


def test_pc_and_gas() -> None:
    code = Op.PUSH0 + Op.POP + Op.SSTORE(0, Op.PC) + Op.SSTORE(1, Op.GAS) + Op.STOP
    result, state = run(code, gas=100_000)
    assert result.success
    assert state.get_storage(TARGET, 0) == 2
    # GAS reads the gas left after its own 2: 100000 - (2 + 2 + 2 + 2 + 22100) - 2.
    assert state.get_storage(TARGET, 1) == 100_000 - (2 + 2 + 2 + 2 + 22100) - 2


@pytest.mark.parametrize(
    "opcode",
    [0x0C, 0x1E, 0x21, 0x4B, 0xA5, 0xB0, 0xEF, 0xF6, 0xFB, 0xFE],
)
def test_invalid_and_undefined_opcodes_burn_all_gas(opcode: int) -> None:
    result, _ = run(Op.SSTORE(0, 1) + Bytecode(bytes([opcode])))
    assert not result.success
    assert result.gas_left == 0
    assert result.output == b""


# --- stack limits -------------------------------------------------------------------------


def test_1024_items_are_fine_and_the_1025th_overflows() -> None:
    full = Op.PUSH0 * 1024
    result, _ = run(full + Op.STOP)
    assert result.success
    assert gas_used(result) == 2 * 1024
    result, _ = run(full + Op.PUSH0 + Op.STOP)
    assert not result.success
    assert result.gas_left == 0


@pytest.mark.parametrize(
    "last,overflows",
    [
        (Op.DUP1, True),
        (Op.PUSH1[1], True),
        (Op.SWAP1, False),  # pops and pushes as many as it takes
        (Op.ADD, False),
        (Op.POP, False),
        (Op.MSIZE, True),
    ],
)
def test_opcode_on_a_full_stack(last: Bytecode, overflows: bool) -> None:
    result, _ = run(Op.PUSH0 * 1024 + last + Op.STOP)
    assert result.success is not overflows


@pytest.mark.parametrize(
    "code",
    [
        Op.ADD,
        Op.PUSH0 + Op.ADD,
        Op.PUSH0 + Op.PUSH0 + Op.ADDMOD,
        Op.POP,
        Op.PUSH0 * 15 + Op.DUP16,
        Op.PUSH0 * 16 + Op.SWAP16,
        Op.PUSH0 * 3 + Op.LOG2,
        Op.PUSH0 * 6 + Op.CALL,
        Op.JUMP,
        Op.SSTORE(0, 1) + Op.PUSH0 + Op.SSTORE,
    ],
    ids=lambda code: code.hex(),
)
def test_stack_underflow_burns_all_gas(code: Bytecode) -> None:
    result, state = run(code + Op.STOP)
    assert not result.success
    assert result.gas_left == 0
    assert state.get_storage(TARGET, 0) == 0


def test_dup_and_swap_reach_16_deep() -> None:
    setup = b"".join(bytes(Op.PUSH1[i]) for i in range(1, 18))  # 1 .. 17, 17 on top
    result, _ = run(setup + Op.DUP16 + Op.PUSH0 + Op.MSTORE + Op.RETURN(0, 32))
    assert result.output == word(2)
    result, _ = run(setup + Op.SWAP16 + Op.PUSH0 + Op.MSTORE + Op.RETURN(0, 32))
    assert result.output == word(1)


# --- PUSH ---------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [1, 2, 16, 31, 32])
def test_push_widths(width: int) -> None:
    value = int.from_bytes(bytes(range(0xA1, 0xA1 + width)), "big")
    push = getattr(Op, f"PUSH{width}")
    result, _ = run(push[value] + Op.PUSH0 + Op.MSTORE + Op.RETURN(0, 32))
    assert result.output == word(value)
    assert gas_used(result) == 3 + 2 + 3 + 3 + 3 + 2


def _stack_at_end(code: Bytecode) -> tuple[list[int], int]:
    """The stack and gas left seen at the implicit STOP after the last instruction (traced)."""
    seen: list[tuple[list[int], int]] = []

    def on_step(frame: Frame, op: int) -> None:
        seen.append((list(frame.stack), frame.gas_left))

    result, _ = run(code, tracer=on_step)
    assert result.success
    return seen[-1]


@pytest.mark.parametrize(
    "code,expected",
    [
        (Bytecode(bytes([0x61, 0x01])), 0x0100),  # PUSH2 with one byte: the missing byte is 0
        (Bytecode(bytes([0x7F, 0xFF])), 0xFF << 248),  # PUSH32 with one byte
        (Bytecode(bytes([0x7F])), 0),  # PUSH32 with none
        (Bytecode(bytes([0x60])), 0),  # PUSH1 with none
        (Op.PUSH1[1] + bytes([0x63, 0xAA, 0xBB]), 0xAABB0000),  # PUSH4 with two
    ],
    ids=lambda case: case.hex() if isinstance(case, Bytecode) else hex(case),
)
def test_push_truncated_by_the_end_of_code_reads_zeros(code: Bytecode, expected: int) -> None:
    stack, gas_left = _stack_at_end(code)
    assert stack[-1] == expected
    assert 1_000_000 - gas_left == 3 * (len(stack))


def test_truncated_push_then_a_jump_past_the_end_halts() -> None:
    """A JUMPDEST byte inside the truncated PUSH's missing bytes does not exist."""
    code = Op.JUMP(4) + Bytecode(bytes([0x61, 0x5B]))
    result, _ = run(code)
    assert not result.success

"""The test opcode builder (`tests.helpers.bytecode`): argument order, push widths, immediates,
concatenation, and that it covers the opcode table exactly."""

import pytest

from evm.opcodes import CANCUN_OPS
from tests.helpers.bytecode import Bytecode, Op, initcode, mstore_bytes, push
from tests.helpers.execution import run


def test_every_table_opcode_is_there_with_its_byte() -> None:
    assert {op.name: op.byte for op in Op} == {row.name: row.code for row in CANCUN_OPS}
    assert bytes(Op.ADD) == b"\x01"
    assert bytes(Op.SELFDESTRUCT) == b"\xff"


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="SHA3"):
        _ = Op.SHA3


def test_first_argument_ends_on_top() -> None:
    # SUB(10, 3) = 10 - 3: push 3, push 10, SUB.
    assert bytes(Op.SUB(10, 3)) == bytes.fromhex("6003600a03")
    # SSTORE(1, ADD(2, 3)): push 3, push 2, ADD, push 1, SSTORE.
    assert bytes(Op.SSTORE(1, Op.ADD(2, 3))) == bytes.fromhex("6003600201600155")


@pytest.mark.parametrize(
    "value,expected",
    [
        (0, "5f"),
        (1, "6001"),
        (0xFF, "60ff"),
        (0x100, "610100"),
        (2**256 - 1, "7f" + "ff" * 32),
        (b"\x00\x01", "610001"),  # bytes keep their width
    ],
)
def test_smallest_push(value: int | bytes, expected: str) -> None:
    assert push(value).hex() == expected


@pytest.mark.parametrize("value", [-1, 2**256, b"", bytes(33)])
def test_unpushable_values(value: int | bytes) -> None:
    with pytest.raises(ValueError):
        push(value)


def test_push_immediates() -> None:
    assert bytes(Op.PUSH2[0x1234]) == bytes.fromhex("611234")
    assert bytes(Op.PUSH2(0x1234)) == bytes.fromhex("611234")
    assert bytes(Op.PUSH3[b"\x01\x02\x03"]) == bytes.fromhex("62010203")
    assert bytes(Op.PUSH1[0]) == bytes.fromhex("6000")
    assert bytes(Op.PUSH2) == b"\x61"  # bare: a truncated push
    with pytest.raises(ValueError):
        Op.PUSH1[0x100]
    with pytest.raises(ValueError):
        Op.PUSH2[b"\x01"]
    with pytest.raises(TypeError):
        Op.ADD[1]


def test_too_many_arguments() -> None:
    with pytest.raises(TypeError, match="at most 2"):
        Op.ADD(1, 2, 3)


def test_concatenation_and_conversion() -> None:
    code = Op.PUSH0 + b"\x01" + Op.STOP
    assert isinstance(code, Bytecode)
    assert bytes(code) == b"\x5f\x01\x00"
    assert bytes(b"\xfe" + Op.STOP) == b"\xfe\x00"
    assert Op.STOP * 3 == b"\x00\x00\x00"
    assert len(Op.PUSH32[0]) == 33
    assert code.hex() == "5f0100"
    assert code == Bytecode(b"\x5f\x01\x00")


def test_helpers_run() -> None:
    data = bytes(range(40))
    result, _ = run(mstore_bytes(3, data) + Op.RETURN(3, 40))
    assert result.output == data
    runtime = Op.STOP + b"\xaa\xbb"
    result, _ = run(initcode(runtime))
    assert result.output == bytes(runtime)

"""The traced loop (`evm.tracing.run_traced`) against the untraced one: the same programs must
end the same way (success, gas, output, refund, logs, storage), the hook must see every
instruction before it runs, and `StructLogger` must price each step by the gas it took."""

import pytest

from evm.frame import Frame
from evm.tracing import StructLogger
from tests.helpers.bytecode import Bytecode, Op, initcode, mstore_bytes, return_word
from tests.helpers.execution import TARGET, AccountSpec, run

CALLEE = bytes.fromhex("00000000000000000000000000000000000ca11e")

PROGRAMS = {
    "arithmetic": return_word(Op.EXP(Op.SDIV(Op.SUB(0, 10), 3), Op.SIGNEXTEND(0, 0x7F))),
    "storage": Op.SSTORE(0, 1) + Op.SSTORE(0, 0) + Op.SSTORE(1, Op.SLOAD(0)) + Op.TSTORE(1, 2),
    "loop": (
        Op.PUSH1[10]
        + Op.JUMPDEST
        + Op.PUSH1[1]
        + Op.SWAP1
        + Op.SUB
        + Op.DUP1
        + Op.JUMPI(2, Bytecode())
        + Op.STOP
    ),
    "call": Op.SSTORE(0, Op.CALL(Op.GAS, CALLEE, 0, 0, 0, 0, 32)) + Op.RETURN(0, 32),
    "create": mstore_bytes(0, bytes(initcode(return_word(7))))
    + Op.SSTORE(0, Op.CREATE(0, 0, len(initcode(return_word(7))))),
    "log": Op.LOG2(0, 40, 1, 2),
    "revert": Op.SSTORE(0, 1) + Op.REVERT(0, 3),
    "out of gas": Op.SSTORE(0, 1) + Op.SSTORE(1, 1),
    "underflow": Op.PUSH0 + Op.ADD,
    "bad jump": Op.JUMP(1) + Op.JUMPDEST,
}


def _outcome(code: Bytecode, tracer=None):  # type: ignore[no-untyped-def]
    result, state = run(
        code,
        gas=30_000,
        accounts={CALLEE: AccountSpec(code=return_word(Op.GAS))},
        tracer=tracer,
    )
    storage = [state.get_storage(TARGET, k) for k in range(2)]
    return (result.success, result.gas_left, result.output, result.refund, result.logs, storage)


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_traced_and_untraced_runs_agree(name: str) -> None:
    steps: list[int] = []
    traced = _outcome(PROGRAMS[name], lambda frame, op: steps.append(op))
    assert traced == _outcome(PROGRAMS[name])
    assert steps  # the hook saw the instructions


def test_the_hook_sees_each_instruction_before_it_runs() -> None:
    seen: list[tuple[int, int, int, list[int]]] = []

    def on_step(frame: Frame, op: int) -> None:
        seen.append((frame.pc, op, frame.gas_left, list(frame.stack)))

    run(Op.ADD(2, 3) + Op.STOP, gas=100, tracer=on_step)
    assert seen == [
        (0, 0x60, 100, []),
        (2, 0x60, 97, [3]),
        (4, 0x01, 94, [3, 2]),
        (5, 0x00, 91, [5]),
    ]


def test_the_hook_sees_the_failing_instruction() -> None:
    ops: list[int] = []
    result, _ = run(Op.PUSH0 + Op.ADD + Op.STOP, tracer=lambda frame, op: ops.append(op))
    assert not result.success
    assert ops == [0x5F, 0x01]


def test_deep_recursion_traced_does_not_crash() -> None:
    """The traced loop at the 1024 call-depth limit (the hook adds no Python frames that stay)."""
    code = Op.TSTORE(0, Op.ADD(Op.TLOAD(0), 1)) + Op.CALL(Op.GAS, Op.ADDRESS, 0, 0, 0, 0, 0)
    depths: set[int] = set()
    result, state = run(code, gas=10**13, tracer=lambda f, op: depths.add(f.message.depth))
    assert result.success
    assert state.get_transient(TARGET, 0) == 1025
    assert max(depths) == 1024


# --- StructLogger -------------------------------------------------------------------------


def _struct_log(code: Bytecode, gas: int = 100_000, **kwargs) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    steps: list[dict[str, object]] = []
    logger = StructLogger(steps.append)
    run(code, gas=gas, tracer=logger, **kwargs)
    logger.finish()
    return steps


def test_struct_logger_prices_memory_expansion_and_storage() -> None:
    steps = _struct_log(Op.MSTORE(64, 1) + Op.SSTORE(0, 1) + Op.STOP)
    costs = [(s["opName"], int(str(s["gasCost"]), 16)) for s in steps]
    assert costs == [
        ("PUSH1", 3),
        ("PUSH1", 3),
        ("MSTORE", 3 + 9),  # three words of memory
        ("PUSH1", 3),
        ("PUSH0", 2),
        ("SSTORE", 22100),
        ("STOP", 0),
    ]
    assert [s["memSize"] for s in steps] == [0, 0, 0, 96, 96, 96, 96]


def test_struct_logger_gas_is_consistent_across_steps() -> None:
    steps = _struct_log(PROGRAMS["loop"])
    for before, after in zip(steps, steps[1:], strict=False):
        assert int(str(before["gas"]), 16) - int(str(before["gasCost"]), 16) == int(
            str(after["gas"]), 16
        )


def test_struct_logger_orders_child_steps_after_the_call() -> None:
    steps = _struct_log(
        Op.POP(Op.CALL(Op.GAS, CALLEE, 0, 0, 0, 0, 0)) + Op.STOP,
        accounts={CALLEE: AccountSpec(code=Op.PUSH0 + Op.POP)},
    )
    assert [(s["depth"], s["opName"]) for s in steps] == [
        (1, "PUSH0"),
        (1, "PUSH0"),
        (1, "PUSH0"),
        (1, "PUSH0"),
        (1, "PUSH0"),
        (1, "PUSH20"),
        (1, "GAS"),
        (1, "CALL"),
        (2, "PUSH0"),
        (2, "POP"),
        (2, "STOP"),
        (1, "POP"),
        (1, "STOP"),
    ]
    call = steps[7]
    assert int(str(call["gasCost"]), 16) == 2600 + 2 + 2  # cold callee + what the child used


def test_struct_logger_names_undefined_opcodes() -> None:
    steps = _struct_log(Bytecode(b"\xef"))
    assert steps[0]["opName"] == "opcode 0xef not defined"

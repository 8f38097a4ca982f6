"""Message calls: the value stipend and new-account charge, the 63/64 rule (EIP-150), cold and
warm callee access (EIP-2929), STATICCALL forbidding every write below it (EIP-214),
DELEGATECALL and CALLCODE keeping the right caller, value and storage, LOG data and topics, and
the 1024 call-depth limit reached by a contract calling itself."""

import pytest

from tests.helpers.bytecode import Bytecode, Op, gas_of, mstore_bytes, return_word
from tests.helpers.execution import SENDER, TARGET, AccountSpec, gas_used, run, word

CALLEE = bytes.fromhex("00000000000000000000000000000000000ca11e")
OTHER = bytes.fromhex("0000000000000000000000000000000000000bbb")
FRESH = bytes.fromhex("00000000000000000000000000000000000f4e54")
REPORTS_GAS = return_word(Op.GAS)  # returns the gas left after its first instruction
REPORTS_CONTEXT = (
    Op.SSTORE(0, Op.CALLER) + Op.SSTORE(1, Op.CALLVALUE) + Op.SSTORE(2, Op.ADDRESS) + Op.STOP
)


def _returned_word(result) -> int:  # type: ignore[no-untyped-def]
    assert result.success
    return int.from_bytes(result.output, "big")


# --- gas ----------------------------------------------------------------------------------


def test_value_call_gets_the_2300_stipend_on_top_of_the_gas_asked() -> None:
    code = Op.POP(Op.CALL(0, CALLEE, 1, 0, 0, 0, 32)) + Op.RETURN(0, 32)
    result, state = run(code, target_balance=10, accounts={CALLEE: AccountSpec(code=REPORTS_GAS)})
    assert _returned_word(result) == 2300 - 2
    assert state.get_balance(CALLEE) == 1
    assert state.get_balance(TARGET) == 9


def test_value_call_cost_with_the_stipend_returned() -> None:
    """Charged: cold 2600 + value 9000 + memory 3 (no new-account charge: the callee has code).
    The callee gets 0 + 2300, spends 15 and gives back 2285."""
    call = Op.POP(Op.CALL(0, CALLEE, 1, 0, 0, 0, 32))
    code = Op.SSTORE(0, gas_of(call))
    result, state = run(code, target_balance=10, accounts={CALLEE: AccountSpec(code=REPORTS_GAS)})
    assert result.success
    pushes = 3 + 2 + 2 + 2 + 3 + 3 + 2  # 32, 0, 0, 0, value 1, PUSH20 callee, gas 0
    assert state.get_storage(TARGET, 0) == pushes + (2600 + 9000 + 3) - (2300 - 15) + 2


def test_value_to_a_new_account_pays_25000() -> None:
    call = Op.POP(Op.CALL(0, FRESH, 5, 0, 0, 0, 0))
    result, state = run(Op.SSTORE(0, gas_of(call)), target_balance=10)
    pushes = 2 * 4 + 3 + 3 + 2  # four zeros, value 5, PUSH20, gas 0
    # The stipend comes back whole: the new account has no code.
    assert state.get_storage(TARGET, 0) == pushes + 2600 + 9000 + 25000 - 2300 + 2
    assert state.get_balance(FRESH) == 5


def test_value_call_with_too_little_balance_fails_softly() -> None:
    code = Op.SSTORE(0, Op.CALL(0, CALLEE, 11, 0, 0, 0, 0)) + Op.SSTORE(1, Op.RETURNDATASIZE)
    result, state = run(
        code, target_balance=10, accounts={CALLEE: AccountSpec(code=return_word(1))}
    )
    assert result.success
    assert state.get_storage(TARGET, 0) == 0
    assert state.get_balance(CALLEE) == 0
    assert state.get_balance(TARGET) == 10


def test_zero_value_call_has_no_stipend() -> None:
    code = Op.POP(Op.CALL(0, CALLEE, 0, 0, 0, 0, 32)) + Op.RETURN(0, 32)
    result, _ = run(code, accounts={CALLEE: AccountSpec(code=REPORTS_GAS)})
    assert result.output == b"\0" * 32  # the callee ran out of gas at once: nothing returned


@pytest.mark.parametrize("requested", [5000, 2**64, 2**256 - 1])
def test_63_64_rule_caps_the_gas_given(requested: int) -> None:
    gas = 1_000_000
    code = Op.POP(Op.CALL(requested, CALLEE, 0, 0, 0, 0, 32)) + Op.RETURN(0, 32)
    result, _ = run(code, gas=gas, accounts={CALLEE: AccountSpec(code=REPORTS_GAS)})
    pushes = 3 + 2 * 4 + 3 + 3  # 32, four zeros, PUSH20 callee, the requested gas
    available = gas - pushes - 2600 - 3  # cold callee, one word of memory
    given = min(requested, available - available // 64)
    assert _returned_word(result) == given - 2


def test_63_64_rule_for_every_call_kind() -> None:
    calls = {
        "CALL": Op.CALL(Op.GAS, CALLEE, 0, 0, 0, 0, 32),
        "CALLCODE": Op.CALLCODE(Op.GAS, CALLEE, 0, 0, 0, 0, 32),
        "DELEGATECALL": Op.DELEGATECALL(Op.GAS, CALLEE, 0, 0, 0, 32),
        "STATICCALL": Op.STATICCALL(Op.GAS, CALLEE, 0, 0, 0, 32),
    }
    for name, call in calls.items():
        result, _ = run(
            Op.POP(call) + Op.RETURN(0, 32), accounts={CALLEE: AccountSpec(code=REPORTS_GAS)}
        )
        # GAS (2) reads the gas left after the pushes below it: 32, the zeros, the callee.
        below = 3 + 2 * (4 if name in ("CALL", "CALLCODE") else 3) + 3
        gas_at_gas_op = 1_000_000 - below - 2
        available = gas_at_gas_op - 2600 - 3
        assert _returned_word(result) == available - available // 64 - 2, name


def test_warm_callee_costs_100() -> None:
    first = Op.POP(Op.CALL(0, OTHER, 0, 0, 0, 0, 0))
    code = Op.SSTORE(0, gas_of(first)) + Op.SSTORE(1, gas_of(first))
    _, state = run(code)
    pushes = 2 * 5 + 3 + 2
    assert state.get_storage(TARGET, 0) == pushes + 2600 + 2
    assert state.get_storage(TARGET, 1) == pushes + 100 + 2


def test_a_reverted_call_leaves_the_callee_cold_again() -> None:
    """EIP-2929: the access sets are journaled; a failed frame's warm accounts turn cold."""
    library = Op.POP(Op.BALANCE(OTHER)) + Op.REVERT(0, 0)
    probe = Op.POP(Op.BALANCE(OTHER))
    code = Op.POP(Op.CALL(Op.GAS, CALLEE, 0, 0, 0, 0, 0)) + Op.SSTORE(0, gas_of(probe))
    _, state = run(code, accounts={CALLEE: AccountSpec(code=library)})
    assert state.get_storage(TARGET, 0) == 3 + 2600 + 2  # PUSH20, cold BALANCE, POP


def test_call_output_is_truncated_to_the_out_size() -> None:
    callee = mstore_bytes(0, bytes(range(1, 65))) + Op.RETURN(0, 64)
    code = Op.MSTORE(0, 2**256 - 1) + Op.POP(Op.CALL(Op.GAS, CALLEE, 0, 0, 0, 0, 5))
    result, _ = run(code + Op.RETURN(0, 32), accounts={CALLEE: AccountSpec(code=callee)})
    assert result.output == bytes(range(1, 6)) + b"\xff" * 27


# --- STATICCALL ---------------------------------------------------------------------------

WRITES = {
    "SSTORE": Op.SSTORE(0, 1),
    "TSTORE": Op.TSTORE(0, 1),
    "LOG0": Op.LOG0(0, 0),
    "LOG4": Op.LOG4(0, 0, 1, 2, 3, 4),
    "CREATE": Op.CREATE(0, 0, 0),
    "CREATE2": Op.CREATE2(0, 0, 0, 0),
    "SELFDESTRUCT": Op.SELFDESTRUCT(OTHER),
    "CALL with value": Op.CALL(0, OTHER, 1, 0, 0, 0, 0),
}


@pytest.mark.parametrize("write", list(WRITES), ids=list(WRITES))
def test_staticcall_forbids_writes(write: str) -> None:
    code = Op.SSTORE(0, Op.STATICCALL(100_000, CALLEE, 0, 0, 0, 0))
    result, state = run(
        code,
        accounts={CALLEE: AccountSpec(code=WRITES[write] + Op.STOP, balance=10)},
    )
    assert result.success
    assert state.get_storage(TARGET, 0) == 0
    assert state.get_storage(CALLEE, 0) == 0
    assert state.get_balance(OTHER) == 0
    # The child's 100000 were burnt: the frame used them all.
    assert gas_used(result) > 100_000


@pytest.mark.parametrize("write", list(WRITES), ids=list(WRITES))
def test_static_context_is_inherited_by_nested_calls(write: str) -> None:
    """STATICCALL -> CALL (no value) -> a write: the grandchild fails; the child sees 0."""
    child = return_word(Op.CALL(Op.GAS, OTHER, 0, 0, 0, 0, 0))
    code = Op.SSTORE(0, Op.STATICCALL(Op.GAS, CALLEE, 0, 0, 0, 32)) + Op.SSTORE(1, Op.MLOAD(0))
    result, state = run(
        code,
        gas=10_000_000,
        accounts={
            CALLEE: AccountSpec(code=child),
            OTHER: AccountSpec(code=WRITES[write] + Op.STOP, balance=10),
        },
    )
    assert result.success
    assert state.get_storage(TARGET, 0) == 1  # the child itself succeeded
    assert state.get_storage(TARGET, 1) == 0  # its call to the writer failed


def test_staticcall_allows_reads_and_zero_value_calls() -> None:
    reader = (
        Op.POP(Op.SLOAD(0))
        + Op.POP(Op.TLOAD(0))
        + Op.POP(Op.CALL(Op.GAS, OTHER, 0, 0, 0, 0, 0))
        + return_word(Op.ADD(Op.BALANCE(OTHER), 1))
    )
    code = Op.SSTORE(0, Op.STATICCALL(Op.GAS, CALLEE, 0, 0, 0, 32)) + Op.SSTORE(1, Op.MLOAD(0))
    result, state = run(
        code, accounts={CALLEE: AccountSpec(code=reader), OTHER: AccountSpec(balance=41)}
    )
    assert state.get_storage(TARGET, 0) == 1
    assert state.get_storage(TARGET, 1) == 42


# --- DELEGATECALL, CALLCODE, CALL context ------------------------------------------------


def test_delegatecall_keeps_caller_value_and_storage() -> None:
    code = Op.SSTORE(9, Op.DELEGATECALL(Op.GAS, CALLEE, 0, 0, 0, 0))
    result, state = run(code, value=5, accounts={CALLEE: AccountSpec(code=REPORTS_CONTEXT)})
    assert result.success
    assert state.get_storage(TARGET, 9) == 1
    assert state.get_storage(TARGET, 0) == int.from_bytes(SENDER, "big")
    assert state.get_storage(TARGET, 1) == 5
    assert state.get_storage(TARGET, 2) == int.from_bytes(TARGET, "big")
    assert state.get_storage(CALLEE, 0) == 0
    assert state.get_balance(CALLEE) == 0
    assert state.get_balance(TARGET) == 5  # the value stays where the outer call sent it


def test_callcode_runs_on_this_account_with_this_account_as_caller() -> None:
    code = Op.SSTORE(9, Op.CALLCODE(Op.GAS, CALLEE, 3, 0, 0, 0, 0))
    result, state = run(
        code, value=5, target_balance=10, accounts={CALLEE: AccountSpec(code=REPORTS_CONTEXT)}
    )
    assert result.success
    assert state.get_storage(TARGET, 9) == 1
    assert state.get_storage(TARGET, 0) == int.from_bytes(TARGET, "big")
    assert state.get_storage(TARGET, 1) == 3
    assert state.get_storage(TARGET, 2) == int.from_bytes(TARGET, "big")
    assert state.get_storage(CALLEE, 0) == 0
    assert state.get_balance(TARGET) == 15  # sent to itself
    assert state.get_balance(CALLEE) == 0


def test_call_switches_to_the_callee() -> None:
    code = Op.SSTORE(9, Op.CALL(Op.GAS, CALLEE, 3, 0, 0, 0, 0))
    result, state = run(
        code, target_balance=10, accounts={CALLEE: AccountSpec(code=REPORTS_CONTEXT)}
    )
    assert result.success
    assert state.get_storage(CALLEE, 0) == int.from_bytes(TARGET, "big")
    assert state.get_storage(CALLEE, 1) == 3
    assert state.get_storage(CALLEE, 2) == int.from_bytes(CALLEE, "big")
    assert state.get_storage(TARGET, 0) == 0
    assert state.get_balance(CALLEE) == 3


def test_failed_call_reverts_its_value_transfer_and_storage() -> None:
    callee = Op.SSTORE(0, 1) + Op.REVERT(0, 0)
    code = Op.SSTORE(9, Op.ADD(Op.CALL(Op.GAS, CALLEE, 3, 0, 0, 0, 0), 100))
    _, state = run(code, target_balance=10, accounts={CALLEE: AccountSpec(code=callee)})
    assert state.get_storage(TARGET, 9) == 100
    assert state.get_storage(CALLEE, 0) == 0
    assert state.get_balance(CALLEE) == 0
    assert state.get_balance(TARGET) == 10


# --- LOG ----------------------------------------------------------------------------------

LOG_DATA = bytes(range(0x10, 0x10 + 40))


@pytest.mark.parametrize("topic_count", range(5))
def test_log_data_topics_and_gas(topic_count: int) -> None:
    topics = [0xA0 + i for i in range(topic_count)]
    log = getattr(Op, f"LOG{topic_count}")(3, 37, *topics)
    code = mstore_bytes(0, LOG_DATA) + Op.SSTORE(0, gas_of(log))
    result, state = run(code)
    assert result.success
    assert result.logs == [
        (TARGET, tuple(word(t) for t in topics), LOG_DATA[3:40]),
    ]
    pushes = 3 + 3 + 3 * topic_count
    assert state.get_storage(TARGET, 0) == pushes + 375 + 375 * topic_count + 8 * 37


def test_log_expands_memory_with_zeros() -> None:
    code = Op.SSTORE(0, gas_of(Op.LOG0(0, 33)))
    result, state = run(code)
    assert result.logs == [(TARGET, (), bytes(33))]
    assert state.get_storage(TARGET, 0) == 3 + 2 + 375 + 8 * 33 + 6  # two words of memory


def test_logs_of_reverted_frames_are_dropped() -> None:
    keeps = Op.LOG1(0, 0, 1) + Op.STOP
    drops = Op.LOG1(0, 0, 2) + Op.REVERT(0, 0)
    code = (
        Op.LOG1(0, 0, 0)
        + Op.POP(Op.CALL(Op.GAS, CALLEE, 0, 0, 0, 0, 0))
        + Op.POP(Op.CALL(Op.GAS, OTHER, 0, 0, 0, 0, 0))
        + Op.LOG1(0, 0, 3)
    )
    result, _ = run(
        code, accounts={CALLEE: AccountSpec(code=keeps), OTHER: AccountSpec(code=drops)}
    )
    assert [(address, topics) for address, topics, _ in result.logs] == [
        (TARGET, (word(0),)),
        (CALLEE, (word(1),)),
        (TARGET, (word(3),)),
    ]


# --- call depth ---------------------------------------------------------------------------


def _recursive_code() -> Bytecode:
    """Counts its frames in transient slot 0 (kept, as the frames succeed), calls itself, and
    when that CALL fails records in slot 1 the count at that moment."""
    body = Op.TSTORE(0, Op.ADD(Op.TLOAD(0), 1)) + Op.ISZERO(
        Op.CALL(Op.GAS, Op.ADDRESS, 0, 0, 0, 0, 0)
    )
    failed_at = len(body) + 3 + 1 + 1  # after PUSH2 dest, JUMPI, STOP
    code = body + Op.JUMPI(Op.PUSH2[failed_at]) + Op.STOP
    code += Op.JUMPDEST + Op.TSTORE(1, Op.TLOAD(0)) + Op.STOP
    assert bytes(code)[failed_at] == 0x5B
    return code


def test_call_depth_stops_at_1024() -> None:
    result, state = run(_recursive_code(), gas=10**13)
    assert result.success
    # Frames at depths 0..1024 ran; the CALL from depth 1024 failed without running a frame.
    assert state.get_transient(TARGET, 0) == 1025
    assert state.get_transient(TARGET, 1) == 1025


def test_call_depth_limit_returns_the_gas() -> None:
    call = Op.POP(Op.CALL(50_000, CALLEE, 0, 0, 0, 0, 0))
    result, state = run(
        Op.SSTORE(0, gas_of(call)), depth=1024, accounts={CALLEE: AccountSpec(code=Op.INVALID)}
    )
    assert result.success
    # Five zero pushes, PUSH20, PUSH2 50000, cold access, POP: the 50000 came back.
    assert state.get_storage(TARGET, 0) == 2 * 5 + 3 + 3 + 2600 + 2


@pytest.mark.parametrize("limit", [1023, 1024])
def test_call_from_just_below_the_limit_runs(limit: int) -> None:
    call = Op.SSTORE(0, Op.CALL(Op.GAS, CALLEE, 0, 0, 0, 0, 0))
    _, state = run(call, depth=limit, accounts={CALLEE: AccountSpec(code=Op.STOP)})
    assert state.get_storage(TARGET, 0) == (1 if limit < 1024 else 0)

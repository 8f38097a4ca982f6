"""Storage: SSTORE gas and refunds over the EIP-2200 cases of (original, current, new) values,
with EIP-2929 cold/warm access and EIP-3529 refunds; the 2300-gas sentry; SLOAD cold and warm;
and transient storage (EIP-1153) that is undone with the frame that wrote it."""

import pytest

from tests.helpers.bytecode import Bytecode, Op, return_word
from tests.helpers.execution import TARGET, AccountSpec, gas_used, run, word

LIBRARY = bytes.fromhex("000000000000000000000000000000000000118b")
TARGET_SELF_READER = bytes.fromhex("00000000000000000000000000000000000000e1")
TARGET_SELF_WRITER = bytes.fromhex("00000000000000000000000000000000000000e2")

# EIP-3529's test cases (the same rows clients test: geth, Besu, Nethermind): code, original
# value of slot 0, gas used and refund, with the slot already warm. Cancun prices them the same.
EIP3529_CASES = [
    ("0x60006000556000600055", 0, 212, 0),
    ("0x60006000556001600055", 0, 20112, 0),
    ("0x60016000556000600055", 0, 20112, 19900),
    ("0x60016000556002600055", 0, 20112, 0),
    ("0x60016000556001600055", 0, 20112, 0),
    ("0x60006000556000600055", 1, 3012, 4800),
    ("0x60006000556001600055", 1, 3012, 2800),
    ("0x60006000556002600055", 1, 3012, 0),
    ("0x60026000556000600055", 1, 3012, 4800),
    ("0x60026000556003600055", 1, 3012, 0),
    ("0x60026000556001600055", 1, 3012, 2800),
    ("0x60026000556002600055", 1, 3012, 0),
    ("0x60016000556000600055", 1, 3012, 4800),
    ("0x60016000556002600055", 1, 3012, 0),
    ("0x60016000556001600055", 1, 212, 0),
    ("0x600160005560006000556001600055", 0, 40118, 19900),
    ("0x600060005560016000556000600055", 1, 5918, 7600),
]


@pytest.mark.parametrize("code,original,used,refund", EIP3529_CASES)
def test_sstore_eip3529_table_warm(code: str, original: int, used: int, refund: int) -> None:
    result, state = run(
        bytes.fromhex(code[2:]), target_storage={0: original}, warm_slots=[(TARGET, 0)]
    )
    assert result.success
    assert gas_used(result) == used
    assert result.refund == refund


@pytest.mark.parametrize("code,original,used,refund", EIP3529_CASES)
def test_sstore_eip3529_table_cold(code: str, original: int, used: int, refund: int) -> None:
    """The same rows with the slot cold: the first access pays 2100 more (EIP-2929)."""
    result, _ = run(bytes.fromhex(code[2:]), target_storage={0: original})
    assert result.success
    assert gas_used(result) == used + 2100
    assert result.refund == refund


def test_sstore_the_values_written_stick() -> None:
    code = Op.SSTORE(0, 1) + Op.SSTORE(0, 0) + Op.SSTORE(1, 2) + Op.SSTORE(2, 3)
    _, state = run(code + Op.SSTORE(2, 4), target_storage={2: 9})
    assert [state.get_storage(TARGET, k) for k in range(3)] == [0, 2, 4]
    assert state.get_original_storage(TARGET, 2) == 9


@pytest.mark.parametrize(
    "original,current,new,cost,refund",
    [
        # No-op (current == new): a warm read, 100.
        (0, 0, 0, 100, 0),
        (5, 5, 5, 100, 0),
        # Fresh slot (original == current != new): set 20000 or reset 2900.
        (0, 0, 7, 20000, 0),
        (5, 5, 7, 2900, 0),
        (5, 5, 0, 2900, 4800),
        # Dirty slot (original != current): 100, with refunds that undo earlier ones.
        (0, 7, 8, 100, 0),
        (0, 7, 0, 100, 19900),
        (5, 7, 5, 100, 2800),
        (5, 7, 0, 100, 4800),
        (5, 0, 7, 100, -4800),
        (5, 0, 5, 100, -4800 + 2800),
    ],
)
def test_sstore_second_write_by_original_current_new(
    original: int, current: int, new: int, cost: int, refund: int
) -> None:
    """Measure the second SSTORE alone, the slot warm from the first (which sets `current`)."""
    first, _ = run(Op.SSTORE(0, current), target_storage={0: original})
    code = Op.SSTORE(0, current) + Op.GAS + Op.SSTORE(0, new) + Op.GAS
    code += Op.SWAP1 + Op.SUB + Op.PUSH0 + Op.MSTORE + Op.RETURN(0, 32)
    result, state = run(code, target_storage={0: original})
    assert result.success
    # Between the GAS readings: PUSH new, PUSH0 (key), SSTORE, GAS.
    pushes = (2 if new == 0 else 3) + 2
    assert int.from_bytes(result.output, "big") == pushes + cost + 2
    assert result.refund - first.refund == refund
    assert state.get_storage(TARGET, 0) == new


@pytest.mark.parametrize(
    "gas,ok,used",
    [
        (2306, False, 2306),  # 2300 left at SSTORE: not above the sentry
        (2307, True, 6 + 100),  # 2301 left: fine, a warm no-op
    ],
)
def test_sstore_sentry_2300(gas: int, ok: bool, used: int) -> None:
    """EIP-2200: SSTORE halts when the gas left is at or below the call stipend."""
    code = Op.PUSH1[1] + Op.PUSH1[0] + Op.SSTORE  # 0x6001600055, as in geth's EIP-2200 table
    result, state = run(code, gas=gas, target_storage={0: 1}, warm_slots=[(TARGET, 0)])
    assert result.success is ok
    assert gas_used(result, gas) == used
    assert state.get_storage(TARGET, 0) == 1


def test_sstore_sentry_applies_before_the_cold_charge() -> None:
    result, _ = run(Op.SSTORE(0, 1), gas=2306)  # cold and a fresh set: far above 2300 anyway
    assert not result.success
    assert result.gas_left == 0


def test_sload_cold_then_warm() -> None:
    code = Op.SSTORE(1, Op.SLOAD(0)) + Op.SLOAD(0) + Op.POP
    result, state = run(code, target_storage={0: 0xBEEF})
    assert state.get_storage(TARGET, 1) == 0xBEEF
    # SLOAD cold 2100 + PUSH0; SSTORE of a fresh zero slot to non-zero: cold 2100 + 20000;
    # SLOAD warm 100 + PUSH0; POP 2.
    assert gas_used(result) == (2 + 2100) + (3 + 2100 + 20000) + (2 + 100) + 2


def test_sstore_failure_rolls_back_the_frame() -> None:
    result, state = run(Op.SSTORE(0, 1) + Op.INVALID, target_storage={0: 9})
    assert not result.success
    assert state.get_storage(TARGET, 0) == 9


# --- transient storage (EIP-1153) ---------------------------------------------------------


def test_tstore_tload_in_one_frame() -> None:
    code = Op.TSTORE(1, 42) + return_word(Op.TLOAD(1))
    result, state = run(code)
    assert result.output == word(42)
    assert gas_used(result) == (3 + 3 + 100) + (3 + 100) + 13
    assert state.get_storage(TARGET, 1) == 0  # not persistent storage


def test_transient_storage_lives_for_the_transaction() -> None:
    _, state = run(Op.TSTORE(1, 42))
    result, state = run(return_word(Op.TLOAD(1)), state=state)
    assert result.output == word(42)
    state.begin_transaction()
    result, _ = run(return_word(Op.TLOAD(1)), state=state)
    assert result.output == word(0)


@pytest.mark.parametrize(
    "library,kept",
    [
        (Op.TSTORE(1, 42) + Op.STOP, True),
        (Op.TSTORE(1, 42) + Op.REVERT(0, 0), False),
        (Op.TSTORE(1, 42) + Op.INVALID, False),
        (Op.TSTORE(1, 42) + Op.TSTORE(1, 43) + Op.REVERT(0, 0), False),
    ],
)
def test_transient_writes_are_undone_with_their_frame(library: Bytecode, kept: bool) -> None:
    """DELEGATECALL runs the library on this account's transient storage; a failing library
    frame takes its TSTOREs with it."""
    code = (
        Op.TSTORE(1, 7)
        + Op.SSTORE(0, Op.DELEGATECALL(Op.GAS, LIBRARY, 0, 0, 0, 0))
        + Op.SSTORE(1, Op.TLOAD(1))
    )
    # Ample gas: a library that halts burns the 63/64 it was given.
    result, state = run(code, gas=10_000_000, accounts={LIBRARY: AccountSpec(code=library)})
    assert result.success
    assert state.get_storage(TARGET, 0) == (1 if kept else 0)
    assert state.get_storage(TARGET, 1) == (42 if kept else 7)


def test_transient_storage_is_per_account() -> None:
    code = Op.TSTORE(1, 42) + Op.SSTORE(0, Op.CALL(Op.GAS, LIBRARY, 0, 0, 0, 0, 0))
    library = Op.SSTORE(5, Op.TLOAD(1))
    _, state = run(code, accounts={LIBRARY: AccountSpec(code=library)})
    assert state.get_storage(TARGET, 0) == 1
    assert state.get_storage(LIBRARY, 5) == 0


def test_tstore_in_a_static_call_fails_and_tload_works() -> None:
    code = (
        Op.TSTORE(1, 42)
        + Op.SSTORE(0, Op.STATICCALL(Op.GAS, TARGET_SELF_READER, 0, 0, 0, 32))
        + Op.SSTORE(1, Op.MLOAD(0))
        + Op.SSTORE(2, Op.STATICCALL(Op.GAS, TARGET_SELF_WRITER, 0, 0, 0, 0))
    )
    accounts = {
        TARGET_SELF_READER: AccountSpec(code=return_word(Op.TLOAD(1))),
        TARGET_SELF_WRITER: AccountSpec(code=Op.TSTORE(1, 1)),
    }
    _, state = run(code, accounts=accounts)
    assert state.get_storage(TARGET, 0) == 1
    assert state.get_storage(TARGET, 1) == 0  # the reader's own transient slot is empty
    assert state.get_storage(TARGET, 2) == 0

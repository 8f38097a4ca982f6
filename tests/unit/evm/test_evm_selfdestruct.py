"""SELFDESTRUCT after EIP-6780: it always sends the whole balance to the beneficiary, but only a
contract created in the same transaction is deleted (and its ether burnt when it names itself).
Gas: 5000, plus 2600 for a cold beneficiary (EIP-2929), plus 25000 when ether goes to an empty
account."""

import pytest

from tests.helpers.bytecode import Op, initcode, mstore_bytes
from tests.helpers.execution import TARGET, AccountSpec, gas_used, run

BENEFICIARY = bytes.fromhex("000000000000000000000000000000000000bef1")


@pytest.mark.parametrize(
    "balance,beneficiary,warm,expected_gas",
    [
        (100, None, False, 3 + 5000 + 2600 + 25000),  # cold, empty, ether sent
        (0, None, False, 3 + 5000 + 2600),  # no ether: no new-account charge
        (100, AccountSpec(balance=1), False, 3 + 5000 + 2600),  # beneficiary exists
        (100, AccountSpec(balance=1), True, 3 + 5000),
        (100, None, True, 3 + 5000 + 25000),
    ],
)
def test_selfdestruct_gas(
    balance: int, beneficiary: AccountSpec | None, warm: bool, expected_gas: int
) -> None:
    code = Op.SELFDESTRUCT(BENEFICIARY)
    if warm:
        code = Op.POP(Op.BALANCE(BENEFICIARY)) + code
        expected_gas += 3 + 2600 + 2
    accounts = {BENEFICIARY: beneficiary} if beneficiary else {}
    result, state = run(code, target_balance=balance, accounts=accounts)
    assert result.success
    assert gas_used(result) == expected_gas
    assert state.get_balance(BENEFICIARY) == balance + (beneficiary.balance if beneficiary else 0)


def test_a_pre_existing_contract_is_not_deleted() -> None:
    code = Op.SSTORE(0, 1) + Op.SELFDESTRUCT(BENEFICIARY)
    result, state = run(code, target_balance=100)
    assert result.success
    assert result.to_destroy == set()
    assert state.get_balance(TARGET) == 0
    assert state.get_balance(BENEFICIARY) == 100
    assert state.get_code(TARGET) == bytes(code)
    assert state.get_storage(TARGET, 0) == 1


def test_a_pre_existing_contract_naming_itself_keeps_its_ether() -> None:
    result, state = run(Op.SELFDESTRUCT(Op.ADDRESS), target_balance=100)
    assert result.success
    assert result.to_destroy == set()
    assert state.get_balance(TARGET) == 100
    assert gas_used(result) == 2 + 5000  # ADDRESS; itself is warm


def _create_then_call(init: bytes, value: int = 0):  # type: ignore[no-untyped-def]
    """Create a contract from `init` with `value`, store its address in slot 0, call it."""
    code = mstore_bytes(0, init) + Op.SSTORE(0, Op.CREATE(value, 0, len(init)))
    code += Op.SSTORE(1, Op.CALL(Op.GAS, Op.SLOAD(0), 0, 0, 0, 0, 0))
    return run(code, target_balance=1000)


def test_selfdestruct_during_its_own_creation_deletes_it() -> None:
    init = bytes(Op.SELFDESTRUCT(BENEFICIARY))
    result, state = _create_then_call(init, value=40)
    address = state.get_storage(TARGET, 0)
    assert address != 0
    created = address.to_bytes(20, "big")
    assert result.to_destroy == {created}
    assert state.get_balance(BENEFICIARY) == 40
    assert state.get_balance(created) == 0


def test_selfdestruct_of_a_contract_created_earlier_in_the_transaction_deletes_it() -> None:
    runtime = Op.SELFDESTRUCT(BENEFICIARY)
    result, state = _create_then_call(bytes(initcode(runtime)), value=40)
    created = state.get_storage(TARGET, 0).to_bytes(20, "big")
    assert state.get_storage(TARGET, 1) == 1
    assert result.to_destroy == {created}
    assert state.get_balance(BENEFICIARY) == 40


def test_a_new_contract_naming_itself_burns_its_ether() -> None:
    init = bytes(Op.SELFDESTRUCT(Op.ADDRESS))
    result, state = _create_then_call(init, value=40)
    created = state.get_storage(TARGET, 0).to_bytes(20, "big")
    assert result.to_destroy == {created}
    assert state.get_balance(created) == 0
    assert state.get_balance(TARGET) == 960


def test_selfdestruct_in_a_later_transaction_only_moves_ether() -> None:
    runtime = Op.SELFDESTRUCT(BENEFICIARY)
    code = mstore_bytes(0, bytes(initcode(runtime))) + Op.SSTORE(
        0, Op.CREATE(40, 0, len(initcode(runtime)))
    )
    _, state = run(code, target_balance=1000)
    created = state.get_storage(TARGET, 0).to_bytes(20, "big")
    state.begin_transaction()
    result, state = run(Op.CALL(Op.GAS, created, 0, 0, 0, 0, 0), state=state)
    assert result.success
    assert result.to_destroy == set()
    assert state.get_balance(BENEFICIARY) == 40
    assert state.get_code(created) == bytes(runtime)


def test_selfdestruct_stops_execution() -> None:
    result, state = run(Op.SELFDESTRUCT(Op.ADDRESS) + Op.SSTORE(0, 1))
    assert result.success
    assert state.get_storage(TARGET, 0) == 0


def test_selfdestruct_in_a_reverted_frame_is_undone() -> None:
    init = bytes(Op.SELFDESTRUCT(BENEFICIARY))
    code = mstore_bytes(0, init) + Op.SSTORE(0, Op.CREATE(40, 0, len(init))) + Op.REVERT(0, 0)
    result, state = run(code, target_balance=1000)
    assert not result.success
    assert result.to_destroy == set()
    assert state.get_balance(BENEFICIARY) == 0
    assert state.get_balance(TARGET) == 1000


def test_selfdestruct_is_a_static_write() -> None:
    result, state = run(Op.SELFDESTRUCT(BENEFICIARY), is_static=True, target_balance=5)
    assert not result.success
    assert result.gas_left == 0
    assert state.get_balance(TARGET) == 5

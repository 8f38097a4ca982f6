"""The message hook (`Context.message_hook`): told of every message's start and end — calls of
each kind, creates, precompile calls — with the right depth, inputs and results, and without
changing anything: the same program gives the same result, gas and state with and without it."""

from dataclasses import dataclass

import pytest

from evm.context import Context
from evm.errors import InvalidOpcode, OutOfGas, Revert
from evm.forks import CANCUN
from evm.frame import Message, MessageResult, TxEnv
from evm.interpreter import process_create, process_message
from pyeth.state import State
from tests.helpers.bytecode import Bytecode, Op, initcode, mstore_bytes, return_word
from tests.helpers.execution import COINBASE, GAS_PRICE, SENDER, TARGET, block_env

CHILD = bytes.fromhex("00000000000000000000000000000000000c0001")
LIBRARY = bytes.fromhex("00000000000000000000000000000000000c0002")
REVERTER = bytes.fromhex("00000000000000000000000000000000000c0003")
LOOPER = bytes.fromhex("00000000000000000000000000000000000c0004")
EMPTY = bytes.fromhex("00000000000000000000000000000000000c0005")
SHA256 = (2).to_bytes(20, "big")
IDENTITY = (4).to_bytes(20, "big")
GAS = 1_000_000

RUNTIME = return_word(7)
INIT = bytes(initcode(RUNTIME))

# CHILD sends its input through SHA-256 and returns the digest: a precompile at depth 2.
CHILD_CODE = (
    Op.CALLDATACOPY(0, 0, Op.CALLDATASIZE)
    + Op.POP(Op.STATICCALL(Op.GAS, SHA256, 0, Op.CALLDATASIZE, 0, 32))
    + Op.RETURN(0, 32)
)
LIBRARY_CODE = Op.SSTORE(5, Op.CALLVALUE) + return_word(Op.CALLER)
REVERTER_CODE = mstore_bytes(0, b"boom") + Op.REVERT(0, 4)
LOOPER_CODE = Op.JUMPDEST + Op.JUMP(0)

# The top contract: one message of each kind, then a revert and an out-of-gas below it.
TOP_CODE = (
    mstore_bytes(0, b"abc")
    + Op.SSTORE(1, Op.CALL(Op.GAS, CHILD, 3, 0, 3, 32, 32))
    + Op.SSTORE(2, Op.STATICCALL(Op.GAS, IDENTITY, 0, 3, 64, 32))
    + Op.SSTORE(3, Op.DELEGATECALL(Op.GAS, LIBRARY, 0, 0, 0, 0))
    + Op.SSTORE(4, Op.CALLCODE(Op.GAS, LIBRARY, 2, 0, 0, 0, 0))
    + mstore_bytes(0, INIT)
    + Op.SSTORE(6, Op.CREATE(0, 0, len(INIT)))
    + Op.SSTORE(7, Op.CREATE2(0, 0, len(INIT), 0x5A17))
    + Op.SSTORE(8, Op.CALL(Op.GAS, REVERTER, 0, 0, 0, 0, 0))
    + Op.SSTORE(9, Op.CALL(5_000, LOOPER, 0, 0, 0, 0, 0))
    + Op.SSTORE(10, Op.CALL(Op.GAS, EMPTY, 1, 0, 3, 0, 0))  # no code: still a message
    + Op.STOP
)


@dataclass
class Event:
    what: str  # "enter" or "exit"
    kind: str
    depth: int
    caller: bytes
    target: bytes
    code_address: bytes
    value: int
    data: bytes
    gas: int
    result: MessageResult | None = None


class Recorder:
    """A hook that keeps what it is told."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def enter(self, message: Message) -> None:
        self.events.append(self._event("enter", message))

    def exit(self, message: Message, result: MessageResult) -> None:
        self.events.append(self._event("exit", message, result))

    @staticmethod
    def _event(what: str, message: Message, result: MessageResult | None = None) -> Event:
        return Event(
            what,
            message.kind,
            message.depth,
            message.caller,
            message.target,
            message.code_address,
            message.value,
            message.data,
            message.gas,
            result,
        )


def _state(top_code: Bytecode | bytes = TOP_CODE) -> State:
    state = State()
    for address, code in (
        (TARGET, top_code),
        (CHILD, CHILD_CODE),
        (LIBRARY, LIBRARY_CODE),
        (REVERTER, REVERTER_CODE),
        (LOOPER, LOOPER_CODE),
    ):
        state.set_code(address, bytes(code))
        state.set_nonce(address, 1)
    state.set_balance(TARGET, 10)
    state.begin_transaction(warm_accounts=(SENDER, TARGET, COINBASE, *CANCUN.precompiles))
    return state


def _call(hook: Recorder | None, top_code: Bytecode | bytes = TOP_CODE, gas: int = GAS):  # type: ignore[no-untyped-def]
    state = _state(top_code)
    context = Context(state, block_env(), TxEnv(SENDER, GAS_PRICE), CANCUN, message_hook=hook)
    message = Message(SENDER, TARGET, TARGET, 0, b"\x01\x02", gas, state.get_code(TARGET))
    return process_message(message, context), state


def _state_summary(state: State) -> dict[str, object]:
    accounts = (TARGET, CHILD, LIBRARY, REVERTER, LOOPER, EMPTY, SENDER)
    return {
        "storage": {a: [state.get_storage(a, k) for k in range(12)] for a in accounts},
        "balances": {a: state.get_balance(a) for a in accounts},
        "nonces": {a: state.get_nonce(a) for a in accounts},
    }


def test_every_message_is_entered_and_exited_in_order_with_its_depth() -> None:
    hook = Recorder()
    result, _state_after = _call(hook)
    assert result.success
    steps = [(e.what, e.kind, e.depth) for e in hook.events]
    assert steps == [
        ("enter", "CALL", 0),
        ("enter", "CALL", 1),  # CHILD
        ("enter", "STATICCALL", 2),  # SHA-256 inside CHILD
        ("exit", "STATICCALL", 2),
        ("exit", "CALL", 1),
        ("enter", "STATICCALL", 1),  # identity precompile
        ("exit", "STATICCALL", 1),
        ("enter", "DELEGATECALL", 1),
        ("exit", "DELEGATECALL", 1),
        ("enter", "CALLCODE", 1),
        ("exit", "CALLCODE", 1),
        ("enter", "CREATE", 1),
        ("exit", "CREATE", 1),
        ("enter", "CREATE2", 1),
        ("exit", "CREATE2", 1),
        ("enter", "CALL", 1),  # REVERTER
        ("exit", "CALL", 1),
        ("enter", "CALL", 1),  # LOOPER
        ("exit", "CALL", 1),
        ("enter", "CALL", 1),  # TARGET again
        ("exit", "CALL", 1),
        ("exit", "CALL", 0),
    ]
    # Each exit pairs with the latest open enter (a well-nested tree).
    open_events: list[Event] = []
    for event in hook.events:
        if event.what == "enter":
            open_events.append(event)
        else:
            entered = open_events.pop()
            assert (entered.kind, entered.target, entered.gas) == (
                event.kind,
                event.target,
                event.gas,
            )
    assert not open_events


def test_the_hook_sees_each_message_inputs_and_results() -> None:
    import hashlib

    hook = Recorder()
    result, _ = _call(hook)
    exits = [e for e in hook.events if e.what == "exit"]
    by_target = {(e.kind, e.target): e for e in exits}

    top = exits[-1]
    assert (top.caller, top.target, top.data, top.gas) == (SENDER, TARGET, b"\x01\x02", GAS)
    assert top.result is result  # the very result the caller gets back

    child = by_target[("CALL", CHILD)]
    assert (child.caller, child.value, child.data) == (TARGET, 3, b"abc")
    assert child.result is not None and child.result.success
    assert child.result.output == hashlib.sha256(b"abc").digest()

    sha = by_target[("STATICCALL", SHA256)]
    assert (sha.caller, sha.data) == (CHILD, b"abc")
    assert sha.result is not None and sha.result.output == hashlib.sha256(b"abc").digest()
    assert sha.gas - sha.result.gas_left == 60 + 12  # SHA-256's base + one word

    identity = by_target[("STATICCALL", IDENTITY)]
    assert identity.result is not None and identity.result.output == b"abc"
    assert identity.gas - identity.result.gas_left == 15 + 3

    # DELEGATECALL: the library's code on the top contract's account, caller and value kept.
    delegate = by_target[("DELEGATECALL", TARGET)]
    assert (delegate.caller, delegate.code_address, delegate.value) == (SENDER, LIBRARY, 0)
    assert delegate.result is not None and delegate.result.output[-20:] == SENDER
    # CALLCODE: the library's code on the top contract's account, called by it, with value.
    callcode = by_target[("CALLCODE", TARGET)]
    assert (callcode.caller, callcode.code_address, callcode.value) == (TARGET, LIBRARY, 2)

    creates = [e for e in exits if e.kind.startswith("CREATE")]
    for create in creates:
        assert create.result is not None and create.result.success
        assert create.result.created_address == create.target
        assert create.data == b""
    # The create's gas used includes its code deposit (200 per byte of the runtime).
    create = creates[0]
    assert create.result is not None
    assert create.gas - create.result.gas_left > 200 * len(RUNTIME)

    reverter = by_target[("CALL", REVERTER)]
    assert reverter.result is not None and not reverter.result.success
    assert isinstance(reverter.result.error, Revert)
    assert reverter.result.output == b"boom"

    looper = by_target[("CALL", LOOPER)]
    assert looper.result is not None and not looper.result.success
    assert isinstance(looper.result.error, OutOfGas)
    assert looper.gas == 5_000 and looper.result.gas_left == 0

    empty = by_target[("CALL", EMPTY)]
    assert (empty.value, empty.data) == (1, INIT[:3])  # memory holds the init code by then
    assert empty.result is not None and empty.result.success
    assert empty.result.gas_left == empty.gas and empty.result.output == b""


def test_traced_and_untraced_runs_end_the_same() -> None:
    plain, plain_state = _call(None)
    hooked, hooked_state = _call(Recorder())
    assert (plain.success, plain.gas_left, plain.output, plain.refund, plain.logs) == (
        hooked.success,
        hooked.gas_left,
        hooked.output,
        hooked.refund,
        hooked.logs,
    )
    assert _state_summary(plain_state) == _state_summary(hooked_state)
    # The calls did what the test says they do (so the comparison covers real work).
    assert [plain_state.get_storage(TARGET, k) for k in (1, 2, 3, 4, 8, 9, 10)] == [
        1,
        1,
        1,
        1,
        0,
        0,
        1,
    ]
    assert plain_state.get_storage(TARGET, 5) == 2  # CALLCODE's value, stored by the library


@pytest.mark.parametrize(
    ("top_code", "error"),
    [
        (Op.SSTORE(0, 1) + mstore_bytes(0, b"no") + Op.REVERT(0, 2), Revert),
        (Op.SSTORE(0, 1) + Bytecode(b"\xfe"), InvalidOpcode),
        (Op.SSTORE(0, 1) + Op.JUMPDEST + Op.JUMP(len(Op.SSTORE(0, 1))), OutOfGas),
    ],
    ids=["revert", "invalid", "out of gas"],
)
def test_a_failing_top_message_is_exited_with_its_error(
    top_code: Bytecode, error: type[Exception]
) -> None:
    hook = Recorder()
    result, _ = _call(hook, top_code, gas=100_000)
    assert [(e.what, e.depth) for e in hook.events] == [("enter", 0), ("exit", 0)]
    exited = hook.events[1].result
    assert exited is result
    assert not result.success and isinstance(result.error, error)
    plain, _ = _call(None, top_code, gas=100_000)
    assert (plain.success, plain.gas_left, plain.output) == (
        result.success,
        result.gas_left,
        result.output,
    )


def _create(hook: Recorder | None, init: bytes, gas: int) -> MessageResult:
    state = _state()
    new = bytes.fromhex("00000000000000000000000000000000000c099a")
    context = Context(state, block_env(), TxEnv(SENDER, GAS_PRICE), CANCUN, message_hook=hook)
    message = Message(SENDER, new, new, 0, b"", gas, init, is_create=True, kind="CREATE")
    return process_create(message, context)


def test_a_top_level_create_reports_once_with_the_deposit_charged() -> None:
    hook = Recorder()
    result = _create(hook, INIT, GAS)
    assert [(e.what, e.kind, e.depth) for e in hook.events] == [
        ("enter", "CREATE", 0),
        ("exit", "CREATE", 0),
    ]
    assert hook.events[1].result is result
    assert result.success and result.created_address == hook.events[0].target
    assert result.gas_left == _create(None, INIT, GAS).gas_left


def test_a_create_that_cannot_pay_its_deposit_exits_failed() -> None:
    # Enough gas for the init code, not for 200 gas per byte of a 3,000-byte runtime.
    init = bytes(Op.RETURN(0, 3000))
    hook = Recorder()
    result = _create(hook, init, 50_000)
    assert hook.events[-1].result is result
    assert not result.success and isinstance(result.error, OutOfGas)
    assert result.gas_left == 0 and result.created_address is None

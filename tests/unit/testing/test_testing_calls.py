"""The harness's call path (pyeth.testing.calls.free_call through Chain._run_call) against the
node's pyeth.calls.run_call: the same calls on the same chain give the same outcome (success,
output, gas used and spent, logs, error), the same console calls, the same steps to a step
hook, the same CallError words, and leave the state as it was."""

from typing import Any

import pytest

from evm.frame import Frame
from pyeth.calls import CallError, CallOutcome, CallRequest, run_call
from pyeth.testing.artifacts import load_artifact
from pyeth.testing.chain import Chain
from pyeth.testing.console import ConsoleCollector
from pyeth.testing.contracts import Contract, Reverted
from tests.unit.testing.conftest import CONTRACTS

# Hand-assembled runtime code (PUSH0 is 5f; the chain's fork has it).
ECHO = bytes.fromhex(  # returns CALLER, ORIGIN, CALLVALUE, SELFBALANCE, GAS, EXTCODEHASH(CALLER)
    "335f523260205234604052476060525a608052333f60a05260c05ff3"
)
REVERTER = bytes.fromhex("60015f5563deadbeef5f526004601cfd")  # SSTORE, revert 0xdeadbeef
LOOP = bytes.fromhex("5b5f56")  # JUMPDEST PUSH0 JUMP: runs out of gas
CREATOR = bytes.fromhex("5f5f5ff05f5260205ff3")  # CREATE of empty code, returns the address
CLEARER = bytes.fromhex("5f5f555f5fa000")  # SSTORE slot 0 := 0 (a refund), LOG0, STOP
PAY_CALLER = bytes.fromhex(  # CALL the caller with 1 wei; returns the success flag and GAS
    "5f5f5f5f6001335af15f525a60205260405ff3"
)


class StepCounter:
    def __init__(self) -> None:
        self.ops: list[int] = []

    def __call__(self, frame: Frame, op: int) -> None:
        self.ops.append(op)


def _node(
    chain: Chain,
    sender: bytes,
    to: bytes,
    value: int,
    data: bytes,
    gas: int,
    origin: bytes | None,
    hook: Any,
    tracer: Any,
) -> CallOutcome:
    """run_call on a journal of its own (it undoes to 0), as the harness ran it before."""
    state = chain.state
    kept, state._journal = state._journal, []
    try:
        request = CallRequest(sender=sender, to=to, value=value, data=data)
        return run_call(
            state, chain._env, chain.rules, request, gas, tracer, message_hook=hook, origin=origin
        )
    finally:
        state._journal = kept


def _harness(
    chain: Chain,
    sender: bytes,
    to: bytes,
    value: int,
    data: bytes,
    gas: int,
    origin: bytes | None,
    hook: Any,
    tracer: Any,
) -> CallOutcome:
    return chain._run_call(sender, to, value, data, gas, origin, hook, tracer)


def _run(path: Any, chain: Chain, *args: Any) -> tuple[Any, ...]:
    """What one path gives: its outcome's fields (the error by kind and words), the console
    calls its hook saw, the ops a step hook saw; the state must be as before."""
    root = chain.state_root()
    hook, steps = ConsoleCollector(), StepCounter()
    outcome = path(chain, *args, hook, steps)
    assert chain.state_root() == root
    error = outcome.error
    return (
        outcome.success,
        outcome.output,
        outcome.gas_used,
        outcome.gas_spent,
        outcome.logs,
        None if error is None else (type(error), str(error)),
        outcome.contract_address,
        hook.calls,
        steps.ops,
    )


@pytest.fixture
def setup(chain: Chain, token: Contract) -> dict[str, Any]:
    chain.print_console = False
    codes = {
        "echo": ECHO,
        "reverter": REVERTER,
        "loop": LOOP,
        "creator": CREATOR,
        "clearer": CLEARER,
        "pay_caller": PAY_CALLER,
    }
    addresses = {}
    for index, (name, code) in enumerate(codes.items()):
        address = bytes(19) + bytes([0xC0 + index])
        chain.etch(address, code)
        addresses[name] = address
    chain.store(addresses["clearer"], 0, 7)
    chain.deal(addresses["pay_caller"], 10)
    demo = chain.deploy(load_artifact(CONTRACTS / "ConsoleDemo.json", name="ConsoleDemo"))
    addresses["demo_at"] = bytes(demo.address)
    addresses["token_at"] = bytes(token.address)
    return {"token": token, "demo": demo, **addresses}


def test_the_harness_call_path_gives_what_run_call_gives(chain: Chain, setup: dict) -> None:
    alice, bob = (bytes(a) for a in chain.accounts[:2])
    unfunded = bytes.fromhex("00000000000000000000000000000000000b0b0b")
    token, demo = setup["token"], setup["demo"]
    cap = chain._gas_cap
    calls = [
        (alice, setup["token_at"], 0, token.balanceOf.encode(alice), cap, None),  # success
        (bob, setup["token_at"], 0, token.transfer.encode(alice, 1), cap, None),  # revert, data
        (alice, setup["reverter"], 0, b"", cap, None),  # revert after a write
        (alice, setup["loop"], 0, b"", 100_000, None),  # out of gas
        (alice, setup["echo"], 12345, b"\x01\x00", cap, None),  # value, calldata
        (alice, setup["echo"], 0, b"", cap, bob),  # prank's origin
        (unfunded, setup["echo"], 0, b"", cap, None),  # unfunded sender: its account exists
        (unfunded, setup["pay_caller"], 0, b"", cap, None),  # no new-account surcharge
        (alice, setup["echo"], 0, b"", chain.get_block().gas_limit * 4, None),  # above block
        (alice, setup["creator"], 0, b"", cap, None),  # creates
        (alice, setup["clearer"], 0, b"", cap, None),  # refund, a log
        (alice, setup["demo_at"], 0, demo.callAdd.encode(5), cap, None),  # console, a child call
        (alice, setup["demo_at"], 0, demo.callAdd.encode(500), cap, None),  # console, reverts
        (alice, bytes(19) + b"\xee", 0, b"\x01" * 100, cap, None),  # no code: the floor
        (alice, bytes(19) + b"\x02", 0, b"abc", cap, None),  # a precompile (SHA-256)
    ]
    for call in calls:
        node = _run(_node, chain, *call)
        assert _run(_harness, chain, *call) == node, call
    kinds = [_run(_node, chain, *call)[5] for call in calls]
    assert kinds.count(None) >= 8 and any(k and k[0].__name__ == "OutOfGas" for k in kinds)
    assert _run(_node, chain, *calls[11])[7]  # console.log calls were seen


@pytest.mark.parametrize(
    "sender_name, value, gas",
    [("alice", 0, 21_000), ("unfunded", 1, 100_000), ("alice", 0, 0)],
)
def test_refusals_have_run_calls_words(
    chain: Chain, setup: dict, sender_name: str, value: int, gas: int
) -> None:
    sender = bytes(chain.accounts[0]) if sender_name == "alice" else bytes(20)[:-1] + b"\x0b"
    call = (sender, setup["echo"], value, b"\x01" * 4, gas, None)
    with pytest.raises(CallError) as node:
        _node(chain, *call, None, None)
    with pytest.raises(CallError) as harness:
        _harness(chain, *call, None, None)
    assert str(harness.value) == str(node.value)


def test_a_call_inside_a_snapshot_leaves_it_intact(chain: Chain, token: Contract) -> None:
    alice, bob = chain.accounts[:2]
    snapshot = chain.snapshot()
    token.transfer(bob, 10)
    assert token.balanceOf(bob) == 10
    with pytest.raises(Reverted):
        token.transfer.call(alice, 11, sender=bob)
    chain.revert(snapshot)
    assert token.balanceOf(bob) == 0

"""Call trees from the harness: Receipt.trace() re-runs a transaction with the trace module's
tracer, and a failure's message carries the decoded tree, made only when the text is read."""

import pytest

from pyeth.testing.artifacts import load_artifact
from pyeth.testing.chain import Chain
from pyeth.testing.contracts import Contract, Reverted, TransactionFailed
from tests.unit.testing.conftest import CONTRACTS


@pytest.fixture
def demo(chain: Chain) -> Contract:
    chain.print_console = False
    return chain.deploy(load_artifact(CONTRACTS / "ConsoleDemo.json", name="ConsoleDemo"))


@pytest.fixture
def callee(chain: Chain, demo: Contract) -> Contract:
    artifact = load_artifact(CONTRACTS / "ConsoleDemo.json", name="ConsoleCallee")
    return chain.at(demo.callee(), artifact)


def test_receipt_trace(chain: Chain, demo: Contract, callee: Contract) -> None:
    receipt = demo.callAdd(5)
    balance = chain.get_balance(chain.accounts[0])
    root = receipt.trace()
    assert root.kind == "CALL" and root.to == demo.address and root.success
    assert 0 < root.gas_used < receipt.gas_used  # the frame's gas: no intrinsic cost
    (child,) = root.children
    assert child.to == callee.address and child.console == ["callee add 5"]
    assert chain.get_balance(chain.accounts[0]) == balance  # the re-run left the state as it was
    assert callee.total() == 5
    chain.deal(chain.accounts[3], 1)
    with pytest.raises(RuntimeError, match="changed since"):
        receipt.trace()


def test_failure_message_has_the_decoded_call_tree(
    chain: Chain, demo: Contract, callee: Contract
) -> None:
    with pytest.raises(Reverted) as info:
        demo.callAdd(500)
    text = str(info.value)
    assert text.startswith("ConsoleDemo.callAdd(500) reverted: TooBig(limit=100, got=500)")
    assert "ConsoleDemo::callAdd(500)" in text
    assert "console.log: calling add(500)" in text
    assert "ConsoleCallee::add(500)" in text
    assert text.splitlines()[-1] == "└─ ← [Revert] TooBig(limit=100, got=500)"
    assert callee.total() == 0
    assert str(info.value) == text  # made once


def test_call_failure_message_has_the_tree(chain: Chain, demo: Contract, callee: Contract) -> None:
    with pytest.raises(TransactionFailed) as info:
        demo.divide(1, 0)
    text = str(info.value)
    assert "panic 0x12" in text
    assert "ConsoleCallee::divide(1, 0)" in text


def test_no_tree_once_the_chain_moved_on(chain: Chain, demo: Contract, callee: Contract) -> None:
    with pytest.raises(Reverted) as info:
        demo.callAdd(500)
    demo.callAdd(1)
    assert str(info.value) == "ConsoleDemo.callAdd(500) reverted: TooBig(limit=100, got=500)"

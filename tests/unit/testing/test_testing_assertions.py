"""reverts, expect_events, balance_changes and token_balance_changes: each passes on what it
names and fails, saying why, on anything else."""

import pytest

from pyeth.testing.assertions import (
    balance_changes,
    expect_events,
    reverts,
    token_balance_changes,
)
from pyeth.testing.chain import Chain
from pyeth.testing.contracts import Contract
from tests.unit.testing.conftest import CONTRACTS


@pytest.fixture
def shapes(chain: Chain) -> Contract:
    return chain.deploy(CONTRACTS / "Shapes.json", chain.accounts[0])


def test_reverts_with_reason(shapes: Contract) -> None:
    with reverts("nope") as caught:
        shapes.fail.transact("nope")
    assert caught.exception is not None and caught.exception.receipt is not None
    with (
        pytest.raises(AssertionError, match="expected a revert with reason 'other'"),
        reverts("other"),
    ):
        shapes.fail.transact("nope")
    with reverts(match=r"^no+pe$"):
        shapes.fail("nooope")
    with reverts(match=r"Unauthorized"):  # the regex also sees the decoded failure
        shapes.onlyOwner(1, sender=shapes.chain.accounts[1])
    with pytest.raises(AssertionError, match="but nothing failed"), reverts("nope"):
        shapes.sum([1])


def test_reverts_with_custom_errors(shapes: Contract, chain: Chain) -> None:
    bob = chain.accounts[1]
    with reverts(shapes.errors.Unauthorized(caller=bob, needed=5)):
        shapes.onlyOwner(5, sender=bob)
    with reverts(shapes.errors.Unauthorized(needed=5)):  # some of the arguments
        shapes.onlyOwner(5, sender=bob)
    with reverts(shapes.errors.Unauthorized):  # any arguments
        shapes.onlyOwner(6, sender=bob)
    with (
        pytest.raises(AssertionError, match=r"Unauthorized\(needed=7\).*Unauthorized\("),
        reverts(shapes.errors.Unauthorized(needed=7)),
    ):
        shapes.onlyOwner(6, sender=bob)
    with pytest.raises(AssertionError), reverts(shapes.errors.Empty):
        shapes.onlyOwner(6, sender=bob)
    with reverts(shapes.errors.Empty()):
        shapes.empty()
    with pytest.raises(Exception, match="has no argument 'who'"):
        shapes.errors.Unauthorized(who=bob)


def test_reverts_with_panic_and_data(shapes: Contract) -> None:
    with reverts(panic=0x12):
        shapes.divide(1, 0)
    with pytest.raises(AssertionError, match="a panic 0x11"), reverts(panic=0x11):
        shapes.divide(1, 0)
    with reverts(data=shapes.errors.Empty.encode()):
        shapes.empty()
    with reverts(b""):
        shapes.bare()
    with reverts():
        shapes.burn.transact(gas=21_200)  # an exceptional halt is a failure too


def test_reverts_lets_other_errors_through(shapes: Contract) -> None:
    with pytest.raises(ZeroDivisionError), reverts():
        1 / 0  # noqa: B018
    with pytest.raises(TypeError, match="reason string, a custom error"):
        reverts(42)  # type: ignore[arg-type]


def test_expect_events(shapes: Contract, caller_receipt) -> None:
    receipt, caller = caller_receipt
    stored, called = shapes.events.Stored, caller.events.Called
    expect_events(receipt, [stored(key=5), called()])
    expect_events(receipt, [stored, called(ok=True)], exact=True)
    expect_events(receipt, [called(), stored(note="via caller")], ordered=False)
    expect_events(receipt, [called()])  # others may come between or before
    with pytest.raises(AssertionError, match="in order"):
        expect_events(receipt, [called(), stored()])
    with pytest.raises(AssertionError, match="exactly 1 events, got 2"):
        expect_events(receipt, [stored()], exact=True)
    with pytest.raises(AssertionError, match=r"no Stored\(key=6\)"):
        expect_events(receipt, [stored(key=6)], ordered=False)
    with pytest.raises(AssertionError, match="emitted:\n  Stored"):
        expect_events(receipt, [stored(key=6)])
    # The address is part of the match: the same event from another contract is not it.
    with pytest.raises(AssertionError):
        expect_events(receipt, [stored(key=5).at(caller)])
    expect_events(receipt, [stored(key=5).at(None)])
    with pytest.raises(AssertionError):
        expect_events(receipt, [stored(), stored()], ordered=False)  # counts


@pytest.fixture
def caller_receipt(chain: Chain, shapes: Contract):
    caller = chain.deploy(CONTRACTS / "Caller.json")
    return caller.callStore(shapes, 5), caller


def test_balance_changes(chain: Chain, shapes: Contract) -> None:
    alice, bob = chain.accounts[:2]
    with balance_changes(chain, {alice: -100, bob: 100}):
        chain.send(bob, 100, sender=alice)
    receipt = None
    with balance_changes(chain, {alice: -(100 + 21_000 * chain.base_fee)}, include_fees=True):
        receipt = chain.send(bob, 100, sender=alice)
    assert receipt.fee == 21_000 * receipt.gas_price
    with balance_changes(chain, {alice: -5, shapes: 5}):
        shapes.deposit(value=5)
    with (
        pytest.raises(AssertionError, match=r"expected \+1, changed \+100"),
        balance_changes(chain, {bob: 1}),
    ):
        chain.send(bob, 100, sender=alice)


def test_token_balance_changes(chain: Chain, token: Contract) -> None:
    alice, bob = chain.accounts[:2]
    with token_balance_changes(token, {alice: -10, bob: 10}):
        token.transfer(bob, 10)
    with (
        pytest.raises(AssertionError, match=r"(?s)Token balance changes differ.*expected \+11"),
        token_balance_changes(token, {bob: 11}),
    ):
        token.transfer(bob, 10)
    with (
        pytest.raises(TypeError, match="not an ERC-20"),
        token_balance_changes(chain.deploy(CONTRACTS / "Caller.json"), {bob: 1}),
    ):
        pass

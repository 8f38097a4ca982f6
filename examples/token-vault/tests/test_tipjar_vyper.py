"""The Vyper contract, compiled from source when the `vyper` package is installed."""

from pathlib import Path

import pytest

from pyeth.testing import balance_changes, expect_events, reverts

pytest.importorskip("vyper", reason="compiling Tipjar.vy needs vyper: pip install 'pyeth[vyper]'")

SOURCE = Path(__file__).parent.parent / "contracts" / "Tipjar.vy"


@pytest.fixture(scope="module")
def tipjar(deploy, deployer):
    return deploy(SOURCE, sender=deployer)


def test_tips_are_counted_per_sender(tipjar, alice, bob):
    receipt = tipjar.tip(sender=alice, value=5)
    tipjar.tip(sender=bob, value=7)
    tipjar.tip(sender=alice, value=1)
    assert tipjar.tipped(alice) == 6 and tipjar.total() == 13
    expect_events(receipt, [tipjar.events.Tip(sender=alice, amount=5)])


def test_an_empty_tip_reverts_with_its_reason(tipjar, alice):
    with reverts("empty tip"):
        tipjar.tip(sender=alice)


def test_only_the_owner_withdraws(chain, tipjar, deployer, alice):
    tipjar.tip(sender=alice, value=10**18)
    with reverts("not the owner"):
        tipjar.withdraw(sender=alice)
    with balance_changes(chain, {deployer: 10**18, tipjar: -(10**18)}):
        tipjar.withdraw(sender=deployer)

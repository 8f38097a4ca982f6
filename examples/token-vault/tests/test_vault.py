"""Unit tests of the vault: shares, the time lock (time travel), events, console lines, ether."""

import pytest

from pyeth.testing import balance_changes, expect_events, reverts, token_balance_changes

DAY = 24 * 60 * 60


def test_first_deposit_mints_shares_one_for_one(vault, token, alice):
    with token_balance_changes(token, {alice: -1000, vault: 1000}):
        receipt = vault.deposit(1000, sender=alice)
    assert receipt.return_value == 1000
    assert vault.sharesOf(alice) == vault.totalShares() == 1000
    expect_events(receipt, [vault.events.Deposit(owner=alice, assets=1000, shares=1000)])
    assert receipt.console == ["deposit, shares: 1000"]


def test_shares_follow_the_assets_held(vault, token, alice, bob):
    vault.deposit(1000, sender=alice)
    token.transfer(vault, 1000, sender=bob)  # a gift doubles the value of each share
    receipt = vault.deposit(1000, sender=bob)
    assert receipt.return_value == 500


def test_withdraw_is_locked_for_a_day(chain, vault, alice):
    vault.deposit(1000, sender=alice)
    until = vault.unlockedAt(alice)
    assert until == chain.timestamp + DAY
    with reverts(vault.errors.Locked(until=until)):
        vault.withdraw(1000, sender=alice)
    chain.skip(DAY)
    receipt = vault.withdraw(1000, sender=alice)
    assert receipt.return_value == 1000
    expect_events(receipt, [vault.events.Withdraw(owner=alice)])  # other fields: any value
    assert receipt.console == [f"withdraw to {alice}"]


def test_withdraw_more_than_owned(chain, vault, alice):
    vault.deposit(10, sender=alice)
    chain.skip(DAY)
    with reverts(vault.errors.InsufficientShares(available=10, required=11)):
        vault.withdraw(11, sender=alice)


@pytest.mark.parametrize("call", ["deposit", "withdraw"])
def test_zero_amounts_are_refused(vault, alice, call):
    with reverts(vault.errors.ZeroAmount()):
        getattr(vault, call)(0, sender=alice)


def test_tips_are_swept_to_the_owner(chain, vault, deployer, carol):
    with balance_changes(chain, {carol: -3 * 10**18, vault: 3 * 10**18}):
        vault.tip(sender=carol, value=3 * 10**18)
    with reverts(vault.errors.NotOwner(caller=carol)):
        vault.sweep(sender=carol)
    with balance_changes(chain, {deployer: 3 * 10**18, vault: -3 * 10**18}):
        vault.sweep(sender=deployer)


def test_an_empty_tip_is_refused(vault, carol):
    with reverts(vault.errors.ZeroAmount()):
        vault.tip(sender=carol)

"""Unit tests of the ERC-20: transfers, allowances, events, custom errors, pranks."""

from conftest import SUPPLY

from pyeth.testing import expect_events, reverts, token_balance_changes


def test_mint_gave_each_holder_half(token, alice, bob):
    assert token.totalSupply() == SUPPLY
    assert token.balanceOf(alice) == token.balanceOf(bob) == SUPPLY // 2
    assert token.name() == "Vault Token" and token.decimals() == 18


def test_transfer_moves_balance_and_emits_transfer(token, alice, carol):
    with token_balance_changes(token, {alice: -250, carol: 250}):
        receipt = token.transfer(carol, 250, sender=alice)
    assert receipt.return_value is True
    expect_events(receipt, [token.events.Transfer(**{"from": alice, "to": carol, "value": 250})])


def test_every_test_starts_from_the_fixtures_state(token, carol):
    # The transfer in the test above was reverted when it ended.
    assert token.balanceOf(carol) == 0


def test_transfer_beyond_balance_reverts_with_the_numbers(token, carol, dave):
    with reverts(token.errors.InsufficientBalance(account=carol, available=0, required=1)):
        token.transfer(dave, 1, sender=carol)


def test_transfer_from_spends_the_allowance(token, alice, bob, carol):
    token.approve(bob, 100, sender=alice)
    with reverts(token.errors.InsufficientAllowance(spender=bob, available=100, required=101)):
        token.transferFrom(alice, carol, 101, sender=bob)
    token.transferFrom(alice, carol, 60, sender=bob)
    assert token.allowance(alice, bob) == 40
    assert token.balanceOf(carol) == 60


def test_only_the_owner_mints(chain, token, deployer, alice):
    with reverts(token.errors.NotOwner(caller=alice)):
        token.mint(alice, 1, sender=alice)
    # Any address can be pranked as the sender, without its key.
    with chain.prank(deployer):
        token.mint(alice, 1)
    assert token.totalSupply() == SUPPLY + 1

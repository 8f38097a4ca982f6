"""Property tests: hypothesis draws the inputs, the plugin reverts the chain after each one."""

from pathlib import Path

from conftest import SUPPLY
from hypothesis import given, settings

from pyeth.testing import load_artifact, reverts
from pyeth.testing.strategies import args_strategy, strategy

TOKEN = load_artifact(Path(__file__).parent.parent / "out" / "Token.sol" / "Token.json")
DAY = 24 * 60 * 60


@settings(max_examples=50)
@given(assets=strategy("uint256", min_value=1, max_value=SUPPLY // 2))  # all alice has
def test_deposit_then_withdraw_returns_what_was_put_in(chain, vault, token, alice, assets):
    before = token.balanceOf(alice)
    shares = vault.deposit(assets, sender=alice).return_value
    chain.skip(DAY)
    vault.withdraw(shares, sender=alice)
    assert token.balanceOf(alice) == before


@settings(max_examples=50)
@given(args=args_strategy(TOKEN, "transfer", max_value=10**25))
def test_a_transfer_moves_exactly_the_amount_or_reverts(token, alice, args):
    # `to` is drawn from the chain's accounts and contracts as well as arbitrary addresses.
    to, amount = args
    held, received = token.balanceOf(alice), token.balanceOf(to)
    if amount > held:
        with reverts(token.errors.InsufficientBalance):
            token.transfer(to, amount, sender=alice)
        return
    token.transfer(to, amount, sender=alice)
    if str(to) == str(alice):
        assert token.balanceOf(alice) == held
    else:
        assert token.balanceOf(alice) == held - amount
        assert token.balanceOf(to) == received + amount

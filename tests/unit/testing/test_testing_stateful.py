"""pyeth.testing.stateful: rules from a contract's ABI, reverts counted, broken invariants found
and shrunk, every run reverted, and bad machine settings refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis.errors import Flaky
from hypothesis.stateful import invariant

from pyeth.testing import Chain, Reverted
from pyeth.testing.stateful import ContractMachine, run_state_machine
from pyeth.testing.strategies import AbiTypeError

OUT = Path(__file__).resolve().parents[3] / "examples" / "token-vault" / "out"
# derandomize: the same examples every run, so these tests pass or fail the same way each time.
SETTINGS = {
    "max_examples": 15,
    "stateful_step_count": 10,
    "deadline": None,
    "database": None,
    "derandomize": True,
}


@pytest.fixture(scope="module")
def deployed() -> tuple[Chain, object, object]:
    chain = Chain()
    owner, alice, bob = chain.accounts[:3]
    token = chain.deploy(OUT / "Token.sol" / "Token.json", "T", "T", sender=owner)
    vault = chain.deploy(OUT / "Vault.sol" / "Vault.json", token, sender=owner)
    for holder in (alice, bob):
        token.mint(holder, 10**24, sender=owner)
        token.approve(vault, 2**256 - 1, sender=holder)
    return chain, token, vault


class Vault(ContractMachine):
    exclude = ("sweep",)
    bounds = {"max_value": 10**20}

    @invariant()
    def shares_add_up(self) -> None:
        total = sum(self.contract.sharesOf(s) for s in self.senders)
        assert total == self.contract.totalShares()


def test_rules_cover_the_state_changing_functions_and_count_reverts(deployed) -> None:
    chain, token, vault = deployed
    alice, bob = chain.accounts[1:3]
    before = (chain.block_number, token.balanceOf(vault), vault.totalShares())
    stats = run_state_machine(Vault, vault, senders=[alice, bob], settings=SETTINGS)
    # deposit, withdraw and tip are rules; views (sharesOf, totalAssets...) and sweep are not.
    assert set(stats.calls) <= {"deposit(uint256)", "withdraw(uint256)", "tip()"}
    assert stats.runs >= 15
    assert stats.succeeded("deposit(uint256)") > 0
    # Withdrawals inside the day's lock revert, and are counted rather than failing the run.
    assert stats.reverts.get("withdraw(uint256)", 0) > 0
    assert "deposit(uint256)" in str(stats)
    # Every run was reverted: the chain is as it was.
    assert (chain.block_number, token.balanceOf(vault), vault.totalShares()) == before


def test_a_broken_invariant_is_found_and_shrunk(deployed) -> None:
    chain, token, vault = deployed

    class NoDeposits(ContractMachine):
        include = ("deposit",)

        @invariant()
        def nothing_deposited(self) -> None:
            assert self.contract.totalShares() == 0, "shares were minted"

    with pytest.raises(AssertionError, match="shares were minted"):
        run_state_machine(NoDeposits, vault, senders=chain.accounts[1:3], settings=SETTINGS)
    assert vault.totalShares() == 0  # the failing runs were reverted too


def test_attributes_reach_the_machine(deployed) -> None:
    chain, token, vault = deployed
    seen = []

    class Backed(ContractMachine):
        include = ("deposit(uint256)",)

        @invariant()
        def backed(self) -> None:
            seen.append(self.token)
            held = self.token.balanceOf(self.contract)
            assert self.contract.previewWithdraw(self.contract.totalShares()) <= held

    run_state_machine(Backed, vault, senders=chain.accounts[1:3], token=token, settings=SETTINGS)
    assert seen and all(t is token for t in seen)


def test_fail_on_revert_makes_a_revert_fail_the_run(deployed) -> None:
    chain, token, vault = deployed

    class Strict(ContractMachine):
        include = ("withdraw",)
        fail_on_revert = True

    with pytest.raises((Reverted, Flaky)):
        run_state_machine(Strict, vault, senders=chain.accounts[1:3], settings=SETTINGS)


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"exclude": ("depositt",)}, "no function 'depositt'"),
        ({"include": ("totalAssets",), "exclude": ()}, "no function that changes state"),
    ],
)
def test_bad_machine_settings_are_refused(deployed, attributes, message) -> None:
    chain, token, vault = deployed
    machine = type("Bad", (ContractMachine,), attributes)
    with pytest.raises(AbiTypeError, match=message):
        run_state_machine(machine, vault, settings=SETTINGS)


def test_senders_must_not_be_empty(deployed) -> None:
    chain, token, vault = deployed
    with pytest.raises(ValueError, match="senders is empty"):
        run_state_machine(Vault, vault, senders=[], settings=SETTINGS)


def test_max_skip_adds_a_rule_moving_the_clock(deployed) -> None:
    chain, token, vault = deployed
    before = chain.pending_timestamp
    unlocked = []

    class Timed(ContractMachine):
        include = ("deposit",)
        max_skip = 3 * 24 * 3600

        @invariant()
        def lock_is_a_day_after_the_last_deposit(self) -> None:
            for sender in self.senders:
                until = self.contract.unlockedAt(sender)
                # The time the next transaction (a withdraw, say) would run at.
                if until and self.chain.pending_timestamp >= until:
                    unlocked.append(sender)

    stats = run_state_machine(Timed, vault, senders=chain.accounts[1:3], settings=SETTINGS)
    assert stats.skipped > 0
    assert unlocked  # some run moved the clock past a deposit's lock
    assert chain.pending_timestamp == before  # and every run was reverted

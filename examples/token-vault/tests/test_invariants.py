"""Invariant testing: random sequences of vault calls from random senders, and properties that
must hold after every call (forge's invariant tests, on hypothesis's state machines)."""

from hypothesis.stateful import invariant

from pyeth.testing.stateful import ContractMachine, run_state_machine


class VaultInvariants(ContractMachine):
    exclude = ("sweep", "tip")  # ether handling is not what these invariants are about
    bounds = {"max_value": 10**21}  # amounts up to 1,000 tokens, so deposits often succeed
    max_skip = 2 * 24 * 60 * 60  # a rule moves the clock up to two days: locks expire

    @invariant()
    def shares_add_up(self):
        total = sum(self.contract.sharesOf(sender) for sender in self.senders)
        assert total == self.contract.totalShares()

    @invariant()
    def shares_are_backed(self):
        # Every share can be redeemed: the vault holds at least what the shares are worth.
        held = self.token.balanceOf(self.contract)
        assert self.contract.previewWithdraw(self.contract.totalShares()) <= held


def test_vault_invariants(vault, token, alice, bob):
    stats = run_state_machine(
        VaultInvariants,
        vault,
        senders=[alice, bob],
        token=token,
        settings={"max_examples": 25, "stateful_step_count": 15},
    )
    # The run was not vacuous: deposits went through.
    assert stats.succeeded("deposit(uint256)") > 0, str(stats)

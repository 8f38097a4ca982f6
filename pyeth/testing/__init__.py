"""pyeth.testing: the contract test harness. An in-process chain on pyeth's own EVM and
transaction rules (`Chain`), contracts from the artefacts compilers write (`Contract`,
`load_artifact`), and assertions for reverts, events and balance changes.

The names are loaded on first use (PEP 562), so `import pyeth.testing` costs almost nothing;
the EVM loads with the first `Chain`, eth-abi with the first value that needs it.

    from pyeth.testing import Chain, balance_changes, expect_events, reverts

    chain = Chain()
    alice, bob = chain.accounts[:2]
    token = chain.deploy("tests/rpc/contracts/Token.json", 1_000)  # any artefact format
    receipt = token.transfer(bob, 10)  # a transaction, from accounts[0]: a Receipt
    assert token.balanceOf(bob) == 10  # a view: a call
    expect_events(receipt, [token.events.Transfer(to=bob, value=10)])
    with reverts("insufficient balance"):
        token.transfer(alice, 11, sender=bob)
    with reverts(token.errors.Boom(code=42)):
        token.boom()
    before = chain.get_balance(bob)
    with chain.anchor(), chain.prank(bob), balance_changes(chain, {bob: -5, alice: 5}):
        chain.send(alice, 5)  # gas fees left out unless include_fees=True
    assert chain.get_balance(bob) == before  # the anchor undid it
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyeth.testing.abi import ABIArgumentError, ABIDecodeError, Address
    from pyeth.testing.artifacts import (
        ABIMismatch,
        Artifact,
        ArtifactError,
        compile_vyper,
        load_artifact,
    )
    from pyeth.testing.assertions import (
        balance_changes,
        expect_events,
        reverts,
        token_balance_changes,
    )
    from pyeth.testing.chain import ABIMismatchWarning, Account, Block, Chain
    from pyeth.testing.contracts import (
        Contract,
        Event,
        Receipt,
        Reverted,
        TransactionFailed,
        TransactionRejected,
    )

_EXPORTS = {
    "ABIArgumentError": "abi",
    "ABIDecodeError": "abi",
    "Address": "abi",
    "ABIMismatch": "artifacts",
    "Artifact": "artifacts",
    "ArtifactError": "artifacts",
    "compile_vyper": "artifacts",
    "load_artifact": "artifacts",
    "balance_changes": "assertions",
    "expect_events": "assertions",
    "reverts": "assertions",
    "token_balance_changes": "assertions",
    "ABIMismatchWarning": "chain",
    "Account": "chain",
    "Block": "chain",
    "Chain": "chain",
    "Contract": "contracts",
    "Event": "contracts",
    "Receipt": "contracts",
    "Reverted": "contracts",
    "TransactionFailed": "contracts",
    "TransactionRejected": "contracts",
}

__all__ = [
    "ABIArgumentError",
    "ABIDecodeError",
    "ABIMismatch",
    "ABIMismatchWarning",
    "Account",
    "Address",
    "Artifact",
    "ArtifactError",
    "Block",
    "Chain",
    "Contract",
    "Event",
    "Receipt",
    "Reverted",
    "TransactionFailed",
    "TransactionRejected",
    "balance_changes",
    "compile_vyper",
    "expect_events",
    "load_artifact",
    "reverts",
    "token_balance_changes",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pyeth.testing' has no attribute {name!r}")
    value = getattr(import_module(f"pyeth.testing.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])

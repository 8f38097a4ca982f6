"""pyeth.testing: the contract test harness. An in-process chain on pyeth's own EVM and
transaction rules (`Chain`), contracts from the artefacts compilers write (`Contract`,
`load_artifact`), and assertions for reverts, events and balance changes.

The names are loaded on first use (PEP 562), so `import pyeth.testing` costs almost nothing;
the EVM and eth-abi load with the first `Chain` or `Contract`.
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

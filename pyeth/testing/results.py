"""One fixture case's outcome, shared by the state-test and blockchain-test runners."""

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class CaseResult:
    """A case's name, fork (or test network), whether it passed, the digest it reached and
    what was wrong. `to_json` is geth's `evm statetest --json` shape, or `evm blocktest`'s
    when `digest_key` is "lastblockhash" (the state root is then the head's block hash)."""

    name: str
    fork: str
    passed: bool
    digest: str
    error: str | None = None
    digest_key: str = "stateRoot"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "fork": self.fork,
            "pass": self.passed,
            self.digest_key: self.digest,
            "error": self.error,
        }

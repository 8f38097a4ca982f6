"""Where the shared conformance fixtures are: `../shared` beside the repository by default (where
CI has them), PYETH_SHARED_DIR for a clone elsewhere, or the folders named by PYETH_TESTS_DIR
(ethereum/tests) and PYETH_EEST_DIR (EEST Prague/Osaka).

`python3 -m tests.helpers.fixtures` (stdlib only, so before any install) exits non-zero naming
what is missing: `.ci/run` fails on it rather than letting the conformance tests skip."""

import os
import sys
from pathlib import Path

SHARED_DIR = Path(
    os.environ.get("PYETH_SHARED_DIR", Path(__file__).resolve().parents[2].parent / "shared")
)
ETHEREUM_TESTS = Path(os.environ.get("PYETH_TESTS_DIR", SHARED_DIR / "ethereum-tests"))
EEST_FIXTURES = Path(os.environ.get("PYETH_EEST_DIR", SHARED_DIR / "eest-fixtures"))

# The folders the conformance tests (tests/conformance, tests/unit/precompiles) read.
REQUIRED: tuple[Path, ...] = (
    *(
        ETHEREUM_TESTS / name
        for name in (
            "GeneralStateTests",
            "BlockchainTests",
            "TransactionTests",
            "RLPTests",
            "TrieTests",
        )
    ),
    EEST_FIXTURES / "state_tests",
    EEST_FIXTURES / "blockchain_tests",
)


def missing() -> list[Path]:
    """The required fixture folders that are not there."""
    return [path for path in REQUIRED if not path.is_dir()]


def main() -> int:
    absent = missing()
    if not absent:
        print(f"conformance fixtures: {ETHEREUM_TESTS} and {EEST_FIXTURES}")
        return 0
    print(
        "ERROR: conformance fixtures missing: "
        + ", ".join(str(path) for path in absent)
        + ". CI has them at ../shared beside the checkout; for a clone elsewhere set "
        "PYETH_SHARED_DIR to the folder holding ethereum-tests/ and eest-fixtures/ "
        "(or PYETH_TESTS_DIR and PYETH_EEST_DIR to each).",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())

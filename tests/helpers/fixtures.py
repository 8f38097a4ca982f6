"""Where the shared conformance fixtures are: `../shared` beside the repository by default, or
the folders named by PYETH_TESTS_DIR (ethereum/tests) and PYETH_EEST_DIR (EEST Prague/Osaka)."""

import os
from pathlib import Path

SHARED_DIR = Path(
    os.environ.get("PYETH_SHARED_DIR", Path(__file__).resolve().parents[2].parent / "shared")
)
ETHEREUM_TESTS = Path(os.environ.get("PYETH_TESTS_DIR", SHARED_DIR / "ethereum-tests"))
EEST_FIXTURES = Path(os.environ.get("PYETH_EEST_DIR", SHARED_DIR / "eest-fixtures"))

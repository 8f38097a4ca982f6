"""Runs every `network == "Cancun"` test of ethereum/tests BlockchainTests through the chain:
ValidBlocks, InvalidBlocks and the EEST blockchain-only tests (GeneralStateTests/Pyspecs: beacon
roots, blobs, withdrawals, selfdestruct across transactions).

Each case imports the fixture's genesis and blocks into a fresh in-memory chain, expects the
blocks marked `expectException` to be rejected and the others accepted, and compares the head
with `lastblockhash` and its state with the post state (`pyeth.testing.blocktests`). The whole
corpus takes seconds, so all of it runs by default; ids are `file:case:fork`.
"""

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from pyeth.testing.blocktests import run_case
from tests.helpers.fixtures import ETHEREUM_TESTS

TESTS_DIR = ETHEREUM_TESTS
BLOCKCHAIN_DIR = TESTS_DIR / "BlockchainTests"
FOLDERS = ("ValidBlocks", "InvalidBlocks", "GeneralStateTests/Pyspecs")
FORK = "Cancun"


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, Any]:
    with open(path) as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def _cases() -> list[Any]:
    if not BLOCKCHAIN_DIR.is_dir():
        reason = f"BlockchainTests fixtures not found at {BLOCKCHAIN_DIR} (set PYETH_TESTS_DIR)"
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=reason), id="missing")]
    params = []
    for folder in FOLDERS:
        for path in sorted((BLOCKCHAIN_DIR / folder).rglob("*.json")):
            relative = path.relative_to(BLOCKCHAIN_DIR).with_suffix("")
            for name, test in _load(path).items():
                if isinstance(test, dict) and test.get("network") == FORK:
                    params.append(pytest.param(path, name, id=f"{relative}:{name}:{FORK}"))
    _load.cache_clear()
    return params


@pytest.mark.conformance
@pytest.mark.parametrize(("path", "name"), _cases())
def test_blockchain(path: Path, name: str) -> None:
    result = run_case(name, _load(path)[name])
    assert result.passed, result.error

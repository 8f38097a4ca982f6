"""Runs blockchain-test fixtures through the chain: every test of ethereum/tests BlockchainTests
(ValidBlocks, InvalidBlocks and the EEST blockchain-only tests in GeneralStateTests/Pyspecs:
beacon roots, blobs, withdrawals, selfdestruct across transactions) and of the EEST
Prague/Osaka blockchain tests on a network pyeth runs: Berlin to BPO2 and the transitions
CancunToPragueAtTime15k ... BPO3ToBPO4AtTime15k (991 and 1,533 cases). The 3 ethereum/tests
cases on forks before Berlin are not collected.

Each case imports the fixture's genesis and blocks into a fresh in-memory chain, expects the
blocks marked `expectException` to be rejected and the others accepted, and compares the head
with `lastblockhash` and its state with the post state (`pyeth.fixtures.blocktests`). Both
corpora take about 40 seconds of CPU (under a minute with `-n 2`), so all of it runs by default;
ids are `corpus/path:case:network`.
"""

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from pyeth.fixtures.blocktests import is_runnable, run_case
from tests.helpers.fixtures import EEST_FIXTURES, ETHEREUM_TESTS

BLOCKCHAIN_DIR = ETHEREUM_TESTS / "BlockchainTests"
# (corpus name, root, folders under it, networks to run: None for every one pyeth runs)
CORPORA: tuple[tuple[str, Path, tuple[str, ...], frozenset[str] | None], ...] = (
    (
        "ethereum-tests",
        BLOCKCHAIN_DIR,
        ("ValidBlocks", "InvalidBlocks", "GeneralStateTests/Pyspecs"),
        None,
    ),
    ("eest", EEST_FIXTURES / "blockchain_tests", (".",), None),
)


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, Any]:
    with open(path) as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def _wanted(test: Any, networks: frozenset[str] | None) -> bool:
    if not isinstance(test, dict) or "network" not in test:
        return False
    if networks is not None:
        return test["network"] in networks
    return is_runnable(test["network"], test.get("config"))


def _cases() -> list[Any]:
    params = []
    for corpus, root, folders, networks in CORPORA:
        if not root.is_dir():
            reason = f"{corpus} blockchain fixtures not found at {root} (see tests/helpers)"
            params.append(pytest.param(None, None, marks=pytest.mark.skip(reason=reason)))
            continue
        for folder in folders:
            for path in sorted((root / folder).rglob("*.json")):
                relative = path.relative_to(root).as_posix().removesuffix(".json")
                for name, test in _load(path).items():
                    if _wanted(test, networks):
                        case_id = f"{corpus}/{relative}:{name}:{test['network']}"
                        params.append(pytest.param(path, name, id=case_id))
        _load.cache_clear()
    return params


@pytest.mark.conformance
@pytest.mark.parametrize(("path", "name"), _cases())
def test_blockchain(path: Path, name: str) -> None:
    result = run_case(name, _load(path)[name])
    assert result.passed, result.error

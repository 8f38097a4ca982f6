"""Runs state-test fixtures through pyeth's EVM and state: every case of ethereum/tests
GeneralStateTests and of the EEST Prague/Osaka state tests for the forks pyeth implements
(Berlin to BPO2: 14,390 Cancun post entries and 237 Berlin-Shanghai ones in ethereum/tests, 3,643
in EEST).

One pytest case per post entry, id `corpus/path:test[index]:fork`, all in the default test run
(about five minutes of CPU with the block compiler; `pytest -m conformance -n auto` runs just
the conformance suites). The heaviest single case, stTimeConsuming/CALLBlake2f_MaxRounds, runs
2**32-1 BLAKE2 rounds and takes about two minutes on one core. Entries of forks before Berlin
(Frontier to Istanbul, in ethereum/tests) are not collected.
"""

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from evm.forks import FORKS
from pyeth.fixtures.statetests import run_case
from tests.helpers.fixtures import EEST_FIXTURES, ETHEREUM_TESTS

# (corpus name, folder, forks to run)
CORPORA = (
    ("ethereum-tests", ETHEREUM_TESTS / "GeneralStateTests", tuple(FORKS)),
    ("eest", EEST_FIXTURES / "state_tests", tuple(FORKS)),
)


@lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, Any]:
    with open(path) as handle:
        return json.load(handle)


def _params() -> list:
    params = []
    for corpus, folder, forks in CORPORA:
        if not folder.is_dir():
            reason = f"{corpus} state fixtures not found at {folder} (see tests/conformance)"
            params.append(pytest.param(None, None, "", 0, marks=pytest.mark.skip(reason=reason)))
            continue
        for path in sorted(folder.rglob("*.json")):
            relative = path.relative_to(folder).as_posix().removesuffix(".json")
            for name, test in _load(path).items():
                for fork, entries in test.get("post", {}).items():
                    if fork not in forks:
                        continue
                    for index in range(len(entries)):
                        case_id = f"{corpus}/{relative}:{name}[{index}]:{fork}"
                        params.append(
                            pytest.param(
                                path, name, fork, index, marks=pytest.mark.conformance, id=case_id
                            )
                        )
        _load.cache_clear()
    return params


@pytest.mark.parametrize(("path", "name", "fork", "index"), _params())
def test_state(path: Path, name: str, fork: str, index: int) -> None:
    result = run_case(name, _load(path)[name], fork, index)
    assert result.passed, result.error

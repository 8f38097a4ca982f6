"""Runs the Cancun cases of ethereum/tests GeneralStateTests through pyeth's EVM and state.

One pytest case per post entry, id `path:test[index]:fork`: all 14,390 run in the default test
run (about four minutes of CPU with the block compiler; `pytest -m conformance -n auto` runs just
the conformance suites). The heaviest single case, stTimeConsuming/CALLBlake2f_MaxRounds, runs
2**32-1 BLAKE2 rounds and takes about two minutes on one core.
"""

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from pyeth.testing.statetests import run_case

TESTS_DIR = Path(
    os.environ.get(
        "PYETH_TESTS_DIR", Path(__file__).resolve().parents[2].parent / "shared" / "ethereum-tests"
    )
)
STATE_DIR = TESTS_DIR / "GeneralStateTests"
FORK = "Cancun"


@lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, Any]:
    with open(path) as handle:
        return json.load(handle)


def _params() -> list:
    if not STATE_DIR.is_dir():
        reason = f"GeneralStateTests fixtures not found at {STATE_DIR} (set PYETH_TESTS_DIR)"
        return [pytest.param(None, None, 0, marks=pytest.mark.skip(reason=reason), id="missing")]
    params = []
    for path in sorted(STATE_DIR.rglob("*.json")):
        relative = path.relative_to(STATE_DIR).as_posix()
        marks = [pytest.mark.conformance]
        for name, test in _load(path).items():
            for index in range(len(test.get("post", {}).get(FORK, ()))):
                case_id = f"{relative.removesuffix('.json')}:{name}[{index}]:{FORK}"
                params.append(pytest.param(path, name, index, marks=marks, id=case_id))
    _load.cache_clear()
    return params


@pytest.mark.parametrize(("path", "name", "index"), _params())
def test_state(path: Path, name: str, index: int) -> None:
    result = run_case(name, _load(path)[name], FORK, index)
    assert result.passed, result.error

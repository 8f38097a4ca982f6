"""`pyeth statetest` and `pyeth blocktest` when nothing would run: a misspelt `--fork`, a `--run`
that matches no test, a file or folder without tests, only forks pyeth does not run. Each is an
error (non-zero exit) whose message says why, never "0/0 passed" and status 0."""

import json
from pathlib import Path

import pytest

from evm.forks import FORKS
from pyeth.cli import main
from pyeth.fixtures.blocktests import RUNNABLE_FORKS

SENDER_KEY = "0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8"


def state_test(forks: list[str]) -> dict[str, object]:
    """A one-transfer state test with a post entry per fork (its expected root is made up:
    these tests are about which cases run, not whether they pass)."""
    return {
        "env": {
            "currentCoinbase": "0x" + "ba" * 20,
            "currentNumber": "0x1",
            "currentTimestamp": "0x3e8",
            "currentGasLimit": "0x1000000",
            "currentBaseFee": "0xa",
            "currentRandom": "0x" + "00" * 32,
        },
        "pre": {
            "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b": {
                "balance": "0x3635c9adc5dea00000",
                "nonce": "0x0",
                "code": "0x",
                "storage": {},
            }
        },
        "transaction": {
            "secretKey": SENDER_KEY,
            "nonce": "0x0",
            "gasPrice": "0xa",
            "to": "0x" + "11" * 20,
            "data": ["0x"],
            "gasLimit": ["0x5208"],
            "value": ["0x1"],
        },
        "post": {
            fork: [{"hash": "0x" + "00" * 32, "indexes": {"data": 0, "gas": 0, "value": 0}}]
            for fork in forks
        },
    }


def block_test(network: str) -> dict[str, object]:
    """A blockchain test's outline: enough to be listed, skipped or filtered out."""
    return {"network": network, "genesisBlockHeader": {}, "blocks": []}


def write(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main([*argv, "--workers", "1"])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("command", ["statetest", "blocktest"])
def test_a_misspelt_fork_is_refused_with_the_known_names(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixture = write(tmp_path / "t.json", {})
    status, out, err = run(capsys, command, str(fixture), "--fork", "cancun", "--fork", "Cancun")
    assert status == 2 and out == ""
    assert "unknown --fork cancun (did you mean: cancun -> Cancun)" in err
    known = FORKS if command == "statetest" else RUNNABLE_FORKS
    assert f"pyeth runs {', '.join(known)}" in err  # every fork pyeth runs, in order
    status, _, err = run(capsys, command, str(fixture), "--fork", "Pargue")
    assert status == 2 and "Pargue -> Prague" in err


def test_blocktest_takes_transition_networks_and_names_them_in_its_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixture = write(tmp_path / "t.json", {"a": block_test("PragueToOsakaAtTime15k")})
    status, _, err = run(capsys, "blocktest", str(fixture), "--fork", "Frontier")
    assert status == 2 and "or a transition such as PragueToOsakaAtTime15k" in err
    status, _, err = run(capsys, "blocktest", str(fixture), "--fork", "Cancun")
    assert status == 1  # a known network: accepted, then no test is on it
    assert "no case ran: the file holds no test on Cancun" in err


def test_a_run_filter_that_matches_nothing_fails_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixture = write(tmp_path / "t.json", {"transfer": state_test(["Cancun"])})
    status, out, err = run(capsys, "statetest", str(fixture), "--run", "nosuch")
    assert status == 1
    assert "0/0 passed" not in out
    assert "no case ran: the file holds no test whose name contains 'nosuch'" in err
    status, _, err = run(capsys, "statetest", str(fixture), "--run", "nosuch", "--fork", "Prague")
    assert status == 1
    assert "holds no test whose name contains 'nosuch' and on Prague" in err


def test_the_selected_case_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fixture = write(tmp_path / "t.json", {"transfer": state_test(["Cancun", "Prague"])})
    _, out, err = run(capsys, "statetest", str(fixture), "--run", "trans", "--fork", "Prague")
    assert "no case ran" not in err
    assert out.splitlines()[-1].startswith("0/1 passed")  # ran, and failed on the made-up root
    _, out, _ = run(capsys, "statetest", str(fixture), "--json")
    assert [(r["name"], r["fork"]) for r in json.loads(out)] == [
        ("transfer", "Cancun"),
        ("transfer", "Prague"),
    ]


@pytest.mark.parametrize("command", ["statetest", "blocktest"])
def test_a_file_without_tests_fails(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixture = write(tmp_path / "empty.json", {})
    status, out, err = run(capsys, command, str(fixture))
    assert status == 1 and "0/0" not in out
    assert "no case ran: the file holds no tests" in err
    # With --json the array is still printed (empty), and the status and reason are the same.
    status, out, err = run(capsys, command, str(fixture), "--json")
    assert status == 1 and json.loads(out) == [] and "no case ran" in err


def test_a_folder_without_fixture_files_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("no fixtures here")
    status, _, err = run(capsys, "blocktest", str(tmp_path))
    assert status == 1
    assert f"no .json fixture files in {tmp_path}" in err


def test_only_forks_pyeth_does_not_run_fails_naming_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = write(tmp_path / "s.json", {"old": state_test(["Frontier", "Homestead"])})
    status, _, err = run(capsys, "statetest", str(state))
    assert status == 1
    assert "every one selected is on a fork pyeth does not run (Frontier, Homestead)" in err
    block = write(tmp_path / "b.json", {"old": block_test("Frontier")})
    status, _, err = run(capsys, "blocktest", str(block))
    assert status == 1 and "fork pyeth does not run (Frontier)" in err

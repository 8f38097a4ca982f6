"""Smoke tests of benchmarks/evm.py (its assembler, one tiny case in pyeth, a missing engine) and
benchmarks/harness.py (a tiny run of every row in pyeth, a missing peer, the final-state check).

Quick and pyeth only: no peer is needed and no timing is asserted.
"""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "evm.py"


@pytest.fixture(scope="module")
def bench():
    # Loaded by path under another name: as `evm` it would shadow the interpreter package.
    spec = importlib.util.spec_from_file_location("pyeth_benchmarks_evm", BENCH_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_assembler_places_labels(bench):
    code = bench.assemble(0, bench.Label("top"), bench.Ref("top"), "JUMP")
    # PUSH1 0, JUMPDEST (offset 2), PUSH2 0x0002, JUMP
    assert code == bytes.fromhex("60005b61000256")


def test_tiny_case_runs_and_checks_in_pyeth(bench):
    code = bench.assemble(2, 3, "ADD", 0, "MSTORE", 32, 0, "RETURN")
    case = bench.Case(
        "smoke/add", "builtin", bench.MICRO_ADDRESS, code, b"", 100_000, (5).to_bytes(32, "big"), 24
    )
    results = {"pyeth": bench.measure(bench.pyeth_engine(), case, 0.0, 20.0)}
    gas = bench.check(case, results)
    m = results["pyeth"]
    assert (m.error, m.mismatch) == ("", "")
    assert gas == 24  # 4 pushes, ADD, MSTORE with one word of memory, 2 pushes
    assert len(m.times) >= 3 and m.ok
    bad = bench.Case("smoke/bad", "builtin", case.address, code, b"", 100_000, b"\x01", None)
    results = {"pyeth": bench.measure(bench.pyeth_engine(), bad, 0.0, 20.0)}
    bench.check(bad, results)
    assert "output" in results["pyeth"].mismatch and not results["pyeth"].ok


def test_missing_engine_is_reported_not_raised(bench, monkeypatch):
    def broken():
        raise ImportError("No module named 'nothing_here'")

    monkeypatch.setitem(bench.ENGINE_FACTORIES, "pyrevm", broken)
    engine = bench.load_engine("pyrevm")
    assert engine.prepare is None and "nothing_here" in engine.problem


# --- benchmarks/harness.py (issue 16): pyeth's harness only, a few runs of everything ---------


@pytest.fixture(scope="module")
def harness():
    from benchmarks import harness

    return harness


def test_harness_benchmark_runs_end_to_end_in_pyeth(harness, tmp_path, capsys):
    out = tmp_path / "harness.json"
    argv = ["--peers", "pyeth", "--repeat", "4", "--rounds", "2", "--examples", "3"]
    argv += ["--import-runs", "1", "--plugin-tests", "3", "--plugin-runs", "1", "--json", str(out)]
    assert harness.main(argv) == 0
    results = json.loads(out.read_text())
    assert results["missing"] == {} and list(results["peers"]) == ["pyeth"]
    rows = results["rows"]
    for row in (*harness.OPS, harness.FUZZ, harness.IMPORT, harness.COLD):
        assert rows[row]["pyeth"]["error"] == "", row
        assert rows[row]["pyeth"]["median"] >= 0, row  # a time less the clock's own cost
        assert rows[row]["pyeth"]["vs_titanoboa"] is None  # no titanoboa in this run
    for row in (harness.FUZZ, harness.IMPORT, harness.COLD, "transfer"):
        assert rows[row]["pyeth"]["median"] > 0, row
    assert len(rows["transfer"]["pyeth"]["rounds"]) == 2
    for row in (harness.PYTEST_CHAIN, harness.PYTEST_LOADED):  # a difference: may be < 0
        assert rows[row]["pyeth"]["error"] == "" and rows[row]["pyeth"]["median"] is not None
    assert not any("WRONG" in note for note in results["notes"])
    table = capsys.readouterr().out
    assert "| transfer (µs)" in table and "snapshot + revert: under 10 µs" in table


def test_harness_peer_that_is_missing_says_how_to_install(harness, monkeypatch):
    def missing():
        raise ImportError("No module named 'boa'")

    monkeypatch.setitem(harness.FACTORIES, "titanoboa", missing)
    peer, problem = harness.load_peer("titanoboa")
    assert peer is None and "No module named 'boa'" in problem and "pip install" in problem


def test_harness_final_check_catches_a_peer_that_did_not_do_the_work(harness):
    peer = harness.pyeth_peer()
    peer.ops["transfer"] = harness._counting(lambda: None, peer.transfers)  # sends nothing
    peer.ops["transfer"]()
    run = harness.Run(
        {}, {"pyeth": "pyeth"}, {}, {"transfer": {"pyeth": harness.Result([1e-4])}}, []
    )
    harness.check_final_state({"pyeth": peer}, run)
    assert run.results["transfer"]["pyeth"].error == "final state wrong"
    assert any("bob holds 0, expected 1" in note for note in run.notes)

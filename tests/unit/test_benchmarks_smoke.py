"""Smoke test of benchmarks/evm.py: its assembler, one tiny case in pyeth, a missing engine.

Quick and pyeth only: no peer is needed and no timing is asserted.
"""

import importlib.util
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

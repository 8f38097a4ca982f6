"""Gas accounting for the pytest plugin: a per-contract, per-function table and snapshot files.

The table gathers the gas of every transaction a test session sends, keyed by the contract's
name and the function called ("(deploy)" for a creation); printed with `--gas`. A snapshot
file holds the gas each test's body used, one line per test in forge's `.gas-snapshot` shape
(`tests/test_token.py::test_transfer (gas: 51234)`), so CI can check that no change moved it
(`--gas-snapshot-check FILE`). Plain data only: the plugin ships it between pytest-xdist
workers and the controller.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "GasRecords",
    "compare_snapshots",
    "format_gas_table",
    "parse_snapshot",
    "write_snapshot",
]

_LINE = re.compile(r"^(?P<test>.+) \(gas: (?P<gas>\d+)\)$")


@dataclass(slots=True)
class GasRecords:
    """What one process saw: gas per (contract, function) and per test body."""

    calls: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    tests: dict[str, int] = field(default_factory=dict)

    def record(self, contract: str, function: str, gas: int) -> None:
        self.calls.setdefault((contract, function), []).append(gas)

    def to_data(self) -> dict[str, object]:
        """A form pytest-xdist can send from a worker (lists, dicts, strings, ints)."""
        calls = [[contract, function, gases] for (contract, function), gases in self.calls.items()]
        return {"calls": calls, "tests": dict(self.tests)}

    def merge(self, data: Mapping[str, object]) -> None:
        """Add what a worker sent (the output of its to_data)."""
        for contract, function, gases in data.get("calls", []):  # type: ignore[attr-defined]
            self.calls.setdefault((contract, function), []).extend(gases)
        self.tests.update(data.get("tests", {}))  # type: ignore[call-overload]


def format_gas_table(calls: Mapping[tuple[str, str], list[int]]) -> str:
    """The `--gas` table: a block per contract, a row per function, sorted by name."""
    if not calls:
        return "no transactions were sent"
    headers = ("contract", "function", "min", "mean", "median", "max", "calls")
    rows: list[tuple[str, ...]] = []
    for (contract, function), gases in sorted(calls.items()):
        rows.append(
            (
                contract,
                function,
                f"{min(gases):,}",
                f"{round(statistics.fmean(gases)):,}",
                f"{round(statistics.median(gases)):,}",
                f"{max(gases):,}",
                f"{len(gases):,}",
            )
        )
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Iterable[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            out.append(cell.ljust(widths[i]) if i < 2 else cell.rjust(widths[i]))
        return " | ".join(out).rstrip()

    text = [line(headers), "-+-".join("-" * w for w in widths)]
    previous = None
    for row in rows:
        shown = ("" if row[0] == previous else row[0], *row[1:])
        previous = row[0]
        text.append(line(shown))
    return "\n".join(text)


def write_snapshot(path: Path, tests: Mapping[str, int]) -> None:
    """Write the gas of each test body, sorted by test id so the file diffs well."""
    lines = [f"{test} (gas: {gas})" for test, gas in sorted(tests.items())]
    path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")


def parse_snapshot(path: Path) -> dict[str, int]:
    """Read a snapshot file; a line that is not `TEST (gas: N)` is an error naming the line."""
    tests: dict[str, int] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        match = _LINE.match(raw.strip())
        if match is None:
            raise ValueError(f"{path}:{number}: expected 'TEST (gas: N)', got {raw!r}")
        tests[match["test"]] = int(match["gas"])
    return tests


def compare_snapshots(expected: Mapping[str, int], actual: Mapping[str, int]) -> list[str]:
    """The differences that fail a check: a test whose gas changed, or a test the file lacks.

    A test in the file that did not run (deselected, or run on another machine's share) is
    not a difference: a partial run can still be checked.
    """
    problems = []
    for test, gas in sorted(actual.items()):
        if test not in expected:
            problems.append(f"{test}: not in the snapshot (gas: {gas})")
        elif expected[test] != gas:
            change = gas - expected[test]
            problems.append(f"{test}: gas {expected[test]} -> {gas} ({change:+d})")
    return problems

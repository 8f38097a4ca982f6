"""pyeth.testing.gas: the table's figures, snapshot files read back, differences found, bad
lines refused by line number, and records surviving the trip from an xdist worker."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyeth.testing.gas import (
    GasRecords,
    compare_snapshots,
    format_gas_table,
    parse_snapshot,
    write_snapshot,
)


def test_table_rows_hold_min_mean_median_max_and_calls() -> None:
    table = format_gas_table({("Token", "transfer"): [30, 10, 20, 100], ("Token", "approve"): [5]})
    lines = table.splitlines()
    assert lines[0].split(" | ")[:2] == ["contract", "function"]
    rows = [[cell.strip() for cell in line.split("|")] for line in lines[2:]]
    assert rows == [
        ["Token", "approve", "5", "5", "5", "5", "1"],
        ["", "transfer", "10", "40", "25", "100", "4"],
    ]
    assert format_gas_table({}) == "no transactions were sent"


def test_snapshot_round_trip_and_differences(tmp_path: Path) -> None:
    path = tmp_path / ".gas-snapshot"
    write_snapshot(path, {"t.py::test_b": 200, "t.py::test_a": 100})
    assert path.read_text() == "t.py::test_a (gas: 100)\nt.py::test_b (gas: 200)\n"
    expected = parse_snapshot(path)
    assert expected == {"t.py::test_a": 100, "t.py::test_b": 200}
    assert compare_snapshots(expected, {"t.py::test_a": 100}) == []  # a partial run is fine
    assert compare_snapshots(expected, {"t.py::test_a": 90, "t.py::test_c": 5}) == [
        "t.py::test_a: gas 100 -> 90 (-10)",
        "t.py::test_c: not in the snapshot (gas: 5)",
    ]


def test_a_malformed_snapshot_line_is_refused_by_number(tmp_path: Path) -> None:
    path = tmp_path / ".gas-snapshot"
    path.write_text("t.py::test_a (gas: 100)\n\nt.py::test_b gas 5\n")
    with pytest.raises(ValueError, match=r"\.gas-snapshot:3: expected 'TEST \(gas: N\)'"):
        parse_snapshot(path)


def test_records_merge_from_worker_data() -> None:
    one, two, total = GasRecords(), GasRecords(), GasRecords()
    one.record("Token", "transfer", 10)
    two.record("Token", "transfer", 20)
    two.record("Vault", "(deploy)", 5)
    two.tests["t.py::test_x"] = 25
    total.merge(one.to_data())
    total.merge(two.to_data())
    assert total.calls == {("Token", "transfer"): [10, 20], ("Vault", "(deploy)"): [5]}
    assert total.tests == {"t.py::test_x": 25}

"""Smoke test of benchmarks/rpc.py: every phase, tiny, against an in-process dev node; the
benchmark's own checks (each receipt's status, the final ETH and token balances) must pass.
No timing is asserted."""

import math

from benchmarks.rpc import Bench, Settings, table


async def test_every_phase_runs_and_checks(client):  # type: ignore[no-untyped-def]
    settings = Settings(
        transfers=16, senders=4, seconds=0.05, total=150, after=8, warmup=4, rounds=2
    )
    bench = Bench(str(client.make_url("/")), settings, None)
    out = await bench.run()
    assert not bench.notes, bench.notes
    for row in (
        "ETH transfers/s, 1 connection",
        "ETH transfers/s, 4 senders",
        "ERC-20 transfers/s, 1 connection",
        "ERC-20 transfers/s, 4 senders",
        "eth_call/s, 4 connections",
        "eth_getBalance/s, 1 connection",
        "ETH transfers/s up to 150 transactions",
        "ETH transfers/s up to 158 transactions",
    ):
        assert out[row] > 0 and not math.isnan(out[row]), row
    # Each rate phase ran twice; a row shows the median of its rounds.
    for row in ("ERC-20 transfers/s, 1 connection", "eth_call/s, 1 connection"):
        assert len(bench.samples[row]) == 2 and out[row] == sum(bench.samples[row]) / 2, row
    assert bench.sent >= 158
    assert "pyeth" in table({"pyeth": bench})

"""`pyeth devnet`'s ports and banner, without starting nodes: where the p2p ports go
(`--p2p-base-port`), the bad port choices it refuses before writing anything, and the banner's
RPC and p2p URLs and fork."""

import argparse
from pathlib import Path

import pytest

from pyeth.cli import main
from pyeth.cli.devnet import _summary, plan_nodes, port_ranges_problem, write_devnet


def test_p2p_ports_follow_the_p2p_base_port_or_default_to_base_plus_100(tmp_path: Path) -> None:
    files = write_devnet(tmp_path, 2, 1337, 2)
    chosen = plan_nodes(files, 9000, tmp_path, False, p2p_base_port=31000)
    assert [(p.rpc_port, p.p2p_port) for p in chosen] == [(9000, 31000), (9001, 31001)]
    assert chosen[1].command[chosen[1].command.index("--p2p-port") + 1] == "31001"
    # Node 1 boots from node 0 at node 0's chosen p2p port, its id pinned.
    bootnode = chosen[1].command[chosen[1].command.index("--bootnodes") + 1]
    assert bootnode == f"ws://{chosen[0].node_id.hex()}@127.0.0.1:31000/p2p"
    default = plan_nodes(files, 9000, tmp_path, False)
    assert [p.p2p_port for p in default] == [9100, 9101]


@pytest.mark.parametrize(
    ("nodes", "base", "p2p", "problem"),
    [
        (3, 8545, 8645, None),
        (3, 8545, 8548, None),  # adjacent ranges are fine
        (3, 8545, 8547, "overlap"),
        (3, 8547, 8545, "overlap"),
        (3, 65534, 8645, "--base-port 65534 leaves no room for 3 ports"),
        (3, 8545, 65535, "--p2p-base-port 65535 leaves no room for 3 ports"),
        (1, 8545, 0, "--p2p-base-port 0"),
    ],
)
def test_port_ranges_problem(nodes: int, base: int, p2p: int, problem: str | None) -> None:
    found = port_ranges_problem(nodes, base, p2p)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_overlapping_ports_are_refused_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    datadir = tmp_path / "net"
    argv = ["devnet", "--nodes", "3", "--base-port", "20000", "--p2p-base-port", "20002"]
    assert main([*argv, "--datadir", str(datadir), "--init-only"]) == 2
    err = capsys.readouterr().err
    assert "RPC ports 20000..20002 and the p2p ports 20002..20004 overlap" in err
    assert not datadir.exists()


def test_the_banner_gives_each_nodes_rpc_and_p2p_urls_and_the_fork(tmp_path: Path) -> None:
    files = write_devnet(tmp_path, 2, 1337, 2, "Cancun")
    plans = plan_nodes(files, 9000, tmp_path, False, p2p_base_port=31000)
    args = argparse.Namespace(period=2, chain_id=1337, hardfork="cancun", datadir=tmp_path)
    banner = _summary(plans, files, args, tmp_path)
    assert "chain id 1337, Cancun rules" in banner
    for plan in plans:
        line = next(line for line in banner.splitlines() if f"node {plan.index} " in line)
        assert f"RPC http://127.0.0.1:{9000 + plan.index}" in line
        assert f"p2p ws://{plan.node_id.hex()}@127.0.0.1:{31000 + plan.index}/p2p" in line

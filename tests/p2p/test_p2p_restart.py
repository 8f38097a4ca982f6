"""A node killed with SIGKILL and started again on its datadir catches up: a Clique signer and a
follower as real `pyeth node` processes; the follower is killed mid-run, the signer goes on,
and the restarted follower (its signer snapshot rebuilt from its database) syncs the blocks it
missed. Slow (two process starts and a few block periods), so not in the default run."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.p2p import free_base_port, rpc, wait_for

pytestmark = pytest.mark.slow


def start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "pyeth", "node", "--quiet", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_a_killed_node_catches_up_after_a_restart(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pyeth", "devnet", "--nodes", "1", "--period", "1"]
        + ["--init-only", "--datadir", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    base = free_base_port(2)
    signer_rpc, follower_rpc, signer_p2p = base, base + 1, base + 100
    genesis = ["--genesis", str(tmp_path / "genesis.json")]
    signer_args = [*genesis, "--signer", str(tmp_path / "keys" / "signer-0.key")]
    signer_args += ["--port", str(signer_rpc), "--p2p-port", str(signer_p2p)]
    signer_args += ["--datadir", str(tmp_path / "a")]
    follower_args = [*genesis, "--port", str(follower_rpc), "--datadir", str(tmp_path / "b")]
    follower_args += ["--bootnodes", f"ws://127.0.0.1:{signer_p2p}/p2p"]
    processes = [start(signer_args, tmp_path / "a.log")]
    try:
        processes.append(start(follower_args, tmp_path / "b.log"))

        def height(port: int) -> int:
            return int(rpc(port, "eth_blockNumber"), 16)

        wait_for(lambda: height(follower_rpc) >= 3, 60, "the follower at block 3")
        processes[1].send_signal(signal.SIGKILL)
        processes[1].wait(10)
        killed_at = height(signer_rpc)
        wait_for(lambda: height(signer_rpc) >= killed_at + 4, 30, "the signer going on")
        processes.append(start(follower_args, tmp_path / "b.log"))
        target = height(signer_rpc)
        wait_for(lambda: height(follower_rpc) >= target, 60, f"the follower at block {target}")
        number = hex(target)
        ours = rpc(follower_rpc, "eth_getBlockByNumber", number, False)["hash"]
        assert ours == rpc(signer_rpc, "eth_getBlockByNumber", number, False)["hash"]
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(15)
            if process.poll() is None:
                process.kill()
                process.wait()

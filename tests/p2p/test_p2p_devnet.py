"""End to end: `pyeth devnet --nodes 3` as a user runs it. It prints the nodes' RPC and p2p URLs; a
transaction sent to node 0 is mined and its receipt is on node 2, in the same block everywhere;
Ctrl-C stops every node."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import pytest

from pyeth.cli.devnet import devnet_hardforks
from tests.helpers.p2p import free_base_port, rpc, wait_for

NODES = 3


@pytest.fixture
def devnet():  # type: ignore[no-untyped-def]
    base = free_base_port(NODES)
    process = subprocess.Popen(
        [sys.executable, "-m", "pyeth", "devnet", "--nodes", str(NODES), "--period", "1"]
        + ["--base-port", str(base), "--p2p-base-port", str(base + 100)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "Press Ctrl-C" in line or time.monotonic() > deadline:
                break
        output = "".join(lines)
        assert "Press Ctrl-C" in output, output
        yield base, output, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_devnet_three_nodes_mine_a_transaction_seen_everywhere(devnet):  # type: ignore[no-untyped-def]
    base, output, process = devnet
    ports = [base + i for i in range(NODES)]
    for index, port in enumerate(ports):
        assert f"RPC http://127.0.0.1:{port}  p2p ws://" in output
        assert f"@127.0.0.1:{base + 100 + index}/p2p" in output  # --p2p-base-port
    assert "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266" in output
    assert f"{devnet_hardforks()[-1]} rules" in output  # the fork, the newest by default
    # Everyone is peered (one bootnode, then peer exchange) and past the first blocks.
    wait_for(lambda: all(int(rpc(p, "eth_blockNumber"), 16) >= 2 for p in ports), 30, "blocks")
    sender, receiver = rpc(ports[0], "eth_accounts")[:2]
    tx_hash = rpc(ports[0], "eth_sendTransaction", {"from": sender, "to": receiver, "value": "0x5"})
    receipt = wait_for(
        lambda: rpc(ports[2], "eth_getTransactionReceipt", tx_hash), 30, "the receipt on node 2"
    )
    assert receipt["status"] == "0x1"
    for port in ports[:2]:
        other = wait_for(lambda p=port: rpc(p, "eth_getTransactionReceipt", tx_hash), 15, "it")
        assert other["blockHash"] == receipt["blockHash"]
    # Ctrl-C stops the network: the devnet exits and so do its nodes.
    process.send_signal(signal.SIGINT)
    assert process.wait(20) == 0
    for port in ports:
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            pass


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_devnet_stopped_while_its_nodes_start_leaves_none_running(signum: int) -> None:
    """A signal during start-up (nodes spawned, not answering yet) stops them all and exits 0:
    the signal sets a flag the waiting loop reads, rather than raising wherever it lands."""
    base = free_base_port(2)
    process = subprocess.Popen(
        [sys.executable, "-m", "pyeth", "devnet", "--nodes", "2", "--base-port", str(base)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: _children(process.pid), 30, "the devnet's node processes")
        children = _children(process.pid)
        process.send_signal(signum)
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 0, output
        assert "stopping" in output
        wait_for(lambda: not any(_alive(pid) for pid in children), 5, "the nodes to exit")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's prctl")
def test_nodes_of_a_killed_devnet_stop_too() -> None:
    """SIGKILL gives the devnet no chance to stop its nodes: they get SIGTERM from the kernel
    when it dies (PR_SET_PDEATHSIG) instead of running on unattended."""
    base = free_base_port(2)
    process = subprocess.Popen(
        [sys.executable, "-m", "pyeth", "devnet", "--nodes", "2", "--base-port", str(base)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: len(_children(process.pid)) == 2, 30, "the devnet's node processes")
        children = _children(process.pid)
        process.kill()
        process.wait()
        wait_for(lambda: not any(_alive(pid) for pid in children), 30, "the nodes to exit")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            text = children.read()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False

"""Real clients, unmodified, against `pyeth node` started as a user starts it: ethers v6 and viem
(scenario scripts in tests/clients/*.mjs) and Foundry's cast (driven from here). Each deploys
the test ERC-20, estimates gas and transfers, waits for receipts, reads Transfer events through
eth_getLogs, a filter and a WebSocket subscription, sees a revert reason arrive as its own
revert error, and sends from a node-held account. web3.py's run is in test_rpc_web3py.py.

The clients come from npm (`npm ci --prefix tests/clients`, done by .ci/run); see
tests/helpers/clients.py for what happens when they are missing.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_abi import encode as abi_encode

from tests.helpers import clients
from tests.helpers.clients import (
    CAST,
    free_port,
    pyeth_command,
    require,
    run_client,
    running,
)
from tests.helpers.rpc import ACCOUNT0, ACCOUNT1, KEY0, KEY1, TOKEN, selector

TRANSFER_EVENT = "Transfer(address indexed from,address indexed to,uint256 value)"
ACCOUNT3 = "0x90f79bf6eb2c4f870365e785982e1f101e93b906"


@pytest.fixture(scope="module")
def node_url() -> Iterator[str]:
    port = free_port()
    with running(pyeth_command(port), port) as url:
        yield url


@pytest.mark.parametrize(("script", "package"), [("ethers.mjs", "ethers"), ("viem.mjs", "viem")])
def test_javascript_client(node_url: str, script: str, package: str) -> None:
    require(package)
    done = run_client(["node", script], {"RPC_URL": node_url}, timeout=60)
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["client"] == package
    assert summary["transfers"] >= 1


class Cast:
    """cast against one node; `run` returns stdout, `fails` the error text of a failed run."""

    def __init__(self, url: str) -> None:
        self.env = {"ETH_RPC_URL": url, "FOUNDRY_DISABLE_NIGHTLY_WARNING": "1"}

    def run(self, *args: str) -> str:
        return run_client([CAST, *args], self.env, timeout=30).stdout.strip()

    def json(self, *args: str) -> object:
        return json.loads(self.run(*args, "--json"))

    def fails(self, *args: str) -> str:
        done = subprocess.run(
            [str(CAST), *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode != 0, f"cast {args[0]} should have failed: {done.stdout}"
        return done.stderr


class LineReader:
    """The lines a long-running process prints, readable with a timeout."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        assert process.stdout is not None
        stdout = process.stdout
        threading.Thread(target=lambda: [self.lines.put(x) for x in stdout], daemon=True).start()

    def until(self, prefix: str, timeout: float) -> str | None:
        try:
            while True:
                line = self.lines.get(timeout=timeout).strip()
                if line.startswith(prefix):
                    return line
        except queue.Empty:
            return None


def test_cast(node_url: str) -> None:
    require(CAST)
    cast = Cast(node_url)
    key0, key1 = "0x" + KEY0.hex(), "0x" + KEY1.hex()
    assert cast.run("chain-id") == "1337"

    deployed = cast.json(
        "send", "--private-key", key0, "--create", TOKEN["bytecode"], "constructor(uint256)", "1e24"
    )
    assert isinstance(deployed, dict) and deployed["status"] == "0x1"
    token = deployed["contractAddress"]
    assert cast.run("call", token, "totalSupply()(uint256)").split()[0] == str(10**24)

    # A filter over HTTP, a subscription over the WebSocket (cast logs --subscribe).
    filter_id = json.loads(cast.run("rpc", "eth_newFilter", json.dumps({"address": token})))
    ws_url = node_url.replace("http://", "ws://")
    watcher = subprocess.Popen(
        [str(CAST), "logs", "--subscribe", "--rpc-url", ws_url, "--address", token, TRANSFER_EVENT],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **cast.env},
    )
    try:
        lines = LineReader(watcher)
        sent: list[str] = []
        seen = None
        # cast subscribes in the background: transfer until the subscription delivers one.
        for _ in range(15):
            estimate = int(
                cast.run(
                    "estimate",
                    token,
                    "transfer(address,uint256)",
                    ACCOUNT1,
                    "100",
                    "--from",
                    ACCOUNT0,
                )
            )
            assert 30_000 < estimate < 100_000
            receipt = cast.json(
                "send", token, "transfer(address,uint256)", ACCOUNT1, "100", "--private-key", key0
            )
            assert isinstance(receipt, dict) and receipt["status"] == "0x1"
            assert int(receipt["gasUsed"], 16) <= estimate
            sent.append(receipt["transactionHash"])
            seen = lines.until("transactionHash:", 1.0)
            if seen is not None:
                break
    finally:
        watcher.terminate()
        watcher.wait(10)
    assert seen is not None, "no Transfer through the subscription"
    assert seen.split()[-1] in sent

    again = cast.json("receipt", sent[-1])  # waits for the receipt; here it is there
    assert isinstance(again, dict) and again["blockNumber"] == receipt["blockNumber"]
    assert cast.run("call", token, "balanceOf(address)(uint256)", ACCOUNT1).split()[0] == str(
        100 * len(sent)
    )

    changes = json.loads(cast.run("rpc", "eth_getFilterChanges", filter_id))
    assert [c["transactionHash"] for c in changes] == sent
    logs = cast.json("logs", "--from-block", "0", "--address", token, TRANSFER_EVENT)
    assert isinstance(logs, list)
    assert [entry["transactionHash"] for entry in logs] == [deployed["transactionHash"], *sent]
    assert int(logs[1]["data"], 16) == 100

    # Reverts: the reason in cast's error, from eth_call and from estimation before a send.
    too_much = ("transfer(address,uint256)(bool)", ACCOUNT0, "1e30")
    error = cast.fails("call", token, *too_much, "--from", ACCOUNT1)
    assert "execution reverted: insufficient balance" in error
    error = cast.fails("send", token, *too_much, "--private-key", key1)
    assert "execution reverted: insufficient balance" in error
    error = cast.fails("call", token, "boom()")
    boom = selector("Boom(uint256)") + abi_encode(["uint256"], [42])
    assert "execution reverted" in error and "0x" + boom.hex() in error
    mined = cast.json("send", token, *too_much, "--private-key", key1, "--gas-limit", "100000")
    assert isinstance(mined, dict) and mined["status"] == "0x0"

    # A node-held account (eth_sendTransaction).
    before = int(cast.run("balance", ACCOUNT1))
    plain = cast.json("send", "--unlocked", "--from", ACCOUNT3, ACCOUNT1, "--value", "12345")
    assert isinstance(plain, dict) and plain["status"] == "0x1"
    assert int(cast.run("balance", ACCOUNT1)) == before + 12345


def test_clients_folder_is_complete() -> None:
    """The scripts this file runs are where it looks for them."""
    here = Path(__file__).resolve().parents[1] / "clients"
    assert (here / "ethers.mjs").exists() and (here / "viem.mjs").exists()
    assert (here / "package.json").exists() and (here / "package-lock.json").exists()


@pytest.mark.parametrize(
    ("env", "outcome"),
    [
        ({"CI": "true"}, pytest.fail.Exception),
        ({"CI": "true", "PYETH_SKIP_CLIENT_TESTS": "1"}, pytest.fail.Exception),
        ({}, pytest.fail.Exception),
        ({"PYETH_SKIP_CLIENT_TESTS": "1"}, pytest.skip.Exception),
    ],
)
def test_missing_clients_fail_unless_skipped_outside_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], outcome: type
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("PYETH_SKIP_CLIENT_TESTS", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(clients, "NODE_MODULES", tmp_path / "node_modules")
    monkeypatch.setattr(clients, "CLIENTS_DIR", tmp_path)
    with pytest.raises(outcome, match="npm ci --prefix tests/clients"):
        clients.require("ethers")

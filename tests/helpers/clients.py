"""Real clients and peer nodes for the tests: the npm packages in tests/clients/node_modules
(ethers, viem, Foundry's cast and anvil; `.ci/run` installs them with `npm ci`), a check that
they are there, and nodes started as subprocesses on free ports the way a user starts them.

A missing client fails the test that needs it, with the command that installs it: a skip would
hide from CI that the clients were never run. Only outside CI, and only when
PYETH_SKIP_CLIENT_TESTS is set, do such tests skip instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

CLIENTS_DIR = Path(__file__).resolve().parents[1] / "clients"
NODE_MODULES = CLIENTS_DIR / "node_modules"
CAST = NODE_MODULES / "@foundry-rs" / "cast-linux-amd64" / "bin" / "cast"
ANVIL = NODE_MODULES / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
SKIP_VARIABLE = "PYETH_SKIP_CLIENT_TESTS"
INSTALL_HINT = "npm ci --prefix tests/clients"


def require(*needed: Path | str) -> None:
    """Fail (or, outside CI with PYETH_SKIP_CLIENT_TESTS set, skip) unless Node.js and each
    needed npm package directory or binary are installed."""
    missing = []
    if shutil.which("node") is None:
        missing.append("node (Node.js 20 or later)")
    for item in needed:
        path = NODE_MODULES / item if isinstance(item, str) else item
        if not path.exists():
            missing.append(str(path.relative_to(CLIENTS_DIR.parent.parent)))
    if not missing:
        return
    message = f"real-client test: missing {', '.join(missing)}; install them with `{INSTALL_HINT}`"
    if os.environ.get(SKIP_VARIABLE) and not os.environ.get("CI"):
        pytest.skip(f"{message} ({SKIP_VARIABLE} is set)")
    pytest.fail(f"{message} (.ci/run does), or set {SKIP_VARIABLE}=1 to skip locally", False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pyeth_command(port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pyeth", "node", "--port", str(port), "--quiet", *extra]


def anvil_command(port: int, *extra: str) -> list[str]:
    return [str(ANVIL), "--port", str(port), "--silent", *extra]


@contextlib.contextmanager
def running(command: Sequence[str], port: int, timeout: float = 60) -> Iterator[str]:
    """Run a node until the block ends; yields its HTTP URL once it answers eth_chainId."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                with contextlib.suppress(OSError):
                    rpc(url, "eth_chainId")
                    break
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    output = log.read().decode(errors="replace")[-2000:]
                    raise RuntimeError(f"{command[0]} did not start: {output}")
                time.sleep(0.05)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class RpcError(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code")
        self.message = error.get("message", "")
        self.data = error.get("data")


def rpc(url: str, method: str, *params: Any, timeout: float = 10) -> Any:
    """One JSON-RPC call over HTTP; the result, or RpcError with the error object's fields."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    request = urllib.request.Request(
        url, body.encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.loads(response.read())
    if "error" in answer:
        raise RpcError(answer["error"])
    return answer["result"]


def run_client(
    command: Sequence[str | Path], env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run a client to the end; fail the test with its output if it fails or hangs."""
    try:
        done = subprocess.run(
            [str(part) for part in command],
            cwd=CLIENTS_DIR,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{command[0]} hung for {timeout} s; output so far:\n{_text(exc)}", False)
    if done.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, command[:3]))} failed (exit {done.returncode}):\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-5000:]}",
            False,
        )
    return done


def _text(exc: subprocess.TimeoutExpired) -> str:
    parts = []
    for stream in (exc.stdout, exc.stderr):
        if stream:
            parts.append(stream.decode(errors="replace") if isinstance(stream, bytes) else stream)
    return "\n".join(parts)[-5000:]

"""Dev-node throughput over JSON-RPC: ETH and ERC-20 transfers mined per second through
eth_sendRawTransaction with automine (one connection, then 8 concurrent senders; pre-signed;
every receipt and the final balances checked), eth_call and eth_getBalance per second, and the
node's resident memory after the run.

    python -m benchmarks.rpc                      # starts `pyeth node` on a free port
    python -m benchmarks.rpc --anvil PATH/anvil   # the same against anvil, for comparison
    python -m benchmarks.rpc --url http://127.0.0.1:8545   # a node already running

The node must have the standard test mnemonic's accounts funded (both do by default).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from eth_abi import encode as abi_encode

from pyeth.accounts import derive_accounts
from pyeth.hashing import keccak256
from pyeth.transactions import FeeMarketTransaction, encode_transaction, sign_transaction

TOKEN = json.loads((Path(__file__).parents[1] / "tests/rpc/contracts/Token.json").read_text())
ACCOUNTS = derive_accounts()
GWEI = 10**9
SINK = bytes.fromhex("000000000000000000000000000000000000beef")


class Client:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url
        self.next_id = 0

    async def call(self, method: str, *params: Any) -> Any:
        self.next_id += 1
        payload = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": list(params)}
        async with self.session.post(self.url, json=payload) as response:
            body = await response.json(content_type=None)
        if "error" in body:
            raise RuntimeError(f"{method}: {body['error']}")
        return body["result"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(command: list[str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{command[0]} did not start")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def signed(sender: int, nonce: int, to: bytes, data: bytes, gas: int, chain_id: int) -> str:
    tx = FeeMarketTransaction(chain_id, nonce, GWEI, 200 * GWEI, gas, to, 0 if data else 1, data)
    return (
        "0x"
        + encode_transaction(sign_transaction(tx, ACCOUNTS[sender].private_key, chain_id)).hex()
    )


async def send_all(clients: list[Client], batches: list[list[str]]) -> tuple[float, list[str]]:
    """Send each batch in order on its own connection, all batches at once; the time until every
    receipt was read back."""

    async def run(client: Client, raws: list[str]) -> list[str]:
        hashes = []
        for raw in raws:
            hashes.append(await client.call("eth_sendRawTransaction", raw))
        return hashes

    start_time = time.perf_counter()
    results = await asyncio.gather(*(run(c, b) for c, b in zip(clients, batches, strict=True)))
    hashes = [h for batch in results for h in batch]
    pending = list(hashes)
    while pending:  # automine: normally all there already
        receipts = await asyncio.gather(
            *(clients[0].call("eth_getTransactionReceipt", h) for h in pending)
        )
        missing = []
        for tx_hash, receipt in zip(pending, receipts, strict=True):
            if receipt is None:
                missing.append(tx_hash)
            elif receipt["status"] != "0x1":
                raise RuntimeError(f"transaction {tx_hash} failed")
        pending = missing
        if pending:
            await asyncio.sleep(0.05)
    return time.perf_counter() - start_time, hashes


async def rate(clients: list[Client], method: str, params: list[Any], seconds: float) -> float:
    count = 0
    deadline = time.perf_counter() + seconds

    async def loop(client: Client) -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            await client.call(method, *params)
            count += 1

    start_time = time.perf_counter()
    await asyncio.gather(*(loop(c) for c in clients))
    return count / (time.perf_counter() - start_time)


async def bench(url: str, transfers: int, senders: int, seconds: float) -> dict[str, float]:
    out: dict[str, float] = {}
    sessions = [
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) for _ in range(senders)
    ]
    try:
        clients = [Client(s, url) for s in sessions]
        main = clients[0]
        chain_id = int(await main.call("eth_chainId"), 16)
        nonces = [
            int(await main.call("eth_getTransactionCount", "0x" + a.address.hex(), "latest"), 16)
            for a in ACCOUNTS
        ]

        def take(sender: int) -> int:
            nonces[sender] += 1
            return nonces[sender] - 1

        sink_before = int(await main.call("eth_getBalance", "0x" + SINK.hex(), "latest"), 16)
        # ETH transfers, one connection.
        raws = [signed(0, take(0), SINK, b"", 21_000, chain_id) for _ in range(transfers)]
        elapsed, _ = await send_all([main], [raws])
        out["eth transfers/s, 1 connection"] = transfers / elapsed
        # ETH transfers, `senders` connections each with its own account.
        per = transfers // senders
        batches = [
            [signed(1 + i, take(1 + i), SINK, b"", 21_000, chain_id) for _ in range(per)]
            for i in range(senders)
        ]
        elapsed, _ = await send_all(clients, batches)
        out[f"eth transfers/s, {senders} senders"] = per * senders / elapsed
        sink_after = int(await main.call("eth_getBalance", "0x" + SINK.hex(), "latest"), 16)
        assert sink_after - sink_before == transfers + per * senders, "balance mismatch"

        # ERC-20: deploy, fund the senders, then transfers.
        deploy = TOKEN["bytecode"] + abi_encode(["uint256"], [10**30]).hex()
        tx = FeeMarketTransaction(
            chain_id, take(0), GWEI, 200 * GWEI, 1_000_000, None, 0, bytes.fromhex(deploy[2:])
        )
        raw = (
            "0x" + encode_transaction(sign_transaction(tx, ACCOUNTS[0].private_key, chain_id)).hex()
        )
        tx_hash = await main.call("eth_sendRawTransaction", raw)
        receipt = None
        while receipt is None:
            receipt = await main.call("eth_getTransactionReceipt", tx_hash)
        token = bytes.fromhex(receipt["contractAddress"][2:])
        selector = keccak256(b"transfer(address,uint256)")[:4]

        def transfer_data(to: bytes, amount: int) -> bytes:
            return selector + abi_encode(["address", "uint256"], ["0x" + to.hex(), amount])

        funding = [
            signed(
                0, take(0), token, transfer_data(ACCOUNTS[1 + i].address, 10**24), 100_000, chain_id
            )
            for i in range(senders)
        ]
        await send_all([main], [funding])
        raws = [
            signed(0, take(0), token, transfer_data(SINK, 1), 100_000, chain_id)
            for _ in range(transfers)
        ]
        elapsed, _ = await send_all([main], [raws])
        out["erc20 transfers/s, 1 connection"] = transfers / elapsed
        batches = [
            [
                signed(1 + i, take(1 + i), token, transfer_data(SINK, 1), 100_000, chain_id)
                for _ in range(per)
            ]
            for i in range(senders)
        ]
        elapsed, _ = await send_all(clients, batches)
        out[f"erc20 transfers/s, {senders} senders"] = per * senders / elapsed
        balance_call = {
            "to": "0x" + token.hex(),
            "data": "0x"
            + (
                keccak256(b"balanceOf(address)")[:4] + abi_encode(["address"], ["0x" + SINK.hex()])
            ).hex(),
        }
        sink_tokens = int(await main.call("eth_call", balance_call, "latest"), 16)
        assert sink_tokens == transfers + per * senders, "token balance mismatch"

        out["eth_call/s, 1 connection"] = await rate(
            [main], "eth_call", [balance_call, "latest"], seconds
        )
        out[f"eth_call/s, {senders} connections"] = await rate(
            clients, "eth_call", [balance_call, "latest"], seconds
        )
        sink = "0x" + SINK.hex()
        out["eth_getBalance/s, 1 connection"] = await rate(
            [main], "eth_getBalance", [sink, "latest"], seconds
        )
        out[f"eth_getBalance/s, {senders} connections"] = await rate(
            clients, "eth_getBalance", [sink, "latest"], seconds
        )
    finally:
        for session in sessions:
            await session.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running node (else one is started)")
    parser.add_argument("--anvil", help="path of an anvil binary to start instead of pyeth")
    parser.add_argument("--transfers", type=int, default=800, help="per transfer phase")
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=3.0, help="per query-rate phase")
    args = parser.parse_args()
    process = None
    url = args.url
    if url is None:
        port = _free_port()
        if args.anvil:
            command = [args.anvil, "--port", str(port), "--silent"]
        else:
            command = [sys.executable, "-m", "pyeth", "node", "--port", str(port), "--quiet"]
        process = start(command, port)
        url = f"http://127.0.0.1:{port}"
    try:
        results = asyncio.run(bench(url, args.transfers, args.senders, args.seconds))
        if process is not None:
            results["RSS after the run, MiB"] = rss_mib(process.pid)
    finally:
        if process is not None:
            process.terminate()
            process.wait(10)
    name = "anvil" if args.anvil else "pyeth"
    width = max(len(k) for k in results)
    print(f"{'':{width}}  {name}")
    for key, value in results.items():
        print(f"{key:{width}}  {value:,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

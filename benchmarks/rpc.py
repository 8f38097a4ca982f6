"""Dev-node throughput over JSON-RPC, pyeth beside anvil (and Hardhat) in one run: ETH and
ERC-20 transfers mined per second through eth_sendRawTransaction with automine (one connection,
then 8 concurrent senders; pre-signed; every receipt's status and the final balances checked),
eth_call and eth_getBalance per second, and the node's resident memory after 10,000
transactions and again after 5,000 more (it should stay flat).

    python -m benchmarks.rpc                      # pyeth, and anvil if tests/clients has it
    python -m benchmarks.rpc --nodes pyeth        # pyeth only
    python -m benchmarks.rpc --anvil PATH/anvil --json results.json
    python -m benchmarks.rpc --url http://127.0.0.1:8545   # a node already running
    python -m benchmarks.rpc --interleave --nodes pyeth,anvil,hardhat

Each node is started on a free port, measured, and stopped before the next starts, with the
same pre-signed transactions (`--interleave`: all started at once, each phase measured on each
in turn). Every transfer and query-rate phase runs `--rounds` times (3), the nodes taking turns
round by round, and the median is reported: a moment of the machine's slowness then falls on
one round, not on a node's result. A phase whose transactions are not all mined within
`--stall-seconds` of the last receipt counts as a stall: its rate is reported as "stall" and
the rest of that node's run goes on with fresh nonces. The load average of the machine is
printed with the table: on a shared machine it says how much the numbers can be trusted.

Run it with `-m` from the repository root: `python benchmarks/rpc.py` would put `benchmarks/`
on the path first, where `evm.py` hides the `evm` package. The node must have the standard
test mnemonic's accounts funded (all three do by default). Hardhat 2.29 comes from
`npm ci --prefix benchmarks/hardhat`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from eth_abi import encode as abi_encode

from pyeth.accounts import derive_accounts
from pyeth.hashing import keccak256
from pyeth.transactions import FeeMarketTransaction, encode_transaction, sign_transaction

ROOT = Path(__file__).resolve().parents[1]
TOKEN = json.loads((ROOT / "tests/rpc/contracts/Token.json").read_text())
DEFAULT_ANVIL = ROOT / "tests/clients/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
DEFAULT_HARDHAT = ROOT / "benchmarks/hardhat"  # npm ci --prefix benchmarks/hardhat
ACCOUNTS = derive_accounts()
GWEI = 10**9
SINK = bytes.fromhex("000000000000000000000000000000000000beef")
STALL = float("nan")  # a rate that stalled


class Stall(Exception):
    """Transactions were sent but not all mined in time."""


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


def free_port() -> int:
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


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def signed(sender: int, nonce: int, to: bytes, data: bytes, gas: int, chain_id: int) -> str:
    tx = FeeMarketTransaction(chain_id, nonce, GWEI, 200 * GWEI, gas, to, 0 if data else 1, data)
    raw = encode_transaction(sign_transaction(tx, ACCOUNTS[sender].private_key, chain_id))
    return "0x" + raw.hex()


async def send_all(
    clients: list[Client], batches: list[list[str]], stall_seconds: float
) -> tuple[float, list[str]]:
    """Send each batch in order on its own connection, all batches at once; the time until
    every receipt was read back (each checked for status 1).

    Raises:
        Stall: some were still not mined `stall_seconds` after the last one that was.
    """

    async def run(client: Client, raws: list[str]) -> list[str]:
        hashes = []
        for raw in raws:
            hashes.append(await client.call("eth_sendRawTransaction", raw))
        return hashes

    start_time = time.perf_counter()
    results = await asyncio.gather(*(run(c, b) for c, b in zip(clients, batches, strict=True)))
    hashes = [h for batch in results for h in batch]
    pending = list(hashes)
    progress = time.monotonic()
    while pending:  # automine: normally all there already
        receipts = await asyncio.gather(
            *(
                clients[i % len(clients)].call("eth_getTransactionReceipt", h)
                for i, h in enumerate(pending)
            )
        )
        missing = []
        for tx_hash, receipt in zip(pending, receipts, strict=True):
            if receipt is None:
                missing.append(tx_hash)
            elif receipt["status"] != "0x1":
                raise RuntimeError(f"transaction {tx_hash} failed")
        if len(missing) < len(pending):
            progress = time.monotonic()
        elif time.monotonic() - progress > stall_seconds:
            raise Stall(f"{len(missing)} of {len(hashes)} not mined after {stall_seconds:g} s")
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


@dataclass
class Settings:
    transfers: int = 800  # per transfer phase
    senders: int = 8
    seconds: float = 3.0  # per query-rate phase
    total: int = 10_000  # transactions before the first RSS reading
    after: int = 5_000  # more transactions before the second
    stall_seconds: float = 30.0
    warmup: int = 100  # untimed ETH transfers first, from the last account
    rounds: int = 3  # each transfer and query-rate phase, the median reported


class Bench:
    """One node's run: phases in order, results by row name, stalls noted."""

    def __init__(self, url: str, settings: Settings, pid: int | None) -> None:
        self.url = url
        self.settings = settings
        self.pid = pid
        self.out: dict[str, float] = {}
        self.samples: dict[str, list[float]] = {}
        self.notes: list[str] = []
        self.sent = 0
        self.sink_expected = 0
        self.tokens_expected = 0
        self.token = b""

    async def run(self) -> dict[str, float]:
        """The whole run; the results by row name."""
        async for _ in self.steps():
            pass
        return self.out

    async def steps(self) -> AsyncIterator[None]:
        """The run, pausing after each measured phase (so that `--interleave` can measure
        another node's same phase in the same minutes)."""
        senders = self.settings.senders
        sessions = [
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) for _ in range(senders)
        ]
        try:
            self.clients = [Client(s, self.url) for s in sessions]
            self.main = self.clients[0]
            self.chain_id = int(await self.main.call("eth_chainId"), 16)
            await self.refresh_nonces()
            async for _ in self.phases():
                yield
        finally:
            for session in sessions:
                await session.close()

    async def refresh_nonces(self) -> None:
        self.nonces = [
            int(
                await self.main.call("eth_getTransactionCount", "0x" + a.address.hex(), "pending"),
                16,
            )
            for a in ACCOUNTS
        ]

    def take(self, sender: int) -> int:
        self.nonces[sender] += 1
        return self.nonces[sender] - 1

    def eth(self, sender: int) -> str:
        self.sink_expected += 1
        return signed(sender, self.take(sender), SINK, b"", 21_000, self.chain_id)

    def erc20(self, sender: int) -> str:
        self.tokens_expected += 1
        data = keccak256(b"transfer(address,uint256)")[:4] + abi_encode(
            ["address", "uint256"], ["0x" + SINK.hex(), 1]
        )
        return signed(sender, self.take(sender), self.token, data, 100_000, self.chain_id)

    def record(self, row: str, value: float) -> None:
        """One round's value of `row`; the row reports the median of its rounds (a stall in
        any round makes it a stall)."""
        samples = self.samples.setdefault(row, [])
        samples.append(value)
        if any(v != v for v in samples):
            self.out[row] = STALL
        else:
            self.out[row] = statistics.median(samples)

    async def timed(self, row: str, batches: list[list[str]], cpu_row: str = "") -> None:
        """Send `batches` (one per connection) and record transactions mined per second, and
        under `cpu_row` the node's CPU time per transaction (steadier than rates on a busy
        machine)."""
        count = sum(len(b) for b in batches)
        self.sent += count
        cpu_before = None if self.pid is None else cpu_seconds(self.pid)
        try:
            elapsed, _ = await send_all(
                self.clients[: len(batches)], batches, self.settings.stall_seconds
            )
        except Stall as exc:
            self.record(row, STALL)
            self.notes.append(f"{row}: {exc}")
            await self.refresh_nonces()
            return
        self.record(row, count / elapsed)
        if cpu_row and cpu_before is not None and self.pid is not None:
            self.record(cpu_row, (cpu_seconds(self.pid) - cpu_before) / count * 1e6)

    async def transfer_rounds(self, kind: str, make: Callable[[int], str]) -> AsyncIterator[None]:
        """The `kind` transfers (`make(sender)` signs one): `rounds` on one connection, then
        `rounds` by the 8 senders at once, pausing after each round."""
        s = self.settings
        for _ in range(s.rounds):
            await self.timed(
                f"{kind} transfers/s, 1 connection",
                [[make(0) for _ in range(s.transfers)]],
                f"node CPU us per {kind} transfer, 1 connection",
            )
            yield
        per = s.transfers // s.senders
        for _ in range(s.rounds):
            await self.timed(
                f"{kind} transfers/s, {s.senders} senders",
                [[make(1 + i) for _ in range(per)] for i in range(s.senders)],
            )
            yield

    async def phases(self) -> AsyncIterator[None]:
        s = self.settings
        sink = "0x" + SINK.hex()
        warmup = [self.eth(len(ACCOUNTS) - 1) for _ in range(s.warmup)]
        self.sent += len(warmup)
        await send_all([self.main], [warmup], s.stall_seconds)
        sink_before = int(await self.main.call("eth_getBalance", sink, "latest"), 16)
        self.sink_expected = 0
        async for _ in self.transfer_rounds("ETH", self.eth):
            yield
        await self.deploy_token()
        async for _ in self.transfer_rounds("ERC-20", self.erc20):
            yield
        balance_call = {
            "to": "0x" + self.token.hex(),
            "data": "0x"
            + (keccak256(b"balanceOf(address)")[:4] + abi_encode(["address"], [sink])).hex(),
        }
        if not self.notes:  # after a stall the counts are not knowable
            sink_after = int(await self.main.call("eth_getBalance", sink, "latest"), 16)
            assert sink_after - sink_before == self.sink_expected, "ETH balance mismatch"
            tokens = int(await self.main.call("eth_call", balance_call, "latest"), 16)
            assert tokens == self.tokens_expected, "token balance mismatch"
        for method, params in (
            ("eth_call", [balance_call, "latest"]),
            ("eth_getBalance", [sink, "latest"]),
        ):
            for label, clients in (
                ("1 connection", self.clients[:1]),
                (f"{s.senders} connections", self.clients),
            ):
                for _ in range(s.rounds):
                    self.record(
                        f"{method}/s, {label}", await rate(clients, method, params, s.seconds)
                    )
                    yield
        # Memory: up to `total` transactions, then `after` more, ETH transfers by all senders.
        for row, target in (
            (f"RSS after {s.total:,} transactions, MiB", s.total),
            (f"RSS after {s.total + s.after:,} transactions, MiB", s.total + s.after),
        ):
            rounds = -(-max(0, target - self.sent) // s.senders)
            if rounds:
                batches = [[self.eth(1 + i) for _ in range(rounds)] for i in range(s.senders)]
                await self.timed(f"ETH transfers/s up to {target:,} transactions", batches)
            if self.pid is not None:
                self.out[row] = rss_mib(self.pid)
            yield

    async def deploy_token(self) -> None:
        deploy = TOKEN["bytecode"] + abi_encode(["uint256"], [10**30]).hex()
        tx = FeeMarketTransaction(
            self.chain_id,
            self.take(0),
            GWEI,
            200 * GWEI,
            1_000_000,
            None,
            0,
            bytes.fromhex(deploy[2:]),
        )
        raw = encode_transaction(sign_transaction(tx, ACCOUNTS[0].private_key, self.chain_id))
        _, (tx_hash,) = await send_all([self.main], [["0x" + raw.hex()]], 30)
        self.sent += 1
        receipt = await self.main.call("eth_getTransactionReceipt", tx_hash)
        self.token = bytes.fromhex(receipt["contractAddress"][2:])
        selector = keccak256(b"transfer(address,uint256)")[:4]
        funding = [
            signed(
                0,
                self.take(0),
                self.token,
                selector
                + abi_encode(
                    ["address", "uint256"], ["0x" + ACCOUNTS[1 + i].address.hex(), 10**24]
                ),
                100_000,
                self.chain_id,
            )
            for i in range(self.settings.senders)
        ]
        self.sent += len(funding)
        await send_all([self.main], [funding], 30)


def run_node(name: str, command: list[str] | None, url: str | None, settings: Settings) -> Bench:
    """One node's whole run: started (unless `url` is given), measured, stopped."""
    process = None
    if url is None:
        assert command is not None
        process, url = start_node(command)
    print(f"{name}: running against {url} (load average {load_average()})", file=sys.stderr)
    bench = Bench(url, settings, None if process is None else process.pid)
    try:
        asyncio.run(bench.run())
    finally:
        if process is not None:
            process.terminate()
            process.wait(10)
    bench.notes.append(f"load average after the run: {load_average()}")
    return bench


def run_interleaved(commands: dict[str, list[str]], settings: Settings) -> dict[str, Bench]:
    """All nodes started at once (an idle one takes no CPU), then each phase measured on every
    node in turn before the next phase, the order alternating from phase to phase: the machine's
    drift over minutes then falls on both columns alike, and every node is at the same chain
    length when a phase is measured."""
    processes: dict[str, subprocess.Popen[bytes]] = {}
    benches: dict[str, Bench] = {}
    try:
        for name, command in commands.items():
            process, url = start_node(command)
            processes[name] = process
            benches[name] = Bench(url, settings, process.pid)
            print(f"{name}: running against {url}", file=sys.stderr)

        async def drive() -> None:
            runs = {name: bench.steps() for name, bench in benches.items()}
            order = list(runs)
            while runs:
                for name in order:
                    if name in runs:
                        try:
                            await anext(runs[name])
                        except StopAsyncIteration:
                            del runs[name]
                order.reverse()

        asyncio.run(drive())
    finally:
        for process in processes.values():
            process.terminate()
            process.wait(10)
    for bench in benches.values():
        bench.notes.append(f"load average after the run: {load_average()}")
    return benches


def start_node(command: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = start([part.replace("{port}", str(port)) for part in command], port)
    return process, f"http://127.0.0.1:{port}"


def table(results: dict[str, Bench]) -> str:
    names = list(results)
    rows: list[str] = []
    for bench in results.values():
        rows += [row for row in bench.out if row not in rows]
    width = max(len(r) for r in rows)
    lines = [f"| {'':{width}} | " + " | ".join(f"{n:>8}" for n in names) + " |"]
    lines.append(f"| {'-' * width} | " + " | ".join("-------:" for _ in names) + " |")
    for row in rows:
        cells = []
        for name in names:
            value = results[name].out.get(row)
            if value is None:
                cells.append(f"{'':>8}")
            elif value != value:  # NaN: a stall
                cells.append(f"{'stall':>8}")
            else:
                cells.append(f"{value:>8,.0f}")
        lines.append(f"| {row:{width}} | " + " | ".join(cells) + " |")
    for name, bench in results.items():
        for note in bench.notes:
            lines.append(f"{name}: {note}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", default="pyeth,anvil", help="which to run, in order")
    parser.add_argument("--url", help="measure a running node instead (one column)")
    parser.add_argument("--anvil", default=str(DEFAULT_ANVIL), help="the anvil binary")
    parser.add_argument(
        "--hardhat", default=str(DEFAULT_HARDHAT), help="a folder with Hardhat installed"
    )
    parser.add_argument("--transfers", type=int, default=800, help="per transfer phase")
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=3.0, help="per query-rate phase")
    parser.add_argument("--total", type=int, default=10_000, help="transactions before RSS")
    parser.add_argument("--after", type=int, default=5_000, help="more before RSS again")
    parser.add_argument("--stall-seconds", type=float, default=30.0)
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of each rate phase; the median is shown"
    )
    parser.add_argument(
        "--interleave",
        action="store_true",
        help="start the nodes together and measure each phase on each in turn",
    )
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    settings = Settings(
        args.transfers,
        args.senders,
        args.seconds,
        args.total,
        args.after,
        args.stall_seconds,
        rounds=args.rounds,
    )
    hardhat = Path(args.hardhat)
    commands = {
        "pyeth": [sys.executable, "-m", "pyeth", "node", "--port", "{port}", "--quiet"],
        "anvil": [args.anvil, "--port", "{port}", "--silent"],
        # Hardhat runs only from inside its project; exec keeps the measured pid its own.
        "hardhat": [
            *("sh", "-c", f'cd "{hardhat}" && exec node_modules/.bin/hardhat node "$@"', "sh"),
            *("--hostname", "127.0.0.1", "--port", "{port}"),
        ],
    }
    os.environ.setdefault("HARDHAT_DISABLE_TELEMETRY_PROMPT", "true")
    print(f"load average before: {load_average()}, {os.cpu_count()} CPUs", file=sys.stderr)
    results: dict[str, Bench] = {}
    if args.url:
        results["node"] = run_node("node", None, args.url, settings)
    else:
        names = []
        for name in args.nodes.split(","):
            if name == "anvil" and not Path(args.anvil).exists():
                print(f"anvil: not found at {args.anvil} (npm ci --prefix tests/clients)")
                continue
            if name == "hardhat" and not (hardhat / "node_modules/.bin/hardhat").exists():
                print(f"hardhat: not found in {hardhat} (npm ci --prefix benchmarks/hardhat)")
                continue
            names.append(name)
        if args.interleave:
            results = run_interleaved({name: commands[name] for name in names}, settings)
        else:
            for name in names:
                results[name] = run_node(name, commands[name], None, settings)
    print(table(results))
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    n: {"results": b.out, "rounds": b.samples, "notes": b.notes}
                    for n, b in results.items()
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

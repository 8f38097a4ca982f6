"""The contract test harness beside the tools it replaces (issue 16), in one run: the same ERC-20
work (tests/rpc/contracts/Token.json, solc 0.8.28, deployed from its bytecode and ABI) in

- `pyeth`: pyeth's harness, `pyeth.testing.Chain` and its `Contract`;
- `titanoboa`: titanoboa (py-evm inside), the bytecode deployed with `boa.env.deploy_code` and
  wrapped with `boa.loads_abi(...).at(address)`;
- `web3-pyevm`: web3.py's `EthereumTesterProvider` on eth-tester's py-evm backend;
- `web3-pyeth`: the same provider on pyeth's eth-tester backend (`PyethBackend`).

    python -m benchmarks.harness                       # every peer that is installed
    python -m benchmarks.harness --peers pyeth,titanoboa --repeat 100
    python -m benchmarks.harness --json results.json   # also write the results

Run it with `-m` from the repository root (as benchmarks.rpc): `benchmarks/` first on the path
would hide the `evm` package behind benchmarks/evm.py.

What is timed, per peer (alice and bob are the first two accounts; the token is deployed once):
- deploy: a new token, from its init code and the constructor's argument, to a usable contract
  object, on a second chain (env) of the peer's; after each, untimed, that chain is reverted
  to before it, as a test's isolation would, so every deployment meets the same state
  (titanoboa slows down as contracts pile up in its env: 0.5 ms a deployment at first,
  3.5 ms after 300);
- transfer: `transfer(bob, 1)` from alice as a transaction (web3: `.transact()`, which estimates
  the gas, then the receipt read back and checked; pyeth and titanoboa check it themselves);
- balanceOf: `balanceOf(alice)`, a call;
- snapshot + revert: take a snapshot and revert to it at once (pyeth `chain.snapshot()` /
  `revert()`, titanoboa `env.evm.snapshot()` / `revert()`, eth-tester `take_snapshot()` /
  `revert_to_snapshot()`);
- anchor: an empty `with chain.anchor():` / `with boa.env.anchor():` (eth-tester has none);
- snapshot + transfer + revert: a test's isolation around one transaction;
- fuzzed transfer: one hypothesis test body for all (a drawn amount to a drawn address, known
  accounts or any 20 bytes, balances checked before and after, inside the harness's snapshot),
  examples per second over `--examples` examples, derandomized so every peer sees the same draws;
- import: `import pyeth.testing`, `import boa`, `import web3, eth_tester` and the backend's module,
  each in a fresh interpreter, timed inside it (the interpreter's own start-up is not counted);
- first transfer: a fresh interpreter's import, chain, deploy and one transfer, timed inside it;
- pytest per test (pyeth only): a file of `--plugin-tests` trivial tests that use the plugin's
  `chain` fixture alternating with as many on a plain session fixture and as many with none,
  run through pytest in a subprocess; a
  conftest times each test's whole run (set-up, call, tear-down, report) and the median test
  of each kind counts, so start-up and the chain's creation by the first test are left out.
  "chain fixture" is the median test on `chain` less the median of the same test on a plain
  session fixture of the conftest's, in the same run (what the plugin adds to a test that uses
  it: fixture bookkeeping and the snapshot and revert of isolation); "plugin loaded, no chain"
  is a test without fixtures less the same test in a pytest run without the plugin (two runs,
  so noisier).

Every operation runs `--repeat` times (300), in `--rounds` rounds (5): each round runs every
operation on every peer in turn (the order rotated each round), so a slow moment of the machine
falls on one round of one peer rather than on a peer's whole result. Each run is timed on its
own and the median over all rounds is reported (fuzzing and the subprocess figures: the median
of the rounds). `--clock cpu` (the default, as benchmarks/evm.py) times this process's CPU time,
which stays steady on a busy machine; the clock's own cost (measured at start) is subtracted from
each single run. The load average before and after is printed: on a shared machine it says how
far to trust the figures. Ratios are against titanoboa in the same run (its time / the peer's, so
10x is ten times as fast). After the rounds every peer's final balances are checked (bob holds
exactly the transfers that were not reverted), so a peer that did not do the work shows as failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TOKEN_PATH = ROOT / "tests" / "rpc" / "contracts" / "Token.json"
SUPPLY = 10**30
WARMUP = 5  # untimed runs of each operation before the first round
BASELINE = "titanoboa"
CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.process_time, "wall": time.perf_counter}

PEERS = ("pyeth", "titanoboa", "web3-pyevm", "web3-pyeth")
LABELS = {
    "pyeth": "pyeth.testing",
    "titanoboa": "titanoboa",
    "web3-pyevm": "web3 + eth-tester (py-evm)",
    "web3-pyeth": "web3 + eth-tester (pyeth)",
}
INSTALL = {
    "pyeth": "pip install -e .",
    "titanoboa": "pip install -e '.[bench-harness]' (titanoboa 0.2.x; best in its own venv)",
    "web3-pyevm": "pip install -e '.[bench]' (web3, eth-tester, py-evm)",
    "web3-pyeth": "pip install -e '.[bench]' (web3, eth-tester)",
}
DISTRIBUTIONS = {
    "pyeth": ("pyeth",),
    "titanoboa": ("titanoboa", "py-evm"),
    "web3-pyevm": ("web3", "eth-tester", "py-evm"),
    "web3-pyeth": ("web3", "eth-tester", "pyeth"),
}
# What each peer's user imports (the import row) and how a fresh process gets to a transfer.
IMPORTS = {
    "pyeth": "pyeth.testing",
    "titanoboa": "boa",
    "web3-pyevm": "web3, eth_tester, eth_tester.backends.pyevm",
    "web3-pyeth": "web3, eth_tester, pyeth.testing.eth_tester",
}

OPS = (
    "deploy",
    "transfer",
    "balanceOf",
    "snapshot + revert",
    "anchor",
    "snapshot + transfer + revert",
)
FUZZ = "fuzzed transfer"
IMPORT = "import"
COLD = "first transfer"
PYTEST_CHAIN = "pytest per test, chain fixture"
PYTEST_LOADED = "pytest per test, plugin loaded, no chain"
UNITS = {FUZZ: "examples/s", IMPORT: "s", COLD: "s", PYTEST_CHAIN: "µs", PYTEST_LOADED: "µs"}


def token_artifact() -> dict[str, Any]:
    return json.loads(TOKEN_PATH.read_text())


# --- peers --------------------------------------------------------------------------------------


@dataclass
class Peer:
    """One tool set up with the token deployed: its timed operations and the fuzz test's parts.

    `accounts[0]` is alice (she holds the supply), `accounts[1]` bob; `address(raw)` turns 20
    bytes into what the tool takes as an address.
    """

    name: str
    ops: dict[str, Callable[[], object]]
    accounts: list[Any]
    address: Callable[[bytes], Any]
    transfer: Callable[[Any, int], object]
    balance_of: Callable[[Any], int]
    anchor: Callable[[], contextlib.AbstractContextManager[object]]
    transfers: list[int] = field(default_factory=lambda: [0])  # bob's expected balance
    # Untimed, after each run of an operation: put the chain back as it was before the run.
    resets: dict[str, Callable[[], None]] = field(default_factory=dict)


def _counting(transfer: Callable[[], object], counter: list[int]) -> Callable[[], None]:
    def run() -> None:
        transfer()
        counter[0] += 1

    return run


def pyeth_peer() -> Peer:
    from pyeth.testing import Chain

    artifact = token_artifact()
    code_and_abi = (artifact["bytecode"], artifact["abi"])
    chain = Chain()
    alice, bob = chain.accounts[:2]
    token = chain.deploy(code_and_abi, SUPPLY, sender=alice)
    counter = [0]

    def deploy() -> object:
        return chain.deploy(code_and_abi, SUPPLY, sender=alice)

    before_deploy = [chain.snapshot()]

    def undo_deploy() -> None:
        chain.revert(before_deploy[0])
        before_deploy[0] = chain.snapshot()

    def transfer() -> object:
        return token.transfer(bob, 1, sender=alice)  # raises if it fails

    def snapshot_revert() -> None:
        chain.revert(chain.snapshot())

    def anchor() -> None:
        with chain.anchor():
            pass

    def snapshot_transfer_revert() -> None:
        snapshot = chain.snapshot()
        transfer()
        chain.revert(snapshot)

    return Peer(
        "pyeth",
        {
            "deploy": deploy,
            "transfer": _counting(transfer, counter),
            "balanceOf": lambda: token.balanceOf(alice),
            "snapshot + revert": snapshot_revert,
            "anchor": anchor,
            "snapshot + transfer + revert": snapshot_transfer_revert,
        },
        list(chain.accounts[:5]),
        lambda raw: raw,
        lambda to, amount: token.transfer(to, amount, sender=alice),
        token.balanceOf,
        chain.anchor,
        counter,
        {"deploy": undo_deploy},
    )


def titanoboa_peer() -> Peer:
    import boa
    from boa.util.abi import abi_encode

    artifact = token_artifact()
    init_code = bytes.fromhex(artifact["bytecode"].removeprefix("0x"))
    init_code += abi_encode("(uint256)", (SUPPLY,))
    factory = boa.loads_abi(json.dumps(artifact["abi"]), name="Token")
    env = boa.Env()  # each peer its own; contracts made while it is current keep it
    boa.set_env(env)
    accounts = [env.generate_address(f"account{i}") for i in range(5)]
    alice, bob = accounts[:2]

    def deploy() -> Any:
        if boa.env is not env:  # factory.at() registers the contract in the current env
            boa.set_env(env)
        address, _ = env.deploy_code(sender=alice, bytecode=init_code)
        return factory.at(address)

    token = deploy()
    counter = [0]
    before_deploy = [env.evm.snapshot()]

    def undo_deploy() -> None:
        env.evm.revert(before_deploy[0])
        before_deploy[0] = env.evm.snapshot()

    def transfer() -> object:
        return token.transfer(bob, 1, sender=alice)  # raises if it fails

    def snapshot_revert() -> None:
        env.evm.revert(env.evm.snapshot())

    def anchor() -> None:
        with env.anchor():
            pass

    def snapshot_transfer_revert() -> None:
        snapshot = env.evm.snapshot()
        transfer()
        env.evm.revert(snapshot)

    return Peer(
        "titanoboa",
        {
            "deploy": deploy,
            "transfer": _counting(transfer, counter),
            "balanceOf": lambda: token.balanceOf(alice),
            "snapshot + revert": snapshot_revert,
            "anchor": anchor,
            "snapshot + transfer + revert": snapshot_transfer_revert,
        },
        accounts,
        lambda raw: "0x" + raw.hex(),  # boa's encoder takes hex strings, not bytes
        lambda to, amount: token.transfer(to, amount, sender=alice),
        token.balanceOf,
        env.anchor,
        counter,
        {"deploy": undo_deploy},
    )


def _eth_tester_backend(name: str) -> Any:
    if name == "web3-pyevm":
        from eth_tester import PyEVMBackend

        return PyEVMBackend()
    from pyeth.testing.eth_tester import PyethBackend

    return PyethBackend()


def web3_peer(name: str) -> Peer:
    """web3.py's EthereumTesterProvider on one eth-tester backend ("web3-pyevm" or "web3-pyeth")."""
    from eth_tester import EthereumTester
    from web3 import EthereumTesterProvider, Web3

    artifact = token_artifact()
    tester = EthereumTester(backend=_eth_tester_backend(name))
    w3 = Web3(EthereumTesterProvider(tester))
    accounts = list(w3.eth.accounts[:5])
    alice, bob = accounts[:2]
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])

    def deploy() -> Any:
        tx = factory.constructor(SUPPLY).transact({"from": alice})
        receipt = w3.eth.get_transaction_receipt(tx)
        assert receipt["status"] == 1, receipt
        return w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])

    token = deploy()
    counter = [0]
    before_deploy = [tester.take_snapshot()]

    def undo_deploy() -> None:
        tester.revert_to_snapshot(before_deploy[0])
        before_deploy[0] = tester.take_snapshot()

    def send_transfer(to: Any, amount: int) -> None:
        tx = token.functions.transfer(to, amount).transact({"from": alice})
        receipt = w3.eth.get_transaction_receipt(tx)
        assert receipt["status"] == 1, receipt

    def transfer() -> None:
        send_transfer(bob, 1)

    def balance_of(who: Any) -> int:
        return int(token.functions.balanceOf(who).call())

    def snapshot_revert() -> None:
        tester.revert_to_snapshot(tester.take_snapshot())

    def snapshot_transfer_revert() -> None:
        snapshot = tester.take_snapshot()
        transfer()
        tester.revert_to_snapshot(snapshot)

    @contextlib.contextmanager
    def anchor() -> Iterator[None]:
        snapshot = tester.take_snapshot()
        try:
            yield
        finally:
            tester.revert_to_snapshot(snapshot)

    return Peer(
        name,
        {
            "deploy": deploy,
            "transfer": _counting(transfer, counter),
            "balanceOf": lambda: balance_of(alice),
            "snapshot + revert": snapshot_revert,
            "snapshot + transfer + revert": snapshot_transfer_revert,
        },
        accounts,
        Web3.to_checksum_address,
        send_transfer,
        balance_of,
        anchor,
        counter,
        {"deploy": undo_deploy},
    )


FACTORIES: dict[str, Callable[[], Peer]] = {
    "pyeth": pyeth_peer,
    "titanoboa": titanoboa_peer,
    "web3-pyevm": lambda: web3_peer("web3-pyevm"),
    "web3-pyeth": lambda: web3_peer("web3-pyeth"),
}


def load_peer(name: str) -> tuple[Peer | None, str]:
    """The peer set up with its token, or None and why not (with how to install it)."""
    try:
        return FACTORIES[name](), ""
    except ImportError as error:
        return None, f"not installed ({error}); {INSTALL[name]}"
    except Exception as error:  # a peer that breaks is reported, the others still run
        return None, f"failed to set up: {type(error).__name__}: {error}"[:300]


def peer_label(name: str) -> str:
    versions = []
    for dist in DISTRIBUTIONS[name]:
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{dist} ?")
    return f"{LABELS[name]} ({', '.join(versions)})"


# --- the fuzz test ------------------------------------------------------------------------------


def fuzz_test(peer: Peer, examples: int) -> tuple[Callable[[], None], list[int]]:
    """The same hypothesis test for every peer, and a counter of the examples it ran."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    alice = peer.accounts[0]
    alice_raw = bytes.fromhex(str(alice).removeprefix("0x")) if isinstance(alice, str) else None
    others = st.binary(min_size=20, max_size=20).filter(lambda raw: raw != alice_raw)
    targets = st.one_of(st.sampled_from(peer.accounts[1:]), others.map(peer.address))
    ran = [0]

    @settings(
        max_examples=examples,
        derandomize=True,  # the same draws for every peer and round
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(to=targets, amount=st.integers(min_value=0, max_value=10**24))
    def test_transfer(to: Any, amount: int) -> None:
        ran[0] += 1
        with peer.anchor():
            sender_before = peer.balance_of(alice)
            to_before = peer.balance_of(to)
            peer.transfer(to, amount)
            assert peer.balance_of(alice) == sender_before - amount
            assert peer.balance_of(to) == to_before + amount

    return test_transfer, ran


# --- measuring ----------------------------------------------------------------------------------


def clock_overhead(clock: Callable[[], float]) -> float:
    """The median time between two back-to-back readings of the clock (subtracted per run)."""
    gaps = []
    for _ in range(2000):
        start = clock()
        gaps.append(clock() - start)
    return statistics.median(gaps)


def time_runs(
    work: Callable[[], object],
    runs: int,
    clock: Callable[[], float],
    overhead: float,
    reset: Callable[[], None] | None = None,
) -> list[float]:
    """Seconds of each of `runs` calls of `work`, each timed on its own (and `reset`, untimed,
    after each)."""
    times = []
    for _ in range(runs):
        start = clock()
        work()
        times.append(max(clock() - start - overhead, 0.0))
        if reset is not None:
            reset()
    return times


def python_child(code: str, timeout: float = 300) -> float:
    """Run `code` in a fresh interpreter from the repository root; it prints one float."""
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr else "failed")
    return float(out.stdout.strip().splitlines()[-1])


def import_seconds(name: str, clock: str) -> float:
    """Seconds to import what a user of the peer imports, in a fresh interpreter."""
    fn = CLOCKS[clock].__name__
    return python_child(
        f"import time; t = time.{fn}(); import {IMPORTS[name]}; print(time.{fn}() - t)"
    )


def cold_start_seconds(name: str, clock: str) -> float:
    """Seconds from a fresh interpreter to one transfer done: import, chain, deploy, transfer."""
    fn = CLOCKS[clock].__name__
    return python_child(
        "import time, benchmarks.harness as h\n"
        f"t = time.{fn}()\n"
        f"peer = h.FACTORIES[{name!r}]()\n"
        "peer.ops['transfer']()\n"
        f"print(time.{fn}() - t)"
    )


PYTEST_TEST = {
    "chain": "def test_chain_{i}(chain):\n    assert chain.block_number >= 0\n",
    "plain": "def test_plain_{i}(plain):\n    assert plain.block_number >= 0\n",
    "bare": "def test_bare_{i}():\n    assert {i} >= 0\n",
}
# Times each test's whole run (set-up, call, tear-down, report) from outside every other
# plugin's wrapper, and writes {test name: seconds} where PYETH_BENCH_TIMES says at the end.
PYTEST_TIMER = """
    import json, os, time

    import pytest

    clock = time.process_time if os.environ["PYETH_BENCH_CLOCK"] == "cpu" else time.perf_counter
    times = {}

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_protocol(item, nextitem):
        start = clock()
        yield
        times[item.name] = clock() - start

    def pytest_sessionfinish(session):
        with open(os.environ["PYETH_BENCH_TIMES"], "w") as out:
            json.dump(times, out)

    class Plain:
        block_number = 0

    @pytest.fixture(scope="session")
    def plain():
        return Plain()
"""


def pytest_test_times(plugin: bool, n: int, clock: str, where: Path) -> dict[str, list[float]]:
    """Seconds of each trivial test of one pytest run in a subprocess, by kind: "chain" (uses
    the plugin's `chain`), "plain" (uses a session fixture of the conftest's, the same test
    without the plugin's fixtures), "bare" (no fixture); `n` of each, alternating, so the
    machine's moods fall on all alike ("chain" only with the plugin). No plugin autoloads
    (titanoboa's would import boa into the run); ours is named with -p when wanted."""
    folder = where / ("plugin" if plugin else "none")
    folder.mkdir(exist_ok=True)
    (folder / "pytest.ini").write_text("[pytest]\naddopts =\n")
    (folder / "conftest.py").write_text(textwrap.dedent(PYTEST_TIMER))
    kinds = ("chain", "plain", "bare") if plugin else ("plain", "bare")
    tests = [PYTEST_TEST[kind].format(i=i) for i in range(n) for kind in kinds]
    (folder / "test_trivial.py").write_text("\n\n".join(tests))
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)]
    if plugin:
        command[3:3] = ["-p", "pyeth.testing.plugin"]
    times_path = where / "times.json"
    env = {
        **os.environ,
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PYETH_BENCH_CLOCK": clock,
        "PYETH_BENCH_TIMES": str(times_path),
    }
    out = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=600)
    if out.returncode != 0 or f"{len(tests)} passed" not in out.stdout:
        raise RuntimeError(f"pytest (plugin={plugin}): {out.stdout[-500:]}{out.stderr}")
    times: dict[str, float] = json.loads(times_path.read_text())
    by_kind = {
        kind: [t for name, t in times.items() if name.startswith(f"test_{kind}_")] for kind in kinds
    }
    if any(len(found) != n for found in by_kind.values()):
        raise RuntimeError(f"pytest (plugin={plugin}): not every test was timed")
    return by_kind


@dataclass
class Result:
    """One row's figures for one peer: every sample, and the median of them."""

    samples: list[float] = field(default_factory=list)  # seconds, or examples/s for fuzzing
    rounds: list[float] = field(default_factory=list)  # the median of each round
    error: str = ""

    @property
    def value(self) -> float:
        return statistics.median(self.samples) if self.samples and not self.error else math.nan


@dataclass
class Run:
    settings: dict[str, Any]
    peers: dict[str, str]  # name -> label (available ones)
    missing: dict[str, str]  # name -> why it did not run
    results: dict[str, dict[str, Result]]  # row -> peer -> result
    load: list[str]
    notes: list[str] = field(default_factory=list)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def rotated(names: list[str], shift: int) -> list[str]:
    shift %= max(len(names), 1)
    return names[shift:] + names[:shift]


def measure_ops(
    peers: dict[str, Peer], args: argparse.Namespace, run: Run, clock: Callable[[], float]
) -> None:
    """Every operation on every peer, in interleaved rounds."""
    overhead = clock_overhead(clock)
    run.notes.append(f"clock overhead subtracted per run: {overhead * 1e6:.2f} µs")
    names = list(peers)
    for op in OPS:
        for name in names:
            if op in peers[name].ops:
                run.results.setdefault(op, {})[name] = Result()
                for _ in range(WARMUP):
                    peers[name].ops[op]()
                    peers[name].resets.get(op, lambda: None)()
    per_round = [args.repeat // args.rounds] * args.rounds
    for i in range(args.repeat % args.rounds):
        per_round[i] += 1
    for index, runs in enumerate(per_round):
        log(f"round {index + 1}/{args.rounds}: {runs} runs of each operation")
        for op in OPS:
            for name in rotated(names, index):
                result = run.results.get(op, {}).get(name)
                if result is None or result.error or runs == 0:
                    continue
                try:
                    peer = peers[name]
                    times = time_runs(peer.ops[op], runs, clock, overhead, peer.resets.get(op))
                except Exception as error:
                    result.error = f"{type(error).__name__}: {error}"[:300]
                    log(f"  {name} {op}: {result.error}")
                    continue
                result.samples += times
                result.rounds.append(statistics.median(times))


def measure_fuzz(
    peers: dict[str, Peer], args: argparse.Namespace, run: Run, clock: Callable[[], float]
) -> None:
    """The fuzz test on every peer, `--rounds` times (at most 3), examples per second."""
    try:
        tests = {name: fuzz_test(peer, args.examples) for name, peer in peers.items()}
    except ImportError as error:
        run.missing[FUZZ] = f"hypothesis not installed ({error}); pip install hypothesis"
        return
    results = run.results.setdefault(FUZZ, {name: Result() for name in peers})
    for name, peer in peers.items():  # warm-up: hypothesis builds its strategies once
        try:
            fuzz_test(peer, 5)[0]()
        except Exception as error:
            results[name].error = f"{type(error).__name__}: {error}"[:300]
    for index in range(min(args.rounds, 3)):
        log(f"fuzz round {index + 1}: {args.examples} examples on each peer")
        for name in rotated(list(peers), index):
            test, ran = tests[name]
            if results[name].error:
                continue
            ran[0] = 0
            start = clock()
            try:
                test()
            except Exception as error:
                results[name].error = f"{type(error).__name__}: {error}"[:300]
                continue
            rate = ran[0] / (clock() - start)
            results[name].samples.append(rate)
            results[name].rounds.append(rate)


def measure_subprocesses(names: list[str], args: argparse.Namespace, run: Run) -> None:
    """Import time and the first transfer of a fresh interpreter, rounds interleaved."""
    for row, fn in ((IMPORT, import_seconds), (COLD, cold_start_seconds)):
        results = run.results.setdefault(row, {name: Result() for name in names})
        for index in range(args.import_runs):
            log(f"{row} run {index + 1}/{args.import_runs}")
            for name in rotated(names, index):
                if results[name].error:
                    continue
                try:
                    seconds = fn(name, args.clock)
                except Exception as error:
                    results[name].error = f"{type(error).__name__}: {error}"[:300]
                    continue
                results[name].samples.append(seconds)
                results[name].rounds.append(seconds)


def measure_plugin(args: argparse.Namespace, run: Run) -> None:
    """The pytest plugin's cost per test (pyeth only), from `--plugin-runs` pairs of pytest
    runs: a trivial test that uses `chain` less the same test on a plain session fixture, in
    the same run (the row the target is about); and a test without fixtures with the plugin
    loaded less the same test without the plugin, across two runs (noisier: the two runs meet
    different moments of the machine)."""
    try:
        import pyeth.testing.plugin  # noqa: F401
    except ImportError as error:
        run.missing["pytest plugin"] = f"pyeth.testing.plugin does not import ({error})"
        return
    chain_extra: list[float] = []
    loaded_extra: list[float] = []
    medians_by_run: list[dict[bool, dict[str, float]]] = []
    with tempfile.TemporaryDirectory(prefix="pyeth-bench-pytest-") as tmp:
        for index in range(args.plugin_runs):
            log(f"pytest run {index + 1}/{args.plugin_runs}: {args.plugin_tests} tests a kind")
            medians: dict[bool, dict[str, float]] = {}
            for plugin in (True, False) if index % 2 == 0 else (False, True):
                try:
                    times = pytest_test_times(plugin, args.plugin_tests, args.clock, Path(tmp))
                except Exception as error:
                    run.missing["pytest plugin"] = f"{type(error).__name__}: {error}"[:500]
                    return
                medians[plugin] = {kind: statistics.median(t) for kind, t in times.items()}
            chain_extra.append(medians[True]["chain"] - medians[True]["plain"])
            loaded_extra.append(medians[True]["bare"] - medians[False]["bare"])
            medians_by_run.append(medians)
    run.results[PYTEST_CHAIN] = {"pyeth": Result(chain_extra, chain_extra)}
    run.results[PYTEST_LOADED] = {"pyeth": Result(loaded_extra, loaded_extra)}

    def typical(plugin: bool, kind: str) -> str:
        return f"{statistics.median(m[plugin][kind] for m in medians_by_run) * 1e6:.0f} µs"

    run.notes.append(
        f"pytest per trivial test (median, set-up to report): without the plugin "
        f"{typical(False, 'bare')} bare, {typical(False, 'plain')} on a plain session fixture; "
        f"with it {typical(True, 'bare')} bare, {typical(True, 'plain')} plain, "
        f"{typical(True, 'chain')} on `chain`"
    )


def check_final_state(peers: dict[str, Peer], run: Run) -> None:
    """Bob holds exactly the transfers that were kept; anything else means the work was not
    done (or a revert did not undo it)."""
    for name, peer in peers.items():
        bob = peer.accounts[1]
        got, want = peer.balance_of(bob), peer.transfers[0]
        if got != want:
            run.notes.append(f"{name}: WRONG final balance: bob holds {got}, expected {want}")
            for row in run.results.values():
                if name in row and not row[name].error:
                    row[name].error = "final state wrong"


def benchmark(args: argparse.Namespace) -> Run:
    clock = CLOCKS[args.clock]
    names = [n for n in args.peer_names]
    run = Run(
        settings={
            "repeat": args.repeat,
            "rounds": args.rounds,
            "examples": args.examples,
            "import_runs": args.import_runs,
            "plugin_tests": args.plugin_tests,
            "plugin_runs": args.plugin_runs,
            "clock": args.clock,
        },
        peers={},
        missing={},
        results={},
        load=[load_average()],
    )
    peers: dict[str, Peer] = {}
    for name in names:
        peer, problem = load_peer(name)
        deployer, problem = load_peer(name) if peer is not None else (None, problem)
        if peer is None or deployer is None:
            run.missing[name] = problem
            log(f"{name}: {problem}")
            continue
        # Deployments go to a chain of their own, reverted after each (see the module doc).
        peer.ops["deploy"] = deployer.ops["deploy"]
        peer.resets["deploy"] = deployer.resets["deploy"]
        peers[name] = peer
        run.peers[name] = peer_label(name)
    if peers:
        measure_ops(peers, args, run, clock)
        if args.examples > 0:
            measure_fuzz(peers, args, run, clock)
        check_final_state(peers, run)
    if args.import_runs > 0 and peers:
        measure_subprocesses(list(peers), args, run)
    if "pyeth" in peers and args.plugin_runs > 0:
        measure_plugin(args, run)
    run.load.append(load_average())
    return run


# --- report -------------------------------------------------------------------------------------


def unit(row: str) -> str:
    return UNITS.get(row, "µs")


def shown(row: str, value: float) -> float:
    """The value in the row's unit (times are kept in seconds)."""
    return value * 1e6 if unit(row) == "µs" else value


def speedup(row: str, results: dict[str, Result], name: str) -> float:
    """How many times as fast as titanoboa the peer is on this row (nan when not comparable)."""
    base, ours = results.get(BASELINE), results.get(name)
    if base is None or ours is None or not (base.value > 0 and ours.value > 0):
        return math.nan
    return ours.value / base.value if row == FUZZ else base.value / ours.value


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if value >= 1 else f"{value:.2g}"


def _fmt_ratio(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}x"
    return f"{value:.1f}x" if value >= 1 else f"{value:.2f}x"


def rows_of(run: Run) -> list[str]:
    order = [*OPS, FUZZ, IMPORT, COLD, PYTEST_CHAIN, PYTEST_LOADED]
    return [row for row in order if row in run.results]


def table(run: Run) -> str:
    """A markdown table: each peer's median, with its speed-up over titanoboa in brackets."""
    names = list(run.peers)
    header = ["", *[LABELS[n] for n in names]]
    lines = []
    for row in rows_of(run):
        cells = [f"{row} ({unit(row)})"]
        for name in names:
            result = run.results[row].get(name)
            if result is None:
                cells.append("")
                continue
            if result.error:
                cells.append("failed")
                continue
            cell = _fmt(shown(row, result.value))
            ratio = speedup(row, run.results[row], name)
            if name != BASELINE and math.isfinite(ratio):
                cell += f" ({_fmt_ratio(ratio)})"
            cells.append(cell)
        lines.append(cells)
    widths = [max(len(c) for c in col) for col in zip(header, *lines, strict=True)]
    text = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"]
    text.append("| " + " | ".join(["-" * widths[0]] + ["-" * (w - 1) + ":" for w in widths[1:]]))
    text[-1] += " |"
    for cells in lines:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        text.append("| " + " | ".join([first, *rest]) + " |")
    return "\n".join(text)


TARGETS = (
    # (row, what, test on the figure in the row's unit or the speed-up)
    ("transfer", "pyeth at least 10x titanoboa", "ratio", 10.0),
    ("balanceOf", "pyeth at least 10x titanoboa", "ratio", 10.0),
    ("snapshot + revert", "under 10 µs", "below", 10.0),
    (IMPORT, "`import pyeth.testing` under 0.25 s", "below", 0.25),
    (PYTEST_CHAIN, "under 50 µs a test", "below", 50.0),
)


def target_lines(run: Run) -> list[str]:
    lines = []
    for row, what, kind, bound in TARGETS:
        result = run.results.get(row, {}).get("pyeth")
        if result is None or result.error:
            lines.append(f"{row}: {what}: not measured")
            continue
        if kind == "ratio":
            figure = speedup(row, run.results[row], "pyeth")
            if not math.isfinite(figure):
                lines.append(f"{row}: {what}: no titanoboa figure to compare")
                continue
            ok, said = figure >= bound, _fmt_ratio(figure)
        else:
            figure = shown(row, result.value)
            ok, said = figure < bound, f"{_fmt(figure)} {unit(row)}"
        lines.append(f"{row}: {what}: {said} -- {'met' if ok else 'MISSED'}")
    return lines


def report(run: Run) -> str:
    text = [
        f"python {platform.python_version()}, {os.cpu_count()} cpus, "
        f"clock {run.settings['clock']}, "
        f"{run.settings['repeat']} runs of each operation in {run.settings['rounds']} rounds; "
        f"load average before {run.load[0]}, after {run.load[-1]}",
    ]
    text += [f"  {name}: {label}" for name, label in run.peers.items()]
    text += [f"  {name}: skipped, {why}" for name, why in run.missing.items()]
    text += ["", table(run), "", "(Nx): how many times as fast as titanoboa in this run", ""]
    text += ["targets (issue 16):", *(f"  {line}" for line in target_lines(run))]
    errors = [
        f"  {name} {row}: {result.error}"
        for row, results in run.results.items()
        for name, result in results.items()
        if result.error
    ]
    if errors or run.notes:
        text += ["", "notes:", *errors, *(f"  {note}" for note in run.notes)]
    return "\n".join(text)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def to_json(run: Run) -> dict[str, Any]:
    return {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average": run.load,
        },
        "settings": run.settings,
        "peers": run.peers,
        "missing": run.missing,
        "units": {row: unit(row) for row in rows_of(run)},
        "rows": {
            row: {
                name: {
                    "median": _finite(shown(row, result.value)),
                    "rounds": [shown(row, v) for v in result.rounds],
                    "vs_titanoboa": _finite(speedup(row, run.results[row], name)),
                    "error": result.error,
                }
                for name, result in run.results[row].items()
            }
            for row in rows_of(run)
        },
        "targets": target_lines(run),
        "notes": run.notes,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peers", default=",".join(PEERS), help="comma-separated, in order")
    parser.add_argument("--repeat", type=int, default=300, help="runs of each operation (300)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (5)")
    parser.add_argument(
        "--examples", type=int, default=100, help="hypothesis examples per fuzz round (100)"
    )
    parser.add_argument(
        "--import-runs", type=int, default=5, help="fresh interpreters per peer for import (5)"
    )
    parser.add_argument(
        "--plugin-tests", type=int, default=500, help="tests in each pytest run (500)"
    )
    parser.add_argument("--plugin-runs", type=int, default=3, help="pytest measurements (3)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    args.peer_names = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = set(args.peer_names) - set(PEERS)
    if unknown:
        parser.error(f"unknown peers {sorted(unknown)}; known: {', '.join(PEERS)}")
    if args.repeat < 1 or args.rounds < 1:
        parser.error("--repeat and --rounds must be at least 1")
    args.rounds = min(args.rounds, args.repeat)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    log(f"load average before: {load_average()}, {os.cpu_count()} CPUs")
    run = benchmark(args)
    print(report(run))
    if args.json:
        args.json.write_text(json.dumps(to_json(run), indent=2) + "\n")
    return 0 if run.peers else 2


if __name__ == "__main__":
    sys.exit(main())

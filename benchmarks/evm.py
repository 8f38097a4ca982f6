"""Side-by-side EVM benchmark: pyeth against py-evm, EELS and revm (pyrevm), in one run.

Every case is a plain message call: the benchmark's runtime code installed at its address, called
by the filler's sender with the case's calldata and 1,000,000,000 gas (or the file's `gas`),
Cancun rules, no transaction around it (no intrinsic gas, no refunds). The cases are every named
input of every file of ../shared/evm-benchmarks plus three loops built here (ADD/JUMP, KECCAK256,
memory growth). Each engine's output and gas are checked against the expected ones; a mismatch is
marked in the table and left out of the means.

Timing: each run starts from a fresh state (SSTOREs must not change the gas of the next run), which
is built outside the timed region. After one warm-up run, an engine runs a case until it has spent
`--min-time` seconds in it (at least 3 runs) and the median is reported. A warm-up longer than
`--max-run-time` (EELS on the big cases) is the only run taken, and the table says so.

Peers are optional: `pip install -e '.[bench]'`; an engine that does not import is reported as
missing. Run `python benchmarks/evm.py --help` for the options; benchmarks/README.md explains the
columns.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `python benchmarks/evm.py` puts this folder first on sys.path, where this very file would shadow
# the `evm` package: drop it so that `import evm` finds pyeth's interpreter.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable, Iterable, Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from importlib import metadata  # noqa: E402

REPO = _HERE.parent
DEFAULT_DATA = REPO.parent / "shared" / "evm-benchmarks"
DEFAULT_GAS = 1_000_000_000
# The filler's sender (README of evm-benchmarks); it is also the transaction origin.
CALLER = bytes.fromhex("a94f5374fce5edbc8e2a8697c15331677e6ebf0b")
MICRO_ADDRESS = bytes.fromhex("be7c43a580000000000000000000000000000002")
# Block environment shared by all engines; the benchmarks read none of it.
BLOCK_NUMBER = 1
BLOCK_TIMESTAMP = 1_000
CHAIN_ID = 1
COINBASE = bytes(20)
PRECOMPILES = [i.to_bytes(20, "big") for i in range(1, 11)]  # 0x01-0x0a (Cancun)
ENGINES = ("pyeth", "pyevm", "eels", "pyrevm")
CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
# The timed regions read this; main() sets it from --clock. CPU time of this process is the
# default because a shared 2-core machine is often busy with other work: wall time then counts the
# time this process waits for a core, CPU time does not.
clock = CLOCKS["cpu"]
PEERS = ENGINES[1:]


# --- cases ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Case:
    """One message call to time."""

    name: str  # "<benchmark>/<input>"
    group: str  # "main", "micro" (from the data set) or "builtin" (the loops below)
    address: bytes
    code: bytes
    calldata: bytes
    gas: int
    expected_output: bytes | None  # None: unknown
    expected_gas: int | None  # execution gas of the call; None: unknown
    enabled_upstream: bool = True


def load_cases(data_dir: Path) -> list[Case]:
    """Every named input of every benchmark file in `data_dir`, in file-name order."""
    cases = []
    for path in sorted(data_dir.glob("*.json")):
        bench = json.loads(path.read_text())
        address = bytes.fromhex(bench["address"].removeprefix("0x"))
        code = bytes.fromhex(bench["code"])
        for item in bench["inputs"]:
            expected = item.get("expected_output")
            cases.append(
                Case(
                    name=f"{bench['name']}/{item['name']}",
                    group=bench.get("group", "main"),
                    address=address,
                    code=code,
                    calldata=bytes.fromhex(item["calldata"]),
                    gas=int(item.get("gas", bench.get("gas", DEFAULT_GAS))),
                    expected_output=None if expected is None else bytes.fromhex(expected),
                    expected_gas=item.get("exec_gas"),
                    enabled_upstream=item.get("enabled_upstream", True),
                )
            )
    return cases


# A tiny assembler for the built-in loops: mnemonics, ints (pushed with the smallest PUSHn) and
# labels. `Label("x")` places a JUMPDEST, `Ref("x")` pushes its offset as PUSH2.
MNEMONICS = {
    "STOP": 0x00,
    "ADD": 0x01,
    "SUB": 0x03,
    "GT": 0x11,
    "SHL": 0x1B,
    "KECCAK256": 0x20,
    "POP": 0x50,
    "MLOAD": 0x51,
    "MSTORE": 0x52,
    "JUMP": 0x56,
    "JUMPI": 0x57,
    "MSIZE": 0x59,
    "JUMPDEST": 0x5B,
    "DUP1": 0x80,
    "DUP2": 0x81,
    "SWAP1": 0x90,
    "RETURN": 0xF3,
}


@dataclass(frozen=True, slots=True)
class Label:
    name: str


@dataclass(frozen=True, slots=True)
class Ref:
    name: str


def assemble(*items: str | int | Label | Ref) -> bytes:
    """Bytecode of `items`: two passes, the first to place labels, the second to emit."""
    labels: dict[str, int] = {}
    for emit in (False, True):
        code = bytearray()
        for item in items:
            if isinstance(item, Label):
                labels[item.name] = len(code)
                code.append(MNEMONICS["JUMPDEST"])
            elif isinstance(item, Ref):
                code += bytes([0x61]) + (labels.get(item.name, 0) if emit else 0).to_bytes(2, "big")
            elif isinstance(item, int):
                size = max(1, (item.bit_length() + 7) // 8)  # PUSH1 0, not PUSH0 (London too)
                code += bytes([0x5F + size]) + item.to_bytes(size, "big")
            else:
                code.append(MNEMONICS[item])
    return bytes(code)


def _return_top() -> tuple[str | int, ...]:
    """Return the stack's top word as the 32-byte output."""
    return (0, "MSTORE", 32, 0, "RETURN")


def builtin_cases() -> list[Case]:
    """The three loops of issue 4, each with its output worked out here in Python."""
    from sha3 import keccak_256  # safe-pysha3, a pyeth dependency

    # ADD/JUMP: acc += i for i = n..1, then return acc (n(n+1)/2). 11 opcodes, 38 gas a turn.
    n_add = 50_000
    add_loop = assemble(
        0,  # acc
        n_add,  # i                     [i, acc]
        Label("loop"),
        "SWAP1",  # [acc, i]
        "DUP2",  # [i, acc, i]
        "ADD",  # [acc + i, i]
        "SWAP1",  # [i, acc]
        1,
        "SWAP1",
        "SUB",  # [i - 1, acc]
        "DUP1",
        Ref("loop"),
        "JUMPI",  # loop while i != 0
        "POP",
        *_return_top(),
    )
    # KECCAK256: h = keccak(h) on memory word 0, n times, then return h.
    n_keccak = 20_000
    keccak_loop = assemble(
        n_keccak,  # [i]
        Label("loop"),
        32,
        0,
        "KECCAK256",  # [keccak(mem[0:32]), i]
        0,
        "MSTORE",  # mem[0:32] = h
        1,
        "SWAP1",
        "SUB",  # [i - 1]
        "DUP1",
        Ref("loop"),
        "JUMPI",
        "POP",
        32,
        0,
        "RETURN",
    )
    h = bytes(32)
    for _ in range(n_keccak):
        h = keccak_256(h).digest()
    # Memory growth: mem[32*i] = i for i = 0..n-1 (one new word a turn), then return MSIZE.
    n_words = 16_384  # 512 KiB
    memory_loop = assemble(
        0,  # [i]
        Label("loop"),
        "DUP1",
        "DUP1",
        5,
        "SHL",  # [32*i, i, i]
        "MSTORE",  # mem[32*i] = i
        1,
        "ADD",  # [i + 1]
        "DUP1",
        n_words,
        "GT",  # [n > i + 1, i + 1]
        Ref("loop"),
        "JUMPI",
        "POP",
        "MSIZE",
        *_return_top(),
    )

    def case(name: str, code: bytes, output: bytes) -> Case:
        return Case(
            f"builtin/{name}", "builtin", MICRO_ADDRESS, code, b"", DEFAULT_GAS, output, None
        )

    word = lambda value: value.to_bytes(32, "big")  # noqa: E731
    return [
        case("add_jump_loop", add_loop, word(n_add * (n_add + 1) // 2)),
        case("keccak256_loop", keccak_loop, h),
        case("memory_grow_loop", memory_loop, word(32 * n_words)),
    ]


# --- engines ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    """One execution: whether it succeeded, its return data and execution gas, and its time."""

    success: bool
    output: bytes
    gas_used: int
    seconds: float


# An engine's `prepare(case)` returns a function that runs the case once on a fresh state and
# times only the message call.
Runner = Callable[[], Outcome]


@dataclass(slots=True)
class Engine:
    name: str
    label: str  # what the engine is, with its version
    prepare: Callable[[Case], Runner] | None  # None: not available
    problem: str = ""  # why it is missing


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except OSError:
        return "?"
    return out.stdout.strip() or "?"


def pyeth_engine() -> Engine:
    """pyeth through its public API: process_message with a Context over a fresh State."""
    from evm.context import Context
    from evm.forks import rules_for
    from evm.frame import BlockEnv, Message, TxEnv
    from evm.hashing import keccak256
    from evm.interpreter import process_message
    from pyeth.state import Account, State

    rules = rules_for("Cancun")
    warm = [CALLER, COINBASE, *rules.precompiles]
    tx = TxEnv(origin=CALLER, gas_price=0)

    def prepare(case: Case) -> Runner:
        block = BlockEnv(
            coinbase=COINBASE,
            number=BLOCK_NUMBER,
            timestamp=BLOCK_TIMESTAMP,
            gas_limit=case.gas,
            prev_randao=bytes(32),
            base_fee=0,
            chain_id=CHAIN_ID,
        )
        code_hash = keccak256(case.code)

        def run() -> Outcome:
            state = State(
                {
                    CALLER: Account(),
                    case.address: Account(nonce=1, code=case.code, code_hash=code_hash),
                }
            )
            state.begin_transaction(warm_accounts=[*warm, case.address])
            context = Context(state, block, tx, rules)
            message = Message(
                caller=CALLER,
                target=case.address,
                code_address=case.address,
                value=0,
                data=case.calldata,
                gas=case.gas,
                code=case.code,
            )
            start = clock()
            result = process_message(message, context)
            seconds = clock() - start
            return Outcome(result.success, result.output, case.gas - result.gas_left, seconds)

        return run

    return Engine("pyeth", f"pyeth {_version('pyeth')} ({_git_commit()})", prepare)


def pyevm_engine() -> Engine:
    """py-evm: CancunState over an AtomicDB, the computation's apply_message."""
    from eth.constants import BLANK_ROOT_HASH
    from eth.db.atomic import AtomicDB
    from eth.vm.execution_context import ExecutionContext
    from eth.vm.forks.cancun import CancunVM
    from eth.vm.message import Message

    state_class = CancunVM.get_state_class()

    def prepare(case: Case) -> Runner:
        context = ExecutionContext(
            coinbase=COINBASE,
            timestamp=BLOCK_TIMESTAMP,
            block_number=BLOCK_NUMBER,
            difficulty=0,
            mix_hash=bytes(32),
            gas_limit=case.gas,
            prev_hashes=(),
            chain_id=CHAIN_ID,
            base_fee_per_gas=0,
            excess_blob_gas=0,
        )

        def run() -> Outcome:
            state = state_class(AtomicDB(), context, BLANK_ROOT_HASH)
            state.set_code(case.address, case.code)
            state.set_nonce(case.address, 1)
            state.lock_changes()
            for address in (CALLER, COINBASE, case.address, *PRECOMPILES):
                state.mark_address_warm(address)
            tx_context = state.get_transaction_context_class()(gas_price=0, origin=CALLER)
            message = Message(
                gas=case.gas,
                to=case.address,
                sender=CALLER,
                value=0,
                data=case.calldata,
                code=case.code,
            )
            start = clock()
            computation = state.computation_class.apply_message(state, message, tx_context)
            seconds = clock() - start
            return Outcome(
                computation.is_success, computation.output, computation.get_gas_used(), seconds
            )

        return run

    return Engine("pyevm", f"py-evm {_version('py-evm')}", prepare)


def eels_engine() -> Engine:
    """EELS (ethereum-execution), Cancun: process_message over a fresh State."""
    try:
        from ethereum.forks.cancun import state as eels_state
        from ethereum.forks.cancun import vm as eels_vm
        from ethereum.forks.cancun.fork_types import Account
        from ethereum.forks.cancun.vm.interpreter import process_message
    except ImportError:  # releases before the forks/ move
        from ethereum.cancun import state as eels_state  # type: ignore[no-redef]
        from ethereum.cancun import vm as eels_vm  # type: ignore[no-redef]
        from ethereum.cancun.fork_types import Account  # type: ignore[no-redef]
        from ethereum.cancun.vm.interpreter import process_message  # type: ignore[no-redef]
    from ethereum_types.numeric import U64, U256, Uint

    def prepare(case: Case) -> Runner:
        def run() -> Outcome:
            state = eels_state.State()
            eels_state.set_account(state, CALLER, Account(nonce=Uint(0), balance=U256(0), code=b""))
            eels_state.set_account(
                state, case.address, Account(nonce=Uint(1), balance=U256(0), code=case.code)
            )
            block_env = eels_vm.BlockEnvironment(
                chain_id=U64(CHAIN_ID),
                state=state,
                block_gas_limit=Uint(case.gas),
                block_hashes=[],
                coinbase=COINBASE,
                number=Uint(BLOCK_NUMBER),
                base_fee_per_gas=Uint(0),
                time=U256(BLOCK_TIMESTAMP),
                prev_randao=bytes(32),
                excess_blob_gas=U64(0),
                parent_beacon_block_root=bytes(32),
            )
            tx_env = eels_vm.TransactionEnvironment(
                origin=CALLER,
                gas_price=Uint(0),
                gas=Uint(case.gas),
                access_list_addresses=set(),
                access_list_storage_keys=set(),
                transient_storage=eels_state.TransientStorage(),
                blob_versioned_hashes=(),
                index_in_block=Uint(0),
                tx_hash=None,
            )
            message = eels_vm.Message(
                block_env=block_env,
                tx_env=tx_env,
                caller=CALLER,
                target=case.address,
                current_target=case.address,
                gas=Uint(case.gas),
                value=U256(0),
                data=case.calldata,
                code_address=case.address,
                code=case.code,
                depth=Uint(0),
                should_transfer_value=True,
                is_static=False,
                accessed_addresses={CALLER, COINBASE, case.address, *PRECOMPILES},
                accessed_storage_keys=set(),
                parent_evm=None,
            )
            start = clock()
            evm = process_message(message)
            seconds = clock() - start
            gas_used = case.gas - int(evm.gas_left)
            return Outcome(evm.error is None, bytes(evm.output), gas_used, seconds)

        return run

    return Engine("eels", f"EELS ethereum-execution {_version('ethereum-execution')}", prepare)


def pyrevm_engine() -> Engine:
    """revm through pyrevm: message_call (a transaction), reverted after each run.

    pyrevm keeps the journal across calls, so each run is wrapped in snapshot/revert, outside the
    timed region. message_call is a whole transaction to revm: its execution gas is gas used plus
    refund minus the intrinsic 21,000 + calldata gas.
    """
    from pyrevm import EVM, AccountInfo, BlockEnv, Env

    caller = "0x" + CALLER.hex()

    def prepare(case: Case) -> Runner:
        intrinsic = 21_000 + sum(4 if byte == 0 else 16 for byte in case.calldata)
        gas = case.gas + intrinsic  # leave the call itself `case.gas`, as the others get
        env = Env(
            block=BlockEnv(
                number=BLOCK_NUMBER,
                coinbase="0x" + COINBASE.hex(),
                timestamp=BLOCK_TIMESTAMP,
                gas_limit=gas,
                basefee=0,
                excess_blob_gas=0,
            )
        )
        evm = EVM(env=env, gas_limit=gas, spec_id="CANCUN")
        target = "0x" + case.address.hex()
        evm.insert_account_info(target, AccountInfo(nonce=1, code=case.code))

        def run() -> Outcome:
            checkpoint = evm.snapshot()
            start = clock()
            output = evm.message_call(caller, target, case.calldata, 0, gas)
            seconds = clock() - start
            result = evm.result
            evm.revert(checkpoint)
            assert result is not None
            gas_used = result.gas_used + result.gas_refunded - intrinsic
            return Outcome(result.is_success, bytes(output), gas_used, seconds)

        return run

    return Engine("pyrevm", f"revm via pyrevm {_version('pyrevm')}", prepare)


ENGINE_FACTORIES: dict[str, Callable[[], Engine]] = {
    "pyeth": pyeth_engine,
    "pyevm": pyevm_engine,
    "eels": eels_engine,
    "pyrevm": pyrevm_engine,
}
DISTRIBUTIONS = {"pyeth": "pyeth", "pyevm": "py-evm", "eels": "ethereum-execution"}


def load_engine(name: str) -> Engine:
    """The engine `name`, or a placeholder saying why it cannot run."""
    try:
        return ENGINE_FACTORIES[name]()
    except Exception as error:  # ImportError mostly; any failure only disables this engine
        dist = DISTRIBUTIONS.get(name, name)
        return Engine(name, f"{dist} (missing)", None, f"{type(error).__name__}: {error}")


# --- measuring --------------------------------------------------------------------------------


@dataclass(slots=True)
class Measurement:
    """An engine's result for one case."""

    engine: str
    success: bool = False
    output: bytes = b""
    gas_used: int = 0
    times: list[float] = field(default_factory=list)
    error: str = ""  # the engine raised
    mismatch: str = ""  # output, gas or status differs from what is expected
    capped: bool = False  # one run only: the warm-up took longer than --max-run-time
    skipped: str = ""  # not run: expected to take longer than --max-case-time

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else math.nan

    @property
    def ok(self) -> bool:
        return bool(self.times) and not (self.error or self.mismatch or self.skipped)

    def mgas_per_s(self, gas: int) -> float:
        return gas / self.median / 1e6 if self.ok and self.median > 0 else math.nan


def measure(
    engine: Engine, case: Case, min_time: float, max_run_time: float, max_runs: int = 100_000
) -> Measurement:
    """Warm up once, then run until `min_time` seconds are spent (at least 3 runs)."""
    assert engine.prepare is not None
    result = Measurement(engine.name)
    try:
        run = engine.prepare(case)
        first = run()
        result.success, result.output, result.gas_used = first.success, first.output, first.gas_used
        if first.seconds > max_run_time:
            result.times = [first.seconds]
            result.capped = True
            return result
        spent = 0.0
        deadline = time.perf_counter() + 10 * max(min_time, first.seconds)  # setup costs too
        while len(result.times) < 3 or (
            spent < min_time and len(result.times) < max_runs and time.perf_counter() < deadline
        ):
            outcome = run()
            if (outcome.output, outcome.gas_used) != (first.output, first.gas_used):
                result.error = "runs disagree (state leaked between runs?)"
                return result
            result.times.append(outcome.seconds)
            spent += outcome.seconds
    except Exception as error:  # an engine's crash is a result, not the end of the run
        result.error = f"{type(error).__name__}: {error}"[:200]
    return result


def check(case: Case, results: dict[str, Measurement]) -> int | None:
    """Mark each result that differs from the expected output and gas; return the case's gas.

    Where the data set gives no gas (the built-in loops), the gas most engines agree on stands in.
    """
    finished = [m for m in results.values() if not (m.error or m.skipped)]
    gas = case.expected_gas
    if gas is None and finished:
        gas = Counter(m.gas_used for m in finished).most_common(1)[0][0]
    for m in finished:
        problems = []
        if not m.success:
            problems.append("the call failed")
        if case.expected_output is not None and m.output != case.expected_output:
            problems.append(
                f"output 0x{m.output.hex()[:24]}... "
                f"!= expected 0x{case.expected_output.hex()[:24]}..."
            )
        if gas is not None and m.gas_used != gas:
            problems.append(f"gas {m.gas_used:,} != {gas:,}")
        m.mismatch = "; ".join(problems)
    return gas


def geomean(values: Iterable[float]) -> float:
    values = [v for v in values if v > 0 and math.isfinite(v)]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else math.nan


# --- report -----------------------------------------------------------------------------------


def _fmt_time(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f}us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f}ms"
    return f"{seconds:.2f}s"


def _fmt_rate(value: float) -> str:
    if not math.isfinite(value):
        return "-"
    return f"{value:.3g}" if value < 1000 else f"{value:,.0f}"


def _fmt_ratio(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value:.2f}x"


@dataclass(slots=True)
class Row:
    case: Case
    gas: int | None
    results: dict[str, Measurement]


def ratio(row: Row, peer: str) -> float:
    """pyeth's speed relative to `peer` on this case (their time over pyeth's)."""
    ours, theirs = row.results.get("pyeth"), row.results.get(peer)
    if ours is None or theirs is None or not (ours.ok and theirs.ok):
        return math.nan
    return theirs.median / ours.median


def summary(rows: Sequence[Row], engines: Sequence[str]) -> dict[str, dict[str, float]]:
    """Geometric means of Mgas/s per engine and of pyeth's ratios, over two sets of cases."""
    sets = {
        "evm-benchmarks": [r for r in rows if r.case.group != "builtin"],
        "all": list(rows),
    }
    out: dict[str, dict[str, float]] = {}
    for label, subset in sets.items():
        if not subset:
            continue
        means = {
            f"{e} Mgas/s": geomean(r.results[e].mgas_per_s(r.gas or 0) for r in subset)
            for e in engines
        }
        if "pyeth" in engines:
            for peer in engines:
                if peer != "pyeth":
                    means[f"pyeth/{peer}"] = geomean(ratio(r, peer) for r in subset)
        out[label] = means
    return out


def render_table(rows: Sequence[Row], engines: Sequence[str]) -> str:
    """The human-readable table, with notes for every mismatch, error and capped run."""
    peers = [e for e in engines if e != "pyeth"] if "pyeth" in engines else []
    header = ["case", "gas"]
    for e in engines:
        header += [f"{e} time", f"{e} Mgas/s"]
    header += [f"vs {p}" for p in peers]
    lines: list[list[str]] = []
    notes: list[str] = []
    for row in rows:
        cells = [row.case.name + ("" if row.case.enabled_upstream else " (off)")]
        cells.append(f"{row.gas:,}" if row.gas is not None else "?")
        for e in engines:
            m = row.results[e]
            if m.skipped:
                cells += ["skipped", "-"]
                notes.append(f"{row.case.name} [{e}] skipped: {m.skipped}")
            elif m.error:
                cells += ["ERROR", "-"]
                notes.append(f"{row.case.name} [{e}] error: {m.error}")
            elif m.mismatch:
                cells += [_fmt_time(m.median) + "!", "MISMATCH"]
                notes.append(f"{row.case.name} [{e}] MISMATCH: {m.mismatch}")
            else:
                cells += [
                    _fmt_time(m.median) + ("*" if m.capped else ""),
                    _fmt_rate(m.mgas_per_s(row.gas or 0)),
                ]
            if m.capped:
                notes.append(f"{row.case.name} [{e}] * 1 run only (warm-up {m.times[0]:.1f}s)")
        cells += [_fmt_ratio(ratio(row, p)) for p in peers]
        lines.append(cells)
    widths = [max(len(c) for c in col) for col in zip(header, *lines, strict=True)]

    def fmt(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest])

    text = [fmt(header), fmt(["-" * w for w in widths]), *map(fmt, lines)]
    counts = {"all": len(rows), "evm-benchmarks": sum(r.case.group != "builtin" for r in rows)}
    for label, means in summary(rows, engines).items():
        text.append("")
        text.append(f"geometric means over {label} ({counts[label]} cases; correct results only):")
        for key, value in means.items():
            shown = _fmt_ratio(value) if key.startswith("pyeth/") else _fmt_rate(value)
            text.append(f"  {key:<18} {shown}")
    if notes:
        text.append("")
        text.append("notes:")
        text += [f"  {n}" for n in notes]
    return "\n".join(text)


def to_json(rows: Sequence[Row], engines: dict[str, Engine], args: argparse.Namespace) -> dict:
    """The results as plain data; `engines` lists the missing ones too."""
    names = [name for name, engine in engines.items() if engine.prepare is not None]
    return {
        "machine": {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "settings": {
            "jobs": args.jobs,
            "min_time": args.min_time,
            "max_run_time": args.max_run_time,
            "max_case_time": args.max_case_time,
            "clock": args.clock,
        },
        "engines": {
            name: {"label": e.label, "available": e.prepare is not None, "problem": e.problem}
            for name, e in engines.items()
        },
        "cases": [
            {
                "case": r.case.name,
                "group": r.case.group,
                "enabled_upstream": r.case.enabled_upstream,
                "gas": r.gas,
                "results": {
                    name: {
                        "ok": m.ok,
                        "median_s": m.median if m.times else None,
                        "runs": len(m.times),
                        "capped": m.capped,
                        "mgas_per_s": m.mgas_per_s(r.gas or 0) if m.ok else None,
                        "gas_used": m.gas_used,
                        "output": "0x" + m.output.hex(),
                        "mismatch": m.mismatch,
                        "error": m.error,
                        "skipped": m.skipped,
                    }
                    for name, m in r.results.items()
                },
                "pyeth_ratio": {p: _finite(ratio(r, p)) for p in names if p != "pyeth"}
                if "pyeth" in r.results
                else {},
            }
            for r in rows
        ],
        "geomean": {
            label: {k: _finite(v) for k, v in means.items()}
            for label, means in summary(rows, names).items()
        },
    }


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


# --- main -------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Run the EVM benchmark cases in pyeth and its peers, side by side."
    )
    parser.add_argument(
        "--engines",
        default=",".join(ENGINES),
        help=f"comma-separated engines to run (default: {','.join(ENGINES)})",
    )
    parser.add_argument(
        "--cases", default="", help="run only the cases whose name contains this substring"
    )
    parser.add_argument(
        "--upstream-only",
        action="store_true",
        help="skip the inputs that evmone/geth leave out by default (marked '(off)')",
    )
    parser.add_argument("--no-builtin", action="store_true", help="skip the three built-in loops")
    parser.add_argument(
        "--min-time",
        type=float,
        default=1.0,
        help="seconds of timed runs per engine and case, after a warm-up (default 1.0)",
    )
    parser.add_argument(
        "--max-run-time",
        type=float,
        default=20.0,
        help="a warm-up slower than this many seconds is the only run (default 20)",
    )
    parser.add_argument(
        "--max-case-time",
        type=float,
        default=300.0,
        help="skip a case in an engine when its gas at the engine's median rate so far would take "
        "longer than this many seconds for one run (default 300)",
    )
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="cpu",
        help="cpu: this process's CPU time (default; steady on a busy machine); wall: elapsed time",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="run up to this many engines at once, one process each (default 1: one after "
        "another; more only with --clock cpu and spare cores)",
    )
    parser.add_argument("--save", type=Path, help="also write the JSON results to this file")
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help=f"benchmark folder (default {DEFAULT_DATA})"
    )
    parser.add_argument("--json", action="store_true", help="print JSON results instead of a table")
    args = parser.parse_args(argv)
    args.engine_names = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(args.engine_names) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engines {sorted(unknown)}; known: {', '.join(ENGINES)}")
    return args


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_engine(
    engine: Engine, cases: Sequence[Case], args: argparse.Namespace
) -> list[Measurement]:
    """Measure every case in one engine, skipping those its rate so far says are too long."""
    rates: list[float] = []  # gas per second of the cases measured so far
    results = []
    for i, case in enumerate(cases, 1):
        where = f"[{engine.name} {i}/{len(cases)}] {case.name}"
        if case.expected_gas and rates:
            estimate = case.expected_gas / statistics.median(rates)
            if estimate > args.max_case_time:
                results.append(Measurement(engine.name, skipped=f"~{estimate:.0f}s a run"))
                log(f"{where}: skipped, one run would take ~{estimate:.0f}s")
                continue
        m = measure(engine, case, args.min_time, args.max_run_time)
        status = m.error or ("1 run (capped)" if m.capped else f"{len(m.times)} runs")
        log(f"{where}: {_fmt_time(m.median)} median, {status}")
        if not m.error and m.median > 0 and m.gas_used:
            rates.append(m.gas_used / m.median)
        results.append(m)
    return results


def _run_engine_by_name(
    name: str, cases: Sequence[Case], args: argparse.Namespace
) -> list[Measurement]:
    """run_engine in a worker process (--jobs): engines hold closures, so load it here."""
    global clock
    clock = CLOCKS[args.clock]
    return run_engine(load_engine(name), cases, args)


def main(argv: Sequence[str] | None = None) -> int:
    global clock
    args = parse_args(argv)
    clock = CLOCKS[args.clock]
    cases = load_cases(args.data) if args.data.is_dir() else []
    if not args.data.is_dir():
        log(f"warning: no benchmark folder at {args.data}; built-in loops only")
    if not args.no_builtin:
        cases += builtin_cases()
    cases = [
        c for c in cases if args.cases in c.name and (c.enabled_upstream or not args.upstream_only)
    ]
    if not cases:
        log("no case matches")
        return 2
    engines = {name: load_engine(name) for name in args.engine_names}
    for e in engines.values():
        log(f"engine {e.name}: {e.label}" + (f" -- MISSING: {e.problem}" if e.problem else ""))
    running = [name for name, e in engines.items() if e.prepare is not None]
    if not running:
        log("no engine available")
        return 2
    started = time.perf_counter()
    if args.jobs > 1 and len(running) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(min(args.jobs, len(running))) as pool:
            futures = {n: pool.submit(_run_engine_by_name, n, cases, args) for n in running}
            measured = {n: f.result() for n, f in futures.items()}
    else:
        measured = {n: run_engine(engines[n], cases, args) for n in running}
    rows = []
    for i, case in enumerate(cases):
        results = {n: measured[n][i] for n in running}
        gas = check(case, results)
        for name, m in results.items():
            if m.mismatch:
                log(f"MISMATCH {case.name} [{name}]: {m.mismatch}")
        rows.append(Row(case, gas, results))
    log(f"done in {time.perf_counter() - started:.0f}s")
    results_json = to_json(rows, engines, args)
    if args.save:
        args.save.write_text(json.dumps(results_json, indent=2) + "\n")
    if args.json:
        print(json.dumps(results_json, indent=2))
    else:
        print(f"python {platform.python_version()}, {os.cpu_count()} cpus; engines:")
        for e in engines.values():
            print(f"  {e.name:<7} {e.label}" + (f"  MISSING ({e.problem})" if e.problem else ""))
        print(
            f"time = median {args.clock} seconds per call; Mgas/s = gas / time; "
            "'vs X' = X's time / pyeth's (pyeth's speed-up over X)"
        )
        print()
        print(render_table(rows, running))
    return 0


if __name__ == "__main__":
    sys.exit(main())

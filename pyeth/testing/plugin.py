"""The pytest plugin (a `pytest11` entry point): fixtures, isolation, the gas table, a summary.

Fixtures: `chain` (one in-process chain per process, so one per pytest-xdist worker),
`accounts`, the named accounts `deployer`, `alice`, `bob`, `carol` and `dave` (accounts 0-4),
and `deploy` (deploys an artefact given by path or by contract name, looked up under
`--pyeth-artifacts` / ini `pyeth_artifacts`).

Isolation: a snapshot is taken before each fixture that uses the chain is set up, before each
test body and before each hypothesis example, and the chain is reverted to it when that fixture
is torn down, that body returns or that example ends. A module-scoped deployment is therefore
made once and shared, and each test still starts from the state the fixtures left.
`@pytest.mark.no_isolation` lets a test's changes (and its function-scoped fixtures') stay.

Coverage: `--pyeth-coverage=FILE` starts coverage (pyeth.testing.coverage) on every harness
chain a `chain` fixture gives and writes lcov to FILE at the end. Under pytest-xdist each
worker sends its report (lines and branches per source file) to the controller, which adds
them up and writes the one FILE, as it does for the gas table.

This module is imported by every pytest run in an environment where pyeth is installed, so it
imports only pytest and the standard library; the chain, the EVM and hypothesis are imported
when a fixture first needs them.
"""

from __future__ import annotations

import functools
import sys
import time
import warnings
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pyeth.testing.gas import GasRecords

NO_ISOLATION = "no_isolation"
NAMED_ACCOUNTS = ("deployer", "alice", "bob", "carol", "dave")

# The chain the running test's `chain` fixture gave; strategies draw known addresses from it.
_current_chain: Any = None


def current_chain() -> Any:
    """The chain of the `chain` fixture in use in this process, or None before one is set up."""
    return _current_chain


# --- counters ----------------------------------------------------------------------------


@dataclass(slots=True)
class Stats:
    """What the summary line reports, summed over the tests that used a chain."""

    evm_calls: int = 0  # transactions and calls the chains ran
    examples: int = 0  # hypothesis examples (and state-machine runs) executed
    chain_seconds: float = 0.0  # time in set-up, body and teardown of tests using a chain
    fuzz_seconds: float = 0.0  # time in the bodies of tests that ran examples

    def to_data(self) -> dict[str, float]:
        return {
            "evm_calls": self.evm_calls,
            "examples": self.examples,
            "chain_seconds": self.chain_seconds,
            "fuzz_seconds": self.fuzz_seconds,
        }

    def merge(self, data: dict[str, float]) -> None:
        self.evm_calls += int(data["evm_calls"])
        self.examples += int(data["examples"])
        self.chain_seconds += data["chain_seconds"]
        self.fuzz_seconds += data["fuzz_seconds"]


# The running session's counts (a pytester run inside a test session gets its own).
STATS = Stats()


# True while the body of a test using the `chain` fixture runs: the examples counted are the
# ones the summary line times.
_in_chain_test = False


def count_example() -> None:
    """Count one fuzz example; stateful.py calls it for each state-machine run."""
    if _in_chain_test:
        STATS.examples += 1


def _evm_calls(chain: Any) -> int:
    return int(getattr(chain, "call_count", 0)) + int(getattr(chain, "tx_count", 0))


def _harness_chain(value: Any) -> Any:
    """`value` if it is a pyeth.testing Chain, else None (a test suite may have its own
    `chain` fixture of another kind; pyeth's own node tests do)."""
    module = sys.modules.get("pyeth.testing.chain")
    if module is not None and isinstance(value, module.Chain):
        return value
    return None


# --- isolation ---------------------------------------------------------------------------


@dataclass(slots=True, eq=False)  # compared by identity: ids and labels repeat
class _Snapshot:
    snapshot_id: int
    label: str
    done: bool = False


@dataclass(slots=True)
class Isolation:
    """The open snapshots of each chain, in the order they were taken.

    Closing the top one reverts to it. pytest tears fixtures down in reverse order except across
    scopes: a session fixture first set up in a later module sits above the module fixture set
    up before it. Reverting to the module fixture's snapshot then would also undo the session
    fixture's changes while its value lives on, so the module fixture's snapshot is closed
    without reverting until everything above it is closed too, and a warning says so.
    """

    # id(chain) -> (chain, its open snapshots); the chain is kept so its id is not reused.
    stacks: dict[int, tuple[Any, list[_Snapshot]]] = field(default_factory=dict)

    def open(self, chain: Any, label: str) -> _Snapshot:
        entry = _Snapshot(chain.snapshot(), label)
        held = self.stacks.get(id(chain))
        if held is None:
            held = self.stacks[id(chain)] = (chain, [])
        held[1].append(entry)
        return entry

    def close(self, chain: Any, entry: _Snapshot) -> None:
        stack = self.stacks.get(id(chain), (None, []))[1]
        entry.done = True
        position = next((i for i, e in enumerate(stack) if e is entry), None)
        if position is None:
            return
        if position != len(stack) - 1:
            above = [e.label for e in stack[position + 1 :] if not e.done]
            warnings.warn(
                f"pyeth isolation: {entry.label} was torn down while {', '.join(above)}, set up "
                f"after it, lives on; its changes stay until those are torn down too (give the "
                f"wider-scoped fixture to an earlier test, or make it autouse)",
                stacklevel=2,
            )
        deepest = None
        while stack and stack[-1].done:
            deepest = stack.pop()
        if deepest is not None:
            if _PENDING_DEPLOYS:
                _name_deploys()
            try:
                chain.revert(deepest.snapshot_id)
            except ValueError as exc:
                raise RuntimeError(
                    f"pyeth isolation: the snapshot taken for {deepest.label} is gone, so its "
                    f"changes cannot be undone; did the test revert the chain to an earlier "
                    f"snapshot of its own? ({exc})"
                ) from None

    def discard(self, chain: Any, entry: _Snapshot) -> None:
        """Stop tracking `entry` without reverting to it: nothing after it needs undoing, and a
        revert would use up any snapshot taken since (a fixture may keep one of its own). The
        chain keeps the snapshot live; reverting below it later drops it with the rest."""
        stack = self.stacks.get(id(chain), (None, []))[1]
        for index in range(len(stack) - 1, -1, -1):
            if stack[index] is entry:
                del stack[index]
                return

    def forget(self, chain: Any) -> None:
        """Drop the snapshots of a chain whose fixture ended."""
        held = self.stacks.get(id(chain))
        if held is not None and held[0] is chain:
            del self.stacks[id(chain)]


ISOLATION = Isolation()


@dataclass(slots=True)
class _State:
    """Per-session state held on the config (so pytester's inner runs get their own)."""

    gas: GasRecords | None = None
    gas_wanted: bool = False
    test_gas: int | None = None  # gas of the running test body, when a snapshot is wanted
    uses_chain: dict[int, bool] = field(default_factory=dict)
    subscribed: list[Any] = field(default_factory=list)  # chains whose transactions are counted
    chains: list[tuple[Any, int]] = field(default_factory=list)  # live chains, calls at start
    outer_stats: Stats | None = None  # the counts of the session this one runs inside
    coverage: list[Any] = field(default_factory=list)  # the chains' coverage collectors
    worker_coverage: list[Any] = field(default_factory=list)  # reports pytest-xdist workers sent


_STATE_KEY = pytest.StashKey[_State]()


def _state(config: pytest.Config) -> _State:
    return config.stash[_STATE_KEY]


# --- options -----------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pyeth", "pyeth contract testing")
    group.addoption(
        "--pyeth-artifacts",
        metavar="DIR",
        help="folder the `deploy` fixture looks contract names up in (ini: pyeth_artifacts)",
    )
    group.addoption(
        "--gas",
        action="store_true",
        help="print a per-contract, per-function gas table (min/mean/median/max, calls)",
    )
    group.addoption(
        "--gas-snapshot",
        metavar="FILE",
        help="write the gas each test body used to FILE (forge `.gas-snapshot` lines)",
    )
    group.addoption(
        "--gas-snapshot-check",
        metavar="FILE",
        help="fail the run when a test body's gas differs from FILE or FILE lacks the test",
    )
    group.addoption(
        "--pyeth-coverage",
        metavar="FILE",
        help="record which contract lines and branches the tests run and write them to FILE "
        "as lcov (needs artefacts with a runtime source map)",
    )
    parser.addini("pyeth_artifacts", "folder of compiled artefacts for the `deploy` fixture")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{NO_ISOLATION}: pyeth keeps this test's chain changes (and its function-scoped "
        "fixtures') instead of reverting them when it ends",
    )
    state = _State()
    state.gas_wanted = bool(
        config.getoption("--gas")
        or config.getoption("--gas-snapshot")
        or config.getoption("--gas-snapshot-check")
    )
    config.stash[_STATE_KEY] = state
    global STATS
    state.outer_stats, STATS = STATS, Stats()


def pytest_unconfigure(config: pytest.Config) -> None:
    global STATS
    state = config.stash.get(_STATE_KEY, None)
    if state is not None and state.outer_stats is not None:
        STATS = state.outer_stats


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chain() -> Iterator[Any]:
    """An in-process chain for this process (each pytest-xdist worker has its own)."""
    from pyeth.testing.chain import Chain

    yield Chain()


@pytest.fixture(scope="session")
def accounts(chain: Any) -> list[Any]:
    """The chain's funded accounts (ten by default), each usable as an address and a sender."""
    return list(chain.accounts)


def _named_account(index: int, name: str) -> Callable[..., Any]:
    def fixture(accounts: list[Any]) -> Any:
        return accounts[index]

    fixture.__name__ = name
    fixture.__doc__ = f"Account {index} of the chain."
    return pytest.fixture(scope="session", name=name)(fixture)


deployer = _named_account(0, "deployer")
alice = _named_account(1, "alice")
bob = _named_account(2, "bob")
carol = _named_account(3, "carol")
dave = _named_account(4, "dave")


@pytest.fixture(scope="session")
def artifacts_dir(pytestconfig: pytest.Config) -> Path | None:
    """The folder `deploy` looks contract names up in, or None when none is configured."""
    value = pytestconfig.getoption("--pyeth-artifacts") or pytestconfig.getini("pyeth_artifacts")
    if not value:
        return None
    return (pytestconfig.rootpath / str(value)).resolve()


@pytest.fixture(scope="session")
def deploy(chain: Any, artifacts_dir: Path | None) -> Callable[..., Any]:
    """`deploy("Token", *args, sender=..., value=...)` -> Contract.

    The first argument is an artefact path, a contract name looked up under the artefact folder,
    or anything `chain.deploy` takes (a loaded artefact, `(bytecode, abi)`).
    """
    from pyeth.testing import artifacts as artifact_module

    def deploy_contract(artifact: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(artifact, str) and not _looks_like_path(artifact):
            artifact = find_artifact(artifact_module, artifacts_dir, artifact)
        elif isinstance(artifact, str | Path):
            path = Path(artifact)
            if not path.is_absolute() and artifacts_dir is not None and not path.exists():
                path = artifacts_dir / path
            artifact = path
        return chain.deploy(artifact, *args, **kwargs)

    return deploy_contract


def _looks_like_path(text: str) -> bool:
    return "/" in text or "\\" in text or text.endswith((".json", ".vy", ".sol"))


def find_artifact(artifact_module: Any, directory: Path | None, name: str) -> Any:
    """The artefact of contract `name` under `directory`: a file named NAME.json (Foundry's
    out/X.sol/X.json, Hardhat's artifacts/.../X.json, a plain {abi, bytecode}), NAME.vy, or a
    solc standard-JSON output that holds a contract of that name."""
    if directory is None:
        raise LookupError(
            f"deploy({name!r}): no artefact folder is configured; pass --pyeth-artifacts DIR, "
            "set `pyeth_artifacts` in the pytest ini, or give deploy() a path"
        )
    if not directory.is_dir():
        raise LookupError(f"deploy({name!r}): artefact folder {directory} does not exist")
    candidates = sorted(
        p
        for p in directory.rglob(f"{name}.json")
        if ".dbg." not in p.name and "build-info" not in p.parts
    )
    candidates += sorted(directory.rglob(f"{name}.vy"))
    if len(candidates) > 1:
        listed = ", ".join(str(p.relative_to(directory)) for p in candidates)
        raise LookupError(
            f"deploy({name!r}): several artefacts match under {directory}: {listed}; give a path"
        )
    if candidates:
        return artifact_module.load_artifact(candidates[0])
    for path in sorted(directory.rglob("*.json")):
        try:
            return artifact_module.load_artifact(path, name=name)
        except Exception:  # noqa: S112 - not this file; the error below lists where we looked
            continue
    raise LookupError(
        f"deploy({name!r}): no artefact for {name!r} under {directory} (looked for {name}.json, "
        f"{name}.vy and solc standard-JSON outputs holding it)"
    )


# --- isolation hooks ---------------------------------------------------------------------


def _fixture_uses_chain(state: _State, fixturedef: Any, request: Any) -> bool:
    """Whether `fixturedef` needs the `chain` fixture, directly or through other fixtures."""
    known = state.uses_chain.get(id(fixturedef))
    if known is not None:
        return known
    if "chain" not in request.fixturenames:  # nothing the test needs uses a chain
        return False
    try:
        name2defs = request._pyfuncitem._fixtureinfo.name2fixturedefs
    except AttributeError:  # pytest internals moved: the test uses a chain, snapshot to be safe
        return True
    seen: set[str] = set()

    def needs(fdef: Any) -> bool:
        for arg in fdef.argnames:
            if arg == "chain":
                return True
            if arg in seen:
                continue
            seen.add(arg)
            defs = name2defs.get(arg)
            if defs and needs(defs[-1]):
                return True
        return False

    result = needs(fixturedef)
    state.uses_chain[id(fixturedef)] = result
    return result


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: Any) -> Generator[None, Any, Any]:
    global _current_chain
    state = _state(request.config)
    if (
        fixturedef.argname == "chain"
        # This plugin's own fixtures (accounts, deploy...) change nothing on the chain.
        or getattr(fixturedef.func, "__module__", None) == __name__
        or not _fixture_uses_chain(state, fixturedef, request)
    ):
        result = yield
        if fixturedef.argname == "chain" and _harness_chain(result) is not None:
            _current_chain = result
            _watch(state, result)
            state.chains.append((result, _evm_calls(result)))
            if request.config.getoption("--pyeth-coverage"):
                collector = result.start_coverage()
                if all(seen is not collector for seen in state.coverage):
                    state.coverage.append(collector)
            fixturedef.addfinalizer(lambda: _chain_ended(state, result))
        return result
    chain = _harness_chain(request.getfixturevalue("chain"))
    if chain is None or (
        fixturedef.scope == "function" and request.node.get_closest_marker(NO_ISOLATION)
    ):
        return (yield)
    version = getattr(chain, "version", None)
    entry = ISOLATION.open(chain, f"fixture {fixturedef.argname!r} ({fixturedef.scope} scope)")
    try:
        result = yield
    except BaseException:
        ISOLATION.close(chain, entry)
        raise
    if version is not None and chain.version == version:
        # It changed nothing (a fixture returning an account, say): nothing to undo, and no
        # snapshot left open to sit above the narrower fixtures set up after it.
        ISOLATION.discard(chain, entry)
    else:
        fixturedef.addfinalizer(lambda: ISOLATION.close(chain, entry))
    return result


def _chain_ended(state: _State, chain: Any) -> None:
    global _current_chain
    _count_calls(state, chain)
    ISOLATION.forget(chain)
    if _current_chain is chain:
        _current_chain = None


def _count_calls(state: _State, chain: Any) -> None:
    """Add the calls `chain` ran since its fixture made it to the session's count."""
    for index, (seen, start) in enumerate(state.chains):
        if seen is chain:
            STATS.evm_calls += _evm_calls(chain) - start
            del state.chains[index]
            return


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, Any, Any]:
    """Time the tests that use a chain and count the EVM calls they run."""
    if "chain" not in getattr(item, "fixturenames", ()):
        return (yield)
    started = time.perf_counter()
    try:
        return (yield)
    finally:
        if item.stash.get(_ON_HARNESS_CHAIN, False):  # not another kind of `chain` fixture
            STATS.chain_seconds += time.perf_counter() - started


_ON_HARNESS_CHAIN = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    global _current_chain, _in_chain_test
    funcargs = getattr(item, "funcargs", {})
    chain = _harness_chain(funcargs.get("chain"))
    if chain is None:
        return (yield)
    _current_chain = chain
    item.stash[_ON_HARNESS_CHAIN] = True
    state = _state(item.config)
    isolate = item.get_closest_marker(NO_ISOLATION) is None
    function = getattr(item, "function", None)
    handle: Any = getattr(function, "hypothesis", None)
    inner = getattr(handle, "inner_test", None)
    examples_before = STATS.examples
    state.test_gas = 0 if state.gas_wanted else None
    entry = ISOLATION.open(chain, f"test {item.name!r}") if isolate else None
    settings_before = None
    if inner is not None:
        handle.inner_test = _per_example(inner, chain, isolate)
        settings_before = _no_default_deadline(function)
    started = time.perf_counter()
    _in_chain_test = True
    try:
        return (yield)
    finally:
        _in_chain_test = False
        elapsed = time.perf_counter() - started
        if inner is not None:
            handle.inner_test = inner
        if settings_before is not None:
            function._hypothesis_internal_use_settings = settings_before  # type: ignore[union-attr]
        fuzzed = STATS.examples != examples_before
        if fuzzed:
            STATS.fuzz_seconds += elapsed
        elif state.gas is not None and state.test_gas is not None:
            # Fuzzed tests draw different examples each run, so their gas is not snapshotted.
            state.gas.tests[item.nodeid] = state.test_gas
        state.test_gas = None
        if entry is not None:
            ISOLATION.close(chain, entry)


def _no_default_deadline(function: Any) -> Any:
    """Turn off hypothesis's default 200 ms deadline for a test on the chain (a deadline the
    test set itself stays): how long an example takes depends on the machine's load, which
    must not fail a contract test. Returns the settings to put back, or None if unchanged.

    The settings live on the test function under hypothesis's own attribute, as @settings
    leaves them; if that ever moves, nothing is changed.
    """
    current = getattr(function, "_hypothesis_internal_use_settings", None)
    if current is None:
        return None
    from hypothesis import settings

    if current.deadline != settings.get_profile("default").deadline:
        return None
    function._hypothesis_internal_use_settings = settings(current, deadline=None)
    return current


def _per_example(inner: Callable[..., Any], chain: Any, isolate: bool) -> Callable[..., Any]:
    """Wrap a hypothesis test's inner function: each example from its own snapshot, counted."""

    @functools.wraps(inner)  # hypothesis names a failing example after the test
    def run_example(*args: Any, **kwargs: Any) -> Any:
        STATS.examples += 1
        if not isolate:
            return inner(*args, **kwargs)
        entry = ISOLATION.open(chain, "hypothesis example")
        try:
            return inner(*args, **kwargs)
        finally:
            ISOLATION.close(chain, entry)

    return run_example


# --- gas ---------------------------------------------------------------------------------


def _watch(state: _State, chain: Any) -> None:
    """Subscribe the gas records to `chain`'s transactions, once per chain."""
    if not state.gas_wanted or any(seen is chain for seen in state.subscribed):
        return
    from pyeth.testing.gas import GasRecords

    if state.gas is None:
        state.gas = GasRecords()
    records = state.gas
    state.subscribed.append(chain)

    def on_transaction(receipt: Any) -> None:
        gas = receipt.gas_used
        if state.test_gas is not None:
            state.test_gas += gas
        if _PENDING_DEPLOYS:
            _name_deploys()
        if receipt.contract_address is not None:
            # deploy() registers the contract (its name) after this callback returns; it is
            # looked up before anything else can happen on the chain (the next transaction,
            # a snapshot's revert, the session's end), as a revert may reuse the address.
            _PENDING_DEPLOYS.append((records, chain, receipt.contract_address, gas))
            return
        contract, function = describe_transaction(chain, receipt)
        records.record(contract, function, gas)

    chain.on_transaction.append(on_transaction)


def describe_transaction(chain: Any, receipt: Any) -> tuple[str, str]:
    """(contract name, function name) of a call's receipt, for the gas table."""
    function = getattr(receipt, "function", None)
    if function is not None:
        return _contract_name(chain, function.contract.address), function.name
    to = receipt.to
    if not to:
        return "(none)", "(create)"
    data = bytes(getattr(receipt.tx, "data", b"") or b"")
    if not data:
        return _contract_name(chain, to), "(receive)"
    described = chain.describer.function(to, data)
    return _contract_name(chain, to), "0x" + data[:4].hex() if described is None else described[0]


def _contract_name(chain: Any, address: Any) -> str:
    """The name the gas table shows: the deployed contract's name (so two deployments of one
    contract share rows), else the address's label, else the address."""
    contract = chain.contracts.get(address)
    name = getattr(contract, "contract_name", None) if contract is not None else None
    if name:
        return str(name)
    label = chain.labels.get(address)
    return str(label) if label else "0x" + bytes(address).hex()


# Deployments whose contract is not named yet: (records, chain, address, gas).
_PENDING_DEPLOYS: list[tuple[GasRecords, Any, Any, int]] = []


def _name_deploys() -> None:
    for records, chain, address, gas in _PENDING_DEPLOYS:
        records.record(_contract_name(chain, address), "(deploy)", gas)
    _PENDING_DEPLOYS.clear()


# --- pytest-xdist: workers send their counts and gas to the controller -----------------


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    state = _state(config)
    for chain, _ in list(state.chains):  # chains whose fixture has not ended yet
        _count_calls(state, chain)
    _name_deploys()
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["pyeth_stats"] = STATS.to_data()
        if state.gas is not None:
            workeroutput["pyeth_gas"] = state.gas.to_data()
        if state.coverage:
            workeroutput["pyeth_coverage"] = _coverage_report(state).to_data()
        return
    _finish_gas(session, state)
    _finish_coverage(session, state)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    output = getattr(node, "workeroutput", {})
    state = _state(node.config)
    if "pyeth_stats" in output:
        STATS.merge(output["pyeth_stats"])
    if "pyeth_gas" in output:
        from pyeth.testing.gas import GasRecords

        if state.gas is None:
            state.gas = GasRecords()
        state.gas.merge(output["pyeth_gas"])
    if "pyeth_coverage" in output:
        from pyeth.testing.coverage import CoverageReport

        state.worker_coverage.append(CoverageReport.from_data(output["pyeth_coverage"]))


def _coverage_report(state: _State) -> Any:
    """This process's coverage: its chains' collectors and what workers sent, added up."""
    from pyeth.testing.coverage import merge_reports

    return merge_reports([c.report() for c in state.coverage] + state.worker_coverage)


def _finish_coverage(session: pytest.Session, state: _State) -> None:
    """Write --pyeth-coverage's lcov file: one file, under pytest-xdist too (each worker sends
    its lines and branches to the controller, which adds them up, as the gas table does)."""
    written = session.config.getoption("--pyeth-coverage")
    if not written:
        return
    report = _coverage_report(state)
    Path(written).write_text(report.lcov())
    session.config.stash[_COVERAGE_KEY] = (str(written), report)


def _finish_gas(session: pytest.Session, state: _State) -> None:
    from pyeth.testing.gas import compare_snapshots, parse_snapshot, write_snapshot

    config = session.config
    tests = state.gas.tests if state.gas is not None else {}
    written = config.getoption("--gas-snapshot")
    if written:
        write_snapshot(Path(written), tests)
    checked = config.getoption("--gas-snapshot-check")
    if checked:
        path = Path(checked)
        if not path.exists():
            problems = [f"{path} does not exist; write it with --gas-snapshot {path}"]
        else:
            try:
                problems = compare_snapshots(parse_snapshot(path), tests)
            except ValueError as exc:  # a malformed line: named with its number
                problems = [str(exc)]
        config.stash[_PROBLEMS_KEY] = problems
        if problems and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


_PROBLEMS_KEY = pytest.StashKey[list[str]]()
_COVERAGE_KEY = pytest.StashKey[tuple[str, Any]]()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    state = _state(config)
    if config.getoption("--gas"):
        from pyeth.testing.gas import format_gas_table

        terminalreporter.write_sep("=", "pyeth gas")
        calls = state.gas.calls if state.gas is not None else {}
        terminalreporter.write_line(format_gas_table(calls))
    problems = config.stash.get(_PROBLEMS_KEY, [])
    if problems:
        terminalreporter.write_sep("=", "pyeth gas snapshot check failed", red=True)
        for problem in problems:
            terminalreporter.write_line(problem)
        terminalreporter.write_line(
            f"(rewrite it with --gas-snapshot {config.getoption('--gas-snapshot-check')})"
        )
    coverage = config.stash.get(_COVERAGE_KEY, None)
    if coverage is not None:
        terminalreporter.write_line(coverage_line(*coverage))
    line = summary_line(STATS)
    if line:
        terminalreporter.write_line(line)


def coverage_line(path: str, report: Any) -> str:
    """`pyeth coverage: 12/20 lines, 5/16 branches in 2 files -> lcov.info` (and the sources
    that could not be found, whose lines are left out)."""
    files = report.files.values()
    lines = sum(len(f.lines) for f in files)
    hit = sum(1 for f in files for count in f.lines.values() if count)
    branches = sum(len(f.branches) for f in files)
    taken = sum(1 for f in files for count in f.branches.values() if count)
    text = (
        f"pyeth coverage: {hit}/{lines} lines, {taken}/{branches} branches in "
        f"{len(report.files)} files -> {path}"
    )
    if report.missing:
        text += f" (sources not found, left out: {', '.join(sorted(report.missing))})"
    return text


def summary_line(stats: Stats) -> str:
    """`pyeth: 1,234 EVM calls in 0.52 s (2,373/s), 400 fuzz examples in 1.90 s (211/s)`."""
    if not stats.evm_calls and not stats.examples:
        return ""
    parts = [_rate(stats.evm_calls, "EVM calls", stats.chain_seconds)]
    if stats.examples:
        parts.append(_rate(stats.examples, "fuzz examples", stats.fuzz_seconds))
    return "pyeth: " + ", ".join(parts)


def _rate(count: int, what: str, seconds: float) -> str:
    rate = f" ({count / seconds:,.0f}/s)" if seconds > 0 else ""
    return f"{count:,} {what} in {seconds:.2f} s{rate}"

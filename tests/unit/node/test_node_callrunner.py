"""The call runner (pyeth.callrunner): work in a worker thread, stopped at its deadline by an
asynchronous exception, even inside one EVM frame's endless loop; no stopped call leaves an
exception behind for the worker's next job."""

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from evm.context import Context
from evm.forks import CANCUN
from evm.frame import BlockEnv, Message, TxEnv
from evm.interpreter import process_message
from pyeth.callrunner import (
    CallAborted,
    CallRunner,
    CallTimeout,
    LoopSequence,
    Overran,
    _Interrupted,
    _quiet_unraisable_hook,
    go_duration,
)
from pyeth.state import Account, State
from tests.helpers.bytecode import Op

LOOPER = bytes.fromhex("00" * 19 + "aa")
CALLER = bytes.fromhex("00" * 19 + "01")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (5, "5s"),
        (0.2, "200ms"),
        (1.5, "1.5s"),
        (0.0005, "500µs"),
        (0.0015, "1.5ms"),
        (0, "0s"),
        (90, "1m30s"),
        (3600, "1h0m0s"),
    ],
)
def test_go_duration(seconds, text):
    assert go_duration(seconds) == text


def test_timeout_error_says_what_geth_says():
    assert str(CallTimeout(5)) == "execution aborted (timeout = 5s)"


def test_negative_or_nan_timeout_is_refused():
    for bad in (-1, float("nan")):
        with pytest.raises(ValueError, match="RPC EVM timeout"):
            CallRunner(bad)


def _endless_evm_loop() -> None:
    """One frame's endless loop (JUMPDEST PUSH1 0 JUMP) with a practically endless gas."""
    code = bytes(Op.JUMPDEST + Op.JUMP(0))
    state = State({LOOPER: Account(code=code), CALLER: Account(balance=1)})
    env = BlockEnv(bytes(20), 1, 1, 30_000_000, bytes(32), 0, 1)
    context = Context(state, env, TxEnv(CALLER, 0), CANCUN)
    process_message(Message(CALLER, LOOPER, LOOPER, 0, b"", 2**62, code), context)
    raise AssertionError("the loop ended")


async def test_a_single_frames_endless_loop_stops_at_the_deadline():
    runner = CallRunner(0.2)
    try:
        started = time.monotonic()
        with pytest.raises(CallTimeout, match=r"execution aborted \(timeout = 200ms\)"):
            await asyncio.wait_for(runner.run(_endless_evm_loop), 60)
        assert time.monotonic() - started < 60
        assert await asyncio.wait_for(runner.run(lambda: 42), 60) == 42  # the worker serves on
        assert runner.active == 0
    finally:
        runner.close()


async def test_close_stops_running_and_waiting_calls():
    runner = CallRunner(0, workers=1)  # no deadline: only close stops them
    running = asyncio.create_task(runner.run(_endless_evm_loop))
    waiting = asyncio.create_task(runner.run(lambda: "never run"))
    while runner.active < 2:
        await asyncio.sleep(0.01)
    runner.close()
    for task in (running, waiting):
        with pytest.raises(CallAborted, match="shutting down"):
            await asyncio.wait_for(task, 60)
    with pytest.raises(CallAborted, match="shutting down"):
        await runner.run(lambda: 1)


async def test_a_stop_racing_the_end_of_a_call_leaves_nothing_behind():
    # Timeouts about as long as the work, so stops land before, during and after its end.
    runner = CallRunner(0.002)

    def spin(seconds: float) -> str:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            pass
        return "done"

    try:
        outcomes = set()
        for index in range(200):
            try:
                outcomes.add(await runner.run(lambda i=index: spin(0.0005 * (i % 8))))
            except CallTimeout:
                outcomes.add("timeout")
        assert outcomes <= {"done", "timeout"}
        runner.timeout = 0  # now a long job must run to its end: no stray exception left
        assert await asyncio.wait_for(runner.run(lambda: spin(0.2)), 60) == "done"
    finally:
        runner.close()


async def test_loop_sequence_reads_on_the_loop_thread():
    loop_thread = threading.get_ident()
    seen = []

    class Recording(Sequence[bytes]):
        """Like the chain's AncestorHashes: a sequence that reads as it is indexed."""

        items = (b"a" * 32, b"b" * 32)

        def __len__(self) -> int:
            return len(self.items)

        def __getitem__(self, index):  # type: ignore[no-untyped-def]
            seen.append(threading.get_ident())
            return self.items[index]

    hashes = LoopSequence(Recording(), asyncio.get_running_loop())
    runner = CallRunner(5)
    try:
        assert await runner.run(lambda: (len(hashes), hashes[-1])) == (2, b"b" * 32)
    finally:
        runner.close()
    assert seen and set(seen) == {loop_thread}


async def test_a_short_call_runs_on_the_loop_and_a_long_one_is_stopped_there():
    runner = CallRunner(5, inline_slice=0.05)
    try:
        assert runner.inline_possible()  # pytest runs the loop on the main thread
        assert runner.run_inline(threading.get_ident) == threading.main_thread().ident
        started = time.monotonic()
        with pytest.raises(Overran):
            runner.run_inline(_endless_evm_loop)
        assert time.monotonic() - started < 30
        assert runner.run_inline(lambda: "after") == "after"
    finally:
        runner.close()


async def test_a_late_alarm_does_not_stop_the_next_inline_call():
    # Slices about as long as the work, so alarms land before, during and after its end, and
    # some are handled only once the next call has begun.
    runner = CallRunner(5, inline_slice=0.0003)

    def spin(seconds: float) -> str:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            pass
        return "done"

    try:
        outcomes = set()
        for index in range(300):
            try:
                outcomes.add(runner.run_inline(lambda i=index: spin(0.0001 * (i % 6))))
            except Overran:
                outcomes.add("overran")
        assert outcomes <= {"done", "overran"}
        runner.inline_slice = 5  # a long call within its slice is not stopped by a stale alarm
        assert runner.run_inline(lambda: spin(0.2)) == "done"
    finally:
        runner.close()


def test_a_stop_swallowed_by_a_finalizer_is_not_printed():
    seen = []
    hook = _quiet_unraisable_hook(seen.append)

    class Unraisable:
        def __init__(self, exc_value: BaseException) -> None:
            self.exc_value = exc_value

    hook(Unraisable(_Interrupted()))  # type: ignore[arg-type]
    other = Unraisable(ValueError("a real error"))
    hook(other)  # type: ignore[arg-type]
    assert seen == [other]


TRACED_AFTER_A_STOP = """
import asyncio, sys
from pyeth.callrunner import CallRunner, CallTimeout
from tests.unit.node.test_node_callrunner import _endless_evm_loop

async def stop_one() -> None:
    runner = CallRunner(0.2)
    try:
        await runner.run(_endless_evm_loop)
    except CallTimeout:
        pass
    finally:
        runner.close()

asyncio.run(stop_one())
events = []
sys.settrace(lambda frame, event, arg: events.append(event))
sum(range(10))
(lambda: None)()
sys.settrace(None)
print("traced", len(events))
"""


def test_a_stopped_call_leaves_tracing_working():
    # A stop forgotten rather than delivered left CPython's eval breaker set for good, and the
    # next traced function (a debugger, coverage, hypothesis's explain phase) spun for ever on
    # its first instruction: run in a child process so that a regression fails, not hangs.
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", TRACED_AFTER_A_STOP],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("traced ")

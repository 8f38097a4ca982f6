"""Running call-like RPC requests (eth_call, eth_estimateGas, eth_createAccessList, the debug
traces) without freezing the event loop, each under a deadline.

The EVM is pure Python and holds the GIL while it runs: on the event loop, one endless loop
with a huge gas limit froze every client, the sealer and the signal handlers. Here a call runs
first on the event loop for a slice of `INLINE_SLICE` (most calls end within it, and pay no
thread hop), timed by SIGALRM, whose Python handler interrupts it where it is; one that needs
more runs again from the start in a worker thread, and the loop gets the GIL back at each
switch interval, so it keeps answering and sealing. A worker thread cannot be told to stop from
outside in Python, so the deadline (and a client gone, and shutdown) stop it with an
asynchronous exception (`PyThreadState_SetAsyncExc`): CPython raises it in that thread at its
next bytecode boundary, inside the dispatch loop of even a single frame's endless loop, and the
hot loop pays nothing for either. The exception derives from BaseException, so no `except
Exception` in the EVM turns it into an ordinary failure; the state an interrupted call ran on
is thrown away, since the exception may have landed anywhere in it.

What a worker reads must not be changed by the loop meanwhile: each call gets a `State` of its
own (`StatePool`: taken and given back on the loop thread, reused by the next call at the same
state when the call ended normally), and anything of the chain's that the EVM reads lazily
(the BLOCKHASH window) is fetched on the loop (`LoopSequence`). The trie nodes a state reads
are stored under their hashes and never change.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # CPython's C module under `signal`
import asyncio
import contextlib
import ctypes
import signal
import sys
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Final, TypeVar, overload

from pyeth.errors import PyethError
from pyeth.state import State

T = TypeVar("T")

DEFAULT_RPC_GAS_CAP: Final = 50_000_000  # geth's --rpc.gascap
DEFAULT_RPC_EVM_TIMEOUT: Final = 5.0  # seconds, geth's --rpc.evmtimeout
# Calls running at once in workers (the long ones: short calls run on the loop). The GIL runs
# one thread at a time and does not hand itself over fairly: with four workers looping, the
# loop waited p95 ~200 ms for it, with one ~27 ms. More long calls wait for the worker, their
# deadline counting.
CALL_WORKERS: Final = 1
# States kept per key for reuse (one per worker, and one for the loop).
STATES_KEPT: Final = CALL_WORKERS + 1
# How long a call may run on the event loop before it moves to a worker. Most calls (a token
# balance: ~0.1 ms) end well within it and cost no thread hop (~55 us of CPU); the loop stalls
# for at most this long (plus a switch interval) for any call.
INLINE_SLICE: Final = 0.002
# A stop that has not taken after this long is sent again (a finalizer may have swallowed it).
REFIRE: Final = 0.01


class CallAborted(PyethError):
    """A call was stopped before it finished: its deadline passed, or the node is stopping."""


class CallTimeout(CallAborted):
    """The call ran past the RPC EVM timeout; geth's words (a -32000 error)."""

    def __init__(self, timeout: float) -> None:
        super().__init__(f"execution aborted (timeout = {go_duration(timeout)})")


class _Interrupted(BaseException):
    """Raised in a call's thread to stop it: asynchronously in a worker, by the SIGALRM
    handler on the loop. A BaseException so that the EVM's and the state's `except Exception`
    handlers let it through."""


def _quiet_unraisable_hook(
    previous: Callable[[sys.UnraisableHookArgs], object],
) -> Callable[[sys.UnraisableHookArgs], object]:
    """`previous`, except for a stop that landed in a finalizer (which swallows it; the stop is
    sent again): that is no error to print."""

    def hook(unraisable: sys.UnraisableHookArgs) -> object:
        if isinstance(unraisable.exc_value, _Interrupted):
            return None
        return previous(unraisable)

    hook.quiets_stops = True  # type: ignore[attr-defined]
    return hook


def _quiet_stops_in_finalizers() -> None:
    if not getattr(sys.unraisablehook, "quiets_stops", False):
        sys.unraisablehook = _quiet_unraisable_hook(sys.unraisablehook)


def go_duration(seconds: float) -> str:
    """`seconds` as Go's time.Duration prints it (5s, 1.5s, 200ms, 1m30s), as geth's error
    messages show a timeout."""
    if seconds == 0:
        return "0s"
    if seconds < 1:
        for unit, scale in (("ms", 1e3), ("µs", 1e6), ("ns", 1e9)):
            if seconds * scale >= 1 or unit == "ns":
                return f"{round(seconds * scale, 6):g}{unit}"
    minutes, rest = divmod(seconds, 60)
    text = f"{round(rest, 9):g}s"
    if minutes >= 60:
        hours, minutes = divmod(minutes, 60)
        return f"{int(hours)}h{int(minutes)}m{text}"
    return f"{int(minutes)}m{text}" if minutes else text


def _raise_in_thread(thread_id: int, exception: type[BaseException]) -> None:
    """Have CPython raise `exception` in thread `thread_id` at its next bytecode boundary."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exception)
    )


def _take_pending_stop() -> None:
    """In a worker: let a stop sent to this thread that has not landed yet land here, harmlessly.

    Forgetting it instead (PyThreadState_SetAsyncExc with NULL) leaves CPython 3.11's eval
    breaker set for good, since only a delivery resets it; a thread traced afterwards
    (sys.settrace: debuggers, coverage, hypothesis's explain phase) then spins for ever on the
    first instruction of its next function."""
    try:
        for _ in range(100):  # each turn's backward jump checks for a pending exception
            pass
    except _Interrupted:
        pass


_WAITING, _RUNNING, _STOPPING, _DONE, _CANCELLED = range(5)


class _Job:
    """One call's life between the loop and its worker. `lock` makes "the worker finished"
    and "the loop stops it" exclusive, so that no asynchronous exception is ever left pending
    in a worker once the call's function has returned."""

    __slots__ = ("lock", "phase", "thread_id", "error")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.phase = _WAITING
        self.thread_id = 0
        self.error: CallAborted | None = None

    def run(self, work: Callable[[], T]) -> T:
        """In the worker: run `work` unless it was stopped already; raise `error` if it is
        stopped while it runs."""
        try:
            try:
                with self.lock:
                    if self.phase == _CANCELLED:
                        raise _Interrupted
                    self.thread_id = threading.get_ident()
                    self.phase = _RUNNING
                return work()
            finally:
                self._finish()
        except _Interrupted:
            while True:  # a repeated stop may have cut the `finally` short
                try:
                    self._finish()
                    break
                except _Interrupted:
                    continue
            raise self.error or CallAborted("call aborted") from None

    def _finish(self) -> None:
        with self.lock:
            stopping = self.phase == _STOPPING
            if self.phase != _CANCELLED:
                self.phase = _DONE  # from here on no stop is sent to this job
        if stopping:
            _take_pending_stop()  # delivered already or not: it must not reach the next job

    def abort(self, error: CallAborted) -> bool:
        """Stop the call (from any thread), or stop it again. True while it is still running:
        an exception raised inside a finalizer that runs in the worker is swallowed there, so
        the caller repeats the stop until it takes."""
        with self.lock:
            if self.error is None:
                self.error = error
            if self.phase == _WAITING:
                self.phase = _CANCELLED  # raises as soon as a worker takes it
            if self.phase not in (_RUNNING, _STOPPING):
                return False
            _raise_in_thread(self.thread_id, _Interrupted)
            self.phase = _STOPPING
            return True


class Overran(CallAborted):
    """A call run on the event loop needed more than its slice: run it again in a worker."""


_MAIN_THREAD: Final = threading.main_thread().ident
# The inline slice: a wall-clock alarm (ITIMER_REAL, SIGALRM: CPU-time timers fire only at
# the kernel's ticks, 10-30 ms here), and the slice counted in the process's CPU time: a call
# that the machine's load preempted has not used its slice, and moving it to a worker would
# only make it wait behind long calls there, so the alarm is set again for what is left.
# Whether a call runs inline now, and at what CPU time its slice ends (an alarm of an earlier
# slice, handled late, is thus not for it either).
_SIGNAL: Final = int(signal.SIGALRM)
_TIMER: Final = signal.ITIMER_REAL
_inline_running = False
_inline_until = 0.0


def _on_alarm(signum: int, frame: object) -> None:
    """SIGALRM: stop the inline call if it has used its slice (the main thread runs this
    between two of its bytecodes, so the call is interrupted where it is)."""
    global _inline_until
    if not _inline_running:
        return
    left = _inline_until - time.process_time()
    if left > 0:  # preempted meanwhile, or an earlier slice's alarm: wait for the rest
        signal.setitimer(_TIMER, max(left, 1e-4))  # (0 would disarm it)
        return
    _inline_until = time.process_time() + REFIRE
    signal.setitimer(_TIMER, REFIRE)  # again, should a finalizer swallow this one
    raise _Interrupted


def _claim_alarm() -> bool:
    """Whether inline slices can be timed here: on the main thread, with SIGALRM ours (taken
    if nobody else's)."""
    if threading.get_ident() != _MAIN_THREAD:
        return False
    # `_signal`'s getsignal: the handler as set; `signal`'s converts it to an enum (~10 us).
    handler: object = _signal.getsignal(_SIGNAL)
    if handler is _on_alarm:
        return True
    if handler in (signal.SIG_DFL, None):
        signal.signal(_SIGNAL, _on_alarm)
        return True
    return False


class CallRunner:
    """Runs calls with the RPC EVM timeout (`timeout` seconds, 0 for none): each first on the
    event loop for a slice (`run_inline`), most calls need no more; then in a worker thread
    (`run`)."""

    def __init__(
        self,
        timeout: float = DEFAULT_RPC_EVM_TIMEOUT,
        workers: int = CALL_WORKERS,
        inline_slice: float = INLINE_SLICE,
    ) -> None:
        if not timeout >= 0:  # NaN too
            raise ValueError(f"the RPC EVM timeout must be 0 (none) or positive, not {timeout}")
        self.timeout = timeout
        self.inline_slice = inline_slice  # 0: never inline
        _quiet_stops_in_finalizers()
        self.states = StatePool()
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="pyeth-call")
        self._jobs: set[_Job] = set()
        self.closed = False

    def run_inline(self, work: Callable[[], T]) -> T:
        """Run `work` here, on the event loop, if it ends within the inline slice.

        Raises:
            Overran: it needed more; whatever it ran on may be half-changed. (Or it did not
                start, as `inline_possible` would have said.)
            CallAborted: the runner is closed.
        """
        global _inline_running, _inline_until
        if self.closed:
            raise CallAborted("the node is shutting down")
        if not self.inline_possible():
            raise Overran("inline calls are off here")
        try:
            try:
                _inline_until = time.process_time() + self.inline_slice
                _inline_running = True
                signal.setitimer(_TIMER, self.inline_slice)
                return work()
            finally:
                _inline_running = False
                signal.setitimer(_TIMER, 0)
        except _Interrupted:
            while True:  # a repeated alarm may have cut the `finally` short
                try:
                    _inline_running = False
                    signal.setitimer(_TIMER, 0)
                    break
                except _Interrupted:
                    continue
            raise Overran("the call needs more than an inline slice") from None

    def inline_possible(self) -> bool:
        """Whether `run_inline` can time a slice here: on the main thread, with SIGALRM
        ours (taken if nobody else's), and a slice configured."""
        return bool(self.inline_slice) and _claim_alarm()

    async def run(self, work: Callable[[], T]) -> T:
        """Run `work` in a worker thread and return its result (or raise its exception).

        Raises:
            CallTimeout: it ran past the timeout (counted from now, waiting included).
            CallAborted: the runner was closed (the node stops) before or while it ran.
        """
        if self.closed:
            raise CallAborted("the node is shutting down")
        loop = asyncio.get_running_loop()
        job = _Job()
        timer = None
        if self.timeout > 0:
            timer = loop.call_later(self.timeout, self._stop, job, CallTimeout(self.timeout))
        self._jobs.add(job)
        future = self._executor.submit(job.run, work)
        # Forgotten once its worker is done with it (in the worker's thread), not when the
        # awaiting request gives up.
        future.add_done_callback(lambda _: self._jobs.discard(job))
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:  # the client went away: stop the call too
            self._stop(job, CallAborted("the request was cancelled"))
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def _stop(self, job: _Job, error: CallAborted) -> None:
        """Stop `job`, and again every REFIRE seconds until it has ended (on the loop)."""
        if job.abort(error):
            with contextlib.suppress(RuntimeError):  # no running loop: shutdown, once is all
                asyncio.get_running_loop().call_later(REFIRE, self._stop, job, error)

    @property
    def active(self) -> int:
        """How many calls are running or waiting for a worker."""
        return len(self._jobs)

    def abort_all(self) -> None:
        """Stop every call running or waiting (shutdown)."""
        for job in list(self._jobs):
            self._stop(job, CallAborted("the node is shutting down"))

    def close(self) -> None:
        """Stop every call and take no more; the workers end once their call has stopped."""
        self.closed = True
        self.abort_all()  # waiting ones too: each raises as soon as a worker takes it
        self._executor.shutdown(wait=False)


class StatePool:
    """States for calls, so that calls in a row at the same block find its accounts loaded
    (as one shared state did when calls ran on the loop) while no two calls ever share one.
    Used from the event loop thread only. Only the newest key's states are kept."""

    def __init__(self) -> None:
        self._key: Hashable = None
        self._idle: list[State] = []

    def take(self, key: Hashable, build: Callable[[], State]) -> State:
        """An idle state for `key`, or a new one from `build`."""
        if key == self._key and self._idle:
            return self._idle.pop()
        return build()

    def give(self, key: Hashable, state: State) -> None:
        """Return `state` (left as found: a call undoes its changes) for reuse at `key`."""
        if key != self._key:
            self._key = key
            self._idle = []
        if len(self._idle) < STATES_KEPT:
            self._idle.append(state)


class LoopSequence(Sequence[bytes]):
    """A sequence of the chain's (the BLOCKHASH window) read lazily by a worker thread: its
    first item access is made on the event loop, which owns the chain, and waited for."""

    def __init__(self, inner: Sequence[bytes], loop: asyncio.AbstractEventLoop) -> None:
        self._inner = inner
        self._loop = loop
        self._loop_thread = threading.get_ident()  # made on the loop's thread
        self._items: list[bytes] | None = None

    def __len__(self) -> int:
        return len(self._inner)

    @overload
    def __getitem__(self, index: int) -> bytes: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[bytes]: ...

    def __getitem__(self, index: int | slice) -> bytes | Sequence[bytes]:
        if self._items is None:
            self._items = self._fetch()
        return self._items[index]

    def _fetch(self) -> list[bytes]:
        inner = self._inner
        if isinstance(inner, list) or threading.get_ident() == self._loop_thread:
            return list(inner)
        future: Future[list[bytes]] = Future()

        def fetch() -> None:
            try:
                future.set_result(list(inner))
            except Exception as exc:  # handed to the worker
                future.set_exception(exc)

        self._loop.call_soon_threadsafe(fetch)
        while True:
            try:  # short waits, so that an abort reaches this thread between them
                return future.result(timeout=0.05)
            except FutureTimeout:
                continue

"""Running call-like RPC requests (eth_call, eth_estimateGas, eth_createAccessList, the debug
traces) off the event loop, each under a deadline.

The EVM is pure Python and holds the GIL while it runs: on the event loop, one endless loop
with a huge gas limit froze every client, the sealer and the signal handlers. Here a call runs
in a worker thread, and the loop gets the GIL back at each switch interval, so it keeps
answering and sealing. A worker thread cannot be told to stop from outside in Python, so the
deadline (and a client gone, and shutdown) stop it with an asynchronous exception
(`PyThreadState_SetAsyncExc`): CPython raises it in that thread at its next bytecode boundary,
inside the dispatch loop of even a single frame's endless loop, and the hot loop pays nothing
for it. The exception derives from BaseException, so no `except Exception` in the EVM turns it
into an ordinary failure; the state the call ran on is thrown away afterwards, since the
exception may have landed anywhere in it.

What a worker reads must not be changed by the loop meanwhile: each call gets a `State` of its
own (`StatePool`: taken and given back on the loop thread, reused by the next call at the same
state when the call ended normally), and anything of the chain's that the EVM reads lazily
(the BLOCKHASH window) is fetched on the loop (`LoopSequence`). The trie nodes a state reads
are stored under their hashes and never change.
"""

from __future__ import annotations

import asyncio
import ctypes
import threading
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Final, TypeVar, overload

from pyeth.errors import PyethError
from pyeth.state import State

T = TypeVar("T")

DEFAULT_RPC_GAS_CAP: Final = 50_000_000  # geth's --rpc.gascap
DEFAULT_RPC_EVM_TIMEOUT: Final = 5.0  # seconds, geth's --rpc.evmtimeout
# Calls running at once. The GIL runs one at a time anyway; more workers only let a short call
# go on beside a long one instead of waiting behind it.
CALL_WORKERS: Final = 4
# States kept per key for reuse (one per worker is enough).
STATES_KEPT: Final = CALL_WORKERS


class CallAborted(PyethError):
    """A call was stopped before it finished: its deadline passed, or the node is stopping."""


class CallTimeout(CallAborted):
    """The call ran past the RPC EVM timeout; geth's words (a -32000 error)."""

    def __init__(self, timeout: float) -> None:
        super().__init__(f"execution aborted (timeout = {go_duration(timeout)})")


class _Interrupted(BaseException):
    """Raised asynchronously in a worker thread to stop its call. A BaseException so that the
    EVM's and the state's `except Exception` handlers let it through."""


def go_duration(seconds: float) -> str:
    """`seconds` as Go's time.Duration prints it (5s, 1.5s, 200ms, 1m30s), as geth's error
    messages show a timeout."""
    if seconds < 1:
        return f"{round(seconds * 1000, 6):g}ms"
    minutes, rest = divmod(seconds, 60)
    text = f"{round(rest, 9):g}s"
    if minutes >= 60:
        hours, minutes = divmod(minutes, 60)
        return f"{int(hours)}h{int(minutes)}m{text}"
    return f"{int(minutes)}m{text}" if minutes else text


def _raise_in_thread(thread_id: int, exception: type[BaseException] | None) -> None:
    """Have CPython raise `exception` in thread `thread_id` at its next bytecode boundary (None:
    forget one that is pending)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exception) if exception else None
    )


_WAITING, _RUNNING, _DONE, _ABORTED = range(4)


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
            with self.lock:
                if self.phase == _ABORTED:
                    raise _Interrupted
                self.thread_id = threading.get_ident()
                self.phase = _RUNNING
            try:
                return work()
            finally:
                with self.lock:
                    if self.phase == _ABORTED:
                        _raise_in_thread(self.thread_id, None)  # delivered or not: drop it
                    self.phase = _DONE
        except _Interrupted:
            raise self.error or CallAborted("call aborted") from None

    def abort(self, error: CallAborted) -> bool:
        """Stop the call (from any thread). False if it had finished already."""
        with self.lock:
            if self.phase in (_DONE, _ABORTED):
                return False
            self.error = error
            if self.phase == _RUNNING:
                _raise_in_thread(self.thread_id, _Interrupted)
            self.phase = _ABORTED
            return True


class CallRunner:
    """Worker threads for calls, with the RPC EVM timeout (`timeout` seconds, 0 for none)."""

    def __init__(self, timeout: float = DEFAULT_RPC_EVM_TIMEOUT, workers: int = CALL_WORKERS):
        if not timeout >= 0:  # NaN too
            raise ValueError(f"the RPC EVM timeout must be 0 (none) or positive, not {timeout}")
        self.timeout = timeout
        self.states = StatePool()
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="pyeth-call")
        self._jobs: set[_Job] = set()
        self.closed = False

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
            timer = loop.call_later(self.timeout, job.abort, CallTimeout(self.timeout))
        self._jobs.add(job)
        future = self._executor.submit(job.run, work)
        # Forgotten once its worker is done with it (in the worker's thread), not when the
        # awaiting request gives up.
        future.add_done_callback(lambda _: self._jobs.discard(job))
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:  # the client went away: stop the call too
            job.abort(CallAborted("the request was cancelled"))
            raise
        finally:
            if timer is not None:
                timer.cancel()

    @property
    def active(self) -> int:
        """How many calls are running or waiting for a worker."""
        return len(self._jobs)

    def abort_all(self) -> None:
        """Stop every call running or waiting (shutdown)."""
        for job in list(self._jobs):
            job.abort(CallAborted("the node is shutting down"))

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

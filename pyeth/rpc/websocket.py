"""One WebSocket client's outgoing messages, in bounded memory.

Responses and notifications go out in order through one writer task. What waits for the client
(the queue here plus what aiohttp's transport still buffers) is counted in bytes against a
budget:
- a notification that finds the backlog over the budget drops the client (close code 1008 and
  a reason; the socket is aborted if the close frame cannot be delivered), since a client that
  does not read would otherwise hold the node's memory without end;
- a newHeads notification that finds the backlog over half the budget replaces its
  subscription's head still waiting to go out, so a burst of blocks (`anvil_mine 10000`)
  reaches a reading client as its first heads and then the newest one, never as a disconnect;
- responses are never dropped: the server reads a client's next request only once its backlog
  is back under half the budget, and drops a client that leaves it over for `stall_timeout`.

Nothing here keeps an exception or a reference to a task, so a connection's objects are freed
by reference counting as soon as its handler returns: the node runs with the cyclic garbage
collector mostly idle (`pyeth/cli/node.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Callable
from typing import Any, Final

from aiohttp import WSCloseCode, web

DEFAULT_SEND_BUDGET: Final = 4 * 1024 * 1024  # bytes waiting for one client before it is dropped
DEFAULT_STALL_TIMEOUT: Final = 60.0  # seconds a client may leave its responses unread
CLOSE_GRACE: Final = 2.0  # seconds to deliver a close frame before the socket is aborted
SHUTDOWN_GRACE: Final = 0.5  # the same when the node stops

log = logging.getLogger(__name__)


def dumps(message: Any) -> str:
    """Compact JSON, and never NaN or Infinity (not JSON): ValueError instead."""
    return json.dumps(message, allow_nan=False, separators=(",", ":"))


class _Outgoing:
    """A queued message; `text` None once a newer head replaced it."""

    __slots__ = ("key", "text")

    def __init__(self, text: str, key: str | None) -> None:
        self.text: str | None = text
        self.key = key


class WebSocketConnection:
    """The outgoing side of one WebSocket client (see the module docstring)."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        transport: asyncio.Transport | None,
        budget: int = DEFAULT_SEND_BUDGET,
        stall_timeout: float = DEFAULT_STALL_TIMEOUT,
    ) -> None:
        self.ws = ws
        self.budget = budget
        self.stall_timeout = stall_timeout
        self.close_reason: str | None = None
        self._transport = transport
        self._queue: deque[_Outgoing] = deque()
        self._queued_bytes = 0
        self._heads: dict[str, _Outgoing] = {}  # subscription id -> its head still queued
        self._wakeup = asyncio.Event()
        self._room = asyncio.Event()  # set while the backlog is under half the budget
        self._room.set()
        self._closers: list[Callable[[], None]] = []
        self._stopping = False
        self._dropping: asyncio.Task[None] | None = None

    # --- what waits ----------------------------------------------------------------------

    def backlog(self) -> int:
        """Bytes waiting for the client: queued here and buffered by the transport."""
        transport = self._transport
        if transport is None or transport.is_closing():
            return self._queued_bytes
        return self._queued_bytes + transport.get_write_buffer_size()

    def _update_room(self) -> None:
        if self.backlog() <= self.budget // 2:
            self._room.set()
        else:
            self._room.clear()

    def _enqueue(self, text: str, key: str | None = None) -> None:
        entry = _Outgoing(text, key)
        self._queue.append(entry)
        self._queued_bytes += len(text)  # json.dumps escapes non-ASCII: characters are bytes
        if key is not None:
            self._heads[key] = entry
        self._update_room()
        self._wakeup.set()

    # --- what the server and the subscriptions call --------------------------------------

    def respond(self, text: str) -> None:
        """Queue a response; never dropped (the request loop waits for room instead)."""
        if self.close_reason is None and not self._stopping:
            self._enqueue(text)

    def notify(self, message: dict[str, Any], coalesce_key: str | None = None) -> None:
        """Queue a notification, or drop a client too far behind to take it. Notifications
        with a `coalesce_key` (a newHeads subscription) replace the one still queued under the
        same key once the backlog is over half the budget."""
        if self.close_reason is not None or self._stopping:
            return
        backlog = self.backlog()
        if backlog > self.budget:
            self.drop(
                f"too slow: more than {self.budget} bytes of messages waiting for this client"
            )
            return
        if coalesce_key is not None and backlog > self.budget // 2:
            waiting = self._heads.pop(coalesce_key, None)
            if waiting is not None and waiting.text is not None:
                self._queued_bytes -= len(waiting.text)
                waiting.text = None
        self._enqueue(dumps(message), coalesce_key)

    def on_close(self, callback: Callable[[], None]) -> None:
        self._closers.append(callback)

    # --- the writer and the end ----------------------------------------------------------

    async def write(self) -> None:
        """Send queued messages in order until stopped or the socket fails; returns normally
        either way, so the task keeps no exception (and no traceback holding frames)."""
        try:
            while True:
                while not self._queue:
                    if self._stopping:
                        return
                    self._wakeup.clear()
                    await self._wakeup.wait()
                entry = self._queue.popleft()
                text = entry.text
                if text is None:
                    continue  # replaced by a newer head
                self._queued_bytes -= len(text)
                if entry.key is not None and self._heads.get(entry.key) is entry:
                    del self._heads[entry.key]
                await self.ws.send_str(text)
                self._update_room()
        except (ConnectionError, RuntimeError):
            pass  # the client went away; the handler's loop ends on its own
        finally:
            self._room.set()  # nobody waits for a writer that is gone

    async def wait_for_room(self) -> bool:
        """Wait until the backlog is under half the budget; False (and the client dropped) if
        it stays over for `stall_timeout` seconds. The backlog is looked at again every
        tenth of a second too: the transport may flush with no writer awake to notice."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.stall_timeout
        while True:
            self._update_room()
            if self._room.is_set():
                return self.close_reason is None
            if loop.time() >= deadline:
                self.drop(f"too slow: responses left unread for {self.stall_timeout:g} s")
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._room.wait(), 0.1)

    def drop(
        self,
        reason: str,
        code: WSCloseCode = WSCloseCode.POLICY_VIOLATION,
        grace: float = CLOSE_GRACE,
    ) -> None:
        """Disconnect the client (one that does not keep up, or all when the node stops) and
        free what waits for it now."""
        if self.close_reason is not None:
            return
        self.close_reason = reason
        if code == WSCloseCode.POLICY_VIOLATION:
            log.warning("closing a WebSocket client: %s", reason)
        self._queue.clear()
        self._heads.clear()
        self._queued_bytes = 0
        self._room.set()
        self._dropping = asyncio.get_running_loop().create_task(self._close(reason, code, grace))

    async def _close(self, reason: str, code: WSCloseCode, grace: float) -> None:
        with contextlib.suppress(Exception):
            # A close reason must fit a control frame (125 bytes with the code).
            await asyncio.wait_for(self.ws.close(code=code, message=reason.encode()[:120]), grace)
        self.abort()

    async def wait_dropped(self) -> None:
        """Until a drop has closed the socket."""
        dropping = self._dropping
        if dropping is not None:
            await asyncio.wait({dropping})

    def abort(self) -> None:
        """Close the socket at once, dropping whatever it still buffers."""
        if self._transport is not None:
            # Also when already closing: close() waits to flush to a client that may never read.
            self._transport.abort()

    async def finish(self, writer: asyncio.Task[None]) -> None:
        """After the client's loop ends: drop its subscriptions, stop the writer (aborting a
        socket that cannot take the rest), and let go of everything."""
        for callback in self._closers:
            callback()
        self._closers.clear()
        self._stopping = True
        self._wakeup.set()
        _, pending = await asyncio.wait({writer}, timeout=CLOSE_GRACE)
        if pending:
            self.abort()
            await asyncio.wait({writer})
        dropping, self._dropping = self._dropping, None
        if dropping is not None:
            await asyncio.wait({dropping})
        self._queue.clear()
        self._heads.clear()
        self._queued_bytes = 0
        self._transport = None

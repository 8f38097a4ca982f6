"""Sync: a node that is behind catches up with its best peer, headers first, then bodies,
importing in batches through the node with a progress line (blocks done, blocks/s, ETA).

The best peer is the one whose chain is heaviest (total difficulty, then height for dev chains
that have none), if heavier than ours; a peer that announced a block whose parent we lack is
tried too. The common ancestor is found from the last 64 headers below the lower head, then
by binary search; from there headers come in batches of up to `batch` (each batch must be a
numbered, linked run, or the peer is banned), bodies in chunks, and blocks are imported one
at a time with the event loop let through between them, so the node keeps answering RPC and
peers while it syncs. An invalid block bans the peer. A signer does not seal while syncing.
This module talks to peers and to the node's narrow interface; it never touches the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from p2p.limits import Misbehaviour
from p2p.messages import Header, body_block
from p2p.session import CLOSE_SLOW, Peer, RequestFailed
from pyeth.errors import InvalidBlock

if TYPE_CHECKING:
    from pyeth.node import Node

HEADER_BATCH: Final = 192
BODY_BATCH: Final = 64
ANCESTOR_SPAN: Final = 64  # headers looked at in one request before the binary search
PROGRESS_INTERVAL: Final = 2.0  # seconds between progress lines
IDLE_CHECK: Final = 5.0  # seconds between looks at the peers when nobody wakes the syncer

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Progress:
    """Blocks imported in this sync and how fast."""

    start: int  # the common ancestor's number
    target: int  # the peer's head number when last heard of
    done: int = 0
    started: float = field(default_factory=time.monotonic)
    logged: float = 0.0

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        left = max(self.target - self.start - self.done, 0)
        eta = f"{left / rate:.0f}s" if rate > 0 else "?"
        total = max(self.target - self.start, self.done)
        return (
            f"sync: {self.done}/{total} blocks (head {self.start + self.done}), "
            f"{rate:.1f} blocks/s, ETA {eta}"
        )


class Syncer:
    """Keeps the node at the head of the heaviest chain its peers know.

    Args:
        node: the node to import into.
        peers: the connected peers, when asked.
        batch: headers per request.
        on_done: called after a sync that imported blocks (the network announces the head).
    """

    def __init__(
        self,
        node: Node,
        peers: Callable[[], list[Peer]],
        batch: int = HEADER_BATCH,
        on_done: Callable[[], None] | None = None,
    ) -> None:
        self.node = node
        self.peers = peers
        self.batch = batch
        self.on_done = on_done
        self.syncing = False
        self.progress: Progress | None = None
        self.imported = 0  # blocks imported by sync since start
        self._wake = asyncio.Event()
        self._hinted: set[bytes] = set()  # node ids of peers with blocks we lack

    def notify(self, peer: Peer | None = None) -> None:
        """Look at the peers again soon; `peer` has blocks we lack (an unknown parent)."""
        if peer is not None:
            self._hinted.add(peer.node_id)
        self._wake.set()

    def _our_score(self) -> tuple[int, int]:
        return self.node.total_difficulty(), self.node.chain.head.number

    def best_peer(self, exclude: set[bytes] | None = None) -> Peer | None:
        """The peer to sync from: the heaviest one ahead of us, else one that hinted."""
        exclude = exclude or set()
        peers = [p for p in self.peers() if not p.ws.closed and p.node_id not in exclude]
        ours = self._our_score()
        ahead = [peer for peer in peers if peer.score > ours]
        if ahead:
            return max(ahead, key=lambda peer: peer.score)
        hinted = [peer for peer in peers if peer.node_id in self._hinted]
        return hinted[0] if hinted else None

    async def run(self) -> None:
        """Sync whenever a peer is ahead, for as long as the task runs."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_CHECK)
            self._wake.clear()
            tried: set[bytes] = set()
            while (peer := self.best_peer(tried)) is not None:
                tried.add(peer.node_id)
                self._hinted.discard(peer.node_id)
                before = self._our_score()
                try:
                    imported = await self.sync_with(peer)
                except Misbehaviour as exc:
                    log.warning("%r: dropped during sync: %s", peer, exc)
                    peer.punish(str(exc))
                    continue
                except RequestFailed as exc:
                    log.info("%r: sync stopped: %s", peer, exc)
                    peer.disconnect(CLOSE_SLOW, f"sync: {exc}")
                    continue
                if imported and self.on_done is not None:
                    self.on_done()
                if self._our_score() <= before and peer.score > self._our_score():
                    # It says it is ahead but gave us nothing better: do not ask it again.
                    peer.disconnect(CLOSE_SLOW, "announced a chain it did not deliver")

    async def sync_with(self, peer: Peer) -> int:
        """Fetch and import `peer`'s chain from the common ancestor up; returns the number of
        blocks imported.

        Raises:
            Misbehaviour: the peer sent headers that do not fit or an invalid block.
            RequestFailed: the peer did not answer in time or went away.
        """
        chain = self.node.chain
        self.syncing = True
        self.node.set_syncing(True)
        try:
            number, parent_hash = await self._common_ancestor(peer)
            progress = Progress(start=number, target=max(peer.head_number, number))
            self.progress = progress
            number += 1
            moved = 0
            while True:
                headers = (await peer.request_headers(number, self.batch)).headers
                if not headers:
                    break
                _check_run(headers, number)
                if headers[0].header.parent_hash != parent_hash:
                    # The peer's chain moved under us (a reorg): find the ancestor again.
                    moved += 1
                    if moved > 3:
                        break
                    number, parent_hash = await self._common_ancestor(peer)
                    number += 1
                    continue
                for first in range(0, len(headers), BODY_BATCH):
                    chunk = headers[first : first + BODY_BATCH]
                    for header, body in zip(chunk, await self._bodies(peer, chunk), strict=True):
                        block = body_block(header, body)
                        if not chain.has_block(header.hash):
                            try:
                                self.node.import_block(block)
                            except InvalidBlock as exc:
                                raise Misbehaviour(
                                    f"invalid block {header.header.number}: {exc}"
                                ) from None
                            progress.done += 1
                            self.imported += 1
                        # One block at a time, then the loop: RPC and peers stay served.
                        await asyncio.sleep(0)
                    progress.target = max(progress.target, peer.head_number)
                    now = time.monotonic()
                    if now - progress.logged >= PROGRESS_INTERVAL:
                        progress.logged = now
                        log.info("%s", progress.line())
                parent_hash = headers[-1].hash
                number += len(headers)
            if progress.done:
                log.info("%s; done", progress.line())
            return progress.done
        finally:
            self.syncing = False
            self.progress = None
            self.node.set_syncing(False)

    async def _common_ancestor(self, peer: Peer) -> tuple[int, bytes]:
        """The highest block of the peer's chain that we have: (number, hash)."""
        chain = self.node.chain
        top = min(chain.head.number, peer.head_number)
        count = min(top + 1, ANCESTOR_SPAN)
        start = top - count + 1
        headers = (await peer.request_headers(start, count)).headers
        if headers:
            _check_run(headers, start)
        for item in reversed(headers):
            if chain.has_block(item.hash):
                return item.header.number, item.hash
        low, high = 0, start - 1  # the genesis is common (the handshake checked it)
        low_hash = chain.genesis_hash
        while low < high:
            middle = (low + high + 1) // 2
            got = (await peer.request_headers(middle, 1)).headers
            if len(got) != 1 or got[0].header.number != middle:
                raise Misbehaviour(f"no header {middle} below its announced head")
            if chain.has_block(got[0].hash):
                low, low_hash = middle, got[0].hash
            else:
                high = middle - 1
        return low, low_hash

    async def _bodies(self, peer: Peer, headers: tuple[Header, ...]) -> list[bytes]:
        """The bodies of `headers`, in order, asking again for what a response left out."""
        bodies: list[bytes] = []
        while len(bodies) < len(headers):
            wanted = tuple(h.hash for h in headers[len(bodies) :])
            got = (await peer.request_bodies(wanted)).bodies
            if not got:
                raise RequestFailed("the peer has no bodies for the headers it sent")
            if len(got) > len(wanted):
                raise Misbehaviour(f"{len(got)} bodies for {len(wanted)} hashes")
            bodies.extend(got)
        return bodies


def _check_run(headers: tuple[Header, ...], first: int) -> None:
    """`headers` must be blocks first, first + 1, ... each the child of the one before."""
    for index, item in enumerate(headers):
        if item.header.number != first + index:
            raise Misbehaviour(
                f"header {index} of a response is block {item.header.number}, "
                f"expected {first + index}"
            )
        if index and item.header.parent_hash != headers[index - 1].hash:
            raise Misbehaviour(f"headers do not link at block {item.header.number}")

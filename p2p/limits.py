"""Limits and penalties: how big a message, how many peers, how many requests a second a peer
may send, and what happens to a peer that breaks the protocol.

A peer that sends malformed RLP, an invalid block, data nobody asked for, a message over the
size limit, or more requests than its allowance raises `Misbehaviour` in the session; the
session closes with the reason and the peer's identity (node id and dialable address) is
banned for `ban_seconds`: handshakes from it are refused and it is not dialed. A peer that is
merely slow or unlucky (a request that times out, a full send queue) is disconnected without a
ban. This module keeps counters and clocks; it sends nothing and decides nothing about blocks.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

MAX_BANS: Final = 4096  # remembered bans; the oldest is forgotten first


@dataclass(frozen=True, slots=True)
class Limits:
    """The numbers a node enforces on its peers (and on itself as a client)."""

    max_message_size: int = 16 * 1024 * 1024  # bytes of one WebSocket message
    max_peers: int = 25
    requests_per_second: float = 50.0  # GetBlockHeaders/GetBlockBodies/GetPeers, per peer
    request_burst: int = 200
    messages_per_second: float = 500.0  # every message, per peer
    message_burst: int = 2000
    ban_seconds: float = 300.0
    handshake_timeout: float = 5.0
    request_timeout: float = 10.0
    send_queue: int = 4096  # messages waiting for a slow peer before it is dropped
    max_headers: int = 192  # served per GetBlockHeaders
    max_bodies: int = 128  # served per GetBlockBodies
    max_response_bytes: int = 2 * 1024 * 1024  # a soft cap on one response's size
    max_transactions: int = 1024  # per Transactions message
    heartbeat: float = 20.0  # WebSocket ping interval; a peer that misses one is gone


class Misbehaviour(Exception):
    """A peer broke the protocol; the message is the reason it is told and banned for."""


class TokenBucket:
    """`rate` events a second on average, with bursts up to `burst`."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.tokens = float(burst)
        self.updated = clock()

    def take(self, count: float = 1.0) -> bool:
        """Spend `count` tokens if there are enough; False (and nothing spent) if not."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < count:
            return False
        self.tokens -= count
        return True


class BanList:
    """Peer identities (node ids, addresses) refused until a deadline."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._until: OrderedDict[str, float] = OrderedDict()

    def ban(self, key: str, seconds: float) -> None:
        self._until[key] = self.clock() + seconds
        self._until.move_to_end(key)
        while len(self._until) > MAX_BANS:
            self._until.popitem(last=False)

    def is_banned(self, key: str) -> bool:
        until = self._until.get(key)
        if until is None:
            return False
        if until <= self.clock():
            del self._until[key]
            return False
        return True

    def __len__(self) -> int:
        return len(self._until)

"""Limits and penalties: how big a message, how many peers (in all, per IP address, inbound and
outbound), how many requests a second a peer may send, and what happens to a peer that breaks
the protocol.

A peer that sends malformed RLP, an invalid block, data nobody asked for, a message over the
size limit, or more requests than its allowance raises `Misbehaviour` in the session; so does
a peer whose `Reputation` runs out (each transaction with a bad signature or that the pool
refuses costs points, see the `PENALTY_*` constants; points recover with time, so an honest
peer's occasional stale transaction never adds up). The session closes with the reason and
the peer is banned for `ban_seconds` by what it cannot choose: its proven node id and its IP
address (unless the address is in `exempt_networks`, loopback by default, where every local
node shares one address; new connections from such an address are then only slowed down, to
`handshakes_after_ban` a second, so that fresh keys cannot be churned through at full speed).
A peer that is merely slow or unlucky (a request that times out, a full send queue) is
disconnected without a ban. This module keeps counters and clocks; it
sends nothing and decides nothing about blocks.
"""

from __future__ import annotations

import functools
import ipaddress
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

MAX_BANS: Final = 4096  # remembered bans; the oldest is forgotten first
PENALTY_BAD_SIGNATURE: Final = 25.0  # a transaction whose signature recovers no sender
PENALTY_REJECTED_TRANSACTION: Final = 2.0  # one the pool refuses (no funds, gas, ...)
LOOPBACK: Final = ("127.0.0.0/8", "::1/128")


@dataclass(frozen=True, slots=True)
class Limits:
    """The numbers a node enforces on its peers (and on itself as a client)."""

    max_message_size: int = 16 * 1024 * 1024  # bytes of one WebSocket message
    max_peers: int = 25  # ordinary peers; configured peers and Clique signers come on top
    max_peers_per_ip: int = 4  # connections from or to one IP address, either direction
    exempt_networks: tuple[str, ...] = LOOPBACK  # no per-IP limit or IP ban in these
    idle_seconds: float = 60.0  # an inbound peer this long without news may make room
    reputation: float = 100.0  # penalty points that get a peer dropped and banned
    reputation_recovery: float = 1.0  # penalty points forgiven per second
    # New connections from an address whose peer was banned, while the ban lasts (an exempt
    # address, where the IP is not banned, cannot churn through fresh keys at full speed).
    handshakes_after_ban: float = 1.0  # a second
    handshake_burst_after_ban: int = 5
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

    @property
    def max_outbound(self) -> int:
        """Ordinary peers we dial: a third of the slots (geth's dial ratio), at least one."""
        return max(1, self.max_peers // 3)

    @property
    def max_inbound(self) -> int:
        """Ordinary peers that dial us: the other slots, at least one."""
        return max(1, self.max_peers - self.max_outbound)

    def is_exempt(self, ip: str) -> bool:
        """True if `ip` is in `exempt_networks` (per-IP limits and IP bans do not apply)."""
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in network for network in _networks(self.exempt_networks))


@functools.cache
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Parsed once per distinct setting (a node has one)."""
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


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


class Reputation:
    """Penalty points of one peer, forgiven at `recovery` a second; `threshold` is too many."""

    def __init__(
        self, threshold: float, recovery: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.recovery = recovery
        self.clock = clock
        self.points = 0.0
        self.updated = clock()

    def penalize(self, points: float) -> bool:
        """Add `points`; True if the peer is now past the threshold."""
        now = self.clock()
        self.points = max(0.0, self.points - (now - self.updated) * self.recovery) + points
        self.updated = now
        return self.points >= self.threshold


class BanList:
    """Peer identities (proven node ids, IP addresses) refused until a deadline."""

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

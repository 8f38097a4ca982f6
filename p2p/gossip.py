"""Gossip bookkeeping: which peer already has which block and transaction, so that each peer is
sent a given block or transaction at most once and nothing bounces back to where it came from.

Every peer keeps two bounded seen-sets (hashes it sent us or we sent it); the node keeps one
more of the hashes it has handled, so that a block or transaction arriving from several peers is
looked at once. A full set forgets its oldest hashes, which bounds memory whatever peers send.
New blocks go whole to a square root of the peers that lack them and as a hash announcement to
the rest, as the eth protocol does. This module chooses recipients; sending is the session's.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Final, Protocol, TypeVar

MAX_KNOWN_BLOCKS: Final = 1024  # per peer, as geth's maxKnownBlocks
MAX_KNOWN_TRANSACTIONS: Final = 32768  # per peer, as geth's maxKnownTxs
MAX_SEEN: Final = 65536  # the node's own set of handled hashes


class BoundedSet:
    """A set of hashes that forgets the oldest when more than `capacity` are added."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[bytes, None] = OrderedDict()

    def add(self, item: bytes) -> bool:
        """Remember `item`; True if it was new."""
        if item in self._items:
            self._items.move_to_end(item)
            return False
        self._items[item] = None
        if len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return True

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __len__(self) -> int:
        return len(self._items)


class Knows(Protocol):
    """What gossip needs of a peer: its two seen-sets."""

    known_blocks: BoundedSet
    known_transactions: BoundedSet


P = TypeVar("P", bound=Knows)


def block_recipients(peers: Iterable[P], block_hash: bytes) -> tuple[list[P], list[P]]:
    """The peers to send a new block to whole and those to tell its hash, marking all of them
    as knowing it; peers that know it already get nothing."""
    lacking = [peer for peer in peers if block_hash not in peer.known_blocks]
    for peer in lacking:
        peer.known_blocks.add(block_hash)
    whole = math.ceil(math.sqrt(len(lacking)))
    return lacking[:whole], lacking[whole:]


def transaction_recipients(peers: Sequence[P], tx_hash: bytes) -> list[P]:
    """The peers to send a transaction to (those that lack it), marked as knowing it."""
    lacking = [peer for peer in peers if tx_hash not in peer.known_transactions]
    for peer in lacking:
        peer.known_transactions.add(tx_hash)
    return lacking

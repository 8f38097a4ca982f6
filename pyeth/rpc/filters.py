"""Polling filters (eth_newFilter, eth_newBlockFilter, eth_newPendingTransactionFilter with
eth_getFilterChanges) and WebSocket subscriptions (eth_subscribe: newHeads, logs,
newPendingTransactions), both fed by the node's head and pending-transaction events.

Node events arrive synchronously from the chain and the pool; here they only become JSON and
are appended to a filter's buffer or handed to a connection's send queue, never awaited (the
connection bounds its own memory and may coalesce heads: `rpc/websocket.py`). A filter that
nobody polls for `timeout` seconds is dropped (as geth does after five minutes), and each
buffer keeps at most `max_buffer` items, the oldest going first. A connection's subscriptions
are indexed by connection and all dropped when it closes.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from pyeth.chain import ChainEvent, LogEntry
from pyeth.hexutil import to_hex
from pyeth.node import Node
from pyeth.rpc.api import Connection
from pyeth.rpc.errors import ServerError
from pyeth.rpc.formats import header_json, log_json, transaction_json
from pyeth.rpc.params import LogCriteria
from pyeth.txpool import PooledTransaction

FILTER_TIMEOUT: Final = 300.0  # seconds without a poll before a filter is dropped
MAX_BUFFER: Final = 10_000  # items one filter keeps between polls
MAX_FILTERS: Final = 10_000
MAX_SUBSCRIPTIONS_PER_CONNECTION: Final = 1_000

FilterKind = Literal["logs", "blocks", "pending"]
SubscriptionKind = Literal["newHeads", "logs", "newPendingTransactions"]


@dataclass(slots=True)
class Filter:
    kind: FilterKind
    criteria: LogCriteria | None
    last_poll: float
    items: deque[Any] = field(default_factory=lambda: deque(maxlen=MAX_BUFFER))


@dataclass(slots=True)
class Subscription:
    kind: SubscriptionKind
    connection: Connection
    criteria: LogCriteria | None = None
    full_transactions: bool = False


def _new_id() -> str:
    return "0x" + secrets.token_hex(16)


def in_range(criteria: LogCriteria, entry: LogEntry) -> bool:
    """Whether a live log falls in the criteria's numbered bounds (tags bound nothing here)."""
    if criteria.block_hash is not None:
        return entry.block_hash == criteria.block_hash
    low, high = criteria.from_block.number, criteria.to_block.number
    if low is not None and entry.block_number < low:
        return False
    return high is None or entry.block_number <= high


class Filters:
    """The filters and subscriptions of one RPC server, fed by `node`'s events."""

    def __init__(
        self,
        node: Node,
        timeout: float = FILTER_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.node = node
        self.timeout = timeout
        self.clock = clock
        self._filters: dict[str, Filter] = {}
        self._subscriptions: dict[str, Subscription] = {}
        self._by_connection: dict[Connection, set[str]] = {}
        self._unsubscribe = [
            node.subscribe_heads(self._on_head),
            node.subscribe_pending(self._on_pending),
        ]

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()

    # --- polling filters -----------------------------------------------------------------

    def new_filter(self, kind: FilterKind, criteria: LogCriteria | None = None) -> str:
        self.expire()
        if len(self._filters) >= MAX_FILTERS:
            raise ServerError(f"too many filters (at most {MAX_FILTERS}); uninstall some")
        filter_id = _new_id()
        self._filters[filter_id] = Filter(kind, criteria, self.clock())
        return filter_id

    def get(self, filter_id: str) -> Filter:
        found = self._filters.get(filter_id)
        if found is None:
            raise ServerError("filter not found")
        found.last_poll = self.clock()
        return found

    def changes(self, filter_id: str) -> list[Any]:
        """What happened since the last poll, and forget it."""
        found = self.get(filter_id)
        items = list(found.items)
        found.items.clear()
        return items

    def uninstall(self, filter_id: str) -> bool:
        return self._filters.pop(filter_id, None) is not None

    def expire(self) -> None:
        """Drop the filters nobody polled within the timeout."""
        deadline = self.clock() - self.timeout
        for filter_id in [i for i, f in self._filters.items() if f.last_poll < deadline]:
            del self._filters[filter_id]

    # --- subscriptions -------------------------------------------------------------------

    def subscribe(
        self,
        kind: SubscriptionKind,
        connection: Connection,
        criteria: LogCriteria | None = None,
        full_transactions: bool = False,
    ) -> str:
        owned = self._by_connection.get(connection)
        if owned is None:
            owned = self._by_connection[connection] = set()
            connection.on_close(lambda: self._drop_connection(connection))
        if len(owned) >= MAX_SUBSCRIPTIONS_PER_CONNECTION:
            raise ServerError(f"too many subscriptions on this connection ({len(owned)})")
        subscription_id = _new_id()
        self._subscriptions[subscription_id] = Subscription(
            kind, connection, criteria, full_transactions
        )
        owned.add(subscription_id)
        return subscription_id

    def _drop_connection(self, connection: Connection) -> None:
        """Forget the subscriptions of a connection that closed."""
        for subscription_id in self._by_connection.pop(connection, ()):
            self._subscriptions.pop(subscription_id, None)

    def subscription_count(self) -> int:
        return len(self._subscriptions)

    def unsubscribe(self, subscription_id: str, connection: Connection) -> bool:
        found = self._subscriptions.get(subscription_id)
        if found is None or found.connection is not connection:
            return False
        del self._subscriptions[subscription_id]
        self._by_connection.get(connection, set()).discard(subscription_id)
        return True

    @staticmethod
    def _notify(
        subscription_id: str, subscription: Subscription, result: Any, coalesce: bool = False
    ) -> None:
        subscription.connection.notify(
            {
                "jsonrpc": "2.0",
                "method": "eth_subscription",
                "params": {"subscription": subscription_id, "result": result},
            },
            subscription_id if coalesce else None,
        )

    # --- events --------------------------------------------------------------------------

    def _on_head(self, event: ChainEvent) -> None:
        if not self._filters and not self._subscriptions:
            return  # nobody to tell: no log rendered for nothing
        timestamps = {item.block.hash: item.block.header.timestamp for item in event.added}
        timestamps.update({item.block.hash: item.block.header.timestamp for item in event.removed})
        logs = [
            (entry, log_json(entry, timestamps.get(entry.block_hash))) for entry in event.logs()
        ]
        for found in self._filters.values():
            if found.kind == "blocks":
                found.items.extend(to_hex(item.block.hash) for item in event.added)
            elif found.kind == "logs":
                criteria = found.criteria
                assert criteria is not None
                found.items.extend(
                    rendered
                    for entry, rendered in logs
                    if in_range(criteria, entry)
                    and criteria.matches(entry.log.address, entry.log.topics)
                )
        heads: list[Any] | None = None  # rendered once for every newHeads subscription
        for subscription_id, subscription in list(self._subscriptions.items()):
            if subscription.kind == "newHeads":
                if heads is None:
                    heads = [
                        header_json(item.block.header, item.block.hash) for item in event.added
                    ]
                for head in heads:
                    self._notify(subscription_id, subscription, head, coalesce=True)
            elif subscription.kind == "logs":
                criteria = subscription.criteria
                assert criteria is not None
                for entry, rendered in logs:
                    if criteria.matches(entry.log.address, entry.log.topics):
                        self._notify(subscription_id, subscription, rendered)

    def _on_pending(self, entry: PooledTransaction) -> None:
        tx_hash = to_hex(entry.hash)
        for found in self._filters.values():
            if found.kind == "pending":
                found.items.append(tx_hash)
        for subscription_id, subscription in list(self._subscriptions.items()):
            if subscription.kind == "newPendingTransactions":
                result: Any = (
                    transaction_json(entry.tx, tx_hash=entry.hash)
                    if subscription.full_transactions
                    else tx_hash
                )
                self._notify(subscription_id, subscription, result)

"""The node store interface the trie writes through, and its in-memory implementation.

A node store maps a node's keccak hash to its RLP. It must not interpret either: tries, the state
and the chain all share one store, and only the chain decides when writes become durable.
"""

from typing import Protocol


class NodeStore(Protocol):
    """What a trie needs from its storage: bytes in, bytes out, keyed by hash."""

    def get(self, key: bytes) -> bytes | None:
        """Return the value stored under `key`, or None if there is none."""
        ...

    def put(self, key: bytes, value: bytes) -> None:
        """Store `value` under `key`, replacing any previous value."""
        ...

    def delete(self, key: bytes) -> None:
        """Remove `key` if present (a no-op otherwise)."""
        ...


class MemoryNodeStore:
    """A node store in a dict: the dev chain without `--datadir`, and tests."""

    __slots__ = ("data",)

    def __init__(self, data: dict[bytes, bytes] | None = None) -> None:
        self.data: dict[bytes, bytes] = {} if data is None else data

    def get(self, key: bytes) -> bytes | None:
        return self.data.get(key)

    def put(self, key: bytes, value: bytes) -> None:
        self.data[key] = value

    def delete(self, key: bytes) -> None:
        self.data.pop(key, None)

    def __len__(self) -> int:
        return len(self.data)

    def __contains__(self, key: object) -> bool:
        return key in self.data

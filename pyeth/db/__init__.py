"""Key-value stores for content-addressed trie nodes: in memory for dev chains and tests, SQLite
on disk. They know nothing about tries; the trie decides what to write and when."""

from pyeth.db.nodestore import MemoryNodeStore, NodeStore
from pyeth.db.sqlite import SqliteNodeStore

__all__ = ["MemoryNodeStore", "NodeStore", "SqliteNodeStore"]

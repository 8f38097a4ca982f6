"""The chain's database: one SQLite file (or a private temporary one) holding trie nodes and
code, headers, bodies, receipts, the canonical number index, the transaction-hash index and the
head.

Every write happens inside `transaction()`, which the chain opens once per imported block: the
block, its state, its receipts and any change of head commit together or not at all. The file is
in WAL mode with `synchronous=NORMAL`: a killed process leaves the last committed block intact
(a power cut may lose the last few commits, never consistency). Without a file (a dev node "in
memory") SQLite's private temporary database is used: it lives in the page cache and spills
to an anonymous temporary file beyond it, so the process's memory stays flat however long the
chain grows (":memory:" grew by about 7 MiB per 1,000 blocks), and it is gone when closed.
Since nothing there has to survive a crash, a block's writes are a savepoint in a transaction
that commits every 64 blocks, and trie nodes wait in a dict to be inserted thousands at a time
(without a rollback journal, whose copies of the pages touched would swell the process).
This module stores bytes under keys; it decodes nothing and knows no validity rule.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Final

from pyeth.db.sqlite import TABLE as NODE_TABLE
from pyeth.db.sqlite import SqliteNodeStore

SCHEMA_VERSION: Final = 1
DATABASE_FILE: Final = "chain.sqlite"
TEMPORARY_CACHE_KIB: Final = 16 * 1024  # page cache of the temporary database (no datadir)
# The temporary database (no datadir: nothing has to survive a crash) commits once per this many
# units of `transaction()` (blocks), and holds the trie nodes of finished units in a dict until
# there are DEFERRED_NODES of them (about 300 bytes each: ~6 MiB at most).
UNITS_PER_COMMIT: Final = 64
DEFERRED_NODES: Final = 20_000

_SCHEMA: Final = (
    """CREATE TABLE IF NOT EXISTS headers (
        hash BLOB PRIMARY KEY, number INTEGER NOT NULL, parent BLOB NOT NULL,
        score BLOB NOT NULL, rlp BLOB NOT NULL) WITHOUT ROWID""",
    "CREATE TABLE IF NOT EXISTS bodies (hash BLOB PRIMARY KEY, rlp BLOB NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS receipts (hash BLOB PRIMARY KEY, rlp BLOB NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS canonical (number INTEGER PRIMARY KEY, hash BLOB NOT NULL)",
    """CREATE TABLE IF NOT EXISTS tx_index (
        tx_hash BLOB PRIMARY KEY, block_hash BLOB NOT NULL, position INTEGER NOT NULL)
        WITHOUT ROWID""",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID",
)


class ChainStore:
    """Typed access to the chain's tables over one sqlite3 connection.

    Args:
        path: the database file, or None for a private temporary database.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        target = "" if path is None else str(path)  # "": SQLite's private temporary database
        # Autocommit mode: transactions are exactly the BEGIN/COMMIT pairs of `transaction()`.
        self.connection = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
        self.path = None if path is None else Path(path)
        if path is not None:
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute("PRAGMA synchronous=NORMAL")
            self.connection.execute("PRAGMA cache_size=-65536")  # 64 MiB of page cache
        else:
            # Nothing to survive a crash: the rollback journal in memory, no syncs, and a page
            # cache that bounds the process's memory.
            self.connection.execute("PRAGMA journal_mode=MEMORY")
            self.connection.execute("PRAGMA synchronous=OFF")
            self.connection.execute(f"PRAGMA cache_size=-{TEMPORARY_CACHE_KIB}")
        for statement in _SCHEMA:
            self.connection.execute(statement)
        self.nodes = BufferedNodeStore(
            SqliteNodeStore(self.connection), defer=0 if path is not None else DEFERRED_NODES
        )
        self._depth = 0
        self._units = 0  # finished units in the open transaction (temporary database)
        version = self.get_meta("schema")
        if version is None:
            with self.transaction():
                self.set_meta("schema", SCHEMA_VERSION.to_bytes(4, "big"))
        elif int.from_bytes(version, "big") != SCHEMA_VERSION:
            raise RuntimeError(
                f"database {target} has schema {int.from_bytes(version, 'big')}, "
                f"this pyeth reads {SCHEMA_VERSION}"
            )

    @classmethod
    def in_datadir(cls, datadir: str | Path | None) -> ChainStore:
        """The store under `datadir` (created if missing), or in memory when None."""
        if datadir is None:
            return cls(None)
        directory = Path(datadir)
        directory.mkdir(parents=True, exist_ok=True)
        return cls(directory / DATABASE_FILE)

    def close(self) -> None:
        # The temporary database may be inside a transaction: it goes away with the connection.
        self.connection.close()

    # --- transactions ---------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of writes; nested uses join the outermost one.

        On a file each unit is a database transaction of its own. On the temporary database
        (nothing survives the process anyway) a unit is a savepoint inside a transaction that
        commits every UNITS_PER_COMMIT units: a commit there costs about as much as the writes
        of a whole block, and more the fuller the page cache is. Either way a unit that raises
        leaves nothing behind, and readers on this connection see every finished unit.
        """
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        connection = self.connection
        batched = self.path is None
        if not batched:
            connection.execute("BEGIN IMMEDIATE")
        else:
            if not connection.in_transaction:
                connection.execute("BEGIN IMMEDIATE")
            connection.execute("SAVEPOINT unit")
        self._depth = 1
        try:
            yield
            self.nodes.write()
        except BaseException:
            self._depth = 0
            self.nodes.discard()
            if batched:
                connection.execute("ROLLBACK TO unit")
                connection.execute("RELEASE unit")
            else:
                connection.execute("ROLLBACK")
            raise
        self._depth = 0
        if not batched:
            connection.execute("COMMIT")
            return
        connection.execute("RELEASE unit")
        self._units += 1
        if self.nodes.committed():
            self._insert_deferred_nodes()
        elif self._units >= UNITS_PER_COMMIT:
            connection.execute("COMMIT")
            self._units = 0

    def _insert_deferred_nodes(self) -> None:
        """Commit, then insert the deferred trie nodes in a transaction of their own without a
        rollback journal (temporary database only). The in-memory journal would hold a copy of
        every page the insert touches, thousands of them, until the commit (RSS grew by tens of
        MiB); nodes are keyed by their hash, so an insert cut short leaves nothing wrong."""
        connection = self.connection
        if connection.in_transaction:
            connection.execute("COMMIT")
        self._units = 0
        connection.execute("PRAGMA journal_mode=OFF")
        try:
            connection.execute("BEGIN IMMEDIATE")
            self.nodes.insert_deferred()
            connection.execute("COMMIT")
        finally:
            connection.execute("PRAGMA journal_mode=MEMORY")

    # --- headers, bodies, receipts ----------------------------------------------------------

    def put_header(
        self, block_hash: bytes, number: int, parent: bytes, score: int, rlp: bytes
    ) -> None:
        self.connection.execute(
            "INSERT OR REPLACE INTO headers (hash, number, parent, score, rlp) VALUES (?,?,?,?,?)",
            (block_hash, number, parent, score.to_bytes(32, "big"), rlp),
        )

    def get_header(self, block_hash: bytes) -> bytes | None:
        row = self.connection.execute(
            "SELECT rlp FROM headers WHERE hash = ?", (block_hash,)
        ).fetchone()
        return None if row is None else bytes(row[0])

    def get_score(self, block_hash: bytes) -> int | None:
        row = self.connection.execute(
            "SELECT score FROM headers WHERE hash = ?", (block_hash,)
        ).fetchone()
        return None if row is None else int.from_bytes(row[0], "big")

    def get_parent(self, block_hash: bytes) -> tuple[int, bytes] | None:
        """(number, parent hash) of a stored header."""
        row = self.connection.execute(
            "SELECT number, parent FROM headers WHERE hash = ?", (block_hash,)
        ).fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def has_header(self, block_hash: bytes) -> bool:
        row = self.connection.execute(
            "SELECT 1 FROM headers WHERE hash = ?", (block_hash,)
        ).fetchone()
        return row is not None

    def header_count(self) -> int:
        return int(self.connection.execute("SELECT COUNT(*) FROM headers").fetchone()[0])

    def put_body(self, block_hash: bytes, rlp: bytes) -> None:
        self.connection.execute(
            "INSERT OR REPLACE INTO bodies (hash, rlp) VALUES (?, ?)", (block_hash, rlp)
        )

    def get_body(self, block_hash: bytes) -> bytes | None:
        row = self.connection.execute(
            "SELECT rlp FROM bodies WHERE hash = ?", (block_hash,)
        ).fetchone()
        return None if row is None else bytes(row[0])

    def put_receipts(self, block_hash: bytes, rlp: bytes) -> None:
        self.connection.execute(
            "INSERT OR REPLACE INTO receipts (hash, rlp) VALUES (?, ?)", (block_hash, rlp)
        )

    def get_receipts(self, block_hash: bytes) -> bytes | None:
        row = self.connection.execute(
            "SELECT rlp FROM receipts WHERE hash = ?", (block_hash,)
        ).fetchone()
        return None if row is None else bytes(row[0])

    # --- canonical index ------------------------------------------------------------------

    def set_canonical(self, number: int, block_hash: bytes) -> None:
        self.connection.execute(
            "INSERT OR REPLACE INTO canonical (number, hash) VALUES (?, ?)", (number, block_hash)
        )

    def delete_canonical_above(self, number: int) -> list[bytes]:
        """Drop the canonical entries above `number`; return their hashes, highest first."""
        rows = self.connection.execute(
            "SELECT hash FROM canonical WHERE number > ? ORDER BY number DESC", (number,)
        ).fetchall()
        self.connection.execute("DELETE FROM canonical WHERE number > ?", (number,))
        return [bytes(row[0]) for row in rows]

    def get_canonical(self, number: int) -> bytes | None:
        row = self.connection.execute(
            "SELECT hash FROM canonical WHERE number = ?", (number,)
        ).fetchone()
        return None if row is None else bytes(row[0])

    def canonical_range(self, first: int, last: int) -> list[bytes]:
        """Canonical hashes of blocks first..last inclusive, in order."""
        rows = self.connection.execute(
            "SELECT hash FROM canonical WHERE number BETWEEN ? AND ? ORDER BY number",
            (first, last),
        ).fetchall()
        return [bytes(row[0]) for row in rows]

    # --- transaction index ----------------------------------------------------------------

    def put_tx_location(self, tx_hash: bytes, block_hash: bytes, position: int) -> None:
        self.connection.execute(
            "INSERT OR REPLACE INTO tx_index (tx_hash, block_hash, position) VALUES (?, ?, ?)",
            (tx_hash, block_hash, position),
        )

    def delete_tx_location(self, tx_hash: bytes, block_hash: bytes) -> None:
        self.connection.execute(
            "DELETE FROM tx_index WHERE tx_hash = ? AND block_hash = ?", (tx_hash, block_hash)
        )

    def get_tx_location(self, tx_hash: bytes) -> tuple[bytes, int] | None:
        row = self.connection.execute(
            "SELECT block_hash, position FROM tx_index WHERE tx_hash = ?", (tx_hash,)
        ).fetchone()
        return None if row is None else (bytes(row[0]), int(row[1]))

    # --- metadata (head, genesis) ---------------------------------------------------------

    def set_meta(self, key: str, value: bytes) -> None:
        self.connection.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value)
        )

    def get_meta(self, key: str) -> bytes | None:
        row = self.connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])


class BufferedNodeStore:
    """Trie nodes and code written during a block, kept in a dict and inserted into SQLite in one
    `executemany` when the block's transaction commits (one statement per node cost more than
    the hashing). Reads see the pending writes first.

    With `defer` > 0 (a temporary database, where nothing has to survive a crash) the nodes of
    finished blocks stay in a second dict until it holds `defer` of them, and then go into
    SQLite in one statement, in key order. Node hashes are random, so each node inserted on
    its own dirtied a page of its own: that was about half of the database's time per block.
    """

    def __init__(self, backing: SqliteNodeStore, defer: int = 0) -> None:
        self.backing = backing
        self.defer = defer
        self._pending: dict[bytes, bytes] = {}
        self._unwritten: dict[bytes, bytes] = {}  # committed, not inserted yet (defer > 0)

    def get(self, key: bytes) -> bytes | None:
        value = self._pending.get(key)
        if value is None:
            value = self._unwritten.get(key)
        return value if value is not None else self.backing.get(key)

    def put(self, key: bytes, value: bytes) -> None:
        self._pending[key] = value

    def delete(self, key: bytes) -> None:
        self._pending.pop(key, None)
        self._unwritten.pop(key, None)
        self.backing.delete(key)

    def write(self) -> None:
        """Insert the pending nodes (inside the caller's database transaction), unless they are
        deferred: then `committed()` takes them once the unit of writes has finished."""
        if self._pending and not self.defer:
            self._insert(self._pending.items())
            self._pending.clear()

    def committed(self) -> bool:
        """The caller's unit of writes finished: keep its nodes for later (deferred). True when
        there are `defer` of them waiting: time for `insert_deferred`."""
        if not self.defer or not self._pending:
            return False
        self._unwritten.update(self._pending)
        self._pending.clear()
        return len(self._unwritten) >= self.defer

    def insert_deferred(self) -> None:
        """Insert the deferred nodes, in key order (inside the caller's database transaction)."""
        self._insert(sorted(self._unwritten.items(), key=itemgetter(0)))
        self._unwritten.clear()

    def _insert(self, items: Iterable[tuple[bytes, bytes]]) -> None:
        self.backing.connection.executemany(
            f"INSERT OR REPLACE INTO {NODE_TABLE} (hash, node) VALUES (?, ?)", items
        )

    def discard(self) -> None:
        """Drop the writes of a transaction that rolled back."""
        self._pending.clear()

    def __len__(self) -> int:
        return len(self.backing) + len(self._pending) + len(self._unwritten)

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
Since nothing there has to survive a crash, a block's rows wait in dicts (read before the
tables) and go into SQLite every 256 blocks, and trie nodes wait until there are thousands to
insert at once, into a second temporary database of their own, from a worker thread (both
without a rollback journal, whose copies of the pages touched would swell the process).
This module stores bytes under keys; it decodes nothing and knows no validity rule.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pyeth.db.sqlite import TABLE as NODE_TABLE
from pyeth.db.sqlite import PackedNodes, SqliteNodeStore, pack_nodes

log = logging.getLogger(__name__)

SCHEMA_VERSION: Final = 1
DATABASE_FILE: Final = "chain.sqlite"
# Page caches of the temporary databases (no datadir): the rows' and the trie nodes'. The rows'
# was 16 MiB while every block looked its hash up among the headers (4 MiB was ~10% slower
# then); since the header filter spares that lookup, 4 MiB is as fast (switched every 512
# blocks in one process, to 16,000 blocks) and the process 12 MiB smaller at 12,000 blocks.
TEMPORARY_CACHE_KIB: Final = 4 * 1024
TEMPORARY_NODES_CACHE_KIB: Final = 8 * 1024
# The temporary database's filter of header hashes: 128 KiB, ~1e-4 false positives at 15,000
# blocks, 2% at 100,000.
HEADER_FILTER_BITS: Final = 1 << 20
# The temporary database (no datadir: nothing has to survive a crash) keeps the rows of finished
# units of `transaction()` (blocks) in dicts and inserts them once per this many units, and
# holds their trie nodes until there are DEFERRED_NODES (about 300 bytes each: ~6 MiB at most).
# 256 units rather than 64 took 11-20 us off an automined transfer (fewer commits, and more rows
# of each B-tree page per insert; switched every 512 blocks in one process); 1024, nothing more.
UNITS_PER_COMMIT: Final = 256
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
    # Senders of the transactions a dev node sent as an account whose key it lacks
    # (anvil_impersonateAccount): their signatures recover nothing, so this is where they are.
    """CREATE TABLE IF NOT EXISTS impersonated (
        tx_hash BLOB PRIMARY KEY, sender BLOB NOT NULL) WITHOUT ROWID""",
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
        if path is not None:
            self.nodes = BufferedNodeStore(SqliteNodeStore(self.connection))
        else:
            self.nodes = BufferedNodeStore(
                SqliteNodeStore(_temporary_database(TEMPORARY_NODES_CACHE_KIB), appended=True),
                defer=DEFERRED_NODES,
            )
        self._depth = 0
        # The temporary database's rows not in SQLite yet, by table: the current unit's, and
        # the finished units' since the last insert (None for a deleted row). None on a file.
        self._rows: dict[str, dict] | None = None if path is not None else {n: {} for n in _TABLES}
        self._unit_rows: dict[str, dict] = {name: {} for name in _TABLES}
        self._units = 0  # finished units whose rows wait (temporary database)
        # The temporary database starts empty, so a filter of every header hash put can say
        # "not stored" without a query: a new block's lookup missed SQLite's pages at ~28 us.
        self._header_filter = None if path is not None else HashFilter(HEADER_FILTER_BITS)
        # Whether any block holds an impersonated transaction: if none, a decoded block's
        # transactions need no lookup.
        self.any_impersonated = (
            path is not None
            and self.connection.execute("SELECT 1 FROM impersonated LIMIT 1").fetchone() is not None
        )
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
        # The temporary databases go away with their connections, waiting rows and all.
        self.nodes.wait()
        if self.nodes.backing.connection is not self.connection:
            self.nodes.backing.connection.close()
        self.connection.close()

    # --- transactions ---------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of writes; nested uses join the outermost one.

        On a file each unit is a database transaction of its own. On the temporary database
        (nothing survives the process anyway) a unit's rows and trie nodes wait in dicts, read
        before the tables, and go into SQLite every UNITS_PER_COMMIT units, in key order, one
        `executemany` a table (the nodes when DEFERRED_NODES have gathered): a statement per
        row was about a fifth of a dev node's time per block. Either way a unit that raises
        leaves nothing behind, and readers see every finished unit.
        """
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        connection = self.connection
        if self._rows is None:
            connection.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
            self.nodes.write()
        except BaseException:
            self._depth = 0
            self.nodes.discard()
            if self._rows is None:
                connection.execute("ROLLBACK")
            else:
                for rows in self._unit_rows.values():
                    rows.clear()
            raise
        self._depth = 0
        if self._rows is None:
            connection.execute("COMMIT")
            return
        for name, rows in self._unit_rows.items():
            if rows:
                self._rows[name].update(rows)
                rows.clear()
        self._units += 1
        nodes_due = self.nodes.committed()
        if nodes_due or self._units >= UNITS_PER_COMMIT:
            self._insert_rows()
        if nodes_due:
            self.nodes.insert_deferred()

    def flush(self) -> None:
        """Put every row and trie node still waiting into the SQLite tables now (temporary
        database; a file has none waiting). Not inside a unit."""
        if self._rows is not None and not self._depth:
            self._insert_rows()
            self.nodes.committed()
            self.nodes.insert_deferred()
            self.nodes.wait()

    def _insert_rows(self) -> None:
        """Write the finished units' rows, in key order, in one transaction without a rollback
        journal (temporary database). The rows stay in their dicts, read first, until the
        commit; if it fails, the next insert writes them all again, and every statement here
        (insert-or-replace, delete by key) can run twice. The journal's page copies took about a
        fifth of this insert's time (63-66 -> 49-52 us per automined transfer)."""
        assert self._rows is not None
        self._units = 0
        if not any(self._rows.values()):
            return
        connection = self.connection
        connection.execute("PRAGMA journal_mode=OFF")
        try:
            connection.execute("BEGIN IMMEDIATE")
            for name, rows in self._rows.items():
                table = _TABLES[name]
                written = [(key, *row) for key, row in sorted(rows.items()) if row is not None]
                deleted = [(key,) for key, row in rows.items() if row is None]
                if deleted:
                    connection.executemany(table.delete, deleted)
                if written:
                    connection.executemany(table.insert, written)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                # A rollback without a journal is undefined: keep what was written instead.
                connection.execute("COMMIT")
            raise
        finally:
            connection.execute("PRAGMA journal_mode=MEMORY")
        for rows in self._rows.values():
            rows.clear()

    # --- rows -----------------------------------------------------------------------------

    def _put(self, name: str, key: object, row: tuple) -> None:
        if self._rows is None:
            self.connection.execute(_TABLES[name].insert, (key, *row))
        else:
            self._unit_rows[name][key] = row

    def _get(self, name: str, key: object) -> tuple | None:
        if self._rows is not None:
            row = self._unit_rows[name].get(key, _ABSENT)
            if row is _ABSENT:
                row = self._rows[name].get(key, _ABSENT)
            if row is not _ABSENT:
                return row  # type: ignore[return-value]
        return self.connection.execute(_TABLES[name].select, (key,)).fetchone()

    def _delete(self, name: str, key: object) -> None:
        if self._rows is None:
            self.connection.execute(_TABLES[name].delete, (key,))
        else:
            self._unit_rows[name][key] = None

    def _waiting(self, name: str) -> dict:
        """The rows of table `name` not in SQLite yet, the current unit's over the finished
        ones' (None: deleted); empty on a file."""
        if self._rows is None:
            return {}
        return {**self._rows[name], **self._unit_rows[name]}

    # --- headers, bodies, receipts ----------------------------------------------------------

    def put_header(
        self, block_hash: bytes, number: int, parent: bytes, score: int, rlp: bytes
    ) -> None:
        if self._header_filter is not None:
            self._header_filter.add(block_hash)
        self._put("headers", block_hash, (number, parent, score.to_bytes(32, "big"), rlp))

    def _header_row(self, block_hash: bytes) -> tuple | None:
        header_filter = self._header_filter
        if header_filter is not None and not header_filter.may_contain(block_hash):
            return None
        return self._get("headers", block_hash)

    def get_header(self, block_hash: bytes) -> bytes | None:
        row = self._header_row(block_hash)
        return None if row is None else bytes(row[3])

    def get_score(self, block_hash: bytes) -> int | None:
        row = self._header_row(block_hash)
        return None if row is None else int.from_bytes(row[2], "big")

    def get_parent(self, block_hash: bytes) -> tuple[int, bytes] | None:
        """(number, parent hash) of a stored header."""
        row = self._header_row(block_hash)
        return None if row is None else (int(row[0]), bytes(row[1]))

    def has_header(self, block_hash: bytes) -> bool:
        return self._header_row(block_hash) is not None

    def put_body(self, block_hash: bytes, rlp: bytes) -> None:
        self._put("bodies", block_hash, (rlp,))

    def get_body(self, block_hash: bytes) -> bytes | None:
        row = self._get("bodies", block_hash)
        return None if row is None else bytes(row[0])

    def put_receipts(self, block_hash: bytes, rlp: bytes) -> None:
        self._put("receipts", block_hash, (rlp,))

    def get_receipts(self, block_hash: bytes) -> bytes | None:
        row = self._get("receipts", block_hash)
        return None if row is None else bytes(row[0])

    # --- canonical index ------------------------------------------------------------------

    def set_canonical(self, number: int, block_hash: bytes) -> None:
        self._put("canonical", number, (block_hash,))

    def delete_canonical_above(self, number: int) -> list[bytes]:
        """Drop the canonical entries above `number`; return their hashes, highest first."""
        found = self._canonical_between(number + 1, None)
        for above in found:
            self._delete("canonical", above)
        return [found[n] for n in sorted(found, reverse=True)]

    def get_canonical(self, number: int) -> bytes | None:
        row = self._get("canonical", number)
        return None if row is None else bytes(row[0])

    def canonical_range(self, first: int, last: int) -> list[bytes]:
        """Canonical hashes of blocks first..last inclusive, in order."""
        found = self._canonical_between(first, last)
        return [found[n] for n in sorted(found)]

    def _canonical_between(self, first: int, last: int | None) -> dict[int, bytes]:
        """Number -> hash of the canonical entries from `first` to `last` (None: no end)."""
        if last is None:
            rows = self.connection.execute(
                "SELECT number, hash FROM canonical WHERE number >= ?", (first,)
            )
        else:
            rows = self.connection.execute(
                "SELECT number, hash FROM canonical WHERE number BETWEEN ? AND ?", (first, last)
            )
        found = {int(n): bytes(h) for n, h in rows}
        for n, row in self._waiting("canonical").items():
            if n >= first and (last is None or n <= last):
                if row is None:
                    found.pop(n, None)
                else:
                    found[n] = bytes(row[0])
        return found

    # --- transaction index ----------------------------------------------------------------

    def put_tx_location(self, tx_hash: bytes, block_hash: bytes, position: int) -> None:
        self._put("tx_index", tx_hash, (block_hash, position))

    def delete_tx_location(self, tx_hash: bytes, block_hash: bytes) -> None:
        """Forget where `tx_hash` is, if it is in block `block_hash`."""
        location = self.get_tx_location(tx_hash)
        if location is not None and location[0] == block_hash:
            self._delete("tx_index", tx_hash)

    def get_tx_location(self, tx_hash: bytes) -> tuple[bytes, int] | None:
        row = self._get("tx_index", tx_hash)
        return None if row is None else (bytes(row[0]), int(row[1]))

    # --- impersonated senders (dev node) ----------------------------------------------------

    def put_impersonated(self, tx_hash: bytes, sender: bytes) -> None:
        self._put("impersonated", tx_hash, (sender,))
        self.any_impersonated = True

    def get_impersonated(self, tx_hash: bytes) -> bytes | None:
        row = self._get("impersonated", tx_hash)
        return None if row is None else bytes(row[0])

    # --- metadata (head, genesis) ---------------------------------------------------------

    def set_meta(self, key: str, value: bytes) -> None:
        self._put("meta", key, (value,))

    def get_meta(self, key: str) -> bytes | None:
        row = self._get("meta", key)
        return None if row is None else bytes(row[0])


@dataclass(frozen=True, slots=True)
class _Table:
    """The statements of one table, keyed by its first column."""

    insert: str
    select: str
    delete: str


def _temporary_database(cache_kib: int) -> sqlite3.Connection:
    """A private temporary database for the trie nodes: no rollback journal (an insert cut
    short leaves nothing wrong), no syncs, a bounded page cache. Usable from any thread."""
    connection = sqlite3.connect("", isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute(f"PRAGMA cache_size=-{cache_kib}")
    return connection


def _table(name: str, key: str, columns: str) -> _Table:
    marks = ",".join("?" * (1 + columns.count(",") + 1))
    return _Table(
        f"INSERT OR REPLACE INTO {name} ({key}, {columns}) VALUES ({marks})",
        f"SELECT {columns} FROM {name} WHERE {key} = ?",
        f"DELETE FROM {name} WHERE {key} = ?",
    )


_TABLES: Final = {
    "headers": _table("headers", "hash", "number, parent, score, rlp"),
    "bodies": _table("bodies", "hash", "rlp"),
    "receipts": _table("receipts", "hash", "rlp"),
    "canonical": _table("canonical", "number", "hash"),
    "tx_index": _table("tx_index", "tx_hash", "block_hash, position"),
    "meta": _table("meta", "key", "value"),
    "impersonated": _table("impersonated", "tx_hash", "sender"),
}
_ABSENT: Final = object()


class HashFilter:
    """A Bloom filter of 32-byte hashes: `may_contain` is True for every hash added, and for
    others rarely (three 20-bit probes, so ~1e-4 at 15,000 hashes in 2^20 bits; a full filter
    only costs the queries it would have saved). The hashes are keccak outputs, so their own
    bytes serve as the probes."""

    def __init__(self, bits: int) -> None:
        if bits & (bits - 1) or bits < 8:
            raise ValueError(f"a filter's size is a power of two of at least 8 bits, not {bits}")
        self._bits = bytearray(bits // 8)
        self._mask = bits - 1

    def _probes(self, digest: bytes) -> tuple[int, int, int]:
        mask = self._mask
        return (
            int.from_bytes(digest[0:4], "little") & mask,
            int.from_bytes(digest[4:8], "little") & mask,
            int.from_bytes(digest[8:12], "little") & mask,
        )

    def add(self, digest: bytes) -> None:
        bits = self._bits
        for probe in self._probes(digest):
            bits[probe >> 3] |= 1 << (probe & 7)

    def may_contain(self, digest: bytes) -> bool:
        bits = self._bits
        return all(bits[probe >> 3] & (1 << (probe & 7)) for probe in self._probes(digest))


class BufferedNodeStore:
    """Trie nodes and code written during a block, kept in a dict and inserted into SQLite in one
    `executemany` when the block's transaction commits (one statement per node cost more than
    the hashing). Reads see the pending writes first.

    With `defer` > 0 (a temporary database, where nothing has to survive a crash) the nodes of
    finished blocks stay in a second dict until it holds `defer` of them, and then go into
    SQLite in one statement (each node inserted on its own dirtied a page of its own: that
    was about half of the database's time per block). Such a `backing` store has a database
    of its own, and a worker thread inserts into it (`SqliteNodeStore.insert_packed` holds no
    GIL) while the chain goes on; the nodes stay readable here until their insert has
    finished. Inserted by the chain's thread, in stops of ~200 ms every ~1,100 blocks, they
    took ~6% of a dev node's time per automined transfer.
    """

    def __init__(self, backing: SqliteNodeStore, defer: int = 0) -> None:
        self.backing = backing
        self.defer = defer
        self._pending: dict[bytes, bytes] = {}
        self._unwritten: dict[bytes, bytes] = {}  # committed, not inserted yet (defer > 0)
        self._in_flight: dict[bytes, bytes] = {}  # being inserted by `_worker`
        self._worker: threading.Thread | None = None
        self._worker_error: Exception | None = None

    def get(self, key: bytes) -> bytes | None:
        value = self._pending.get(key)
        if value is None:
            value = self._unwritten.get(key)
            if value is None:
                value = self._in_flight.get(key)
        return value if value is not None else self.backing.get(key)

    def put(self, key: bytes, value: bytes) -> None:
        self._pending[key] = value

    def delete(self, key: bytes) -> None:
        self.wait()
        self._pending.pop(key, None)
        self._unwritten.pop(key, None)
        self.backing.delete(key)

    def write(self) -> None:
        """Insert the pending nodes (inside the caller's database transaction), unless they are
        deferred: then `committed()` takes them once the unit of writes has finished."""
        if self._pending and not self.defer:
            self.backing.connection.executemany(
                # A node's key is its hash: one already there is the same node.
                f"INSERT OR IGNORE INTO {NODE_TABLE} (hash, node) VALUES (?, ?)",
                self._pending.items(),
            )
            self._pending.clear()

    def committed(self) -> bool:
        """The caller's unit of writes finished: keep its nodes for later (deferred). True when
        there are `defer` of them waiting: time for `insert_deferred`."""
        if not self.defer or not self._pending:
            return False
        self._unwritten.update(self._pending)
        self._pending.clear()
        return len(self._unwritten) >= self.defer

    @property
    def deferred(self) -> int:
        """How many nodes of finished units wait to be inserted (or are being inserted)."""
        return len(self._unwritten) + len(self._in_flight)

    def insert_deferred(self) -> None:
        """Start inserting the deferred nodes in a worker thread, after the previous insert
        (if one runs) has finished."""
        self.wait()
        if not self._unwritten:
            return
        self._in_flight, self._unwritten = self._unwritten, {}
        packed = pack_nodes(self._in_flight)
        self._worker = threading.Thread(
            target=self._insert_packed, args=(packed,), name="pyeth-trie-nodes", daemon=True
        )
        self._worker.start()

    def _insert_packed(self, packed: PackedNodes) -> None:
        """The worker: one transaction on the nodes' own database (no rollback journal there,
        and an insert cut short leaves nothing wrong: every row is a node under its hash)."""
        connection = self.backing.connection
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                self.backing.insert_packed(packed)
            finally:
                connection.execute("COMMIT")
        except Exception as exc:  # reported by `wait`, in the chain's thread
            self._worker_error = exc
            return
        # In the table now: out of memory at once (a reader still holding the old dict finds
        # its node there, or in SQLite).
        self._in_flight = {}

    def wait(self) -> None:
        """Let a running insert finish. Its nodes then leave memory, or if it failed (the
        temporary file's disk full, say) they wait for the next insert, and the error is
        logged: the chain goes on from memory meanwhile."""
        worker = self._worker
        if worker is None:
            return
        worker.join()
        self._worker = None
        error, self._worker_error = self._worker_error, None
        if error is not None:
            log.error("inserting %d trie nodes failed, will retry: %s", len(self._in_flight), error)
            self._unwritten = {**self._in_flight, **self._unwritten}
            self._in_flight = {}

    def discard(self) -> None:
        """Drop the writes of a transaction that rolled back."""
        self._pending.clear()

    def __len__(self) -> int:
        self.wait()
        return len(self.backing) + len(self._pending) + len(self._unwritten)

"""The chain's database: units of writes on a file (a transaction each) and on the temporary
database (rows waiting in dicts, inserted every UNITS_PER_COMMIT units, trie nodes deferred),
both all-or-nothing."""

import logging
import sqlite3
import threading
from pathlib import Path

import pytest
from chain_helpers import ADDRESSES, extend, make_genesis, transfer
from hypothesis import given
from hypothesis import strategies as st

from pyeth.chain import Chain
from pyeth.chain import store as store_module
from pyeth.chain.store import UNITS_PER_COMMIT, ChainStore, HashFilter
from pyeth.db.sqlite import PackedNodes
from pyeth.hashing import keccak256
from pyeth.trie import SecureTrie


def _node(i: int) -> tuple[bytes, bytes]:
    value = b"node %d" % i
    return keccak256(value), value


def _table(store: ChainStore) -> set[bytes]:
    """The hashes in the nodes' table, once a running insert has finished."""
    store.nodes.wait()
    connection = store.nodes.backing.connection
    return {bytes(h) for (h,) in connection.execute("SELECT hash FROM trie_nodes")}


@pytest.fixture(params=["temporary", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ChainStore:
    path = None if request.param == "temporary" else tmp_path / "chain.sqlite"
    return ChainStore(path)


def test_a_unit_that_raises_leaves_nothing_and_the_earlier_ones_stay(store: ChainStore) -> None:
    kept, dropped = _node(1), _node(2)
    with store.transaction():
        store.nodes.put(*kept)
        store.set_meta("kept", b"1")
    with pytest.raises(RuntimeError), store.transaction():
        store.nodes.put(*dropped)
        store.set_meta("dropped", b"1")
        raise RuntimeError("boom")
    assert store.get_meta("kept") == b"1" and store.get_meta("dropped") is None
    assert store.nodes.get(kept[0]) == kept[1]
    assert store.nodes.get(dropped[0]) is None
    assert dropped[0] not in _table(store)


def test_a_file_commits_every_unit_and_inserts_its_nodes_at_once(tmp_path: Path) -> None:
    store = ChainStore(tmp_path / "chain.sqlite")
    key, value = _node(1)
    with store.transaction():
        store.nodes.put(key, value)
    assert not store.connection.in_transaction
    assert key in _table(store)


def _meta_rows(store: ChainStore) -> dict[str, bytes]:
    return {k: bytes(v) for k, v in store.connection.execute("SELECT key, value FROM meta")}


def test_the_temporary_database_inserts_rows_every_few_units() -> None:
    store = ChainStore(None)
    for _ in range(UNITS_PER_COMMIT):  # to the first insert (opening wrote a unit or so)
        with store.transaction():
            store.set_meta("n", b"")
        if "n" in _meta_rows(store):
            break
    assert _meta_rows(store)["n"] == b""
    for i in range(UNITS_PER_COMMIT - 1):
        with store.transaction():
            store.set_meta("n", i.to_bytes(4, "big"))
        assert _meta_rows(store)["n"] == b""  # waiting, and read before the table
        assert store.get_meta("n") == i.to_bytes(4, "big")
    with store.transaction():
        store.set_meta("n", b"last")
    assert _meta_rows(store)["n"] == b"last"
    assert not store.connection.in_transaction


class _FailingOnce:
    """The store's connection, with the next `executemany` on `table` failing."""

    def __init__(self, connection: sqlite3.Connection, table: str) -> None:
        self.connection = connection
        self.table = table

    def executemany(self, sql: str, rows: object) -> sqlite3.Cursor:
        if self.table and f" {self.table} " in sql:
            self.table = ""
            raise sqlite3.OperationalError("database or disk is full")
        return self.connection.executemany(sql, rows)

    def __getattr__(self, name: str) -> object:
        return getattr(self.connection, name)


def test_rows_whose_insert_failed_stay_readable_and_go_in_with_the_next() -> None:
    """The rows are inserted without a rollback journal: a failed insert ends its transaction
    keeping what it wrote, the rows stay waiting, and the next insert writes them all."""
    store = ChainStore(None)
    store.flush()
    real = store.connection
    store.connection = _FailingOnce(real, "canonical")  # type: ignore[assignment]
    with pytest.raises(sqlite3.OperationalError):
        for number in range(UNITS_PER_COMMIT):
            with store.transaction():
                store.set_canonical(number, bytes([number]) * 32)
                store.set_meta("n", number.to_bytes(4, "big"))
    assert not real.in_transaction
    assert real.execute("PRAGMA journal_mode").fetchone()[0] == "memory"
    assert store.canonical_range(0, number) == [bytes([n]) * 32 for n in range(number + 1)]
    store.flush()
    assert _meta_rows(store)["n"] == number.to_bytes(4, "big")
    table = dict(real.execute("SELECT number, hash FROM canonical"))
    assert table == {n: bytes([n]) * 32 for n in range(number + 1)}


def test_waiting_canonical_rows_and_deletions_merge_with_the_table() -> None:
    """Reorg bookkeeping on the temporary database: ranges and deletions see rows whether they
    are in SQLite or still waiting, and a unit that raises leaves no deletion behind."""
    store = ChainStore(None)
    with store.transaction():
        for n in range(10):
            store.set_canonical(n, bytes([n]) * 32)
            store.put_tx_location(bytes([n]) * 32, bytes([n]) * 32, 0)
    store.flush()
    with store.transaction():
        for n in range(10, 14):
            store.set_canonical(n, bytes([n]) * 32)
    assert store.canonical_range(8, 11) == [bytes([n]) * 32 for n in range(8, 12)]
    with pytest.raises(RuntimeError), store.transaction():
        store.delete_canonical_above(5)
        raise RuntimeError("boom")
    assert store.get_canonical(12) == bytes([12]) * 32
    with store.transaction():
        dropped = store.delete_canonical_above(7)
        store.delete_tx_location(bytes([9]) * 32, bytes([9]) * 32)
        store.delete_tx_location(bytes([8]) * 32, b"another block" * 2)  # not where it is
    assert dropped == [bytes([n]) * 32 for n in range(13, 7, -1)]
    assert store.canonical_range(0, 20) == [bytes([n]) * 32 for n in range(8)]
    assert store.get_tx_location(bytes([9]) * 32) is None
    assert store.get_tx_location(bytes([8]) * 32) == (bytes([8]) * 32, 0)
    store.flush()
    assert store.connection.execute("SELECT MAX(number) FROM canonical").fetchone()[0] == 7
    assert store.canonical_range(0, 20) == [bytes([n]) * 32 for n in range(8)]


def test_deferred_nodes_are_read_before_they_are_inserted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(store_module, "DEFERRED_NODES", 10)
    store = ChainStore(None)
    nodes = [_node(i) for i in range(25)]
    # Three nodes a unit: inserted once 10 or more wait, after the 4th and the 8th unit.
    expected_in_table = [0, 0, 0, 12, 12, 12, 12, 24, 24]
    for unit, start in enumerate(range(0, 25, 3)):
        with store.transaction():
            for key, value in nodes[start : start + 3]:
                store.nodes.put(key, value)
        assert _table(store) == {key for key, _ in nodes[: expected_in_table[unit]]}
        for key, value in nodes[: start + 3]:
            assert store.nodes.get(key) == value
    # The nodes have a temporary database of their own, without a rollback journal.
    assert store.nodes.backing.connection is not store.connection
    assert store.nodes.backing.connection.execute("PRAGMA journal_mode").fetchone()[0] == "off"
    assert len(store.nodes) == 25


def test_nodes_stay_readable_while_a_worker_inserts_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """The insert runs in a thread; meanwhile blocks go on committing and every node reads
    back, whether in flight, deferred again or pending."""
    monkeypatch.setattr(store_module, "DEFERRED_NODES", 4)
    store = ChainStore(None)
    store.flush()
    backing = store.nodes.backing
    release, started = threading.Event(), threading.Event()
    insert = backing.insert_packed

    def held_insert(packed: PackedNodes) -> None:
        started.set()
        assert release.wait(10)
        insert(packed)

    monkeypatch.setattr(backing, "insert_packed", held_insert)
    nodes = [_node(i) for i in range(10)]
    for key, value in nodes[:4]:
        with store.transaction():
            store.nodes.put(key, value)
    assert started.wait(10)
    assert threading.current_thread() is threading.main_thread()
    for key, value in nodes[4:7]:  # the chain goes on while the first four are in flight
        with store.transaction():
            store.nodes.put(key, value)
            store.set_meta("last", key)
    assert store.nodes.deferred == 7
    assert all(store.nodes.get(key) == value for key, value in nodes[:7])
    release.set()
    assert _table(store) == {key for key, _ in nodes[:4]}
    assert all(store.nodes.get(key) == value for key, value in nodes[:7])
    store.flush()
    assert _table(store) == {key for key, _ in nodes[:7]}
    assert store.nodes.deferred == 0
    store.close()


def test_nodes_whose_insert_failed_stay_deferred_and_go_in_with_the_next(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(store_module, "DEFERRED_NODES", 4)
    store = ChainStore(None)
    store.flush()
    backing = store.nodes.backing
    insert = backing.insert_packed
    calls = []

    def failing_once(packed: PackedNodes) -> None:
        calls.append(packed[3])
        if len(calls) == 1:
            raise sqlite3.OperationalError("database or disk is full")
        insert(packed)

    monkeypatch.setattr(backing, "insert_packed", failing_once)
    nodes = [_node(i) for i in range(5)]
    for key, value in nodes[:4]:
        with store.transaction():
            store.nodes.put(key, value)
    with caplog.at_level(logging.ERROR):
        assert _table(store) == set()
    assert "inserting 4 trie nodes failed, will retry: database or disk is full" in caplog.text
    assert not backing.connection.in_transaction
    assert store.nodes.deferred == 4
    assert all(store.nodes.get(key) == value for key, value in nodes[:4])
    with store.transaction():  # the fifth: five wait, all go in
        store.nodes.put(*nodes[4])
    assert _table(store) == {key for key, _ in nodes}
    assert calls == [4, 5] and store.nodes.deferred == 0
    assert all(store.nodes.get(key) == value for key, value in nodes)


def test_a_chain_on_the_temporary_database_keeps_every_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Many blocks, deferred nodes inserted several times on the way: every block's state is
    whole (the tries of each read from the store alone, not from a cached state)."""
    monkeypatch.setattr(store_module, "DEFERRED_NODES", 50)
    chain = Chain.open(None, make_genesis())
    txs = [[transfer(0, n, ADDRESSES[1 + n % 3], n + 1)] for n in range(UNITS_PER_COMMIT + 10)]
    blocks = extend(chain, len(txs), txs_per_block=txs)
    assert len(_table(chain.store)) > 50
    for block in blocks:
        state = SecureTrie(chain.store.nodes, block.header.state_root)
        assert sum(1 for _ in state.items()) >= 4
    fresh = chain.state_at(chain.head.state_root)
    assert fresh.get_nonce(ADDRESSES[0]) == len(txs)
    chain.close()


@given(st.lists(st.binary(min_size=32, max_size=32), max_size=200), st.binary(min_size=32))
def test_the_hash_filter_contains_every_hash_added(added: list[bytes], other: bytes) -> None:
    small = HashFilter(64)  # crowded: false positives are allowed, false negatives never
    for digest in added:
        small.add(digest)
    assert all(small.may_contain(digest) for digest in added)
    assert HashFilter(1 << 20).may_contain(other) is False  # nothing added yet
    with pytest.raises(ValueError):
        HashFilter(1000)


def test_header_lookups_of_unknown_hashes_skip_sqlite_on_the_temporary_database(
    store: ChainStore,
) -> None:
    known = [keccak256(b"header %d" % i) for i in range(300)]
    for number, block_hash in enumerate(known):
        with store.transaction():
            store.put_header(block_hash, number, bytes(32), number, b"\xc0")
    store.flush()  # the rows are in the table, out of the waiting dicts
    queries: list[str] = []
    store.connection.set_trace_callback(queries.append)
    unknown = [keccak256(b"unknown %d" % i) for i in range(300)]
    assert not any(store.has_header(h) for h in unknown)
    assert all(store.get_header(h) is None and store.get_score(h) is None for h in unknown)
    assert all(store.has_header(h) for h in known)
    assert [store.get_parent(h) for h in known[:2]] == [(0, bytes(32)), (1, bytes(32))]
    header_queries = [q for q in queries if "FROM headers" in q]
    if store.path is None:  # only the known hashes were looked up in SQLite
        assert len(header_queries) == len(known) + 2
    else:  # a file may hold headers of earlier runs: every lookup asks SQLite
        assert len(header_queries) == 3 * len(unknown) + len(known) + 2

"""Node stores: memory and SQLite behave alike, and SQLite leaves commits to its caller."""

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyeth.db import MemoryNodeStore, NodeStore, SqliteNodeStore
from pyeth.db.sqlite import pack_nodes
from pyeth.trie import Trie, trie_root


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest) -> NodeStore:
    if request.param == "memory":
        return MemoryNodeStore()
    return SqliteNodeStore(":memory:")


def test_get_put_delete(store: NodeStore) -> None:
    assert store.get(b"k" * 32) is None
    store.put(b"k" * 32, b"node")
    assert store.get(b"k" * 32) == b"node"
    store.put(b"k" * 32, b"other")
    assert store.get(b"k" * 32) == b"other"
    store.delete(b"k" * 32)
    assert store.get(b"k" * 32) is None
    store.delete(b"k" * 32)  # deleting an absent key is a no-op


def test_sqlite_round_trip_through_file(tmp_path: Path) -> None:
    path = tmp_path / "nodes.sqlite"
    items = {bytes([i]) * (1 + i % 33): b"value-%d" % i * 5 for i in range(100)}
    store = SqliteNodeStore(path)
    assert store.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    trie = Trie(store)
    for key, value in items.items():
        trie.put(key, value)
    root = trie.commit()
    store.commit()
    store.close()

    reopened = SqliteNodeStore(path)
    trie = Trie(reopened, root)
    assert root == trie_root(items)
    assert dict(trie.items()) == items
    reopened.close()


def test_sqlite_does_not_commit_on_its_own(tmp_path: Path) -> None:
    path = tmp_path / "nodes.sqlite"
    store = SqliteNodeStore(path)
    store.put(b"a" * 32, b"first")
    store.commit()
    store.put(b"b" * 32, b"second")
    reader = sqlite3.connect(path)
    seen = {bytes(h) for (h,) in reader.execute("SELECT hash FROM trie_nodes")}
    assert seen == {b"a" * 32}  # the uncommitted write is invisible to other connections
    store.rollback()
    assert store.get(b"b" * 32) is None
    reader.close()
    store.close()


def test_sqlite_transaction_commits_or_rolls_back(tmp_path: Path) -> None:
    store = SqliteNodeStore(tmp_path / "nodes.sqlite")
    with store.transaction():
        store.put(b"a" * 32, b"kept")
    with pytest.raises(RuntimeError), store.transaction():
        store.put(b"b" * 32, b"dropped")
        raise RuntimeError("block import failed")
    assert store.get(b"a" * 32) == b"kept"
    assert store.get(b"b" * 32) is None
    store.close()


def test_sqlite_shares_a_borrowed_connection() -> None:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE headers (number INTEGER PRIMARY KEY, rlp BLOB)")
    store = SqliteNodeStore(connection)
    connection.execute("INSERT INTO headers VALUES (1, x'00')")
    store.put(b"h" * 32, b"node")
    connection.rollback()  # one transaction covered both tables
    assert store.get(b"h" * 32) is None
    assert connection.execute("SELECT COUNT(*) FROM headers").fetchone()[0] == 0
    store.close()  # borrowed: stays open
    assert connection.execute("SELECT 1").fetchone() == (1,)
    assert len(store) == 0


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(
        st.binary(min_size=32, max_size=32), st.binary(min_size=1, max_size=700), max_size=60
    ),
    st.booleans(),
)
def test_nodes_packed_into_one_statement_come_back_the_same(
    nodes: dict[bytes, bytes], appended: bool
) -> None:
    store = SqliteNodeStore(sqlite3.connect(""), appended=appended)
    store.put(b"\x01" * 32, b"already there")
    store.insert_packed(pack_nodes(nodes))
    store.insert_packed(pack_nodes(nodes))  # again: nothing doubles
    expected = {b"\x01" * 32: b"already there", **nodes}
    if b"\x01" * 32 in nodes:
        expected[b"\x01" * 32] = b"already there"  # insert-or-ignore keeps the stored one
    rows = dict(store.connection.execute("SELECT hash, node FROM trie_nodes").fetchall())
    assert rows == expected
    if appended:  # appended in the order given
        order = [
            bytes(h)
            for (h,) in store.connection.execute(
                "SELECT hash FROM trie_nodes WHERE id > 1 ORDER BY id"
            )
        ]
        assert order == [h for h in nodes if h != b"\x01" * 32]

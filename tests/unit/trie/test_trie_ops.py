"""The incremental trie: reads and writes, collapsing on delete, reopening from a committed root,
copies, and key order."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyeth.db import MemoryNodeStore
from pyeth.hashing import keccak256
from pyeth.trie import EMPTY_TRIE_ROOT, MissingTrieNode, SecureTrie, Trie, trie_root

# The "puppy" case of ethereum/tests trieanyorder.json.
PUPPY = {b"do": b"verb", b"horse": b"stallion", b"doge": b"coin", b"dog": b"puppy"}
PUPPY_ROOT = bytes.fromhex("5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84")


def _filled(items: dict[bytes, bytes], store: MemoryNodeStore | None = None) -> Trie:
    trie = Trie(MemoryNodeStore() if store is None else store)
    for key, value in items.items():
        trie.put(key, value)
    return trie


def test_empty_trie() -> None:
    trie = Trie(MemoryNodeStore())
    assert trie.root_hash == EMPTY_TRIE_ROOT
    assert EMPTY_TRIE_ROOT.hex() == (
        "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"
    )
    assert trie.get(b"anything") is None
    assert list(trie.items()) == []
    assert trie.commit() == EMPTY_TRIE_ROOT


def test_get_put_overwrite() -> None:
    trie = _filled(PUPPY)
    assert trie.root_hash == PUPPY_ROOT
    for key, value in PUPPY.items():
        assert trie.get(key) == value
    for absent in (b"", b"d", b"dogs", b"horses", b"x"):
        assert trie.get(absent) is None
    trie.put(b"dog", b"hound")
    assert trie.get(b"dog") == b"hound"
    assert trie.root_hash == trie_root({**PUPPY, b"dog": b"hound"})
    trie.put(b"dog", b"puppy")
    assert trie.root_hash == PUPPY_ROOT


def test_delete_restores_previous_root() -> None:
    trie = _filled(PUPPY)
    trie.put(b"dogs", b"plural")
    trie.put(b"d", b"prefix of all")
    assert trie.root_hash != PUPPY_ROOT
    trie.delete(b"dogs")
    trie.put(b"d", b"")  # an empty value deletes
    assert trie.get(b"d") is None
    assert trie.root_hash == PUPPY_ROOT
    trie.delete(b"never there")
    assert trie.root_hash == PUPPY_ROOT


def test_delete_everything_gives_empty_root() -> None:
    trie = _filled(PUPPY)
    for key in PUPPY:
        trie.delete(key)
    assert trie.root_hash == EMPTY_TRIE_ROOT
    assert list(trie.items()) == []


def test_empty_key_and_branch_values() -> None:
    items = {b"": b"root value", b"\x01": b"a", b"\x01\x02": b"b", b"\x01\x02\x03": b"c"}
    trie = _filled(items)
    assert all(trie.get(k) == v for k, v in items.items())
    assert trie.root_hash == trie_root(items)
    trie.delete(b"\x01\x02")
    del items[b"\x01\x02"]
    assert trie.root_hash == trie_root(items)
    assert trie.get(b"\x01\x02\x03") == b"c"


def test_reopen_from_committed_root() -> None:
    store = MemoryNodeStore()
    trie = _filled(PUPPY, store)
    assert len(store) == 0  # nothing is written before commit
    root = trie.commit()
    assert root == PUPPY_ROOT
    reopened = Trie(store, root)
    assert dict(reopened.items()) == PUPPY
    reopened.put(b"dog", b"hound")
    reopened.delete(b"horse")
    new_root = reopened.commit()
    assert new_root == trie_root({b"do": b"verb", b"doge": b"coin", b"dog": b"hound"})
    # The old root is still fully readable: committed nodes are never overwritten.
    assert dict(Trie(store, root).items()) == PUPPY
    assert Trie(store, new_root).get(b"dog") == b"hound"


def test_small_root_is_stored_by_hash() -> None:
    store = MemoryNodeStore()
    trie = _filled({b"a": b"b"}, store)
    root = trie.commit()
    assert Trie(store, root).get(b"a") == b"b"


def test_commit_writes_only_reachable_nodes() -> None:
    store = MemoryNodeStore()
    trie = Trie(store)
    for i in range(200):
        trie.put(keccak256(bytes([i])), b"v" * 40)
        assert trie.root_hash  # hash each intermediate state: none may leak into the store
    trie.commit()
    reachable = MemoryNodeStore()
    fresh = Trie(reachable)
    for i in range(200):
        fresh.put(keccak256(bytes([i])), b"v" * 40)
    fresh.commit()
    assert store.data == reachable.data


def test_missing_root_raises() -> None:
    trie = Trie(MemoryNodeStore(), keccak256(b"nowhere"))
    with pytest.raises(MissingTrieNode):
        trie.get(b"x")


def test_copy_is_independent() -> None:
    trie = _filled(PUPPY)
    snapshot = trie.copy()
    trie.put(b"cat", b"meow")
    assert snapshot.root_hash == PUPPY_ROOT
    assert snapshot.get(b"cat") is None
    assert trie.get(b"cat") == b"meow"


def test_secure_trie_hashes_keys() -> None:
    secure = SecureTrie(MemoryNodeStore())
    plain = Trie(MemoryNodeStore())
    for key, value in PUPPY.items():
        secure.put(key, value)
        plain.put(keccak256(key), value)
    assert secure.root_hash == plain.root_hash
    assert secure.get(b"dog") == b"puppy"
    assert {k for k, _ in secure.items()} == {keccak256(k) for k in PUPPY}


def test_items_and_neighbours() -> None:
    trie = _filled(PUPPY)
    keys = sorted(PUPPY)
    assert [k for k, _ in trie.items()] == keys
    assert trie.next_key(b"") == b"do"
    assert trie.next_key(b"do") == b"dog"
    assert trie.next_key(b"doga") == b"doge"
    assert trie.next_key(b"horse") is None
    assert trie.prev_key(b"do") is None
    assert trie.prev_key(b"dog\x00") == b"dog"
    assert trie.prev_key(b"z") == b"horse"


@settings(max_examples=200)
@given(
    st.sets(st.binary(max_size=3), max_size=30),
    st.lists(st.binary(max_size=4), max_size=10),
)
def test_neighbours_match_sorted_keys(stored: set[bytes], probes: list[bytes]) -> None:
    trie = Trie(MemoryNodeStore())
    for key in stored:
        trie.put(key, b"v" + key)
    ordered = sorted(stored)
    assert [k for k, _ in trie.items()] == ordered
    for probe in probes + ordered:
        assert trie.next_key(probe) == min((k for k in ordered if k > probe), default=None)
        assert trie.prev_key(probe) == max((k for k in ordered if k < probe), default=None)

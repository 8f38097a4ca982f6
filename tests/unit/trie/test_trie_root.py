"""`trie_root` against the incremental trie: same root whatever the insertion order or deletes."""

from hypothesis import given, settings
from hypothesis import strategies as st

from pyeth.db import MemoryNodeStore
from pyeth.hashing import keccak256
from pyeth.trie import EMPTY_TRIE_ROOT, SecureTrie, Trie, secure_trie_root, trie_root

# Short keys from a small alphabet share prefixes often, exercising extensions and branch values.
keys = st.one_of(
    st.binary(max_size=4).map(lambda b: bytes(x % 3 for x in b)),
    st.binary(min_size=32, max_size=32),
)
values = st.binary(min_size=1, max_size=70)
mappings = st.dictionaries(keys, values, max_size=40)


def test_empty() -> None:
    assert trie_root({}) == EMPTY_TRIE_ROOT == keccak256(b"\x80")
    assert secure_trie_root({}) == EMPTY_TRIE_ROOT
    assert trie_root({b"a": b""}) == EMPTY_TRIE_ROOT  # empty values are absent


def test_known_root() -> None:
    dogs = {b"doe": b"reindeer", b"dog": b"puppy", b"dogglesworth": b"cat"}
    expected = "8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3"
    assert trie_root(dogs).hex() == expected


@settings(max_examples=200)
@given(mappings, st.randoms(use_true_random=False))
def test_root_independent_of_insertion_order(items: dict[bytes, bytes], rng) -> None:
    order = list(items.items())
    rng.shuffle(order)
    trie = Trie(MemoryNodeStore())
    for key, value in order:
        trie.put(key, value)
    rng.shuffle(order)
    other = Trie(MemoryNodeStore())
    for key, value in order:
        other.put(key, value)
    assert trie.root_hash == other.root_hash == trie_root(items)


@settings(max_examples=200)
@given(st.lists(st.tuples(keys, st.one_of(st.just(b""), values)), max_size=60))
def test_updates_and_deletes_match_final_mapping(updates: list[tuple[bytes, bytes]]) -> None:
    trie = Trie(MemoryNodeStore())
    final: dict[bytes, bytes] = {}
    for key, value in updates:
        trie.put(key, value)  # b"" deletes
        final[key] = value
    assert trie.root_hash == trie_root(final)
    assert {k: v for k, v in trie.items()} == {k: v for k, v in final.items() if v}


@settings(max_examples=100)
@given(mappings)
def test_secure_root_matches_secure_trie(items: dict[bytes, bytes]) -> None:
    trie = SecureTrie(MemoryNodeStore())
    for key, value in items.items():
        trie.put(key, value)
    assert trie.root_hash == secure_trie_root(items)
    assert secure_trie_root(items) == trie_root({keccak256(k): v for k, v in items.items()})


@settings(max_examples=100)
@given(mappings, mappings)
def test_reopened_trie_keeps_agreeing(
    first: dict[bytes, bytes], second: dict[bytes, bytes]
) -> None:
    store = MemoryNodeStore()
    trie = Trie(store)
    for key, value in first.items():
        trie.put(key, value)
    reopened = Trie(store, trie.commit())
    for key, value in second.items():
        reopened.put(key, value)
    assert reopened.root_hash == trie_root({**first, **second})

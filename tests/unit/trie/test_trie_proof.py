"""Merkle proofs: values and absences verify against the root; tampering is rejected."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyeth.db import MemoryNodeStore
from pyeth.errors import DecodingError
from pyeth.hashing import keccak256
from pyeth.trie import EMPTY_TRIE_ROOT, InvalidProof, SecureTrie, Trie, verify_proof


def _trie(n: int = 300) -> Trie:
    trie = Trie(MemoryNodeStore())
    for i in range(n):
        trie.put(keccak256(i.to_bytes(2, "big"))[: 1 + i % 20], b"value %d" % i * (1 + i % 7))
    return trie


def test_every_key_proves_its_value() -> None:
    trie = _trie()
    root = trie.root_hash
    for key, value in trie.items():
        proof = trie.get_proof(key)
        assert verify_proof(root, key, proof) == value


def test_absence_proofs() -> None:
    trie = _trie()
    root = trie.root_hash
    for i in range(300, 400):
        key = keccak256(i.to_bytes(2, "big"))[: 1 + i % 20]
        if trie.get(key) is None:
            assert verify_proof(root, key, trie.get_proof(key)) is None
    # A key that ends inside an extension or on a branch without a value.
    assert verify_proof(root, b"", trie.get_proof(b"")) is None


def test_proof_from_committed_trie_and_small_trie() -> None:
    store = MemoryNodeStore()
    small = Trie(store)
    small.put(b"a", b"b")  # the whole trie is one inline-sized root node
    root = small.commit()
    reopened = Trie(store, root)
    assert reopened.get_proof(b"a") == small.get_proof(b"a")
    assert verify_proof(root, b"a", reopened.get_proof(b"a")) == b"b"
    assert verify_proof(root, b"c", reopened.get_proof(b"c")) is None


def test_empty_trie_proof() -> None:
    trie = Trie(MemoryNodeStore())
    assert trie.get_proof(b"x") == []
    assert verify_proof(EMPTY_TRIE_ROOT, b"x", []) is None


def test_secure_trie_proof_uses_hashed_key() -> None:
    trie = SecureTrie(MemoryNodeStore())
    for i in range(50):
        trie.put(bytes([i]), b"v" * (i + 1))
    proof = trie.get_proof(bytes([7]))
    assert verify_proof(trie.root_hash, keccak256(bytes([7])), proof) == b"v" * 8


def test_tampered_proof_is_rejected() -> None:
    trie = _trie()
    key, value = next(iter(trie.items()))
    proof = trie.get_proof(key)
    assert len(proof) > 1
    for index in range(len(proof)):
        tampered = list(proof)
        node = bytearray(tampered[index])
        node[-1] ^= 1
        tampered[index] = bytes(node)
        with pytest.raises(InvalidProof):
            verify_proof(trie.root_hash, key, tampered)


def test_truncated_proof_and_wrong_root_are_rejected() -> None:
    trie = _trie()
    key, _ = next(iter(trie.items()))
    proof = trie.get_proof(key)
    with pytest.raises(InvalidProof):
        verify_proof(trie.root_hash, key, proof[:-1])
    with pytest.raises(InvalidProof):
        verify_proof(keccak256(b"another root"), key, proof)


def test_malformed_node_is_rejected() -> None:
    garbage = b"\xc3\x01\x02\x03"  # a 3-item list is no trie node
    with pytest.raises(InvalidProof) as info:
        verify_proof(keccak256(garbage), b"k", [garbage])
    assert isinstance(info.value, DecodingError)


@settings(max_examples=100)
@given(st.dictionaries(st.binary(max_size=5), st.binary(min_size=1, max_size=50), max_size=30))
def test_proofs_property(items: dict[bytes, bytes]) -> None:
    trie = Trie(MemoryNodeStore())
    for key, value in items.items():
        trie.put(key, value)
    root = trie.root_hash
    for key in list(items) + [b"\x00\x00\x00\x00\x00\x00", b"\xff"]:
        assert verify_proof(root, key, trie.get_proof(key)) == items.get(key)

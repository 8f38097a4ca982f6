"""Ethereum's Merkle Patricia trie: the incremental `Trie` over a node store, the one-shot
`trie_root` for whole mappings, and Merkle proofs. Storage and durability live in `pyeth.db`."""

from pyeth.trie.errors import InvalidProof, MissingTrieNode
from pyeth.trie.nodes import EMPTY_TRIE_ROOT
from pyeth.trie.proof import verify_proof
from pyeth.trie.root import secure_trie_root, trie_root
from pyeth.trie.trie import SecureTrie, Trie

__all__ = [
    "EMPTY_TRIE_ROOT",
    "InvalidProof",
    "MissingTrieNode",
    "SecureTrie",
    "Trie",
    "secure_trie_root",
    "trie_root",
    "verify_proof",
]

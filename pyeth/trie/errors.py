"""Errors of the trie, as subclasses of the node's error tree so callers at the edge catch them."""

from pyeth.errors import DecodingError, PyethError


class InvalidProof(DecodingError):
    """A Merkle proof that proves nothing about the root: a node missing, tampered or malformed."""


class MissingTrieNode(PyethError):
    """A node the trie needs is not in its store: a wrong root hash, or writes never committed."""

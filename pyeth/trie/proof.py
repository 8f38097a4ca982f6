"""Checking a Merkle proof (as `Trie.get_proof` or eth_getProof make them) against a root hash.

A verifier trusts nothing but the root hash: every node is looked up by the hash its parent names,
so a tampered, missing or malformed node is an error, never a wrong answer.
"""

from collections.abc import Iterable

from pyeth.errors import DecodingError
from pyeth.hashing import keccak256
from pyeth.trie.errors import InvalidProof
from pyeth.trie.nibbles import NIBBLE_INDEX
from pyeth.trie.nodes import EMPTY_TRIE_ROOT, Branch, Extension, Leaf, Node, decode_node


def verify_proof(root_hash: bytes, key: bytes, proof: Iterable[bytes]) -> bytes | None:
    """Return the value `proof` shows for `key` under `root_hash`, or None if it shows absence.

    For a secure trie (accounts, storage) pass keccak256(key), the path the trie used.

    Raises:
        InvalidProof: a node the path needs is missing from the proof or is not a valid node.
    """
    if root_hash == EMPTY_TRIE_ROOT:
        return None  # the empty trie holds nothing, whatever the proof says
    nodes = {keccak256(encoded): encoded for encoded in proof}
    path = key.hex()
    pos = 0
    node: Node = _fetch(nodes, root_hash)
    while True:
        if type(node) is bytes:
            node = _fetch(nodes, node)
        if node is None:
            return None
        if type(node) is Leaf:
            return (node.value or None) if path[pos:] == node.path else None
        if type(node) is Extension:
            if not path.startswith(node.path, pos):
                return None
            pos += len(node.path)
            node = node.child
        else:
            assert type(node) is Branch
            if pos == len(path):
                return node.value or None
            node = node.children[NIBBLE_INDEX[path[pos]]]
            pos += 1


def _fetch(nodes: dict[bytes, bytes], node_hash: bytes) -> Leaf | Extension | Branch:
    encoded = nodes.get(node_hash)
    if encoded is None:
        raise InvalidProof(f"proof lacks trie node 0x{node_hash.hex()}")
    try:
        return decode_node(encoded)
    except DecodingError as exc:
        raise InvalidProof(f"proof node 0x{node_hash.hex()} is malformed: {exc}") from None

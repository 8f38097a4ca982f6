"""The Merkle Patricia trie over a node store: get, put, delete, root hash, proofs, key order.

Changes stay in memory until `commit()`, which writes the new hashed nodes to the store in one go;
`root_hash` needs no commit. So a block's many storage writes hash each touched node once, and
intermediate nodes that a later write replaces are never stored. Nodes below a root are loaded from
the store only when a lookup reaches them.

The trie does not own durability: committing the store (the database transaction) is the chain's
job. For a root hash of a mapping you already hold in full, `trie_root` is much faster.
"""

import copy
from collections.abc import Iterator
from typing import Self

from pyeth.db.nodestore import NodeStore
from pyeth.hashing import keccak256
from pyeth.trie.errors import MissingTrieNode
from pyeth.trie.nibbles import HEX_DIGITS, NIBBLE_INDEX, Nibbles
from pyeth.trie.nodes import (
    EMPTY_TRIE_ROOT,
    Branch,
    Extension,
    Leaf,
    Node,
    decode_node,
    encode_node,
    node_ref,
)

Resolved = Leaf | Extension | Branch


class Trie:
    """A hexary Merkle Patricia trie mapping byte keys to non-empty byte values.

    Args:
        store: where nodes are read from and, on `commit()`, written to.
        root_hash: the root to open; the empty trie by default.
    """

    __slots__ = ("_root", "store")

    def __init__(self, store: NodeStore, root_hash: bytes = EMPTY_TRIE_ROOT) -> None:
        if len(root_hash) != 32:
            raise ValueError(f"root hash must be 32 bytes, got {len(root_hash)}")
        self.store = store
        self._root: Node = None if root_hash == EMPTY_TRIE_ROOT else bytes(root_hash)

    def _path(self, key: bytes) -> Nibbles:
        """The nibble path a key is stored under (SecureTrie hashes it first)."""
        return key.hex()

    # Reading

    def get(self, key: bytes) -> bytes | None:
        """Return the value under `key`, or None if the key is absent.

        Raises:
            MissingTrieNode: a node on the way is not in the store.
        """
        path = self._path(key)
        node = self._root
        if type(node) is bytes:
            node = self._root = self._load(node)
        pos = 0
        while node is not None:
            if type(node) is Leaf:
                return node.value if path[pos:] == node.path else None
            if type(node) is Extension:
                if not path.startswith(node.path, pos):
                    return None
                pos += len(node.path)
                node = self._child_of_extension(node)
            else:
                assert type(node) is Branch
                if pos == len(path):
                    return node.value or None
                node = self._child_of_branch(node, NIBBLE_INDEX[path[pos]])
                pos += 1
        return None

    @property
    def root_hash(self) -> bytes:
        """The keccak hash of the root node (EMPTY_TRIE_ROOT when empty); commits nothing."""
        root = self._root
        if root is None:
            return EMPTY_TRIE_ROOT
        if type(root) is bytes:
            return root
        ref = node_ref(root)
        # A hashed reference is 0xa0 + hash; the root is hashed even when its RLP is short.
        return ref[1:] if len(ref) == 33 else keccak256(ref)

    # Writing

    def put(self, key: bytes, value: bytes) -> None:
        """Set `key` to `value`; an empty value deletes the key, as Ethereum's tries define it."""
        if not value:
            self.delete(key)
            return
        if type(value) is not bytes:
            value = bytes(value)
        self._root = self._put(self._root, self._path(key), value)

    def delete(self, key: bytes) -> None:
        """Remove `key`; deleting an absent key changes nothing."""
        self._root = self._delete(self._root, self._path(key))

    def commit(self) -> bytes:
        """Write every node not yet in the store and return the root hash.

        Does not commit the store's own transaction: see `SqliteNodeStore.commit`.
        """
        root = self._root
        if root is None or type(root) is bytes:
            return self.root_hash
        assert not isinstance(root, bytes)
        if not root.persisted:
            self._store_new_nodes(root)
        ref = node_ref(root)
        if len(ref) < 32:  # a short root is inline nowhere, so store it by hash as well
            self.store.put(keccak256(ref), ref)
        return self.root_hash

    def copy(self) -> Self:
        """An independent trie with the same contents; cheap, since nodes are never modified."""
        return copy.copy(self)

    # Proofs

    def get_proof(self, key: bytes) -> list[bytes]:
        """The RLP of each hashed node from the root towards `key` (inline nodes ride inside
        their parent), proving the key's value or its absence. Empty for the empty trie."""
        path = self._path(key)
        node = self._root
        if node is None:
            return []
        if type(node) is bytes:
            node = self._root = self._load(node)
        assert not isinstance(node, bytes)
        proof = [encode_node(node)]
        pos = 0
        while True:
            if type(node) is Leaf:
                return proof
            if type(node) is Extension:
                if not path.startswith(node.path, pos):
                    return proof
                pos += len(node.path)
                child = self._child_of_extension(node)
            else:
                assert type(node) is Branch
                if pos == len(path):
                    return proof
                child = self._child_of_branch(node, NIBBLE_INDEX[path[pos]])
                pos += 1
            if child is None:
                return proof
            assert not isinstance(child, bytes)  # the _child_of_* helpers load hashes
            encoded = encode_node(child)
            if len(encoded) >= 32:
                proof.append(encoded)
            node = child

    # Key order

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        """Every (key, value) in ascending key order (for SecureTrie the keys are hashes)."""
        for path, value in self._walk(self._root, "", False, None):
            yield bytes.fromhex(path), value

    def next_key(self, key: bytes) -> bytes | None:
        """The smallest stored key greater than `key`, or None; `key` need not be present."""
        bound = key.hex()
        for path, _ in self._walk(self._root, "", False, bound):
            if path > bound:
                return bytes.fromhex(path)
        return None

    def prev_key(self, key: bytes) -> bytes | None:
        """The largest stored key smaller than `key`, or None; `key` need not be present."""
        bound = key.hex()
        for path, _ in self._walk(self._root, "", True, bound):
            if path < bound:
                return bytes.fromhex(path)
        return None

    # Internals. Every function below returns new nodes for what changed and shares the rest.

    def _load(self, node_hash: bytes) -> Resolved:
        encoded = self.store.get(node_hash)
        if encoded is None:
            raise MissingTrieNode(f"trie node 0x{node_hash.hex()} is not in the store")
        node = decode_node(encoded)
        node.ref = encoded if len(encoded) < 32 else b"\xa0" + node_hash
        return node

    def _child_of_extension(self, node: Extension) -> Node:
        child = node.child
        if type(child) is bytes:
            child = node.child = self._load(child)  # memoize: the node's meaning is unchanged
        return child

    def _child_of_branch(self, node: Branch, index: int) -> Node:
        child = node.children[index]
        if type(child) is bytes:
            child = node.children[index] = self._load(child)
        return child

    def _put(self, node: Node, path: Nibbles, value: bytes) -> Resolved:
        if node is None:
            return Leaf(path, value)
        if type(node) is bytes:
            node = self._load(node)
        if type(node) is Branch:  # most levels of a big trie: looked at first
            if not path:
                return node if node.value == value else Branch(node.children, value)
            index = NIBBLE_INDEX[path[0]]
            old = node.children[index]
            if type(old) is bytes:
                old = node.children[index] = self._load(old)  # memoize, as _child_of_branch
            child = self._put(old, path[1:], value)
            if child is old:
                return node
            children = node.children.copy()
            children[index] = child
            return Branch(children, node.value)
        if type(node) is Leaf:
            if node.path == path:
                return node if node.value == value else Leaf(path, value)
            return _fork(node.path, node, path, value)
        assert type(node) is Extension
        if path.startswith(node.path):
            old = self._child_of_extension(node)
            child = self._put(old, path[len(node.path) :], value)
            return node if child is old else Extension(node.path, child)
        return _fork(node.path, node, path, value)

    def _delete(self, node: Node, path: Nibbles) -> Node:
        if node is None:
            return None
        if type(node) is bytes:
            node = self._load(node)
        if type(node) is Leaf:
            return None if node.path == path else node
        if type(node) is Extension:
            if not path.startswith(node.path):
                return node
            old = self._child_of_extension(node)
            child = self._delete(old, path[len(node.path) :])
            return node if child is old else self._join(node.path, child)
        assert type(node) is Branch
        if not path:
            return self._collapse(node.children, b"") if node.value else node
        index = NIBBLE_INDEX[path[0]]
        old = self._child_of_branch(node, index)
        child = self._delete(old, path[1:])
        if child is old:
            return node
        children = list(node.children)
        children[index] = child
        return self._collapse(children, node.value)

    def _collapse(self, children: list[Node], value: bytes) -> Node:
        """A branch that lost an entry: keep it if it still branches, else merge it away."""
        live = [i for i, child in enumerate(children) if child is not None]
        if len(live) > 1 or (live and value):
            return Branch(children, value)
        if not live:
            return Leaf("", value) if value else None
        only = children[live[0]]
        if type(only) is bytes:
            only = self._load(only)
        return self._join(HEX_DIGITS[live[0]], only)

    def _join(self, prefix: Nibbles, child: Node) -> Node:
        """The node for `prefix` followed by `child`, merging paths so no extension is redundant."""
        if type(child) is bytes:
            child = self._load(child)
        if child is None:
            return None
        if type(child) is Leaf:
            return Leaf(prefix + child.path, child.value)
        if type(child) is Extension:
            return Extension(prefix + child.path, child.child)
        return Extension(prefix, child)

    def _store_new_nodes(self, node: Resolved) -> None:
        """Store `node`, which is not persisted yet, and the new nodes below it; the settled
        subtrees (persisted nodes, hashes not loaded) are not entered."""
        if type(node) is Branch:
            for child in node.children:
                if child is not None and not isinstance(child, bytes) and not child.persisted:
                    self._store_new_nodes(child)
        elif type(node) is Extension:
            child = node.child
            if child is not None and not isinstance(child, bytes) and not child.persisted:
                self._store_new_nodes(child)
        ref = node.ref or node_ref(node)
        if len(ref) == 33:  # referenced by hash (an inline node lives inside its parent)
            encoded = node.encoded
            self.store.put(ref[1:], encode_node(node) if encoded is None else encoded)
            node.encoded = None
        node.persisted = True

    def _walk(
        self, node: Node, prefix: Nibbles, reverse: bool, bound: Nibbles | None
    ) -> Iterator[tuple[Nibbles, bytes]]:
        """Yield (path, value) under `node` in key order, or reverse order, skipping subtrees
        that hold no key after `bound` (before it, in reverse); the caller filters exact ties."""
        if node is None:
            return
        if bound is not None:
            if reverse and prefix >= bound:
                return  # every key here is >= prefix >= bound
            if not reverse and prefix < bound[: len(prefix)]:
                return  # every key here sorts before bound without extending it
        if type(node) is bytes:
            node = self._root = self._load(node)  # only the root is ever passed unresolved
        if type(node) is Leaf:
            yield prefix + node.path, node.value
        elif type(node) is Extension:
            child = self._child_of_extension(node)
            yield from self._walk(child, prefix + node.path, reverse, bound)
        else:
            assert type(node) is Branch
            if node.value and not reverse:
                yield prefix, node.value
            for index in range(15, -1, -1) if reverse else range(16):
                child = self._child_of_branch(node, index)
                yield from self._walk(child, prefix + HEX_DIGITS[index], reverse, bound)
            if node.value and reverse:
                yield prefix, node.value


def _fork(old_path: Nibbles, old: Leaf | Extension, path: Nibbles, value: bytes) -> Resolved:
    """Where a new key leaves an existing leaf or extension: a branch, behind their shared path."""
    shared = 0
    end = min(len(old_path), len(path))
    while shared < end and old_path[shared] == path[shared]:
        shared += 1
    children: list[Node] = [None] * 16
    branch_value = b""
    rest = old_path[shared:]
    if type(old) is Leaf:
        if rest:
            children[NIBBLE_INDEX[rest[0]]] = Leaf(rest[1:], old.value)
        else:
            branch_value = old.value
    else:
        # The new key leaves inside the extension's path, so `rest` is not empty.
        assert type(old) is Extension
        children[NIBBLE_INDEX[rest[0]]] = (
            Extension(rest[1:], old.child) if len(rest) > 1 else old.child
        )
    tail = path[shared:]
    if tail:
        children[NIBBLE_INDEX[tail[0]]] = Leaf(tail[1:], value)
    else:
        branch_value = value
    branch = Branch(children, branch_value)
    return Extension(old_path[:shared], branch) if shared else branch


class SecureTrie(Trie):
    """A trie keyed by keccak256(key), as the account and storage tries are: paths are evenly
    spread and fixed-length whatever the keys. Only hashes are stored, so `items`, `next_key` and
    `prev_key` deal in hashed keys."""

    __slots__ = ()

    def _path(self, key: bytes) -> Nibbles:
        return keccak256(key).hex()

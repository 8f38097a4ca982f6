"""Root hash of a whole mapping at once, without a store: the hot path of state tests.

The keys are sorted once and the trie is built bottom-up over slices of the sorted list (as geth's
StackTrie does): a slice whose keys share a prefix becomes an extension, a slice that splits becomes
a branch, a single key a leaf. Each node is encoded and hashed exactly once and nothing is kept, so
this is much cheaper than inserting key by key into a `Trie`. Both must agree; tests check it.
"""

from collections.abc import Mapping

from pyeth.hashing import keccak256
from pyeth.trie.nibbles import NIBBLE_INDEX
from pyeth.trie.nodes import (
    EMPTY_REF,
    EMPTY_TRIE_ROOT,
    encode_branch,
    encode_extension,
    encode_leaf,
    ref_of,
)

__all__ = ["EMPTY_TRIE_ROOT", "secure_trie_root", "trie_root"]


def trie_root(items: Mapping[bytes, bytes]) -> bytes:
    """Root hash of the trie holding `items`; empty values count as absent, as in `Trie.put`."""
    pairs = sorted((key.hex(), value) for key, value in items.items() if value)
    if not pairs:
        return EMPTY_TRIE_ROOT
    return keccak256(_build(pairs, 0, len(pairs), 0))


def secure_trie_root(items: Mapping[bytes, bytes]) -> bytes:
    """Root hash of the secure trie holding `items` (keys keccak-hashed, as `SecureTrie`)."""
    pairs = sorted((keccak256(key).hex(), value) for key, value in items.items() if value)
    if not pairs:
        return EMPTY_TRIE_ROOT
    return keccak256(_build(pairs, 0, len(pairs), 0))


def _build(pairs: list[tuple[str, bytes]], lo: int, hi: int, depth: int) -> bytes:
    """RLP of the node holding pairs[lo:hi], whose keys all agree on their first `depth` nibbles."""
    first, value = pairs[lo]
    if hi - lo == 1:
        return encode_leaf(first[depth:], value)
    # Sorted, so the prefix shared by the first and last key is shared by all of them.
    last = pairs[hi - 1][0]
    end = min(len(first), len(last))
    shared = depth
    while shared < end and first[shared] == last[shared]:
        shared += 1
    if shared > depth:
        return encode_extension(first[depth:shared], ref_of(_branch(pairs, lo, hi, shared)))
    return _branch(pairs, lo, hi, depth)


def _branch(pairs: list[tuple[str, bytes]], lo: int, hi: int, depth: int) -> bytes:
    value = b""
    if len(pairs[lo][0]) == depth:  # a key ending here sorts first and is the branch's value
        value = pairs[lo][1]
        lo += 1
    refs = [EMPTY_REF] * 16
    start = lo
    while start < hi:
        nibble = pairs[start][0][depth]
        stop = start + 1
        while stop < hi and pairs[stop][0][depth] == nibble:
            stop += 1
        refs[NIBBLE_INDEX[nibble]] = ref_of(_build(pairs, start, stop, depth + 1))
        start = stop
    return encode_branch(refs, value)

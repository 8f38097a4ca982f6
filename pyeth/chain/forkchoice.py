"""Fork choice: which of the valid blocks the chain holds is the head, and how the canonical
chain changes when the head moves to another branch.

The chain keeps every valid block; a policy decides whether a newly imported block becomes the
head. After the merge the consensus layer decides (for the dev node, the sealer; for the
conformance fixtures, the order of their blocks), which `NewestBlock` models: each valid block
it is given becomes the head. `HeaviestChain` is the proof-of-authority rule (Clique): the
branch with the highest total difficulty wins and ties keep the current head.
`Chain.set_head` is the explicit form (a forkchoiceUpdated).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Tip:
    """A block as fork choice sees it: its hash, number and score (total difficulty)."""

    hash: bytes
    number: int
    score: int


class ForkChoice(Protocol):
    """Decides whether a newly imported block should replace the current head."""

    def prefers(self, candidate: Tip, head: Tip) -> bool: ...


class NewestBlock:
    """Every valid block imported becomes the head: the consensus layer feeds the chain."""

    def prefers(self, candidate: Tip, head: Tip) -> bool:
        return True


class HeaviestChain:
    """The branch with the greatest total difficulty is canonical; a tie keeps the head."""

    def prefers(self, candidate: Tip, head: Tip) -> bool:
        return candidate.score > head.score


def find_reorg(
    new_head: Tip,
    old_head: Tip,
    canonical_hash: Callable[[int], bytes | None],
    parent_of: Callable[[bytes], bytes],
) -> tuple[list[bytes], list[tuple[int, bytes]]]:
    """The canonical-chain change that makes `new_head` the head.

    Walks back from `new_head` until it meets the canonical chain (whose tip is `old_head`).

    Returns:
        (removed, added): the hashes leaving the canonical chain, newest first, and the
        (number, hash) pairs joining it, oldest first.
    """
    added: list[tuple[int, bytes]] = []
    number, block_hash = new_head.number, new_head.hash
    while canonical_hash(number) != block_hash:
        added.append((number, block_hash))
        block_hash = parent_of(block_hash)
        number -= 1
    added.reverse()
    removed = [
        h for n in range(old_head.number, number, -1) if (h := canonical_hash(n)) is not None
    ]
    return removed, added

"""Dev-mode sealing: a block built from the pool's pending transactions, on demand (automine, one
block as soon as a transaction arrives) or every `block_time` seconds, as anvil and Hardhat do.

A dev block is an ordinary proof-of-stake block with nobody to attest it: its timestamp follows
the wall clock (moved by `increase_time` / `set_next_timestamp`, never back to or before its
parent's), its randao is a hash of its parent's, and it goes into the chain through
`Chain.import_block` like any other block. The sealer decides nothing about what is valid.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

from pyeth.chain import Chain, ImportResult, build_block
from pyeth.hashing import keccak256
from pyeth.state import State
from pyeth.txpool import TxPool


@dataclass(slots=True)
class SealResult:
    """A sealed block and the pool transactions left out of it, with why."""

    result: ImportResult
    included: int
    dropped: list[tuple[bytes, str]]


class DevSealer:
    """Builds and imports the next block from the pool.

    Args:
        chain: the chain to extend.
        pool: where transactions come from; the left-out ones are dropped from it.
        coinbase: the fee recipient of sealed blocks.
        clock: seconds since the epoch (a test passes a fake one).
    """

    def __init__(
        self,
        chain: Chain,
        pool: TxPool,
        coinbase: bytes = bytes(20),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.chain = chain
        self.pool = pool
        self.coinbase = coinbase
        self.clock = clock
        self.time_offset = 0  # seconds added to the clock (evm_increaseTime)
        self.next_timestamp: int | None = None  # evm_setNextBlockTimestamp

    def next_block_timestamp(self) -> int:
        """The timestamp the next sealed block will carry."""
        parent = self.chain.head.timestamp
        if self.next_timestamp is not None:
            return max(self.next_timestamp, parent + 1)
        return max(int(self.clock()) + self.time_offset, parent + 1)

    def seal(
        self, timestamp: int | None = None, edit: Callable[[State], None] | None = None
    ) -> SealResult:
        """Build a block on the head with the pool's pending transactions (in price-and-nonce
        order, as many as fit) and import it; an empty block if the pool has none.

        `edit`, given, changes the head's state first (anvil_setBalance and its kin), and the
        block takes no transactions: it carries that change alone, so every state the node
        serves is still a block's. Only this node can vouch for such a block (a peer executing
        it would reach another state root). It leaves a timestamp asked for with
        `next_timestamp` to the next block when there is room for one before it."""
        chain = self.chain
        head_hash = chain.head_hash
        if timestamp is None:
            timestamp = self.next_block_timestamp()
            wanted = self.next_timestamp
            if edit is not None and wanted is not None and wanted > chain.head.timestamp + 1:
                timestamp = chain.head.timestamp + 1  # room left for the block asked for
        if edit is None or self.next_timestamp is None or timestamp >= self.next_timestamp:
            self.next_timestamp = None
        state = None
        if edit is None:
            candidates = [entry.tx for entry in self.pool.ordered()]
        else:
            candidates = []
            state = chain.take_state(chain.head.state_root)
            state.begin_transaction()
            edit(state)
        built = build_block(
            chain,
            candidates,
            timestamp=timestamp,
            coinbase=self.coinbase,
            prev_randao=keccak256(head_hash),
            state=state,
        )
        dropped = [(tx.hash, reason) for tx, reason in built.rejected]
        # A transaction left out for want of block gas stays for the next block, and one whose
        # nonce came too early (an earlier one of its sender was left out) stays queued; one
        # that is otherwise invalid here (funds spent by earlier ones, ...) is dropped.
        self.pool.remove(h for h, reason in dropped if not _may_fit_later(reason))
        result = chain.import_block(built.block, executed=built.executed)
        if result.already_known and not result.is_head:
            # The same block was sealed before on this parent and left the canonical chain
            # (evm_revert, then the same transactions in the same second): make it head again.
            event = chain.set_head(result.hash)
            result = dataclasses.replace(result, is_head=True, event=event)
        return SealResult(result, len(built.block.transactions), dropped)


def _may_fit_later(reason: str) -> bool:
    return "block gas available" in reason or reason.startswith("nonce too high")

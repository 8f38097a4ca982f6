"""What the chain tells its subscribers when the head moves: the blocks that left the canonical
chain and the blocks that joined it, and the logs of both, the removed ones flagged
`removed=True` as eth_subscribe("logs") and eth_getFilterChanges report them.

Events are built after the database commit and handed to callbacks synchronously; a subscriber
that needs to do slow work must queue it (the RPC layer puts them on its event loop).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pyeth.chain.blocks import Block
from pyeth.sedes import Log, Receipt


@dataclass(frozen=True, slots=True)
class BlockWithReceipts:
    """A block together with its receipts, in transaction order."""

    block: Block
    receipts: tuple[Receipt, ...]


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One log as subscribers see it, with its position in the chain."""

    log: Log
    block_hash: bytes
    block_number: int
    transaction_hash: bytes
    transaction_index: int
    log_index: int  # position among all logs of the block
    removed: bool


@dataclass(frozen=True, slots=True)
class ChainEvent:
    """A change of head. `removed` lists the blocks that left the canonical chain (newest first),
    `added` those that joined it (oldest first); a plain extension has one added block."""

    head: Block
    removed: tuple[BlockWithReceipts, ...] = ()
    added: tuple[BlockWithReceipts, ...] = ()

    @property
    def is_reorg(self) -> bool:
        return bool(self.removed)

    def logs(self) -> Iterator[LogEntry]:
        """The removed blocks' logs (removed=True, newest block first), then the added ones'."""
        for item in self.removed:
            yield from block_logs(item.block, item.receipts, removed=True)
        for item in self.added:
            yield from block_logs(item.block, item.receipts, removed=False)


def block_logs(
    block: Block, receipts: Sequence[Receipt], removed: bool = False
) -> Iterator[LogEntry]:
    """Every log of `block` with its block, transaction and index coordinates."""
    log_index = 0
    hashes = block.transaction_hashes
    for tx_index, (tx_hash, receipt) in enumerate(zip(hashes, receipts, strict=True)):
        for log in receipt.logs:
            yield LogEntry(log, block.hash, block.number, tx_hash, tx_index, log_index, removed)
            log_index += 1

"""The chain: genesis, blocks and receipts, validation, block processing, the SQLite store, fork
choice and reorgs. `Chain` is the entry point; it is the only writer of committed state.

Modules, by job:
- `genesis`: geth's genesis.json -> `Genesis` (config, header fields, alloc) -> block 0.
- `forks`: the fork schedule; `rules_at(config, number, timestamp)`, the rules of a block.
- `blocks`: the `Block` record, its strict wire codec, and the body roots.
- `receipts`: typed receipts, the 2048-bit logs bloom, the receipts root.
- `validation`: header against parent, body against header, execution against header.
- `processing`: a block's execution: system calls, transactions, withdrawals, requests.
- `system`: the system calls (beacon root, block-hash history, request contracts).
- `requests`: EIP-7685 requests (deposits, withdrawal and consolidation requests), their hash.
- `store`: the SQLite tables, one database transaction per block.
- `forkchoice`: head policies and the canonical-chain change of a reorg.
- `events`: what subscribers hear when the head moves (blocks and logs, removed or added).
- `chain`: `Chain`, which ties them together.
- `builder`: `build_block`, a valid block from candidate transactions (sealers, tests).
"""

from pyeth.chain.blocks import Block, decode_block, encode_block
from pyeth.chain.builder import BuiltBlock, build_block
from pyeth.chain.chain import Chain, GenesisMismatch, ImportResult
from pyeth.chain.events import BlockWithReceipts, ChainEvent, LogEntry
from pyeth.chain.forkchoice import ForkChoice, HeaviestChain, NewestBlock
from pyeth.chain.forks import rules_at
from pyeth.chain.genesis import ChainConfig, Genesis, InvalidGenesis, load_genesis, parse_genesis
from pyeth.chain.store import ChainStore

__all__ = [
    "Block",
    "BlockWithReceipts",
    "BuiltBlock",
    "Chain",
    "ChainConfig",
    "ChainEvent",
    "ChainStore",
    "ForkChoice",
    "Genesis",
    "GenesisMismatch",
    "HeaviestChain",
    "ImportResult",
    "InvalidGenesis",
    "LogEntry",
    "NewestBlock",
    "build_block",
    "decode_block",
    "encode_block",
    "load_genesis",
    "parse_genesis",
    "rules_at",
]

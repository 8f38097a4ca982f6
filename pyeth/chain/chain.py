"""The chain: imports blocks (validate, execute, commit, fork choice) and answers what it holds.

`Chain.import_block` is the only way blocks and state get into the database. A block is checked
against its parent's header, its body against its header, then executed on its parent's state
and the results checked against the header; only then are its state, header, body, receipts and
any move of the head written, in one database transaction. An invalid block raises InvalidBlock
naming the rule and leaves nothing behind. Every valid block is kept, on whatever branch; the
fork-choice policy decides which one is the head, and moving the head to another branch rewrites
the canonical number index and the transaction index and tells subscribers which blocks (and
logs) left the canonical chain and which joined it.

A chain is used from one thread at a time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, overload

from pyeth.chain.blocks import Block, decode_block, decode_body, encode_block
from pyeth.chain.events import BlockWithReceipts, ChainEvent
from pyeth.chain.forkchoice import ForkChoice, NewestBlock, Tip, find_reorg
from pyeth.chain.forks import since
from pyeth.chain.genesis import ChainConfig, Genesis
from pyeth.chain.processing import BlockResult, apply_block
from pyeth.chain.store import ChainStore
from pyeth.chain.validation import (
    HeaderRules,
    validate_body,
    validate_execution,
    validate_header,
    validate_proof_of_stake,
)
from pyeth.errors import DecodingError, InvalidBlock, PyethError
from pyeth.hashing import keccak256
from pyeth.sedes import HEADER, BlockHeader, Receipt, decode, decode_receipt, encode
from pyeth.state import State
from pyeth.transactions import impersonated_sender, mark_impersonated

BLOCKHASH_WINDOW: Final = 256
HEADER_CACHE_SIZE: Final = 1024
STATE_CACHE_SIZE: Final = 4  # post-states kept in memory, by state root, for the next block
# Recent blocks and receipts kept decoded (receipt lookups, logs): a sender that reads its
# receipts after sending many transactions finds them without decoding a body and recovering
# its senders again. ~2.6 KiB per one-transaction block; bounded in transactions as well.
BLOCK_CACHE_SIZE: Final = 1024
BLOCK_CACHE_TRANSACTIONS: Final = 4096
STATE_CACHE_MAX_ACCOUNTS: Final = 250_000  # a bigger cached state is dropped, not kept


class GenesisMismatch(PyethError):
    """The database holds a different chain than the genesis given to open it."""


@dataclass(frozen=True, slots=True)
class ImportResult:
    """The outcome of importing a valid block."""

    hash: bytes
    number: int
    is_head: bool  # the block is the head after the import
    already_known: bool = False
    event: ChainEvent | None = None  # the head change it caused, if any


class Chain:
    """A block tree over a ChainStore with one canonical branch.

    Args:
        store: the database; opening a fresh one writes the genesis block.
        genesis: the chain's genesis; must match the one a non-empty store was created with.
        fork_choice: the head rule; `NewestBlock` by default (the imported block is the head).
        consensus: the consensus engine's header rules; proof of stake by default.
    """

    def __init__(
        self,
        store: ChainStore,
        genesis: Genesis,
        fork_choice: ForkChoice | None = None,
        consensus: HeaderRules = validate_proof_of_stake,
    ) -> None:
        self.store = store
        self.genesis = genesis
        self.config: ChainConfig = genesis.config
        self.chain_id = genesis.config.chain_id
        self.fork_choice: ForkChoice = fork_choice or NewestBlock()
        self.consensus = consensus
        self._headers: OrderedDict[bytes, BlockHeader] = OrderedDict()
        self._states: OrderedDict[bytes, State] = OrderedDict()
        self._blocks: OrderedDict[bytes, BlockWithReceipts] = OrderedDict()
        self._kept_transactions = 0  # in self._blocks
        self._subscribers: list[Callable[[ChainEvent], None]] = []
        stored_genesis = store.get_canonical(0)
        if stored_genesis is None:
            self._write_genesis()
        else:
            expected = genesis.header(self._genesis_state_root()).hash
            if stored_genesis != expected:
                raise GenesisMismatch(
                    f"the database holds chain 0x{stored_genesis.hex()}, "
                    f"the genesis given is 0x{expected.hex()}"
                )
        head = store.get_meta("head")
        assert head is not None
        self._head = self._require_header(head)
        self._head_hash = head

    @classmethod
    def open(
        cls,
        datadir: str | Path | None,
        genesis: Genesis,
        fork_choice: ForkChoice | None = None,
        consensus: HeaderRules = validate_proof_of_stake,
    ) -> Chain:
        """The chain stored under `datadir`, created if new; in memory when datadir is None."""
        return cls(ChainStore.in_datadir(datadir), genesis, fork_choice, consensus)

    def close(self) -> None:
        self.store.close()

    def _genesis_state_root(self) -> bytes:
        return self.genesis.state().state_root()

    def _write_genesis(self) -> None:
        with self.store.transaction():
            root = self.genesis.commit_state(self.store.nodes)
            block = self.genesis.block(root)
            header_rlp = encode(block.header, HEADER)
            block_hash = keccak256(header_rlp)
            self.store.put_header(
                block_hash, 0, block.parent_hash, block.header.difficulty, header_rlp
            )
            self.store.put_body(block_hash, block.body_rlp)
            self.store.put_receipts(block_hash, encode([]))
            self.store.set_canonical(0, block_hash)
            self.store.set_meta("genesis", block_hash)
            self.store.set_meta("head", block_hash)

    # --- reading --------------------------------------------------------------------------

    @property
    def head(self) -> BlockHeader:
        """The header of the canonical chain's tip."""
        return self._head

    @property
    def head_hash(self) -> bytes:
        return self._head_hash

    @property
    def genesis_hash(self) -> bytes:
        genesis = self.store.get_canonical(0)
        assert genesis is not None
        return genesis

    def subscribe(self, callback: Callable[[ChainEvent], None]) -> Callable[[], None]:
        """Call `callback` with every head change; returns the function that unsubscribes."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    def get_header(self, block_hash: bytes) -> BlockHeader | None:
        header = self._headers.get(block_hash)
        if header is not None:
            self._headers.move_to_end(block_hash)
            return header
        raw = self.store.get_header(block_hash)
        if raw is None:
            return None
        header = decode(raw, HEADER)
        self._remember_header(block_hash, header)
        return header

    def _remember_header(self, block_hash: bytes, header: BlockHeader) -> None:
        self._headers[block_hash] = header
        if len(self._headers) > HEADER_CACHE_SIZE:
            self._headers.popitem(last=False)

    def _require_header(self, block_hash: bytes) -> BlockHeader:
        header = self.get_header(block_hash)
        if header is None:
            raise KeyError(f"block 0x{block_hash.hex()} is not in the database")
        return header

    def has_block(self, block_hash: bytes) -> bool:
        return block_hash in self._headers or self.store.has_header(block_hash)

    def get_block(self, block_hash: bytes) -> Block | None:
        kept = self._blocks.get(block_hash)
        if kept is not None:
            return kept.block
        header = self.get_header(block_hash)
        body = self.store.get_body(block_hash)
        if header is None or body is None:
            return None
        block = decode_body(header, body)
        if self.store.any_impersonated:  # a dev node's: senders no signature gives back
            for tx in block.transactions:
                sender = self.store.get_impersonated(tx.hash)
                if sender is not None:
                    mark_impersonated(tx, sender)
        return block

    def canonical_hash(self, number: int) -> bytes | None:
        """The hash of canonical block `number`, or None above the head."""
        return self.store.get_canonical(number)

    def get_block_by_number(self, number: int) -> Block | None:
        block_hash = self.store.get_canonical(number)
        return None if block_hash is None else self.get_block(block_hash)

    def get_receipts(self, block_hash: bytes) -> tuple[Receipt, ...] | None:
        kept = self._blocks.get(block_hash)
        if kept is not None:
            return kept.receipts
        raw = self.store.get_receipts(block_hash)
        if raw is None:
            return None
        return tuple(decode_receipt(item) for item in decode(raw))

    def get_transaction_location(self, tx_hash: bytes) -> tuple[bytes, int] | None:
        """(block hash, index) of a transaction on the canonical chain, or None."""
        return self.store.get_tx_location(tx_hash)

    def state_at(self, state_root: bytes) -> State:
        """A fresh persisted state at `state_root`, for reading (changes are never committed)."""
        return State.at_root(self.store.nodes, state_root)

    def take_state(self, state_root: bytes) -> State:
        """A state at `state_root` to execute a block on: the cached post-state of a recent
        block (taken out of the cache, since it will change) or a fresh one."""
        state = self._states.pop(state_root, None)
        return State.at_root(self.store.nodes, state_root) if state is None else state

    def kept_state(self, state_root: bytes) -> State | None:
        """The post-state at `state_root` if the cache holds it (a recent block's), with its
        accounts loaded, else None. For reading right away only: do not change it, and do not
        hold on to it, since building the next block takes it and changes it."""
        return self._states.get(state_root)

    def head_state(self) -> State:
        """A fresh state at the head, for reading."""
        return self.state_at(self._head.state_root)

    def ancestor_hashes(self, parent_hash: bytes, parent_number: int) -> list[bytes]:
        """Hashes of `parent_hash` and its ancestors within the BLOCKHASH window of its child,
        oldest first, on the parent's own branch."""
        first = max(0, parent_number + 1 - BLOCKHASH_WINDOW)
        walked: list[bytes] = []
        block_hash, number = parent_hash, parent_number
        while number >= first and self.store.get_canonical(number) != block_hash:
            walked.append(block_hash)
            parent = self.store.get_parent(block_hash)
            assert parent is not None
            block_hash, number = parent[1], number - 1
        hashes = self.store.canonical_range(first, number) if number >= first else []
        hashes.extend(reversed(walked))
        return hashes

    # --- importing ------------------------------------------------------------------------

    def import_block(
        self, block: Block | bytes, *, executed: tuple[State, BlockResult] | None = None
    ) -> ImportResult:
        """Validate, execute and store a block; make it the head if fork choice says so.

        Args:
            executed: the post-state and results of executing this very block on its
                parent's state, as `build_block` returns them (`BuiltBlock.executed`): a
                sealer's own block is then not executed a second time. Its header is still
                validated and the results still checked against it.

        Raises:
            InvalidBlock: the block breaks a rule (the message names it); nothing is stored.
        """
        rlp_size = None
        if not isinstance(block, Block):
            rlp_size = len(block)
            try:
                block = decode_block(block)
            except DecodingError as exc:
                raise InvalidBlock(f"rlp: {exc}") from None
        block_hash = block.hash
        if self.has_block(block_hash):
            return ImportResult(block_hash, block.number, block_hash == self._head_hash, True)
        header = block.header
        parent = self.get_header(header.parent_hash)
        if parent is None:
            raise InvalidBlock(f"unknown parent 0x{header.parent_hash.hex()}")
        rules = self.config.rules_at(header.number, header.timestamp)
        validate_header(header, parent, self.consensus, rules)
        if rlp_size is None and since(rules, "Osaka"):
            rlp_size = len(encode_block(block))
        validate_body(block, rules, rlp_size)
        if executed is not None:
            state, result = executed
        else:
            state = self.take_state(parent.state_root)
            # From here on `state` is this block's: if anything fails it is dropped, not cached
            # again, since it may be half-applied or think nodes are stored that were rolled
            # back.
            hashes = AncestorHashes(self, header.parent_hash, parent.number)
            result = apply_block(
                state, block, rules, self.chain_id, hashes, self.config.deposit_contract
            )
        validate_execution(
            header,
            result.gas_used,
            result.blob_gas_used,
            result.receipts_root,
            result.logs_bloom,
            state.state_root(),
            requests_hash=result.requests_hash,
        )
        event = self._commit(block, parent, state, result)
        self._remember_header(block_hash, header)
        # Just sealed or received: the block its receipts are asked for next.
        self._blocks[block_hash] = BlockWithReceipts(block, tuple(result.receipts))
        self._kept_transactions += len(block.transactions)
        while len(self._blocks) > 1 and (
            len(self._blocks) > BLOCK_CACHE_SIZE
            or self._kept_transactions > BLOCK_CACHE_TRANSACTIONS
        ):
            _, evicted = self._blocks.popitem(last=False)
            self._kept_transactions -= len(evicted.block.transactions)
        if len(state.accounts()) <= STATE_CACHE_MAX_ACCOUNTS:
            self._states[header.state_root] = state
            if len(self._states) > STATE_CACHE_SIZE:
                self._states.popitem(last=False)
        if event is not None:
            self._head, self._head_hash = header, block_hash
            self._emit(event)
        return ImportResult(block_hash, block.number, event is not None, False, event)

    def _commit(
        self, block: Block, parent: BlockHeader, state: State, result: BlockResult
    ) -> ChainEvent | None:
        """Write the block and its state, and move the head if fork choice prefers it."""
        store = self.store
        block_hash = block.hash
        header = block.header
        parent_score = store.get_score(header.parent_hash)
        assert parent_score is not None
        score = parent_score + header.difficulty
        with store.transaction():
            state.commit()
            store.put_header(
                block_hash,
                header.number,
                header.parent_hash,
                score,
                block.header_rlp or header.rlp,
            )
            store.put_body(block_hash, block.body_rlp)
            for tx in block.transactions:
                sender = impersonated_sender(tx)
                if sender is not None:
                    store.put_impersonated(tx.hash, sender)
            store.put_receipts(block_hash, encode(result.encoded_receipts()))
            candidate = Tip(block_hash, header.number, score)
            head_score: int | None = parent_score  # on the head: the usual case
            if header.parent_hash != self._head_hash:
                head_score = store.get_score(self._head_hash)
            assert head_score is not None
            head = Tip(self._head_hash, self._head.number, head_score)
            if not self.fork_choice.prefers(candidate, head):
                return None
            added_now = {block_hash: BlockWithReceipts(block, tuple(result.receipts))}
            return self._move_head(candidate, head, added_now)

    def set_head(self, block_hash: bytes) -> ChainEvent | None:
        """Make a stored block the head, whatever the fork-choice policy (a forkchoiceUpdated).

        Returns the event, or None when the block already is the head.
        """
        header = self.get_header(block_hash)
        if header is None:
            raise KeyError(f"block 0x{block_hash.hex()} is not in the database")
        if block_hash == self._head_hash:
            return None
        score = self.store.get_score(block_hash)
        head_score = self.store.get_score(self._head_hash)
        assert score is not None and head_score is not None
        with self.store.transaction():
            event = self._move_head(
                Tip(block_hash, header.number, score),
                Tip(self._head_hash, self._head.number, head_score),
                {},
            )
        self._head, self._head_hash = header, block_hash
        self._emit(event)
        return event

    def _move_head(self, new: Tip, old: Tip, known: dict[bytes, BlockWithReceipts]) -> ChainEvent:
        """Rewrite the canonical and transaction indexes for head `new` (inside a transaction)."""
        store = self.store
        new_block = known.get(new.hash)
        if new.number == old.number + 1 and (
            new_block.block.parent_hash == old.hash
            if new_block is not None
            else store.get_parent(new.hash) == (new.number, old.hash)
        ):
            # The head's child: nothing leaves the canonical chain, nothing is above the head.
            removed_hashes: list[bytes] = []
            added_pairs = [(new.number, new.hash)]
        else:
            removed_hashes, added_pairs = find_reorg(
                new, old, store.get_canonical, lambda h: self._require_parent(h)
            )
        removed = tuple(self._with_receipts(h, known) for h in removed_hashes)
        for item in removed:
            for tx_hash in item.block.transaction_hashes:
                store.delete_tx_location(tx_hash, item.block.hash)
        if removed_hashes or new.number <= old.number:
            store.delete_canonical_above(new.number)
        added = []
        for number, block_hash in added_pairs:
            item = self._with_receipts(block_hash, known)
            store.set_canonical(number, block_hash)
            for position, tx_hash in enumerate(item.block.transaction_hashes):
                store.put_tx_location(tx_hash, block_hash, position)
            added.append(item)
        store.set_meta("head", new.hash)
        head = added[-1].block if added else self._with_receipts(new.hash, known).block
        return ChainEvent(head, removed, tuple(added))

    def _require_parent(self, block_hash: bytes) -> bytes:
        parent = self.store.get_parent(block_hash)
        assert parent is not None
        return parent[1]

    def _with_receipts(
        self, block_hash: bytes, known: dict[bytes, BlockWithReceipts]
    ) -> BlockWithReceipts:
        item = known.get(block_hash)
        if item is not None:
            return item
        block = self.get_block(block_hash)
        receipts = self.get_receipts(block_hash)
        assert block is not None and receipts is not None
        return BlockWithReceipts(block, receipts)

    def _emit(self, event: ChainEvent) -> None:
        for callback in list(self._subscribers):
            callback(event)

    def iter_canonical(self, first: int = 0) -> Iterator[Block]:
        """Canonical blocks from `first` to the head."""
        for number in range(first, self._head.number + 1):
            block = self.get_block_by_number(number)
            assert block is not None
            yield block


class AncestorHashes(Sequence[bytes]):
    """The BLOCKHASH window of a block (or of a call on top of one), read from the database
    only if the EVM asks: most blocks and calls never do, and reading 256 hashes each time
    halved the eth_call rate."""

    def __init__(self, chain: Chain, parent_hash: bytes, parent_number: int) -> None:
        self._chain = chain
        self._parent_hash = parent_hash
        self._parent_number = parent_number
        self._length = min(BLOCKHASH_WINDOW, parent_number + 1)
        self._hashes: list[bytes] | None = None

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> bytes: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[bytes]: ...

    def __getitem__(self, index: int | slice) -> bytes | Sequence[bytes]:
        if self._hashes is None:
            self._hashes = self._chain.ancestor_hashes(self._parent_hash, self._parent_number)
        return self._hashes[index]

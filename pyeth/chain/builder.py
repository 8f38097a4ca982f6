"""Building a new block on top of a stored one: what a sealer (the dev node, a Clique signer)
does with transactions from the pool, and what tests use to make chains.

`build_block` executes the candidate transactions on the parent's state (the chain's cached
post-state, taken out of the cache, or a fresh one), leaves out those that cannot be included
(their errors are returned, the pool decides what to do with them) and fills in every header
field the validity rules derive, those of its fork only: difficulty (before the merge), base
fee, excess blob gas, gas and blob gas used, bloom and the three roots. Nothing is written;
import the result with `Chain.import_block`, passing `executed=built.executed` to skip executing
it a second time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from pyeth.chain.blocks import EMPTY_OMMERS_HASH, Block, transactions_root, withdrawals_root
from pyeth.chain.chain import AncestorHashes, Chain
from pyeth.chain.forks import since
from pyeth.chain.processing import BlockExecution, BlockResult
from pyeth.chain.receipts import EMPTY_BLOOM
from pyeth.chain.validation import (
    BOMB_DELAYS,
    calc_base_fee,
    calc_difficulty,
    calc_excess_blob_gas,
)
from pyeth.errors import InvalidTransaction
from pyeth.sedes import BlockHeader, Receipt, Withdrawal
from pyeth.state import State
from pyeth.transactions import Transaction
from pyeth.trie import EMPTY_TRIE_ROOT


@dataclass(slots=True)
class BuiltBlock:
    """A sealed-ready block and what happened to the candidates."""

    block: Block
    result: BlockResult
    rejected: list[tuple[Transaction, str]] = field(default_factory=list)
    state: State | None = field(default=None, repr=False)  # the block's post-state

    @property
    def executed(self) -> tuple[State, BlockResult] | None:
        """What `Chain.import_block(block, executed=...)` takes to skip executing it again."""
        return None if self.state is None else (self.state, self.result)


def build_block(
    chain: Chain,
    transactions: Iterable[Transaction] = (),
    *,
    parent_hash: bytes | None = None,
    timestamp: int | None = None,
    coinbase: bytes = bytes(20),
    gas_limit: int | None = None,
    extra_data: bytes = b"",
    prev_randao: bytes = bytes(32),
    withdrawals: Sequence[Withdrawal] = (),
    parent_beacon_block_root: bytes = bytes(32),
    state: State | None = None,
) -> BuiltBlock:
    """A valid block on `parent_hash` (the head by default) with as many of `transactions`, in
    order, as can be included (the others come back with the reason), under the rules of the
    fork in force at its number and timestamp. `timestamp` defaults to the parent's plus one
    second, the gas limit to the parent's. `state` is the parent's post-state to build on,
    one the caller owns (a preview that must not take the chain's cached one); by default the
    chain's, taken out of its cache."""
    builder = BlockBuilder(
        chain,
        parent_hash=parent_hash,
        timestamp=timestamp,
        coinbase=coinbase,
        gas_limit=gas_limit,
        extra_data=extra_data,
        prev_randao=prev_randao,
        withdrawals=withdrawals,
        parent_beacon_block_root=parent_beacon_block_root,
        state=state,
    )
    rejected: list[tuple[Transaction, str]] = []
    for tx in transactions:
        try:
            builder.add(tx)  # leaves the state untouched when it raises
        except InvalidTransaction as exc:
            rejected.append((tx, str(exc)))
    built = builder.finish()
    built.rejected = rejected
    return built


class BlockBuilder:
    """`build_block` one transaction at a time: the header's fields are fixed on creation,
    `add` executes a transaction at once (its receipt, or InvalidTransaction with nothing
    changed), `finish` fills in the roots and returns the block. What eth-tester's pending
    block needs: a transaction's failure reaches its sender, not a later sealing. Arguments
    as `build_block`'s."""

    def __init__(
        self,
        chain: Chain,
        *,
        parent_hash: bytes | None = None,
        timestamp: int | None = None,
        coinbase: bytes = bytes(20),
        gas_limit: int | None = None,
        extra_data: bytes = b"",
        prev_randao: bytes = bytes(32),
        withdrawals: Sequence[Withdrawal] = (),
        parent_beacon_block_root: bytes = bytes(32),
        state: State | None = None,
    ) -> None:
        parent_hash = chain.head_hash if parent_hash is None else parent_hash
        parent = chain.get_header(parent_hash)
        if parent is None:
            raise KeyError(f"block 0x{parent_hash.hex()} is not in the database")
        number = parent.number + 1
        timestamp = parent.timestamp + 1 if timestamp is None else timestamp
        rules = chain.config.rules_at(number, timestamp)
        london, shanghai, cancun = (since(rules, fork) for fork in ("London", "Shanghai", "Cancun"))
        header = BlockHeader(
            parent_hash=parent_hash,
            ommers_hash=EMPTY_OMMERS_HASH,
            coinbase=coinbase,
            state_root=EMPTY_TRIE_ROOT,
            transactions_root=EMPTY_TRIE_ROOT,
            receipts_root=EMPTY_TRIE_ROOT,
            logs_bloom=EMPTY_BLOOM,
            difficulty=0,
            number=number,
            gas_limit=parent.gas_limit if gas_limit is None else gas_limit,
            gas_used=0,
            timestamp=timestamp,
            extra_data=extra_data,
            prev_randao=prev_randao,
            nonce=bytes(8),
            base_fee_per_gas=calc_base_fee(parent) if london else None,
            withdrawals_root=withdrawals_root(withdrawals) if shanghai else None,
            blob_gas_used=0 if cancun else None,
            excess_blob_gas=calc_excess_blob_gas(parent, rules) if cancun else None,
            parent_beacon_block_root=parent_beacon_block_root if cancun else None,
        )
        if not since(rules, "Paris"):  # a proof-of-work header: the difficulty its parent gives
            header = replace(
                header, difficulty=calc_difficulty(header, parent, BOMB_DELAYS[rules.name])
            )
        if withdrawals and not shanghai:
            raise ValueError(f"withdrawals given for a {rules.name} block (they came in Shanghai)")
        # Read from the database only if a transaction runs BLOCKHASH (256 rows a block otherwise).
        hashes = AncestorHashes(chain, parent_hash, parent.number)
        self.state = chain.take_state(parent.state_root) if state is None else state
        self.header = header  # the roots, gas used and bloom are filled in by `finish`
        self.rules = rules
        self.withdrawals = tuple(withdrawals)
        self.included: list[Transaction] = []
        self.execution = BlockExecution(
            self.state,
            header,
            rules,
            chain.chain_id,
            hashes,
            deposit_contract=chain.config.deposit_contract,
        )

    def add(self, tx: Transaction) -> Receipt:
        """Include `tx`; its receipt.

        Raises:
            InvalidTransaction: `tx` cannot be included here; the state is untouched.
        """
        receipt = self.execution.apply(tx)
        self.included.append(tx)
        return receipt

    def finish(self) -> BuiltBlock:
        """The block with what was added; the builder is spent."""
        result = self.execution.finish(self.withdrawals)
        header = replace(
            self.header,
            state_root=self.state.state_root(),
            transactions_root=transactions_root(self.included),
            receipts_root=result.receipts_root,
            logs_bloom=result.logs_bloom,
            gas_used=result.gas_used,
            blob_gas_used=result.blob_gas_used if self.header.blob_gas_used is not None else None,
            requests_hash=result.requests_hash,
        )
        withdrawals = self.withdrawals if header.withdrawals_root is not None else None
        block = Block(header, tuple(self.included), (), withdrawals)
        return BuiltBlock(block, result, [], self.state)

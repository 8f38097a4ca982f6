"""Executing a block on the state of its parent: the start-of-block system calls (from Cancun the
EIP-4788 beacon root, from Prague the EIP-2935 parent hash), every transaction through the EVM
(`pyeth.transition`), before the merge the miner's reward, from Shanghai the withdrawals
credited (EIP-4895), from Prague the requests (EIP-7685: deposits, withdrawal and consolidation
requests), and the receipts, gas and bloom that result.

A transaction that is invalid in its block (bad signature, wrong chain id, nonce, funds, gas
above what the block has left, too much blob gas) makes the whole block invalid: `apply_block`
raises InvalidBlock naming the transaction and the rule. The state is then left half-applied;
the caller owns it and must throw it away. This module does not compare the results with the
header (`validation` does) and does not write to any store (the chain does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from evm.forks import ForkRules
from evm.frame import BlockEnv
from evm.gas import BLOB_BASE_FEE_UPDATE_FRACTION, GAS_PER_BLOB
from pyeth.chain.blocks import Block, indexed_root
from pyeth.chain.forks import since
from pyeth.chain.genesis import MAINNET_DEPOSIT_CONTRACT
from pyeth.chain.receipts import combine_blooms, encode_receipt_fast, make_receipt
from pyeth.chain.requests import collect_requests, requests_hash
from pyeth.chain.system import (
    BEACON_ROOTS_ADDRESS,
    SYSTEM_ADDRESS,
    SYSTEM_CALL_GAS,
    process_beacon_root,
    process_parent_block_hash,
)
from pyeth.errors import InvalidBlock, InvalidTransaction
from pyeth.fees import blob_base_fee, blob_gas
from pyeth.sedes import BlockHeader, Receipt, Withdrawal
from pyeth.state import State
from pyeth.transactions import BlobTransaction, Transaction, recover_sender, validate_static
from pyeth.transition import TransactionResult, apply_transaction

GWEI: Final = 10**9
BLOCK_REWARD: Final = 2 * 10**18  # before the merge, the miner's reward (EIP-1234)

__all__ = [
    "BEACON_ROOTS_ADDRESS",  # the system-call names, where callers found them before
    "SYSTEM_ADDRESS",
    "SYSTEM_CALL_GAS",
    "BlockExecution",
    "BlockResult",
    "apply_block",
    "block_env",
    "process_withdrawals",
]


@dataclass(slots=True)
class BlockResult:
    """What executing a block produced, to be checked against its header and stored."""

    receipts: list[Receipt] = field(default_factory=list)
    senders: list[bytes] = field(default_factory=list)
    results: list[TransactionResult] = field(default_factory=list)
    gas_used: int = 0
    blob_gas_used: int = 0
    requests: list[bytes] | None = None  # from Prague: the block's requests (EIP-7685)
    _encoded: list[bytes] = field(default_factory=list, repr=False)
    _receipts_root: bytes = field(default=b"", repr=False)  # of the first len(_encoded)

    @property
    def logs_bloom(self) -> bytes:
        return combine_blooms(r.logs_bloom for r in self.receipts)

    def encoded_receipts(self) -> list[bytes]:
        """The receipts as the trie and the store hold them, encoded once."""
        if len(self._encoded) != len(self.receipts):
            self._encoded = [encode_receipt_fast(r) for r in self.receipts]
            self._receipts_root = b""
        return self._encoded

    @property
    def receipts_root(self) -> bytes:
        """Computed once (a sealer's block is checked against it again on import)."""
        encoded = self.encoded_receipts()
        if not self._receipts_root:
            self._receipts_root = indexed_root(encoded)
        return self._receipts_root

    @property
    def requests_hash(self) -> bytes | None:
        """The hash the header must carry from Prague (EIP-7685); None before."""
        return None if self.requests is None else requests_hash(self.requests)


def block_env(
    header: BlockHeader,
    chain_id: int,
    block_hashes: Sequence[bytes],
    rules: ForkRules | None = None,
) -> BlockEnv:
    """What the EVM's block opcodes read while executing `header`'s block under `rules` (whose
    blob schedule prices blob gas; Cancun's when None)."""
    fraction = BLOB_BASE_FEE_UPDATE_FRACTION if rules is None else rules.blob_update_fraction
    return BlockEnv(
        coinbase=header.coinbase,
        number=header.number,
        timestamp=header.timestamp,
        gas_limit=header.gas_limit,
        prev_randao=header.prev_randao,
        base_fee=header.base_fee_per_gas or 0,
        chain_id=chain_id,
        blob_base_fee=blob_base_fee(header.excess_blob_gas or 0, fraction),
        block_hashes=block_hashes,
        difficulty=header.difficulty,
    )


def apply_block(
    state: State,
    block: Block,
    rules: ForkRules,
    chain_id: int,
    block_hashes: Sequence[bytes],
    deposit_contract: bytes = MAINNET_DEPOSIT_CONTRACT,
) -> BlockResult:
    """Execute `block` on `state` (its parent's post-state), changing `state` in place.

    Args:
        block_hashes: hashes of the up to 256 ancestors of the block, oldest first, on the
            block's own branch (BLOCKHASH never looks at another branch).
        deposit_contract: the address whose deposit logs are requests (EIP-6110).

    Raises:
        InvalidBlock: a transaction cannot be included, a deposit log is malformed or a
            request system call failed; the message names the rule.
    """
    execution = BlockExecution(
        state, block.header, rules, chain_id, block_hashes, deposit_contract=deposit_contract
    )
    for index, tx in enumerate(block.transactions):
        try:
            execution.apply(tx)
        except InvalidTransaction as exc:
            raise InvalidBlock(f"invalid transaction {index}: {exc}") from None
    return execution.finish(block.withdrawals or ())


class BlockExecution:
    """One block being executed step by step: the system calls on creation, then `apply` per
    transaction, then `finish` with the withdrawals (and the requests). A sealer uses it to skip
    the transactions that cannot be included; `apply_block` to reject a block that holds
    one."""

    def __init__(
        self,
        state: State,
        header: BlockHeader,
        rules: ForkRules,
        chain_id: int,
        block_hashes: Sequence[bytes],
        *,
        deposit_contract: bytes = MAINNET_DEPOSIT_CONTRACT,
    ) -> None:
        self.state = state
        self.header = header
        self.rules = rules
        self.chain_id = chain_id
        self.deposit_contract = deposit_contract
        self.env = block_env(header, chain_id, block_hashes, rules)
        self.max_blob_gas = rules.blob_max * GAS_PER_BLOB
        self.result = BlockResult()
        if header.parent_beacon_block_root is not None:
            process_beacon_root(state, self.env, header.parent_beacon_block_root, rules)
        if since(rules, "Prague"):
            process_parent_block_hash(state, self.env, header.parent_hash, rules)

    def apply(self, tx: Transaction) -> Receipt:
        """Include `tx`; its receipt.

        Raises:
            InvalidTransaction: `tx` cannot be included here; the state is untouched.
        """
        validate_static(tx, chain_id=self.chain_id, rules=self.rules)
        sender = recover_sender(tx)
        out = self.result
        if isinstance(tx, BlobTransaction):
            tx_blob_gas = blob_gas(len(tx.blob_versioned_hashes))
            if out.blob_gas_used + tx_blob_gas > self.max_blob_gas:
                raise InvalidTransaction(
                    f"blob gas used above the block limit: {out.blob_gas_used + tx_blob_gas} "
                    f"> {self.max_blob_gas}"
                )
        result = apply_transaction(
            self.state, self.env, tx, sender, self.rules, self.header.gas_limit - out.gas_used
        )
        out.gas_used += result.gas_used
        out.blob_gas_used += result.blob_gas_used
        receipt = make_receipt(tx.TYPE, result.success, out.gas_used, result.logs)
        out.receipts.append(receipt)
        out.senders.append(sender)
        out.results.append(result)
        return receipt

    def finish(self, withdrawals: Sequence[Withdrawal]) -> BlockResult:
        """Pay the miner (before Paris), credit the withdrawals and, from Prague, collect the
        requests; the block's results.

        Raises:
            InvalidBlock: a deposit log is malformed or a request system call failed.
        """
        if not since(self.rules, "Paris"):
            coinbase = self.header.coinbase
            self.state.set_balance(coinbase, self.state.get_balance(coinbase) + BLOCK_REWARD)
        if withdrawals:
            process_withdrawals(self.state, withdrawals)
        if since(self.rules, "Prague"):
            self.result.requests = collect_requests(
                self.state, self.env, self.rules, self.result.receipts, self.deposit_contract
            )
        return self.result


def process_withdrawals(state: State, withdrawals: Sequence[Withdrawal]) -> None:
    """EIP-4895: credit each withdrawal's amount (in Gwei) to its address, outside the EVM.

    A zero amount creates no account, and an existing empty account it lands on is removed
    (EIP-161 touch), as the specification's `process_withdrawal` does.
    """
    for withdrawal in withdrawals:
        address = withdrawal.address
        if withdrawal.amount:
            state.set_balance(address, state.get_balance(address) + withdrawal.amount * GWEI)
        elif state.account_exists(address) and state.is_empty(address):
            state.destroy_account(address)

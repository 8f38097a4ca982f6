"""Blocks, transactions, receipts and logs as the execution-apis spec shapes them in JSON:
quantities as 0x-hex without leading zeros, data as 0x-hex, addresses in lower case.

These functions only format: looking things up is the namespace modules' job.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evm.addresses import create_address
from evm.forks import ForkRules
from pyeth.chain import Block, LogEntry, encode_block
from pyeth.chain.validation import header_blob_base_fee
from pyeth.fees import blob_gas
from pyeth.hexutil import int_to_hex as q
from pyeth.hexutil import to_hex
from pyeth.sedes import BlockHeader, Receipt
from pyeth.transactions import (
    AccessListTransaction,
    BlobTransaction,
    FeeMarketTransaction,
    LegacyTransaction,
    Transaction,
    recover_sender,
)
from pyeth.transactions.model import SetCodeTransaction
from pyeth.transition import effective_gas_price

Json = dict[str, Any]


def header_json(header: BlockHeader, block_hash: bytes) -> Json:
    """The header fields of a block object (newHeads sends exactly these)."""
    out: Json = {
        "hash": to_hex(block_hash),
        "parentHash": to_hex(header.parent_hash),
        "sha3Uncles": to_hex(header.ommers_hash),
        "miner": to_hex(header.coinbase),
        "stateRoot": to_hex(header.state_root),
        "transactionsRoot": to_hex(header.transactions_root),
        "receiptsRoot": to_hex(header.receipts_root),
        "logsBloom": to_hex(header.logs_bloom),
        "difficulty": q(header.difficulty),
        "number": q(header.number),
        "gasLimit": q(header.gas_limit),
        "gasUsed": q(header.gas_used),
        "timestamp": q(header.timestamp),
        "extraData": to_hex(header.extra_data),
        "mixHash": to_hex(header.prev_randao),
        "nonce": to_hex(header.nonce),
    }
    if header.base_fee_per_gas is not None:
        out["baseFeePerGas"] = q(header.base_fee_per_gas)
    if header.withdrawals_root is not None:
        out["withdrawalsRoot"] = to_hex(header.withdrawals_root)
    if header.blob_gas_used is not None:
        out["blobGasUsed"] = q(header.blob_gas_used)
    if header.excess_blob_gas is not None:
        out["excessBlobGas"] = q(header.excess_blob_gas)
    if header.parent_beacon_block_root is not None:
        out["parentBeaconBlockRoot"] = to_hex(header.parent_beacon_block_root)
    if header.requests_hash is not None:
        out["requestsHash"] = to_hex(header.requests_hash)
    return out


def block_json(block: Block, full: bool) -> Json:
    """A block object with transaction hashes, or full transaction objects when `full`."""
    out = header_json(block.header, block.hash)
    out["size"] = q(len(encode_block(block)))
    if full:
        base_fee = block.header.base_fee_per_gas
        out["transactions"] = [
            transaction_json(tx, block.hash, block.number, index, base_fee, tx_hash)
            for index, (tx, tx_hash) in enumerate(
                zip(block.transactions, block.transaction_hashes, strict=True)
            )
        ]
    else:
        out["transactions"] = [to_hex(h) for h in block.transaction_hashes]
    out["uncles"] = [to_hex(ommer.hash) for ommer in block.ommers]
    if block.withdrawals is not None:
        out["withdrawals"] = [
            {
                "index": q(w.index),
                "validatorIndex": q(w.validator_index),
                "address": to_hex(w.address),
                "amount": q(w.amount),
            }
            for w in block.withdrawals
        ]
    return out


def transaction_json(
    tx: Transaction,
    block_hash: bytes | None = None,
    block_number: int | None = None,
    index: int | None = None,
    base_fee: int | None = None,
    tx_hash: bytes | None = None,
) -> Json:
    """A transaction object; the block fields are null for a pending transaction."""
    out: Json = {
        "type": q(tx.TYPE),
        "hash": to_hex(tx_hash or tx.hash),
        "nonce": q(tx.nonce),
        "blockHash": None if block_hash is None else to_hex(block_hash),
        "blockNumber": None if block_number is None else q(block_number),
        "transactionIndex": None if index is None else q(index),
        "from": to_hex(recover_sender(tx)),
        "to": None if tx.to is None else to_hex(tx.to),
        "value": q(tx.value),
        "gas": q(tx.gas_limit),
        "input": to_hex(tx.data),
    }
    if isinstance(tx, LegacyTransaction):
        out["gasPrice"] = q(tx.gas_price)
        if tx.chain_id is not None:
            out["chainId"] = q(tx.chain_id)
        out["v"] = q(tx.v)
    else:
        out["chainId"] = q(tx.chain_id)
        out["accessList"] = [
            {
                "address": to_hex(address),
                "storageKeys": [to_hex(k.to_bytes(32, "big")) for k in keys],
            }
            for address, keys in tx.access_list
        ]
        if isinstance(tx, AccessListTransaction):
            out["gasPrice"] = q(tx.gas_price)
        else:
            assert isinstance(tx, FeeMarketTransaction | BlobTransaction | SetCodeTransaction)
            out["maxFeePerGas"] = q(tx.max_fee_per_gas)
            out["maxPriorityFeePerGas"] = q(tx.max_priority_fee_per_gas)
            # In a block: what it paid per gas; pending: its fee cap, as geth reports it.
            price = tx.max_fee_per_gas if base_fee is None else effective_gas_price(tx, base_fee)
            out["gasPrice"] = q(price)
        if isinstance(tx, BlobTransaction):
            out["maxFeePerBlobGas"] = q(tx.max_fee_per_blob_gas)
            out["blobVersionedHashes"] = [to_hex(h) for h in tx.blob_versioned_hashes]
        if isinstance(tx, SetCodeTransaction):
            out["authorizationList"] = [
                {
                    "chainId": q(auth.chain_id),
                    "address": to_hex(auth.address),
                    "nonce": q(auth.nonce),
                    "yParity": q(auth.y_parity),
                    "r": q(auth.r),
                    "s": q(auth.s),
                }
                for auth in tx.authorization_list
            ]
        out["yParity"] = q(tx.y_parity)
        out["v"] = q(tx.y_parity)
    out["r"] = q(tx.r)
    out["s"] = q(tx.s)
    return out


def log_json(entry: LogEntry, timestamp: int | None = None) -> Json:
    out: Json = {
        "address": to_hex(entry.log.address),
        "topics": [to_hex(t) for t in entry.log.topics],
        "data": to_hex(entry.log.data),
        "blockNumber": q(entry.block_number),
        "blockHash": to_hex(entry.block_hash),
        "transactionHash": to_hex(entry.transaction_hash),
        "transactionIndex": q(entry.transaction_index),
        "logIndex": q(entry.log_index),
        "removed": entry.removed,
    }
    if timestamp is not None:
        out["blockTimestamp"] = q(timestamp)
    return out


def receipts_json(block: Block, receipts: Sequence[Receipt], rules: ForkRules) -> list[Json]:
    """Every receipt object of a block (whose fork's rules are `rules`), in transaction order."""
    out = []
    log_index = 0
    for index, receipt in enumerate(receipts):
        out.append(_receipt_json(block, receipts, index, log_index, rules))
        log_index += len(receipt.logs)
    return out


def receipt_json(block: Block, receipts: Sequence[Receipt], index: int, rules: ForkRules) -> Json:
    """The receipt object of the block's transaction `index` (only its sender recovered)."""
    log_index = sum(len(receipt.logs) for receipt in receipts[:index])
    return _receipt_json(block, receipts, index, log_index, rules)


def _receipt_json(
    block: Block, receipts: Sequence[Receipt], index: int, log_index: int, rules: ForkRules
) -> Json:
    """Receipt `index`, whose first log is the block's log `log_index`; blob gas is priced with
    the block's blob schedule."""
    header = block.header
    tx = block.transactions[index]
    receipt = receipts[index]
    tx_hash = block.transaction_hashes[index]
    previous = receipts[index - 1].cumulative_gas_used if index else 0
    sender = recover_sender(tx)
    item: Json = {
        "type": q(tx.TYPE),
        "transactionHash": to_hex(tx_hash),
        "transactionIndex": q(index),
        "blockHash": to_hex(block.hash),
        "blockNumber": q(block.number),
        "from": to_hex(sender),
        "to": None if tx.to is None else to_hex(tx.to),
        "cumulativeGasUsed": q(receipt.cumulative_gas_used),
        "gasUsed": q(receipt.cumulative_gas_used - previous),
        "contractAddress": to_hex(create_address(sender, tx.nonce)) if tx.to is None else None,
        "logs": [
            log_json(
                LogEntry(log, block.hash, block.number, tx_hash, index, log_index + offset, False),
                header.timestamp,
            )
            for offset, log in enumerate(receipt.logs)
        ],
        "logsBloom": to_hex(receipt.logs_bloom),
        "status": q(receipt.status) if isinstance(receipt.status, int) else None,
        "effectiveGasPrice": q(effective_gas_price(tx, header.base_fee_per_gas or 0)),
    }
    if isinstance(receipt.status, bytes):
        item["root"] = to_hex(receipt.status)
        del item["status"]
    if isinstance(tx, BlobTransaction):
        item["blobGasUsed"] = q(blob_gas(len(tx.blob_versioned_hashes)))
        item["blobGasPrice"] = q(header_blob_base_fee(header, rules))
    return item

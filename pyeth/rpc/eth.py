"""The eth_ namespace: chain and state queries, fees, transactions (raw and, for the unlocked dev
accounts, signed here), calls and estimation, logs, filters and subscriptions.

Block parameters: "earliest" is block 0; "latest", "safe" and "finalized" are the head (a dev
chain finalizes at once); "pending" is the block that would be sealed now (`Node.pending_block`:
the pool's pending transactions on the head) for block lookups and state reads, and calls and
estimates at "pending" run in its environment after its transactions. eth_getProof, log ranges
and fee history read "pending" as the head. A block that does not exist gives null for block
lookups and "header not found" for state queries.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Hashable
from typing import Any, Final, TypeVar

from evm.forks import ForkRules
from evm.frame import BlockEnv
from evm.gas import GAS_PER_BLOB
from pyeth.accounts import eip191_hash, sign_hash, typed_data_hash
from pyeth.callrunner import CallAborted, LoopSequence, Overran
from pyeth.calls import (
    AccountOverride,
    CallRequest,
    apply_overrides,
    create_access_list,
    estimate_gas,
    run_call,
)
from pyeth.chain import Block
from pyeth.chain.events import block_logs
from pyeth.chain.receipts import bloom_contains
from pyeth.chain.validation import calc_base_fee, calc_excess_blob_gas, header_blob_base_fee
from pyeth.fees import blob_base_fee
from pyeth.hashing import EMPTY_KECCAK
from pyeth.hexutil import int_to_hex as q
from pyeth.hexutil import to_hex
from pyeth.rpc import params as p
from pyeth.rpc.api import Namespace, RpcContext, optional, required
from pyeth.rpc.errors import (
    INVALID_PARAMS,
    LIMIT_EXCEEDED,
    METHOD_NOT_FOUND,
    RpcError,
    ServerError,
)
from pyeth.rpc.formats import (
    block_json,
    log_json,
    receipt_json,
    receipts_json,
    transaction_json,
)
from pyeth.rpc.params import LATEST, BlockRef, LogCriteria
from pyeth.sedes import BlockHeader, decode
from pyeth.state import State
from pyeth.transactions import (
    AccessListTransaction,
    FeeMarketTransaction,
    LegacyTransaction,
    Transaction,
    encode_transaction,
    impersonate,
    sign_transaction,
)
from pyeth.trie import EMPTY_TRIE_ROOT, SecureTrie

METHODS = Namespace()

SUGGESTED_TIP: Final = 10**9  # 1 gwei, as anvil and geth's dev mode suggest
UNCAPPED_CALL_GAS: Final = 2**63 - 1  # a call's gas with no cap and none asked (geth's)
MAX_FEE_HISTORY_BLOCKS: Final = 1024
MAX_LOG_RESULTS: Final = 10_000
MAX_LOG_BLOCK_RANGE: Final = 100_000

# --- resolving block parameters ---------------------------------------------------------


def _number(ctx: RpcContext, ref: BlockRef) -> int | None:
    """The canonical number `ref` names, or None if there is no such block."""
    chain = ctx.node.chain
    if ref.hash is not None:
        header = chain.get_header(ref.hash)
        if header is None:
            return None
        if ref.require_canonical and chain.canonical_hash(header.number) != ref.hash:
            raise ServerError(f"hash 0x{ref.hash.hex()} is not currently canonical")
        return header.number
    if ref.tag == "earliest":
        return 0
    if ref.tag is not None:
        return chain.head.number
    assert ref.number is not None
    return ref.number if ref.number <= chain.head.number else None


def find_block(ctx: RpcContext, ref: BlockRef) -> Block | None:
    """The block `ref` names (the pending one included), or None."""
    chain = ctx.node.chain
    if ref.is_pending:
        return ctx.node.pending_block().block
    if ref.hash is not None:
        if ref.require_canonical:
            _number(ctx, ref)
        return chain.get_block(ref.hash)
    number = _number(ctx, ref)
    return None if number is None else chain.get_block_by_number(number)


def _header(ctx: RpcContext, ref: BlockRef) -> tuple[BlockHeader, bytes]:
    """The header `ref` names and its hash; raises "header not found" when there is none."""
    chain = ctx.node.chain
    if ref.tag is not None and ref.tag != "earliest":
        return chain.head, chain.head_hash  # every tag but earliest names the head here
    if ref.hash is not None:
        _number(ctx, ref)  # requireCanonical
        header = chain.get_header(ref.hash)
        if header is None:
            raise ServerError("header not found")
        return header, ref.hash
    number = _number(ctx, ref)
    block_hash = None if number is None else chain.canonical_hash(number)
    header = None if block_hash is None else chain.get_header(block_hash)
    if header is None or block_hash is None:
        raise ServerError("header not found")
    return header, block_hash


def _state(ctx: RpcContext, ref: BlockRef) -> State:
    if ref.is_pending:
        return _pending_state(ctx)
    header, _ = _header(ctx, ref)
    return ctx.node.state_at(header)


def _pending_state(ctx: RpcContext) -> State:
    """The pending block's post-state (shared: read it, do not change it); the head's while
    the pool has nothing pending (the pending block then differs from it only in the system
    contracts' storage, and building it for every estimate after every transaction would cost
    a block's work)."""
    node = ctx.node
    if not node.pool.pending():
        return node.state_at(node.chain.head)
    state = node.pending_block().state
    assert state is not None
    return state


@dataclasses.dataclass(frozen=True, slots=True)
class CallTarget:
    """Where a call at a block runs: its environment and rules, and its state: `key` names the
    state (for reuse by the next call at it), `build` makes a new one, on the event loop."""

    env: BlockEnv
    rules: ForkRules
    key: Hashable
    build: Callable[[], State]


def call_target(ctx: RpcContext, ref: BlockRef) -> CallTarget:
    """What a call at `ref` runs on."""
    node = ctx.node
    chain = node.chain
    if ref.is_pending and node.pool.pending():
        head, env = node.pending_env()
        rules = node.rules_at(dataclasses.replace(head, number=env.number, timestamp=env.timestamp))
        key: Hashable = ("pending", chain.head_hash, node.pool.version, env.timestamp)

        def build() -> State:
            state = node.pending_block(fresh=True).state
            assert state is not None
            return state

    else:
        if ref.is_pending:  # nothing pending: the head's state (see _pending_state)
            head, env = node.pending_env()
            rules = node.rules_at(
                dataclasses.replace(head, number=env.number, timestamp=env.timestamp)
            )
        else:
            head, block_hash = _header(ctx, ref)
            env = node.call_env(head, block_hash)
            rules = node.rules_at(head)
        root = key = head.state_root

        def build() -> State:
            return chain.state_at(root)

    return CallTarget(env, rules, key, build)


T = TypeVar("T")


async def run_on_state(
    ctx: RpcContext,
    ref: BlockRef,
    work: Callable[[State, BlockEnv, ForkRules], T],
    overrides: dict[bytes, AccountOverride] | None = None,
) -> T:
    """Run `work` on a state of its own at `ref` (with `overrides` applied): on the event loop
    if it ends within the inline slice, else again from the start in a call worker under the
    RPC EVM timeout, while the event loop serves others (see `pyeth.callrunner`).

    Raises:
        CallTimeout: `work` ran past the timeout (geth's "execution aborted (timeout = 5s)").
        CallAborted: the node is shutting down.
    """
    node = ctx.node
    runner = node.calls
    target = call_target(ctx, ref)
    states = runner.states

    def attempt(env: BlockEnv) -> tuple[State, Callable[[], T]]:
        state = target.build() if overrides else states.take(target.key, target.build)

        def job() -> T:
            if overrides:
                apply_overrides(state, overrides)
            return work(state, env, target.rules)

        return state, job

    state: State | None = None
    finished = False  # `job` is done with `state`, which it left as found
    try:
        if runner.inline_possible():
            state, job = attempt(target.env)
            try:
                result = runner.run_inline(job)
                finished = True
                return result
            except Overran:
                state = None  # dropped: the interruption may have landed anywhere in it
        # In a worker, the BLOCKHASH window is read through the event loop, which owns the chain.
        env = target.env
        loop = asyncio.get_running_loop()
        state, job = attempt(
            dataclasses.replace(env, block_hashes=LoopSequence(env.block_hashes, loop))
        )
        result = await runner.run(job)
        finished = True
        return result
    except CallAborted:
        raise  # stopped anywhere in its work: the state is dropped
    except Exception:
        finished = True
        raise
    finally:
        if finished and state is not None and not overrides:
            states.give(target.key, state)


def gas_cap(ctx: RpcContext) -> int:
    """The most gas a call-like request may use (0: no cap), geth's --rpc.gascap."""
    return ctx.node.config.rpc_gas_cap


def capped(request: CallRequest, cap: int) -> CallRequest:
    """`request` with its gas lowered to `cap` if it asks for more (geth caps silently)."""
    if cap and request.gas is not None and request.gas > cap:
        return dataclasses.replace(request, gas=cap)
    return request


# --- chain and client -------------------------------------------------------------------


@METHODS.method("eth_chainId")
def chain_id(ctx: RpcContext) -> str:
    return q(ctx.node.chain_id)


@METHODS.method("eth_syncing")
def syncing(ctx: RpcContext) -> bool | dict[str, str]:
    progress = None if ctx.node.network is None else ctx.node.network.sync_progress()
    if progress is None:
        return False
    start, current, highest = progress
    return {"startingBlock": q(start), "currentBlock": q(current), "highestBlock": q(highest)}


@METHODS.method("eth_blockNumber")
def block_number(ctx: RpcContext) -> str:
    return q(ctx.node.chain.head.number)


@METHODS.method("eth_coinbase")
def coinbase(ctx: RpcContext) -> str:
    return to_hex(ctx.node.sealer.coinbase)


@METHODS.method("eth_accounts")
def accounts(ctx: RpcContext) -> list[str]:
    return [to_hex(a) for a in ctx.node.accounts.addresses]


# --- fees -------------------------------------------------------------------------------


@METHODS.method("eth_gasPrice")
def gas_price(ctx: RpcContext) -> str:
    return q(calc_base_fee(ctx.node.chain.head) + SUGGESTED_TIP)


@METHODS.method("eth_maxPriorityFeePerGas")
def max_priority_fee(ctx: RpcContext) -> str:
    return q(SUGGESTED_TIP)


@METHODS.method("eth_blobBaseFee")
def blob_fee(ctx: RpcContext) -> str:
    return q(_next_blob_base_fee(ctx, ctx.node.chain.head))


def _next_blob_base_fee(ctx: RpcContext, parent: BlockHeader) -> int:
    """The blob base fee of the block after `parent`, under that block's rules."""
    rules = ctx.node.chain.config.rules_at(parent.number + 1, parent.timestamp + 1)
    if 3 not in rules.tx_types:
        return 0  # no blobs before Cancun (geth's answer too)
    return blob_base_fee(calc_excess_blob_gas(parent, rules), rules.blob_update_fraction)


def rules_of_next_block(ctx: RpcContext) -> ForkRules:
    """The rules of the block that would be sealed next on the head."""
    head = ctx.node.chain.head
    return ctx.node.chain.config.rules_at(head.number + 1, head.timestamp + 1)


def _estimate_cap(env: BlockEnv, rules: ForkRules) -> int:
    """The most gas an estimate tries: the block's, and from Osaka the transaction cap."""
    return min(env.gas_limit, rules.tx_gas_limit_cap or env.gas_limit)


@METHODS.method(
    "eth_feeHistory",
    required("blockCount", p.uint_or_decimal),
    required("newestBlock", p.block_number_or_tag),
    optional("rewardPercentiles", p.percentiles),
)
def fee_history(
    ctx: RpcContext, count: int, newest: BlockRef, percentiles: list[float] | None
) -> dict[str, Any]:
    chain = ctx.node.chain
    newest_number = _number(ctx, newest)
    if newest_number is None:
        raise ServerError("header not found")
    count = min(count, MAX_FEE_HISTORY_BLOCKS, newest_number + 1)
    oldest = newest_number - count + 1
    base_fees, blob_fees, ratios, blob_ratios, rewards = [], [], [], [], []
    header = None
    for number in range(oldest, newest_number + 1):
        block = chain.get_block_by_number(number)
        assert block is not None
        header = block.header
        rules = ctx.node.rules_at(header)
        base_fees.append(q(header.base_fee_per_gas or 0))
        blob_fees.append(q(header_blob_base_fee(header, rules)))
        ratios.append(header.gas_used / header.gas_limit if header.gas_limit else 0.0)
        blob_ratios.append((header.blob_gas_used or 0) / (rules.blob_max * GAS_PER_BLOB))
        if percentiles is not None:
            rewards.append([q(r) for r in _rewards(ctx, block, percentiles)])
    if header is not None:  # the block after the newest one
        base_fees.append(q(calc_base_fee(header)))
        blob_fees.append(q(_next_blob_base_fee(ctx, header)))
    out: dict[str, Any] = {
        "oldestBlock": q(max(oldest, 0)),
        "baseFeePerGas": base_fees,
        "gasUsedRatio": ratios,
        "baseFeePerBlobGas": blob_fees,
        "blobGasUsedRatio": blob_ratios,
    }
    if percentiles is not None:
        out["reward"] = rewards
    return out


def _rewards(ctx: RpcContext, block: Block, percentiles: list[float]) -> list[int]:
    """Effective tips at each percentile of the block's gas, as geth weighs them."""
    if not block.transactions:
        return [0] * len(percentiles)
    receipts = ctx.node.chain.get_receipts(block.hash) or ()
    base_fee = block.header.base_fee_per_gas or 0
    used = []
    previous = 0
    for tx, receipt in zip(block.transactions, receipts, strict=True):
        used.append(
            (
                min(tx.max_priority_fee_per_gas, tx.max_fee_per_gas - base_fee),
                receipt.cumulative_gas_used - previous,
            )
        )
        previous = receipt.cumulative_gas_used
    used.sort()
    out = []
    index, cumulative = 0, used[0][1]
    for percentile in percentiles:
        threshold = block.header.gas_used * percentile / 100
        while cumulative < threshold and index < len(used) - 1:
            index += 1
            cumulative += used[index][1]
        out.append(used[index][0])
    return out


# --- state ------------------------------------------------------------------------------


@METHODS.method(
    "eth_getBalance", required("address", p.address), optional("block", p.block_ref, LATEST)
)
def get_balance(ctx: RpcContext, address: bytes, block: BlockRef) -> str:
    return q(_state(ctx, block).get_balance(address))


@METHODS.method(
    "eth_getCode", required("address", p.address), optional("block", p.block_ref, LATEST)
)
def get_code(ctx: RpcContext, address: bytes, block: BlockRef) -> str:
    return to_hex(_state(ctx, block).get_code(address))


@METHODS.method(
    "eth_getStorageAt",
    required("address", p.address),
    required("slot", p.storage_slot),
    optional("block", p.block_ref, LATEST),
)
def get_storage_at(ctx: RpcContext, address: bytes, slot: int, block: BlockRef) -> str:
    return to_hex(_state(ctx, block).get_storage(address, slot).to_bytes(32, "big"))


@METHODS.method(
    "eth_getTransactionCount",
    required("address", p.address),
    optional("block", p.block_ref, LATEST),
)
def get_transaction_count(ctx: RpcContext, address: bytes, block: BlockRef) -> str:
    if block.is_pending:
        return q(ctx.node.pool.next_nonce(address))
    return q(_state(ctx, block).get_nonce(address))


@METHODS.method(
    "eth_getProof",
    required("address", p.address),
    required("storageKeys", lambda v: _list_of(v, p.storage_slot)),
    required("block", p.block_ref),
)
def get_proof(ctx: RpcContext, address: bytes, keys: list[int], block: BlockRef) -> dict[str, Any]:
    header, _ = _header(ctx, block)
    store = ctx.node.chain.store.nodes
    accounts = SecureTrie(store, header.state_root)
    encoded = accounts.get(address)
    if encoded is None:
        nonce, balance, storage_root, code_hash = 0, 0, EMPTY_TRIE_ROOT, EMPTY_KECCAK
    else:
        fields = decode(encoded)
        nonce = int.from_bytes(fields[0], "big")
        balance = int.from_bytes(fields[1], "big")
        storage_root, code_hash = fields[2], fields[3]
    storage = SecureTrie(store, storage_root)
    storage_proof = []
    for key in keys:
        slot = key.to_bytes(32, "big")
        raw = storage.get(slot) if storage_root != EMPTY_TRIE_ROOT else None
        value = int.from_bytes(decode(raw), "big") if raw else 0
        proof = storage.get_proof(slot) if storage_root != EMPTY_TRIE_ROOT else []
        storage_proof.append(
            {"key": q(key), "value": q(value), "proof": [to_hex(n) for n in proof]}
        )
    return {
        "address": to_hex(address),
        "accountProof": [to_hex(n) for n in accounts.get_proof(address)],
        "balance": q(balance),
        "codeHash": to_hex(code_hash),
        "nonce": q(nonce),
        "storageHash": to_hex(storage_root),
        "storageProof": storage_proof,
    }


def _list_of(value: Any, parse: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("expected an array")
    return [parse(item) for item in value]


# --- blocks and transactions --------------------------------------------------------------


@METHODS.method(
    "eth_getBlockByNumber",
    required("block", p.block_number_or_tag),
    optional("hydrated", p.boolean, False),
)
def get_block_by_number(ctx: RpcContext, block: BlockRef, full: bool) -> dict[str, Any] | None:
    found = find_block(ctx, block)
    return None if found is None else block_json(found, full)


@METHODS.method(
    "eth_getBlockByHash", required("hash", p.hash32), optional("hydrated", p.boolean, False)
)
def get_block_by_hash(ctx: RpcContext, block_hash: bytes, full: bool) -> dict[str, Any] | None:
    found = ctx.node.chain.get_block(block_hash)
    return None if found is None else block_json(found, full)


@METHODS.method("eth_getBlockTransactionCountByNumber", required("block", p.block_number_or_tag))
def tx_count_by_number(ctx: RpcContext, block: BlockRef) -> str | None:
    found = find_block(ctx, block)
    return None if found is None else q(len(found.transactions))


@METHODS.method("eth_getBlockTransactionCountByHash", required("hash", p.hash32))
def tx_count_by_hash(ctx: RpcContext, block_hash: bytes) -> str | None:
    found = ctx.node.chain.get_block(block_hash)
    return None if found is None else q(len(found.transactions))


@METHODS.method("eth_getUncleCountByBlockNumber", required("block", p.block_number_or_tag))
def uncle_count_by_number(ctx: RpcContext, block: BlockRef) -> str | None:
    found = find_block(ctx, block)
    return None if found is None else q(len(found.ommers))


@METHODS.method("eth_getUncleCountByBlockHash", required("hash", p.hash32))
def uncle_count_by_hash(ctx: RpcContext, block_hash: bytes) -> str | None:
    found = ctx.node.chain.get_block(block_hash)
    return None if found is None else q(len(found.ommers))


def _in_block(block: Block, index: int) -> dict[str, Any] | None:
    if index >= len(block.transactions):
        return None
    return transaction_json(
        block.transactions[index],
        block.hash,
        block.number,
        index,
        block.header.base_fee_per_gas,
        block.transaction_hashes[index],
    )


@METHODS.method("eth_getTransactionByHash", required("hash", p.hash32))
def get_transaction_by_hash(ctx: RpcContext, tx_hash: bytes) -> dict[str, Any] | None:
    chain = ctx.node.chain
    location = chain.get_transaction_location(tx_hash)
    if location is not None:
        block = chain.get_block(location[0])
        if block is not None:
            return _in_block(block, location[1])
    entry = ctx.node.pool.get(tx_hash)
    return None if entry is None else transaction_json(entry.tx, tx_hash=entry.hash)


@METHODS.method(
    "eth_getTransactionByBlockHashAndIndex",
    required("hash", p.hash32),
    required("index", p.uint64),
)
def get_transaction_by_hash_and_index(
    ctx: RpcContext, block_hash: bytes, index: int
) -> dict[str, Any] | None:
    block = ctx.node.chain.get_block(block_hash)
    return None if block is None else _in_block(block, index)


@METHODS.method(
    "eth_getTransactionByBlockNumberAndIndex",
    required("block", p.block_number_or_tag),
    required("index", p.uint64),
)
def get_transaction_by_number_and_index(
    ctx: RpcContext, block: BlockRef, index: int
) -> dict[str, Any] | None:
    found = find_block(ctx, block)
    return None if found is None else _in_block(found, index)


@METHODS.method("eth_getTransactionReceipt", required("hash", p.hash32))
def get_transaction_receipt(ctx: RpcContext, tx_hash: bytes) -> dict[str, Any] | None:
    chain = ctx.node.chain
    location = chain.get_transaction_location(tx_hash)
    if location is None:
        return None
    block = chain.get_block(location[0])
    receipts = chain.get_receipts(location[0])
    if block is None or receipts is None:
        return None
    return receipt_json(block, receipts, location[1], ctx.node.rules_at(block.header))


@METHODS.method("eth_getBlockReceipts", required("block", p.block_ref))
def get_block_receipts(ctx: RpcContext, block: BlockRef) -> list[dict[str, Any]] | None:
    if block.is_pending:
        pending = ctx.node.pending_block()
        pending_block = pending.block
        return receipts_json(
            pending_block, pending.result.receipts, ctx.node.rules_at(pending_block.header)
        )
    found = find_block(ctx, block)
    if found is None:
        return None
    receipts = ctx.node.chain.get_receipts(found.hash)
    if receipts is None:
        return None
    return receipts_json(found, receipts, ctx.node.rules_at(found.header))


# --- sending ----------------------------------------------------------------------------


@METHODS.method("eth_sendRawTransaction", required("transaction", p.data))
def send_raw_transaction(ctx: RpcContext, raw: bytes) -> str:
    return to_hex(ctx.node.submit_transaction(raw))


def _account_key(ctx: RpcContext, address: bytes) -> bytes:
    account = ctx.node.accounts.get(address)
    if account is None:
        raise ServerError(f"unknown account 0x{address.hex()}")
    return account.private_key


async def fill_transaction(ctx: RpcContext, request: CallRequest) -> Transaction:
    """An unsigned transaction from a request: gas estimated (in a call worker, as
    eth_estimateGas), nonce from the pool, fees suggested (EIP-1559 unless a gasPrice is
    given)."""
    node = ctx.node
    if request.gas is None:
        gas = await _estimate(ctx, request, BlockRef(tag="pending"), None)
    else:
        gas = request.gas
    # After the estimate: a send from the same account that finished meanwhile took a nonce.
    nonce = request.nonce if request.nonce is not None else node.pool.next_nonce(request.sender)
    chain = node.chain_id
    if request.gas_price is None and 2 not in rules_of_next_block(ctx).tx_types:
        # Before London there is no fee market: a legacy transaction at the suggested price.
        request = dataclasses.replace(request, gas_price=int(gas_price(ctx), 16))
    if request.gas_price is not None:
        if request.access_list:
            return AccessListTransaction(
                chain,
                nonce,
                request.gas_price,
                gas,
                request.to,
                request.value,
                request.data,
                request.access_list,
            )
        return LegacyTransaction(
            nonce, request.gas_price, gas, request.to, request.value, request.data
        )
    base_fee = calc_base_fee(node.chain.head)
    tip = request.max_priority_fee_per_gas
    max_fee = request.max_fee_per_gas
    if tip is None:
        tip = SUGGESTED_TIP if max_fee is None else min(SUGGESTED_TIP, max_fee)
    if max_fee is None:
        max_fee = 2 * base_fee + tip
    return FeeMarketTransaction(
        chain,
        nonce,
        tip,
        max_fee,
        gas,
        request.to,
        request.value,
        request.data,
        request.access_list,
    )


@METHODS.method("eth_sendTransaction", required("transaction", p.call_request))
async def send_transaction(ctx: RpcContext, request: CallRequest) -> str:
    if request.sender == bytes(20):
        raise ServerError("from: missing")
    node = ctx.node
    if node.accounts.get(request.sender) is None and node.may_impersonate(request.sender):
        tx = impersonate(await fill_transaction(ctx, request), request.sender, node.chain_id)
        return to_hex(node.submit_transaction(tx))
    key = _account_key(ctx, request.sender)
    unsigned = await fill_transaction(ctx, request)
    signed = sign_transaction(unsigned, key, node.chain_id)
    return to_hex(node.submit_transaction(signed))


@METHODS.method("eth_signTransaction", required("transaction", p.call_request))
async def sign_transaction_rpc(ctx: RpcContext, request: CallRequest) -> dict[str, Any]:
    if request.sender == bytes(20):
        raise ServerError("from: missing")
    key = _account_key(ctx, request.sender)
    signed = sign_transaction(await fill_transaction(ctx, request), key, ctx.node.chain_id)
    return {"raw": to_hex(encode_transaction(signed)), "tx": transaction_json(signed)}


@METHODS.method("eth_sign", required("address", p.address), required("message", p.data))
def eth_sign(ctx: RpcContext, address: bytes, message: bytes) -> str:
    return to_hex(sign_hash(eip191_hash(message), _account_key(ctx, address)))


@METHODS.method(
    "eth_signTypedData_v4", required("address", p.address), required("typedData", p.typed_data)
)
def sign_typed_data(ctx: RpcContext, address: bytes, document: dict[str, Any]) -> str:
    key = _account_key(ctx, address)
    try:
        digest = typed_data_hash(document)
    except ValueError as exc:
        raise RpcError(INVALID_PARAMS, str(exc)) from None
    return to_hex(sign_hash(digest, key))


# --- calls ------------------------------------------------------------------------------


def call_gas(state: State, env: BlockEnv, request: CallRequest, cap: int) -> int:
    """The gas of a call: as asked, or `cap` (geth's --rpc.gascap; 0: none) when it names none,
    within what the caller can pay for, and never above `cap`. As in geth, a call is not held
    to Osaka's transaction gas cap (EIP-7825): it is no transaction; eth_estimateGas is, since
    its answer goes into one."""
    if request.gas is not None:
        return min(request.gas, cap) if cap else request.gas
    gas = cap or UNCAPPED_CALL_GAS
    price = request.price(env.base_fee)
    if price:
        gas = min(gas, max(0, state.get_balance(request.sender) - request.value) // price)
    return gas


@METHODS.method(
    "eth_call",
    required("transaction", p.call_request),
    optional("block", p.block_ref, LATEST),
    optional("stateOverrides", p.state_overrides),
)
async def call(ctx: RpcContext, request: CallRequest, block: BlockRef, overrides: Any) -> str:
    cap = gas_cap(ctx)

    def work(state: State, env: BlockEnv, rules: ForkRules) -> str:
        outcome = run_call(state, env, rules, request, call_gas(state, env, request, cap))
        outcome.raise_for_failure()
        return to_hex(outcome.output)

    return await run_on_state(ctx, block, work, overrides)


async def _estimate(ctx: RpcContext, request: CallRequest, block: BlockRef, overrides: Any) -> int:
    request = capped(request, gas_cap(ctx))
    cap = gas_cap(ctx)

    def work(state: State, env: BlockEnv, rules: ForkRules) -> int:
        limit = _estimate_cap(env, rules)
        return estimate_gas(state, env, rules, request, min(limit, cap) if cap else limit)

    return await run_on_state(ctx, block, work, overrides)


@METHODS.method(
    "eth_estimateGas",
    required("transaction", p.call_request),
    optional("block", p.block_ref, BlockRef(tag="pending")),
    optional("stateOverrides", p.state_overrides),
)
async def estimate(ctx: RpcContext, request: CallRequest, block: BlockRef, overrides: Any) -> str:
    return q(await _estimate(ctx, request, block, overrides))


@METHODS.method(
    "eth_createAccessList",
    required("transaction", p.call_request),
    optional("block", p.block_ref, BlockRef(tag="pending")),
)
async def access_list(ctx: RpcContext, request: CallRequest, block: BlockRef) -> dict[str, Any]:
    cap = gas_cap(ctx)

    def work(state: State, env: BlockEnv, rules: ForkRules) -> dict[str, Any]:
        gas = request.gas if request.gas is not None else env.gas_limit
        found, outcome = create_access_list(
            state, env, rules, request, min(gas, cap) if cap else gas
        )
        out: dict[str, Any] = {
            "accessList": [
                {
                    "address": to_hex(a),
                    "storageKeys": [to_hex(k.to_bytes(32, "big")) for k in keys],
                }
                for a, keys in found
            ],
            "gasUsed": q(outcome.gas_used),
        }
        if not outcome.success:
            out["error"] = (
                "execution reverted" if outcome.reverted else str(outcome.error or "failed")
            )
        return out

    return await run_on_state(ctx, block, work)


# --- logs, filters, subscriptions ---------------------------------------------------------


def _bloom_may_match(bloom: bytes, criteria: LogCriteria) -> bool:
    if criteria.addresses is not None and not any(
        bloom_contains(bloom, a) for a in criteria.addresses
    ):
        return False
    return all(
        wanted is None or any(bloom_contains(bloom, t) for t in wanted)
        for wanted in criteria.topics
    )


def find_logs(ctx: RpcContext, criteria: LogCriteria) -> list[dict[str, Any]]:
    """The canonical logs matching `criteria`, oldest first."""
    chain = ctx.node.chain
    if criteria.block_hash is not None:
        header = chain.get_header(criteria.block_hash)
        if header is None:
            raise ServerError("unknown block")
        hashes = [criteria.block_hash]
    else:
        low = _number(ctx, criteria.from_block)
        high = _number(ctx, criteria.to_block)
        head = chain.head.number
        low = head + 1 if low is None else low  # from above the head: nothing yet
        high = head if high is None else high
        if (
            low > high
            and criteria.from_block.number is not None
            and (criteria.to_block.number is not None)
        ):
            raise ServerError("invalid block range params: fromBlock is after toBlock")
        if high - low >= MAX_LOG_BLOCK_RANGE:
            raise RpcError(
                LIMIT_EXCEEDED, f"block range too large: at most {MAX_LOG_BLOCK_RANGE} blocks"
            )
        hashes = [h for n in range(low, high + 1) if (h := chain.canonical_hash(n)) is not None]
    out: list[dict[str, Any]] = []
    for block_hash in hashes:
        header = chain.get_header(block_hash)
        if header is None or not _bloom_may_match(header.logs_bloom, criteria):
            continue
        block = chain.get_block(block_hash)
        receipts = chain.get_receipts(block_hash)
        if block is None or receipts is None:
            continue
        for entry in block_logs(block, receipts):
            if criteria.matches(entry.log.address, entry.log.topics):
                out.append(log_json(entry, header.timestamp))
                if len(out) > MAX_LOG_RESULTS:
                    raise RpcError(
                        LIMIT_EXCEEDED, f"query returns more than {MAX_LOG_RESULTS} results"
                    )
    return out


@METHODS.method("eth_getLogs", required("filter", p.log_criteria))
def get_logs(ctx: RpcContext, criteria: LogCriteria) -> list[dict[str, Any]]:
    return find_logs(ctx, criteria)


@METHODS.method("eth_newFilter", required("filter", p.log_criteria))
def new_filter(ctx: RpcContext, criteria: LogCriteria) -> str:
    return ctx.filters.new_filter("logs", criteria)


@METHODS.method("eth_newBlockFilter")
def new_block_filter(ctx: RpcContext) -> str:
    return ctx.filters.new_filter("blocks")


@METHODS.method("eth_newPendingTransactionFilter")
def new_pending_filter(ctx: RpcContext) -> str:
    return ctx.filters.new_filter("pending")


@METHODS.method("eth_getFilterChanges", required("id", p.filter_id))
def filter_changes(ctx: RpcContext, filter_id: str) -> list[Any]:
    return ctx.filters.changes(filter_id)


@METHODS.method("eth_getFilterLogs", required("id", p.filter_id))
def filter_logs(ctx: RpcContext, filter_id: str) -> list[Any]:
    found = ctx.filters.get(filter_id)
    if found.kind != "logs" or found.criteria is None:
        raise ServerError("filter not found")
    return find_logs(ctx, found.criteria)


@METHODS.method("eth_uninstallFilter", required("id", p.filter_id))
def uninstall_filter(ctx: RpcContext, filter_id: str) -> bool:
    return ctx.filters.uninstall(filter_id)


@METHODS.method("eth_subscribe", required("kind", lambda v: v), optional("options", lambda v: v))
def subscribe(ctx: RpcContext, kind: Any, options: Any) -> str:
    if ctx.connection is None:
        raise RpcError(METHOD_NOT_FOUND, "notifications not supported")
    if kind == "newHeads":
        if options is not None:
            raise RpcError(INVALID_PARAMS, "newHeads takes no options")
        return ctx.filters.subscribe("newHeads", ctx.connection)
    if kind == "logs":
        try:
            criteria = p.log_criteria(options or {})
        except (ValueError, TypeError) as exc:
            raise RpcError(INVALID_PARAMS, f"invalid logs options: {exc}") from None
        return ctx.filters.subscribe("logs", ctx.connection, criteria)
    if kind == "newPendingTransactions":
        if options is not None and not isinstance(options, bool):
            raise RpcError(INVALID_PARAMS, "newPendingTransactions takes true or false")
        return ctx.filters.subscribe(
            "newPendingTransactions", ctx.connection, full_transactions=bool(options)
        )
    raise RpcError(INVALID_PARAMS, f"unsupported subscription kind {str(kind)[:40]!r}")


@METHODS.method("eth_unsubscribe", required("id", p.filter_id))
def unsubscribe(ctx: RpcContext, subscription_id: str) -> bool:
    if ctx.connection is None:
        raise RpcError(METHOD_NOT_FOUND, "notifications not supported")
    return ctx.filters.unsubscribe(subscription_id, ctx.connection)

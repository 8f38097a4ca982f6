"""The debug_ namespace: geth-style struct-log traces of a mined transaction (re-executed on
its block's state up to it) or of a call, through `evm.tracing.StructLogger`; and the raw
getters of execution-apis (a header, a block, a transaction, a block's receipts as bytes).

Traces are bounded (`MAX_TRACE_STEPS`): a trace is for looking at, and a runaway loop must not
take the node's memory. Both traces run under the RPC EVM timeout without freezing the event
loop, as calls do (`pyeth.callrunner`; a transaction's trace always in a worker), and a traced
call's gas is capped as eth_call's is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from evm.forks import ForkRules
from evm.frame import BlockEnv
from evm.tracing import StructLogger
from pyeth.calls import CallRequest, run_call
from pyeth.chain.blocks import Block, encode_block
from pyeth.chain.processing import BlockExecution
from pyeth.errors import DecodingError
from pyeth.hexutil import to_hex
from pyeth.rpc import params as p
from pyeth.rpc.api import Namespace, RpcContext, optional, required
from pyeth.rpc.errors import INVALID_PARAMS, LIMIT_EXCEEDED, RpcError, ServerError
from pyeth.rpc.eth import call_gas, find_block, gas_cap, run_on_state
from pyeth.rpc.params import LATEST, BlockRef
from pyeth.sedes import Receipt, encode_receipt
from pyeth.state import State
from pyeth.transactions import BlobTransaction, encode_transaction, recover_sender
from pyeth.transition import effective_gas_price

METHODS = Namespace()

MAX_TRACE_STEPS: Final = 200_000


class _TooLong(Exception):
    pass


def _options(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("trace options: expected an object")
    tracer = value.get("tracer")
    if tracer not in (None, "structLogger", ""):
        raise ValueError(f"tracer {tracer!r} is not supported (only the struct logger)")
    return value


def _trace(run: Any, options: dict[str, Any]) -> dict[str, Any]:
    steps: list[dict[str, Any]] = []
    keep_stack = not options.get("disableStack", False)

    def emit(step: dict[str, object]) -> None:
        if len(steps) >= MAX_TRACE_STEPS:
            raise _TooLong
        entry: dict[str, Any] = {
            "pc": step["pc"],
            "op": step["opName"],
            "gas": int(str(step["gas"]), 16),
            "gasCost": int(str(step["gasCost"]), 16),
            "depth": step["depth"],
        }
        if keep_stack:
            entry["stack"] = step["stack"]
        steps.append(entry)

    logger = StructLogger(emit)
    try:
        outcome = run(logger)
        logger.finish()
    except _TooLong:
        raise RpcError(LIMIT_EXCEEDED, f"trace longer than {MAX_TRACE_STEPS} steps") from None
    return {
        "gas": outcome.gas_used,
        "failed": not outcome.success,
        "returnValue": outcome.output.hex(),
        "structLogs": steps,
    }


@METHODS.method(
    "debug_traceTransaction", required("hash", p.hash32), optional("options", _options, {})
)
async def trace_transaction(
    ctx: RpcContext, tx_hash: bytes, options: dict[str, Any]
) -> dict[str, Any]:
    node = ctx.node
    chain = node.chain
    location = chain.get_transaction_location(tx_hash)
    if location is None:
        raise ServerError(f"transaction 0x{tx_hash.hex()} not found")
    block = chain.get_block(location[0])
    parent = None if block is None else chain.get_header(block.parent_hash)
    if block is None or parent is None:
        raise ServerError("block not found")
    # Read from the chain here, on the event loop; the worker has a state of its own.
    header = block.header
    state = chain.state_at(parent.state_root)
    rules = node.rules_at(header)
    hashes = chain.ancestor_hashes(header.parent_hash, parent.number)
    chain_id = chain.chain_id
    before, tx = block.transactions[: location[1]], block.transactions[location[1]]

    def work() -> dict[str, Any]:
        execution = BlockExecution(state, header, rules, chain_id, hashes)
        for earlier in before:
            execution.apply(earlier)
        env = execution.env
        request = CallRequest(
            sender=recover_sender(tx),
            to=tx.to,
            value=tx.value,
            data=tx.data,
            gas=tx.gas_limit,
            gas_price=effective_gas_price(tx, env.base_fee),
            access_list=tx.access_list,
            blob_hashes=tx.blob_versioned_hashes if isinstance(tx, BlobTransaction) else (),
        )
        return _trace(
            lambda tracer: run_call(state, env, rules, request, tx.gas_limit, tracer), options
        )

    return await node.calls.run(work)


@METHODS.method(
    "debug_traceCall",
    required("transaction", p.call_request),
    optional("block", p.block_ref, LATEST),
    optional("options", _options, {}),
)
async def trace_call(
    ctx: RpcContext, request: CallRequest, block: BlockRef, options: dict[str, Any]
) -> dict[str, Any]:
    overrides = options.get("stateOverrides")
    try:
        parsed = p.state_overrides(overrides) if overrides else None
    except (DecodingError, ValueError, TypeError, KeyError) as exc:
        raise RpcError(INVALID_PARAMS, f"invalid stateOverrides: {exc}") from None
    cap = gas_cap(ctx)

    def work(state: State, env: BlockEnv, rules: ForkRules) -> dict[str, Any]:
        gas = call_gas(state, env, request, cap)
        return _trace(lambda tracer: run_call(state, env, rules, request, gas, tracer), options)

    return await run_on_state(ctx, block, work, parsed)


# --- raw getters ----------------------------------------------------------------------------


def _found_block(ctx: RpcContext, ref: BlockRef) -> Block:
    block = find_block(ctx, ref)
    if block is None:
        raise ServerError("block not found")
    return block


@METHODS.method("debug_getRawHeader", required("block", p.block_ref))
def get_raw_header(ctx: RpcContext, ref: BlockRef) -> str:
    block = _found_block(ctx, ref)
    return to_hex(block.header_rlp or block.header.rlp)


@METHODS.method("debug_getRawBlock", required("block", p.block_ref))
def get_raw_block(ctx: RpcContext, ref: BlockRef) -> str:
    return to_hex(encode_block(_found_block(ctx, ref)))


@METHODS.method("debug_getRawTransaction", required("hash", p.hash32))
def get_raw_transaction(ctx: RpcContext, tx_hash: bytes) -> str:
    """The transaction's EIP-2718 bytes (blobs aside), mined or pooled; "0x" if unknown, as
    geth answers."""
    chain = ctx.node.chain
    location = chain.get_transaction_location(tx_hash)
    block = None if location is None else chain.get_block(location[0])
    if location is not None and block is not None:
        return to_hex(encode_transaction(block.transactions[location[1]]))
    entry = ctx.node.pool.get(tx_hash)
    return "0x" if entry is None else to_hex(encode_transaction(entry.tx))


@METHODS.method("debug_getRawReceipts", required("block", p.block_ref))
def get_raw_receipts(ctx: RpcContext, ref: BlockRef) -> list[str]:
    """The block's receipts as its receipts trie holds them (EIP-2718 typed)."""
    if ref.is_pending:
        receipts: Sequence[Receipt] = ctx.node.pending_block().result.receipts
    else:
        block = _found_block(ctx, ref)
        receipts = ctx.node.chain.get_receipts(block.hash) or ()
    return [to_hex(encode_receipt(receipt)) for receipt in receipts]

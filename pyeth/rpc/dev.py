"""The dev-node namespaces (evm_*, anvil_* and hardhat_* names for the same things): mine now,
switch between automine and interval sealing, move the clock, and snapshot/revert the chain,
as test frameworks written for anvil and Hardhat call them.

A revert moves the head back to the snapshot's block (the blocks after it stay stored, off the
canonical chain) and drops their transactions instead of returning them to the pool, as anvil
and Hardhat do: a test that reverts wants them gone.
"""

from __future__ import annotations

from typing import Any

from pyeth.hexutil import int_to_hex as q
from pyeth.rpc import params as p
from pyeth.rpc.api import Namespace, RpcContext, optional, required
from pyeth.rpc.errors import InvalidParams

METHODS = Namespace()


def _uint_or_number(value: Any) -> int:
    return p.uint_or_decimal(value)


@METHODS.method("evm_mine", optional("timestamp", _uint_or_number))
def mine(ctx: RpcContext, timestamp: int | None) -> str:
    ctx.node.seal(timestamp)
    return "0x0"


@METHODS.method(
    "anvil_mine", optional("blocks", _uint_or_number, 1), optional("interval", _uint_or_number)
)
def mine_many(ctx: RpcContext, blocks: int, interval: int | None) -> None:
    if blocks > 10_000:
        raise InvalidParams("at most 10000 blocks at once")
    for _ in range(blocks):
        timestamp = None
        if interval is not None:
            timestamp = ctx.node.chain.head.timestamp + max(interval, 1)
        ctx.node.seal(timestamp)


METHODS.methods["hardhat_mine"] = METHODS.methods["anvil_mine"]


@METHODS.method("evm_setAutomine", required("enabled", p.boolean))
def set_automine(ctx: RpcContext, enabled: bool) -> bool:
    node = ctx.node
    node.set_block_time(None if enabled else (node.config.block_time or None))
    node.automine = enabled
    return True


@METHODS.method("evm_setIntervalMining", required("milliseconds", _uint_or_number))
def set_interval_mining(ctx: RpcContext, milliseconds: int) -> bool:
    ctx.node.set_block_time(milliseconds / 1000 if milliseconds else None)
    return True


@METHODS.method("evm_increaseTime", required("seconds", _uint_or_number))
def increase_time(ctx: RpcContext, seconds: int) -> str:
    ctx.node.sealer.time_offset += seconds
    return q(ctx.node.sealer.time_offset)


@METHODS.method("evm_setNextBlockTimestamp", required("timestamp", _uint_or_number))
def set_next_block_timestamp(ctx: RpcContext, timestamp: int) -> None:
    if timestamp <= ctx.node.chain.head.timestamp:
        raise InvalidParams(
            f"timestamp {timestamp} is not after the head's {ctx.node.chain.head.timestamp}"
        )
    ctx.node.sealer.next_timestamp = timestamp


@METHODS.method("evm_snapshot")
def snapshot(ctx: RpcContext) -> str:
    return q(ctx.node.snapshot())


@METHODS.method("evm_revert", required("id", p.uint64))
def revert(ctx: RpcContext, snapshot_id: int) -> bool:
    return ctx.node.revert(snapshot_id)

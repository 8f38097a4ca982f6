"""The dev-node namespaces (evm_*, anvil_* and hardhat_* names for the same things): mine now,
switch between automine and interval sealing, move the clock, snapshot/revert the chain, drop
pool transactions and set an account's balance, nonce, code or storage, as test frameworks
written for anvil and Hardhat call them.

On a node that does not seal dev blocks (Clique, a follower) the methods are there but those that
act on sealing answer -32000 with the reason (`Node.require_dev_sealer`); edits and
impersonation are refused likewise on a node with peers, who would reject such blocks.

An account edit is sealed at once as a block of its own with no transactions (anvil changes
its state in place without a block): `latest` shows it right away, and every state the node
serves is still the post-state of one of its blocks, which is what keeps proofs, snapshots and
`--datadir` honest. The block number moves by one for each edit.

A revert moves the head back to the snapshot's block (the blocks after it stay stored, off the
canonical chain) and drops their transactions instead of returning them to the pool, as anvil
and Hardhat do: a test that reverts wants them gone.
"""

from __future__ import annotations

from typing import Any

from pyeth import __version__
from pyeth.hexutil import int_to_hex as q
from pyeth.hexutil import to_hex
from pyeth.rpc import params as p
from pyeth.rpc.api import Namespace, RpcContext, optional, required
from pyeth.rpc.errors import InvalidParams
from pyeth.rpc.eth import gas_price
from pyeth.rpc.params import UINT64_MAX, UINT256_MAX
from pyeth.rpc.web3 import CLIENT_VERSION

METHODS = Namespace()


def _uint_or_number(value: Any) -> int:
    return p.uint_or_decimal(value)


def _amount(value: Any) -> int:
    """A 256-bit amount: a hex quantity, or a plain JSON number as anvil also takes."""
    return p.uint_or_decimal(value, UINT256_MAX)


def _word(value: Any) -> int:
    """A storage value: exactly 32 bytes of hex, as anvil and Hardhat take it."""
    return int.from_bytes(p.hash32(value), "big")


def _alias(name: str, *aliases: str) -> None:
    for alias in aliases:
        METHODS.methods[alias] = METHODS.methods[name]


@METHODS.method("evm_mine", optional("timestamp", _uint_or_number))
def mine(ctx: RpcContext, timestamp: int | None) -> str:
    ctx.node.require_dev_sealer("blocks mined on demand")
    ctx.node.seal(timestamp)
    return "0x0"


@METHODS.method(
    "anvil_mine", optional("blocks", _uint_or_number, 1), optional("interval", _uint_or_number)
)
def mine_many(ctx: RpcContext, blocks: int, interval: int | None) -> None:
    ctx.node.require_dev_sealer("blocks mined on demand")
    if blocks > 10_000:
        raise InvalidParams("at most 10000 blocks at once")
    for _ in range(blocks):
        timestamp = None
        if interval is not None:
            timestamp = ctx.node.chain.head.timestamp + max(interval, 1)
        ctx.node.seal(timestamp)


_alias("anvil_mine", "hardhat_mine")


@METHODS.method("evm_setAutomine", required("enabled", p.boolean))
def set_automine(ctx: RpcContext, enabled: bool) -> bool:
    ctx.node.require_dev_sealer("sealing modes")
    node = ctx.node
    node.set_block_time(None if enabled else (node.config.block_time or None))
    node.automine = enabled
    return True


@METHODS.method("evm_setIntervalMining", required("milliseconds", _uint_or_number))
def set_interval_mining(ctx: RpcContext, milliseconds: int) -> bool:
    ctx.node.require_dev_sealer("sealing modes")
    ctx.node.set_block_time(milliseconds / 1000 if milliseconds else None)
    return True


@METHODS.method("evm_increaseTime", required("seconds", _uint_or_number))
def increase_time(ctx: RpcContext, seconds: int) -> str:
    ctx.node.require_dev_sealer("clock changes")
    ctx.node.sealer.time_offset += seconds
    return q(ctx.node.sealer.time_offset)


@METHODS.method("evm_setNextBlockTimestamp", required("timestamp", _uint_or_number))
def set_next_block_timestamp(ctx: RpcContext, timestamp: int) -> None:
    ctx.node.require_dev_sealer("clock changes")
    if timestamp <= ctx.node.chain.head.timestamp:
        raise InvalidParams(
            f"timestamp {timestamp} is not after the head's {ctx.node.chain.head.timestamp}"
        )
    ctx.node.sealer.next_timestamp = timestamp


@METHODS.method("evm_snapshot")
def snapshot(ctx: RpcContext) -> str:
    ctx.node.require_dev_sealer("snapshots")
    return q(ctx.node.snapshot())


@METHODS.method("evm_revert", required("id", p.uint64))
def revert(ctx: RpcContext, snapshot_id: int) -> bool:
    ctx.node.require_dev_sealer("snapshots")
    return ctx.node.revert(snapshot_id)


_alias("evm_setAutomine", "anvil_setAutomine")
_alias("evm_setIntervalMining", "anvil_setIntervalMining")
_alias("evm_increaseTime", "anvil_increaseTime")
_alias("evm_setNextBlockTimestamp", "anvil_setNextBlockTimestamp")
_alias("evm_snapshot", "anvil_snapshot")
_alias("evm_revert", "anvil_revert")


@METHODS.method("anvil_setCoinbase", required("address", p.address))
def set_coinbase(ctx: RpcContext, address: bytes) -> None:
    """The fee recipient of the blocks sealed from now on (eth_coinbase)."""
    ctx.node.require_dev_sealer("coinbase changes")
    ctx.node.sealer.coinbase = address


_alias("anvil_setCoinbase", "hardhat_setCoinbase")


def _reset_options(value: Any) -> None:
    """anvil_reset's options: pyeth forks no other chain, so only none or empty ones."""
    if value is None or value == {}:
        return None
    if isinstance(value, dict) and set(value) <= {"forking"} and not value.get("forking"):
        return None
    raise ValueError("forking another chain is not supported: call anvil_reset without options")


@METHODS.method("anvil_reset", optional("options", _reset_options))
def reset(ctx: RpcContext, options: None) -> None:
    """Back to the genesis block, with an empty pool and no snapshots."""
    ctx.node.require_dev_sealer("resets")
    ctx.node.reset()


_alias("anvil_reset", "hardhat_reset")


@METHODS.method("anvil_getAutomine")
def get_automine(ctx: RpcContext) -> bool:
    return ctx.node.automine


_alias("anvil_getAutomine", "hardhat_getAutomine")


# --- the pool -----------------------------------------------------------------------------


@METHODS.method("anvil_dropTransaction", required("hash", p.hash32))
def drop_transaction(ctx: RpcContext, tx_hash: bytes) -> str | None:
    """Take a transaction out of the pool; its hash if it was there, else null."""
    if ctx.node.pool.get(tx_hash) is None:
        return None
    ctx.node.pool.remove([tx_hash])
    return to_hex(tx_hash)


@METHODS.method("anvil_dropAllTransactions")
def drop_all_transactions(ctx: RpcContext) -> None:
    ctx.node.pool.clear()


_alias("anvil_dropTransaction", "hardhat_dropTransaction")
_alias("anvil_dropAllTransactions", "hardhat_dropAllTransactions")


# --- impersonation ------------------------------------------------------------------------


@METHODS.method("anvil_impersonateAccount", required("address", p.address))
def impersonate_account(ctx: RpcContext, address: bytes) -> None:
    """eth_sendTransaction may send as `address` from now on, without its key."""
    ctx.node.impersonate(address)


@METHODS.method("anvil_stopImpersonatingAccount", required("address", p.address))
def stop_impersonating_account(ctx: RpcContext, address: bytes) -> None:
    ctx.node.impersonate(address, enabled=False)


@METHODS.method("anvil_autoImpersonateAccount", required("enabled", p.boolean))
def auto_impersonate_account(ctx: RpcContext, enabled: bool) -> None:
    ctx.node.set_auto_impersonate(enabled)


_alias("anvil_impersonateAccount", "hardhat_impersonateAccount")
_alias("anvil_stopImpersonatingAccount", "hardhat_stopImpersonatingAccount")
_alias("anvil_autoImpersonateAccount", "hardhat_autoImpersonateAccount")


# --- account edits ------------------------------------------------------------------------


@METHODS.method("anvil_setBalance", required("address", p.address), required("balance", _amount))
def set_balance(ctx: RpcContext, address: bytes, balance: int) -> None:
    ctx.node.set_account(address, balance=balance)


@METHODS.method("anvil_setNonce", required("address", p.address), required("nonce", _amount))
def set_nonce(ctx: RpcContext, address: bytes, nonce: int) -> None:
    if nonce > UINT64_MAX:  # EIP-2681
        raise InvalidParams(f"nonce {nonce} above 2**64 - 1")
    ctx.node.set_account(address, nonce=nonce)


@METHODS.method("anvil_setCode", required("address", p.address), required("code", p.data))
def set_code(ctx: RpcContext, address: bytes, code: bytes) -> None:
    ctx.node.set_account(address, code=code)


@METHODS.method(
    "anvil_setStorageAt",
    required("address", p.address),
    required("slot", p.storage_slot),
    required("value", _word),
)
def set_storage_at(ctx: RpcContext, address: bytes, slot: int, value: int) -> bool:
    ctx.node.set_account(address, storage={slot: value})
    return True


_alias("anvil_setBalance", "hardhat_setBalance", "evm_setAccountBalance")
_alias("anvil_setNonce", "hardhat_setNonce", "evm_setAccountNonce")
_alias("anvil_setCode", "hardhat_setCode", "evm_setAccountCode")
_alias("anvil_setStorageAt", "hardhat_setStorageAt", "evm_setAccountStorageAt")


# --- what the node is -----------------------------------------------------------------------


@METHODS.method("anvil_nodeInfo")
def node_info(ctx: RpcContext) -> dict[str, Any]:
    """anvil's shape: the head, the fork in force, the pool's order and the next block's fees;
    pyeth forks no other chain, so `forkConfig`'s fields are null."""
    node = ctx.node
    head, env = node.pending_env()
    return {
        "currentBlockNumber": q(head.number),
        "currentBlockTimestamp": head.timestamp,
        "currentBlockHash": to_hex(node.chain.head_hash),
        "hardFork": node.rules_at(head).name,
        "transactionOrder": "fees",  # TxPool.ordered: by effective tip, then arrival
        "environment": {
            "baseFee": q(env.base_fee),
            "chainId": node.chain_id,
            "gasLimit": q(env.gas_limit),
            "gasPrice": gas_price(ctx),
        },
        "forkConfig": {"forkUrl": None, "forkBlockNumber": None, "forkRetryBackoff": None},
    }


@METHODS.method("anvil_metadata")
def metadata(ctx: RpcContext) -> dict[str, Any]:
    """Hardhat's shape (clientVersion, chainId, instanceId, latestBlockNumber, latestBlockHash,
    forkedNetwork) with anvil's additions: clientSemver, and the snapshots as id -> [block
    number, block hash]. No clientCommitSha: a pyeth install does not know its commit."""
    node = ctx.node
    snapshots = {}
    for snapshot_id, block_hash in node.snapshots():
        header = node.chain.get_header(block_hash)
        snapshots[q(snapshot_id)] = [None if header is None else header.number, to_hex(block_hash)]
    return {
        "clientVersion": CLIENT_VERSION,
        "clientSemver": __version__,
        "chainId": node.chain_id,
        "instanceId": to_hex(node.instance_id),
        "latestBlockNumber": node.chain.head.number,
        "latestBlockHash": to_hex(node.chain.head_hash),
        "forkedNetwork": None,
        "snapshots": snapshots,
    }


_alias("anvil_metadata", "hardhat_metadata")

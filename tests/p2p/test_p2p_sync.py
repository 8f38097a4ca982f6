"""Sync: a node that starts behind fetches the chain (headers, then bodies, in several batches)
from its peer and imports it with a progress line while its event loop stays responsive; a
Clique node does the same with every seal checked, and after a restart from its datadir it
rebuilds its signer snapshots and catches up with what it missed."""

import asyncio
import logging
import time

from pyeth.node import Node, NodeConfig
from tests.helpers.p2p import (
    ACCOUNTS,
    KEYS,
    SIGNERS,
    clique_genesis,
    connected,
    make_node,
    network,
    transfer,
    wait_until,
)


def grow_dev_chain(node: Node, blocks: int) -> None:
    """`blocks` dev blocks, a transfer in every tenth."""
    start = node.chain.head.timestamp
    nonce = 0
    for index in range(blocks):
        if index % 10 == 0:
            node.pool.add(transfer(nonce))
            nonce += 1
        node.seal(timestamp=start + index + 1)


def grow_clique_chain(node: Node, blocks: int) -> None:
    """`blocks` blocks sealed by the node's signer (the chain's only signer)."""
    assert node.signer is not None
    head = node.chain.head
    for index in range(blocks):
        if index % 25 == 0:
            node.pool.add(transfer(node.pool.next_nonce(ACCOUNTS[0].address)))
        node.signer.seal(timestamp=head.timestamp + index + 1)


async def _loop_lag(stop: asyncio.Event, lags: list[float]) -> None:
    while not stop.is_set():
        before = time.monotonic()
        await asyncio.sleep(0.01)
        lags.append(time.monotonic() - before - 0.01)


async def test_a_node_behind_syncs_in_batches(caplog):
    caplog.set_level(logging.INFO, logger="p2p.sync")
    ahead = Node()
    grow_dev_chain(ahead, 300)
    behind = make_node(mine=False)
    stop, lags = asyncio.Event(), []
    lag_task = asyncio.create_task(_loop_lag(stop, lags))
    started = time.monotonic()
    async with network([ahead, behind], sync_batch=50) as net:
        await wait_until(lambda: behind.chain.head_hash == ahead.chain.head_hash, 30, "the sync")
        elapsed = time.monotonic() - started
        syncer = net.servers[1].network.syncer
        # The head arrives before the syncer asks for more headers, finds none and logs "done".
        await wait_until(lambda: not syncer.syncing, 30, "the syncer to finish")
        assert syncer.imported == 300
        stop.set()
        await lag_task
        synced, original = (n.chain.get_block_by_number(291) for n in (behind, ahead))
        assert synced is not None and original is not None
        assert synced.transaction_hashes == original.transaction_hashes
        assert len(synced.transactions) == 1
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("sync:")]
    assert lines and lines[-1].startswith("sync: 300/300 blocks (head 300)")
    assert "blocks/s" in lines[-1] and "ETA" in lines[-1]
    assert max(lags) < 0.5, f"the event loop stalled for {max(lags):.2f}s"
    print(f"synced 300 dev blocks in {elapsed:.2f}s ({300 / elapsed:.0f} blocks/s)")


async def test_clique_sync_and_catch_up_after_a_restart(tmp_path):
    genesis = clique_genesis(SIGNERS[:1])

    def signer() -> Node:
        return Node(NodeConfig(genesis=genesis, signer_key=KEYS[0], datadir=tmp_path / "a"))

    def follower() -> Node:
        return Node(NodeConfig(genesis=genesis, datadir=tmp_path / "b"))

    ahead = signer()
    grow_clique_chain(ahead, 120)
    behind = follower()
    async with network([ahead, behind], run_nodes=False) as net:
        await wait_until(connected(net, 1))
        await wait_until(lambda: behind.chain.head_hash == ahead.chain.head_hash, 30, "sync")
    # Both stopped (`network` closes them); the signer goes on alone, then the other one comes
    # back from its database, rebuilds its signer snapshot from the headers and catches up.
    ahead = signer()
    grow_clique_chain(ahead, 30)
    restarted = follower()
    assert restarted.chain.head.number == 120
    async with network([ahead, restarted], run_nodes=False):
        await wait_until(lambda: restarted.chain.head_hash == ahead.chain.head_hash, 30, "catch-up")
    assert restarted.chain.head.number == 150


async def test_sync_picks_the_heaviest_peer():
    low, high = Node(), Node()
    grow_dev_chain(low, 5)
    grow_dev_chain(high, 40)
    behind = make_node(mine=False)
    async with network([low, high, behind], bootnodes=lambda i, urls: urls, run_nodes=False):
        await wait_until(lambda: behind.chain.head_hash == high.chain.head_hash, 20, "sync")

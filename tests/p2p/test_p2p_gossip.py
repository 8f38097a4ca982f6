"""Gossip: a transaction and a block reach every node of a mesh, each peer is sent each of them at
most once and nothing echoes back to where it came from; a dev node (automine) accepts
followers: a transaction sent to a follower is mined by the dev node and the block comes back."""

from collections import Counter

from p2p.gossip import BoundedSet, block_recipients
from p2p.messages import Message, NewBlock, NewBlockHashes, Transactions
from p2p.session import Peer
from pyeth.hashing import keccak256
from pyeth.node import Node
from tests.helpers.p2p import connected, make_node, network, transfer, wait_until


def record(server_network, log: Counter) -> None:
    """Count, per (receiver, sender, hash), the blocks and transactions a node is sent."""
    handle = server_network.handle
    me = server_network.node_id

    async def counting(peer: Peer, message: Message) -> None:
        match message:
            case Transactions():
                for raw in message.transactions:
                    log[(me, peer.node_id, "tx", keccak256(raw))] += 1
            case NewBlock():
                log[(me, peer.node_id, "block", message.block.hash)] += 1
            case NewBlockHashes():
                for block_hash, _ in message.items:
                    log[(me, peer.node_id, "block", block_hash)] += 1
        await handle(peer, message)

    server_network.handle = counting


def test_bounded_set_forgets_the_oldest():
    seen = BoundedSet(3)
    assert all(seen.add(bytes([i])) for i in range(4))
    assert not seen.add(bytes([3]))
    assert bytes([0]) not in seen and bytes([1]) in seen and len(seen) == 3


def test_block_recipients_whole_to_a_square_root_and_never_twice():
    class P:
        def __init__(self):
            self.known_blocks = BoundedSet(10)
            self.known_transactions = BoundedSet(10)

    peers = [P() for _ in range(9)]
    peers[0].known_blocks.add(b"h")
    whole, announce = block_recipients(peers, b"h")
    assert len(whole) == 3 and len(announce) == 5 and peers[0] not in whole + announce
    assert block_recipients(peers, b"h") == ([], [])


async def test_transactions_and_blocks_reach_everyone_once_per_peer():
    nodes = [make_node(mine=False) for _ in range(3)]
    log: Counter = Counter()
    async with network(nodes) as net:
        await wait_until(connected(net, 2), what="a mesh of three")
        for server in net.servers:
            record(server.network, log)
        ids = [server.network.node_id for server in net.servers]
        tx = transfer(0)
        nodes[0].submit_transaction(tx)
        await wait_until(lambda: all(tx.hash in node.pool for node in nodes), what="tx spread")
        # A block sealed on node 0 (a dev sealer here) goes everywhere.
        nodes[0].seal()
        head = nodes[0].chain.head_hash
        await wait_until(lambda: all(n.chain.head_hash == head for n in nodes), what="block")
        assert all(len(node.pool) == 0 for node in nodes)  # the included tx left every pool
        for kind, item in (("tx", tx.hash), ("block", head)):
            sent = {(to, frm): n for (to, frm, k, h), n in log.items() if (k, h) == (kind, item)}
            assert all(count == 1 for count in sent.values()), sent
            assert not any(to == ids[0] for to, _ in sent), f"{kind} echoed back to its origin"
            assert {to for to, _ in sent} == {ids[1], ids[2]}


async def test_a_dev_node_accepts_followers():
    sealer = Node()  # automine
    follower = make_node(mine=False)
    async with network([sealer, follower]) as net:
        await wait_until(connected(net, 1), what="connected")
        tx = transfer(0)
        follower.submit_transaction(tx)
        await wait_until(lambda: follower.chain.head.number == 1, what="the block back")
        assert sealer.chain.head_hash == follower.chain.head_hash
        assert follower.chain.get_transaction_location(tx.hash) is not None
        assert follower.chain.head.number == 1 and len(follower.pool) == 0

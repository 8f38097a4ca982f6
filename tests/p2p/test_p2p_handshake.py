"""The handshake: two nodes on one chain connect both ways and see each other's head; another
chain id, network id, genesis or protocol version is turned away with the reason; a node does
not keep a connection to itself or more peers than it allows; one bootnode is enough to find
the rest (peer exchange)."""

import pytest

from p2p.limits import Limits
from p2p.messages import Disconnect, Status
from p2p.server import P2PSettings, parse_url, start
from pyeth.node import Node, NodeConfig
from tests.helpers.p2p import FAST_LIMITS, RawPeer, connected, network, wait_until


@pytest.fixture
def nodes():
    made = [Node() for _ in range(3)]
    yield made
    for node in made:
        node.close()


async def test_two_nodes_connect_and_know_each_others_head(nodes):
    a, b = nodes[0], nodes[1]
    a.seal()
    async with network([a, b]) as net:
        await wait_until(connected(net, 1), what="both ends connected")
        server_a, server_b = net.servers
        peer_of_b = next(iter(server_b.network.peers.values()))
        assert peer_of_b.node_id == server_a.network.node_id
        assert peer_of_b.url == server_a.url  # b dialed a
        peer_of_a = next(iter(server_a.network.peers.values()))
        assert peer_of_a.url is None and peer_of_a.dial_url == server_b.url  # learned its port
        await wait_until(lambda: b.chain.head_hash == a.chain.head_hash, what="b synced block 1")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"chain_id": 1}, "chain id mismatch"),
        ({"network_id": 5}, "network id mismatch"),
        ({"genesis_hash": b"\x01" * 32}, "genesis mismatch"),
        ({"version": 99}, "protocol version mismatch"),
    ],
)
async def test_a_mismatch_closes_with_the_reason(nodes, change, reason):
    async with network(nodes[:1]) as net:
        peer = RawPeer(net.servers[0].url, nodes[0])
        try:
            status = await peer.connect(**change)
            assert isinstance(status, Status)  # the node says who it is first
            assert (await peer.receive()) == Disconnect(
                reason + (await _rest(reason, status, peer))
            )
        finally:
            await peer.close()
        assert not net.servers[0].network.peers


async def _rest(reason: str, theirs: Status, peer: RawPeer) -> str:
    """The details after the reason, as the node words them (ours = the node's)."""
    ours = peer.status()
    sent = {
        "chain id mismatch": (theirs.chain_id, 1),
        "network id mismatch": (theirs.network_id, 5),
        "protocol version mismatch": (theirs.version, 99),
    }
    if reason in sent:
        mine, other = sent[reason]
        return f": ours {mine}, theirs {other}"
    return f": ours 0x{ours.genesis_hash.hex()}, theirs 0x{'01' * 32}"


async def test_another_chain_is_refused_between_nodes(nodes):
    other = Node(NodeConfig(chain_id=31337))
    try:
        async with network([nodes[0], other]) as net:
            dialer = net.servers[1].network
            await wait_until(
                lambda: net.servers[0].network.address in dialer._retry,
                what="the dial failed, retry later",
            )
            assert not net.servers[0].network.peers and not dialer.peers
    finally:
        other.close()


async def test_garbage_instead_of_a_status_is_refused(nodes):
    async with network(nodes[:1]) as net:
        peer = RawPeer(net.servers[0].url, nodes[0])
        try:
            await peer.connect()
            await peer.close()
            peer = RawPeer(net.servers[0].url, nodes[0])
            peer.session = __import__("aiohttp").ClientSession()
            peer.ws = await peer.session.ws_connect(net.servers[0].url)
            await peer.send(b"\x00\x01\x02 not rlp")
            messages = await peer.receive_until_closed()
            assert isinstance(messages[0], Status)
            assert isinstance(messages[-1], Disconnect)
            assert messages[-1].reason.startswith("malformed status")
        finally:
            await peer.close()


async def test_a_node_drops_a_connection_to_itself(nodes):
    node = nodes[0]
    server = await start(node, P2PSettings(port=0, limits=FAST_LIMITS, dial_interval=0.05))
    try:
        url = server.network.address
        server.network.candidates[parse_url(url.replace("127.0.0.1", "localhost"))] = None
        await wait_until(lambda: server.network._own_urls, what="the self-dial noticed")
        assert not server.network.peers
    finally:
        await server.close()


async def test_max_peers(nodes):
    limits = Limits(max_peers=1, request_timeout=3.0, handshake_timeout=2.0)
    async with network(nodes, limits=limits) as net:
        await wait_until(
            lambda: len(net.servers[0].network.peers) == 1, what="the first peer admitted"
        )
        extra = RawPeer(net.servers[0].url, nodes[0])
        try:
            await extra.connect()
            assert (await extra.expect(Disconnect)) == Disconnect("too many peers")
        finally:
            await extra.close()
        assert len(net.servers[0].network.peers) == 1


async def test_one_bootnode_is_enough(nodes):
    # b and c only know a; whichever connects to a second learns of the other from a's Peers
    # answer and dials it (which one that is, is a race of the two dial loops).
    # When both dial at once, each end admits the other's connection before its own dial is
    # answered, so for a moment each holds an inbound one; the lower node id's dial then wins at
    # both ends. Wait for that settled mesh, whose peers are the other's dial and listen URLs.
    async with network(nodes) as net:
        b, c = net.servers[1].network, net.servers[2].network

        def settled() -> bool:
            dialed = [peer.url for peer in c.peers.values()] + [p.url for p in b.peers.values()]
            return connected(net, 2)() and (b.url in dialed or c.url in dialed)

        await wait_until(settled, timeout=30, what="a full mesh of three, one of b and c dialing")
        assert b.url in {peer.dial_url for peer in c.peers.values()}
        assert c.url in {peer.dial_url for peer in b.peers.values()}
        b_at_c = next(peer for peer in c.peers.values() if peer.node_id == b.node_id)
        c_at_b = next(peer for peer in b.peers.values() if peer.node_id == c.node_id)
        assert (b_at_c.url is None) != (c_at_b.url is None)  # one connection: in at one end

"""Limits and penalties: a peer that sends garbage, an oversized message, an invalid block, a
malformed transaction, data nobody asked for, or requests faster than allowed is disconnected
with the reason and refused when it comes back; the node keeps serving RPC and honest peers."""

import dataclasses

import aiohttp
import pytest
from aiohttp import web

from p2p.limits import BanList, Limits, Reputation, TokenBucket
from p2p.messages import (
    BlockHeaders,
    Disconnect,
    GetBlockHeaders,
    GetPeers,
    NewBlock,
    Status,
    Transactions,
    header_message_item,
)
from pyeth.chain import build_block
from pyeth.node import Node
from pyeth.rpc import init as rpc_app
from pyeth.rpc.server import ServerSettings
from tests.helpers.p2p import FAST_LIMITS, RawPeer, make_node, network, transfer, wait_until

LIMITS = dataclasses.replace(
    FAST_LIMITS, max_message_size=64 * 1024, requests_per_second=5, request_burst=10
)


def bad_block(node: Node):
    built = build_block(node.chain, [transfer(0)])
    header = dataclasses.replace(built.block.header, state_root=b"\x13" * 32)
    return dataclasses.replace(built.block, header=header)


OFFENCES = {
    "garbage": (lambda node: b"\x07 garbage, not RLP", "malformed message"),
    "unknown code": (lambda node: b"\x7f\xc0", "malformed message: unknown message code"),
    "oversized": (lambda node: b"\x02" + b"\x00" * (100 * 1024), None),
    "invalid block": (lambda node: NewBlock(bad_block(node), 0), "invalid block 1: "),
    "malformed transaction": (
        lambda node: Transactions((b"\x02\xc1\x01",)),
        "malformed transaction",
    ),
    "unrequested": (
        lambda node: BlockHeaders(77, (header_message_item(node.chain.head),)),
        "unrequested BlockHeaders",
    ),
    "text frame": (lambda node: "hello", "text frames are not part of the protocol"),
}


def test_token_bucket_and_ban_list():
    now = [0.0]
    bucket = TokenBucket(rate=2, burst=3, clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] += 1.0
    assert bucket.take() and bucket.take() and not bucket.take()
    bans = BanList(clock=lambda: now[0])
    bans.ban("peer", 10)
    assert bans.is_banned("peer") and not bans.is_banned("other")
    now[0] += 11
    assert not bans.is_banned("peer") and len(bans) == 0
    reputation = Reputation(threshold=10, recovery=1, clock=lambda: now[0])
    assert not reputation.penalize(6) and reputation.penalize(4)  # 10: past it
    now[0] += 100
    assert not reputation.penalize(9)  # forgiven with time: an honest peer never adds up


@pytest.mark.parametrize("offence", list(OFFENCES))
async def test_a_misbehaving_peer_is_dropped_and_banned(offence):
    node = Node()
    make, reason = OFFENCES[offence]
    async with network([node], limits=LIMITS) as net:
        server = net.servers[0]
        peer = RawPeer(server.url, node)
        try:
            assert isinstance(await peer.connect(), Status)
            payload = make(node)
            assert peer.ws is not None
            if isinstance(payload, str):
                await peer.ws.send_str(payload)
            else:
                await peer.send(payload)
            got = await peer.receive_until_closed()
            if reason is None:  # over the size limit: the WebSocket layer closes at once
                assert peer.ws.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
            else:
                assert isinstance(got[-1], Disconnect) and got[-1].reason.startswith(reason)
        finally:
            await peer.close()
        await wait_until(lambda: not server.network.peers, what="the session gone")
        assert server.network.bans.is_banned(peer.node_id.hex())
        again = RawPeer(server.url, node, key=peer.key)  # the same node key, proven again
        try:
            assert isinstance(await again.connect(), Status)
            assert (await again.expect(Disconnect)) == Disconnect("banned")
        finally:
            await again.close()
        assert node.chain.head.number == 0  # nothing the peer sent got in


async def test_request_flood_is_cut_off():
    node = Node()
    async with network([node], limits=LIMITS) as net:
        peer = RawPeer(net.servers[0].url, node)
        try:
            await peer.connect()
            for request_id in range(30):
                await peer.send(GetPeers(request_id))
            got = await peer.receive_until_closed()
            assert got[-1] == Disconnect("request rate limit exceeded")
        finally:
            await peer.close()


async def test_big_requests_are_bounded():
    node = Node()
    for _ in range(5):
        node.seal()
    limits = Limits(max_headers=3)
    async with network([node], limits=limits) as net:
        peer = RawPeer(net.servers[0].url, node)
        try:
            await peer.connect()
            await peer.send(GetBlockHeaders(1, 0, 1000))
            answer = await peer.expect(BlockHeaders)
            assert [h.header.number for h in answer.headers] == [0, 1, 2]
            await peer.send(GetBlockHeaders(2, 2**64 - 1, 5, 2**64 - 1, True))  # far away
            answer = await peer.expect(BlockHeaders) and answer.headers == ()
            await peer.send(GetBlockHeaders(3, 5, 3, 1, True))  # 5, 3, 1
            answer = await peer.expect(BlockHeaders)
            assert [h.header.number for h in answer.headers] == [5, 3, 1]
        finally:
            await peer.close()


async def test_the_node_keeps_serving_rpc_and_honest_peers():
    node = Node()
    runner = web.AppRunner(rpc_app(node, ServerSettings(run_node=False)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with network([node], limits=LIMITS) as net:
            for offence in ("garbage", "oversized", "invalid block"):
                peer = RawPeer(net.servers[0].url, node)
                try:
                    await peer.connect()
                    payload = OFFENCES[offence][0](node)
                    assert not isinstance(payload, str)
                    await peer.send(payload)
                    await peer.receive_until_closed()
                finally:
                    await peer.close()
            async with aiohttp.ClientSession() as session:
                call = {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}
                response = await session.post(f"http://127.0.0.1:{port}/", json=call)
                assert (await response.json())["result"] == "0x0"
            node.seal()
            honest = make_node(mine=False)
            async with network([honest], bootnodes=lambda i, urls: [net.servers[0].url]):
                await wait_until(lambda: honest.chain.head_hash == node.chain.head_hash)
                async with aiohttp.ClientSession() as session:
                    call = {"jsonrpc": "2.0", "id": 2, "method": "net_peerCount", "params": []}
                    response = await session.post(f"http://127.0.0.1:{port}/", json=call)
                    assert (await response.json())["result"] == "0x1"
    finally:
        await runner.cleanup()


async def test_silent_connections_cannot_pile_up():
    node = Node()
    limits = dataclasses.replace(FAST_LIMITS, max_peers=2, handshake_timeout=5.0)
    async with network([node], limits=limits) as net, aiohttp.ClientSession() as session:
        silent = [await session.ws_connect(net.servers[0].url) for _ in range(16)]
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(net.servers[0].url)
        assert refused.value.status == 503
        for ws in silent:
            await ws.close()

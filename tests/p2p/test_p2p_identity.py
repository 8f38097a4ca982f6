"""Node identity and the attacks of issue 22 (section 3): a node's id is its key, proven in the
handshake, so no peer can take another's id, get it dropped as a duplicate or banned in its
name; bans hold by id and IP address; per-IP limits; idle peers cannot keep configured peers or
Clique signers out; a flood of transactions with garbage signatures gets its sender dropped;
a URL that pins an id refuses any other node there."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import random
import stat
from pathlib import Path

import aiohttp
import pytest

from p2p.identity import (
    DIALER,
    LISTENER,
    NodeKey,
    NodeKeyError,
    load_or_create_node_key,
    node_proof,
    read_node_key,
    verify_node_proof,
)
from p2p.limits import Limits
from p2p.messages import Auth, Disconnect, GetPeers, Peers, Status, Transactions
from p2p.server import P2PSettings, parse_url, split_url, start
from pyeth.cli import build_parser
from pyeth.cli.network import node_options, p2p_settings
from pyeth.keys import SECP256K1_HALF_N
from pyeth.node import Node, NodeConfig
from pyeth.transactions import FeeMarketTransaction, encode_transaction, sign_transaction
from tests.helpers.p2p import (
    FAST_LIMITS,
    KEYS,
    FastClock,
    RawPeer,
    clique_genesis,
    connected,
    make_node,
    network,
    transfer,
    wait_until,
)

# Loopback is exempt from IP limits and bans by default (every local node shares 127.0.0.1);
# these limits treat it as a remote address, as a node on the internet treats one.
STRICT = dataclasses.replace(FAST_LIMITS, exempt_networks=())


# THE KEY


def test_the_node_key_file_is_made_once_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "nodekey"
    key = load_or_create_node_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_node_key(path) == key == read_node_key(path)
    assert len(key.node_id) == 32 and len(key.public_key) == 64
    path.write_text("0x" + "00" * 32)
    with pytest.raises(NodeKeyError, match="not a secp256k1 private key"):
        read_node_key(path)
    path.write_text("not hex")
    with pytest.raises(NodeKeyError, match="not hex"):
        load_or_create_node_key(path)


async def test_a_node_with_a_datadir_keeps_its_id_across_restarts(tmp_path: Path) -> None:
    ids = []
    for _ in range(2):
        node = Node(NodeConfig(datadir=tmp_path / "chain"))
        try:
            server = await start(node, P2PSettings(port=0, limits=FAST_LIMITS))
            ids.append(server.network.node_id)
            assert server.url.startswith(f"ws://{server.network.node_id.hex()}@127.0.0.1:")
            await server.close()
        finally:
            node.close()
    assert ids[0] == ids[1] == read_node_key(tmp_path / "chain" / "nodekey").node_id


def test_a_proof_holds_for_one_connection_role_and_addressee_only() -> None:
    a, b, c = NodeKey.generate(), NodeKey.generate(), NodeKey.generate()
    nonces = (os.urandom(32), os.urandom(32))
    proof = node_proof(a, DIALER, b.node_id, *nonces)
    assert verify_node_proof(a.public_key, DIALER, b.node_id, *nonces, proof)
    assert not verify_node_proof(a.public_key, LISTENER, b.node_id, *nonces, proof)  # reflected
    assert not verify_node_proof(a.public_key, DIALER, c.node_id, *nonces, proof)  # passed on
    assert not verify_node_proof(a.public_key, DIALER, b.node_id, *nonces[::-1], proof)
    assert not verify_node_proof(c.public_key, DIALER, b.node_id, *nonces, proof)  # not c's


def test_urls_pin_an_id_or_not() -> None:
    node_id = bytes(range(32))
    pinned = f"ws://{node_id.hex()}@10.0.0.1:30303/p2p"
    assert parse_url(pinned) == pinned
    assert split_url(pinned) == ("ws://10.0.0.1:30303/p2p", node_id)
    assert split_url("ws://10.0.0.1:30303") == ("ws://10.0.0.1:30303/p2p", None)
    for bad in ("ws://abcd@10.0.0.1:1/p2p", f"ws://{'zz' * 32}@h:1/p2p", "ws://a:b@h:1/p2p"):
        with pytest.raises(ValueError, match="NODE_ID|64 hex digits"):
            parse_url(bad)


# IDENTITY THEFT


async def test_a_peer_claiming_anothers_id_is_refused_and_the_real_one_stays() -> None:
    a, b = Node(), Node()
    async with network([a, b]) as net:
        await wait_until(connected(net, 1), what="a and b connected")
        server_a, server_b = net.servers
        real = server_a.network.peers[server_b.network.node_id]
        thief = RawPeer(server_a.url, a, claim=server_b.network.key.public_key)
        try:
            assert isinstance(await thief.connect(), Status)
            refused = await thief.expect(Disconnect)
            assert refused.reason.startswith("node id not proven")
        finally:
            await thief.close()
        assert server_a.network.peers[server_b.network.node_id] is real  # not dropped
        assert not real.ws.closed
        assert not server_a.network.bans.is_banned(server_b.network.node_id.hex())


async def test_forged_replayed_and_reflected_proofs_are_refused() -> None:
    node = Node()
    key, other = NodeKey.generate(), NodeKey.generate()
    recorded: list[Auth] = []

    def honest_recorded(ours: Status, theirs: Status) -> Auth:
        recorded.append(Auth(node_proof(key, DIALER, theirs.node_id, ours.nonce, theirs.nonce)))
        return recorded[-1]

    def listener_role(ours: Status, theirs: Status) -> Auth:  # a reflected listener's proof
        return Auth(node_proof(key, LISTENER, theirs.node_id, ours.nonce, theirs.nonce))

    def for_someone_else(ours: Status, theirs: Status) -> Auth:  # addressed to another node
        return Auth(node_proof(key, DIALER, other.node_id, ours.nonce, theirs.nonce))

    forgeries = {
        "replayed": lambda ours, theirs: recorded[0],
        "reflected": listener_role,
        "passed on": for_someone_else,
        "random": lambda ours, theirs: Auth(os.urandom(65)),
        "zero": lambda ours, theirs: Auth(bytes(65)),
    }
    async with network([node]) as net:
        server = net.servers[0]
        first = RawPeer(server.url, node, key=key)
        try:
            assert isinstance(await first.connect(auth=honest_recorded), Status)
            await wait_until(lambda: key.node_id in server.network.peers, what="admitted")
        finally:
            await first.close()
        await wait_until(lambda: not server.network.peers, what="the first session gone")
        for name, forge in forgeries.items():
            peer = RawPeer(server.url, node, key=key)
            try:
                await peer.connect(auth=forge)
                got = await peer.receive_until_closed()
                assert got and isinstance(got[-1], Disconnect), name
                assert got[-1].reason.startswith("node id not proven"), (name, got[-1])
            finally:
                await peer.close()
            assert not server.network.peers, name
        assert not server.network.bans.is_banned(key.node_id.hex())  # nothing to pin on key


async def test_misbehaving_under_a_fake_id_cannot_get_another_node_banned() -> None:
    a, b = Node(), Node()
    async with network([a, b]) as net:
        await wait_until(connected(net, 1), what="a and b connected")
        server_a, server_b = net.servers
        b_id = server_b.network.node_id
        # A forger that cannot sign for b's id never gets to send anything.
        forger = RawPeer(server_a.url, a, claim=server_b.network.key.public_key)
        try:
            await forger.connect()
            got = await forger.receive_until_closed()
            assert got[-1].reason.startswith("node id not proven")  # type: ignore[union-attr]
        finally:
            await forger.close()
        # A peer with its own key that says it listens on b's port, then misbehaves: its own
        # id is banned, not b's, and a still dials b's address.
        liar = RawPeer(server_a.url, a)
        try:
            await liar.connect(listen_port=server_b.network.listen_port)
            await liar.send(b"\x07 garbage")
            got = await liar.receive_until_closed()
            assert isinstance(got[-1], Disconnect) and got[-1].reason.startswith("malformed")
        finally:
            await liar.close()
        bans = server_a.network.bans
        await wait_until(lambda: bans.is_banned(liar.node_id.hex()), what="the liar banned")
        assert not bans.is_banned(b_id.hex())
        assert not bans.is_banned(server_b.network.address)
        assert b_id in server_a.network.peers and server_a.network.node_id in server_b.network.peers


async def test_a_banned_peer_with_a_new_key_from_the_same_address_is_refused() -> None:
    node = Node()
    async with network([node], limits=STRICT) as net:
        server = net.servers[0]
        peer = RawPeer(server.url, node)
        try:
            await peer.connect()
            await peer.send(b"\x07 garbage")
            await peer.receive_until_closed()
        finally:
            await peer.close()
        await wait_until(lambda: server.network.bans.is_banned("127.0.0.1"), what="IP banned")
        again = RawPeer(server.url, node)  # a fresh key
        try:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await again.connect()
            assert refused.value.status == 403
        finally:
            await again.close()
        assert not server.network.peers


async def test_an_exempt_address_with_a_ban_is_slowed_down() -> None:
    # Loopback is not banned (local nodes share it), but fresh keys from it after a ban are
    # let in only at the slowed rate.
    node = Node()
    limits = dataclasses.replace(
        FAST_LIMITS, handshakes_after_ban=0.01, handshake_burst_after_ban=2
    )
    async with network([node], limits=limits) as net:
        server = net.servers[0]
        bad = RawPeer(server.url, node)
        try:
            await bad.connect()
            await bad.send(b"\x07 garbage")
            await bad.receive_until_closed()
        finally:
            await bad.close()
        await wait_until(lambda: server.network.bans.is_banned(bad.node_id.hex()))
        assert not server.network.bans.is_banned("127.0.0.1")
        fresh = [RawPeer(server.url, node) for _ in range(3)]
        try:
            for peer in fresh[:2]:
                assert isinstance(await peer.connect(), Status)
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await fresh[2].connect()
            assert refused.value.status == 429
        finally:
            for peer in fresh:
                await peer.close()


async def test_connections_per_address_are_limited() -> None:
    node = Node()
    limits = dataclasses.replace(STRICT, max_peers_per_ip=2)
    async with network([node], limits=limits) as net:
        peers = [RawPeer(net.servers[0].url, node) for _ in range(3)]
        try:
            for peer in peers[:2]:
                assert isinstance(await peer.connect(), Status)
            await wait_until(lambda: len(net.servers[0].network.peers) == 2, what="2 admitted")
            await peers[2].connect()
            assert (await peers[2].expect(Disconnect)).reason == "too many peers from 127.0.0.1"
        finally:
            for peer in peers:
                await peer.close()


# SLOTS


async def test_idle_peers_cannot_keep_a_signer_or_a_configured_peer_out() -> None:
    clock = FastClock()
    genesis = clique_genesis()
    a = make_node(genesis, KEYS[0], clock)
    b = make_node(genesis, KEYS[1], clock)  # another signer
    c = make_node(genesis, clock=clock)  # a follower, pinned in a's bootnodes
    c_key = NodeKey.generate()
    c_pin = f"ws://{c_key.node_id.hex()}@127.0.0.1:1/p2p"  # c is not there: a's dials fail
    limits = Limits(max_peers=25, request_timeout=3.0, handshake_timeout=2.0)
    async with network([a], limits=limits, run_nodes=False, bootnodes=lambda i, u: [c_pin]) as net:
        server_a, a_url = net.servers[0].network, net.servers[0].url
        fakes = [RawPeer(a_url, a) for _ in range(24)]
        try:
            for fake in fakes:
                await fake.connect()
            inbound = server_a.limits.max_inbound
            await wait_until(lambda: len(server_a.peers) == inbound, what="inbound slots full")
            late = RawPeer(a_url, a)
            try:
                await late.connect()
                assert (await late.expect(Disconnect)).reason == "too many peers"
            finally:
                await late.close()
            # While the idle peers stay, the signer and the configured peer dial a and get in.
            dial_a = {"limits": limits, "run_nodes": False, "bootnodes": lambda i, u: [a_url]}
            async with network([b], **dial_a) as signer, network([c], node_key=c_key, **dial_a):
                b_id = signer.servers[0].network.node_id
                await wait_until(lambda: b_id in server_a.peers, what="the signer admitted")
                await wait_until(lambda: c_key.node_id in server_a.peers, what="c admitted")
                assert server_a.peers[b_id].reserved and server_a.peers[c_key.node_id].reserved
                assert len(server_a.peers) == inbound + 2
        finally:
            for fake in fakes:
                await fake.close()


async def test_one_node_at_two_addresses_stays_one_steady_peer() -> None:
    # Behind NAT or in a cluster a node is known by several addresses; once its id is proven
    # at one, the others are not dialed while it is connected (no connection flapping).
    a, b = Node(), Node()
    async with network([a]) as net:
        address = net.servers[0].network.address
        both = [address, address.replace("127.0.0.1", "localhost")]
        async with network([b], bootnodes=lambda i, u: both, dial_interval=0.02) as other:
            peers_a, peers_b = net.servers[0].network.peers, other.servers[0].network.peers
            known = other.servers[0].network._known_ids

            def steady() -> bool:
                return len(peers_a) == len(peers_b) == 1 and set(both) <= set(known)

            await wait_until(steady, what="one connection, both addresses known")
            sessions = (next(iter(peers_a.values())), next(iter(peers_b.values())))
            await asyncio.sleep(0.5)  # 25 dial rounds
            assert (next(iter(peers_a.values())), next(iter(peers_b.values()))) == sessions


async def test_a_restarted_peer_replaces_its_dead_connection() -> None:
    # The old connection of a peer that restarted (here: one that answers nothing) does not
    # keep the peer out: it fails the liveness probe and the new connection replaces it.
    node = Node()
    key = NodeKey.generate()
    async with network([node]) as net:
        peers = net.servers[0].network.peers
        old, new = (
            RawPeer(net.servers[0].url, node, key=key),
            RawPeer(net.servers[0].url, node, key=key),
        )
        try:
            await old.connect()
            await wait_until(lambda: key.node_id in peers, what="the first connection")
            first = peers[key.node_id]
            assert isinstance(await new.connect(), Status)
            got = await old.receive_until_closed()
            assert got[-1] == Disconnect("replaced by a newer connection from the same node")
            await wait_until(lambda: key.node_id in peers and peers[key.node_id] is not first)
        finally:
            await old.close()
            await new.close()


async def test_an_idle_inbound_peer_makes_room_for_a_new_one() -> None:
    node = Node()
    limits = dataclasses.replace(FAST_LIMITS, max_peers=2, idle_seconds=0.0)  # 1 inbound slot
    async with network([node], limits=limits) as net:
        first, second = RawPeer(net.servers[0].url, node), RawPeer(net.servers[0].url, node)
        try:
            await first.connect()
            await wait_until(lambda: first.node_id in net.servers[0].network.peers)
            await second.connect()
            assert (await first.expect(Disconnect)).reason.startswith("making room")
            await wait_until(lambda: set(net.servers[0].network.peers) == {second.node_id})
        finally:
            await first.close()
            await second.close()


# PENALTIES


def garbage_transactions(count: int, seed: int = 1) -> tuple[bytes, ...]:
    """Well-formed transfers whose signatures are random numbers."""
    rng = random.Random(seed)
    out = []
    for nonce in range(count):
        y_parity, r, s = (rng.randrange(2), *(rng.randrange(1, SECP256K1_HALF_N) for _ in "rs"))
        unsigned = (1337, nonce, 10**9, 10**10, 21_000, b"\x01" * 20, 1, b"", ())
        out.append(encode_transaction(FeeMarketTransaction(*unsigned, y_parity, r, s)))
    return tuple(out)


async def test_a_garbage_signature_flood_gets_the_peer_dropped() -> None:
    node = Node()
    submitted = []
    original = node.submit_transaction

    def counting(tx):  # type: ignore[no-untyped-def]
        submitted.append(tx)
        return original(tx)

    node.submit_transaction = counting  # type: ignore[method-assign]
    async with network([node]) as net:
        peer = RawPeer(net.servers[0].url, node)
        try:
            await peer.connect()
            await peer.send(Transactions(garbage_transactions(1024)))
            got = await peer.receive_until_closed()
            assert isinstance(got[-1], Disconnect)
            assert got[-1].reason.startswith("too many invalid messages")
        finally:
            await peer.close()
        bans = net.servers[0].network.bans
        await wait_until(lambda: bans.is_banned(peer.node_id.hex()), what="the peer banned")
        assert len(node.pool) == 0
        assert len(submitted) < 60  # dropped after a few dozen, not after 1,024


async def test_stale_gossip_costs_nothing_but_unfunded_transactions_do() -> None:
    node = Node()
    node.submit_transaction(transfer(0))  # mined at once (automine): nonce 0 is used
    stranger = NodeKey.generate().private_key  # a valid signer with no funds
    stale = [transfer(0, to=bytes([1]) * 19 + bytes([n])) for n in range(2, 202)]
    unfunded = [
        sign_transaction(
            FeeMarketTransaction(1337, n, 10**9, 10**10, 21_000, b"\x01" * 20, 1), stranger, 1337
        )
        for n in range(100)
    ]
    async with network([node]) as net:
        peer = RawPeer(net.servers[0].url, node)
        try:
            await peer.connect()
            await peer.send(Transactions(tuple(map(encode_transaction, stale))))
            await peer.send(GetPeers(1))  # answered after the transactions: none dropped it
            assert (await peer.expect(Peers)).request_id == 1
            await peer.send(Transactions(tuple(map(encode_transaction, unfunded))))
            got = await peer.receive_until_closed()
            assert isinstance(got[-1], Disconnect)
            last = "too many invalid messages (last: transaction refused: insufficient funds"
            assert got[-1].reason.startswith(last)
        finally:
            await peer.close()
        assert node.chain.head.number == 1 and len(node.pool) == 0


async def test_a_pinned_url_with_the_wrong_id_is_refused(caplog: pytest.LogCaptureFixture) -> None:
    a, b, c = Node(), Node(), Node()
    async with network([a]) as net:
        address = net.servers[0].network.address
        wrong = f"ws://{'ab' * 32}@{address.split('://', 1)[1]}"
        with caplog.at_level(logging.WARNING, logger="p2p.server"):
            async with network([b], bootnodes=lambda i, u: [wrong]) as other:
                await wait_until(lambda: "wrong node id" in caplog.text, what="the refusal logged")
                assert not other.servers[0].network.peers and not net.servers[0].network.peers
        assert f"expected {'ab' * 32}, got {net.servers[0].network.node_id.hex()}" in caplog.text
        # Unpinned, the same address is fine (the id pin is optional).
        async with network([c], bootnodes=lambda i, u: [address]) as other:
            await wait_until(lambda: other.servers[0].network.peers, what="unpinned connects")


# THE COMMAND LINE


def test_the_cli_reads_or_makes_the_node_key(tmp_path: Path) -> None:
    def settings(*extra: str) -> P2PSettings:
        args = build_parser().parse_args(["node", "--p2p-port", "0", *extra])
        made = p2p_settings(args)
        assert made is not None and made.node_key is not None
        return made

    first = settings("--datadir", str(tmp_path / "d"))
    assert first.node_key == read_node_key(tmp_path / "d" / "nodekey")
    assert settings("--datadir", str(tmp_path / "d")).node_key == first.node_key
    (tmp_path / "k").write_text(first.node_key.private_key.hex())  # type: ignore[union-attr]
    assert settings("--nodekey", str(tmp_path / "k")).node_key == first.node_key
    (tmp_path / "bad").write_text("0x1234")
    with pytest.raises(ValueError, match=r"node key .*bad: not a secp256k1 private key"):
        settings("--nodekey", str(tmp_path / "bad"))
    args = build_parser().parse_args(["node", "--p2p-port", "0", "--max-peers-per-ip", "0"])
    with pytest.raises(ValueError, match="--max-peers-per-ip must be at least 1"):
        node_options(args)

"""Helpers of the p2p tests: in-process nodes on 127.0.0.1 with their p2p servers on free
ports, a Clique genesis for N signers, a clock that runs faster than the wall clock (so that a
1-second block period takes a tenth of a second), and polling with a deadline."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import random
import socket
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp

from p2p.identity import DIALER, LISTENER, NodeKey, node_proof, signer_proof, verify_node_proof
from p2p.limits import Limits
from p2p.messages import (
    PROTOCOL_VERSION,
    Auth,
    Message,
    Status,
    decode_message,
    encode_message,
)
from p2p.server import P2PServer, P2PSettings, split_url, start
from pyeth.accounts import derive_accounts
from pyeth.chain import Genesis, parse_genesis
from pyeth.cli.devnet import devnet_genesis, signer_keys
from pyeth.hashing import keccak256
from pyeth.keys import private_key_to_address
from pyeth.node import Node, NodeConfig
from pyeth.transactions import FeeMarketTransaction, sign_transaction

GWEI = 10**9
M = TypeVar("M")
ACCOUNTS = derive_accounts()
KEYS = signer_keys(3)
SIGNERS = [private_key_to_address(key) for key in KEYS]
FAST_LIMITS = Limits(request_timeout=3.0, handshake_timeout=2.0, ban_seconds=60.0)


class FastClock:
    """Wall-clock seconds running `speed` times faster from now on; `sleep` waits accordingly."""

    def __init__(self, speed: float = 10.0) -> None:
        self.speed = speed
        self._wall = time.time()
        self._start = time.monotonic()

    def __call__(self) -> float:
        return self._wall + (time.monotonic() - self._start) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.speed)


def clique_genesis(
    signers: Sequence[bytes] = SIGNERS, period: int = 1, epoch: int = 30000
) -> Genesis:
    return parse_genesis(devnet_genesis(list(signers), period=period, epoch=epoch))


def make_node(
    genesis: Genesis | None = None,
    signer_key: bytes | None = None,
    clock: FastClock | None = None,
    mine: bool = True,
) -> Node:
    node = Node(NodeConfig(genesis=genesis, signer_key=signer_key, mine=mine))
    if clock is not None:
        if node.clique is not None:
            node.clique.clock = clock
        if node.signer is not None:
            node.signer.clock = clock
            node.signer.sleep = clock.sleep
    return node


def transfer(nonce: int, key_index: int = 0, chain_id: int = 1337, to: bytes = b"\x01" * 20):
    unsigned = FeeMarketTransaction(chain_id, nonce, GWEI, 10 * GWEI, 21_000, to, 1)
    return sign_transaction(unsigned, ACCOUNTS[key_index].private_key, chain_id)


@dataclass
class Running:
    """Nodes with their p2p servers (same index)."""

    nodes: list[Node]
    servers: list[P2PServer] = field(default_factory=list)

    def urls(self) -> list[str]:
        return [server.url for server in self.servers]


@asynccontextmanager
async def network(
    nodes: Sequence[Node],
    bootnodes: Callable[[int, list[str]], Sequence[str]] | None = None,
    limits: Limits = FAST_LIMITS,
    run_nodes: bool = True,
    **settings: object,
) -> AsyncIterator[Running]:
    """Start a p2p server for each node (node i dials `bootnodes(i, urls of the earlier
    ones)`, by default the first node) and, with `run_nodes`, the nodes' background work."""
    running = Running(list(nodes))
    async with AsyncExitStack() as stack:
        for index, node in enumerate(nodes):
            urls = running.urls()
            boot = tuple(bootnodes(index, urls) if bootnodes else urls[:1])
            options = {"dial_interval": 0.1, **settings}
            server = await start(
                node,
                P2PSettings(port=0, bootnodes=boot, limits=limits, **options),  # type: ignore[arg-type]
            )
            stack.push_async_callback(server.close)
            running.servers.append(server)
        if run_nodes:
            for node in nodes:
                await stack.enter_async_context(node.running())
        try:
            yield running
        finally:
            pass
    for node in nodes:
        node.close()


async def wait_until(
    condition: Callable[[], bool], timeout: float = 10.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


def connected(running: Running, count: int) -> Callable[[], bool]:
    """Every node has `count` peers."""
    return lambda: all(len(s.network.peers) >= count for s in running.servers)


class RawPeer:
    """A hand-driven peer: a bare WebSocket to a node, for sending what a real node would not.

    It has a node key of its own (a fresh one unless `key` is given) and does the handshake as
    a dialer: Status, then its Auth, then the node's Auth, checked. `claim` puts another public
    key in its Status (a peer pretending to be another node, which it cannot sign for);
    `signer_key` adds a Clique signer proof."""

    def __init__(
        self,
        url: str,
        node: Node,
        key: NodeKey | None = None,
        claim: bytes | None = None,
        signer_key: bytes | None = None,
    ) -> None:
        self.url, _ = split_url(url)
        self.node = node  # whose chain the status claims
        self.key = key or NodeKey.generate()
        self.public_key = claim or self.key.public_key
        self.node_id = self.key.node_id if claim is None else keccak256(claim)
        self.signer_key = signer_key
        self.session: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._held: list[Message] = []  # read during the handshake, for `receive`

    def status(self, **changes: object) -> Status:
        chain = self.node.chain
        status = Status(
            PROTOCOL_VERSION,
            self.node.chain_id,
            self.node.chain_id,
            self.node.total_difficulty(),
            chain.head_hash,
            chain.head.number,
            chain.genesis_hash,
            self.public_key,
            os.urandom(32),
            0,
        )
        return dataclasses.replace(status, **changes)  # type: ignore[arg-type]

    async def connect(
        self, auth: Callable[[Status, Status], Auth] | None = None, **status_changes: object
    ) -> Message:
        """Dial and do the handshake; return the first message back (the node's Status, or a
        Disconnect). After a Status, what followed our Auth (the node's Auth, checked, or its
        Disconnect) is read too; a Disconnect is kept for `receive`. `auth(ours, theirs)`
        makes the Auth to send instead of the honest one."""
        self.session = aiohttp.ClientSession()
        self.ws = await self.session.ws_connect(self.url, max_msg_size=0)
        ours = self.status(**status_changes)
        await self.ws.send_bytes(encode_message(ours))
        first = await self.receive()
        if not isinstance(first, Status):
            return first
        nonces = (ours.nonce, first.nonce)
        signer = b""
        if self.signer_key is not None:
            signer = signer_proof(self.signer_key, DIALER, self.node_id, first.node_id, *nonces)
        proof = Auth(node_proof(self.key, DIALER, first.node_id, *nonces), signer)
        if auth is not None:
            proof = auth(ours, first)
        with contextlib.suppress(ConnectionError):  # the node may have refused us already
            await self.send(proof)
        try:
            answer = await self.receive()
        except ConnectionError:
            return first  # closed before the node proved itself: `receive` says so again
        if isinstance(answer, Auth):
            assert verify_node_proof(
                first.public_key, LISTENER, self.node_id, *nonces, answer.signature
            ), "the node's Auth does not prove its key"
        else:
            self._held.append(answer)
        return first

    async def send(self, data: bytes | Message) -> None:
        assert self.ws is not None
        await self.ws.send_bytes(data if isinstance(data, bytes) else encode_message(data))

    async def receive(self, timeout: float = 5.0) -> Message:
        assert self.ws is not None
        if self._held:
            return self._held.pop(0)
        msg = await self.ws.receive(timeout=timeout)
        if msg.type is not aiohttp.WSMsgType.BINARY:
            raise ConnectionError(f"closed: {msg.type} {self.ws.close_code}")
        return decode_message(msg.data)

    async def expect(self, kind: type[M], timeout: float = 5.0) -> M:
        """The next message of type `kind`, skipping others (the node's GetPeers, gossip)."""
        deadline = time.monotonic() + timeout
        while True:
            message = await self.receive(max(deadline - time.monotonic(), 0.01))
            if isinstance(message, kind):
                return message

    async def receive_until_closed(self, timeout: float = 5.0) -> list[Message]:
        """Messages until the node closes the connection."""
        assert self.ws is not None
        got: list[Message] = self._held
        self._held = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"not closed within {timeout}s; got {got}")
            msg = await self.ws.receive(timeout=left)
            if msg.type is not aiohttp.WSMsgType.BINARY:
                return got
            got.append(decode_message(msg.data))

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.session is not None:
            await self.session.close()


# PROCESSES (pyeth devnet and pyeth node as users run them)


def free_base_port(nodes: int = 3) -> int:
    """A base port whose RPC (P+i) and p2p (P+100+i) ports are all free."""
    for _ in range(50):
        base = random.randrange(20000, 50000)
        ports = [base + i for i in range(nodes)] + [base + 100 + i for i in range(nodes)]
        try:
            for port in ports:
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free ports")


def rpc(port: int, method: str, *params: Any) -> Any:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/", body.encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        answer = json.loads(response.read())
    if "error" in answer:
        raise AssertionError(f"{method}: {answer['error']}")
    return answer["result"]


def wait_for(condition, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError, AssertionError):
            result = condition()
            if result:
                return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)

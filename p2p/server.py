"""The network of one node: an aiohttp application accepting peers at `ws://host:port/p2p`,
dialing `--bootnodes` and the addresses peers tell of, and wiring each session to the node.

`Network` holds the peers (by node id, at most `max_peers`, one connection each), the bans, the
addresses to dial, the syncer and the gossip: new heads and pending transactions from the node
go to the peers that lack them; blocks and transactions from peers go to the node through its
narrow interface (`import_block`, `submit_transaction`); requests for headers, bodies and peers
are answered from the chain's read methods. `init` is the application factory (background
tasks in one `cleanup_ctx`, sessions closed on shutdown); `start` runs it on a port and returns
once it listens. Work per message is bounded (one block, a bounded batch of transactions, a
bounded response), so no peer can stall the event loop; nothing here writes to the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Final

import aiohttp
from aiohttp import web
from yarl import URL

from p2p.gossip import MAX_SEEN, BoundedSet, block_recipients, transaction_recipients
from p2p.limits import BanList, Limits, Misbehaviour
from p2p.messages import (
    PROTOCOL_VERSION,
    BlockBodies,
    BlockHeaders,
    GetBlockBodies,
    GetBlockHeaders,
    GetPeers,
    Header,
    Message,
    NewBlock,
    NewBlockHashes,
    Peers,
    Status,
    Transactions,
    body_block,
    header_message_item,
)
from p2p.session import (
    CLOSE_REFUSED,
    HandshakeError,
    Peer,
    RequestFailed,
    WebSocket,
    close_with_reason,
    exchange_status,
)
from p2p.sync import HEADER_BATCH, Syncer
from pyeth.chain import Block, ChainEvent
from pyeth.errors import DecodingError, InvalidBlock, InvalidTransaction
from pyeth.hashing import keccak256
from pyeth.node import Node
from pyeth.txpool import PooledTransaction

P2P_PATH: Final = "/p2p"
MAX_CANDIDATES: Final = 256  # addresses remembered for dialing
MAX_DIALS: Final = 8  # dials in flight
MAX_FETCHES: Final = 16  # announced blocks being fetched at once
MAX_SHARED_PEERS: Final = 32  # addresses given in one Peers answer
MAX_RETRY_DELAY: Final = 30.0

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class P2PSettings:
    """Where to listen, whom to dial, and the limits."""

    host: str = "127.0.0.1"
    port: int = 30303  # 0: any free port (tests)
    bootnodes: tuple[str, ...] = ()
    network_id: int | None = None  # the chain id when None
    limits: Limits = field(default_factory=Limits)
    dial_interval: float = 1.0
    peer_exchange_interval: float = 30.0
    sync_batch: int = HEADER_BATCH  # headers per request while syncing


def parse_url(text: str) -> str:
    """A peer address in canonical form, ws://host:port/p2p.

    Raises:
        ValueError: not a ws:// URL with a host and port.
    """
    try:
        url = URL(text.strip())
    except (ValueError, TypeError) as exc:
        raise ValueError(f"invalid peer address {text!r}: {exc}") from None
    if url.scheme != "ws" or not url.host or url.explicit_port is None:
        raise ValueError(f"invalid peer address {text!r}: expected ws://HOST:PORT/p2p")
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"ws://{host}:{url.explicit_port}{url.path if url.path != '/' else P2P_PATH}"


class Network:
    """The peers of `node` and what flows between them and it."""

    def __init__(self, node: Node, settings: P2PSettings | None = None) -> None:
        self.node = node
        self.settings = settings or P2PSettings()
        self.limits = self.settings.limits
        self.node_id = os.urandom(16)
        self.network_id = self.settings.network_id or node.chain_id
        self.listen_port = self.settings.port
        self.listening = asyncio.Event()
        self.peers: dict[bytes, Peer] = {}
        self.bans = BanList()
        self.bootnodes = tuple(parse_url(url) for url in self.settings.bootnodes)
        self.candidates: OrderedDict[str, None] = OrderedDict.fromkeys(self.bootnodes)
        self.seen_blocks = BoundedSet(MAX_SEEN)
        self.seen_transactions = BoundedSet(MAX_SEEN)
        self.syncer = Syncer(
            node,
            lambda: list(self.peers.values()),
            batch=min(self.settings.sync_batch, self.limits.max_headers),
            on_done=self.announce_head,
        )
        self._own_urls: set[str] = set()
        self._dialing: set[str] = set()
        self._retry: dict[str, tuple[float, float]] = {}  # url -> (not before, next delay)
        self._tasks: set[asyncio.Task[None]] = set()
        self._fetching: set[bytes] = set()
        self._handshakes = 0
        self._client: aiohttp.ClientSession | None = None
        self._unsubscribe: list[Callable[[], None]] = []

    # --- identity ---------------------------------------------------------------------------

    def status(self) -> Status:
        chain = self.node.chain
        return Status(
            version=PROTOCOL_VERSION,
            network_id=self.network_id,
            chain_id=self.node.chain_id,
            total_difficulty=self.node.total_difficulty(),
            head_hash=chain.head_hash,
            head_number=chain.head.number,
            genesis_hash=chain.genesis_hash,
            node_id=self.node_id,
            listen_port=self.listen_port,
        )

    @property
    def url(self) -> str:
        """Our own address, as peers dial it."""
        host = self.settings.host if self.settings.host not in ("0.0.0.0", "::") else "127.0.0.1"
        return f"ws://{host}:{self.listen_port}{P2P_PATH}"

    def peer_count(self) -> int:
        return len(self.peers)

    def sync_progress(self) -> tuple[int, int, int] | None:
        """(starting, current, highest) block while syncing (for eth_syncing), else None."""
        progress = self.syncer.progress
        if progress is None:
            return None
        return progress.start, progress.start + progress.done, progress.target

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe to the node and start dialing, syncing and exchanging peers."""
        self._client = aiohttp.ClientSession()
        self._unsubscribe = [
            self.node.subscribe_heads(self._on_head),
            self.node.subscribe_pending(self._on_pending),
        ]
        for work in (self._dial_loop(), self.syncer.run(), self._exchange_loop()):
            self._spawn(work)
        self.node.network = self

    async def close_peers(self) -> None:
        """Say goodbye to every peer (on shutdown, before the server waits for handlers)."""
        await asyncio.gather(
            *(
                close_with_reason(peer.ws, 1001, "node shutting down")
                for peer in self.peers.values()
            ),
            return_exceptions=True,
        )

    async def stop(self) -> None:
        if self.node.network is self:
            self.node.network = None
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        await self.close_peers()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.close()
            self._client = None

    def _spawn(self, work: Coroutine[object, object, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- sessions ---------------------------------------------------------------------------

    async def accept(self, request: web.Request) -> web.StreamResponse:
        """The /p2p handler: one inbound session."""
        if self._handshakes >= max(16, 2 * self.limits.max_peers):
            # Connections that never say hello must not pile up: refuse before upgrading.
            return web.Response(status=503, text="too many handshakes in progress")
        ws = web.WebSocketResponse(
            max_msg_size=self.limits.max_message_size,
            compress=False,
            heartbeat=self.limits.heartbeat,
        )
        await ws.prepare(request)
        await self._session(ws, request.remote or "?", None)
        return ws

    async def dial(self, url: str) -> bool:
        """Connect to `url` and run the session there until it ends; False if it failed."""
        assert self._client is not None
        try:
            ws = await self._client.ws_connect(
                url,
                max_msg_size=self.limits.max_message_size,
                compress=0,
                heartbeat=self.limits.heartbeat,
                timeout=aiohttp.ClientWSTimeout(ws_close=5.0),
            )
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.debug("dial %s failed: %s", url, exc)
            return False
        host = URL(url).host or "?"
        return await self._session(ws, host, url)

    async def _session(self, ws: WebSocket, remote: str, url: str | None) -> bool:
        """Handshake, admit, run, and clean up one connection; True if it got to run."""
        self._handshakes += 1
        try:
            status = await exchange_status(ws, self.status(), self.limits.handshake_timeout)
        except HandshakeError as exc:
            log.info("%s: handshake failed: %s", url or remote, exc)
            if url is not None and str(exc).startswith(("network id", "chain id", "genesis")):
                self._forget(url)  # another chain: never worth dialing again
            return False
        finally:
            self._handshakes -= 1
        refusal = self._refusal(status, url)
        if refusal is not None:
            if refusal == "connected to ourselves" and url is not None:
                self._own_urls.add(url)
            await close_with_reason(ws, CLOSE_REFUSED, refusal)
            log.debug("%s: refused: %s", url or remote, refusal)
            return False
        peer = Peer(ws, status, remote, url, self.limits)
        old = self.peers.get(peer.node_id)
        if old is not None:
            old.disconnect(CLOSE_REFUSED, "duplicate connection")
        self.peers[peer.node_id] = peer
        if peer.dial_url is not None:
            self._remember(peer.dial_url)
            self._retry.pop(peer.dial_url, None)
        log.info("peer connected: %r (%d peers)", peer, len(self.peers))
        self.syncer.notify()
        self._spawn(self._ask_peers(peer))
        try:
            await peer.run(self._dispatch)
        finally:
            if self.peers.get(peer.node_id) is peer:
                del self.peers[peer.node_id]
            if peer.misbehaviour is not None:
                self.ban(peer, peer.misbehaviour)
            log.info("peer gone: %r: %s (%d peers)", peer, peer.disconnect_reason, len(self.peers))
        return True

    def _refusal(self, status: Status, url: str | None) -> str | None:
        """Why a peer that passed the handshake may not stay, or None."""
        if status.node_id == self.node_id:
            return "connected to ourselves"
        if self.bans.is_banned(status.node_id.hex()) or (
            url is not None and self.bans.is_banned(url)
        ):
            return "banned"
        old = self.peers.get(status.node_id)
        if old is not None:
            # Both ends dialed at once: keep the connection dialed by the lower node id, as
            # the other end decides the same way.
            new_dialer = self.node_id if url is not None else status.node_id
            old_dialer = self.node_id if old.url is not None else status.node_id
            if new_dialer == old_dialer or new_dialer > old_dialer:
                return "already connected"
            return None
        if len(self.peers) >= self.limits.max_peers:
            return "too many peers"
        return None

    def ban(self, peer: Peer, reason: str) -> None:
        """Refuse `peer` (by node id and address) for the ban period."""
        seconds = self.limits.ban_seconds
        self.bans.ban(peer.node_id.hex(), seconds)
        if peer.dial_url is not None:
            self.bans.ban(peer.dial_url, seconds)
        log.warning("banned %r for %.0fs: %s", peer, seconds, reason)

    # --- dialing and peer exchange ----------------------------------------------------------

    def _remember(self, url: str) -> None:
        if url in self.candidates:
            self.candidates.move_to_end(url)
            return
        self.candidates[url] = None
        while len(self.candidates) > MAX_CANDIDATES:
            oldest = next(iter(self.candidates))
            if oldest in self.bootnodes:
                self.candidates.move_to_end(oldest)
                continue
            del self.candidates[oldest]

    def _forget(self, url: str) -> None:
        if url not in self.bootnodes:
            self.candidates.pop(url, None)

    def _dialable(self, now: float) -> list[str]:
        connected = {peer.dial_url for peer in self.peers.values()}
        out = []
        for url in self.candidates:
            if url in connected or url in self._dialing or url in self._own_urls:
                continue
            if url == self.url or self.bans.is_banned(url):
                continue
            retry = self._retry.get(url)
            if retry is not None and retry[0] > now:
                continue
            out.append(url)
        return out

    async def _dial_loop(self) -> None:
        await self.listening.wait()
        while True:
            room = self.limits.max_peers - len(self.peers) - len(self._dialing)
            if room > 0:
                urls = self._dialable(time.monotonic())
                random.shuffle(urls)
                for url in urls[: min(room, MAX_DIALS - len(self._dialing))]:
                    self._dialing.add(url)
                    self._spawn(self._dial_once(url))
            await asyncio.sleep(self.settings.dial_interval)

    async def _dial_once(self, url: str) -> None:
        try:
            if not await self.dial(url):
                _, delay = self._retry.get(url, (0.0, self.settings.dial_interval))
                self._retry[url] = (time.monotonic() + delay, min(delay * 2, MAX_RETRY_DELAY))
        finally:
            self._dialing.discard(url)

    async def _ask_peers(self, peer: Peer) -> None:
        try:
            answer = await peer.request_peers()
        except RequestFailed:
            return
        for text in answer.urls:
            with contextlib.suppress(ValueError):
                url = parse_url(text)
                if url != self.url and url not in self._own_urls:
                    self._remember(url)

    async def _exchange_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.peer_exchange_interval)
            if self.peers:
                await self._ask_peers(random.choice(list(self.peers.values())))

    # --- messages from peers ----------------------------------------------------------------

    async def _dispatch(self, peer: Peer, message: Message) -> None:
        await self.handle(peer, message)  # looked up per message: tests wrap `handle`

    async def handle(self, peer: Peer, message: Message) -> None:
        """What a peer sent (after the handshake; responses are matched in the session)."""
        match message:
            case NewBlock():
                peer.update_head(message.block.hash, message.block.number, message.total_difficulty)
                self._take_block(peer, message.block)
            case NewBlockHashes():
                for block_hash, number in message.items:
                    peer.update_head(block_hash, number, None)
                    if (
                        block_hash not in self._fetching
                        and len(self._fetching) < MAX_FETCHES
                        and not self.node.chain.has_block(block_hash)
                    ):
                        self._fetching.add(block_hash)
                        self._spawn(self._fetch_announced(peer, block_hash))
            case Transactions():
                await self._take_transactions(peer, message.transactions)
            case GetBlockHeaders():
                peer.send(BlockHeaders(message.request_id, self.serve_headers(message)))
            case GetBlockBodies():
                peer.send(BlockBodies(message.request_id, self.serve_bodies(message)))
            case GetPeers():
                urls = [
                    other.dial_url
                    for other in self.peers.values()
                    if other is not peer and other.dial_url is not None
                ]
                peer.send(Peers(message.request_id, tuple(urls[:MAX_SHARED_PEERS])))

    def _take_block(self, peer: Peer, block: Block) -> None:
        """A block from `peer`: import it if it extends what we have, sync if not.

        Raises:
            Misbehaviour: the block is invalid.
        """
        chain = self.node.chain
        block_hash = block.hash
        if chain.has_block(block_hash):
            return
        if chain.get_header(block.parent_hash) is None:
            self.syncer.notify(peer)  # we lack its parent: catch up with this peer
            return
        if not self.seen_blocks.add(block_hash):
            return
        try:
            self.node.import_block(block)
        except InvalidBlock as exc:
            if str(exc).startswith("future block"):
                return  # a clock ahead of ours is no crime; it comes again with the next one
            raise Misbehaviour(f"invalid block {block.number}: {exc}") from None
        if peer.head_hash == block_hash:
            peer.total_difficulty = self.node.total_difficulty(block_hash)

    async def _fetch_announced(self, peer: Peer, block_hash: bytes) -> None:
        """Get an announced block's header and body, then take it as if it came whole."""
        try:
            headers = (await peer.request_headers(block_hash, 1)).headers
            if not headers:
                return
            header = headers[0]
            if header.hash != block_hash:
                raise Misbehaviour("answered a header request with another block")
            bodies = (await peer.request_bodies((block_hash,))).bodies
            if len(bodies) != 1:
                return
            self._take_block(peer, body_block(header, bodies[0]))
        except RequestFailed:
            return
        except (Misbehaviour, DecodingError) as exc:
            peer.punish(str(exc))
        finally:
            self._fetching.discard(block_hash)

    async def _take_transactions(self, peer: Peer, transactions: tuple[bytes, ...]) -> None:
        if len(transactions) > self.limits.max_transactions:
            raise Misbehaviour(
                f"{len(transactions)} transactions in one message, "
                f"at most {self.limits.max_transactions}"
            )
        for raw in transactions:
            tx_hash = keccak256(raw)
            peer.known_transactions.add(tx_hash)
            if not self.seen_transactions.add(tx_hash) or tx_hash in self.node.pool:
                continue
            try:
                self.node.submit_transaction(raw)
            except DecodingError as exc:
                raise Misbehaviour(f"malformed transaction: {exc}") from None
            except InvalidTransaction:
                continue  # known, underpriced, nonce used...: normal in gossip
            except InvalidBlock:
                continue  # automine could not seal it; the pool keeps or drops it
            # One transaction (and under automine its block) at a time, then the event loop.
            await asyncio.sleep(0)

    # --- serving ----------------------------------------------------------------------------

    def serve_headers(self, request: GetBlockHeaders) -> tuple[Header, ...]:
        """Canonical headers from the request's origin (a side-branch origin by hash gives
        itself and, going down, its ancestors)."""
        chain = self.node.chain
        amount = min(request.amount, self.limits.max_headers)
        if amount == 0:
            return ()
        head_number = chain.head.number
        out: list[Header] = []
        size = 0
        if isinstance(request.origin, bytes):
            header = chain.get_header(request.origin)
            if header is None:
                return ()
            if chain.canonical_hash(header.number) != request.origin:
                if not request.reverse or request.skip:
                    return (header_message_item(header),)
                while header is not None and len(out) < amount:
                    out.append(header_message_item(header))
                    header = None if header.number == 0 else chain.get_header(header.parent_hash)
                return tuple(out)
            number = header.number
        else:
            number = request.origin
        step = request.skip + 1
        for index in range(amount):
            current = number - index * step if request.reverse else number + index * step
            if current < 0 or current > head_number:
                break
            block_hash = chain.canonical_hash(current)
            header = None if block_hash is None else chain.get_header(block_hash)
            if header is None:
                break
            item = header_message_item(header)
            size += len(item.rlp)
            if size > self.limits.max_response_bytes and out:
                break
            out.append(item)
        return tuple(out)

    def serve_bodies(self, request: GetBlockBodies) -> tuple[bytes, ...]:
        """The bodies of the requested blocks in order, stopping at the first one we lack
        (so that a response is always a prefix of the request)."""
        chain = self.node.chain
        out: list[bytes] = []
        size = 0
        for block_hash in request.hashes[: self.limits.max_bodies]:
            block = chain.get_block(block_hash)
            if block is None:
                break
            body = block.body_rlp
            size += len(body)
            if size > self.limits.max_response_bytes and out:
                break
            out.append(body)
        return tuple(out)

    # --- events from the node ---------------------------------------------------------------

    def _on_head(self, event: ChainEvent) -> None:
        if self.syncer.syncing:
            return  # peers hear of the head when the sync ends (announce_head)
        for item in event.added:
            self._broadcast_block(item.block)

    def announce_head(self) -> None:
        """Tell every peer that lacks it of our head (after a sync)."""
        chain = self.node.chain
        block = chain.get_block(chain.head_hash)
        if block is not None:
            self._broadcast_block(block, whole_to_all=True)

    def _broadcast_block(self, block: Block, whole_to_all: bool = False) -> None:
        block_hash = block.hash
        self.seen_blocks.add(block_hash)
        whole, announce = block_recipients(list(self.peers.values()), block_hash)
        if whole_to_all:
            whole, announce = whole + announce, []
        if not whole and not announce:
            return
        total_difficulty = self.node.total_difficulty(block_hash)
        for peer in whole:
            peer.send(NewBlock(block, total_difficulty))
        for peer in announce:
            peer.send(NewBlockHashes(((block_hash, block.number),)))

    def _on_pending(self, entry: PooledTransaction) -> None:
        self.seen_transactions.add(entry.hash)
        for peer in transaction_recipients(list(self.peers.values()), entry.hash):
            peer.send(Transactions((entry.raw,)))


# THE APPLICATION


NETWORK: Final = web.AppKey("network", Network)


def init(node: Node, settings: P2PSettings | None = None) -> web.Application:
    """The p2p application of `node`: WebSocket peers at /p2p."""
    settings = settings or P2PSettings()
    app = web.Application()
    app[NETWORK] = Network(node, settings)
    app.router.add_get(P2P_PATH, _handle_p2p)
    app.cleanup_ctx.append(_network_tasks)
    app.on_shutdown.append(_close_peers)
    return app


async def _handle_p2p(request: web.Request) -> web.StreamResponse:
    return await request.app[NETWORK].accept(request)


async def _network_tasks(app: web.Application) -> AsyncIterator[None]:
    network = app[NETWORK]
    await network.start()
    yield
    await network.stop()


async def _close_peers(app: web.Application) -> None:
    await app[NETWORK].close_peers()


@dataclass(slots=True)
class P2PServer:
    """A running p2p application: stop it with `close()`."""

    runner: web.AppRunner
    network: Network

    @property
    def url(self) -> str:
        return self.network.url

    async def close(self) -> None:
        await self.runner.cleanup()


async def start(node: Node, settings: P2PSettings | None = None) -> P2PServer:
    """Serve the p2p application of `node` on `settings.host:port` (0: a free port) and start
    dialing once it listens.

    Raises:
        OSError: the port cannot be bound.
    """
    settings = settings or P2PSettings()
    app = init(node, settings)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    network = app[NETWORK]
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            network.listen_port = int(address[1])
            break
    network.listening.set()
    return P2PServer(runner, network)

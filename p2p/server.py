"""The network of one node: an aiohttp application accepting peers at `ws://host:port/p2p`,
dialing `--bootnodes` and the addresses peers tell of, and wiring each session to the node.

`Network` holds the node key (its id is the node's; see p2p.identity), the peers (by proven
node id, one connection each), the bans, the addresses to dial, the syncer and the gossip.
Admission, after the handshake proved the peer's id: banned ids and IP addresses are refused;
at most `max_peers_per_ip` connections per address (loopback exempt by default); ordinary
peers get `max_outbound` dialed and `max_inbound` accepted slots, kept apart so that peers that
dial us cannot take the slots we dial with; configured peers (bootnodes) and proven Clique
signers are admitted on top of them, so a crowd of idle peers cannot keep them out; and when
the inbound slots are full, an inbound peer that has told us nothing new for `idle_seconds`
makes room for the newcomer. The rest of the traffic: new heads and pending transactions from
the node go to the peers that lack them; blocks and transactions from peers go to the node
through its narrow interface (`import_block`, `submit_transaction`; a peer's bad transactions
cost it reputation, see p2p.limits); requests for headers, bodies and peers are answered from
the chain's read methods. `init` is the application factory (background
tasks in one `cleanup_ctx`, sessions closed on shutdown); `start` runs it on a port and returns
once it listens. Work per message is bounded (one block, a bounded batch of transactions, a
bounded response), so no peer can stall the event loop; nothing here writes to the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
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
from p2p.identity import NODE_ID_SIZE, NODE_KEY_FILE, NodeKey, load_or_create_node_key
from p2p.limits import (
    MAX_BANS,
    PENALTY_BAD_SIGNATURE,
    PENALTY_REJECTED_TRANSACTION,
    BanList,
    Limits,
    Misbehaviour,
    TokenBucket,
)
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
    Handshake,
    HandshakeError,
    Peer,
    RequestFailed,
    WebSocket,
    close_with_reason,
    handshake,
    pin,
)
from p2p.sync import HEADER_BATCH, Syncer
from pyeth.chain import Block, ChainEvent
from pyeth.errors import DecodingError, InvalidBlock, InvalidTransaction
from pyeth.hashing import keccak256
from pyeth.node import Node
from pyeth.transactions import decode_transaction
from pyeth.transactions.blobs import is_pooled_form
from pyeth.transactions.signing import recover_sender
from pyeth.txpool import PooledTransaction

P2P_PATH: Final = "/p2p"
MAX_CANDIDATES: Final = 256  # addresses remembered for dialing
MAX_DIALS: Final = 8  # dials in flight
MAX_FETCHES: Final = 16  # announced blocks being fetched at once
MAX_SHARED_PEERS: Final = 32  # addresses given in one Peers answer
MAX_RETRY_DELAY: Final = 30.0
DUPLICATE_PROBE_SECONDS: Final = 2.0  # how long an old connection may take to show it lives
# Pool refusals that honest gossip runs into (a race with a block, a fee that moved, a full
# pool): not held against the peer. The pool words its refusals as geth does, for clients.
HARMLESS_REJECTIONS: Final = (
    "already known",
    "nonce too low",
    "replacement transaction underpriced",
    "transaction underpriced",
    "max fee per gas less than block base fee",
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class P2PSettings:
    """Where to listen, whom to dial, and the limits."""

    host: str = "127.0.0.1"
    port: int = 30303  # 0: any free port (tests)
    bootnodes: tuple[str, ...] = ()
    network_id: int | None = None  # the chain id when None
    limits: Limits = field(default_factory=Limits)
    node_key: NodeKey | None = None  # None: <datadir>/nodekey, or a fresh one in memory
    dial_interval: float = 1.0
    peer_exchange_interval: float = 30.0
    sync_batch: int = HEADER_BATCH  # headers per request while syncing


def parse_url(text: str) -> str:
    """A peer URL in canonical form: ws://host:port/p2p, or ws://ID@host:port/p2p with the
    node id (64 hex digits) the peer must prove.

    Raises:
        ValueError: not a ws:// URL with a host and port, or an id that is not 64 hex digits.
    """
    address, node_id = split_url(text)
    return address if node_id is None else pin(address, node_id)


def split_url(text: str) -> tuple[str, bytes | None]:
    """A peer URL's address (ws://host:port/p2p) and its pinned node id, if any.

    Raises:
        ValueError: as `parse_url`.
    """
    try:
        url = URL(text.strip())
    except (ValueError, TypeError) as exc:
        raise ValueError(f"invalid peer address {text!r}: {exc}") from None
    if url.scheme != "ws" or not url.host or url.explicit_port is None:
        raise ValueError(
            f"invalid peer address {text!r}: expected ws://HOST:PORT/p2p or "
            "ws://NODE_ID@HOST:PORT/p2p"
        )
    if url.password is not None:
        raise ValueError(f"invalid peer address {text!r}: expected ws://NODE_ID@HOST:PORT/p2p")
    node_id = None
    if url.raw_user:
        try:
            node_id = bytes.fromhex(url.raw_user)
        except ValueError:
            node_id = None
        if node_id is None or len(node_id) != NODE_ID_SIZE:
            raise ValueError(
                f"invalid peer address {text!r}: the node id before '@' must be "
                f"{2 * NODE_ID_SIZE} hex digits (as the node prints it at start)"
            )
    host = f"[{url.host}]" if ":" in url.host else url.host
    path = url.path if url.path not in ("", "/") else P2P_PATH
    return f"ws://{host}:{url.explicit_port}{path}", node_id


def _ip_of(address: str) -> str | None:
    """The IP literal of an address's host, or None for a host name."""
    host = URL(address).host or ""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


class Network:
    """The peers of `node` and what flows between them and it."""

    def __init__(self, node: Node, settings: P2PSettings | None = None) -> None:
        self.node = node
        self.settings = settings or P2PSettings()
        self.limits = self.settings.limits
        self.key = self.settings.node_key or _default_node_key(node)
        self.node_id = self.key.node_id
        self.network_id = self.settings.network_id or node.chain_id
        self.listen_port = self.settings.port
        self.listening = asyncio.Event()
        self.peers: dict[bytes, Peer] = {}
        self.bans = BanList()
        self.bootnodes = tuple(parse_url(url) for url in self.settings.bootnodes)
        # Configured peers by address, with the id the operator pinned (None: not pinned).
        self.configured: dict[str, bytes | None] = dict(map(split_url, self.bootnodes))
        # Ids of configured peers: pinned, or proven when we dialed their address.
        self.configured_ids = {i for i in self.configured.values() if i is not None}
        self.candidates: OrderedDict[str, None] = OrderedDict.fromkeys(self.configured)
        self.seen_blocks = BoundedSet(MAX_SEEN)
        self.seen_transactions = BoundedSet(MAX_SEEN)
        self.syncer = Syncer(
            node,
            lambda: list(self.peers.values()),
            batch=min(self.settings.sync_batch, self.limits.max_headers),
            on_done=self.announce_head,
        )
        self._own_urls: set[str] = set()
        self._known_ids: OrderedDict[str, bytes] = OrderedDict()  # address -> id proven there
        self._dialing: set[str] = set()
        self._retry: dict[str, tuple[float, float]] = {}  # url -> (not before, next delay)
        self._tasks: set[asyncio.Task[None]] = set()
        self._fetching: set[bytes] = set()
        self._handshakes = 0
        self._handshakes_from: dict[str, int] = {}  # inbound handshakes by IP
        # Addresses whose peer was banned: their new connections are rate-limited until then.
        self._slowed: OrderedDict[str, tuple[float, TokenBucket]] = OrderedDict()
        self._client: aiohttp.ClientSession | None = None
        self._unsubscribe: list[Callable[[], None]] = []

    # --- identity ---------------------------------------------------------------------------

    def status(self) -> Status:
        """Our Status for one connection (with a fresh nonce)."""
        chain = self.node.chain
        return Status(
            version=PROTOCOL_VERSION,
            network_id=self.network_id,
            chain_id=self.node.chain_id,
            total_difficulty=self.node.total_difficulty(),
            head_hash=chain.head_hash,
            head_number=chain.head.number,
            genesis_hash=chain.genesis_hash,
            public_key=self.key.public_key,
            nonce=os.urandom(32),
            listen_port=self.listen_port,
        )

    @property
    def address(self) -> str:
        """Our own address, as peers dial it (ws://host:port/p2p)."""
        host = self.settings.host if self.settings.host not in ("0.0.0.0", "::") else "127.0.0.1"
        host = f"[{host}]" if ":" in host else host
        return f"ws://{host}:{self.listen_port}{P2P_PATH}"

    @property
    def url(self) -> str:
        """Our own URL with our node id pinned (ws://ID@host:port/p2p): give it to others as
        a bootnode so that they refuse anyone else at that address."""
        return pin(self.address, self.node_id)

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
        remote = request.remote or "?"
        if self._handshakes >= max(16, 2 * self.limits.max_peers):
            # Connections that never say hello must not pile up: refuse before upgrading.
            return web.Response(status=503, text="too many handshakes in progress")
        exempt = self.limits.is_exempt(remote)
        if not exempt and self.bans.is_banned(remote):
            return web.Response(status=403, text="banned")
        if not exempt and self._handshakes_from.get(remote, 0) >= self.limits.max_peers_per_ip:
            return web.Response(status=503, text="too many handshakes from this address")
        if not self._may_handshake(remote):
            return web.Response(
                status=429, text="too many connections from this address after a ban"
            )
        ws = web.WebSocketResponse(
            max_msg_size=self.limits.max_message_size,
            compress=False,
            heartbeat=self.limits.heartbeat,
        )
        await ws.prepare(request)
        await self._session(ws, remote, None)
        return ws

    async def dial(self, address: str, expected_id: bytes | None = None) -> bool:
        """Connect to `address` (ws://host:port/p2p) and run the session there until it ends;
        False if it failed. With `expected_id`, any other node there is refused."""
        assert self._client is not None
        try:
            ws = await self._client.ws_connect(
                address,
                max_msg_size=self.limits.max_message_size,
                compress=0,
                heartbeat=self.limits.heartbeat,
                timeout=aiohttp.ClientWSTimeout(ws_close=5.0),
            )
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.debug("dial %s failed: %s", address, exc)
            return False
        peername = ws.get_extra_info("peername")
        remote = str(peername[0]) if peername else URL(address).host or "?"
        return await self._session(ws, remote, address, expected_id)

    async def _session(
        self, ws: WebSocket, remote: str, address: str | None, expected_id: bytes | None = None
    ) -> bool:
        """Handshake, admit, run, and clean up one connection; True if it got to run."""
        where = address or remote
        self._handshakes += 1
        if address is None:
            self._handshakes_from[remote] = self._handshakes_from.get(remote, 0) + 1
        try:
            hello = await handshake(
                ws,
                self.status(),
                self.key,
                dialer=address is not None,
                timeout=self.limits.handshake_timeout,
                expected_id=expected_id,
                signer_key=self._signer_key(),
            )
        except HandshakeError as exc:
            if exc.kind == "pin":
                log.warning("%s: refused: %s (the URL pins another node)", where, exc)
            else:
                log.info("%s: handshake failed: %s", where, exc)
            if address is not None and exc.kind == "mismatch":
                self._forget(address)  # another chain: never worth dialing again
            elif address is not None and exc.kind == "self":
                self._own_urls.add(address)
            return False
        finally:
            self._handshakes -= 1
            if address is None:
                left = self._handshakes_from.pop(remote, 1) - 1
                if left:
                    self._handshakes_from[remote] = left
        if address is not None:
            self._known_ids[address] = hello.node_id  # proven there: not dialed while connected
            self._known_ids.move_to_end(address)
            while len(self._known_ids) > MAX_CANDIDATES:
                self._known_ids.popitem(last=False)
            if address in self.configured:
                self.configured_ids.add(hello.node_id)
        reserved = self._reserved(hello, address)
        old = self.peers.get(hello.node_id)
        refusal: str | None
        if old is not None and old.inbound and address is None and await self._answers(old):
            # It dialed us again while its first connection still works (it dialed two of
            # our addresses at once): keep the first, as the dialer does.
            refusal, room_from = "already connected", None
        else:
            refusal, room_from = self._admission(hello, remote, address, reserved)
        if refusal is not None:
            await close_with_reason(ws, CLOSE_REFUSED, refusal)
            log.debug("%s: refused: %s", where, refusal)
            return False
        if room_from is not None:
            log.info("%r makes room: idle the longest", room_from)
            room_from.disconnect(CLOSE_REFUSED, "making room: no news from you for a while")
            del self.peers[room_from.node_id]
        peer = Peer(ws, hello, remote, address, self.limits, reserved)
        old = self.peers.get(peer.node_id)
        if old is not None:
            old.disconnect(CLOSE_REFUSED, "replaced by a newer connection from the same node")
        self.peers[peer.node_id] = peer
        if peer.dial_address is not None:
            self._remember(peer.dial_address)
            self._retry.pop(peer.dial_address, None)
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

    async def _answers(self, peer: Peer) -> bool:
        """True if `peer` answers a request within a short wait: its connection is alive (a
        peer that restarted leaves a dead one behind until the heartbeat notices)."""
        try:
            async with asyncio.timeout(min(DUPLICATE_PROBE_SECONDS, self.limits.request_timeout)):
                await peer.request_peers()
        except (RequestFailed, TimeoutError):
            return False
        return not peer.ws.closed

    def _signer_key(self) -> bytes | None:
        """The Clique signer key we prove to peers (they keep room for signers)."""
        return self.node.config.signer_key if self.node.clique is not None else None

    def _reserved(self, hello: Handshake, address: str | None) -> bool:
        """A configured peer or a proven Clique signer: admitted outside the ordinary slots."""
        if address is not None and address in self.configured:
            return True
        if hello.node_id in self.configured_ids:
            return True
        clique = self.node.clique
        if hello.signer is None or clique is None:
            return False
        return hello.signer in clique.signers(self.node.chain.head_hash)

    def _admission(
        self, hello: Handshake, remote: str, address: str | None, reserved: bool
    ) -> tuple[str | None, Peer | None]:
        """Why a proven peer may not stay (None if it may), and the idle peer that must make
        room for it (if one must)."""
        node_id = hello.node_id
        exempt = self.limits.is_exempt(remote)
        if self.bans.is_banned(node_id.hex()) or (not exempt and self.bans.is_banned(remote)):
            return "banned", None
        old = self.peers.get(node_id)
        if old is not None:
            if old.inbound and address is None:
                return None, None  # it dialed us again and the old one is dead (a restart)
            if not old.inbound and address is not None:
                return "already connected", None  # the same node at another address
            # Both ends dialed at once: keep the connection dialed by the lower node id, as
            # the other end decides the same way.
            new_dialer = self.node_id if address is not None else node_id
            old_dialer = self.node_id if not old.inbound else node_id
            if new_dialer > old_dialer:
                return "already connected", None
            return None, None
        if reserved:  # proven: the per-IP limit is against crowds of made-up identities
            return None, None
        if not exempt:
            same_ip = sum(1 for peer in self.peers.values() if peer.remote == remote)
            if same_ip >= self.limits.max_peers_per_ip:
                return f"too many peers from {remote}", None
        ordinary = [peer for peer in self.peers.values() if not peer.reserved]
        if address is not None:
            outbound = sum(1 for peer in ordinary if not peer.inbound)
            return (
                ("too many peers", None) if outbound >= self.limits.max_outbound else (None, None)
            )
        inbound = [peer for peer in ordinary if peer.inbound]
        if len(inbound) < self.limits.max_inbound:
            return None, None
        idlest = min(inbound, key=lambda peer: peer.last_useful)
        if time.monotonic() - idlest.last_useful >= self.limits.idle_seconds:
            return None, idlest
        return "too many peers", None

    def ban(self, peer: Peer, reason: str) -> None:
        """Refuse `peer` for the ban period by what it cannot choose: its proven node id and
        its IP address (unless exempt, as loopback is by default)."""
        seconds = self.limits.ban_seconds
        self.bans.ban(peer.node_id.hex(), seconds)
        if not self.limits.is_exempt(peer.remote):
            self.bans.ban(peer.remote, seconds)
        elif peer.remote not in self._slowed:
            bucket = TokenBucket(
                self.limits.handshakes_after_ban, self.limits.handshake_burst_after_ban
            )
            self._slowed[peer.remote] = (time.monotonic() + seconds, bucket)
            while len(self._slowed) > MAX_BANS:
                self._slowed.popitem(last=False)
        log.warning("banned %r for %.0fs: %s", peer, seconds, reason)

    def _may_handshake(self, remote: str) -> bool:
        """False if `remote` had a peer banned lately and has used up its handshakes."""
        entry = self._slowed.get(remote)
        if entry is None:
            return True
        until, bucket = entry
        if until <= time.monotonic():
            del self._slowed[remote]
            return True
        return bucket.take()

    # --- dialing and peer exchange ----------------------------------------------------------

    def _remember(self, url: str) -> None:
        if url in self.candidates:
            self.candidates.move_to_end(url)
            return
        self.candidates[url] = None
        while len(self.candidates) > MAX_CANDIDATES:
            oldest = next(iter(self.candidates))
            if oldest in self.configured:
                self.candidates.move_to_end(oldest)
                continue
            del self.candidates[oldest]

    def _forget(self, url: str) -> None:
        if url not in self.configured:
            self.candidates.pop(url, None)

    def _dialable(self, now: float) -> list[str]:
        """Addresses worth dialing now: configured ones first."""
        connected = {peer.dial_address for peer in self.peers.values()}
        connected_ids = set(self.peers)
        out = []
        for url in self.candidates:
            if url in connected or url in self._dialing or url in self._own_urls:
                continue
            if url == self.address or self.configured.get(url) in connected_ids:
                continue
            if self._known_ids.get(url) in connected_ids:
                continue  # the node there is connected, maybe at another of its addresses
            ip = _ip_of(url)
            if ip is not None and not self.limits.is_exempt(ip) and self.bans.is_banned(ip):
                continue
            pinned = self.configured.get(url)
            if pinned is not None and self.bans.is_banned(pinned.hex()):
                continue
            retry = self._retry.get(url)
            if retry is not None and retry[0] > now:
                continue
            out.append(url)
        out.sort(key=lambda url: url not in self.configured)
        return out

    async def _dial_loop(self) -> None:
        await self.listening.wait()
        while True:
            outbound = sum(1 for p in self.peers.values() if not p.inbound and not p.reserved)
            room = self.limits.max_outbound - outbound - len(self._dialing)
            urls = self._dialable(time.monotonic())
            configured = [url for url in urls if url in self.configured]
            others = [url for url in urls if url not in self.configured]
            random.shuffle(others)
            chosen = configured + others[: max(0, room)]
            for url in chosen[: max(0, MAX_DIALS - len(self._dialing))]:
                self._dialing.add(url)
                self._spawn(self._dial_once(url))
            await asyncio.sleep(self.settings.dial_interval)

    async def _dial_once(self, url: str) -> None:
        try:
            if not await self.dial(url, self.configured.get(url)):
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
                # Learned addresses are dialed unpinned: the peer there proves whatever id it
                # has; only the operator's pins (bootnodes) refuse a node.
                address, _ = split_url(text)
                if address != self.address and address not in self._own_urls:
                    self._remember(address)

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
        peer.useful()
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
        """Transactions from `peer` for the pool. Each signature is checked once, here (the
        pool reuses the recovered sender); one that recovers no sender, or one the pool
        refuses for a reason honest gossip does not run into, costs the peer reputation, so
        a flood of garbage gets it dropped after a few dozen.

        Raises:
            Misbehaviour: too many transactions in one message, a malformed one, or the peer's
                reputation ran out.
        """
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
                if is_pooled_form(raw):  # a blob transaction with its blobs: the pool decodes
                    self.node.submit_transaction(raw)
                else:
                    tx = decode_transaction(raw)
                    try:
                        recover_sender(tx)  # cached on `tx`: the pool does not recover again
                    except InvalidTransaction as exc:
                        peer.penalize(PENALTY_BAD_SIGNATURE, f"bad transaction signature: {exc}")
                        continue
                    self.node.submit_transaction(tx)
            except DecodingError as exc:
                raise Misbehaviour(f"malformed transaction: {exc}") from None
            except InvalidTransaction as exc:
                if not str(exc).startswith(HARMLESS_REJECTIONS):
                    peer.penalize(PENALTY_REJECTED_TRANSACTION, f"transaction refused: {exc}")
                continue
            except InvalidBlock:
                continue  # automine could not seal it; the pool keeps or drops it
            peer.useful()
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
        for item in event.added:  # mined ones are no news when a late peer relays them
            for tx_hash in item.block.transaction_hashes:
                self.seen_transactions.add(tx_hash)
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


def _default_node_key(node: Node) -> NodeKey:
    """The node key in `<datadir>/nodekey` (made there on first start), or a fresh one for a
    node without a datadir.

    Raises:
        NodeKeyError: the file holds no valid key or cannot be written.
    """
    datadir = node.config.datadir
    if datadir is None:
        return NodeKey.generate()
    return load_or_create_node_key(datadir / NODE_KEY_FILE)


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
    log.info("p2p listening: self=%s", network.url)  # as geth logs its enode URL
    return P2PServer(runner, network)

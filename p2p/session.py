"""One peer over one WebSocket, in either direction: the Status handshake, the one read loop
(`async for msg in ws` inside try/finally), a writer task draining a bounded send queue, and
requests matched to responses by id with a timeout.

The handshake: both sides send their Status (protocol version, network id, chain id, genesis
hash, and the node's public key with a fresh nonce); a mismatch sends a Disconnect naming it
and closes. Then the dialer sends its Auth (a signature over both nonces, see p2p.identity)
and the listener checks it before sending its own, so neither signs for a peer that has not
shown who it is first; a signature that does not prove the claimed key ends the connection
and costs nobody's identity anything. A dialer that pinned the peer's id in its URL refuses
another id before it signs. After it, every message is decoded (strictly), counted
against the peer's rate limits and handed to the network's handler; responses go to the
request that awaits them, and a response nobody asked for is misbehaviour. A `Misbehaviour`
raised anywhere in the loop closes the session with its reason and marks the peer for a ban;
any other error is logged and closes the session: nothing a peer sends escapes this loop. The
session knows nothing of the chain: what to do with a message is the handler's business.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, TypeVar

from aiohttp import ClientWebSocketResponse, WebSocketError, WSCloseCode, WSMsgType, web

from p2p.gossip import MAX_KNOWN_BLOCKS, MAX_KNOWN_TRANSACTIONS, BoundedSet
from p2p.identity import (
    DIALER,
    LISTENER,
    NodeKey,
    node_proof,
    signer_proof,
    signer_proof_address,
    verify_node_proof,
)
from p2p.limits import Limits, Misbehaviour, Reputation, TokenBucket
from p2p.messages import (
    Auth,
    BlockBodies,
    BlockHeaders,
    Disconnect,
    GetBlockBodies,
    GetBlockHeaders,
    GetPeers,
    MalformedMessage,
    Message,
    Peers,
    Status,
    decode_message,
    encode_message,
)

WebSocket = web.WebSocketResponse | ClientWebSocketResponse

CLOSE_MISMATCH: Final = 4001  # the handshake found another network or chain
CLOSE_REFUSED: Final = 4002  # banned, full, a duplicate, or ourselves
CLOSE_MISBEHAVIOUR: Final = 4003
CLOSE_SLOW: Final = 4004  # a full send queue or a request that timed out
CLOSE_ERROR: Final = 4005  # a bug on our side while handling the peer's message
MAX_PENDING_REQUESTS: Final = 64

log = logging.getLogger(__name__)

R = TypeVar("R", BlockHeaders, BlockBodies, Peers)


class HandshakeError(Exception):
    """The handshake failed; the message says why. `misbehaved` when the peer sent garbage;
    `kind` for the cases the network acts on: "mismatch" (another chain), "self" (it is us),
    "pin" (not the id the URL pinned), "proof" (no proof of the claimed id)."""

    def __init__(self, reason: str, misbehaved: bool = False, kind: str = "") -> None:
        super().__init__(reason)
        self.misbehaved = misbehaved
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Handshake:
    """A finished handshake: the peer's Status, its proven node id, and the Clique signer
    address it proved (None if it proved none; whether that address is a signer is the
    network's question)."""

    status: Status
    node_id: bytes
    signer: bytes | None


class RequestFailed(Exception):
    """A request got no answer: it timed out or the peer went away."""


def pin(address: str, node_id: bytes) -> str:
    """`ws://host:port/p2p` with `node_id` pinned: `ws://<id hex>@host:port/p2p`."""
    scheme, rest = address.split("://", 1)
    return f"{scheme}://{node_id.hex()}@{rest}"


def mismatch(ours: Status, theirs: Status) -> str | None:
    """Why a peer with status `theirs` cannot join us, or None if it can."""
    if theirs.version != ours.version:
        return f"protocol version mismatch: ours {ours.version}, theirs {theirs.version}"
    if theirs.network_id != ours.network_id:
        return f"network id mismatch: ours {ours.network_id}, theirs {theirs.network_id}"
    if theirs.chain_id != ours.chain_id:
        return f"chain id mismatch: ours {ours.chain_id}, theirs {theirs.chain_id}"
    if theirs.genesis_hash != ours.genesis_hash:
        return (
            f"genesis mismatch: ours 0x{ours.genesis_hash.hex()}, "
            f"theirs 0x{theirs.genesis_hash.hex()}"
        )
    return None


async def close_with_reason(ws: WebSocket, code: int, reason: str) -> None:
    """Tell the peer why (a Disconnect message), then close."""
    if ws.closed:
        return
    with contextlib.suppress(Exception):
        await ws.send_bytes(encode_message(Disconnect(reason)))
    with contextlib.suppress(Exception):
        await ws.close(code=code, message=reason.encode()[:120])


async def exchange_status(ws: WebSocket, ours: Status, timeout: float) -> Status:
    """Send our Status and read theirs; check that they are on our chain.

    Raises:
        HandshakeError: no Status in time, something else instead, or a mismatch (the peer has
            been told and the socket closed).
    """
    try:
        await ws.send_bytes(encode_message(ours))
        msg = await ws.receive(timeout=timeout)
    except TimeoutError:
        await close_with_reason(ws, CLOSE_REFUSED, "handshake timed out")
        raise HandshakeError("handshake timed out") from None
    except (ConnectionError, RuntimeError) as exc:
        raise HandshakeError(f"connection lost during the handshake: {exc}") from None
    if msg.type is not WSMsgType.BINARY:
        if msg.type is WSMsgType.ERROR:
            await close_with_reason(ws, CLOSE_MISBEHAVIOUR, "bad frame in the handshake")
            raise HandshakeError("bad frame in the handshake", misbehaved=True)
        if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
            raise HandshakeError(f"closed by the peer during the handshake ({ws.close_code})")
        await close_with_reason(ws, CLOSE_MISBEHAVIOUR, "expected a Status message")
        raise HandshakeError("expected a binary Status message", misbehaved=True)
    try:
        theirs = decode_message(msg.data)
    except MalformedMessage as exc:
        await close_with_reason(ws, CLOSE_MISBEHAVIOUR, f"malformed status: {exc}")
        raise HandshakeError(f"malformed status: {exc}", misbehaved=True) from None
    if isinstance(theirs, Disconnect):
        with contextlib.suppress(Exception):
            await ws.close()
        raise HandshakeError(f"refused by the peer: {theirs.reason}")
    if not isinstance(theirs, Status):
        await close_with_reason(ws, CLOSE_MISBEHAVIOUR, "expected a Status message first")
        raise HandshakeError(f"expected Status first, got {type(theirs).__name__}", True)
    problem = mismatch(ours, theirs)
    if problem is not None:
        await close_with_reason(ws, CLOSE_MISMATCH, problem)
        raise HandshakeError(problem, kind="mismatch")
    return theirs


async def handshake(
    ws: WebSocket,
    ours: Status,
    key: NodeKey,
    *,
    dialer: bool,
    timeout: float,
    expected_id: bytes | None = None,
    signer_key: bytes | None = None,
) -> Handshake:
    """Exchange Status messages, then prove our node key and check the peer's proof (the
    dialer proves first). `ours` must carry `key`'s public key and a fresh nonce.

    Raises:
        HandshakeError: anything short of a proven peer on our chain (the peer has been told
            why and the socket closed).
    """
    try:
        async with asyncio.timeout(timeout):
            return await _handshake(ws, ours, key, dialer, timeout, expected_id, signer_key)
    except TimeoutError:
        await close_with_reason(ws, CLOSE_REFUSED, "handshake timed out")
        raise HandshakeError("handshake timed out") from None


async def _handshake(
    ws: WebSocket,
    ours: Status,
    key: NodeKey,
    dialer: bool,
    timeout: float,
    expected_id: bytes | None,
    signer_key: bytes | None,
) -> Handshake:
    theirs = await exchange_status(ws, ours, timeout)
    their_id = theirs.node_id
    if their_id == key.node_id:
        await close_with_reason(ws, CLOSE_REFUSED, "connected to ourselves")
        raise HandshakeError("connected to ourselves", kind="self")
    if expected_id is not None and their_id != expected_id:
        reason = f"wrong node id: expected {expected_id.hex()}, got {their_id.hex()}"
        await close_with_reason(ws, CLOSE_REFUSED, reason)
        raise HandshakeError(reason, kind="pin")
    nonces = (ours.nonce, theirs.nonce) if dialer else (theirs.nonce, ours.nonce)
    mine, their_role = (DIALER, LISTENER) if dialer else (LISTENER, DIALER)
    proof = Auth(
        node_proof(key, mine, their_id, *nonces),
        b""
        if signer_key is None
        else signer_proof(signer_key, mine, key.node_id, their_id, *nonces),
    )
    if dialer:
        await _send(ws, proof)
    auth = await _receive_auth(ws, timeout)
    if not verify_node_proof(theirs.public_key, their_role, key.node_id, *nonces, auth.signature):
        reason = "node id not proven: the Auth signature is not by the Status key"
        await close_with_reason(ws, CLOSE_REFUSED, reason)
        raise HandshakeError(reason, misbehaved=True, kind="proof")
    signer = None
    if auth.signer_signature:
        signer = signer_proof_address(
            their_role, their_id, key.node_id, *nonces, auth.signer_signature
        )
    if not dialer:
        await _send(ws, proof)
    return Handshake(theirs, their_id, signer)


async def _send(ws: WebSocket, message: Message) -> None:
    try:
        await ws.send_bytes(encode_message(message))
    except (ConnectionError, RuntimeError) as exc:
        raise HandshakeError(f"connection lost during the handshake: {exc}") from None


async def _receive_auth(ws: WebSocket, timeout: float) -> Auth:
    """The peer's Auth, or HandshakeError (after telling it why)."""
    try:
        msg = await ws.receive(timeout=timeout)
    except TimeoutError:
        await close_with_reason(ws, CLOSE_REFUSED, "handshake timed out")
        raise HandshakeError("handshake timed out") from None
    except (ConnectionError, RuntimeError) as exc:
        raise HandshakeError(f"connection lost during the handshake: {exc}") from None
    if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
        raise HandshakeError(f"closed by the peer during the handshake ({ws.close_code})")
    if msg.type is not WSMsgType.BINARY:
        await close_with_reason(ws, CLOSE_MISBEHAVIOUR, "expected an Auth message")
        raise HandshakeError("expected a binary Auth message", misbehaved=True)
    try:
        message = decode_message(msg.data)
    except MalformedMessage as exc:
        await close_with_reason(ws, CLOSE_MISBEHAVIOUR, f"malformed auth: {exc}")
        raise HandshakeError(f"malformed auth: {exc}", misbehaved=True) from None
    if isinstance(message, Disconnect):
        with contextlib.suppress(Exception):
            await ws.close()
        raise HandshakeError(f"refused by the peer: {message.reason}")
    if not isinstance(message, Auth):
        await close_with_reason(ws, CLOSE_MISBEHAVIOUR, "expected an Auth message")
        raise HandshakeError(f"expected Auth, got {type(message).__name__}", True)
    return message


Handler = Callable[["Peer", Message], Awaitable[None]]


class Peer:
    """A connected peer after its handshake.

    Args:
        ws: the WebSocket (server or client side).
        hello: the handshake's result (Status, proven node id, proven signer).
        remote: the peer's IP address (or host) as seen on the connection.
        address: the ws://host:port/p2p we dialed it at (None when it dialed us).
        limits: rate limits, timeouts and queue size.
        reserved: a configured peer or a Clique signer, outside the ordinary slots.
    """

    def __init__(
        self,
        ws: WebSocket,
        hello: Handshake,
        remote: str,
        address: str | None,
        limits: Limits,
        reserved: bool = False,
    ) -> None:
        status = hello.status
        self.ws = ws
        self.status = status
        self.node_id = hello.node_id
        self.signer = hello.signer
        self.remote = remote
        self.address = address
        self.inbound = address is None
        self.reserved = reserved
        self.limits = limits
        self.reputation = Reputation(limits.reputation, limits.reputation_recovery)
        self.last_useful = time.monotonic()  # when it last told us something new
        self.head_hash = status.head_hash
        self.head_number = status.head_number
        self.total_difficulty = status.total_difficulty
        self.known_blocks = BoundedSet(MAX_KNOWN_BLOCKS)
        self.known_transactions = BoundedSet(MAX_KNOWN_TRANSACTIONS)
        self.known_blocks.add(status.head_hash)
        self.misbehaviour: str | None = None  # why we dropped it, when it broke the protocol
        self.disconnect_reason: str | None = None  # why it or we closed the session
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(limits.send_queue)
        self._pending: dict[int, tuple[asyncio.Future[object], type]] = {}
        self._ids = itertools.count(random.getrandbits(32))
        self._messages = TokenBucket(limits.messages_per_second, limits.message_burst)
        self._requests = TokenBucket(limits.requests_per_second, limits.request_burst)
        self._closing: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"Peer({self.node_id.hex()[:8]} {self.dial_address or self.remote})"

    @property
    def dial_address(self) -> str | None:
        """Where this peer accepts connections (ws://host:port/p2p), if it does: where we
        dialed it, else its address and the port it says it listens on."""
        if self.address is not None:
            return self.address
        if self.status.listen_port:
            host = f"[{self.remote}]" if ":" in self.remote else self.remote
            return f"ws://{host}:{self.status.listen_port}/p2p"
        return None

    @property
    def url(self) -> str | None:
        """The URL we dialed, with the peer's proven id pinned (None when it dialed us)."""
        return None if self.address is None else pin(self.address, self.node_id)

    @property
    def dial_url(self) -> str | None:
        """`dial_address` with the proven id pinned: safe to pass on, since whoever dials it
        refuses any other node there."""
        address = self.dial_address
        return None if address is None else pin(address, self.node_id)

    def useful(self) -> None:
        """The peer told us something new (a block, a transaction, an answer)."""
        self.last_useful = time.monotonic()

    def penalize(self, points: float, reason: str) -> None:
        """Charge the peer `points`; past its reputation it is dropped and banned.

        Raises:
            Misbehaviour: the peer is past the threshold (the reason names the last offence).
        """
        if self.reputation.penalize(points):
            raise Misbehaviour(f"too many invalid messages (last: {reason})")

    @property
    def score(self) -> tuple[int, int]:
        """How far ahead the peer's chain is: total difficulty, then height (dev chains have
        no difficulty)."""
        return self.total_difficulty, self.head_number

    def update_head(self, block_hash: bytes, number: int, total_difficulty: int | None) -> None:
        """The peer told us of a block it has: move our idea of its head if it is further."""
        self.known_blocks.add(block_hash)
        if total_difficulty is not None and total_difficulty > self.total_difficulty:
            self.total_difficulty = total_difficulty
            self.head_hash, self.head_number = block_hash, number
        elif total_difficulty is None and number > self.head_number:
            self.head_hash, self.head_number = block_hash, number

    # --- sending --------------------------------------------------------------------------

    def send(self, message: Message) -> bool:
        """Queue `message`; False (and the peer dropped as too slow) if its queue is full."""
        if self.ws.closed or self._closing is not None:
            return False
        try:
            self._queue.put_nowait(encode_message(message))
        except asyncio.QueueFull:
            self.disconnect(CLOSE_SLOW, "send queue full: the peer reads too slowly")
            return False
        return True

    async def _write_loop(self) -> None:
        while True:
            data = await self._queue.get()
            try:
                await self.ws.send_bytes(data)
            except (ConnectionError, RuntimeError):
                return  # the read loop sees the close

    # --- requests -------------------------------------------------------------------------

    async def request_headers(
        self, origin: bytes | int, amount: int, skip: int = 0, reverse: bool = False
    ) -> BlockHeaders:
        return await self._request(
            lambda rid: GetBlockHeaders(rid, origin, amount, skip, reverse), BlockHeaders
        )

    async def request_bodies(self, hashes: tuple[bytes, ...]) -> BlockBodies:
        return await self._request(lambda rid: GetBlockBodies(rid, hashes), BlockBodies)

    async def request_peers(self) -> Peers:
        return await self._request(GetPeers, Peers)

    async def _request(
        self,
        make: Callable[[int], GetBlockHeaders | GetBlockBodies | GetPeers],
        expected: type[R],
    ) -> R:
        """Send the request `make(id)` and wait for its response.

        Raises:
            RequestFailed: no answer within the request timeout, or the peer went away.
        """
        if len(self._pending) >= MAX_PENDING_REQUESTS:
            raise RequestFailed("too many requests in flight")
        request_id = next(self._ids) % 2**64
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (future, expected)
        try:
            if not self.send(make(request_id)):
                raise RequestFailed("peer disconnected")
            response = await asyncio.wait_for(future, self.limits.request_timeout)
        except TimeoutError:
            raise RequestFailed(f"{expected.__name__} request timed out") from None
        finally:
            self._pending.pop(request_id, None)
        assert isinstance(response, expected)
        return response

    def _deliver(self, response: BlockHeaders | BlockBodies | Peers) -> None:
        entry = self._pending.get(response.request_id)
        if entry is None:
            raise Misbehaviour(f"unrequested {type(response).__name__} (id {response.request_id})")
        future, expected = entry
        if not isinstance(response, expected):
            raise Misbehaviour(
                f"answered a {expected.__name__} request with {type(response).__name__}"
            )
        if not future.done():
            future.set_result(response)
            self.useful()

    # --- the session ----------------------------------------------------------------------

    async def run(self, handle: Handler) -> None:
        """Read and handle messages until the connection closes; never raises for anything the
        peer does."""
        writer = asyncio.create_task(self._write_loop())
        try:
            async for msg in self.ws:
                if msg.type is WSMsgType.BINARY:
                    await self._receive(msg.data, handle)
                elif msg.type is WSMsgType.ERROR:
                    error = msg.data
                    if (
                        isinstance(error, WebSocketError)
                        and error.code == WSCloseCode.MESSAGE_TOO_BIG
                    ):
                        raise Misbehaviour(
                            f"message over the size limit of {self.limits.max_message_size}"
                        )
                    self.disconnect_reason = f"connection error: {error}"
                    break
                else:
                    raise Misbehaviour("text frames are not part of the protocol")
        except Misbehaviour as exc:
            self.misbehaviour = str(exc)
            self.disconnect_reason = str(exc)
            await close_with_reason(self.ws, CLOSE_MISBEHAVIOUR, str(exc))
        except Exception as exc:  # our bug, triggered by this peer: drop it, keep the node
            log.exception("%r: error handling a message", self)
            self.disconnect_reason = f"internal error: {exc}"
            await close_with_reason(self.ws, CLOSE_ERROR, "internal error")
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            for future, _ in self._pending.values():
                if not future.done():
                    future.set_exception(RequestFailed("peer disconnected"))
            self._pending.clear()
            if self._closing is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await self._closing
            if not self.ws.closed:
                with contextlib.suppress(Exception):
                    await self.ws.close()

    async def _receive(self, data: bytes, handle: Handler) -> None:
        if not self._messages.take():
            raise Misbehaviour("message rate limit exceeded")
        try:
            message = decode_message(data)
        except MalformedMessage as exc:
            raise Misbehaviour(f"malformed message: {exc}") from None
        match message:
            case BlockHeaders() | BlockBodies() | Peers():
                self._deliver(message)
            case GetBlockHeaders() | GetBlockBodies() | GetPeers():
                if not self._requests.take():
                    raise Misbehaviour("request rate limit exceeded")
                await handle(self, message)
            case Status():
                raise Misbehaviour("a second Status message")
            case Disconnect():
                self.disconnect_reason = f"peer disconnected: {message.reason}"
                await self.ws.close()
            case _:
                await handle(self, message)

    def disconnect(self, code: int, reason: str) -> None:
        """Close the session soon (from a callback that cannot wait)."""
        if self._closing is None and not self.ws.closed:
            self.disconnect_reason = reason
            self._closing = asyncio.ensure_future(close_with_reason(self.ws, code, reason))

    def punish(self, reason: str) -> None:
        """The peer misbehaved outside its read loop (a bad sync response): drop and ban it."""
        self.misbehaviour = reason
        self.disconnect(CLOSE_MISBEHAVIOUR, reason)

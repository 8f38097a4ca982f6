"""The JSON-RPC 2.0 server: one aiohttp application (`init`) answering POST / over HTTP and
upgrading GET / to a WebSocket, on the same port.

It frames requests and nothing else: single calls, batches (at most `max_batch`), notifications
(no id, no response), and the error objects of the spec for what is not a valid call (a body
that is not JSON, nested too deeply or with a non-finite id included). Request bodies and
WebSocket messages are bounded by `max_body_bytes`; what a WebSocket client has not read yet by
`send_budget` (`rpc/websocket.py`). Every request first passes the Host, Origin, Content-Type
and load checks of `rpc/access.py`. CORS headers are sent only to the origins configured.
Methods run on the event loop, one at a time per connection: the node is single-threaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import math
import re
from array import array
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, Final

from aiohttp import WSCloseCode, WSMsgType, web

from pyeth.node import Node
from pyeth.rpc import access, debug, dev, eth, net, personal, txpool, web3
from pyeth.rpc.api import Method, RpcContext
from pyeth.rpc.errors import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    PARSE_ERROR,
    InvalidParams,
    InvalidRequest,
    RpcError,
    method_not_found,
    to_rpc_error,
)
from pyeth.rpc.filters import Filters
from pyeth.rpc.websocket import (
    DEFAULT_SEND_BUDGET,
    DEFAULT_STALL_TIMEOUT,
    SHUTDOWN_GRACE,
    WebSocketConnection,
    dumps,
)

DEFAULT_MAX_BODY: Final = 5 * 1024 * 1024  # geth's limit for one HTTP request
DEFAULT_MAX_BATCH: Final = 1000  # geth's --rpc.batch-request-limit
DEFAULT_MAX_CONNECTIONS: Final = 256  # WebSocket connections and HTTP requests at once
MAX_JSON_DEPTH: Final = 1000  # arrays and objects nested in a request (Go's decoder: 10,000)

log = logging.getLogger(__name__)

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Limits, CORS and allowed hosts. `cors_origins` empty means no browser page from another
    origin may call; "*" allows any. `vhosts`: host names requests may be addressed to (lower
    case; "*" for any; IP addresses always)."""

    max_body_bytes: int = DEFAULT_MAX_BODY
    max_batch: int = DEFAULT_MAX_BATCH
    cors_origins: tuple[str, ...] = ()
    vhosts: tuple[str, ...] = access.DEFAULT_VHOSTS
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    send_budget: int = DEFAULT_SEND_BUDGET  # bytes a WebSocket client may leave unread
    stall_timeout: float = DEFAULT_STALL_TIMEOUT
    run_node: bool = True  # run the node's background work (interval sealing) with the app
    dev_methods: bool = True  # the evm_*/anvil_* namespace


NODE: Final = web.AppKey("node", Node)
FILTERS: Final = web.AppKey("filters", Filters)
SETTINGS: Final = web.AppKey("settings", ServerSettings)
METHODS: Final = web.AppKey("methods", dict[str, Method])
LOAD: Final = web.AppKey("load", access.Load)
CONNECTIONS: Final = web.AppKey("connections", set[WebSocketConnection])


def all_methods(dev_methods: bool = True) -> dict[str, Method]:
    """Every method the server answers, by name."""
    modules = [eth, net, web3, personal, txpool, debug]
    if dev_methods:
        modules.append(dev)
    methods: dict[str, Method] = {}
    for module in modules:
        methods.update(module.METHODS.methods)
    return methods


def init(node: Node, settings: ServerSettings | None = None) -> web.Application:
    """The RPC application for `node`."""
    settings = settings or ServerSettings()
    rules = access.AccessRules(
        vhosts=tuple(host.lower() for host in settings.vhosts),
        cors_origins=settings.cors_origins,
        max_connections=settings.max_connections,
    )
    load = access.Load()
    app = web.Application(
        client_max_size=settings.max_body_bytes, middlewares=[access.middleware(rules, load)]
    )
    app[LOAD] = load
    app[CONNECTIONS] = set()
    app.on_shutdown.append(_close_websockets)
    app[NODE] = node
    app[SETTINGS] = settings
    app[METHODS] = all_methods(settings.dev_methods)
    app.router.add_post("/", handle_http)
    app.router.add_get("/", handle_get)
    app.router.add_route("OPTIONS", "/", handle_preflight)
    if settings.cors_origins:  # else no response carries CORS headers: no hook per response
        app.on_response_prepare.append(_add_cors_headers)
    app.cleanup_ctx.append(_filters)
    if settings.run_node:
        app.cleanup_ctx.append(_node_background)
    return app


async def _filters(app: web.Application) -> AsyncIterator[None]:
    filters = Filters(app[NODE])
    app[FILTERS] = filters
    task = asyncio.create_task(_expire_filters(filters))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    filters.close()


async def _expire_filters(filters: Filters) -> None:
    while True:
        await asyncio.sleep(30)
        filters.expire()


async def _close_websockets(app: web.Application) -> None:
    """Close every WebSocket when the node stops, so shutdown does not wait on clients."""
    open_now = app[CONNECTIONS]
    connections = list(open_now)
    for connection in connections:
        connection.drop("the node is shutting down", WSCloseCode.GOING_AWAY, SHUTDOWN_GRACE)
    await asyncio.gather(*(connection.wait_dropped() for connection in connections))


async def _node_background(app: web.Application) -> AsyncIterator[None]:
    async with app[NODE].running():
        yield


# --- CORS ---------------------------------------------------------------------------------


def _allowed_origin(settings: ServerSettings, origin: str | None) -> str | None:
    """The Access-Control-Allow-Origin value for `origin` (the access middleware has refused
    the origins not listed before any handler runs)."""
    if origin is None or not settings.cors_origins:
        return None
    if "*" in settings.cors_origins:
        return "*"
    return origin if origin in settings.cors_origins else None


async def _add_cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    allowed = _allowed_origin(request.app[SETTINGS], request.headers.get("Origin"))
    if allowed is not None:
        response.headers["Access-Control-Allow-Origin"] = allowed
        response.headers["Vary"] = "Origin"


async def handle_preflight(request: web.Request) -> web.Response:
    allowed = _allowed_origin(request.app[SETTINGS], request.headers.get("Origin"))
    if allowed is None:
        return web.Response(status=403, text="CORS is not enabled for this origin\n")
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
        },
    )


# --- framing ------------------------------------------------------------------------------


def _error(request_id: Any, error: RpcError) -> Json:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.to_json()}


def _valid_id(value: Any) -> bool:
    """A string, a number or null; not a float that JSON cannot carry back (NaN, or 1e999
    read as infinity)."""
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or (isinstance(value, str | int) and not isinstance(value, bool))


async def handle_call(methods: Mapping[str, Method], ctx: RpcContext, call: Any) -> Json | None:
    """The response to one call object, or None for a notification. An error becomes its
    JSON object inside the `except` block, so no exception (whose traceback holds this frame)
    outlives it."""
    if not isinstance(call, dict):
        return _error(None, InvalidRequest("a request must be a JSON object"))
    is_notification = "id" not in call
    request_id = call.get("id")
    if not _valid_id(request_id):
        return _error(None, InvalidRequest("id must be a string, a finite number or null"))
    try:
        if call.get("jsonrpc") != "2.0":
            raise InvalidRequest('jsonrpc must be "2.0"')
        name = call.get("method")
        if not isinstance(name, str):
            raise InvalidRequest("method must be a string")
        params = call.get("params")
        if params is None:
            params = []
        elif not isinstance(params, list):
            raise InvalidParams("params must be an array (by-position)")
        method = methods.get(name)
        if method is None:
            raise method_not_found(name)
        args = method.bind(params)
        result = method.handler(ctx, *args)
        if inspect.isawaitable(result):
            result = await result
    except Exception as exc:
        error = to_rpc_error(exc)
        if is_notification and error.code != INVALID_REQUEST:
            return None
        response = _error(request_id, error)
        del error  # may be `exc` itself, with its traceback
        return response
    if is_notification:
        return None
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def _encode(response: Json) -> str:
    """One response as JSON text; a result JSON cannot carry (NaN) becomes an internal error
    rather than text that is not JSON."""
    try:
        return dumps(response)
    except (ValueError, TypeError):
        log.exception("a JSON-RPC response cannot be encoded as JSON")
        error = RpcError(INTERNAL_ERROR, "internal error: the result cannot be encoded as JSON")
        return dumps(_error(response.get("id"), error))


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 and -1 as signed bytes


def nested_too_deeply(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether `text` nests arrays and objects deeper than `limit`, checked before parsing:
    json.loads recurses in C once per level, and with the recursion limit the EVM needs, a
    deep enough body would exhaust the C stack rather than raise RecursionError. Costs two
    counts unless the text holds more than `limit` brackets."""
    if isinstance(text, str):
        if text.count("[") + text.count("{") <= limit:
            return False
        raw = text.encode("utf-8", "surrogatepass")
    else:
        if text.count(b"[") + text.count(b"{") <= limit:
            return False
        raw = text
    skeleton = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(array("b", skeleton.translate(_BRACKET_STEPS))), default=0) > limit


async def handle_payload(
    methods: Mapping[str, Method], ctx: RpcContext, settings: ServerSettings, text: str | bytes
) -> str | None:
    """The response text to a request body or message: a call or a batch, or None when it held
    only notifications."""
    if nested_too_deeply(text):
        message = f"parse error: JSON nested deeper than {MAX_JSON_DEPTH} levels"
        return dumps(_error(None, RpcError(PARSE_ERROR, message)))
    try:
        payload = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        return dumps(_error(None, RpcError(PARSE_ERROR, f"parse error: {exc}")))
    except RecursionError:
        return dumps(_error(None, RpcError(PARSE_ERROR, "parse error: JSON nested too deeply")))
    if isinstance(payload, list):
        if not payload:
            return dumps(_error(None, InvalidRequest("empty batch")))
        if len(payload) > settings.max_batch:
            return dumps(
                _error(None, InvalidRequest(f"batch too large: at most {settings.max_batch}"))
            )
        responses = []
        for call in payload:
            response = await handle_call(methods, ctx, call)
            if response is not None:
                responses.append(_encode(response))
        return "[" + ",".join(responses) + "]" if responses else None
    response = await handle_call(methods, ctx, payload)
    return None if response is None else _encode(response)


# --- HTTP ---------------------------------------------------------------------------------


async def handle_http(request: web.Request) -> web.Response:
    app = request.app
    settings = app[SETTINGS]
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        error = _error(None, InvalidRequest(f"request body above {settings.max_body_bytes} bytes"))
        return web.Response(status=413, text=dumps(error), content_type="application/json")
    ctx = RpcContext(app[NODE], app[FILTERS])
    methods = app[METHODS]
    text = await handle_payload(methods, ctx, settings, body)
    if text is None:
        return web.Response(status=200, text="", content_type="application/json")
    return web.Response(text=text, content_type="application/json")


async def handle_get(request: web.Request) -> web.StreamResponse:
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return await handle_websocket(request)
    return web.Response(
        status=405,
        text="pyeth JSON-RPC: POST JSON-RPC requests here, or open a WebSocket\n",
        headers={"Allow": "POST, GET, OPTIONS"},
    )


# --- WebSocket ----------------------------------------------------------------------------


async def handle_websocket(request: web.Request) -> web.WebSocketResponse:
    """One WebSocket client (its Host and Origin already checked by the access middleware):
    requests read one at a time, each once the client has read enough of what went before."""
    app = request.app
    settings = app[SETTINGS]
    ws = web.WebSocketResponse(max_msg_size=settings.max_body_bytes, heartbeat=30)
    await ws.prepare(request)
    connection = WebSocketConnection(
        ws, request.transport, settings.send_budget, settings.stall_timeout
    )
    ctx = RpcContext(app[NODE], app[FILTERS], connection)
    methods = app[METHODS]
    writer = asyncio.create_task(connection.write())
    app[CONNECTIONS].add(connection)
    try:
        async for message in ws:
            if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                text = await handle_payload(methods, ctx, settings, message.data)
                if text is not None:
                    connection.respond(text)
                if not await connection.wait_for_room():
                    break
            elif message.type == WSMsgType.ERROR:
                break
    finally:
        app[CONNECTIONS].discard(connection)
        await connection.finish(writer)
    return ws

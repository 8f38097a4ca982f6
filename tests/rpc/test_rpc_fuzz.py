"""The bounded adversarial suite of the RPC server (issue 22): random requests, batches, bodies
and headers, over HTTP and WebSocket, and connection floods. Whatever comes in, the server
answers with valid JSON-RPC (strict JSON: no NaN) or a clean HTTP error, keeps serving, and a
request it refuses changes nothing. Slow WebSocket consumers: test_rpc_websocket_limits.py.
Bounded: a few hundred examples and requests, a few seconds on a loaded 2-core machine."""

import asyncio
import ipaddress
import json
import math

import aiohttp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyeth.rpc import ServerSettings, init
from pyeth.rpc.server import FILTERS, LOAD
from tests.helpers.rpc import ACCOUNT0, ACCOUNT1, RpcClient

FUZZ = settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
ERROR_CODES = {-32700, -32600, -32601, -32602, -32603, -32000, -32005, 3}

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**300), max_value=2**300)
    | st.floats()  # NaN and infinities included: the client writes them as NaN, Infinity
    | st.text(max_size=20)
    | st.sampled_from(["0x", "0x0", "0x01", "latest", "pending", ACCOUNT0, "0x" + "ff" * 32])
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
METHOD_NAMES = st.sampled_from(
    [
        "eth_getBalance",
        "eth_call",
        "eth_getLogs",
        "eth_sendRawTransaction",
        "eth_getBlockByNumber",
        "eth_feeHistory",
        "eth_estimateGas",
        "eth_createAccessList",
        "eth_getProof",
        "eth_newFilter",
        "eth_getFilterChanges",
        "eth_sign",
        "eth_signTypedData_v4",
        "eth_sendTransaction",
        "eth_subscribe",
        "eth_unsubscribe",
        "evm_mine",
        "evm_revert",
        "debug_traceCall",
        "debug_traceTransaction",
        "anvil_setBalance",
        "anvil_setStorageAt",
        "anvil_setCode",
        "anvil_reset",
        "anvil_dropTransaction",
        "anvil_impersonateAccount",
    ]
) | st.text(max_size=12)
IDS = st.none() | st.integers() | st.text(max_size=10) | st.floats()
CALLS = (
    st.fixed_dictionaries(
        {"jsonrpc": st.just("2.0"), "method": METHOD_NAMES},
        optional={
            "id": IDS,
            "params": st.lists(JSON_VALUES, max_size=4) | JSON_VALUES,
        },
    )
    | JSON_VALUES
)  # not even a call object


def strict_json(text):
    def refuse(name):
        raise AssertionError(f"the server sent {name}, which is not JSON")

    return json.loads(text, parse_constant=refuse)


STATE_QUERY = [
    {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"},
    {"jsonrpc": "2.0", "id": 2, "method": "eth_getBalance", "params": [ACCOUNT1, "latest"]},
    {
        "jsonrpc": "2.0",
        "id": 3,
        "method": "eth_getTransactionCount",
        "params": [ACCOUNT0, "latest"],
    },
    {"jsonrpc": "2.0", "id": 4, "method": "eth_getBlockByNumber", "params": ["latest", False]},
]


async def state(rpc):
    """What a refused request must leave as it was (the head block's hash included)."""
    answers = await rpc.post(STATE_QUERY)
    return [answer["result"] for answer in answers]


def expected_id(call):
    """The id a response to `call` carries: its own if valid, else null."""
    value = call.get("id")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | None):
        return None
    return value


def check_response(call, response):
    """One response object against the call it answers."""
    assert set(response) in ({"jsonrpc", "id", "result"}, {"jsonrpc", "id", "error"}), response
    assert response["jsonrpc"] == "2.0"
    if "error" in response:
        error = response["error"]
        assert error["code"] in ERROR_CODES, response
        assert isinstance(error["message"], str) and error["message"]
    if isinstance(call, dict) and "id" in call:
        assert response["id"] == expected_id(call)


async def post_json(client, payload):
    """POST `payload` as JSON text, whatever it is (None too; NaN written as NaN)."""
    return await client.post(
        "/", data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )


def answered(call):
    """Whether a call gets a response: a notification (no id) does not, unless it is not a
    valid request at all."""
    if not isinstance(call, dict) or "id" in call:
        return True
    return call.get("jsonrpc") != "2.0" or not isinstance(call.get("method"), str)


def check_answer(payload, body):
    """The whole answer to a call or batch; True if every call was answered with an error
    (so nothing may have changed)."""
    if isinstance(payload, list) and payload:
        wanted = [call for call in payload if answered(call)]
        answers = body or []
        assert isinstance(answers, list) and len(answers) == len(wanted), (payload, body)
        for call, answer in zip(wanted, answers, strict=True):
            check_response(call, answer)
        return len(wanted) == len(payload) and all("error" in a for a in answers)
    if isinstance(payload, list) or answered(payload):
        assert isinstance(body, dict), (payload, body)
        check_response(payload, body)
        return "error" in body
    assert body is None, (payload, body)
    return False


@settings(FUZZ, max_examples=150)
@given(call=CALLS)
async def test_random_calls_get_json_rpc_answers_and_refusals_change_nothing(client, rpc, call):
    before = await state(rpc)
    response = await post_json(client, call)
    assert response.status == 200
    text = await response.text()
    if check_answer(call, strict_json(text) if text else None):
        assert await state(rpc) == before
    assert await rpc.call("eth_chainId") == "0x539"


@settings(FUZZ, max_examples=60)
@given(calls=st.lists(CALLS, min_size=1, max_size=6))
async def test_random_batches(client, rpc, calls):
    before = await state(rpc)
    response = await post_json(client, calls)
    assert response.status == 200
    text = await response.text()
    if check_answer(calls, strict_json(text) if text else None):
        assert await state(rpc) == before


@settings(FUZZ, max_examples=60)
@given(
    body=st.binary(max_size=200)
    | st.text(max_size=200).map(str.encode)
    | st.integers(1, 20_000).map(lambda depth: b"[" * depth + b"]" * depth)
    | st.integers(1, 20_000).map(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth)
    | st.sampled_from([b"NaN", b"-Infinity", b"1e999", b'{"id": 1e999}', b"[[]]", b"[1, 2]"])
)
async def test_random_bodies(client, rpc, body):
    before = await state(rpc)
    response = await client.post("/", data=body, headers={"Content-Type": "application/json"})
    assert response.status == 200
    text = await response.text()
    if text:
        answer = strict_json(text)
        for item in answer if isinstance(answer, list) else [answer]:
            check_response(None, item)
    assert await state(rpc) == before


HOST_NAMES = st.from_regex(r"[a-z0-9]([a-z0-9.-]{0,20}[a-z0-9])?", fullmatch=True)
HOSTS = (
    st.sampled_from(["localhost", "LocalHost", "127.0.0.1", "[::1]", "10.0.0.7", "localhost."])
    | HOST_NAMES
    | st.ip_addresses(v=4).map(str)
    | st.ip_addresses(v=6).map(lambda ip: f"[{ip}]")
)
PORTS = st.none() | st.integers(1, 65535)
CONTENT_TYPES = (
    st.none()
    | st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/jsonrequest",
            "text/plain",
            "text/plain; charset=utf-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=zz",
            "application/javascript",
            "text/json",
        ]
    )
    | st.from_regex(r"[a-z]{1,10}/[a-z+.-]{1,12}", fullmatch=True)
)
ORIGINS = st.none() | st.sampled_from(["null", "OWN"]) | HOST_NAMES.map(lambda h: f"http://{h}")


def host_served(host):
    """The oracle for the default --vhosts (localhost): an independent statement of the rule."""
    name = host[1 : host.index("]")] if host.startswith("[") else host
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return name.lower().rstrip(".") == "localhost"


@settings(FUZZ, max_examples=100)
@given(
    host=HOSTS,
    port=PORTS,
    content_type=CONTENT_TYPES,
    origin=ORIGINS,
    amount=st.integers(1, 2**64),
)
async def test_random_headers_on_a_state_changing_call(
    client, rpc, host, port, content_type, origin, amount
):
    own = f"http://{client.server.host}:{client.server.port}"
    headers = {"Host": host if port is None else f"{host}:{port}"}
    if origin is not None:
        headers["Origin"] = own if origin == "OWN" else origin
        if origin == "OWN":
            headers["Host"] = own.removeprefix("http://")
    if content_type is not None:
        headers["Content-Type"] = content_type
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "anvil_setBalance",
        "params": [ACCOUNT1, hex(amount)],
    }
    before = await state(rpc)
    response = await client.post("/", data=json.dumps(call).encode(), headers=headers)
    body = strict_json(await response.text())
    json_typed = content_type is not None and content_type.split(";")[0].strip() in (
        "application/json",
        "application/jsonrequest",
    )
    served = origin == "OWN" or (origin is None and host_served(host))
    if not served:
        assert response.status == 403, (headers, body)
    elif not json_typed:
        assert response.status == 415, (headers, body)
    else:
        assert response.status == 200 and body["result"] is None, (headers, body)
        assert await rpc.call("eth_getBalance", ACCOUNT1, "latest") == hex(amount)
        return
    assert body["error"]["code"] == -32600
    assert await state(rpc) == before


@settings(FUZZ, max_examples=40)
@given(messages=st.lists(CALLS, min_size=1, max_size=8))
async def test_random_websocket_messages_keep_the_connection(client, messages):
    async with client.ws_connect("/") as ws:
        for message in messages:
            await ws.send_str(json.dumps(message))
        await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": "end", "method": "eth_chainId"}))
        while True:
            frame = await asyncio.wait_for(ws.receive(), 10)
            assert frame.type == aiohttp.WSMsgType.TEXT, frame
            answer = strict_json(frame.data)
            if isinstance(answer, dict) and answer.get("id") == "end":
                assert answer["result"] == "0x539"
                break
            for item in answer if isinstance(answer, list) else [answer]:
                if item.get("method") != "eth_subscription":
                    check_response(None, item)


async def test_connection_flood_is_refused_cleanly_and_recovers(aiohttp_client, node):
    client = await aiohttp_client(init(node, ServerSettings(max_connections=40)))
    rpc = RpcClient(client)
    app = client.server.app

    async def connect():
        try:
            return await client.ws_connect("/")
        except aiohttp.WSServerHandshakeError as refused:
            assert refused.status == 503
            return None

    sockets = await asyncio.gather(*(connect() for _ in range(120)))
    accepted = [ws for ws in sockets if ws is not None]
    assert len(accepted) == 40
    call = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}
    statuses = await asyncio.gather(*(client.post("/", json=call) for _ in range(50)))
    assert {response.status for response in statuses} == {503}
    for ws in accepted[:20]:
        await ws.send_str(json.dumps({**call, "method": "eth_subscribe", "params": ["newHeads"]}))
    await asyncio.gather(*(ws.close() for ws in accepted))
    for _ in range(200):
        if app[LOAD].open == 0:
            break
        await asyncio.sleep(0.02)
    assert app[LOAD].open == 0 and app[FILTERS].subscription_count() == 0
    responses = await asyncio.gather(*(client.post("/", json=call) for _ in range(40)))
    assert {(await response.json())["result"] for response in responses} == {"0x539"}
    assert await rpc.call("eth_chainId") == "0x539"

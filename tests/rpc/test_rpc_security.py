"""Who may drive the node (issue 22, sections 2 and 5): cross-site requests (text/plain and form
bodies, foreign origins), DNS rebinding (the Host allow-list, geth's --http.vhosts), the same
rules on the WebSocket upgrade, the connection limit, the warning for a node listening beyond
loopback, and request bodies that are not JSON-RPC: nested 100,000 deep, or with ids JSON
cannot carry back. Each refused request changes nothing."""

import json

import aiohttp
import pytest

from pyeth.cli.node import exposure_warning
from pyeth.rpc import ServerSettings, init
from tests.helpers.rpc import ACCOUNT0, ACCOUNT1, RpcClient

SET_BALANCE = json.dumps(
    {"jsonrpc": "2.0", "id": 1, "method": "anvil_setBalance", "params": [ACCOUNT1, "0x1"]}
)
SEND = {"from": ACCOUNT0, "to": ACCOUNT1, "value": "0x1"}
JSON = "application/json"


def strict_json(text):
    """Parse as JSON proper: NaN and Infinity are not JSON."""

    def refuse(name):
        raise AssertionError(f"the server sent {name}, which is not JSON")

    return json.loads(text, parse_constant=refuse)


async def state(rpc):
    """What a refused request must leave as it was."""
    return (
        await rpc.call("eth_blockNumber"),
        await rpc.call("eth_getBalance", ACCOUNT1, "latest"),
        await rpc.call("eth_getTransactionCount", ACCOUNT0, "latest"),
    )


# --- content type: cross-site requests a page can send without a preflight -----------------


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        None,
    ],
)
async def test_a_body_that_is_not_json_typed_is_refused_and_changes_nothing(
    client, rpc, content_type
):
    before = await state(rpc)
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = await client.post("/", data=SET_BALANCE.encode(), headers=headers)
    assert response.status == 415
    body = strict_json(await response.text())
    assert body["error"]["code"] == -32600
    assert "application/json" in body["error"]["message"]
    assert await state(rpc) == before


async def test_an_html_form_cannot_send_a_transaction_from_a_dev_account(client, rpc):
    """A form field named `{"jsonrpc":...,"x":"` with value `"}` posts a JSON-looking body."""
    before = await state(rpc)
    call = {"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction", "params": [SEND]}
    body = json.dumps(call)[:-1] + ', "x": "=" }'
    response = await client.post(
        "/",
        data=body.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": "http://evil.example",
        },
    )
    assert response.status in (403, 415)
    assert await state(rpc) == before


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/json-rpc",
    ],
)
async def test_json_content_types_are_served(client, content_type):
    call = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"})
    response = await client.post("/", data=call.encode(), headers={"Content-Type": content_type})
    assert response.status == 200
    assert (await response.json())["result"] == "0x539"


# --- Origin ------------------------------------------------------------------------------


async def test_a_foreign_origin_is_refused_not_just_left_without_cors_headers(client, rpc):
    before = await state(rpc)
    response = await client.post(
        "/",
        data=SET_BALANCE.encode(),
        headers={"Content-Type": "text/plain", "Origin": "http://evil.example"},
    )
    assert response.status in (403, 415)
    response = await client.post(
        "/",
        data=SET_BALANCE.encode(),
        headers={"Content-Type": JSON, "Origin": "http://evil.example"},
    )
    assert response.status == 403
    message = strict_json(await response.text())["error"]["message"]
    assert "evil.example" in message and "--cors" in message
    assert await state(rpc) == before


async def test_origins_listed_with_cors_and_the_nodes_own_origin_are_served(aiohttp_client, node):
    client = await aiohttp_client(
        init(node, ServerSettings(cors_origins=("http://localhost:3000",)))
    )
    call = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}
    listed = await client.post("/", json=call, headers={"Origin": "http://localhost:3000"})
    assert listed.status == 200
    assert listed.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    own = f"http://{client.server.host}:{client.server.port}"
    same = await client.post("/", json=call, headers={"Origin": own})
    assert same.status == 200  # a page the node serves itself (an explorer)
    other = await client.post("/", json=call, headers={"Origin": "http://elsewhere"})
    assert other.status == 403
    opaque = await client.post("/", json=call, headers={"Origin": "null"})  # file://, sandbox
    assert opaque.status == 403


async def test_cors_any_origin(aiohttp_client, node):
    client = await aiohttp_client(init(node, ServerSettings(cors_origins=("*",))))
    call = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}
    response = await client.post("/", json=call, headers={"Origin": "http://anywhere.example"})
    assert response.status == 200 and response.headers["Access-Control-Allow-Origin"] == "*"


# --- Host (DNS rebinding) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("evil.example", 403),
        ("evil.example:8545", 403),
        ("localhost.evil.example", 403),
        ("localhost", 200),
        ("LOCALHOST:8545", 200),
        ("127.0.0.1:8545", 200),
        ("10.1.2.3", 200),  # an IP address is always served, as geth does
        ("[::1]:8545", 200),
        ("[::1]", 200),
    ],
)
async def test_host_allow_list_by_default(client, rpc, host, status):
    before = await state(rpc)
    response = await client.post(
        "/", data=SET_BALANCE.encode(), headers={"Content-Type": JSON, "Host": host}
    )
    assert response.status == status
    body = strict_json(await response.text())
    if status == 403:
        assert "--vhosts" in body["error"]["message"]
        assert await state(rpc) == before
    else:
        assert "error" not in body and "result" in body


async def test_vhosts_option(aiohttp_client, node):
    call = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}
    named = await aiohttp_client(init(node, ServerSettings(vhosts=("node.example",))))
    assert (await named.post("/", json=call, headers={"Host": "Node.Example:80"})).status == 200
    assert (await named.post("/", json=call, headers={"Host": "localhost"})).status == 403
    assert (await named.post("/", json=call, headers={"Host": "127.0.0.1"})).status == 200
    anything = await aiohttp_client(init(node, ServerSettings(vhosts=("*",))))
    assert (await anything.post("/", json=call, headers={"Host": "evil.example"})).status == 200


# --- the WebSocket upgrade follows the same rules -----------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{"Host": "evil.example:8545"}, {"Origin": "http://evil.example"}, {"Origin": "null"}],
)
async def test_websocket_upgrade_checks_host_and_origin(client, headers):
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/", headers=headers)
    assert refused.value.status == 403


async def test_websocket_from_the_nodes_own_origin_is_served(client):
    own = f"http://{client.server.host}:{client.server.port}"
    async with client.ws_connect("/", headers={"Origin": own}) as ws:
        await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}))
        assert json.loads((await ws.receive()).data)["result"] == "0x539"


# --- connection limit ---------------------------------------------------------------------


async def test_connection_limit_refuses_clearly_and_recovers(aiohttp_client, node):
    client = await aiohttp_client(init(node, ServerSettings(max_connections=3)))
    rpc = RpcClient(client)
    sockets = [await client.ws_connect("/") for _ in range(3)]
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/")
    assert refused.value.status == 503
    response = await client.post("/", json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"})
    assert response.status == 503
    message = strict_json(await response.text())["error"]["message"]
    assert "--max-connections" in message and "3" in message
    await sockets.pop().close()
    assert await rpc.call("eth_chainId") == "0x539"
    async with client.ws_connect("/") as ws:
        await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}))
        assert json.loads((await ws.receive()).data)["result"] == "0x539"
    for ws in sockets:
        await ws.close()


# --- bodies that are not JSON-RPC (section 5) ---------------------------------------------


async def test_json_nested_100000_deep_is_a_parse_error(client, rpc):
    deep = "[" * 100_000 + "]" * 100_000
    response = await client.post("/", data=deep.encode(), headers={"Content-Type": JSON})
    assert response.status == 200
    assert strict_json(await response.text())["error"]["code"] == -32700
    nested_params = (
        '{"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": '
        + "{" * 50_000
        + "}" * 50_000
        + "}"
    )
    response = await client.post("/", data=nested_params.encode(), headers={"Content-Type": JSON})
    assert strict_json(await response.text())["error"]["code"] == -32700
    async with client.ws_connect("/") as ws:
        await ws.send_str(deep)
        assert strict_json((await ws.receive()).data)["error"]["code"] == -32700
        await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "eth_chainId"}))
        assert json.loads((await ws.receive()).data)["result"] == "0x539"
    assert await rpc.call("eth_chainId") == "0x539"


async def test_the_depth_limit_counts_nesting_not_brackets_in_strings(rpc):
    nested = {"jsonrpc": "2.0", "id": 1, "method": "web3_sha3", "params": [None]}
    inner = "0x00"
    for _ in range(997):  # with the batch, the call object and params: 1000 levels
        inner = [inner]
    nested["params"] = [inner]
    error = (await rpc.post([nested]))[0]["error"]
    assert error["code"] == -32602  # parsed: a wrong parameter, not a parse error
    nested["params"] = [[inner]]
    assert (await rpc.post([nested]))["error"]["code"] == -32700
    text = "[" * 5000 + "{" * 5000
    assert await rpc.call("web3_sha3", "0x" + text.encode().hex()) is not None
    body = await rpc.post({"jsonrpc": "2.0", "id": 2, "method": text, "params": [text]})
    assert body["error"]["code"] == -32601


@pytest.mark.parametrize("raw_id", ["1e999", "-1e999", "NaN", "Infinity", "-Infinity"])
async def test_ids_json_cannot_carry_are_invalid_requests(client, raw_id):
    single = '{"jsonrpc": "2.0", "id": ' + raw_id + ', "method": "eth_chainId"}'
    response = await client.post("/", data=single.encode(), headers={"Content-Type": JSON})
    body = strict_json(await response.text())
    assert body["error"]["code"] == -32600 and body["id"] is None
    batch = "[" + single + ', {"jsonrpc": "2.0", "id": 7, "method": "eth_chainId"}]'
    response = await client.post("/", data=batch.encode(), headers={"Content-Type": JSON})
    first, second = strict_json(await response.text())
    assert first["error"]["code"] == -32600 and second["result"] == "0x539"
    async with client.ws_connect("/") as ws:
        await ws.send_str(single)
        assert strict_json((await ws.receive()).data)["error"]["code"] == -32600


async def test_finite_float_ids_are_echoed(rpc):
    body = await rpc.post({"jsonrpc": "2.0", "id": 1.5, "method": "eth_chainId"})
    assert body["id"] == 1.5 and body["result"] == "0x539"


# --- the warning for a node reachable from elsewhere --------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_no_warning_on_loopback(node, host):
    assert exposure_warning(host, node, ServerSettings()) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "node.example"])
def test_warning_when_listening_beyond_loopback(node, host):
    warning = exposure_warning(host, node, ServerSettings())
    assert warning is not None
    assert host in warning
    assert "send transactions" in warning and "anvil_setBalance" in warning
    assert "anvil_reset" in warning


def test_warning_names_only_what_is_exposed(node):
    no_dev = exposure_warning("0.0.0.0", node, ServerSettings(dev_methods=False))
    assert no_dev is not None and "send transactions" in no_dev and "anvil_reset" not in no_dev

"""JSON-RPC framing over HTTP: parse errors, invalid requests, unknown methods, batches and
notifications, body and batch limits, CORS, and malformed params that change nothing. Random
requests, batches, bodies and headers: test_rpc_fuzz.py; access rules: test_rpc_security.py."""

import json

import pytest

from pyeth.rpc import ServerSettings, init
from tests.helpers.rpc import ACCOUNT0, ACCOUNT1, RpcClient

JSON = {"Content-Type": "application/json"}


async def test_web3_net_and_chain_basics(rpc):
    assert await rpc.call("eth_chainId") == "0x539"
    assert await rpc.call("net_version") == "1337"
    assert await rpc.call("net_listening") is True
    assert await rpc.call("net_peerCount") == "0x0"
    assert (await rpc.call("web3_clientVersion")).startswith("pyeth/v")
    assert (
        await rpc.call("web3_sha3", "0x68656c6c6f20776f726c64")
        == "0x47173285a8d7341e5e972fc677286384f802f8ef42a5ec5f03bbfa254cb01fad"
    )
    assert await rpc.call("eth_syncing") is False
    assert await rpc.call("eth_blockNumber") == "0x0"
    accounts = await rpc.call("eth_accounts")
    assert len(accounts) == 10 and accounts[0] == ACCOUNT0


async def test_parse_error(client):
    response = await client.post("/", data=b'{"jsonrpc": "2.0", "method": ', headers=JSON)
    body = await response.json()
    assert response.status == 200
    assert body["error"]["code"] == -32700 and body["id"] is None


@pytest.mark.parametrize(
    "payload",
    [
        5,
        "eth_chainId",
        {"id": 1, "method": "eth_chainId"},  # no jsonrpc
        {"jsonrpc": "1.0", "id": 1, "method": "eth_chainId"},
        {"jsonrpc": "2.0", "id": 1, "method": 7},
        {"jsonrpc": "2.0", "id": [1], "method": "eth_chainId"},
        [],
    ],
)
async def test_invalid_requests(rpc, payload):
    body = await rpc.post(payload)
    assert body["error"]["code"] == -32600


async def test_unknown_method(rpc):
    error = await rpc.error("eth_noSuchMethod")
    assert error["code"] == -32601 and "eth_noSuchMethod" in error["message"]


async def test_params_must_be_an_array(rpc):
    body = await rpc.post({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": {}})
    assert body["error"]["code"] == -32602


async def test_batch_with_notifications_and_errors(rpc):
    body = await rpc.post(
        [
            {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
            {"jsonrpc": "2.0", "method": "eth_chainId"},  # notification: no response
            {"jsonrpc": "2.0", "id": "two", "method": "nope"},
            {"jsonrpc": "2.0", "id": 3, "method": "eth_getBalance", "params": ["0x12"]},
        ]
    )
    assert [item["id"] for item in body] == [1, "two", 3]
    assert body[0]["result"] == "0x539"
    assert body[1]["error"]["code"] == -32601
    assert body[2]["error"]["code"] == -32602


async def test_only_notifications_get_an_empty_response(client):
    response = await client.post("/", json={"jsonrpc": "2.0", "method": "eth_chainId"})
    assert response.status == 200 and await response.text() == ""
    response = await client.post("/", json=[{"jsonrpc": "2.0", "method": "eth_chainId"}])
    assert await response.text() == ""


async def test_batch_and_body_limits(aiohttp_client, node):
    client = await aiohttp_client(init(node, ServerSettings(max_body_bytes=4096, max_batch=3)))
    rpc = RpcClient(client)
    call = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}
    assert len(await rpc.post([call] * 3)) == 3
    body = await rpc.post([call] * 4)
    assert body["error"]["code"] == -32600 and "batch" in body["error"]["message"]
    response = await client.post("/", data=b"[" + b" " * 5000 + b"]", headers=JSON)
    assert response.status == 413
    assert (await response.json())["error"]["code"] == -32600
    # The server keeps serving.
    assert await rpc.call("eth_chainId") == "0x539"


async def test_cors_is_off_by_default(client):
    response = await client.post(
        "/",
        json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
        headers={"Origin": "http://evil.example"},
    )
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = await client.options("/", headers={"Origin": "http://evil.example"})
    assert preflight.status == 403


async def test_cors_when_configured(aiohttp_client, node):
    settings = ServerSettings(cors_origins=("http://localhost:3000",))
    client = await aiohttp_client(init(node, settings))
    call = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}
    ok = await client.post("/", json=call, headers={"Origin": "http://localhost:3000"})
    assert ok.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    other = await client.post("/", json=call, headers={"Origin": "http://elsewhere"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = await client.options("/", headers={"Origin": "http://localhost:3000"})
    assert preflight.status == 204
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]


async def test_get_without_upgrade_says_what_to_do(client):
    response = await client.get("/")
    assert response.status == 405


BAD_PARAMS = [
    ("eth_getBalance", [ACCOUNT0, "0x01"]),  # leading zero in a quantity
    ("eth_getBalance", [ACCOUNT0, "newest"]),  # unknown tag
    ("eth_getBalance", ["0xf39fd6e51aad88f6f4ce6ab8827279cfffb9226", "latest"]),  # odd length
    ("eth_getBalance", ["0xF39fd6e51aad88f6f4ce6ab8827279cfffb92266", "latest"]),  # checksum
    ("eth_getBalance", [ACCOUNT0, "latest", "extra"]),
    ("eth_getBalance", []),
    ("eth_getBlockByNumber", ["0x", False]),
    ("eth_getBlockByNumber", [1, False]),
    ("eth_getBlockByNumber", ["latest", "yes"]),
    ("eth_getBlockByHash", ["0x1234", False]),
    ("eth_sendRawTransaction", ["0xabc"]),
    ("eth_sendTransaction", [{"from": ACCOUNT0, "to": ACCOUNT1, "value": "0x01"}]),
    ("eth_sendTransaction", [{"from": ACCOUNT0, "to": ACCOUNT1, "value": -1}]),
    ("eth_sendTransaction", [{"from": ACCOUNT0, "gasPrice": "0x1", "maxFeePerGas": "0x1"}]),
    ("eth_call", [{"to": ACCOUNT1, "input": "0x00", "data": "0x01"}]),
    ("eth_getLogs", [{"topics": ["0x12"]}]),
    ("eth_getLogs", [{"fromBlock": "0x1", "blockHash": "0x" + "00" * 32}]),
    ("eth_feeHistory", ["0x1", "latest", [50, 10]]),
]


@pytest.mark.parametrize(("method", "params"), BAD_PARAMS)
async def test_malformed_params_are_invalid_params_and_change_nothing(rpc, method, params):
    before = await rpc.call("eth_getTransactionCount", ACCOUNT0, "latest")
    head = await rpc.call("eth_blockNumber")
    error = await rpc.error(method, *params)
    assert error["code"] == -32602, error
    assert await rpc.call("eth_getTransactionCount", ACCOUNT0, "latest") == before
    assert await rpc.call("eth_blockNumber") == head


async def test_random_bytes_are_parse_errors(client):
    for raw in (b"\xff\xfe", b"{{", b"nul", json.dumps({"a": 1}).encode()[:-1]):
        response = await client.post("/", data=raw, headers=JSON)
        assert (await response.json())["error"]["code"] == -32700

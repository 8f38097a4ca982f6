"""WebSocket memory (issue 22, section 4): what waits for a client is bounded in bytes (the
server's queue and aiohttp's transport buffer), a client too far behind is dropped with a
close reason, bursts of heads are coalesced so a client that reads is never dropped, and a
connection's objects are freed when its client leaves even with the garbage collector off (as
`pyeth node` runs it mostly)."""

import asyncio
import contextlib
import gc
import json

import pytest
from aiohttp import WSMsgType

from pyeth.rpc import ServerSettings, init
from pyeth.rpc.server import FILTERS, LOAD
from pyeth.rpc.websocket import WebSocketConnection
from tests.helpers.bytecode import Op
from tests.helpers.rpc import ACCOUNT0, RpcClient
from tests.rpc.ws_raw import RawWebSocket

LOGGER = "0x" + "c0de" * 10
BIG = "0x" + "b16c" * 10
BUDGET = 64 * 1024


def log_spam(count: int, size: int) -> str:
    """Runtime code that emits `count` LOG0s of `size` bytes each."""
    return "0x" + bytes(Op.LOG0(0, size) * count + Op.STOP).hex()


def live_connections() -> list[WebSocketConnection]:
    # type(), not isinstance(): a dead weak proxy in the list raises on any other look.
    return [o for o in gc.get_objects() if type(o) is WebSocketConnection]


async def until(condition, seconds=20.0):
    """Wait for `condition()` (the server works in its own time), failing after `seconds`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


@pytest.fixture
async def small(aiohttp_client, node):
    """A server whose clients may leave only 64 KiB unread."""
    client = await aiohttp_client(init(node, ServerSettings(send_budget=BUDGET, stall_timeout=2)))
    rpc = RpcClient(client)
    await rpc.call("anvil_setCode", LOGGER, log_spam(100, 1024))
    return client, rpc


async def test_a_burst_over_the_budget_drops_the_client_with_a_reason(small):
    client, rpc = small
    app = client.server.app
    async with client.ws_connect("/") as ws:
        await ws.send_str(
            json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["logs"]})
        )
        assert "result" in json.loads((await ws.receive()).data)
        # One block of 100 logs of 1 KiB: ~250 KB of notifications at once.
        await rpc.call("eth_sendTransaction", {"from": ACCOUNT0, "to": LOGGER, "gas": "0x200000"})
        message = await asyncio.wait_for(ws.receive(), 10)
        assert message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)
        assert ws.close_code == 1008
        assert "too slow" in (message.extra or "")
    await until(lambda: app[LOAD].open == 0)
    assert app[FILTERS].subscription_count() == 0
    assert await rpc.call("eth_chainId") == "0x539"  # the node serves on


async def test_a_client_that_stops_reading_is_dropped_once_over_the_budget(small):
    client, rpc = small
    app = client.server.app
    await rpc.call("anvil_setCode", LOGGER, log_spam(8, 1024))  # ~20 KB of logs a block
    stopped = await RawWebSocket.connect(client.server.host, client.server.port)
    await stopped.call(1, "eth_subscribe", "logs")
    connection = live_connections()[0]
    for _ in range(400):
        await rpc.call("eth_sendTransaction", {"from": ACCOUNT0, "to": LOGGER, "gas": "0x100000"})
        # Never more than the budget and one message wait for it, counting the transport's.
        assert connection.backlog() <= BUDGET + 25_000
        if app[LOAD].open == 0:
            break
    await until(lambda: app[LOAD].open == 0)
    assert connection.close_reason is not None and "too slow" in connection.close_reason
    await stopped.close()


async def test_a_client_that_sends_requests_but_never_reads_is_dropped(small):
    client, rpc = small
    app = client.server.app
    await rpc.call("anvil_setCode", BIG, "0x" + "5b" * 20_000)
    stopped = await RawWebSocket.connect(client.server.host, client.server.port)
    await stopped.call(1, "eth_chainId")
    (connection,) = live_connections()
    big = {"jsonrpc": "2.0", "id": 2, "method": "eth_getCode", "params": [BIG, "latest"]}
    with contextlib.suppress(ConnectionError, TimeoutError):
        for _ in range(200):  # 40 KB a response: the server stops reading, then drops it
            await asyncio.wait_for(stopped.send(big), 5)
    await until(lambda: app[LOAD].open == 0)
    assert connection.close_reason is not None and "unread" in connection.close_reason
    assert await rpc.call("eth_chainId") == "0x539"
    stopped.abort()


async def test_anvil_mine_10000_reaches_a_reading_client_with_two_subscriptions(client, rpc):
    """The reading client is never dropped: it gets every head, or the first heads and then
    the newest (documented coalescing), in order, on both subscriptions."""
    async with client.ws_connect("/") as ws:
        subscriptions = []
        for request_id in (1, 2):
            await ws.send_str(
                json.dumps(
                    {
                        "jsonrpc": "2.0",
                        "id": request_id,
                        "method": "eth_subscribe",
                        "params": ["newHeads"],
                    }
                )
            )
            subscriptions.append(json.loads((await ws.receive()).data)["result"])
        await ws.send_str(
            json.dumps({"jsonrpc": "2.0", "id": 3, "method": "anvil_mine", "params": ["0x2710"]})
        )
        heads: dict[str, list[int]] = {subscription: [] for subscription in subscriptions}
        answered = False
        while not answered or any(not h or h[-1] < 10_000 for h in heads.values()):
            message = await asyncio.wait_for(ws.receive(), 30)
            assert message.type == WSMsgType.TEXT, (message, ws.close_code)
            body = json.loads(message.data)
            if body.get("id") == 3:
                assert "error" not in body
                answered = True
                continue
            params = body["params"]
            heads[params["subscription"]].append(int(params["result"]["number"], 16))
        for numbers in heads.values():
            assert numbers[0] == 1 and numbers[-1] == 10_000
            assert numbers == sorted(set(numbers))  # in order, none twice
        await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": 4, "method": "eth_blockNumber"}))
        reply = json.loads((await asyncio.wait_for(ws.receive(), 10)).data)
        assert reply["result"] == hex(10_000)


async def test_a_stopped_head_subscriber_holds_bounded_memory(small):
    """Heads coalesce: a client that never reads holds half the budget and one head per
    subscription, however many blocks come."""
    client, rpc = small
    stopped = await RawWebSocket.connect(client.server.host, client.server.port)
    await stopped.call(1, "eth_subscribe", "newHeads")
    connection = live_connections()[0]
    for _ in range(10):
        await rpc.call("anvil_mine", "0xc8")
        await asyncio.sleep(0)
        assert connection.backlog() <= BUDGET // 2 + 2 * 1500
    assert connection.close_reason is None
    stopped.abort()


async def test_connections_are_freed_when_clients_leave_with_gc_off(small):
    """Clients that stopped reading with heads backed up and then left (with or without a
    close frame), clients dropped as too slow, a client that read and closed: none leaves a
    connection object behind, with the cyclic collector off."""
    client, rpc = small
    app = client.server.app
    gc.collect()
    assert live_connections() == []
    gc.disable()
    try:
        for _ in range(2):
            stopped = []
            for index in range(8):
                raw = await RawWebSocket.connect(client.server.host, client.server.port)
                await raw.call(1, "eth_subscribe", "logs" if index % 4 == 3 else "newHeads")
                stopped.append(raw)
            async with client.ws_connect("/") as reading:
                await reading.send_str(
                    json.dumps(
                        {"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["logs"]}
                    )
                )
                await reading.receive()
                # Heads back up for the stopped clients; the logs burst is over the budget
                # of everyone subscribed to logs: those are dropped.
                await rpc.call("anvil_mine", "0x1f4")
                await rpc.call(
                    "eth_sendTransaction", {"from": ACCOUNT0, "to": LOGGER, "gas": "0x200000"}
                )
                await rpc.call("anvil_mine", "0x1f4")
            await until(lambda: len(live_connections()) == 6)  # the stopped head subscribers
            for index, raw in enumerate(stopped):
                if index % 2:
                    raw.abort()  # gone without a close frame
                else:
                    with contextlib.suppress(ConnectionError):
                        await raw.close()
            await until(lambda: app[LOAD].open == 0)
            await asyncio.sleep(0.1)
            assert live_connections() == []
            assert app[FILTERS].subscription_count() == 0
    finally:
        gc.enable()
    assert await rpc.call("eth_chainId") == "0x539"

"""Logs three ways: eth_getLogs, polling filters (eth_newFilter and friends), and WebSocket
subscriptions (newHeads, logs, newPendingTransactions); and the removed flag of a reorg."""

import asyncio
import json

from tests.helpers.rpc import (
    ACCOUNT0,
    ACCOUNT1,
    ACCOUNT2,
    TRANSFER_TOPIC,
    calldata,
    topic_address,
)


async def _transfer(rpc, token, to, amount, sender=ACCOUNT0):
    return await rpc.send(
        {"from": sender, "to": token, "data": calldata("transfer(address,uint256)", to, amount)}
    )


async def test_get_logs_by_address_topics_and_range(rpc):
    token = await rpc.deploy_token()
    first = await _transfer(rpc, token, ACCOUNT1, 1)
    await _transfer(rpc, token, ACCOUNT2, 2)
    everything = await rpc.call("eth_getLogs", {"fromBlock": "earliest", "address": token})
    assert len(everything) == 3  # the mint and two transfers
    assert [int(log["data"], 16) for log in everything[1:]] == [1, 2]
    to_account1 = await rpc.call(
        "eth_getLogs",
        {"fromBlock": "0x0", "topics": [TRANSFER_TOPIC, None, topic_address(ACCOUNT1)]},
    )
    assert len(to_account1) == 1
    log = to_account1[0]
    assert log["blockHash"] == first["blockHash"] and log["removed"] is False
    assert log["logIndex"] == "0x0" and log["transactionIndex"] == "0x0"
    either = await rpc.call(
        "eth_getLogs",
        {
            "fromBlock": "0x0",
            "topics": [None, None, [topic_address(ACCOUNT1), topic_address(ACCOUNT2)]],
        },
    )
    assert len(either) == 2
    by_hash = await rpc.call("eth_getLogs", {"blockHash": first["blockHash"]})
    assert by_hash == to_account1
    nothing = await rpc.call("eth_getLogs", {"fromBlock": "0x0", "address": ACCOUNT2})
    assert nothing == []
    only_latest = await rpc.call("eth_getLogs", {"address": token})
    assert len(only_latest) == 1 and int(only_latest[0]["data"], 16) == 2


async def test_log_filter_reports_changes_once(rpc):
    token = await rpc.deploy_token()
    filter_id = await rpc.call("eth_newFilter", {"address": token, "topics": [TRANSFER_TOPIC]})
    block_filter = await rpc.call("eth_newBlockFilter")
    assert await rpc.call("eth_getFilterChanges", filter_id) == []
    receipt = await _transfer(rpc, token, ACCOUNT1, 3)
    changes = await rpc.call("eth_getFilterChanges", filter_id)
    assert len(changes) == 1 and changes[0]["transactionHash"] == receipt["transactionHash"]
    assert await rpc.call("eth_getFilterChanges", filter_id) == []
    assert await rpc.call("eth_getFilterChanges", block_filter) == [receipt["blockHash"]]
    all_logs = await rpc.call("eth_getFilterLogs", filter_id)
    assert len(all_logs) == 1  # the filter's fromBlock is latest
    assert await rpc.call("eth_uninstallFilter", filter_id) is True
    assert await rpc.call("eth_uninstallFilter", filter_id) is False
    error = await rpc.error("eth_getFilterChanges", filter_id)
    assert error["code"] == -32000 and "filter not found" in error["message"]


async def test_pending_transaction_filter_without_automine(rpc, node):
    await rpc.call("evm_setAutomine", False)
    filter_id = await rpc.call("eth_newPendingTransactionFilter")
    tx_hash = await rpc.call(
        "eth_sendTransaction", {"from": ACCOUNT0, "to": ACCOUNT1, "value": "0x1"}
    )
    assert await rpc.call("eth_getFilterChanges", filter_id) == [tx_hash]
    pending = await rpc.call("eth_getTransactionByHash", tx_hash)
    assert pending["blockHash"] is None and pending["blockNumber"] is None
    assert await rpc.call("eth_getTransactionReceipt", tx_hash) is None
    assert await rpc.call("eth_getTransactionCount", ACCOUNT0, "pending") == "0x1"
    assert await rpc.call("eth_getTransactionCount", ACCOUNT0, "latest") == "0x0"
    status = await rpc.call("txpool_status")
    assert status == {"pending": "0x1", "queued": "0x0"}
    await rpc.call("evm_mine")
    receipt = await rpc.call("eth_getTransactionReceipt", tx_hash)
    assert receipt["status"] == "0x1" and receipt["blockNumber"] == "0x1"


async def _next_message(ws, timeout=5.0):
    message = await asyncio.wait_for(ws.receive(), timeout)
    return json.loads(message.data)


async def test_websocket_subscriptions(client, rpc):
    token = await rpc.deploy_token()
    async with client.ws_connect("/") as ws:
        await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}))
        assert (await _next_message(ws))["result"] == "0x539"
        subscriptions = {}
        for request_id, params in (
            (2, ["newHeads"]),
            (3, ["logs", {"address": token, "topics": [TRANSFER_TOPIC]}]),
            (4, ["newPendingTransactions"]),
        ):
            await ws.send_str(
                json.dumps(
                    {
                        "jsonrpc": "2.0",
                        "id": request_id,
                        "method": "eth_subscribe",
                        "params": params,
                    }
                )
            )
            reply = await _next_message(ws)
            assert reply["id"] == request_id
            subscriptions[params[0]] = reply["result"]
        receipt = await _transfer(rpc, token, ACCOUNT1, 4)
        received = {}
        for _ in range(3):
            message = await _next_message(ws)
            assert message["method"] == "eth_subscription"
            received[message["params"]["subscription"]] = message["params"]["result"]
        assert received[subscriptions["newPendingTransactions"]] == receipt["transactionHash"]
        head = received[subscriptions["newHeads"]]
        assert head["hash"] == receipt["blockHash"] and head["number"] == receipt["blockNumber"]
        log = received[subscriptions["logs"]]
        assert log["transactionHash"] == receipt["transactionHash"] and int(log["data"], 16) == 4
        # Unsubscribe: no more heads.
        await ws.send_str(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 5,
                    "method": "eth_unsubscribe",
                    "params": [subscriptions["newHeads"]],
                }
            )
        )
        assert (await _next_message(ws))["result"] is True
    # Over HTTP there are no notifications.
    error = await rpc.error("eth_subscribe", "newHeads")
    assert error["code"] == -32601


async def test_websocket_framing_errors(client):
    async with client.ws_connect("/") as ws:
        await ws.send_str("{not json")
        assert (await _next_message(ws))["error"]["code"] == -32700
        await ws.send_str(json.dumps([{"jsonrpc": "2.0", "id": 1, "method": "nope"}]))
        assert (await _next_message(ws))[0]["error"]["code"] == -32601
        await ws.send_str(
            json.dumps(
                {"jsonrpc": "2.0", "id": 2, "method": "eth_subscribe", "params": ["nothing"]}
            )
        )
        assert (await _next_message(ws))["error"]["code"] == -32602


async def test_websocket_from_a_foreign_origin_is_refused(client):
    response = await client.get(
        "/",
        headers={
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Origin": "http://evil.example",
        },
    )
    assert response.status == 403


async def test_reverted_blocks_report_removed_logs(client, rpc):
    token = await rpc.deploy_token()
    snapshot = await rpc.call("evm_snapshot")
    filter_id = await rpc.call("eth_newFilter", {"address": token})
    async with client.ws_connect("/") as ws:
        await ws.send_str(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "eth_subscribe",
                    "params": ["logs", {"address": token}],
                }
            )
        )
        await _next_message(ws)
        receipt = await _transfer(rpc, token, ACCOUNT1, 5)
        added = await _next_message(ws)
        assert added["params"]["result"]["removed"] is False
        assert await rpc.call("evm_revert", snapshot) is True
        removed = await _next_message(ws)
        assert removed["params"]["result"]["removed"] is True
        assert removed["params"]["result"]["transactionHash"] == receipt["transactionHash"]
    changes = await rpc.call("eth_getFilterChanges", filter_id)
    assert [c["removed"] for c in changes] == [False, True]
    # The reverted transaction is gone: not mined, not pooled.
    assert await rpc.call("eth_getTransactionReceipt", receipt["transactionHash"]) is None
    assert await rpc.call("eth_getTransactionByHash", receipt["transactionHash"]) is None
    assert await rpc.call("txpool_status") == {"pending": "0x0", "queued": "0x0"}

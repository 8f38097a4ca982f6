"""The "pending" block tag: the block that would be sealed now, with the pool's pending
transactions (as anvil answers it), on a node that seals on demand only so that transactions
wait in the pool."""

from collections.abc import Iterator

import pytest

from pyeth.node import Node, NodeConfig
from pyeth.rpc import ServerSettings, init
from tests.helpers.rpc import (
    ACCOUNT0,
    ACCOUNT2,
    RpcClient,
    calldata,
    decode_uint,
    token_deploy_data,
)

SINK = "0x000000000000000000000000000000000000beef"


@pytest.fixture
def waiting_node() -> Iterator[Node]:
    node = Node(NodeConfig(block_time=3600))  # never seals by itself within a test
    yield node
    node.close()


@pytest.fixture
async def rpc(aiohttp_client, waiting_node):  # type: ignore[no-untyped-def]
    return RpcClient(await aiohttp_client(init(waiting_node, ServerSettings(run_node=False))))


async def test_pending_block_holds_the_pool(rpc):
    empty = await rpc.call("eth_getBlockByNumber", "pending", False)
    assert empty["number"] == "0x1" and empty["transactions"] == []
    tx_hash = await rpc.call("eth_sendTransaction", {"from": ACCOUNT0, "to": SINK, "value": "0x7"})
    assert await rpc.call("eth_getTransactionReceipt", tx_hash) is None

    pending = await rpc.call("eth_getBlockByNumber", "pending", True)
    assert pending["number"] == "0x1" and pending["gasUsed"] == hex(21_000)
    assert [tx["hash"] for tx in pending["transactions"]] == [tx_hash]
    assert (await rpc.call("eth_getBlockByNumber", "latest", False))["number"] == "0x0"
    assert await rpc.call("eth_getBlockTransactionCountByNumber", "pending") == "0x1"
    receipts = await rpc.call("eth_getBlockReceipts", "pending")
    assert [r["transactionHash"] for r in receipts] == [tx_hash] and receipts[0]["status"] == "0x1"
    # State at pending is after the pending transactions; latest is before them.
    assert await rpc.call("eth_getBalance", SINK, "pending") == "0x7"
    assert await rpc.call("eth_getBalance", SINK, "latest") == "0x0"
    assert await rpc.call("eth_getTransactionCount", ACCOUNT0, "pending") == "0x1"

    # Sealing it makes the same block, and the next pending block is empty again.
    await rpc.call("evm_mine")
    mined = await rpc.call("eth_getBlockByNumber", "latest", False)
    assert mined["transactions"] == [tx_hash] and mined["stateRoot"] == pending["stateRoot"]
    after = await rpc.call("eth_getBlockByNumber", "pending", False)
    assert after["number"] == "0x2" and after["transactions"] == []


async def test_calls_at_pending_see_the_pending_transactions(rpc):
    token_hash = await rpc.call(
        "eth_sendTransaction",
        {"from": ACCOUNT0, "data": token_deploy_data(10**6), "gas": hex(1_000_000)},
    )
    await rpc.call("evm_mine")
    token = (await rpc.call("eth_getTransactionReceipt", token_hash))["contractAddress"]
    await rpc.call(
        "eth_sendTransaction",
        {
            "from": ACCOUNT0,
            "to": token,
            "data": calldata("transfer(address,uint256)", ACCOUNT2, 5),
            "gas": hex(100_000),
        },
    )
    query = {"to": token, "data": calldata("balanceOf(address)", ACCOUNT2)}
    assert decode_uint(await rpc.call("eth_call", query, "pending")) == 5
    assert decode_uint(await rpc.call("eth_call", query, "latest")) == 0
    # With a state override too (a state of its own, the cached one untouched).
    slot = "0x" + "00" * 32
    overridden = await rpc.call("eth_call", query, "pending", {token: {"stateDiff": {slot: slot}}})
    assert decode_uint(overridden) == 5
    assert await rpc.call("eth_getStorageAt", token, "0x0", "pending") != slot


async def test_automine_then_evm_mine_in_one_batch_makes_one_block(client):  # type: ignore[no-untyped-def]
    # Automine seals after the answer; evm_mine in the same batch sealed the transaction
    # already, so no empty block follows.
    batch = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "eth_sendTransaction",
            "params": [{"from": ACCOUNT0, "to": SINK, "value": "0x1"}],
        },
        {"jsonrpc": "2.0", "id": 2, "method": "evm_mine", "params": []},
    ]
    answers = await (await client.post("/", json=batch)).json()
    assert [a.get("error") for a in answers] == [None, None]
    rpc = RpcClient(client)
    assert await rpc.call("eth_blockNumber") == "0x1"
    block = await rpc.call("eth_getBlockByNumber", "latest", False)
    assert block["transactions"] == [answers[0]["result"]]

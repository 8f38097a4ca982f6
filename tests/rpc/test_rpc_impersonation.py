"""anvil_impersonateAccount and its kin: eth_sendTransaction as an account whose key the node
lacks (an externally owned one or a contract), the sender kept beside the block so that
receipts, transaction objects and traces still name it after the block left the cache or the
node restarted."""

import pytest

from pyeth.node import Node, NodeConfig
from pyeth.rpc import init
from pyeth.transactions import encode_transaction
from tests.helpers.rpc import ACCOUNT0, ACCOUNT1, OnePeer, RpcClient, calldata, decode_uint

STRANGER = "0x" + "00" * 18 + "5e01"


async def test_send_as_an_impersonated_account(rpc):
    await rpc.call("anvil_setBalance", STRANGER, hex(10**18))
    error = await rpc.error("eth_sendTransaction", {"from": STRANGER, "to": ACCOUNT1})
    assert error["code"] == -32000 and "unknown account" in error["message"]
    assert await rpc.call("anvil_impersonateAccount", STRANGER) is None
    before = int(await rpc.call("eth_getBalance", ACCOUNT1, "latest"), 16)
    receipt = await rpc.send({"from": STRANGER, "to": ACCOUNT1, "value": hex(12345)})
    assert receipt["status"] == "0x1" and receipt["from"] == STRANGER
    assert int(await rpc.call("eth_getBalance", ACCOUNT1, "latest"), 16) == before + 12345
    assert await rpc.call("eth_getTransactionCount", STRANGER, "latest") == "0x1"
    tx = await rpc.call("eth_getTransactionByHash", receipt["transactionHash"])
    assert tx["from"] == STRANGER
    # Two senders' otherwise equal transactions are different transactions.
    await rpc.call("anvil_setBalance", ACCOUNT1[:-4] + "5e02", hex(10**18))
    other = ACCOUNT1[:-4] + "5e02"
    await rpc.call("hardhat_impersonateAccount", other)
    again = await rpc.send({"from": other, "to": ACCOUNT1, "value": hex(12345), "nonce": "0x0"})
    assert again["transactionHash"] != receipt["transactionHash"] and again["from"] == other
    assert await rpc.call("anvil_stopImpersonatingAccount", STRANGER) is None
    error = await rpc.error("eth_sendTransaction", {"from": STRANGER, "to": ACCOUNT1})
    assert "unknown account" in error["message"]


async def test_send_as_a_contract(rpc):
    """The usual local use: a test calls a token as its holder contract would."""
    holder = "0x" + "00" * 18 + "5e03"
    await rpc.call("anvil_setCode", holder, "0x00")  # a contract: EIP-3607 would refuse it
    token = await _token_held_by(rpc, holder, 7)
    await rpc.call("anvil_autoImpersonateAccount", True)
    transfer = calldata("transfer(address,uint256)", ACCOUNT1, 3)
    receipt = await rpc.send({"from": holder, "to": token, "data": transfer})
    assert receipt["status"] == "0x1" and receipt["from"] == holder
    balance = calldata("balanceOf(address)", holder)
    assert decode_uint(await rpc.call("eth_call", {"to": token, "data": balance}, "latest")) == 4
    await rpc.call("anvil_autoImpersonateAccount", False)
    error = await rpc.error("eth_sendTransaction", {"from": holder, "to": token, "data": transfer})
    assert "unknown account" in error["message"]


async def test_a_raw_copy_of_an_impersonated_transaction_is_not_taken_as_its_sender(rpc, node):
    await rpc.call("anvil_setBalance", STRANGER, hex(10**18))
    await rpc.call("anvil_impersonateAccount", STRANGER)
    await rpc.call("evm_setAutomine", False)
    tx_hash = await rpc.call("eth_sendTransaction", {"from": STRANGER, "to": ACCOUNT1})
    entry = node.pool.get(bytes.fromhex(tx_hash[2:]))
    raw = "0x" + encode_transaction(entry.tx).hex()
    await rpc.call("anvil_dropTransaction", tx_hash)
    # The same bytes from outside recover some other (unfunded) sender, or none.
    error = await rpc.error("eth_sendRawTransaction", raw)
    assert error["code"] == -32000
    assert await rpc.call("txpool_status") == {"pending": "0x0", "queued": "0x0"}


async def test_a_node_with_peers_refuses_impersonation(rpc, node):
    node.network = OnePeer()
    for method, param in (
        ("anvil_impersonateAccount", STRANGER),
        ("anvil_autoImpersonateAccount", True),
    ):
        error = await rpc.error(method, param)
        assert error["code"] == -32000 and "peers" in error["message"]


@pytest.fixture
async def datadir_rpc(aiohttp_client, tmp_path):
    """A node on a --datadir, and a way to restart it there."""
    nodes: list[Node] = []

    async def start() -> RpcClient:
        if nodes:
            nodes[-1].close()
        nodes.append(Node(NodeConfig(datadir=tmp_path)))
        return RpcClient(await aiohttp_client(init(nodes[-1])))

    yield start
    nodes[-1].close()


async def test_the_sender_survives_a_restart(datadir_rpc):
    rpc = await datadir_rpc()
    holder = "0x" + "00" * 18 + "5e04"
    token = await _token_held_by(rpc, holder, 9)
    await rpc.call("anvil_impersonateAccount", holder)
    transfer = calldata("transfer(address,uint256)", ACCOUNT1, 2)
    receipt = await rpc.send({"from": holder, "to": token, "data": transfer})
    trace = await rpc.call("debug_traceTransaction", receipt["transactionHash"])

    rpc = await datadir_rpc()  # decoded from the database now, not the block cache
    tx_hash = receipt["transactionHash"]
    assert (await rpc.call("eth_getTransactionByHash", tx_hash))["from"] == holder
    again = await rpc.call("eth_getTransactionReceipt", tx_hash)
    assert again["from"] == holder and again["status"] == "0x1"
    block = await rpc.call("eth_getBlockByNumber", receipt["blockNumber"], True)
    assert block["transactions"][0]["from"] == holder
    assert await rpc.call("debug_traceTransaction", tx_hash) == trace
    # Impersonation itself does not outlive the process, as anvil's does not.
    error = await rpc.error("eth_sendTransaction", {"from": holder, "to": token, "data": transfer})
    assert "unknown account" in error["message"]


async def _token_held_by(rpc: RpcClient, holder: str, amount: int) -> str:
    """A new token of which `holder` (funded with 1 ETH for gas) holds `amount`."""
    token = await rpc.deploy_token(1000)
    transfer = calldata("transfer(address,uint256)", holder, amount)
    await rpc.send({"from": ACCOUNT0, "to": token, "data": transfer})
    await rpc.call("anvil_setBalance", holder, hex(10**18))
    return token

"""anvil_nodeInfo, anvil_metadata and hardhat_metadata in anvil's and Hardhat's shapes (field
names and JSON types as anvil 1.7 answers them), with what pyeth can truthfully say."""

import re

from pyeth import __version__

HASH = re.compile(r"^0x[0-9a-f]{64}$")


async def test_node_info_has_anvils_shape(rpc, node):
    info = await rpc.call("anvil_nodeInfo")
    head = await rpc.call("eth_getBlockByNumber", "latest", False)
    assert set(info) == {
        "currentBlockNumber",
        "currentBlockTimestamp",
        "currentBlockHash",
        "hardFork",
        "transactionOrder",
        "environment",
        "forkConfig",
    }
    assert info["currentBlockNumber"] == head["number"] == "0x0"  # a hex quantity
    assert info["currentBlockTimestamp"] == int(head["timestamp"], 16)  # a JSON number
    assert info["currentBlockHash"] == head["hash"]
    assert info["hardFork"] == "BPO2" and info["transactionOrder"] == "fees"
    environment = info["environment"]
    assert environment["chainId"] == 1337
    assert environment["gasLimit"] == head["gasLimit"]
    assert environment["baseFee"] == hex(node.pending_env()[1].base_fee)
    assert environment["gasPrice"] == await rpc.call("eth_gasPrice")
    assert info["forkConfig"] == {
        "forkUrl": None,
        "forkBlockNumber": None,
        "forkRetryBackoff": None,
    }
    await rpc.call("evm_mine")
    assert (await rpc.call("anvil_nodeInfo"))["currentBlockNumber"] == "0x1"


async def test_metadata_has_hardhats_fields_and_anvils_snapshots(rpc):
    first = await rpc.call("hardhat_metadata")
    assert first == await rpc.call("anvil_metadata")
    assert first["clientVersion"] == await rpc.call("web3_clientVersion")
    assert first["clientSemver"] == __version__
    assert first["chainId"] == 1337 and first["latestBlockNumber"] == 0
    assert HASH.match(first["instanceId"]) and HASH.match(first["latestBlockHash"])
    assert first["forkedNetwork"] is None and first["snapshots"] == {}

    await rpc.call("evm_mine")
    snapshot = await rpc.call("evm_snapshot")
    after = await rpc.call("anvil_metadata")
    head = await rpc.call("eth_getBlockByNumber", "latest", False)
    assert after["latestBlockNumber"] == 1 and after["latestBlockHash"] == head["hash"]
    assert after["snapshots"] == {snapshot: [1, head["hash"]]}
    assert after["instanceId"] == first["instanceId"]  # the same run

    await rpc.call("anvil_reset")  # a new instance: tools drop what they cached
    reset = await rpc.call("hardhat_metadata")
    assert reset["instanceId"] != first["instanceId"] and reset["snapshots"] == {}
    assert reset["latestBlockNumber"] == 0

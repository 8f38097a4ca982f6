"""eth_getTransactionReceipt builds the one receipt asked for: the same object as the block's
entry in eth_getBlockReceipts (gas used, log indexes after the earlier transactions' logs), also
for blocks that are no longer kept decoded in memory."""

from pyeth.chain import chain as chain_module
from tests.helpers.rpc import ACCOUNT0, ACCOUNT1, ACCOUNT2, calldata


async def _block_of_mixed_transactions(rpc) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """One block: a token transfer (a log), an ETH transfer (none), two token transfers."""
    token = await rpc.deploy_token()
    await rpc.call("evm_setAutomine", False)
    hashes = []
    for to, data in (
        (token, calldata("transfer(address,uint256)", ACCOUNT1, 5)),
        (ACCOUNT2, "0x"),
        (token, calldata("transfer(address,uint256)", ACCOUNT2, 6)),
        (token, calldata("transfer(address,uint256)", ACCOUNT1, 7)),
    ):
        tx = {"from": ACCOUNT0, "to": to, "data": data, "gas": "0x30000"}
        if data == "0x":
            tx["value"] = "0x1"
        hashes.append(await rpc.call("eth_sendTransaction", tx))
    await rpc.call("evm_mine")
    await rpc.call("evm_setAutomine", True)
    receipt = await rpc.call("eth_getTransactionReceipt", hashes[0])
    return receipt["blockHash"], hashes


async def test_a_receipt_is_its_blocks_entry(rpc) -> None:  # type: ignore[no-untyped-def]
    block_hash, hashes = await _block_of_mixed_transactions(rpc)
    in_block = await rpc.call("eth_getBlockReceipts", block_hash)
    assert [r["transactionHash"] for r in in_block] == hashes
    for expected in in_block:
        assert await rpc.call("eth_getTransactionReceipt", expected["transactionHash"]) == expected
    log_indexes = [int(log["logIndex"], 16) for r in in_block for log in r["logs"]]
    assert log_indexes == [0, 1, 2]
    assert [len(r["logs"]) for r in in_block] == [1, 0, 1, 1]
    assert in_block[1]["gasUsed"] == "0x5208"


async def test_a_receipt_of_a_block_no_longer_kept(rpc, node, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    block_hash, hashes = await _block_of_mixed_transactions(rpc)
    in_block = await rpc.call("eth_getBlockReceipts", block_hash)
    monkeypatch.setattr(chain_module, "BLOCK_CACHE_SIZE", 1)
    await rpc.send({"from": ACCOUNT0, "to": ACCOUNT1, "value": "0x1"})  # evicts the block
    assert bytes.fromhex(block_hash[2:]) not in node.chain._blocks
    for expected in in_block:
        assert await rpc.call("eth_getTransactionReceipt", expected["transactionHash"]) == expected

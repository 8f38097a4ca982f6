"""State and chain queries: balances, nonces, blocks by tag, number and hash, eth_getProof
checked against the state root, fees (gasPrice, feeHistory, blobBaseFee), dev methods, traces
and the raw debug getters."""

import rlp

from pyeth.chain.blocks import decode_block, indexed_root
from pyeth.hashing import keccak256
from pyeth.trie import verify_proof
from tests.helpers.rpc import ACCOUNT0, ACCOUNT1, calldata


async def test_balances_and_nonces_follow_transfers(rpc):
    start = int(await rpc.call("eth_getBalance", ACCOUNT1, "latest"), 16)
    assert start == 10_000 * 10**18
    receipt = await rpc.send({"from": ACCOUNT0, "to": ACCOUNT1, "value": hex(10**18)})
    assert int(await rpc.call("eth_getBalance", ACCOUNT1, "latest"), 16) == start + 10**18
    assert int(await rpc.call("eth_getBalance", ACCOUNT1, "earliest"), 16) == start
    assert int(await rpc.call("eth_getBalance", ACCOUNT1, "0x0"), 16) == start
    spent = start - int(await rpc.call("eth_getBalance", ACCOUNT0, "latest"), 16)
    assert spent == 10**18 + 21_000 * int(receipt["effectiveGasPrice"], 16)
    assert await rpc.call("eth_getTransactionCount", ACCOUNT0, "latest") == "0x1"
    assert await rpc.call("eth_getTransactionCount", ACCOUNT0, "earliest") == "0x0"


async def test_blocks_by_tag_number_and_hash(rpc):
    genesis = await rpc.call("eth_getBlockByNumber", "earliest", False)
    assert genesis["number"] == "0x0" and genesis["transactions"] == []
    assert genesis["baseFeePerGas"] == hex(10**9) and genesis["gasLimit"] == hex(30_000_000)
    receipt = await rpc.send({"from": ACCOUNT0, "to": ACCOUNT1, "value": "0x1"})
    for tag in ("latest", "safe", "finalized", "0x1"):
        block = await rpc.call("eth_getBlockByNumber", tag, False)
        assert block["hash"] == receipt["blockHash"], tag
    pending = await rpc.call("eth_getBlockByNumber", "pending", False)  # the next one, empty
    assert pending["number"] == "0x2" and pending["parentHash"] == receipt["blockHash"]
    assert pending["transactions"] == []
    block = await rpc.call("eth_getBlockByHash", receipt["blockHash"], False)
    assert block["transactions"] == [receipt["transactionHash"]]
    assert block["parentHash"] == genesis["hash"]
    assert int(block["timestamp"], 16) > int(genesis["timestamp"], 16)
    assert await rpc.call("eth_getBlockTransactionCountByHash", block["hash"]) == "0x1"
    assert await rpc.call("eth_getBlockTransactionCountByNumber", "latest") == "0x1"
    assert await rpc.call("eth_getBlockByNumber", "0x2", False) is None
    assert await rpc.call("eth_getBlockByHash", "0x" + "00" * 32, False) is None
    assert await rpc.call("eth_getTransactionByHash", "0x" + "00" * 32) is None
    assert await rpc.call("eth_getTransactionReceipt", "0x" + "00" * 32) is None
    assert await rpc.call("eth_getBlockReceipts", "0x5") is None


async def test_get_proof_verifies_against_the_state_root(rpc):
    token = await rpc.deploy_token(1000)
    block = await rpc.call("eth_getBlockByNumber", "latest", False)
    root = bytes.fromhex(block["stateRoot"][2:])
    slot_zero = "0x0"
    proof = await rpc.call("eth_getProof", token, [slot_zero], "latest")
    address = bytes.fromhex(token[2:])
    account_rlp = verify_proof(
        root, keccak256(address), [bytes.fromhex(n[2:]) for n in proof["accountProof"]]
    )
    nonce, balance, storage_root, code_hash = rlp.decode(account_rlp)
    assert int.from_bytes(nonce, "big") == int(proof["nonce"], 16) == 1
    assert storage_root.hex() == proof["storageHash"][2:]
    code = bytes.fromhex((await rpc.call("eth_getCode", token, "latest"))[2:])
    assert code_hash == keccak256(code) and proof["codeHash"] == "0x" + code_hash.hex()
    entry = proof["storageProof"][0]
    assert entry["value"] == hex(1000)  # totalSupply
    value = verify_proof(
        storage_root, keccak256(bytes(32)), [bytes.fromhex(n[2:]) for n in entry["proof"]]
    )
    assert int.from_bytes(rlp.decode(value), "big") == 1000
    missing = await rpc.call(
        "eth_getProof", "0x000000000000000000000000000000000000dEaD", [], "latest"
    )
    assert missing["balance"] == "0x0" and missing["nonce"] == "0x0"
    absent = verify_proof(
        root,
        keccak256(bytes.fromhex("000000000000000000000000000000000000dead")),
        [bytes.fromhex(n[2:]) for n in missing["accountProof"]],
    )
    assert absent is None


async def test_fees(rpc):
    tip = int(await rpc.call("eth_maxPriorityFeePerGas"), 16)
    assert tip == 10**9
    price = int(await rpc.call("eth_gasPrice"), 16)
    assert price > tip
    assert await rpc.call("eth_blobBaseFee") == "0x1"
    for _ in range(3):
        await rpc.send({"from": ACCOUNT0, "to": ACCOUNT1, "value": "0x1"})
    history = await rpc.call("eth_feeHistory", "0x3", "latest", [25, 75])
    assert history["oldestBlock"] == "0x1"
    assert len(history["baseFeePerGas"]) == 4 and len(history["gasUsedRatio"]) == 3
    fees = [int(f, 16) for f in history["baseFeePerGas"]]
    assert fees == sorted(fees, reverse=True)  # light blocks: the base fee falls
    assert history["reward"] == [[hex(10**9), hex(10**9)]] * 3
    assert history["gasUsedRatio"][0] == 21_000 / 30_000_000
    whole = await rpc.call("eth_feeHistory", 100, "latest")
    assert whole["oldestBlock"] == "0x0" and "reward" not in whole


async def test_dev_methods_mine_and_move_time(rpc):
    await rpc.call("evm_mine")
    assert await rpc.call("eth_blockNumber") == "0x1"
    await rpc.call("anvil_mine", "0x3", "0xa")
    assert await rpc.call("eth_blockNumber") == "0x4"
    b3 = await rpc.call("eth_getBlockByNumber", "0x3", False)
    b4 = await rpc.call("eth_getBlockByNumber", "0x4", False)
    assert int(b4["timestamp"], 16) - int(b3["timestamp"], 16) == 10
    target = int(b4["timestamp"], 16) + 1000
    await rpc.call("evm_setNextBlockTimestamp", target)
    await rpc.call("evm_mine")
    assert int((await rpc.call("eth_getBlockByNumber", "latest", False))["timestamp"], 16) == target
    error = await rpc.error("evm_setNextBlockTimestamp", target)
    assert error["code"] == -32602
    offset = int(await rpc.call("evm_increaseTime", 3600), 16)
    assert offset == 3600


async def test_snapshot_and_revert(rpc):
    snapshot = await rpc.call("evm_snapshot")
    token = await rpc.deploy_token(1000)
    assert await rpc.call("eth_getCode", token, "latest") != "0x"
    assert await rpc.call("evm_revert", snapshot) is True
    assert await rpc.call("eth_blockNumber") == "0x0"
    assert await rpc.call("eth_getCode", token, "latest") == "0x"
    assert await rpc.call("evm_revert", snapshot) is False
    # The chain goes on from the snapshot.
    again = await rpc.deploy_token(1000)
    assert again == token
    assert await rpc.call("eth_blockNumber") == "0x1"


async def test_debug_trace_transaction(rpc):
    token = await rpc.deploy_token(1000)
    receipt = await rpc.send(
        {"from": ACCOUNT0, "to": token, "data": calldata("transfer(address,uint256)", ACCOUNT1, 1)}
    )
    trace = await rpc.call("debug_traceTransaction", receipt["transactionHash"])
    assert trace["failed"] is False
    ops = [step["op"] for step in trace["structLogs"]]
    assert "SSTORE" in ops and "LOG3" in ops and ops[-1] == "RETURN"
    assert trace["returnValue"] == "00" * 31 + "01"
    call_trace = await rpc.call(
        "debug_traceCall", {"to": token, "data": calldata("totalSupply()")}, "latest"
    )
    assert "SLOAD" in [step["op"] for step in call_trace["structLogs"]]


async def test_debug_raw_getters_hash_to_what_the_block_says(rpc):
    token = await rpc.deploy_token(1000)
    receipt = await rpc.send(
        {"from": ACCOUNT0, "to": token, "data": calldata("transfer(address,uint256)", ACCOUNT1, 1)}
    )
    block = await rpc.call("eth_getBlockByNumber", receipt["blockNumber"], False)
    header = bytes.fromhex((await rpc.call("debug_getRawHeader", receipt["blockNumber"]))[2:])
    assert "0x" + keccak256(header).hex() == block["hash"]
    raw_block = bytes.fromhex((await rpc.call("debug_getRawBlock", "latest"))[2:])
    decoded = decode_block(raw_block)
    assert "0x" + decoded.hash.hex() == block["hash"] and len(decoded.transactions) == 1
    raw_tx = await rpc.call("debug_getRawTransaction", receipt["transactionHash"])
    assert "0x" + keccak256(bytes.fromhex(raw_tx[2:])).hex() == receipt["transactionHash"]
    raw_receipts = await rpc.call("debug_getRawReceipts", block["hash"])
    root = indexed_root([bytes.fromhex(r[2:]) for r in raw_receipts])
    assert "0x" + root.hex() == block["receiptsRoot"]
    assert await rpc.call("debug_getRawTransaction", "0x" + "00" * 32) == "0x"
    assert await rpc.call("debug_getRawReceipts", "pending") == []
    error = await rpc.error("debug_getRawBlock", "0x99")
    assert error["code"] == -32000

"""Account edits (anvil_setBalance, anvil_setNonce, anvil_setCode, anvil_setStorageAt and their
hardhat_/evm_ names) and the pool's dev methods: each edit is sealed as a block of its own, so
`latest` shows it at once and the header's state root proves it."""

import pytest
import rlp

from pyeth.hashing import keccak256
from pyeth.node import Node, NodeConfig, NotADevChain
from pyeth.rpc.server import ServerSettings, init
from pyeth.transactions import FeeMarketTransaction, encode_transaction, sign_transaction
from pyeth.trie import verify_proof
from tests.helpers.p2p import KEYS, clique_genesis
from tests.helpers.rpc import ACCOUNT0, ACCOUNT1, KEY1, OnePeer, RpcClient

FRESH = "0x" + "00" * 18 + "be01"
# PUSH1 0 SLOAD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN: returns storage slot 0.
READ_SLOT_ZERO = "0x60005460005260206000f3"
WORD_42 = "0x" + "00" * 31 + "2a"


async def _proven_account(rpc, address: str) -> bytes | None:
    """The account's RLP as the latest header's state root proves it (None: absent)."""
    block = await rpc.call("eth_getBlockByNumber", "latest", False)
    proof = await rpc.call("eth_getProof", address, [], "latest")
    return verify_proof(
        bytes.fromhex(block["stateRoot"][2:]),
        keccak256(bytes.fromhex(address[2:])),
        [bytes.fromhex(node[2:]) for node in proof["accountProof"]],
    )


async def test_set_balance_is_sealed_as_a_block_without_transactions(rpc):
    assert await rpc.call("anvil_setBalance", FRESH, hex(5 * 10**18)) is None
    assert await rpc.call("eth_getBalance", FRESH, "latest") == hex(5 * 10**18)
    assert await rpc.call("eth_getBalance", FRESH, "0x0") == "0x0"
    block = await rpc.call("eth_getBlockByNumber", "latest", False)
    assert block["number"] == "0x1" and block["transactions"] == []
    nonce, balance, _, _ = rlp.decode(await _proven_account(rpc, FRESH))
    assert int.from_bytes(balance, "big") == 5 * 10**18 and nonce == b""
    # The other names, and a plain JSON number as anvil takes it.
    await rpc.call("hardhat_setBalance", FRESH, 7)
    await rpc.call("evm_setAccountBalance", ACCOUNT1, "0x0")
    assert await rpc.call("eth_getBalance", FRESH, "latest") == "0x7"
    assert await rpc.call("eth_getBalance", ACCOUNT1, "latest") == "0x0"
    assert await rpc.call("eth_blockNumber") == "0x3"


async def test_an_account_left_empty_is_removed(rpc):
    await rpc.call("anvil_setBalance", FRESH, "0x5")
    assert await _proven_account(rpc, FRESH) is not None
    await rpc.call("anvil_setBalance", FRESH, "0x0")
    assert await _proven_account(rpc, FRESH) is None


async def test_set_code_and_storage_are_what_calls_see(rpc):
    await rpc.call("anvil_setCode", FRESH, READ_SLOT_ZERO)
    assert await rpc.call("eth_getCode", FRESH, "latest") == READ_SLOT_ZERO
    assert await rpc.call("eth_call", {"to": FRESH}, "latest") == "0x" + "00" * 32
    assert await rpc.call("anvil_setStorageAt", FRESH, "0x0", WORD_42) is True
    assert await rpc.call("eth_getStorageAt", FRESH, "0x0", "latest") == WORD_42
    assert await rpc.call("eth_call", {"to": FRESH}, "latest") == WORD_42
    # A contract that keeps its balance through an edit of its code.
    await rpc.call("anvil_setBalance", FRESH, "0x64")
    await rpc.call("hardhat_setCode", FRESH, "0x00")
    assert await rpc.call("eth_getBalance", FRESH, "latest") == "0x64"
    assert await rpc.call("eth_getStorageAt", FRESH, "0x0", "latest") == WORD_42
    # Clearing the slot and the code and the balance leaves no account.
    await rpc.call("hardhat_setStorageAt", FRESH, "0x0", "0x" + "00" * 32)
    await rpc.call("anvil_setCode", FRESH, "0x")
    await rpc.call("anvil_setBalance", FRESH, "0x0")
    assert await _proven_account(rpc, FRESH) is None


async def test_set_nonce_moves_what_the_pool_takes(rpc):
    await rpc.call("anvil_setNonce", ACCOUNT1, "0x5")
    assert await rpc.call("eth_getTransactionCount", ACCOUNT1, "latest") == "0x5"
    stale = _transfer(KEY1, nonce=0)
    error = await rpc.error("eth_sendRawTransaction", stale)
    assert error["code"] == -32000 and "nonce too low" in error["message"]
    receipt = await rpc.send({"from": ACCOUNT1, "to": ACCOUNT0, "value": "0x1"})
    assert receipt["status"] == "0x1"
    assert await rpc.call("eth_getTransactionCount", ACCOUNT1, "latest") == "0x6"


async def test_a_queued_transaction_the_edit_makes_executable_is_mined(rpc):
    queued = await rpc.call("eth_sendRawTransaction", _transfer(KEY1, nonce=3))
    assert await rpc.call("eth_getTransactionReceipt", queued) is None  # nonces 0-2 missing
    await rpc.call("anvil_setNonce", ACCOUNT1, 3)
    await _next_turn()
    receipt = await rpc.call("eth_getTransactionReceipt", queued)
    assert receipt is not None and receipt["status"] == "0x1"


async def test_edits_are_undone_by_revert(rpc):
    snapshot = await rpc.call("anvil_snapshot")
    await rpc.call("anvil_setBalance", ACCOUNT1, "0x1")
    await rpc.call("anvil_setCode", FRESH, READ_SLOT_ZERO)
    assert await rpc.call("anvil_revert", snapshot) is True
    assert await rpc.call("eth_getBalance", ACCOUNT1, "latest") == hex(10_000 * 10**18)
    assert await rpc.call("eth_getCode", FRESH, "latest") == "0x"
    assert await rpc.call("eth_blockNumber") == "0x0"


async def test_an_edit_leaves_the_next_timestamp_to_the_next_block(rpc):
    head = await rpc.call("eth_getBlockByNumber", "latest", False)
    target = int(head["timestamp"], 16) + 1000
    await rpc.call("evm_setNextBlockTimestamp", target)
    await rpc.call("anvil_setBalance", FRESH, "0x1")
    edit = await rpc.call("eth_getBlockByNumber", "latest", False)
    assert int(edit["timestamp"], 16) < target
    await rpc.call("evm_mine")
    mined = await rpc.call("eth_getBlockByNumber", "latest", False)
    assert int(mined["timestamp"], 16) == target


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("anvil_setBalance", [FRESH, -1]),
        ("anvil_setBalance", [FRESH, "0x01"]),  # leading zero
        ("anvil_setBalance", ["0x1234", "0x1"]),  # short address
        ("anvil_setNonce", [FRESH, hex(2**64)]),
        ("anvil_setCode", [FRESH, "0x123"]),  # odd length
        ("anvil_setStorageAt", [FRESH, "0x0", "0x2a"]),  # a value is 32 bytes
        ("anvil_setStorageAt", [FRESH, "0x" + "11" * 33, WORD_42]),
        ("anvil_setStorageAt", [FRESH, "0x0"]),
    ],
)
async def test_bad_params_change_nothing(rpc, method, params):
    error = await rpc.error(method, *params)
    assert error["code"] == -32602
    assert await rpc.call("eth_blockNumber") == "0x0"


async def test_a_node_with_peers_refuses_edits(rpc, node):
    node.network = OnePeer()
    error = await rpc.error("anvil_setBalance", FRESH, "0x1")
    assert error["code"] == -32000 and "peers" in error["message"]
    with pytest.raises(NotADevChain):
        node.set_account(bytes.fromhex(FRESH[2:]), balance=1)
    assert await rpc.call("eth_blockNumber") == "0x0"


async def test_automine_flag_and_dropping_pool_transactions(rpc):
    assert await rpc.call("anvil_getAutomine") is True
    await rpc.call("anvil_setAutomine", False)
    assert await rpc.call("hardhat_getAutomine") is False
    first = await rpc.call("eth_sendRawTransaction", _transfer(KEY1, nonce=0))
    second = await rpc.call("eth_sendRawTransaction", _transfer(KEY1, nonce=1))
    assert await rpc.call("anvil_dropTransaction", second) == second
    assert await rpc.call("hardhat_dropTransaction", second) is None
    assert await rpc.call("eth_getTransactionByHash", second) is None
    assert (await rpc.call("txpool_status"))["pending"] == "0x1"
    assert await rpc.call("anvil_dropAllTransactions") is None
    assert (await rpc.call("txpool_status"))["pending"] == "0x0"
    assert await rpc.call("eth_getTransactionByHash", first) is None


async def test_set_coinbase_pays_the_next_blocks_fees_to_it(rpc):
    assert await rpc.call("anvil_setCoinbase", FRESH) is None
    assert await rpc.call("eth_coinbase") == FRESH
    receipt = await rpc.send({"from": ACCOUNT0, "to": ACCOUNT1, "value": "0x1"})
    block = await rpc.call("eth_getBlockByNumber", receipt["blockNumber"], False)
    assert block["miner"] == FRESH
    tip = int(receipt["effectiveGasPrice"], 16) - int(block["baseFeePerGas"], 16)
    assert int(await rpc.call("eth_getBalance", FRESH, "latest"), 16) == 21_000 * tip > 0
    await rpc.call("hardhat_setCoinbase", ACCOUNT1)
    assert await rpc.call("eth_coinbase") == ACCOUNT1


async def test_reset_goes_back_to_genesis(rpc):
    snapshot = await rpc.call("evm_snapshot")
    await rpc.call("anvil_setBalance", FRESH, "0x1")
    await rpc.call("evm_increaseTime", 3600)
    await rpc.call("anvil_setAutomine", False)
    pooled = await rpc.call("eth_sendRawTransaction", _transfer(KEY1, nonce=0))
    await rpc.call("anvil_setAutomine", True)
    assert await rpc.call("anvil_reset") is None
    assert await rpc.call("eth_blockNumber") == "0x0"
    assert await rpc.call("eth_getBalance", FRESH, "latest") == "0x0"
    assert await rpc.call("eth_getTransactionByHash", pooled) is None
    assert await rpc.call("evm_revert", snapshot) is False
    assert await rpc.call("evm_increaseTime", 0) == "0x0"
    receipt = await rpc.send({"from": ACCOUNT0, "to": ACCOUNT1, "value": "0x1"})
    assert receipt["blockNumber"] == "0x1"
    error = await rpc.error("hardhat_reset", {"forking": {"jsonRpcUrl": "http://example"}})
    assert error["code"] == -32602 and "forking" in error["message"]
    assert await rpc.call("eth_blockNumber") == "0x1"


def _transfer(key: bytes, nonce: int) -> str:
    tx = FeeMarketTransaction(1337, nonce, 10**9, 100 * 10**9, 21_000, bytes(20), 1, b"")
    return "0x" + encode_transaction(sign_transaction(tx, key, 1337)).hex()


async def _next_turn() -> None:
    """Automine seals in the event loop's next turn, after the answer."""
    import asyncio

    await asyncio.sleep(0)
    await asyncio.sleep(0)


@pytest.mark.parametrize("kind", ["clique", "follower"])
async def test_a_node_that_does_not_seal_dev_blocks_says_why(aiohttp_client, kind):
    """As `pyeth node` serves a devnet's Clique node or a follower: the dev methods are there
    and answer -32000 with the reason, not -32601 "does not exist"."""
    if kind == "clique":
        node = Node(NodeConfig(genesis=clique_genesis(), signer_key=KEYS[0]))
        reason = "runs Clique"
    else:
        node = Node(NodeConfig(mine=False))
        reason = "follows its peers"
    try:
        rpc = RpcClient(await aiohttp_client(init(node, ServerSettings(dev_methods=True))))
        for method, params in (
            ("evm_mine", []),
            ("anvil_mine", ["0x2"]),
            ("evm_increaseTime", [60]),
            ("evm_snapshot", []),
            ("anvil_reset", []),
            ("anvil_setBalance", [FRESH, "0x1"]),
            ("anvil_impersonateAccount", [FRESH]),
            ("hardhat_setCode", [FRESH, READ_SLOT_ZERO]),
        ):
            error = await rpc.error(method, *params)
            assert error["code"] == -32000, method
            assert reason in error["message"], (method, error["message"])
        assert await rpc.call("eth_blockNumber") == "0x0"
        assert await rpc.call("anvil_getAutomine") is False  # read-only methods answer
    finally:
        node.close()

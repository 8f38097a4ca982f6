"""Sending: raw transactions and what the pool refuses (-32000 with geth's words), signing with
the dev accounts (eth_sign, personal_sign, eth_signTypedData_v4), and the transaction and
receipt lookups."""

import dataclasses
import json

from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data

from pyeth.transactions import (
    FeeMarketTransaction,
    LegacyTransaction,
    encode_transaction,
    sign_transaction,
)
from tests.helpers.rpc import ACCOUNT0, ACCOUNT1, KEY0, KEY1

TO = bytes.fromhex(ACCOUNT1[2:])
GWEI = 10**9


def raw(tx) -> str:
    return "0x" + encode_transaction(tx).hex()


def transfer(nonce=0, tip=GWEI, fee_cap=10 * GWEI, gas=21_000, value=1, chain_id=1337):
    return sign_transaction(
        FeeMarketTransaction(chain_id, nonce, tip, fee_cap, gas, TO, value), KEY0, chain_id
    )


async def test_raw_transaction_is_mined_and_found(rpc):
    tx = transfer()
    tx_hash = await rpc.call("eth_sendRawTransaction", raw(tx))
    assert tx_hash == "0x" + tx.hash.hex()
    found = await rpc.call("eth_getTransactionByHash", tx_hash)
    assert found["from"] == ACCOUNT0 and found["to"] == ACCOUNT1
    assert found["blockNumber"] == "0x1" and found["type"] == "0x2"
    receipt = await rpc.call("eth_getTransactionReceipt", tx_hash)
    assert receipt["gasUsed"] == "0x5208" and receipt["cumulativeGasUsed"] == "0x5208"
    block = await rpc.call("eth_getBlockByNumber", "0x1", True)
    assert block["transactions"][0] == found
    assert await rpc.call("eth_getTransactionByBlockNumberAndIndex", "0x1", "0x0") == found
    assert await rpc.call("eth_getTransactionByBlockHashAndIndex", block["hash"], "0x0") == found
    assert await rpc.call("eth_getTransactionByBlockHashAndIndex", block["hash"], "0x1") is None
    assert await rpc.call("eth_getBlockReceipts", "latest") == [receipt]
    price = int(receipt["effectiveGasPrice"], 16)
    assert price == int(block["baseFeePerGas"], 16) + GWEI


async def test_legacy_transaction(rpc):
    tx = sign_transaction(LegacyTransaction(0, 10 * GWEI, 21_000, TO, 5), KEY0, 1337)
    tx_hash = await rpc.call("eth_sendRawTransaction", raw(tx))
    found = await rpc.call("eth_getTransactionByHash", tx_hash)
    assert found["type"] == "0x0" and found["gasPrice"] == hex(10 * GWEI)


async def test_pool_rejections_are_server_errors_and_change_nothing(rpc):
    await rpc.call("eth_sendRawTransaction", raw(transfer(nonce=0)))
    cases = [
        (transfer(nonce=0), "nonce too low"),
        (transfer(nonce=1, chain_id=1), "chain id"),
        (transfer(nonce=1, gas=20_000), "intrinsic gas too low"),
        (transfer(nonce=1, fee_cap=1, tip=1), "max fee per gas less than block base fee"),
        (transfer(nonce=1, value=10**30), "insufficient funds"),
        (transfer(nonce=1, gas=40_000_000), "exceeds block gas limit"),
    ]
    for tx, words in cases:
        error = await rpc.error("eth_sendRawTransaction", raw(tx))
        assert error["code"] == -32000 and words in error["message"], (words, error)
    assert await rpc.call("eth_getTransactionCount", ACCOUNT0, "latest") == "0x1"
    assert await rpc.call("eth_blockNumber") == "0x1"
    for garbage in ("0x", "0x00", "0xc0", "0x02c0", "0x" + "ff" * 40):
        error = await rpc.error("eth_sendRawTransaction", garbage)
        assert error["code"] == -32000, error
    bad_signature = dataclasses.replace(transfer(nonce=1), s=0)
    error = await rpc.error("eth_sendRawTransaction", raw(bad_signature))
    assert error["code"] == -32000 and "invalid sender" in error["message"]


async def test_replacement_needs_a_ten_percent_bump(rpc):
    await rpc.call("evm_setAutomine", False)
    first = transfer(nonce=0, tip=GWEI, fee_cap=10 * GWEI)
    await rpc.call("eth_sendRawTransaction", raw(first))
    error = await rpc.error("eth_sendRawTransaction", raw(first))
    assert error["code"] == -32000 and error["message"] == "already known"
    small_bump = transfer(nonce=0, tip=GWEI * 109 // 100, fee_cap=11 * GWEI, value=2)
    error = await rpc.error("eth_sendRawTransaction", raw(small_bump))
    assert error["message"] == "replacement transaction underpriced"
    enough = transfer(nonce=0, tip=GWEI * 110 // 100, fee_cap=11 * GWEI, value=3)
    replacement = await rpc.call("eth_sendRawTransaction", raw(enough))
    assert await rpc.call("eth_getTransactionByHash", "0x" + first.hash.hex()) is None
    await rpc.call("evm_mine")
    receipt = await rpc.call("eth_getTransactionReceipt", replacement)
    assert receipt["status"] == "0x1"


async def test_queued_transactions_wait_for_the_gap(rpc):
    later = transfer(nonce=1)
    await rpc.call("eth_sendRawTransaction", raw(later))
    assert await rpc.call("eth_blockNumber") == "0x0"
    assert await rpc.call("txpool_status") == {"pending": "0x0", "queued": "0x1"}
    await rpc.call("eth_sendRawTransaction", raw(transfer(nonce=0)))
    # Automine sealed both: the gap filled.
    assert await rpc.call("eth_getTransactionCount", ACCOUNT0, "latest") == "0x2"
    assert await rpc.call("txpool_status") == {"pending": "0x0", "queued": "0x0"}


async def test_send_transaction_needs_an_unlocked_account(rpc):
    stranger = "0x000000000000000000000000000000000000dEaD"
    error = await rpc.error("eth_sendTransaction", {"from": stranger, "to": ACCOUNT1})
    assert error["code"] == -32000 and "unknown account" in error["message"]


async def test_send_transaction_defaults_and_legacy_price(rpc):
    receipt = await rpc.send({"from": ACCOUNT0, "to": ACCOUNT1, "value": "0x10"})
    tx = await rpc.call("eth_getTransactionByHash", receipt["transactionHash"])
    assert tx["type"] == "0x2" and tx["nonce"] == "0x0" and tx["gas"] == "0x5208"
    receipt = await rpc.send({"from": ACCOUNT0, "to": ACCOUNT1, "gasPrice": hex(5 * GWEI)})
    tx = await rpc.call("eth_getTransactionByHash", receipt["transactionHash"])
    assert tx["type"] == "0x0" and tx["nonce"] == "0x1" and tx["gasPrice"] == hex(5 * GWEI)


async def test_eth_sign_and_personal_sign(rpc):
    message = b"hello pyeth"
    signature = await rpc.call("eth_sign", ACCOUNT0, "0x" + message.hex())
    recovered = Account.recover_message(encode_defunct(message), signature=signature)
    assert recovered.lower() == ACCOUNT0
    assert await rpc.call("personal_sign", "0x" + message.hex(), ACCOUNT0) == signature
    expected = Account.sign_message(encode_defunct(message), KEY0).signature.hex()
    assert signature[2:] == expected.removeprefix("0x")
    error = await rpc.error("eth_sign", "0x000000000000000000000000000000000000dEaD", "0x00")
    assert error["code"] == -32000


TYPED = {
    "types": {
        "EIP712Domain": [
            {"name": "name", "type": "string"},
            {"name": "version", "type": "string"},
            {"name": "chainId", "type": "uint256"},
            {"name": "verifyingContract", "type": "address"},
        ],
        "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
        "Mail": [
            {"name": "from", "type": "Person"},
            {"name": "to", "type": "Person"},
            {"name": "contents", "type": "string"},
        ],
    },
    "primaryType": "Mail",
    "domain": {
        "name": "Ether Mail",
        "version": "1",
        "chainId": 1337,
        "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC",
    },
    "message": {
        "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
        "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
        "contents": "Hello, Bob!",
    },
}


async def test_sign_typed_data_v4(rpc):
    signature = await rpc.call("eth_signTypedData_v4", ACCOUNT1, TYPED)
    expected = Account.sign_message(encode_typed_data(full_message=TYPED), KEY1).signature
    assert signature == "0x" + bytes(expected).hex()
    assert await rpc.call("eth_signTypedData_v4", ACCOUNT1, json.dumps(TYPED)) == signature
    error = await rpc.error("eth_signTypedData_v4", ACCOUNT1, {"types": {}})
    assert error["code"] == -32602

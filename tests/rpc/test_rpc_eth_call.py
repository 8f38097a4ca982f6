"""Contracts through JSON-RPC: deploy the test ERC-20 with eth_sendTransaction, read it with
eth_call, transfer, revert reasons in error.data (code 3), estimation by binary search, state
overrides, access lists, and the block tag of a call."""

import pytest
from eth_abi import decode as abi_decode

from evm.addresses import create_address
from pyeth.calls import ERROR_SELECTOR, ExecutionReverted, revert_message
from pyeth.hashing import keccak256
from tests.helpers.rpc import (
    ACCOUNT0,
    ACCOUNT1,
    TRANSFER_TOPIC,
    calldata,
    decode_uint,
    selector,
    token_deploy_data,
)

SUPPLY = 10**24


async def test_deploy_then_read_back_with_eth_call(rpc):
    receipt = await rpc.send({"from": ACCOUNT0, "data": token_deploy_data(SUPPLY)})
    assert receipt["status"] == "0x1"
    token = receipt["contractAddress"]
    assert receipt["to"] is None and token.startswith("0x") and len(token) == 42
    assert len(receipt["logs"]) == 1 and receipt["logs"][0]["topics"][0] == TRANSFER_TOPIC
    code = await rpc.call("eth_getCode", token, "latest")
    assert len(code) > 2
    supply = await rpc.call("eth_call", {"to": token, "data": calldata("totalSupply()")})
    assert decode_uint(supply) == SUPPLY
    balance = await rpc.call(
        "eth_call", {"to": token, "data": calldata("balanceOf(address)", ACCOUNT0)}, "latest"
    )
    assert decode_uint(balance) == SUPPLY
    name = await rpc.call("eth_call", {"to": token, "data": calldata("name()")})
    assert abi_decode(["string"], bytes.fromhex(name[2:]))[0] == "Test Token"


async def test_transfer_changes_balances_and_storage(rpc):
    token = await rpc.deploy_token(SUPPLY)
    receipt = await rpc.send(
        {"from": ACCOUNT0, "to": token, "data": calldata("transfer(address,uint256)", ACCOUNT1, 5)}
    )
    assert receipt["status"] == "0x1"
    assert int(receipt["gasUsed"], 16) > 21_000
    log = receipt["logs"][0]
    assert log["address"] == token
    assert int(log["data"], 16) == 5
    assert log["transactionHash"] == receipt["transactionHash"]
    balance = await rpc.call(
        "eth_call", {"to": token, "data": calldata("balanceOf(address)", ACCOUNT1)}
    )
    assert decode_uint(balance) == 5
    # balanceOf is slot 1: keccak(pad(address) . pad(1)).
    slot = keccak256(bytes(12) + bytes.fromhex(ACCOUNT1[2:]) + (1).to_bytes(32, "big"))
    word = await rpc.call("eth_getStorageAt", token, "0x" + slot.hex(), "latest")
    assert int(word, 16) == 5


async def test_call_at_an_older_block_sees_the_older_state(rpc):
    token = await rpc.deploy_token(SUPPLY)
    deployed_at = await rpc.call("eth_blockNumber")
    await rpc.send(
        {"from": ACCOUNT0, "to": token, "data": calldata("transfer(address,uint256)", ACCOUNT1, 7)}
    )
    query = {"to": token, "data": calldata("balanceOf(address)", ACCOUNT1)}
    assert decode_uint(await rpc.call("eth_call", query, deployed_at)) == 0
    assert decode_uint(await rpc.call("eth_call", query, "latest")) == 7
    assert decode_uint(await rpc.call("eth_call", query, "pending")) == 7
    block = await rpc.call("eth_getBlockByNumber", deployed_at, False)
    by_hash = await rpc.call("eth_call", query, {"blockHash": block["hash"]})
    assert decode_uint(by_hash) == 0
    error = await rpc.error("eth_call", query, "0xffff")
    assert error["code"] == -32000 and "header not found" in error["message"]


def _error_string(data: str) -> str:
    raw = bytes.fromhex(data[2:])
    assert raw[:4] == ERROR_SELECTOR
    return abi_decode(["string"], raw[4:])[0]


async def test_revert_reason_arrives_as_code_3_with_data(rpc):
    token = await rpc.deploy_token(SUPPLY)
    too_much = calldata("transfer(address,uint256)", ACCOUNT0, 1)
    error = await rpc.error("eth_call", {"from": ACCOUNT1, "to": token, "data": too_much})
    assert error["code"] == 3
    assert error["message"] == "execution reverted: insufficient balance"
    assert _error_string(error["data"]) == "insufficient balance"
    # eth_estimateGas reports the same revert.
    error = await rpc.error("eth_estimateGas", {"from": ACCOUNT1, "to": token, "data": too_much})
    assert error["code"] == 3 and _error_string(error["data"]) == "insufficient balance"
    # So does eth_sendTransaction, which estimates the gas it was not given; nothing is sent.
    count = await rpc.call("eth_getTransactionCount", ACCOUNT1, "latest")
    error = await rpc.error(
        "eth_sendTransaction", {"from": ACCOUNT1, "to": token, "data": too_much}
    )
    assert error["code"] == 3
    assert await rpc.call("eth_getTransactionCount", ACCOUNT1, "latest") == count
    # A custom error: its raw data, and its selector and argument in the message.
    boom = selector("Boom(uint256)")
    for method in ("eth_call", "eth_estimateGas"):
        error = await rpc.error(method, {"to": token, "data": calldata("boom()")})
        assert error["code"] == 3
        assert error["message"] == f"execution reverted: custom error 0x{boom.hex()}(0x2a)"
        assert error["data"] == "0x" + (boom + (42).to_bytes(32, "big")).hex()


async def test_reverted_transaction_is_mined_with_status_0(rpc):
    token = await rpc.deploy_token(SUPPLY)
    too_much = calldata("transfer(address,uint256)", ACCOUNT0, 1)
    receipt = await rpc.send({"from": ACCOUNT1, "to": token, "data": too_much, "gas": "0x186a0"})
    assert receipt["status"] == "0x0"
    assert receipt["logs"] == []


async def test_estimate_is_the_least_gas_that_succeeds(rpc):
    token = await rpc.deploy_token(SUPPLY)
    tx = {"from": ACCOUNT0, "to": token, "data": calldata("transfer(address,uint256)", ACCOUNT1, 1)}
    estimate = int(await rpc.call("eth_estimateGas", tx), 16)
    assert estimate > 21_000
    await rpc.call("eth_call", {**tx, "gas": hex(estimate)})
    error = await rpc.error("eth_call", {**tx, "gas": hex(estimate - 1)})
    assert error["code"] in (-32000, 3)
    plain = await rpc.call("eth_estimateGas", {"from": ACCOUNT0, "to": ACCOUNT1, "value": "0x1"})
    assert plain == "0x5208"


async def test_estimate_covers_the_calldata_floor(rpc):
    # Prague (EIP-7623): 2,000 non-zero bytes cost 21,000 + 16 * 2,000 = 53,000 as calldata
    # but at least 21,000 + 10 * 4 * 2,000 = 101,000 as a floor; a lower limit is invalid.
    tx = {"from": ACCOUNT0, "to": ACCOUNT1, "value": "0x1", "data": "0x" + "01" * 2000}
    assert int(await rpc.call("eth_estimateGas", tx), 16) == 101_000
    await rpc.call("eth_call", {**tx, "gas": hex(101_000)})
    error = await rpc.error("eth_call", {**tx, "gas": hex(100_999)})
    assert error["code"] == -32000 and "intrinsic gas too low" in error["message"]
    receipt = await rpc.send({**tx, "gas": hex(101_000)})
    assert receipt["status"] == "0x1" and int(receipt["gasUsed"], 16) == 101_000


async def test_estimate_with_too_little_gas_allowed_says_so(rpc):
    token = await rpc.deploy_token(SUPPLY)
    tx = {
        "from": ACCOUNT0,
        "to": token,
        "data": calldata("transfer(address,uint256)", ACCOUNT1, 1),
        "gas": "0x6000",
    }
    error = await rpc.error("eth_estimateGas", tx)
    assert error["code"] == -32000 and "gas required exceeds allowance" in error["message"]


async def test_state_overrides_change_only_the_call(rpc):
    token = await rpc.deploy_token(SUPPLY)
    query = {"to": token, "data": calldata("balanceOf(address)", ACCOUNT1)}
    slot = keccak256(bytes(12) + bytes.fromhex(ACCOUNT1[2:]) + (1).to_bytes(32, "big"))
    overrides = {token: {"stateDiff": {"0x" + slot.hex(): "0x" + (99).to_bytes(32, "big").hex()}}}
    assert decode_uint(await rpc.call("eth_call", query, "latest", overrides)) == 99
    assert decode_uint(await rpc.call("eth_call", query, "latest")) == 0
    # A whole-storage replacement empties the other slots (totalSupply is slot 0).
    supply = {"to": token, "data": calldata("totalSupply()")}
    emptied = await rpc.call("eth_call", supply, "latest", {token: {"state": {}}})
    assert decode_uint(emptied) == 0
    # Balance and code overrides.
    poor = "0x000000000000000000000000000000000000dEaD"
    rich = await rpc.call(
        "eth_estimateGas",
        {"from": poor, "to": ACCOUNT1, "value": hex(10**21)},
        "latest",
        {poor: {"balance": hex(10**22)}},
    )
    assert rich == "0x5208"
    code_override = {ACCOUNT1: {"code": "0x602a60005260206000f3"}}  # returns 42
    answer = await rpc.call("eth_call", {"to": ACCOUNT1}, "latest", code_override)
    assert int(answer, 16) == 42
    assert await rpc.call("eth_getCode", ACCOUNT1, "latest") == "0x"
    error = await rpc.error("eth_call", query, "latest", {token: {"state": {}, "stateDiff": {}}})
    assert error["code"] == -32602


async def test_create_access_list_lists_the_slots_touched(rpc):
    token = await rpc.deploy_token(SUPPLY)
    tx = {"from": ACCOUNT0, "to": token, "data": calldata("transfer(address,uint256)", ACCOUNT1, 1)}
    result = await rpc.call("eth_createAccessList", tx)
    assert "error" not in result
    entries = {e["address"]: e["storageKeys"] for e in result["accessList"]}
    assert set(entries) == {token}
    assert len(entries[token]) == 2  # the two balances
    with_list = int(result["gasUsed"], 16)
    plain = int(await rpc.call("eth_estimateGas", tx), 16)
    assert with_list < plain + 2 * 1900  # warm slots paid up front, not more than that


async def test_call_without_funds_for_value_is_refused(rpc):
    error = await rpc.error(
        "eth_call",
        {"from": "0x000000000000000000000000000000000000dEaD", "to": ACCOUNT1, "value": "0x1"},
    )
    assert error["code"] == -32000 and "insufficient funds" in error["message"]


async def test_calls_that_write_leave_the_state_unchanged(rpc):
    token = await rpc.deploy_token(SUPPLY)
    send = {
        "from": ACCOUNT0,
        "to": token,
        "data": calldata("transfer(address,uint256)", ACCOUNT1, 9),
    }
    query = {"to": token, "data": calldata("balanceOf(address)", ACCOUNT1)}
    for _ in range(3):
        assert decode_uint(await rpc.call("eth_call", send)) == 1
        assert decode_uint(await rpc.call("eth_call", query)) == 0
    await rpc.call("eth_estimateGas", send)
    await rpc.call("eth_createAccessList", send)
    assert decode_uint(await rpc.call("eth_call", query)) == 0
    assert await rpc.call("eth_getTransactionCount", ACCOUNT0, "latest") == "0x1"
    # A deployment by eth_call leaves no code behind.
    from_call = await rpc.call("eth_call", {"from": ACCOUNT1, "data": token_deploy_data(5)})
    assert len(from_call) > 2
    would_be = create_address(bytes.fromhex(ACCOUNT1[2:]), 0).hex()
    assert await rpc.call("eth_getCode", "0x" + would_be, "latest") == "0x"


async def test_call_without_gas_is_not_held_to_the_osaka_transaction_cap(rpc):
    # GAS; PUSH0; MSTORE; PUSH1 32; PUSH0; RETURN: the gas the call was given, less 2.
    code_override = {ACCOUNT1: {"code": "0x5a5f5260205ff3"}}
    gas = decode_uint(await rpc.call("eth_call", {"to": ACCOUNT1}, "latest", code_override))
    assert gas > 2**24  # geth's 50M RPC cap; an eth_call is no transaction (EIP-7825)
    estimate = int(await rpc.call("eth_estimateGas", {"to": ACCOUNT1}), 16)
    assert estimate <= 2**24


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


CUSTOM = bytes.fromhex("1167d8fb")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "execution reverted"),
        (
            ERROR_SELECTOR + _word(32) + _word(2) + b"hi".ljust(32, b"\0"),
            "execution reverted: hi",
        ),
        (
            selector("Panic(uint256)") + _word(0x11),
            "execution reverted: arithmetic underflow or overflow",
        ),
        # anvil's words for a selector alone; the arguments as hex numbers when a few words.
        (CUSTOM, "execution reverted: custom error 0x1167d8fb"),
        (
            CUSTOM + _word(100) + _word(500),
            "execution reverted: custom error 0x1167d8fb(0x64, 0x1f4)",
        ),
        (CUSTOM + _word(0) * 4, "execution reverted: custom error 0x1167d8fb(0x0, 0x0, 0x0, 0x0)"),
        (
            CUSTOM + _word(1) * 5,
            "execution reverted: custom error 0x1167d8fb with 160 bytes of arguments "
            "(in the error's data)",
        ),
        (
            CUSTOM + b"\x01\x02\x03",
            "execution reverted: custom error 0x1167d8fb with 3 bytes of arguments "
            "(in the error's data)",
        ),
        # Error(string) data that does not decode is shown as what it is, not dropped.
        (ERROR_SELECTOR + _word(5), "execution reverted: custom error 0x08c379a0(0x5)"),
        (b"\x01\x02", "execution reverted: revert data 0x0102"),
    ],
)
def test_revert_message(data: bytes, message: str) -> None:
    assert revert_message(data) == message
    assert str(ExecutionReverted(data)) == message

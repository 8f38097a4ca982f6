"""End to end: `pyeth node` started as a user starts it, driven by web3.py unmodified over HTTP
and WebSocket: deploy the ERC-20, transfer, read Transfer events through eth_getLogs, a filter
and a subscription, see revert reasons arrive as web3.py's own exceptions, estimate gas, send a
transaction signed by eth-account, and wait for receipts."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

web3 = pytest.importorskip("web3")
from eth_account import Account  # noqa: E402
from web3 import AsyncWeb3, Web3  # noqa: E402
from web3.exceptions import ContractCustomError, ContractLogicError  # noqa: E402

from tests.helpers.rpc import KEY1, TOKEN  # noqa: E402


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def node_url() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "pyeth", "node", "--port", str(port), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pyeth node did not start: {process.stderr.read()!r}")
            time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def test_web3py_over_http(node_url: str) -> None:
    w3 = Web3(Web3.HTTPProvider(f"http://{node_url}"))
    assert w3.is_connected()
    assert w3.eth.chain_id == 1337
    owner, alice = w3.eth.accounts[0], w3.eth.accounts[1]
    assert owner == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert w3.eth.get_balance(alice) == 10_000 * 10**18

    factory = w3.eth.contract(abi=TOKEN["abi"], bytecode=TOKEN["bytecode"])
    deploy_hash = factory.constructor(10**6).transact({"from": owner})
    deployed = w3.eth.wait_for_transaction_receipt(deploy_hash, timeout=10)
    assert deployed.status == 1
    token = w3.eth.contract(address=deployed.contractAddress, abi=TOKEN["abi"])
    assert token.functions.totalSupply().call() == 10**6
    assert token.functions.name().call() == "Test Token"

    new_transfers = token.events.Transfer.create_filter(from_block="latest")
    estimate = token.functions.transfer(alice, 100).estimate_gas({"from": owner})
    assert 30_000 < estimate < 100_000
    tx_hash = token.functions.transfer(alice, 100).transact({"from": owner})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)
    assert receipt.status == 1 and receipt.gasUsed <= estimate
    assert token.functions.balanceOf(alice).call() == 100

    events = token.events.Transfer().get_logs(from_block=0)
    assert [(e.args["to"], e.args["value"]) for e in events] == [(owner, 10**6), (alice, 100)]
    entries = new_transfers.get_new_entries()
    assert len(entries) == 1 and entries[0].args["from"] == owner
    assert entries[0].transactionHash == tx_hash

    with pytest.raises(ContractLogicError, match="insufficient balance"):
        token.functions.transfer(owner, 10**9).call({"from": alice})
    with pytest.raises(ContractLogicError, match="insufficient balance"):
        token.functions.transfer(owner, 10**9).transact({"from": alice})
    with pytest.raises(ContractCustomError):
        token.functions.boom().call()

    # A transaction signed off the node with eth-account, sent raw.
    signer = Account.from_key(KEY1)
    unsigned = token.functions.transfer(owner, 1).build_transaction(
        {"from": signer.address, "nonce": w3.eth.get_transaction_count(signer.address)}
    )
    signed = signer.sign_transaction(unsigned)
    raw_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    assert w3.eth.wait_for_transaction_receipt(raw_hash, timeout=10).status == 1
    assert token.functions.balanceOf(alice).call() == 99
    block = w3.eth.get_block("latest", full_transactions=True)
    assert block.transactions[0]["hash"] == raw_hash


def test_web3py_subscriptions_over_websocket(node_url: str) -> None:
    async def scenario() -> None:
        provider = web3.WebSocketProvider(f"ws://{node_url}")
        async with AsyncWeb3(provider) as w3:
            owner, bob = (await w3.eth.accounts)[:2]
            factory = w3.eth.contract(abi=TOKEN["abi"], bytecode=TOKEN["bytecode"])
            deploy_hash = await factory.constructor(1000).transact({"from": owner})
            receipt = await w3.eth.wait_for_transaction_receipt(deploy_hash, timeout=10)
            token = w3.eth.contract(address=receipt.contractAddress, abi=TOKEN["abi"])
            heads = await w3.eth.subscribe("newHeads")
            logs = await w3.eth.subscribe("logs", {"address": token.address})
            tx_hash = await token.functions.transfer(bob, 7).transact({"from": owner})
            seen: dict[str, object] = {}
            async for message in w3.socket.process_subscriptions():
                seen[message["subscription"]] = message["result"]
                if heads in seen and logs in seen:
                    break
            head = seen[heads]
            log = seen[logs]
            assert head["number"] == (await w3.eth.get_block("latest")).number  # type: ignore[index]
            assert log["transactionHash"] == tx_hash  # type: ignore[index]
            decoded = token.events.Transfer().process_log(log)
            assert decoded.args["to"] == bob and decoded.args["value"] == 7

    asyncio.run(asyncio.wait_for(scenario(), 30))

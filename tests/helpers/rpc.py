"""Helpers for the JSON-RPC tests: a small client over aiohttp's test client, the dev
accounts' well-known keys, and the test ERC-20 (tests/rpc/contracts/Token.sol, compiled into
Token.json by compile.js there) with its calldata."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode

from pyeth.hashing import keccak256

CONTRACTS = Path(__file__).resolve().parents[1] / "rpc" / "contracts"
TOKEN = json.loads((CONTRACTS / "Token.json").read_text())

ACCOUNT0 = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
ACCOUNT1 = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
ACCOUNT2 = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc"
KEY0 = bytes.fromhex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
KEY1 = bytes.fromhex("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")
TRANSFER_TOPIC = "0x" + keccak256(b"Transfer(address,address,uint256)").hex()


def selector(signature: str) -> bytes:
    return keccak256(signature.encode())[:4]


def calldata(signature: str, *args: Any) -> str:
    """0x-hex calldata of `signature` (e.g. "transfer(address,uint256)") with `args`."""
    types = signature[signature.index("(") + 1 : -1]
    encoded = abi_encode(types.split(",") if types else [], list(args))
    return "0x" + (selector(signature) + encoded).hex()


def token_deploy_data(supply: int) -> str:
    return TOKEN["bytecode"] + abi_encode(["uint256"], [supply]).hex()


def decode_uint(result: str) -> int:
    return int(abi_decode(["uint256"], bytes.fromhex(result[2:]))[0])


def topic_address(address: str) -> str:
    return "0x" + "00" * 12 + address[2:].lower()


class OnePeer:
    """What the p2p layer tells a node (`Node.network`) when one peer is connected."""

    def peer_count(self) -> int:
        return 1

    def sync_progress(self) -> None:
        return None


class RpcClient:
    """JSON-RPC over an aiohttp test client: `call` returns the result and fails the test on
    an error; `error` returns the error object and fails the test on a result."""

    def __init__(self, client: Any, path: str = "/") -> None:
        self.client = client
        self.path = path
        self._next_id = 0

    async def post(self, payload: Any) -> Any:
        response = await self.client.post(self.path, json=payload)
        text = await response.text()
        return json.loads(text) if text else None

    async def request(self, method: str, *params: Any) -> dict[str, Any]:
        self._next_id += 1
        payload = {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": list(params)}
        response = await self.post(payload)
        assert response["id"] == self._next_id
        return response  # type: ignore[no-any-return]

    async def call(self, method: str, *params: Any) -> Any:
        response = await self.request(method, *params)
        assert "error" not in response, f"{method}: {response['error']}"
        return response["result"]

    async def error(self, method: str, *params: Any) -> dict[str, Any]:
        response = await self.request(method, *params)
        assert "error" in response, f"{method} should fail, returned {response.get('result')}"
        return response["error"]  # type: ignore[no-any-return]

    async def send(self, tx: dict[str, Any]) -> dict[str, Any]:
        """eth_sendTransaction, then the receipt (automine has sealed it already)."""
        tx_hash = await self.call("eth_sendTransaction", tx)
        receipt = await self.call("eth_getTransactionReceipt", tx_hash)
        assert receipt is not None, "automine should have sealed the transaction"
        return receipt  # type: ignore[no-any-return]

    async def deploy_token(self, supply: int = 10**24, sender: str = ACCOUNT0) -> str:
        receipt = await self.send({"from": sender, "data": token_deploy_data(supply)})
        assert receipt["status"] == "0x1"
        return receipt["contractAddress"]  # type: ignore[no-any-return]

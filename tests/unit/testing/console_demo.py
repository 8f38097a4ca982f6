"""The ConsoleDemo contracts (contracts/ConsoleDemo.sol, compiled by compile_console.js) on a
bare EVM: deploy and call them through evm.interpreter with an optional message hook, without
the harness, so the console and call-tree tests depend on nothing but the EVM and pyeth.state."""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from evm.addresses import create_address
from evm.context import Context, MessageHook
from evm.forks import CANCUN
from evm.frame import BlockEnv, Message, MessageResult, TxEnv
from evm.interpreter import process_create, process_message
from pyeth.hashing import keccak256
from pyeth.state import State

ARTIFACT = Path(__file__).parent / "contracts" / "ConsoleDemo.json"
SENDER = bytes.fromhex("00000000000000000000000000000000000a11ce")
GAS = 5_000_000
BLOCK = BlockEnv(
    coinbase=bytes(20),
    number=1,
    timestamp=1_700_000_000,
    gas_limit=30_000_000,
    prev_randao=bytes(32),
    base_fee=0,
    chain_id=1337,
)


@cache
def artifact(name: str) -> dict[str, Any]:
    contracts: dict[str, dict[str, Any]] = json.loads(ARTIFACT.read_text())["contracts"]
    return contracts[name]


def selector(signature: str) -> bytes:
    return keccak256(signature.encode())[:4]


def word(value: int | bytes) -> bytes:
    if isinstance(value, bytes):
        return value.rjust(32, b"\x00")
    return (value % 2**256).to_bytes(32, "big")


def calldata(signature: str, *args: int | bytes) -> bytes:
    """Calldata for a function of static arguments (uint256, int256, address)."""
    return selector(signature) + b"".join(word(arg) for arg in args)


@dataclass
class DemoChain:
    """A state holding ConsoleDemo (and the ConsoleCallee its constructor creates)."""

    state: State
    demo: bytes
    callee: bytes

    @classmethod
    def deploy(cls, hook: MessageHook | None = None) -> tuple["DemoChain", MessageResult]:
        state = State()
        state.set_balance(SENDER, 10**21)
        state.begin_transaction(warm_accounts=(SENDER, *CANCUN.precompiles))
        demo = create_address(SENDER, 0)
        state.set_nonce(SENDER, 1)
        code = bytes.fromhex(artifact("ConsoleDemo")["bytecode"][2:])
        message = Message(SENDER, demo, demo, 0, b"", GAS, code, is_create=True, kind="CREATE")
        result = process_create(message, _context(state, hook))
        assert result.success, result
        callee = create_address(demo, 1)
        return cls(state, demo, callee), result

    def call(
        self, data: bytes, hook: MessageHook | None = None, value: int = 0, gas: int = GAS
    ) -> MessageResult:
        """Call ConsoleDemo from SENDER in a new transaction (its changes kept on success)."""
        state = self.state
        state.begin_transaction(warm_accounts=(SENDER, self.demo, *CANCUN.precompiles))
        message = Message(SENDER, self.demo, self.demo, value, data, gas, state.get_code(self.demo))
        return process_message(message, _context(state, hook))


def _context(state: State, hook: MessageHook | None) -> Context:
    return Context(state, BLOCK, TxEnv(SENDER, 0), CANCUN, message_hook=hook)

"""Call trees: CallTracer records every message of a run as a CallNode (kind, parties, value,
input, gas, result, console lines and logs on the frame that made them) and format_call_tree
prints it, with a describer's names or with raw addresses, selectors and hex."""

from typing import Any

import pytest
from eth_abi import decode

from evm.context import Context
from evm.forks import CANCUN
from evm.frame import Message, TxEnv
from evm.interpreter import process_message
from pyeth.address import to_checksum_address
from pyeth.hashing import keccak256
from pyeth.state import State
from pyeth.testing.calltree import CallNode, CallTracer, format_call_tree, revert_text
from pyeth.testing.console import ConsoleCollector
from pyeth.transactions.model import LegacyTransaction
from pyeth.transition import apply_transaction
from tests.unit.testing.console_demo import (
    BLOCK,
    SENDER,
    DemoChain,
    artifact,
    calldata,
    selector,
    word,
)


def _signature(item: dict[str, Any]) -> str:
    return f"{item['name']}({','.join(i['type'] for i in item['inputs'])})"


class AbiDescriber:
    """A describer over the ConsoleDemo ABIs, as the harness would build one (eth-abi)."""

    def __init__(self, chain: DemoChain) -> None:
        self.contracts = {chain.demo: "ConsoleDemo", chain.callee: "ConsoleCallee"}

    def _abi(self, address: bytes) -> list[dict[str, Any]]:
        name = self.contracts.get(address)
        return [] if name is None else list(artifact(name)["abi"])

    def _find(self, address: bytes, kind: str, key: bytes) -> dict[str, Any] | None:
        for item in self._abi(address):
            if item["type"] == kind:
                digest = keccak256(_signature(item).encode())
                if (digest if kind == "event" else digest[:4]) == key:
                    return item
        return None

    def label(self, address: bytes) -> str | None:
        return self.contracts.get(address)

    def function(self, address: bytes, data: bytes) -> tuple[str, str] | None:
        item = self._find(address, "function", data[:4])
        if item is None:
            return None
        values = decode([i["type"] for i in item["inputs"]], data[4:])
        return item["name"], ", ".join(str(v) for v in values)

    def result(self, address: bytes, data: bytes, output: bytes, success: bool) -> str | None:
        if success:
            item = self._find(address, "function", data[:4])
            if item is None or not item["outputs"]:
                return None
            values = decode([o["type"] for o in item["outputs"]], output)
            return ", ".join(str(v) for v in values)
        error = self._find(address, "error", output[:4])
        if error is None:
            return None
        values = decode([i["type"] for i in error["inputs"]], output[4:])
        return f"{error['name']}({', '.join(str(v) for v in values)})"

    def event(self, address: bytes, topics: tuple[bytes, ...], data: bytes) -> str | None:
        item = self._find(address, "event", topics[0]) if topics else None
        if item is None:
            return None
        indexed = iter(topics[1:])
        plain = iter(decode([i["type"] for i in item["inputs"] if not i["indexed"]], data))
        args = []
        for param in item["inputs"]:
            if param["indexed"]:
                value: object = decode([param["type"]], next(indexed))[0]
            else:
                value = next(plain)
            args.append(f"{param['name']}: {value}")
        return f"{item['name']}({', '.join(args)})"


def traced(chain: DemoChain, data: bytes, value: int = 0, gas: int = 5_000_000) -> CallNode:
    tracer = CallTracer()
    chain.call(data, tracer, value=value, gas=gas)
    assert tracer.root is not None
    return tracer.root


def test_a_nested_call_is_recorded_with_its_console_lines_and_logs() -> None:
    chain, _ = DemoChain.deploy()
    data = calldata("callAdd(uint256)", 5)
    tracer = CallTracer()
    result = chain.call(data, tracer)
    root = tracer.root
    assert root is not None and result.success
    assert (root.kind, root.depth, root.sender, root.to, root.input) == (
        "CALL",
        0,
        SENDER,
        chain.demo,
        data,
    )
    assert root.finished and root.success and root.error is None
    assert root.gas == 5_000_000 and root.gas_used == 5_000_000 - result.gas_left
    assert root.output == result.output == word(5)
    assert root.console == ["calling add(5)"] and root.console_positions == [0]
    # The root emitted Added itself; the callee's Total is on the callee's node.
    added = keccak256(b"Added(address,uint256)")
    assert [log[1][0] for log in root.logs] == [added] and root.log_positions == [0]
    [child] = root.children
    assert (child.kind, child.depth, child.sender, child.to) == (
        "CALL",
        1,
        chain.demo,
        chain.callee,
    )
    assert child.input == calldata("add(uint256)", 5) and child.output == word(5)
    assert child.console == ["callee add 5"]
    assert [log[1][0] for log in child.logs] == [keccak256(b"Total(uint256)")]
    assert 0 < child.gas_used < child.gas < root.gas
    # Every log of the run is on exactly one node, in the order the EVM kept them.
    assert [log for node in root.walk() for log in node.logs] == result.logs


def test_a_failed_child_keeps_its_revert_data_and_the_parent_goes_on() -> None:
    chain, _ = DemoChain.deploy()
    root = traced(chain, calldata("tryAdd(uint256)", 500))
    assert root.success
    [child] = root.children
    assert not child.success and child.reverted and child.error == "execution reverted"
    assert child.output == selector("TooBig(uint256,uint256)") + word(100) + word(500)
    assert child.console == ["callee add 500"] and child.logs == []
    assert root.console == ["add failed"] and root.console_positions == [1]  # after the call
    assert root.console_lines() == ["callee add 500", "add failed"]


def test_tracer_console_lines_match_the_collector() -> None:
    chain, _ = DemoChain.deploy()
    for data in (
        calldata("logAll()"),
        calldata("tryAdd(uint256)", 500),
        calldata("callAdd(uint256)", 1),
    ):
        collector = ConsoleCollector()
        chain.call(data, collector)
        tracer = CallTracer()
        chain.call(data, tracer)
        assert tracer.console_lines() == collector.lines


def test_a_deployment_is_a_create_with_a_nested_create() -> None:
    tracer = CallTracer()
    chain, result = DemoChain.deploy(tracer)
    root = tracer.root
    assert root is not None
    assert (root.kind, root.to, root.success) == ("CREATE", chain.demo, True)
    assert root.input == bytes.fromhex(artifact("ConsoleDemo")["bytecode"][2:])
    assert root.output == result.output == chain.state.get_code(chain.demo)
    [child] = root.children
    assert (child.kind, child.sender, child.to) == ("CREATE", chain.demo, chain.callee)
    assert child.output == chain.state.get_code(chain.callee)
    assert root.console_positions == [1]  # logged after creating the callee


def test_create2_static_calls_and_value_transfers_are_named_by_kind() -> None:
    chain, _ = DemoChain.deploy()
    root = traced(chain, calldata("create(uint256)", 7))
    [child] = root.children
    assert child.kind == "CREATE2" and child.success and len(child.output) > 0
    root = traced(chain, calldata("divide(uint256,uint256)", 10, 2))
    [child] = root.children
    assert child.kind == "STATICCALL" and child.output == word(5)
    payee = bytes.fromhex("00000000000000000000000000000000000be111")
    root = traced(chain, calldata("pay(address)", payee), value=1234)
    [child] = root.children
    assert (child.kind, child.to, child.value, child.input) == ("CALL", payee, 1234, b"")
    assert root.value == 1234


def test_halts_are_named_as_geth_does() -> None:
    state = State()
    looper = bytes.fromhex("00000000000000000000000000000000000100f0")
    state.set_code(looper, bytes.fromhex("5b5f56"))  # JUMPDEST PUSH0 JUMP: forever
    state.begin_transaction(warm_accounts=(SENDER, looper))
    tracer = CallTracer()
    context = Context(state, BLOCK, TxEnv(SENDER, 0), CANCUN, message_hook=tracer)
    message = Message(SENDER, looper, looper, 0, b"", 10_000, state.get_code(looper))
    result = process_message(message, context)
    root = tracer.root
    assert root is not None and not result.success
    assert (root.error_name, root.error, root.gas_used) == ("OutOfGas", "out of gas", 10_000)
    assert "← [OutOfGas] out of gas" in format_call_tree(root)


def test_the_tree_without_a_describer_shows_addresses_selectors_and_hex() -> None:
    chain, _ = DemoChain.deploy()
    root = traced(chain, calldata("tryAdd(uint256)", 500))
    text = format_call_tree(root)
    demo, callee = to_checksum_address(chain.demo), to_checksum_address(chain.callee)
    lines = text.split("\n")
    assert lines[0] == (
        f"[{root.gas_used}] {demo}::0x{selector('tryAdd(uint256)').hex()}(0x{word(500).hex()})"
    )
    child = root.children[0]
    too_big = f"custom error 0x{selector('TooBig(uint256,uint256)').hex()}"
    assert lines[1:] == [
        f"├─ [{child.gas_used}] {callee}::0x{selector('add(uint256)').hex()}(0x{word(500).hex()})",
        "│  ├─ console.log: callee add 500",
        f"│  └─ ← [Revert] {too_big}(0x{word(100).hex()}{word(500).hex()})",
        "├─ console.log: add failed",
        f"└─ ← [Return] 0x{word(0).hex()}",
    ]


def test_the_tree_with_a_describer_names_contracts_functions_values_and_errors() -> None:
    chain, _ = DemoChain.deploy()
    describer = AbiDescriber(chain)
    root = traced(chain, calldata("callAdd(uint256)", 5))
    child = root.children[0]
    sender = to_checksum_address(SENDER).lower()
    assert format_call_tree(root, describer).split("\n") == [
        f"[{root.gas_used}] ConsoleDemo::callAdd(5)",
        "├─ console.log: calling add(5)",
        f"├─ emit Added(sender: {sender}, amount: 5)",
        f"├─ [{child.gas_used}] ConsoleCallee::add(5)",
        "│  ├─ console.log: callee add 5",
        "│  ├─ emit Total(total: 5)",
        "│  └─ ← [Return] 5",
        "└─ ← [Return] 5",
    ]
    failed = format_call_tree(traced(chain, calldata("tryAdd(uint256)", 500)), describer)
    assert "│  └─ ← [Revert] TooBig(100, 500)" in failed.split("\n")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (calldata("logThenRevert()"), "└─ ← [Revert] stopped here"),
        (
            calldata("divide(uint256,uint256)", 1, 0),
            "│  └─ ← [Revert] panic: division or modulo by zero (0x12)",
        ),
    ],
)
def test_error_strings_and_panics_are_decoded_without_a_describer(
    data: bytes, expected: str
) -> None:
    chain, _ = DemoChain.deploy()
    root = traced(chain, data)
    assert not root.success and root.reverted
    assert expected in format_call_tree(root).split("\n")


def test_creates_values_and_precompiles_in_the_tree() -> None:
    chain, _ = DemoChain.deploy()
    tracer = CallTracer()
    DemoChain.deploy(tracer)
    assert tracer.root is not None
    text = format_call_tree(tracer.root, AbiDescriber(chain))
    first, second = text.split("\n")[:2]
    assert first.endswith(f"→ new ConsoleDemo@{to_checksum_address(chain.demo)}")
    assert second.endswith(f"→ new ConsoleCallee@{to_checksum_address(chain.callee)}")
    lines = text.split("\n")
    assert f"│  └─ ← [Return] {len(chain.state.get_code(chain.callee))} bytes of code" in lines
    assert lines[-1] == f"└─ ← [Return] {len(chain.state.get_code(chain.demo))} bytes of code"
    payee = bytes.fromhex("00000000000000000000000000000000000be111")
    paid = format_call_tree(traced(chain, calldata("pay(address)", payee), value=9))
    assert f"{to_checksum_address(payee)}::fallback{{value: 9}}()" in paid
    identity = (4).to_bytes(20, "big")
    via_precompile = format_call_tree(traced(chain, calldata("pay(address)", identity), value=9))
    assert "├─ [15] PRECOMPILES::identity{value: 9}()" in via_precompile.split("\n")


def test_a_broken_describer_does_not_hide_the_tree() -> None:
    class Broken:
        def label(self, address: bytes) -> str | None:
            raise RuntimeError("boom")

        def function(self, address: bytes, data: bytes) -> tuple[str, str] | None:
            raise RuntimeError("boom")

        def result(self, address: bytes, data: bytes, output: bytes, ok: bool) -> str | None:
            raise RuntimeError("boom")

        def event(self, address: bytes, topics: tuple[bytes, ...], data: bytes) -> str | None:
            raise RuntimeError("boom")

    chain, _ = DemoChain.deploy()
    root = traced(chain, calldata("callAdd(uint256)", 5))
    assert format_call_tree(root, Broken()) == format_call_tree(root)


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"", ""),
        (selector("Error(string)") + word(32) + word(2) + b"hi".ljust(32, b"\x00"), "hi"),
        (selector("Panic(uint256)") + word(0x11), "panic: arithmetic underflow or overflow (0x11)"),
        (selector("Panic(uint256)") + word(0x99), "panic: unknown panic code (0x99)"),
        (bytes.fromhex("cafebabe"), "custom error 0xcafebabe()"),
        (b"\x01\x02", "0x0102"),
    ],
)
def test_revert_text(data: bytes, text: str) -> None:
    assert revert_text(data) == text


def test_a_transaction_can_be_traced_through_apply_transaction() -> None:
    def run(hook: CallTracer | None) -> tuple[int, bool, bytes]:
        chain, _ = DemoChain.deploy()
        state = chain.state
        tx = LegacyTransaction(
            nonce=state.get_nonce(SENDER),
            gas_price=1,
            gas_limit=200_000,
            to=chain.demo,
            value=0,
            data=calldata("callAdd(uint256)", 3),
            v=27,
            r=1,
            s=1,
        )
        outcome = apply_transaction(state, BLOCK, tx, SENDER, CANCUN, message_hook=hook)
        return outcome.gas_used, outcome.success, outcome.output

    tracer = CallTracer()
    traced_outcome = run(tracer)
    assert traced_outcome == run(None) and traced_outcome[1]
    root = tracer.root
    assert root is not None and root.kind == "CALL" and root.depth == 0
    assert [node.kind for node in root.walk()] == ["CALL", "CALL"]
    assert root.gas == 200_000 - (21_000 + 16 * 5 + 4 * 31)  # the intrinsic gas taken first


def test_every_message_kind_becomes_a_node_with_geths_from_and_to() -> None:
    from tests.unit.evm import test_evm_message_hook as program

    tracer = CallTracer()
    result, _state = program._call(tracer)
    root = tracer.root
    assert root is not None and result.success and root.output == result.output
    by_kind = {(node.kind, node.code_address): node for node in root.children}
    delegate = by_kind[("DELEGATECALL", program.LIBRARY)]
    assert (delegate.sender, delegate.to, delegate.address) == (
        program.TARGET,
        program.LIBRARY,
        program.TARGET,
    )
    callcode = by_kind[("CALLCODE", program.LIBRARY)]
    assert (callcode.sender, callcode.to, callcode.value) == (program.TARGET, program.LIBRARY, 2)
    sha = root.children[0].children[0]
    assert (sha.kind, sha.to, sha.depth) == ("STATICCALL", program.SHA256, 2)
    looper = by_kind[("CALL", program.LOOPER)]
    assert (looper.error, looper.gas_used) == ("out of gas", 5_000)
    assert [node.kind for node in root.children] == [
        "CALL",
        "STATICCALL",
        "DELEGATECALL",
        "CALLCODE",
        "CREATE",
        "CREATE2",
        "CALL",
        "CALL",
        "CALL",
    ]
    text = format_call_tree(root).split("\n")
    assert any("PRECOMPILES::sha256(0x616263) [staticcall]" in line for line in text)
    assert any(line.endswith("[delegatecall]") for line in text)
    assert any(line.endswith("[create2]") for line in text)

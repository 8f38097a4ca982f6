"""Call trees: what a transaction called, with what, and how each call ended, recorded through
the EVM's message hook (evm.context.MessageHook) and printed as an indented tree in the manner
of forge's `-vvvv` traces.

`CallTracer` builds a `CallNode` per message (the shape of geth's callTracer frames: kind,
from, to, value, input, gas, gas used, output, error, children), with the console.log lines and
the logs each frame made attached to it. Tracing runs at message boundaries only, so a harness
re-runs a failed transaction with a tracer to show its tree and passing tests pay nothing.

`format_call_tree` prints the tree. With a `CallDescriber` (the harness builds one from the ABIs
and labels it knows) it names contracts and functions, decodes arguments, return values and
custom errors; without one it shows addresses, selectors and hex. Error(string) and
Panic(uint256) revert data are decoded either way.

What the message hook cannot see, the tree does not show: a call that failed before it started
(call depth, insufficient balance, address collision), SELFDESTRUCT's transfer, and the logs of
frames that reverted (the EVM drops them). Where a frame's own logs fall among its child calls
is known only up to the children that logged themselves (see `CallNode.log_positions`).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Protocol

from pyeth.address import to_checksum_address
from pyeth.calls import (
    ERROR_SELECTOR,
    HALT_WORDS,
    PANIC_REASONS,
    PANIC_SELECTOR,
    revert_reason,
)
from pyeth.testing.console import CONSOLE_ADDRESS, describe_console_call

if TYPE_CHECKING:
    from evm.frame import Message, MessageResult

Log = tuple[bytes, tuple[bytes, ...], bytes]
"""(address, topics, data), as the EVM keeps a log."""

# geth's words for why a frame failed, by the EVM error's class name.
ERROR_WORDS: Final = {"Revert": "execution reverted", **HALT_WORDS}

PRECOMPILE_NAMES: Final = {
    (number).to_bytes(20, "big"): name
    for number, name in {
        0x01: "ecrecover",
        0x02: "sha256",
        0x03: "ripemd160",
        0x04: "identity",
        0x05: "modexp",
        0x06: "ecAdd",
        0x07: "ecMul",
        0x08: "ecPairing",
        0x09: "blake2f",
        0x0A: "pointEvaluation",
        0x0B: "bls12G1Add",
        0x0C: "bls12G1Msm",
        0x0D: "bls12G2Add",
        0x0E: "bls12G2Msm",
        0x0F: "bls12PairingCheck",
        0x10: "bls12MapFpToG1",
        0x11: "bls12MapFp2ToG2",
        0x100: "p256Verify",
    }.items()
}

HEX_LIMIT = 96  # bytes of raw data shown before the rest is summed up as a length


@dataclass(slots=True, eq=False)
class CallNode:
    """One message of a traced run.

    `sender` and `to` are as geth's callTracer names them: for DELEGATECALL and CALLCODE the
    account whose code ran the instruction, and the account whose code was called;
    `code_address` is where the code came from (differs from `to` through an EIP-7702
    delegation), `address` the account whose storage and balance the code acted on. For a
    create, `to` is the new address, `input` the init code and, on success, `output` the
    deployed code. `gas` is what the frame was given, `gas_used` what it did not return (all of
    it on an exceptional halt). `error` is geth's wording (None on success) and `error_name`
    the EVM error's class (Revert, OutOfGas, ...). `finished` stays False when the run stopped
    inside this frame (an exception other than the EVM's, such as a deadline).

    `console` holds the console.log lines this frame made, `logs` the logs it emitted itself
    (its children's are on them); `console_positions[i]` / `log_positions[i]` count the child
    calls made before that line / log (for logs: at least that many — see the module note).
    """

    kind: str
    sender: bytes
    to: bytes
    value: int
    input: bytes
    gas: int
    depth: int
    code_address: bytes
    address: bytes
    gas_used: int = 0
    output: bytes = b""
    success: bool = False
    error: str | None = None
    error_name: str | None = None
    finished: bool = False
    console: list[str] = field(default_factory=list)
    console_positions: list[int] = field(default_factory=list)
    logs: list[Log] = field(default_factory=list)
    log_positions: list[int] = field(default_factory=list)
    children: list["CallNode"] = field(default_factory=list)

    @property
    def is_create(self) -> bool:
        return self.kind in ("CREATE", "CREATE2")

    @property
    def reverted(self) -> bool:
        """Ended by REVERT (its gas left returned, `output` the revert data)."""
        return self.error_name == "Revert"

    def walk(self) -> Iterator["CallNode"]:
        """This node and every node below it, depth first, in call order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def items(self) -> Iterator[tuple[str, "str | Log | CallNode"]]:
        """The frame's console lines ("console"), logs ("log") and child calls ("call") in the
        order they happened (a console line before a log made at the same point)."""
        console = list(zip(self.console_positions, self.console, strict=True))
        logs = list(zip(self.log_positions, self.logs, strict=True))
        c = g = 0
        for index, child in enumerate(self.children):
            while c < len(console) and console[c][0] <= index:
                yield "console", console[c][1]
                c += 1
            while g < len(logs) and logs[g][0] <= index:
                yield "log", logs[g][1]
                g += 1
            yield "call", child
        for _position, line in console[c:]:
            yield "console", line
        for _position, log in logs[g:]:
            yield "log", log

    def console_lines(self) -> list[str]:
        """Every console line of this frame and the frames below it, in the order made."""
        lines: list[str] = []
        for what, item in self.items():
            if what == "console":
                assert isinstance(item, str)
                lines.append(item)
            elif what == "call":
                assert isinstance(item, CallNode)
                lines.extend(item.console_lines())
        return lines


class CallTracer:
    """A message hook that records the run as a tree of `CallNode`s (`root`).

    Calls to the console address become console lines of the calling frame rather than nodes.
    One tracer records one run (a transaction or a call); use a new one for the next.
    """

    __slots__ = ("root", "_stack")

    def __init__(self) -> None:
        self.root: CallNode | None = None
        self._stack: list[CallNode | None] = []  # None: an open console call

    def enter(self, message: "Message") -> None:
        stack = self._stack
        if message.code_address == CONSOLE_ADDRESS and stack and not message.is_create:
            parent = stack[-1]
            if parent is not None:
                parent.console.append(describe_console_call(message.data))
                parent.console_positions.append(len(parent.children))
            stack.append(None)
            return
        kind = message.kind
        if kind in ("DELEGATECALL", "CALLCODE"):
            sender, to = message.target, message.code_address
        else:
            sender, to = message.caller, message.target
        node = CallNode(
            kind=kind,
            sender=sender,
            to=to,
            value=message.value,
            input=message.code if message.is_create else message.data,
            gas=message.gas,
            depth=message.depth,
            code_address=message.code_address,
            address=message.target,
        )
        if stack:
            parent = stack[-1]
            if parent is not None:
                parent.children.append(node)
        elif self.root is None:
            self.root = node
        stack.append(node)

    def exit(self, message: "Message", result: "MessageResult") -> None:
        node = self._stack.pop()
        if node is None:
            return
        node.finished = True
        node.success = result.success
        node.gas_used = message.gas - result.gas_left
        node.output = result.output
        if result.error is not None and not result.success:
            name = type(result.error).__name__
            node.error_name = name
            node.error = ERROR_WORDS.get(name, name)
        elif not result.success:
            node.error_name = node.error = "failed"
        if result.success and result.logs:
            _own_logs(node, result.logs)

    def console_lines(self) -> list[str]:
        """Every console line of the run, in the order made."""
        return [] if self.root is None else self.root.console_lines()


def _own_logs(node: CallNode, logs: list[Log]) -> None:
    """Split a successful frame's logs (its own and its successful children's, in order) into
    its own, each with the number of children known to have run before it."""
    child_runs = [
        (index + 1, child_logs)
        for index, child in enumerate(node.children)
        if child.success and (child_logs := _all_logs(child))
    ]
    run = 0  # the child whose logs come next
    within = 0
    position = 0
    for log in logs:
        if run < len(child_runs) and log is child_runs[run][1][within]:
            within += 1
            if within == len(child_runs[run][1]):
                position = child_runs[run][0]
                run += 1
                within = 0
            continue
        node.logs.append(log)
        node.log_positions.append(position)


def _all_logs(node: CallNode) -> list[Log]:
    """The logs a successful node passed up: its own and its successful children's, in order."""
    out: list[Log] = []
    for what, item in node.items():
        if what == "log":
            assert isinstance(item, tuple)
            out.append(item)
        elif what == "call":
            assert isinstance(item, CallNode)
            if item.success:
                out.extend(_all_logs(item))
    return out


# --- describing ----------------------------------------------------------------------------


class CallDescriber(Protocol):
    """What the harness knows about contracts, for naming things in a call tree. Each method
    answers None when it does not know, and the tree falls back to raw data.

    A describer may also have `event(address, topics, data) -> str | None` to name logs
    (e.g. `Transfer(from: 0x…, to: 0x…, value: 5)`); it is looked up, not required.
    """

    def label(self, address: bytes) -> str | None:
        """A name for the account (a contract's name or a label set on the chain)."""

    def function(self, address: bytes, calldata: bytes) -> tuple[str, str] | None:
        """(function name, arguments as text) for a call to the code at `address`."""

    def result(self, address: bytes, calldata: bytes, output: bytes, success: bool) -> str | None:
        """The decoded return value (success) or error (failure, e.g. a custom error)."""


def format_call_tree(root: CallNode, describer: CallDescriber | None = None) -> str:
    """The tree as text, one line per call, console line, log and result:

        [51234] ConsoleDemo::callAdd(5)
        ├─ console.log: calling add(5)
        ├─ emit Added(sender: 0x…, amount: 5)
        ├─ [8101] ConsoleCallee::add(5)
        │  ├─ console.log: callee add 5
        │  └─ ← [Return] 5
        └─ ← [Return] 5

    Gas in brackets is what each frame used. A describer that raises is ignored (the tree is
    usually printed while another error is being reported).
    """
    out: list[str] = []
    _format_node(root, _SafeDescriber(describer), "", "", out)
    return "\n".join(out)


class _SafeDescriber:
    """The describer's answers, or None when there is none, it does not know, or it fails."""

    def __init__(self, describer: CallDescriber | None) -> None:
        self._describer = describer

    def label(self, address: bytes) -> str | None:
        try:
            return None if self._describer is None else self._describer.label(address)
        except Exception:  # a broken describer must not hide the failure being shown
            return None

    def function(self, address: bytes, calldata: bytes) -> tuple[str, str] | None:
        try:
            return None if self._describer is None else self._describer.function(address, calldata)
        except Exception:
            return None

    def result(self, address: bytes, calldata: bytes, output: bytes, success: bool) -> str | None:
        if self._describer is None:
            return None
        try:
            return self._describer.result(address, calldata, output, success)
        except Exception:
            return None

    def event(self, address: bytes, topics: tuple[bytes, ...], data: bytes) -> str | None:
        event = getattr(self._describer, "event", None)
        if event is None:
            return None
        try:
            text = event(address, topics, data)
        except Exception:
            return None
        return None if text is None else str(text)


def _format_node(
    node: CallNode, describer: _SafeDescriber, first: str, rest: str, out: list[str]
) -> None:
    out.append(first + _header(node, describer))
    items: list[tuple[str, object]] = [*node.items(), ("result", None)]
    for index, (what, item) in enumerate(items):
        last = index == len(items) - 1
        branch, cont = ("└─ ", "   ") if last else ("├─ ", "│  ")
        if what == "call":
            assert isinstance(item, CallNode)
            _format_node(item, describer, rest + branch, rest + cont, out)
            continue
        if what == "console":
            text = f"console.log: {item}" if item else "console.log:"
        elif what == "log":
            assert isinstance(item, tuple)
            text = "emit " + _event(item, describer)
        else:
            text = "← " + _result(node, describer)
        lines = text.split("\n")
        out.append(rest + branch + lines[0])
        out.extend(rest + cont + line for line in lines[1:])


def _name(address: bytes, describer: _SafeDescriber) -> str:
    label = describer.label(address)
    if label:
        return label
    if address in PRECOMPILE_NAMES:
        return "PRECOMPILES"
    return to_checksum_address(address)


def _header(node: CallNode, describer: _SafeDescriber) -> str:
    value = f"{{value: {node.value}}}" if node.value and node.kind != "DELEGATECALL" else ""
    if node.is_create:
        label = describer.label(node.to)
        what = f"{label}@{to_checksum_address(node.to)}" if label else to_checksum_address(node.to)
        suffix = " [create2]" if node.kind == "CREATE2" else ""
        return f"[{node.gas_used}] → new {what}{value}{suffix}"
    target = _name(node.to, describer)
    described = describer.function(node.code_address, node.input)
    if described is None and node.code_address in PRECOMPILE_NAMES:
        described = (PRECOMPILE_NAMES[node.code_address], _hex(node.input) if node.input else "")
    if described is None:
        described = _raw_function(node.input)
    name, args = described
    suffix = f" [{node.kind.lower()}]" if node.kind != "CALL" else ""
    return f"[{node.gas_used}] {target}::{name}{value}({args}){suffix}"


def _raw_function(calldata: bytes) -> tuple[str, str]:
    if len(calldata) < 4:
        return "fallback", _hex(calldata) if calldata else ""
    return "0x" + calldata[:4].hex(), _hex(calldata[4:]) if len(calldata) > 4 else ""


def _result(node: CallNode, describer: _SafeDescriber) -> str:
    if not node.finished:
        return "[Incomplete] the run stopped inside this call"
    if node.success:
        if node.is_create:
            return f"[Return] {len(node.output)} bytes of code"
        decoded = describer.result(node.code_address, node.input, node.output, True)
        if decoded is not None:
            return f"[Return] {decoded}"
        return f"[Return] {_hex(node.output)}" if node.output else "[Stop]"
    if node.reverted:
        decoded = None
        if not node.is_create:
            decoded = describer.result(node.code_address, node.input, node.output, False)
        reason = decoded if decoded is not None else revert_text(node.output)
        return f"[Revert] {reason}" if reason else "[Revert]"
    return f"[{node.error_name}] {node.error}"


def revert_text(data: bytes) -> str:
    """Revert data as text: an Error(string)'s message, a Panic(uint256)'s meaning and code,
    or the selector and hex of anything else (a custom error nobody described)."""
    if not data:
        return ""
    if data[:4] == ERROR_SELECTOR:
        reason = revert_reason(data)
        if reason is not None:
            return reason
    if data[:4] == PANIC_SELECTOR and len(data) == 36:
        code = int.from_bytes(data[4:], "big")
        meaning = PANIC_REASONS.get(code, "unknown panic code")
        return f"panic: {meaning} ({code:#04x})"
    if len(data) >= 4:
        rest = f"({_hex(data[4:])})" if len(data) > 4 else "()"
        return f"custom error 0x{data[:4].hex()}{rest}"
    return _hex(data)


def _event(log: Log, describer: _SafeDescriber) -> str:
    address, topics, data = log
    decoded = describer.event(address, topics, data)
    if decoded is not None:
        return decoded
    parts = [f"topic{index}: 0x{topic.hex()}" for index, topic in enumerate(topics)]
    parts.append(f"data: {_hex(data)}")
    return f"log{len(topics)}({', '.join(parts)})"


def _hex(data: bytes) -> str:
    if len(data) <= HEX_LIMIT:
        return "0x" + data.hex()
    return f"0x{data[:HEX_LIMIT].hex()}… ({len(data)} bytes)"

"""`pyeth run`: execute bytecode as one message call against an in-memory state, like geth's
`evm run`.

The code is installed at a fixed receiver address and called from the sender with the input,
gas and value given; nothing else exists (no intrinsic gas, no fees, no refund). It prints the
return data, the gas used and the error if any. `--trace` prints one geth struct-log JSON line
per step and a summary line; `--bench` times repeated runs on fresh states. Exit status: 0 when
the execution succeeded, 1 when it reverted or halted, 2 for malformed arguments.

Gas is written as geth's `evm` writes it: a hex string ("0x5208") in every JSON output (the
struct logs, their summary line and the `--bench` line, as geth's JSON logger's `gasUsed`), a
decimal number in the plain text ("gas used: 21000", as geth's "EVM gas used: 21000").
"""

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from evm.context import Context
from evm.errors import (
    InvalidContract,
    InvalidJump,
    InvalidOpcode,
    OutOfGas,
    PrecompileFailure,
    ReturnDataOutOfBounds,
    Revert,
    StackOverflow,
    StackUnderflow,
    StaticWrite,
)
from evm.forks import FORKS, ForkRules, rules_for
from evm.frame import BlockEnv, Message, MessageResult, TxEnv
from evm.interpreter import process_message
from evm.tracing import StepHook, StructLogger
from pyeth.state import State

# geth's `evm run` defaults: the ASCII of "sender" and "receiver" as addresses.
DEFAULT_SENDER = bytes.fromhex("000000000000000000000000000073656e646572")
RECEIVER = bytes.fromhex("0000000000000000000000007265636569766572")
DEFAULT_GAS = 10_000_000_000
BENCH_MIN_RUNS = 10
BENCH_MIN_SECONDS = 1.0
BENCH_MAX_SECONDS = 10.0

# geth's wording for the same failures, so traces read alike.
ERROR_MESSAGES: dict[type[Exception], str] = {
    Revert: "execution reverted",
    OutOfGas: "out of gas",
    StackUnderflow: "stack underflow",
    StackOverflow: "stack limit reached 1024",
    InvalidOpcode: "invalid opcode",
    InvalidJump: "invalid jump destination",
    StaticWrite: "write protection",
    ReturnDataOutOfBounds: "return data out of bounds",
    InvalidContract: "invalid code: must not begin with 0xef",
    PrecompileFailure: "precompile failed",
}


class UsageError(ValueError):
    """A malformed argument: reported on stderr with exit status 2."""


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "run",
        help="run EVM bytecode as a message call (like geth's `evm run`)",
        description=(
            "Run bytecode as a message call against an in-memory state: the code is installed "
            f"at 0x{RECEIVER.hex()} and called by the sender. Prints the return data, the gas "
            "used and the error if any. Exit status 0 on success, 1 when the execution reverted "
            "or halted, 2 for malformed arguments."
        ),
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--code", metavar="HEX", help="the bytecode, hex (0x optional)")
    source.add_argument(
        "--codefile", metavar="PATH", help="a file holding the bytecode as hex ('-' for stdin)"
    )
    parser.add_argument("--input", metavar="HEX", default="", help="calldata, hex (default: none)")
    parser.add_argument(
        "--gas", metavar="N", default=str(DEFAULT_GAS), help=f"gas limit (default: {DEFAULT_GAS})"
    )
    parser.add_argument("--value", metavar="N", default="0", help="wei sent with the call")
    parser.add_argument(
        "--sender", metavar="ADDR", default="0x" + DEFAULT_SENDER.hex(), help="the caller"
    )
    newest = list(FORKS)[-1]  # as `pyeth node` and geth's `evm run`: the latest rules
    parser.add_argument(
        "--fork", default=newest, help=f"fork rules ({', '.join(FORKS)}; default: {newest})"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--trace", action="store_true", help="print a geth struct-log JSON line per step"
    )
    mode.add_argument(
        "--bench",
        action="store_true",
        help=(
            f"time the execution: a warm-up run, then at least {BENCH_MIN_RUNS} runs and "
            f"{BENCH_MIN_SECONDS:g} s (at most {BENCH_MAX_SECONDS:g} s), each on a fresh state; "
            "prints the median seconds per run as JSON (gas in hex, as in --trace)"
        ),
    )
    parser.set_defaults(handler=handle)


# --- arguments ----------------------------------------------------------------------------


def parse_hex(text: str, what: str) -> bytes:
    """Hex data with or without 0x, surrounding whitespace ignored."""
    body = text.strip()
    if body[:2] in ("0x", "0X"):
        body = body[2:]
    if len(body) % 2:
        raise UsageError(f"{what}: hex data has an odd number of digits")
    try:
        return bytes.fromhex(body)
    except ValueError:
        raise UsageError(f"{what}: not hex: {text[:40]!r}") from None


def parse_quantity(text: str, what: str, bits: int) -> int:
    """A non-negative integer of at most `bits` bits, in decimal or 0x-hex."""
    try:
        value = int(text, 16) if text[:2] in ("0x", "0X") else int(text, 10)
    except ValueError:
        raise UsageError(f"{what}: not a number: {text[:40]!r}") from None
    if value < 0:
        raise UsageError(f"{what}: must not be negative")
    if value >> bits:
        raise UsageError(f"{what}: at most 2**{bits} - 1")
    return value


def parse_address(text: str, what: str) -> bytes:
    address = parse_hex(text, what)
    if len(address) != 20:
        raise UsageError(f"{what}: an address has 20 bytes, got {len(address)}")
    return address


def read_code(args: argparse.Namespace) -> bytes:
    if args.code is not None:
        return parse_hex(args.code, "--code")
    if args.codefile is None:
        raise UsageError("give the bytecode with --code HEX or --codefile PATH")
    if args.codefile == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(args.codefile).read_text()
        except OSError as exc:
            raise UsageError(f"--codefile: cannot read {args.codefile}: {exc.strerror}") from None
    return parse_hex(text, f"--codefile {args.codefile}")


# --- execution ----------------------------------------------------------------------------


class Run:
    """One configured execution; `prepare()` gives a fresh state and message to run."""

    def __init__(
        self, code: bytes, data: bytes, gas: int, value: int, sender: bytes, rules: ForkRules
    ) -> None:
        self.code = code
        self.data = data
        self.gas = gas
        self.value = value
        self.sender = sender
        self.rules = rules
        self.block = BlockEnv(
            coinbase=bytes(20),
            number=1,
            timestamp=0,
            gas_limit=max(gas, 30_000_000),
            prev_randao=bytes(32),
            base_fee=0,
            chain_id=1,
        )

    def prepare(self, tracer: StepHook | None = None) -> tuple[Message, Context]:
        state = State()
        state.set_code(RECEIVER, self.code)
        if self.value:
            state.set_balance(self.sender, self.value)  # just enough to send the value
        # As in a transaction: the sender, the receiver, the coinbase (EIP-3651) and the
        # precompiles start warm.
        warm = (self.sender, RECEIVER, self.block.coinbase, *self.rules.precompiles)
        state.begin_transaction(warm_accounts=warm)
        message = Message(
            caller=self.sender,
            target=RECEIVER,
            code_address=RECEIVER,
            value=self.value,
            data=self.data,
            gas=self.gas,
            code=self.code,
        )
        return message, Context(state, self.block, TxEnv(self.sender, 0), self.rules, tracer)

    def execute(self, tracer: StepHook | None = None) -> MessageResult:
        message, context = self.prepare(tracer)
        return process_message(message, context)


def json_gas(gas: int) -> str:
    """A gas amount in a JSON output: a hex string, as geth's JSON outputs have it."""
    return hex(gas)


def error_text(result: MessageResult) -> str:
    """geth's words for why the execution failed; "" when it succeeded."""
    if result.success:
        return ""
    error = result.error
    if error is None:
        return "execution failed"
    for kind in type(error).__mro__:
        if kind in ERROR_MESSAGES:
            detail = str(error)
            return ERROR_MESSAGES[kind] + (f": {detail}" if detail and kind is not Revert else "")
    return type(error).__name__


def benchmark(
    run: Run, clock: Callable[[], float] = time.perf_counter
) -> tuple[MessageResult, list[float]]:
    """A warm-up run, then runs on fresh states until both the minimum count and time are met
    (or the time cap is reached); returns the last result and each run's seconds."""
    result = run.execute()
    timings: list[float] = []
    spent = 0.0
    while (
        len(timings) < BENCH_MIN_RUNS or spent < BENCH_MIN_SECONDS
    ) and spent < BENCH_MAX_SECONDS:
        message, context = run.prepare()
        started = clock()
        result = process_message(message, context)
        elapsed = clock() - started
        timings.append(elapsed)
        spent += elapsed
    return result, timings


def handle(args: argparse.Namespace) -> int:
    try:
        code = read_code(args)
        run = Run(
            code=code,
            data=parse_hex(args.input, "--input"),
            gas=parse_quantity(args.gas, "--gas", 64),  # gas is a uint64, as in every client
            value=parse_quantity(args.value, "--value", 256),
            sender=parse_address(args.sender, "--sender"),
            rules=rules_for(args.fork),
        )
    except (UsageError, ValueError) as exc:
        print(f"pyeth run: {exc}", file=sys.stderr)
        return 2

    if args.bench:
        result, timings = benchmark(run)
        line = {
            "output": "0x" + result.output.hex(),
            "gasUsed": json_gas(run.gas - result.gas_left),
            "seconds": statistics.median(timings),
            "runs": len(timings),
        }
        print(json.dumps(line))
    elif args.trace:
        logger = StructLogger(lambda step: print(json.dumps(step, separators=(",", ":"))))
        result = run.execute(logger)
        logger.finish()
        summary = {
            "output": "0x" + result.output.hex(),
            "gasUsed": json_gas(run.gas - result.gas_left),
            "error": error_text(result),
        }
        print(json.dumps(summary, separators=(",", ":")))
    else:
        result = run.execute()
        print(f"output: 0x{result.output.hex()}")
        print(f"gas used: {run.gas - result.gas_left}")
        if not result.success:
            print(f"error: {error_text(result)}")
    return 0 if result.success else 1

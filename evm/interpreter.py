"""The interpreter: the dispatch loop and the processing of message calls and creations.

The loop checks stack bounds and charges static gas from the fork's 256-slot tables before it
calls the opcode's handler, so handlers stay one or two lines. Calls nest by recursion: each EVM
call level costs a handful of Python frames, so the recursion limit is raised to fit 1024 levels.
"""

import os
import sys

from evm.analysis import CodeAnalysis, analyse
from evm.compiler import MAX_BLOCK_INSTRUCTIONS, compile_block
from evm.context import Context
from evm.errors import (
    ExceptionalHalt,
    InvalidContract,
    OutOfGas,
    Revert,
    StackOverflow,
    StackUnderflow,
)
from evm.frame import Frame, Message, MessageResult
from evm.gas import GAS_CODE_DEPOSIT
from evm.instructions.flow import Stop
from evm.state import WorldState
from evm.tracing import run_traced

# Each EVM call level uses about seven Python frames (loop, opcode, call helper, process,
# execute, run frame).
_PYTHON_FRAMES_PER_CALL = 9
sys.setrecursionlimit(max(sys.getrecursionlimit(), 1100 * _PYTHON_FRAMES_PER_CALL + 2000))

RIPEMD160_ADDRESS = (3).to_bytes(20, "big")

# A basic block is compiled once it has run this many instructions interpreted: compiling one
# costs about as much as interpreting a few hundred instructions, so code that runs once or
# twice is never compiled. PYETH_EVM_COMPILE=0 runs the plain table loop everywhere: the
# reference the compiler is tested against.
COMPILE_BLOCKS = os.environ.get("PYETH_EVM_COMPILE", "1") != "0"
COMPILE_AFTER_INSTRUCTIONS = 200
ENTRY_WEIGHT = 25  # each cold entry also counts as this many instructions of dispatch overhead


def address_collides(state: WorldState, address: bytes) -> bool:
    """A create may not land on an account with code, a nonce or storage (EIP-684, EIP-7610)."""
    return (
        state.get_nonce(address) != 0 or bool(state.get_code(address)) or state.has_storage(address)
    )


def _run(frame: Frame) -> None:
    """The table loop over the whole code: the reference semantics (PYETH_EVM_COMPILE=0).

    Runs until a handler raises Stop, Revert or an ExceptionalHalt.
    """
    pc = 0
    while True:
        pc = _interpret_block(frame, pc)[0]


def _interpret_block(frame: Frame, start: int) -> tuple[int, int]:
    """Run the basic block at `start` with the table: check the stack bounds and charge the
    static gas of each instruction, then call its handler.

    Returns the pc to continue at and the number of instructions run.
    """
    rules = frame.context.rules
    handlers = rules.handlers
    static_gas = rules.static_gas
    min_stack = rules.min_stack
    max_stack = rules.max_stack
    ends_block = rules.ends_block
    code = frame.code
    stack = frame.stack
    frame.pc = start
    count = 0
    while True:
        op = code[frame.pc]
        depth = len(stack)
        if depth < min_stack[op]:
            raise StackUnderflow
        if depth > max_stack[op]:
            raise StackOverflow
        gas_left = frame.gas_left - static_gas[op]
        if gas_left < 0:
            raise OutOfGas
        frame.gas_left = gas_left
        frame.pc += 1
        handlers[op](frame)
        count += 1
        if ends_block[op] or count == MAX_BLOCK_INSTRUCTIONS:
            return frame.pc, count


def run_blocks(frame: Frame, analysis: CodeAnalysis) -> None:
    """The fast loop: run compiled basic blocks; a block is interpreted until it has run
    COMPILE_AFTER_INSTRUCTIONS instructions in all, then compiled."""
    rules = frame.context.rules
    blocks = analysis.blocks.setdefault(rules.name, {})
    work = analysis.block_entries.setdefault(rules.name, {})
    stack = frame.stack
    pc = 0
    while True:
        block = blocks.get(pc)
        if block is not None:
            pc = block(frame, stack)
            continue
        done = work.get(pc, 0)
        if done < COMPILE_AFTER_INSTRUCTIONS:
            # The entry is counted before the block runs: a block that halts (RETURN, STOP,
            # REVERT) leaves by raising, and would otherwise never count towards compilation.
            start = pc
            work[start] = done + ENTRY_WEIGHT
            pc, count = _interpret_block(frame, pc)
            work[start] += count
        else:
            block = blocks[pc] = compile_block(
                analysis.padded, analysis.jumpdests, analysis.push_values, pc, rules
            )
            pc = block(frame, stack)


def execute(message: Message, context: Context) -> MessageResult:
    """Run the message's code (or precompile) with no state snapshot of its own."""
    precompile = context.rules.precompiles.get(message.code_address)
    if precompile is not None and not message.is_create and not message.disable_precompiles:
        try:
            cost = precompile.gas(message.data)
            if cost > message.gas:
                raise OutOfGas
            output = precompile.run(message.data)
        except ExceptionalHalt as error:
            return MessageResult(False, 0, b"", error=error)
        return MessageResult(True, message.gas - cost, output)
    if not message.code:
        return MessageResult(True, message.gas, b"")
    analysis = analyse(message.code)
    frame = Frame(
        message,
        context,
        analysis.padded,
        analysis.jumpdests,
        analysis.push_values,
        message.gas,
    )
    if context.rules.selfdestruct_refund:
        context.destroy_sets.append(frame.to_destroy)
        try:
            return _run_frame(frame, analysis)
        finally:
            context.destroy_sets.pop()
    return _run_frame(frame, analysis)


def _run_frame(frame: Frame, analysis: CodeAnalysis) -> MessageResult:
    """Run `frame` to its end; the result it leaves."""
    context = frame.context
    try:
        if context.tracer is None:
            if COMPILE_BLOCKS:
                run_blocks(frame, analysis)
            else:
                _run(frame)
        else:
            run_traced(frame, context.tracer)
    except Stop:
        return MessageResult(
            True,
            frame.gas_left,
            frame.output,
            frame.refund,
            frame.logs,
            frame.to_destroy,
            frame.touched,
        )
    except Revert as error:
        return MessageResult(False, frame.gas_left, frame.output, error=error)
    except ExceptionalHalt as error:
        return MessageResult(False, 0, b"", error=error)
    raise AssertionError("unreachable: the loop only ends by raising")


def _with_touched_target(result: MessageResult, state: WorldState, target: bytes) -> None:
    """EIP-161: an empty account that a successful message touched is deleted at the end."""
    if result.success:
        if state.account_exists(target) and state.is_empty(target):
            result.touched.add(target)
    elif target == RIPEMD160_ADDRESS and state.account_exists(target) and state.is_empty(target):
        # Mainnet block 2675119 deleted the empty 0x03 account although the call failed;
        # every client keeps that consensus quirk.
        result.touched.add(target)


def process_message(message: Message, context: Context) -> MessageResult:
    """Run a message call: move the value, execute, and undo everything if it fails."""
    # A create's own hook calls are made by process_create, around its code deposit.
    hook = context.message_hook
    if hook is not None and not message.is_create:
        hook.enter(message)
    state = context.state
    snapshot = state.snapshot()
    if message.should_transfer_value and message.value:
        state.set_balance(message.caller, state.get_balance(message.caller) - message.value)
        state.set_balance(message.target, state.get_balance(message.target) + message.value)
    result = execute(message, context)
    if not result.success:
        state.revert(snapshot)
    _with_touched_target(result, state, message.target)
    if hook is not None and not message.is_create:
        hook.exit(message, result)
    return result


def process_create(message: Message, context: Context) -> MessageResult:
    """Run a contract creation: execute the init code, then pay for and install its output."""
    hook = context.message_hook
    if hook is not None:
        hook.enter(message)
    state = context.state
    snapshot = state.snapshot()
    state.mark_created(message.target)
    state.set_nonce(message.target, 1)
    result = process_message(message, context)
    if result.success:
        code = result.output
        try:
            if code and code[0] == 0xEF and context.rules.reject_ef_code:
                raise InvalidContract("code may not start with 0xEF (EIP-3541)")
            if len(code) > context.rules.max_code_size:
                raise OutOfGas
            deposit = GAS_CODE_DEPOSIT * len(code)
            if deposit > result.gas_left:
                raise OutOfGas
        except ExceptionalHalt as error:
            state.revert(snapshot)
            result = MessageResult(False, 0, b"", error=error)
        else:
            result.gas_left -= deposit
            state.set_code(message.target, code)
            result.created_address = message.target
    else:
        state.revert(snapshot)
    if hook is not None:
        hook.exit(message, result)
    return result

"""System: CREATE, CREATE2, CALL, CALLCODE, DELEGATECALL, STATICCALL, RETURN, REVERT, INVALID,
SELFDESTRUCT. These build child messages and hand them to the interpreter, which runs them by
recursion (the 1024 call-depth limit keeps Python's stack bounded; see evm.interpreter)."""

from typing import NamedTuple

from evm import interpreter
from evm.addresses import create2_address, create_address
from evm.delegation import delegated_address
from evm.errors import InvalidOpcode, OutOfGas, Revert, StaticWrite
from evm.frame import Frame, Message, MessageResult
from evm.gas import (
    GAS_CALL_STIPEND,
    GAS_CALL_VALUE,
    GAS_COLD_ACCOUNT_ACCESS,
    GAS_KECCAK256_WORD,
    GAS_NEW_ACCOUNT,
    GAS_SELFDESTRUCT_NEW_ACCOUNT,
    GAS_WARM_ACCESS,
)
from evm.instructions.common import (
    charge,
    expand_memory,
    expansion_cost,
    grow_memory,
    to_address,
)
from evm.instructions.flow import Stop

STACK_DEPTH_LIMIT = 1024
MAX_NONCE = 2**64 - 1


def _all_but_one_64th(gas: int) -> int:
    """EIP-150: a child gets at most all but one 64th of the gas left."""
    return gas - gas // 64


def _absorb(frame: Frame, child: MessageResult) -> None:
    """Take back a finished child's unused gas, and on success its logs, refund and sets."""
    frame.gas_left += child.gas_left
    if child.success:
        frame.logs.extend(child.logs)
        frame.refund += child.refund
        frame.to_destroy.update(child.to_destroy)
        frame.touched.update(child.touched)


# --- creation ---------------------------------------------------------------------------


def _create(frame: Frame, value: int, offset: int, size: int, salt: int | None) -> None:
    """The part CREATE and CREATE2 share once their gas is charged and memory grown."""
    message = frame.message
    context = frame.context
    state = context.state
    init_code = bytes(frame.memory[offset : offset + size])
    limit = context.rules.max_initcode_size
    if limit is not None and size > limit:
        raise OutOfGas
    sender = message.target
    if salt is None:
        new_address = create_address(sender, state.get_nonce(sender))
    else:
        new_address = create2_address(sender, salt, init_code)
    state.warm_account(new_address)
    child_gas = _all_but_one_64th(frame.gas_left)
    frame.gas_left -= child_gas
    if message.is_static:
        raise StaticWrite
    frame.return_data = b""
    sender_nonce = state.get_nonce(sender)
    if (
        state.get_balance(sender) < value
        or sender_nonce == MAX_NONCE
        or message.depth + 1 > STACK_DEPTH_LIMIT
    ):
        frame.gas_left += child_gas
        frame.stack.append(0)
        return
    state.set_nonce(sender, sender_nonce + 1)
    if interpreter.address_collides(state, new_address):
        frame.stack.append(0)  # the child's gas is consumed
        return
    child_message = Message(
        caller=sender,
        target=new_address,
        code_address=new_address,
        value=value,
        data=b"",
        gas=child_gas,
        code=init_code,
        depth=message.depth + 1,
        is_create=True,
        kind="CREATE" if salt is None else "CREATE2",
    )
    child = interpreter.process_create(child_message, context)
    _absorb(frame, child)
    if child.success:
        frame.return_data = b""
        frame.stack.append(int.from_bytes(new_address, "big"))
    else:
        frame.return_data = child.output
        frame.stack.append(0)


def create(frame: Frame) -> None:
    """CREATE: (value, offset, size) -> address of a new contract run from memory[offset:+size]."""
    # STACK
    stack = frame.stack
    value = stack.pop()
    offset = stack.pop()
    size = stack.pop()
    # GAS
    charge(frame, frame.context.rules.initcode_word_gas * ((size + 31) >> 5))
    expand_memory(frame, offset, size)
    # OPERATION
    _create(frame, value, offset, size, None)


def create2(frame: Frame) -> None:
    """CREATE2: (value, offset, size, salt) -> address from sender, salt and init code hash."""
    # STACK
    stack = frame.stack
    value = stack.pop()
    offset = stack.pop()
    size = stack.pop()
    salt = stack.pop()
    # GAS
    word_gas = frame.context.rules.initcode_word_gas + GAS_KECCAK256_WORD
    charge(frame, word_gas * ((size + 31) >> 5))
    expand_memory(frame, offset, size)
    # OPERATION
    _create(frame, value, offset, size, salt)


# --- calls -------------------------------------------------------------------------------


def _call_gas(frame: Frame, requested: int, value: int, extra: int, memory: int) -> tuple[int, int]:
    """(cost to charge, gas the child gets) per EIP-150, with the stipend for value transfers."""
    stipend = GAS_CALL_STIPEND if value else 0
    if frame.gas_left >= extra + memory:
        requested = min(requested, _all_but_one_64th(frame.gas_left - extra - memory))
    return requested + extra, requested + stipend


def _call(
    frame: Frame,
    child_gas: int,
    value: int,
    caller: bytes,
    target: bytes,
    code: "_Code",
    transfer: bool,
    is_static: bool,
    in_range: tuple[int, int],
    out_range: tuple[int, int],
    kind: str,
) -> None:
    """Run a child message call and write its output to memory (the shared tail of the calls)."""
    message = frame.message
    frame.return_data = b""
    if message.depth + 1 > STACK_DEPTH_LIMIT:
        frame.gas_left += child_gas
        frame.stack.append(0)
        return
    context = frame.context
    in_offset, in_size = in_range
    child_message = Message(
        caller=caller,
        target=target,
        code_address=code.address,
        value=value,
        data=bytes(frame.memory[in_offset : in_offset + in_size]),
        gas=child_gas,
        code=code.code,
        depth=message.depth + 1,
        is_static=is_static or message.is_static,
        should_transfer_value=transfer,
        disable_precompiles=code.delegated,
        kind=kind,
    )
    child = interpreter.process_message(child_message, context)
    _absorb(frame, child)
    frame.return_data = child.output
    frame.stack.append(1 if child.success else 0)
    out_offset, out_size = out_range
    output = child.output[:out_size]
    if output:
        frame.memory[out_offset : out_offset + len(output)] = output


def _access_cost(frame: Frame, address: bytes) -> int:
    return GAS_WARM_ACCESS if frame.context.state.warm_account(address) else GAS_COLD_ACCOUNT_ACCESS


class _Code(NamedTuple):
    """The code a call runs: where it came from, and whether through a delegation."""

    address: bytes
    code: bytes
    delegated: bool
    access_cost: int  # the delegated account's warm/cold cost (EIP-7702), else 0


def _code_to_run(frame: Frame, address: bytes) -> _Code:
    """The code at `address`, following an EIP-7702 delegation (and pricing its access)."""
    state = frame.context.state
    code = state.get_code(address)
    if frame.context.rules.set_code:
        delegate = delegated_address(code)
        if delegate is not None:
            return _Code(delegate, state.get_code(delegate), True, _access_cost(frame, delegate))
    return _Code(address, code, False, 0)


def call(frame: Frame) -> None:
    """CALL: (gas, addr, value, inOffset, inSize, outOffset, outSize) -> success."""
    # STACK
    stack = frame.stack
    requested = stack.pop()
    target = to_address(stack.pop())
    value = stack.pop()
    in_range = (stack.pop(), stack.pop())
    out_range = (stack.pop(), stack.pop())
    # GAS
    memory = expansion_cost(frame, (in_range, out_range))
    state = frame.context.state
    extra = _access_cost(frame, target)
    code = _code_to_run(frame, target)
    extra += code.access_cost
    if value:
        extra += GAS_CALL_VALUE
        if state.is_empty(target):
            extra += GAS_NEW_ACCOUNT
    cost, child_gas = _call_gas(frame, requested, value, extra, memory)
    charge(frame, cost + memory)
    if frame.message.is_static and value:
        raise StaticWrite
    grow_memory(frame, (in_range, out_range))
    # OPERATION
    sender = frame.message.target
    if state.get_balance(sender) < value:
        frame.return_data = b""
        frame.gas_left += child_gas
        stack.append(0)
        return
    _call(frame, child_gas, value, sender, target, code, True, False, in_range, out_range, "CALL")


def callcode(frame: Frame) -> None:
    """CALLCODE: run another account's code on this account's storage, with a value."""
    # STACK
    stack = frame.stack
    requested = stack.pop()
    code_address = to_address(stack.pop())
    value = stack.pop()
    in_range = (stack.pop(), stack.pop())
    out_range = (stack.pop(), stack.pop())
    # GAS
    memory = expansion_cost(frame, (in_range, out_range))
    code = _code_to_run(frame, code_address)
    extra = _access_cost(frame, code_address) + code.access_cost + (GAS_CALL_VALUE if value else 0)
    cost, child_gas = _call_gas(frame, requested, value, extra, memory)
    charge(frame, cost + memory)
    grow_memory(frame, (in_range, out_range))
    # OPERATION
    target = frame.message.target
    if frame.context.state.get_balance(target) < value:
        frame.return_data = b""
        frame.gas_left += child_gas
        stack.append(0)
        return
    _call(
        frame, child_gas, value, target, target, code, True, False, in_range, out_range, "CALLCODE"
    )


def delegatecall(frame: Frame) -> None:
    """DELEGATECALL: run another account's code with this frame's caller, value and storage."""
    # STACK
    stack = frame.stack
    requested = stack.pop()
    code_address = to_address(stack.pop())
    in_range = (stack.pop(), stack.pop())
    out_range = (stack.pop(), stack.pop())
    # GAS
    memory = expansion_cost(frame, (in_range, out_range))
    extra = _access_cost(frame, code_address)
    code = _code_to_run(frame, code_address)
    cost, child_gas = _call_gas(frame, requested, 0, extra + code.access_cost, memory)
    charge(frame, cost + memory)
    grow_memory(frame, (in_range, out_range))
    # OPERATION
    message = frame.message
    _call(
        frame,
        child_gas,
        message.value,
        message.caller,
        message.target,
        code,
        False,
        False,
        in_range,
        out_range,
        "DELEGATECALL",
    )


def staticcall(frame: Frame) -> None:
    """STATICCALL: a call that may not change state, anywhere below it."""
    # STACK
    stack = frame.stack
    requested = stack.pop()
    target = to_address(stack.pop())
    in_range = (stack.pop(), stack.pop())
    out_range = (stack.pop(), stack.pop())
    # GAS
    memory = expansion_cost(frame, (in_range, out_range))
    extra = _access_cost(frame, target)
    code = _code_to_run(frame, target)
    cost, child_gas = _call_gas(frame, requested, 0, extra + code.access_cost, memory)
    charge(frame, cost + memory)
    grow_memory(frame, (in_range, out_range))
    # OPERATION
    sender = frame.message.target
    _call(frame, child_gas, 0, sender, target, code, True, True, in_range, out_range, "STATICCALL")


# --- halting -----------------------------------------------------------------------------


def return_(frame: Frame) -> None:
    """RETURN: (offset, size): halt, returning memory[offset:offset+size]."""
    stack = frame.stack
    offset = stack.pop()
    size = stack.pop()
    expand_memory(frame, offset, size)
    frame.output = bytes(frame.memory[offset : offset + size])
    raise Stop


def revert(frame: Frame) -> None:
    """REVERT: (offset, size): undo this frame, return the data and the gas left (EIP-140)."""
    stack = frame.stack
    offset = stack.pop()
    size = stack.pop()
    expand_memory(frame, offset, size)
    frame.output = bytes(frame.memory[offset : offset + size])
    raise Revert


def invalid(frame: Frame) -> None:
    """INVALID (0xFE) and every undefined opcode: halt, consuming all gas."""
    raise InvalidOpcode


def selfdestruct(frame: Frame) -> None:
    """SELFDESTRUCT: beneficiary: send all the balance there and delete the account at the end
    of the transaction; from Cancun (EIP-6780) delete it only if it was created in this same
    transaction. Before London it earns a refund (once per account)."""
    # STACK
    beneficiary = to_address(frame.stack.pop())
    # GAS
    context = frame.context
    state = context.state
    rules = context.rules
    originator = frame.message.target
    cost = 0 if state.warm_account(beneficiary) else GAS_COLD_ACCOUNT_ACCESS
    balance = state.get_balance(originator)
    if balance and state.is_empty(beneficiary):
        cost += GAS_SELFDESTRUCT_NEW_ACCOUNT
    charge(frame, cost)
    if frame.message.is_static:
        raise StaticWrite
    # OPERATION
    if balance and beneficiary != originator:
        state.set_balance(originator, 0)
        state.set_balance(beneficiary, state.get_balance(beneficiary) + balance)
    if not rules.selfdestruct_only_new or state.was_created(originator):
        if rules.selfdestruct_refund and not any(
            originator in pending for pending in context.destroy_sets
        ):
            frame.refund += rules.selfdestruct_refund
        state.set_balance(originator, 0)  # with itself as beneficiary the ether is burnt
        frame.to_destroy.add(originator)
    if state.account_exists(beneficiary) and state.is_empty(beneficiary):
        frame.touched.add(beneficiary)
    raise Stop

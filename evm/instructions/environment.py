"""Environment: who and what is executing, calldata, code and return data, other accounts.

Opcodes that read another account pay EIP-2929 access costs dynamically: warm 100, cold 2600.
"""

from evm.errors import ReturnDataOutOfBounds
from evm.frame import Frame
from evm.gas import GAS_COLD_ACCOUNT_ACCESS, GAS_WARM_ACCESS, copy_cost
from evm.instructions.common import charge, expand_memory, read_padded, to_address


def _access(frame: Frame, address: bytes) -> None:
    """Charge the warm or cold cost of touching `address` and warm it."""
    if frame.context.state.warm_account(address):
        charge(frame, GAS_WARM_ACCESS)
    else:
        charge(frame, GAS_COLD_ACCOUNT_ACCESS)


def _copy_to_memory(frame: Frame, source: bytes) -> None:
    """The shared body of CALLDATACOPY, CODECOPY and RETURNDATACOPY's memory side."""
    stack = frame.stack
    memory_offset = stack.pop()
    source_offset = stack.pop()
    size = stack.pop()
    charge(frame, copy_cost(size))
    expand_memory(frame, memory_offset, size)
    if size:
        frame.memory[memory_offset : memory_offset + size] = read_padded(
            source, source_offset, size
        )


def address(frame: Frame) -> None:
    """ADDRESS: the executing account."""
    frame.stack.append(int.from_bytes(frame.message.target, "big"))


def balance(frame: Frame) -> None:
    """BALANCE: addr -> its balance."""
    target = to_address(frame.stack.pop())
    _access(frame, target)
    frame.stack.append(frame.context.state.get_balance(target))


def origin(frame: Frame) -> None:
    """ORIGIN: the transaction's sender."""
    frame.stack.append(int.from_bytes(frame.context.tx.origin, "big"))


def caller(frame: Frame) -> None:
    """CALLER: the account that sent this message."""
    frame.stack.append(int.from_bytes(frame.message.caller, "big"))


def callvalue(frame: Frame) -> None:
    """CALLVALUE: wei sent with this message."""
    frame.stack.append(frame.message.value)


def calldataload(frame: Frame) -> None:
    """CALLDATALOAD: i -> the 32 bytes of calldata at i, zero-padded."""
    stack = frame.stack
    stack.append(int.from_bytes(read_padded(frame.message.data, stack.pop(), 32), "big"))


def calldatasize(frame: Frame) -> None:
    """CALLDATASIZE: the calldata length."""
    frame.stack.append(len(frame.message.data))


def calldatacopy(frame: Frame) -> None:
    """CALLDATACOPY: (memOffset, dataOffset, size): copy calldata to memory, zero-padded."""
    _copy_to_memory(frame, frame.message.data)


def codesize(frame: Frame) -> None:
    """CODESIZE: length of the executing code."""
    frame.stack.append(len(frame.message.code))


def codecopy(frame: Frame) -> None:
    """CODECOPY: (memOffset, codeOffset, size): copy the executing code to memory."""
    _copy_to_memory(frame, frame.message.code)


def gasprice(frame: Frame) -> None:
    """GASPRICE: the transaction's effective gas price."""
    frame.stack.append(frame.context.tx.gas_price)


def extcodesize(frame: Frame) -> None:
    """EXTCODESIZE: addr -> length of its code."""
    target = to_address(frame.stack.pop())
    _access(frame, target)
    frame.stack.append(len(frame.context.state.get_code(target)))


def extcodecopy(frame: Frame) -> None:
    """EXTCODECOPY: (addr, memOffset, codeOffset, size): copy another account's code."""
    # STACK
    stack = frame.stack
    target = to_address(stack.pop())
    memory_offset = stack.pop()
    code_offset = stack.pop()
    size = stack.pop()
    # GAS
    charge(frame, copy_cost(size))
    expand_memory(frame, memory_offset, size)
    _access(frame, target)
    # OPERATION
    if size:
        code = frame.context.state.get_code(target)
        frame.memory[memory_offset : memory_offset + size] = read_padded(code, code_offset, size)


def returndatasize(frame: Frame) -> None:
    """RETURNDATASIZE: length of the last call's return data."""
    frame.stack.append(len(frame.return_data))


def returndatacopy(frame: Frame) -> None:
    """RETURNDATACOPY: (memOffset, dataOffset, size); reading past the end halts."""
    stack = frame.stack
    memory_offset = stack.pop()
    data_offset = stack.pop()
    size = stack.pop()
    if data_offset + size > len(frame.return_data):
        raise ReturnDataOutOfBounds
    charge(frame, copy_cost(size))
    expand_memory(frame, memory_offset, size)
    if size:
        frame.memory[memory_offset : memory_offset + size] = frame.return_data[
            data_offset : data_offset + size
        ]


def extcodehash(frame: Frame) -> None:
    """EXTCODEHASH: addr -> keccak256 of its code, or 0 for a missing or empty account."""
    target = to_address(frame.stack.pop())
    _access(frame, target)
    state = frame.context.state
    if state.is_empty(target):
        frame.stack.append(0)
    else:
        frame.stack.append(int.from_bytes(state.get_code_hash(target), "big"))


def selfbalance(frame: Frame) -> None:
    """SELFBALANCE: the executing account's balance (no access cost)."""
    frame.stack.append(frame.context.state.get_balance(frame.message.target))

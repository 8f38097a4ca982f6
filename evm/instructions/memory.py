"""Memory: MLOAD, MSTORE, MSTORE8, MSIZE, MCOPY. Memory is one bytearray grown in 32-byte words."""

from evm.frame import Frame
from evm.gas import copy_cost
from evm.instructions.common import charge, expand_memory, expansion_cost, grow_memory


def mload(frame: Frame) -> None:
    """MLOAD: offset -> the 32-byte word at offset."""
    stack = frame.stack
    offset = stack.pop()
    expand_memory(frame, offset, 32)
    stack.append(int.from_bytes(frame.memory[offset : offset + 32], "big"))


def mstore(frame: Frame) -> None:
    """MSTORE: (offset, value): write a 32-byte word."""
    stack = frame.stack
    offset = stack.pop()
    value = stack.pop()
    expand_memory(frame, offset, 32)
    frame.memory[offset : offset + 32] = value.to_bytes(32, "big")


def mstore8(frame: Frame) -> None:
    """MSTORE8: (offset, value): write the low byte of value."""
    stack = frame.stack
    offset = stack.pop()
    value = stack.pop()
    expand_memory(frame, offset, 1)
    frame.memory[offset] = value & 0xFF


def msize(frame: Frame) -> None:
    """MSIZE: the memory size in bytes (always a multiple of 32)."""
    frame.stack.append(len(frame.memory))


def mcopy(frame: Frame) -> None:
    """MCOPY: (dst, src, size): copy within memory, overlaps allowed (EIP-5656)."""
    # STACK
    stack = frame.stack
    destination = stack.pop()
    source = stack.pop()
    size = stack.pop()
    # GAS
    ranges = ((source, size), (destination, size))
    charge(frame, copy_cost(size) + expansion_cost(frame, ranges))
    # OPERATION
    if size:
        grow_memory(frame, ranges)
        memory = frame.memory
        memory[destination : destination + size] = memory[source : source + size]

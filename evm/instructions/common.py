"""Helpers shared by the opcode families: charging gas, growing memory, signed words."""

from evm.errors import OutOfGas
from evm.frame import Frame
from evm.gas import memory_cost

UINT256_MAX = 2**256 - 1
UINT256_CEILING = 2**256
SIGN_BIT = 2**255
# Memory ending beyond 4 GiB would cost about 3.6e13 gas, beyond any real block gas limit: treat it
# as out of gas before trying to allocate it (a run with an absurd gas limit must not exhaust RAM).
MAX_MEMORY_END = 2**32


def charge(frame: Frame, amount: int) -> None:
    """Take `amount` gas from the frame or halt with OutOfGas."""
    frame.gas_left -= amount
    if frame.gas_left < 0:
        raise OutOfGas


def expand_memory(frame: Frame, offset: int, size: int) -> None:
    """Charge for and grow memory so that [offset, offset+size) is addressable.

    A zero size touches no memory whatever the offset, as the Yellow Paper says.
    """
    if size == 0:
        return
    end = offset + size
    memory = frame.memory
    if end <= len(memory):
        return
    if end > MAX_MEMORY_END:
        raise OutOfGas
    new_size = (end + 31) & ~31
    charge(frame, memory_cost(new_size) - memory_cost(len(memory)))
    memory.extend(bytes(new_size - len(memory)))


def expansion_cost(frame: Frame, ranges: tuple[tuple[int, int], ...]) -> int:
    """Gas to grow memory over all (offset, size) ranges, without growing it (CALL, MCOPY)."""
    end = 0
    for offset, size in ranges:
        if size:
            end = max(end, offset + size)
    current = len(frame.memory)
    if end <= current:
        return 0
    if end > MAX_MEMORY_END:
        return 2**64  # more gas than any frame can have
    return memory_cost((end + 31) & ~31) - memory_cost(current)


def grow_memory(frame: Frame, ranges: tuple[tuple[int, int], ...]) -> None:
    """Grow memory over ranges whose cost `expansion_cost` already charged."""
    end = 0
    for offset, size in ranges:
        if size:
            end = max(end, offset + size)
    if end > len(frame.memory):
        frame.memory.extend(bytes(((end + 31) & ~31) - len(frame.memory)))


def to_signed(value: int) -> int:
    """Interpret a 256-bit word as two's-complement signed."""
    return value - UINT256_CEILING if value & SIGN_BIT else value


def read_padded(data: bytes, offset: int, size: int) -> bytes:
    """data[offset:offset+size], right-padded with zeros (calldata, code and return copies)."""
    if offset >= len(data):
        return bytes(size)
    chunk = data[offset : offset + size]
    return chunk + bytes(size - len(chunk)) if len(chunk) < size else chunk


def to_address(word: int) -> bytes:
    """The low 20 bytes of a stack word, as an address."""
    return (word & 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF).to_bytes(20, "big")

"""KECCAK256: hash a memory range."""

from evm.frame import Frame
from evm.gas import GAS_KECCAK256_WORD
from evm.hashing import keccak256 as _keccak256
from evm.instructions.common import charge, expand_memory


def keccak256(frame: Frame) -> None:
    """KECCAK256: (offset, size) -> keccak256(memory[offset:offset+size])."""
    # STACK
    stack = frame.stack
    offset = stack.pop()
    size = stack.pop()
    # GAS
    charge(frame, GAS_KECCAK256_WORD * ((size + 31) >> 5))
    expand_memory(frame, offset, size)
    # OPERATION
    stack.append(int.from_bytes(_keccak256(frame.memory[offset : offset + size]), "big"))

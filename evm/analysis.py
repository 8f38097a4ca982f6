"""Code analysis, done once per distinct code and cached: the code padded with STOPs (so the loop
never reads past the end), the JUMPDEST bitmap, and every PUSH immediate decoded to an int."""

from collections.abc import Callable
from dataclasses import dataclass, field

PUSH1 = 0x60
PUSH32 = 0x7F
JUMPDEST = 0x5B
PADDING = 33  # a PUSH32 at the last byte still reads 32 zero bytes, then a STOP

_CACHE_LIMIT = 4096


@dataclass(slots=True, frozen=True)
class CodeAnalysis:
    """Analysed code: `padded` for execution, `jumpdests[i]` = 1 where a JUMP may land,
    `push_values[i]` the immediate of the PUSH at i (0 elsewhere), and its compiled blocks."""

    padded: bytes
    jumpdests: bytearray
    push_values: list[int]
    # Per fork name: compiled basic blocks by start pc, and how often uncompiled blocks ran.
    blocks: dict[str, dict[int, Callable]] = field(default_factory=dict)
    block_entries: dict[str, dict[int, int]] = field(default_factory=dict)


_cache: dict[bytes, CodeAnalysis] = {}


def analyse(code: bytes) -> CodeAnalysis:
    """Return the analysis of `code`, from the cache when this code was seen before.

    Keyed by the code bytes themselves: bytes cache their hash, so a lookup costs one hash per
    distinct object rather than a keccak per call.
    """
    found = _cache.get(code)
    if found is not None:
        return found
    padded = bytes(code) + bytes(PADDING)
    size = len(code)
    jumpdests = bytearray(size + 1)  # +1 so that a jump to len(code) reads 0, not IndexError
    push_values = [0] * size
    pc = 0
    while pc < size:
        op = padded[pc]
        if PUSH1 <= op <= PUSH32:
            width = op - PUSH1 + 1
            push_values[pc] = int.from_bytes(padded[pc + 1 : pc + 1 + width], "big")
            pc += width + 1
        else:
            if op == JUMPDEST:
                jumpdests[pc] = 1
            pc += 1
    analysis = CodeAnalysis(padded, jumpdests, push_values)
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    _cache[bytes(code)] = analysis
    return analysis

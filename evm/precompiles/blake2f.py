"""Precompile 0x09, BLAKE2F: the BLAKE2b compression function F with a caller-chosen round count.

Input (EIP-152) is exactly 213 bytes: rounds (4 bytes, big-endian), state h (8 x 8 bytes), message
block m (16 x 8 bytes), offset counter t (2 x 8 bytes) and the final-block flag f (1 byte, 0 or 1);
the words of h, m and t are little-endian. Output is the new state h, 64 bytes little-endian.
Gas is one per round; `run` rejects malformed input.

hashlib's blake2b does not expose F, so F comes from blake2b-py (a Rust extension, the one
py-evm uses); its rounds cost nanoseconds where a Python F would cost microseconds, which
matters because a call may ask for millions of rounds.
"""

import struct
from typing import Final

from blake2b import compress

from evm.errors import PrecompileFailure
from evm.gas import GAS_BLAKE2F_ROUND

INPUT_SIZE: Final = 213

# rounds: u32 big-endian; h: 8 x u64 little-endian; m: 16 x u64 LE; t: 2 x u64 LE; f: u8.
_ROUNDS: Final = struct.Struct(">I")
_WORDS: Final = struct.Struct("<26Q")


def gas(data: bytes) -> int:
    """One per round (the first 4 bytes); 0 for an input of the wrong length, which `run`
    rejects, so the call burns all its gas anyway (go-ethereum prices it the same way)."""
    if len(data) != INPUT_SIZE:
        return 0
    return GAS_BLAKE2F_ROUND * int.from_bytes(data[:4], "big")


def run(data: bytes) -> bytes:
    """F(h, m, t, f) over `rounds` rounds; fails unless the input is 213 bytes with f in {0, 1}."""
    if len(data) != INPUT_SIZE:
        raise PrecompileFailure(f"blake2f input is {len(data)} bytes, not {INPUT_SIZE}")
    final_flag = data[212]
    if final_flag not in (0, 1):
        raise PrecompileFailure(f"blake2f final block flag is {final_flag}, not 0 or 1")
    (rounds,) = _ROUNDS.unpack_from(data, 0)
    words = _WORDS.unpack_from(data, 4)
    state, block, offset = list(words[:8]), list(words[8:24]), list(words[24:26])
    return bytes(compress(rounds, state, block, offset, bool(final_flag)))

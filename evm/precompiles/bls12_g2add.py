"""Precompile 0x0d, BLS12_G2ADD (EIP-2537): the sum of two BLS12-381 G2 points.

Input is exactly 512 bytes: two G2 points of 256 bytes (see `bls12_381` for the encoding). Each
must be infinity or on the twisted curve; there is no subgroup check. Output is the sum, 256
bytes.
"""

from typing import Final

from evm.errors import PrecompileFailure
from evm.precompiles.bls12_381 import G2_SIZE, GAS_BLS12_G2ADD, decode_g2, encode_g2

INPUT_SIZE: Final = 2 * G2_SIZE


def gas(data: bytes) -> int:
    """A flat fee, whatever the input."""
    return GAS_BLS12_G2ADD


def run(data: bytes) -> bytes:
    """P1 + P2 as 256 bytes."""
    if len(data) != INPUT_SIZE:
        raise PrecompileFailure(f"G2ADD input is {len(data)} bytes, not {INPUT_SIZE}")
    data = bytes(data)
    p1 = decode_g2(data[:G2_SIZE], subgroup=False)
    p2 = decode_g2(data[G2_SIZE:], subgroup=False)
    return encode_g2(p1 + p2)

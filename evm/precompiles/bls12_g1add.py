"""Precompile 0x0b, BLS12_G1ADD (EIP-2537): the sum of two BLS12-381 G1 points.

Input is exactly 256 bytes: two G1 points of 128 bytes (see `bls12_381` for the encoding). Each
must be infinity or on the curve; there is no subgroup check. Output is the sum, 128 bytes.
"""

from typing import Final

from evm.errors import PrecompileFailure
from evm.precompiles.bls12_381 import G1_SIZE, GAS_BLS12_G1ADD, decode_g1, encode_g1

INPUT_SIZE: Final = 2 * G1_SIZE


def gas(data: bytes) -> int:
    """A flat fee, whatever the input."""
    return GAS_BLS12_G1ADD


def run(data: bytes) -> bytes:
    """P1 + P2 as 128 bytes."""
    if len(data) != INPUT_SIZE:
        raise PrecompileFailure(f"G1ADD input is {len(data)} bytes, not {INPUT_SIZE}")
    data = bytes(data)
    p1 = decode_g1(data[:G1_SIZE], subgroup=False)
    p2 = decode_g1(data[G1_SIZE:], subgroup=False)
    return encode_g1(p1 + p2)

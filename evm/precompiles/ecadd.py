"""Precompile 0x06, ECADD (EIP-196, EIP-1108 price): the sum of two alt_bn128 G1 points.

Input is right-padded or truncated to 128 bytes: two G1 points (x, y) of 32-byte words. Output is
their sum as 64 bytes, infinity as (0, 0). An invalid point is a failure (see `alt_bn128`).
"""

from typing import Final

from py_ecc.optimized_bn128 import add

from evm.gas import GAS_ECADD
from evm.precompiles.alt_bn128 import G1_SIZE, decode_g1, encode_g1

INPUT_SIZE: Final = 2 * G1_SIZE


def gas(data: bytes) -> int:
    """A flat fee, whatever the input."""
    return GAS_ECADD


def run(data: bytes) -> bytes:
    """P1 + P2 as 64 bytes."""
    data = bytes(data[:INPUT_SIZE]).ljust(INPUT_SIZE, b"\x00")
    p1 = decode_g1(data[:G1_SIZE])
    p2 = decode_g1(data[G1_SIZE:])
    return encode_g1(add(p1, p2))

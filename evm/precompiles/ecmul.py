"""Precompile 0x07, ECMUL (EIP-196, EIP-1108 price): an alt_bn128 G1 point times a scalar.

Input is right-padded or truncated to 96 bytes: a G1 point (x, y) and a 256-bit scalar, any value
(G1 has prime order r, so the scalar works modulo r). Output is the product as 64 bytes, infinity
as (0, 0). An invalid point is a failure (see `alt_bn128`).
"""

from typing import Final

from py_ecc.optimized_bn128 import curve_order, multiply

from evm.gas import GAS_ECMUL
from evm.precompiles.alt_bn128 import G1_SIZE, decode_g1, encode_g1

INPUT_SIZE: Final = G1_SIZE + 32


def gas(data: bytes) -> int:
    """A flat fee, whatever the input."""
    return GAS_ECMUL


def run(data: bytes) -> bytes:
    """scalar * P as 64 bytes."""
    data = bytes(data[:INPUT_SIZE]).ljust(INPUT_SIZE, b"\x00")
    point = decode_g1(data[:G1_SIZE])
    scalar = int.from_bytes(data[G1_SIZE:], "big")
    # Reducing modulo r gives the same point and shortens py_ecc's double-and-add.
    return encode_g1(multiply(point, scalar % curve_order))

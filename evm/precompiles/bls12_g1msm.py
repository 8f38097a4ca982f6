"""Precompile 0x0c, BLS12_G1MSM (EIP-2537): multi-scalar multiplication in BLS12-381 G1.

Input is k >= 1 pairs of 160 bytes: a G1 point (128 bytes) and a 32-byte scalar. Every point
must be infinity or on the curve and in the order-q subgroup; any scalar is allowed. Output is
s1 * P1 + ... + sk * Pk, 128 bytes. Price: k * 12000 * discount(k) / 1000 with EIP-2537's G1
discount table.
"""

from typing import Final

from py_arkworks_bls12381 import G1Point

from evm.errors import PrecompileFailure
from evm.precompiles.bls12_381 import (
    G1_SIZE,
    GAS_BLS12_G1MSM_DISCOUNT,
    GAS_BLS12_G1MUL,
    SCALAR_SIZE,
    decode_g1,
    decode_scalar,
    encode_g1,
    msm_gas,
)

PAIR_SIZE: Final = G1_SIZE + SCALAR_SIZE


def gas(data: bytes) -> int:
    """The discounted price of k = len(data) // 160 scalar multiplications."""
    return msm_gas(data, PAIR_SIZE, GAS_BLS12_G1MUL, GAS_BLS12_G1MSM_DISCOUNT)


def run(data: bytes) -> bytes:
    """The multi-scalar multiplication as 128 bytes."""
    if len(data) == 0 or len(data) % PAIR_SIZE:
        raise PrecompileFailure(f"G1MSM input is {len(data)} bytes, not k * {PAIR_SIZE}, k >= 1")
    data = bytes(data)
    points = []
    scalars = []
    for start in range(0, len(data), PAIR_SIZE):
        points.append(decode_g1(data[start : start + G1_SIZE], subgroup=True))
        scalars.append(decode_scalar(data[start + G1_SIZE : start + PAIR_SIZE]))
    return encode_g1(G1Point.multiexp_unchecked(points, scalars))

"""Precompile 0x0e, BLS12_G2MSM (EIP-2537): multi-scalar multiplication in BLS12-381 G2.

Input is k >= 1 pairs of 288 bytes: a G2 point (256 bytes) and a 32-byte scalar. Every point
must be infinity or on the twisted curve and in the order-q subgroup; any scalar is allowed.
Output is s1 * P1 + ... + sk * Pk, 256 bytes. Price: k * 22500 * discount(k) / 1000 with
EIP-2537's G2 discount table.
"""

from typing import Final

from py_arkworks_bls12381 import G2Point

from evm.errors import PrecompileFailure
from evm.precompiles.bls12_381 import (
    G2_SIZE,
    GAS_BLS12_G2MSM_DISCOUNT,
    GAS_BLS12_G2MUL,
    SCALAR_SIZE,
    decode_g2,
    decode_scalar,
    encode_g2,
    msm_gas,
)

PAIR_SIZE: Final = G2_SIZE + SCALAR_SIZE


def gas(data: bytes) -> int:
    """The discounted price of k = len(data) // 288 scalar multiplications."""
    return msm_gas(data, PAIR_SIZE, GAS_BLS12_G2MUL, GAS_BLS12_G2MSM_DISCOUNT)


def run(data: bytes) -> bytes:
    """The multi-scalar multiplication as 256 bytes."""
    if len(data) == 0 or len(data) % PAIR_SIZE:
        raise PrecompileFailure(f"G2MSM input is {len(data)} bytes, not k * {PAIR_SIZE}, k >= 1")
    data = bytes(data)
    points = []
    scalars = []
    for start in range(0, len(data), PAIR_SIZE):
        points.append(decode_g2(data[start : start + G2_SIZE], subgroup=True))
        scalars.append(decode_scalar(data[start + G2_SIZE : start + PAIR_SIZE]))
    return encode_g2(G2Point.multiexp_unchecked(points, scalars))

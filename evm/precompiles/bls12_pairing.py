"""Precompile 0x0f, BLS12_PAIRING_CHECK (EIP-2537): is e(P1, Q1) * ... * e(Pk, Qk) == 1?

Input is k >= 1 pairs of 384 bytes: a G1 point (128 bytes) then a G2 point (256 bytes), each
infinity or on its curve and in the order-q subgroup (a pair with an infinity contributes 1).
Output is 32 bytes: 1 if the product is the identity of the target group, else 0. Price:
32600 * k + 37700.
"""

from typing import Final

from py_arkworks_bls12381 import GT

from evm.errors import PrecompileFailure
from evm.precompiles.bls12_381 import (
    G1_SIZE,
    G2_SIZE,
    GAS_BLS12_PAIRING_BASE,
    GAS_BLS12_PAIRING_PER_PAIR,
    decode_g1,
    decode_g2,
)

PAIR_SIZE: Final = G1_SIZE + G2_SIZE
TRUE: Final = (1).to_bytes(32, "big")
FALSE: Final = bytes(32)


def gas(data: bytes) -> int:
    """A base fee plus a fee per whole 384-byte pair."""
    return GAS_BLS12_PAIRING_PER_PAIR * (len(data) // PAIR_SIZE) + GAS_BLS12_PAIRING_BASE


def run(data: bytes) -> bytes:
    """The pairing check as a 32-byte 0 or 1."""
    if len(data) == 0 or len(data) % PAIR_SIZE:
        raise PrecompileFailure(f"pairing input is {len(data)} bytes, not k * {PAIR_SIZE}, k >= 1")
    data = bytes(data)
    g1_points = []
    g2_points = []
    for start in range(0, len(data), PAIR_SIZE):
        g1_points.append(decode_g1(data[start : start + G1_SIZE], subgroup=True))
        g2_points.append(decode_g2(data[start + G1_SIZE : start + PAIR_SIZE], subgroup=True))
    return TRUE if GT.pairing_check(g1_points, g2_points) else FALSE

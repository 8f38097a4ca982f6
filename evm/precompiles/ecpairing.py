"""Precompile 0x08, ECPAIRING (EIP-197, EIP-1108 prices): the alt_bn128 pairing check.

Input is k pairs of (G1 point, G2 point), 192 bytes each; its length must be a multiple of 192
(k = 0 is allowed). Output is the 32-byte word 1 if e(P1, Q1) * ... * e(Pk, Qk) == 1 in GT, else
0. Any invalid point is a failure (see `alt_bn128`), even in a pair that would not change the
product.

py_ecc runs all of it in pure Python: about 60 ms to check each G2 point's subgroup, 0.27 s per
Miller loop and 0.33 s for the one final exponentiation (2 pairs: about 0.65-1 s a call). Pairs
with a point at infinity contribute 1 and are skipped.
"""

from typing import Final

from py_ecc.optimized_bn128 import FQ12, final_exponentiate, is_inf, pairing

from evm.errors import PrecompileFailure
from evm.gas import GAS_ECPAIRING_BASE, GAS_ECPAIRING_PER_PAIR
from evm.precompiles.alt_bn128 import G1_SIZE, G2_SIZE, decode_g1, decode_g2

PAIR_SIZE: Final = G1_SIZE + G2_SIZE

TRUE: Final = (1).to_bytes(32, "big")
FALSE: Final = bytes(32)


def gas(data: bytes) -> int:
    """45,000 plus 34,000 per pair (whole pairs counted, also for a length that will fail)."""
    return GAS_ECPAIRING_BASE + GAS_ECPAIRING_PER_PAIR * (len(data) // PAIR_SIZE)


def run(data: bytes) -> bytes:
    """1 as a 32-byte word when the product of the pairings is 1, else 0."""
    if len(data) % PAIR_SIZE != 0:
        raise PrecompileFailure(f"ecpairing input length {len(data)} is not a multiple of 192")
    data = bytes(data)
    # Decode (and so validate) every point before the slow part.
    pairs = [
        (decode_g1(data[i : i + G1_SIZE]), decode_g2(data[i + G1_SIZE : i + PAIR_SIZE]))
        for i in range(0, len(data), PAIR_SIZE)
    ]
    # Pairs with a point at infinity contribute 1. The rest: multiply their Miller loops and
    # run the final exponentiation (a homomorphism, and the dearer half) once on the product.
    product = None
    for p, q in pairs:
        if is_inf(p) or is_inf(q):
            continue
        loop = pairing(q, p, final_exponentiate=False)
        product = loop if product is None else product * loop
    if product is None:
        return TRUE
    return TRUE if final_exponentiate(product) == FQ12.one() else FALSE

"""Precompile 0x10, BLS12_MAP_FP_TO_G1 (EIP-2537): map a base field element to a G1 point.

Input is exactly one 64-byte Fp element. Output is the 128-byte G1 point of RFC 9380's simplified
SWU map for BLS12-381 G1 (the 11-isogeny included) with the cofactor cleared, so it is in the
subgroup; this is the map of hash-to-curve without the hashing, computed by arkworks.
"""

from typing import Final

from py_arkworks_bls12381 import G1Point

from evm.errors import PrecompileFailure
from evm.precompiles.bls12_381 import FP_SIZE, GAS_BLS12_MAP_FP_TO_G1, decode_fp, encode_g1

INPUT_SIZE: Final = FP_SIZE


def gas(data: bytes) -> int:
    """A flat fee, whatever the input."""
    return GAS_BLS12_MAP_FP_TO_G1


def run(data: bytes) -> bytes:
    """The mapped point as 128 bytes."""
    if len(data) != INPUT_SIZE:
        raise PrecompileFailure(f"MAP_FP_TO_G1 input is {len(data)} bytes, not {INPUT_SIZE}")
    return encode_g1(G1Point.map_from_fp_be(decode_fp(bytes(data))))

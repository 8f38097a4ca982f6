"""Precompile 0x11, BLS12_MAP_FP2_TO_G2 (EIP-2537): map an Fp2 element to a G2 point.

Input is exactly one 128-byte Fp2 element (c0 then c1). Output is the 256-byte G2 point of RFC
9380's simplified SWU map for BLS12-381 G2 (the 3-isogeny included) with the cofactor cleared,
so it is in the subgroup; this is the map of hash-to-curve without the hashing, computed by
arkworks.
"""

from typing import Final

from py_arkworks_bls12381 import G2Point

from evm.errors import PrecompileFailure
from evm.precompiles.bls12_381 import FP2_SIZE, GAS_BLS12_MAP_FP2_TO_G2, decode_fp2, encode_g2

INPUT_SIZE: Final = FP2_SIZE


def gas(data: bytes) -> int:
    """A flat fee, whatever the input."""
    return GAS_BLS12_MAP_FP2_TO_G2


def run(data: bytes) -> bytes:
    """The mapped point as 256 bytes."""
    if len(data) != INPUT_SIZE:
        raise PrecompileFailure(f"MAP_FP2_TO_G2 input is {len(data)} bytes, not {INPUT_SIZE}")
    return encode_g2(G2Point.map_from_fp2_be(decode_fp2(bytes(data))))

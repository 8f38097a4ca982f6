"""Precompile 0x0a, POINT_EVALUATION (EIP-4844): verify a KZG proof that a blob's polynomial
takes the value y at the point z.

Input is exactly 192 bytes: versioned hash (32), z (32), y (32), commitment (48), proof (48).
The versioned hash must be 0x01 ++ sha256(commitment)[1:]; the proof is checked by c-kzg-4844
(ckzg) against the mainnet KZG trusted setup shipped beside this module as trusted_setup.txt
(4096 G1 points, 65 G2 points, from the ckzg source distribution). The setup is loaded on the
first call, once per process. Output is FIELD_ELEMENTS_PER_BLOB and BLS_MODULUS as two 32-byte
words; any invalid input, including z or y not below the modulus, is a failure.
"""

import functools
import hashlib
from pathlib import Path
from typing import Final

import ckzg

from evm.errors import PrecompileFailure
from evm.gas import GAS_POINT_EVALUATION

INPUT_SIZE: Final = 192
VERSIONED_HASH_VERSION_KZG: Final = b"\x01"
FIELD_ELEMENTS_PER_BLOB: Final = 4096
# Order of the BLS12-381 scalar field.
BLS_MODULUS: Final = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001

TRUSTED_SETUP_PATH: Final = Path(__file__).with_name("trusted_setup.txt")
# ckzg's precompute level only speeds up cell proofs (PeerDAS); 0 is right for verification.
_PRECOMPUTE: Final = 0

RETURN_VALUE: Final = FIELD_ELEMENTS_PER_BLOB.to_bytes(32, "big") + BLS_MODULUS.to_bytes(32, "big")


@functools.cache
def trusted_setup() -> object:
    """The mainnet trusted setup, parsed once (it takes a noticeable fraction of a second)."""
    return ckzg.load_trusted_setup(str(TRUSTED_SETUP_PATH), _PRECOMPUTE)


def kzg_to_versioned_hash(commitment: bytes) -> bytes:
    """0x01 ++ sha256(commitment)[1:], the hash a blob transaction carries for a commitment."""
    return VERSIONED_HASH_VERSION_KZG + hashlib.sha256(commitment).digest()[1:]


def gas(data: bytes) -> int:
    """A flat fee, whatever the input."""
    return GAS_POINT_EVALUATION


def run(data: bytes) -> bytes:
    """Verify the proof; return (FIELD_ELEMENTS_PER_BLOB, BLS_MODULUS) or fail."""
    if len(data) != INPUT_SIZE:
        raise PrecompileFailure(f"point evaluation input is {len(data)} bytes, not {INPUT_SIZE}")
    data = bytes(data)
    versioned_hash, z, y = data[0:32], data[32:64], data[64:96]
    commitment, proof = data[96:144], data[144:192]
    if kzg_to_versioned_hash(commitment) != versioned_hash:
        raise PrecompileFailure("versioned hash does not match the commitment")
    try:
        valid = ckzg.verify_kzg_proof(commitment, z, y, proof, trusted_setup())
    except (RuntimeError, ValueError) as error:
        # c-kzg reports malformed points and field elements >= BLS_MODULUS as C_KZG_BADARGS.
        raise PrecompileFailure(f"invalid KZG input: {error}") from error
    if not valid:
        raise PrecompileFailure("KZG proof does not verify")
    return RETURN_VALUE

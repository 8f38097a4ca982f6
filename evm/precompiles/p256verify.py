"""Precompile 0x100, P256VERIFY (EIP-7951, Osaka): verify an ECDSA signature over secp256r1.

Input is exactly 160 bytes: the message hash h, the signature (r, s) and the public key
(qx, qy), 32-byte big-endian words each. Output is the 32-byte word 1 when the signature is
valid and empty otherwise: a bad input is not an error, the call succeeds and keeps the price.

Rules (EIP-7951): 0 < r < n and 0 < s < n; qx and qy below p and (qx, qy) on the curve (so not
the point at infinity, which has no affine encoding); then the ECDSA check that R' = (h * s^-1) G
+ (r * s^-1) Q is not infinity and R'.x mod n == r, with h used as a 256-bit number as given (no
hashing here). The signature check is OpenSSL's, through the `cryptography` package.
"""

from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature
from cryptography.hazmat.primitives.hashes import SHA256

# GAS (EIP-7951 as activated in Osaka). Owned here until evm/gas.py takes it over.
GAS_P256VERIFY: Final = 6_900

INPUT_SIZE: Final = 160
# secp256r1's base field modulus and group order.
P: Final = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
N: Final = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

VALID: Final = (1).to_bytes(32, "big")
INVALID: Final = b""

_CURVE: Final = ec.SECP256R1()
# `h` is already a 256-bit digest: tell OpenSSL not to hash it again.
_ALGORITHM: Final = ec.ECDSA(Prehashed(SHA256()))


def gas(data: bytes) -> int:
    """A flat fee, whatever the input."""
    return GAS_P256VERIFY


def run(data: bytes) -> bytes:
    """32-byte 1 for a valid signature, empty output for anything else; never fails."""
    if len(data) != INPUT_SIZE:
        return INVALID
    data = bytes(data)
    message_hash = data[0:32]
    r, s, qx, qy = (int.from_bytes(data[i : i + 32], "big") for i in range(32, INPUT_SIZE, 32))
    if not (0 < r < N and 0 < s < N and qx < P and qy < P):
        return INVALID
    try:
        # Raises ValueError unless (qx, qy) is on the curve.
        public_key = ec.EllipticCurvePublicNumbers(qx, qy, _CURVE).public_key()
        public_key.verify(encode_dss_signature(r, s), message_hash, _ALGORITHM)
    except (ValueError, InvalidSignature):
        return INVALID
    return VALID

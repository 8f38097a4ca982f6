"""Precompile 0x01, ECRECOVER: the address that signed a 32-byte hash with a secp256k1 signature.

Input is (hash, v, r, s) as four 32-byte words, right-padded or truncated to 128 bytes. Output
is the signer's address left-padded to 32 bytes, or empty output (still a success) when the
signature is invalid: v not exactly 27 or 28, r or s outside [1, n), or no recoverable key.
Unlike transaction signatures, a high s is accepted. Recovery is libsecp256k1's, through
coincurve; this module does no curve arithmetic of its own.
"""

from typing import Final

from coincurve import PublicKey

from evm.gas import GAS_ECRECOVER
from evm.hashing import keccak256

# Order of the secp256k1 group (SEC 2, section 2.4.1): r and s must lie in [1, n).
SECP256K1N: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

INPUT_SIZE: Final = 128


def gas(data: bytes) -> int:
    """A flat fee, whatever the input."""
    return GAS_ECRECOVER


def run(data: bytes) -> bytes:
    """Recover the signer's address, or return b"" for a signature that recovers nothing."""
    data = bytes(data[:INPUT_SIZE]).ljust(INPUT_SIZE, b"\x00")
    message_hash, v_word, r_bytes, s_bytes = data[:32], data[32:64], data[64:96], data[96:]
    v = int.from_bytes(v_word, "big")
    r = int.from_bytes(r_bytes, "big")
    s = int.from_bytes(s_bytes, "big")
    if v not in (27, 28) or not (0 < r < SECP256K1N and 0 < s < SECP256K1N):
        return b""
    try:
        public_key = PublicKey.from_signature_and_message(
            r_bytes + s_bytes + bytes([v - 27]), message_hash, hasher=None
        )
    except ValueError:
        # libsecp256k1 found no point with x = r (or the key is at infinity).
        return b""
    # format(compressed=False) is 0x04 ++ X ++ Y; the address hashes X ++ Y.
    address = keccak256(public_key.format(compressed=False)[1:])[12:]
    return address.rjust(32, b"\x00")

"""Precompile 0x03, RIPEMD160: the RIPEMD-160 digest of the input, left-padded to 32 bytes.

pycryptodome computes it: hashlib only has RIPEMD-160 when OpenSSL's legacy provider is there.
"""

from Crypto.Hash import RIPEMD160

from evm.gas import GAS_RIPEMD160, GAS_RIPEMD160_WORD, words


def gas(data: bytes) -> int:
    """600 plus 120 per 32-byte word of input."""
    return GAS_RIPEMD160 + GAS_RIPEMD160_WORD * words(len(data))


def run(data: bytes) -> bytes:
    """The 20-byte digest as a 32-byte word; never fails."""
    return RIPEMD160.new(bytes(data)).digest().rjust(32, b"\x00")

"""Precompile 0x05, MODEXP: base ** exponent % modulus on big-endian integers of any length.

Input (EIP-198): three 32-byte lengths (base, exponent, modulus), then the three numbers back to
back; bytes past the end of the input read as zero. Output: the result as exactly `modulus
length` bytes (all zeros when the modulus is zero). Gas is EIP-2565's.

The lengths are attacker-chosen 256-bit numbers, so `gas` works on Python ints, reads at most 32
bytes of the exponent, and never builds anything of those sizes. `run` is only called once
`gas(data)` has been paid, which bounds every length it reads: a nonzero modulus length makes
each exponent byte cost gas, and a zero modulus length returns before reading anything.
"""

from typing import Final

from evm.errors import PrecompileFailure
from evm.gas import GAS_MODEXP_DIVISOR, GAS_MODEXP_MIN

# Gas figures at or above this can never be paid (a transaction's gas is a uint64), so they are
# capped here to keep the numbers small; callers compare against their gas left either way.
GAS_CAP: Final = 2**64 - 1

HEADER_SIZE: Final = 96
# Iterations counted per exponent byte past the first 32 (EIP-2565).
EXPONENT_BYTE_ITERATIONS: Final = 8


def read_int(data: bytes, start: int, size: int) -> int:
    """The big-endian integer of data[start:start + size], reading past the end as zeros.

    Only for sizes the caller has paid for: the result has `size` bytes of magnitude.
    """
    chunk = data[start : start + size]
    return int.from_bytes(chunk, "big") << (8 * (size - len(chunk)))


def read_lengths(data: bytes) -> tuple[int, int, int]:
    """Base, exponent and modulus lengths from the 96-byte header."""
    header = bytes(data[:HEADER_SIZE]).ljust(HEADER_SIZE, b"\x00")
    return (
        int.from_bytes(header[0:32], "big"),
        int.from_bytes(header[32:64], "big"),
        int.from_bytes(header[64:96], "big"),
    )


def read_exponent_head(data: bytes, base_length: int, exponent_length: int) -> int:
    """The exponent's first 32 bytes (fewer if it is shorter), zero-padded past the input's end."""
    return read_int(data, HEADER_SIZE + base_length, min(exponent_length, 32))


def iteration_count(
    exponent_length: int, exponent_head: int, bits_per_extra_byte: int = EXPONENT_BYTE_ITERATIONS
) -> int:
    """EIP-2565's adjusted exponent length: about the number of squarings pow() will do.

    Each exponent byte past the first 32 counts `bits_per_extra_byte` (8 here, 16 in Osaka).
    """
    head_bits = max(exponent_head.bit_length() - 1, 0)
    if exponent_length <= 32:
        count = head_bits
    else:
        count = bits_per_extra_byte * (exponent_length - 32) + head_bits
    return max(count, 1)


def gas(data: bytes) -> int:
    """EIP-2565: max(200, words(max(base, modulus length) in 8-byte words)**2 * iterations / 3)."""
    base_length, exponent_length, modulus_length = read_lengths(data)
    exponent_head = read_exponent_head(data, base_length, exponent_length)
    words = (max(base_length, modulus_length) + 7) // 8
    multiplication_complexity = words * words
    cost = multiplication_complexity * iteration_count(exponent_length, exponent_head)
    return min(max(GAS_MODEXP_MIN, cost // GAS_MODEXP_DIVISOR), GAS_CAP)


def compute(data: bytes, base_length: int, exponent_length: int, modulus_length: int) -> bytes:
    """base ** exponent % modulus as `modulus length` bytes (zeros for a zero modulus).

    Only for lengths the caller has bounded (by the price, or by Osaka's length limit).
    """
    exponent_start = HEADER_SIZE + base_length
    modulus_start = exponent_start + exponent_length
    modulus = read_int(data, modulus_start, modulus_length)
    if modulus == 0:
        return bytes(modulus_length)
    base = read_int(data, HEADER_SIZE, base_length)
    exponent = read_int(data, exponent_start, exponent_length)
    return pow(base, exponent, modulus).to_bytes(modulus_length, "big")


def run(data: bytes) -> bytes:
    """base ** exponent % modulus as `modulus length` bytes; never fails once gas is paid."""
    base_length, exponent_length, modulus_length = read_lengths(data)
    if modulus_length == 0:
        # The output is modulus-length bytes: nothing to compute, however long the exponent.
        return b""
    if gas(data) >= GAS_CAP:
        # Unpayable, so the interpreter cannot have got here; refuse rather than allocate.
        raise PrecompileFailure("modexp input lengths beyond any gas limit")
    return compute(data, base_length, exponent_length, modulus_length)

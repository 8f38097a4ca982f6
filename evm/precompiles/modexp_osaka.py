"""Precompile 0x05, MODEXP as Osaka changes it: bounded lengths (EIP-7823), new price (EIP-7883).

The input, output and arithmetic are Cancun's (see `modexp`, whose pieces this reuses). What
changes:
- EIP-7823: the base, exponent and modulus lengths must each be at most 1024 bytes; a longer
  one makes the call fail (burning all its gas), even when the modulus length is zero.
- EIP-7883: the price is max(500, multiplication complexity * iterations), with no divisor;
  the complexity is 16 up to 32-byte numbers and 2 * words**2 above (words of 8 bytes, of the
  longer of base and modulus), and each exponent byte past the first 32 counts 16 iterations.
"""

from typing import Final

from evm.errors import PrecompileFailure
from evm.precompiles.modexp import (
    GAS_CAP,
    compute,
    iteration_count,
    read_exponent_head,
    read_lengths,
)

# GAS (EIP-7883 as activated in Osaka). Owned here until evm/gas.py takes them over.
GAS_MODEXP_OSAKA_MIN: Final = 500
# Multiplication complexity of numbers up to 32 bytes.
GAS_MODEXP_OSAKA_SMALL_COMPLEXITY: Final = 16
# Factor on words**2 for numbers longer than 32 bytes.
GAS_MODEXP_OSAKA_WORDS_SQUARED_FACTOR: Final = 2
# Iterations counted per exponent byte past the first 32.
GAS_MODEXP_OSAKA_EXPONENT_BYTE_ITERATIONS: Final = 16

# EIP-7823's bound on each of the three lengths.
MAX_LENGTH: Final = 1024


def multiplication_complexity(base_length: int, modulus_length: int) -> int:
    """16 up to 32 bytes, else 2 * (8-byte words of the longer of base and modulus)**2."""
    max_length = max(base_length, modulus_length)
    if max_length <= 32:
        return GAS_MODEXP_OSAKA_SMALL_COMPLEXITY
    words = (max_length + 7) // 8
    return GAS_MODEXP_OSAKA_WORDS_SQUARED_FACTOR * words * words


def gas(data: bytes) -> int:
    """EIP-7883's price; lengths over the bound are priced as usual, `run` rejects them."""
    base_length, exponent_length, modulus_length = read_lengths(data)
    exponent_head = read_exponent_head(data, base_length, exponent_length)
    iterations = iteration_count(
        exponent_length, exponent_head, GAS_MODEXP_OSAKA_EXPONENT_BYTE_ITERATIONS
    )
    cost = multiplication_complexity(base_length, modulus_length) * iterations
    return min(max(GAS_MODEXP_OSAKA_MIN, cost), GAS_CAP)


def run(data: bytes) -> bytes:
    """base ** exponent % modulus as `modulus length` bytes; fails on a length over 1024."""
    base_length, exponent_length, modulus_length = read_lengths(data)
    if max(base_length, exponent_length, modulus_length) > MAX_LENGTH:
        raise PrecompileFailure(f"modexp input length over {MAX_LENGTH} bytes")
    return compute(data, base_length, exponent_length, modulus_length)

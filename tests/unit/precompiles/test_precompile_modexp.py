"""MODEXP (0x05): EIP-198 examples and semantics, EIP-2565 prices, and hostile lengths."""

import time

import pytest

from evm.errors import PrecompileFailure
from evm.precompiles import modexp

SECP256K1_P = 2**256 - 2**32 - 977


def encode(base: bytes, exponent: bytes, modulus: bytes) -> bytes:
    """The precompile input for three numbers given as byte strings of their own lengths."""
    lengths = b"".join(len(x).to_bytes(32, "big") for x in (base, exponent, modulus))
    return lengths + base + exponent + modulus


def header(base_length: int, exponent_length: int, modulus_length: int) -> bytes:
    return b"".join(n.to_bytes(32, "big") for n in (base_length, exponent_length, modulus_length))


def int_bytes(n: int, size: int) -> bytes:
    return n.to_bytes(size, "big")


# EIP-198's examples, with EIP-2565's price for them (1360 in the EIP-2565 table).
EIP198_FERMAT = encode(b"\x03", int_bytes(SECP256K1_P - 1, 32), int_bytes(SECP256K1_P, 32))
EIP198_ZERO_BASE = header(0, 32, 32) + int_bytes(SECP256K1_P - 1, 32) + int_bytes(SECP256K1_P, 32)


@pytest.mark.parametrize(
    ("data", "output", "gas"),
    [
        pytest.param(EIP198_FERMAT, int_bytes(1, 32), 1360, id="eip198-fermat"),
        pytest.param(EIP198_ZERO_BASE, int_bytes(0, 32), 1360, id="eip198-zero-length-base"),
        pytest.param(
            encode(b"\x02", b"\x0a", b"\x03\xe8"), int_bytes(24, 2), 200, id="2^10-mod-1000"
        ),
        pytest.param(encode(b"\x00", b"\x00", b"\x05"), b"\x01", 200, id="0^0-is-1"),
        pytest.param(encode(b"\x07", b"\x05", b"\x01"), b"\x00", 200, id="mod-1"),
        pytest.param(
            encode(b"\x07", b"\x05", b"\x00\x00"), b"\x00\x00", 200, id="mod-0-gives-zeros"
        ),
        pytest.param(encode(b"\x07", b"\x05", b""), b"", 200, id="mod-length-0-gives-empty"),
        pytest.param(encode(b"", b"", b""), b"", 200, id="all-empty"),
        pytest.param(b"", b"", 200, id="no-input-at-all"),
        # Reading past the end gives zeros: base 3, exponent 0x0200 (two bytes, the second one
        # missing), modulus missing entirely (so 0) -> modulus-length zero bytes.
        pytest.param(header(1, 2, 3) + b"\x03\x02", b"\x00\x00\x00", 200, id="short-input-zeros"),
        # Here only the low bytes of the modulus are missing: modulus 0x0100 = 256.
        pytest.param(
            header(1, 1, 2) + b"\x03\x05\x01", int_bytes(3**5 % 256, 2), 200, id="short-modulus"
        ),
    ],
)
def test_known_results(data: bytes, output: bytes, gas: int) -> None:
    assert modexp.run(data) == output
    assert modexp.gas(data) == gas


# EIP-2565's table of prices for the go-ethereum "nagydani" benchmarks: base and modulus of the
# same length, exponent 2 (square), 3 (qube) or 0x10001. The gas depends only on the lengths
# and the exponent.
NAGYDANI = [
    (64, 2, 200),
    (64, 3, 200),
    (64, 0x10001, 341),
    (128, 2, 200),
    (128, 3, 200),
    (128, 0x10001, 1365),
    (256, 2, 341),
    (256, 3, 341),
    (256, 0x10001, 5461),
    (512, 2, 1365),
    (512, 3, 1365),
    (512, 0x10001, 21845),
    (1024, 2, 5461),
    (1024, 3, 5461),
    (1024, 0x10001, 87381),
]


@pytest.mark.parametrize(("size", "exponent", "gas"), NAGYDANI)
def test_eip2565_price_table(size: int, exponent: int, gas: int) -> None:
    base = bytes(range(1, 256)) * 5
    modulus = bytes(range(255, 0, -1)) * 5
    exponent_bytes = exponent.to_bytes((exponent.bit_length() + 7) // 8, "big")
    data = encode(base[:size], exponent_bytes, modulus[:size])
    assert modexp.gas(data) == gas
    expected = pow(int.from_bytes(base[:size]), exponent, int.from_bytes(modulus[:size]))
    assert modexp.run(data) == expected.to_bytes(size, "big")


@pytest.mark.parametrize(
    ("exponent_length", "exponent_head", "iterations"),
    [
        (0, 0, 1),
        (1, 0, 1),
        (32, 0, 1),
        (1, 1, 1),
        (1, 2, 1),
        (1, 0x80, 7),
        (32, 2**255, 255),
        (33, 0, 8),
        (33, 1, 8),
        (33, 2, 9),
        (64, 2**255, 8 * 32 + 255),
    ],
)
def test_eip2565_iteration_count(exponent_length: int, exponent_head: int, iterations: int) -> None:
    assert modexp.iteration_count(exponent_length, exponent_head) == iterations
    # With 8-byte base and modulus the multiplication complexity is 1: gas = iterations // 3.
    exponent = exponent_head.to_bytes(32, "big")[32 - min(exponent_length, 32) :]
    data = header(8, exponent_length, 8) + bytes(8) + exponent
    assert modexp.gas(data) == max(200, iterations // 3)


def test_exponent_head_is_its_first_32_bytes() -> None:
    # A 40-byte exponent 0x01 ++ 39 zero bytes: head is 0x01 ++ 31 zeros (bit length 249), so
    # iterations are 8 * 8 + 248; base and modulus of 64 bytes give complexity 64.
    data = header(64, 40, 64) + bytes(64) + b"\x01" + bytes(39) + bytes(64)
    assert modexp.gas(data) == 64 * (8 * 8 + 248) // 3


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(header(0, 2**256 - 1, 0), id="giant-exponent-no-modulus"),
        pytest.param(header(0, 2**255, 0) + b"\xff" * 64, id="giant-exponent-with-bytes"),
    ],
)
def test_giant_lengths_without_modulus_are_cheap_and_instant(data: bytes) -> None:
    started = time.perf_counter()
    assert modexp.gas(data) == 200
    assert modexp.run(data) == b""
    assert time.perf_counter() - started < 0.1


def test_giant_base_without_modulus_is_priced_but_returns_nothing() -> None:
    # The base length alone makes the multiplication complexity huge, though nothing is computed.
    data = header(2**256 - 1, 2**256 - 1, 0)
    assert modexp.gas(data) == modexp.GAS_CAP
    assert modexp.run(data) == b""


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(header(0, 2**256 - 1, 1) + b"\xff" * 100, id="giant-exponent"),
        pytest.param(header(2**256 - 1, 1, 1), id="giant-base"),
        pytest.param(header(1, 1, 2**256 - 1), id="giant-modulus"),
        # EIP-198's third example: a zero-length base with a huge modulus length.
        pytest.param(
            header(0, 32, 2**256 - 1) + b"\xff" * 64 + int_bytes(SECP256K1_P, 32),
            id="eip198-huge-modulus",
        ),
    ],
)
def test_giant_lengths_cost_more_than_any_gas_and_never_run(data: bytes) -> None:
    assert modexp.gas(data) == modexp.GAS_CAP
    with pytest.raises(PrecompileFailure):
        modexp.run(data)


def test_long_exponent_with_zero_length_base_is_priced_per_exponent_byte() -> None:
    # Zero-length base, 1-byte modulus: each exponent byte past 32 costs 8 iterations.
    data = header(0, 3000, 1) + bytes(3000) + b"\x07"
    assert modexp.gas(data) == 8 * (3000 - 32) // 3
    assert modexp.run(data) == b"\x01"  # 0 ** 0 % 7

"""MODEXP (0x05) as Osaka has it: EIP-7823's length bounds and EIP-7883's prices."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evm.errors import PrecompileFailure
from evm.precompiles import modexp, modexp_osaka


def encode(base: bytes, exponent: bytes, modulus: bytes) -> bytes:
    lengths = b"".join(len(x).to_bytes(32, "big") for x in (base, exponent, modulus))
    return lengths + base + exponent + modulus


def header(base_length: int, exponent_length: int, modulus_length: int) -> bytes:
    return b"".join(n.to_bytes(32, "big") for n in (base_length, exponent_length, modulus_length))


# go-ethereum core/vm/testdata/precompiles/modexp_eip7883.json, "nagydani-1-square" and
# "nagydani-1-pow0x10001": 64-byte base and modulus, exponent 2 and 0x10001.
NAGYDANI_1_BASE = bytes.fromhex(
    "e09ad9675465c53a109fac66a445c91b292d2bb2c5268addb30cd82f80fcb003"
    "3ff97c80a5fc6f39193ae969c6ede6710a6b7ac27078a06d90ef1c72e5c85fb5"
)
NAGYDANI_1_MODULUS = bytes.fromhex(
    "fc9e1f6beb81516545975218075ec2af118cd8798df6e08a147c60fd6095ac2b"
    "b02c2908cf4dd7c81f11c289e4bce98f3553768f392a80ce22bf5c4f4a248c6b"
)


@pytest.mark.parametrize(
    ("exponent", "output", "gas"),
    [
        pytest.param(
            b"\x02",
            "60008f1614cc01dcfb6bfb09c625cf90b47d4468db81b5f8b7a39d42f332eab9"
            "b2da8f2d95311648a8f243f4bb13cfb3d8f7f2a3c014122ebb3ed41b02783adc",
            500,
            id="nagydani-1-square",
        ),
        pytest.param(
            b"\x01\x00\x01",
            "c36d804180c35d4426b57b50c5bfcca5c01856d104564cd513b461d3c8b84091"
            "28a5573e416d0ebe38f5f736766d9dc27143e4da981dfa4d67f7dc474cbee6d2",
            2048,
            id="nagydani-1-pow0x10001",
        ),
    ],
)
def test_geth_vectors(exponent: bytes, output: str, gas: int) -> None:
    data = encode(NAGYDANI_1_BASE, exponent, NAGYDANI_1_MODULUS)
    assert modexp_osaka.gas(data) == gas
    assert modexp_osaka.run(data) == bytes.fromhex(output)


# The nagydani benchmarks' prices under EIP-7883 (go-ethereum modexp_eip7883.json "Gas"; the
# larger sizes follow from the formula): base and modulus of `size` bytes, exponent 2, 3 or
# 0x10001. Compare the EIP-2565 table in test_precompile_modexp.py.
NAGYDANI = [
    (64, 2, 500),
    (64, 3, 500),
    (64, 0x10001, 2048),
    (128, 2, 512),
    (128, 3, 512),
    (128, 0x10001, 8192),
    (256, 2, 2048),
    (256, 3, 2048),
    (256, 0x10001, 32768),
    (512, 2, 8192),
    (512, 3, 8192),
    (512, 0x10001, 131072),
    (1024, 2, 32768),
    (1024, 3, 32768),
    (1024, 0x10001, 524288),
]


@pytest.mark.parametrize(("size", "exponent", "gas"), NAGYDANI)
def test_eip7883_price_table(size: int, exponent: int, gas: int) -> None:
    base = bytes(range(1, 256)) * 5
    modulus = bytes(range(255, 0, -1)) * 5
    exponent_bytes = exponent.to_bytes((exponent.bit_length() + 7) // 8, "big")
    data = encode(base[:size], exponent_bytes, modulus[:size])
    assert modexp_osaka.gas(data) == gas
    expected = pow(int.from_bytes(base[:size]), exponent, int.from_bytes(modulus[:size]))
    assert modexp_osaka.run(data) == expected.to_bytes(size, "big")
    # The arithmetic is Cancun's; only the price changed.
    assert modexp_osaka.run(data) == modexp.run(data)


@pytest.mark.parametrize(
    ("base_length", "modulus_length", "complexity"),
    [
        (0, 0, 16),
        (1, 1, 16),
        (32, 0, 16),
        (0, 32, 16),
        (33, 0, 2 * 5 * 5),
        (32, 33, 2 * 5 * 5),
        (64, 64, 2 * 8 * 8),
        (1024, 1, 2 * 128 * 128),
    ],
)
def test_multiplication_complexity(base_length: int, modulus_length: int, complexity: int) -> None:
    assert modexp_osaka.multiplication_complexity(base_length, modulus_length) == complexity


@pytest.mark.parametrize(
    ("exponent_length", "exponent_head", "iterations"),
    [
        (0, 0, 1),
        (32, 0, 1),
        (1, 0x80, 7),
        (32, 2**255, 255),
        (33, 0, 16),
        (33, 2, 17),
        (64, 2**255, 16 * 32 + 255),
    ],
)
def test_iterations_count_16_per_extra_exponent_byte(
    exponent_length: int, exponent_head: int, iterations: int
) -> None:
    # Base and modulus up to 32 bytes: complexity 16, so gas = max(500, 16 * iterations).
    exponent = exponent_head.to_bytes(32, "big")[32 - min(exponent_length, 32) :]
    data = header(8, exponent_length, 8) + bytes(8) + exponent
    assert modexp_osaka.gas(data) == max(500, 16 * iterations)


def test_minimum_price_is_500() -> None:
    assert modexp_osaka.gas(b"") == 500
    assert modexp_osaka.gas(encode(b"\x02", b"\x03", b"\x05")) == 500


@pytest.mark.parametrize(
    "lengths",
    [(1024, 1, 1), (1, 1024, 1), (1, 1, 1024), (1024, 1024, 1024), (0, 0, 0)],
    ids=str,
)
def test_lengths_up_to_1024_run(lengths: tuple[int, int, int]) -> None:
    base_length, exponent_length, modulus_length = lengths
    data = header(*lengths) + b"\x03" * base_length + b"\x01" * exponent_length
    data += b"\x00" * (modulus_length - 1) + b"\x07" if modulus_length else b""
    expected = pow(
        int.from_bytes(b"\x03" * base_length),
        int.from_bytes(b"\x01" * exponent_length),
        int.from_bytes(data[96 + base_length + exponent_length :]) or 1,
    )
    assert modexp_osaka.run(data) == expected.to_bytes(modulus_length, "big")


@pytest.mark.parametrize(
    "lengths",
    [
        (1025, 1, 1),
        (1, 1025, 1),
        (1, 1, 1025),
        # Cancun returns nothing for a zero-length modulus; Osaka checks the bound first.
        (1025, 0, 0),
        (0, 1025, 0),
        (2**256 - 1, 0, 0),
        (0, 2**256 - 1, 0),
        (0, 0, 2**256 - 1),
    ],
    ids=str,
)
def test_a_length_over_1024_fails(lengths: tuple[int, int, int]) -> None:
    data = header(*lengths) + b"\x01" * 40
    with pytest.raises(PrecompileFailure):
        modexp_osaka.run(data)


def test_a_length_over_1024_is_still_priced() -> None:
    # The price is EIP-7883's whatever the lengths; the failure comes from `run` (either way
    # the call burns all its gas).
    assert modexp_osaka.gas(header(1025, 0, 0)) == 2 * 129 * 129
    assert modexp_osaka.gas(header(2**256 - 1, 0, 0)) == modexp.GAS_CAP


@given(
    lengths=st.tuples(*[st.integers(0, 2**256 - 1) | st.integers(0, 1100)] * 3),
    tail=st.binary(max_size=200),
)
def test_gas_never_raises(lengths: tuple[int, int, int], tail: bytes) -> None:
    data = header(*lengths) + tail
    assert 500 <= modexp_osaka.gas(data) <= modexp.GAS_CAP


@given(base=st.binary(max_size=40), exponent=st.binary(max_size=40), modulus=st.binary(max_size=40))
def test_same_results_as_cancun(base: bytes, exponent: bytes, modulus: bytes) -> None:
    data = encode(base, exponent, modulus)
    assert modexp_osaka.run(data) == modexp.run(data)

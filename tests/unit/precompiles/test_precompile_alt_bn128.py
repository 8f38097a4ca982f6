"""ECADD (0x06), ECMUL (0x07), ECPAIRING (0x08): known points, point validation, prices.

Each pairing costs py_ecc the best part of a second, so the pairing table is kept short; the
state tests in stZeroKnowledge* exercise many more inputs.
"""

import pytest
from py_ecc.optimized_bn128 import FQ2, b2, is_on_curve

from evm.errors import PrecompileFailure
from evm.precompiles import ecadd, ecmul, ecpairing

P = 0x30644E72E131A029B85045B68181585D97816A916871CA8D3C208C16D87CFD47  # field modulus
R = 0x30644E72E131A029B85045B68181585D2833E84879B9709143E1F593F0000001  # group order


def word(n: int) -> bytes:
    return n.to_bytes(32, "big")


def hexb(text: str) -> bytes:
    return bytes.fromhex("".join(text.split()))


G1 = word(1) + word(2)
NEG_G1 = word(1) + word(P - 2)
G1_DOUBLE = hexb("""
    030644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd3
    15ed738c0e0a7c92e7845f96b2ae9c0a68a6a449e3538fc7ff3ebf7a5a18a2c4
""")
INFINITY_G1 = bytes(64)
NOT_ON_CURVE_G1 = word(1) + word(3)

# G2 points as EIP-197 writes them: x imaginary, x real, y imaginary, y real.
G2 = hexb("""
    198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c2
    1800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed
    090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b
    12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa
""")
G2_DOUBLE = hexb("""
    203e205db4f19b37b60121b83a7333706db86431c6d835849957ed8c3928ad79
    27dc7234fd11d3e8c36c59277c3e6f149d5cd3cfa9a62aee49f8130962b4b3b9
    195e8aa5b7827463722b8c153931579d3505566b4edf48d498e185f0509de152
    04bb53b8977e5f92a0bc372742c4830944a59b4fe6b1c0466e2a6dad122b5d2e
""")
INFINITY_G2 = bytes(128)
# On the twisted curve (x = 1, y a square root of 1 + b2) but outside the order-r subgroup.
NOT_IN_SUBGROUP_G2 = hexb("""
    0000000000000000000000000000000000000000000000000000000000000000
    0000000000000000000000000000000000000000000000000000000000000001
    0d1271953ed9ea0836846e70a1934187998c7f790cb4d7511b7f8da82de048a4
    2869111d5381f072f8e2728fdb825a51aadd70e52c9830e9ab4b871c0531f1bb
""")
NOT_ON_CURVE_G2 = G2[:96] + word(int.from_bytes(G2[96:], "big") + 1)
G2_X_IMAGINARY_PLUS_P = word(int.from_bytes(G2[:32], "big") + P) + G2[32:]


def test_subgroup_vector_is_on_the_twist() -> None:
    x_im, x_re, y_im, y_re = (
        int.from_bytes(NOT_IN_SUBGROUP_G2[i : i + 32]) for i in range(0, 128, 32)
    )
    assert is_on_curve((FQ2([x_re, x_im]), FQ2([y_re, y_im]), FQ2.one()), b2)


# ECADD ------------------------------------------------------------------------------------------

# go-ethereum's bn256Add "chfast1" vector.
CHFAST_ADD_INPUT = hexb("""
    18b18acfb4c2c30276db5411368e7185b311dd124691610c5d3b74034e093dc9
    063c909c4720840cb5134cb9f59fa749755796819658d32efc0d288198f37266
    07c2b7f58a84bd6145f00c9c2bc0bb1a187f20ff2c92963a88019e7c6a014eed
    06614e20c147e940f2d70da3f74c9a17df361706a4485c742bd6788478fa17d7
""")
CHFAST_ADD_OUTPUT = hexb("""
    2243525c5efd4b9c3d3c45ac0ca3fe4dd85e830a4ce6b65fa1eeaee202839703
    301d1d33be6da8e509df21cc35964723180eed7532537db9ae5e7d48f195c915
""")


@pytest.mark.parametrize(
    ("data", "output"),
    [
        pytest.param(CHFAST_ADD_INPUT, CHFAST_ADD_OUTPUT, id="chfast1"),
        pytest.param(G1 + G1, G1_DOUBLE, id="g-plus-g-doubles"),
        pytest.param(G1 + NEG_G1, INFINITY_G1, id="g-plus-minus-g-is-infinity"),
        pytest.param(G1 + INFINITY_G1, G1, id="g-plus-infinity"),
        pytest.param(INFINITY_G1 + G1, G1, id="infinity-plus-g"),
        pytest.param(b"", INFINITY_G1, id="empty-input-is-two-infinities"),
        pytest.param(G1, G1, id="short-input-padded"),
        pytest.param(G1 + G1 + b"\xff" * 64, G1_DOUBLE, id="bytes-past-128-ignored"),
    ],
)
def test_ecadd(data: bytes, output: bytes) -> None:
    assert ecadd.run(data) == output


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(NOT_ON_CURVE_G1 + G1, id="first-not-on-curve"),
        pytest.param(G1 + NOT_ON_CURVE_G1, id="second-not-on-curve"),
        pytest.param(word(P) + word(0) + G1, id="x-equals-modulus"),
        pytest.param(word(1) + word(2 + P) + G1, id="y-is-2-plus-modulus"),
        pytest.param(word(0) + word(P) + G1, id="infinity-plus-modulus"),
        pytest.param(word(0) + word(1) + G1, id="zero-x-nonzero-y"),
    ],
)
def test_ecadd_rejects_invalid_points(data: bytes) -> None:
    with pytest.raises(PrecompileFailure):
        ecadd.run(data)


# ECMUL ------------------------------------------------------------------------------------------

# go-ethereum's bn256ScalarMul "chfast1" vector.
CHFAST_MUL_INPUT = hexb("""
    2bd3e6d0f3b142924f5ca7b49ce5b9d54c4703d7ae5648e61d02268b1a0a9fb7
    21611ce0a6af85915e2f1d70300909ce2e49dfad4a4619c8390cae66cefdb204
    00000000000000000000000000000000000000000000000011138ce750fa15c2
""")
CHFAST_MUL_OUTPUT = hexb("""
    070a8d6a982153cae4be29d434e8faef8a47b274a053f5a4ee2a6c9c13c31e5c
    031b8ce914eba3a9ffb989f9cdd5b0f01943074bf4f0f315690ec3cec6981afc
""")


@pytest.mark.parametrize(
    ("data", "output"),
    [
        pytest.param(CHFAST_MUL_INPUT, CHFAST_MUL_OUTPUT, id="chfast1"),
        pytest.param(G1 + word(2), G1_DOUBLE, id="g-times-2"),
        pytest.param(G1 + word(1), G1, id="g-times-1"),
        pytest.param(G1 + word(0), INFINITY_G1, id="g-times-0"),
        pytest.param(G1, INFINITY_G1, id="missing-scalar-is-0"),
        pytest.param(G1 + word(R), INFINITY_G1, id="g-times-order"),
        pytest.param(G1 + word(R + 2), G1_DOUBLE, id="scalar-works-mod-order"),
        pytest.param(G1 + word(R - 1), NEG_G1, id="g-times-minus-1"),
        pytest.param(G1 + word(2**256 - 1), ecmul.run(G1 + word((2**256 - 1) % R)), id="max"),
        pytest.param(INFINITY_G1 + word(5), INFINITY_G1, id="infinity-times-5"),
        pytest.param(b"", INFINITY_G1, id="empty-input"),
        pytest.param(G1 + word(2) + b"\xff" * 32, G1_DOUBLE, id="bytes-past-96-ignored"),
    ],
)
def test_ecmul(data: bytes, output: bytes) -> None:
    assert ecmul.run(data) == output


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(NOT_ON_CURVE_G1 + word(2), id="not-on-curve"),
        pytest.param(NOT_ON_CURVE_G1 + word(0), id="not-on-curve-times-0"),
        pytest.param(word(1) + word(2 + P) + word(1), id="y-plus-modulus"),
    ],
)
def test_ecmul_rejects_invalid_points(data: bytes) -> None:
    with pytest.raises(PrecompileFailure):
        ecmul.run(data)


# ECPAIRING --------------------------------------------------------------------------------------

TRUE = word(1)
FALSE = word(0)


@pytest.mark.parametrize(
    ("data", "output"),
    [
        pytest.param(b"", TRUE, id="no-pairs"),
        pytest.param(INFINITY_G1 + G2, TRUE, id="g1-infinity"),
        pytest.param(G1 + INFINITY_G2, TRUE, id="g2-infinity"),
        pytest.param(G1 + G2, FALSE, id="e(g1,g2)-is-not-1"),
        pytest.param(G1 + G2 + NEG_G1 + G2, TRUE, id="e(g1,g2)*e(-g1,g2)"),
        pytest.param(G1_DOUBLE + G2 + NEG_G1 + G2_DOUBLE, TRUE, id="bilinear-e(2g1,g2)*e(-g1,2g2)"),
        pytest.param(G1_DOUBLE + G2 + G1 + G2_DOUBLE, FALSE, id="e(2g1,g2)*e(g1,2g2)"),
    ],
)
def test_ecpairing(data: bytes, output: bytes) -> None:
    assert ecpairing.run(data) == output


@pytest.mark.parametrize(
    "data",
    [
        pytest.param((G1 + G2)[:191], id="191-bytes"),
        pytest.param(G1 + G2 + b"\x00", id="193-bytes"),
        pytest.param(G1, id="64-bytes"),
        pytest.param(NOT_ON_CURVE_G1 + G2, id="g1-not-on-curve"),
        pytest.param(NOT_ON_CURVE_G1 + INFINITY_G2, id="g1-invalid-beside-g2-infinity"),
        pytest.param(word(P) + word(0) + G2, id="g1-x-equals-modulus"),
        pytest.param(G1 + NOT_ON_CURVE_G2, id="g2-not-on-twist"),
        pytest.param(G1 + NOT_IN_SUBGROUP_G2, id="g2-not-in-subgroup"),
        pytest.param(INFINITY_G1 + NOT_IN_SUBGROUP_G2, id="g2-not-in-subgroup-beside-infinity"),
        pytest.param(G1 + G2_X_IMAGINARY_PLUS_P, id="g2-coordinate-plus-modulus"),
        pytest.param(G1 + bytes(96) + word(P), id="g2-infinity-plus-modulus"),
        pytest.param(G1 + G2 + G1 + NOT_IN_SUBGROUP_G2, id="second-pair-invalid"),
    ],
)
def test_ecpairing_rejects_invalid_input(data: bytes) -> None:
    with pytest.raises(PrecompileFailure):
        ecpairing.run(data)


# GAS --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", G1 + G1, b"\xff" * 300])
def test_ecadd_and_ecmul_gas_is_flat(data: bytes) -> None:
    assert ecadd.gas(data) == 150
    assert ecmul.gas(data) == 6000


@pytest.mark.parametrize(
    ("length", "gas"),
    [(0, 45000), (191, 45000), (192, 79000), (193, 79000), (384, 113000), (192 * 10, 385000)],
)
def test_ecpairing_gas(length: int, gas: int) -> None:
    assert ecpairing.gas(bytes(length)) == gas

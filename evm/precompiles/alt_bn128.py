"""The alt_bn128 (BN254) curve as precompiles 0x06-0x08 see it: decoding and checking points.

Shared by `ecadd`, `ecmul` and `ecpairing`; the arithmetic is py_ecc's optimized_bn128, the
reference implementation. Encodings (EIP-196/197): a field element is a 32-byte big-endian
number below the field modulus p; a G1 point is (x, y) and a G2 point is (x, y) over FQ2, each
FQ2 element a * i + b written as a then b (imaginary part first). (0, 0) and (0, 0, 0, 0)
encode the point at infinity. Any other point must be on its curve, and a G2 point must also
lie in the order-r subgroup (G1 has cofactor 1, so being on the curve is enough). Anything
else raises PrecompileFailure.
"""

from typing import Final, TypeAlias

from py_ecc.optimized_bn128 import (
    FQ,
    FQ2,
    Z1,
    Z2,
    b,
    b2,
    curve_order,
    field_modulus,
    is_inf,
    is_on_curve,
    multiply,
    normalize,
)

from evm.errors import PrecompileFailure

G1Point: TypeAlias = tuple[FQ, FQ, FQ]
G2Point: TypeAlias = tuple[FQ2, FQ2, FQ2]

G1_SIZE: Final = 64
G2_SIZE: Final = 128


def _field_element(data: bytes, start: int) -> int:
    """The 32-byte big-endian number at `start`, which must be below the field modulus."""
    value = int.from_bytes(data[start : start + 32], "big")
    if value >= field_modulus:
        raise PrecompileFailure("alt_bn128 coordinate is not below the field modulus")
    return value


def decode_g1(data: bytes) -> G1Point:
    """A G1 point (projective) from 64 bytes: (0, 0) is infinity, else it must be on the curve."""
    x = _field_element(data, 0)
    y = _field_element(data, 32)
    if x == 0 and y == 0:
        return Z1
    point = (FQ(x), FQ(y), FQ.one())
    if not is_on_curve(point, b):
        raise PrecompileFailure("alt_bn128 G1 point is not on the curve")
    return point


def decode_g2(data: bytes) -> G2Point:
    """A G2 point (projective) from 128 bytes: all zeros is infinity, else it must be on the
    twisted curve and in the order-r subgroup."""
    x_imaginary = _field_element(data, 0)
    x_real = _field_element(data, 32)
    y_imaginary = _field_element(data, 64)
    y_real = _field_element(data, 96)
    if x_imaginary == x_real == y_imaginary == y_real == 0:
        return Z2
    point = (FQ2([x_real, x_imaginary]), FQ2([y_real, y_imaginary]), FQ2.one())
    if not is_on_curve(point, b2):
        raise PrecompileFailure("alt_bn128 G2 point is not on the twisted curve")
    # The twist has points outside the order-r subgroup; r * P is infinity only inside it.
    if not is_inf(multiply(point, curve_order)):
        raise PrecompileFailure("alt_bn128 G2 point is not in the order-r subgroup")
    return point


def encode_g1(point: G1Point) -> bytes:
    """64 bytes (x, y) in affine coordinates; infinity as (0, 0)."""
    if is_inf(point):
        return bytes(G1_SIZE)
    x, y = normalize(point)
    return int(x).to_bytes(32, "big") + int(y).to_bytes(32, "big")

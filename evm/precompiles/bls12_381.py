"""The BLS12-381 curve as precompiles 0x0b-0x11 (EIP-2537) see it: encodings, checks and prices.

Shared by the seven `bls12_*` precompile modules. The curve arithmetic, subgroup checks, pairing
and the field-to-curve maps are py-arkworks-bls12381's (Rust arkworks behind crate-crypto's thin
binding, which the consensus specs use to generate KZG test vectors); this module only turns
EIP-2537's byte encodings into its points and back, and rejects what the EIP rejects.

Encodings (EIP-2537): an Fp element is 64 bytes big-endian whose top 16 bytes must be zero and
whose value must be below the field modulus p; an Fp2 element c0 + c1 * v is c0 then c1 (real
part first, unlike alt_bn128's EIP-197). A G1 point is x then y (128 bytes), a G2 point x then y
over Fp2 (256 bytes); all zeros is the point at infinity, and any other point must be on its
curve. Callers ask for the order-q subgroup check where the EIP requires it (MSM and pairing
inputs; the ADD precompiles only check that points are on the curve). A scalar is 32 bytes
big-endian, any value (it is not required to be below q). Anything malformed raises
PrecompileFailure.
"""

from typing import Final

from py_arkworks_bls12381 import G1Point, G2Point, Scalar

from evm.errors import PrecompileFailure

# GAS (EIP-2537 as activated in Prague). Owned here until evm/gas.py takes them over.
GAS_BLS12_G1ADD: Final = 375
GAS_BLS12_G2ADD: Final = 600
# Per-pair price of the MSMs before the discount: the price of one scalar multiplication.
GAS_BLS12_G1MUL: Final = 12_000
GAS_BLS12_G2MUL: Final = 22_500
GAS_BLS12_PAIRING_BASE: Final = 37_700
GAS_BLS12_PAIRING_PER_PAIR: Final = 32_600
GAS_BLS12_MAP_FP_TO_G1: Final = 5_500
GAS_BLS12_MAP_FP2_TO_G2: Final = 23_800
GAS_BLS12_MSM_MULTIPLIER: Final = 1_000
# MSM discounts in thousandths for k = 1..128 pairs; k > 128 uses the last entry (the EIP's
# max_discount: 519 for G1, 524 for G2).
# fmt: off
GAS_BLS12_G1MSM_DISCOUNT: Final = (
    1000, 949, 848, 797, 764, 750, 738, 728, 719, 712, 705, 698, 692, 687, 682, 677,
    673, 669, 665, 661, 658, 654, 651, 648, 645, 642, 640, 637, 635, 632, 630, 627,
    625, 623, 621, 619, 617, 615, 613, 611, 609, 608, 606, 604, 603, 601, 599, 598,
    596, 595, 593, 592, 591, 589, 588, 586, 585, 584, 582, 581, 580, 579, 577, 576,
    575, 574, 573, 572, 570, 569, 568, 567, 566, 565, 564, 563, 562, 561, 560, 559,
    558, 557, 556, 555, 554, 553, 552, 551, 550, 549, 548, 547, 547, 546, 545, 544,
    543, 542, 541, 540, 540, 539, 538, 537, 536, 536, 535, 534, 533, 532, 532, 531,
    530, 529, 528, 528, 527, 526, 525, 525, 524, 523, 522, 522, 521, 520, 520, 519,
)
GAS_BLS12_G2MSM_DISCOUNT: Final = (
    1000, 1000, 923, 884, 855, 832, 812, 796, 782, 770, 759, 749, 740, 732, 724, 717,
    711, 704, 699, 693, 688, 683, 679, 674, 670, 666, 663, 659, 655, 652, 649, 646,
    643, 640, 637, 634, 632, 629, 627, 624, 622, 620, 618, 615, 613, 611, 609, 607,
    606, 604, 602, 600, 598, 597, 595, 593, 592, 590, 589, 587, 586, 584, 583, 582,
    580, 579, 578, 576, 575, 574, 573, 571, 570, 569, 568, 567, 566, 565, 563, 562,
    561, 560, 559, 558, 557, 556, 555, 554, 553, 552, 552, 551, 550, 549, 548, 547,
    546, 545, 545, 544, 543, 542, 541, 541, 540, 539, 538, 537, 537, 536, 535, 535,
    534, 533, 532, 532, 531, 530, 530, 529, 528, 528, 527, 526, 526, 525, 524, 524,
)
# fmt: on

# The curve's parameter x and the base field modulus p it defines (0x1a0111ea...ffffaaab).
X: Final = -0xD201000000010000
P: Final = (X - 1) ** 2 * (X**4 - X**2 + 1) // 3 + X

FP_SIZE: Final = 64
FP2_SIZE: Final = 2 * FP_SIZE
G1_SIZE: Final = 2 * FP_SIZE
G2_SIZE: Final = 2 * FP2_SIZE
SCALAR_SIZE: Final = 32
# The library's own encodings: 48-byte big-endian field elements, no padding.
_RAW_FP_SIZE: Final = 48
_PADDING: Final = bytes(FP_SIZE - _RAW_FP_SIZE)


def msm_gas(data: bytes, pair_size: int, multiplication_gas: int, discounts: tuple) -> int:
    """k * multiplication_gas * discount(k) // 1000 for k = len(data) // pair_size pairs.

    An input that is not a whole, nonzero number of pairs is priced by its whole pairs (0 for
    none); `run` rejects it anyway, and a failure burns all gas whatever the price.
    """
    k = len(data) // pair_size
    if k == 0:
        return 0
    discount = discounts[min(k, len(discounts)) - 1]
    return k * multiplication_gas * discount // GAS_BLS12_MSM_MULTIPLIER


def _raw_fp(data: bytes, start: int) -> bytes:
    """The 48 significant bytes of the Fp element at `start`, after checking its encoding."""
    if any(data[start : start + FP_SIZE - _RAW_FP_SIZE]):
        raise PrecompileFailure("BLS12-381 field element has nonzero top 16 bytes")
    raw = data[start + FP_SIZE - _RAW_FP_SIZE : start + FP_SIZE]
    if int.from_bytes(raw, "big") >= P:
        raise PrecompileFailure("BLS12-381 field element is not below the field modulus")
    return raw


def _raw_fps(data: bytes, count: int) -> bytes:
    """`count` consecutive Fp elements from the start of `data`, unpadded and concatenated."""
    return b"".join(_raw_fp(data, i * FP_SIZE) for i in range(count))


def decode_fp(data: bytes) -> bytes:
    """An Fp element (64 bytes) as the library's 48-byte big-endian encoding."""
    return _raw_fps(data, 1)


def decode_fp2(data: bytes) -> bytes:
    """An Fp2 element (128 bytes, c0 then c1) as the library's 96-byte encoding."""
    return _raw_fps(data, 2)


def decode_g1(data: bytes, *, subgroup: bool) -> G1Point:
    """A G1 point from 128 bytes: infinity, or on the curve (and in the subgroup if asked)."""
    raw = _raw_fps(data, 2)
    try:
        # Checks that the point is on the curve; all zeros decodes to infinity.
        point = G1Point.from_xy_bytes_unchecked_be(raw)
    except ValueError as error:
        raise PrecompileFailure(f"invalid BLS12-381 G1 point: {error}") from error
    if subgroup and not point.is_in_subgroup():
        raise PrecompileFailure("BLS12-381 G1 point is not in the order-q subgroup")
    return point


def decode_g2(data: bytes, *, subgroup: bool) -> G2Point:
    """A G2 point from 256 bytes: infinity, or on the twist (and in the subgroup if asked)."""
    raw = _raw_fps(data, 4)
    try:
        point = G2Point.from_xy_bytes_unchecked_be(raw)
    except ValueError as error:
        raise PrecompileFailure(f"invalid BLS12-381 G2 point: {error}") from error
    if subgroup and not point.is_in_subgroup():
        raise PrecompileFailure("BLS12-381 G2 point is not in the order-q subgroup")
    return point


def decode_scalar(data: bytes) -> Scalar:
    """A 32-byte big-endian scalar, reduced mod q (only used on subgroup points, where
    multiplying by s and by s mod q agree)."""
    return Scalar.from_be_bytes_mod_order(data[:SCALAR_SIZE])


def _pad(raw: bytes) -> bytes:
    """The library's 48-byte field elements back to EIP-2537's 64-byte ones."""
    return b"".join(_PADDING + raw[i : i + _RAW_FP_SIZE] for i in range(0, len(raw), _RAW_FP_SIZE))


def encode_g1(point: G1Point) -> bytes:
    """128 bytes x then y in affine coordinates; infinity as all zeros."""
    return _pad(point.to_xy_bytes_be())


def encode_g2(point: G2Point) -> bytes:
    """256 bytes x then y over Fp2 in affine coordinates; infinity as all zeros."""
    return _pad(point.to_xy_bytes_be())

"""POINT_EVALUATION (0x0a): consensus-spec KZG vectors checked against the shipped setup."""

import hashlib

import pytest

from evm.errors import PrecompileFailure
from evm.gas import GAS_POINT_EVALUATION
from evm.precompiles import point_evaluation
from evm.precompiles.point_evaluation import BLS_MODULUS, TRUSTED_SETUP_PATH

RETURN_VALUE = bytes.fromhex(
    "0000000000000000000000000000000000000000000000000000000000001000"
    "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001"
)

INFINITY = b"\xc0" + bytes(47)  # compressed BLS12-381 point at infinity


def make_input(z: bytes, y: bytes, commitment: bytes, proof: bytes) -> bytes:
    versioned_hash = b"\x01" + hashlib.sha256(commitment).digest()[1:]
    return versioned_hash + z + y + commitment + proof


# verify_kzg_proof_case_correct_proof_420f2a187ce77035 from the consensus-spec KZG test vectors
# (as used by ethereum/tests Pyspecs/cancun/eip4844_blobs/point_evaluation_precompile_*).
CORRECT = bytes.fromhex(
    "014edfed8547661f6cb416eba53061a2f6dce872c0497e6dd485a876fe2567f1"
    "0000000000000000000000000000000000000000000000000000000000000002"
    "2bf4e1f980eb94661a21affc4d7e6e56f214fe3e7dc4d20b98c66ffd43cabeb0"
    "a421e229565952cfff4ef3517100a97da1d4fe57956fa50a442f92af03b1bf37"
    "adacc8ad4ed209b31287ea5bb94d9d06"
    "89012990b0ca02775bd9df8145f6c936444b83f54df1f5f274fb4312800a6505"
    "dd000ee8ec7b0ea6d72092a3daf0bffb"
)
# The zero polynomial: commitment and proof at infinity, y = 0 at any z.
ZERO_POLYNOMIAL = make_input((5).to_bytes(32, "big"), bytes(32), INFINITY, INFINITY)


def replace(data: bytes, start: int, new: bytes) -> bytes:
    return data[:start] + new + data[start + len(new) :]


def test_shipped_setup_is_mainnet_sized() -> None:
    lines = TRUSTED_SETUP_PATH.read_text().split()
    assert lines[:2] == ["4096", "65"]
    g1_lagrange, g2_monomial = lines[2 : 2 + 4096], lines[2 + 4096 : 2 + 4096 + 65]
    assert all(len(point) == 96 for point in g1_lagrange)
    assert all(len(point) == 192 for point in g2_monomial)
    # The first G2 point is the BLS12-381 G2 generator, as in every KZG ceremony output.
    assert g2_monomial[0].startswith(
        "93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049"
    )


@pytest.mark.parametrize(
    "data",
    [pytest.param(CORRECT, id="spec-vector"), pytest.param(ZERO_POLYNOMIAL, id="zero-polynomial")],
)
def test_valid_proof_returns_blob_parameters(data: bytes) -> None:
    assert point_evaluation.run(data) == RETURN_VALUE


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(CORRECT[:-1], id="191-bytes"),
        pytest.param(CORRECT + b"\x00", id="193-bytes"),
        pytest.param(b"", id="empty"),
        pytest.param(replace(CORRECT, 0, b"\x00"), id="versioned-hash-version-0"),
        pytest.param(replace(CORRECT, 31, b"\x00"), id="versioned-hash-mismatch"),
        pytest.param(replace(CORRECT, 95, b"\x00"), id="wrong-y"),
        pytest.param(replace(CORRECT, 63, b"\x03"), id="wrong-z"),
        pytest.param(
            make_input(BLS_MODULUS.to_bytes(32, "big"), bytes(32), INFINITY, INFINITY),
            id="z-equals-modulus",
        ),
        pytest.param(
            make_input(bytes(32), BLS_MODULUS.to_bytes(32, "big"), INFINITY, INFINITY),
            id="y-equals-modulus",
        ),
        pytest.param(make_input(bytes(32), bytes(32), bytes(48), INFINITY), id="bad-commitment"),
        pytest.param(replace(CORRECT, 144, INFINITY), id="proof-replaced-by-infinity"),
        pytest.param(replace(CORRECT, 144, b"\xff" * 48), id="proof-not-a-point"),
        pytest.param(
            make_input((5).to_bytes(32, "big"), (1).to_bytes(32, "big"), INFINITY, INFINITY),
            id="zero-polynomial-nonzero-y",
        ),
    ],
)
def test_invalid_input_fails(data: bytes) -> None:
    with pytest.raises(PrecompileFailure):
        point_evaluation.run(data)


@pytest.mark.parametrize("data", [b"", CORRECT, b"\x00" * 1000])
def test_gas_is_flat(data: bytes) -> None:
    assert point_evaluation.gas(data) == GAS_POINT_EVALUATION == 50000

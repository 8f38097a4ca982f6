"""ECRECOVER (0x01): known signers, and the inputs that must give empty output instead."""

import pytest
from coincurve import PrivateKey

from evm.gas import GAS_ECRECOVER
from evm.precompiles import ecrecover
from evm.precompiles.ecrecover import SECP256K1N


def word(n: int) -> bytes:
    return n.to_bytes(32, "big")


def padded(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address)


# The signature that the ethereum/tests CallEcrecover0 cases use: the well-known test account
# 0xa94f5374... signing this hash.
HASH = bytes.fromhex("18c547e4f7b0f325ad1e56f57e26c745b09a3e503d86e00e5255ff7f715d3d1c")
R = 0x73B1693892219D736CABA55BDB67216E485557EA6B6AF75F37096C9AA6A5A75F
S = 0xEEB940B1D03B21E36B0E47E79769F095FE2AB855BD91E3A38756B7D75A9C4549
SIGNER = padded("a94f5374fce5edbc8e2a8697c15331677e6ebf0b")
GOOD = HASH + word(28) + word(R) + word(S)

# Secp256k1 field prime; x = 5 has no point (5**3 + 7 is not a square mod P), so r = 5 recovers
# nothing.
P = 2**256 - 2**32 - 977
assert pow(5**3 + 7, (P - 1) // 2, P) != 1


def signed(private_key: int, message_hash: bytes) -> bytes:
    """Precompile input for `message_hash` signed by `private_key` (coincurve's signer)."""
    signature = PrivateKey(private_key.to_bytes(32, "big")).sign_recoverable(
        message_hash, hasher=None
    )
    r, s, recovery_id = signature[:32], signature[32:64], signature[64]
    return message_hash + word(27 + recovery_id) + r + s


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(GOOD, SIGNER, id="ethereum-tests-signer"),
        pytest.param(GOOD + b"\xff" * 50, SIGNER, id="bytes-past-128-ignored"),
        # Private keys 1 and 2 own these well-known addresses.
        pytest.param(
            signed(1, b"\x11" * 32), padded("7e5f4552091a69125d5dfcb7b8c2659029395bdf"), id="key-1"
        ),
        pytest.param(
            signed(2, b"\x22" * 32), padded("2b5ad5c4795c026514f8317c7a215e218dccd6cf"), id="key-2"
        ),
        # A high s is valid here (EIP-2 restricts transactions only): (r, n - s) with the other
        # parity recovers the same key.
        pytest.param(
            HASH + word(27) + word(R) + word(SECP256K1N - S), SIGNER, id="high-s-accepted"
        ),
    ],
)
def test_recovers_the_signer(data: bytes, expected: bytes) -> None:
    assert ecrecover.run(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty-input"),
        pytest.param(HASH + word(28), id="short-input-r-and-s-zero"),
        pytest.param(HASH + word(0) + word(R) + word(S), id="v-0"),
        pytest.param(HASH + word(1) + word(R) + word(S), id="v-1"),
        pytest.param(HASH + word(26) + word(R) + word(S), id="v-26"),
        pytest.param(HASH + word(29) + word(R) + word(S), id="v-29"),
        pytest.param(HASH + word(28 + 2**8) + word(R) + word(S), id="v-with-high-bytes"),
        pytest.param(HASH + word(28) + word(0) + word(S), id="r-zero"),
        pytest.param(HASH + word(28) + word(R) + word(0), id="s-zero"),
        pytest.param(HASH + word(28) + word(SECP256K1N) + word(S), id="r-equals-n"),
        pytest.param(HASH + word(28) + word(R) + word(SECP256K1N), id="s-equals-n"),
        pytest.param(HASH + word(28) + word(2**256 - 1) + word(S), id="r-max"),
        pytest.param(HASH + word(27) + word(5) + word(S), id="no-point-with-x-r"),
    ],
)
def test_invalid_signature_gives_empty_output(data: bytes) -> None:
    assert ecrecover.run(data) == b""


def test_wrong_hash_recovers_someone_else() -> None:
    assert ecrecover.run(b"\x00" + GOOD[1:]) not in (b"", SIGNER)


@pytest.mark.parametrize("data", [b"", GOOD, b"\x01" * 1000])
def test_gas_is_flat(data: bytes) -> None:
    assert ecrecover.gas(data) == GAS_ECRECOVER == 3000

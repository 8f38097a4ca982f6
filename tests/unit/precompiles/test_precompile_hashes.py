"""SHA256 (0x02), RIPEMD160 (0x03) and IDENTITY (0x04): digests of known inputs and word pricing."""

import pytest

from evm.precompiles import identity, ripemd160, sha256

SHA256_VECTORS = [
    (b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    (b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
]
RIPEMD160_VECTORS = [
    (b"", "9c1185a5c5e9fc54612808977ee8f548b2258d31"),
    (b"abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"),
    (b"message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36"),
]


@pytest.mark.parametrize(("data", "digest"), SHA256_VECTORS)
def test_sha256(data: bytes, digest: str) -> None:
    assert sha256.run(data).hex() == digest


@pytest.mark.parametrize(("data", "digest"), RIPEMD160_VECTORS)
def test_ripemd160_is_left_padded_to_a_word(data: bytes, digest: str) -> None:
    assert ripemd160.run(data).hex() == "00" * 12 + digest


@pytest.mark.parametrize("data", [b"", b"\x00", b"hello", bytes(range(256)) * 3])
def test_identity_returns_its_input(data: bytes) -> None:
    assert identity.run(data) == data


@pytest.mark.parametrize(
    ("length", "sha256_gas", "ripemd160_gas", "identity_gas"),
    [
        (0, 60, 600, 15),
        (1, 72, 720, 18),
        (32, 72, 720, 18),
        (33, 84, 840, 21),
        (64, 84, 840, 21),
        (1024, 60 + 12 * 32, 600 + 120 * 32, 15 + 3 * 32),
    ],
)
def test_gas_per_word(length: int, sha256_gas: int, ripemd160_gas: int, identity_gas: int) -> None:
    data = b"\xab" * length
    assert sha256.gas(data) == sha256_gas
    assert ripemd160.gas(data) == ripemd160_gas
    assert identity.gas(data) == identity_gas

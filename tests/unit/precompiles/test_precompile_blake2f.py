"""BLAKE2F (0x09): EIP-152 test vectors, length and flag checks, and agreement with hashlib."""

import hashlib
import struct

import pytest

from evm.errors import PrecompileFailure
from evm.precompiles import blake2f

# EIP-152 test vectors 4-7 share this state h, message "abc" and offset 3; they differ in rounds
# (first 4 bytes) and the final-block flag (last byte).
H = (
    "48c9bdf267e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5"
    "d182e6ad7f520e511f6c3e2b8c68059b6bbd41fbabd9831f79217e1319cde05b"
)
M = "6162630000000000000000000000000000000000000000000000000000000000" + "00" * 96
T = "03000000000000000000000000000000"


def vector(rounds: str, final: str) -> bytes:
    return bytes.fromhex(rounds + H + M + T + final)


VALID = [
    pytest.param(
        vector("00000000", "01"),
        "08c9bcf367e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5"
        "d282e6ad7f520e511f6c3e2b8c68059b9442be0454267ce079217e1319cde05b",
        id="eip152-vector-4-zero-rounds",
    ),
    pytest.param(
        vector("0000000c", "01"),
        "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
        "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923",
        id="eip152-vector-5-blake2b-abc",
    ),
    pytest.param(
        vector("0000000c", "00"),
        "75ab69d3190a562c51aef8d88f1c2775876944407270c42c9844252c26d28752"
        "98743e7f6d5ea2f2d3e8d226039cd31b4e426ac4f2d3d666a610c2116fde4735",
        id="eip152-vector-6-not-final",
    ),
    pytest.param(
        vector("00000001", "01"),
        "b63a380cb2897d521994a85234ee2c181b5f844d2c624c002677e9703449d2fb"
        "a551b3a8333bcdf5f2f7e08993d53923de3d64fcc68c034e717b9293fed7a421",
        id="eip152-vector-7-one-round",
    ),
]

INVALID = [
    pytest.param(b"", id="eip152-vector-0-empty"),
    pytest.param(vector("0000000c", "01")[1:], id="eip152-vector-1-212-bytes"),
    pytest.param(b"\x00" + vector("0000000c", "01"), id="eip152-vector-2-214-bytes"),
    pytest.param(vector("0000000c", "02"), id="eip152-vector-3-final-flag-2"),
    pytest.param(vector("0000000c", "ff"), id="final-flag-ff"),
]


@pytest.mark.parametrize(("data", "output"), VALID)
def test_eip152_vectors(data: bytes, output: str) -> None:
    assert blake2f.run(data).hex() == output


@pytest.mark.parametrize("data", INVALID)
def test_malformed_input_fails(data: bytes) -> None:
    with pytest.raises(PrecompileFailure):
        blake2f.run(data)


@pytest.mark.parametrize(
    ("data", "gas"),
    [
        (vector("00000000", "01"), 0),
        (vector("0000000c", "01"), 12),
        (vector("00000001", "01"), 1),
        (vector("ffffffff", "01"), 0xFFFFFFFF),  # EIP-152 vector 8's price
        (vector("0000000c", "02"), 12),  # priced by rounds even when it will fail
        (b"", 0),  # wrong lengths cost nothing here: the call fails and burns its gas
        (vector("0000000c", "01")[1:], 0),
        (b"\x00" + vector("0000000c", "01"), 0),
    ],
)
def test_gas_is_one_per_round(data: bytes, gas: int) -> None:
    assert blake2f.gas(data) == gas


# BLAKE2b's initialization vector (RFC 7693, section 2.6).
IV = (
    0x6A09E667F3BCC908,
    0xBB67AE8584CAA73B,
    0x3C6EF372FE94F82B,
    0xA54FF53A5F1D36F1,
    0x510E527FADE682D1,
    0x9B05688C2B3E6C1F,
    0x1F83D9ABFB41BD6B,
    0x5BE0CD19137E2179,
)


@pytest.mark.parametrize("message", [b"", b"abc", b"\x5a" * 127, bytes(range(128))])
def test_one_final_block_is_blake2b(message: bytes) -> None:
    """F with 12 rounds on one final block is the whole of BLAKE2b-512 for a short message."""
    state = list(IV)
    state[0] ^= 0x01010000 | 64  # parameter block: fanout 1, depth 1, no key, 64-byte digest
    data = (
        struct.pack(">I", 12)
        + struct.pack("<8Q", *state)
        + message.ljust(128, b"\x00")
        + struct.pack("<2Q", len(message), 0)
        + b"\x01"
    )
    assert blake2f.run(data) == hashlib.blake2b(message).digest()

"""Hex-prefix encoding: the Yellow Paper's flag nibbles, round trips and rejected input."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyeth.errors import DecodingError
from pyeth.trie.nibbles import (
    bytes_to_nibbles,
    decode_hex_prefix,
    encode_hex_prefix,
    nibbles_to_bytes,
)


@pytest.mark.parametrize(
    ("nibbles", "is_leaf", "encoded"),
    [
        ("12345", False, "112345"),
        ("012345", False, "00012345"),
        ("0f1cb8", True, "200f1cb8"),
        ("f1cb8", True, "3f1cb8"),
        ("", False, "00"),
        ("", True, "20"),
        ("a", True, "3a"),
    ],
)
def test_hex_prefix_table(nibbles: str, is_leaf: bool, encoded: str) -> None:
    assert encode_hex_prefix(nibbles, is_leaf).hex() == encoded
    assert decode_hex_prefix(bytes.fromhex(encoded)) == (nibbles, is_leaf)


@given(st.text(alphabet="0123456789abcdef", max_size=70), st.booleans())
def test_hex_prefix_round_trip(nibbles: str, is_leaf: bool) -> None:
    assert decode_hex_prefix(encode_hex_prefix(nibbles, is_leaf)) == (nibbles, is_leaf)


@pytest.mark.parametrize("bad", ["", "40", "f0", "01", "2f12"])
def test_hex_prefix_rejects(bad: str) -> None:
    with pytest.raises(DecodingError):
        decode_hex_prefix(bytes.fromhex(bad))


def test_nibbles_of_bytes() -> None:
    assert bytes_to_nibbles(b"\x0f\xa1") == "0fa1"
    assert nibbles_to_bytes("0fa1") == b"\x0f\xa1"
    with pytest.raises(ValueError):
        nibbles_to_bytes("abc")

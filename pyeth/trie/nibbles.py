"""Nibble paths and their hex-prefix encoding (Yellow Paper, appendix C).

A nibble path is kept as a `str` of lower-case hex digits, one character per nibble: `bytes.hex()`
produces it, slicing, comparing and prefix tests on it run in C, and `bytes.fromhex()` packs it
back. The type alias `Nibbles` marks where such a string is meant.
"""

from typing import TypeAlias

from pyeth.errors import DecodingError

Nibbles: TypeAlias = str
"""A sequence of nibbles as lower-case hex digits, e.g. "0f1c" for [0, 15, 1, 12]."""

HEX_DIGITS = "0123456789abcdef"
NIBBLE_INDEX = {c: i for i, c in enumerate(HEX_DIGITS)}


def bytes_to_nibbles(data: bytes) -> Nibbles:
    """Split bytes into nibbles, high nibble first."""
    return data.hex()


def nibbles_to_bytes(nibbles: Nibbles) -> bytes:
    """Pack an even number of nibbles back into bytes."""
    if len(nibbles) % 2:
        raise ValueError(f"cannot pack an odd number of nibbles: {nibbles!r}")
    return bytes.fromhex(nibbles)


def encode_hex_prefix(nibbles: Nibbles, is_leaf: bool) -> bytes:
    """Pack a nibble path with its flag nibble: 0/1 extension even/odd, 2/3 leaf even/odd."""
    if len(nibbles) % 2:
        return bytes.fromhex(("3" if is_leaf else "1") + nibbles)
    return bytes.fromhex(("20" if is_leaf else "00") + nibbles)


def decode_hex_prefix(data: bytes) -> tuple[Nibbles, bool]:
    """Unpack a hex-prefixed path into (nibbles, is_leaf); reject unknown flags and bad padding."""
    if not data:
        raise DecodingError("hex-prefix path is empty")
    text = data.hex()
    flag = text[0]
    if flag in "13":
        return text[1:], flag == "3"
    if flag in "02":
        if text[1] != "0":
            raise DecodingError(f"hex-prefix padding nibble is not zero: 0x{text[:4]}")
        return text[2:], flag == "2"
    raise DecodingError(f"hex-prefix flag nibble {flag} is not 0-3")

"""0x-prefixed hex text to bytes and integers and back, rejecting malformed input clearly."""

from pyeth.errors import DecodingError

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _strip_prefix(text: str, what: str) -> str:
    if not isinstance(text, str):
        raise DecodingError(f"{what}: expected a hex string, got {type(text).__name__}")
    if text[:2] not in ("0x", "0X"):
        raise DecodingError(f"{what}: hex string must start with 0x: {text[:20]!r}")
    body = text[2:]
    if not _HEX_DIGITS.issuperset(body):
        raise DecodingError(f"{what}: not a hex string: {text[:40]!r}")
    return body


def hex_to_bytes(text: str, *, length: int | None = None, what: str = "value") -> bytes:
    """Decode 0x-prefixed hex data; `length` demands an exact byte length."""
    body = _strip_prefix(text, what)
    if len(body) % 2:
        raise DecodingError(f"{what}: hex data has an odd number of digits")
    data = bytes.fromhex(body)
    if length is not None and len(data) != length:
        raise DecodingError(f"{what}: expected {length} bytes, got {len(data)}")
    return data


def hex_to_int(text: str, *, what: str = "quantity") -> int:
    """Decode a 0x-prefixed hex quantity (any number of digits, at least one)."""
    body = _strip_prefix(text, what)
    if not body:
        raise DecodingError(f"{what}: empty hex quantity")
    return int(body, 16)


def quantity_to_int(text: str, *, what: str = "quantity") -> int:
    """Decode a JSON-RPC quantity strictly: 0x-prefixed, no leading zeros (0x0 for zero)."""
    value = hex_to_int(text, what=what)
    if len(text) > 3 and text[2] == "0":
        raise DecodingError(f"{what}: quantity has leading zeros: {text[:40]!r}")
    return value


def to_hex(data: bytes | bytearray) -> str:
    """Encode bytes as 0x-prefixed lower-case hex."""
    return "0x" + bytes(data).hex()


def int_to_hex(value: int) -> str:
    """Encode a non-negative integer as a JSON-RPC quantity (0x0, 0x1a, ...)."""
    if value < 0:
        raise ValueError(f"quantity must be non-negative, got {value}")
    return hex(value)


def int_to_bytes(value: int) -> bytes:
    """Big-endian minimal encoding of a non-negative integer (b'' for zero), as RLP wants it."""
    return value.to_bytes((value.bit_length() + 7) // 8, "big")

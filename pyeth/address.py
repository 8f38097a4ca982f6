"""Addresses: EIP-55 checksums and parsing of user-supplied address text.

Contract-address derivation lives in the EVM (`evm.addresses`) and is re-exported here."""

from evm.addresses import create2_address, create_address
from pyeth.errors import DecodingError
from pyeth.hashing import keccak256
from pyeth.hexutil import hex_to_bytes


def to_checksum_address(address: bytes) -> str:
    """Return the EIP-55 mixed-case form of a 20-byte address."""
    if len(address) != 20:
        raise DecodingError(f"address must be 20 bytes, got {len(address)}")
    lower = address.hex()
    digest = keccak256(lower.encode()).hex()[:40]
    pairs = zip(lower, digest, strict=True)
    return "0x" + "".join(c.upper() if int(d, 16) >= 8 else c for c, d in pairs)


def parse_address(text: str) -> bytes:
    """Parse 0x-prefixed address text; mixed case must carry a valid EIP-55 checksum."""
    data = hex_to_bytes(text, length=20, what="address")
    body = text[2:]
    if body != body.lower() and body != body.upper() and to_checksum_address(data) != text:
        raise DecodingError(f"address has an invalid EIP-55 checksum: {text}")
    return data


__all__ = ["create2_address", "create_address", "parse_address", "to_checksum_address"]

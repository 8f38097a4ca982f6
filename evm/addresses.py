"""Addresses of created contracts (CREATE, CREATE2 and creation transactions)."""

import rlp

from evm.hashing import keccak256


def create_address(sender: bytes, nonce: int) -> bytes:
    """keccak256(rlp([sender, nonce]))[12:], the address CREATE gives."""
    return keccak256(rlp.encode([sender, nonce]))[12:]


def create2_address(sender: bytes, salt: int, init_code: bytes) -> bytes:
    """keccak256(0xff ++ sender ++ salt ++ keccak256(init_code))[12:], the address CREATE2 gives."""
    return keccak256(b"\xff" + sender + salt.to_bytes(32, "big") + keccak256(init_code))[12:]

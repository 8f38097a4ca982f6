"""Addresses of created contracts (CREATE, CREATE2 and creation transactions)."""

from evm.hashing import keccak256


def create_address(sender: bytes, nonce: int) -> bytes:
    """keccak256(rlp([sender, nonce]))[12:], the address CREATE gives.

    The EVM's only RLP, a list of a 20-byte string and a number, is written out here: the `rlp`
    package would bring eth-utils and pydantic with it, a sixth of a second at start-up.
    """
    if 0 < nonce < 0x80:
        encoded_nonce = bytes((nonce,))
    else:  # 0 is the empty string; a nonce is below 2**64, so a short string
        raw = nonce.to_bytes((nonce.bit_length() + 7) // 8, "big")
        encoded_nonce = bytes((0x80 + len(raw),)) + raw
    payload = b"\x94" + sender + encoded_nonce  # 0x94: a 20-byte string
    return keccak256(bytes((0xC0 + len(payload),)) + payload)[12:]


def create2_address(sender: bytes, salt: int, init_code: bytes) -> bytes:
    """keccak256(0xff ++ sender ++ salt ++ keccak256(init_code))[12:], the address CREATE2 gives."""
    return keccak256(b"\xff" + sender + salt.to_bytes(32, "big") + keccak256(init_code))[12:]

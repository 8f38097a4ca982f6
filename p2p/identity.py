"""Who a peer is: a node key (secp256k1), the node id derived from it, and the proof of
possession that the handshake carries, so that no peer can claim another's id.

- The node key is 32 random bytes kept as 64 hex digits in `<datadir>/nodekey` (as geth's
  `nodekey` file) or a file named by `--nodekey`; a node without a datadir makes a fresh one at
  each start.
- The node id is keccak256 of the 64-byte uncompressed public key (32 bytes, geth's "v4" node
  id). URLs pin it as `ws://<64 hex digits>@host:port/p2p`.
- The proof: each side signs keccak256(domain tag || its role || its node id || the other's
  node id || the dialer's nonce || the listener's nonce). Both nonces are fresh per connection,
  so a signature cannot be replayed on another connection; the role and both ids are inside,
  so a signature cannot be reflected back to its signer or passed off as addressed to another
  node. A Clique signer may add a second signature with its signer key under another domain
  tag, proving which signer it is (for the reserved peer slots).

Signing and recovery are pyeth.keys (coincurve, libsecp256k1); nothing here is hand-rolled
curve arithmetic. This module does no I/O other than reading and writing the key file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from coincurve import PrivateKey

from pyeth.errors import InvalidSignature
from pyeth.hashing import keccak256
from pyeth.keys import SECP256K1_N, read_private_key_file, recover_public_key, sign

NODE_KEY_FILE: Final = "nodekey"
NODE_ID_SIZE: Final = 32
NONCE_SIZE: Final = 32
SIGNATURE_SIZE: Final = 65  # r (32) || s (32) || y parity (1)
PUBLIC_KEY_SIZE: Final = 64
HANDSHAKE_TAG: Final = b"pyeth p2p handshake v2\x00"
SIGNER_TAG: Final = b"pyeth p2p clique signer v2\x00"
DIALER: Final = b"\x01"
LISTENER: Final = b"\x02"


class NodeKeyError(ValueError):
    """A node key file that cannot be read or holds no valid key; the message says which."""


@dataclass(frozen=True, slots=True)
class NodeKey:
    """A node's private key with its public key and node id worked out once."""

    private_key: bytes
    public_key: bytes  # 64 bytes, uncompressed without the 0x04 prefix
    node_id: bytes  # keccak256(public_key)

    @classmethod
    def from_private_key(cls, private_key: bytes) -> NodeKey:
        if len(private_key) != 32 or not 0 < int.from_bytes(private_key, "big") < SECP256K1_N:
            raise NodeKeyError("not a secp256k1 private key (32 bytes, 1..n-1)")
        public_key = PrivateKey(private_key).public_key.format(compressed=False)[1:]
        return cls(private_key, public_key, node_id_of(public_key))

    @classmethod
    def generate(cls) -> NodeKey:
        while True:  # all but a 2**-128 sliver of 32-byte strings are valid keys
            candidate = os.urandom(32)
            if 0 < int.from_bytes(candidate, "big") < SECP256K1_N:
                return cls.from_private_key(candidate)


def node_id_of(public_key: bytes) -> bytes:
    """The node id of a 64-byte public key."""
    return keccak256(public_key)


def read_node_key(path: Path) -> NodeKey:
    """The node key in `path`: 64 hex digits, 0x-prefixed or not.

    Raises:
        NodeKeyError: the file cannot be read or holds no valid key.
    """
    try:
        return NodeKey.from_private_key(read_private_key_file(path, "node key"))
    except ValueError as exc:
        raise NodeKeyError(str(exc)) from None


def load_or_create_node_key(path: Path) -> NodeKey:
    """The key in `path`, or a new one written there (owner-only) when there is no file.

    Raises:
        NodeKeyError: the file exists but holds no valid key, or cannot be written.
    """
    if path.exists():
        return read_node_key(path)
    key = NodeKey.generate()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(key.private_key.hex() + "\n")
    except FileExistsError:
        return read_node_key(path)  # another process made it first
    except OSError as exc:
        raise NodeKeyError(f"cannot write node key {path}: {exc.strerror}") from None
    return key


# THE PROOF


def handshake_digest(
    tag: bytes,
    role: bytes,
    signer_id: bytes,
    other_id: bytes,
    dialer_nonce: bytes,
    listener_nonce: bytes,
) -> bytes:
    """What a side signs: its role and id, the other's id, and both fresh nonces."""
    return keccak256(tag + role + signer_id + other_id + dialer_nonce + listener_nonce)


def sign_digest(digest: bytes, private_key: bytes) -> bytes:
    """A 65-byte recoverable signature (r || s || y parity)."""
    y_parity, r, s = sign(digest, private_key)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([y_parity])


def recover_digest_signer(digest: bytes, signature: bytes) -> bytes:
    """The 64-byte public key that made `signature` over `digest`.

    Raises:
        InvalidSignature: not 65 bytes, out of range, or no key recovers.
    """
    if len(signature) != SIGNATURE_SIZE:
        raise InvalidSignature(f"expected a {SIGNATURE_SIZE}-byte signature")
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    return recover_public_key(digest, signature[64], r, s)


def verify_node_proof(
    public_key: bytes,
    role: bytes,
    my_id: bytes,
    dialer_nonce: bytes,
    listener_nonce: bytes,
    signature: bytes,
) -> bool:
    """True if `signature` proves that the holder of `public_key`, in `role`, signed this
    connection's nonces addressed to the node `my_id`."""
    digest = handshake_digest(
        HANDSHAKE_TAG, role, node_id_of(public_key), my_id, dialer_nonce, listener_nonce
    )
    try:
        return recover_digest_signer(digest, signature) == public_key
    except InvalidSignature:
        return False


def signer_proof_address(
    role: bytes,
    their_id: bytes,
    my_id: bytes,
    dialer_nonce: bytes,
    listener_nonce: bytes,
    signature: bytes,
) -> bytes | None:
    """The Clique signer address whose key signed this connection (None if it does not
    verify); the caller checks that the address is a signer."""
    digest = handshake_digest(SIGNER_TAG, role, their_id, my_id, dialer_nonce, listener_nonce)
    try:
        return keccak256(recover_digest_signer(digest, signature))[12:]
    except InvalidSignature:
        return None


def signer_proof(
    signer_key: bytes,
    role: bytes,
    my_id: bytes,
    their_id: bytes,
    dialer_nonce: bytes,
    listener_nonce: bytes,
) -> bytes:
    """The signature with a Clique signer key that `signer_proof_address` checks."""
    digest = handshake_digest(SIGNER_TAG, role, my_id, their_id, dialer_nonce, listener_nonce)
    return sign_digest(digest, signer_key)


def node_proof(
    key: NodeKey, role: bytes, their_id: bytes, dialer_nonce: bytes, listener_nonce: bytes
) -> bytes:
    """Our signature for this connection, as `verify_node_proof` checks it."""
    digest = handshake_digest(
        HANDSHAKE_TAG, role, key.node_id, their_id, dialer_nonce, listener_nonce
    )
    return sign_digest(digest, key.private_key)


__all__ = [
    "DIALER",
    "LISTENER",
    "NodeKey",
    "NodeKeyError",
    "load_or_create_node_key",
    "node_id_of",
    "node_proof",
    "read_node_key",
    "signer_proof",
    "signer_proof_address",
    "verify_node_proof",
]

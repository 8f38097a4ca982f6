"""EIP-7702 authorizations: the hash an authority signs and the recovery of the authority."""

from pyeth.errors import InvalidTransaction
from pyeth.hashing import keccak256
from pyeth.hexutil import int_to_bytes
from pyeth.keys import SECP256K1_HALF_N, recover_address, sign
from pyeth.sedes import encode
from pyeth.transactions.model import Authorization

SET_CODE_MAGIC = b"\x05"


def authorization_hash(chain_id: int, address: bytes, nonce: int) -> bytes:
    """keccak256(0x05 || rlp([chain_id, address, nonce])), what the authority signs."""
    fields = [int_to_bytes(chain_id), address, int_to_bytes(nonce)]
    return keccak256(SET_CODE_MAGIC + encode(fields))


def recover_authority(auth: Authorization) -> bytes:
    """The address that signed `auth`; InvalidTransaction (or InvalidSignature) if none can."""
    if auth.y_parity not in (0, 1):
        raise InvalidTransaction(f"authorization y-parity {auth.y_parity} is not 0 or 1")
    if not 0 < auth.s <= SECP256K1_HALF_N:
        raise InvalidTransaction("authorization s must be in 1..secp256k1n/2 (EIP-2)")
    message_hash = authorization_hash(auth.chain_id, auth.address, auth.nonce)
    return recover_address(message_hash, auth.y_parity, auth.r, auth.s)


def sign_authorization(
    chain_id: int, address: bytes, nonce: int, private_key: bytes
) -> Authorization:
    """An authorization by the owner of `private_key` to run the code at `address`."""
    y_parity, r, s = sign(authorization_hash(chain_id, address, nonce), private_key)
    return Authorization(chain_id, address, nonce, y_parity, r, s)

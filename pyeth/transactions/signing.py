"""Transaction signatures: the signing hash of each type, signing, and sender recovery.

The signature values are checked here (v or y-parity, r and s in range, s in the lower half of
the curve order per EIP-2) because a sender recovered from values that no valid transaction
can carry would be meaningless. Whether the chain id is the node's own is `validation`'s call.
"""

import dataclasses
from typing import TypeVar

from pyeth.errors import InvalidSignature, InvalidTransaction
from pyeth.hashing import keccak256
from pyeth.keys import SECP256K1_HALF_N, SECP256K1_N, recover_address, sign
from pyeth.sedes import UINT256, encode, serialize_fields
from pyeth.transactions.model import LegacyTransaction, Transaction

T = TypeVar("T", bound=Transaction)

# The unsigned fields of a legacy transaction: all but v, r, s.
_LEGACY_UNSIGNED = LegacyTransaction.FIELDS[:6]


def signing_hash(tx: Transaction) -> bytes:
    """The hash the sender signs.

    Legacy: keccak(rlp([nonce, gas_price, gas, to, value, data])), with [chain_id, 0, 0]
    appended under EIP-155. Typed: keccak(type || rlp(every field but the signature)).
    """
    if isinstance(tx, LegacyTransaction):
        item = serialize_fields(tx, _LEGACY_UNSIGNED)
        if tx.chain_id is not None:
            item += [UINT256.serialize(tx.chain_id), b"", b""]
        return keccak256(encode(item))
    return keccak256(bytes([tx.TYPE]) + encode(serialize_fields(tx, tx.FIELDS[:-3])))


def sign_transaction(unsigned: T, private_key: bytes, chain_id: int | None) -> T:
    """Return `unsigned` signed with `private_key` for `chain_id`.

    A legacy transaction with chain_id None is signed without replay protection (v = 27/28);
    otherwise v = chain_id * 2 + 35/36 (EIP-155). A typed transaction gets `chain_id` written
    into its own field, so None is refused for it. Any earlier signature is replaced.
    """
    if isinstance(unsigned, LegacyTransaction):
        # v decides the signing hash, so it is set before hashing.
        v = 27 if chain_id is None else 35 + 2 * chain_id
        y_parity, r, s = sign(signing_hash(dataclasses.replace(unsigned, v=v)), private_key)
        return dataclasses.replace(unsigned, v=v + y_parity, r=r, s=s)
    if chain_id is None:
        raise ValueError(f"{type(unsigned).__name__} always carries a chain id")
    tx = dataclasses.replace(unsigned, chain_id=chain_id)
    y_parity, r, s = sign(signing_hash(tx), private_key)
    return dataclasses.replace(tx, y_parity=y_parity, r=r, s=s)


def impersonate(unsigned: T, sender: bytes, chain_id: int) -> T:
    """`unsigned`, for `chain_id`, with a placeholder signature and taken as sent by `sender`
    (anvil_impersonateAccount: a dev node sending as an account whose key it lacks).

    The signature is in range but recovers no such sender: r carries the address (so two
    senders' otherwise equal transactions differ in hash), s is 1. The sender lives in the
    object's cache, where `recover_sender` finds it; the chain stores it beside the block, since
    nothing else can give it back, and `impersonated_sender` tells such a transaction apart.
    """
    r = int.from_bytes(sender, "big") | 1 << 160  # never 0, always below n
    if isinstance(unsigned, LegacyTransaction):
        tx: T = dataclasses.replace(unsigned, v=35 + 2 * chain_id, r=r, s=1)
    else:
        tx = dataclasses.replace(unsigned, chain_id=chain_id, y_parity=0, r=r, s=1)
    mark_impersonated(tx, sender)
    return tx


def mark_impersonated(tx: Transaction, sender: bytes) -> None:
    """Take `tx` as sent by `sender` whatever its signature says (a stored impersonated one)."""
    tx._cache["sender"] = sender
    tx._cache["impersonated"] = sender


def impersonated_sender(tx: Transaction) -> bytes | None:
    """The sender a dev node impersonated for `tx`, or None for a signed transaction."""
    return tx._cache.get("impersonated")


def signature_values(tx: Transaction) -> tuple[int, int, int]:
    """(y_parity, r, s) of `tx`, checked; raises InvalidTransaction for values no valid
    transaction carries: v not 27/28 or >= 35, y-parity not 0/1, r or s out of 1..n-1,
    or s above n/2 (EIP-2)."""
    if isinstance(tx, LegacyTransaction):
        if tx.v in (27, 28):
            y_parity = tx.v - 27
        elif tx.v >= 35:
            y_parity = (tx.v - 35) % 2
        else:
            raise InvalidTransaction(f"invalid v {tx.v}: must be 27, 28 or chain_id * 2 + 35/36")
    else:
        y_parity = tx.y_parity
        if y_parity not in (0, 1):
            raise InvalidTransaction(f"invalid y-parity {y_parity}: must be 0 or 1")
    if not 0 < tx.r < SECP256K1_N:
        raise InvalidTransaction("signature r must be in 1..secp256k1n-1")
    if not 0 < tx.s <= SECP256K1_HALF_N:
        raise InvalidTransaction("signature s must be in 1..secp256k1n/2 (EIP-2)")
    return y_parity, tx.r, tx.s


def recover_sender(tx: Transaction) -> bytes:
    """The 20-byte address that signed `tx`, cached on the transaction.

    Raises InvalidTransaction when the signature values are invalid or recover no key.
    """
    sender = tx._cache.get("sender")
    if sender is None:
        y_parity, r, s = signature_values(tx)
        try:
            sender = recover_address(signing_hash(tx), y_parity, r, s)
        except InvalidSignature as exc:
            raise InvalidTransaction(str(exc)) from None
        tx._cache["sender"] = sender
    return sender

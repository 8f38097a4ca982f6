"""Dev accounts: keys derived from a BIP-39 mnemonic along m/44'/60'/0'/0/i (as anvil and Hardhat
derive them, so the same mnemonic gives the same addresses), and the message signatures a wallet
makes with them: eth_sign / personal_sign (EIP-191) and eth_signTypedData_v4 (EIP-712).

Key derivation comes from `mnemonic` (BIP-39, Trezor's reference implementation) and `bip32`
(over libsecp256k1), typed-data hashing from eth-account, not from code written here. eth-account
could derive the keys too, but importing it costs 0.4-0.7 s (its keystore module loads py_ecc's
BLS code), more than everything else a dev node does before it answers; it is imported only when
typed data is signed, and it is an extra (`pip install 'pyeth[typed-data]'`): it brings seven
packages for this one hash, so a plain install goes without and eth_signTypedData_v4 then says
which extra to install. This module holds keys; it does not decide who may use them (the node
unlocks them in dev mode only) and it never signs transactions itself
(`pyeth.transactions.sign_transaction` does).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from bip32 import BIP32
from mnemonic import Mnemonic

from pyeth.address import to_checksum_address
from pyeth.errors import PyethError
from pyeth.hashing import keccak256
from pyeth.keys import private_key_to_address, sign

DEFAULT_MNEMONIC: Final = "test test test test test test test test test test test junk"
DEFAULT_ACCOUNT_COUNT: Final = 10
DERIVATION_PATH: Final = "m/44'/60'/0'/0/{index}"
DEV_BALANCE: Final = 10_000 * 10**18  # 10,000 ETH in wei


@dataclass(frozen=True, slots=True)
class DevAccount:
    """One unlocked account: its address and its private key."""

    address: bytes
    private_key: bytes

    @property
    def checksum_address(self) -> str:
        return to_checksum_address(self.address)


def derive_accounts(
    mnemonic: str = DEFAULT_MNEMONIC, count: int = DEFAULT_ACCOUNT_COUNT
) -> list[DevAccount]:
    """The first `count` accounts of `mnemonic` (BIP-39 seed, no passphrase; BIP-32 path
    m/44'/60'/0'/0/i).

    Raises:
        ValueError: the mnemonic is not a valid BIP-39 phrase (unknown words, bad checksum).
    """
    keys = derive_keys(mnemonic, [DERIVATION_PATH.format(index=i) for i in range(count)])
    return [DevAccount(private_key_to_address(key), key) for key in keys]


def derive_keys(mnemonic: str, paths: Sequence[str]) -> list[bytes]:
    """The private keys at BIP-32 `paths` of `mnemonic`'s seed (BIP-39, no passphrase).

    Raises:
        ValueError: the mnemonic is not a valid BIP-39 phrase (unknown words, bad checksum).
    """
    return list(_derive_keys(" ".join(mnemonic.split()), tuple(paths)))


@lru_cache(maxsize=16)
def _derive_keys(mnemonic: str, paths: tuple[str, ...]) -> tuple[bytes, ...]:
    # Cached: tests and restarts derive the same accounts again and again.
    _check_mnemonic(mnemonic)
    root = BIP32.from_seed(Mnemonic.to_seed(mnemonic, passphrase=""))
    return tuple(root.get_privkey_from_path(path) for path in paths)


def _check_mnemonic(mnemonic: str) -> None:
    """A valid BIP-39 phrase of some word list (English first; a word may be in several)."""
    words = mnemonic.split()
    languages = Mnemonic.list_languages()
    known = False
    for language in sorted(languages, key=lambda name: name != "english"):
        checker = Mnemonic(language)
        if set(words) <= set(checker.wordlist):
            known = True
            if checker.check(mnemonic):
                return
    if not known:
        raise ValueError("invalid mnemonic: words not in any BIP-39 word list")
    raise ValueError("invalid mnemonic: wrong word count or checksum")


class Keyring:
    """The unlocked accounts by address, in derivation order."""

    def __init__(self, accounts: Sequence[DevAccount] = ()) -> None:
        self._accounts = {account.address: account for account in accounts}

    def __iter__(self) -> Iterator[DevAccount]:
        return iter(self._accounts.values())

    def __len__(self) -> int:
        return len(self._accounts)

    def __contains__(self, address: object) -> bool:
        return address in self._accounts

    @property
    def addresses(self) -> list[bytes]:
        return list(self._accounts)

    def get(self, address: bytes) -> DevAccount | None:
        return self._accounts.get(address)


def eip191_hash(message: bytes) -> bytes:
    """The hash `personal_sign` and `eth_sign` sign: keccak256 of
    "\\x19Ethereum Signed Message:\\n" + len(message) + message."""
    prefix = b"\x19Ethereum Signed Message:\n" + str(len(message)).encode()
    return keccak256(prefix + message)


class TypedDataUnavailable(PyethError):
    """EIP-712 hashing was asked for on an install without the `typed-data` extra."""


TYPED_DATA_EXTRA_MISSING: Final = (
    "EIP-712 typed data (eth_signTypedData_v4) needs eth-account, which a plain install of "
    "pyeth leaves out: install it with `pip install 'pyeth[typed-data]'`"
)


def typed_data_hash(typed_data: Mapping[str, Any]) -> bytes:
    """The EIP-712 hash of a full typed-data document (types, primaryType, domain, message).

    Raises:
        ValueError: the document is malformed (eth-account's validation errors, re-raised).
        TypedDataUnavailable: eth-account (the `typed-data` extra) is not installed.
    """
    try:  # slow to import and an extra: see the module doc
        from eth_account.messages import encode_typed_data
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != "eth_account":
            raise  # eth-account is there but broken: its own error says more
        raise TypedDataUnavailable(TYPED_DATA_EXTRA_MISSING) from None

    try:
        signable = encode_typed_data(full_message=dict(typed_data))
    except Exception as exc:  # eth-account raises assorted errors for malformed documents
        raise ValueError(f"invalid typed data: {exc}") from None
    return keccak256(b"\x19" + signable.version + signable.header + signable.body)


def sign_hash(message_hash: bytes, private_key: bytes) -> bytes:
    """A 65-byte r || s || v signature with v = 27/28, as wallets return it."""
    y_parity, r, s = sign(message_hash, private_key)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([27 + y_parity])

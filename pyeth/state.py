"""The world state: accounts, code and storage with a journal, implementing `evm.state.WorldState`.

Accounts live in a dict of plain records; every change appends an undo entry to the journal so that
`revert(snapshot)` restores the exact state a call frame started from, access sets and transient
storage included. Roots are computed from the records through the trie on demand. This module is
the EVM's view of state; the chain is the only one who commits it.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import rlp

from evm.hashing import EMPTY_KECCAK, keccak256
from pyeth.trie import EMPTY_TRIE_ROOT, secure_trie_root


@dataclass(slots=True)
class Account:
    """One account's record. `storage` holds only non-zero slots."""

    nonce: int = 0
    balance: int = 0
    code: bytes = b""
    storage: dict[int, int] = field(default_factory=dict)
    code_hash: bytes = EMPTY_KECCAK

    def is_empty(self) -> bool:
        """EIP-161: no code, zero nonce, zero balance."""
        return self.nonce == 0 and self.balance == 0 and not self.code


# Journal entry kinds (first tuple element).
_NEW_ACCOUNT = 0  # (kind, address)
_BALANCE = 1  # (kind, address, old)
_NONCE = 2  # (kind, address, old)
_CODE = 3  # (kind, address, old_code, old_hash)
_STORAGE = 4  # (kind, address, key, old)
_TRANSIENT = 5  # (kind, address, key, old)
_WARM_ACCOUNT = 6  # (kind, address)
_WARM_SLOT = 7  # (kind, (address, key))
_CREATED = 8  # (kind, address)
_DESTROYED = 9  # (kind, address, old_account)
_STORAGE_WIPED = 10  # (kind, address, old_storage)


class State:
    """A journaled in-memory world state."""

    def __init__(self, accounts: Mapping[bytes, Account] | None = None) -> None:
        self._accounts: dict[bytes, Account] = dict(accounts or {})
        self._journal: list[tuple] = []
        self._original: dict[tuple[bytes, int], int] = {}
        self._transient: dict[tuple[bytes, int], int] = {}
        self._warm_accounts: set[bytes] = set()
        self._warm_slots: set[tuple[bytes, int]] = set()
        self._created: set[bytes] = set()

    # --- transactions ---------------------------------------------------------------------

    def begin_transaction(
        self, warm_accounts: Iterable[bytes] = (), warm_slots: Iterable[tuple[bytes, int]] = ()
    ) -> None:
        """Start a transaction: fresh journal, access sets, transient storage and originals."""
        self._journal.clear()
        self._original.clear()
        self._transient.clear()
        self._created.clear()
        self._warm_accounts = set(warm_accounts)
        self._warm_slots = set(warm_slots)

    # --- journal --------------------------------------------------------------------------

    def snapshot(self) -> int:
        return len(self._journal)

    def revert(self, snapshot: int) -> None:
        journal = self._journal
        accounts = self._accounts
        while len(journal) > snapshot:
            entry = journal.pop()
            kind = entry[0]
            if kind == _STORAGE:
                storage = accounts[entry[1]].storage
                if entry[3]:
                    storage[entry[2]] = entry[3]
                else:
                    storage.pop(entry[2], None)
            elif kind == _BALANCE:
                accounts[entry[1]].balance = entry[2]
            elif kind == _NONCE:
                accounts[entry[1]].nonce = entry[2]
            elif kind == _NEW_ACCOUNT:
                del accounts[entry[1]]
            elif kind == _WARM_ACCOUNT:
                self._warm_accounts.discard(entry[1])
            elif kind == _WARM_SLOT:
                self._warm_slots.discard(entry[1])
            elif kind == _TRANSIENT:
                if entry[3]:
                    self._transient[(entry[1], entry[2])] = entry[3]
                else:
                    self._transient.pop((entry[1], entry[2]), None)
            elif kind == _CODE:
                account = accounts[entry[1]]
                account.code = entry[2]
                account.code_hash = entry[3]
            elif kind == _CREATED:
                self._created.discard(entry[1])
            elif kind == _DESTROYED:
                accounts[entry[1]] = entry[2]
            elif kind == _STORAGE_WIPED:
                accounts[entry[1]].storage = entry[2]

    # --- accounts -------------------------------------------------------------------------

    def _get_or_create(self, address: bytes) -> Account:
        account = self._accounts.get(address)
        if account is None:
            account = self._accounts[address] = Account()
            self._journal.append((_NEW_ACCOUNT, address))
        return account

    def get_account(self, address: bytes) -> Account | None:
        """The account record (do not mutate it directly), or None."""
        return self._accounts.get(address)

    def account_exists(self, address: bytes) -> bool:
        return address in self._accounts

    def is_empty(self, address: bytes) -> bool:
        account = self._accounts.get(address)
        return account is None or account.is_empty()

    def get_balance(self, address: bytes) -> int:
        account = self._accounts.get(address)
        return account.balance if account is not None else 0

    def set_balance(self, address: bytes, balance: int) -> None:
        account = self._get_or_create(address)
        self._journal.append((_BALANCE, address, account.balance))
        account.balance = balance

    def get_nonce(self, address: bytes) -> int:
        account = self._accounts.get(address)
        return account.nonce if account is not None else 0

    def set_nonce(self, address: bytes, nonce: int) -> None:
        account = self._get_or_create(address)
        self._journal.append((_NONCE, address, account.nonce))
        account.nonce = nonce

    def get_code(self, address: bytes) -> bytes:
        account = self._accounts.get(address)
        return account.code if account is not None else b""

    def get_code_hash(self, address: bytes) -> bytes:
        account = self._accounts.get(address)
        return account.code_hash if account is not None else b""

    def set_code(self, address: bytes, code: bytes) -> None:
        account = self._get_or_create(address)
        self._journal.append((_CODE, address, account.code, account.code_hash))
        account.code = code
        account.code_hash = keccak256(code) if code else EMPTY_KECCAK

    def has_storage(self, address: bytes) -> bool:
        account = self._accounts.get(address)
        return account is not None and bool(account.storage)

    def destroy_account(self, address: bytes) -> None:
        account = self._accounts.pop(address, None)
        if account is not None:
            self._journal.append((_DESTROYED, address, account))

    def mark_created(self, address: bytes) -> None:
        account = self._get_or_create(address)
        if account.storage:
            self._journal.append((_STORAGE_WIPED, address, account.storage))
            account.storage = {}
        if address not in self._created:
            self._created.add(address)
            self._journal.append((_CREATED, address))

    def was_created(self, address: bytes) -> bool:
        return address in self._created

    # --- storage --------------------------------------------------------------------------

    def get_storage(self, address: bytes, key: int) -> int:
        account = self._accounts.get(address)
        return account.storage.get(key, 0) if account is not None else 0

    def set_storage(self, address: bytes, key: int, value: int) -> None:
        account = self._get_or_create(address)
        storage = account.storage
        old = storage.get(key, 0)
        slot = (address, key)
        if slot not in self._original:
            self._original[slot] = old
        self._journal.append((_STORAGE, address, key, old))
        if value:
            storage[key] = value
        else:
            storage.pop(key, None)

    def get_original_storage(self, address: bytes, key: int) -> int:
        original = self._original.get((address, key))
        return self.get_storage(address, key) if original is None else original

    def get_transient(self, address: bytes, key: int) -> int:
        return self._transient.get((address, key), 0)

    def set_transient(self, address: bytes, key: int, value: int) -> None:
        slot = (address, key)
        self._journal.append((_TRANSIENT, address, key, self._transient.get(slot, 0)))
        if value:
            self._transient[slot] = value
        else:
            self._transient.pop(slot, None)

    # --- access sets (EIP-2929) -----------------------------------------------------------

    def warm_account(self, address: bytes) -> bool:
        if address in self._warm_accounts:
            return True
        self._warm_accounts.add(address)
        self._journal.append((_WARM_ACCOUNT, address))
        return False

    def warm_slot(self, address: bytes, key: int) -> bool:
        slot = (address, key)
        if slot in self._warm_slots:
            return True
        self._warm_slots.add(slot)
        self._journal.append((_WARM_SLOT, slot))
        return False

    # --- roots ----------------------------------------------------------------------------

    def accounts(self) -> dict[bytes, Account]:
        """All accounts (a read-only view by convention)."""
        return self._accounts

    def storage_root(self, address: bytes) -> bytes:
        account = self._accounts.get(address)
        if account is None or not account.storage:
            return EMPTY_TRIE_ROOT
        return storage_root(account.storage)

    def state_root(self) -> bytes:
        """The Merkle Patricia root of all accounts."""
        return secure_trie_root(
            {address: encode_account(account) for address, account in self._accounts.items()}
        )


def storage_root(storage: Mapping[int, int]) -> bytes:
    """Root of an account's storage trie: keccak(slot) -> rlp(value), zero slots absent."""
    return secure_trie_root(
        {key.to_bytes(32, "big"): rlp.encode(value) for key, value in storage.items() if value}
    )


def encode_account(account: Account) -> bytes:
    """RLP of [nonce, balance, storage_root, code_hash] as stored in the state trie."""
    root = storage_root(account.storage) if account.storage else EMPTY_TRIE_ROOT
    return rlp.encode([account.nonce, account.balance, root, account.code_hash])

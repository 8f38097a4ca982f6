"""The world state: accounts, code and storage with a journal, implementing `evm.state.WorldState`.

Accounts live in a dict of plain records; every change appends an undo entry to the journal so that
`revert(snapshot)` restores the exact state a call frame started from, access sets and transient
storage included. Roots are computed from the records through the trie on demand. This module is
the EVM's view of state; the chain is the only one who commits it.

A state is either wholly in memory (`State(accounts)`: state tests, `pyeth run`) or persisted
(`State.at_root(store, root)`: the chain). A persisted state reads an account from the account
trie the first time it is asked for, and each storage slot from the account's storage trie the
first time it is read; only the dict-miss paths do that work, so the hot methods cost the same in
both kinds. The writes of each transaction are read off its journal (in `begin_transaction`, not
in the hot methods) to know what `commit()` must write back to the tries.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from evm.hashing import EMPTY_KECCAK, keccak256
from pyeth.db.nodestore import NodeStore
from pyeth.sedes import decode
from pyeth.trie import EMPTY_TRIE_ROOT, MissingTrieNode, SecureTrie, secure_trie_root
from pyeth.trie.nodes import rlp_bytes, rlp_list


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


class StoredStorage(dict[int, int]):
    """An account's storage backed by its storage trie: the dict caches the non-zero slots read
    or written so far, `zeroed` the slots known to be zero, and a slot in neither is read from
    the trie on first use. Only persisted states hold these; in-memory accounts have plain dicts.
    """

    __slots__ = ("trie", "zeroed")

    def __init__(self, trie: SecureTrie, items: Mapping[int, int] | None = None) -> None:
        super().__init__(items or {})
        self.trie = trie
        self.zeroed: set[int] = set()

    def get(self, key: int, default: int | None = None) -> int | None:  # type: ignore[override]
        value = dict.get(self, key)
        if value is not None:
            return value
        if key in self.zeroed:
            return default
        encoded = self.trie.get(key.to_bytes(32, "big"))
        if encoded is None:
            self.zeroed.add(key)
            return default
        value = int.from_bytes(decode(encoded), "big")
        dict.__setitem__(self, key, value)
        return value

    def pop(self, key: int, default: int | None = None) -> int | None:  # type: ignore[override]
        # Remember the zero, or a later read would find the slot's old value in the trie.
        self.zeroed.add(key)
        return dict.pop(self, key, default)

    def __bool__(self) -> bool:
        """Whether any slot is non-zero (EIP-7610 collisions, CREATE over an old account)."""
        if dict.__len__(self):
            return True
        zeroed = {keccak256(key.to_bytes(32, "big")) for key in self.zeroed}
        return any(hashed not in zeroed for hashed, _ in self.trie.items())


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
_UNKNOWN = -1  # a slot's flushed value when it is not known (never equal to a real one)
_ACCOUNT_WRITES = frozenset((_NEW_ACCOUNT, _BALANCE, _NONCE, _CODE, _DESTROYED, _STORAGE_WIPED))


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
        # Persisted states only (see `at_root`); `_trie` None means wholly in memory.
        self._trie: SecureTrie | None = None
        self._absent: set[bytes] = set()  # addresses known to be in no trie and not in memory
        self._dirty: set[bytes] = set()  # accounts whose record was written since the last flush
        # Storage slots written since the last flush, with the value each had then (in the trie).
        self._dirty_slots: dict[bytes, dict[int, int]] = {}
        self._dirty_code: set[bytes] = set()  # accounts that got new code
        # Changes a flush could not apply because the account was gone or its storage wiped
        # (slots, and whether its code is unwritten), in case a revert brings those back.
        self._parked: dict[bytes, tuple[set[int], bool]] = {}
        self._collected = 0  # journal entries noted in the dirty sets so far
        self._unwritten_tries: list[SecureTrie] = []  # storage tries flushed, not yet committed
        self._unwritten_code: dict[bytes, bytes] = {}

    @classmethod
    def at_root(cls, store: NodeStore, root: bytes = EMPTY_TRIE_ROOT) -> "State":
        """A persisted state: the world as of state root `root` in `store`, read lazily.

        Raises MissingTrieNode (on first use) when `store` does not hold the tries of `root`.
        """
        state = cls()
        state._trie = SecureTrie(store, root)
        return state

    # --- transactions ---------------------------------------------------------------------

    def begin_transaction(
        self, warm_accounts: Iterable[bytes] = (), warm_slots: Iterable[tuple[bytes, int]] = ()
    ) -> None:
        """Start a transaction: fresh journal, access sets, transient storage and originals."""
        if self._trie is not None:
            self._collect_dirty()
        self._parked.clear()  # no revert reaches back past this point
        self._journal.clear()
        self._collected = 0
        self._original.clear()
        self._transient.clear()
        self._created.clear()
        self._warm_accounts = set(warm_accounts)
        self._warm_slots = set(warm_slots)

    # --- journal --------------------------------------------------------------------------

    def snapshot(self) -> int:
        return len(self._journal)

    def revert(self, snapshot: int) -> None:
        if snapshot < self._collected:
            self._uncollect(snapshot)
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
            account = self._load(address) if self._trie is not None else None
            if account is None:
                account = self._accounts[address] = Account()
                self._journal.append((_NEW_ACCOUNT, address))
        return account

    def _load(self, address: bytes) -> Account | None:
        """The dict-miss path: read `address` from the account trie, once (persisted states)."""
        trie = self._trie
        if trie is None or address in self._absent:
            return None
        encoded = trie.get(address)
        if encoded is None:
            self._absent.add(address)
            return None
        nonce, balance, storage_root, code_hash = decode(encoded)
        store = trie.store
        code = b""
        if code_hash != EMPTY_KECCAK:
            stored = store.get(code_hash)
            if stored is None:
                raise MissingTrieNode(f"code 0x{code_hash.hex()} is not in the store")
            code = stored
        account = self._accounts[address] = Account(
            nonce=int.from_bytes(nonce, "big"),
            balance=int.from_bytes(balance, "big"),
            code=code,
            storage={}
            if storage_root == EMPTY_TRIE_ROOT
            else StoredStorage(SecureTrie(store, storage_root)),
            code_hash=code_hash,
        )
        return account

    def get_account(self, address: bytes) -> Account | None:
        """The account record (do not mutate it directly), or None."""
        account = self._accounts.get(address)
        return account if account is not None else self._load(address)

    def account_exists(self, address: bytes) -> bool:
        if address in self._accounts:
            return True
        return self._trie is not None and self._load(address) is not None

    def is_empty(self, address: bytes) -> bool:
        account = self._accounts.get(address)
        if account is None and self._trie is not None:
            account = self._load(address)
        return account is None or account.is_empty()

    def get_balance(self, address: bytes) -> int:
        account = self._accounts.get(address)
        if account is None and self._trie is not None:
            account = self._load(address)
        return account.balance if account is not None else 0

    def set_balance(self, address: bytes, balance: int) -> None:
        account = self._get_or_create(address)
        self._journal.append((_BALANCE, address, account.balance))
        account.balance = balance

    def get_nonce(self, address: bytes) -> int:
        account = self._accounts.get(address)
        if account is None and self._trie is not None:
            account = self._load(address)
        return account.nonce if account is not None else 0

    def set_nonce(self, address: bytes, nonce: int) -> None:
        account = self._get_or_create(address)
        self._journal.append((_NONCE, address, account.nonce))
        account.nonce = nonce

    def get_code(self, address: bytes) -> bytes:
        account = self._accounts.get(address)
        if account is None and self._trie is not None:
            account = self._load(address)
        return account.code if account is not None else b""

    def get_code_hash(self, address: bytes) -> bytes:
        account = self._accounts.get(address)
        if account is None and self._trie is not None:
            account = self._load(address)
        return account.code_hash if account is not None else b""

    def set_code(self, address: bytes, code: bytes) -> None:
        account = self._get_or_create(address)
        self._journal.append((_CODE, address, account.code, account.code_hash))
        account.code = code
        account.code_hash = keccak256(code) if code else EMPTY_KECCAK

    def has_storage(self, address: bytes) -> bool:
        account = self._accounts.get(address)
        if account is None and self._trie is not None:
            account = self._load(address)
        return account is not None and bool(account.storage)

    def destroy_account(self, address: bytes) -> None:
        account = self._accounts.pop(address, None)
        if account is None and self._load(address) is not None:
            account = self._accounts.pop(address)
        if account is not None:
            self._journal.append((_DESTROYED, address, account))
        if self._trie is not None:
            self._absent.add(address)  # not to be read back from the trie

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
        if account is None and self._trie is not None:
            account = self._load(address)
        return account.storage.get(key, 0) if account is not None else 0  # type: ignore[return-value]

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
        """All accounts of an in-memory state, the ones read so far of a persisted one (a
        read-only view by convention)."""
        return self._accounts

    def storage_root(self, address: bytes) -> bytes:
        if self._trie is not None:
            self._flush()
            encoded = self._trie.get(address)
            return EMPTY_TRIE_ROOT if encoded is None else decode(encoded)[2]
        account = self._accounts.get(address)
        if account is None or not account.storage:
            return EMPTY_TRIE_ROOT
        return storage_root(account.storage)

    def state_root(self) -> bytes:
        """The Merkle Patricia root of all accounts (writes nothing to any store)."""
        if self._trie is not None:
            self._flush()
            return self._trie.root_hash
        return secure_trie_root(
            {address: encode_account(account) for address, account in self._accounts.items()}
        )

    # --- persistence ----------------------------------------------------------------------

    def commit(self) -> bytes:
        """Write every changed account, storage slot and code of a persisted state to its
        store and return the state root. Call it between transactions; the store's own
        transaction (the database commit) is the caller's.
        """
        trie = self._trie
        if trie is None:
            raise TypeError("commit() needs a persisted state (State.at_root)")
        self._flush()
        store = trie.store
        for code_hash, code in self._unwritten_code.items():
            store.put(code_hash, code)
        for storage_trie in self._unwritten_tries:
            storage_trie.commit()
        self._unwritten_code.clear()
        self._unwritten_tries.clear()
        self._parked.clear()
        self._journal.clear()
        self._collected = 0
        return trie.commit()

    def _collect_dirty(self) -> None:
        """Note which accounts, slots and codes the journal's entries since the last call
        wrote, and for each slot the value it had before its first write since the last flush
        (the value its trie holds)."""
        journal = self._journal
        dirty = self._dirty
        dirty_slots = self._dirty_slots
        for index in range(self._collected, len(journal)):
            entry = journal[index]
            kind = entry[0]
            if kind == _STORAGE:
                slots = dirty_slots.get(entry[1])
                if slots is None:
                    slots = dirty_slots[entry[1]] = {}
                if entry[2] not in slots:
                    slots[entry[2]] = entry[3]
            elif kind in _ACCOUNT_WRITES:
                dirty.add(entry[1])
                if kind == _CODE:
                    self._dirty_code.add(entry[1])
        self._collected = len(journal)

    def _uncollect(self, snapshot: int) -> None:
        """Before a revert undoes noted entries: what they wrote may be in the tries already
        (a root was taken since), so their accounts and slots are written again at the next
        flush, whatever the values. So are the changes a flush parked: the revert may bring
        back the account or storage they belong to."""
        dirty_slots = self._dirty_slots
        for address, (keys, code) in self._parked.items():
            dirty_slots.setdefault(address, {}).update(dict.fromkeys(keys, _UNKNOWN))
            self._dirty.add(address)
            if code:
                self._dirty_code.add(address)
        self._parked.clear()
        for entry in self._journal[snapshot : self._collected]:
            kind = entry[0]
            if kind == _STORAGE:
                slots = dirty_slots.get(entry[1])
                if slots is None:
                    slots = dirty_slots[entry[1]] = {}
                slots[entry[2]] = _UNKNOWN
            elif kind in _ACCOUNT_WRITES:
                self._dirty.add(entry[1])
                if kind == _CODE:
                    self._dirty_code.add(entry[1])
        self._collected = snapshot

    def _flush(self) -> None:
        """Apply the changes noted so far to the account and storage tries, in memory.

        A slot written back to the value it had at the last flush (the system contracts' queue
        counters, rewritten with the same zero every block) is not put into its trie again,
        and an account with nothing else changed is not put into the account trie again.
        """
        trie = self._trie
        assert trie is not None
        self._collect_dirty()
        accounts = self._accounts
        dirty = self._dirty
        dirty_slots = self._dirty_slots
        parked = self._parked
        for address in dirty.union(dirty_slots):
            account = accounts.get(address)
            if account is None:
                trie.delete(address)
                # A revert may bring the account back, with what was written to it before it
                # went: not in its storage trie nor in the store yet.
                _park(parked, address, dirty_slots.get(address), address in self._dirty_code)
                continue
            storage = account.storage
            changed: dict[int, int] = {}
            slots = dirty_slots.get(address)
            if slots:
                for key, flushed in slots.items():
                    value = dict.get(storage, key) or 0  # a written slot is in the dict or zero
                    if value != flushed:
                        changed[key] = value
            if not changed and address not in dirty:
                continue  # the account's record and storage are as the tries hold them
            if type(storage) is StoredStorage:
                storage_trie = storage.trie
                if changed:
                    for key, value in changed.items():
                        if value:
                            storage_trie.put(key.to_bytes(32, "big"), _rlp_int(value))
                        else:
                            storage_trie.delete(key.to_bytes(32, "big"))
                    self._unwritten_tries.append(storage_trie)
                root = storage_trie.root_hash
            else:
                # A new account, or one whose storage was wiped: all of it is in the dict. The
                # slots written before a wipe are not in the wiped storage's trie, and a revert
                # may bring that back.
                _park(parked, address, slots, False)
                if storage:
                    storage_trie = SecureTrie(trie.store)
                    for key, value in storage.items():
                        storage_trie.put(key.to_bytes(32, "big"), _rlp_int(value))
                    self._unwritten_tries.append(storage_trie)
                    account.storage = StoredStorage(storage_trie, storage)
                    root = storage_trie.root_hash
                else:
                    root = EMPTY_TRIE_ROOT
            if account.code and address in self._dirty_code:
                self._unwritten_code[account.code_hash] = account.code
            trie.put(address, _account_rlp(account.nonce, account.balance, root, account.code_hash))
        dirty.clear()
        dirty_slots.clear()
        self._dirty_code.clear()


def _park(
    parked: dict[bytes, tuple[set[int], bool]],
    address: bytes,
    slots: Mapping[int, int] | None,
    code: bool,
) -> None:
    """Note changes of `address` a flush could not apply (see `State._parked`)."""
    if not slots and not code:
        return
    keys, had_code = parked.get(address, (set(), False))
    if slots:
        keys.update(slots)
    parked[address] = (keys, had_code or code)


def _rlp_int(value: int) -> bytes:
    """RLP of a non-negative integer (a generic encoder is several times slower)."""
    return rlp_bytes(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def storage_root(storage: Mapping[int, int]) -> bytes:
    """Root of an account's storage trie: keccak(slot) -> rlp(value), zero slots absent."""
    return secure_trie_root(
        {key.to_bytes(32, "big"): _rlp_int(value) for key, value in storage.items() if value}
    )


def encode_account(account: Account) -> bytes:
    """RLP of [nonce, balance, storage_root, code_hash] as stored in the state trie."""
    root = storage_root(account.storage) if account.storage else EMPTY_TRIE_ROOT
    return _account_rlp(account.nonce, account.balance, root, account.code_hash)


def _account_rlp(nonce: int, balance: int, storage_root: bytes, code_hash: bytes) -> bytes:
    """The account trie's value: rlp([nonce, balance, storage_root, code_hash])."""
    return rlp_list(
        _rlp_int(nonce) + _rlp_int(balance) + rlp_bytes(storage_root) + rlp_bytes(code_hash)
    )

"""The persisted State (`State.at_root` / `commit`): the same roots as the in-memory State for any
sequence of writes, reverts, roots and commits, and the same reads after reopening from the
root."""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pyeth.db import MemoryNodeStore
from pyeth.state import State, StoredStorage
from pyeth.trie import EMPTY_TRIE_ROOT

ADDRESSES = [bytes([i]) * 20 for i in range(1, 6)]
SLOTS = [0, 1, 2, 2**255]

address = st.sampled_from(ADDRESSES)
op = st.one_of(
    st.tuples(st.just("balance"), address, st.integers(0, 3)),
    st.tuples(st.just("nonce"), address, st.integers(0, 3)),
    st.tuples(st.just("code"), address, st.sampled_from([b"", b"\x60\x00", b"\x5f\x5f\xf3"])),
    st.tuples(st.just("storage"), address, st.sampled_from(SLOTS), st.integers(0, 2)),
    st.tuples(st.just("destroy"), address),
    st.tuples(st.just("create"), address),
    st.tuples(st.just("snapshot")),
    st.tuples(st.just("revert")),
    st.tuples(st.just("next_tx")),
    st.tuples(st.just("commit")),
    st.tuples(st.just("reopen")),
    st.tuples(st.just("root")),  # a root mid-transaction: later writes and reverts still count
)


def _apply(state: State, step: tuple, snapshots: list[int]) -> None:
    kind = step[0]
    if kind == "balance":
        state.set_balance(step[1], step[2])
    elif kind == "nonce":
        state.set_nonce(step[1], step[2])
    elif kind == "code":
        state.set_code(step[1], step[2])
    elif kind == "storage":
        state.set_storage(step[1], step[2], step[3])
    elif kind == "destroy":
        state.destroy_account(step[1])
    elif kind == "create":
        state.mark_created(step[1])
    elif kind == "snapshot":
        snapshots.append(state.snapshot())
    elif kind == "revert" and snapshots:
        state.revert(snapshots.pop())
    elif kind == "next_tx":
        snapshots.clear()
        state.begin_transaction()


def _same_reads(a: State, b: State) -> None:
    for addr in ADDRESSES:
        assert a.account_exists(addr) == b.account_exists(addr)
        assert a.get_balance(addr) == b.get_balance(addr)
        assert a.get_nonce(addr) == b.get_nonce(addr)
        assert a.get_code(addr) == b.get_code(addr)
        assert a.get_code_hash(addr) == b.get_code_hash(addr)
        assert a.has_storage(addr) == b.has_storage(addr)
        for slot in SLOTS:
            assert a.get_storage(addr, slot) == b.get_storage(addr, slot)


A = ADDRESSES[0]


@settings(max_examples=500, deadline=None)
@given(st.lists(op, max_size=40))
# A root taken while an account is gone (or its storage wiped) cannot put what was written to
# it before into its tries; a revert that brings the account back must still get it there.
@example(
    [
        ("storage", A, 0, 1),
        ("commit",),
        ("storage", A, 0, 0),
        ("snapshot",),
        ("destroy", A),
        ("root",),
        ("revert",),
    ]
)
@example(
    [
        ("storage", A, 0, 1),
        ("commit",),
        ("storage", A, 1, 2),
        ("snapshot",),
        ("create", A),
        ("root",),
        ("revert",),
    ]
)
@example(
    [
        ("balance", A, 1),
        ("code", A, b"\x60\x00"),
        ("snapshot",),
        ("destroy", A),
        ("root",),
        ("revert",),
        ("reopen",),
    ]
)
def test_persisted_state_matches_memory(steps: list[tuple]) -> None:
    store = MemoryNodeStore()
    memory = State()
    persisted = State.at_root(store)
    snapshots_memory: list[int] = []
    snapshots_persisted: list[int] = []
    for step in steps:
        if step[0] == "root":
            assert persisted.state_root() == memory.state_root()
        elif step[0] == "commit":
            snapshots_memory.clear()
            snapshots_persisted.clear()
            memory.begin_transaction()
            root = persisted.commit()
            assert root == memory.state_root()
        elif step[0] == "reopen":
            # A fresh state from what was committed, after the pending writes are committed.
            snapshots_memory.clear()
            memory.begin_transaction()
            root = persisted.commit()
            persisted = State.at_root(store, root)
            snapshots_persisted.clear()
            _same_reads(memory, persisted)
        else:
            _apply(memory, step, snapshots_memory)
            _apply(persisted, step, snapshots_persisted)
        _same_reads(memory, persisted)
    assert persisted.state_root() == memory.state_root()
    root = persisted.commit()
    assert root == memory.state_root()
    reopened = State.at_root(store, root)
    _same_reads(memory, reopened)
    assert reopened.state_root() == root


def test_reads_are_lazy_and_cached() -> None:
    store = MemoryNodeStore()
    state = State.at_root(store)
    for i, addr in enumerate(ADDRESSES):
        state.set_balance(addr, i + 1)
        state.set_storage(addr, 7, 70 + i)
    root = state.commit()

    class CountingStore(MemoryNodeStore):
        reads = 0

        def get(self, key: bytes) -> bytes | None:
            CountingStore.reads += 1
            return super().get(key)

    counting = CountingStore(store.data)
    fresh = State.at_root(counting, root)
    assert CountingStore.reads == 0
    assert fresh.get_balance(ADDRESSES[2]) == 3
    reads = CountingStore.reads
    assert reads > 0
    assert fresh.get_balance(ADDRESSES[2]) == 3
    assert CountingStore.reads == reads  # cached
    assert isinstance(fresh.get_account(ADDRESSES[2]).storage, StoredStorage)
    assert fresh.get_storage(ADDRESSES[2], 7) == 72
    assert fresh.get_storage(ADDRESSES[2], 8) == 0
    reads = CountingStore.reads
    assert fresh.get_storage(ADDRESSES[2], 8) == 0
    assert CountingStore.reads == reads  # known zero: not read again
    assert fresh.get_balance(b"\x09" * 20) == 0
    reads = CountingStore.reads
    assert not fresh.account_exists(b"\x09" * 20)
    assert CountingStore.reads == reads  # known absent


def test_zeroed_slot_is_not_read_back_from_the_trie() -> None:
    store = MemoryNodeStore()
    state = State.at_root(store)
    state.set_storage(ADDRESSES[0], 1, 5)
    root = state.commit()
    fresh = State.at_root(store, root)
    fresh.set_storage(ADDRESSES[0], 1, 0)
    assert fresh.get_storage(ADDRESSES[0], 1) == 0
    assert not fresh.has_storage(ADDRESSES[0])
    assert fresh.storage_root(ADDRESSES[0]) == EMPTY_TRIE_ROOT


def test_commit_writes_nothing_before_it_is_called() -> None:
    store = MemoryNodeStore()
    state = State.at_root(store)
    state.set_code(ADDRESSES[0], b"\x60\x00")
    state.set_storage(ADDRESSES[0], 1, 1)
    state.state_root()
    assert len(store) == 0
    state.commit()
    assert len(store) > 0


def test_a_slot_written_back_after_a_root_is_written_back() -> None:
    """A root between two writes of a slot: the second write (back to the value the trie held
    before the first) must reach the trie."""
    memory, persisted = State(), State.at_root(MemoryNodeStore())
    for state in (memory, persisted):
        state.set_storage(ADDRESSES[0], 3, 7)
        state.begin_transaction()
    persisted.commit()
    for value in (5, 7):
        for state in (memory, persisted):
            state.set_storage(ADDRESSES[0], 3, value)
        assert persisted.state_root() == memory.state_root()


def test_a_revert_after_a_root_undoes_what_the_root_took_in() -> None:
    memory, persisted = State(), State.at_root(MemoryNodeStore())
    snapshots = []
    for state in (memory, persisted):
        snapshots.append(state.snapshot())
        state.set_balance(ADDRESSES[0], 0)  # an empty account, then gone again
        state.set_storage(ADDRESSES[1], 1, 2)
    assert persisted.state_root() == memory.state_root()
    for state, snapshot in zip((memory, persisted), snapshots, strict=True):
        state.revert(snapshot)
    assert persisted.state_root() == memory.state_root() == EMPTY_TRIE_ROOT

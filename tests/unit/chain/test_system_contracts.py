"""The system contracts' effects written in Python (pyeth.chain.system_contracts) against their
published bytecode run by the interpreter: same storage, same output, on the same states.

The Python side is only used for the published code; these tests also pin that code to what
pyeth/genesis/dev.json deploys, and check that other code, or a queue with anything in it,
still goes through the interpreter.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evm.forks import PRAGUE
from evm.frame import BlockEnv
from pyeth.chain import system_contracts as published
from pyeth.chain.system import (
    BEACON_ROOTS_ADDRESS,
    CONSOLIDATION_REQUEST_ADDRESS,
    HISTORY_STORAGE_ADDRESS,
    WITHDRAWAL_REQUEST_ADDRESS,
    dequeue_requests,
    process_beacon_root,
    process_parent_block_hash,
    system_call,
)
from pyeth.state import State

DEV_GENESIS = Path(__file__).parents[3] / "pyeth" / "genesis" / "dev.json"
CODES = {
    BEACON_ROOTS_ADDRESS: published.BEACON_ROOTS_CODE,
    HISTORY_STORAGE_ADDRESS: published.HISTORY_STORAGE_CODE,
    WITHDRAWAL_REQUEST_ADDRESS: published.WITHDRAWAL_REQUEST_CODE,
    CONSOLIDATION_REQUEST_ADDRESS: published.CONSOLIDATION_REQUEST_CODE,
}
QUEUES = (WITHDRAWAL_REQUEST_ADDRESS, CONSOLIDATION_REQUEST_ADDRESS)
WORD = st.integers(0, 2**256 - 1)


def env(number: int = 10, timestamp: int = 1_700_000_000) -> BlockEnv:
    return BlockEnv(bytes(20), number, timestamp, 30_000_000, bytes(32), 7, 1337)


def state_with(address: bytes, code: bytes, storage: dict[int, int] | None = None) -> State:
    state = State()
    state.set_code(address, code)
    state.set_nonce(address, 1)
    for key, value in (storage or {}).items():
        state.set_storage(address, key, value)
    state.begin_transaction()
    return state


def storage_of(state: State, address: bytes) -> dict[int, int]:
    return {k: v for k, v in state.accounts()[address].storage.items() if v}


def test_published_code_is_what_the_dev_genesis_deploys() -> None:
    alloc = {k.lower(): v for k, v in json.loads(DEV_GENESIS.read_text())["alloc"].items()}
    for address, code in CODES.items():
        assert bytes.fromhex(alloc["0x" + address.hex()]["code"][2:]) == code


@settings(max_examples=60, deadline=None)
@given(timestamp=st.integers(0, 2**64 - 1), root=st.binary(min_size=32, max_size=32), old=WORD)
def test_beacon_root_matches_the_bytecode(timestamp: int, root: bytes, old: int) -> None:
    index = timestamp % published.HISTORY_BUFFER_LENGTH
    before = {index: old, index + published.HISTORY_BUFFER_LENGTH: old, 5: 1}
    native = state_with(BEACON_ROOTS_ADDRESS, published.BEACON_ROOTS_CODE, before)
    evm = state_with(BEACON_ROOTS_ADDRESS, published.BEACON_ROOTS_CODE, before)
    process_beacon_root(native, env(timestamp=timestamp), root, PRAGUE)
    result = system_call(evm, env(timestamp=timestamp), PRAGUE, BEACON_ROOTS_ADDRESS, root)
    assert result is not None and result.success
    assert storage_of(native, BEACON_ROOTS_ADDRESS) == storage_of(evm, BEACON_ROOTS_ADDRESS)
    assert native.get_storage(BEACON_ROOTS_ADDRESS, index) == timestamp


@settings(max_examples=60, deadline=None)
@given(number=st.integers(0, 2**64 - 1), parent=st.binary(min_size=32, max_size=32), old=WORD)
def test_parent_hash_matches_the_bytecode(number: int, parent: bytes, old: int) -> None:
    before = {(number - 1) % 2**256 % published.HISTORY_SERVE_WINDOW: old, 8191: 3}
    native = state_with(HISTORY_STORAGE_ADDRESS, published.HISTORY_STORAGE_CODE, before)
    evm = state_with(HISTORY_STORAGE_ADDRESS, published.HISTORY_STORAGE_CODE, before)
    process_parent_block_hash(native, env(number=number), parent, PRAGUE)
    result = system_call(evm, env(number=number), PRAGUE, HISTORY_STORAGE_ADDRESS, parent)
    assert result is not None and result.success
    assert storage_of(native, HISTORY_STORAGE_ADDRESS) == storage_of(evm, HISTORY_STORAGE_ADDRESS)


@pytest.mark.parametrize("address", QUEUES, ids=["withdrawals", "consolidations"])
def test_an_idle_queue_releases_nothing_and_writes_nothing(address: bytes) -> None:
    others = {4: 7, 1000: 9}  # queue entries left behind by earlier requests
    native = state_with(address, CODES[address], others)
    evm = state_with(address, CODES[address], others)
    assert published.queue_is_idle(native, address)
    assert dequeue_requests(native, env(), PRAGUE, address) == b""
    assert native.snapshot() == 0  # nothing was even written
    result = system_call(evm, env(), PRAGUE, address, b"")
    assert result is not None and result.success and result.output == b""
    assert storage_of(evm, address) == others == storage_of(native, address)


@pytest.mark.parametrize("address", QUEUES, ids=["withdrawals", "consolidations"])
@pytest.mark.parametrize("slot", published.QUEUE_COUNTER_SLOTS)
def test_a_busy_queue_goes_through_the_interpreter(address: bytes, slot: int) -> None:
    rng = random.Random(slot)
    counters = {slot: 2**256 - 1 if slot == 0 else rng.randint(1, 3)}  # 0: the inhibitor
    if slot == 2:
        counters[3] = counters[2] + 1  # a head needs a tail past it
    state = state_with(address, CODES[address], counters)
    evm = state_with(address, CODES[address], counters)
    assert not published.queue_is_idle(state, address)
    output = dequeue_requests(state, env(), PRAGUE, address)
    result = system_call(evm, env(), PRAGUE, address, b"")
    assert result is not None and result.success
    assert output == result.output
    assert storage_of(state, address) == storage_of(evm, address)
    assert state.snapshot() > 0  # the interpreter ran and wrote the counters


def test_other_code_at_a_system_address_runs_in_the_interpreter() -> None:
    # Stores CALLER at slot 0: the Python versions would write elsewhere or nothing.
    code = bytes.fromhex("335f5500")
    for address in (BEACON_ROOTS_ADDRESS, HISTORY_STORAGE_ADDRESS):
        state = state_with(address, code)
        if address == BEACON_ROOTS_ADDRESS:
            process_beacon_root(state, env(), bytes(32), PRAGUE)
        else:
            process_parent_block_hash(state, env(), bytes(32), PRAGUE)
        assert storage_of(state, address) == {0: int("ff" * 19 + "fe", 16)}
    for address in QUEUES:
        state = state_with(address, bytes.fromhex("335f5560ff5f5360015ff3"))
        assert dequeue_requests(state, env(), PRAGUE, address) == b"\xff"

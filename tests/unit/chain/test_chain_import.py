"""Importing blocks: state and receipts, rejection without a trace, fork choice and reorgs (indexes
and events), BLOCKHASH per branch, and restarting from a datadir."""

import dataclasses
from pathlib import Path

import pytest
from chain_helpers import (
    ADDRESSES,
    BLOCKHASH_RECORDER_ADDRESS,
    ETHER,
    TOKEN_ADDRESS,
    TRANSFER_TOPIC,
    call,
    extend,
    make_genesis,
    token_transfer,
    transfer,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from pyeth.chain import Chain, ChainEvent, GenesisMismatch, HeaviestChain, encode_block
from pyeth.chain.builder import build_block
from pyeth.errors import InvalidBlock
from pyeth.hashing import keccak256
from pyeth.sedes import Withdrawal
from pyeth.state import Account

TABLES = ("headers", "bodies", "receipts", "canonical", "tx_index", "meta")


def _rows(chain: Chain) -> dict[str, list]:
    chain.store.flush()  # the temporary database's waiting rows and nodes into the tables
    connection = chain.store.connection
    rows = {t: sorted(connection.execute(f"SELECT * FROM {t}").fetchall()) for t in TABLES}
    nodes = chain.store.nodes.backing.connection  # a database of their own
    rows["trie_nodes"] = sorted(nodes.execute("SELECT hash, node FROM trie_nodes").fetchall())
    return rows


@pytest.fixture
def chain() -> Chain:
    return Chain.open(None, make_genesis())


def test_import_moves_value_and_stores_everything(chain: Chain) -> None:
    tx = transfer(0, 0, ADDRESSES[1], 5 * ETHER)
    (block,) = extend(chain, 1, txs_per_block=[[tx]])
    assert chain.head_hash == block.hash and chain.head.number == 1
    state = chain.head_state()
    assert state.get_balance(ADDRESSES[1]) == 1005 * ETHER
    assert state.get_nonce(ADDRESSES[0]) == 1
    (receipt,) = chain.get_receipts(block.hash) or ()
    assert receipt.status == 1 and receipt.cumulative_gas_used == 21000 and receipt.tx_type == 2
    assert chain.get_transaction_location(tx.hash) == (block.hash, 0)
    assert chain.get_block(block.hash) == dataclasses.replace(block, header_rlp=b"")
    assert chain.get_block_by_number(1).hash == block.hash  # type: ignore[union-attr]
    assert chain.canonical_hash(2) is None


def test_already_known_block_is_a_no_op(chain: Chain) -> None:
    (block,) = extend(chain, 1)
    before = _rows(chain)
    result = chain.import_block(encode_block(block))
    assert result.already_known and result.is_head
    assert _rows(chain) == before


def test_beacon_root_and_withdrawals(chain: Chain) -> None:
    from pyeth.chain.processing import BEACON_ROOTS_ADDRESS
    from pyeth.sedes import Withdrawal

    withdrawals = [Withdrawal(0, 7, b"\x77" * 20, 3), Withdrawal(1, 7, b"\x78" * 20, 0)]
    built = build_block(
        chain, [], timestamp=24, withdrawals=withdrawals, parent_beacon_block_root=b"\xbe" * 32
    )
    chain.import_block(built.block)
    state = chain.head_state()
    assert state.get_balance(b"\x77" * 20) == 3 * 10**9
    assert not state.account_exists(b"\x78" * 20)  # a zero withdrawal creates nothing
    # EIP-4788 ring buffer: slot timestamp % 8191 holds the timestamp, +8191 the root.
    assert state.get_storage(BEACON_ROOTS_ADDRESS, 24 % 8191) == 24
    assert state.get_storage(BEACON_ROOTS_ADDRESS, 24 % 8191 + 8191) == int.from_bytes(
        b"\xbe" * 32, "big"
    )


@pytest.mark.parametrize(
    ("corrupt", "rule"),
    [
        (lambda h: dataclasses.replace(h, state_root=bytes(32)), "invalid state root"),
        (lambda h: dataclasses.replace(h, gas_used=h.gas_used + 1), "invalid gas used"),
        (lambda h: dataclasses.replace(h, receipts_root=bytes(32)), "invalid receipts root"),
        (lambda h: dataclasses.replace(h, timestamp=0), "timestamp"),
    ],
)
def test_invalid_block_leaves_no_trace(chain: Chain, corrupt, rule: str) -> None:
    extend(chain, 1, txs_per_block=[[transfer(0, 0, ADDRESSES[1])]])
    built = build_block(
        chain, [transfer(0, 1, ADDRESSES[2]), token_transfer(1, 0, ADDRESSES[3], 9)]
    )
    bad = dataclasses.replace(built.block, header=corrupt(built.block.header), header_rlp=b"")
    head = chain.head_hash
    before = _rows(chain)
    with pytest.raises(InvalidBlock, match=rule):
        chain.import_block(bad)
    assert _rows(chain) == before
    assert chain.head_hash == head and not chain.has_block(bad.hash)
    # The chain still imports the good version on the same parent afterwards.
    chain.import_block(built.block)
    assert chain.head_hash == built.block.hash


def test_invalid_transaction_rejects_the_block(chain: Chain) -> None:
    good = build_block(chain, [transfer(0, 0, ADDRESSES[1])]).block
    replay = transfer(0, 0, ADDRESSES[2])  # the same nonce twice
    forged = dataclasses.replace(good, transactions=(*good.transactions, replay))
    from pyeth.chain.blocks import transactions_root

    header = dataclasses.replace(
        forged.header, transactions_root=transactions_root(forged.transactions)
    )
    forged = dataclasses.replace(forged, header=header, header_rlp=b"")
    before = _rows(chain)
    with pytest.raises(InvalidBlock, match="invalid transaction 1: nonce too low"):
        chain.import_block(forged)
    assert _rows(chain) == before


def test_unknown_parent_and_bad_rlp(chain: Chain) -> None:
    (block,) = extend(chain, 1, import_blocks=False)
    orphan = dataclasses.replace(
        block, header=dataclasses.replace(block.header, parent_hash=b"\x01" * 32), header_rlp=b""
    )
    with pytest.raises(InvalidBlock, match="unknown parent"):
        chain.import_block(orphan)
    with pytest.raises(InvalidBlock, match="rlp"):
        chain.import_block(b"\xc0")


def test_reorg_rewrites_indexes_and_emits_removed_logs(chain: Chain) -> None:
    events: list[ChainEvent] = []
    chain.subscribe(events.append)
    genesis = chain.head_hash
    a_txs = [[token_transfer(0, 0, ADDRESSES[1], 3)], [transfer(0, 1, ADDRESSES[1])]]
    a1, a2 = extend(chain, 2, txs_per_block=a_txs)
    assert [len(e.added) for e in events] == [1, 1] and not any(e.removed for e in events)
    # A competing branch from genesis: B1 (imported: head moves, A1..A2 removed), B2, B3.
    b_txs = [[token_transfer(0, 0, ADDRESSES[2], 4)], [], [transfer(1, 0, ADDRESSES[3])]]
    b1, b2, b3 = extend(chain, 3, parent_hash=genesis, txs_per_block=b_txs, coinbase=b"\x0b" * 20)
    reorg = events[2]
    assert reorg.is_reorg
    assert [item.block.hash for item in reorg.removed] == [a2.hash, a1.hash]
    assert [item.block.hash for item in reorg.added] == [b1.hash]
    logs = list(reorg.logs())
    assert [(log.removed, log.block_hash) for log in logs] == [(True, a1.hash), (False, b1.hash)]
    assert logs[0].log.topics[0] == TRANSFER_TOPIC and logs[0].log.address == TOKEN_ADDRESS
    assert chain.head_hash == b3.hash
    assert [chain.canonical_hash(n) for n in range(4)] == [genesis, b1.hash, b2.hash, b3.hash]
    assert chain.get_transaction_location(a_txs[1][0].hash) is None
    assert chain.get_transaction_location(a_txs[0][0].hash) is None
    assert chain.get_transaction_location(b_txs[0][0].hash) == (b1.hash, 0)
    token = chain.head_state()
    assert token.get_storage(TOKEN_ADDRESS, int.from_bytes(ADDRESSES[2], "big")) == 10**6 + 4
    assert token.get_storage(TOKEN_ADDRESS, int.from_bytes(ADDRESSES[1], "big")) == 10**6
    # Every valid block is kept: the A branch can be made the head again, a deeper reorg.
    event = chain.set_head(a2.hash)
    assert event is not None
    assert [i.block.hash for i in event.removed] == [b3.hash, b2.hash, b1.hash]
    assert [i.block.hash for i in event.added] == [a1.hash, a2.hash]
    assert chain.canonical_hash(3) is None
    assert chain.get_transaction_location(a_txs[1][0].hash) == (a2.hash, 0)
    assert chain.get_transaction_location(b_txs[2][0].hash) is None
    assert chain.head_state().get_nonce(ADDRESSES[0]) == 2


def test_set_head_back_to_an_ancestor(chain: Chain) -> None:
    txs = [[transfer(0, 0, ADDRESSES[1])], [transfer(0, 1, ADDRESSES[1])]]
    a1, a2 = extend(chain, 2, txs_per_block=txs)
    event = chain.set_head(a1.hash)
    assert event is not None and event.head.hash == a1.hash
    assert [i.block.hash for i in event.removed] == [a2.hash] and event.added == ()
    assert chain.canonical_hash(2) is None
    assert chain.get_transaction_location(txs[1][0].hash) is None
    assert chain.head_state().get_nonce(ADDRESSES[0]) == 1
    assert chain.set_head(a1.hash) is None
    (b2,) = extend(chain, 1, txs_per_block=[[transfer(0, 1, ADDRESSES[2])]], timestamp_step=5)
    assert chain.head_hash == b2.hash and chain.has_block(a2.hash)


def test_heaviest_chain_keeps_head_on_ties(chain: Chain) -> None:
    chain.fork_choice = HeaviestChain()
    genesis = chain.head_hash
    (a1,) = extend(chain, 1)  # score 0 = genesis score 0: a tie, the head stays
    assert chain.head_hash == genesis and chain.has_block(a1.hash)


def test_blockhash_answers_from_the_blocks_own_branch(chain: Chain) -> None:
    genesis = chain.head_hash
    a1, a2 = extend(chain, 2, txs_per_block=[[], [call(0, 0, BLOCKHASH_RECORDER_ADDRESS)]])
    assert chain.head_state().get_storage(BLOCKHASH_RECORDER_ADDRESS, 2) == int.from_bytes(
        a1.hash, "big"
    )
    # B2 executes while A is canonical; its BLOCKHASH(1) must be B1's hash, not A1's.
    chain.fork_choice = HeaviestChain()  # equal scores: A stays canonical while B imports
    b1, b2 = extend(
        chain,
        2,
        parent_hash=genesis,
        txs_per_block=[[], [call(0, 0, BLOCKHASH_RECORDER_ADDRESS)]],
        timestamp_step=13,
    )
    assert chain.head_hash == a2.hash
    state_b = chain.state_at(b2.header.state_root)
    assert state_b.get_storage(BLOCKHASH_RECORDER_ADDRESS, 2) == int.from_bytes(b1.hash, "big")


def test_restart_keeps_head_balances_and_receipts(tmp_path: Path) -> None:
    genesis = make_genesis()
    chain = Chain.open(tmp_path, genesis)
    txs = [[transfer(0, i, ADDRESSES[2], 10 + i)] for i in range(3)]
    blocks = extend(chain, 3, txs_per_block=txs)
    head, balance = chain.head_hash, chain.head_state().get_balance(ADDRESSES[2])
    receipts = chain.get_receipts(blocks[1].hash)
    chain.close()
    reopened = Chain.open(tmp_path, genesis)
    assert reopened.head_hash == head and reopened.head.number == 3
    assert reopened.head_state().get_balance(ADDRESSES[2]) == balance
    assert reopened.get_receipts(blocks[1].hash) == receipts
    assert reopened.get_transaction_location(txs[2][0].hash) == (blocks[2].hash, 0)
    extend(reopened, 1, txs_per_block=[[transfer(0, 3, ADDRESSES[2])]])
    assert reopened.head.number == 4
    reopened.close()


def test_other_genesis_is_refused(tmp_path: Path) -> None:
    Chain.open(tmp_path, make_genesis()).close()
    other = make_genesis({b"\x99" * 20: Account(balance=1)})
    with pytest.raises(GenesisMismatch):
        Chain.open(tmp_path, other)


def test_in_memory_chains_are_separate() -> None:
    one = Chain.open(None, make_genesis())
    two = Chain.open(None, make_genesis())
    extend(one, 1)
    assert two.head.number == 0
    assert keccak256(b"") != one.head_hash


_FUZZ_CHAIN = Chain.open(None, make_genesis())
_FUZZ_BLOCK = encode_block(
    build_block(
        _FUZZ_CHAIN,
        [transfer(0, 0, ADDRESSES[1]), token_transfer(1, 0, ADDRESSES[2], 1)],
        withdrawals=[Withdrawal(0, 1, ADDRESSES[3], 2)],
    ).block
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_FUZZ_BLOCK) - 1), st.integers(0, 255)), max_size=3))
def test_mangled_blocks_only_raise_invalid_block(edits: list[tuple[int, int]]) -> None:
    raw = bytearray(_FUZZ_BLOCK)
    for position, value in edits:
        raw[position] = value
    before = _FUZZ_CHAIN.head_hash
    try:
        result = _FUZZ_CHAIN.import_block(bytes(raw))
    except InvalidBlock:
        assert _FUZZ_CHAIN.head_hash == before
    else:
        assert bytes(raw) == _FUZZ_BLOCK or result.already_known or result.is_head

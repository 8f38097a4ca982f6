"""The transaction pool: checks on entry, pending and queued by sender and nonce, replacement by
a 10% bump, eviction of the cheapest when full, block ordering, and following the head through
inclusion and reorgs."""

import dataclasses
import re

import pytest

from pyeth.accounts import derive_accounts
from pyeth.chain import Chain, build_block
from pyeth.chain.genesis import dev_genesis
from pyeth.transactions import (
    BlobTransaction,
    FeeMarketTransaction,
    LegacyTransaction,
    sign_transaction,
)
from pyeth.txpool import Rejected, TxPool

ACCOUNTS = derive_accounts()
GWEI = 10**9
TO = b"\x42" * 20


@pytest.fixture
def chain():
    chain = Chain.open(None, dev_genesis(1337, [a.address for a in ACCOUNTS], 10_000 * 10**18))
    yield chain
    chain.close()


@pytest.fixture
def pool(chain):
    pool = TxPool(chain, max_size=16)
    chain.subscribe(pool.on_chain_event)
    return pool


def tx(sender=0, nonce=0, tip=GWEI, fee_cap=10 * GWEI, gas=21_000, value=1, chain_id=1337):
    unsigned = FeeMarketTransaction(chain_id, nonce, tip, fee_cap, gas, TO, value)
    return sign_transaction(unsigned, ACCOUNTS[sender].private_key, chain_id)


def address(sender):
    return ACCOUNTS[sender].address


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: tx(chain_id=1), "invalid chain id"),
        (lambda: tx(gas=20_999), "intrinsic gas too low"),
        (lambda: tx(fee_cap=GWEI // 2, tip=1), "max fee per gas less than block base fee"),
        (lambda: tx(value=10**23), "insufficient funds for gas * price + value"),
        (lambda: tx(gas=31_000_000), "exceeds block gas limit"),
        (lambda: dataclasses.replace(tx(), r=0), "invalid sender"),
        (lambda: tx(nonce=10_000), "nonce too high"),
        (
            lambda: sign_transaction(
                BlobTransaction(
                    1337, 0, 1, 10 * GWEI, 21_000, TO, blob_versioned_hashes=(b"\x01" * 32,)
                ),
                ACCOUNTS[0].private_key,
                1337,
            ),
            "blob transaction without its blobs",  # the pool takes the network form only
        ),
    ],
)
def test_entry_checks(pool, make, words):
    with pytest.raises(Rejected, match=re.escape(words)):
        pool.add(make())
    assert len(pool) == 0


def test_nonce_too_low_after_inclusion(chain, pool):
    first = tx(nonce=0)
    pool.add(first)
    chain.import_block(build_block(chain, [first]).block)
    assert len(pool) == 0  # included, so dropped
    with pytest.raises(Rejected, match="nonce too low"):
        pool.add(tx(nonce=0, value=2))
    pool.add(tx(nonce=1))
    with pytest.raises(Rejected, match="already known"):
        pool.add(tx(nonce=1))


def test_pending_and_queued_by_nonce(pool):
    pool.add(tx(nonce=0))
    pool.add(tx(nonce=2))
    pool.add(tx(sender=1, nonce=1))
    assert [e.nonce for e in pool.pending()[address(0)]] == [0]
    assert [e.nonce for e in pool.queued()[address(0)]] == [2]
    assert address(1) not in pool.pending()
    assert pool.next_nonce(address(0)) == 1
    announced = []
    pool.subscribe(lambda entry: announced.append(entry.nonce))
    pool.add(tx(nonce=1))  # fills the gap: 1 and 2 become pending
    assert [e.nonce for e in pool.pending()[address(0)]] == [0, 1, 2]
    assert sorted(announced) == [1, 2]
    assert pool.next_nonce(address(0)) == 3


def test_replacement_needs_both_fees_bumped_by_ten_percent(pool):
    old = pool.add(tx(tip=GWEI, fee_cap=10 * GWEI))
    for tip, cap in ((GWEI, 20 * GWEI), (2 * GWEI, 10 * GWEI), (GWEI * 109 // 100, 11 * GWEI)):
        with pytest.raises(Rejected, match="replacement transaction underpriced"):
            pool.add(tx(tip=tip, fee_cap=cap, value=2))
    new = pool.add(tx(tip=GWEI * 11 // 10, fee_cap=11 * GWEI, value=3))
    assert pool.get(old.hash) is None and pool.get(new.hash) is new
    assert len(pool) == 1


def test_full_pool_evicts_the_cheapest_or_refuses(chain):
    pool = TxPool(chain, max_size=3)
    cheap = pool.add(tx(sender=0, tip=1, fee_cap=2 * GWEI))
    pool.add(tx(sender=1, tip=2 * GWEI, fee_cap=10 * GWEI))
    pool.add(tx(sender=2, tip=3 * GWEI, fee_cap=10 * GWEI))
    with pytest.raises(Rejected, match="underpriced"):
        pool.add(tx(sender=3, tip=1, fee_cap=2 * GWEI))
    better = pool.add(tx(sender=3, tip=GWEI, fee_cap=10 * GWEI))
    assert len(pool) == 3
    assert pool.get(cheap.hash) is None and pool.get(better.hash) is better


def test_block_order_is_by_tip_then_nonce(pool):
    pool.add(tx(sender=0, nonce=0, tip=1 * GWEI))
    pool.add(tx(sender=0, nonce=1, tip=5 * GWEI))
    pool.add(tx(sender=1, nonce=0, tip=3 * GWEI))
    order = [(e.sender, e.nonce) for e in pool.ordered()]
    assert order == [(address(1), 0), (address(0), 0), (address(0), 1)]


def test_legacy_transactions_are_pooled(pool):
    legacy = sign_transaction(
        LegacyTransaction(0, 10 * GWEI, 21_000, TO, 1), ACCOUNTS[0].private_key, 1337
    )
    entry = pool.add(legacy)
    assert entry.sender == address(0)


def test_reorg_puts_removed_transactions_back(chain, pool):
    genesis = chain.head_hash
    a = tx(sender=0, nonce=0)
    b = tx(sender=1, nonce=0)
    pool.add(a)
    pool.add(b)
    block_a = build_block(chain, [a, b], timestamp=10).block
    chain.import_block(block_a)
    assert len(pool) == 0
    announced = []
    pool.subscribe(lambda entry: announced.append(entry.hash))
    # A competing block on genesis with only b: the newest block wins, a comes back.
    block_b = build_block(chain, [b], parent_hash=genesis, timestamp=11).block
    result = chain.import_block(block_b)
    assert result.event is not None and result.event.is_reorg
    assert pool.get(a.hash) is not None and pool.get(b.hash) is None
    assert announced == [a.hash]
    assert [e.hash for e in pool.pending()[address(0)]] == [a.hash]
    # A third branch where sender 0's nonce 0 went to another transaction: a cannot come back.
    other = tx(sender=0, nonce=0, value=99)
    block_c = build_block(chain, [other], parent_hash=genesis, timestamp=12).block
    chain.import_block(block_c)
    assert pool.get(a.hash) is None
    assert pool.get(b.hash) is not None  # b left the chain with block_b and is pending again

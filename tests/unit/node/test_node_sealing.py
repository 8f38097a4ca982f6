"""The node: automine seals a block per transaction, interval sealing runs in the background,
a custom chain id and mnemonic make the dev genesis, and blocks from another node import."""

import asyncio

from pyeth.accounts import derive_accounts
from pyeth.chain import build_block
from pyeth.node import Node, NodeConfig
from pyeth.transactions import FeeMarketTransaction, sign_transaction

GWEI = 10**9
KEY0 = derive_accounts()[0].private_key


def transfer(nonce: int, chain_id: int = 1337) -> FeeMarketTransaction:
    unsigned = FeeMarketTransaction(chain_id, nonce, GWEI, 10 * GWEI, 21_000, b"\x01" * 20, 1)
    return sign_transaction(unsigned, KEY0, chain_id)


def test_automine_seals_each_transaction():
    node = Node()
    try:
        heads = []
        node.subscribe_heads(lambda event: heads.append(event.head.number))
        for nonce in range(3):
            node.submit_transaction(transfer(nonce))
        assert node.chain.head.number == 3
        assert heads == [1, 2, 3]
        assert len(node.pool) == 0
    finally:
        node.close()


async def test_interval_sealing_in_the_background():
    node = Node(NodeConfig(block_time=0.05))
    try:
        async with node.running():
            node.submit_transaction(transfer(0))
            assert node.chain.head.number == 0  # not sealed at once
            for _ in range(100):
                await asyncio.sleep(0.02)
                if node.chain.head.number >= 2:
                    break
        assert node.chain.head.number >= 2  # empty blocks keep coming
        first = node.chain.get_block_by_number(1)
        assert first is not None and len(first.transactions) == 1
        number = node.chain.head.number
        await asyncio.sleep(0.1)
        assert node.chain.head.number == number  # stopped with the context
    finally:
        node.close()


def test_custom_chain_id_mnemonic_and_count():
    mnemonic = " ".join(["abandon"] * 11 + ["about"])
    node = Node(NodeConfig(chain_id=31337, mnemonic=mnemonic, account_count=2, balance=5))
    try:
        assert node.chain_id == 31337
        addresses = node.accounts.addresses
        assert len(addresses) == 2
        state = node.chain.head_state()
        assert [state.get_balance(a) for a in addresses] == [5, 5]
        assert state.get_balance(derive_accounts()[0].address) == 0
    finally:
        node.close()


def test_blocks_from_another_node_import_and_clear_the_pool():
    # One genesis for both: block 0's time is given (by default it is the start time).
    producer = Node(NodeConfig(genesis_timestamp=0))
    follower = Node(NodeConfig(genesis_timestamp=0))
    try:
        tx = transfer(0)
        follower.pool.add(tx)  # the follower heard of it too
        block = build_block(producer.chain, [tx], timestamp=100).block
        result = follower.import_block(block)
        assert result.is_head and follower.chain.head_hash == block.hash
        assert len(follower.pool) == 0
    finally:
        producer.close()
        follower.close()


def test_datadir_keeps_the_chain(tmp_path):
    node = Node(NodeConfig(datadir=tmp_path))
    node.submit_transaction(transfer(0))
    head = node.chain.head_hash
    node.close()
    again = Node(NodeConfig(datadir=tmp_path))
    try:
        assert again.chain.head_hash == head
        assert again.pool.next_nonce(derive_accounts()[0].address) == 1
    finally:
        again.close()

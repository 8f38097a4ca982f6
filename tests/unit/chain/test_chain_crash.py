"""Crash safety: a process importing a long chain into a datadir is killed with SIGKILL at random
moments; each time the database must reopen at a fully committed block whose state is complete
and has the root that replaying the chain gives, and importing must carry on from there.

The chain (200 blocks with ETH and token transfers) is built once in memory, which is the replay:
block n's header holds the state root that importing blocks 1..n gives. After each kill the test
reopens the database and checks the head is one of the chain's blocks, the canonical index is
exactly blocks 0..head, the head's state trie is complete (every account, storage slot and code
is readable) and re-hashes to the head's state root, and the receipts and transaction index of
the head are there. 20 kills run by default, 100 more under `-m slow`.
"""

import json
import multiprocessing
import random
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from chain_helpers import (
    ADDRESSES,
    BEACON_ROOTS_CODE,
    CHAIN_ID,
    KEYS,
    TOKEN_ADDRESS,
    TOKEN_CODE,
    token_transfer,
    transfer,
)

from pyeth.chain import Block, Chain, encode_block, load_genesis
from pyeth.chain.builder import build_block
from pyeth.chain.genesis import BLOCK_FORKS, OPTIONAL_BLOCK_FORKS
from pyeth.chain.processing import BEACON_ROOTS_ADDRESS
from pyeth.hashing import EMPTY_KECCAK, keccak256
from pyeth.sedes import ACCOUNT, decode
from pyeth.trie import EMPTY_TRIE_ROOT, SecureTrie, Trie, trie_root

BLOCKS = 200
TXS_PER_BLOCK = 6


def _import_all(datadir: Path, genesis_file: Path, blocks_file: Path, ready: Any) -> None:
    """The importing process: open the datadir, say so, import every block not yet in it."""
    blocks = blocks_file.read_text().split()
    chain = Chain.open(datadir, load_genesis(genesis_file))
    ready.set()
    for raw in blocks[chain.head.number :]:
        chain.import_block(bytes.fromhex(raw))
    chain.close()


def _genesis_json() -> dict[str, Any]:
    forks = [key for _, key in BLOCK_FORKS if key not in OPTIONAL_BLOCK_FORKS]
    alloc: dict[str, Any] = {"0x" + a.hex(): {"balance": hex(1000 * 10**18)} for a in ADDRESSES}
    alloc["0x" + BEACON_ROOTS_ADDRESS.hex()] = {
        "balance": "0x0",
        "nonce": "0x1",
        "code": "0x" + BEACON_ROOTS_CODE.hex(),
    }
    alloc["0x" + TOKEN_ADDRESS.hex()] = {
        "balance": "0x0",
        "nonce": "0x1",
        "code": "0x" + TOKEN_CODE.hex(),
        "storage": {"0x" + a.rjust(32, b"\0").hex(): hex(10**6) for a in ADDRESSES},
    }
    config = {"chainId": CHAIN_ID, **{k: 0 for k in forks}, "shanghaiTime": 0, "cancunTime": 0}
    return {"config": config, "gasLimit": hex(30_000_000), "alloc": alloc}


@pytest.fixture(scope="module")
def prebuilt(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[Block]]:
    """The genesis file, the file of encoded blocks, and the blocks (the replay)."""
    folder = tmp_path_factory.mktemp("crash")
    genesis_file = folder / "genesis.json"
    genesis_file.write_text(json.dumps(_genesis_json()))
    chain = Chain.open(None, load_genesis(genesis_file))
    rng = random.Random(1)
    nonces = [0] * len(KEYS)
    blocks = []
    for number in range(1, BLOCKS + 1):
        txs = []
        for _ in range(TXS_PER_BLOCK):
            sender = rng.randrange(len(KEYS))
            recipient = keccak256(b"%d" % rng.randrange(1000))[:20]
            if rng.random() < 0.5:
                txs.append(transfer(sender, nonces[sender], recipient, rng.randrange(1, 10**9)))
            else:
                txs.append(token_transfer(sender, nonces[sender], recipient, rng.randrange(100)))
            nonces[sender] += 1
        built = build_block(chain, txs, timestamp=12 * number)
        assert not built.rejected
        chain.import_block(built.block)
        blocks.append(built.block)
    blocks_file = folder / "blocks.txt"
    blocks_file.write_text("\n".join(encode_block(b).hex() for b in blocks))
    return genesis_file, blocks_file, blocks


def _check_consistent(datadir: Path, genesis_file: Path, blocks: list[Block]) -> int:
    """Reopen the database, check everything the head implies, return the head's number."""
    chain = Chain.open(datadir, load_genesis(genesis_file))
    try:
        number = chain.head.number
        hashes = [chain.canonical_hash(0)] + [b.hash for b in blocks]
        assert chain.head_hash == hashes[number]
        assert [chain.canonical_hash(n) for n in range(number + 1)] == hashes[: number + 1]
        assert chain.canonical_hash(number + 1) is None
        if number:
            assert chain.head.state_root == blocks[number - 1].header.state_root
            head = blocks[number - 1]
            receipts = chain.get_receipts(head.hash)
            assert receipts is not None and len(receipts) == TXS_PER_BLOCK
            for position, tx_hash in enumerate(head.transaction_hashes):
                assert chain.get_transaction_location(tx_hash) == (head.hash, position)
        _check_state_complete(chain, chain.head.state_root)
        return number
    finally:
        chain.close()


def _check_state_complete(chain: Chain, root: bytes) -> None:
    """Every node of the state is readable and the leaves re-hash to the roots."""
    nodes = chain.store.nodes
    accounts = dict(SecureTrie(nodes, root).items())  # hashed address -> account RLP
    assert trie_root(accounts) == root
    for encoded in accounts.values():
        account = decode(encoded, ACCOUNT)
        if account.storage_root != EMPTY_TRIE_ROOT:
            slots = dict(Trie(nodes, account.storage_root).items())
            assert slots and trie_root(slots) == account.storage_root
        if account.code_hash != EMPTY_KECCAK:
            code = nodes.get(account.code_hash)
            assert code is not None and keccak256(code) == account.code_hash


def _kill_at_random(
    datadir: Path, genesis_file: Path, blocks_file: Path, rng: random.Random
) -> None:
    """Start an importer, SIGKILL it after a random delay once it is importing.

    The importer is forked from this process (pyeth already imported, so it starts in
    milliseconds) and opens its own database connection after the fork.
    """
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    child = context.Process(target=_import_all, args=(datadir, genesis_file, blocks_file, ready))
    child.start()
    assert ready.wait(30), "the importer did not start"
    time.sleep(rng.uniform(0, 0.4))
    child.kill()  # SIGKILL: no cleanup, no rollback
    child.join()
    assert child.exitcode in (-signal.SIGKILL, 0)


def _crash_many_times(tmp_path: Path, prebuilt: tuple[Path, Path, list[Block]], kills: int) -> None:
    genesis_file, blocks_file, blocks = prebuilt
    rng = random.Random(kills)
    datadir = tmp_path / "node"
    heads: list[int] = []
    previous = 0
    for kill in range(kills):
        _kill_at_random(datadir, genesis_file, blocks_file, rng)
        number = _check_consistent(datadir, genesis_file, blocks)
        assert number >= previous  # committed blocks never disappear
        heads.append(number)
        previous = number
        if number == BLOCKS:  # imported everything: start over in a fresh database
            datadir = tmp_path / f"node{kill}"
            previous = 0
    assert len(set(heads) - {0, BLOCKS}) > kills // 4, heads  # kills landed mid-import
    # The database is still good for business: finish the import in this process.
    chain = Chain.open(datadir, load_genesis(genesis_file))
    for block in blocks[chain.head.number :]:
        chain.import_block(encode_block(block))
    assert chain.head_hash == blocks[-1].hash
    chain.close()


def test_sigkill_during_import_leaves_a_committed_head(
    tmp_path: Path, prebuilt: tuple[Path, Path, list[Block]]
) -> None:
    _crash_many_times(tmp_path, prebuilt, kills=20)


@pytest.mark.slow
def test_sigkill_during_import_many_times(
    tmp_path: Path, prebuilt: tuple[Path, Path, list[Block]]
) -> None:
    _crash_many_times(tmp_path, prebuilt, kills=100)

"""Clique (EIP-225) header rules and the signer: the genesis lists the signers; in-turn blocks
have difficulty 2 and out-of-turn ones 1; a non-signer, a signer that signed too recently, a
wrong difficulty, a broken seal, a short period or a block from the future are refused; votes
add and drop signers; checkpoints list the signers and carry no votes; the heavier branch
wins."""

from dataclasses import replace

import pytest

from pyeth.chain import build_block, parse_genesis
from pyeth.cli.devnet import devnet_genesis, signer_keys
from pyeth.consensus.clique import (
    DIFF_IN_TURN,
    DIFF_NO_TURN,
    EXTRA_SEAL,
    NONCE_AUTH,
    VANITY,
    CliqueSigner,
    NotAuthorized,
    checkpoint_extra_data,
    recover_signer,
    sign_header,
    signers_in_extra,
)
from pyeth.errors import InvalidBlock
from pyeth.keys import private_key_to_address
from pyeth.node import Node, NodeConfig

KEYS = signer_keys(5)
ADDRESSES = [private_key_to_address(key) for key in KEYS]
FAR_FUTURE = 2**40


def clique_node(signers: int = 3, period: int = 1, epoch: int = 30000) -> Node:
    """A follower node of a Clique chain whose clock is far ahead (timestamps are free)."""
    genesis = parse_genesis(devnet_genesis(ADDRESSES[:signers], period=period, epoch=epoch))
    node = Node(NodeConfig(genesis=genesis))
    assert node.clique is not None
    node.clique.clock = lambda: FAR_FUTURE
    return node


def signer(node: Node, index: int) -> CliqueSigner:
    """Signer `index` (of KEYS) sealing into this node's chain."""
    assert node.clique is not None
    return CliqueSigner(node.chain, node.pool, node.clique, KEYS[index], clock=lambda: 0)


def in_turn_index(node: Node, number: int) -> int:
    assert node.clique is not None
    signers = node.clique.signers(node.chain.head_hash)
    return ADDRESSES.index(signers[number % len(signers)])


def seal_in_turn(node: Node, blocks: int) -> None:
    for _ in range(blocks):
        number = node.chain.head.number + 1
        signer(node, in_turn_index(node, number)).seal()


@pytest.fixture
def node():
    made = clique_node()
    yield made
    made.close()


def test_genesis_lists_the_signers(node):
    assert node.clique is not None
    genesis = node.chain.get_header(node.chain.genesis_hash)
    assert genesis is not None
    assert signers_in_extra(genesis.extra_data) == tuple(sorted(ADDRESSES[:3]))
    assert node.clique.signers(node.chain.genesis_hash) == tuple(sorted(ADDRESSES[:3]))
    assert node.total_difficulty() == 1


def test_in_turn_rotation_and_difficulty(node):
    seal_in_turn(node, 6)
    assert node.clique is not None
    sealers = []
    for number in range(1, 7):
        block = node.chain.get_block_by_number(number)
        assert block is not None
        assert block.header.difficulty == DIFF_IN_TURN
        assert block.header.prev_randao == bytes(32) and block.header.nonce == bytes(8)
        sealers.append(recover_signer(block.header))
    assert sealers[:3] == sealers[3:] and len(set(sealers)) == 3
    assert node.total_difficulty() == 1 + 6 * DIFF_IN_TURN


def test_out_of_turn_has_difficulty_one(node):
    number = 1
    other = next(i for i in range(3) if i != in_turn_index(node, number))
    result = signer(node, other).seal()
    block = node.chain.get_block(result.result.hash)
    assert block is not None and block.header.difficulty == DIFF_NO_TURN


def test_recent_signer_rule(node):
    first = in_turn_index(node, 1)
    signer(node, first).seal()
    with pytest.raises(NotAuthorized, match="signed recently"):
        signer(node, first).seal()
    # A block sealed anyway is refused by every node.
    built = _forged(node, KEYS[first], DIFF_NO_TURN)
    with pytest.raises(InvalidBlock, match="recently signed"):
        node.import_block(built)


def _forged(node: Node, key: bytes, difficulty: int, parent_hash: bytes | None = None):
    """A block on `parent_hash` (the head) sealed by `key` whatever the rules say."""
    parent_hash = parent_hash or node.chain.head_hash
    parent = node.chain.get_header(parent_hash)
    assert parent is not None
    built = build_block(
        node.chain,
        parent_hash=parent_hash,
        timestamp=parent.timestamp + 1,
        extra_data=VANITY + bytes(EXTRA_SEAL),
        prev_randao=bytes(32),
    )
    header = replace(built.block.header, difficulty=difficulty)
    return replace(built.block, header=sign_header(header, key))


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"key": 4}, "unauthorized signer"),
        ({"difficulty": DIFF_NO_TURN}, "wrong difficulty"),
        ({"difficulty": 3}, "invalid difficulty"),
        ({"nonce": b"\x01" * 8}, "invalid vote nonce"),
        ({"prev_randao": b"\x01" * 32}, "non-zero mix digest"),
        ({"timestamp": 0}, "timestamp not after the parent's"),
        ({"broken_seal": True}, "invalid Clique seal"),
        ({"extra_data": b"\x00" * 40}, "missing Clique seal"),
        ({"signers_outside_checkpoint": True}, "extra data lists signers"),
    ],
)
def test_header_rules(node, change, error):
    number = 1
    index = change.pop("key", in_turn_index(node, number))
    difficulty = change.pop("difficulty", DIFF_IN_TURN)
    block = _forged(node, KEYS[index], difficulty)
    header = block.header
    if change.pop("broken_seal", False):
        header = replace(header, extra_data=header.extra_data[:-65] + b"\x00" * 64 + b"\x05")
    elif change.pop("signers_outside_checkpoint", False):
        extra = checkpoint_extra_data(ADDRESSES[:3])
        header = sign_header(replace(header, extra_data=extra), KEYS[index])
    elif change:
        header = replace(header, **change)
        if "extra_data" not in change:
            header = sign_header(header, KEYS[index])
    with pytest.raises(InvalidBlock, match=error):
        node.import_block(replace(block, header=header))
    assert node.chain.head.number == 0


def test_period_and_future_blocks():
    node = clique_node(period=5)
    try:
        block = _forged(node, KEYS[in_turn_index(node, 1)], DIFF_IN_TURN)
        with pytest.raises(InvalidBlock, match="less than the period"):
            node.import_block(block)
        assert node.clique is not None
        node.clique.clock = lambda: 0
        head = node.chain.head
        late = _forged(node, KEYS[in_turn_index(node, 1)], DIFF_IN_TURN)
        header = sign_header(
            replace(late.header, timestamp=head.timestamp + 100), KEYS[in_turn_index(node, 1)]
        )
        with pytest.raises(InvalidBlock, match="future block"):
            node.import_block(replace(late, header=header))
    finally:
        node.close()


def test_voting_adds_and_drops_signers(node):
    assert node.clique is not None
    newcomer = ADDRESSES[3]
    voters = [signer(node, i) for i in range(3)]
    for voter in voters:
        voter.propose(newcomer, True)

    def seal_next() -> None:
        number = node.chain.head.number + 1
        for voter in sorted(voters, key=lambda v: v.address != _in_turn(node, number)):
            try:
                voter.seal()
                return
            except NotAuthorized:
                continue
        raise AssertionError("nobody could seal")

    seal_next()
    block = node.chain.get_block_by_number(1)
    assert block is not None and block.header.coinbase == newcomer
    assert block.header.nonce == NONCE_AUTH
    assert newcomer not in node.clique.signers(node.chain.head_hash)  # 1 vote of 3: not yet
    seal_next()  # the second vote is more than half
    assert newcomer in node.clique.signers(node.chain.head_hash)
    assert len(node.clique.signers(node.chain.head_hash)) == 4
    # Now drop it again: 3 of the 4 must agree.
    voters.append(signer(node, 3))
    for voter in voters:
        voter.discard(newcomer)
        voter.propose(newcomer, False)
    while newcomer in node.clique.signers(node.chain.head_hash):
        seal_next()
        assert node.chain.head.number < 20
    assert node.clique.signers(node.chain.head_hash) == tuple(sorted(ADDRESSES[:3]))


def _in_turn(node: Node, number: int) -> bytes:
    assert node.clique is not None
    signers = node.clique.signers(node.chain.head_hash)
    return signers[number % len(signers)]


def test_checkpoints_list_the_signers_and_do_not_vote():
    node = clique_node(epoch=3)
    try:
        voter = signer(node, in_turn_index(node, 1))
        voter.propose(ADDRESSES[4], True)
        seal_in_turn(node, 3)
        checkpoint = node.chain.get_block_by_number(3)
        assert checkpoint is not None
        assert signers_in_extra(checkpoint.header.extra_data) == tuple(sorted(ADDRESSES[:3]))
        assert checkpoint.header.coinbase == bytes(20)
        with pytest.raises(InvalidBlock, match="checkpoint"):
            node.import_block(
                replace(
                    checkpoint,
                    header=sign_header(
                        replace(checkpoint.header, coinbase=ADDRESSES[4]),
                        KEYS[in_turn_index(node, 3)],
                    ),
                )
            )
    finally:
        node.close()


def test_the_heavier_branch_wins_and_a_tie_keeps_the_head(node):
    first = in_turn_index(node, 1)
    other, third = (i for i in range(3) if i != first)
    light = signer(node, other).seal().result  # block 1 out of turn: total difficulty 2
    assert node.chain.head_hash == light.hash and node.total_difficulty() == 2
    events = []
    node.subscribe_heads(events.append)
    genesis = node.chain.genesis_hash
    tie = _forged(node, KEYS[third], DIFF_NO_TURN, parent_hash=genesis)
    assert not node.import_block(tie).is_head  # the same weight: the head stays
    heavy = _forged(node, KEYS[first], DIFF_IN_TURN, parent_hash=genesis)
    assert node.import_block(heavy).is_head  # 3 > 2: a reorg
    assert node.chain.canonical_hash(1) == heavy.hash
    (event,) = events
    assert [item.block.hash for item in event.removed] == [light.hash]
    assert [item.block.hash for item in event.added] == [heavy.hash]


@pytest.mark.parametrize(("hardfork", "fork"), [("paris", "Paris"), ("Shanghai", "Shanghai")])
def test_devnet_hardfork_ends_the_schedule_and_its_blocks_have_that_forks_fields(hardfork, fork):
    document = devnet_genesis(ADDRESSES[:1], period=1, hardfork=hardfork)
    genesis = parse_genesis(document)
    assert genesis.config.fork_at(0, 2**40) == fork
    node = Node(NodeConfig(genesis=genesis))
    try:
        assert node.clique is not None
        node.clique.clock = lambda: FAR_FUTURE
        signer(node, 0).seal()
        head = node.chain.head
        assert head.number == 1 and head.difficulty == DIFF_IN_TURN
        assert head.blob_gas_used is None and head.parent_beacon_block_root is None
        assert (head.withdrawals_root is not None) == (fork == "Shanghai")
    finally:
        node.close()


def test_devnet_hardfork_refuses_forks_before_the_merge():
    with pytest.raises(ValueError, match="unknown hardfork 'london'; choose one of Paris"):
        devnet_genesis(ADDRESSES[:1], hardfork="london")

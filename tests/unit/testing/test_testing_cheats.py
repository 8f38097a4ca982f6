"""The cheats: prank, warp/skip/roll/mine, deal and deal_erc20, store/load, etch, set_nonce and
labels, each seen from inside the EVM."""

import json

import pytest

from evm.addresses import create_address
from pyeth.testing.abi import Address
from pyeth.testing.chain import Chain
from pyeth.testing.contracts import Contract
from tests.unit.testing.conftest import CONTRACTS, SUPPLY


@pytest.fixture
def shapes(chain: Chain) -> Contract:
    return chain.deploy(CONTRACTS / "Shapes.json", chain.accounts[0])


def test_prank_sends_as_anyone(chain: Chain, shapes: Contract) -> None:
    stranger = Address(bytes.fromhex("00000000000000000000000000000000deadbeef"))
    chain.deal(stranger, 10**18)
    with chain.prank(stranger):
        _, _, sender, origin, _ = shapes.env()
        assert sender == origin == stranger
        receipt = shapes.store(1, "pranked")
        assert receipt.sender == stranger and receipt.events[0].who == stranger
    assert shapes.env()[2] == chain.accounts[0]  # back to the default sender
    # With an origin: ORIGIN reads it, the sender still sends (and pays), calls and
    # transactions alike.
    bob = chain.accounts[1]
    with chain.prank(stranger, origin=bob):
        assert shapes.env()[2:4] == (stranger, bob)
        receipt = shapes.env.transact()
        assert receipt.return_value[2:4] == (stranger, bob)
        assert receipt.sender == stranger
        # A sender named explicitly is not pranked: its own origin.
        assert shapes.env(sender=bob)[2:4] == (bob, bob)
    assert shapes.env()[3] == chain.accounts[0]


def test_prank_as_a_contract(chain: Chain, shapes: Contract) -> None:
    caller = chain.deploy(CONTRACTS / "Caller.json")
    chain.deal(caller, 10**18)
    with chain.prank(caller):  # a sender with code: EIP-3607 waived, as the node does
        assert shapes.store(3, "from a contract").events[0].who == caller.address


def test_warp_skip_roll_mine(chain: Chain, shapes: Contract) -> None:
    number, stamp, *_ = shapes.env()
    assert (number, stamp) == (chain.block_number + 1, chain.timestamp + 1)
    chain.warp(2_000_000_000)
    assert shapes.env()[1] == 2_000_000_000 == chain.pending_timestamp
    shapes.push(1)
    assert chain.timestamp == 2_000_000_000
    chain.skip(3600)
    assert shapes.env()[1] == 2_000_000_000 + 1 + 3600
    chain.roll(1000)
    assert shapes.env()[0] == 1000
    shapes.push(2)
    assert chain.block_number == 1000
    with pytest.raises(KeyError, match="no block 500"):
        chain.get_block(500)
    chain.mine(5)
    assert chain.block_number == 1005
    with pytest.raises(ValueError, match="not after"):
        chain.warp(chain.timestamp)
    with pytest.raises(ValueError, match="not after"):
        chain.roll(3)


def test_blockhash_is_the_light_blocks_hash(chain: Chain, shapes: Contract) -> None:
    shapes.push(1)
    shapes.push(2)
    head = chain.get_block()
    assert shapes.parentHash() == head.hash
    assert shapes.hashOf(head.number - 1) == head.parent.hash
    assert shapes.hashOf(head.number + 5) == bytes(32)


def test_deal_store_load_set_nonce(chain: Chain, shapes: Contract) -> None:
    bob = chain.accounts[1]
    chain.deal(bob, 123)
    assert chain.get_balance(bob) == 123
    chain.store(shapes, 0, 77)  # `stored` is slot 0
    assert shapes.stored() == 77 and chain.load(shapes, 0) == 77
    chain.store(shapes, (0).to_bytes(32, "big"), (78).to_bytes(32, "big"))
    assert shapes.stored() == 78
    chain.deal(bob, 10**18)
    chain.set_nonce(bob, 40)
    with chain.prank(bob):
        deployed = chain.deploy(CONTRACTS / "Caller.json")
    assert deployed.address == create_address(bytes(bob), 40)
    with pytest.raises(ValueError, match="negative"):
        chain.deal(bob, -1)
    with pytest.raises(ValueError, match="32-byte"):
        chain.store(shapes, 2**256, 1)


def test_etch(chain: Chain, shapes: Contract) -> None:
    runtime = json.loads((CONTRACTS / "Shapes.json").read_text())["deployedBytecode"]
    target = Address(b"\x42" * 20)
    chain.etch(target, runtime)
    copy = chain.at(target, shapes.abi, name="Copy")
    assert copy.sum([2, 3]) == 5
    assert copy.owner() == Address(bytes(20))  # code only: its storage is empty


def test_deal_erc20(chain: Chain, token: Contract) -> None:
    bob = chain.accounts[1]
    chain.deal_erc20(token, bob, 5000)
    assert token.balanceOf(bob) == 5000
    assert token.totalSupply() == SUPPLY  # not adjusted
    token.transfer(chain.accounts[2], 1000, sender=bob)
    assert token.balanceOf(bob) == 4000
    offset = chain.deploy(CONTRACTS / "OffsetToken.json", 10)
    chain.deal_erc20(offset, bob, 99)
    assert offset.balanceOf(bob) == 99 and offset.balanceOf(chain.accounts[0]) == 10
    computed = chain.deploy(CONTRACTS / "ComputedBalance.json")
    with pytest.raises(ValueError, match="no storage slot"):
        chain.deal_erc20(computed, bob, 1)


def test_cheats_are_undone_by_revert(chain: Chain, shapes: Contract) -> None:
    bob = chain.accounts[1]
    snap = chain.snapshot()
    stamp, number = chain.pending_timestamp, chain.block_number
    chain.deal(bob, 1)
    chain.store(shapes, 0, 5)
    chain.etch(bob, b"\x00")
    chain.set_nonce(bob, 9)
    chain.warp(stamp + 1000)
    chain.mine()
    chain.revert(snap)
    assert chain.get_balance(bob) == 10_000 * 10**18
    assert shapes.stored() == 0
    assert chain.get_code(bob) == b"" and chain.get_nonce(bob) == 0
    assert chain.block_number == number and chain.pending_timestamp == stamp


def test_labels_and_describer(chain: Chain, shapes: Contract) -> None:
    assert chain.labels[shapes.address] == "Shapes"  # deployments are labelled
    chain.label(chain.accounts[1], "bob")
    describer = chain.describer
    assert describer.label(bytes(chain.accounts[1])) == "bob"
    calldata = shapes.store.encode(7, "hi")
    assert describer.function(bytes(shapes.address), calldata) == ("store", '7, "hi"')
    output = (14).to_bytes(32, "big")
    assert describer.result(bytes(shapes.address), calldata, output, True) == "14"
    failure = shapes.errors.Unauthorized.encode(chain.accounts[1], 3)
    text = describer.result(bytes(shapes.address), calldata, failure, False)
    assert text == f"Unauthorized(caller={chain.accounts[1]}, needed=3)"
    assert describer.result(bytes(shapes.address), calldata, b"\x08\xc3\x79\xa0", False) is None
    assert describer.function(b"\x99" * 20, b"\xde\xad\xbe\xef") is None

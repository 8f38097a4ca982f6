"""Contracts through the harness: every ABI shape, value, fallback and receive, events, errors,
and the errors that name what is wrong with the arguments."""

import pytest
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from hypothesis import given
from hypothesis import strategies as st

from pyeth.hashing import keccak256
from pyeth.testing.abi import ABIArgumentError, Address, ArgumentCoder, decoder
from pyeth.testing.chain import Chain
from pyeth.testing.contracts import Contract, Reverted, TransactionFailed
from tests.unit.testing.conftest import CONTRACTS


@pytest.fixture
def shapes(chain: Chain) -> Contract:
    return chain.deploy(CONTRACTS / "Shapes.json", chain.accounts[0])


@pytest.fixture
def caller(chain: Chain) -> Contract:
    return chain.deploy(CONTRACTS / "Caller.json")


def test_overloads(shapes: Contract) -> None:
    assert shapes.pick(5) == "uint256"
    assert shapes.pick(shapes.chain.accounts[1]) == "address"
    assert shapes.pick(2, 3) == 5
    assert shapes.pick("text") == "text"
    assert shapes.functions["pick(uint256)"](7) == "uint256"
    with pytest.raises(ABIArgumentError, match=r"no overload of pick takes 3 argument.*pick\("):
        shapes.pick(1, 2, 3)
    # A hex address is also a string: the call is ambiguous, and says so.
    with pytest.raises(ABIArgumentError, match="several overloads"):
        shapes.pick(str(shapes.chain.accounts[1]))


def test_structs_and_arrays(shapes: Contract, chain: Chain) -> None:
    alice = chain.accounts[0]
    point = shapes.echoPoint((1, -2, alice))
    assert point == (1, -2, alice)
    assert shapes.echoPoint({"x": 3, "y": 4, "owner": str(alice)}) == (3, 4, alice)
    path = {"name": "p", "points": [(1, 2, alice), {"x": 3, "y": 4, "owner": alice}]}
    assert shapes.pathLength(path) == ("p", 2)
    assert shapes.sum([1, 2, 3, 4]) == 10
    bob = chain.accounts[1]
    assert shapes.fixedPair([alice, bob]) == (bob, alice)
    stored, flag, tag, owner, small = shapes.many()
    assert (stored, flag, small) == (0, True, -5)
    assert tag == (0xABC).to_bytes(32, "big") and owner == alice and isinstance(owner, Address)
    assert shapes.words() == ("hello", "world") or shapes.words() == ["hello", "world"]
    shapes.push(11)
    assert shapes.list(0) == 11


def test_argument_errors_name_the_problem(shapes: Contract, chain: Chain) -> None:
    with pytest.raises(ABIArgumentError, match=r"Shapes.sum\(uint256\[\]\) takes 1 argument"):
        shapes.sum([1], [2])
    with pytest.raises(ABIArgumentError, match=r"argument 0 'values' \(uint256\[\]\)"):
        shapes.sum([1, -1])
    with pytest.raises(ABIArgumentError, match="expected a list"):
        shapes.sum(5)
    with pytest.raises(ABIArgumentError, match=r"takes exactly 2 items"):
        shapes.fixedPair([chain.accounts[0]])
    with pytest.raises(ABIArgumentError, match=r"argument 0 'p' \(\(uint256,int64,address\)\)"):
        shapes.echoPoint((2**256, 0, chain.accounts[0]))
    with pytest.raises(ABIArgumentError, match=r"struct fields are \['x', 'y', 'owner'\]"):
        shapes.echoPoint({"x": 1, "y": 2})
    with pytest.raises(ABIArgumentError, match="invalid EIP-55 checksum"):
        shapes.fixedPair(["0x" + "Ab" * 20, chain.accounts[0]])
    with pytest.raises(ABIArgumentError, match="not a 0x-prefixed 20-byte hex address"):
        shapes.fixedPair(["alice", chain.accounts[0]])
    with pytest.raises(ABIArgumentError, match=r"argument 1 'note' \(string\)"):
        shapes.store(1, 2)
    with pytest.raises(AttributeError, match="Shapes has no function 'nope'.*'sum'"):
        shapes.nope()  # noqa: B018
    with pytest.raises(ABIArgumentError, match="not payable"):
        shapes.push(1, value=1)


def test_transaction_results_and_events(shapes: Contract, chain: Chain) -> None:
    alice = chain.accounts[0]
    receipt = shapes.store(21, "note")
    assert receipt.return_value == 42
    (event,) = receipt.events
    assert event.name == "Stored"
    assert event.args == {"who": alice, "key": 21, "note": "note", "tag": keccak256(b"note")}
    moved = shapes.move((1, -1, alice)).events[0]
    assert moved.point == (1, -1, alice)
    tagged = shapes.tag("label", [1, 2]).events[0]
    # An indexed string is logged as its hash: the topic is all there is.
    assert tagged.label == keccak256(b"label") and tagged.values == (1, 2)
    assert shapes.events.Stored(who=alice) == event
    anonymous = shapes.anon(3, 4).events[0]
    assert (anonymous.name, anonymous.args) == ("Anon", {"a": 3, "b": 4})
    assert len(shapes.anon(3, 4).logs[0].topics) == 1  # no topic0 for an anonymous event
    assert shapes.events.Stored(key=22) != event


def test_events_of_other_contracts_are_decoded(
    shapes: Contract, caller: Contract, chain: Chain
) -> None:
    receipt = caller.callStore(shapes, 5)
    assert receipt.return_value == 10
    names = [(e.name, e.address) for e in receipt.events]
    assert names == [("Stored", shapes.address), ("Called", caller.address)]
    assert receipt.events[0].who == caller.address


def test_value_receive_and_fallback(shapes: Contract, chain: Chain) -> None:
    alice = chain.accounts[0]
    assert shapes.deposit(value=100).return_value == 100
    assert chain.get_balance(shapes) == 100
    paid = chain.send(shapes, 50)  # plain value: receive()
    assert paid.events[0].args == {"from": alice, "value": 50, "data": b""}
    assert shapes.received() == 150
    back = shapes.fallback(data=b"\x12\x34\x56\x78\x9a", value=7)
    assert back.events[0].data == b"\x12\x34\x56\x78\x9a"
    assert shapes.lastData() == b"\x12\x34\x56\x78\x9a"
    assert chain.get_balance(shapes) == 157


def test_custom_errors_and_panics(shapes: Contract, chain: Chain) -> None:
    bob = chain.accounts[1]
    with pytest.raises(Reverted) as info:
        shapes.onlyOwner(3, sender=bob)
    assert f"Unauthorized(caller={bob}, needed=3)" in str(info.value)
    assert info.value.receipt is None  # a view: a call
    with pytest.raises(Reverted, match=r"Empty\(\)"):
        shapes.empty.transact()
    with pytest.raises(Reverted, match="'why not'"):
        shapes.fail.transact("why not")
    with pytest.raises(Reverted, match="reverted without data"):
        shapes.bare.transact()
    with pytest.raises(Reverted, match=r"panic 0x12 \(division or modulo by zero\)"):
        shapes.divide(1, 0)
    with pytest.raises(Reverted, match=r"panic 0x11"):
        shapes.underflow(0)
    with pytest.raises(Reverted, match=r"panic 0x32 \(array index out of bounds\)"):
        shapes.index(5)
    with pytest.raises(Reverted, match=r"panic 0x01"):
        shapes.assertion()
    with pytest.raises(TransactionFailed, match="OutOfGas") as halted:
        shapes.burn.transact(gas=21_200)  # 40 gas past the intrinsic cost: halts at once
    assert not isinstance(halted.value, Reverted)
    assert halted.value.receipt is not None and halted.value.receipt.gas_used == 21_200
    assert halted.value.revert_data == b""


def test_errors_decode_from_inner_calls(shapes: Contract, caller: Contract) -> None:
    with pytest.raises(Reverted, match="'inner failure'"):
        caller.callFail(shapes)


# --- the one-word fast path agrees with eth-abi ------------------------------------------


@given(
    st.integers(0, 2**256 - 1),
    st.integers(-(2**127), 2**127 - 1),
    st.booleans(),
    st.binary(min_size=4, max_size=4),
    st.binary(min_size=20, max_size=20),
)
def test_fast_encoding_is_eth_abis(u: int, i: int, b: bool, b4: bytes, a: bytes) -> None:
    inputs = [
        {"type": "uint256"},
        {"type": "int128"},
        {"type": "bool"},
        {"type": "bytes4"},
        {"type": "address"},
    ]
    types = ["uint256", "int128", "bool", "bytes4", "address"]
    encoded = ArgumentCoder("f", inputs).encode([u, i, b, b4, Address(a)])
    assert encoded == abi_encode(types, [u, i, b, b4, a])
    decoded = decoder(tuple(types))(encoded)
    expected = abi_decode(types, encoded)
    assert decoded[:4] == expected[:4]
    assert decoded[4] == Address(a) and decoded[4] == expected[4]


def test_fast_decoding_leaves_dirty_words_to_eth_abi() -> None:
    dirty = (1).to_bytes(32, "big")[:-1] + b"\x02"  # a bool word of 2
    with pytest.raises(Exception, match="(?i)bool|padding|invalid"):
        decoder(("bool",))(dirty)
    assert decoder(("uint8",))((255).to_bytes(32, "big")) == (255,)
    with pytest.raises(Exception):  # noqa: B017 - eth-abi's error for a uint8 over 255
        decoder(("uint8",))((256).to_bytes(32, "big"))

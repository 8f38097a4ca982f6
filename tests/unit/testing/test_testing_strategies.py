"""pyeth.testing.strategies: ABI types parse, every drawn value encodes as its type, bounds hold,
examples shrink to the simple end, and bad types or bounds are refused with a clear message."""

from __future__ import annotations

import eth_abi
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from pyeth.address import to_checksum_address
from pyeth.testing.strategies import (
    AbiTypeError,
    abi_type_string,
    args_strategy,
    parse_abi_type,
    strategy,
)

TYPES = [
    "uint8",
    "uint256",
    "int8",
    "int256",
    "int72",
    "address",
    "bool",
    "bytes1",
    "bytes32",
    "bytes",
    "string",
    "uint256[]",
    "address[3]",
    "bytes32[2][]",
    "(uint256,address)",
    "(bool,(bytes,string)[],int16[2])[]",
]

KNOWN = [bytes([i]) * 20 for i in (1, 2, 3)]

TRANSFER = {
    "type": "function",
    "name": "transfer",
    "stateMutability": "nonpayable",
    "inputs": [{"name": "to", "type": "address"}, {"name": "amount", "type": "uint256"}],
    "outputs": [{"name": "", "type": "bool"}],
}
BATCH = {
    "type": "function",
    "name": "batch",
    "inputs": [
        {
            "name": "orders",
            "type": "tuple[]",
            "components": [
                {"name": "who", "type": "address"},
                {"name": "amount", "type": "uint96"},
                {"name": "memo", "type": "bytes"},
            ],
        },
        {"name": "deadline", "type": "uint64"},
    ],
    "outputs": [],
}


@pytest.mark.parametrize("abi_type", TYPES)
def test_drawn_values_encode_as_their_type(abi_type: str) -> None:
    # Every value the strategy draws must be accepted by eth-abi as that type, and decode back.
    @settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
    @given(strategy(abi_type, addresses=KNOWN))
    def check(value: object) -> None:
        encoded = eth_abi.encode([abi_type], [value])
        (decoded,) = eth_abi.decode([abi_type], encoded)
        assert _normal(decoded) == _normal(value)

    check()


def _normal(value: object) -> object:
    if isinstance(value, list | tuple):
        return tuple(_normal(v) for v in value)
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    return value


@pytest.mark.parametrize(
    ("abi_type", "expected"),
    [
        ("uint256", 0),
        ("int128", 0),
        ("bool", False),
        ("bytes", b""),
        ("bytes4", b"\x00" * 4),
        ("string", ""),
        ("uint8[]", []),
        ("uint8[2]", [0, 0]),
        ("(uint8,bool)", (0, False)),
    ],
)
def test_examples_shrink_to_the_simplest_value(abi_type: str, expected: object) -> None:
    assert find(strategy(abi_type), lambda _: True) == expected


def test_a_failing_integer_shrinks_to_the_boundary() -> None:
    assert find(strategy("uint256"), lambda x: x > 1000) == 1001
    assert find(strategy("int256"), lambda x: x < -5) == -6


def test_addresses_come_from_the_known_ones_and_shrink_to_the_first() -> None:
    known = [to_checksum_address(a) for a in KNOWN]
    assert find(strategy("address", addresses=KNOWN), lambda _: True) == known[0]
    # Known and arbitrary addresses are both drawn.
    assert find(strategy("address", addresses=KNOWN), lambda a: a == known[2]) == known[2]
    assert find(strategy("address", addresses=KNOWN), lambda a: a not in known) is not None


def test_addresses_without_known_ones_are_arbitrary_checksummed_strings() -> None:
    value = find(strategy("address", addresses=[]), lambda a: a.lower() != a)
    assert value == to_checksum_address(bytes.fromhex(value[2:]))


def test_addresses_of_a_chain_are_read_when_drawn() -> None:
    class FakeChain:
        accounts = [bytes([9]) * 20]
        contracts: list[bytes] = []

    fake = FakeChain()
    addresses = strategy("address", chain=fake)
    fake.contracts.append(bytes([7]) * 20)  # deployed after the strategy was built
    assert find(addresses, lambda a: a == to_checksum_address(bytes([7]) * 20))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_bounds_hold_for_every_integer_in_the_value(data: st.DataObject) -> None:
    value = data.draw(strategy("(uint256,int64[],uint8)", min_value=3, max_value=100))
    assert 3 <= value[0] <= 100
    assert all(3 <= v <= 100 for v in value[1])
    assert 3 <= value[2] <= 100
    items = data.draw(strategy("bytes32[]", max_length=2))
    assert len(items) <= 2
    text = data.draw(strategy("string", min_length=1, max_length=3))
    assert 1 <= len(text) <= 3


def test_dynamic_arrays_stay_short_by_default() -> None:
    from pyeth.testing.strategies import DEFAULT_MAX_LENGTH

    longest = find(strategy("uint8[]"), lambda v: len(v) >= DEFAULT_MAX_LENGTH)
    assert len(longest) == DEFAULT_MAX_LENGTH
    with pytest.raises(NoSuchExample):
        find(strategy("uint8[]"), lambda v: len(v) > DEFAULT_MAX_LENGTH)


def test_parse_nested_types() -> None:
    parsed = parse_abi_type("(uint96,(bool,bytes)[])[2]")
    assert parsed.base == "tuple"
    assert parsed.dims == (2,)
    assert parsed.components[0].size == 96
    assert parsed.components[1].dims == (None,)
    assert parse_abi_type("uint").size == 256
    assert parse_abi_type("function").size == 24


@pytest.mark.parametrize(
    ("abi_type", "message"),
    [
        ("uint7", "8 to 256 bits"),
        ("uint264", "8 to 256 bits"),
        ("bytes33", "1 to 32"),
        ("fixed128x18", "fixed-point"),
        ("mapping", "unknown type"),
        ("uint256[0]", "length 0"),
        ("(uint256", "expected ','"),
        ("uint256]", "unknown type 'uint256]'"),
        ("bool8", "unknown type"),
        ("()", "at least one component"),
    ],
)
def test_bad_types_are_refused_by_name(abi_type: str, message: str) -> None:
    with pytest.raises(AbiTypeError, match=message) as failure:
        strategy(abi_type)
    assert abi_type in str(failure.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_value": -1}, r"min_value -1 is outside uint8's range \[0, 255\]"),
        ({"max_value": 256}, "max_value 256 is outside"),
        ({"min_value": 5, "max_value": 4}, "min_value 5 > max_value 4"),
        ({"min_length": 3, "max_length": 2}, "min_length <= max_length"),
    ],
)
def test_bad_bounds_are_refused(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(AbiTypeError, match=message):
        strategy("uint8", **kwargs)


def test_bounds_that_leave_a_nested_integer_no_value_are_refused() -> None:
    with pytest.raises(AbiTypeError, match="no value for its uint8"):
        strategy("(uint8,uint256)", min_value=1000)


def test_abi_type_string_writes_tuples_out() -> None:
    assert abi_type_string(BATCH["inputs"][0]) == "(address,uint96,bytes)[]"
    assert abi_type_string({"type": "uint256"}) == "uint256"
    with pytest.raises(AbiTypeError, match="without 'components'"):
        abi_type_string({"name": "x", "type": "tuple"})


def test_args_strategy_draws_a_tuple_per_call() -> None:
    args = find(args_strategy(TRANSFER, addresses=KNOWN), lambda a: a[1] > 10)
    assert args == (to_checksum_address(KNOWN[0]), 11)
    assert eth_abi.encode(["address", "uint256"], list(args))


@settings(max_examples=100, deadline=None)
@given(args_strategy(BATCH, max_value=10**6, max_length=3, addresses=KNOWN))
def test_args_strategy_with_tuples_and_common_bounds(args: tuple[object, ...]) -> None:
    orders, deadline = args
    assert len(orders) <= 3 and deadline <= 10**6
    for _who, amount, memo in orders:
        assert amount <= 10**6 and len(memo) <= 3
    assert eth_abi.encode(["(address,uint96,bytes)[]", "uint64"], list(args))


@settings(max_examples=100, deadline=None)
@given(
    args_strategy(
        [TRANSFER, BATCH],
        "transfer",
        overrides={"amount": {"min_value": 5, "max_value": 9}, "to": st.just(KNOWN[1])},
    )
)
def test_args_strategy_overrides_per_argument(args: tuple[object, ...]) -> None:
    to, amount = args
    assert to == KNOWN[1]
    assert 5 <= amount <= 9  # type: ignore[operator]


def test_args_strategy_takes_an_object_with_an_abi() -> None:
    class Function:
        abi = TRANSFER

    class Artifact:
        abi = [TRANSFER, BATCH, {"type": "event", "name": "Transfer", "inputs": []}]

    assert find(args_strategy(Function(), addresses=KNOWN), lambda _: True)[1] == 0
    assert find(args_strategy(Artifact(), "batch"), lambda _: True) == ([], 0)
    assert find(args_strategy(Artifact(), "batch((address,uint96,bytes)[],uint64)"), bool) == (
        [],
        0,
    )
    signature = "transfer(address,uint256)"
    assert find(args_strategy(Artifact(), signature, addresses=KNOWN), lambda _: True)[1] == 0


def test_args_strategy_picks_an_overload_by_signature() -> None:
    class Function:
        def __init__(self, abi: dict) -> None:
            self.abi = abi

    class Overloaded:  # as pyeth.testing.contracts.OverloadedFunction: .functions, no .abi
        functions = [Function(TRANSFER), Function({**TRANSFER, "inputs": TRANSFER["inputs"][1:]})]

    assert find(args_strategy(Overloaded(), "transfer(uint256)"), lambda _: True) == (0,)
    with pytest.raises(AbiTypeError, match=r"overloaded .*pass the signature"):
        args_strategy(Overloaded(), "transfer")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: args_strategy([TRANSFER, BATCH]), r"2 functions given \(batch, transfer\)"),
        (
            lambda: args_strategy([TRANSFER], "approve"),
            r"no function 'approve'.*transfer\(address,uint256\)",
        ),
        (
            lambda: args_strategy([TRANSFER, {**TRANSFER, "inputs": []}], "transfer"),
            r"overloaded \(transfer\(address,uint256\), transfer\(\)\)",
        ),
        (
            lambda: args_strategy(TRANSFER, overrides={"amout": {}}),
            "no argument named amout; the arguments are to, amount",
        ),
        (
            lambda: args_strategy(TRANSFER, overrides={"amount": 5}),
            "a hypothesis strategy or a dict of bounds",
        ),
        (lambda: args_strategy(42), "cannot read a function ABI from int"),
        (lambda: strategy("address", addresses=[b"\x01"]), "not an address"),
    ],
)
def test_args_strategy_errors_name_the_problem(call: object, message: str) -> None:
    with pytest.raises(AbiTypeError, match=message):
        call()  # type: ignore[operator]


def test_with_a_real_contract_and_chain() -> None:
    from pathlib import Path

    from pyeth.testing import Chain

    out = Path(__file__).resolve().parents[3] / "examples" / "token-vault" / "out"
    chain = Chain()
    token = chain.deploy(out / "Token.sol" / "Token.json", "T", "T")
    to_token = find(args_strategy(token.transfer, chain=chain), lambda a: a[0] == str(token))
    assert to_token == (str(token), 0)
    first = find(args_strategy(token.transfer, chain=chain), lambda _: True)
    assert first == (str(chain.accounts[0]), 0)
    # The drawn arguments are accepted by the contract as they are.
    token.transfer.call(*find(args_strategy(token.transfer, chain=chain), lambda a: True))

"""console.log decoding: the selector table (both spellings), argument decoding, forge/Hardhat
formatting, errors that keep the raw call, and the ConsoleCollector hook on a compiled contract
(lines in order, kept when the frame reverts, gas unchanged)."""

import pytest
from eth_abi import encode

from pyeth.hashing import keccak256
from pyeth.testing.console import (
    CONSOLE_ADDRESS,
    ConsoleCollector,
    ConsoleDecodeError,
    console_signatures,
    decode_console,
    decode_console_args,
    describe_console_call,
    format_console,
)
from tests.unit.testing.console_demo import SENDER, DemoChain, calldata, selector

ADDRESS = bytes.fromhex("deadbeef00000000000000000000000000000000")
CHECKSUMMED = "0xdEADBEeF00000000000000000000000000000000"


def call(signature: str, *args: object) -> bytes:
    """What `abi.encodeWithSignature(signature, args...)` sends; the types are read from the
    signature with the legacy spellings widened, as Solidity encodes them."""
    inner = signature[signature.index("(") + 1 : -1]
    types = [t for t in inner.split(",") if t]
    abi_types = [{"uint": "uint256", "int": "int256"}.get(t, t) for t in types]
    return keccak256(signature.encode())[:4] + encode(abi_types, list(args))


def test_the_console_address_spells_console_log() -> None:
    assert CONSOLE_ADDRESS.lstrip(b"\x00") == b"console.log"


@pytest.mark.parametrize(
    ("selector_hex", "signature"),
    [
        # Selectors as Hardhat's own table lists them (a check on our generation).
        ("51973ec9", "log()"),
        ("f82c50f1", "log(uint256)"),
        ("f5b1bba9", "log(uint)"),
        ("2d5b6cb9", "log(int256)"),
        ("4e0c1d1d", "log(int)"),
        ("41304fac", "log(string)"),
        ("3ca6268e", "log(string,int256)"),
        ("af7faa38", "log(string,int)"),
        ("b60e72cc", "log(string,uint256)"),
        ("9710a9d0", "log(string,uint)"),
        ("193fb800", "log(uint256,uint256,uint256,uint256)"),
        ("5ca0ad3e", "log(uint,uint,uint,uint)"),
        ("0be77f56", "log(bytes)"),
        ("27b7cf85", "log(bytes32)"),
    ],
)
def test_selectors_match_the_published_ones(selector_hex: str, signature: str) -> None:
    assert console_signatures()[bytes.fromhex(selector_hex)][0] == signature


def test_the_table_covers_every_console_function_in_both_spellings() -> None:
    table = console_signatures()
    signatures = {signature for signature, _types in table.values()}
    # log(): 1; one argument: uint256, int256, string, bool, address, bytes, bytes1..32 (38);
    # log(string,int256): 1; 2-4 of uint256/string/bool/address: 16 + 64 + 256;
    # the logUint/logInt/logString/logBool/logAddress/logBytes/logBytesN helpers' names: 38;
    # legacy spellings of all those that have a uint256/int256: 2 + 1 + 7 + 37 + 175 + 2.
    assert len(table) == 1 + 38 + 1 + 336 + 38 + 224 == 638
    assert len(signatures) == len(table)
    for must in (
        "log(address,bool,string,uint256)",
        "log(address,bool,string,uint)",
        "logUint(uint)",
        "logUint(uint256)",
        "logInt(int)",
        "logBytes7(bytes7)",
        "log(bytes7)",
        "logAddress(address)",
    ):
        assert must in signatures
    # Each selector is the keccak of its own signature.
    for key, (signature, _types) in table.items():
        assert key == keccak256(signature.encode())[:4]


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (call("log()"), ""),
        (call("log(string)", "hello"), "hello"),
        (call("log(uint256)", 2**256 - 1), str(2**256 - 1)),
        (call("log(uint)", 7), "7"),
        (call("logUint(uint256)", 8), "8"),
        (call("log(int256)", -5), "-5"),
        (call("log(int)", -(2**255)), str(-(2**255))),
        (call("log(bool)", True), "true"),
        (call("log(bool)", False), "false"),
        (call("log(address)", ADDRESS), CHECKSUMMED),
        (call("log(bytes)", b"\x00\xff"), "0x00ff"),
        (call("log(bytes)", b""), "0x"),
        (call("log(bytes4)", b"\xde\xad\xbe\xef"), "0xdeadbeef"),
        (call("log(bytes32)", b"\x01" * 32), "0x" + "01" * 32),
        (
            call("log(uint256,string,bool,address)", 1, "two", False, ADDRESS),
            f"1 two false {CHECKSUMMED}",
        ),
        (call("log(bool,uint,uint,uint)", True, 1, 2, 3), "true 1 2 3"),
        (call("log(string,string)", "a", "b"), "a b"),
        (call("log(string,int)", "delta", -3), "delta -3"),
        (call("log(string,uint256)", "value %s", 100), "value 100"),
        (call("log(uint256,string)", 100, "%s"), "100 %s"),  # only a first string formats
        (call("log(string)", "ünïcode"), "ünïcode"),
    ],
)
def test_calls_decode_to_their_console_line(data: bytes, line: str) -> None:
    assert decode_console(data) == line


@pytest.mark.parametrize(
    ("values", "line"),
    [
        # forge's documented cases (crates/common/fmt/src/console.rs), in our own tables.
        ([("string", "%s"), ("string", "foo")], "foo"),
        ([("string", "%d"), ("string", "foo")], "NaN"),
        ([("string", "%i"), ("string", "foo")], "NaN"),
        ([("string", "%x"), ("string", "foo")], "NaN"),
        ([("string", "%o"), ("string", "foo")], "'foo'"),
        ([("string", "%%s"), ("string", "foo")], "%s foo"),
        ([("string", "%"), ("string", "foo")], "% foo"),
        ([("string", "%%"), ("string", "foo")], "% foo"),
        ([("string", "100%%")], "100%"),  # a lone string is formatted as well
        ([("string", "%d"), ("uint256", 2**256 - 1)], str(2**256 - 1)),  # every digit
        ([("string", "%d"), ("bool", True)], "1"),
        ([("string", "%d"), ("bool", False)], "0"),
        ([("string", "%i"), ("bool", True)], "NaN"),
        ([("string", "%o"), ("bool", True)], "'true'"),
        ([("string", "%s"), ("address", ADDRESS)], CHECKSUMMED),
        ([("string", "%x"), ("address", ADDRESS)], CHECKSUMMED),
        ([("string", "%d"), ("address", ADDRESS)], "NaN"),
        ([("string", "%o"), ("address", ADDRESS)], f"'{CHECKSUMMED}'"),
        ([("string", "%x"), ("bytes", b"\xde\xad")], "0xdead"),
        ([("string", "%d"), ("bytes4", b"\xde\xad\xbe\xef")], "NaN"),
        ([("string", "%d"), ("uint256", 100)], "100"),
        ([("string", "%x"), ("uint256", 100)], "0x64"),
        ([("string", "%x"), ("uint256", 0)], "0x0"),
        ([("string", "%o"), ("uint256", 100)], "100"),
        ([("string", "%e"), ("uint256", 100)], "1e2"),
        ([("string", "%e"), ("uint256", 1002300)], "1.0023e6"),
        ([("string", "%e"), ("int256", -123000)], "-1.23e5"),
        ([("string", "%x"), ("int256", -100)], "0x" + "f" * 62 + "9c"),
        ([("string", "%5e"), ("uint256", 123456789)], "1234.56789"),
        ([("string", "%7e"), ("int256", -123000)], "-0.0123"),
        ([("string", "%18e"), ("uint256", 10**18)], "1"),
        ([("string", "%0e"), ("uint256", 0)], "0"),
        ([("string", "%1025e"), ("uint256", 1)], "%1025e 1"),  # beyond the limit: literal
        ([("string", "%333d%3e%5F")], "%333d%3e%5F"),  # no values: nothing consumed
        ([("string", "%5d%3e%2f%3f%e1"), ("uint256", 123456789)], "%5d123456.789%2f%3f%e1"),
        (
            [
                ("string", "foo %s %%s %s and %d foo %%"),
                ("address", ADDRESS),
                ("bool", True),
                ("uint256", 21),
            ],
            f"foo {CHECKSUMMED} %s true and 21 foo %",
        ),
        ([("string", "foo"), ("bool", True), ("uint256", 100)], "foo true 100"),
        ([("string", "%s %s foo"), ("bool", True), ("uint256", 100)], "true 100 foo"),
        ([("string", "%s and %s"), ("uint256", 1)], "1 and %s"),  # a specifier without a value
        ([("string", ""), ("uint256", 1), ("uint256", 2)], "1 2"),
        (
            [("string", "%e and %12e"), ("bool", False), ("uint256", 123456789)],
            "NaN and 0.000123456789",
        ),
    ],
)
def test_format_strings_follow_forge(values: list[tuple[str, object]], line: str) -> None:
    assert format_console(values) == line  # type: ignore[arg-type]


def test_decoded_arguments_keep_their_types() -> None:
    signature, values = decode_console_args(
        call("log(string,uint,bool,address)", "x", 5, True, ADDRESS)
    )
    assert signature == "log(string,uint,bool,address)"
    assert values == [("string", "x"), ("uint256", 5), ("bool", True), ("address", ADDRESS)]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xde\xad", "shorter than a selector"),
        (bytes.fromhex("deadbeef") + b"\x01", "not a console.log signature"),
        (call("log(uint256)", 1)[:20], "calldata ends before argument 1 of log(uint256)"),
        (selector("log(string)") + (2**64).to_bytes(32, "big"), "points past the calldata"),
        (call("log(string)", "hello")[:-32], "is longer than the calldata"),
    ],
)
def test_bad_calls_raise_naming_the_selector_and_keep_the_calldata(
    data: bytes, reason: str
) -> None:
    with pytest.raises(ConsoleDecodeError) as caught:
        decode_console(data)
    error = caught.value
    assert error.calldata == data and error.selector == data[:4]
    assert reason in str(error)
    assert f"0x{data[:4].hex()}" in str(error) and data.hex() in str(error)
    assert describe_console_call(data) == f"<{error}>"


# --- on a compiled contract ------------------------------------------------------------------

LOG_ALL_LINES = [
    "",
    "plain",
    "42",
    "99% done, %d left",
    "signed -5",
    f"sender {'0x' + SENDER.hex()}",  # replaced below by its checksummed form
    "flag true",
    "1.5 ether sent",
    "7 items false {demo}",
    "legacy 3",
    "-7",
    "0x00ff10",
    "0xdeadbeef",
]


def _expected_log_all(chain: DemoChain) -> list[str]:
    from pyeth.address import to_checksum_address

    lines = list(LOG_ALL_LINES)
    lines[5] = f"sender {to_checksum_address(SENDER)}"
    lines[8] = f"7 items false {to_checksum_address(chain.demo)}"
    return lines


def test_the_collector_records_a_contracts_console_lines_in_order() -> None:
    chain, _ = DemoChain.deploy()
    collector = ConsoleCollector()
    result = chain.call(calldata("logAll()"), collector)
    assert result.success
    assert collector.lines == _expected_log_all(chain)
    assert all(data[:4] in console_signatures() for data in collector.calls)


def test_a_constructor_and_a_nested_call_log_too() -> None:
    from pyeth.address import to_checksum_address

    collector = ConsoleCollector()
    chain, _ = DemoChain.deploy(collector)
    assert collector.lines == [f"deployed callee at {to_checksum_address(chain.callee)}"]
    collector.clear()
    result = chain.call(calldata("callAdd(uint256)", 5), collector)
    assert result.success
    assert collector.lines == ["calling add(5)", "callee add 5"]


def test_lines_of_reverted_frames_are_kept() -> None:
    chain, _ = DemoChain.deploy()
    collector = ConsoleCollector()
    assert not chain.call(calldata("logThenRevert()"), collector).success
    assert collector.lines == ["before the revert"]
    collector.clear()
    # add(500) reverts inside the callee; tryAdd catches it and logs.
    assert chain.call(calldata("tryAdd(uint256)", 500), collector).success
    assert collector.lines == ["callee add 500", "add failed"]


def test_an_unknown_console_call_keeps_its_raw_data_in_the_line() -> None:
    chain, _ = DemoChain.deploy()
    collector = ConsoleCollector()
    assert chain.call(calldata("unknownConsole()"), collector).success
    assert collector.calls == [bytes.fromhex("deadbeef01")]
    [line] = collector.lines
    assert "0xdeadbeef" in line and "not a console.log signature" in line
    assert "0xdeadbeef01" in line


def test_collecting_changes_neither_gas_nor_output() -> None:
    plain_chain, _ = DemoChain.deploy()
    traced_chain, _ = DemoChain.deploy(ConsoleCollector())
    for data in (
        calldata("logAll()"),
        calldata("callAdd(uint256)", 9),
        calldata("tryAdd(uint256)", 500),
    ):
        plain = plain_chain.call(data)
        traced = traced_chain.call(data, ConsoleCollector())
        assert (plain.success, plain.gas_left, plain.output, plain.logs) == (
            traced.success,
            traced.gas_left,
            traced.output,
            traced.logs,
        )

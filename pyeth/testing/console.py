"""console.log for contracts: decode the calls that Hardhat's console.sol and forge-std's
console.sol / console2.sol make to the console address, and format them as those tools print.

A contract logs by calling 0x000000000000000000636F6e736F6c652e6c6f67 (an account with no
code) with `abi.encodeWithSignature("log(string,uint256)", ...)`. The call runs as any other
call, so gas stays exact; a message hook (`ConsoleCollector`, or the call tracer) notes the
calldata as the call starts, and the line is decoded here when it is read.

The selector table is generated from the signatures below and hashed with keccak-256 at first
use. Hardhat's console.sol long spelled `uint`/`int` in its signature strings, which hash to
other selectors than `uint256`/`int256`; both spellings are accepted, as Hardhat and forge do.

Formatting follows forge's console formatter, which follows Hardhat's (Node's `util.format`):
when the first argument is a string it is a format string where `%s` (as text), `%d`/`%i`
(integers; `%d` also takes a bool as 1/0), `%o` (strings quoted), `%x` (hexadecimal), `%e`
(exponential, `1.5e3`) and `%<n>e` (the integer shifted n decimals, `%18e` for wei to ether) take
the next argument, `%%` is a percent sign, and a specifier that does not fit its argument prints
`NaN`. A specifier without an argument is printed as written; arguments left over are appended,
separated by spaces. Integers print in decimal, addresses checksummed (EIP-55), bytes as 0x hex,
bools as true/false. Where the two differ, forge's way is kept: a lone string is formatted too
(`log("100%%")` prints `100%`; Node's util.format leaves a lone string as it is), `%d` of a bool
is 1/0, and integers keep every digit (Hardhat goes through JavaScript numbers for `%d`). `%x`
of zero prints `0x0` (forge prints `0x`).

The ABI decoding is our own, for these few types: eth-abi is a test-extra dependency and the
node's log (which prints console lines too) must not need it.
"""

from collections.abc import Iterator
from functools import cache
from itertools import product
from typing import TYPE_CHECKING, Final

from pyeth.address import to_checksum_address
from pyeth.hashing import keccak256

if TYPE_CHECKING:
    from evm.frame import Message, MessageResult

CONSOLE_ADDRESS: Final = bytes.fromhex("000000000000000000636f6e736f6c652e6c6f67")

_WORD = 32
_MAX_EXPONENT_PRECISION = 1024  # forge refuses %<n>e beyond this; so do we
_SPECIFIERS = frozenset("sdiox")  # plus "e" and "<n>e", handled apart

# The argument types the console libraries' log functions take, in their canonical spelling.
_COMBINABLE = ("uint256", "string", "bool", "address")  # any 2 to 4 of them, in any order
_FIXED_BYTES = tuple(f"bytes{n}" for n in range(1, 33))
_SINGLE = ("uint256", "int256", "string", "bool", "address", "bytes", *_FIXED_BYTES)
# The single-argument helpers (logUint, logBytes4, ...) send `log(<type>)`; their own names are
# accepted as well, for libraries that encode with the helper's name.
_NAMED = {
    "logUint": "uint256",
    "logInt": "int256",
    "logString": "string",
    "logBool": "bool",
    "logAddress": "address",
    "logBytes": "bytes",
    **{f"logBytes{n}": f"bytes{n}" for n in range(1, 33)},
}


class ConsoleDecodeError(ValueError):
    """A call to the console address that is not a console.log this module knows.

    `selector` is the first four bytes of the calldata (as many as there are), `calldata` the
    whole of it, so the caller can still show the raw line.
    """

    def __init__(self, reason: str, calldata: bytes) -> None:
        self.calldata = bytes(calldata)
        self.selector = self.calldata[:4]
        super().__init__(
            f"console.log call with selector 0x{self.selector.hex()}: {reason} "
            f"(calldata 0x{self.calldata.hex()})"
        )


def _signatures() -> Iterator[tuple[str, tuple[str, ...]]]:
    """Every (function name, canonical argument types) of the console libraries."""
    yield "log", ()
    for single in _SINGLE:
        yield "log", (single,)
    yield "log", ("string", "int256")  # forge-std's one signed combination
    for count in (2, 3, 4):
        for types in product(_COMBINABLE, repeat=count):
            yield "log", types
    for name, single in _NAMED.items():
        yield name, (single,)


def _legacy(type_name: str) -> str:
    return {"uint256": "uint", "int256": "int"}.get(type_name, type_name)


@cache
def console_signatures() -> dict[bytes, tuple[str, tuple[str, ...]]]:
    """Selector -> (signature as the library hashes it, canonical argument types), for every
    console.log function in both the `uint256` and the legacy `uint` spelling."""
    table: dict[bytes, tuple[str, tuple[str, ...]]] = {}
    for name, types in _signatures():
        spellings = {types, tuple(_legacy(t) for t in types)}
        for spelled in spellings:
            signature = f"{name}({','.join(spelled)})"
            selector = keccak256(signature.encode())[:4]
            if selector in table and table[selector][1] != types:
                raise AssertionError(f"console selector clash: {signature}, {table[selector][0]}")
            table[selector] = (signature, types)
    return table


# --- decoding ------------------------------------------------------------------------------

Value = int | bool | str | bytes
"""A decoded argument: int for uint256/int256, bool, str for string, bytes for address (20
bytes), bytes and bytesN."""


def decode_console_args(calldata: bytes) -> tuple[str, list[tuple[str, Value]]]:
    """The signature and the (type, value) arguments of a console.log call.

    Raises:
        ConsoleDecodeError: unknown selector, or arguments that do not decode as its types.
    """
    if len(calldata) < 4:
        raise ConsoleDecodeError("shorter than a selector", calldata)
    entry = console_signatures().get(bytes(calldata[:4]))
    if entry is None:
        raise ConsoleDecodeError("not a console.log signature", calldata)
    signature, types = entry
    args = calldata[4:]
    values: list[tuple[str, Value]] = []
    for index, type_name in enumerate(types):
        head = _word(args, index * _WORD, calldata, f"argument {index + 1} of {signature}")
        values.append((type_name, _decode(type_name, head, args, calldata, signature, index)))
    return signature, values


def _word(args: bytes, offset: int, calldata: bytes, what: str) -> bytes:
    if offset + _WORD > len(args):
        raise ConsoleDecodeError(f"calldata ends before {what}", calldata)
    return args[offset : offset + _WORD]


def _decode(
    type_name: str, head: bytes, args: bytes, calldata: bytes, signature: str, index: int
) -> Value:
    number = int.from_bytes(head, "big")
    if type_name == "uint256":
        return number
    if type_name == "int256":
        return number - (1 << 256) if number >> 255 else number
    if type_name == "bool":
        return number != 0
    if type_name == "address":
        return head[12:]
    if type_name.startswith("bytes") and type_name != "bytes":
        return head[: int(type_name[5:])]
    # string and bytes: the head is the offset of a length-prefixed tail.
    what = f"argument {index + 1} of {signature}"
    if number > len(args):
        raise ConsoleDecodeError(f"{what} points past the calldata", calldata)
    length = int.from_bytes(_word(args, number, calldata, f"the length of {what}"), "big")
    start = number + _WORD
    if start + length > len(args):
        raise ConsoleDecodeError(f"{what} is longer than the calldata", calldata)
    data = args[start : start + length]
    return data.decode("utf-8", "replace") if type_name == "string" else data


# --- formatting ----------------------------------------------------------------------------


def decode_console(calldata: bytes) -> str:
    """The line console.log prints for this call to the console address.

    Raises:
        ConsoleDecodeError: unknown selector or malformed arguments; it keeps the calldata.
    """
    _signature, values = decode_console_args(calldata)
    return format_console(values)


def format_console(values: list[tuple[str, Value]]) -> str:
    """Format decoded arguments as console.log does (see the module docstring)."""
    if values and values[0][0] == "string":
        text = values[0][1]
        assert isinstance(text, str)
        rest = values[1:]
        line, used = _substitute(text, rest)
        parts = [line] if text else []
    else:
        rest, used, parts = values, 0, []
    parts.extend(_format_value(type_name, value, "s") for type_name, value in rest[used:])
    return " ".join(parts)


def _substitute(text: str, values: list[tuple[str, Value]]) -> tuple[str, int]:
    """Replace the format specifiers of `text` with `values`; return the line and how many
    values it used."""
    out: list[str] = []
    used = 0
    i = 0
    end = len(text)
    while i < end:
        percent = text.find("%", i)
        if percent < 0:
            out.append(text[i:])
            break
        out.append(text[i:percent])
        spec, after = _parse_spec(text, percent + 1)
        if spec is None:  # "%%" or not a specifier: a literal percent sign
            out.append("%")
            i = percent + 2 if after == -1 else percent + 1
            continue
        if used < len(values):
            type_name, value = values[used]
            out.append(_format_value(type_name, value, spec))
            used += 1
        else:
            out.append(text[percent:after])  # no argument left: printed as written
        i = after
    return "".join(out), used


def _parse_spec(text: str, at: int) -> tuple[str | None, int]:
    """The specifier starting at `at` (just after a `%`) and the index after it; (None, -1)
    for `%%`, (None, at) when no specifier starts there."""
    if at >= len(text):
        return None, at
    char = text[at]
    if char == "%":
        return None, -1
    if char in _SPECIFIERS or char == "e":
        return char, at + 1
    digits_end = at
    while digits_end < len(text) and text[digits_end].isdigit():
        digits_end += 1
    if digits_end > at and digits_end < len(text) and text[digits_end] == "e":
        precision = int(text[at:digits_end])
        if precision <= _MAX_EXPONENT_PRECISION:
            return text[at : digits_end + 1], digits_end + 1
    return None, at


def _format_value(type_name: str, value: Value, spec: str) -> str:
    """One argument under one specifier (s, d, i, o, x, e or <n>e)."""
    if type_name in ("uint256", "int256"):
        assert isinstance(value, int)
        if spec in "sdio":
            return str(value)
        if spec == "x":
            return hex(value % (1 << 256)) if value < 0 else hex(value)
        return _exponential(value, spec)
    if type_name == "bool":
        word = "true" if value else "false"
        if spec == "s":
            return word
        if spec == "o":
            return f"'{word}'"
        return ("1" if value else "0") if spec == "d" else "NaN"
    if type_name == "string":
        assert isinstance(value, str)
        return value if spec == "s" else f"'{value}'" if spec == "o" else "NaN"
    assert isinstance(value, bytes)
    text = to_checksum_address(value) if type_name == "address" else "0x" + value.hex()
    if spec in ("s", "x"):
        return text
    return f"'{text}'" if spec == "o" else "NaN"


def _exponential(value: int, spec: str) -> str:
    """%e: `1.5e3`; %<n>e: the value divided by 10**n, trailing zeros dropped."""
    sign = "-" if value < 0 else ""
    magnitude = -value if value < 0 else value
    if spec == "e":
        exponent = len(str(magnitude)) - 1
        mantissa = _shifted(magnitude, exponent)
        return f"{sign}{mantissa}e{exponent}"
    return sign + _shifted(magnitude, int(spec[:-1]))


def _shifted(magnitude: int, decimals: int) -> str:
    whole, fraction = divmod(magnitude, 10**decimals)
    digits = str(fraction).rjust(decimals, "0").rstrip("0")
    return f"{whole}.{digits}" if digits else str(whole)


def describe_console_call(calldata: bytes) -> str:
    """The console line of this call, or, when it does not decode, a line that says so and
    keeps the raw calldata: for logs that must show something for every call."""
    try:
        return decode_console(calldata)
    except ConsoleDecodeError as error:
        return f"<{error}>"


# --- collecting ----------------------------------------------------------------------------


class ConsoleCollector:
    """A message hook (evm.context.MessageHook) that keeps the calldata of every call to the
    console address, in order, whether or not the frame that made it later reverted (as
    Hardhat and forge show them). Lines are decoded when `lines` is read, so a transaction
    whose console output is never looked at pays one comparison per message."""

    __slots__ = ("calls",)

    def __init__(self) -> None:
        self.calls: list[bytes] = []

    def enter(self, message: "Message") -> None:
        if message.code_address == CONSOLE_ADDRESS:
            self.calls.append(message.data)

    def exit(self, message: "Message", result: "MessageResult") -> None:
        pass

    @property
    def lines(self) -> list[str]:
        """The console lines; a call that does not decode gives a line naming its selector
        and keeping its calldata (see `describe_console_call`)."""
        return [describe_console_call(data) for data in self.calls]

    def clear(self) -> None:
        self.calls.clear()

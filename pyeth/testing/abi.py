"""ABI coding for the contract harness: canonical types and signatures from ABI JSON, selectors,
argument conversion with errors that name the parameter, and encoding and decoding through
eth-abi with the tuple coders looked up once per type list.

eth-abi is imported on first need, not with this module: it brings eth-utils and pydantic, 0.2 to
0.5 s here, and the one-word values most tests pass (uintN, intN, bool, address, bytesN) are
written and read without it. This module knows nothing of chains or state.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, Final, Self, cast

from pyeth.address import to_checksum_address
from pyeth.hashing import keccak256

ERROR_STRING_SELECTOR: Final = bytes.fromhex("08c379a0")  # Error(string)
PANIC_SELECTOR: Final = bytes.fromhex("4e487b71")  # Panic(uint256)

_ARRAY_SUFFIX = re.compile(r"^(.*)\[(\d*)\]$")


class ABIArgumentError(TypeError):
    """Arguments that do not fit a function's, event's or error's inputs: the message names the
    item, the parameter, its type and what was given."""


class Address(bytes):
    """A 20-byte address that prints as its EIP-55 checksum and equals its hex text.

    Decoded `address` values come back as these, so `token.owner() == alice` holds whether
    `alice` is an Account, bytes or a hex string.
    """

    __slots__ = ()

    def __new__(cls, value: bytes) -> Self:
        if len(value) != 20:
            raise ValueError(f"an address is 20 bytes, got {len(value)}")
        return super().__new__(cls, value)

    @property
    def address(self) -> bytes:
        return bytes(self)

    @property
    def checksum(self) -> str:
        return to_checksum_address(bytes(self))

    def __str__(self) -> str:
        return self.checksum

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.checksum!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return other.lower() == "0x" + self.hex()
        return bytes.__eq__(self, other)  # type: ignore[operator]

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = bytes.__hash__


def to_address(value: Any, what: str = "address") -> Address:
    """An address from bytes, 0x-hex text (mixed case must be a valid checksum), or anything
    with an `address` attribute (an Account, a Contract).

    Raises:
        ABIArgumentError: naming `what` and the value.
    """
    if isinstance(value, Address):
        return value
    if isinstance(value, bytes | bytearray):
        if len(value) == 20:
            return Address(bytes(value))
        raise ABIArgumentError(f"{what}: expected a 20-byte address, got {len(value)} bytes")
    if isinstance(value, str):
        text = value
        body = text[2:] if text[:2] in ("0x", "0X") else ""
        if len(body) != 40 or not re.fullmatch(r"[0-9a-fA-F]{40}", body):
            raise ABIArgumentError(f"{what}: {value!r} is not a 0x-prefixed 20-byte hex address")
        data = bytes.fromhex(body)
        if body != body.lower() and body != body.upper() and to_checksum_address(data) != text:
            raise ABIArgumentError(f"{what}: {value!r} has an invalid EIP-55 checksum")
        return Address(data)
    inner = getattr(value, "address", None)
    if isinstance(inner, bytes) and len(inner) == 20:
        return Address(inner)
    raise ABIArgumentError(
        f"{what}: expected an address (bytes, hex text, Account or Contract), "
        f"got {type(value).__name__} {value!r}"
    )


# --- types and signatures --------------------------------------------------------------------


def canonical_type(param: Mapping[str, Any]) -> str:
    """The canonical type of an ABI parameter: tuples spelled out, `(uint256,address)[]`."""
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(canonical_type(c) for c in param.get("components", ()))
        return f"({inner}){kind[5:]}"
    return _ALIASES.get(kind, kind)


_ALIASES: Final = {"uint": "uint256", "int": "int256", "byte": "bytes1"}


def signature(item: Mapping[str, Any]) -> str:
    """`name(type,...)` of a function, event or error ABI entry."""
    return f"{item.get('name', '')}({','.join(canonical_type(p) for p in item.get('inputs', ()))})"


@lru_cache(maxsize=4096)
def selector(sig: str) -> bytes:
    """The 4-byte selector of a function or error signature."""
    return keccak256(sig.encode())[:4]


@lru_cache(maxsize=4096)
def event_topic(sig: str) -> bytes:
    """topic0 of a non-anonymous event."""
    return keccak256(sig.encode())


# --- coders ----------------------------------------------------------------------------------

Encoder = Callable[[Sequence[Any]], bytes]
Decoder = Callable[[bytes], tuple[Any, ...]]


def _registry() -> Any:
    """eth-abi's coder registry, imported on first need (see the module docstring)."""
    from eth_abi.registry import registry

    return registry


@lru_cache(maxsize=4096)
def encoder(types: tuple[str, ...]) -> Encoder:
    """eth-abi's tuple encoder for `types`, looked up once."""
    return _registry().get_tuple_encoder(*types)  # type: ignore[no-any-return]


@lru_cache(maxsize=4096)
def _eth_abi_decoder(types: tuple[str, ...]) -> Decoder:
    """eth-abi's decoder of `types`, not strict about padding (as Solidity decodes)."""
    from eth_abi.decoding import ContextFramesBytesIO

    tuple_decoder = _registry().get_tuple_decoder(*types, strict=False)
    return lambda data: tuple(tuple_decoder(ContextFramesBytesIO(data)))


@lru_cache(maxsize=4096)
def decoder(types: tuple[str, ...]) -> Decoder:
    """A decoder of `types`, made once; `address` values come back as Address."""
    fixers = tuple(_output_fixer(t) for t in types)
    if not any(fixers):

        def slow(data: bytes) -> tuple[Any, ...]:
            return _eth_abi_decoder(types)(data)

    else:

        def slow(data: bytes) -> tuple[Any, ...]:
            values = _eth_abi_decoder(types)(data)
            return tuple(f(v) if f else v for f, v in zip(fixers, values, strict=True))

    word_decoders = [_WORD_DECODERS.get(t) or _word_decoder(t) for t in types]
    if not types or None in word_decoders:
        return slow
    # Static elementary types only (a view's uint256, address, bool): one 32-byte word each,
    # read directly; any word eth-abi would treat differently (dirty high bits) goes to it.
    fast = cast(list[Callable[[bytes], Any]], word_decoders)
    size = 32 * len(types)
    if size == 32:  # one value (a balance, an owner): no loop
        decode_word = fast[0]

        def one_word(data: bytes) -> tuple[Any, ...]:
            value = decode_word(data[:32]) if len(data) >= 32 else _SLOW
            return slow(data) if value is _SLOW else (value,)

        return one_word

    def words(data: bytes) -> tuple[Any, ...]:
        if len(data) < size:
            return slow(data)
        values = []
        for index, decode_word in enumerate(fast):
            value = decode_word(data[32 * index : 32 * index + 32])
            if value is _SLOW:
                return slow(data)
            values.append(value)
        return tuple(values)

    return words


_SLOW: Final = object()  # a word the fast path leaves to eth-abi


def _word_decoder(kind: str) -> Callable[[bytes], Any] | None:
    """A decoder of one word of elementary static type `kind`, or None for any other type."""
    if kind.startswith("uint") and kind[4:].isdigit():
        bits = int(kind[4:])

        def uint(word: bytes) -> Any:
            value = int.from_bytes(word, "big")
            return value if value >> bits == 0 else _SLOW

        return uint
    if kind.startswith("int") and kind[3:].isdigit():
        half = 1 << (int(kind[3:]) - 1)

        def sint(word: bytes) -> Any:
            value = int.from_bytes(word, "big", signed=True)
            return value if -half <= value < half else _SLOW

        return sint
    if kind.startswith("bytes") and kind[5:].isdigit():
        size = int(kind[5:])
        zero_tail = bytes(32 - size)

        def fixed_bytes(word: bytes) -> Any:
            return word[:size] if word[size:] == zero_tail else _SLOW

        return fixed_bytes
    return None


def _address_word(word: bytes) -> Any:
    return Address(word[12:]) if word[:12] == _ZERO12 else _SLOW


def _bool_word(word: bytes) -> Any:
    if word == _TRUE_WORD:
        return True
    return False if word == _ZERO32 else _SLOW


_ZERO12: Final = bytes(12)
_ZERO32: Final = bytes(32)
_TRUE_WORD: Final = (1).to_bytes(32, "big")
_WORD_DECODERS: Final[dict[str, Callable[[bytes], Any]]] = {
    "address": _address_word,
    "bool": _bool_word,
}


def decode(types: Sequence[str], data: bytes, what: str) -> tuple[Any, ...]:
    """Decode `data` as `types`.

    Raises:
        ABIDecodeError: the data does not hold such values; names `what`.
    """
    try:
        return decoder(tuple(types))(data)
    except Exception as exc:  # eth-abi's decoding errors, of several classes
        raise ABIDecodeError(
            f"{what}: cannot decode 0x{data.hex()} as ({','.join(types)}): {exc}"
        ) from None


class ABIDecodeError(ValueError):
    """Data that does not decode as the ABI says (a wrong ABI for the contract, usually)."""


def _output_fixer(kind: str) -> Callable[[Any], Any] | None:
    """How to turn eth-abi's decoded value of `kind` into the harness's (addresses)."""
    if "address" not in kind:
        return None
    if kind == "address":
        return _address_from_text
    match = _ARRAY_SUFFIX.match(kind)
    if match:
        inner = _output_fixer(match.group(1))
        if inner is None:
            return None
        return lambda values: [inner(v) for v in values]
    if kind.startswith("("):
        parts = tuple(split_tuple_type(kind))
        fixers = [_output_fixer(p) for p in parts]
        return lambda values: tuple(f(v) if f else v for f, v in zip(fixers, values, strict=True))
    return None


def _address_from_text(text: str) -> Address:
    return Address(bytes.fromhex(text[2:]))


def split_tuple_type(kind: str) -> list[str]:
    """The component types of a tuple type `(a,b,(c,d)[])`."""
    body = kind[1:-1]
    parts: list[str] = []
    depth = 0
    start = 0
    for index, char in enumerate(body):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(body[start:index])
            start = index + 1
    if body:
        parts.append(body[start:])
    return parts


# --- argument conversion ---------------------------------------------------------------------

Converter = Callable[[Any, str], Any]


def converter(param: Mapping[str, Any]) -> Converter | None:
    """How to turn a Python argument for `param` into what eth-abi encodes: addresses from
    Accounts, Contracts and hex text, structs from dicts, bytes from hex text. None when the
    value goes to eth-abi as given."""
    kind = str(param["type"])
    match = _ARRAY_SUFFIX.match(kind)
    if match:
        inner_param = dict(param, type=match.group(1))
        inner = converter(inner_param)
        size = int(match.group(2)) if match.group(2) else None

        def array(value: Any, what: str) -> Any:
            if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
                raise ABIArgumentError(f"{what}: expected a list for {kind}, got {value!r}")
            if size is not None and len(value) != size:
                raise ABIArgumentError(
                    f"{what}: {kind} takes exactly {size} items, got {len(value)}"
                )
            if inner is None:
                return value
            return [inner(item, f"{what}[{i}]") for i, item in enumerate(value)]

        return array
    if kind == "tuple":
        components = list(param.get("components", ()))
        names = [c.get("name") or f"_{i}" for i, c in enumerate(components)]
        parts = [converter(c) for c in components]

        def struct(value: Any, what: str) -> Any:
            if isinstance(value, Mapping):
                missing = [n for n in names if n not in value]
                extra = [k for k in value if k not in names]
                if missing or extra:
                    raise ABIArgumentError(
                        f"{what}: struct fields are {names}; "
                        + (f"missing {missing}" if missing else "")
                        + ("; " if missing and extra else "")
                        + (f"unknown {extra}" if extra else "")
                    )
                items = [value[n] for n in names]
            elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
                items = list(value)
                if len(items) != len(names):
                    raise ABIArgumentError(
                        f"{what}: struct has {len(names)} fields {names}, got {len(items)} values"
                    )
            else:
                raise ABIArgumentError(f"{what}: expected a tuple or dict, got {value!r}")
            return tuple(
                conv(item, f"{what}.{name}") if conv else item
                for conv, item, name in zip(parts, items, names, strict=True)
            )

        return struct
    if kind == "address":
        return to_address
    if kind == "bytes" or (kind.startswith("bytes") and kind[5:].isdigit()):
        return _bytes_from_hex
    return None


def _bytes_from_hex(value: Any, what: str) -> Any:
    if isinstance(value, str):
        if value[:2] not in ("0x", "0X"):
            raise ABIArgumentError(f"{what}: bytes as text must be 0x-prefixed hex, got {value!r}")
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            raise ABIArgumentError(f"{what}: {value!r} is not hex") from None
    return value


class ArgumentCoder:
    """Encodes the arguments of one function, constructor or error: count checked, each
    argument converted by its parameter's converter, the whole through one cached eth-abi
    encoder; an encoding error names the parameter that caused it."""

    __slots__ = ("what", "types", "names", "converters", "_encode", "_plain", "_words")

    def __init__(self, what: str, inputs: Sequence[Mapping[str, Any]]) -> None:
        self.what = what
        self.types = tuple(canonical_type(p) for p in inputs)
        self.names = tuple(p.get("name") or f"arg{i}" for i, p in enumerate(inputs))
        self.converters = tuple(converter(p) for p in inputs)
        self._plain = not any(self.converters)
        self._encode: Encoder | None = None  # eth-abi's, made when first needed
        words = [_word_encoder(t) for t in self.types]
        self._words = None if None in words else cast(list[Callable[[Any], bytes | None]], words)

    def encode(self, args: Sequence[Any]) -> bytes:
        words = self._words
        if words is not None and len(args) == len(words):
            # Static elementary types given as they encode (an Address, an int in range,
            # bytes of the size): one word each, written directly, nothing to convert.
            out = [encode_word(arg) for encode_word, arg in zip(words, args, strict=True)]
            if None not in out:
                return b"".join(cast(list[bytes], out))
        if len(args) != len(self.types):
            raise ABIArgumentError(
                f"{self.what} takes {len(self.types)} argument"
                f"{'' if len(self.types) == 1 else 's'}"
                f" ({', '.join(f'{t} {n}' for t, n in zip(self.types, self.names, strict=True))})"
                f", got {len(args)}"
            )
        if not self._plain:
            args = [
                conv(arg, self._label(i)) if conv else arg
                for i, (conv, arg) in enumerate(zip(self.converters, args, strict=True))
            ]
        if words is not None and not self._plain:
            # The same after conversion (hex text to an Address, ...); a value the word
            # encoders do not take as is (out of range, another type) goes to eth-abi, which
            # encodes it or says what is wrong.
            out = [encode_word(arg) for encode_word, arg in zip(words, args, strict=True)]
            if None not in out:
                return b"".join(cast(list[bytes], out))
        try:
            if self._encode is None:
                self._encode = encoder(self.types)
            return self._encode(args)
        except Exception:  # eth-abi's encoding errors (several classes), a bad ABI type
            raise self._explain(args) from None

    def _label(self, index: int) -> str:
        return f"{self.what}: argument {index} '{self.names[index]}' ({self.types[index]})"

    def _explain(self, args: Sequence[Any]) -> ABIArgumentError:
        """Find the argument eth-abi refused, to name it."""
        for index, (kind, arg) in enumerate(zip(self.types, args, strict=True)):
            try:
                encoder((kind,))([arg])
            except Exception as exc:  # as in encode()
                return ABIArgumentError(f"{self._label(index)}: {exc}")
        return ABIArgumentError(f"{self.what}: cannot encode {list(args)!r}")

    def accepts(self, args: Sequence[Any]) -> bool:
        """Whether these arguments fit (used to pick among overloads)."""
        try:
            self.encode(args)
        except ABIArgumentError:
            return False
        return True


def _word_encoder(kind: str) -> Callable[[Any], bytes | None] | None:
    """An encoder of one value of elementary static type `kind` as its word, returning None
    for a value it leaves to eth-abi; None for any other type."""
    if kind == "address":
        return lambda value: b"\0" * 12 + value if isinstance(value, Address) else None
    if kind == "bool":
        return lambda value: _BOOL_WORDS[value] if type(value) is bool else None
    if kind.startswith("uint") and kind[4:].isdigit():
        limit = 1 << int(kind[4:])
        return lambda value: (
            value.to_bytes(32, "big") if type(value) is int and 0 <= value < limit else None
        )
    if kind.startswith("int") and kind[3:].isdigit():
        half = 1 << (int(kind[3:]) - 1)
        return lambda value: (
            value.to_bytes(32, "big", signed=True)
            if type(value) is int and -half <= value < half
            else None
        )
    if kind.startswith("bytes") and kind[5:].isdigit():
        size = int(kind[5:])
        pad = bytes(32 - size)
        return lambda value: value + pad if type(value) is bytes and len(value) == size else None
    return None


_BOOL_WORDS: Final = {False: bytes(32), True: (1).to_bytes(32, "big")}


def revert_summary(data: bytes) -> str | None:
    """Solidity's Error(string) reason or Panic(uint256) code as text, or None."""
    from pyeth.calls import revert_reason

    return revert_reason(data)

"""Hypothesis strategies from ABI types: values a contract function accepts, drawn for fuzz tests.

`strategy("uint256")` gives a strategy for one ABI type (nested arrays and tuples included);
`args_strategy(fn)` gives one for a whole function's arguments, as a tuple to splat into the call.
Values shrink towards the simple end: integers towards zero (or the nearest bound), byte strings,
strings and arrays towards empty, addresses towards the chain's first account. Addresses are drawn
from the addresses the test already knows (the chain's accounts and deployed contracts, or a list
given) as well as arbitrary ones, since a fuzzer that only invents addresses rarely hits a holder.

hypothesis is imported when a strategy is built, not when this module is imported, so a plain
`pip install pyeth` without the `testing` extra can still import `pyeth.testing`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyeth.address import to_checksum_address

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["AbiTypeError", "abi_type_string", "args_strategy", "parse_abi_type", "strategy"]

# Arrays and byte strings whose length is not bounded by the caller stay this short by default:
# long inputs make each example slow and rarely find more than short ones.
DEFAULT_MAX_LENGTH = 8


class AbiTypeError(ValueError):
    """An ABI type string or function description the strategies cannot draw values for."""


# --- ABI type strings -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AbiType:
    """A parsed ABI type: a base name ("uint", "int", "address", "bool", "bytes", "string",
    "tuple"), a size (bits for integers, bytes for bytesN, None otherwise), tuple components,
    and the array dimensions from the innermost out (None for a dynamic dimension)."""

    base: str
    size: int | None = None
    components: tuple[AbiType, ...] = ()
    dims: tuple[int | None, ...] = ()

    def element(self) -> AbiType:
        """The type of this array's elements (the outermost dimension removed)."""
        return AbiType(self.base, self.size, self.components, self.dims[:-1])


_SCALAR = re.compile(r"(uint|int|bytes|address|bool|string|function)(\d*)$")
_DIM = re.compile(r"\[(\d*)\]")


def parse_abi_type(text: str) -> AbiType:
    """Parse an ABI type string such as "uint256", "bytes32[]" or "(address,(bool,bytes)[])[2]".

    Raises AbiTypeError naming the type when it is not a type a contract ABI can hold.
    """
    text = text.replace(" ", "")
    parsed, rest = _parse(text, 0, text)
    if rest != len(text):
        raise AbiTypeError(f"ABI type {text!r}: unexpected {text[rest:]!r} at position {rest}")
    return parsed


def _parse(text: str, pos: int, whole: str) -> tuple[AbiType, int]:
    if text.startswith("(", pos):
        components: list[AbiType] = []
        pos += 1
        if text.startswith(")", pos):
            raise AbiTypeError(f"ABI type {whole!r}: a tuple needs at least one component")
        while True:
            component, pos = _parse(text, pos, whole)
            components.append(component)
            if text.startswith(",", pos):
                pos += 1
            elif text.startswith(")", pos):
                pos += 1
                break
            else:
                raise AbiTypeError(f"ABI type {whole!r}: expected ',' or ')' at position {pos}")
        base = AbiType("tuple", None, tuple(components))
    else:
        end = pos
        while end < len(text) and text[end] not in "[,)":
            end += 1
        base = _scalar(text[pos:end], whole)
        pos = end
    dims: list[int | None] = []
    while (match := _DIM.match(text, pos)) is not None:
        dims.append(int(match.group(1)) if match.group(1) else None)
        if dims[-1] == 0:
            raise AbiTypeError(f"ABI type {whole!r}: a fixed-size array cannot have length 0")
        pos = match.end()
    return AbiType(base.base, base.size, base.components, tuple(dims)), pos


def _scalar(name: str, whole: str) -> AbiType:
    match = _SCALAR.match(name)
    if match is None:
        hint = (
            " (fixed-point types are not supported)" if name.startswith(("fixed", "ufixed")) else ""
        )
        raise AbiTypeError(f"ABI type {whole!r}: unknown type {name!r}{hint}")
    base, digits = match.groups()
    size = int(digits) if digits else None
    if base in ("uint", "int"):
        size = 256 if size is None else size
        if size % 8 or not 8 <= size <= 256:
            raise AbiTypeError(f"ABI type {whole!r}: {base}{size} needs a size of 8 to 256 bits")
    elif base == "bytes":
        if size is not None and not 1 <= size <= 32:
            raise AbiTypeError(f"ABI type {whole!r}: bytes{size} needs a size of 1 to 32")
    elif base == "function":
        if size is not None:
            raise AbiTypeError(f"ABI type {whole!r}: unknown type {name!r}")
        return AbiType("bytes", 24)  # an address and a selector, encoded as bytes24
    elif size is not None:
        raise AbiTypeError(f"ABI type {whole!r}: unknown type {name!r}")
    return AbiType(base, size)


def abi_type_string(param: Mapping[str, Any]) -> str:
    """The canonical type string of one ABI JSON parameter: tuples written out from their
    "components", so {"type": "tuple[]", "components": [...]} becomes "(uint256,address)[]"."""
    kind = param.get("type")
    if not isinstance(kind, str):
        raise AbiTypeError(f"ABI parameter {dict(param)!r} has no 'type'")
    if kind.startswith("tuple"):
        components = param.get("components")
        if components is None:
            raise AbiTypeError(
                f"ABI parameter {param.get('name')!r} is a tuple without 'components'"
            )
        inner = ",".join(abi_type_string(c) for c in components)
        return f"({inner}){kind[len('tuple') :]}"
    return kind


# --- strategies -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Bounds:
    min_value: int | None
    max_value: int | None
    min_length: int
    max_length: int | None
    addresses: Callable[[], Sequence[str]]


def strategy(
    abi_type: str,
    *,
    min_value: int | None = None,
    max_value: int | None = None,
    min_length: int = 0,
    max_length: int | None = None,
    addresses: Iterable[Any] | None = None,
    chain: Any = None,
) -> SearchStrategy[Any]:
    """A hypothesis strategy for values of `abi_type` ("uint256", "address[]", "(bool,bytes32)").

    min_value/max_value bound every integer in the value (for a plain integer type a bound outside
    the type's range is an error; inside arrays and tuples each integer's bounds are clipped to its
    own type). min_length/max_length bound dynamic arrays, `bytes` and `string` (in characters);
    dynamic arrays default to at most DEFAULT_MAX_LENGTH elements. Addresses are drawn from
    `addresses` if given, else from `chain` (its accounts and deployed contracts), else from the
    chain of the pytest plugin's `chain` fixture when one is running, and from arbitrary ones.
    Values come out as eth-abi takes them: ints, bools, bytes, str, checksummed address strings,
    lists for arrays and tuples for tuples.
    """
    parsed = parse_abi_type(abi_type)
    if min_value is not None and max_value is not None and min_value > max_value:
        raise AbiTypeError(f"strategy({abi_type!r}): min_value {min_value} > max_value {max_value}")
    if min_length < 0 or (max_length is not None and max_length < min_length):
        raise AbiTypeError(
            f"strategy({abi_type!r}): lengths must satisfy 0 <= min_length <= max_length, "
            f"got {min_length} and {max_length}"
        )
    if not parsed.dims and parsed.base in ("uint", "int"):
        low, high = _int_range(parsed)
        for label, bound in (("min_value", min_value), ("max_value", max_value)):
            if bound is not None and not low <= bound <= high:
                raise AbiTypeError(
                    f"strategy({abi_type!r}): {label} {bound} is outside {abi_type}'s range "
                    f"[{low}, {high}]"
                )
    bounds = _Bounds(
        min_value, max_value, min_length, max_length, _address_source(addresses, chain)
    )
    return _build(parsed, bounds, abi_type)


def args_strategy(
    function: Any,
    name: str | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    min_value: int | None = None,
    max_value: int | None = None,
    max_length: int | None = None,
    addresses: Iterable[Any] | None = None,
    chain: Any = None,
) -> SearchStrategy[tuple[Any, ...]]:
    """A strategy for a function's arguments, as a tuple: `fn(*args, sender=...)`.

    `function` is a function's ABI entry (a dict), a ContractFunction, or, with `name` (a function
    name or a signature such as "transfer(address,uint256)"), a contract, an artefact, an ABI
    list or an overloaded function. `overrides` maps argument names to a strategy or to a dict
    of bounds for that argument (e.g. {"amount": {"max_value": 10**18}}); the other bounds apply
    to every argument.
    """
    entry = _function_abi(function, name)
    inputs = entry.get("inputs", [])
    names = [param.get("name") or f"arg{i}" for i, param in enumerate(inputs)]
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise AbiTypeError(
            f"args_strategy({entry.get('name')!r}): no argument named {', '.join(unknown)}; "
            f"the arguments are {', '.join(names) or '(none)'}"
        )
    from hypothesis import strategies as st

    common = {"addresses": addresses, "chain": chain}
    parts: list[SearchStrategy[Any]] = []
    for param, arg_name in zip(inputs, names, strict=True):
        type_string = abi_type_string(param)
        override = overrides.get(arg_name)
        if isinstance(override, st.SearchStrategy):
            parts.append(override)
            continue
        options: dict[str, Any] = dict(common)
        parsed = parse_abi_type(type_string)
        options["min_value"], options["max_value"] = min_value, max_value
        if parsed.base in ("uint", "int") and not parsed.dims:
            # A bound for all arguments is clipped to each one's type rather than refused
            # (inside arrays and tuples, strategy() clips it the same way).
            low, high = _int_range(parsed)
            options["min_value"] = None if min_value is None else min(max(min_value, low), high)
            options["max_value"] = None if max_value is None else max(min(max_value, high), low)
        options["max_length"] = max_length
        if override is not None:
            if not isinstance(override, Mapping):
                raise AbiTypeError(
                    f"args_strategy: the override for {arg_name!r} must be a hypothesis strategy "
                    f"or a dict of bounds, not {type(override).__name__}"
                )
            options.update(override)
        parts.append(strategy(type_string, **options))
    return st.tuples(*parts)


def _build(parsed: AbiType, bounds: _Bounds, whole: str) -> SearchStrategy[Any]:
    from hypothesis import strategies as st

    if parsed.dims:
        element = _build(parsed.element(), bounds, whole)
        size = parsed.dims[-1]
        if size is not None:
            return st.lists(element, min_size=size, max_size=size)
        max_size = DEFAULT_MAX_LENGTH if bounds.max_length is None else bounds.max_length
        return st.lists(
            element, min_size=bounds.min_length, max_size=max(max_size, bounds.min_length)
        )
    base = parsed.base
    if base in ("uint", "int"):
        low, high = _int_range(parsed)
        if bounds.min_value is not None:
            low = max(low, bounds.min_value)
        if bounds.max_value is not None:
            high = min(high, bounds.max_value)
        if low > high:
            raise AbiTypeError(
                f"strategy({whole!r}): the bounds leave no value for its {base}{parsed.size}"
            )
        return st.integers(low, high)
    if base == "bool":
        return st.booleans()
    if base == "address":
        return _addresses(bounds.addresses)
    if base == "bytes":
        if parsed.size is not None:
            return st.binary(min_size=parsed.size, max_size=parsed.size)
        return st.binary(min_size=bounds.min_length, max_size=bounds.max_length)
    if base == "string":
        return st.text(
            st.characters(codec="utf-8"), min_size=bounds.min_length, max_size=bounds.max_length
        )
    return st.tuples(*(_build(component, bounds, whole) for component in parsed.components))


def _int_range(parsed: AbiType) -> tuple[int, int]:
    bits = parsed.size or 256
    if parsed.base == "uint":
        return 0, (1 << bits) - 1
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def _addresses(known: Callable[[], Sequence[str]]) -> SearchStrategy[str]:
    from hypothesis import strategies as st

    arbitrary = st.binary(min_size=20, max_size=20).map(to_checksum_address)

    @st.composite
    def draw_address(draw: Any) -> str:
        # The known addresses are looked up at draw time: a strategy built when a test module is
        # imported sees the accounts and contracts of the chain the running test uses.
        candidates = known()
        # False shrinks first, so a failing example shrinks towards a known address.
        if candidates and not draw(st.booleans()):
            return candidates[draw(st.integers(0, len(candidates) - 1))]
        return str(draw(arbitrary))

    return draw_address()


def _address_source(addresses: Iterable[Any] | None, chain: Any) -> Callable[[], Sequence[str]]:
    if addresses is not None:
        fixed = [_checksum(a) for a in addresses]
        return lambda: fixed
    if chain is not None:
        return lambda: chain_addresses(chain)

    def from_plugin() -> Sequence[str]:
        from pyeth.testing import plugin

        current = plugin.current_chain()
        return chain_addresses(current) if current is not None else ()

    return from_plugin


def chain_addresses(chain: Any) -> list[str]:
    """The addresses a test on `chain` knows: its accounts, then the contracts deployed on it."""
    found = [_checksum(account) for account in chain.accounts]
    for contract in getattr(chain, "contracts", ()):
        found.append(_checksum(contract))
    return found


def _checksum(address: Any) -> str:
    raw = getattr(address, "address", address)
    if isinstance(raw, str):
        raw = bytes.fromhex(raw.removeprefix("0x"))
    if not isinstance(raw, bytes | bytearray) or len(raw) != 20:
        raise AbiTypeError(
            f"not an address: {address!r} (give 20 bytes, a hex string or an account)"
        )
    return to_checksum_address(bytes(raw))


def _function_abi(function: Any, name: str | None) -> Mapping[str, Any]:
    """The ABI entry of the function `function` (and `name`) describe; see args_strategy."""
    if isinstance(function, Mapping):
        if name is not None or function.get("type", "function") != "function":
            raise AbiTypeError(
                "args_strategy: give a function's ABI entry, or an ABI list with a name"
            )
        return function
    overloads = getattr(function, "functions", None)
    if isinstance(overloads, list) and not hasattr(function, "abi"):
        # An overloaded contract function (token.safeTransferFrom): one entry per overload.
        function = [getattr(f, "abi", f) for f in overloads]
    abi = getattr(function, "abi", function)
    if isinstance(abi, Mapping):  # a ContractFunction with one ABI entry
        return _function_abi(abi, None)
    if not isinstance(abi, Sequence) or isinstance(abi, str | bytes):
        raise AbiTypeError(
            f"args_strategy: cannot read a function ABI from {type(function).__name__}"
        )
    entries = [e for e in abi if isinstance(e, Mapping) and e.get("type", "function") == "function"]
    if name is None:
        if len(entries) == 1:  # an overloaded ContractFunction narrowed to one entry
            return entries[0]
        names = sorted({str(e.get("name")) for e in entries})
        raise AbiTypeError(
            f"args_strategy: {len(entries)} functions given ({', '.join(names)}); "
            "pass name= (a function name or signature)"
        )
    if "(" in name:
        matches = [e for e in entries if _signature(e) == name.replace(" ", "")]
    else:
        matches = [e for e in entries if e.get("name") == name]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        available = ", ".join(sorted(_signature(e) for e in entries)) or "(none)"
        raise AbiTypeError(f"args_strategy: no function {name!r}; the ABI has {available}")
    overloads = ", ".join(_signature(e) for e in matches)
    raise AbiTypeError(
        f"args_strategy: {name!r} is overloaded ({overloads}); pass the signature as name"
    )


def _signature(entry: Mapping[str, Any]) -> str:
    types = ",".join(abi_type_string(p) for p in entry.get("inputs", []))
    return f"{entry.get('name')}({types})"

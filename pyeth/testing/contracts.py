"""Contracts as a test sees them: `Contract` (functions by name or signature, events, errors),
`ContractFunction` (a view is a call, anything else a transaction), `Receipt`, decoded `Event`s,
custom error types, and the failures a transaction or call raises.

The ABI coding lives in `pyeth.testing.abi`; running anything is the chain's job
(`pyeth.testing.chain.Chain`). A contract holds its chain and address and builds each
function's encoder once, at construction, so a call pays only for its own arguments.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from evm.errors import EVMError, Revert
from pyeth.testing.abi import (
    ERROR_STRING_SELECTOR,
    PANIC_SELECTOR,
    ABIArgumentError,
    ABIDecodeError,
    Address,
    ArgumentCoder,
    canonical_type,
    decode,
    decoder,
    event_topic,
    selector,
    signature,
    to_address,
)

if TYPE_CHECKING:
    from pyeth.testing.chain import Chain, Transaction

PANIC_REASONS: Final = {
    0x00: "generic panic",
    0x01: "assert(false)",
    0x11: "arithmetic underflow or overflow",
    0x12: "division or modulo by zero",
    0x21: "enum overflow",
    0x22: "invalid encoded storage byte array accessed",
    0x31: "pop on an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to an uninitialized function",
}

_DYNAMIC = re.compile(r"^(string|bytes|.*\[\]|\(.*\).*|.*\[\d+\].*)$")


# --- events ----------------------------------------------------------------------------------


class Log:
    """A raw log as the EVM emitted it."""

    __slots__ = ("address", "topics", "data", "log_index")

    def __init__(self, address: bytes, topics: tuple[bytes, ...], data: bytes, index: int):
        self.address = Address(address)
        self.topics = topics
        self.data = data
        self.log_index = index

    def __repr__(self) -> str:
        return f"Log(address={self.address}, topics={len(self.topics)}, data={len(self.data)}B)"


class Event:
    """A decoded log: `.name`, `.args` (a dict by parameter name), `.address`, and each argument
    as an attribute (`event.value`; `event.from_` for a Python keyword)."""

    __slots__ = ("name", "args", "address", "log_index", "signature")

    def __init__(
        self, name: str, args: dict[str, Any], address: bytes, log_index: int, sig: str
    ) -> None:
        self.name = name
        self.args = args
        self.address = Address(address)
        self.log_index = log_index
        self.signature = sig

    def __getattr__(self, name: str) -> Any:
        args = object.__getattribute__(self, "args")
        if name in args:
            return args[name]
        if name.endswith("_") and name[:-1] in args:
            return args[name[:-1]]
        raise AttributeError(f"event {self.name} has no argument {name!r}; it has {list(args)}")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EventMatcher):
            return other.matches(self)
        if isinstance(other, Event):
            return (self.signature, self.args, self.address) == (
                other.signature,
                other.args,
                other.address,
            )
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={_show(v)}" for k, v in self.args.items())
        return f"{self.name}({args}) @ {self.address}"


class EventType:
    """One event of an ABI: decodes its logs; calling it makes a matcher for `expect_events`
    (`Transfer(to=bob)`: the arguments left out match anything)."""

    def __init__(self, item: Mapping[str, Any], contract: Contract | None = None) -> None:
        self.abi = item
        self.name = str(item["name"])
        self.signature = signature(item)
        self.anonymous = bool(item.get("anonymous"))
        self.topic = event_topic(self.signature)
        self.contract = contract
        inputs = list(item.get("inputs", ()))
        self.names = [p.get("name") or f"arg{i}" for i, p in enumerate(inputs)]
        self.types = [canonical_type(p) for p in inputs]
        self.indexed = [bool(p.get("indexed")) for p in inputs]
        self._data_types = tuple(
            t for t, ix in zip(self.types, self.indexed, strict=True) if not ix
        )

    def decode(self, log: Log) -> Event:
        """Raises ABIDecodeError when the log is not this event's."""
        topics = log.topics if self.anonymous else log.topics[1:]
        if not self.anonymous and (not log.topics or log.topics[0] != self.topic):
            raise ABIDecodeError(f"log is not a {self.signature} event")
        if len(topics) != sum(self.indexed):
            raise ABIDecodeError(
                f"{self.signature}: {sum(self.indexed)} indexed arguments, log has {len(topics)}"
            )
        data = list(decode(self._data_types, log.data, self.signature)) if self._data_types else []
        args: dict[str, Any] = {}
        topic_iter = iter(topics)
        data_iter = iter(data)
        for name, kind, indexed in zip(self.names, self.types, self.indexed, strict=True):
            if indexed:
                topic = next(topic_iter)
                # A dynamic indexed value is logged as its hash: the 32 bytes are all there is.
                args[name] = topic if _DYNAMIC.match(kind) else decoder((kind,))(topic)[0]
            else:
                args[name] = next(data_iter)
        return Event(self.name, args, log.address, log.log_index, self.signature)

    def __call__(self, *args: Any, **kwargs: Any) -> EventMatcher:
        return EventMatcher(self, expected_arguments(self.signature, self.names, args, kwargs))

    def __repr__(self) -> str:
        return f"<event {self.signature}>"


class EventMatcher:
    """An expected event: its type and the arguments given (the others match anything)."""

    def __init__(self, event: EventType, expected: dict[str, Any], address: Any = None) -> None:
        self.event = event
        self.expected = expected
        self.address = None if address is None else to_address(address)
        if self.address is None and event.contract is not None:
            self.address = event.contract.address

    def matches(self, event: Event) -> bool:
        if event.signature != self.event.signature:
            return False
        if self.address is not None and event.address != self.address:
            return False
        return all(
            name in event.args and values_equal(event.args[name], want)
            for name, want in self.expected.items()
        )

    def at(self, address: Any) -> EventMatcher:
        """The same expectation, from another address (or any, with None)."""
        matcher = EventMatcher(self.event, self.expected)
        matcher.address = None if address is None else to_address(address)
        return matcher

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Event):
            return self.matches(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={_show(v)}" for k, v in self.expected.items())
        return f"{self.event.name}({args})"


def values_equal(actual: Any, expected: Any) -> bool:
    """Equality that takes an Account, a Contract or hex text for an address, and lists for
    tuples."""
    if isinstance(actual, Address):
        try:
            return actual == to_address(expected)
        except ABIArgumentError:
            return False
    if isinstance(actual, tuple | list) and isinstance(expected, tuple | list):
        return len(actual) == len(expected) and all(
            values_equal(a, e) for a, e in zip(actual, expected, strict=True)
        )
    if isinstance(actual, bytes) and isinstance(expected, str) and expected.startswith("0x"):
        return actual.hex() == expected[2:].lower()
    return bool(actual == expected)


# --- custom errors ---------------------------------------------------------------------------


class ErrorType:
    """A custom error of an ABI (`error Boom(uint256 code)`): decodes revert data; calling it
    makes an expectation for `reverts` (`Boom(code=7)`; arguments left out match anything)."""

    def __init__(self, item: Mapping[str, Any]) -> None:
        self.abi = item
        self.name = str(item["name"])
        self.signature = signature(item)
        self.selector = selector(self.signature)
        inputs = list(item.get("inputs", ()))
        self.names = [p.get("name") or f"arg{i}" for i, p in enumerate(inputs)]
        self.types = tuple(canonical_type(p) for p in inputs)
        self._coder: ArgumentCoder | None = None

    def decode(self, data: bytes) -> dict[str, Any]:
        """The arguments of revert `data` (which must start with this error's selector)."""
        if data[:4] != self.selector:
            raise ABIDecodeError(f"revert data is not a {self.signature} error")
        values = decode(self.types, data[4:], self.signature) if self.types else ()
        return dict(zip(self.names, values, strict=True))

    def encode(self, *args: Any) -> bytes:
        """The revert data of this error with `args`."""
        if self._coder is None:
            self._coder = ArgumentCoder(self.signature, self.abi.get("inputs", ()))
        return self.selector + self._coder.encode(args)

    def __call__(self, *args: Any, **kwargs: Any) -> ErrorMatcher:
        return ErrorMatcher(self, expected_arguments(self.signature, self.names, args, kwargs))

    def describe(self, data: bytes) -> str:
        args = self.decode(data)
        return f"{self.name}({', '.join(f'{k}={_show(v)}' for k, v in args.items())})"

    def __repr__(self) -> str:
        return f"<error {self.signature}>"


class ErrorMatcher:
    """An expected custom error with some or all of its arguments."""

    def __init__(self, error: ErrorType, expected: dict[str, Any]) -> None:
        self.error = error
        self.expected = expected

    def matches(self, data: bytes) -> bool:
        if data[:4] != self.error.selector:
            return False
        try:
            args = self.error.decode(data)
        except ABIDecodeError:
            return False
        return all(values_equal(args[k], v) for k, v in self.expected.items())

    def __repr__(self) -> str:
        return (
            f"{self.error.name}({', '.join(f'{k}={_show(v)}' for k, v in self.expected.items())})"
        )


def describe_revert(data: bytes, errors: Mapping[bytes, ErrorType] | None = None) -> str:
    """Revert data in words: `reverted: "reason"`, `panic 0x11 (arithmetic ...)`, a custom
    error with its arguments, or the raw hex."""
    if not data:
        return "reverted without data"
    head = data[:4]
    if head == ERROR_STRING_SELECTOR:
        try:
            return f"reverted: {decode(('string',), data[4:], 'Error(string)')[0]!r}"
        except ABIDecodeError:
            pass
    elif head == PANIC_SELECTOR and len(data) == 36:
        code = int.from_bytes(data[4:], "big")
        return f"panic {code:#04x} ({PANIC_REASONS.get(code, 'unknown panic code')})"
    elif errors is not None and head in errors:
        try:
            return f"reverted: {errors[head].describe(data)}"
        except ABIDecodeError:
            pass
    return f"reverted with data 0x{data.hex()}"


def revert_string(data: bytes) -> str | None:
    """The reason of Error(string) revert data, or None."""
    if data[:4] != ERROR_STRING_SELECTOR:
        return None
    try:
        return str(decode(("string",), data[4:], "Error(string)")[0])
    except ABIDecodeError:
        return None


def panic_code(data: bytes) -> int | None:
    """The code of Panic(uint256) revert data, or None."""
    if data[:4] == PANIC_SELECTOR and len(data) == 36:
        return int.from_bytes(data[4:], "big")
    return None


# --- failures --------------------------------------------------------------------------------


class TransactionFailed(Exception):
    """A transaction or call ran and failed. `receipt` is the included transaction's (None for
    a call), `revert_data` what it reverted with (b"" for an exceptional halt such as out of
    gas), `error` the EVM's error. str() says what failed in words and, when the trace module
    can give it, the decoded call tree of a re-run (made only when the text is asked for)."""

    def __init__(
        self,
        what: str,
        reason: str,
        revert_data: bytes,
        error: Exception | None,
        receipt: Receipt | None = None,
        chain: Chain | None = None,
        rerun: Any = None,
    ) -> None:
        super().__init__(what, reason)
        self.what = what
        self.reason = reason
        self.revert_data = revert_data
        self.error = error
        self.receipt = receipt
        self._chain = chain
        self._rerun = rerun
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            text = f"{self.what} {self.reason}"
            if self._chain is not None and self._rerun is not None:
                tree = self._chain._failure_tree(self._rerun)
                if tree:
                    text += "\n" + tree
            self._text = text
        return self._text


class Reverted(TransactionFailed):
    """The failure was a REVERT (a reason string, a custom error, a panic or no data)."""


class TransactionRejected(ValueError):
    """The chain refused the transaction before running it (nonce, funds, gas limits); nothing
    changed. The message is the rule that failed."""


def failure_class(error: Exception | None) -> type[TransactionFailed]:
    return Reverted if isinstance(error, Revert) else TransactionFailed


def describe_failure(
    data: bytes, error: Exception | None, errors: Mapping[bytes, ErrorType]
) -> str:
    if isinstance(error, Revert) or error is None:
        return describe_revert(data, errors)
    name = type(error).__name__
    if isinstance(error, EVMError) and str(error):
        return f"failed: {name} ({error})"
    return f"failed: {name}"


# --- receipts --------------------------------------------------------------------------------


class Receipt:
    """What an included transaction left: `status`, `gas_used`, `return_value` (decoded when
    the ABI says), raw `logs`, decoded `events`, `console` lines, `contract_address` for a
    deployment, `revert_data` for a failure, and `trace()` (the call tree, re-run on demand)."""

    __slots__ = (
        "chain",
        "tx",
        "sender",
        "to",
        "status",
        "gas_used",
        "gas_price",
        "output",
        "raw_logs",
        "contract_address",
        "block_number",
        "index",
        "error",
        "function",
        "_console",
        "_lines",
        "_logs",
        "_events",
        "_rerun",
    )

    def __init__(
        self,
        chain: Chain,
        tx: Transaction,
        sender: bytes,
        status: bool,
        gas_used: int,
        gas_price: int,
        output: bytes,
        raw_logs: list[tuple[bytes, tuple[bytes, ...], bytes]],
        contract_address: bytes | None,
        block_number: int,
        index: int,
        error: Exception | None,
        console: Any,
        function: ContractFunction | None,
        rerun: Any,
    ) -> None:
        self.chain = chain
        self.tx = tx
        self.sender = sender
        self.to = tx.to
        self.status = status
        self.gas_used = gas_used
        self.gas_price = gas_price
        self.output = output
        self.raw_logs = raw_logs
        self.contract_address = None if contract_address is None else Address(contract_address)
        self.block_number = block_number
        self.index = index
        self.error = error
        self._console = console  # a console.ConsoleCollector: lines decoded when read
        self._lines: list[str] | None = None
        self.function = function
        self._logs: list[Log] | None = None
        self._events: list[Event] | None = None
        self._rerun = rerun

    @property
    def tx_hash(self) -> bytes:
        """The hash of the transaction as the harness built it (a placeholder signature, as the
        node's impersonated transactions carry)."""
        return self.tx.hash

    @property
    def console(self) -> list[str]:
        """The console.log lines the transaction printed (reverted frames' included)."""
        if self._lines is None:
            self._lines = list(self._console.lines) if self._console is not None else []
        return self._lines

    @property
    def fee(self) -> int:
        """What the sender paid for gas, in wei."""
        return self.gas_used * self.gas_price

    @property
    def return_value(self) -> Any:
        """The decoded return value (one value unwrapped, several as a tuple); the raw output
        when the receipt has no function ABI."""
        if self.function is None or not self.status:
            return self.output if self.status else None
        return self.function.decode_output(self.output)

    @property
    def revert_data(self) -> bytes | None:
        return None if self.status else self.output

    @property
    def logs(self) -> list[Log]:
        if self._logs is None:
            self._logs = [
                Log(address, topics, data, index)
                for index, (address, topics, data) in enumerate(self.raw_logs)
            ]
        return self._logs

    @property
    def events(self) -> list[Event]:
        """The logs the chain knows the ABI of, decoded (by the emitting contract's ABI first,
        else by any known event with that topic)."""
        if self._events is None:
            self._events = [e for e in map(self.chain.decode_log, self.logs) if e is not None]
        return self._events

    def trace(self) -> Any:
        """The call tree of this transaction (pyeth.testing.calltree.CallNode), from a re-run
        with a tracer; only while this is the chain's latest change."""
        return self.chain._trace(self._rerun)

    def __repr__(self) -> str:
        what = f" {self.function.signature}" if self.function is not None else ""
        return (
            f"<Receipt{what} block {self.block_number} {'ok' if self.status else 'failed'}"
            f" gas {self.gas_used}>"
        )


# --- contracts -------------------------------------------------------------------------------


class ContractFunction:
    """One function of a deployed contract. Calling it runs a call for view and pure
    functions and a transaction otherwise; `.call(...)` and `.transact(...)` force either."""

    def __init__(self, contract: Contract, item: Mapping[str, Any]) -> None:
        self.contract = contract
        self.abi = item
        self.name = str(item["name"])
        self.signature = signature(item)
        self.selector = selector(self.signature)
        self.mutability = _mutability(item)
        self.is_view = self.mutability in ("view", "pure")
        self.payable = self.mutability == "payable"
        self.coder = _coder(f"{contract.contract_name}.{self.signature}", item)
        outputs = item.get("outputs", ())
        self.output_types = tuple(canonical_type(p) for p in outputs)
        self._decode = decoder(self.output_types)
        self._single = len(self.output_types) == 1

    def encode(self, *args: Any) -> bytes:
        """The calldata for `args`."""
        return self.selector + self.coder.encode(args)

    def decode_output(self, output: bytes) -> Any:
        if not self.output_types:
            return None
        try:
            values = self._decode(output)
        except Exception as exc:  # eth-abi's decoding errors are of several kinds
            raise ABIDecodeError(
                f"{self.contract.contract_name}.{self.signature} returned 0x{output.hex()}, "
                f"which does not decode as ({','.join(self.output_types)}): {exc}"
            ) from None
        return values[0] if self._single else values

    def __call__(
        self,
        *args: Any,
        sender: Any = None,
        value: int = 0,
        gas: int | None = None,
    ) -> Any:
        if self.is_view:
            return self.call(*args, sender=sender, value=value, gas=gas)
        return self.transact(*args, sender=sender, value=value, gas=gas)

    @staticmethod
    def of(contract: Contract, item: Mapping[str, Any]) -> ContractFunction:
        """The function for ABI entry `item`, of the class whose call syntax goes straight to
        `call` (a view or pure function) or `transact`: one Python call fewer each time."""
        view = _mutability(item) in ("view", "pure")
        return (_ViewFunction if view else _SendingFunction)(contract, item)

    def call(self, *args: Any, sender: Any = None, value: int = 0, gas: int | None = None) -> Any:
        """Run it as a call (nothing is kept); the decoded return value."""
        contract = self.contract
        data = self.selector + self.coder.encode(args)
        output = contract.chain._call(contract.raw_address, data, sender, value, gas, self)
        return self.decode_output(output)

    def transact(
        self, *args: Any, sender: Any = None, value: int = 0, gas: int | None = None
    ) -> Receipt:
        """Send it as a transaction; its receipt (TransactionFailed if it fails)."""
        if value and not self.payable:
            raise ABIArgumentError(
                f"{self.contract.contract_name}.{self.signature} is not payable: "
                "it cannot take value"
            )
        contract = self.contract
        data = self.selector + self.coder.encode(args)
        return contract.chain._transact(sender, contract.raw_address, data, value, gas, self)

    def __repr__(self) -> str:
        return f"<function {self.contract.contract_name}.{self.signature} {self.mutability}>"


def _mutability(item: Mapping[str, Any]) -> str:
    mutability = item.get("stateMutability")
    if mutability is None:  # old ABIs: constant / payable flags
        mutability = "view" if item.get("constant") else "payable" if item.get("payable") else ""
    return str(mutability)


class _ViewFunction(ContractFunction):
    __call__ = ContractFunction.call


class _SendingFunction(ContractFunction):
    __call__ = ContractFunction.transact


_CODERS: dict[tuple[int, str], tuple[Mapping[str, Any], ArgumentCoder]] = {}


def _coder(what: str, item: Mapping[str, Any]) -> ArgumentCoder:
    """The ArgumentCoder of an ABI entry, made once per entry object: a fixture that deploys
    the same artefact for every test builds its functions' coders once. The entry is kept
    with it, so its id is not reused while the cache holds it."""
    key = (id(item), what)
    cached = _CODERS.get(key)
    if cached is not None and cached[0] is item:
        return cached[1]
    if len(_CODERS) > 4096:
        _CODERS.clear()
    coder = ArgumentCoder(what, item.get("inputs", ()))
    _CODERS[key] = (item, coder)
    return coder


class OverloadedFunction:
    """Functions sharing a name: picks the one whose parameters take the arguments (by count,
    then by type); an ambiguous or unmatched call is an error listing the candidates."""

    def __init__(self, name: str, functions: list[ContractFunction]) -> None:
        self.name = name
        self.functions = functions

    def resolve(self, args: Sequence[Any]) -> ContractFunction:
        by_count = [f for f in self.functions if len(f.coder.types) == len(args)]
        if len(by_count) == 1:
            return by_count[0]
        fitting = [f for f in by_count if f.coder.accepts(args)]
        if len(fitting) == 1:
            return fitting[0]
        candidates = ", ".join(f.signature for f in self.functions)
        if not fitting:
            raise ABIArgumentError(
                f"no overload of {self.name} takes {len(args)} argument(s) like {list(args)!r};"
                f" the overloads are {candidates}: pick one with .functions['sig']"
            )
        raise ABIArgumentError(
            f"{self.name}: the arguments fit several overloads "
            f"({', '.join(f.signature for f in fitting)}); pick one with .functions['sig']"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve(args)(*args, **kwargs)

    def call(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve(args).call(*args, **kwargs)

    def transact(self, *args: Any, **kwargs: Any) -> Receipt:
        return self.resolve(args).transact(*args, **kwargs)

    def encode(self, *args: Any) -> bytes:
        return self.resolve(args).encode(*args)

    def __repr__(self) -> str:
        return f"<overloaded {self.name}: {', '.join(f.signature for f in self.functions)}>"


class _Namespace:
    """`contract.events.Transfer`, `contract.errors.Boom`: attribute access with an error that
    lists what there is."""

    def __init__(self, kind: str, owner: str, items: Mapping[str, Any]) -> None:
        self._kind = kind
        self._owner = owner
        self._items = dict(items)

    def __getattr__(self, name: str) -> Any:
        items = self.__dict__.get("_items", {})
        if name in items:
            return items[name]
        raise AttributeError(
            f"{self._owner} has no {self._kind} {name!r}; it has {sorted(items) or 'none'}"
        )

    def __getitem__(self, name: str) -> Any:
        return self.__getattr__(name)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items.values())

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __len__(self) -> int:
        return len(self._items)


RESERVED: Final = frozenset(
    {
        "address",
        "raw_address",
        "abi",
        "chain",
        "contract_name",
        "functions",
        "events",
        "errors",
        "fallback",
        "at",
    }
)


class Contract:
    """A contract at an address on a chain, with its ABI: functions as attributes
    (`token.transfer(bob, 10)`, `token.name()`), `functions["sig"]` for overloads and for a
    function whose name is one of the attributes below, `events`, `errors`, `fallback(...)`.

    str() is the checksum address; wherever an address is expected a Contract is taken.
    """

    def __init__(
        self, chain: Chain, address: Any, abi: Sequence[Mapping[str, Any]], name: str | None = None
    ) -> None:
        self.chain = chain
        self.address = to_address(address)
        self.raw_address = bytes(self.address)  # what goes into the state: plain bytes keys
        self.abi = list(abi)
        self.contract_name = name or "Contract"
        self.functions: dict[str, ContractFunction] = {}
        by_name: dict[str, list[ContractFunction]] = {}
        events: dict[str, EventType] = {}
        errors: dict[str, ErrorType] = {}
        self.event_types: list[EventType] = []
        self.error_types: list[ErrorType] = []
        self.has_fallback = self.has_receive = False
        for item in self.abi:
            kind = item.get("type", "function")
            if kind == "function":
                function = ContractFunction.of(self, item)
                self.functions[function.signature] = function
                by_name.setdefault(function.name, []).append(function)
            elif kind == "event":
                event = EventType(item, self)
                self.event_types.append(event)
                events.setdefault(event.name, event)
                events[event.signature] = event
            elif kind == "error":
                error = ErrorType(item)
                self.error_types.append(error)
                errors.setdefault(error.name, error)
                errors[error.signature] = error
            elif kind == "fallback":
                self.has_fallback = True
            elif kind == "receive":
                self.has_receive = True
        self.by_selector = {f.selector: f for f in self.functions.values()}
        self._by_name: dict[str, ContractFunction | OverloadedFunction] = {
            name: fns[0] if len(fns) == 1 else OverloadedFunction(name, fns)
            for name, fns in by_name.items()
        }
        for fn_name, function_or_overloads in self._by_name.items():
            if fn_name not in RESERVED and fn_name.isidentifier():
                setattr(self, fn_name, function_or_overloads)
        self.events = _Namespace("event", self.contract_name, events)
        self.errors = _Namespace("error", self.contract_name, errors)
        self._topics = {e.topic: e for e in self.event_types if not e.anonymous}
        self._anonymous = [e for e in self.event_types if e.anonymous]

    @classmethod
    def at(cls, chain: Chain, address: Any, abi: Sequence[Mapping[str, Any]]) -> Contract:
        """The contract at `address` with `abi` (chain.at)."""
        return chain.at(address, abi)

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not attributes: the functions are set as such.
        if name.startswith("__"):
            raise AttributeError(name)
        by_name = self.__dict__.get("_by_name")
        known = sorted(by_name) if by_name else []
        raise AttributeError(
            f"{self.__dict__.get('contract_name', 'contract')} has no function {name!r}; "
            f"its functions are {known or 'none'}"
        )

    def fallback(
        self, data: bytes = b"", value: int = 0, sender: Any = None, gas: int | None = None
    ) -> Receipt:
        """Send `data` and `value` that match no function: the fallback, or receive() for
        plain value."""
        return self.chain._transact(sender, self.raw_address, bytes(data), value, gas, None)

    def decode_log(self, log: Log) -> Event | None:
        """The log as one of this contract's events; anonymous ones (no topic to go by) are
        tried last, the first whose indexed count and data fit."""
        event = self._topics.get(log.topics[0]) if log.topics else None
        candidates = [event] if event is not None else []
        candidates += self._anonymous
        for candidate in candidates:
            try:
                return candidate.decode(log)
            except ABIDecodeError:
                continue
        return None

    def __str__(self) -> str:
        return str(self.address)

    def __repr__(self) -> str:
        return f"<{self.contract_name} at {self.address}>"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Contract):
            return self.address == other.address
        if isinstance(other, bytes | str):
            return self.address == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.address)


class RegistryDescriber:
    """The call tree's names (calltree.CallDescriber) from a chain's labels and the ABIs of the
    contracts it knows."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain

    def _function(self, address: bytes, calldata: bytes) -> ContractFunction | None:
        contract = self.chain.contracts.get(address)
        head = bytes(calldata[:4])
        if contract is not None and head in contract.by_selector:
            return contract.by_selector[head]
        for other in self.chain.contracts.values():  # a delegatecall into a library, ...
            if head in other.by_selector:
                return other.by_selector[head]
        return None

    def label(self, address: bytes) -> str | None:
        return self.chain.labels.get(bytes(address))

    def function(self, address: bytes, calldata: bytes) -> tuple[str, str] | None:
        function = self._function(address, calldata)
        if function is None:
            return None
        try:
            values = decode(function.coder.types, bytes(calldata[4:]), function.signature)
        except ABIDecodeError:
            return function.name, f"0x{bytes(calldata[4:]).hex()}"
        return function.name, ", ".join(_plain(v) for v in values)

    def result(self, address: bytes, calldata: bytes, output: bytes, success: bool) -> str | None:
        if not success:
            # A custom error of a known ABI; Error(string) and panics the tree words itself.
            error = self.chain.errors.get(bytes(output[:4]))
            if error is None:
                return None
            try:
                return error.describe(bytes(output))
            except ABIDecodeError:
                return None
        function = self._function(address, calldata)
        if function is None or not function.output_types:
            return None
        try:
            values = decode(function.output_types, bytes(output), function.signature)
        except ABIDecodeError:
            return None
        return ", ".join(_plain(v) for v in values)

    def event(self, address: bytes, topics: tuple[bytes, ...], data: bytes) -> str | None:
        event = self.chain.decode_log(Log(address, tuple(topics), bytes(data), 0))
        if event is None:
            return None
        return f"{event.name}({', '.join(f'{k}: {_plain(v)}' for k, v in event.args.items())})"


def _plain(value: Any) -> str:
    """A value as a call tree shows it: strings quoted, bytes and addresses as hex."""
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_plain(v) for v in value) + "]"
    return _show(value)


def _show(value: Any) -> str:
    """A value as the failure messages and reprs print it."""
    if isinstance(value, Address):
        return str(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value)


def expected_arguments(
    signature: str, names: Sequence[str], args: Sequence[Any], kwargs: Mapping[str, Any]
) -> dict[str, Any]:
    """The arguments an event or error matcher was given, by name (some or all of them): the
    positional ones in order, then the keywords, where a trailing underscore (`from_`) stands
    for a name that is a Python keyword.

    Raises:
        ABIArgumentError: more positional arguments than the ABI has, or an unknown name.
    """
    if len(args) > len(names):
        raise ABIArgumentError(
            f"{signature} has {len(names)} arguments, got {len(args)} positional"
        )
    expected = dict(zip(names, args, strict=False))
    for key, value in kwargs.items():
        name = key if key in names else key.rstrip("_")
        if name not in names:
            raise ABIArgumentError(
                f"{signature} has no argument {key!r}; its arguments are {names}"
            )
        expected[name] = value
    return expected

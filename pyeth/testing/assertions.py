"""Assertions for contract tests: `reverts` (a reason, a regex, a custom error with some of its
arguments, a panic code or raw data), `expect_events` (omitted arguments match anything, in
order or not, exactly or among others), and the `balance_changes` / `token_balance_changes`
context managers.

Each failure is an AssertionError that says what was expected and what happened, in decoded
form, so pytest's report needs no digging.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pyeth.testing.abi import Address, to_address
from pyeth.testing.contracts import (
    ErrorMatcher,
    ErrorType,
    Event,
    EventMatcher,
    EventType,
    Receipt,
    TransactionFailed,
    panic_code,
    revert_string,
)

if TYPE_CHECKING:
    from pyeth.testing.chain import Chain
    from pyeth.testing.contracts import Contract


class reverts:  # noqa: N801 - a context manager used like a function, as pytest.raises
    """`with reverts(...):` expects the block to raise TransactionFailed matching:

    - `reverts("reason")`: Error(string) with exactly this reason;
    - `reverts(match=r"regex")`: the reason (or the decoded failure) matches the regex;
    - `reverts(token.errors.Boom(code=7))`: that custom error with these arguments (the ones
      left out match anything), `reverts(token.errors.Boom)` with any arguments;
    - `reverts(panic=0x11)`: a Solidity panic with this code;
    - `reverts(data=b"...")`: exactly this revert data;
    - `reverts()`: any failure.

    After the block, `.exception` is the TransactionFailed caught.
    """

    def __init__(
        self,
        expected: str | ErrorMatcher | ErrorType | bytes | None = None,
        *,
        match: str | None = None,
        panic: int | None = None,
        data: bytes | None = None,
    ) -> None:
        self.reason: str | None = None
        self.error: ErrorMatcher | None = None
        if isinstance(expected, str):
            self.reason = expected
        elif isinstance(expected, ErrorType):
            self.error = expected()
        elif isinstance(expected, ErrorMatcher):
            self.error = expected
        elif isinstance(expected, bytes | bytearray):
            data = bytes(expected)
        elif expected is not None:
            raise TypeError(
                "reverts() takes a reason string, a custom error (contract.errors.X or "
                f"X(arg=...)) or bytes, got {type(expected).__name__}"
            )
        self.match = re.compile(match) if match is not None else None
        self.panic = panic
        self.data = data
        self.exception: TransactionFailed | None = None

    def __enter__(self) -> reverts:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc is None:
            raise AssertionError(f"expected {self._expected()}, but nothing failed")
        if not isinstance(exc, TransactionFailed):
            return False  # not ours: let it through
        self.exception = exc
        problem = self._mismatch(exc)
        if problem is not None:
            raise AssertionError(
                f"expected {self._expected()}, but {exc.what} {exc.reason}{problem}"
            ) from exc
        return True

    def _expected(self) -> str:
        parts = []
        if self.reason is not None:
            parts.append(f"a revert with reason {self.reason!r}")
        if self.error is not None:
            parts.append(f"a revert with {self.error!r}")
        if self.match is not None:
            parts.append(f"a failure matching /{self.match.pattern}/")
        if self.panic is not None:
            parts.append(f"a panic {self.panic:#04x}")
        if self.data is not None:
            parts.append(f"revert data 0x{self.data.hex()}")
        return " and ".join(parts) or "a failure"

    def _mismatch(self, exc: TransactionFailed) -> str | None:
        data = exc.revert_data
        if self.reason is not None and revert_string(data) != self.reason:
            return ""
        if self.error is not None and not self.error.matches(data):
            return ""
        if self.panic is not None and panic_code(data) != self.panic:
            return ""
        if self.data is not None and data != self.data:
            return f" (data 0x{data.hex()})"
        if self.match is not None:
            text = revert_string(data)
            found = text is not None and self.match.search(text)
            if not found and not self.match.search(exc.reason):
                return ""
        return None


def expect_events(
    receipt: Receipt | Sequence[Event],
    expected: Sequence[EventMatcher | EventType | Event],
    ordered: bool = True,
    exact: bool = False,
) -> list[Event]:
    """Assert that the receipt's events include `expected` (matchers such as
    `token.events.Transfer(to=bob)`, where omitted arguments match anything; a bare event type
    matches any of its kind). `ordered`: in this order (others may come between unless
    `exact`); `exact`: no other events at all. Returns the matched events.
    """
    events = list(receipt.events if isinstance(receipt, Receipt) else receipt)
    wants = [_matcher(item) for item in expected]
    matched: list[Event] = []
    if exact and len(events) != len(wants):
        _fail(wants, events, f"expected exactly {len(wants)} events, got {len(events)}")
    if ordered:
        position = 0
        for want in wants:
            while position < len(events) and not _matches(want, events[position]):
                if exact:
                    _fail(wants, events, f"event {position} is not {want!r}")
                position += 1
            if position == len(events):
                _fail(wants, events, f"no {want!r} (in order)")
            matched.append(events[position])
            position += 1
    else:
        free = list(range(len(events)))
        for want in wants:
            index = next((i for i in free if _matches(want, events[i])), None)
            if index is None:
                _fail(wants, events, f"no {want!r}")
            assert index is not None
            free.remove(index)
            matched.append(events[index])
    return matched


def _matcher(item: EventMatcher | EventType | Event) -> EventMatcher | Event:
    if isinstance(item, EventType):
        return item()
    return item


def _matches(want: EventMatcher | Event, event: Event) -> bool:
    return want.matches(event) if isinstance(want, EventMatcher) else want == event


def _fail(wants: Sequence[Any], events: Sequence[Event], why: str) -> None:
    listed = "\n".join(f"  {e!r}" for e in events) or "  (none)"
    raise AssertionError(f"{why}\nexpected: {list(wants)!r}\nemitted:\n{listed}")


@contextmanager
def balance_changes(
    chain: Chain, expected: Mapping[Any, int], include_fees: bool = False
) -> Iterator[None]:
    """Assert how the block changes ETH balances, in wei: `{alice: -100, bob: 100}`.

    With `include_fees` False (the default) the gas each account paid for the transactions it
    sent inside the block is added back, so only the value moved counts.
    """
    addresses = [to_address(a) for a in expected]
    before = {a: chain.get_balance(a) for a in addresses}
    fees: dict[bytes, int] = {}

    def on_receipt(receipt: Receipt) -> None:
        fees[receipt.sender] = fees.get(receipt.sender, 0) + receipt.fee

    chain.on_transaction.append(on_receipt)
    try:
        yield
    finally:
        chain.on_transaction.remove(on_receipt)
    problems = []
    for key, address in zip(expected, addresses, strict=True):
        change = chain.get_balance(address) - before[address]
        if not include_fees:
            change += fees.get(bytes(address), 0)
        if change != expected[key]:
            problems.append(
                f"  {_name(chain, address)}: expected {expected[key]:+}, changed {change:+}"
                + ("" if include_fees else f" (fees {fees.get(bytes(address), 0)} added back)")
            )
    if problems:
        raise AssertionError("balance changes differ:\n" + "\n".join(problems))


@contextmanager
def token_balance_changes(token: Contract, expected: Mapping[Any, int]) -> Iterator[None]:
    """Assert how the block changes `token.balanceOf` of each account: `{alice: -10}`."""
    addresses = [to_address(a) for a in expected]
    balance_of = token.functions.get("balanceOf(address)")
    if balance_of is None:
        raise TypeError(f"{token.contract_name} has no balanceOf(address): not an ERC-20")
    before = {a: balance_of.call(a) for a in addresses}
    yield
    problems = []
    for key, address in zip(expected, addresses, strict=True):
        change = balance_of.call(address) - before[address]
        if change != expected[key]:
            problems.append(
                f"  {_name(token.chain, address)}: expected {expected[key]:+}, changed {change:+}"
            )
    if problems:
        raise AssertionError(
            f"{token.contract_name} balance changes differ:\n" + "\n".join(problems)
        )


def _name(chain: Chain, address: Address) -> str:
    label = chain.labels.get(address)
    return f"{label} ({address})" if label else str(address)


__all__ = [
    "balance_changes",
    "expect_events",
    "reverts",
    "token_balance_changes",
]

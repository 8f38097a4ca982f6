"""Invariant testing, as forge does it, on hypothesis's stateful testing.

Subclass `ContractMachine`, add invariants with hypothesis's `@invariant()`, and run it against
a deployed contract with `run_state_machine`. The machine gets a rule per function of the
contract that changes state (views and pure functions are left out, and so is anything in
`exclude`), its arguments drawn by `args_strategy`, its sender drawn from `senders`, and ether
for payable functions. A call that reverts is counted, not a failure (unless `fail_on_revert`),
as a fuzzer's random calls mostly should be refused; the invariants must hold after every step.

Each run of the machine starts from a snapshot of the chain and is reverted when it ends, so
runs do not see each other's transactions. When a run fails, hypothesis shrinks it to the
shortest sequence of calls that still breaks an invariant and prints it.

hypothesis is imported with this module: import it only in tests that use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hypothesis import settings as Settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from pyeth.testing import plugin
from pyeth.testing.strategies import AbiTypeError, args_strategy

__all__ = ["CallStats", "ContractMachine", "run_state_machine"]

# Ether sent to payable functions when the class does not say: up to 10 ether, shrinking to 0.
DEFAULT_MAX_VALUE = 10 * 10**18


@dataclass(slots=True)
class CallStats:
    """How often each function was called in a `run_state_machine`, and how often it reverted."""

    calls: dict[str, int] = field(default_factory=dict)
    reverts: dict[str, int] = field(default_factory=dict)
    runs: int = 0
    skipped: int = 0  # seconds the clock was moved on by the skip_time rule, over all runs

    def succeeded(self, signature: str) -> int:
        return self.calls.get(signature, 0) - self.reverts.get(signature, 0)

    def __str__(self) -> str:
        width = max((len(s) for s in self.calls), default=8)
        lines = [f"{'function'.ljust(width)}  calls  reverts  ({self.runs} runs)"]
        for signature in sorted(self.calls):
            calls, reverts = self.calls[signature], self.reverts.get(signature, 0)
            lines.append(f"{signature.ljust(width)}  {calls:5}  {reverts:7}")
        return "\n".join(lines)


class ContractMachine(RuleBasedStateMachine):
    """A state machine whose rules are a contract's functions; see the module docstring.

    Class attributes a subclass may set: `exclude` (function names or signatures to leave out),
    `include` (only these), `fail_on_revert`, `max_value` (ether for payable functions),
    `bounds` (keyword arguments for args_strategy, such as {"max_value": 10**24}) and
    `max_skip` (seconds: adds a rule that moves the clock 0..max_skip seconds on, for contracts
    whose behaviour depends on time).
    In a method, `self.chain`, `self.contract`, `self.senders` and the keyword arguments given
    to run_state_machine (as attributes) are at hand; `self.stats` counts calls and reverts.
    """

    exclude: ClassVar[Sequence[str]] = ()
    include: ClassVar[Sequence[str] | None] = None
    fail_on_revert: ClassVar[bool] = False
    max_value: ClassVar[int] = DEFAULT_MAX_VALUE
    bounds: ClassVar[Mapping[str, Any]] = {}
    max_skip: ClassVar[int | None] = None

    chain: Any
    contract: Any
    senders: list[Any]
    stats: CallStats

    def __init__(self) -> None:
        super().__init__()
        context = type(self)._context
        self.chain = context["chain"]
        self.contract = context["contract"]
        self.senders = context["senders"]
        self.stats = context["stats"]
        for name, value in context["attributes"].items():
            setattr(self, name, value)
        self.stats.runs += 1
        plugin.count_example()
        self._snapshot = plugin.ISOLATION.open(self.chain, f"{type(self).__name__} run")

    _context: ClassVar[dict[str, Any]] = {}

    def teardown(self) -> None:
        plugin.ISOLATION.close(self.chain, self._snapshot)

    def call_function(self, signature: str, args: Sequence[Any], sender: Any, value: int) -> Any:
        """Send one call the machine drew; a revert is counted (or raised if fail_on_revert)."""
        from pyeth.testing.contracts import TransactionFailed

        stats = self.stats
        stats.calls[signature] = stats.calls.get(signature, 0) + 1
        function = self.contract.functions[signature]
        try:
            return function.transact(*args, sender=sender, value=value)
        except TransactionFailed:
            stats.reverts[signature] = stats.reverts.get(signature, 0) + 1
            if self.fail_on_revert:
                raise
            return None


def run_state_machine(
    machine: type[ContractMachine],
    contract: Any,
    *,
    senders: Iterable[Any] | None = None,
    chain: Any = None,
    settings: Settings | Mapping[str, Any] | None = None,
    **attributes: Any,
) -> CallStats:
    """Run `machine` against `contract` as a hypothesis test; raise if an invariant breaks.

    senders: who sends the calls (default: the chain's first five accounts).
    settings: hypothesis settings (or a dict of them), e.g. {"max_examples": 50,
        "stateful_step_count": 20}; no deadline unless one is given.
    attributes: set on each machine instance (e.g. token=token for the invariants).
    Returns the calls and reverts per function, so a test can check the fuzzer got somewhere.
    """
    chain = chain if chain is not None else contract.chain
    sender_list = list(senders) if senders is not None else list(chain.accounts[:5])
    if not sender_list:
        raise ValueError("run_state_machine: senders is empty; give at least one account")
    stats = CallStats()
    rules = _rules(machine, chain, contract, sender_list)
    if not rules:
        raise AbiTypeError(
            f"run_state_machine: {getattr(contract, 'name', 'the contract')} has no function "
            f"that changes state left to call (exclude={list(machine.exclude)}, "
            f"include={machine.include})"
        )
    namespace: dict[str, Any] = dict(rules)
    namespace["_context"] = {
        "chain": chain,
        "contract": contract,
        "senders": sender_list,
        "stats": stats,
        "attributes": attributes,
    }
    bound = type(machine.__name__, (machine,), namespace)
    # No deadline unless asked: a step's time depends on the machine's load (as in the plugin).
    if settings is None:
        settings = Settings(deadline=None)
    elif isinstance(settings, Mapping):
        settings = Settings(**{"deadline": None, **settings})
    run_state_machine_as_test(bound, settings=settings)
    return stats


def _rules(
    machine: type[ContractMachine], chain: Any, contract: Any, senders: list[Any]
) -> dict[str, Any]:
    """A hypothesis rule per state-changing function of `contract`, named after it."""
    wanted = set(machine.include) if machine.include is not None else None
    excluded = set(machine.exclude)
    names_seen: set[str] = set()
    for name in [*excluded, *(wanted or ())]:
        if not any(name in (f.name, f.signature) for f in contract.functions.values()):
            raise AbiTypeError(
                f"{machine.__name__}: no function {name!r} in {getattr(contract, 'name', '')} "
                f"(exclude/include take names or signatures)"
            )
    rules: dict[str, Any] = {}
    sender_strategy = st.sampled_from(senders)
    for signature, function in sorted(contract.functions.items()):
        if function.is_view or {function.name, signature} & excluded:
            continue
        if wanted is not None and not {function.name, signature} & wanted:
            continue
        rule_name = f"call_{function.name}"
        if rule_name in names_seen:  # overloads: one rule each
            rule_name = f"call_{function.name}_{len(names_seen)}"
        names_seen.add(rule_name)
        value = st.integers(0, machine.max_value) if function.payable else st.just(0)
        # Addresses in arguments come from the chain's accounts and contracts (and anywhere).
        arguments = args_strategy(function.abi, **{"chain": chain, **machine.bounds})
        rules[rule_name] = _rule_for(rule_name, signature, arguments, sender_strategy, value)
    if rules and machine.max_skip:
        rules["skip_time"] = _skip_rule(machine.max_skip)
    return rules


def _skip_rule(max_skip: int) -> Any:
    # Round spans as often as any other value: a lock or a vesting period is usually a minute,
    # an hour, a day or a week, and a uniform draw up to days rarely lands past one.
    spans = sorted({s for s in (1, 60, 3600, 86400, 7 * 86400) if s < max_skip} | {max_skip})
    seconds = st.one_of(st.sampled_from(spans), st.integers(1, max_skip))

    @rule(seconds=seconds)
    def skip_time(self: ContractMachine, seconds: int) -> None:
        self.chain.skip(seconds)
        self.stats.skipped += seconds

    return skip_time


def _rule_for(name: str, signature: str, arguments: Any, senders: Any, value: Any) -> Any:
    @rule(args=arguments, sender=senders, value=value)
    def call(self: ContractMachine, args: tuple[Any, ...], sender: Any, value: int) -> None:
        self.call_function(signature, args, sender, value)

    call.__name__ = name  # hypothesis prints a failing run as `state.<name>(...)` calls
    return call

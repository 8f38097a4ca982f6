"""Running a message against a state without a transaction: what eth_call, eth_estimateGas and
eth_createAccessList do.

A call is checked as loosely as geth checks it (no signature, no nonce check, a zero gas price
allowed whatever the base fee) but executed exactly as a transaction would be: the same gas
purchase, nonce bump, warm accounts, creation address and refund cap. Nothing is ever committed:
`run_call` undoes its own changes, so one `State` serves a whole binary search. State overrides
are applied to that state first, by `apply_overrides`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from evm.addresses import create_address
from evm.context import Context, MessageHook
from evm.errors import EVMError, OutOfGas, Revert
from evm.forks import ForkRules
from evm.frame import BlockEnv, Frame, Message, TxEnv
from evm.gas import MAX_REFUND_QUOTIENT
from evm.interpreter import address_collides, process_create, process_message
from pyeth.errors import PyethError
from pyeth.state import State
from pyeth.transactions import AccessList, intrinsic_gas
from pyeth.transactions.intrinsic import calldata_floor_gas

ERROR_SELECTOR: Final = bytes.fromhex("08c379a0")  # Error(string)
CUSTOM_ERROR_WORDS: Final = 4  # a custom error's argument words a message shows, at most
PANIC_SELECTOR: Final = bytes.fromhex("4e487b71")  # Panic(uint256)
PANIC_REASONS: Final = {
    0x00: "generic panic",
    0x01: "assert(false)",
    0x11: "arithmetic underflow or overflow",
    0x12: "division or modulo by zero",
    0x21: "enum overflow",
    0x22: "invalid encoded storage byte array accessed",
    0x31: "out-of-bounds array access; popping on an empty array",
    0x32: "out-of-bounds access of an array or bytesN",
    0x41: "out of memory",
    0x51: "uninitialized function",
}


# geth's words for why a frame halted, by the EVM error's class name (eth_call's errors and the
# call trees of the contract harness say it the same way).
HALT_WORDS: Final = {
    "OutOfGas": "out of gas",
    "InvalidOpcode": "invalid opcode",
    "InvalidJump": "invalid jump destination",
    "StackUnderflow": "stack underflow",
    "StackOverflow": "stack limit reached 1024",
    "StaticWrite": "write protection",
    "ReturnDataOutOfBounds": "return data out of bounds",
    "InvalidContract": "invalid code: must not begin with 0xef",
    "PrecompileFailure": "precompiled contract failed",
}


class CallError(PyethError):
    """The call cannot run at all (funds, intrinsic gas, fee cap): geth's -32000 errors."""


class ExecutionReverted(PyethError):
    """The call ran and reverted; `data` is the revert data (the RPC's error code 3), the
    message says what it can of it (`revert_message`)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        super().__init__(revert_message(data))


class ExecutionFailed(PyethError):
    """The call ran and failed without reverting (out of gas, invalid opcode, ...)."""


@dataclass(slots=True)
class CallRequest:
    """A transaction-shaped request with every field optional, as JSON-RPC clients send it.

    Fee fields: `gas_price` (legacy) or `max_fee_per_gas`/`max_priority_fee_per_gas`; with none
    of them the call pays nothing for gas.
    """

    sender: bytes = bytes(20)
    to: bytes | None = None
    value: int = 0
    data: bytes = b""
    gas: int | None = None
    gas_price: int | None = None
    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    access_list: AccessList = ()
    nonce: int | None = None
    blob_hashes: tuple[bytes, ...] = ()

    def price(self, base_fee: int) -> int:
        """What the caller pays per unit of gas."""
        if self.max_fee_per_gas is not None or self.max_priority_fee_per_gas is not None:
            fee_cap = self.max_fee_per_gas if self.max_fee_per_gas is not None else base_fee
            tip = self.max_priority_fee_per_gas or 0
            if fee_cap == 0 and tip == 0:
                return 0
            return min(fee_cap, base_fee + tip)
        return self.gas_price or 0


@dataclass(slots=True)
class CallOutcome:
    """What running a call produced."""

    success: bool
    output: bytes
    gas_used: int  # after the refund, as a receipt would say
    gas_spent: int  # before the refund: what the gas limit must cover
    logs: list[tuple[bytes, tuple[bytes, ...], bytes]] = field(default_factory=list)
    error: EVMError | None = None
    contract_address: bytes | None = None

    @property
    def reverted(self) -> bool:
        return isinstance(self.error, Revert)

    def raise_for_failure(self) -> None:
        """Raise ExecutionReverted or ExecutionFailed unless the call succeeded."""
        if self.success:
            return
        if self.reverted:
            raise ExecutionReverted(self.output)
        raise ExecutionFailed(_describe_halt(self.error))


@dataclass(slots=True)
class AccountOverride:
    """eth_call's state override for one account; `state` replaces all storage, `state_diff`
    changes some slots."""

    balance: int | None = None
    nonce: int | None = None
    code: bytes | None = None
    state: Mapping[int, int] | None = None
    state_diff: Mapping[int, int] | None = None


def apply_overrides(state: State, overrides: Mapping[bytes, AccountOverride]) -> None:
    """Change `state` (a throwaway one) as the overrides say."""
    for address, override in overrides.items():
        if override.balance is not None:
            state.set_balance(address, override.balance)
        if override.nonce is not None:
            state.set_nonce(address, override.nonce)
        if override.code is not None:
            state.set_code(address, override.code)
        if override.state is not None:
            # mark_created empties the storage; begin_transaction forgets the creation mark.
            state.mark_created(address)
            for key, value in override.state.items():
                state.set_storage(address, key, value)
        if override.state_diff is not None:
            for key, value in override.state_diff.items():
                state.set_storage(address, key, value)
    state.begin_transaction()  # the overrides are the call's starting point, not undoable


def run_call(
    state: State,
    env: BlockEnv,
    rules: ForkRules,
    request: CallRequest,
    gas: int,
    tracer: AccessTracer | None = None,
    *,
    message_hook: MessageHook | None = None,
    origin: bytes | None = None,
) -> CallOutcome:
    """Execute `request` with `gas` on `state`, then undo every change it made.

    `message_hook` is told of every message the call runs (evm.context.MessageHook); `origin`
    is what ORIGIN reads instead of the sender (the contract harness's prank cheat).

    Raises:
        CallError: the request cannot run (gas below intrinsic, funds, fee cap below base fee).
    """
    data, to, sender, value = request.data, request.to, request.sender, request.value
    intrinsic = intrinsic_gas(data, to is None, request.access_list)
    floor = calldata_floor_gas(data) if rules.calldata_floor else 0  # EIP-7623 (Prague)
    if gas < max(intrinsic, floor):
        raise CallError(f"intrinsic gas too low: have {gas}, want {max(intrinsic, floor)}")
    price = request.price(env.base_fee)
    if price and request.max_fee_per_gas is not None and request.max_fee_per_gas < env.base_fee:
        raise CallError(
            f"max fee per gas less than block base fee: maxFeePerGas: {request.max_fee_per_gas}, "
            f"baseFee: {env.base_fee}"
        )
    balance = state.get_balance(sender)
    if balance < gas * price + value:
        raise CallError(
            f"insufficient funds for gas * price + value: address 0x{sender.hex()} "
            f"have {balance} want {gas * price + value}"
        )
    state.begin_transaction(
        warm_accounts=(sender, env.coinbase, *rules.precompiles),
        warm_slots=((address, key) for address, keys in request.access_list for key in keys),
    )
    try:
        for address, _keys in request.access_list:
            state.warm_account(address)
        state.set_balance(sender, balance - gas * price)
        nonce = state.get_nonce(sender)
        state.set_nonce(sender, nonce + 1)
        tx_env = TxEnv(sender if origin is None else origin, price, request.blob_hashes)
        context = Context(state, env, tx_env, rules, tracer, message_hook)
        left = gas - intrinsic
        created = None
        if to is None:
            created = create_address(sender, nonce)
            state.warm_account(created)
            message = Message(
                sender, created, created, value, b"", left, data, is_create=True, kind="CREATE"
            )
            result = None if address_collides(state, created) else process_create(message, context)
        else:
            state.warm_account(to)
            message = Message(sender, to, to, value, data, left, state.get_code(to))
            result = process_message(message, context)
        if result is None:
            return CallOutcome(False, b"", gas, gas, error=EVMError("contract address collision"))
        spent = gas - result.gas_left
        refund = min(spent // MAX_REFUND_QUOTIENT, result.refund) if result.success else 0
        return CallOutcome(
            result.success,
            result.output,
            max(spent - refund, floor),
            max(spent, floor),
            list(result.logs) if result.success else [],
            result.error if isinstance(result.error, EVMError) else None,
            created if result.success else None,
        )
    finally:
        state.revert(0)


def estimate_gas(
    state: State, env: BlockEnv, rules: ForkRules, request: CallRequest, cap: int
) -> int:
    """The least gas limit with which `request` succeeds, by binary search (as geth does).

    Raises:
        CallError: the request cannot run even with all of `cap` (funds, ...).
        ExecutionReverted: it reverts with all the gas it may have.
        ExecutionFailed: it fails otherwise with all the gas it may have.
    """
    hi = request.gas if request.gas is not None else cap
    price = request.price(env.base_fee)
    if price:
        allowance = (state.get_balance(request.sender) - request.value) // price
        if allowance < hi:
            if allowance < intrinsic_gas(request.data, request.to is None, request.access_list):
                raise CallError(
                    f"insufficient funds for gas * price + value: address 0x{request.sender.hex()}"
                )
            hi = allowance
    outcome = run_call(state, env, rules, request, hi)
    if not outcome.success:
        if outcome.reverted:
            raise ExecutionReverted(outcome.output)
        if hi == cap or request.gas is not None:
            raise ExecutionFailed(
                f"gas required exceeds allowance ({hi})"
                if _is_out_of_gas(outcome.error)
                else _describe_halt(outcome.error)
            )
        raise ExecutionFailed(_describe_halt(outcome.error))
    lo = outcome.gas_spent - 1
    # Most calls need only what they spent plus the 1/64 that a CALL withholds: try that first.
    optimistic = min(hi, (outcome.gas_spent + outcome.gas_spent // 63 + 2300))
    if optimistic < hi and _succeeds(state, env, rules, request, optimistic):
        hi = optimistic
    while lo + 1 < hi:
        mid = (lo + hi) // 2
        if _succeeds(state, env, rules, request, mid):
            hi = mid
        else:
            lo = mid
    return hi


def _succeeds(
    state: State, env: BlockEnv, rules: ForkRules, request: CallRequest, gas: int
) -> bool:
    try:
        return run_call(state, env, rules, request, gas).success
    except CallError:
        return False


# Opcodes whose first stack operand (from the top) is an address they read, and those whose
# second is (the CALL family).
_ADDRESS_ON_TOP: Final = frozenset((0x31, 0x3B, 0x3C, 0x3F, 0xFF))
_ADDRESS_SECOND: Final = frozenset((0xF1, 0xF2, 0xF4, 0xFA))
_SLOAD: Final = 0x54
_SSTORE: Final = 0x55


class AccessTracer:
    """Records the accounts and storage slots a call touches (geth's access-list tracer)."""

    def __init__(self) -> None:
        self.slots: dict[bytes, set[int]] = {}

    def __call__(self, frame: Frame, op: int) -> None:
        stack = frame.stack
        if op in (_SLOAD, _SSTORE):
            if stack:
                self.slots.setdefault(frame.message.target, set()).add(stack[-1])
        elif op in _ADDRESS_ON_TOP:
            if stack:
                self.slots.setdefault(_address(stack[-1]), set())
        elif op in _ADDRESS_SECOND and len(stack) >= 2:
            self.slots.setdefault(_address(stack[-2]), set())

    def access_list(self, exclude: set[bytes]) -> AccessList:
        """The recorded accesses, less `exclude`'s accounts unless they had slots touched."""
        return tuple(
            (address, tuple(sorted(keys)))
            for address, keys in self.slots.items()
            if keys or address not in exclude
        )


def _address(word: int) -> bytes:
    return (word & (2**160 - 1)).to_bytes(20, "big")


def create_access_list(
    state: State, env: BlockEnv, rules: ForkRules, request: CallRequest, gas: int
) -> tuple[AccessList, CallOutcome]:
    """The access list of `request` and the outcome of running it with that list, repeated
    until the list stops changing (an access list changes gas, which can change the path)."""
    exclude = {request.sender, *rules.precompiles}
    if request.to is not None:
        exclude.add(request.to)
    access_list = request.access_list
    for _ in range(8):
        tracer = AccessTracer()
        attempt = _replace_access_list(request, access_list)
        run_call(state, env, rules, attempt, gas, tracer)
        if request.to is None:
            exclude.add(create_address(request.sender, state.get_nonce(request.sender)))
        found = tracer.access_list(exclude)
        if found == access_list:
            break
        access_list = found
    final = _replace_access_list(request, access_list)
    return access_list, run_call(state, env, rules, final, gas)


def _replace_access_list(request: CallRequest, access_list: AccessList) -> CallRequest:
    return replace(request, access_list=access_list)


def revert_reason(data: bytes) -> str | None:
    """The reason in Solidity's Error(string) or Panic(uint256) revert data, if it is one."""
    if data[:4] == ERROR_SELECTOR and len(data) >= 4 + 64:
        try:
            offset = int.from_bytes(data[4:36], "big")
            length = int.from_bytes(data[4 + offset : 36 + offset], "big")
            start = 36 + offset
            if start + length > len(data):
                return None
            return data[start : start + length].decode("utf-8", "replace")
        except (ValueError, OverflowError):
            return None
    if data[:4] == PANIC_SELECTOR and len(data) == 36:
        code = int.from_bytes(data[4:], "big")
        return PANIC_REASONS.get(code, f"unknown panic code: {code:#x}")
    return None


def revert_message(data: bytes) -> str:
    """An eth_call/eth_estimateGas error message for revert data: geth's `execution reverted`
    with the Error(string) reason or the Panic's meaning, or else what the node can say without
    an ABI (`custom_error_text`): clients print the message, and most print nothing else."""
    reason = revert_reason(data)
    if reason is None and data:
        reason = custom_error_text(data)
    return f"execution reverted: {reason}" if reason else "execution reverted"


def custom_error_text(data: bytes) -> str:
    """Revert data that is neither Error(string) nor Panic(uint256), as text: its selector, as
    anvil says it (`custom error 0x1167d8fb`), then its arguments when they are a few whole
    words, each a hex number (`(0x64, 0x1f4)`), or else their size; data shorter than a
    selector as hex."""
    if len(data) < 4:
        return f"revert data 0x{data.hex()}"
    text = f"custom error 0x{data[:4].hex()}"
    arguments = data[4:]
    if not arguments:
        return text
    if len(arguments) % 32 == 0 and len(arguments) // 32 <= CUSTOM_ERROR_WORDS:
        words = (arguments[start : start + 32] for start in range(0, len(arguments), 32))
        return f"{text}({', '.join(hex(int.from_bytes(word, 'big')) for word in words)})"
    return f"{text} with {len(arguments)} bytes of arguments (in the error's data)"


def _is_out_of_gas(error: EVMError | None) -> bool:
    return isinstance(error, OutOfGas)


def _describe_halt(error: EVMError | Exception | None) -> str:
    """geth's words for an exceptional halt."""
    if error is None:
        return "execution failed"
    name = type(error).__name__
    text = str(error)
    base = HALT_WORDS.get(name, name)
    return f"{base}: {text}" if text and name not in ("OutOfGas",) and text != base else base

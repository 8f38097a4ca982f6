"""The harness's calls: `pyeth.calls.run_call` for a call that pays nothing for gas, which is
every call the harness makes (it sends no fee fields, so the price is 0, as eth_call's).

At price 0, run_call's purchase of gas sets the sender's balance to what it already is, and
the harness passes the same warm accounts (sender, coinbase, precompiles) each time, so this
path leaves out that no-op and takes the warm tuple from the caller, which caches it: the rest
(checks, their messages, the nonce bump, the message, gas, refund and floor, the undo) is
run_call's, step for step. tests/unit/testing/test_testing_calls.py runs both on the same
calls and compares the outcomes, errors and state.
"""

from __future__ import annotations

from typing import Any

from evm.context import Context, MessageHook
from evm.errors import EVMError
from evm.forks import ForkRules
from evm.frame import BlockEnv, Message, TxEnv
from evm.gas import MAX_REFUND_QUOTIENT
from evm.interpreter import process_message
from pyeth.calls import CallError, CallOutcome
from pyeth.state import State
from pyeth.transactions import intrinsic_gas
from pyeth.transactions.intrinsic import calldata_floor_gas


def free_call(
    state: State,
    env: BlockEnv,
    rules: ForkRules,
    warm: tuple[bytes, ...],
    sender: bytes,
    to: bytes,
    value: int,
    data: bytes,
    gas: int,
    tracer: Any = None,
    hook: MessageHook | None = None,
    origin: bytes | None = None,
) -> CallOutcome:
    """Run a price-0 call of `to` as run_call would, then undo every change it made.

    `warm` must be `(sender, env.coinbase, *rules.precompiles)`, run_call's warm accounts.

    Raises:
        CallError: the call cannot run (gas below intrinsic, value above the balance), with
            run_call's words.
    """
    intrinsic = intrinsic_gas(data, False, ())
    floor = calldata_floor_gas(data) if rules.calldata_floor else 0  # EIP-7623 (Prague)
    if gas < max(intrinsic, floor):
        raise CallError(f"intrinsic gas too low: have {gas}, want {max(intrinsic, floor)}")
    balance = state.get_balance(sender)
    if balance < value:
        raise CallError(
            f"insufficient funds for gas * price + value: address 0x{sender.hex()} "
            f"have {balance} want {value}"
        )
    state.begin_transaction(warm_accounts=warm)
    try:
        # The nonce bump creates an absent sender's account, as run_call's balance write does.
        state.set_nonce(sender, state.get_nonce(sender) + 1)
        context = Context(
            state, env, TxEnv(sender if origin is None else origin, 0, ()), rules, tracer, hook
        )
        state.warm_account(to)
        message = Message(sender, to, to, value, data, gas - intrinsic, state.get_code(to))
        result = process_message(message, context)
        spent = gas - result.gas_left
        if not result.success:
            error = result.error
            return CallOutcome(
                False,
                result.output,
                max(spent, floor),
                max(spent, floor),
                [],
                error if isinstance(error, EVMError) else None,
            )
        refund = min(spent // MAX_REFUND_QUOTIENT, result.refund)
        return CallOutcome(
            True, result.output, max(spent - refund, floor), max(spent, floor), list(result.logs)
        )
    finally:
        state.revert(0)

"""System calls: the messages the protocol itself sends to its system contracts around a block's
transactions, from SYSTEM_ADDRESS with 30M gas that nobody pays for and that does not count
against the block, moving no value.

- Start of block: EIP-4788 stores the parent beacon block root (Cancun), EIP-2935 the parent
  block hash in the history contract (Prague).
- End of block (Prague): EIP-7002 withdrawal requests and EIP-7251 consolidation requests are
  read out of their contracts ("dequeued"); their output is the requests' bytes.

For the contracts' published bytecode the effect of each call is done in Python
(`system_contracts`); other code at these addresses runs in the interpreter.

The start-of-block calls are unchecked: without code at the address nothing happens, and a
failing call changes nothing (as in geth, whose call to a missing account creates nothing). The
request calls are checked: a contract without code, or a call that does not succeed, makes the
block invalid. This module knows nothing of transactions or receipts.
"""

from __future__ import annotations

from typing import Final

from evm.context import Context
from evm.forks import ForkRules
from evm.frame import BlockEnv, Message, MessageResult, TxEnv
from evm.interpreter import process_message
from pyeth.chain import system_contracts as published
from pyeth.errors import InvalidBlock
from pyeth.state import State

SYSTEM_ADDRESS: Final = bytes.fromhex("fffffffffffffffffffffffffffffffffffffffe")
SYSTEM_CALL_GAS: Final = 30_000_000
BEACON_ROOTS_ADDRESS: Final = bytes.fromhex("000f3df6d732807ef1319fb7b8bb8522d0beac02")
HISTORY_STORAGE_ADDRESS: Final = bytes.fromhex("0000f90827f1c53a10cb7a02335b175320002935")
WITHDRAWAL_REQUEST_ADDRESS: Final = bytes.fromhex("00000961ef480eb55e80d19ad83579a64c007002")
CONSOLIDATION_REQUEST_ADDRESS: Final = bytes.fromhex("0000bbddc7ce488642fb579f8b00f3a590007251")
_PUBLISHED_QUEUES: Final = {
    WITHDRAWAL_REQUEST_ADDRESS: published.WITHDRAWAL_REQUEST_CODE_HASH,
    CONSOLIDATION_REQUEST_ADDRESS: published.CONSOLIDATION_REQUEST_CODE_HASH,
}


def system_call(
    state: State, env: BlockEnv, rules: ForkRules, address: bytes, data: bytes
) -> MessageResult | None:
    """Call the system contract at `address` with `data`; None when it has no code.

    On success, accounts the call touched and left empty are removed (EIP-161), as after a
    transaction.
    """
    code = state.get_code(address)
    if not code:
        return None
    state.begin_transaction(warm_accounts=(SYSTEM_ADDRESS, address))
    message = Message(
        caller=SYSTEM_ADDRESS,
        target=address,
        code_address=address,
        value=0,
        data=data,
        gas=SYSTEM_CALL_GAS,
        code=code,
        should_transfer_value=False,
    )
    context = Context(state, env, TxEnv(SYSTEM_ADDRESS, 0, ()), rules)
    result = process_message(message, context)
    if result.success:
        for touched in result.touched:
            if state.account_exists(touched) and state.is_empty(touched):
                state.destroy_account(touched)
    return result


def process_beacon_root(
    state: State, env: BlockEnv, parent_beacon_block_root: bytes, rules: ForkRules
) -> None:
    """EIP-4788: store the parent beacon block root through the beacon roots contract."""
    if state.get_code_hash(BEACON_ROOTS_ADDRESS) == published.BEACON_ROOTS_CODE_HASH:
        published.store_beacon_root(
            state, BEACON_ROOTS_ADDRESS, env.timestamp, parent_beacon_block_root
        )
    else:
        system_call(state, env, rules, BEACON_ROOTS_ADDRESS, parent_beacon_block_root)


def process_parent_block_hash(
    state: State, env: BlockEnv, parent_hash: bytes, rules: ForkRules
) -> None:
    """EIP-2935: store the parent block's hash in the history contract (Prague)."""
    if state.get_code_hash(HISTORY_STORAGE_ADDRESS) == published.HISTORY_STORAGE_CODE_HASH:
        published.store_parent_hash(state, HISTORY_STORAGE_ADDRESS, env.number, parent_hash)
    else:
        system_call(state, env, rules, HISTORY_STORAGE_ADDRESS, parent_hash)


def dequeue_requests(state: State, env: BlockEnv, rules: ForkRules, address: bytes) -> bytes:
    """EIP-7002, EIP-7251: the requests the contract at `address` releases in this block.

    Raises:
        InvalidBlock: the contract has no code, or the call did not succeed.
    """
    if state.get_code_hash(address) == _PUBLISHED_QUEUES.get(address) and (
        published.queue_is_idle(state, address)
    ):
        return b""
    result = system_call(state, env, rules, address, b"")
    if result is None:
        raise InvalidBlock(f"system contract 0x{address.hex()} has no code")
    if not result.success:
        raise InvalidBlock(f"system contract 0x{address.hex()} call failed: {result.error!r}")
    return result.output

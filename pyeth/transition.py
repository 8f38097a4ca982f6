"""The state transition of one transaction: check it against the state, buy its gas, run its
message through the EVM, refund, pay the coinbase and clean up (EIP-161, EIP-6780).

A transaction that fails a check raises InvalidTransaction and leaves the state untouched; one
that runs, even if its execution fails, is included and charged.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from evm.addresses import create_address
from evm.context import Context, MessageHook
from evm.delegation import delegated_address, designator
from evm.forks import ForkRules
from evm.frame import BlockEnv, Message, TxEnv
from evm.gas import GAS_AUTH_BASE, GAS_AUTH_PER_EMPTY_ACCOUNT
from evm.interpreter import address_collides, process_create, process_message
from evm.tracing import StepHook
from pyeth.errors import InvalidSignature, InvalidTransaction
from pyeth.fees import blob_gas
from pyeth.state import State
from pyeth.transactions import check_type, impersonated_sender
from pyeth.transactions.authorization import recover_authority
from pyeth.transactions.intrinsic import calldata_floor_gas, transaction_intrinsic_gas
from pyeth.transactions.model import (
    AccessListTransaction,
    Authorization,
    BlobTransaction,
    LegacyTransaction,
    SetCodeTransaction,
    Transaction,
)

MAX_NONCE = 2**64 - 1
VERSIONED_HASH_VERSION_KZG = 0x01


@dataclass(slots=True)
class TransactionResult:
    """The outcome of an included transaction."""

    success: bool
    gas_used: int
    output: bytes
    logs: list[tuple[bytes, tuple[bytes, ...], bytes]] = field(default_factory=list)
    contract_address: bytes | None = None
    blob_gas_used: int = 0
    error: Exception | None = None  # as the EVM's MessageResult carries it


def effective_gas_price(tx: Transaction, base_fee: int) -> int:
    """What the sender pays per gas: the legacy gas price, or base fee plus the capped tip."""
    if isinstance(tx, LegacyTransaction | AccessListTransaction):
        return tx.gas_price
    return base_fee + min(tx.max_priority_fee_per_gas, tx.max_fee_per_gas - base_fee)


def check_transaction(
    state: State,
    block: BlockEnv,
    tx: Transaction,
    sender: bytes,
    rules: ForkRules,
    gas_available: int | None = None,
) -> int:
    """Check `tx` against the block and the sender's account; return its effective gas price.

    Raises InvalidTransaction naming the rule that failed.
    """
    return _check(state, block, tx, sender, rules, gas_available)[0]


def _check(
    state: State,
    block: BlockEnv,
    tx: Transaction,
    sender: bytes,
    rules: ForkRules,
    gas_available: int | None,
) -> tuple[int, int, int]:
    """check_transaction's work; the effective gas price, the intrinsic gas and the calldata
    floor (0 before Prague), which apply_transaction uses again."""
    check_type(tx, rules)
    if isinstance(tx, SetCodeTransaction):
        if tx.to is None:
            raise InvalidTransaction("set-code transaction cannot create a contract")
        if not tx.authorization_list:
            raise InvalidTransaction("set-code transaction has an empty authorization list")
    intrinsic = transaction_intrinsic_gas(tx, rules.initcode_word_gas)
    floor = calldata_floor_gas(tx.data) if rules.calldata_floor else 0  # EIP-7623 (Prague)
    if tx.gas_limit < max(intrinsic, floor):
        raise InvalidTransaction(
            f"intrinsic gas too low: have {tx.gas_limit}, want {max(intrinsic, floor)}"
        )
    if rules.tx_gas_limit_cap is not None and tx.gas_limit > rules.tx_gas_limit_cap:
        raise InvalidTransaction(
            f"gas limit {tx.gas_limit} above the transaction cap {rules.tx_gas_limit_cap}"
        )
    if tx.nonce >= MAX_NONCE:
        raise InvalidTransaction("nonce has max value (2**64 - 1)")
    initcode_limit = rules.max_initcode_size
    if tx.to is None and initcode_limit is not None and len(tx.data) > initcode_limit:
        raise InvalidTransaction(f"max initcode size exceeded: {len(tx.data)} > {initcode_limit}")
    limit = block.gas_limit if gas_available is None else gas_available
    if tx.gas_limit > limit:
        raise InvalidTransaction(f"gas limit {tx.gas_limit} exceeds block gas available {limit}")
    if isinstance(tx, LegacyTransaction | AccessListTransaction):
        if tx.gas_price < block.base_fee:
            raise InvalidTransaction(
                f"gas price {tx.gas_price} less than block base fee {block.base_fee}"
            )
        max_gas_fee = tx.gas_limit * tx.gas_price
    else:
        if tx.max_fee_per_gas < tx.max_priority_fee_per_gas:
            raise InvalidTransaction("max priority fee per gas higher than max fee per gas")
        if tx.max_fee_per_gas < block.base_fee:
            raise InvalidTransaction(
                f"max fee per gas {tx.max_fee_per_gas} less than block base fee {block.base_fee}"
            )
        max_gas_fee = tx.gas_limit * tx.max_fee_per_gas
    price = effective_gas_price(tx, block.base_fee)
    if isinstance(tx, BlobTransaction):
        hashes = tx.blob_versioned_hashes
        if tx.to is None:
            raise InvalidTransaction("blob transaction cannot create a contract")
        if not hashes:
            raise InvalidTransaction("blob transaction has no blob versioned hashes")
        for versioned_hash in hashes:
            if len(versioned_hash) != 32 or versioned_hash[0] != VERSIONED_HASH_VERSION_KZG:
                raise InvalidTransaction("blob versioned hash has the wrong version byte")
        if len(hashes) > rules.max_blobs_in_tx:
            raise InvalidTransaction(
                f"too many blobs in transaction: {len(hashes)} > {rules.max_blobs_in_tx}"
            )
        if tx.max_fee_per_blob_gas < block.blob_base_fee:
            raise InvalidTransaction(
                f"max fee per blob gas {tx.max_fee_per_blob_gas} less than blob base fee "
                f"{block.blob_base_fee}"
            )
        max_gas_fee += blob_gas(len(hashes)) * tx.max_fee_per_blob_gas
    nonce = state.get_nonce(sender)
    if nonce != tx.nonce:
        which = "too low" if tx.nonce < nonce else "too high"
        raise InvalidTransaction(f"nonce {which}: transaction has {tx.nonce}, account has {nonce}")
    balance = state.get_balance(sender)
    if balance < max_gas_fee + tx.value:
        raise InvalidTransaction(
            f"insufficient funds for gas * price + value: have {balance}, "
            f"want {max_gas_fee + tx.value}"
        )
    if sends_as_contract(state, tx, sender, rules):
        raise InvalidTransaction("sender is not an externally owned account (EIP-3607)")
    return price, intrinsic, floor


def sends_as_contract(state: State, tx: Transaction, sender: bytes, rules: ForkRules) -> bool:
    """EIP-3607: a sender with code (other than a delegation from Prague on) sends nothing,
    except as a dev node's impersonation (anvil lets a test send as a contract)."""
    code = state.get_code(sender)
    if not code or (rules.set_code and delegated_address(code) is not None):
        return False
    return impersonated_sender(tx) is None


def apply_transaction(
    state: State,
    block: BlockEnv,
    tx: Transaction,
    sender: bytes,
    rules: ForkRules,
    gas_available: int | None = None,
    *,
    message_hook: MessageHook | None = None,
    origin: bytes | None = None,
    tracer: StepHook | None = None,
) -> TransactionResult:
    """Check and execute `tx`; on InvalidTransaction the state is untouched.

    `message_hook` is told of every message the transaction runs (see evm.context.MessageHook):
    how the contract test harness collects console.log lines and call trees. `origin` is what
    ORIGIN reads instead of the sender: the harness's prank(sender, origin) cheat, as forge's.
    `tracer` is called before each instruction (evm.tracing.StepHook): the harness's coverage.
    """
    price, intrinsic, floor = _check(state, block, tx, sender, rules, gas_available)
    blob_hashes = tx.blob_versioned_hashes if isinstance(tx, BlobTransaction) else ()
    blob_gas_used = blob_gas(len(blob_hashes))

    # Buy the gas and bump the nonce.
    warm = (sender, block.coinbase) if rules.warm_coinbase else (sender,)  # EIP-3651
    state.begin_transaction(
        warm_accounts=(*warm, *rules.precompiles),
        warm_slots=((address, key) for address, keys in tx.access_list for key in keys),
    )
    for address, _keys in tx.access_list:
        state.warm_account(address)
    state.set_balance(
        sender,
        state.get_balance(sender) - tx.gas_limit * price - blob_gas_used * block.blob_base_fee,
    )
    nonce = state.get_nonce(sender)
    state.set_nonce(sender, nonce + 1)
    gas = tx.gas_limit - intrinsic
    auth_refund = 0
    if isinstance(tx, SetCodeTransaction):
        auth_refund = set_delegations(state, tx.authorization_list, block.chain_id)

    context = Context(
        state,
        block,
        TxEnv(sender if origin is None else origin, price, blob_hashes),
        rules,
        tracer=tracer,
        message_hook=message_hook,
    )
    contract_address = None
    if tx.to is None:
        contract_address = create_address(sender, nonce)
        state.warm_account(contract_address)
        message = Message(
            caller=sender,
            target=contract_address,
            code_address=contract_address,
            value=tx.value,
            data=b"",
            gas=gas,
            code=tx.data,
            is_create=True,
            kind="CREATE",
        )
        if address_collides(state, contract_address):
            result = None
        else:
            result = process_create(message, context)
    else:
        state.warm_account(tx.to)
        code_address = tx.to
        code = state.get_code(tx.to)
        delegate = delegated_address(code) if rules.set_code else None
        if delegate is not None:
            state.warm_account(delegate)
            code_address, code = delegate, state.get_code(delegate)
        message = Message(
            caller=sender,
            target=tx.to,
            code_address=code_address,
            value=tx.value,
            data=tx.data,
            gas=gas,
            code=code,
            disable_precompiles=delegate is not None,
        )
        result = process_message(message, context)

    if result is None:  # address collision: all gas consumed, nothing executed
        gas_left, refund, success, output, logs, error = 0, 0, False, b"", [], None
        to_destroy: set[bytes] = set()
        touched: set[bytes] = set()
    else:
        gas_left, success, output = result.gas_left, result.success, result.output
        error = result.error
        if success:
            refund, logs = result.refund, result.logs
            to_destroy, touched = result.to_destroy, result.touched
        else:
            refund, logs, to_destroy, touched = 0, [], set(), set()

    # Refund (capped at a fifth from London, EIP-3529, half before; Prague: never below the
    # calldata floor, EIP-7623) and pay the coinbase its tip (before London: all of the fee).
    refund += auth_refund
    gas_used = tx.gas_limit - gas_left
    gas_used -= min(gas_used // rules.refund_quotient, refund)
    gas_used = max(gas_used, floor)
    state.set_balance(sender, state.get_balance(sender) + (tx.gas_limit - gas_used) * price)
    tip = gas_used * (price - block.base_fee)
    coinbase = block.coinbase
    if tip:
        state.set_balance(coinbase, state.get_balance(coinbase) + tip)
    elif state.account_exists(coinbase) and state.is_empty(coinbase):
        state.destroy_account(coinbase)

    for address in to_destroy:
        state.destroy_account(address)
    for address in touched:
        if state.account_exists(address) and state.is_empty(address):
            state.destroy_account(address)

    return TransactionResult(
        success=success,
        gas_used=gas_used,
        output=output,
        logs=logs,
        contract_address=contract_address if success else None,
        blob_gas_used=blob_gas_used,
        error=error,
    )


def set_delegations(state: State, authorizations: Iterable[Authorization], chain_id: int) -> int:
    """Install the EIP-7702 delegations of a set-code transaction; return the gas refund.

    An authorization that does not apply (wrong chain, bad signature, the authority has code
    that is not a delegation, or a different nonce) is skipped, never an error. Each authority
    is warmed; one that already exists refunds 25,000 - 12,500 of its intrinsic cost.
    """
    refund = 0
    for auth in authorizations:
        if auth.chain_id not in (0, chain_id) or auth.nonce >= MAX_NONCE:
            continue
        try:
            authority = recover_authority(auth)
        except (InvalidSignature, InvalidTransaction):
            continue
        state.warm_account(authority)
        code = state.get_code(authority)
        if code and delegated_address(code) is None:
            continue
        if state.get_nonce(authority) != auth.nonce:
            continue
        if state.account_exists(authority):
            refund += GAS_AUTH_PER_EMPTY_ACCOUNT - GAS_AUTH_BASE
        state.set_code(authority, b"" if auth.address == bytes(20) else designator(auth.address))
        state.set_nonce(authority, auth.nonce + 1)
    return refund

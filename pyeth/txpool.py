"""The transaction pool: signed transactions waiting for a block, by sender and nonce.

A transaction is checked on entry against the rules that need no execution: its static validity
(type, chain id, signature, intrinsic gas; `validate_static`) and the next block's fork (set-code
transactions from Prague, the calldata floor, Osaka's gas limit cap), then against the head state
and the next block: nonce not below the account's, fee cap not below the next base fee, balance
for gas times fee cap plus value, gas limit within the block's, a sender without code (or, from
Prague, delegated). A transaction for a (sender, nonce)
already held replaces it only with both fees raised by at least `price_bump` percent.

Per sender, the transactions whose nonces run on without a gap from the account nonce are
*pending* (a block can take them now); the others are *queued* until the gap fills. The pool
holds at most `max_size` transactions; when full, a newcomer must outbid the cheapest sender's
last transaction, which is evicted. When the head moves, included transactions leave, those of
blocks that a reorg removed come back (re-checked), and queued ones whose gap filled are
promoted. The pool never executes a transaction and never touches the database: block building
is the sealer's job, and the chain reports what was included.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Final

from evm.forks import ForkRules
from pyeth.chain import Chain, ChainEvent
from pyeth.chain.forks import since
from pyeth.chain.validation import calc_base_fee, calc_excess_blob_gas
from pyeth.errors import InvalidTransaction
from pyeth.fees import blob_base_fee, blob_gas
from pyeth.state import State
from pyeth.transactions import (
    BlobTransaction,
    Transaction,
    encode_transaction,
    recover_sender,
    validate_static,
)
from pyeth.transactions.blobs import BlobSidecar, verify_sidecar
from pyeth.transactions.intrinsic import calldata_floor_gas
from pyeth.transactions.model import SetCodeTransaction
from pyeth.transition import sends_as_contract

DEFAULT_MAX_SIZE: Final = 8192
DEFAULT_PRICE_BUMP: Final = 10  # percent, as geth's --txpool.pricebump
MAX_NONCE_GAP: Final = 4096  # a queued nonce further ahead of the account than this is refused
MAX_TX_SIZE: Final = 128 * 1024  # bytes of one transaction's wire form, as geth's txMaxSize


class Rejected(InvalidTransaction):
    """The pool refused a transaction; the message is geth's wording, which clients match on."""


@dataclass(slots=True)
class PooledTransaction:
    """A transaction in the pool, with what the pool learned about it on entry."""

    tx: Transaction
    sender: bytes
    hash: bytes
    raw: bytes
    arrival: int  # entry order, to break price ties first come first served

    @property
    def nonce(self) -> int:
        return self.tx.nonce


def effective_tip(tx: Transaction, base_fee: int) -> int:
    """What a transaction pays its block's proposer per gas at `base_fee` (negative if it cannot
    be included)."""
    return min(tx.max_priority_fee_per_gas, tx.max_fee_per_gas - base_fee)


class TxPool:
    """Pending and queued transactions by sender and nonce, checked against `chain`'s head.

    Args:
        chain: where the head state, the next base fee and the chain id come from.
        max_size: transactions held at most, pending and queued together.
        price_bump: the percentage by which a replacement must raise both fees.
    """

    def __init__(
        self, chain: Chain, max_size: int = DEFAULT_MAX_SIZE, price_bump: int = DEFAULT_PRICE_BUMP
    ) -> None:
        self.chain = chain
        self.max_size = max_size
        self.price_bump = price_bump
        self._by_hash: dict[bytes, PooledTransaction] = {}
        self._by_sender: dict[bytes, dict[int, PooledTransaction]] = {}
        self._arrivals = 0
        self.version = 0  # bumped by every change of what the pool holds
        self._state: State | None = None
        self._state_root = b""
        self._listeners: list[Callable[[PooledTransaction], None]] = []

    # --- reading --------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._by_hash)

    def __contains__(self, tx_hash: object) -> bool:
        return tx_hash in self._by_hash

    def get(self, tx_hash: bytes) -> PooledTransaction | None:
        return self._by_hash.get(tx_hash)

    def head_state(self) -> State:
        """A read-only state at the chain's head: the chain's own post-state of the head while
        it keeps one (the senders' accounts are loaded there already), else one of our own,
        kept while the head stays. Not to be held across a block being built."""
        root = self.chain.head.state_root
        kept = self.chain.kept_state(root)
        if kept is not None:
            return kept
        if self._state is None or self._state_root != root:
            self._state = self.chain.head_state()
            self._state_root = root
        return self._state

    def next_base_fee(self) -> int:
        return calc_base_fee(self.chain.head)

    def next_rules(self) -> ForkRules:
        """The rules of the next block, as of one second after the head (as geth's pool)."""
        head = self.chain.head
        return self.chain.config.rules_at(head.number + 1, head.timestamp + 1)

    def account_nonce(self, sender: bytes) -> int:
        return self.head_state().get_nonce(sender)

    def next_nonce(self, sender: bytes) -> int:
        """The nonce a new transaction from `sender` should take: after its pending ones."""
        nonce = self.account_nonce(sender)
        held = self._by_sender.get(sender, {})
        while nonce in held:
            nonce += 1
        return nonce

    def pending(self) -> dict[bytes, list[PooledTransaction]]:
        """Per sender, the transactions a block could take now, in nonce order."""
        out = {}
        for sender, held in self._by_sender.items():
            run = self._executable(sender, held)
            if run:
                out[sender] = run
        return out

    def queued(self) -> dict[bytes, list[PooledTransaction]]:
        """Per sender, the transactions waiting for a nonce gap to fill, in nonce order."""
        out = {}
        for sender, held in self._by_sender.items():
            executable = {p.nonce for p in self._executable(sender, held)}
            waiting = [held[n] for n in sorted(held) if n not in executable]
            if waiting:
                out[sender] = waiting
        return out

    def _executable(
        self, sender: bytes, held: dict[int, PooledTransaction]
    ) -> list[PooledTransaction]:
        run = []
        nonce = self.account_nonce(sender)
        while nonce in held:
            run.append(held[nonce])
            nonce += 1
        return run

    def ordered(self, base_fee: int | None = None) -> Iterator[PooledTransaction]:
        """The pending transactions in block order: the best-paying sender's next transaction
        first, each sender's in nonce order (geth's price-and-nonce ordering)."""
        base_fee = self.next_base_fee() if base_fee is None else base_fee
        runs = [run for run in self.pending().values()]
        heap = [
            (-effective_tip(run[0].tx, base_fee), run[0].arrival, i, 0)
            for i, run in enumerate(runs)
        ]
        heapq.heapify(heap)
        while heap:
            _, _, i, position = heapq.heappop(heap)
            run = runs[i]
            yield run[position]
            if position + 1 < len(run):
                following = run[position + 1]
                tip = effective_tip(following.tx, base_fee)
                heapq.heappush(heap, (-tip, following.arrival, i, position + 1))

    def subscribe(self, callback: Callable[[PooledTransaction], None]) -> Callable[[], None]:
        """Call `callback` with every transaction that becomes pending; returns the
        unsubscribe function."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback)

    # --- adding ---------------------------------------------------------------------------

    def add(
        self, tx: Transaction, raw: bytes | None = None, sidecar: BlobSidecar | None = None
    ) -> PooledTransaction:
        """Check `tx` and hold it; returns its pool entry. A blob transaction comes with its
        `sidecar` (blobs, commitments, proofs), and `raw` is then its network form.

        Raises:
            Rejected: a rule refused it (the message says which); the pool is unchanged.
        """
        raw = encode_transaction(tx) if raw is None else raw
        tx_hash = tx.hash
        if tx_hash in self._by_hash:
            raise Rejected("already known")
        size = len(encode_transaction(tx)) if sidecar is not None else len(raw)  # blobs aside
        if size > MAX_TX_SIZE:
            raise Rejected(f"oversized data: transaction size {size}, limit {MAX_TX_SIZE}")
        rules = self.next_rules()
        self._check_fork_rules(tx, rules)
        if isinstance(tx, BlobTransaction):
            self._check_blobs(tx, sidecar, rules)
        try:
            validate_static(tx, chain_id=self.chain.chain_id, rules=rules)
            sender = recover_sender(tx)
        except Rejected:
            raise
        except InvalidTransaction as exc:
            raise Rejected(_geth_wording(str(exc))) from None
        if rules.calldata_floor and tx.gas_limit < calldata_floor_gas(tx.data):  # EIP-7623
            raise Rejected(
                f"insufficient gas for floor data gas cost: gas {tx.gas_limit}, "
                f"minimum needed {calldata_floor_gas(tx.data)}"
            )
        self._check_against_state(tx, sender, rules)
        held = self._by_sender.get(sender, {})
        old = held.get(tx.nonce)
        if old is not None:
            self._check_replacement(old.tx, tx)
        elif len(self._by_hash) >= self.max_size:
            self._make_room(tx)
        self._arrivals += 1
        self.version += 1
        entry = PooledTransaction(tx, sender, tx_hash, raw, self._arrivals)
        was_pending = {p.hash for p in self._executable(sender, held)}
        if old is not None:
            del self._by_hash[old.hash]
        self._by_sender.setdefault(sender, {})[tx.nonce] = entry
        self._by_hash[tx_hash] = entry
        for promoted in self._executable(sender, self._by_sender[sender]):
            if promoted.hash not in was_pending:
                self._announce(promoted)
        return entry

    def _check_blobs(
        self, tx: BlobTransaction, sidecar: BlobSidecar | None, rules: ForkRules
    ) -> None:
        """A blob transaction needs its blobs, proofs that hold (EIP-7594's cell proofs from
        Osaka on), no more blobs than a transaction may have, and a blob fee cap at or above
        the next block's blob base fee."""
        if sidecar is None:
            # Without the blobs nobody could check them: the pool takes the network form only.
            raise Rejected(
                "blob transaction without its blobs: send the network form "
                "(type 3 with blobs, commitments and proofs)"
            )
        count = len(tx.blob_versioned_hashes)
        if count > rules.max_blobs_in_tx:
            raise Rejected(f"too many blobs in transaction: {count} > {rules.max_blobs_in_tx}")
        try:
            verify_sidecar(tx, sidecar, cell_proofs=since(rules, "Osaka"))
        except InvalidTransaction as exc:
            raise Rejected(str(exc)) from None
        head = self.chain.head
        blob_fee = blob_base_fee(calc_excess_blob_gas(head, rules), rules.blob_update_fraction)
        if tx.max_fee_per_blob_gas < blob_fee:
            raise Rejected(
                f"max fee per blob gas less than block blob gas fee: "
                f"maxFeePerBlobGas: {tx.max_fee_per_blob_gas}, blobBaseFee: {blob_fee}"
            )

    def _check_fork_rules(self, tx: Transaction, rules: ForkRules) -> None:
        """Whether the next block's fork takes `tx`'s type (geth's wording)."""
        if tx.TYPE not in rules.tx_types:
            raise Rejected("transaction type not supported")
        if isinstance(tx, SetCodeTransaction) and not tx.authorization_list:
            raise Rejected("EIP-7702 transaction with empty auth list")

    def _check_against_state(self, tx: Transaction, sender: bytes, rules: ForkRules) -> None:
        state = self.head_state()
        nonce = state.get_nonce(sender)
        if tx.nonce < nonce:
            raise Rejected(f"nonce too low: next nonce {nonce}, tx nonce {tx.nonce}")
        if tx.nonce > nonce + MAX_NONCE_GAP:
            raise Rejected(f"nonce too high: next nonce {nonce}, tx nonce {tx.nonce}")
        gas_limit = self.chain.head.gas_limit
        if tx.gas_limit > gas_limit:
            raise Rejected(f"exceeds block gas limit: {tx.gas_limit} > {gas_limit}")
        if rules.tx_gas_limit_cap is not None and tx.gas_limit > rules.tx_gas_limit_cap:
            raise Rejected(
                f"transaction gas limit too high (cap: {rules.tx_gas_limit_cap}, "
                f"tx: {tx.gas_limit})"
            )
        base_fee = self.next_base_fee()
        if tx.max_fee_per_gas < base_fee:
            raise Rejected(
                f"max fee per gas less than block base fee: address 0x{sender.hex()}, "
                f"maxFeePerGas: {tx.max_fee_per_gas}, baseFee: {base_fee}"
            )
        cost = tx.gas_limit * tx.max_fee_per_gas + tx.value
        if isinstance(tx, BlobTransaction):
            cost += blob_gas(len(tx.blob_versioned_hashes)) * tx.max_fee_per_blob_gas
        balance = state.get_balance(sender)
        if balance < cost:
            raise Rejected(
                f"insufficient funds for gas * price + value: address 0x{sender.hex()} "
                f"have {balance} want {cost}"
            )
        if sends_as_contract(state, tx, sender, rules):
            raise Rejected(f"sender not an eoa: address 0x{sender.hex()}")

    def _check_replacement(self, old: Transaction, new: Transaction) -> None:
        bump = 100 + self.price_bump
        if (
            new.max_fee_per_gas * 100 < old.max_fee_per_gas * bump
            or new.max_priority_fee_per_gas * 100 < old.max_priority_fee_per_gas * bump
        ):
            raise Rejected("replacement transaction underpriced")

    def _make_room(self, tx: Transaction) -> None:
        """Evict the cheapest sender-last transaction if `tx` pays more; else refuse `tx`."""
        base_fee = self.next_base_fee()
        victim = min(
            (held[max(held)] for held in self._by_sender.values()),
            key=lambda p: (effective_tip(p.tx, base_fee), p.tx.max_fee_per_gas, -p.arrival),
        )
        price = (effective_tip(tx, base_fee), tx.max_fee_per_gas)
        if price <= (effective_tip(victim.tx, base_fee), victim.tx.max_fee_per_gas):
            raise Rejected("transaction underpriced: the pool is full of better-paying ones")
        self._drop(victim)

    def _announce(self, entry: PooledTransaction) -> None:
        for callback in list(self._listeners):
            callback(entry)

    # --- removing -------------------------------------------------------------------------

    def _drop(self, entry: PooledTransaction) -> None:
        self.version += 1
        self._by_hash.pop(entry.hash, None)
        held = self._by_sender.get(entry.sender)
        if held is not None and held.get(entry.nonce) is entry:
            del held[entry.nonce]
            if not held:
                del self._by_sender[entry.sender]

    def clear(self) -> None:
        """Drop every transaction (anvil_dropAllTransactions, a reset)."""
        for entry in list(self._by_hash.values()):
            self._drop(entry)

    def remove(self, tx_hashes: Iterable[bytes]) -> None:
        """Drop these transactions (a sealer found them unincludable)."""
        for tx_hash in tx_hashes:
            entry = self._by_hash.get(tx_hash)
            if entry is not None:
                self._drop(entry)

    def on_chain_event(self, event: ChainEvent) -> None:
        """Follow a head change: drop what is now included or stale, take back what a reorg
        removed, and announce what became pending."""
        added = {h for item in event.added for h in item.block.transaction_hashes}
        before = {p.hash for run in self.pending().values() for p in run}
        self._drop_stale()
        for item in event.removed:
            for tx in item.block.transactions:
                if tx.hash in added or tx.hash in self._by_hash:
                    continue
                try:
                    entry = self.add(tx)
                except Rejected:
                    continue  # now invalid (its nonce was used on the new branch, funds, ...)
                before.add(entry.hash)  # add() announced it if it is pending
        for run in self.pending().values():
            for entry in run:
                if entry.hash not in before:
                    self._announce(entry)

    def _drop_stale(self) -> None:
        """Drop every transaction whose nonce the head state has used."""
        state = self.head_state()
        for sender in list(self._by_sender):
            nonce = state.get_nonce(sender)
            for entry in [p for n, p in self._by_sender[sender].items() if n < nonce]:
                self._drop(entry)


def _geth_wording(message: str) -> str:
    """The static checks' messages, reworded where clients match geth's text."""
    if message.startswith("gas limit") and "intrinsic gas" in message:
        return f"intrinsic gas too low: {message}"
    if "chain id" in message or "signs for chain" in message:
        return f"invalid chain id: {message}"
    if message.startswith("signature") or message.startswith("invalid v"):
        return f"invalid sender: {message}"
    return message

"""The harness's in-process chain: the node's genesis, accounts, state and transaction rules
(`pyeth.transition.apply_transaction`, `pyeth.calls.run_call`, the same EVM) without the
node's storage, so a test's transaction costs what its execution costs.

What makes it fast, and what it gives up (docs/decisions.md, "The contract test harness"):
- State stays in memory (`pyeth.state.State`); a snapshot is a position in the state's
  journal, which is kept across transactions while any snapshot is live, so snapshot and
  revert are a list length and an undo of the entries since.
- A block is a light record (number, timestamp, base fee, gas, receipts), a block per
  transaction by default. No state, transaction or receipt root is computed per block: a
  block hash (BLOCKHASH, `get_block`) is the hash of a header built on demand whose roots
  are left empty, and `state_root()` computes the current state's root when asked.
- Transactions are built unsigned with the placeholder signature of the node's impersonated
  ones: the harness knows the sender, so no key is needed and no signature is recovered.
- The start-of-block system calls (EIP-4788 beacon root, EIP-2935 history) and the end-of-block
  requests are not run: no test transaction can tell, short of reading those contracts.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any, Final, Self, cast

from evm.frame import BlockEnv
from pyeth.accounts import DEFAULT_MNEMONIC, DEV_BALANCE, derive_accounts
from pyeth.calls import CallError, CallOutcome
from pyeth.chain.forks import since
from pyeth.chain.genesis import dev_genesis
from pyeth.chain.validation import calc_base_fee
from pyeth.errors import InvalidTransaction
from pyeth.hashing import keccak256, sha256
from pyeth.sedes import BlockHeader
from pyeth.state import Account as StateAccount
from pyeth.state import State
from pyeth.testing.abi import Address, to_address
from pyeth.testing.artifacts import (
    ABIMismatch,
    Artifact,
    ArtifactError,
    from_abi_and_bytecode,
    load_artifact,
    missing_selectors,
)
from pyeth.testing.calls import free_call
from pyeth.testing.console import ConsoleCollector
from pyeth.testing.contracts import (
    Contract,
    ContractFunction,
    ErrorType,
    Event,
    EventType,
    Log,
    Receipt,
    RegistryDescriber,
    TransactionRejected,
    describe_failure,
    failure_class,
)
from pyeth.transactions import intrinsic_gas
from pyeth.transactions.model import AccessListTransaction, FeeMarketTransaction
from pyeth.transactions.signing import mark_impersonated
from pyeth.transition import apply_transaction
from pyeth.trie import EMPTY_TRIE_ROOT

Transaction = FeeMarketTransaction | AccessListTransaction  # the kinds the harness sends

DEFAULT_CHAIN_ID: Final = 1337
EMPTY_OMMERS_HASH: Final = keccak256(bytes.fromhex("c0"))
ZERO_HASH: Final = bytes(32)


class Account(Address):
    """A dev account: its address (this object is the 20 bytes) and `key`, its private key."""

    key: bytes

    def __new__(cls, address: bytes, key: bytes = b"") -> Self:
        account = super().__new__(cls, address)
        account.key = key
        return account

    def __repr__(self) -> str:
        return f"<Account {self.checksum}>"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Account, (bytes(self), self.key))


class _JournalState(State):
    """The node's in-memory State, keeping its journal across transactions while the chain
    has a live snapshot (the base class starts each transaction with an empty journal)."""

    keep_journal = False

    def begin_transaction(self, warm_accounts: Any = (), warm_slots: Any = ()) -> None:
        if not self.keep_journal:
            State.begin_transaction(self, warm_accounts, warm_slots)
            return
        kept = self._journal
        self._journal = []  # the one the base class clears
        State.begin_transaction(self, warm_accounts, warm_slots)
        self._journal = kept


@dataclass(slots=True)
class Block:
    """A light block record: what a test reads of a block. The header and hash are built only
    when asked (`Chain.get_block`)."""

    number: int
    timestamp: int
    base_fee_per_gas: int
    gas_limit: int
    coinbase: bytes
    prev_randao: bytes
    gas_used: int = 0
    receipts: list[Receipt] = field(default_factory=list)
    parent: Block | None = field(default=None, repr=False)
    _hash: bytes | None = field(default=None, repr=False)

    @property
    def header(self) -> BlockHeader:
        """The header, with empty roots (the harness computes none per block)."""
        return BlockHeader(
            parent_hash=self.parent.hash if self.parent is not None else ZERO_HASH,
            ommers_hash=EMPTY_OMMERS_HASH,
            coinbase=self.coinbase,
            state_root=EMPTY_TRIE_ROOT,
            transactions_root=EMPTY_TRIE_ROOT,
            receipts_root=EMPTY_TRIE_ROOT,
            logs_bloom=bytes(256),
            difficulty=0,
            number=self.number,
            gas_limit=self.gas_limit,
            gas_used=self.gas_used,
            timestamp=self.timestamp,
            extra_data=b"",
            prev_randao=self.prev_randao,
            nonce=bytes(8),
            base_fee_per_gas=self.base_fee_per_gas,
        )

    @property
    def hash(self) -> bytes:
        if self._hash is None:
            # Iteratively from the oldest unhashed ancestor: no recursion limit on long chains.
            chain = []
            block: Block | None = self
            while block is not None and block._hash is None:
                chain.append(block)
                block = block.parent
            for item in reversed(chain):
                item._hash = item.header.hash
        assert self._hash is not None
        return self._hash


class _BlockHashes(Sequence[bytes]):
    """BlockEnv.block_hashes for a block: the up to 256 before it, hashed only if BLOCKHASH
    asks."""

    def __init__(self, chain: Chain, number: int) -> None:
        self._chain = chain
        self._number = number
        self._len = min(256, number)

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._len))]
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError(index)
        block = self._chain._block_by_number(self._number - self._len + index)
        return ZERO_HASH if block is None else block.hash


@dataclass(slots=True)
class _Snapshot:
    journal: int
    blocks: int
    pending: tuple[Block, int, int] | None  # the open block, its receipt count and gas used
    next_timestamp: int | None
    next_number: int | None
    default_sender: bytes
    prank_origin: bytes | None


@dataclass(slots=True)
class _Rerun:
    """What re-running a transaction traced needs: the state position before it, the block
    environment, the transaction, and the chain's version just after it."""

    position: int
    env: BlockEnv
    tx: Transaction
    sender: bytes
    origin: bytes | None
    gas_available: int
    version: int


@dataclass(slots=True)
class _CallRerun:
    """A failed call, kept to be re-run traced if its failure is shown."""

    sender: bytes
    to: bytes
    value: int
    data: bytes
    gas: int
    origin: bytes | None
    env: BlockEnv
    version: int


class Chain:
    """An in-process chain for tests: the dev accounts, a block per transaction (or batched
    with `automine=False` and `mine()`), snapshots, and the cheats (prank, warp, deal, ...).

    Args:
        fork: the rules (`osaka`, `prague`, ... as `pyeth node --hardfork`); the latest by
            default.
        timestamp: block 0's timestamp (the wall clock by default); each block is one second
            after the one before unless warped.
        coverage: record which instructions and branches run (`start_coverage`).

    Blocks more than `receipt_history` (1024) back keep their record but drop their receipts,
    so a long run's memory stays flat.
    """

    def __init__(
        self,
        fork: str | None = None,
        chain_id: int = DEFAULT_CHAIN_ID,
        accounts: int = 10,
        balance: int = DEV_BALANCE,
        mnemonic: str = DEFAULT_MNEMONIC,
        automine: bool = True,
        timestamp: int | None = None,
        base_fee: int | None = None,
        gas_limit: int | None = None,
        coverage: bool = False,
    ) -> None:
        derived = derive_accounts(mnemonic, accounts)
        self.accounts: list[Account] = [Account(a.address, a.private_key) for a in derived]
        genesis = dev_genesis(chain_id, [a.address for a in derived], balance, fork)
        self.genesis = genesis
        self.chain_id = chain_id
        self.automine = automine
        now = int(time.time()) if timestamp is None else timestamp
        self.rules = genesis.config.rules_at(1, now + 1)
        # Before London (Berlin) there is no base fee and no type-2 transaction: the harness
        # sends type-1 transactions at a gas price of 0.
        self._fee_market = since(self.rules, "London")
        genesis_block = Block(
            number=0,
            timestamp=now,
            base_fee_per_gas=0
            if not self._fee_market
            else genesis.base_fee_per_gas
            if base_fee is None
            else base_fee,
            gas_limit=genesis.gas_limit if gas_limit is None else gas_limit,
            coinbase=genesis.coinbase,
            prev_randao=genesis.mix_hash,
        )
        self.fork = self.rules.name.lower()
        self.state = _JournalState()
        for address, account in genesis.alloc.items():
            self._fill(address, account)
        self.state.begin_transaction()  # genesis is where no revert goes back past
        self._blocks: list[Block] = [genesis_block]
        self._by_number: dict[int, Block] = {0: genesis_block}
        self._pending: Block | None = None
        self._next_timestamp: int | None = None
        self._next_number: int | None = None
        self._snapshots: list[_Snapshot] = []
        self._snapshot_ids: list[int] = []  # increasing, beside _snapshots
        self._next_snapshot_id = 0
        self.coinbase = genesis.coinbase
        self._default_sender: Address = self.accounts[0] if self.accounts else Address(bytes(20))
        self._origin = bytes(self._default_sender)
        self.labels: dict[bytes, str] = {}
        self.contracts: dict[bytes, Contract] = {}
        self._events_by_topic: dict[bytes, EventType] = {}
        self._errors: dict[bytes, ErrorType] = {}
        self.on_transaction: list[Callable[[Receipt], None]] = []
        self.call_count = 0
        self.tx_count = 0
        self.last_receipt: Receipt | None = None
        self._version = 0  # bumped by every change to the state, to tell a stale re-run
        self._gas_cap = self.rules.tx_gas_limit_cap or genesis_block.gas_limit
        self._prank_origin: bytes | None = None  # ORIGIN under prank(sender, origin)
        # The warm accounts of a call (sender, coinbase, precompiles) by (sender, coinbase).
        self._call_warm: dict[tuple[bytes, bytes], tuple[bytes, ...]] = {}
        self.print_console = True  # console.log lines to stdout as they come
        self.receipt_history = 1024  # blocks that keep their receipts (get_block(n).receipts)
        self._env: BlockEnv
        # Coverage (pyeth.testing.coverage): the step hook transactions and calls run with,
        # None when off so that the untraced loop runs; the artefacts deployed, to map code.
        self.coverage: Any = None
        self._tracer: Any = None
        self._deployed: list[tuple[Artifact, bytes]] = []
        self._open()
        if coverage:
            self.start_coverage()

    def __repr__(self) -> str:
        return (
            f"<Chain {self.fork} id {self.chain_id} at block {self.block_number}, "
            f"{len(self._snapshot_ids)} snapshot(s) live>"
        )

    @property
    def version(self) -> int:
        """A counter bumped by every change a snapshot would undo (transactions, blocks,
        cheats, warps, the default sender, reverts): equal values mean an unchanged chain."""
        return self._version

    @property
    def default_sender(self) -> Address:
        """Who sends transactions and calls that name no sender (accounts[0]; see prank)."""
        return self._default_sender

    @default_sender.setter
    def default_sender(self, address: Any) -> None:
        self._default_sender = to_address(address)
        self._origin = bytes(self._default_sender)
        self._version += 1

    def _fill(self, address: bytes, account: StateAccount) -> None:
        state = self.state
        if account.balance:
            state.set_balance(address, account.balance)
        if account.nonce:
            state.set_nonce(address, account.nonce)
        if account.code:
            state.set_code(address, account.code)
        for key, value in account.storage.items():
            state.set_storage(address, key, value)

    # --- blocks -------------------------------------------------------------------------

    @property
    def head(self) -> Block:
        return self._blocks[-1]

    @property
    def block_number(self) -> int:
        """The number of the latest sealed block."""
        return self._blocks[-1].number

    @property
    def timestamp(self) -> int:
        """The timestamp of the latest sealed block."""
        return self._blocks[-1].timestamp

    @property
    def pending_timestamp(self) -> int:
        """The timestamp the next block (and calls) see."""
        return self._open().timestamp

    @property
    def base_fee(self) -> int:
        """The base fee of the next block."""
        return self._open().base_fee_per_gas

    def _open(self) -> Block:
        """The block transactions go into now, opened on first use."""
        block = self._pending
        if block is None:
            head = self._blocks[-1]
            number = self._next_number if self._next_number is not None else head.number + 1
            stamp = self._next_timestamp if self._next_timestamp is not None else head.timestamp + 1
            block = Block(
                number=number,
                timestamp=stamp,
                # calc_base_fee reads only base_fee_per_gas, gas_limit and gas_used.
                base_fee_per_gas=calc_base_fee(cast(BlockHeader, head)) if self._fee_market else 0,
                gas_limit=head.gas_limit,
                coinbase=self.coinbase,
                # Any value that differs block by block will do: sha256 is the cheapest.
                prev_randao=sha256(number.to_bytes(32, "big")),
                parent=head,
            )
            self._set_pending(block)
        return block

    def _set_pending(self, block: Block) -> None:
        self._pending = block
        self._env = BlockEnv(
            coinbase=block.coinbase,
            number=block.number,
            timestamp=block.timestamp,
            gas_limit=block.gas_limit,
            prev_randao=block.prev_randao,
            base_fee=block.base_fee_per_gas,
            chain_id=self.chain_id,
            block_hashes=_BlockHashes(self, block.number),
        )

    def _seal(self) -> Block:
        block = self._open()
        blocks = self._blocks
        blocks.append(block)
        self._by_number[block.number] = block
        self._pending = None
        self._next_number = self._next_timestamp = None
        if len(blocks) > self.receipt_history:
            # Receipts hold the transaction, its logs and what a re-run needs (~2 KB for a
            # transfer): an old block keeps only its record, so a long run stays small.
            old = blocks[-self.receipt_history - 1]
            if old.receipts:
                old.receipts = []
        return block

    def mine(self, blocks: int = 1, timestamp: int | None = None) -> Block:
        """Seal the open block (with its transactions, under `automine=False`) and then empty
        ones, `blocks` in all; `timestamp` is the first one's. Returns the last."""
        if blocks < 1:
            raise ValueError(f"mine() seals at least one block, got {blocks}")
        if timestamp is not None:
            self.warp(timestamp)
        block = self._seal()
        for _ in range(blocks - 1):
            block = self._seal()
        self._version += 1
        return block

    def _block_by_number(self, number: int) -> Block | None:
        return self._by_number.get(number)

    def get_block(self, number: int | None = None) -> Block:
        """A sealed block by number (the latest by default).

        Raises:
            KeyError: no sealed block has that number (`roll` skips numbers).
        """
        if number is None:
            return self._blocks[-1]
        block = self._by_number.get(number)
        if block is None:
            raise KeyError(f"no block {number}: the chain is at block {self.block_number}")
        return block

    def state_root(self) -> bytes:
        """The Merkle root of the current state, computed now (never per block)."""
        return self.state.state_root()

    # --- accounts and reads -------------------------------------------------------------

    def get_balance(self, address: Any) -> int:
        return self.state.get_balance(to_address(address))

    def get_nonce(self, address: Any) -> int:
        return self.state.get_nonce(to_address(address))

    def get_code(self, address: Any) -> bytes:
        return self.state.get_code(to_address(address))

    def load(self, address: Any, slot: int) -> int:
        """A storage slot's value."""
        return self.state.get_storage(to_address(address), _slot(slot))

    # --- cheats -------------------------------------------------------------------------

    def _edit(self) -> None:
        self._version += 1

    def deal(self, address: Any, wei: int) -> None:
        """Set an account's balance."""
        if wei < 0:
            raise ValueError(f"deal: a balance cannot be negative ({wei})")
        self.state.set_balance(to_address(address), wei)
        self._edit()

    def store(self, address: Any, slot: int, value: int | bytes) -> None:
        """Write a storage slot directly."""
        word = int.from_bytes(value, "big") if isinstance(value, bytes) else value
        if not 0 <= word < 2**256:
            raise ValueError(f"store: {value!r} does not fit a 32-byte slot")
        self.state.set_storage(to_address(address), _slot(slot), word)
        self._edit()

    def etch(self, address: Any, code: bytes | str) -> None:
        """Put code at an address."""
        if isinstance(code, str):
            code = bytes.fromhex(code[2:] if code.startswith("0x") else code)
        self.state.set_code(to_address(address), bytes(code))
        self._edit()

    def set_nonce(self, address: Any, nonce: int) -> None:
        if not 0 <= nonce < 2**64:
            raise ValueError(f"set_nonce: {nonce} is not a 64-bit nonce")
        self.state.set_nonce(to_address(address), nonce)
        self._edit()

    def label(self, address: Any, name: str) -> None:
        """Name an address in traces and failure messages."""
        self.labels[to_address(address)] = name

    def warp(self, timestamp: int) -> None:
        """The next block has this timestamp (later ones follow a second apart)."""
        if self._pending is not None and self._pending.receipts:
            raise ValueError("warp: the open block already has transactions; mine() it first")
        if timestamp <= self.timestamp:
            raise ValueError(
                f"warp: {timestamp} is not after the latest block's timestamp {self.timestamp}"
            )
        self._pending = None
        self._next_timestamp = timestamp
        self._version += 1

    def skip(self, seconds: int) -> None:
        """Move the next block's timestamp `seconds` later."""
        if seconds < 0:
            raise ValueError(f"skip: cannot go back in time ({seconds} s)")
        self.warp(self.pending_timestamp + seconds)

    def roll(self, number: int) -> None:
        """The next block has this number (the numbers between are never sealed: their
        BLOCKHASH is zero)."""
        if self._pending is not None and self._pending.receipts:
            raise ValueError("roll: the open block already has transactions; mine() it first")
        if number <= self.block_number:
            raise ValueError(f"roll: {number} is not after the latest block {self.block_number}")
        self._pending = None
        self._next_number = number
        self._version += 1

    @contextmanager
    def prank(self, address: Any, origin: Any = None) -> Iterator[Address]:
        """Send transactions and calls that name no sender as `address` (no key needed) inside
        the block; with `origin`, ORIGIN reads that account instead of the sender (a cheat, as
        forge's vm.prank(sender, origin): no real transaction can do it). The sender pays."""
        sender = to_address(address)
        override = None if origin is None else bytes(to_address(origin))
        previous = (self._default_sender, self._prank_origin)
        self.default_sender = sender
        self._prank_origin = override
        try:
            yield sender
        finally:
            self.default_sender = previous[0]
            self._prank_origin = previous[1]

    impersonate = prank

    def deal_erc20(self, token: Any, address: Any, amount: int) -> None:
        """Set an ERC-20 balance: finds the balance slot by watching the SLOADs of
        `balanceOf(address)` and writing each until balanceOf returns `amount` (totalSupply is
        not adjusted).

        Raises:
            ValueError: no storage slot read by balanceOf holds the balance (a rebasing or
                computed balance).
        """
        from pyeth.testing.abi import ArgumentCoder

        token_address = to_address(token)
        holder = to_address(address)
        if not 0 <= amount < 2**256:
            raise ValueError(f"deal_erc20: {amount} is not a uint256")
        data = bytes.fromhex("70a08231") + ArgumentCoder(
            "balanceOf(address)", [{"type": "address"}]
        ).encode([holder])
        reads: list[tuple[bytes, int]] = []

        def watch(frame: Any, op: int) -> None:
            if op == 0x54 and frame.stack:  # SLOAD
                reads.append((frame.message.target, frame.stack[-1]))

        self._call(token_address, data, None, 0, None, None, tracer=watch)
        for target, slot in reversed(reads):
            if target != token_address:
                continue
            old = self.state.get_storage(target, slot)
            self.state.set_storage(target, slot, amount)
            output = self._call(token_address, data, None, 0, None, None)
            if len(output) >= 32 and int.from_bytes(output[:32], "big") == amount:
                self._edit()
                return
            self.state.set_storage(target, slot, old)
        raise ValueError(
            f"deal_erc20: no storage slot balanceOf({holder}) reads at {token_address} holds "
            "the balance; set it with store()"
        )

    # --- coverage -----------------------------------------------------------------------

    def start_coverage(self) -> Any:
        """Record the pcs and JUMPI directions of every transaction and call from now on (in
        the traced EVM loop); the `pyeth.testing.coverage.CoverageCollector`, which also maps
        them to source lines and writes lcov (`chain.coverage.write_lcov(path)`). Contracts
        deployed before are mapped too. Snapshots do not undo coverage."""
        if self.coverage is None:
            collector = import_module("pyeth.testing.coverage").CoverageCollector()
            for art, code in self._deployed:
                collector.add_artifact(art, code)
            self.coverage = collector
        self._tracer = self.coverage
        return self.coverage

    def stop_coverage(self) -> Any:
        """Stop recording (the untraced loop runs again); the collector, with what it has."""
        self._tracer = None
        return self.coverage

    def _note_code(self, art: Artifact, address: bytes) -> None:
        """Remember the code `art` left at `address` (immutables filled in) for coverage."""
        if art.runtime_source_map is None:
            return
        code = self.state.get_code(address)
        self._deployed.append((art, code))
        if self.coverage is not None:
            self.coverage.add_artifact(art, code)

    # --- snapshots ----------------------------------------------------------------------

    def snapshot(self) -> int:
        """Remember the chain as it is; returns the id `revert` takes."""
        pending = self._pending
        self._snapshots.append(
            _Snapshot(
                self.state.snapshot(),
                len(self._blocks),
                None if pending is None else (pending, len(pending.receipts), pending.gas_used),
                self._next_timestamp,
                self._next_number,
                self.default_sender,
                self._prank_origin,
            )
        )
        self._next_snapshot_id += 1
        self._snapshot_ids.append(self._next_snapshot_id)
        self.state.keep_journal = True
        return self._next_snapshot_id

    def revert(self, snapshot_id: int) -> None:
        """Go back to snapshot `snapshot_id`; it and the later ones are used up.

        Raises:
            ValueError: no such live snapshot.
        """
        # Ids only grow, so a used-up id never names a later snapshot.
        ids = self._snapshot_ids
        index = bisect_left(ids, snapshot_id)
        if index == len(ids) or ids[index] != snapshot_id:
            raise ValueError(
                f"revert: snapshot {snapshot_id} is not live (reverted to, or one before it was;"
                f" live: {ids[-5:]})"
            )
        snap = self._snapshots[index]
        del self._snapshots[index:]
        del ids[index:]
        self.state.revert(snap.journal)
        if len(self._blocks) > snap.blocks:
            for block in self._blocks[snap.blocks :]:
                del self._by_number[block.number]
            del self._blocks[snap.blocks :]
        if snap.pending is None:
            self._pending = None
        else:
            block, count, gas_used = snap.pending
            del block.receipts[count:]
            block.gas_used = gas_used
            self._set_pending(block)
        self._next_timestamp = snap.next_timestamp
        self._next_number = snap.next_number
        self.default_sender = snap.default_sender
        self._prank_origin = snap.prank_origin
        self.state.keep_journal = bool(self._snapshots)
        self._version += 1

    def _forget_snapshot(self, snapshot_id: int) -> None:
        """Drop a live snapshot without reverting (the later ones go with it)."""
        ids = self._snapshot_ids
        index = bisect_left(ids, snapshot_id)
        if index < len(ids) and ids[index] == snapshot_id:
            del ids[index:]
            del self._snapshots[index:]
            self.state.keep_journal = bool(ids)

    @contextmanager
    def anchor(self) -> Iterator[None]:
        """Undo everything done inside the block when it ends."""
        snapshot_id = self.snapshot()
        try:
            yield
        finally:
            if snapshot_id in self._snapshot_ids:
                self.revert(snapshot_id)

    # --- contracts ----------------------------------------------------------------------

    def deploy(
        self,
        artifact: Artifact | str | Path | tuple[Any, Any],
        *args: Any,
        sender: Any = None,
        value: int = 0,
        gas: int | None = None,
        name: str | None = None,
        check_abi: bool = True,
    ) -> Contract:
        """Deploy a contract: `artifact` is a loaded Artifact, a path to an artefact file (any
        format `load_artifact` reads), or `(bytecode, abi)`.

        Raises:
            ArtifactError: the artefact cannot be loaded.
            ABIArgumentError: the constructor arguments do not fit.
            ABIMismatch: the deployed code has no selector for some of the ABI's functions.
            TransactionFailed: the constructor failed.
        """
        art = _as_artifact(artifact, name)
        constructor = next((i for i in art.abi if i.get("type") == "constructor"), None)
        from pyeth.testing.abi import ArgumentCoder

        what = f"{art.name} constructor"
        inputs = constructor.get("inputs", ()) if constructor else ()
        data = art.bytecode + ArgumentCoder(what, inputs).encode(args)
        # A mismatch changes nothing: checked on the artefact's runtime code when it has one,
        # else on the deployed code, undoing the deployment.
        if check_abi and art.runtime:
            _check_selectors(art, art.runtime)
        guard = self.snapshot() if check_abi and not art.runtime else None
        try:
            receipt = self._transact(
                sender, None, data, value, gas, None, what=f"deploying {art.name}"
            )
            address = receipt.contract_address
            assert address is not None
            if guard is not None:
                _check_selectors(art, self.state.get_code(address))
        except ABIMismatch:
            assert guard is not None
            self.revert(guard)
            raise
        except BaseException:
            if guard is not None:
                self._forget_snapshot(guard)  # a failed deployment stays, as included
            raise
        if guard is not None:
            self._forget_snapshot(guard)
        contract = Contract(self, address, art.abi, name or art.name)
        self.register(contract)
        self._note_code(art, address)
        receipt.function = None
        return contract

    def at(
        self, address: Any, abi: Sequence[Mapping[str, Any]] | Artifact, name: str | None = None
    ) -> Contract:
        """The contract at `address` with `abi`. A function whose selector the code there
        does not push is warned about (a proxy's code has none of its implementation's)."""
        if isinstance(abi, Artifact):
            name = name or abi.name
            self._note_code(abi, bytes(to_address(address)))
            abi = abi.abi
        contract = Contract(self, address, abi, name)
        missing = missing_selectors(abi, self.state.get_code(contract.address))
        if missing:
            import warnings

            warnings.warn(
                f"the code at {contract.address} has no selector for {', '.join(missing)}: "
                "a wrong ABI, or a proxy",
                ABIMismatchWarning,
                stacklevel=2,
            )
        self.register(contract)
        return contract

    def register(self, contract: Contract) -> None:
        """Know `contract`'s ABI: its events and errors are decoded chain-wide and it is named
        in traces."""
        self.contracts[contract.address] = contract
        self.labels.setdefault(contract.address, contract.contract_name)
        for event in contract.event_types:
            if not event.anonymous:
                self._events_by_topic.setdefault(event.topic, event)
        for error in contract.error_types:
            self._errors.setdefault(error.selector, error)

    def decode_log(self, log: Log) -> Event | None:
        contract = self.contracts.get(log.address)
        if contract is not None:
            event = contract.decode_log(log)
            if event is not None:
                return event
        event_type = self._events_by_topic.get(log.topics[0]) if log.topics else None
        if event_type is None:
            return None
        try:
            return event_type.decode(log)
        except ValueError:
            return None

    @property
    def errors(self) -> Mapping[bytes, ErrorType]:
        """The custom errors of every registered contract, by selector."""
        return self._errors

    @property
    def describer(self) -> RegistryDescriber:
        """Names for the call tree: labels, functions and results from the registered ABIs."""
        return RegistryDescriber(self)

    # --- running ------------------------------------------------------------------------

    def send(
        self, to: Any, value: int = 0, data: bytes = b"", sender: Any = None, gas: int | None = None
    ) -> Receipt:
        """A plain transaction (value to an account, raw calldata to a contract)."""
        return self._transact(sender, bytes(to_address(to)), bytes(data), value, gas, None)

    def call(
        self, to: Any, data: bytes = b"", sender: Any = None, value: int = 0, gas: int | None = None
    ) -> bytes:
        """A raw call (nothing kept): the output; TransactionFailed if it fails."""
        return self._call(bytes(to_address(to)), bytes(data), sender, value, gas, None)

    def _transact(
        self,
        sender: Any,
        to: bytes | None,
        data: bytes,
        value: int,
        gas: int | None,
        function: ContractFunction | None,
        what: str | None = None,
    ) -> Receipt:
        # Plain bytes into the state: its dicts compare keys in C then, not in Address.__eq__.
        if sender is None:
            sender_bytes, origin = self._origin, self._prank_origin
        else:
            sender_bytes, origin = bytes(to_address(sender)), None
        state = self.state
        block = self._pending or self._open()
        env = self._env
        price = env.base_fee
        gas_available = block.gas_limit - block.gas_used
        if gas is None:
            gas = min(self._gas_cap, gas_available)
            if price:  # no more than the sender can pay for, as a wallet would limit it
                affordable = (state.get_balance(sender_bytes) - value) // price
                # Below the intrinsic cost the check's "insufficient funds" is the news.
                if affordable < gas and affordable >= intrinsic_gas(data, to is None, ()):
                    gas = affordable
        nonce = state.get_nonce(sender_bytes)
        # The node's impersonation signature: r carries the sender, s is 1 (never recovered).
        r = int.from_bytes(sender_bytes, "big") | 1 << 160
        tx: Transaction
        if self._fee_market:
            tx = FeeMarketTransaction(
                self.chain_id, nonce, 0, price, gas, to, value, data, (), 0, r, 1
            )
        else:
            tx = AccessListTransaction(
                self.chain_id, nonce, price, gas, to, value, data, (), 0, r, 1
            )
        mark_impersonated(tx, sender_bytes)
        # Where a re-run starts: without a live snapshot the transaction starts the journal.
        position = state.snapshot() if state.keep_journal else 0
        console = ConsoleCollector()
        try:
            result = apply_transaction(
                state,
                env,
                tx,
                sender_bytes,
                self.rules,
                gas_available,
                message_hook=console,
                origin=origin,
                tracer=self._tracer,
            )
        except InvalidTransaction as exc:
            raise TransactionRejected(
                f"{what or _describe_call(self, to, data)} from {Address(sender_bytes)} was "
                f"rejected: {exc}"
            ) from None
        self._version += 1
        block.gas_used += result.gas_used
        rerun = _Rerun(position, env, tx, sender_bytes, origin, gas_available, self._version)
        receipt = Receipt(
            self,
            tx,
            sender_bytes,
            result.success,
            result.gas_used,
            price,
            result.output,
            result.logs,
            result.contract_address,
            block.number,
            len(block.receipts),
            result.error,
            console if console.calls else None,  # kept per receipt only when it logged
            function,
            rerun,
        )
        block.receipts.append(receipt)
        if self.automine:
            self._seal()
        self.tx_count += 1
        self.call_count += 1
        self.last_receipt = receipt
        if console.calls and self.print_console:
            _print_console(console)
        for callback in self.on_transaction:
            callback(receipt)
        if not result.success:
            error = result.error
            raise failure_class(error)(
                what or _describe_call(self, to, data),
                describe_failure(result.output, error, self._errors),
                result.output,
                error,
                receipt,
                self,
                rerun,
            )
        return receipt

    def _call(
        self,
        to: bytes,
        data: bytes,
        sender: Any,
        value: int,
        gas: int | None,
        function: ContractFunction | None,
        tracer: Any = None,
    ) -> bytes:
        """Run a call against the open block's environment; the output (TransactionFailed
        if it fails). Nothing is kept."""
        if sender is None:
            sender_bytes, origin = self._origin, self._prank_origin
        else:
            sender_bytes, origin = bytes(to_address(sender)), None
        if self._pending is None:
            self._open()
        limit = self._gas_cap if gas is None else gas
        console = ConsoleCollector()
        if tracer is None:
            tracer = self._tracer  # coverage, when on (a harness-internal tracer replaces it)
        try:
            outcome = self._run_call(sender_bytes, to, value, data, limit, origin, console, tracer)
        except CallError as exc:
            raise TransactionRejected(f"{_describe_call(self, to, data)} call: {exc}") from None
        self.call_count += 1
        if console.calls and self.print_console:
            _print_console(console)
        if not outcome.success:
            error = outcome.error
            # What a re-run needs to trace the failure, kept only for a failure.
            call = _CallRerun(
                sender_bytes, to, value, data, limit, origin, self._env, self._version
            )
            raise failure_class(error)(
                _describe_call(self, to, data) + " (call)",
                describe_failure(outcome.output, error, self._errors),
                outcome.output,
                error,
                None,
                self,
                call,
            )
        return outcome.output

    def _run_call(
        self,
        sender: bytes,
        to: bytes,
        value: int,
        data: bytes,
        gas: int,
        origin: bytes | None,
        hook: Any,
        tracer: Any = None,
        env: BlockEnv | None = None,
    ) -> CallOutcome:
        """A price-0 call on a journal of its own (it undoes to position 0), so the chain's
        snapshots before it stay intact."""
        env = self._env if env is None else env
        key = (sender, env.coinbase)
        warm = self._call_warm.get(key)
        if warm is None:
            if len(self._call_warm) > 1024:
                self._call_warm.clear()
            warm = self._call_warm[key] = (sender, env.coinbase, *self.rules.precompiles)
        state = self.state
        kept = state._journal
        state._journal = []
        try:
            return free_call(
                state, env, self.rules, warm, sender, to, value, data, gas, tracer, hook, origin
            )
        finally:
            state._journal = kept

    # --- traces (pyeth.testing.calltree, when present) ----------------------------------

    def _trace(self, rerun: _Rerun | _CallRerun) -> Any:
        """Re-run a transaction or call with a call tracer and return the tree (the state ends
        as it was). A transaction only while it is the chain's latest change.

        Raises:
            RuntimeError: the chain changed since, or the trace module is not available.
        """
        if rerun.version != self._version:
            raise RuntimeError(
                "trace(): the chain has changed since this transaction; trace it before the "
                "next transaction, cheat or revert"
            )
        tracer = import_module("pyeth.testing.calltree").CallTracer()
        if isinstance(rerun, _CallRerun):
            self._run_call(
                rerun.sender,
                rerun.to,
                rerun.value,
                rerun.data,
                rerun.gas,
                rerun.origin,
                tracer,
                env=rerun.env,
            )
            return tracer.root
        state = self.state
        state.revert(rerun.position)
        apply_transaction(
            state,
            rerun.env,
            rerun.tx,
            rerun.sender,
            self.rules,
            rerun.gas_available,
            message_hook=tracer,
            origin=rerun.origin,
        )
        return tracer.root

    def _failure_tree(self, rerun: _Rerun | _CallRerun) -> str:
        """The formatted call tree of a failed transaction or call, or "" when it cannot be
        had (the chain moved on, or the trace module is missing)."""
        try:
            root = self._trace(rerun)
            formatted = import_module("pyeth.testing.calltree").format_call_tree(
                root, self.describer
            )
        except (RuntimeError, ImportError, AttributeError):
            return ""
        return str(formatted)


def _print_console(console: ConsoleCollector) -> None:
    """console.log lines to stdout, as Hardhat and forge show them (pytest captures them)."""
    for line in console.lines:
        print(line)


class ABIMismatchWarning(UserWarning):
    """`Chain.at` with an ABI whose functions the code there has no selector for."""


def _check_selectors(art: Artifact, runtime: bytes) -> None:
    missing = missing_selectors(art.abi, runtime)
    if missing:
        raise ABIMismatch(
            f"{art.name}'s ABI does not match its bytecode: the code has no selector for "
            f"{', '.join(missing)} (wrong ABI file for this bytecode?); pass check_abi=False "
            "to deploy anyway"
        )


def _slot(slot: int | bytes) -> int:
    word = int.from_bytes(slot, "big") if isinstance(slot, bytes) else slot
    if not 0 <= word < 2**256:
        raise ValueError(f"storage slot {slot!r} is not a 32-byte key")
    return word


def _describe_call(chain: Chain, to: bytes | None, data: bytes) -> str:
    if to is None:
        return "contract creation"
    label = chain.labels.get(to) or str(Address(to))
    described = RegistryDescriber(chain).function(to, data) if to in chain.contracts else None
    if described is not None:
        return f"{label}.{described[0]}({described[1]})"
    return f"call to {label}"


def _as_artifact(artifact: Any, name: str | None) -> Artifact:
    if isinstance(artifact, Artifact):
        return artifact
    if isinstance(artifact, str | Path):
        # `name` labels the contract; it picks one only in a file that holds several.
        try:
            return load_artifact(artifact)
        except ArtifactError as exc:
            if name is None or "pass name=" not in str(exc):
                raise
        return load_artifact(artifact, name)
    if isinstance(artifact, tuple) and len(artifact) == 2:
        bytecode, abi = artifact
        return from_abi_and_bytecode(bytecode, abi, name or "Contract")
    raise ArtifactError(
        f"deploy: expected an Artifact, a path or (bytecode, abi), got {type(artifact).__name__}"
    )

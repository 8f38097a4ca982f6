"""The node: wires the chain, the transaction pool, the sealer and the dev accounts, and owns the
background work of the event loop (interval sealing).

Everything at the edge (the JSON-RPC server, the p2p layer) goes through the narrow interface
here: `submit_transaction` (into the pool, sealed at once under automine), `import_block` (a
block from elsewhere), `subscribe_heads` / `subscribe_pending` (head changes with their logs,
transactions that became pending), `total_difficulty` and `set_syncing` (for peers), and read
access to `chain` and `pool`. A genesis with a `clique` section makes a proof-of-authority
node: fork choice by total difficulty, Clique header rules, and with `signer_key` a
`CliqueSigner` that seals in its turn.
The node runs on one thread: the chain is not thread-safe, and every call here is made from
the event loop that `running()` was entered on. Only the EVM work of call-like RPC requests
that outlast a short slice runs in worker threads (`calls`, see `pyeth.callrunner`), on states
of their own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, Protocol

from evm.forks import ForkRules
from evm.frame import BlockEnv
from pyeth.accounts import (
    DEFAULT_ACCOUNT_COUNT,
    DEFAULT_MNEMONIC,
    DEV_BALANCE,
    Keyring,
    derive_accounts,
)
from pyeth.callrunner import DEFAULT_RPC_EVM_TIMEOUT, DEFAULT_RPC_GAS_CAP, CallRunner
from pyeth.chain import (
    Block,
    BuiltBlock,
    Chain,
    ChainEvent,
    Genesis,
    GenesisMismatch,
    HeaviestChain,
    ImportResult,
    build_block,
)
from pyeth.chain.chain import AncestorHashes
from pyeth.chain.genesis import dev_genesis
from pyeth.chain.processing import apply_block, block_env
from pyeth.chain.store import ChainStore
from pyeth.chain.validation import calc_base_fee, calc_excess_blob_gas
from pyeth.consensus.clique import Clique, CliqueSigner
from pyeth.consensus.dev import DevSealer, SealResult
from pyeth.errors import PyethError
from pyeth.fees import blob_base_fee
from pyeth.hashing import keccak256
from pyeth.sedes import BlockHeader
from pyeth.state import State
from pyeth.transactions import Transaction, decode_transaction
from pyeth.transactions.blobs import decode_pooled_transaction, is_pooled_form
from pyeth.transition import TransactionResult
from pyeth.txpool import DEFAULT_MAX_SIZE, PooledTransaction, TxPool

DEV_CHAIN_ID: Final = 1337
DEV_CHAIN_META: Final = "dev-chain"  # the datadir's record of how its dev chain was made

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NodeConfig:
    """How to run a node. `block_time` None means automine (a block per transaction)."""

    chain_id: int | None = None  # the datadir's dev chain's, else DEV_CHAIN_ID
    mnemonic: str = DEFAULT_MNEMONIC
    account_count: int = DEFAULT_ACCOUNT_COUNT
    balance: int = DEV_BALANCE
    block_time: float | None = None
    datadir: Path | None = None
    genesis: Genesis | None = None  # a custom chain instead of the dev one
    dev: bool = True  # unlock the derived accounts for eth_sendTransaction and signing
    coinbase: bytes = bytes(20)
    txpool_size: int = DEFAULT_MAX_SIZE
    signer_key: bytes | None = None  # Clique: seal in turn with this key
    mine: bool = True  # False: never seal; blocks come from peers (a follower of a dev node)
    hardfork: str | None = None  # the dev chain's newest fork; None: the datadir's, else the latest
    # Block 0's time for a new dev chain; None: now, as anvil and Hardhat start theirs (what
    # `pyeth node` asks for). 0 by default: nodes made in code apart share one genesis, as
    # peers must. A datadir keeps the time its chain was made with.
    genesis_timestamp: int | None = 0
    # Call-like RPC requests (eth_call, eth_estimateGas, ...): the most gas any may use
    # whatever it asks (0: no cap), and seconds before one is stopped (0: never), as geth's
    # --rpc.gascap and --rpc.evmtimeout.
    rpc_gas_cap: int = DEFAULT_RPC_GAS_CAP
    rpc_evm_timeout: float = DEFAULT_RPC_EVM_TIMEOUT


class DatadirMismatch(GenesisMismatch):
    """The options given make another dev chain than the one the datadir holds."""


@dataclass(frozen=True, slots=True)
class DevChainParams:
    """What makes a dev chain's genesis, kept in its datadir (`DEV_CHAIN_META`) so that a
    restart builds the same one and an option that differs is named rather than refused as an
    unknown genesis."""

    chain_id: int
    hardfork: str
    timestamp: int
    mnemonic_hash: str  # keccak of the phrase: which accounts, without storing the words
    accounts: int
    balance: int

    def encode(self) -> bytes:
        return json.dumps(
            {
                "chainId": self.chain_id,
                "hardfork": self.hardfork,
                "timestamp": self.timestamp,
                "mnemonicHash": self.mnemonic_hash,
                "accounts": self.accounts,
                "balance": self.balance,
            },
            sort_keys=True,
        ).encode()

    @classmethod
    def decode(cls, raw: bytes) -> DevChainParams:
        fields = json.loads(raw)
        return cls(
            chain_id=int(fields["chainId"]),
            hardfork=str(fields["hardfork"]),
            timestamp=int(fields["timestamp"]),
            mnemonic_hash=str(fields["mnemonicHash"]),
            accounts=int(fields["accounts"]),
            balance=int(fields["balance"]),
        )


def _mnemonic_hash(mnemonic: str) -> str:
    return keccak256(" ".join(mnemonic.split()).encode()).hex()


def _dev_chain(
    config: NodeConfig, addresses: Sequence[bytes], store: ChainStore
) -> tuple[Genesis, bytes | None]:
    """The dev chain's genesis for `config` on `store`, and the parameters to record when the
    store has none yet (None when it has them).

    Raises:
        DatadirMismatch: an option given differs from the one the datadir's chain was made
            with (the message names it, both values, and what to do).
        ValueError: an unknown hardfork.
    """
    raw = store.get_meta(DEV_CHAIN_META)
    stored = None if raw is None else DevChainParams.decode(raw)
    if stored is None and store.get_canonical(0) is not None:
        timestamp = 0  # a datadir from before the parameters were kept: block 0 at time 0
    elif stored is None:
        timestamp = (
            int(time.time()) if config.genesis_timestamp is None else config.genesis_timestamp
        )
    else:
        timestamp = stored.timestamp
    chain_id = config.chain_id or (stored.chain_id if stored else DEV_CHAIN_ID)
    hardfork = config.hardfork or (stored.hardfork if stored else None)
    genesis = dev_genesis(chain_id, addresses, config.balance, hardfork)
    genesis = replace(genesis, timestamp=timestamp)
    params = DevChainParams(
        chain_id=chain_id,
        hardfork=genesis.config.fork_at(0, timestamp),
        timestamp=timestamp,
        mnemonic_hash=_mnemonic_hash(config.mnemonic),
        accounts=len(addresses),
        balance=config.balance,
    )
    if stored is None:
        return genesis, params.encode()
    where = config.datadir or "the database"
    if stored.mnemonic_hash != params.mnemonic_hash:
        raise DatadirMismatch(
            f"{where} holds a dev chain made with another --mnemonic: give the one it was made "
            "with to resume that chain, or give a --datadir elsewhere for a new one"
        )
    ether = 10**18  # --balance is in ether; a balance in wei from code shows as a fraction
    differences = [
        ("--chain-id", stored.chain_id, params.chain_id, "drop --chain-id"),
        ("--hardfork", stored.hardfork, params.hardfork, "drop --hardfork"),
        ("--accounts", stored.accounts, params.accounts, f"give --accounts {stored.accounts}"),
        ("--balance", stored.balance, params.balance, f"give --balance {stored.balance / ether:g}"),
    ]
    for option, was, given, fix in differences:
        if was != given:
            if option == "--balance":
                was, given = f"{stored.balance / ether:g}", f"{params.balance / ether:g}"
            raise DatadirMismatch(
                f"{where} holds a dev chain made with {option} {was}, not {given}: {fix} to "
                "resume that chain, or give a --datadir elsewhere for a new one"
            )
    return genesis, None


class NotADevChain(PyethError):
    """A dev-only change asked of a node whose blocks others execute."""


class PeerInfo(Protocol):
    """What the p2p layer tells the RPC about the network (net_peerCount, eth_syncing)."""

    def peer_count(self) -> int: ...

    def sync_progress(self) -> tuple[int, int, int] | None:
        """(starting block, current block, highest block) while syncing, else None."""
        ...


class Node:
    """A chain with a pool, a sealer and (in dev mode) unlocked accounts.

    Raises (on construction):
        GenesisMismatch: `config.datadir` holds another chain.
        ValueError: the mnemonic is not a valid BIP-39 phrase, or the RPC gas cap or EVM
            timeout is negative.
    """

    def __init__(self, config: NodeConfig | None = None) -> None:
        config = config or NodeConfig()
        if config.rpc_gas_cap < 0:
            raise ValueError(
                f"the RPC gas cap must be 0 (none) or positive, not {config.rpc_gas_cap}"
            )
        self.config = config
        # Calls run in worker threads, under the timeout (see pyeth.callrunner).
        self.calls = CallRunner(config.rpc_evm_timeout)
        derived = derive_accounts(config.mnemonic, config.account_count)
        self.accounts = Keyring(derived if config.dev else ())
        store = ChainStore.in_datadir(config.datadir)
        # Resumed: the datadir already held a chain (the banner says so).
        self.resumed = store.get_canonical(0) is not None
        try:
            record = None
            if config.genesis is None:
                addresses = [account.address for account in derived]
                genesis, record = _dev_chain(config, addresses, store)
            else:
                genesis = config.genesis
            clique = genesis.config.clique
            # The record goes in with the genesis block, in one database transaction.
            with store.transaction():
                if record is not None:
                    store.set_meta(DEV_CHAIN_META, record)
                self.chain = Chain(store, genesis, HeaviestChain() if clique else None)
        except DatadirMismatch:
            store.close()
            raise
        except GenesisMismatch as exc:  # a custom genesis, or a datadir older than its record
            store.close()
            raise GenesisMismatch(
                f"{exc}: {config.datadir} was made from another genesis or other dev chain "
                "options; give the ones it was made with, or a --datadir elsewhere for a new chain"
            ) from None
        except Exception:
            store.close()
            raise
        self.pool = TxPool(self.chain, max_size=config.txpool_size)
        self.sealer = DevSealer(self.chain, self.pool, coinbase=config.coinbase)
        self.clique: Clique | None = None
        self.signer: CliqueSigner | None = None
        if clique is not None:
            try:
                self.clique = Clique(clique, self.chain.get_header, self.chain.genesis_hash)
            except Exception:
                self.chain.close()
                raise
            self.chain.consensus = self.clique.verify_header
            if config.signer_key is not None and config.mine:
                self.signer = CliqueSigner(self.chain, self.pool, self.clique, config.signer_key)
        # A Clique node seals in its turn only; a follower never seals.
        dev_sealing = clique is None and config.mine
        self.automine = config.block_time is None and dev_sealing
        self.block_time = config.block_time if dev_sealing else None
        self.syncing = False
        self.network: PeerInfo | None = None  # set by the p2p layer while it runs
        self._head_listeners: list[Callable[[ChainEvent], None]] = []
        self._pending_listeners: list[Callable[[PooledTransaction], None]] = []
        self.chain.subscribe(self._on_chain_event)
        self.pool.subscribe(self._on_pending)
        self._interval_task: asyncio.Task[None] | None = None
        self._snapshots: list[bytes] = []
        # Names this run of the chain (hardhat_metadata's instanceId): new on start and reset,
        # so a tool caching chain data knows to drop it.
        self.instance_id = os.urandom(32)
        self.impersonated: set[bytes] = set()  # eth_sendTransaction may send as these
        self.auto_impersonate = False  # ... or as anyone
        self._shared_state: State | None = None
        self._rules: tuple[tuple[int, int], ForkRules] | None = None
        self._call_env: tuple[bytes, BlockEnv] | None = None
        self._pending: tuple[tuple[bytes, int, int], BuiltBlock] | None = None
        self._seal_scheduled = False
        self._closed = False
        self._shared_root = b""  # head hashes, evm_snapshot id n at index n - 1

    @property
    def chain_id(self) -> int:
        return self.chain.chain_id

    def close(self) -> None:
        self._closed = True
        self.calls.close()  # stop running calls before their database goes
        self.chain.close()

    # --- the interface for the edge ------------------------------------------------------

    def submit_transaction(self, tx: Transaction | bytes) -> bytes:
        """Put a signed transaction (object or wire bytes) into the pool; under automine seal
        it into a block: on the event loop right after the caller's turn when there is one
        (see `_seal_soon`), else before returning. Returns its hash.

        Raises:
            DecodingError: the bytes are not a transaction.
            Rejected: the pool refused it (the message says why).
        """
        if isinstance(tx, bytes | bytearray):
            raw = bytes(tx)
            if is_pooled_form(raw):  # a blob transaction with its blobs
                tx, _, sidecar = decode_pooled_transaction(raw)
                entry = self.pool.add(tx, raw, sidecar)
            else:
                tx = decode_transaction(raw)
                entry = self.pool.add(tx, raw)
        else:
            entry = self.pool.add(tx)
        if self.automine and entry.nonce < self.pool.next_nonce(entry.sender):
            self._seal_soon()  # it is pending (no nonce gap before it): mine it now
        return entry.hash

    def _seal_soon(self) -> None:
        """Automine from the event loop: seal in the loop's next turn, as anvil mines after
        answering. The RPC answer goes out first, so the sender prepares its next request
        while the block is made (on this 2-core machine ~10-15% more transfers per second on
        one connection), and every request read after this one finds the block sealed: the
        callback runs before the loop handles newly arrived input. Transactions arriving in
        the same turn share the block. Without a running loop, seal now."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.seal()
            return
        if not self._seal_scheduled:
            self._seal_scheduled = True
            loop.call_soon(self._seal_scheduled_block)

    def _seal_scheduled_block(self) -> None:
        self._seal_scheduled = False
        if not self.automine or self._closed:  # switched to interval sealing, or shut down
            return
        if not self.pool.pending():  # sealed meanwhile (evm_mine in the same batch)
            return
        try:
            self.seal()
        except Exception:  # the sender has its answer; a sealing bug must not stop the loop
            log.exception("sealing failed")

    def import_block(self, block: Block | bytes) -> ImportResult:
        """Import a block from elsewhere (a peer, a test); the pool follows the head."""
        return self.chain.import_block(block)

    def seal(self, timestamp: int | None = None) -> SealResult:
        """Seal the next block now with what the pool has pending (evm_mine, automine)."""
        result = self.sealer.seal(timestamp)
        for tx_hash, reason in result.dropped:
            log.info("left out 0x%s: %s", tx_hash.hex(), reason)
        return result

    def set_account(
        self,
        address: bytes,
        *,
        balance: int | None = None,
        nonce: int | None = None,
        code: bytes | None = None,
        storage: Mapping[int, int] | None = None,
    ) -> SealResult:
        """Change an account outside any transaction (anvil_setBalance, anvil_setCode,
        anvil_setNonce, anvil_setStorageAt): sealed at once as a block of its own, with no
        transactions, so `latest` shows it and every state served is still a block's. An
        account the change leaves empty and without storage is removed, as EIP-161 removes
        one a transaction leaves so.

        Raises:
            NotADevChain: the node does not seal blocks by itself alone (Clique, a follower,
                or peers connected, who would find the block's state root wrong).
        """
        self._require_sealing_alone("account edits")

        def edit(state: State) -> None:
            if balance is not None:
                state.set_balance(address, balance)
            if nonce is not None:
                state.set_nonce(address, nonce)
            if code is not None:
                state.set_code(address, code)
            for key, value in (storage or {}).items():
                state.set_storage(address, key, value)
            if state.is_empty(address) and not state.has_storage(address):
                state.destroy_account(address)

        result = self.sealer.seal(edit=edit)
        if self.automine and self.pool.pending():  # a queued one the edit made executable
            self._seal_soon()
        return result

    def _require_sealing_alone(self, what: str) -> None:
        """Raise NotADevChain unless this node seals its blocks alone: no Clique, mining, no
        peers (who would execute the blocks and refuse them)."""
        self.require_dev_sealer(what)
        if self.network is not None:
            raise NotADevChain(
                f"{what} are for a dev node that seals alone: this node has peers, who execute "
                "its blocks and would reject them"
            )

    def require_dev_sealer(self, what: str) -> None:
        """Raise NotADevChain unless this node seals dev blocks (not Clique, not a follower):
        mining on demand, the clock, snapshots and resets act on blocks it seals."""
        if self.clique is not None:
            raise NotADevChain(
                f"{what} are for a dev node: this node runs Clique, where the signers seal "
                "in turn and other nodes execute their blocks"
            )
        if not self.config.mine:
            raise NotADevChain(
                f"{what} are for a dev node that seals: this node follows its peers and seals "
                "no blocks"
            )

    def impersonate(self, address: bytes, enabled: bool = True) -> None:
        """Send as `address` without its key from now on (anvil_impersonateAccount), or stop.

        Raises:
            NotADevChain: see `set_account`; peers could not recover the sender either.
        """
        if enabled:
            self._require_sealing_alone("impersonated accounts")
            self.impersonated.add(address)
        else:
            self.impersonated.discard(address)

    def set_auto_impersonate(self, enabled: bool) -> None:
        """Send as any account (anvil_autoImpersonateAccount)."""
        if enabled:
            self._require_sealing_alone("impersonated accounts")
        self.auto_impersonate = enabled

    def may_impersonate(self, address: bytes) -> bool:
        return self.auto_impersonate or address in self.impersonated

    def total_difficulty(self, block_hash: bytes | None = None) -> int:
        """The total difficulty of a stored block (the head by default); 0 on a dev chain.

        Raises:
            KeyError: the block is not stored.
        """
        block_hash = self.chain.head_hash if block_hash is None else block_hash
        score = self.chain.store.get_score(block_hash)
        if score is None:
            raise KeyError(f"block 0x{block_hash.hex()} is not in the database")
        return score

    def set_syncing(self, syncing: bool) -> None:
        """Peers say the node is behind (True) or caught up: a signer does not seal on a head
        it knows to be stale."""
        self.syncing = syncing
        if self.signer is not None:
            self.signer.paused = syncing

    def subscribe_heads(self, callback: Callable[[ChainEvent], None]) -> Callable[[], None]:
        """Call `callback` with each head change; returns the unsubscribe function."""
        self._head_listeners.append(callback)
        return lambda: self._head_listeners.remove(callback)

    def subscribe_pending(
        self, callback: Callable[[PooledTransaction], None]
    ) -> Callable[[], None]:
        """Call `callback` with each transaction that becomes pending in the pool."""
        self._pending_listeners.append(callback)
        return lambda: self._pending_listeners.remove(callback)

    def _on_chain_event(self, event: ChainEvent) -> None:
        self.pool.on_chain_event(event)
        for callback in list(self._head_listeners):
            callback(event)

    def _on_pending(self, entry: PooledTransaction) -> None:
        for callback in list(self._pending_listeners):
            callback(entry)

    def snapshot(self) -> int:
        """Remember the head; returns the id `revert` takes (from 1 up)."""
        self._snapshots.append(self.chain.head_hash)
        return len(self._snapshots)

    def snapshots(self) -> list[tuple[int, bytes]]:
        """The snapshots kept, as (id, head hash) in id order (anvil_metadata)."""
        return list(enumerate(self._snapshots, start=1))

    def revert(self, snapshot_id: int) -> bool:
        """Move the head back to snapshot `snapshot_id` and forget it and later ones; the
        transactions of the blocks left behind are dropped, not pooled again. False if there
        is no such snapshot."""
        if not 1 <= snapshot_id <= len(self._snapshots):
            return False
        target = self._snapshots[snapshot_id - 1]
        del self._snapshots[snapshot_id - 1 :]
        event = self.chain.set_head(target)
        if event is not None:
            self.pool.remove(h for item in event.removed for h in item.block.transaction_hashes)
        return True

    def reset(self) -> None:
        """Back to the genesis block (anvil_reset without forking): the blocks after it stay
        stored, off the canonical chain; the pool, the snapshots and the clock's offset are
        cleared."""
        self.chain.set_head(self.chain.genesis_hash)
        self.pool.clear()
        self._snapshots.clear()
        self.sealer.time_offset = 0
        self.sealer.next_timestamp = None
        self.instance_id = os.urandom(32)

    # --- background work ------------------------------------------------------------------

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Node]:
        """Run the node's background work (interval sealing, the Clique signer) for the
        duration of the block."""
        if self.block_time is not None:
            self._interval_task = asyncio.create_task(self._seal_every(self.block_time))
        signer_task = None if self.signer is None else asyncio.create_task(self.signer.run())
        try:
            yield self
        finally:
            if signer_task is not None:
                signer_task.cancel()
                with suppress(asyncio.CancelledError):
                    await signer_task
            task, self._interval_task = self._interval_task, None
            if task is not None:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task

    async def _seal_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                self.seal()
            except Exception:  # a sealing bug must not stop the chain for good
                log.exception("sealing failed")

    def set_block_time(self, seconds: float | None) -> None:
        """Switch between automine (None) and interval sealing, while running."""
        self.block_time = seconds
        self.automine = seconds is None
        if self._interval_task is not None:
            self._interval_task.cancel()
            self._interval_task = None
        if seconds is not None:
            self._interval_task = asyncio.get_running_loop().create_task(self._seal_every(seconds))

    # --- what calls run against -----------------------------------------------------------

    def rules_at(self, header: BlockHeader) -> ForkRules:
        """The rules of the block of `header` (`pyeth.chain.rules_at`), remembered for the
        last block asked about (calls in a row ask about the same one)."""
        key = (header.number, header.timestamp)
        if self._rules is None or self._rules[0] != key:
            self._rules = (key, self.chain.config.rules_at(header.number, header.timestamp))
        return self._rules[1]

    def state_at(self, header: BlockHeader, shared: bool = True) -> State:
        """The state after block `header`.

        A shared state (the default) is kept while it is the latest asked for, so that reads
        and calls in a row find accounts already loaded: the caller must leave it as it found
        it (`pyeth.calls.run_call` undoes its own changes). Ask for an unshared one to change
        it (state overrides).
        """
        root = header.state_root
        if not shared:
            return self.chain.state_at(root)
        if self._shared_state is None or self._shared_root != root:
            self._shared_state = self.chain.state_at(root)
            self._shared_root = root
        return self._shared_state

    def call_env(self, header: BlockHeader, block_hash: bytes) -> BlockEnv:
        """The block environment for a call on the state after `header`: that block's own
        environment, as geth runs eth_call "at" a block (kept for the last block asked)."""
        if self._call_env is not None and self._call_env[0] == block_hash:
            return self._call_env[1]
        hashes: Sequence[bytes] = (
            AncestorHashes(self.chain, header.parent_hash, header.number - 1)
            if header.number > 0
            else ()
        )
        env = block_env(header, self.chain_id, hashes, self.rules_at(header))
        self._call_env = (block_hash, env)
        return env

    def pending_block(self, fresh: bool = False) -> BuiltBlock:
        """The block that would be sealed now (the "pending" block tag): the pool's pending
        transactions on the head, with its post-state. Nothing is stored. It is kept until the
        head, the pool or the next block's timestamp changes; like the shared state, its state
        must be left as found, and `fresh` gives one of its own to change (state overrides).
        """
        head_hash = self.chain.head_hash
        timestamp = self.sealer.next_block_timestamp()
        key = (head_hash, self.pool.version, timestamp)
        if not fresh and self._pending is not None and self._pending[0] == key:
            return self._pending[1]
        built = build_block(
            self.chain,
            [entry.tx for entry in self.pool.ordered()],
            timestamp=timestamp,
            coinbase=self.sealer.coinbase,
            prev_randao=keccak256(head_hash),  # as DevSealer.seal
            state=self.chain.state_at(self.chain.head.state_root),
        )
        if not fresh:
            self._pending = (key, built)
        return built

    def replay(self, block: Block) -> list[TransactionResult]:
        """Execute a stored block again on its parent's state and return what each of its
        transactions did (its output: the revert data of a failed one). The chain keeps
        receipts, not outputs; the node log asks this for a block with a failed transaction.

        Raises:
            KeyError: the block's parent is not stored.
        """
        parent = self.chain.get_header(block.header.parent_hash)
        if parent is None:
            raise KeyError(f"block 0x{block.header.parent_hash.hex()} is not in the database")
        hashes = AncestorHashes(self.chain, block.header.parent_hash, parent.number)
        result = apply_block(
            self.chain.state_at(parent.state_root),
            block,
            self.rules_at(block.header),
            self.chain_id,
            hashes,
            self.chain.config.deposit_contract,
        )
        return result.results

    def pending_env(self) -> tuple[BlockHeader, BlockEnv]:
        """The head and the environment of the block that would be sealed next on it."""
        head = self.chain.head
        hashes = AncestorHashes(self.chain, self.chain.head_hash, head.number)
        timestamp = self.sealer.next_block_timestamp()
        rules = self.chain.config.rules_at(head.number + 1, timestamp)
        env = BlockEnv(
            coinbase=self.sealer.coinbase,
            number=head.number + 1,
            timestamp=timestamp,
            gas_limit=head.gas_limit,
            prev_randao=keccak256(self.chain.head_hash),
            base_fee=calc_base_fee(head),
            chain_id=self.chain_id,
            blob_base_fee=blob_base_fee(
                calc_excess_blob_gas(head, rules), rules.blob_update_fraction
            ),
            block_hashes=hashes,
        )
        return head, env

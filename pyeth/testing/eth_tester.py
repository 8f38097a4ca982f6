"""An eth-tester backend on pyeth's own chain and EVM: web3.py's `EthereumTesterProvider`, and
anything else written against eth-tester's `EthereumTester`, runs on pyeth unmodified::

    from eth_tester import EthereumTester
    from web3 import EthereumTesterProvider, Web3
    from pyeth.testing.eth_tester import PyethBackend

    w3 = Web3(EthereumTesterProvider(EthereumTester(backend=PyethBackend())))

or, for code that builds its own `EthereumTester()`, the environment variable eth-tester reads:
`ETHEREUM_TESTER_CHAIN_BACKEND=pyeth.testing.eth_tester.PyethBackend`.

eth-tester's model (that of its py-evm backend) is a chain with a pending block on top: a
transaction sent is executed into the pending block at once, so an invalid one is refused to its
sender and a reverted one has its receipt right away; `mine_blocks` seals the pending block (and
empty ones after it); a snapshot is the latest sealed block's hash, and reverting to it drops the
pending block and every block after. Here the chain is `pyeth.chain.Chain` (in memory), the
pending block a `pyeth.chain.builder.BlockBuilder` on its head, sealed through
`Chain.import_block` like any dev block, and calls and gas estimates are `pyeth.calls`'. Not
`pyeth.node.Node`: its pool executes transactions only when it seals, and eth-tester needs them
executed as they arrive.

What eth-tester hands a backend and takes back are "raw" values: bytes for addresses, hashes and
data (b"" for a creation's `to`), ints for quantities, snake_case dicts for blocks, transactions,
receipts and logs; its normalizer turns them into hex for its users. The defaults are the py-evm
backend's, so tests written against it keep their addresses and numbers: chain id 131277322940537
(what web3's provider answers to eth_chainId), private keys 1 to 10 with 1,000,000 ether each,
a constant gas limit of 30,029,122, a base fee of 1 gwei at genesis, the Prague rules.

This module imports eth-tester (the `eth-tester` extra); nothing else in pyeth does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

from eth_tester.backends.base import BaseChainBackend
from eth_tester.backends.common import merge_genesis_overrides
from eth_tester.exceptions import (
    BlockNotFound,
    SnapshotNotFound,
    TransactionFailed,
    TransactionNotFound,
    ValidationError,
)
from eth_tester.validation.inbound import validate_inbound_withdrawals
from eth_utils import ValidationError as EthUtilsValidationError
from rlp.exceptions import DecodingError as RLPDecodingError

from evm.addresses import create_address
from evm.gas import GAS_PER_BLOB
from pyeth.accounts import derive_keys
from pyeth.calls import (
    ERROR_SELECTOR,
    CallError,
    CallOutcome,
    CallRequest,
    ExecutionFailed,
    ExecutionReverted,
    estimate_gas,
    revert_reason,
    run_call,
)
from pyeth.chain import Block, Chain, Genesis, build_block, encode_block, load_genesis
from pyeth.chain.builder import BlockBuilder
from pyeth.chain.chain import AncestorHashes
from pyeth.chain.forks import since
from pyeth.chain.genesis import DEV_GENESIS_PATH, with_hardfork
from pyeth.chain.processing import block_env
from pyeth.errors import DecodingError, InvalidTransaction
from pyeth.fees import blob_base_fee
from pyeth.hashing import keccak256
from pyeth.keys import private_key_to_address
from pyeth.sedes import BlockHeader, Receipt, Withdrawal
from pyeth.state import Account, State
from pyeth.transactions import (
    AccessListTransaction,
    BlobTransaction,
    FeeMarketTransaction,
    LegacyTransaction,
    Transaction,
    decode_transaction,
    recover_sender,
    sign_transaction,
)
from pyeth.transactions.blobs import (
    BlobSidecar,
    decode_pooled_transaction,
    is_pooled_form,
    verify_sidecar,
)
from pyeth.transactions.model import Authorization, SetCodeTransaction
from pyeth.transition import effective_gas_price

ETH_TESTER_CHAIN_ID: Final = 131277322940537  # web3's EthereumTesterProvider says this chain id
DEFAULT_FORK: Final = "prague"  # eth-tester 0.14's py-evm backend runs Prague
GENESIS_GAS_LIMIT: Final = 30_029_122  # eth-tester's: mainnet's at the London block
DEFAULT_BALANCE: Final = 1_000_000 * 10**18
DEFAULT_ACCOUNTS: Final = 10
DEFAULT_HD_PATH: Final = "m/44'/60'/0'"  # eth-tester's: account i is at {hd_path}/i
DEFAULT_FEE: Final = 10**9  # max fee and tip of a transaction that names no fee
ZERO_ADDRESS: Final = bytes(20)
EMPTY_ROOT: Final = bytes.fromhex(
    "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"
)
DYNAMIC_FEE_KEYS: Final = ("max_fee_per_gas", "max_priority_fee_per_gas")


class TransactionRejected(ValidationError, EthUtilsValidationError):
    """A transaction (or call) the chain cannot take: nonce, funds, gas, signature; the message
    says which. Both eth-tester's ValidationError and eth-utils' (which py-evm's errors are
    and which callers such as ape catch)."""


class RawTransactionError(RLPDecodingError, ValidationError):
    """Bytes sent with send_raw_transaction that are not a transaction: an
    `rlp.exceptions.DecodingError` (as eth-tester's py-evm backend raises) and eth-tester's
    ValidationError; the message says what was wrong."""

    def __init__(self, message: str, raw: bytes) -> None:
        RLPDecodingError.__init__(self, message, raw)


def default_genesis_params(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """eth-tester's genesis parameters (the keys its py-evm backend takes), with `overrides`.

    Raises:
        ValueError: an override names a key that is not a genesis parameter.
    """
    defaults = {
        "coinbase": ZERO_ADDRESS,
        "difficulty": 0,
        "extra_data": b"",
        "gas_limit": GENESIS_GAS_LIMIT,
        "mix_hash": bytes(32),
        "nonce": bytes(8),
        "receipt_root": EMPTY_ROOT,
        "timestamp": int(time.time()),
        "transaction_root": EMPTY_ROOT,
    }
    return merge_genesis_overrides(defaults, dict(overrides or {}))  # type: ignore[no-any-return]


def default_account_keys(count: int | None = None) -> list[bytes]:
    """eth-tester's default keys: the integers 1, 2, ... as 32-byte private keys."""
    return [i.to_bytes(32, "big") for i in range(1, (count or DEFAULT_ACCOUNTS) + 1)]


def mnemonic_account_keys(
    mnemonic: str, count: int | None = None, hd_path: str | None = None
) -> list[bytes]:
    """The keys eth-tester derives from a mnemonic: {hd_path}/i, hd_path m/44'/60'/0' by
    default (not the m/44'/60'/0'/0/i of anvil and `pyeth node`)."""
    path = hd_path or DEFAULT_HD_PATH
    return derive_keys(mnemonic, [f"{path}/{i}" for i in range(count or DEFAULT_ACCOUNTS)])


def genesis_state_for_keys(
    keys: Iterable[bytes], overrides: Mapping[str, Any] | None = None
) -> dict[bytes, dict[str, Any]]:
    """An account per key, eth-tester's shape: balance 1,000,000 ether, no code, no storage,
    nonce 0, as `overrides` changes them (ValueError for a key that is not one of those)."""
    defaults = {"balance": DEFAULT_BALANCE, "storage": {}, "code": b"", "nonce": 0}
    return {
        private_key_to_address(key): merge_genesis_overrides(defaults, dict(overrides or {}))
        for key in keys
    }


class PyethBackend(BaseChainBackend):  # type: ignore[misc]
    """eth-tester's chain backend on pyeth. The arguments are those of eth-tester's
    `PyEVMBackend`, but `fork` (a pyeth fork name: "cancun", "prague", "osaka", ...) replaces
    `vm_configuration` (py-evm's VM classes), and `chain_id` may be set.

    Raises (on construction):
        ValueError: a genesis parameter or account field eth-tester does not know, a
            `vm_configuration`, an unknown fork, or an invalid mnemonic.
    """

    def __init__(
        self,
        genesis_parameters: Mapping[str, Any] | None = None,
        genesis_state: Mapping[Any, Mapping[str, Any]] | None = None,
        vm_configuration: object = None,
        mnemonic: str | None = None,
        hd_path: str | None = None,
        *,
        fork: str = DEFAULT_FORK,
        chain_id: int = ETH_TESTER_CHAIN_ID,
        clock: Callable[[], float] = time.time,
    ) -> None:
        _refuse_vm_configuration(vm_configuration)
        self.fork = fork
        self.chain_id = chain_id
        self.clock = clock
        self.chain: Chain | None = None
        self._start(genesis_parameters, genesis_state, None, mnemonic, hd_path)

    # --- eth-tester's class helpers, as PyEVMBackend has them ------------------------------

    @classmethod
    def from_mnemonic(
        cls,
        mnemonic: str,
        genesis_state_overrides: Mapping[str, Any] | None = None,
        num_accounts: int | None = None,
        genesis_parameters: Mapping[str, Any] | None = None,
        vm_configuration: object = None,
        hd_path: str | None = None,
        **kwargs: Any,
    ) -> PyethBackend:
        """A backend whose accounts are `mnemonic`'s, each with `genesis_state_overrides`."""
        state = cls.generate_genesis_state(
            genesis_state_overrides, num_accounts, mnemonic=mnemonic, hd_path=hd_path
        )
        return cls(genesis_parameters, state, vm_configuration, mnemonic, hd_path, **kwargs)

    @classmethod
    def generate_genesis_params(cls, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return default_genesis_params(overrides)

    _generate_genesis_params = generate_genesis_params

    @classmethod
    def generate_genesis_state(
        cls,
        overrides: Mapping[str, Any] | None = None,
        num_accounts: int | None = None,
        mnemonic: str | None = None,
        hd_path: str | None = None,
    ) -> dict[bytes, dict[str, Any]]:
        keys = (
            mnemonic_account_keys(mnemonic, num_accounts, hd_path)
            if mnemonic
            else default_account_keys(num_accounts)
        )
        return genesis_state_for_keys(keys, overrides)

    _generate_genesis_state = generate_genesis_state

    # --- genesis ---------------------------------------------------------------------------

    def _start(
        self,
        genesis_params: Mapping[str, Any] | None,
        genesis_state: Mapping[Any, Mapping[str, Any]] | None,
        num_accounts: int | None,
        mnemonic: str | None,
        hd_path: str | None,
    ) -> None:
        """A new chain from this genesis (eth-tester's defaults for what is None)."""
        if genesis_state:
            num_accounts = len(genesis_state)
        keys = (
            mnemonic_account_keys(mnemonic, num_accounts, hd_path)
            if mnemonic
            else default_account_keys(num_accounts)
        )
        if genesis_state is None:
            genesis_state = genesis_state_for_keys(keys)
        genesis = self._genesis(default_genesis_params(genesis_params), genesis_state)
        if self.chain is not None:
            self.chain.close()
        self.chain = Chain.open(None, genesis)
        self.genesis_keys = list(keys)
        self._rewind()

    def _genesis(
        self, params: Mapping[str, Any], state: Mapping[Any, Mapping[str, Any]]
    ) -> Genesis:
        base = load_genesis(DEV_GENESIS_PATH)  # the system contracts' code, the blob schedule
        config = with_hardfork(replace(base.config, chain_id=self.chain_id), self.fork)
        alloc = {address: account for address, account in base.alloc.items() if account.code}
        for address, fields in state.items():
            unknown = set(fields) - {"balance", "storage", "code", "nonce"}
            if unknown:
                raise ValueError(
                    f"genesis account {_address(address).hex()}: unknown fields "
                    f"{sorted(unknown)}; eth-tester's are balance, storage, code and nonce"
                )
            alloc[_address(address)] = Account(
                nonce=int(fields.get("nonce", 0)),
                balance=int(fields.get("balance", 0)),
                code=bytes(fields.get("code", b"")),
                storage={int(k): int(v) for k, v in dict(fields.get("storage", {})).items()},
            )
        for root in ("receipt_root", "transaction_root"):
            if bytes(params[root]) != EMPTY_ROOT:
                raise ValueError(f"genesis {root} must be the empty trie's root: no block 0 body")
        return Genesis(
            config=config,
            alloc=alloc,
            gas_limit=int(params["gas_limit"]),
            difficulty=int(params["difficulty"]),
            extra_data=bytes(params["extra_data"]),
            timestamp=int(params["timestamp"]),
            mix_hash=bytes(params["mix_hash"]),
            coinbase=_address(params["coinbase"]),
            nonce=bytes(params["nonce"]),
        )

    def _rewind(self) -> None:
        """Back to the genesis block: its accounts, no pending block, the wall clock."""
        chain = self._chain
        chain.set_head(chain.genesis_hash)
        self.account_keys = list(self.genesis_keys)
        self._addresses = [private_key_to_address(key) for key in self.account_keys]
        self._pending: BlockBuilder | None = None
        self._preview: tuple[BlockBuilder, int, Block] | None = None
        self._read: tuple[bytes, State] | None = None
        self._time_offset = 0

    @property
    def _chain(self) -> Chain:
        assert self.chain is not None
        return self.chain

    # --- snapshots and time ----------------------------------------------------------------

    def take_snapshot(self) -> bytes:
        """The latest sealed block's hash: reverting to it drops what came after."""
        return self._chain.head_hash

    def revert_to_snapshot(self, snapshot: bytes) -> None:
        if self._chain.get_header(snapshot) is None:
            raise SnapshotNotFound(f"no block 0x{bytes(snapshot).hex()} to revert to")
        self._pending = None
        self._chain.set_head(snapshot)

    def reset_to_genesis(
        self,
        genesis_params: Mapping[str, Any] | None = None,
        genesis_state: Mapping[Any, Mapping[str, Any]] | None = None,
        num_accounts: int | None = None,
        vm_configuration: object = None,
        mnemonic: str | None = None,
        hd_path: str | None = None,
    ) -> None:
        """Without arguments, back to this backend's own genesis block (py-evm's backend
        builds its default chain instead, losing a custom genesis); with some, a new chain."""
        _refuse_vm_configuration(vm_configuration)
        given = (genesis_params, genesis_state, num_accounts, mnemonic, hd_path)
        if all(value is None for value in given):
            self._rewind()
        else:
            self._start(genesis_params, genesis_state, num_accounts, mnemonic, hd_path)

    def time_travel(self, to_timestamp: int) -> int:
        """Seal the pending block as it is and make `to_timestamp` the next block's time (the
        clock runs on from there): what `EthereumTester.time_travel` checks, the pending
        block's timestamp."""
        head = self._pending_builder().header
        if to_timestamp <= head.timestamp:
            raise ValidationError(
                f"cannot travel to {to_timestamp}: the pending block is already at "
                f"{head.timestamp}, and time only moves forward"
            )
        self.mine_blocks(1, head.coinbase)
        self._time_offset = to_timestamp - int(self.clock())
        self._pending = self._new_builder(timestamp=to_timestamp)
        return to_timestamp

    # --- mining ----------------------------------------------------------------------------

    def mine_blocks(self, num_blocks: int = 1, coinbase: bytes = ZERO_ADDRESS) -> tuple[bytes, ...]:
        """Seal the pending block, then empty ones, `num_blocks` in all; their hashes."""
        hashes = []
        for _ in range(num_blocks):
            builder = self._pending
            if builder is None:
                builder = self._new_builder(coinbase=coinbase)
            elif builder.header.coinbase != coinbase:  # fees already paid to another
                builder = self._rebuild(builder, coinbase=coinbase)
            hashes.append(self._seal(builder))
        return tuple(hashes)

    def apply_withdrawals(self, withdrawals_list: Sequence[Mapping[str, Any]]) -> None:
        """Seal the pending block with these withdrawals (amounts in gwei), from Shanghai."""
        validate_inbound_withdrawals(withdrawals_list)
        builder = self._pending_builder()
        if not since(builder.rules, "Shanghai"):
            raise ValidationError("Withdrawals are only supported after the Shanghai fork")
        withdrawals = [
            Withdrawal(
                index=int(item["index"]),
                validator_index=int(item["validator_index"]),
                address=_address(item["address"]),
                amount=int(item["amount"]),
            )
            for item in withdrawals_list
        ]
        self._seal(self._rebuild(builder, withdrawals=withdrawals))

    def _new_builder(
        self,
        *,
        timestamp: int | None = None,
        coinbase: bytes = ZERO_ADDRESS,
        withdrawals: Sequence[Withdrawal] = (),
    ) -> BlockBuilder:
        chain = self._chain
        if timestamp is None:
            timestamp = max(chain.head.timestamp + 1, int(self.clock()) + self._time_offset)
        return BlockBuilder(
            chain,
            timestamp=timestamp,
            coinbase=coinbase,
            prev_randao=keccak256(chain.head_hash),  # as pyeth's dev sealer: new each block
            withdrawals=withdrawals,
        )

    def _pending_builder(self) -> BlockBuilder:
        if self._pending is None:
            self._pending = self._new_builder()
        return self._pending

    def _rebuild(
        self,
        old: BlockBuilder,
        *,
        coinbase: bytes | None = None,
        withdrawals: Sequence[Withdrawal] = (),
    ) -> BlockBuilder:
        """The pending block again with another coinbase or withdrawals, its transactions
        executed anew (the old builder's state is dropped)."""
        builder = self._new_builder(
            timestamp=old.header.timestamp,
            coinbase=old.header.coinbase if coinbase is None else coinbase,
            withdrawals=withdrawals,
        )
        for tx in old.included:
            try:
                builder.add(tx)
            except InvalidTransaction as exc:
                raise TransactionRejected(f"pending transaction 0x{tx.hash.hex()}: {exc}") from None
        self._pending = builder
        return builder

    def _seal(self, builder: BlockBuilder) -> bytes:
        """Import the builder's block as the new head; its hash."""
        self._pending = None
        built = builder.finish()
        chain = self._chain
        result = chain.import_block(built.block, executed=built.executed)
        if not result.is_head:
            # The same block was sealed on this parent before a revert left it behind (same
            # transactions, same second): it is stored, so it becomes the head again.
            chain.set_head(result.hash)
        return result.hash

    # --- accounts --------------------------------------------------------------------------

    def get_accounts(self) -> tuple[bytes, ...]:
        return tuple(self._addresses)  # web3's provider asks for them before each call

    def add_account(self, private_key: bytes) -> None:
        self.account_keys.append(bytes(private_key))
        self._addresses.append(private_key_to_address(bytes(private_key)))

    # --- blocks ----------------------------------------------------------------------------

    def get_block_by_number(
        self, block_number: int | str = "latest", full_transaction: bool = True
    ) -> dict[str, Any]:
        if block_number == "pending":
            return self._serialize_block(self._pending_block(), full_transaction, pending=True)
        header_hash = self._canonical_hash(block_number)
        block = self._chain.get_block(header_hash)
        assert block is not None
        return self._serialize_block(block, full_transaction, pending=False)

    def get_block_by_hash(self, block_hash: bytes, full_transaction: bool = True) -> dict[str, Any]:
        header = self._chain.get_header(block_hash)
        if header is None or self._chain.canonical_hash(header.number) != block_hash:
            raise BlockNotFound(f"No block found for block hash: 0x{bytes(block_hash).hex()}")
        block = self._chain.get_block(block_hash)
        assert block is not None
        return self._serialize_block(block, full_transaction, pending=False)

    def _canonical_hash(self, block_number: int | str) -> bytes:
        """The sealed block a block identifier names (not "pending").

        Raises:
            BlockNotFound: no such block (a number above the head, an unknown tag).
        """
        chain = self._chain
        if block_number in ("latest", "safe", "finalized"):
            return chain.head_hash
        if block_number == "earliest":
            return chain.genesis_hash
        if isinstance(block_number, int) and 0 <= block_number <= chain.head.number:
            found = chain.canonical_hash(block_number)
            assert found is not None
            return found
        raise BlockNotFound(f"No block found for block number: {block_number}")

    def _header(self, block_number: int | str) -> BlockHeader:
        header = self._chain.get_header(self._canonical_hash(block_number))
        assert header is not None
        return header

    def _pending_block(self) -> Block:
        """The pending block as it would be sealed now, built again on a state of its own
        (so its roots and requests are exact) and kept until a transaction joins it."""
        builder = self._pending_builder()
        if (
            self._preview is not None
            and self._preview[0] is builder
            and self._preview[1] == len(builder.included)
        ):
            return self._preview[2]
        header = builder.header
        chain = self._chain
        built = build_block(
            chain,
            builder.included,
            timestamp=header.timestamp,
            coinbase=header.coinbase,
            prev_randao=header.prev_randao,
            withdrawals=builder.withdrawals,
            state=chain.state_at(chain.head.state_root),
        )
        self._preview = (builder, len(builder.included), built.block)
        return built.block

    def get_fee_history(
        self,
        block_count: int = 1,
        newest_block: int | str = "latest",
        reward_percentiles: Sequence[int] = (),
    ) -> dict[str, Any]:
        """eth-tester's fee history, in the shape and order its py-evm backend gives: the base
        fees and gas-used ratios of the `block_count` blocks before `newest_block`, newest
        first, `oldest_block` 1 and no rewards (eth-tester's own test asserts exactly this)."""
        if isinstance(block_count, int) and not 1 <= block_count <= 1024:
            raise ValidationError("block_count must be between 1 and 1024")
        if newest_block == "pending":
            newest_block = "latest"
        header = self._header(newest_block)
        chain = self._chain
        base_fees, ratios = [], []
        for _ in range(block_count):
            if header.number == 0:
                break
            parent = chain.get_header(header.parent_hash)
            assert parent is not None
            header = parent
            base_fees.append(header.base_fee_per_gas)
            ratios.append(header.gas_used / header.gas_limit)
        return {
            "oldest_block": 1,
            "base_fee_per_gas": base_fees,
            "gas_used_ratio": ratios,
            "reward": [],
        }

    # --- transactions and receipts ---------------------------------------------------------

    def get_transaction_by_hash(self, transaction_hash: bytes) -> dict[str, Any]:
        block, index, pending = self._find_transaction(transaction_hash)
        return self._serialize_transaction(block, index, pending)

    def get_transaction_receipt(self, transaction_hash: bytes) -> dict[str, Any]:
        block, index, pending = self._find_transaction(transaction_hash)
        if pending:
            builder = self._pending_builder()
            receipts: Sequence[Receipt] = builder.execution.result.receipts
        else:
            stored = self._chain.get_receipts(block.hash)
            assert stored is not None
            receipts = stored
        return self._serialize_receipt(block, receipts, index, pending)

    def _find_transaction(self, transaction_hash: bytes) -> tuple[Block, int, bool]:
        """(block, index, pending?) of a transaction in the pending block or on the canonical
        chain.

        Raises:
            TransactionNotFound: it is in neither.
        """
        transaction_hash = bytes(transaction_hash)
        pending = self._pending
        if pending is not None:
            for index, tx in enumerate(pending.included):
                if tx.hash == transaction_hash:
                    # Its fields and receipt need the header's fields, not the roots.
                    light = Block(pending.header, tuple(pending.included), (), None)
                    return light, index, True
        location = self._chain.get_transaction_location(transaction_hash)
        if location is None:
            raise TransactionNotFound(
                f"No transaction found for transaction hash: 0x{transaction_hash.hex()}"
            )
        block = self._chain.get_block(location[0])
        assert block is not None
        return block, location[1], False

    def send_transaction(self, transaction: Mapping[str, Any]) -> bytes:
        """Sign with the sender's key and execute into the pending block; the hash.

        Raises:
            ValidationError: no key for `from`.
            TransactionRejected: the transaction cannot be included (nonce, funds, gas above
                what the block has left, ...: the message says).
        """
        sender = bytes(transaction["from"])
        key = self._key_of(sender)
        unsigned = self._unsigned(transaction)
        # A legacy transaction is signed without a chain id (v 27/28), as py-evm's backend
        # signs it: eth-tester takes v back as a uint8 when it sends a pending one again.
        chain_id = None if isinstance(unsigned, LegacyTransaction) else unsigned.chain_id
        signed = sign_transaction(unsigned, key, chain_id)
        return self._include(signed)

    def send_signed_transaction(self, signed_transaction: Mapping[str, Any]) -> bytes:
        """A transaction given field by field with its signature (r, s, v; v is the y-parity
        of a typed one), executed into the pending block; the hash."""
        unsigned = self._unsigned(signed_transaction)
        v, r, s = (int(signed_transaction[k]) for k in ("v", "r", "s"))
        if isinstance(unsigned, LegacyTransaction):
            tx: Transaction = replace(unsigned, v=v, r=r, s=s)
        else:
            tx = replace(unsigned, y_parity=v, r=r, s=s)
        try:
            sender = recover_sender(tx)
        except InvalidTransaction as exc:
            raise TransactionRejected(f"invalid signature: {exc}") from None
        if "from" in signed_transaction and sender != bytes(signed_transaction["from"]):
            raise ValidationError(
                f"the signature is 0x{sender.hex()}'s, not that of `from` "
                f"0x{bytes(signed_transaction['from']).hex()}"
            )
        return self._include(tx)

    def send_raw_transaction(self, raw_transaction: bytes) -> bytes:
        """A transaction in its wire form (a blob transaction in its network form, with its
        blobs, which are checked) executed into the pending block; the hash.

        Raises:
            RawTransactionError: the bytes are not a transaction (an rlp DecodingError).
            TransactionRejected: it cannot be included.
        """
        raw = bytes(raw_transaction)
        tx: Transaction
        sidecar: BlobSidecar | None = None
        try:
            if is_pooled_form(raw):
                tx, _, sidecar = decode_pooled_transaction(raw)
            else:
                tx = decode_transaction(raw)
        except DecodingError as exc:
            raise RawTransactionError(f"not a transaction: {exc}", raw) from None
        if isinstance(tx, BlobTransaction):
            if sidecar is None:
                raise ValidationError(
                    "a blob transaction is sent in its network form, with its blobs"
                )
            # The proofs are checked in the form they come in, whatever the fork: eth-account
            # 0.14 wraps blobs with EIP-7594's cell proofs even for Prague, and the blobs
            # never reach the block (py-evm's backend does not look at them at all).
            try:
                verify_sidecar(tx, sidecar, cell_proofs=sidecar.version != 0)
            except InvalidTransaction as exc:
                raise TransactionRejected(f"blob sidecar: {exc}") from None
        return self._include(tx)

    def _include(self, tx: Transaction) -> bytes:
        try:
            self._pending_builder().add(tx)
        except InvalidTransaction as exc:
            raise TransactionRejected(f"transaction 0x{tx.hash.hex()} rejected: {exc}") from None
        return tx.hash

    def _key_of(self, sender: bytes) -> bytes:
        for address, key in zip(self._addresses, self.account_keys, strict=True):
            if address == sender:
                return key
        raise ValidationError(
            'No valid "from" key was provided in the transaction which is required for '
            f"transaction signing: no key for 0x{sender.hex()} (add it with add_account)"
        )

    def _unsigned(self, fields: Mapping[str, Any]) -> Transaction:
        """The unsigned transaction `fields` describe, with eth-tester's defaults: a fee-market
        transaction (1 gwei fee cap and tip) unless a gas price is given, the sender's next
        nonce in the pending block, this chain's id."""
        dynamic = any(k in fields for k in DYNAMIC_FEE_KEYS) or "gas_price" not in fields
        if dynamic and "gas_price" in fields:
            raise ValidationError("Mixed legacy and dynamic fee transaction values")
        nonce = fields.get("nonce")
        if nonce is None:
            nonce = self._pending_builder().state.get_nonce(bytes(fields["from"]))
        to = bytes(fields.get("to", b"")) or None
        value, data, gas = (
            int(fields.get("value", 0)),
            bytes(fields.get("data", b"")),
            fields["gas"],
        )
        access_list = tuple(
            (bytes(address), tuple(int(k) for k in keys))
            for address, keys in fields.get("access_list", ())
        )
        chain_id = int(fields.get("chain_id", self._chain.chain_id))
        if not dynamic:
            price = int(fields["gas_price"])
            if "access_list" not in fields:
                return LegacyTransaction(nonce, price, gas, to, value, data)
            return AccessListTransaction(chain_id, nonce, price, gas, to, value, data, access_list)
        given_tip = fields.get("max_priority_fee_per_gas")
        given_cap = fields.get("max_fee_per_gas")
        if given_tip is None and given_cap is None:
            tip = cap = DEFAULT_FEE
        elif given_cap is None:
            tip = int(fields["max_priority_fee_per_gas"])
            cap = tip + 2 * (self._pending_builder().header.base_fee_per_gas or 0)
        else:
            cap = int(given_cap)
            tip = min(DEFAULT_FEE, cap) if given_tip is None else int(given_tip)
        if "authorization_list" in fields:
            if to is None:
                raise ValidationError("a set-code transaction cannot create a contract")
            authorizations = tuple(
                Authorization(
                    int(a["chain_id"]),
                    bytes(a["address"]),
                    int(a["nonce"]),
                    int(a["y_parity"]),
                    int(a["r"]),
                    int(a["s"]),
                )
                for a in fields["authorization_list"]
            )
            return SetCodeTransaction(
                chain_id, nonce, tip, cap, gas, to, value, data, access_list, authorizations
            )
        return FeeMarketTransaction(chain_id, nonce, tip, cap, gas, to, value, data, access_list)

    # --- account state ---------------------------------------------------------------------

    def get_nonce(self, account: bytes, block_number: int | str = "latest") -> int:
        return self._state(block_number).get_nonce(bytes(account))

    def get_balance(self, account: bytes, block_number: int | str = "latest") -> int:
        return self._state(block_number).get_balance(bytes(account))

    def get_code(self, account: bytes, block_number: int | str = "latest") -> bytes:
        return self._state(block_number).get_code(bytes(account))

    def get_storage(self, account: bytes, slot: int, block_number: int | str = "latest") -> int:
        return self._state(block_number).get_storage(bytes(account), int(slot))

    def get_base_fee(self, block_number: int | str = "latest") -> int:
        if block_number == "pending":
            return self._pending_builder().header.base_fee_per_gas or 0
        return self._header(block_number).base_fee_per_gas or 0

    def _state(self, block_number: int | str) -> State:
        """The state after a block, for reading (and for calls, which undo their changes):
        the pending block's own, or one kept for the last sealed block's root asked."""
        if block_number == "pending":
            return self._pending_builder().state
        root = self._header(block_number).state_root
        if self._read is None or self._read[0] != root:
            self._read = (root, self._chain.state_at(root))
        return self._read[1]

    # --- calls -----------------------------------------------------------------------------

    def call(self, transaction: Mapping[str, Any], block_number: int | str = "latest") -> bytes:
        """Run `transaction` as a call on the state after the block; its output.

        Raises:
            TransactionFailed: it reverted (the Error(string) reason, else the revert data
                as Python shows bytes, which web3.py decodes) or failed otherwise.
            TransactionRejected: it cannot run at all (funds, intrinsic gas, fee cap).
        """
        state, env, rules, gas_limit = self._call_context(block_number)
        request = self._call_request(transaction)
        gas = request.gas if request.gas is not None else gas_limit
        try:
            outcome = run_call(state, env, rules, request, gas)
        except CallError as exc:
            raise TransactionRejected(str(exc)) from None
        if not outcome.success:
            raise TransactionFailed(_failure_message(outcome))
        return outcome.output

    def estimate_gas(
        self, transaction: Mapping[str, Any], block_number: int | str = "latest"
    ) -> int:
        """The least gas with which `transaction` succeeds there (a binary search, as geth;
        `gas`, when given, is the most it may have)."""
        state, env, rules, gas_limit = self._call_context(block_number)
        request = self._call_request(transaction)
        try:
            return estimate_gas(state, env, rules, request, gas_limit)
        except ExecutionReverted as exc:
            raise TransactionFailed(_revert_message(exc.data)) from None
        except ExecutionFailed as exc:
            raise TransactionFailed(str(exc)) from None
        except CallError as exc:
            raise TransactionRejected(str(exc)) from None

    def _call_context(self, block_number: int | str) -> tuple[State, Any, Any, int]:
        """(state, block environment, rules, the block's gas limit) for a call at a block:
        that block's own environment, as geth runs eth_call "at" a block."""
        if block_number == "pending":
            builder = self._pending_builder()
            return builder.state, builder.execution.env, builder.rules, builder.header.gas_limit
        header = self._header(block_number)
        chain = self._chain
        rules = chain.config.rules_at(header.number, header.timestamp)
        hashes: Sequence[bytes] = (
            AncestorHashes(chain, header.parent_hash, header.number - 1)
            if header.number > 0
            else ()
        )
        env = block_env(header, chain.chain_id, hashes, rules)
        return self._state(block_number), env, rules, header.gas_limit

    def _call_request(self, fields: Mapping[str, Any]) -> CallRequest:
        access_list = tuple(
            (bytes(address), tuple(int(k) for k in keys))
            for address, keys in fields.get("access_list", ())
        )
        return CallRequest(
            sender=bytes(fields.get("from", ZERO_ADDRESS)),
            to=bytes(fields.get("to", b"")) or None,
            value=int(fields.get("value", 0)),
            data=bytes(fields.get("data", b"")),
            gas=fields.get("gas"),
            gas_price=fields.get("gas_price"),
            max_fee_per_gas=fields.get("max_fee_per_gas"),
            max_priority_fee_per_gas=fields.get("max_priority_fee_per_gas"),
            access_list=access_list,
            nonce=fields.get("nonce"),
        )

    # --- eth-tester's raw shapes -----------------------------------------------------------

    def _serialize_block(self, block: Block, full: bool, pending: bool) -> dict[str, Any]:
        header = block.header
        if full:
            transactions: list[Any] = [
                self._serialize_transaction(block, i, pending)
                for i in range(len(block.transactions))
            ]
        else:
            transactions = list(block.transaction_hashes)
        if pending:
            total_difficulty = header.difficulty
        else:
            score = self._chain.store.get_score(block.hash)
            total_difficulty = header.difficulty if score is None else score
        info: dict[str, Any] = {
            "number": header.number,
            "hash": block.hash,
            "parent_hash": header.parent_hash,
            "nonce": header.nonce,
            "sha3_uncles": header.ommers_hash,
            "logs_bloom": int.from_bytes(header.logs_bloom, "big"),
            "transactions_root": header.transactions_root,
            "receipts_root": header.receipts_root,
            "state_root": header.state_root,
            "coinbase": header.coinbase,
            "difficulty": header.difficulty,
            "total_difficulty": total_difficulty,
            "mix_hash": header.prev_randao,
            "size": len(encode_block(block)),
            "extra_data": header.extra_data.rjust(32, b"\0"),
            "gas_limit": header.gas_limit,
            "gas_used": header.gas_used,
            "timestamp": header.timestamp,
            "transactions": transactions,
            "uncles": [],
        }
        if header.base_fee_per_gas is not None:
            info["base_fee_per_gas"] = header.base_fee_per_gas
        if header.withdrawals_root is not None:
            info["withdrawals"] = [
                {
                    "index": w.index,
                    "validator_index": w.validator_index,
                    "address": w.address,
                    "amount": w.amount,
                }
                for w in block.withdrawals or ()
            ]
            info["withdrawals_root"] = header.withdrawals_root
        if header.parent_beacon_block_root is not None:
            info["parent_beacon_block_root"] = header.parent_beacon_block_root
            info["blob_gas_used"] = header.blob_gas_used
            info["excess_blob_gas"] = header.excess_blob_gas
        if header.requests_hash is not None:
            info["requests_hash"] = header.requests_hash
        return info

    def _serialize_transaction(self, block: Block, index: int, pending: bool) -> dict[str, Any]:
        tx = block.transactions[index]
        info: dict[str, Any] = {
            "type": tx.TYPE,
            "hash": tx.hash,
            "nonce": tx.nonce,
            "block_hash": None if pending else block.hash,
            "block_number": None if pending else block.number,
            "transaction_index": None if pending else index,
            "from": recover_sender(tx),
            "to": tx.to or b"",
            "value": tx.value,
            "gas": tx.gas_limit,
            "data": tx.data,
        }
        if isinstance(tx, LegacyTransaction | AccessListTransaction):
            info["gas_price"] = tx.gas_price
        if not isinstance(tx, LegacyTransaction):
            info["chain_id"] = tx.chain_id
            info["access_list"] = tx.access_list
        if isinstance(tx, FeeMarketTransaction | BlobTransaction | SetCodeTransaction):
            info["max_fee_per_gas"] = tx.max_fee_per_gas
            info["max_priority_fee_per_gas"] = tx.max_priority_fee_per_gas
            info["gas_price"] = (
                tx.max_fee_per_gas
                if pending
                else effective_gas_price(tx, block.header.base_fee_per_gas or 0)
            )
        if isinstance(tx, BlobTransaction):
            info["max_fee_per_blob_gas"] = tx.max_fee_per_blob_gas
            info["blob_versioned_hashes"] = tx.blob_versioned_hashes
        if isinstance(tx, SetCodeTransaction):
            info["authorization_list"] = [
                {
                    "chain_id": a.chain_id,
                    "address": a.address,
                    "nonce": a.nonce,
                    "y_parity": a.y_parity,
                    "r": a.r,
                    "s": a.s,
                }
                for a in tx.authorization_list
            ]
        if isinstance(tx, LegacyTransaction):
            info["v"] = tx.v
        else:
            info["v"] = info["y_parity"] = tx.y_parity
        info["s"] = tx.s
        info["r"] = tx.r
        return info

    def _serialize_receipt(
        self, block: Block, receipts: Sequence[Receipt], index: int, pending: bool
    ) -> dict[str, Any]:
        tx = block.transactions[index]
        receipt = receipts[index]
        sender = recover_sender(tx)
        before = receipts[index - 1].cumulative_gas_used if index else 0
        base_fee = block.header.base_fee_per_gas or 0
        logs_before = sum(len(r.logs) for r in receipts[:index])
        info: dict[str, Any] = {
            "block_hash": None if pending else block.hash,
            "block_number": None if pending else block.number,
            "contract_address": create_address(sender, tx.nonce) if tx.to is None else None,
            "cumulative_gas_used": receipt.cumulative_gas_used,
            "effective_gas_price": effective_gas_price(tx, base_fee),
            "from": sender,
            "gas_used": receipt.cumulative_gas_used - before,
            "logs": [
                {
                    "type": "pending" if pending else "mined",
                    "log_index": logs_before + i,
                    "transaction_index": None if pending else index,
                    "transaction_hash": tx.hash,
                    "block_hash": None if pending else block.hash,
                    "block_number": None if pending else block.number,
                    "address": log.address,
                    "data": log.data,
                    "topics": list(log.topics),
                }
                for i, log in enumerate(receipt.logs)
            ],
            "state_root": b"\x01" if receipt.status else b"",
            "status": receipt.status,
            "to": tx.to or b"",
            "transaction_hash": tx.hash,
            "transaction_index": None if pending else index,
            "type": tx.TYPE,
        }
        if isinstance(tx, BlobTransaction):
            rules = self._chain.config.rules_at(block.number, block.header.timestamp)
            info["blob_gas_used"] = GAS_PER_BLOB * len(tx.blob_versioned_hashes)
            info["blob_gas_price"] = blob_base_fee(
                block.header.excess_blob_gas or 0, rules.blob_update_fraction
            )
        return info


def _failure_message(outcome: CallOutcome) -> str:
    """What eth-tester's py-evm backend puts in TransactionFailed for a failed call."""
    if outcome.reverted:
        return _revert_message(outcome.output)
    try:
        outcome.raise_for_failure()
    except ExecutionFailed as exc:
        return str(exc)
    return "execution failed"


def _revert_message(data: bytes) -> str:
    """An Error(string) revert's reason; any other revert data as Python prints bytes
    (b'...'), the form web3.py's provider decodes custom errors and panics from."""
    if data[:4] == ERROR_SELECTOR:
        reason = revert_reason(data)
        if reason is not None:
            return reason
    return repr(bytes(data))


def _address(value: Any) -> bytes:
    """A 20-byte address from bytes or a hex string."""
    if isinstance(value, str):
        value = bytes.fromhex(value.removeprefix("0x"))
    address = bytes(value)
    if len(address) != 20:
        raise ValueError(f"an address is 20 bytes, got {len(address)}: 0x{address.hex()}")
    return address


def _refuse_vm_configuration(vm_configuration: object) -> None:
    if vm_configuration is not None:
        raise ValueError(
            "vm_configuration takes py-evm's VM classes; PyethBackend runs pyeth's EVM: "
            "choose the rules with fork='cancun', 'prague', 'osaka', ..."
        )

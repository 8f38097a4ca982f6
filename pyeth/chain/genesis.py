"""Genesis: reading geth's genesis.json format into a `Genesis` (chain config, header fields and the
initial accounts), and building block 0 and its state from it.

The format is geth's: `config` (chainId, the fork activation blocks and times, `blobSchedule`,
`depositContractAddress`, `clique`), `alloc` (address -> balance, nonce, code, storage) and the
header fields (gasLimit, difficulty, extraData, baseFeePerGas, timestamp, mixHash, coinbase,
nonce, ...). Quantities may be hex ("0x...") or decimal strings or JSON integers, as geth
accepts them. Anything malformed raises `InvalidGenesis` with the path of the field
(`alloc.0x...balance`, `config.cancunTime`).

pyeth runs Berlin and later forks. Every block-numbered fork up to Berlin must be active at
genesis; London and the merge (`mergeNetsplitBlock`, or `terminalTotalDifficulty` 0) either are
too or never come (pyeth does not run the London block's gas-target switch or a proof-of-work to
proof-of-stake transition other than the first timestamp fork's). The timestamp forks
(Shanghai, Cancun, Prague, Osaka, BPO1 to BPO5) each come at any time, in order, none skipped
but the blob-parameter-only ones, and bring the merged rules with them; a config that says
otherwise is refused naming the field. This module does not touch a
database: `Genesis.commit_state(store)` writes the state tries into whatever node store the
caller gives it.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from hashlib import sha256
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Final

from evm.forks import FORKS, ForkRules
from pyeth.chain.blocks import EMPTY_OMMERS_HASH, Block
from pyeth.chain.forks import (
    BLOCK_FORKS,
    FIRST_FORK,
    FORK_ORDER,
    TIME_FORKS,
    BlobParams,
    default_blob_schedule,
    rules_at,
)
from pyeth.chain.receipts import EMPTY_BLOOM
from pyeth.db.nodestore import NodeStore
from pyeth.errors import PyethError
from pyeth.hashing import keccak256
from pyeth.sedes import BlockHeader
from pyeth.state import Account, State
from pyeth.trie import EMPTY_TRIE_ROOT

INITIAL_BASE_FEE: Final = 1_000_000_000  # EIP-1559: the base fee of the London block
DEFAULT_GAS_LIMIT: Final = 4_712_388  # geth's genesis gas limit when none is given
MAX_EXTRA_DATA: Final = 32

MAINNET_DEPOSIT_CONTRACT: Final = bytes.fromhex("00000000219ab540356cbb839cbe05303d7705fa")
EMPTY_REQUESTS_HASH: Final = sha256(b"").digest()  # EIP-7685: a block without requests
# Block forks up to the first fork pyeth runs must be at 0; the later ones at 0 or left out.
REQUIRED_BLOCK_FORKS: Final = BLOCK_FORKS[: [name for name, _ in BLOCK_FORKS].index(FIRST_FORK) + 1]
LATER_BLOCK_FORKS: Final = BLOCK_FORKS[len(REQUIRED_BLOCK_FORKS) :]
# Forks that only moved the difficulty bomb: a config may leave them out.
OPTIONAL_BLOCK_FORKS: Final = frozenset(
    {"muirGlacierBlock", "arrowGlacierBlock", "grayGlacierBlock"}
)
# Forks a config may leave out while scheduling later ones (geth's "optional" forks).
SKIPPABLE_FORKS: Final = frozenset({"BPO1", "BPO2", "BPO3", "BPO4", "BPO5"})


class InvalidGenesis(PyethError, ValueError):
    """A genesis file that cannot be read or is not one pyeth can run; names the field."""


@dataclass(frozen=True, slots=True)
class CliqueConfig:
    """The `config.clique` section: seconds between blocks and the checkpoint interval."""

    period: int
    epoch: int


@dataclass(frozen=True, slots=True)
class ChainConfig:
    """The `config` section: chain id, fork schedule and consensus engine parameters."""

    chain_id: int
    fork_blocks: Mapping[str, int | None] = field(default_factory=dict)  # genesis.json key -> n
    fork_times: Mapping[str, int | None] = field(default_factory=dict)
    terminal_total_difficulty: int | None = 0
    clique: CliqueConfig | None = None
    # Fork name ("Cancun", "BPO1", ...) -> its blob schedule; a fork left out has pyeth's
    # (mainnet's) schedule.
    blob_schedule: Mapping[str, BlobParams] = field(default_factory=dict)
    deposit_contract: bytes = MAINNET_DEPOSIT_CONTRACT  # EIP-6110: whose logs are deposits
    # The scheduled forks in order, (name, activation), kept from fork_blocks and fork_times:
    # fork_at runs a few times per block.
    _by_number: tuple[tuple[str, int], ...] = field(init=False, repr=False, compare=False)
    _by_time: tuple[tuple[str, int], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name, forks, activations in (
            ("_by_number", BLOCK_FORKS, self.fork_blocks),
            ("_by_time", TIME_FORKS, self.fork_times),
        ):
            scheduled = tuple(
                (fork, activation)
                for fork, key in forks
                if (activation := activations.get(key)) is not None
            )
            object.__setattr__(self, name, scheduled)

    def fork_at(self, number: int, timestamp: int) -> str:
        """The name of the fork in force for a block with this number and timestamp."""
        name = "Frontier"
        for fork, activation in self._by_number:
            if number >= activation:
                name = fork
        if self.terminal_total_difficulty == 0 and name != "Paris":
            name = "Paris"  # merged at genesis (the config checks London is there too)
        for fork, activation in self._by_time:
            if timestamp >= activation:
                name = fork
        return name

    def rules_at(self, number: int, timestamp: int) -> ForkRules:
        """The rules of the block with this number and timestamp (`forks.rules_at`)."""
        return rules_at(self, number, timestamp)

    def is_active(self, fork: str, number: int, timestamp: int) -> bool:
        """Whether `fork` (or a later one) is in force for this block."""
        return FORK_ORDER.index(self.fork_at(number, timestamp)) >= FORK_ORDER.index(fork)


@dataclass(frozen=True, slots=True)
class Genesis:
    """Everything genesis.json says: the config, block 0's header fields and its accounts."""

    config: ChainConfig
    alloc: Mapping[bytes, Account]
    gas_limit: int = DEFAULT_GAS_LIMIT
    difficulty: int = 0
    extra_data: bytes = b""
    base_fee_per_gas: int = INITIAL_BASE_FEE
    timestamp: int = 0
    mix_hash: bytes = bytes(32)
    coinbase: bytes = bytes(20)
    nonce: bytes = bytes(8)
    excess_blob_gas: int = 0
    blob_gas_used: int = 0
    parent_beacon_block_root: bytes = bytes(32)

    def state(self) -> State:
        """The genesis state in memory."""
        state = State()
        _fill(state, self.alloc)
        return state

    def commit_state(self, store: NodeStore) -> bytes:
        """Write the genesis state's tries and code into `store`; return the state root."""
        state = State.at_root(store)
        _fill(state, self.alloc)
        return state.commit()

    def header(self, state_root: bytes | None = None) -> BlockHeader:
        """Block 0's header (its state root computed unless given), with the fields of the
        forks active at genesis."""
        active = functools.partial(self.config.is_active, number=0, timestamp=self.timestamp)
        cancun = active("Cancun")
        return BlockHeader(
            parent_hash=bytes(32),
            ommers_hash=EMPTY_OMMERS_HASH,
            coinbase=self.coinbase,
            state_root=self.state().state_root() if state_root is None else state_root,
            transactions_root=EMPTY_TRIE_ROOT,
            receipts_root=EMPTY_TRIE_ROOT,
            logs_bloom=EMPTY_BLOOM,
            difficulty=self.difficulty,
            number=0,
            gas_limit=self.gas_limit,
            gas_used=0,
            timestamp=self.timestamp,
            extra_data=self.extra_data,
            prev_randao=self.mix_hash,
            nonce=self.nonce,
            base_fee_per_gas=self.base_fee_per_gas if active("London") else None,
            withdrawals_root=EMPTY_TRIE_ROOT if active("Shanghai") else None,
            blob_gas_used=self.blob_gas_used if cancun else None,
            excess_blob_gas=self.excess_blob_gas if cancun else None,
            parent_beacon_block_root=self.parent_beacon_block_root if cancun else None,
            requests_hash=EMPTY_REQUESTS_HASH if active("Prague") else None,
        )

    def block(self, state_root: bytes | None = None) -> Block:
        """Block 0: the header with an empty body (withdrawals from Shanghai)."""
        header = self.header(state_root)
        return Block(header, (), (), None if header.withdrawals_root is None else ())


def hardfork_names() -> list[str]:
    """The forks `with_hardfork` takes, oldest first: those pyeth has rules of its own for."""
    return [name for name in FORK_ORDER if name in FORKS]


def with_hardfork(config: ChainConfig, fork: str) -> ChainConfig:
    """`config` with `fork` (any case) as its newest fork, in force from genesis: every fork up
    to it at 0 (the merge with a terminal total difficulty of 0) and the later ones
    unscheduled (anvil's `--hardfork`).

    Raises:
        ValueError: `fork` is not one of `hardfork_names()`.
    """
    names = {name.lower(): name for name in hardfork_names()}
    chosen = names.get(fork.lower())
    if chosen is None:
        raise ValueError(f"unknown hardfork {fork!r}; choose one of {', '.join(names.values())}")
    last = FORK_ORDER.index(chosen)

    def schedule(forks: tuple[tuple[str, str], ...]) -> dict[str, int | None]:
        return {key: 0 if FORK_ORDER.index(name) <= last else None for name, key in forks}

    merged = last >= FORK_ORDER.index("Paris")
    return replace(
        config,
        fork_blocks=schedule(BLOCK_FORKS),
        fork_times=schedule(TIME_FORKS),
        terminal_total_difficulty=0 if merged else None,
    )


def _fill(state: State, alloc: Mapping[bytes, Account]) -> None:
    for address, account in alloc.items():
        state.set_nonce(address, account.nonce)
        state.set_balance(address, account.balance)
        if account.code:
            state.set_code(address, account.code)
        for key, value in account.storage.items():
            if value:
                state.set_storage(address, key, value)


# READING GENESIS.JSON


def load_genesis(path: str | os.PathLike[str] | Traversable) -> Genesis:
    """Read and check a genesis.json file (a path, or a package resource such as
    DEV_GENESIS_PATH). Raises InvalidGenesis naming the bad field."""
    source = Path(path) if isinstance(path, str | os.PathLike) else path
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidGenesis(f"cannot read genesis file {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidGenesis(f"genesis file {path} is not JSON: {exc}") from None
    return parse_genesis(data)


def parse_genesis(data: Any) -> Genesis:
    """Build a Genesis from genesis.json's decoded JSON. Raises InvalidGenesis naming the field."""
    if not isinstance(data, dict):
        raise InvalidGenesis("genesis: expected a JSON object")
    if "config" not in data:
        raise InvalidGenesis("config: missing")
    config = parse_config(data["config"])
    alloc = _parse_alloc(data.get("alloc", {}))
    fields: dict[str, Any] = {}
    for key, name, parse in (
        ("gasLimit", "gas_limit", _quantity),
        ("difficulty", "difficulty", _quantity),
        ("extraData", "extra_data", _data),
        ("baseFeePerGas", "base_fee_per_gas", _quantity),
        ("timestamp", "timestamp", _quantity),
        ("mixHash", "mix_hash", _hash32),
        ("coinbase", "coinbase", _address),
        ("nonce", "nonce", _nonce),
        ("excessBlobGas", "excess_blob_gas", _quantity),
        ("blobGasUsed", "blob_gas_used", _quantity),
        ("parentBeaconBlockRoot", "parent_beacon_block_root", _hash32),
    ):
        if data.get(key) is not None:
            fields[name] = parse(data[key], key)
    for key in ("number", "gasUsed"):
        if data.get(key) is not None and _quantity(data[key], key) != 0:
            raise InvalidGenesis(f"{key}: must be 0 for a genesis block")
    if data.get("parentHash") is not None and _hash32(data["parentHash"], "parentHash") != bytes(
        32
    ):
        raise InvalidGenesis("parentHash: must be zero for a genesis block")
    if fields.get("gas_limit") == 0:
        fields["gas_limit"] = DEFAULT_GAS_LIMIT
    if len(fields.get("extra_data", b"")) > MAX_EXTRA_DATA and config.clique is None:
        raise InvalidGenesis(f"extraData: longer than {MAX_EXTRA_DATA} bytes")
    if fields.get("gas_limit", DEFAULT_GAS_LIMIT) > 2**63 - 1:
        raise InvalidGenesis("gasLimit: above 2**63 - 1")
    return Genesis(config, alloc, **fields)


def parse_config(raw: Any) -> ChainConfig:
    """Build a ChainConfig from genesis.json's `config` object. Raises InvalidGenesis naming the
    field."""
    if not isinstance(raw, dict):
        raise InvalidGenesis("config: expected a JSON object")
    if raw.get("chainId") is None:
        raise InvalidGenesis("config.chainId: missing")
    chain_id = _quantity(raw["chainId"], "config.chainId")
    if chain_id == 0:
        raise InvalidGenesis("config.chainId: must not be 0")
    fork_blocks = _parse_block_forks(raw)
    ttd_raw = raw.get("terminalTotalDifficulty")
    ttd = None if ttd_raw is None else _quantity(ttd_raw, "config.terminalTotalDifficulty")
    merged = fork_blocks.get("mergeNetsplitBlock") == 0 or ttd == 0
    if merged and fork_blocks.get("londonBlock") != 0:
        raise InvalidGenesis("config.londonBlock: the merge is at genesis, so London must be 0")
    fork_times: dict[str, int | None] = {}
    _parse_time_forks(raw, fork_times)
    blob_schedule = _parse_blob_schedule(raw.get("blobSchedule"), fork_times)
    deposit_contract = MAINNET_DEPOSIT_CONTRACT
    if raw.get("depositContractAddress") is not None:
        deposit_contract = _address(raw["depositContractAddress"], "config.depositContractAddress")
    clique = None
    if raw.get("clique") is not None:
        section = raw["clique"]
        if not isinstance(section, dict):
            raise InvalidGenesis("config.clique: expected a JSON object")
        period = _quantity(section.get("period", 0), "config.clique.period")
        epoch = _quantity(section.get("epoch", 30000), "config.clique.epoch")
        if epoch == 0:
            raise InvalidGenesis("config.clique.epoch: must not be 0")
        clique = CliqueConfig(period, epoch)
    return ChainConfig(
        chain_id, fork_blocks, fork_times, ttd, clique, blob_schedule, deposit_contract
    )


def _parse_block_forks(raw: dict[str, Any]) -> dict[str, int | None]:
    """The block-numbered forks: up to Berlin at 0; London and the merge at 0 or left out, in
    order."""
    fork_blocks: dict[str, int | None] = {}
    for _, key in REQUIRED_BLOCK_FORKS:
        value = raw.get(key)
        fork_blocks[key] = None if value is None else _quantity(value, f"config.{key}")
        if key in OPTIONAL_BLOCK_FORKS and value is None:
            continue
        if fork_blocks[key] != 0:
            raise InvalidGenesis(
                f"config.{key}: pyeth runs {FIRST_FORK} and later forks from genesis, so it "
                f"must be 0 (got {'missing' if value is None else value})"
            )
    gap: str | None = None  # the first later fork left out
    for _, key in LATER_BLOCK_FORKS:
        value = raw.get(key)
        fork_blocks[key] = None if value is None else _quantity(value, f"config.{key}")
        if value is None:
            if gap is None and key not in OPTIONAL_BLOCK_FORKS:
                gap = key
            continue
        if fork_blocks[key] != 0:
            raise InvalidGenesis(
                f"config.{key}: pyeth runs block-numbered forks only from genesis: 0 or left "
                f"out (got {value})"
            )
        if gap is not None:
            raise InvalidGenesis(f"config.{key}: scheduled, but config.{gap} is not")
    return fork_blocks


def _parse_time_forks(raw: dict[str, Any], fork_times: dict[str, int | None]) -> None:
    """The timestamp forks: each at any time, in order, none skipped but the
    blob-parameter-only ones (geth's rule)."""
    previous_key, previous_time = "", 0
    gap: str | None = None  # the first fork left out
    for fork, key in TIME_FORKS:
        value = raw.get(key)
        fork_times[key] = None if value is None else _quantity(value, f"config.{key}")
        time = fork_times[key]
        if time is None:
            if gap is None and fork not in SKIPPABLE_FORKS:
                gap = key
            continue
        if gap is not None:
            raise InvalidGenesis(f"config.{key}: scheduled, but config.{gap} is not")
        if previous_key and time < previous_time:
            raise InvalidGenesis(
                f"config.{key}: {time} is before config.{previous_key} ({previous_time})"
            )
        previous_key, previous_time = key, time


def _parse_blob_schedule(raw: Any, fork_times: Mapping[str, int | None]) -> dict[str, BlobParams]:
    """`config.blobSchedule`: fork name (any case, "cancun" as geth writes it or "Cancun" as
    test fixtures do) -> target, max and baseFeeUpdateFraction. A scheduled fork pyeth has no
    schedule of its own for (BPO3 and later) must have one here."""
    names = {name.lower(): name for name, _ in TIME_FORKS}
    schedule: dict[str, BlobParams] = {}
    if raw is not None:
        if not isinstance(raw, dict):
            raise InvalidGenesis("config.blobSchedule: expected a JSON object of fork -> schedule")
        for key, entry in raw.items():
            where = f"config.blobSchedule.{key}"
            fork = names.get(key.lower())
            if fork is None:
                continue  # a fork this version does not know: geth ignores it too
            if not isinstance(entry, dict):
                raise InvalidGenesis(f"{where}: expected a JSON object")
            for field_name in ("target", "max", "baseFeeUpdateFraction"):
                if entry.get(field_name) is None:
                    raise InvalidGenesis(f"{where}.{field_name}: missing")
            params = BlobParams(
                _quantity(entry["target"], f"{where}.target"),
                _quantity(entry["max"], f"{where}.max"),
                _quantity(entry["baseFeeUpdateFraction"], f"{where}.baseFeeUpdateFraction"),
            )
            if params.target > params.max:
                raise InvalidGenesis(f"{where}: target {params.target} above max {params.max}")
            if params.update_fraction == 0:
                raise InvalidGenesis(f"{where}.baseFeeUpdateFraction: must not be 0")
            schedule[fork] = params
    for fork, key in TIME_FORKS:
        scheduled = fork_times.get(key) is not None
        if scheduled and fork not in schedule and default_blob_schedule(fork) is None:
            raise InvalidGenesis(
                f"config.blobSchedule: {fork} is scheduled ({key}) but has no entry"
            )
    return schedule


def _parse_alloc(raw: Any) -> dict[bytes, Account]:
    if not isinstance(raw, dict):
        raise InvalidGenesis("alloc: expected a JSON object of address -> account")
    alloc: dict[bytes, Account] = {}
    for key, entry in raw.items():
        text = key if key[:2] in ("0x", "0X") else "0x" + key
        where = f"alloc.{text}"
        address = _address(text, where)
        if address in alloc:
            raise InvalidGenesis(f"{where}: the address is listed twice")
        if not isinstance(entry, dict):
            raise InvalidGenesis(f"{where}: expected a JSON object")
        if "balance" not in entry:
            raise InvalidGenesis(f"{where}.balance: missing")
        account = Account(
            nonce=_quantity(entry.get("nonce", 0), f"{where}.nonce"),
            balance=_quantity(entry["balance"], f"{where}.balance"),
        )
        if account.nonce >= 2**64:
            raise InvalidGenesis(f"{where}.nonce: above 2**64 - 1")
        if account.balance >= 2**256:
            raise InvalidGenesis(f"{where}.balance: above 2**256 - 1")
        code = _data(entry.get("code", "0x"), f"{where}.code")
        if code:
            account.code = code
            account.code_hash = keccak256(code)
        storage = entry.get("storage", {}) or {}
        if not isinstance(storage, dict):
            raise InvalidGenesis(f"{where}.storage: expected a JSON object of slot -> value")
        for slot, value in storage.items():
            slot_key = _word(slot, f"{where}.storage.{slot}")
            slot_value = _word(value, f"{where}.storage.{slot}")
            if slot_value:
                account.storage[slot_key] = slot_value
        alloc[address] = account
    return alloc


def _quantity(value: Any, where: str) -> int:
    """A non-negative integer: JSON int, "0x" hex or decimal string."""
    if isinstance(value, bool):
        raise InvalidGenesis(f"{where}: expected a number, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise InvalidGenesis(f"{where}: must not be negative")
        return value
    if isinstance(value, str):
        try:
            if value[:2] in ("0x", "0X"):
                return int(value[2:], 16)
            if value.isdigit():
                return int(value)
        except ValueError:
            pass
    raise InvalidGenesis(f"{where}: expected a hex or decimal quantity, got {value!r}")


def _data(value: Any, where: str) -> bytes:
    if not isinstance(value, str) or value[:2] not in ("0x", "0X"):
        raise InvalidGenesis(f"{where}: expected 0x-prefixed hex data, got {value!r}")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise InvalidGenesis(f"{where}: not valid hex data: {value[:42]!r}") from None


def _fixed(value: Any, where: str, length: int) -> bytes:
    data = _data(value, where)
    if len(data) != length:
        raise InvalidGenesis(f"{where}: expected {length} bytes, got {len(data)}")
    return data


def _hash32(value: Any, where: str) -> bytes:
    return _fixed(value, where, 32)


def _address(value: Any, where: str) -> bytes:
    return _fixed(value, where, 20)


def _nonce(value: Any, where: str) -> bytes:
    number = _quantity(value, where)
    if number >= 2**64:
        raise InvalidGenesis(f"{where}: above 2**64 - 1")
    return number.to_bytes(8, "big")


def _word(value: Any, where: str) -> int:
    """A storage key or value: a hex string of at most 32 bytes."""
    if not isinstance(value, str) or value[:2] not in ("0x", "0X"):
        raise InvalidGenesis(f"{where}: expected a 0x-prefixed hex word, got {value!r}")
    number = _quantity(value, where)
    if number >= 2**256:
        raise InvalidGenesis(f"{where}: wider than 32 bytes")
    return number


DEV_GENESIS_PATH: Final[Traversable] = files("pyeth") / "genesis" / "dev.json"
"""The dev chain's genesis: package data (pyproject's package-data), found through
importlib.resources so a wheel installed anywhere (or a zipped one) has it, not through a path
beside the source tree. A Traversable: `.read_text()` it or give it to load_genesis."""


def dev_genesis(
    chain_id: int, addresses: Iterable[bytes], balance: int, hardfork: str | None = None
) -> Genesis:
    """`pyeth/genesis/dev.json` with this chain id and these accounts funded (its system
    contracts kept), on the latest mainnet rules or, given `hardfork`, on that fork's (anvil's
    `--hardfork`; ValueError for a fork pyeth does not run). The dev node, the contract test
    harness and devnets start from it."""
    base = load_genesis(DEV_GENESIS_PATH)
    alloc = {address: account for address, account in base.alloc.items() if account.code}
    for address in addresses:
        alloc[bytes(address)] = Account(balance=balance)
    config = replace(base.config, chain_id=chain_id)
    if hardfork is not None:
        config = with_hardfork(config, hardfork)
    return replace(base, config=config, alloc=alloc)

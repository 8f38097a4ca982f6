"""Run BlockchainTests fixtures: build the chain from the fixture's genesis, feed it every block's
`rlp` (those with `expectException` must be rejected, all others accepted), then compare the
head with `lastblockhash` and the head's state with `postState` (or `postStateHash`).

Both formats are read: ethereum/tests' (network "Cancun", chain id 1) and EEST's (a `config`
with the chain id and the `blobSchedule`). A test's `network` is a fork ("Prague") or a
transition ("PragueToOsakaAtTime15k": Prague at genesis, Osaka from timestamp 15,000), turned
into a genesis.json config (`network_config`); a network with a fork pyeth does not run
(before Berlin) is skipped, not failed. The chain's own fork choice picks the head (each
valid block becomes the head, as the fixtures' consensus layer would say), so the head check
tests fork choice and reorgs too. Used by `pyeth blocktest` and by the conformance tests.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from pyeth.chain import Chain, ChainConfig, Genesis
from pyeth.chain.forks import BLOCK_FORKS, FIRST_FORK, FORK_ORDER, TIME_FORKS
from pyeth.chain.genesis import InvalidGenesis, parse_config
from pyeth.errors import InvalidBlock, PyethError
from pyeth.hexutil import hex_to_bytes, hex_to_int
from pyeth.state import Account, State
from pyeth.testing.results import CaseResult
from pyeth.testing.statetests import load_pre_state

BLOCK_TEST_CHAIN_ID = 1
LAST_BLOCK_HASH = "lastblockhash"  # the digest a blockchain test's result reports
TRANSITION = re.compile(r"(?P<first>\w+?)To(?P<second>\w+)AtTime(?P<thousands>\d+)k")
# Forks a test network may name: the first pyeth runs and every later one (the
# blob-parameter-only forks without a table of their own run on the fixture's blobSchedule).
RUNNABLE_FORKS = FORK_ORDER[FORK_ORDER.index(FIRST_FORK) :]


class UnsupportedNetwork(ValueError):
    """A test network with a fork pyeth does not run."""


def network_config(network: str, config: dict[str, Any] | None = None) -> ChainConfig:
    """The chain config of a test network: every fork up to the network's first one active at
    genesis, the second fork of a transition network at its time, the chain id and blob
    schedule of the fixture's `config` (EEST) when given.

    Raises:
        UnsupportedNetwork: the network names a fork pyeth does not run, or is not a fork.
    """
    match = TRANSITION.fullmatch(network)
    first, second = (match["first"], match["second"]) if match else (network, None)
    for fork in (first, second):
        if fork is not None and fork not in RUNNABLE_FORKS:
            raise UnsupportedNetwork(f"network {network}: pyeth does not run {fork}")
    last = FORK_ORDER.index(first)
    raw: dict[str, Any] = {
        key: 0 for fork, key in BLOCK_FORKS + TIME_FORKS if FORK_ORDER.index(fork) <= last
    }
    if last >= FORK_ORDER.index("Paris"):
        raw["terminalTotalDifficulty"] = 0
    if match:
        assert second is not None  # a transition network names its second fork
        raw[dict(TIME_FORKS)[second]] = int(match["thousands"]) * 1000
    config = config or {}
    raw["chainId"] = config.get("chainid", BLOCK_TEST_CHAIN_ID)
    if "blobSchedule" in config:
        raw["blobSchedule"] = config["blobSchedule"]
    try:
        return parse_config(raw)
    except InvalidGenesis as exc:
        raise UnsupportedNetwork(f"network {network}: {exc}") from None


def fixture_genesis(test: dict[str, Any]) -> Genesis:
    """The Genesis a fixture describes: its network's config, its genesis header's fields and
    its `pre` accounts.

    Raises:
        UnsupportedNetwork: the test's network is not one pyeth runs.
    """
    header = test["genesisBlockHeader"]
    config = network_config(test["network"], test.get("config"))
    alloc: dict[bytes, Account] = dict(load_pre_state(test["pre"]).accounts())
    return Genesis(
        config=config,
        alloc=alloc,
        gas_limit=hex_to_int(header["gasLimit"]),
        difficulty=hex_to_int(header["difficulty"]),
        extra_data=hex_to_bytes(header["extraData"]),
        base_fee_per_gas=hex_to_int(header.get("baseFeePerGas", "0x0")),
        timestamp=hex_to_int(header["timestamp"]),
        mix_hash=hex_to_bytes(header["mixHash"]),
        coinbase=hex_to_bytes(header["coinbase"]),
        nonce=hex_to_bytes(header["nonce"]),
        excess_blob_gas=hex_to_int(header.get("excessBlobGas", "0x0")),
        blob_gas_used=hex_to_int(header.get("blobGasUsed", "0x0")),
        parent_beacon_block_root=hex_to_bytes(header.get("parentBeaconBlockRoot", "0x" + "0" * 64)),
    )


def run_case(name: str, test: dict[str, Any], datadir: Path | None = None) -> CaseResult:
    """Run one blockchain test on a fresh chain (in memory unless `datadir` is given).

    Raises:
        UnsupportedNetwork: the test's network is not one pyeth runs.
    """
    fork = test["network"]
    errors: list[str] = []
    chain = Chain.open(datadir, fixture_genesis(test))
    try:
        expected_genesis = test["genesisBlockHeader"]["hash"]
        if "0x" + chain.genesis_hash.hex() != expected_genesis:
            errors.append(f"genesis hash 0x{chain.genesis_hash.hex()}, expected {expected_genesis}")
        else:
            errors.extend(_import_blocks(chain, test["blocks"]))
        last = "0x" + chain.head_hash.hex()
        if not errors:
            if last != test["lastblockhash"]:
                errors.append(f"head {last}, expected lastblockhash {test['lastblockhash']}")
            else:
                errors.extend(_check_post_state(chain, test))
    finally:
        chain.close()
    return CaseResult(name, fork, not errors, last, "; ".join(errors) or None, LAST_BLOCK_HASH)


def _import_blocks(chain: Chain, blocks: list[dict[str, Any]]) -> list[str]:
    errors = []
    for index, entry in enumerate(blocks):
        expected = entry.get("expectException")
        try:
            chain.import_block(hex_to_bytes(entry["rlp"]))
        except (InvalidBlock, PyethError) as exc:
            if not expected:
                errors.append(f"block {index} rejected: {exc}")
                break
            continue
        if expected:
            errors.append(f"block {index} accepted, expected rejection ({expected})")
            break
    return errors


def _check_post_state(chain: Chain, test: dict[str, Any]) -> list[str]:
    root = chain.head.state_root
    if "postStateHash" in test:
        expected = hex_to_bytes(test["postStateHash"])
        if root != expected:
            return [f"post state root 0x{root.hex()}, expected 0x{expected.hex()}"]
        return []
    expected_state = load_pre_state(test["postState"])
    expected_root = expected_state.state_root()
    if root == expected_root:
        return []
    return [f"post state root 0x{root.hex()}, expected 0x{expected_root.hex()}"] + _state_diff(
        chain.head_state(), expected_state
    )


def _state_diff(actual: State, expected: State, limit: int = 5) -> list[str]:
    """A few account-level differences, to say why two state roots differ."""
    found = []
    for address, account in expected.accounts().items():
        have = actual.get_account(address)
        where = "0x" + address.hex()
        if have is None:
            found.append(f"{where} missing")
        elif (have.nonce, have.balance, have.code_hash) != (
            account.nonce,
            account.balance,
            account.code_hash,
        ):
            found.append(
                f"{where} nonce/balance {have.nonce}/{have.balance}, "
                f"expected {account.nonce}/{account.balance}"
            )
        else:
            for key, value in account.storage.items():
                if actual.get_storage(address, key) != value:
                    found.append(
                        f"{where} slot {key:#x} = {actual.get_storage(address, key):#x}, "
                        f"expected {value:#x}"
                    )
                    break
        if len(found) >= limit:
            break
    return found


def is_runnable(network: str, config: dict[str, Any] | None = None) -> bool:
    """Whether pyeth runs the forks of test network `network`."""
    try:
        network_config(network, config)
    except UnsupportedNetwork:
        return False
    return True


def iter_cases(
    path: Path, networks: Collection[str] | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(test name, test) for every test of one fixture file on one of `networks` (None: on any
    network)."""
    with open(path) as handle:
        fixture = json.load(handle)
    if not isinstance(fixture, dict):
        raise ValueError("a blockchain-test file holds a JSON object of tests")
    for name, test in fixture.items():
        missing = [key for key in ("network", "genesisBlockHeader", "blocks") if key not in test]
        if missing:
            raise ValueError(f"test {name!r} is not a blockchain test: no {', '.join(missing)}")
        if networks is None or test["network"] in networks:
            yield name, test


def run_file(
    path: Path, networks: Collection[str] | None = None, name_filter: str | None = None
) -> tuple[list[CaseResult], Counter[str]]:
    """Run the tests of one fixture file on the given networks (None: every network pyeth
    runs), optionally only those whose name contains `name_filter`. Returns the results and,
    by network, the number of tests skipped because pyeth does not run that network."""
    results = []
    skipped: Counter[str] = Counter()
    for name, test in iter_cases(path, networks):
        if name_filter and name_filter not in name:
            continue
        if not is_runnable(test["network"], test.get("config")):
            skipped[test["network"]] += 1
            continue
        results.append(run_case(name, test))
    return results, skipped

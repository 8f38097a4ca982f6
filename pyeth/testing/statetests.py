"""Run GeneralStateTests fixtures: build the pre-state, apply the transaction that each post
entry selects, and compare the state root and logs hash with what the fixture expects.

Used by `pyeth statetest` and by the conformance tests.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rlp

from evm.forks import rules_for
from evm.frame import BlockEnv
from pyeth.errors import PyethError
from pyeth.fees import blob_base_fee
from pyeth.hashing import keccak256
from pyeth.hexutil import hex_to_bytes, hex_to_int
from pyeth.keys import private_key_to_address
from pyeth.state import Account, State
from pyeth.transactions.model import (
    AccessListTransaction,
    BlobTransaction,
    FeeMarketTransaction,
    LegacyTransaction,
    Transaction,
)
from pyeth.transition import apply_transaction

STATE_TEST_CHAIN_ID = 1


@dataclass(slots=True)
class CaseResult:
    """One post entry's outcome, in geth's `evm statetest --json` shape."""

    name: str
    fork: str
    passed: bool
    state_root: str
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "fork": self.fork,
            "pass": self.passed,
            "stateRoot": self.state_root,
            "error": self.error,
        }


def load_pre_state(pre: dict[str, Any]) -> State:
    """A State holding the fixture's `pre` accounts."""
    accounts = {}
    for address, fields in pre.items():
        account = Account(
            nonce=hex_to_int(fields["nonce"]),
            balance=hex_to_int(fields["balance"]),
            storage={
                hex_to_int(k): hex_to_int(v)
                for k, v in fields.get("storage", {}).items()
                if hex_to_int(v)
            },
        )
        code = hex_to_bytes(fields.get("code", "0x"))
        if code:
            account.code = code
            account.code_hash = keccak256(code)
        accounts[hex_to_bytes(address)] = account
    return State(accounts)


def block_env(env: dict[str, Any]) -> BlockEnv:
    """The block environment of a state test. BLOCKHASH of block n answers keccak256(str(n)),
    the convention of the state-test fillers."""
    number = hex_to_int(env["currentNumber"])
    random = env.get("currentRandom")
    excess = env.get("currentExcessBlobGas")
    return BlockEnv(
        coinbase=hex_to_bytes(env["currentCoinbase"]),
        number=number,
        timestamp=hex_to_int(env["currentTimestamp"]),
        gas_limit=hex_to_int(env["currentGasLimit"]),
        prev_randao=hex_to_bytes(random).rjust(32, b"\0") if random else bytes(32),
        base_fee=hex_to_int(env.get("currentBaseFee", "0x0")),
        chain_id=STATE_TEST_CHAIN_ID,
        blob_base_fee=blob_base_fee(hex_to_int(excess)) if excess else 1,
        block_hashes=[keccak256(str(n).encode()) for n in range(max(0, number - 256), number)],
        difficulty=hex_to_int(env.get("currentDifficulty", "0x0")),
    )


def build_transaction(template: dict[str, Any], indexes: dict[str, int]) -> Transaction:
    """The transaction a post entry selects from the fixture's template."""
    data = hex_to_bytes(template["data"][indexes["data"]])
    gas_limit = hex_to_int(template["gasLimit"][indexes["gas"]])
    value = hex_to_int(template["value"][indexes["value"]])
    to = hex_to_bytes(template["to"]) if template.get("to") else None
    nonce = hex_to_int(template["nonce"])
    access_lists = template.get("accessLists")
    access_list: tuple[tuple[bytes, tuple[int, ...]], ...] = ()
    if access_lists is not None and access_lists[indexes["data"]] is not None:
        access_list = tuple(
            (hex_to_bytes(entry["address"]), tuple(hex_to_int(k) for k in entry["storageKeys"]))
            for entry in access_lists[indexes["data"]]
        )
    common = dict(nonce=nonce, gas_limit=gas_limit, to=to, value=value, data=data)
    if "blobVersionedHashes" in template:
        return BlobTransaction(
            chain_id=STATE_TEST_CHAIN_ID,
            max_priority_fee_per_gas=hex_to_int(template["maxPriorityFeePerGas"]),
            max_fee_per_gas=hex_to_int(template["maxFeePerGas"]),
            access_list=access_list,
            max_fee_per_blob_gas=hex_to_int(template["maxFeePerBlobGas"]),
            blob_versioned_hashes=tuple(hex_to_bytes(h) for h in template["blobVersionedHashes"]),
            **common,
        )
    if "maxFeePerGas" in template:
        return FeeMarketTransaction(
            chain_id=STATE_TEST_CHAIN_ID,
            max_priority_fee_per_gas=hex_to_int(template["maxPriorityFeePerGas"]),
            max_fee_per_gas=hex_to_int(template["maxFeePerGas"]),
            access_list=access_list,
            **common,
        )
    if access_lists is not None:
        return AccessListTransaction(
            chain_id=STATE_TEST_CHAIN_ID,
            gas_price=hex_to_int(template["gasPrice"]),
            access_list=access_list,
            **common,
        )
    return LegacyTransaction(gas_price=hex_to_int(template["gasPrice"]), **common)


def logs_hash(logs: list[tuple[bytes, tuple[bytes, ...], bytes]]) -> bytes:
    """keccak256(rlp(logs)), the `logs` field of a state-test post entry."""
    return keccak256(rlp.encode([[address, list(topics), data] for address, topics, data in logs]))


def run_case(name: str, test: dict[str, Any], fork: str, index: int) -> CaseResult:
    """Run post entry `index` of `fork` in one state test."""
    post = test["post"][fork][index]
    case_name = f"{name}[{index}]" if len(test["post"][fork]) > 1 else name
    rules = rules_for(fork)
    state = load_pre_state(test["pre"])
    env = block_env(test["env"])
    template = test["transaction"]
    expect_exception = post.get("expectException")
    logs: list[tuple[bytes, tuple[bytes, ...], bytes]] = []
    rejection: str | None = None
    try:
        tx = build_transaction(template, post["indexes"])
        if "sender" in template:
            sender = hex_to_bytes(template["sender"])
        else:
            sender = private_key_to_address(hex_to_bytes(template["secretKey"]))
        logs = apply_transaction(state, env, tx, sender, rules).logs
    except PyethError as exc:
        rejection = str(exc)
    root = "0x" + state.state_root().hex()
    errors = []
    if root != post["hash"]:
        errors.append(f"state root {root}, expected {post['hash']}")
    expected_logs = post.get("logs")
    if expected_logs and "0x" + logs_hash(logs).hex() != expected_logs:
        errors.append(f"logs hash {'0x' + logs_hash(logs).hex()}, expected {expected_logs}")
    if expect_exception and rejection is None:
        errors.append(f"transaction accepted, expected rejection ({expect_exception})")
    if rejection is not None and not expect_exception:
        errors.append(f"transaction rejected: {rejection}")
    return CaseResult(case_name, fork, not errors, root, "; ".join(errors) or None)


def iter_cases(path: Path, fork: str) -> Iterator[tuple[str, dict[str, Any], int]]:
    """(test name, test, post index) for every entry of `fork` in one fixture file."""
    with open(path) as handle:
        fixture = json.load(handle)
    for name, test in fixture.items():
        for index in range(len(test.get("post", {}).get(fork, ()))):
            yield name, test, index


def run_file(path: Path, fork: str, name_filter: str | None = None) -> list[CaseResult]:
    """Run every `fork` entry of one fixture file (optionally only names containing a filter)."""
    results = []
    for name, test, index in iter_cases(path, fork):
        if name_filter and name_filter not in name:
            continue
        results.append(run_case(name, test, fork, index))
    return results

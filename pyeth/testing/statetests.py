"""Run GeneralStateTests fixtures: build the pre-state, apply the transaction that each post
entry selects, and compare the state root and logs hash with what the fixture expects.

Used by `pyeth statetest` and by the conformance tests.
"""

import json
from collections import Counter
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from evm.forks import FORKS, ForkRules, rules_for
from evm.frame import BlockEnv
from pyeth.errors import PyethError
from pyeth.fees import blob_base_fee
from pyeth.hashing import keccak256
from pyeth.hexutil import hex_to_bytes, hex_to_int
from pyeth.keys import private_key_to_address
from pyeth.sedes import encode
from pyeth.state import Account, State
from pyeth.testing.results import CaseResult
from pyeth.transactions.model import (
    AccessListTransaction,
    Authorization,
    BlobTransaction,
    FeeMarketTransaction,
    LegacyTransaction,
    SetCodeTransaction,
    Transaction,
)
from pyeth.transition import apply_transaction

STATE_TEST_CHAIN_ID = 1


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


def fork_rules(test: dict[str, Any], fork: str) -> ForkRules:
    """The fork's rules, with the blob schedule of the fixture's `config` when it gives one."""
    rules = rules_for(fork)
    schedule = test.get("config", {}).get("blobSchedule", {}).get(fork)
    if schedule:
        rules = rules.with_blob_schedule(
            hex_to_int(schedule["target"]),
            hex_to_int(schedule["max"]),
            hex_to_int(schedule["baseFeeUpdateFraction"]),
        )
    return rules


def chain_id_of(test: dict[str, Any]) -> int:
    """The fixture's chain id (EEST fixtures say it in `config`; ethereum/tests use 1)."""
    chain_id = test.get("config", {}).get("chainid")
    return hex_to_int(chain_id) if chain_id else STATE_TEST_CHAIN_ID


def block_env(env: dict[str, Any], rules: ForkRules, chain_id: int) -> BlockEnv:
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
        chain_id=chain_id,
        blob_base_fee=(
            blob_base_fee(hex_to_int(excess), rules.blob_update_fraction) if excess else 1
        ),
        block_hashes=[keccak256(str(n).encode()) for n in range(max(0, number - 256), number)],
        difficulty=hex_to_int(env.get("currentDifficulty", "0x0")),
    )


def build_transaction(
    template: dict[str, Any], indexes: dict[str, int], chain_id: int = STATE_TEST_CHAIN_ID
) -> Transaction:
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
    common: dict[str, Any] = dict(nonce=nonce, gas_limit=gas_limit, to=to, value=value, data=data)
    if "authorizationList" in template:
        return SetCodeTransaction(
            chain_id=chain_id,
            max_priority_fee_per_gas=hex_to_int(template["maxPriorityFeePerGas"]),
            max_fee_per_gas=hex_to_int(template["maxFeePerGas"]),
            access_list=access_list,
            authorization_list=tuple(
                Authorization(
                    chain_id=hex_to_int(entry["chainId"]),
                    address=hex_to_bytes(entry["address"]),
                    nonce=hex_to_int(entry["nonce"]),
                    y_parity=hex_to_int(entry.get("yParity", entry.get("v", "0x0"))),
                    r=hex_to_int(entry["r"]),
                    s=hex_to_int(entry["s"]),
                )
                for entry in template["authorizationList"]
            ),
            **common,
        )
    if "blobVersionedHashes" in template:
        return BlobTransaction(
            chain_id=chain_id,
            max_priority_fee_per_gas=hex_to_int(template["maxPriorityFeePerGas"]),
            max_fee_per_gas=hex_to_int(template["maxFeePerGas"]),
            access_list=access_list,
            max_fee_per_blob_gas=hex_to_int(template["maxFeePerBlobGas"]),
            blob_versioned_hashes=tuple(hex_to_bytes(h) for h in template["blobVersionedHashes"]),
            **common,
        )
    if "maxFeePerGas" in template:
        return FeeMarketTransaction(
            chain_id=chain_id,
            max_priority_fee_per_gas=hex_to_int(template["maxPriorityFeePerGas"]),
            max_fee_per_gas=hex_to_int(template["maxFeePerGas"]),
            access_list=access_list,
            **common,
        )
    if access_lists is not None:
        return AccessListTransaction(
            chain_id=chain_id,
            gas_price=hex_to_int(template["gasPrice"]),
            access_list=access_list,
            **common,
        )
    return LegacyTransaction(gas_price=hex_to_int(template["gasPrice"]), **common)


def logs_hash(logs: list[tuple[bytes, tuple[bytes, ...], bytes]]) -> bytes:
    """keccak256(rlp(logs)), the `logs` field of a state-test post entry."""
    return keccak256(encode([[address, list(topics), data] for address, topics, data in logs]))


def run_case(name: str, test: dict[str, Any], fork: str, index: int) -> CaseResult:
    """Run post entry `index` of `fork` in one state test."""
    post = test["post"][fork][index]
    case_name = f"{name}[{index}]" if len(test["post"][fork]) > 1 else name
    rules = fork_rules(test, fork)
    chain_id = chain_id_of(test)
    state = load_pre_state(test["pre"])
    env = block_env(test["env"], rules, chain_id)
    template = test["transaction"]
    expect_exception = post.get("expectException")
    logs: list[tuple[bytes, tuple[bytes, ...], bytes]] = []
    rejection: str | None = None
    try:
        tx = build_transaction(template, post["indexes"], chain_id)
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


def iter_cases(
    path: Path, forks: Collection[str] | None = None
) -> Iterator[tuple[str, dict[str, Any], str, int]]:
    """(test name, test, fork, post index) for every post entry of one fixture file, of the
    given forks (None: of every fork in the file)."""
    with open(path) as handle:
        fixture = json.load(handle)
    if not isinstance(fixture, dict):
        raise ValueError("a state-test file holds a JSON object of tests")
    for name, test in fixture.items():
        missing = [key for key in ("env", "pre", "transaction", "post") if key not in test]
        if missing:
            raise ValueError(f"test {name!r} is not a state test: no {', '.join(missing)}")
        for fork, entries in test["post"].items():
            if forks is None or fork in forks:
                for index in range(len(entries)):
                    yield name, test, fork, index


def run_file(
    path: Path, forks: Collection[str] | None = None, name_filter: str | None = None
) -> tuple[list[CaseResult], Counter[str]]:
    """Run the post entries of the given forks (None: all) in one fixture file, optionally only
    tests whose name contains `name_filter`. Returns the results and, by fork name, the entries
    skipped because pyeth does not implement that fork."""
    results = []
    skipped: Counter[str] = Counter()
    for name, test, fork, index in iter_cases(path, forks):
        if name_filter and name_filter not in name:
            continue
        if fork not in FORKS:
            skipped[fork] += 1
            continue
        results.append(run_case(name, test, fork, index))
    return results, skipped

"""Forks in the chain: chosen per block by timestamp (transitions mid-chain, Paris to Osaka),
proof-of-work headers and rewards before the merge, the requests hash and the requests behind
it (deposit logs, the request system calls), the EIP-2935 history call, blob schedules and
EIP-7918's reserve price in the excess blob gas, and EIP-7934's block size limit. The EEST
blockchain tests cover the same ground in depth (tests/conformance/test_blockchain.py); these
pin each rule to a small case."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest
from chain_helpers import ADDRESSES, call, make_genesis, transfer

from evm.forks import CANCUN, OSAKA, PRAGUE
from pyeth.chain import Chain, Genesis, build_block, load_genesis, parse_genesis, rules_at
from pyeth.chain.forks import BlobParams, fork_rules
from pyeth.chain.genesis import InvalidGenesis, with_hardfork
from pyeth.chain.requests import DEPOSIT_EVENT_TOPIC, deposit_request, requests_hash
from pyeth.chain.system import (
    CONSOLIDATION_REQUEST_ADDRESS,
    HISTORY_STORAGE_ADDRESS,
    WITHDRAWAL_REQUEST_ADDRESS,
)
from pyeth.chain.validation import (
    MAX_RLP_BLOCK_SIZE,
    calc_excess_blob_gas,
    validate_body,
)
from pyeth.errors import InvalidBlock
from pyeth.sedes import BlockHeader
from pyeth.state import Account

DEV_GENESIS = Path(__file__).resolve().parents[3] / "pyeth" / "genesis" / "dev.json"
DEPOSIT_CONTRACT = bytes.fromhex("00000000219ab540356cbb839cbe05303d7705fa")
# Logs its calldata as a DepositEvent: CALLDATACOPY(0, 0, size); LOG1(0, size, topic).
DEPOSIT_EMITTER = bytes.fromhex("365f5f37" + "7f" + DEPOSIT_EVENT_TOPIC.hex() + "365fa100")


def _genesis(prague_time: int | None = 0, osaka_time: int | None = None) -> Genesis:
    """The chain helpers' genesis with Prague (and Osaka) scheduled and the system contracts."""
    dev = load_genesis(DEV_GENESIS)
    system = {
        address: dev.alloc[address]
        for address in (
            HISTORY_STORAGE_ADDRESS,
            WITHDRAWAL_REQUEST_ADDRESS,
            CONSOLIDATION_REQUEST_ADDRESS,
        )
    }
    system[DEPOSIT_CONTRACT] = Account(nonce=1, code=DEPOSIT_EMITTER)
    genesis = make_genesis(system)
    fork_times = dict(genesis.config.fork_times, pragueTime=prague_time, osakaTime=osaka_time)
    return dataclasses.replace(
        genesis, config=dataclasses.replace(genesis.config, fork_times=fork_times)
    )


def _deposit_data(amount: int = 32 * 10**9) -> bytes:
    """A DepositEvent's data as the deposit contract lays it out: five offsets, then each field
    as a 32-byte length and its bytes padded to 32."""
    fields = [
        b"\x11" * 48,
        b"\x22" * 32,
        amount.to_bytes(8, "little"),
        b"\x33" * 96,
        (7).to_bytes(8, "little"),
    ]
    offsets = [160, 256, 320, 384, 512]
    head = b"".join(offset.to_bytes(32, "big") for offset in offsets)
    body = b"".join(
        len(f).to_bytes(32, "big") + f.ljust((len(f) + 31) // 32 * 32, b"\0") for f in fields
    )
    return head + body


def test_fork_transition_by_timestamp() -> None:
    chain = Chain.open(None, _genesis(prague_time=30, osaka_time=60))
    assert chain.head.requests_hash is None  # genesis at time 0 is Cancun
    names = []
    for timestamp in (12, 24, 36, 48, 60, 72):
        built = build_block(chain, [], timestamp=timestamp)
        chain.import_block(built.block)
        names.append(rules_at(chain.config, chain.head.number, chain.head.timestamp).name)
        assert (chain.head.requests_hash is None) == (timestamp < 30)
    assert names == ["Cancun", "Cancun", "Prague", "Prague", "Osaka", "Osaka"]
    # EIP-2935: from the first Prague block on, block n stores the hash of block n - 1.
    state = chain.head_state()
    assert state.get_storage(HISTORY_STORAGE_ADDRESS, 1) == 0  # block 2 was Cancun
    for number in (2, 3, 4, 5):
        stored = state.get_storage(HISTORY_STORAGE_ADDRESS, number)
        assert stored.to_bytes(32, "big") == chain.canonical_hash(number)


def test_empty_requests_hash_and_a_wrong_one_rejected() -> None:
    chain = Chain.open(None, _genesis())
    assert chain.head.requests_hash == hashlib.sha256(b"").digest() == requests_hash([])
    built = build_block(chain, [transfer(0, 0, ADDRESSES[1])])
    assert built.block.header.requests_hash == requests_hash([])
    bad_header = dataclasses.replace(built.block.header, requests_hash=bytes(32))
    bad = dataclasses.replace(built.block, header=bad_header, header_rlp=b"")
    with pytest.raises(InvalidBlock, match="invalid requests hash"):
        chain.import_block(bad)
    assert not chain.has_block(bad.hash)
    missing = dataclasses.replace(built.block.header, requests_hash=None)
    with pytest.raises(InvalidBlock, match="misses the requests hash"):
        chain.import_block(dataclasses.replace(built.block, header=missing, header_rlp=b""))
    chain.import_block(built.block)


def test_deposit_log_becomes_a_request() -> None:
    chain = Chain.open(None, _genesis())
    data = _deposit_data()
    built = build_block(chain, [call(0, 0, DEPOSIT_CONTRACT, data)])
    request = deposit_request(data)
    assert len(request) == 48 + 32 + 8 + 96 + 8
    assert built.result.requests == [b"\x00" + request]
    chain.import_block(built.block)
    assert chain.head.requests_hash == requests_hash([b"\x00" + request])


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (_deposit_data()[:-1], "575 bytes of data"),
        (bytes(31) + b"\xa1" + _deposit_data()[32:], "pubkey offset 161"),
        (_deposit_data()[:160] + (47).to_bytes(32, "big") + _deposit_data()[192:], "pubkey size"),
    ],
)
def test_malformed_deposit_log_makes_the_block_invalid(data: bytes, rule: str) -> None:
    with pytest.raises(InvalidBlock, match=rule):
        deposit_request(data)
    chain = Chain.open(None, _genesis())
    with pytest.raises(InvalidBlock, match="invalid deposit event"):
        build_block(chain, [call(0, 0, DEPOSIT_CONTRACT, data)])


def test_request_contract_without_code_makes_the_block_invalid() -> None:
    genesis = _genesis()
    alloc = dict(genesis.alloc)
    del alloc[WITHDRAWAL_REQUEST_ADDRESS]
    chain = Chain.open(None, dataclasses.replace(genesis, alloc=alloc))
    with pytest.raises(InvalidBlock, match="has no code"):
        build_block(chain, [])


def _parent(excess: int, used: int, base_fee: int) -> BlockHeader:
    header = make_genesis().header()
    return dataclasses.replace(
        header, excess_blob_gas=excess, blob_gas_used=used, base_fee_per_gas=base_fee
    )


def test_excess_blob_gas_follows_each_fork_schedule() -> None:
    blob = 2**17
    parent = _parent(excess=10 * blob, used=9 * blob, base_fee=7)
    assert calc_excess_blob_gas(parent, CANCUN) == 16 * blob  # target 3
    assert calc_excess_blob_gas(parent, PRAGUE) == 13 * blob  # target 6
    assert calc_excess_blob_gas(parent, fork_rules("BPO2")) == 5 * blob  # target 14
    # EIP-7918: while blobs cost less than 2**13 gas at the base fee, the excess only grows,
    # by the used blob gas times (max - target) / max.
    cheap = _parent(excess=10 * blob, used=9 * blob, base_fee=10**9)
    assert calc_excess_blob_gas(cheap, PRAGUE) == 13 * blob
    assert calc_excess_blob_gas(cheap, OSAKA) == 10 * blob + 9 * blob * 3 // 9


def test_block_rlp_size_limit_from_osaka() -> None:
    block = build_block(Chain.open(None, _genesis()), []).block
    validate_body(block, PRAGUE, MAX_RLP_BLOCK_SIZE + 1)
    validate_body(block, OSAKA, MAX_RLP_BLOCK_SIZE)
    with pytest.raises(InvalidBlock, match="block too big"):
        validate_body(block, OSAKA, MAX_RLP_BLOCK_SIZE + 1)


def test_blob_schedule_from_the_genesis() -> None:
    data = {
        "config": {
            "chainId": 1,
            **{key: 0 for key in ("homesteadBlock", "eip150Block", "eip155Block")},
            **{key: 0 for key in ("eip158Block", "byzantiumBlock", "constantinopleBlock")},
            **{key: 0 for key in ("petersburgBlock", "istanbulBlock", "berlinBlock")},
            "londonBlock": 0,
            "shanghaiTime": 0,
            "cancunTime": 0,
            "pragueTime": 0,
            "osakaTime": 0,
            "bpo3Time": 100,
            "blobSchedule": {"bpo3": {"target": 21, "max": 32, "baseFeeUpdateFraction": 20609697}},
        },
        "alloc": {},
    }
    config = parse_genesis(data).config
    assert config.fork_at(0, 99) == "Osaka"  # BPO1 and BPO2 may be skipped
    rules = config.rules_at(1, 100)
    assert (rules.name, rules.blob_target, rules.blob_max) == ("BPO3", 21, 32)
    assert rules.tx_gas_limit_cap == OSAKA.tx_gas_limit_cap  # otherwise the latest EVM rules
    assert fork_rules("BPO3", BlobParams(21, 32, 20609697)) is rules
    del data["config"]["blobSchedule"]
    with pytest.raises(InvalidGenesis, match="BPO3 is scheduled"):
        parse_genesis(data)
    assert with_hardfork(config, "prague").rules_at(1, 10**9).name == "Prague"


def test_paris_to_shanghai_to_cancun_by_timestamp() -> None:
    genesis = make_genesis()
    fork_times = dict(genesis.config.fork_times, shanghaiTime=20, cancunTime=40)
    config = dataclasses.replace(genesis.config, fork_times=fork_times)
    chain = Chain.open(None, dataclasses.replace(genesis, config=config))
    assert chain.head.withdrawals_root is None and chain.head.blob_gas_used is None
    seen = []
    for timestamp in (10, 20, 30, 40, 50):
        built = build_block(chain, [transfer(0, len(seen), ADDRESSES[1])], timestamp=timestamp)
        chain.import_block(built.block)
        head = chain.head
        seen.append(rules_at(chain.config, head.number, head.timestamp).name)
        assert (head.withdrawals_root is not None) == (timestamp >= 20)
        assert (head.parent_beacon_block_root is not None) == (timestamp >= 40)
        assert head.difficulty == 0 and len(built.block.transactions) == 1
    assert seen == ["Paris", "Shanghai", "Shanghai", "Cancun", "Cancun"]
    # A Cancun block shaped like a Shanghai one is refused.
    bad = dataclasses.replace(
        build_block(chain, []).block.header,
        blob_gas_used=None,
        excess_blob_gas=None,
        parent_beacon_block_root=None,
    )
    with pytest.raises(InvalidBlock, match="misses the blob gas fields"):
        chain.import_block(dataclasses.replace(build_block(chain, []).block, header=bad))


def test_proof_of_work_blocks_before_the_merge() -> None:
    london = with_hardfork(make_genesis().config, "london")
    chain = Chain.open(None, dataclasses.replace(make_genesis(), config=london, difficulty=2**17))
    built = build_block(chain, [transfer(0, 0, ADDRESSES[1])], timestamp=5)
    # Five seconds after its parent: difficulty up by parent // 2048 (EIP-100), no bomb yet.
    assert built.block.header.difficulty == 2**17 + 2**17 // 2048
    chain.import_block(built.block)
    assert chain.head_state().get_balance(bytes(20)) >= 2 * 10**18  # the miner's reward
    wrong = dataclasses.replace(build_block(chain, []).block.header, difficulty=2**17)
    with pytest.raises(InvalidBlock, match="invalid difficulty"):
        chain.import_block(dataclasses.replace(build_block(chain, []).block, header=wrong))

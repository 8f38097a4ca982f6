"""Genesis files: geth's format, the shipped dev genesis, and errors that name the field."""

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from pyeth.chain import Chain, InvalidGenesis, load_genesis, parse_genesis
from pyeth.chain.system import (
    BEACON_ROOTS_ADDRESS,
    CONSOLIDATION_REQUEST_ADDRESS,
    HISTORY_STORAGE_ADDRESS,
    WITHDRAWAL_REQUEST_ADDRESS,
)
from pyeth.trie import EMPTY_TRIE_ROOT

DEV_GENESIS = Path(__file__).resolve().parents[3] / "pyeth" / "genesis" / "dev.json"
DEV_ADDRESS = bytes.fromhex("f39fd6e51aad88f6f4ce6ab8827279cfffb92266")

MINIMAL: dict[str, Any] = {
    "config": {
        "chainId": 7,
        **{
            key: 0
            for key in (
                "homesteadBlock",
                "eip150Block",
                "eip155Block",
                "eip158Block",
                "byzantiumBlock",
                "constantinopleBlock",
                "petersburgBlock",
                "istanbulBlock",
                "berlinBlock",
                "londonBlock",
            )
        },
        "shanghaiTime": 0,
        "cancunTime": 0,
    },
    "gasLimit": "0x1c9c380",
    "alloc": {
        "0000000000000000000000000000000000000001": {"balance": "1000"},
        "0x00000000000000000000000000000000000000aa": {
            "balance": "0x1",
            "nonce": "0x2",
            "code": "0x6000",
            "storage": {"0x01": "0x02", "0x03": "0x00"},
        },
    },
}


def test_dev_genesis_loads() -> None:
    genesis = load_genesis(DEV_GENESIS)
    assert genesis.config.chain_id == 1337
    assert genesis.config.clique is None
    assert len([a for a in genesis.alloc.values() if a.balance == 10_000 * 10**18]) == 10
    assert genesis.alloc[DEV_ADDRESS].balance == 10_000 * 10**18
    assert genesis.alloc[BEACON_ROOTS_ADDRESS].code
    header = genesis.header()
    assert header.number == 0 and header.gas_limit == 30_000_000
    assert header.base_fee_per_gas == 10**9
    assert header.withdrawals_root == EMPTY_TRIE_ROOT
    assert header.excess_blob_gas == 0 and header.parent_beacon_block_root == bytes(32)
    # The latest mainnet rules: Osaka with the BPO2 blob schedule, and its system contracts.
    assert genesis.config.fork_at(0, 0) == "BPO2"
    rules = genesis.config.rules_at(0, 0)
    assert (rules.blob_target, rules.blob_max, rules.blob_update_fraction) == (14, 21, 11684671)
    assert header.requests_hash == hashlib.sha256(b"").digest()
    for address in (HISTORY_STORAGE_ADDRESS, WITHDRAWAL_REQUEST_ADDRESS):
        assert genesis.alloc[address].code
    assert genesis.alloc[CONSOLIDATION_REQUEST_ADDRESS].code


def test_minimal_genesis() -> None:
    genesis = parse_genesis(MINIMAL)
    assert genesis.config.chain_id == 7
    assert genesis.alloc[bytes(19) + b"\x01"].balance == 1000  # decimal string
    contract = genesis.alloc[bytes(19) + b"\xaa"]
    assert (contract.nonce, contract.code, contract.storage) == (2, b"\x60\x00", {1: 2})
    chain = Chain.open(None, genesis)
    state = chain.head_state()
    assert state.get_storage(bytes(19) + b"\xaa", 1) == 2
    assert chain.head.state_root == genesis.state().state_root()


def test_clique_section_is_read() -> None:
    data = copy.deepcopy(MINIMAL)
    data["config"]["clique"] = {"period": 5, "epoch": 30000}
    data["extraData"] = "0x" + "00" * 32 + "11" * 20 + "00" * 65
    genesis = parse_genesis(data)
    assert genesis.config.clique is not None and genesis.config.clique.period == 5
    assert len(genesis.extra_data) == 117


def _set(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(MINIMAL)
    *parents, last = path.split("/")
    node = data
    for part in parents:
        node = node[part]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("config", _DELETE, "config"),
        ("config/chainId", _DELETE, "config.chainId"),
        ("config/chainId", "seven", "config.chainId"),
        ("config/londonBlock", 5, "config.londonBlock"),
        ("config/berlinBlock", _DELETE, "config.berlinBlock"),
        ("config/cancunTime", "0x", "config.cancunTime"),
        ("config/osakaTime", 0, "config.osakaTime"),  # Osaka without Prague
        ("config/pragueTime", "later", "config.pragueTime"),
        ("config/bpo3Time", 0, "config.bpo3Time"),  # BPO3 without Prague and Osaka
        ("config/blobSchedule", [], "config.blobSchedule"),
        ("config/blobSchedule", {"prague": {"target": 6}}, "config.blobSchedule.prague.max"),
        (
            "config/blobSchedule",
            {"cancun": {"target": 7, "max": 6, "baseFeeUpdateFraction": 1}},
            "config.blobSchedule.cancun",
        ),
        ("config/depositContractAddress", "0x1234", "config.depositContractAddress"),
        ("config/clique", {"period": 1, "epoch": 0}, "config.clique.epoch"),
        ("gasLimit", "0xzz", "gasLimit"),
        ("gasLimit", -1, "gasLimit"),
        ("extraData", "abc", "extraData"),
        ("extraData", "0x" + "00" * 33, "extraData"),
        ("mixHash", "0x1234", "mixHash"),
        ("coinbase", "0x" + "00" * 19, "coinbase"),
        ("nonce", "0x10000000000000000", "nonce"),
        ("number", "0x1", "number"),
        ("alloc", [], "alloc"),
        ("alloc/0xzz", {"balance": "0x1"}, "alloc.0xzz"),
        ("alloc/0000000000000000000000000000000000000001", {}, "balance"),
        ("alloc/0000000000000000000000000000000000000001", {"balance": True}, "balance"),
        (
            "alloc/0x00000000000000000000000000000000000000aa/code",
            "0x6",
            "alloc.0x00000000000000000000000000000000000000aa.code",
        ),
        (
            "alloc/0x00000000000000000000000000000000000000aa/storage",
            {"0x01": "1"},
            "storage.0x01",
        ),
    ],
)
def test_malformed_genesis_names_the_field(path: str, value: Any, field: str) -> None:
    with pytest.raises(InvalidGenesis, match=field.replace(".", r"\.")):
        parse_genesis(_set(path, value))


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidGenesis, match="cannot read"):
        load_genesis(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InvalidGenesis, match="not JSON"):
        load_genesis(bad)
    bad.write_text(json.dumps([1]))
    with pytest.raises(InvalidGenesis, match="JSON object"):
        load_genesis(bad)


def test_dev_keys_in_readme_fund_dev_accounts() -> None:
    from pyeth.keys import private_key_to_address

    genesis = load_genesis(DEV_GENESIS)
    rows = [
        line.split("|")
        for line in (DEV_GENESIS.parent / "README.md").read_text().splitlines()
        if line.startswith("| ") and "`0x" in line
    ]
    assert len(rows) == 10
    for row in rows:
        address = bytes.fromhex(row[2].strip(" `")[2:])
        key = bytes.fromhex(row[3].strip(" `")[2:])
        assert private_key_to_address(key) == address
        assert genesis.alloc[address].balance == 10_000 * 10**18

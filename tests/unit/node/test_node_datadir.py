"""A datadir keeps its dev chain's identity: block 0's start time, the chain id and the
hardfork it was made with. A restart with other options is refused with the option named, the
stored and given values and what to do; a restart without them resumes the stored chain."""

import pytest

from pyeth.accounts import derive_accounts
from pyeth.chain import GenesisMismatch
from pyeth.chain.genesis import dev_genesis
from pyeth.node import DEV_CHAIN_META, DatadirMismatch, Node, NodeConfig
from pyeth.transactions import FeeMarketTransaction, sign_transaction

GWEI = 10**9
KEY0 = derive_accounts()[0].private_key


def _open(tmp_path, **options) -> Node:
    return Node(NodeConfig(datadir=tmp_path, account_count=2, **options))


def test_a_new_dev_chain_starts_at_the_given_time_and_keeps_it(tmp_path):
    node = _open(tmp_path, genesis_timestamp=1_700_000_000)
    genesis = node.chain.genesis_hash
    assert node.chain.head.timestamp == 1_700_000_000 and not node.resumed
    node.close()
    # A restart asking for now gets the stored time: the same genesis.
    again = _open(tmp_path, genesis_timestamp=None)
    try:
        assert again.resumed
        assert again.chain.genesis_hash == genesis
        assert again.chain.head.timestamp == 1_700_000_000
    finally:
        again.close()


def test_an_in_memory_dev_chain_asked_to_start_now_does():
    before_start = 1_700_000_000  # any time before this test was written
    node = Node(NodeConfig(account_count=1, genesis_timestamp=None))
    try:
        assert node.chain.head.number == 0 and node.chain.head.timestamp > before_start
        assert not node.resumed
    finally:
        node.close()


def test_another_chain_id_is_refused_and_dropping_it_resumes(tmp_path):
    _open(tmp_path, chain_id=1337).close()
    with pytest.raises(DatadirMismatch) as refused:
        _open(tmp_path, chain_id=999)
    message = str(refused.value)
    assert "--chain-id 1337, not 999" in message
    assert "drop --chain-id" in message and "--datadir elsewhere" in message
    again = _open(tmp_path)  # no --chain-id: the stored one
    try:
        assert again.chain_id == 1337
    finally:
        again.close()


def test_a_stored_chain_id_other_than_the_default_is_kept(tmp_path):
    _open(tmp_path, chain_id=999).close()
    again = _open(tmp_path)
    try:
        assert again.chain_id == 999
        unsigned = FeeMarketTransaction(999, 0, GWEI, 10 * GWEI, 21_000, b"\x01" * 20, 1)
        again.submit_transaction(sign_transaction(unsigned, KEY0, 999))
        assert again.chain.head.number == 1
    finally:
        again.close()


def test_another_hardfork_is_refused_with_both_names(tmp_path):
    _open(tmp_path, hardfork="prague").close()
    with pytest.raises(DatadirMismatch) as refused:
        _open(tmp_path, hardfork="cancun")
    assert "--hardfork Prague, not Cancun" in str(refused.value)
    assert "drop --hardfork" in str(refused.value)
    again = _open(tmp_path)  # no --hardfork: the stored fork, not the latest
    try:
        assert again.rules_at(again.chain.head).name == "Prague"
    finally:
        again.close()
    same = _open(tmp_path, hardfork="PRAGUE")  # the same fork, however spelt
    same.close()


def test_other_accounts_are_named(tmp_path):
    _open(tmp_path).close()
    with pytest.raises(DatadirMismatch, match="--accounts 2, not 3: give --accounts 2"):
        Node(NodeConfig(datadir=tmp_path, account_count=3))
    with pytest.raises(DatadirMismatch, match="another --mnemonic"):
        _open(tmp_path, mnemonic=" ".join(["abandon"] * 11 + ["about"]))
    with pytest.raises(DatadirMismatch, match="--balance 10000, not 5: give --balance 10000"):
        _open(tmp_path, balance=5 * 10**18)


def test_a_refused_restart_changes_nothing(tmp_path):
    _open(tmp_path, genesis_timestamp=5).close()
    node = _open(tmp_path)
    record = node.chain.store.get_meta(DEV_CHAIN_META)
    node.close()
    with pytest.raises(DatadirMismatch):
        _open(tmp_path, chain_id=42)
    again = _open(tmp_path)
    try:
        assert again.chain.store.get_meta(DEV_CHAIN_META) == record
        assert again.chain_id == 1337 and again.chain.head.timestamp == 5
    finally:
        again.close()


def test_another_genesis_file_is_refused_with_what_to_do(tmp_path):
    _open(tmp_path).close()
    with pytest.raises(GenesisMismatch) as refused:
        Node(NodeConfig(datadir=tmp_path, genesis=dev_genesis(1337, [], 1)))
    assert "the database holds chain 0x" in str(refused.value)
    assert "give the ones it was made with, or a --datadir elsewhere" in str(refused.value)

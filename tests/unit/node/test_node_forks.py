"""The dev node on the latest mainnet rules (Osaka with the BPO2 blob schedule) and on an older
fork chosen with `hardfork`: set-code transactions through the pool and into blocks, delegated
senders, Osaka's transaction gas cap, the EIP-2935 history contract, the RPC's view of them;
back to Berlin, each fork's header fields, proof-of-work blocks before the merge, the
transaction types and opcodes each fork brought."""

import pytest

from evm.addresses import create_address
from pyeth.accounts import derive_accounts
from pyeth.calls import CallRequest, run_call
from pyeth.chain.system import HISTORY_STORAGE_ADDRESS
from pyeth.node import Node, NodeConfig
from pyeth.rpc.formats import header_json, transaction_json
from pyeth.transactions import FeeMarketTransaction, LegacyTransaction, sign_transaction
from pyeth.transactions.authorization import sign_authorization
from pyeth.transactions.model import SetCodeTransaction
from pyeth.txpool import Rejected

ACCOUNTS = derive_accounts(count=3)
GWEI = 10**9
CHAIN_ID = 1337
DELEGATE = b"\x0c" * 20  # what an EOA delegates to (no code needed)


def _node(hardfork=None):
    return Node(NodeConfig(account_count=3, hardfork=hardfork))


def _transfer(sender, nonce, gas=21_000):
    key = ACCOUNTS[sender].private_key
    unsigned = FeeMarketTransaction(CHAIN_ID, nonce, GWEI, 10 * GWEI, gas, b"\x42" * 20, 1)
    return sign_transaction(unsigned, key, CHAIN_ID)


def _set_code(sender, authority, target, nonce=0):
    auth = sign_authorization(CHAIN_ID, target, 0, ACCOUNTS[authority].private_key)
    unsigned = SetCodeTransaction(
        chain_id=CHAIN_ID,
        nonce=nonce,
        max_priority_fee_per_gas=GWEI,
        max_fee_per_gas=10 * GWEI,
        gas_limit=100_000,
        to=ACCOUNTS[authority].address,
        value=0,
        data=b"",
        access_list=(),
        authorization_list=(auth,),
    )
    return sign_transaction(unsigned, ACCOUNTS[sender].private_key, CHAIN_ID)


def test_default_node_runs_the_latest_rules():
    node = _node()
    try:
        rules = node.rules_at(node.chain.head)
        assert rules.name == "BPO2" and rules.blob_max == 21
        assert rules.tx_gas_limit_cap == 2**24
        assert "requestsHash" in header_json(node.chain.head, node.chain.head_hash)
    finally:
        node.close()


def test_set_code_transaction_is_pooled_mined_and_its_authority_can_send():
    node = _node()
    try:
        authority = ACCOUNTS[1].address
        tx = _set_code(sender=0, authority=1, target=DELEGATE)
        tx_hash = node.submit_transaction(tx)
        state = node.chain.head_state()
        assert state.get_code(authority) == b"\xef\x01\x00" + DELEGATE
        assert state.get_nonce(authority) == 1
        block_hash, index = node.chain.get_transaction_location(tx_hash)
        block = node.chain.get_block(block_hash)
        out = transaction_json(block.transactions[index], block_hash, block.number, index, GWEI)
        assert out["type"] == "0x4"
        assert out["authorizationList"][0]["address"] == "0x" + DELEGATE.hex()
        # A delegated account still sends transactions (EIP-7702 relaxes EIP-3607).
        node.submit_transaction(_transfer(sender=1, nonce=1))
        assert node.chain.head_state().get_nonce(authority) == 2
    finally:
        node.close()


def test_history_contract_holds_the_parent_hash():
    node = _node()
    try:
        genesis_hash = node.chain.head_hash
        node.seal()
        stored = node.chain.head_state().get_storage(HISTORY_STORAGE_ADDRESS, 0)
        assert stored.to_bytes(32, "big") == genesis_hash
    finally:
        node.close()


def test_osaka_pool_refuses_gas_above_the_cap():
    node = _node()
    try:
        with pytest.raises(Rejected, match="transaction gas limit too high"):
            node.submit_transaction(_transfer(0, 0, gas=2**24 + 1))
    finally:
        node.close()


@pytest.mark.parametrize("hardfork", ["cancun"])
def test_older_hardfork_refuses_set_code_and_takes_big_gas(hardfork):
    node = _node(hardfork)
    try:
        assert node.rules_at(node.chain.head).name == "Cancun"
        assert node.chain.head.requests_hash is None
        with pytest.raises(Rejected, match="transaction type not supported"):
            node.submit_transaction(_set_code(0, 1, DELEGATE))
        node.submit_transaction(_transfer(0, 0, gas=2**24 + 1))
        assert node.chain.head.number == 1
    finally:
        node.close()


def test_prague_hardfork_has_no_gas_cap():
    node = _node("prague")
    try:
        node.submit_transaction(_transfer(0, 0, gas=2**24 + 1))
        assert node.chain.head.number == 1 and node.chain.head.requests_hash is not None
    finally:
        node.close()


def test_pool_refuses_gas_below_the_calldata_floor():
    # 100 non-zero bytes: intrinsic gas 22,600, EIP-7623 floor 25,000.
    node = _node()
    try:
        unsigned = FeeMarketTransaction(
            CHAIN_ID, 0, GWEI, 10 * GWEI, 23_000, b"\x42" * 20, 0, b"\x01" * 100
        )
        tx = sign_transaction(unsigned, ACCOUNTS[0].private_key, CHAIN_ID)
        with pytest.raises(Rejected, match="insufficient gas for floor data gas cost"):
            node.submit_transaction(tx)
    finally:
        node.close()


def _legacy_transfer(sender, nonce, data=b"", to=b"\x42" * 20, gas=21_000):
    unsigned = LegacyTransaction(nonce, 10 * GWEI, gas, to, 1 if to else 0, data)
    return sign_transaction(unsigned, ACCOUNTS[sender].private_key, CHAIN_ID)


# Init code returning a contract whose code is PUSH0 (EIP-3855, Shanghai): 0x5f.
PUSH0_DEPLOYER = bytes.fromhex("605f60005360016000f3")


@pytest.mark.parametrize(
    ("hardfork", "fields"),
    [
        ("berlin", set()),
        ("london", {"baseFeePerGas"}),
        ("paris", {"baseFeePerGas"}),
        ("shanghai", {"baseFeePerGas", "withdrawalsRoot"}),
    ],
)
def test_pre_cancun_hardforks_seal_blocks_with_their_own_header_fields(hardfork, fields):
    node = _node(hardfork)
    try:
        merged = hardfork in ("paris", "shanghai")
        node.submit_transaction(_legacy_transfer(0, 0))
        head = node.chain.head
        assert head.number == 1
        header = header_json(head, node.chain.head_hash)
        later = {"baseFeePerGas", "withdrawalsRoot", "blobGasUsed", "parentBeaconBlockRoot"}
        assert {key for key in later if key in header} == fields
        # Before the merge a block has a proof-of-work difficulty and pays its miner.
        assert (head.difficulty == 0) == merged
        reward = node.chain.head_state().get_balance(head.coinbase)
        assert (reward >= 2 * 10**18) == (not merged)
    finally:
        node.close()


def test_fee_market_transactions_arrive_with_london():
    berlin, london = _node("berlin"), _node("london")
    try:
        with pytest.raises(Rejected, match="transaction type not supported"):
            berlin.submit_transaction(_transfer(0, 0))
        london.submit_transaction(_transfer(0, 0))
        assert london.chain.head.number == 1
    finally:
        berlin.close()
        london.close()


@pytest.mark.parametrize(("hardfork", "runs"), [("paris", False), ("shanghai", True)])
def test_push0_runs_from_shanghai(hardfork, runs):
    node = _node(hardfork)
    try:
        node.submit_transaction(_legacy_transfer(0, 0, data=PUSH0_DEPLOYER, to=None, gas=100_000))
        contract = create_address(ACCOUNTS[0].address, 0)
        head = node.chain.head
        state = node.state_at(head)
        assert state.get_code(contract) == b"\x5f"
        env = node.call_env(head, node.chain.head_hash)
        outcome = run_call(state, env, node.rules_at(head), CallRequest(to=contract), 50_000)
        assert outcome.success == runs
    finally:
        node.close()

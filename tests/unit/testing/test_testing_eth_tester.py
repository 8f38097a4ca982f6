"""pyeth's eth-tester backend: eth-tester's own backend test class run against it, and web3.py's
EthereumTesterProvider on it deploying and using an ERC-20 as a user would.

eth-tester ships `BaseTestBackendDirect`, the cases its py-evm backend passes (101 with eth-tester
0.14); a case that asserts something only py-evm can give is marked xfail(strict=True) below,
with the reason, so it fails loudly the day it passes.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip(
    "eth_tester",
    reason="eth-tester is not installed: pip install -e '.[test]' (or the eth-tester extra)",
)

from eth_tester import EthereumTester  # noqa: E402
from eth_tester.exceptions import TransactionFailed, ValidationError  # noqa: E402
from eth_tester.utils.backend_testing import BaseTestBackendDirect  # noqa: E402

from pyeth.testing.eth_tester import (  # noqa: E402
    ETH_TESTER_CHAIN_ID,
    PyethBackend,
    RawTransactionError,
    TransactionRejected,
)

TOKEN = json.loads((Path(__file__).parents[2] / "rpc" / "contracts" / "Token.json").read_text())


@pytest.fixture
def eth_tester() -> EthereumTester:
    return EthereumTester(backend=PyethBackend())


class TestPyethBackendDirect(BaseTestBackendDirect):  # type: ignore[misc]
    """All of eth-tester's backend cases, on pyeth."""

    @pytest.mark.xfail(
        strict=True,
        reason="asserts py-evm's own exception class, eth.exceptions.UnrecognizedTransactionType "
        "(and imports py-evm); pyeth raises RawTransactionError, an rlp DecodingError, "
        "checked in test_raw_transaction_of_unknown_type below",
    )
    def test_send_raw_transaction_invalid_rlp_transaction(self, eth_tester: Any) -> None:
        super().test_send_raw_transaction_invalid_rlp_transaction(eth_tester)


def test_raw_transaction_of_unknown_type(eth_tester: EthereumTester) -> None:
    """0x1234 (type 0x12): refused as an rlp DecodingError that names the type, and eth-tester's
    ValidationError; nothing is added to the pending block."""
    with pytest.raises(RawTransactionError, match="unsupported transaction type 0x12"):
        eth_tester.send_raw_transaction("0x1234")
    with pytest.raises(ValidationError):
        eth_tester.send_raw_transaction("0x1234")
    assert list(eth_tester.get_block_by_number("pending")["transactions"]) == []


def test_invalid_transaction_is_refused_to_its_sender(eth_tester: EthereumTester) -> None:
    """A nonce from the future is refused at once with pyeth's reason, as py-evm does, and the
    chain does not move."""
    sender = eth_tester.get_accounts()[0]
    before = eth_tester.get_block_by_number("latest")["number"]
    with pytest.raises(ValidationError, match="nonce"):
        eth_tester.send_transaction({"from": sender, "to": sender, "gas": 21000, "nonce": 5})
    assert eth_tester.get_block_by_number("latest")["number"] == before
    assert eth_tester.get_nonce(sender) == 0


def test_defaults_match_eth_testers_py_evm_backend() -> None:
    """The addresses, balances, chain id and gas limit tests written for PyEVMBackend see."""
    backend = PyethBackend()
    tester = EthereumTester(backend=backend)
    accounts = tester.get_accounts()
    assert len(accounts) == 10
    assert accounts[0] == "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"  # private key 1
    assert tester.get_balance(accounts[0]) == 1_000_000 * 10**18
    genesis = tester.get_block_by_number(0)
    assert genesis["gas_limit"] == 30_029_122
    assert genesis["base_fee_per_gas"] == 10**9
    assert backend.chain is not None and backend.chain.chain_id == ETH_TESTER_CHAIN_ID


def test_from_mnemonic_derives_eth_testers_accounts() -> None:
    """eth-tester's path m/44'/60'/0'/i, with the balance given (its own test's addresses)."""
    backend = PyethBackend.from_mnemonic(
        "test test test test test test test test test test test junk",
        num_accounts=3,
        genesis_state_overrides={"balance": 15 * 10**18},
    )
    tester = EthereumTester(backend=backend)
    assert [a.lower() for a in tester.get_accounts()] == [
        "0x1e59ce931b4cfea3fe4b875411e280e173cb7a9c",
        "0xc89d42189f0450c2b2c3c61f58ec5d628176a1e7",
        "0x318b469bba396aec2c60342f9441be36a1945174",
    ]
    assert all(tester.get_balance(a) == 15 * 10**18 for a in tester.get_accounts())


def test_genesis_overrides_and_bad_ones() -> None:
    params = PyethBackend.generate_genesis_params({"gas_limit": 4_750_000})
    state = PyethBackend.generate_genesis_state({"storage": {1: 7}}, num_accounts=2)
    tester = EthereumTester(backend=PyethBackend(genesis_parameters=params, genesis_state=state))
    assert tester.get_block_by_number("pending")["gas_limit"] == 4_750_000
    assert tester.get_storage_at(tester.get_accounts()[1], "0x1") == "0x" + "00" * 31 + "07"
    with pytest.raises(ValueError, match="gato"):
        PyethBackend.generate_genesis_params({"gato": "con botas"})
    with pytest.raises(ValueError, match="vm_configuration"):
        PyethBackend(vm_configuration=((0, object),))
    with pytest.raises(ValueError, match="unknown hardfork"):
        PyethBackend(fork="homestead")


def test_reset_to_genesis_keeps_a_custom_genesis() -> None:
    state = PyethBackend.generate_genesis_state({"balance": 123}, num_accounts=1)
    tester = EthereumTester(backend=PyethBackend(genesis_state=state))
    tester.mine_blocks(3)
    tester.reset_to_genesis()
    assert tester.get_block_by_number("latest")["number"] == 0
    assert tester.get_balance(tester.get_accounts()[0]) == 123


def test_time_travel_sets_the_next_blocks_timestamp(eth_tester: EthereumTester) -> None:
    """After time_travel(t), the next transaction runs in a block stamped t."""
    target = eth_tester.get_block_by_number("pending")["timestamp"] + 3600
    eth_tester.time_travel(target)
    sender = eth_tester.get_accounts()[0]
    tx = eth_tester.send_transaction({"from": sender, "to": sender, "gas": 21000})
    block = eth_tester.get_transaction_receipt(tx)["block_number"]
    assert eth_tester.get_block_by_number(block)["timestamp"] == target
    with pytest.raises(ValidationError):
        eth_tester.backend.time_travel(target)


def test_mined_blocks_are_valid_pyeth_blocks(eth_tester: EthereumTester) -> None:
    """Each sealed block went through pyeth's Chain.import_block: its header is stored under
    the hash eth-tester reports, with a state root the state proves."""
    sender, to = eth_tester.get_accounts()[:2]
    tx = eth_tester.send_transaction({"from": sender, "to": to, "gas": 21000, "value": 7})
    block = eth_tester.get_block_by_hash(eth_tester.get_transaction_receipt(tx)["block_hash"])
    chain = eth_tester.backend.chain
    header = chain.get_header(bytes.fromhex(block["hash"][2:]))
    assert header is not None and header.hash.hex() == block["hash"][2:]
    assert chain.state_at(header.state_root).get_balance(bytes.fromhex(to[2:])) == (
        1_000_000 * 10**18 + 7
    )


def test_revert_data_reaches_the_caller(eth_tester: EthereumTester) -> None:
    """A call that reverts with Error(string) fails with the reason; a custom error with its
    revert data as Python shows bytes, as with py-evm's backend (web3.py's provider passes that
    text on: "execution reverted: b'...'")."""
    web3 = pytest.importorskip("web3")
    w3 = web3.Web3(web3.EthereumTesterProvider(eth_tester))
    token = _deploy_token(w3)
    with pytest.raises(TransactionFailed, match="^insufficient balance$"):
        eth_tester.call(
            {
                "from": w3.eth.accounts[1],
                "to": token.address,
                "data": token.encode_abi("transfer", [w3.eth.accounts[0], 1]),
            }
        )
    boom = bytes(web3.Web3.keccak(text="Boom(uint256)")[:4]) + (42).to_bytes(32, "big")
    with pytest.raises(TransactionFailed) as info:
        token.functions.boom().call()
    assert str(info.value) == f"execution reverted: {boom!r}"


def _deploy_token(w3: Any, supply: int = 10**24) -> Any:
    factory = w3.eth.contract(abi=TOKEN["abi"], bytecode=TOKEN["bytecode"])
    tx = factory.constructor(supply).transact({"from": w3.eth.accounts[0]})
    receipt = w3.eth.wait_for_transaction_receipt(tx)
    assert receipt["status"] == 1
    return w3.eth.contract(address=receipt["contractAddress"], abi=TOKEN["abi"])


def test_web3_provider_deploys_and_transfers_a_token() -> None:
    """web3.py, unmodified, on EthereumTesterProvider with the pyeth backend: deploy the
    ERC-20, transfer, read balances and the Transfer event, snapshot and revert."""
    web3 = pytest.importorskip("web3")
    w3 = web3.Web3(web3.EthereumTesterProvider(PyethBackend()))
    alice, bob = w3.eth.accounts[:2]
    assert w3.eth.chain_id == ETH_TESTER_CHAIN_ID
    token = _deploy_token(w3, 1000)
    assert token.functions.balanceOf(alice).call() == 1000

    snapshot = w3.provider.ethereum_tester.take_snapshot()
    tx = token.functions.transfer(bob, 250).transact({"from": alice})
    receipt = w3.eth.wait_for_transaction_receipt(tx)
    assert receipt["status"] == 1
    assert receipt["gasUsed"] > 21000
    (event,) = token.events.Transfer().process_receipt(receipt)
    assert (event["args"]["from"], event["args"]["to"], event["args"]["value"]) == (
        alice,
        bob,
        250,
    )
    assert token.functions.balanceOf(bob).call() == 250
    assert token.functions.balanceOf(alice).call() == 750
    logs = w3.eth.get_logs({"fromBlock": 0, "address": token.address})
    assert len(logs) == 2  # the mint in the constructor, the transfer

    w3.provider.ethereum_tester.revert_to_snapshot(snapshot)
    assert token.functions.balanceOf(bob).call() == 0
    assert token.functions.balanceOf(alice).call() == 1000


BLOB = b"".join((i % 251).to_bytes(32, "big") for i in range(4096))


@functools.cache
def blob_parts() -> tuple[bytes, list[bytes], bytes]:
    """BLOB's commitment, its 128 cell proofs (EIP-7594) and its blob proof (EIP-4844)."""
    import ckzg

    from evm.precompiles.point_evaluation import trusted_setup

    setup = trusted_setup()
    commitment = ckzg.blob_to_kzg_commitment(BLOB, setup)
    _, cell_proofs = ckzg.compute_cells_and_kzg_proofs(BLOB, setup)
    return commitment, list(cell_proofs), ckzg.compute_blob_kzg_proof(BLOB, commitment, setup)


def blob_network_form(cell_proofs: bool, blob: bytes = BLOB) -> str:
    """A blob transaction from key 1 in its network form, with either wrapper."""
    from evm.precompiles.point_evaluation import kzg_to_versioned_hash
    from pyeth.sedes import decode, encode
    from pyeth.transactions import BlobTransaction, encode_transaction, sign_transaction

    commitment, cells, single = blob_parts()
    unsigned = BlobTransaction(
        ETH_TESTER_CHAIN_ID,
        0,
        10**9,
        10**10,
        21000,
        bytes.fromhex("02" * 20),
        0,
        b"",
        (),
        10**10,
        (kzg_to_versioned_hash(commitment),),
    )
    bare = encode_transaction(
        sign_transaction(unsigned, (1).to_bytes(32, "big"), ETH_TESTER_CHAIN_ID)
    )
    version = [b"\x01"] if cell_proofs else []
    proofs = cells if cell_proofs else [single]
    wrapper = [decode(bare[1:]), *version, [blob], [commitment], proofs]
    return "0x" + (b"\x03" + encode(wrapper)).hex()


@pytest.mark.parametrize("cell_proofs", [False, True], ids=["blob-proof", "cell-proofs"])
def test_blob_transaction_in_either_wrapper(eth_tester: EthereumTester, cell_proofs: bool) -> None:
    """A blob transaction in its network form is included with its blob gas, its proofs
    checked in the form they come in (eth-account 0.14 sends EIP-7594 cell proofs even for
    Prague); with a blob byte changed the proofs fail and it is refused."""
    tampered = BLOB[:-1] + b"\x01"
    with pytest.raises(ValidationError, match="blob sidecar"):
        eth_tester.send_raw_transaction(blob_network_form(cell_proofs, tampered))
    tx_hash = eth_tester.send_raw_transaction(blob_network_form(cell_proofs))
    receipt = eth_tester.get_transaction_receipt(tx_hash)
    assert (receipt["status"], receipt["type"], receipt["blob_gas_used"]) == (1, "0x3", 2**17)
    block = eth_tester.get_block_by_number(receipt["block_number"])
    assert block["blob_gas_used"] == 2**17
    (versioned,) = eth_tester.get_transaction_by_hash(tx_hash)["blob_versioned_hashes"]
    assert versioned.startswith("0x01")


def test_withdrawals_credit_gwei(eth_tester: EthereumTester) -> None:
    """apply_withdrawals seals a block listing them; amounts are in gwei."""
    address = "0x" + "01" * 20
    eth_tester.backend.apply_withdrawals(
        [{"index": 0, "validator_index": 5, "address": address, "amount": 100}]
    )
    block = eth_tester.get_block_by_number("latest")
    assert block["withdrawals"] == [
        {"index": 0, "validator_index": 5, "address": address, "amount": 100}
    ]
    assert eth_tester.get_balance(address) == 100 * 10**9


def test_chosen_by_eth_testers_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """ETHEREUM_TESTER_CHAIN_BACKEND puts code that builds a bare EthereumTester() (web3's
    EthereumTesterProvider() without arguments among it) on pyeth without changing it."""
    monkeypatch.setenv("ETHEREUM_TESTER_CHAIN_BACKEND", "pyeth.testing.eth_tester.PyethBackend")
    web3 = pytest.importorskip("web3")
    w3 = web3.Web3(web3.EthereumTesterProvider())
    assert isinstance(w3.provider.ethereum_tester.backend, PyethBackend)
    alice, bob = w3.eth.accounts[:2]
    tx = w3.eth.send_transaction({"from": alice, "to": bob, "value": 3})
    assert w3.eth.get_transaction_receipt(tx)["status"] == 1


def test_rejections_are_also_eth_utils_validation_errors(eth_tester: EthereumTester) -> None:
    """py-evm's rejections are eth-utils ValidationErrors, which callers (ape among them)
    catch; pyeth's are both that and eth-tester's."""
    from eth_utils import ValidationError as EthUtilsValidationError

    sender = eth_tester.get_accounts()[0]
    with pytest.raises(EthUtilsValidationError, match="insufficient funds"):
        eth_tester.send_transaction({"from": sender, "to": sender, "gas": 21000, "value": 10**40})
    with pytest.raises(TransactionRejected, match="insufficient funds"):
        eth_tester.call({"from": sender, "to": sender, "gas": 21000, "value": 10**40})

"""The harness's chain: accounts, blocks, transactions and calls, snapshots."""

import pytest

from pyeth.accounts import DEFAULT_MNEMONIC, derive_accounts
from pyeth.address import to_checksum_address
from pyeth.testing.abi import Address
from pyeth.testing.artifacts import load_artifact
from pyeth.testing.chain import Chain
from pyeth.testing.contracts import Contract, Reverted, TransactionRejected
from tests.unit.testing.conftest import CONTRACTS, SUPPLY


def test_accounts_are_the_dev_nodes(chain: Chain) -> None:
    derived = derive_accounts(DEFAULT_MNEMONIC, 10)
    assert [bytes(a) for a in chain.accounts] == [d.address for d in derived]
    assert [a.key for a in chain.accounts] == [d.private_key for d in derived]
    alice = chain.accounts[0]
    assert str(alice) == to_checksum_address(alice.address) == alice.checksum
    assert alice == str(alice).lower()  # equal to its hex text, any case
    assert chain.get_balance(alice) == 10_000 * 10**18
    assert chain.get_nonce(alice) == 0


def test_deploy_call_and_transact(chain: Chain, token: Contract) -> None:
    alice, bob = chain.accounts[:2]
    assert isinstance(token.address, Address)
    assert chain.get_code(token) != b""
    assert token.balanceOf(alice) == SUPPLY
    assert token.name() == "Test Token"  # an ABI function wins over the attribute name
    assert token.contract_name == "Token"
    receipt = token.transfer(bob, 10, sender=alice)
    assert receipt.status is True
    assert receipt.return_value is True
    assert receipt.gas_used > 21_000
    assert token.balanceOf(bob) == 10
    assert token.balanceOf(alice) == SUPPLY - 10
    assert [e.name for e in receipt.events] == ["Transfer"]
    event = receipt.events[0]
    assert event.args == {"from": alice, "to": bob, "value": 10}
    assert event.from_ == alice and event.value == 10 and event.address == token.address
    assert len(receipt.logs) == 1 and receipt.logs[0].topics[0] == token.events.Transfer.topic
    assert chain.last_receipt is receipt


def test_a_block_per_transaction(chain: Chain, token: Contract) -> None:
    bob = chain.accounts[1]
    start = chain.block_number
    stamp = chain.timestamp
    receipt = token.transfer(bob, 1)
    assert chain.block_number == start + 1 == receipt.block_number
    assert chain.timestamp == stamp + 1
    block = chain.get_block()
    assert block.receipts == [receipt]
    assert block.gas_used == receipt.gas_used
    assert block.parent is chain.get_block(start)
    assert block.hash == block.header.hash  # on demand, from the light record
    assert block.header.parent_hash == chain.get_block(start).hash


def test_batched_blocks_without_automine(token: Contract, chain: Chain) -> None:
    bob = chain.accounts[1]
    chain.automine = False
    start = chain.block_number
    first = token.transfer(bob, 1)
    second = token.transfer(bob, 2)
    assert chain.block_number == start  # still open
    assert first.block_number == second.block_number == start + 1
    block = chain.mine()
    assert block.number == start + 1
    assert block.receipts == [first, second]
    assert block.gas_used == first.gas_used + second.gas_used
    chain.mine(3)
    assert chain.block_number == start + 4


def test_fees_are_paid_at_the_base_fee(chain: Chain, token: Contract) -> None:
    alice, bob = chain.accounts[:2]
    base_fee = chain.base_fee
    assert base_fee > 0
    before = chain.get_balance(alice)
    receipt = chain.send(bob, 5, sender=alice)
    assert receipt.gas_used == 21_000
    assert receipt.gas_price == base_fee
    assert chain.get_balance(alice) == before - 5 - receipt.fee
    assert chain.get_balance(bob) == 10_000 * 10**18 + 5


def test_failed_transaction_is_included_and_raises(chain: Chain, token: Contract) -> None:
    alice, bob = chain.accounts[:2]
    nonce = chain.get_nonce(bob)
    with pytest.raises(Reverted) as info:
        token.transfer(alice, 1, sender=bob)
    failure = info.value
    assert "insufficient balance" in str(failure)
    assert failure.receipt is not None and failure.receipt.status is False
    assert failure.receipt.revert_data == failure.revert_data
    assert chain.get_nonce(bob) == nonce + 1  # included and charged
    assert chain.last_receipt is failure.receipt


def test_rejected_transaction_changes_nothing(chain: Chain, token: Contract) -> None:
    poor = Address(b"\x01" * 20)
    block = chain.block_number
    with pytest.raises(TransactionRejected, match="insufficient funds"):
        chain.send(chain.accounts[1], 1, sender=poor)
    with pytest.raises(TransactionRejected, match="intrinsic gas too low"):
        token.transfer(chain.accounts[1], 1, gas=1000)
    assert chain.block_number == block
    assert chain.get_nonce(poor) == 0


def test_call_changes_nothing(chain: Chain, token: Contract) -> None:
    alice, bob = chain.accounts[:2]
    nonce = chain.get_nonce(alice)
    assert token.transfer.call(bob, 10) is True
    assert token.balanceOf(bob) == 0
    assert chain.get_nonce(alice) == nonce
    with pytest.raises(Reverted, match="insufficient balance"):
        token.transfer.call(alice, 1, sender=bob)


def test_snapshot_and_revert(chain: Chain, token: Contract) -> None:
    alice, bob = chain.accounts[:2]
    block = chain.block_number
    snap = chain.snapshot()
    token.transfer(bob, 10)
    chain.deal(bob, 1)
    chain.store(token, 0, 12345)
    inner = chain.snapshot()
    token.transfer(bob, 20)
    chain.revert(inner)
    assert token.balanceOf(bob) == 10
    chain.revert(snap)
    assert token.balanceOf(bob) == 0
    assert token.balanceOf(alice) == SUPPLY
    assert chain.get_balance(bob) == 10_000 * 10**18
    assert chain.load(token, 0) == SUPPLY  # totalSupply's slot
    assert chain.block_number == block
    with pytest.raises(ValueError, match="not live"):
        chain.revert(snap)  # used up
    with pytest.raises(ValueError, match="not live"):
        chain.revert(inner)  # a later one: used up with it
    again = chain.snapshot()
    assert again not in (snap, inner)  # ids are never reused
    # Transactions after the revert build on the reverted chain.
    receipt = token.transfer(bob, 3)
    assert receipt.block_number == block + 1
    assert token.balanceOf(bob) == 3


def test_revert_restores_an_open_block(chain: Chain, token: Contract) -> None:
    bob = chain.accounts[1]
    chain.automine = False
    first = token.transfer(bob, 1)
    snap = chain.snapshot()
    token.transfer(bob, 2)
    chain.revert(snap)
    block = chain.mine()
    assert block.receipts == [first]
    assert block.gas_used == first.gas_used
    assert token.balanceOf(bob) == 1


def test_anchor(token_artifact) -> None:
    chain = Chain()
    token = chain.deploy(token_artifact, SUPPLY)
    bob = chain.accounts[1]
    with chain.anchor():
        token.transfer(bob, 10)
        with chain.anchor():
            token.transfer(bob, 5)
            assert token.balanceOf(bob) == 15
        assert token.balanceOf(bob) == 10
    assert token.balanceOf(bob) == 0
    assert not chain.state.keep_journal  # no live snapshot: the journal is cleared again


def test_contract_at_and_counters(chain: Chain, token: Contract, token_artifact) -> None:
    again = chain.at(token.address, token_artifact)
    assert again == token and again.balanceOf(chain.accounts[0]) == SUPPLY
    also = Contract.at(chain, str(token.address), token_artifact.abi)
    assert also.totalSupply() == SUPPLY
    calls, txs = chain.call_count, chain.tx_count
    token.transfer(chain.accounts[1], 1)
    token.balanceOf(chain.accounts[1])
    assert (chain.call_count, chain.tx_count) == (calls + 2, txs + 1)


def test_on_transaction_callbacks(chain: Chain, token: Contract) -> None:
    seen = []
    chain.on_transaction.append(seen.append)
    receipt = token.transfer(chain.accounts[1], 1)
    assert seen == [receipt]


def test_forks(token_artifact) -> None:
    prague = Chain(fork="prague")
    assert prague.fork == "prague"
    token = prague.deploy(token_artifact, 5)
    assert token.totalSupply() == 5
    with pytest.raises(ValueError):
        Chain(fork="frontier")


def test_berlin_has_no_fee_market() -> None:
    chain = Chain(fork="berlin")
    assert chain.base_fee == 0
    alice, bob = chain.accounts[:2]
    before = chain.get_balance(alice)
    receipt = chain.send(bob, 7)
    assert receipt.tx.TYPE == 1 and receipt.gas_price == 0  # type 2 came with London
    assert chain.get_balance(alice) == before - 7
    # Init code returning a runtime that answers 42 to anything (no PUSH0: Berlin has none).
    runtime = bytes.fromhex("602a60005260206000f3")
    init = bytes.fromhex("600a600c600039600a6000f3") + runtime
    answer = chain.deploy((init, []), name="Answer")
    assert chain.get_code(answer) == runtime
    assert int.from_bytes(chain.call(answer, b"\x01\x02\x03\x04"), "big") == 42


def test_state_root_on_demand(chain: Chain) -> None:
    root = chain.state_root()
    assert len(root) == 32
    chain.deal(chain.accounts[5], 1)
    assert chain.state_root() != root


def test_console_lines_on_receipts_and_stdout(chain: Chain, capsys) -> None:
    artifact = load_artifact(CONTRACTS / "ConsoleDemo.json", name="ConsoleDemo")
    demo = chain.deploy(artifact)
    assert chain.last_receipt is not None
    assert chain.last_receipt.console[0].startswith("deployed callee at 0x")
    receipt = demo.callAdd(5)
    assert receipt.console == ["calling add(5)", "callee add 5"]
    assert receipt.return_value == 5
    assert "calling add(5)\ncallee add 5\n" in capsys.readouterr().out
    chain.print_console = False
    quiet = demo.tryAdd(500)  # the callee logs, then reverts: its line is kept
    assert quiet.console == ["callee add 500", "add failed"]
    assert capsys.readouterr().out == ""
    chain.print_console = True
    with pytest.raises(Reverted, match="stopped here"):
        demo.logThenRevert()  # a view: a call; its lines are printed too
    assert capsys.readouterr().out == "before the revert\n"


def test_old_blocks_drop_their_receipts(chain: Chain, token: Contract) -> None:
    chain.receipt_history = 3
    receipts = [token.transfer(chain.accounts[1], 1) for _ in range(5)]
    blocks = [chain.get_block(r.block_number) for r in receipts]
    assert [len(b.receipts) for b in blocks] == [0, 0, 1, 1, 1]
    assert blocks[0].gas_used == receipts[0].gas_used  # the record stays
    assert blocks[1].hash == blocks[2].header.parent_hash


def test_raw_call(chain: Chain, token: Contract) -> None:
    output = chain.call(token, token.balanceOf.encode(chain.accounts[0]))
    assert int.from_bytes(output, "big") == SUPPLY
    with pytest.raises(Reverted, match="insufficient balance"):
        chain.call(token, token.transfer.encode(chain.accounts[0], 1), sender=chain.accounts[1])


def test_the_package_docstring_example_runs_as_written() -> None:
    import os
    import re

    import pyeth.testing

    doc = pyeth.testing.__doc__ or ""
    code = "\n".join(
        line[4:] for line in doc.splitlines() if line.startswith("    ") or not line.strip()
    )
    start = code.index("from pyeth.testing import")
    root = os.path.dirname(os.path.dirname(os.path.dirname(pyeth.testing.__file__)))
    cwd = os.getcwd()
    os.chdir(root)  # the example's path is the repository's
    try:
        exec(compile(re.sub(r"\n{3,}", "\n", code[start:]), "<docstring>", "exec"), {})
    finally:
        os.chdir(cwd)


def test_transaction_hashes_and_repr(chain: Chain, token: Contract) -> None:
    first = token.transfer(chain.accounts[1], 1)
    second = token.transfer(chain.accounts[1], 1)
    assert len(first.tx_hash) == 32 and first.tx_hash != second.tx_hash
    assert first.tx_hash == first.tx.hash  # keccak of the placeholder-signed encoding
    assert repr(chain).startswith(f"<Chain {chain.fork} id 1337 at block {chain.block_number}")
    assert {chain.accounts[1]: 1}[bytes(chain.accounts[1])] == 1  # an Account is its bytes

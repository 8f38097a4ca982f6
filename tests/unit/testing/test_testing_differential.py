"""The harness against the node: the same transactions, signed and sealed by pyeth.node.Node,
give the same status, gas, logs, storage, balances and nonces as through pyeth.testing.Chain,
since both run pyeth.transition on the same genesis (the harness only skips what is outside
the transactions: roots, system calls, signatures)."""

from typing import Any

from pyeth.node import Node, NodeConfig
from pyeth.testing.chain import Chain
from pyeth.testing.contracts import Receipt, TransactionFailed
from pyeth.transactions import FeeMarketTransaction, sign_transaction
from tests.unit.testing.conftest import CONTRACTS, TOKEN_JSON


def _replay(node: Node, chain: Chain, receipt: Receipt) -> None:
    """Send `receipt`'s transaction through the node, signed, and compare the outcomes."""
    tx = receipt.tx
    key = next(a.key for a in chain.accounts if bytes(a) == receipt.sender)
    signed = sign_transaction(
        FeeMarketTransaction(
            chain.chain_id, tx.nonce, 0, tx.max_fee_per_gas, tx.gas_limit, tx.to, tx.value, tx.data
        ),
        key,
        chain.chain_id,
    )
    node.submit_transaction(signed)
    head = node.chain.head
    assert head.number == receipt.block_number
    assert head.base_fee_per_gas == receipt.gas_price  # same fee market, block by block
    (node_receipt,) = node.chain.get_receipts(node.chain.head_hash) or ()
    assert bool(node_receipt.status) == receipt.status
    assert node_receipt.cumulative_gas_used == receipt.gas_used
    node_logs = [(log.address, log.topics, log.data) for log in node_receipt.logs]
    assert node_logs == [(bytes(log.address), log.topics, log.data) for log in receipt.logs]


def _transact(chain: Chain, action: Any) -> Receipt:
    try:
        return action()
    except TransactionFailed as failure:
        assert failure.receipt is not None
        return failure.receipt


def test_the_node_agrees_with_the_harness() -> None:
    chain = Chain()
    node = Node(NodeConfig())
    try:
        alice, bob, carol = chain.accounts[:3]
        receipts: list[Receipt] = []
        token = chain.deploy(TOKEN_JSON, 10**24)
        receipts.append(chain.last_receipt)  # type: ignore[arg-type]
        shapes = chain.deploy(CONTRACTS / "Shapes.json", alice, value=5)
        receipts.append(chain.last_receipt)  # type: ignore[arg-type]
        caller = chain.deploy(CONTRACTS / "Caller.json")
        receipts.append(chain.last_receipt)  # type: ignore[arg-type]
        actions = [
            lambda: token.transfer(bob, 1000),
            lambda: token.transfer(alice, 5000, sender=bob),  # reverts: included, charged
            lambda: token.approve(carol, 300, sender=bob),
            lambda: token.transferFrom(bob, carol, 200, sender=carol),
            lambda: shapes.store(9, "differential"),
            lambda: shapes.push(3),
            lambda: shapes.deposit(value=77, sender=carol),
            lambda: chain.send(shapes, 11, sender=bob),
            lambda: shapes.fallback(data=b"\x01\x02\x03\x04\x05", value=1),
            lambda: caller.callStore(shapes, 4),
            lambda: caller.callFail(shapes),  # an inner revert
            lambda: shapes.burn.transact(gas=200_000),  # runs down to 1000 gas left
            lambda: shapes.divide.transact(1, 0),  # a panic
            lambda: chain.send(carol, 10**18, sender=alice),
        ]
        receipts += [_transact(chain, action) for action in actions]
        assert [r.status for r in receipts].count(False) == 3
        for receipt in receipts:
            _replay(node, chain, receipt)
        node_state = node.state_at(node.chain.head)
        for address in [bytes(a) for a in chain.accounts[:4]] + [
            bytes(c.address) for c in (token, shapes, caller)
        ]:
            assert node_state.get_balance(address) == chain.state.get_balance(address)
            assert node_state.get_nonce(address) == chain.state.get_nonce(address)
            assert node_state.get_code(address) == chain.state.get_code(address)
            assert node_state.storage_root(address) == chain.state.storage_root(address)
    finally:
        node.close()

"""Snapshots are journal positions kept across transactions: any mix of transactions, cheats,
blocks, snapshots and reverts must leave the chain exactly as replaying only the operations
that were not reverted, on a fresh chain, leaves it."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pyeth.testing.artifacts import Artifact
from pyeth.testing.chain import Chain
from pyeth.testing.contracts import TransactionFailed, TransactionRejected

ACCOUNTS = 4
OPERATIONS = st.one_of(
    st.tuples(
        st.just("transfer"),
        st.integers(0, ACCOUNTS - 1),
        st.integers(0, ACCOUNTS - 1),
        st.integers(0, 3000),
    ),
    st.tuples(st.just("send"), st.integers(0, ACCOUNTS - 1), st.integers(0, ACCOUNTS - 1)),
    st.tuples(st.just("deal"), st.integers(0, ACCOUNTS - 1), st.integers(0, 10**20)),
    st.tuples(st.just("store"), st.integers(0, 3), st.integers(0, 2**256 - 1)),
    st.tuples(st.just("mine"), st.integers(1, 3)),
    st.tuples(st.just("skip"), st.integers(0, 100)),
    st.just(("snapshot",)),
    st.just(("revert",)),
)


def _fresh(artifact: Artifact) -> tuple[Chain, Any]:
    chain = Chain(accounts=ACCOUNTS, timestamp=1_700_000_000)
    token = chain.deploy(artifact, 10_000)
    for index in range(1, ACCOUNTS):
        token.transfer(chain.accounts[index], 1000)
    return chain, token


def _apply(chain: Chain, token: Any, op: tuple[Any, ...]) -> None:
    kind = op[0]
    accounts = chain.accounts
    try:
        if kind == "transfer":
            token.transfer(accounts[op[2]], op[3], sender=accounts[op[1]])
        elif kind == "send":
            chain.send(accounts[op[2]], 12345, sender=accounts[op[1]])
    except TransactionFailed:
        pass  # included and charged all the same
    except TransactionRejected:
        pass  # refused (a sender dealt too little): nothing changed
    if kind == "deal":
        chain.deal(accounts[op[1]], op[2])
    elif kind == "store":
        chain.store(token, 100 + op[1], op[2])
    elif kind == "mine":
        chain.mine(op[1])
    elif kind == "skip":
        chain.skip(op[1])


def _fingerprint(chain: Chain, token: Any) -> tuple[Any, ...]:
    addresses = [bytes(a) for a in chain.accounts] + [bytes(token.address)]
    return (
        chain.block_number,
        chain.timestamp,
        chain.pending_timestamp,
        chain.base_fee,
        [chain.get_balance(a) for a in addresses],
        [chain.get_nonce(a) for a in addresses],
        [token.balanceOf(a) for a in chain.accounts],
        chain.state.storage_root(bytes(token.address)),
        chain.state_root(),
        chain.get_block().hash,
    )


@settings(max_examples=40, deadline=None)
@given(st.lists(OPERATIONS, max_size=25))
def test_reverts_equal_replaying_what_was_kept(
    token_artifact: Artifact, operations: list[tuple[Any, ...]]
) -> None:
    chain, token = _fresh(token_artifact)
    kept: list[tuple[Any, ...]] = []
    stack: list[tuple[int, int]] = []  # (snapshot id, len(kept) then)
    for op in operations:
        if op[0] == "snapshot":
            stack.append((chain.snapshot(), len(kept)))
        elif op[0] == "revert":
            if stack:
                snapshot_id, length = stack.pop()
                chain.revert(snapshot_id)
                del kept[length:]
        else:
            _apply(chain, token, op)
            kept.append(op)
    replayed, replayed_token = _fresh(token_artifact)
    for op in kept:
        _apply(replayed, replayed_token, op)
    assert _fingerprint(chain, token) == _fingerprint(replayed, replayed_token)

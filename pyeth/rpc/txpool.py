"""The txpool_ namespace: what the pool holds, pending and queued, by sender and nonce."""

from typing import Any

from pyeth.hexutil import int_to_hex as q
from pyeth.hexutil import to_hex
from pyeth.rpc.api import Namespace, RpcContext
from pyeth.rpc.formats import transaction_json
from pyeth.txpool import PooledTransaction

METHODS = Namespace()


def _by_sender(groups: dict[bytes, list[PooledTransaction]]) -> dict[str, dict[str, Any]]:
    return {
        to_hex(sender): {str(e.nonce): transaction_json(e.tx, tx_hash=e.hash) for e in entries}
        for sender, entries in groups.items()
    }


@METHODS.method("txpool_status")
def status(ctx: RpcContext) -> dict[str, str]:
    pool = ctx.node.pool
    pending = sum(len(run) for run in pool.pending().values())
    return {"pending": q(pending), "queued": q(len(pool) - pending)}


@METHODS.method("txpool_content")
def content(ctx: RpcContext) -> dict[str, Any]:
    pool = ctx.node.pool
    return {"pending": _by_sender(pool.pending()), "queued": _by_sender(pool.queued())}

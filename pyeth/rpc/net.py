"""The net_ namespace: network id, listening, peer count (0 without p2p)."""

from pyeth.rpc.api import Namespace, RpcContext

METHODS = Namespace()


@METHODS.method("net_version")
def version(ctx: RpcContext) -> str:
    return str(ctx.node.chain_id)  # a decimal string, as geth and the spec give it


@METHODS.method("net_listening")
def listening(ctx: RpcContext) -> bool:
    return True


@METHODS.method("net_peerCount")
def peer_count(ctx: RpcContext) -> str:
    network = ctx.node.network
    return hex(0 if network is None else network.peer_count())

"""The net_ namespace: network id, listening, peer count (a dev node has no peers)."""

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
    return "0x0"

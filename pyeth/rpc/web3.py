"""The web3_ namespace: the client version and keccak256 of data."""

import platform

from pyeth import __version__
from pyeth.hashing import keccak256
from pyeth.hexutil import to_hex
from pyeth.rpc import params as p
from pyeth.rpc.api import Namespace, RpcContext, required

METHODS = Namespace()

CLIENT_VERSION = f"pyeth/v{__version__}/python{platform.python_version()}"


@METHODS.method("web3_clientVersion")
def client_version(ctx: RpcContext) -> str:
    return CLIENT_VERSION


@METHODS.method("web3_sha3", required("data", p.data))
def sha3(ctx: RpcContext, data: bytes) -> str:
    return to_hex(keccak256(data))

"""The personal_ namespace, as far as dev wallets use it: personal_sign with an unlocked dev
account (EIP-191), and listing the accounts."""

from pyeth.accounts import eip191_hash, sign_hash
from pyeth.hexutil import to_hex
from pyeth.rpc import params as p
from pyeth.rpc.api import Namespace, RpcContext, optional, required
from pyeth.rpc.errors import ServerError

METHODS = Namespace()


@METHODS.method(
    "personal_sign",
    required("message", p.data),
    required("address", p.address),
    optional("password", lambda v: v),
)
def sign(ctx: RpcContext, message: bytes, address: bytes, password: object) -> str:
    account = ctx.node.accounts.get(address)
    if account is None:
        raise ServerError(f"unknown account 0x{address.hex()}")
    return to_hex(sign_hash(eip191_hash(message), account.private_key))


@METHODS.method("personal_listAccounts")
def list_accounts(ctx: RpcContext) -> list[str]:
    return [to_hex(a) for a in ctx.node.accounts.addresses]

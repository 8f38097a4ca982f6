"""JSON-RPC error objects and the one place where pyeth's errors become error codes.

Codes: -32700 parse error, -32600 invalid request, -32601 method not found, -32602 invalid
params, -32603 internal error (JSON-RPC 2.0); -32000 for a transaction or call the node refuses
(geth's wording in the message, which clients match on); 3 for execution reverted, with the
revert data as hex in `data` (the execution-apis spec, and what ethers, viem and web3.py decode).
"""

from __future__ import annotations

import logging
from typing import Any, Final

from pyeth.calls import CallError, ExecutionFailed, ExecutionReverted
from pyeth.errors import DecodingError, InvalidTransaction, PyethError
from pyeth.hexutil import to_hex

PARSE_ERROR: Final = -32700
INVALID_REQUEST: Final = -32600
METHOD_NOT_FOUND: Final = -32601
INVALID_PARAMS: Final = -32602
INTERNAL_ERROR: Final = -32603
SERVER_ERROR: Final = -32000  # transaction rejected, call cannot run, unknown account/filter
LIMIT_EXCEEDED: Final = -32005  # a query asks for more than the node serves at once
EXECUTION_REVERTED: Final = 3

log = logging.getLogger(__name__)


class RpcError(Exception):
    """An error response: `code`, `message` and optional `data`."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


class InvalidParams(RpcError):
    def __init__(self, message: str) -> None:
        super().__init__(INVALID_PARAMS, message)


class InvalidRequest(RpcError):
    def __init__(self, message: str = "invalid request") -> None:
        super().__init__(INVALID_REQUEST, message)


class ServerError(RpcError):
    def __init__(self, message: str) -> None:
        super().__init__(SERVER_ERROR, message)


def method_not_found(name: str) -> RpcError:
    return RpcError(METHOD_NOT_FOUND, f"the method {name} does not exist/is not available")


def to_rpc_error(exc: BaseException) -> RpcError:
    """The error object for an exception a method raised."""
    if isinstance(exc, RpcError):
        return exc
    if isinstance(exc, ExecutionReverted):
        return RpcError(EXECUTION_REVERTED, str(exc), to_hex(exc.data))
    if isinstance(exc, ExecutionFailed | CallError | InvalidTransaction):
        return ServerError(str(exc))
    if isinstance(exc, DecodingError):
        return ServerError(str(exc))
    if isinstance(exc, PyethError):
        return ServerError(str(exc))
    log.exception("internal error in a JSON-RPC method", exc_info=exc)
    return RpcError(INTERNAL_ERROR, f"internal error: {type(exc).__name__}")

"""JSON-RPC 2.0 over HTTP and WebSocket (aiohttp), as execution clients serve it.

Modules, by job:
- `server`: the aiohttp application (`init`), request framing, batches and limits.
- `access`: who may call: Host against --vhosts, Origin against --cors, JSON content type,
  the connection limit; one middleware in front of every route.
- `websocket`: one WebSocket client's output within a byte budget (slow readers dropped,
  bursts of heads coalesced).
- `api`: what a method is (name, parameter parsers, handler) and the context handlers get.
- `params`: parsing and checking parameters (quantities, data, addresses, block tags, calls).
- `formats`: blocks, transactions, receipts and logs as JSON objects.
- `errors`: the error objects and the mapping of pyeth's errors to their codes.
- `filters`: polling filters and WebSocket subscriptions.
- one module per namespace: `eth`, `net`, `web3`, `personal`, `debug`, `dev` (evm_* / anvil_*).
"""

from pyeth.rpc.server import ServerSettings, init

__all__ = ["ServerSettings", "init"]

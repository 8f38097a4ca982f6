"""p2p: the node's peers over aiohttp WebSockets (ws://host:port/p2p).

Modules, by job:
- `identity`: the node key, the node id derived from it, and the handshake's proof of it.
- `messages`: the eth-like wire messages and their strict RLP codec.
- `session`: one peer: the handshake, the read loop, requests with ids and timeouts.
- `gossip`: bounded seen-sets and who gets which block or transaction.
- `sync`: catching up with the best peer, headers then bodies, in batches.
- `limits`: message size, peer slots and per-IP limits, request rates, reputation, bans.
- `server`: `Network` (peers, dialing, peer exchange, gossip wiring) and the app factory.

The package talks to the node only through `pyeth.node.Node`'s narrow interface and never
touches the database; nothing a peer sends may crash the node or stall its event loop.
"""

"""evm: a standalone Ethereum Virtual Machine.

It executes messages against a world state reached through the small journaled interface in
`evm.state`; it knows nothing of blocks, transactions, RPC or the network, and never imports pyeth.
"""

#!/bin/sh
# Container entrypoint: `pyeth node` configured from the environment, for the Swarm stack
# (deploy/stack.yml) and the Kubernetes StatefulSet (deploy/k8s/).
#
#   NODES         signers of the devnet genesis (all containers must agree; default 3)
#   PERIOD        Clique block period in seconds (default 2)
#   CHAIN_ID      chain id (default 1337)
#   SIGNER_INDEX  this container's signer (0..NODES-1); or SIGNER_SLOT (1..NODES, a Swarm
#                 {{.Task.Slot}}), or POD_NAME ending in -<ordinal> (a StatefulSet pod);
#                 none of them: a follower (the bootnode)
#   HOST          address to listen on, RPC and p2p (default 0.0.0.0; 127.0.0.1 on the host net)
#   RPC_PORT      JSON-RPC port (default 8545); P2P_PORT p2p port (default 30303)
#   VHOSTS        host names the JSON-RPC answers to besides localhost and this container's
#                 hostname (`--vhosts`; IP addresses always work): the Service or DNS names
#                 clients use, comma-separated, or '*' for any name
#   BOOTNODES     comma-separated ws://HOST:PORT/p2p, or ws://NODE_ID@HOST:PORT/p2p to refuse any
#                 other node there (a node prints its URL with its id at start; its key is kept
#                 in DATA/chain-<name>/nodekey, so the id survives restarts)
#   DATA          where genesis and keys (devnet-<name>) and the chain (chain-<name>) live
#                 (default /data)
#
# The genesis and the signer keys are derived from the public dev mnemonic, so every container
# computes the same ones: a development network only. Arguments are passed on to `pyeth node`.
set -eu

DATA="${DATA:-/data}"
NODES="${NODES:-3}"
PERIOD="${PERIOD:-2}"
CHAIN_ID="${CHAIN_ID:-1337}"
HOST="${HOST:-0.0.0.0}"
RPC_PORT="${RPC_PORT:-8545}"
P2P_PORT="${P2P_PORT:-30303}"
VHOSTS="localhost,$(hostname)${VHOSTS:+,$VHOSTS}"

if [ -z "${SIGNER_INDEX:-}" ] && [ -n "${SIGNER_SLOT:-}" ]; then
    SIGNER_INDEX=$((SIGNER_SLOT - 1))
fi
if [ -z "${SIGNER_INDEX:-}" ] && [ -n "${POD_NAME:-}" ]; then
    SIGNER_INDEX="${POD_NAME##*-}"
fi

NAME="${SIGNER_INDEX:-bootnode}"
# Each container writes its own copy of the (deterministic) genesis and keys: replicas that share
# a volume must not write one file at once while another reads it.
INIT="$DATA/devnet-$NAME"
pyeth devnet --nodes "$NODES" --period "$PERIOD" --chain-id "$CHAIN_ID" \
    --init-only --datadir "$INIT" >/dev/null

set -- --genesis "$INIT/genesis.json" \
    --datadir "$DATA/chain-$NAME" \
    --host "$HOST" --port "$RPC_PORT" --vhosts "$VHOSTS" \
    --p2p-host "$HOST" --p2p-port "$P2P_PORT" \
    "$@"
if [ -n "${SIGNER_INDEX:-}" ]; then
    set -- --signer "$INIT/keys/signer-$SIGNER_INDEX.key" "$@"
fi
if [ -n "${BOOTNODES:-}" ]; then
    set -- --bootnodes "$BOOTNODES" "$@"
fi
exec pyeth node "$@"

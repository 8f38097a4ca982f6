#!/usr/bin/env bash
# Opt-in end-to-end check of the container deployment (not part of the default test run):
# start a private Docker daemon, make a Debian base image with debootstrap, build the pyeth
# image, deploy deploy/stack.yml on a single-node swarm, check that the replicas agree on a head
# and mine a transaction, SIGKILL one replica's process and check that Swarm restarts it and it
# catches up, then remove everything (stack, swarm, images, daemon, its data).
#
#   sudo deploy/test-swarm.sh            # from the repository root; needs root and the network
#
# Environment: PIP_CERT (a CA bundle pip needs to reach the package index, copied into the
# build), MIRROR (a Debian mirror for debootstrap), KEEP=1 (leave the work folder for a look).
# Everything listens on 127.0.0.1: the services use the host network, never container addresses.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
STACK=pyethtest
IMAGE=pyeth:swarm-test
BASE_IMAGE=pyeth-base:bookworm
MIRROR=${MIRROR:-http://deb.debian.org/debian}
BOOT_RPC=8545
SIGNER_RPCS=(8541 8542 8543)
WORK=$(mktemp -d /tmp/pyeth-swarm.XXXXXX)
DOCKERD_PID=""

log() { printf '\n== %s\n' "$*"; }
fail() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
    fail "run as root: it starts dockerd and runs debootstrap"
fi

cleanup() {
    status=$?
    set +e
    if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
        log "cleaning up"
        docker stack rm "$STACK" >/dev/null 2>&1
        for _ in $(seq 1 30); do
            [ -z "$(docker ps -q --filter "label=com.docker.stack.namespace=$STACK")" ] && break
            sleep 1
        done
        docker swarm leave --force >/dev/null 2>&1
        docker image rm -f "$IMAGE" "$BASE_IMAGE" >/dev/null 2>&1
        kill "$DOCKERD_PID"
        for _ in $(seq 1 30); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 1; done
        kill -9 "$DOCKERD_PID" 2>/dev/null
    fi
    rm -f "$ROOT/deploy/certs/ca.pem"
    if [ "${KEEP:-0}" = 1 ]; then
        echo "work folder kept: $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT INT TERM

# rpc PORT METHOD [PARAMS_JSON]: print the JSON result (or nothing and status 1).
rpc() {
    python3 - "$1" "$2" "${3:-[]}" <<'PY'
import json, sys, urllib.request
port, method, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
request = urllib.request.Request(
    f"http://127.0.0.1:{port}/", body, {"Content-Type": "application/json"}
)
try:
    with urllib.request.urlopen(request, timeout=5) as response:
        answer = json.loads(response.read())
except Exception:
    sys.exit(1)
if answer.get("result") is None:
    sys.exit(1)
print(json.dumps(answer["result"]))
PY
}

head_number() { rpc "$1" eth_blockNumber | python3 -c 'import json,sys; print(int(json.load(sys.stdin), 16))'; }

# wait_for SECONDS DESCRIPTION COMMAND...: retry COMMAND every second until it succeeds.
wait_for() {
    local seconds=$1 what=$2
    shift 2
    for _ in $(seq 1 "$seconds"); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 1
    done
    fail "timed out after ${seconds}s waiting for $what"
}

log "installing docker.io and debootstrap (if missing)"
if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io debootstrap
fi

log "starting a private dockerd (vfs, no iptables, no bridge)"
dockerd --storage-driver=vfs --iptables=false --ip-masq=false --bridge=none \
    --data-root "$WORK/data" --exec-root "$WORK/exec" --pidfile "$WORK/dockerd.pid" \
    --host "unix://$WORK/docker.sock" >"$WORK/dockerd.log" 2>&1 &
DOCKERD_PID=$!
export DOCKER_HOST="unix://$WORK/docker.sock"
wait_for 60 "dockerd" docker info

log "making the base image with debootstrap"
debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
    bookworm "$WORK/rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log"; fail "debootstrap"; }
tar -C "$WORK/rootfs" -c . | docker import - "$BASE_IMAGE" >/dev/null
rm -rf "$WORK/rootfs"

log "building $IMAGE"
if [ -n "${PIP_CERT:-}" ]; then
    cp "$PIP_CERT" "$ROOT/deploy/certs/ca.pem"
fi
docker build --network host --build-arg "BASE=$BASE_IMAGE" -t "$IMAGE" "$ROOT"

log "deploying the stack on a single-node swarm"
docker swarm init --advertise-addr 127.0.0.1 >/dev/null
PYETH_IMAGE="$IMAGE" docker stack deploy --resolve-image never -c deploy/stack.yml "$STACK"

log "waiting for the nodes' RPC"
for port in "$BOOT_RPC" "${SIGNER_RPCS[@]}"; do
    wait_for 180 "RPC on port $port" rpc "$port" eth_blockNumber
done

heads_past() {  # heads_past N: every node is past block N
    for port in "$BOOT_RPC" "${SIGNER_RPCS[@]}"; do
        [ "$(head_number "$port")" -gt "$1" ] || return 1
    done
}
wait_for 120 "every node past block 3" heads_past 3

agree_at() {  # agree_at N: every node has the same block N
    local first="" hash
    for port in "$BOOT_RPC" "${SIGNER_RPCS[@]}"; do
        hash=$(rpc "$port" eth_getBlockByNumber "[\"$(printf '0x%x' "$1")\", false]" \
            | python3 -c 'import json,sys; print(json.load(sys.stdin)["hash"])') || return 1
        [ -z "$first" ] && first=$hash
        [ "$hash" = "$first" ] || return 1
    done
}
log "checking that the replicas agree on a head"
wait_for 60 "agreement on block 3" agree_at 3
echo "agreed on block 3"

log "mining a transaction"
ACCOUNT=0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266
TX=$(rpc "${SIGNER_RPCS[0]}" eth_sendTransaction \
    "[{\"from\": \"$ACCOUNT\", \"to\": \"0x70997970c51812dc3a010c7d01b50e0d17dc79c8\", \"value\": \"0x1\"}]" \
    | tr -d '"') || fail "eth_sendTransaction"
echo "transaction $TX"
for port in "$BOOT_RPC" "${SIGNER_RPCS[@]}"; do
    wait_for 60 "the receipt on port $port" rpc "$port" eth_getTransactionReceipt "[\"$TX\"]"
done
echo "mined and seen by every node"

log "killing replica 2's process"
CONTAINER=$(docker ps -q --filter "label=com.docker.swarm.service.name=${STACK}_signer" \
    --filter "label=com.docker.swarm.task.name" --filter "name=${STACK}_signer.2." | head -1)
[ -n "$CONTAINER" ] || fail "no container for replica 2"
docker kill --signal KILL "$CONTAINER" >/dev/null

restarted() {
    local now
    now=$(docker ps -q --filter "name=${STACK}_signer.2." | head -1)
    [ -n "$now" ] && [ "$now" != "$CONTAINER" ]
}
wait_for 120 "Swarm to restart replica 2" restarted
wait_for 120 "replica 2's RPC" rpc "${SIGNER_RPCS[1]}" eth_blockNumber
TARGET=$(head_number "$BOOT_RPC")
caught_up() { [ "$(head_number "${SIGNER_RPCS[1]}")" -ge "$TARGET" ]; }
wait_for 120 "replica 2 to catch up with block $TARGET" caught_up
wait_for 60 "agreement on block $TARGET" agree_at "$TARGET"
echo "replica 2 restarted and caught up with block $TARGET"

log "all checks passed"

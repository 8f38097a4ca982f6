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
# build; default: pip's own `cert` setting), PIP_INDEX_URL / PIP_EXTRA_INDEX_URL /
# PIP_DEFAULT_TIMEOUT (default: this machine's pip config; file:// indexes are left out, the build
# cannot see them), MIRROR (a Debian mirror for debootstrap), KEEP=1 (keep the work folder's logs).
# Everything listens on 127.0.0.1: the services use the host network, never container addresses,
# and the swarm listens on 127.0.0.1:2377 only. Takes ~10 minutes (debootstrap and pip download).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
STACK=pyethtest
IMAGE=pyeth:swarm-test
BASE_IMAGE=pyeth-base:bookworm
MIRROR=${MIRROR:-http://deb.debian.org/debian}
BOOT_RPC=8545
SIGNER_RPCS=(8541 8542 8543)
P2P_PORTS=(30300 30301 30302 30303)
WORK=$(mktemp -d /tmp/pyeth-swarm.XXXXXX)
DOCKERD_PID=""
STARTED=$SECONDS
PHASE_START=$SECONDS
TIMINGS=()

log() { printf '\n== %s\n' "$*"; }
fail() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }
# phase NAME: record how long the step before took (the summary at the end lists them).
phase() {
    TIMINGS+=("$(printf '%-34s %4ds' "$1" $((SECONDS - PHASE_START)))")
    PHASE_START=$SECONDS
}

# Debian's client, the same release as its dockerd (a newer client elsewhere on PATH would want
# buildx for `docker build`).
DOCKER_BIN=/usr/bin/docker
docker() { "$DOCKER_BIN" "$@"; }

if [ "$(id -u)" -ne 0 ]; then
    fail "run as root: it starts dockerd and runs debootstrap"
fi

cleanup() {
    status=$?
    set +e
    trap - EXIT INT TERM
    if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
        log "cleaning up (stack, swarm, volumes, images, dockerd $DOCKERD_PID)"
        if [ "$status" -ne 0 ]; then
            docker service ls 2>/dev/null
            for service in bootnode signer; do
                docker service ps --no-trunc "${STACK}_$service" 2>/dev/null | head -8
                docker service logs --tail 15 "${STACK}_$service" 2>/dev/null
            done
        fi
        docker stack rm "$STACK" >/dev/null 2>&1
        for _ in $(seq 1 60); do
            [ -z "$(docker ps -aq --filter "label=com.docker.stack.namespace=$STACK")" ] && break
            sleep 1
        done
        docker swarm leave --force >/dev/null 2>&1
        docker volume rm "${STACK}_bootnode-data" "${STACK}_signer-data" >/dev/null 2>&1
        docker image rm -f "$IMAGE" "$BASE_IMAGE" >/dev/null 2>&1
        docker system prune -af >/dev/null 2>&1
        kill "$DOCKERD_PID"
        for _ in $(seq 1 30); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 1; done
        if kill -0 "$DOCKERD_PID" 2>/dev/null; then kill -9 "$DOCKERD_PID"; fi
        wait "$DOCKERD_PID" 2>/dev/null
    fi
    [ "$status" -ne 0 ] && [ -f "$WORK/dockerd.log" ] && tail -15 "$WORK/dockerd.log"
    # dockerd leaves its network namespace mounted under the exec root.
    grep -o " $WORK/[^ ]*" /proc/mounts | sort -r | while read -r mount; do umount "$mount"; done
    rm -f "$ROOT/deploy/certs/ca.pem"
    if [ "${KEEP:-0}" = 1 ]; then
        rm -rf "$WORK/data" "$WORK/exec" "$WORK/rootfs"
        echo "logs kept: $WORK"
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

port_free() {
    python3 -c 'import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}
for port in "$BOOT_RPC" "${SIGNER_RPCS[@]}" "${P2P_PORTS[@]}" 2377; do
    port_free "$port" || fail "port $port on 127.0.0.1 is in use: the stack needs it"
done
df -h "$WORK" | tail -1 | awk '{print "disk free where the work folder is: " $4}'

log "installing docker.io and debootstrap (if missing)"
if [ ! -x /usr/sbin/dockerd ] || [ ! -x "$DOCKER_BIN" ] || ! command -v debootstrap >/dev/null; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io debootstrap
fi
phase "install docker.io, debootstrap"

log "starting a private dockerd (vfs, no iptables, no bridge)"
/usr/sbin/dockerd --storage-driver=vfs --iptables=false --ip-masq=false --bridge=none \
    --data-root "$WORK/data" --exec-root "$WORK/exec" --pidfile "$WORK/dockerd.pid" \
    --host "unix://$WORK/docker.sock" >"$WORK/dockerd.log" 2>&1 &
DOCKERD_PID=$!
export DOCKER_HOST="unix://$WORK/docker.sock"
wait_for 60 "dockerd" docker info
echo "dockerd $(docker version --format '{{.Server.Version}}') running as PID $DOCKERD_PID"
phase "start dockerd"

log "making the base image with debootstrap"
debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
    bookworm "$WORK/rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log"; fail "debootstrap"; }
# vfs copies every layer for every container: leave out what a node never reads.
rm -rf "$WORK"/rootfs/var/cache/apt/archives/*.deb "$WORK"/rootfs/var/lib/apt/lists/* \
    "$WORK"/rootfs/usr/share/doc/* "$WORK"/rootfs/usr/share/man/* \
    "$WORK"/rootfs/usr/share/info/* "$WORK"/rootfs/usr/share/locale/*
tar -C "$WORK/rootfs" -c . | docker import - "$BASE_IMAGE" >/dev/null
rm -rf "$WORK/rootfs"
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' "$BASE_IMAGE"
phase "debootstrap + import base image"

log "building $IMAGE"
# pip inside the build as on this machine: its CA bundle (copied into the build context, deleted
# from the image) and its index settings; file:// indexes name host folders the build cannot see.
pip_setting() {  # pip_setting ENV_NAME CONFIG_KEY: the environment's value, else pip config's
    local value=${!1:-}
    if [ -z "$value" ]; then
        value=$(python3 -m pip config get "global.$2" 2>/dev/null \
            || python3 -m pip config get "install.$2" 2>/dev/null || true)
    fi
    printf '%s' "$value"
}
CERT=$(pip_setting PIP_CERT cert)
INDEX_URL=$(pip_setting PIP_INDEX_URL index-url)
EXTRA_INDEX_URL=""
for url in $(pip_setting PIP_EXTRA_INDEX_URL extra-index-url); do
    case "$url" in
        http://* | https://*) EXTRA_INDEX_URL="${EXTRA_INDEX_URL:+$EXTRA_INDEX_URL }$url" ;;
        *) echo "pip extra index left out of the build (not reachable from it): $url" ;;
    esac
done
TIMEOUT=$(pip_setting PIP_DEFAULT_TIMEOUT default-timeout)
if [ -n "$CERT" ]; then
    [ -f "$CERT" ] || fail "pip's CA bundle $CERT does not exist"
    cp "$CERT" "$ROOT/deploy/certs/ca.pem"
    echo "pip CA bundle: $CERT"
fi
echo "pip index: ${INDEX_URL:-the default}${EXTRA_INDEX_URL:+, extra: $EXTRA_INDEX_URL}"
docker build --network host --build-arg "BASE=$BASE_IMAGE" \
    --build-arg "PIP_INDEX_URL=$INDEX_URL" --build-arg "PIP_EXTRA_INDEX_URL=$EXTRA_INDEX_URL" \
    --build-arg "PIP_DEFAULT_TIMEOUT=$TIMEOUT" -t "$IMAGE" "$ROOT" >"$WORK/build.log" 2>&1 \
    || { tail -30 "$WORK/build.log"; fail "docker build"; }
rm -f "$ROOT/deploy/certs/ca.pem"
grep -E '^pyeth [0-9]' "$WORK/build.log" || true
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' "$IMAGE"
phase "docker build"

log "deploying the stack on a single-node swarm"
docker swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 >/dev/null
PYETH_IMAGE="$IMAGE" docker stack deploy --resolve-image never -c deploy/stack.yml "$STACK"
phase "swarm init + stack deploy"

log "waiting for the nodes' RPC"
for port in "$BOOT_RPC" "${SIGNER_RPCS[@]}"; do
    wait_for 180 "RPC on port $port" rpc "$port" eth_blockNumber
done
echo "RPC answers on 127.0.0.1:$BOOT_RPC (bootnode) and ${SIGNER_RPCS[*]} (signers)"
phase "nodes up (RPC answers)"

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
phase "heads agree (block 3)"

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
phase "transaction mined, receipt on all"

log "killing replica 2's process (SIGKILL)"
CONTAINER=$(docker ps -q --filter "label=com.docker.swarm.service.name=${STACK}_signer" \
    --filter "name=${STACK}_signer.2." | head -1)
[ -n "$CONTAINER" ] || fail "no container for replica 2"
PID=$(docker inspect --format '{{.State.Pid}}' "$CONTAINER")
[ "$PID" -gt 0 ] || fail "no process for replica 2"
echo "replica 2: container $CONTAINER, pyeth node is PID $PID: $(tr '\0' ' ' <"/proc/$PID/cmdline" | cut -c1-60)..."
kill -KILL "$PID"
KILLED_AT=$SECONDS

restarted() {
    local now
    now=$(docker ps -q --filter "name=${STACK}_signer.2." | head -1)
    [ -n "$now" ] && [ "$now" != "$CONTAINER" ]
}
wait_for 120 "Swarm to restart replica 2" restarted
docker service ps --format '{{.Name}} {{.CurrentState}} {{.Error}}' "${STACK}_signer" \
    | grep -F "signer.2" | head -2
echo "new container after $((SECONDS - KILLED_AT))s"
wait_for 120 "replica 2's RPC" rpc "${SIGNER_RPCS[1]}" eth_blockNumber
phase "replica 2 restarted by Swarm"
TARGET=$(head_number "$BOOT_RPC")
caught_up() { [ "$(head_number "${SIGNER_RPCS[1]}")" -ge "$TARGET" ]; }
wait_for 120 "replica 2 to catch up with block $TARGET" caught_up
wait_for 60 "agreement on block $TARGET" agree_at "$TARGET"
rpc "${SIGNER_RPCS[1]}" eth_getTransactionReceipt "[\"$TX\"]" >/dev/null \
    || fail "replica 2 lost the transaction's receipt"
echo "replica 2 restarted and caught up with block $TARGET (and still has the receipt)"
phase "replica 2 caught up"

log "all checks passed"
printf '%s\n' "${TIMINGS[@]}"
printf '%-34s %4ds\n' "total (before cleanup)" $((SECONDS - STARTED))

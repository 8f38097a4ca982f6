# The pyeth node image: `pyeth node` (and `pyeth devnet --init-only` for the genesis and keys of
# a containerized devnet) as a non-root user, with its data in a volume.
#
#   docker build -t pyeth .
#   docker build --network host --build-arg BASE=pyeth-base:bookworm -t pyeth .   # offline base
#
# BASE must provide python3 with venv and pip (python:3.11-slim does; so does a Debian bookworm
# rootfs made with debootstrap --include=python3,python3-venv,python3-pip,ca-certificates and
# `docker import`ed, as deploy/test-swarm.sh does). Where pip reaches the package index through
# a TLS-inspecting proxy, copy its CA bundle (the file PIP_CERT names) to deploy/certs/ca.pem
# before the build: pip uses it during the build and it is deleted from the image. The host's
# pip settings can be passed in as build arguments (PIP_INDEX_URL, PIP_EXTRA_INDEX_URL,
# PIP_DEFAULT_TIMEOUT); deploy/test-swarm.sh passes the ones this machine uses.
ARG BASE=python:3.11-slim
FROM ${BASE}
# Build-time pip settings only (empty: pip's defaults); not kept in the image's environment.
ARG PIP_INDEX_URL=
ARG PIP_EXTRA_INDEX_URL=
ARG PIP_DEFAULT_TIMEOUT=

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/pyeth/bin:$PATH

# A plain (not editable) install from /src: the dev genesis ships inside the package.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY evm ./evm
COPY pyeth ./pyeth
COPY p2p ./p2p
COPY deploy/entrypoint.sh deploy/healthcheck.py /usr/local/lib/pyeth/
COPY deploy/certs /tmp/certs

RUN set -e; \
    [ -n "$PIP_INDEX_URL" ] || unset PIP_INDEX_URL; \
    [ -n "$PIP_EXTRA_INDEX_URL" ] || unset PIP_EXTRA_INDEX_URL; \
    [ -n "$PIP_DEFAULT_TIMEOUT" ] || unset PIP_DEFAULT_TIMEOUT; \
    if [ -f /tmp/certs/ca.pem ]; then export PIP_CERT=/tmp/certs/ca.pem; fi; \
    python3 -m venv /opt/pyeth; \
    pip install --no-cache-dir /src; \
    rm -rf /tmp/certs /src/build /tmp/pip-* /root/.cache; \
    chmod 0755 /usr/local/lib/pyeth/entrypoint.sh /usr/local/lib/pyeth/healthcheck.py; \
    if command -v useradd >/dev/null; then \
        useradd --uid 10001 --user-group --home-dir /data --no-create-home \
            --shell /usr/sbin/nologin pyeth; \
    else \
        addgroup --system --gid 10001 pyeth \
        && adduser --system --uid 10001 --ingroup pyeth --home /data --no-create-home pyeth; \
    fi; \
    mkdir -p /data; \
    chown 10001:10001 /data; \
    pyeth --version

USER 10001:10001
VOLUME ["/data"]
# JSON-RPC (HTTP and WebSocket) and p2p (ws://HOST:30303/p2p).
EXPOSE 8545 30303
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["/opt/pyeth/bin/python", "/usr/local/lib/pyeth/healthcheck.py"]
ENTRYPOINT ["/usr/local/lib/pyeth/entrypoint.sh"]

# The pyeth node image: `pyeth node` (and `pyeth devnet --init-only` for the genesis and keys of
# a containerized devnet) as a non-root user, with its data in a volume.
#
#   docker build -t pyeth .
#   docker build --network host --build-arg BASE=bookworm-python -t pyeth .   # an offline base
#
# BASE must provide python3 with venv and pip (python:3.11-slim does; so does a Debian bookworm
# rootfs made with debootstrap --include=python3,python3-venv,python3-pip,ca-certificates and
# `docker import`ed, as deploy/test-swarm.sh does). A CA bundle for pip behind a TLS-inspecting
# proxy may be put at deploy/certs/ca.pem before the build; it is used by pip only and removed.
ARG BASE=python:3.11-slim
FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/pyeth/bin:$PATH

# The source stays in /src: the package is installed editable because the genesis files
# (genesis/*.json) live beside the packages, not inside them.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY evm ./evm
COPY pyeth ./pyeth
COPY p2p ./p2p
COPY genesis ./genesis
COPY deploy/entrypoint.sh deploy/healthcheck.py /usr/local/lib/pyeth/
COPY deploy/certs /tmp/certs

RUN python3 -m venv /opt/pyeth \
    && if [ -f /tmp/certs/ca.pem ]; then export PIP_CERT=/tmp/certs/ca.pem; fi \
    && pip install -e /src \
    && rm -rf /tmp/certs \
    && chmod 0755 /usr/local/lib/pyeth/entrypoint.sh /usr/local/lib/pyeth/healthcheck.py \
    && (command -v useradd >/dev/null \
        && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home pyeth \
        || (addgroup --system --gid 10001 pyeth && adduser --system --uid 10001 \
            --ingroup pyeth --home /data --no-create-home pyeth)) \
    && mkdir -p /data \
    && chown 10001:10001 /data \
    && pyeth --version

USER 10001:10001
VOLUME ["/data"]
# JSON-RPC (HTTP and WebSocket) and p2p (ws://HOST:30303/p2p).
EXPOSE 8545 30303
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/opt/pyeth/bin/python", "/usr/local/lib/pyeth/healthcheck.py"]
ENTRYPOINT ["/usr/local/lib/pyeth/entrypoint.sh"]

#!/usr/bin/env python3
"""Container healthcheck: the node answers eth_blockNumber on its RPC port ($RPC_PORT, 8545).
Exit status 0 when it does, 1 when it does not (Docker and Kubernetes probes run this)."""

import json
import os
import sys
import urllib.request

port = int(os.environ.get("RPC_PORT", "8545"))
call = {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}
request = urllib.request.Request(
    f"http://127.0.0.1:{port}/", json.dumps(call).encode(), {"Content-Type": "application/json"}
)
try:
    with urllib.request.urlopen(request, timeout=4) as response:
        answer = json.loads(response.read())
    int(answer["result"], 16)
except Exception as exc:  # any failure is unhealthy
    print(f"unhealthy: {exc}", file=sys.stderr)
    sys.exit(1)
sys.exit(0)

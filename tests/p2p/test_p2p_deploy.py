"""The deployment files, checked without Docker or Kubernetes (the default run starts neither):
the stack file and the manifests parse, every flag the container entrypoint passes exists in
`pyeth node --help` / `pyeth devnet --help`, every variable they set is one the entrypoint
reads, and their ports agree with each other, with the image and with deploy/test-swarm.sh,
which runs the stack for real (opt-in, as root: a private dockerd and a single-node swarm)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from pyeth.cli import build_parser

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ENTRYPOINT = (DEPLOY / "entrypoint.sh").read_text()
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def help_text(command: str) -> str:
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices[command]  # type: ignore[union-attr]
    return str(sub.format_help())


def flags(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text))


def entrypoint_commands() -> dict[str, str]:
    """The entrypoint's text per pyeth subcommand it runs (continuation lines joined)."""
    joined = re.sub(r"\\\n", " ", ENTRYPOINT)
    commands = {"devnet": "", "node": ""}
    for line in joined.splitlines():
        code = line.split("#", 1)[0]
        if "pyeth devnet" in code:
            commands["devnet"] += code
        elif "--" in code:
            commands["node"] += code
    return commands


def load(name: str) -> Any:
    return yaml.safe_load((DEPLOY / name).read_text())


def test_the_entrypoint_passes_only_flags_that_exist():
    commands = entrypoint_commands()
    for command, text in commands.items():
        used = flags(text)
        assert used, f"no flags found for pyeth {command}"
        missing = used - flags(help_text(command))
        assert not missing, f"pyeth {command} has no {sorted(missing)}"


def environment_read_by_entrypoint() -> set[str]:
    return set(re.findall(r"\$\{?([A-Z_][A-Z0-9_]*)", ENTRYPOINT))


def test_the_stack_file():
    stack = load("stack.yml")
    services = stack["services"]
    assert set(services) == {"bootnode", "signer"}
    read = environment_read_by_entrypoint()
    boot, signer = services["bootnode"], services["signer"]
    for service in (boot, signer):
        assert set(service["environment"]) <= read
        assert service["deploy"]["restart_policy"]["condition"] == "on-failure"
        assert service["deploy"]["resources"]["limits"]["memory"]
        assert "healthcheck.py" in " ".join(service["healthcheck"]["test"])
        assert service["networks"] == ["hostnet"]
        (volume,) = service["volumes"]
        assert volume["type"] == "volume" and volume["source"] in stack["volumes"]
        assert volume["target"] == "/data"
    assert stack["networks"]["hostnet"] == {"external": True, "name": "host"}
    env = signer["environment"]
    replicas = signer["deploy"]["replicas"]
    assert int(env["NODES"]) == replicas == int(boot["environment"]["NODES"])
    assert 1 <= replicas <= 9  # the slot is one digit of the ports
    # Each replica's ports from its slot, none shared with another replica or the bootnode.
    ports = set()
    for slot in range(1, replicas + 1):
        for key in ("RPC_PORT", "P2P_PORT"):
            port = int(env[key].replace("{{.Task.Slot}}", str(slot)))
            assert 1024 < port < 65536 and port not in ports
            ports.add(port)
    boot_ports = {int(boot["environment"][k]) for k in ("RPC_PORT", "P2P_PORT")}
    assert not ports & boot_ports
    assert env["BOOTNODES"] == f"ws://127.0.0.1:{boot['environment']['P2P_PORT']}/p2p"
    assert boot["environment"]["HOST"] == env["HOST"] == "127.0.0.1"


def test_the_kubernetes_manifests():
    service = load("k8s/service.yaml")
    statefulset = load("k8s/statefulset.yaml")
    assert service["kind"] == "Service" and service["spec"]["clusterIP"] == "None"
    assert statefulset["kind"] == "StatefulSet"
    spec = statefulset["spec"]
    assert spec["serviceName"] == service["metadata"]["name"]
    assert spec["selector"]["matchLabels"].items() <= service["spec"]["selector"].items()
    (claim,) = spec["volumeClaimTemplates"]
    (container,) = spec["template"]["spec"]["containers"]
    assert {m["name"] for m in container["volumeMounts"]} == {claim["metadata"]["name"]}
    assert container["volumeMounts"][0]["mountPath"] == "/data"
    env = {item["name"]: item for item in container["env"]}
    assert set(env) <= environment_read_by_entrypoint()
    assert int(env["NODES"]["value"]) == spec["replicas"]
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"rpc": int(env["RPC_PORT"]["value"]), "p2p": int(env["P2P_PORT"]["value"])}
    for port in service["spec"]["ports"]:
        assert port["targetPort"] in ports and port["port"] == ports[port["targetPort"]]
    name = statefulset["metadata"]["name"]
    assert env["BOOTNODES"]["value"] == f"ws://{name}-0.{spec['serviceName']}:{ports['p2p']}/p2p"
    security = spec["template"]["spec"]["securityContext"]
    assert security["runAsNonRoot"] and security["runAsUser"] == 10001
    for probe in ("readinessProbe", "livenessProbe"):
        assert "healthcheck.py" in " ".join(container[probe]["exec"]["command"])


def test_the_image_matches():
    assert re.search(r"^ARG BASE=python:3\.11-slim$", DOCKERFILE, re.M)
    assert re.search(r"^USER 10001", DOCKERFILE, re.M)
    assert re.search(r"^VOLUME \[\"/data\"\]$", DOCKERFILE, re.M)
    exposed = {int(p) for p in re.search(r"^EXPOSE (.+)$", DOCKERFILE, re.M).group(1).split()}
    assert exposed == {8545, 30303}  # the entrypoint's defaults
    assert 'RPC_PORT="${RPC_PORT:-8545}"' in ENTRYPOINT
    assert 'P2P_PORT="${P2P_PORT:-30303}"' in ENTRYPOINT
    for script in ("entrypoint.sh", "healthcheck.py"):
        assert f"deploy/{script}" in DOCKERFILE


def test_the_swarm_script_checks_the_stacks_ports():
    script = (DEPLOY / "test-swarm.sh").read_text()
    stack = load("stack.yml")
    boot = stack["services"]["bootnode"]["environment"]
    signer = stack["services"]["signer"]["environment"]
    replicas = stack["services"]["signer"]["deploy"]["replicas"]

    def ports(key: str) -> list[int]:
        return [int(signer[key].replace("{{.Task.Slot}}", str(s))) for s in range(1, replicas + 1)]

    def array(name: str) -> list[int]:
        return [
            int(p) for p in re.search(rf"^{name}=\(([0-9 ]+)\)$", script, re.M).group(1).split()
        ]

    assert re.search(rf"^BOOT_RPC={boot['RPC_PORT']}$", script, re.M)
    assert array("SIGNER_RPCS") == ports("RPC_PORT")
    assert array("P2P_PORTS") == [int(boot["P2P_PORT"]), *ports("P2P_PORT")]
    # Loopback only: the swarm is told so, and the script talks to nothing but 127.0.0.1.
    assert "--advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377" in script
    hosts = set(re.findall(r"(?:https?|ws)://([0-9a-z.-]+)[:/]", script))
    assert hosts <= {"127.0.0.1", "deb.debian.org"}  # the Debian mirror is debootstrap's

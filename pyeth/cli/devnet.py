"""`pyeth devnet --nodes N`: a local Clique network in one command.

It writes a Clique genesis whose extra data lists N signers, with the ten dev-mnemonic accounts
prefunded as the dev node funds them, and one key file per signer; then starts N `pyeth node`
processes on 127.0.0.1 (node i: RPC on base port + i, p2p on p2p base port + i, which is base
port + 100 unless `--p2p-base-port` says otherwise), the first one the bootnode of the others,
pinned by its node id (they find each other through it; each node's p2p key is
keys/node-<i>.nodekey, random, made once per folder), prints the fork and each node's RPC and
p2p URLs, and stops them all on Ctrl-C or when one of them dies. The dev accounts stay unlocked
on every node: this is a development network and its keys are public. The signer keys are
derived from the mnemonic too (m/44'/60'/1'/0/i), so the same command always makes the same
chain and a container replica can work out its own key. `--hardfork NAME` ends the fork
schedule at NAME (Paris or later; the latest mainnet rules by default). `--init-only` writes
the files and exits.

This module writes files and manages processes; each node is an ordinary `pyeth node`.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from p2p.identity import load_or_create_node_key
from pyeth.accounts import DEFAULT_MNEMONIC, DEV_BALANCE, derive_accounts, derive_keys
from pyeth.address import to_checksum_address
from pyeth.chain.forks import FORK_ORDER, TIME_FORKS
from pyeth.chain.genesis import DEV_GENESIS_PATH, hardfork_names
from pyeth.consensus.clique import checkpoint_extra_data
from pyeth.keys import private_key_to_address
from pyeth.node import DEV_CHAIN_ID

SIGNER_PATH: Final = "m/44'/60'/1'/0/{index}"  # apart from the accounts' m/44'/60'/0'/0/i
MAX_NODES: Final = 32
P2P_OFFSET: Final = 100  # by default node i listens for peers on base port + 100 + i
DEFAULT_PERIOD: Final = 2
DEFAULT_EPOCH: Final = 30000
READY_TIMEOUT: Final = 60.0
STOP_TIMEOUT: Final = 10.0
PR_SET_PDEATHSIG: Final = 1  # prctl(2)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "devnet",
        help="run a local Clique network of N nodes on 127.0.0.1",
        description="A multi-node proof-of-authority network in one command: a Clique genesis "
        "with N signers and the ten dev accounts funded and unlocked, N `pyeth node` "
        "processes wired to each other over p2p, each with JSON-RPC. Ctrl-C stops them all.",
    )
    parser.add_argument("--nodes", type=int, default=3, help="signer nodes to run (3)")
    parser.add_argument(
        "--base-port",
        type=int,
        default=8545,
        metavar="P",
        help="node i serves RPC on P+i (8545)",
    )
    parser.add_argument(
        "--p2p-base-port",
        type=int,
        default=None,
        metavar="Q",
        help=f"node i listens for peers on Q+i (default: --base-port + {P2P_OFFSET})",
    )
    parser.add_argument(
        "--datadir",
        type=Path,
        default=None,
        help="keep genesis, keys, logs and chains here (default: a temporary folder, deleted "
        "on exit, with the chains in memory)",
    )
    parser.add_argument(
        "--period",
        type=int,
        default=DEFAULT_PERIOD,
        metavar="SECONDS",
        help=f"Clique block period ({DEFAULT_PERIOD}; 0 seals only when there are transactions)",
    )
    parser.add_argument("--chain-id", type=int, default=DEV_CHAIN_ID, help="chain id (1337)")
    parser.add_argument(
        "--hardfork",
        default=None,
        metavar="NAME",
        help=f"the newest fork the network runs, from genesis: {', '.join(devnet_hardforks())} "
        f"(default: the latest, {devnet_hardforks()[-1]})",
    )
    parser.add_argument(
        "--init-only",
        action="store_true",
        help="write the genesis and signer keys to --datadir and exit (for containers)",
    )
    parser.set_defaults(handler=handle)


# THE FILES


def devnet_hardforks() -> list[str]:
    """The forks `--hardfork` takes: the merged ones (a Clique chain here runs the rules of
    proof-of-stake Ethereum; before Paris it would owe block rewards Clique does not pay)."""
    names = hardfork_names()
    return names[names.index("Paris") :]


def limit_forks(config: dict[str, Any], hardfork: str) -> None:
    """Unschedule, in a genesis.json `config`, every timestamp fork after `hardfork` (any
    case). Raises ValueError naming the choices for a fork `--hardfork` does not take."""
    names = {name.lower(): name for name in devnet_hardforks()}
    chosen = names.get(hardfork.lower())
    if chosen is None:
        choices = ", ".join(names.values())
        raise ValueError(f"unknown hardfork {hardfork!r}; choose one of {choices}")
    for name, key in TIME_FORKS:
        if FORK_ORDER.index(name) > FORK_ORDER.index(chosen):
            config.pop(key, None)


def signer_keys(count: int, mnemonic: str = DEFAULT_MNEMONIC) -> list[bytes]:
    """The private keys of the devnet's signers, derived from `mnemonic`."""
    return derive_keys(mnemonic, [SIGNER_PATH.format(index=i) for i in range(count)])


def devnet_genesis(
    signers: Sequence[bytes],
    *,
    chain_id: int = DEV_CHAIN_ID,
    period: int = DEFAULT_PERIOD,
    epoch: int = DEFAULT_EPOCH,
    balance: int = DEV_BALANCE,
    mnemonic: str = DEFAULT_MNEMONIC,
    hardfork: str | None = None,
) -> dict[str, Any]:
    """A genesis.json document: the dev chain's (forks, gas limit, system contracts) under
    Clique, with `signers` in its extra data and the dev accounts funded; its forks end at
    `hardfork` when given."""
    document: dict[str, Any] = json.loads(DEV_GENESIS_PATH.read_text())
    config = dict(document["config"])
    config.pop("terminalTotalDifficulty", None)  # a Clique chain has not merged
    config.pop("terminalTotalDifficultyPassed", None)
    config["chainId"] = chain_id
    config["clique"] = {"period": period, "epoch": epoch}
    if hardfork is not None:
        limit_forks(config, hardfork)
    alloc = {address: entry for address, entry in document["alloc"].items() if entry.get("code")}
    for account in derive_accounts(mnemonic):
        alloc["0x" + account.address.hex()] = {"balance": hex(balance)}
    document.update(
        config=config,
        alloc=alloc,
        difficulty="0x1",
        extraData="0x" + checkpoint_extra_data(list(signers)).hex(),
    )
    return document


@dataclass(frozen=True, slots=True)
class DevnetFiles:
    genesis: Path
    keys: tuple[Path, ...]
    signers: tuple[bytes, ...]


def write_devnet(
    directory: Path, nodes: int, chain_id: int, period: int, hardfork: str | None = None
) -> DevnetFiles:
    """Write genesis.json and keys/signer-<i>.key under `directory` (the same each time for
    the same arguments)."""
    keys = signer_keys(nodes)
    signers = tuple(private_key_to_address(key) for key in keys)
    directory.mkdir(parents=True, exist_ok=True)
    genesis = directory / "genesis.json"
    genesis.write_text(
        json.dumps(
            devnet_genesis(signers, chain_id=chain_id, period=period, hardfork=hardfork), indent=2
        )
        + "\n"
    )
    key_dir = directory / "keys"
    key_dir.mkdir(exist_ok=True)
    paths = []
    for index, key in enumerate(keys):
        path = key_dir / f"signer-{index}.key"
        path.write_text("0x" + key.hex() + "\n")
        path.chmod(0o600)
        paths.append(path)
    return DevnetFiles(genesis, tuple(paths), signers)


# THE PROCESSES


@dataclass(frozen=True, slots=True)
class NodePlan:
    index: int
    rpc_port: int
    p2p_port: int
    command: tuple[str, ...]
    log: Path
    node_id: bytes

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.rpc_port}"

    @property
    def p2p_url(self) -> str:
        """The node's p2p URL with its id pinned."""
        return f"ws://{self.node_id.hex()}@127.0.0.1:{self.p2p_port}/p2p"


def port_ranges_problem(nodes: int, base_port: int, p2p_base_port: int) -> str | None:
    """Why RPC ports base_port.. and p2p ports p2p_base_port.. cannot serve `nodes` nodes
    (outside 1..65535, or the two ranges overlap), or None when they can."""
    for option, first in (("--base-port", base_port), ("--p2p-base-port", p2p_base_port)):
        if not 1 <= first <= 65536 - nodes:
            return f"{option} {first} leaves no room for {nodes} ports within 1..65535"
    if base_port < p2p_base_port + nodes and p2p_base_port < base_port + nodes:
        return (
            f"the RPC ports {base_port}..{base_port + nodes - 1} and the p2p ports "
            f"{p2p_base_port}..{p2p_base_port + nodes - 1} overlap; choose a --p2p-base-port "
            f"at least {nodes} away from --base-port"
        )
    return None


def plan_nodes(
    files: DevnetFiles,
    base_port: int,
    directory: Path,
    keep_chains: bool,
    p2p_base_port: int | None = None,
) -> list[NodePlan]:
    """The command, ports and log of each node; p2p ports start at `p2p_base_port` (by
    default `base_port` + P2P_OFFSET)."""
    if p2p_base_port is None:
        p2p_base_port = base_port + P2P_OFFSET
    plans: list[NodePlan] = []
    for index, key in enumerate(files.keys):
        rpc_port, p2p_port = base_port + index, p2p_base_port + index
        node_key = key.parent / f"node-{index}.nodekey"
        node_id = load_or_create_node_key(node_key).node_id
        command = [
            sys.executable,
            "-m",
            "pyeth",
            "node",
            "--genesis",
            str(files.genesis),
            "--signer",
            str(key),
            "--port",
            str(rpc_port),
            "--p2p-port",
            str(p2p_port),
            "--nodekey",
            str(node_key),
        ]
        if index:
            command += ["--bootnodes", plans[0].p2p_url]
        if keep_chains:
            command += ["--datadir", str(directory / f"node-{index}")]
        log = directory / f"node-{index}.log"
        plans.append(NodePlan(index, rpc_port, p2p_port, tuple(command), log, node_id))
    return plans


def handle(args: argparse.Namespace) -> int:
    if not 1 <= args.nodes <= MAX_NODES:
        print(f"pyeth devnet: --nodes must be within 1..{MAX_NODES}", file=sys.stderr)
        return 2
    p2p_base_port = (
        args.base_port + P2P_OFFSET if args.p2p_base_port is None else args.p2p_base_port
    )
    problem = port_ranges_problem(args.nodes, args.base_port, p2p_base_port)
    if problem:
        print(f"pyeth devnet: {problem}", file=sys.stderr)
        return 2
    if args.period < 0 or args.chain_id <= 0:
        print("pyeth devnet: --period must be >= 0 and --chain-id positive", file=sys.stderr)
        return 2
    if args.hardfork is not None and args.hardfork.lower() not in {
        name.lower() for name in devnet_hardforks()
    }:
        print(
            f"pyeth devnet: unknown --hardfork {args.hardfork!r}; choose one of "
            f"{', '.join(devnet_hardforks())}",
            file=sys.stderr,
        )
        return 2
    if args.init_only and args.datadir is None:
        print("pyeth devnet: --init-only needs --datadir", file=sys.stderr)
        return 2
    temporary = args.datadir is None
    directory = Path(tempfile.mkdtemp(prefix="pyeth-devnet-")) if temporary else args.datadir
    try:
        files = write_devnet(directory, args.nodes, args.chain_id, args.period, args.hardfork)
        if args.init_only:
            print(f"genesis: {files.genesis}")
            for path, signer in zip(files.keys, files.signers, strict=True):
                print(f"signer {to_checksum_address(signer)}: {path}")
            return 0
        try:
            plans = plan_nodes(files, args.base_port, directory, not temporary, p2p_base_port)
        except ValueError as exc:  # a node key file there that holds no key
            print(f"pyeth devnet: {exc}", file=sys.stderr)
            return 1
        busy = [port for p in plans for port in (p.rpc_port, p.p2p_port) if _port_taken(port)]
        if busy:
            print(f"pyeth devnet: ports in use: {', '.join(map(str, busy))}", file=sys.stderr)
            return 1
        return run(plans, files, args, directory)
    finally:
        if temporary:
            shutil.rmtree(directory, ignore_errors=True)


def _port_taken(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the nodes bind
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _rpc_ready(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        return True
    return False


def run(
    plans: list[NodePlan], files: DevnetFiles, args: argparse.Namespace, directory: Path
) -> int:
    """Start the nodes, print where they are, and wait for Ctrl-C, SIGTERM or a node's death.

    The signals only set a flag that the waiting loops look at: raised as exceptions they
    could land anywhere, even inside `Popen.poll()` while it holds the process's wait lock,
    and the final `wait()` on that process would then block for good.
    """
    processes: list[subprocess.Popen[bytes]] = []
    stop = threading.Event()
    previous = {
        signum: signal.signal(signum, lambda signum, frame: stop.set())
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        for plan in plans:
            with plan.log.open("wb") as log_file:
                processes.append(
                    subprocess.Popen(
                        plan.command,
                        stdout=log_file,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                        preexec_fn=_stop_with_parent,
                    )
                )
        deadline = time.monotonic() + READY_TIMEOUT
        waiting = set(range(len(plans)))
        while waiting and not stop.is_set():
            for index in list(waiting):
                if processes[index].poll() is not None:
                    print(
                        f"pyeth devnet: node {index} exited at start; see {plans[index].log}:\n"
                        + _tail(plans[index].log),
                        file=sys.stderr,
                    )
                    return 1
                if _rpc_ready(plans[index].rpc_port):
                    waiting.discard(index)
            if waiting and time.monotonic() > deadline:
                print("pyeth devnet: nodes did not start in time", file=sys.stderr)
                return 1
            stop.wait(0.1)
        if not stop.is_set():
            print(_summary(plans, files, args, directory), flush=True)
        while not stop.wait(0.5):
            for plan, process in zip(plans, processes, strict=True):
                code = process.poll()
                if code is not None:
                    print(
                        f"pyeth devnet: node {plan.index} exited with status {code}; "
                        f"stopping the others. Its log:\n{_tail(plan.log)}",
                        file=sys.stderr,
                    )
                    return 1
        print("\npyeth devnet: stopping", file=sys.stderr)
        return 0
    finally:
        _stop_all(processes)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stop_with_parent() -> None:
    """In a node's process before it starts (Linux): SIGTERM when the devnet dies, so that a
    devnet killed outright (SIGKILL, a crash) leaves no node running. Elsewhere nothing."""
    if sys.platform != "linux":
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    for process in processes:
        try:
            process.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tail(path: Path, lines: int = 20) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return "(no log)"


def _summary(
    plans: list[NodePlan], files: DevnetFiles, args: argparse.Namespace, directory: Path
) -> str:
    sealing = f"a block every {args.period} s" if args.period else "a block per batch of txs"
    names = {name.lower(): name for name in devnet_hardforks()}
    hardfork = names[args.hardfork.lower()] if args.hardfork else devnet_hardforks()[-1]
    lines = [
        "",
        f"pyeth devnet: {len(plans)} Clique signer nodes, chain id {args.chain_id}, "
        f"{hardfork} rules, {sealing}",
        "",
    ]
    for plan, signer in zip(plans, files.signers, strict=True):
        lines.append(
            f"  node {plan.index}  RPC {plan.rpc_url}  p2p {plan.p2p_url}  "
            f"signer {to_checksum_address(signer)}"
        )
    lines += ["", "Accounts (10000 ETH each, unlocked on every node; the keys are public)", ""]
    for index, account in enumerate(derive_accounts()):
        lines.append(f"  ({index}) {account.checksum_address} 0x{account.private_key.hex()}")
    lines += [
        "",
        f"Genesis: {files.genesis}",
        f"Logs:    {directory}/node-<i>.log"
        + (" (deleted on exit)" if args.datadir is None else ""),
        "",
        "Press Ctrl-C to stop the network.",
        "",
    ]
    return "\n".join(lines)

"""The network options of `pyeth node`: a Clique signer key, the p2p port and host, the node
key, bootnodes, peer limits and the network id; and the p2p server started beside the JSON-RPC
server.

With none of these options `pyeth node` is the dev node it always was, with no p2p at all.
`--p2p-port` or `--bootnodes` turn the p2p layer on. A dev-mode node (no `--genesis`) that is
given bootnodes follows them instead of sealing its own blocks; a Clique genesis seals with
`--signer` in turn, and without it only follows. This module parses and wires; the node and
`p2p` do the work.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from p2p.identity import (
    NODE_KEY_FILE,
    NodeKey,
    NodeKeyError,
    load_or_create_node_key,
    read_node_key,
)
from p2p.limits import Limits
from p2p.server import P2PServer, P2PSettings, parse_url, start

__all__ = ["P2PSettings", "add_arguments", "node_options", "p2p_settings", "start_p2p"]
from pyeth.address import to_checksum_address
from pyeth.keys import private_key_to_address, read_private_key_file
from pyeth.node import Node

DEFAULT_P2P_PORT = 30303


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("network (Clique and p2p)")
    group.add_argument(
        "--signer",
        type=Path,
        default=None,
        metavar="KEYFILE",
        help="seal Clique blocks with the hex private key in KEYFILE (a signer of the genesis)",
    )
    group.add_argument(
        "--p2p-port",
        type=int,
        default=None,
        metavar="N",
        help=f"accept peers at ws://HOST:N/p2p (p2p is off unless this or --bootnodes is "
        f"given; {DEFAULT_P2P_PORT} is the usual port)",
    )
    group.add_argument(
        "--p2p-host", default=None, help="address to accept peers on (default: --host)"
    )
    group.add_argument(
        "--bootnodes",
        default="",
        metavar="URL,...",
        help="peers to dial at start and keep room for, comma-separated ws://HOST:PORT/p2p "
        "URLs; ws://NODE_ID@HOST:PORT/p2p (as a node prints its own) refuses any other node "
        "at that address",
    )
    group.add_argument(
        "--nodekey",
        type=Path,
        default=None,
        metavar="FILE",
        help=f"the node's p2p key (64 hex digits; its node id is derived from it). Default: "
        f"DATADIR/{NODE_KEY_FILE}, made on first start; a new one each start without --datadir",
    )
    group.add_argument(
        "--max-peers",
        type=int,
        default=Limits().max_peers,
        help="most ordinary peers at once (bootnodes and Clique signers get room on top)",
    )
    group.add_argument(
        "--max-peers-per-ip",
        type=int,
        default=Limits().max_peers_per_ip,
        metavar="N",
        help="most connections with one IP address (loopback is exempt, as local nodes share "
        "it; so is it from IP bans)",
    )
    group.add_argument(
        "--network-id", type=int, default=None, help="network id peers must share (chain id)"
    )


def read_signer_key(path: Path) -> bytes:
    """The private key in a signer key file.

    Raises:
        ValueError: the file cannot be read or holds no valid key.
    """
    return read_private_key_file(path, "signer key")


@dataclass(frozen=True, slots=True)
class NodeOptions:
    """The NodeConfig fields the network options decide."""

    signer_key: bytes | None = None
    mine: bool = True


def node_options(args: argparse.Namespace) -> NodeOptions:
    """NodeConfig fields from the network options.

    Raises:
        ValueError: a bad key file, port, bootnode or limit (the message says which).
    """
    if args.p2p_port is not None and not 0 <= args.p2p_port <= 65535:
        raise ValueError("--p2p-port must be within 0..65535")
    if args.max_peers < 1:
        raise ValueError("--max-peers must be at least 1")
    if args.max_peers_per_ip < 1:
        raise ValueError("--max-peers-per-ip must be at least 1")
    bootnodes = bootnode_urls(args.bootnodes)
    signer_key = None
    if args.signer is not None:
        if args.genesis is None:
            raise ValueError("--signer needs a Clique --genesis")
        signer_key = read_signer_key(args.signer)
    # A dev node given peers follows them rather than sealing blocks of its own.
    return NodeOptions(signer_key, mine=args.genesis is not None or not bootnodes)


def bootnode_urls(text: str) -> tuple[str, ...]:
    """The comma-separated bootnode URLs, checked and canonical."""
    return tuple(parse_url(part) for part in text.split(",") if part.strip())


def p2p_settings(args: argparse.Namespace) -> P2PSettings | None:
    """The p2p settings, or None when p2p is off.

    Raises:
        ValueError: a node key file (`--nodekey`, or DATADIR/nodekey) that cannot be read or
            written or holds no key.
    """
    bootnodes = bootnode_urls(args.bootnodes)
    if args.p2p_port is None and not bootnodes:
        return None
    try:
        if args.nodekey is not None:
            node_key: NodeKey | None = read_node_key(args.nodekey)
        elif args.datadir is not None:
            node_key = load_or_create_node_key(args.datadir / NODE_KEY_FILE)
        else:
            node_key = None  # a fresh key for an in-memory node
    except NodeKeyError as exc:
        raise ValueError(f"{exc} (--nodekey FILE names another)") from None
    return P2PSettings(
        host=args.p2p_host or args.host,
        port=DEFAULT_P2P_PORT if args.p2p_port is None else args.p2p_port,
        bootnodes=bootnodes,
        network_id=args.network_id,
        limits=Limits(max_peers=args.max_peers, max_peers_per_ip=args.max_peers_per_ip),
        node_key=node_key,
    )


async def start_p2p(settings: P2PSettings | None, node: Node) -> P2PServer | None:
    """Start the p2p server if configured.

    Raises:
        OSError: the port cannot be bound.
    """
    return None if settings is None else await start(node, settings)


def sealing(node: Node) -> str | None:
    """What the banner says about sealing on a network node (None: the dev node's line)."""
    if node.clique is not None:
        period = f"period {node.clique.period} s"
        if node.signer is not None:
            address = to_checksum_address(node.signer.address)
            signers = node.clique.signers(node.chain.head_hash)
            role = "a signer" if node.signer.address in signers else "NOT a signer"
            return f"Clique, {period}, as {address} ({role} of {len(signers)})"
        return f"Clique, {period}, following the signers"
    if not node.config.mine:
        return "none: follows its peers (dev mode with --bootnodes)"
    return None


def banner_lines(server: P2PServer | None) -> list[str]:
    if server is None:
        return []
    lines = [
        f"P2P:               {server.url}",
        f"Node id:           {server.network.node_id.hex()} (give the URL above to peers)",
    ]
    if server.network.bootnodes:
        lines.append(f"Bootnodes:         {', '.join(server.network.bootnodes)}")
    return lines


def configure_logging(quiet: bool) -> None:
    """Log lines of the network (peers, sync progress, sealed blocks) on stderr."""
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    logging.getLogger("aiohttp").setLevel(logging.WARNING)


def signer_address(key: bytes) -> str:
    return to_checksum_address(private_key_to_address(key))

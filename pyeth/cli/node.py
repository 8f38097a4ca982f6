"""`pyeth node`: run a dev node (chain id 1337, ten funded accounts of the standard test
mnemonic, a block per transaction, the latest mainnet rules unless `--hardfork` names an older
fork) with JSON-RPC over HTTP and WebSocket on one port.

This module turns arguments into a `NodeConfig` and `ServerSettings`, prints the banner, serves
until interrupted and prints a line per sealed block; the node and the server do the work.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import ipaddress
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from evm.addresses import create_address
from pyeth import __version__
from pyeth.accounts import DEFAULT_ACCOUNT_COUNT, DEFAULT_MNEMONIC, DERIVATION_PATH
from pyeth.address import to_checksum_address
from pyeth.callrunner import DEFAULT_RPC_EVM_TIMEOUT, DEFAULT_RPC_GAS_CAP
from pyeth.calls import revert_reason
from pyeth.chain import ChainEvent, GenesisMismatch, InvalidGenesis, load_genesis
from pyeth.chain.genesis import hardfork_names
from pyeth.cli import network
from pyeth.node import DEV_CHAIN_ID, Node, NodeConfig
from pyeth.rpc.access import DEFAULT_VHOSTS
from pyeth.rpc.server import (
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_BODY,
    DEFAULT_MAX_CONNECTIONS,
    ServerSettings,
    init,
)
from pyeth.transactions import recover_sender
from pyeth.transition import TransactionResult

ETHER = 10**18


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "node",
        help="run a dev node with JSON-RPC (HTTP and WebSocket) on 127.0.0.1:8545",
        description="A local dev chain: funded accounts from a mnemonic, a block sealed for "
        "each transaction (or every --block-time seconds), JSON-RPC 2.0 over HTTP and "
        "WebSocket on one port. In memory unless --datadir is given.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=8545, help="port for HTTP and WebSocket (default %(default)s)"
    )
    parser.add_argument(
        "--chain-id",
        type=int,
        default=None,
        help=f"chain id (default: the datadir's, else {DEV_CHAIN_ID})",
    )
    parser.add_argument(
        "--timestamp",
        type=int,
        default=None,
        metavar="SECONDS",
        help="block 0's time for a new dev chain (default: now; 0 with p2p, so that dev "
        "nodes started apart share their genesis). A datadir keeps its own",
    )
    parser.add_argument(
        "--mnemonic", default=DEFAULT_MNEMONIC, help="BIP-39 mnemonic of the accounts"
    )
    parser.add_argument(
        "--accounts",
        type=int,
        default=DEFAULT_ACCOUNT_COUNT,
        help="number of dev accounts (default %(default)s)",
    )
    parser.add_argument(
        "--balance",
        type=int,
        default=10_000,
        help="ether given to each dev account (default %(default)s)",
    )
    parser.add_argument(
        "--block-time",
        type=float,
        default=None,
        metavar="SECONDS",
        help="seal a block every SECONDS instead of one per transaction",
    )
    parser.add_argument("--datadir", type=Path, default=None, help="keep the chain here")
    parser.add_argument(
        "--genesis", type=Path, default=None, help="a genesis.json instead of the dev chain"
    )
    parser.add_argument(
        "--hardfork",
        default=None,
        metavar="NAME",
        help="run the dev chain on this fork's rules: "
        f"{', '.join(hardfork_names())} (default: the datadir's, else the latest, "
        f"{hardfork_names()[-1]})",
    )
    parser.add_argument(
        "--cors",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="allow browser requests from ORIGIN (repeatable; '*' for any). Off by default",
    )
    parser.add_argument(
        "--vhosts",
        default=",".join(DEFAULT_VHOSTS),
        metavar="HOSTS",
        help="comma-separated host names requests may be addressed to, against DNS rebinding "
        "('*' for any; IP addresses are always served). Default: localhost",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=DEFAULT_MAX_CONNECTIONS,
        metavar="N",
        help="WebSocket connections and HTTP requests served at once; more are refused "
        f"with 503 (default {DEFAULT_MAX_CONNECTIONS})",
    )
    parser.add_argument(
        "--max-body",
        type=int,
        default=DEFAULT_MAX_BODY,
        help="most bytes a request may have (default %(default)s)",
    )
    parser.add_argument(
        "--max-batch",
        type=int,
        default=DEFAULT_MAX_BATCH,
        help="most calls in a batch (default %(default)s)",
    )
    parser.add_argument(
        "--rpc-gas-cap",
        type=int,
        default=DEFAULT_RPC_GAS_CAP,
        metavar="GAS",
        help="most gas an eth_call, eth_estimateGas, eth_createAccessList or debug trace may use, "
        f"whatever it asks (0: no cap; default {DEFAULT_RPC_GAS_CAP:,})",
    )
    parser.add_argument(
        "--rpc-evm-timeout",
        type=float,
        default=DEFAULT_RPC_EVM_TIMEOUT,
        metavar="SECONDS",
        help='stop such a call after SECONDS with geth\'s "execution aborted" error '
        f"(0: never; default {DEFAULT_RPC_EVM_TIMEOUT:g})",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="print only the URLs listened on: no banner or block lines",
    )
    network.add_arguments(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if args.accounts < 0 or args.accounts > 10_000:
        print("pyeth node: --accounts must be within 0..10000", file=sys.stderr)
        return 2
    if args.chain_id is not None and args.chain_id <= 0:
        print("pyeth node: --chain-id must be positive", file=sys.stderr)
        return 2
    if args.rpc_gas_cap < 0 or not args.rpc_evm_timeout >= 0:  # `not >=`: NaN too
        print(
            "pyeth node: --rpc-gas-cap and --rpc-evm-timeout must be 0 (none) or positive",
            file=sys.stderr,
        )
        return 2
    if args.hardfork is not None and args.genesis is not None:
        print(
            "pyeth node: --hardfork is for the dev chain; a --genesis sets its own forks",
            file=sys.stderr,
        )
        return 2
    if args.max_connections < 1:
        print("pyeth node: --max-connections must be at least 1", file=sys.stderr)
        return 2
    try:
        network_options = network.node_options(args)
        p2p = network.p2p_settings(args)
    except ValueError as exc:
        print(f"pyeth node: {exc}", file=sys.stderr)
        return 2
    try:
        genesis = None if args.genesis is None else load_genesis(args.genesis)
        config = NodeConfig(
            chain_id=args.chain_id,
            mnemonic=args.mnemonic,
            account_count=args.accounts,
            balance=args.balance * ETHER,
            block_time=args.block_time if args.block_time and args.block_time > 0 else None,
            datadir=args.datadir,
            genesis=genesis,
            signer_key=network_options.signer_key,
            mine=network_options.mine,
            hardfork=args.hardfork,
            genesis_timestamp=args.timestamp if args.timestamp is not None or p2p is None else 0,
            rpc_gas_cap=args.rpc_gas_cap,
            rpc_evm_timeout=args.rpc_evm_timeout,
        )
        node = Node(config)
    except (InvalidGenesis, GenesisMismatch) as exc:
        print(f"pyeth node: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # an invalid mnemonic or hardfork
        print(f"pyeth node: {exc}", file=sys.stderr)
        return 2
    settings = ServerSettings(
        max_body_bytes=args.max_body,
        max_batch=args.max_batch,
        cors_origins=tuple(args.cors),
        vhosts=tuple(host.strip().lower() for host in args.vhosts.split(",") if host.strip()),
        max_connections=args.max_connections,
        # Always there: on a node that does not seal dev blocks (Clique, a follower) they
        # answer -32000 with the reason rather than "does not exist" (pyeth.rpc.dev).
        dev_methods=True,
    )
    warning = exposure_warning(args.host, node, settings)
    if warning is not None:  # even with --quiet: this is not chatter
        print(warning, file=sys.stderr, flush=True)
    if p2p is not None or node.clique is not None:
        network.configure_logging(args.quiet)
    tune_garbage_collection()
    try:
        return asyncio.run(serve(node, settings, args.host, args.port, args.quiet, p2p))
    finally:
        node.close()


def tune_garbage_collection() -> None:
    """Leave what start-up made (modules, the genesis, the accounts) out of every collection,
    and collect the young generation every 50,000 allocations instead of 700. Cyclic garbage
    is rare here (exception tracebacks, mostly) and short-lived, and collections cost 2-5% of
    an automined transfer's time with the defaults (measured over 8,000 in process)."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)


def exposure_warning(host: str, node: Node, settings: ServerSettings) -> str | None:
    """What anyone who can reach the RPC port may do, when `host` is not loopback and the node
    has unlocked accounts or dev methods; None otherwise."""
    if host == "localhost":
        return None
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).is_loopback:
            return None
    powers = []
    if len(node.accounts):
        powers.append(
            f"send transactions from the {len(node.accounts)} funded dev accounts "
            "(eth_sendTransaction, eth_sign: their keys are unlocked and public)"
        )
    if settings.dev_methods and node.clique is None and node.config.mine:
        powers.append(
            "rewrite any balance, nonce, code or storage (anvil_setBalance, anvil_setCode, "
            "anvil_setStorageAt), send as any account (anvil_impersonateAccount), mine, move "
            "the clock, and revert or reset the chain (evm_revert, anvil_reset)"
        )
    if not powers:
        return None
    lines = [
        f"WARNING: the RPC port listens on {host}, not only on loopback. Anyone who can reach "
        "it can:",
        *(f"  - {power}" for power in powers),
        "Listen on 127.0.0.1 (the default), or keep the port behind a firewall.",
    ]
    return "\n".join(lines)


async def serve(
    node: Node,
    settings: ServerSettings,
    host: str,
    port: int,
    quiet: bool,
    p2p: network.P2PSettings | None = None,
) -> int:
    """Serve until SIGINT or SIGTERM (with p2p if `p2p` is given)."""
    # handler_cancellation: a request whose client has gone is cancelled, and with it its call
    # (pyeth.callrunner); aiohttp's test server, which the RPC tests use, does the same.
    runner = web.AppRunner(init(node, settings), access_log=None, handler_cancellation=True)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        print(f"pyeth node: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        p2p_server = await network.start_p2p(p2p, node)
    except OSError as exc:
        await runner.cleanup()
        assert p2p is not None
        print(
            f"pyeth node: cannot accept peers on {p2p.host}:{p2p.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 1
    if quiet:  # the one line a script waiting for the node needs
        print(listening_line(host, port), flush=True)
    else:
        print(banner(node, host, port, network.banner_lines(p2p_server)), flush=True)
        node.subscribe_heads(_print_blocks(node))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        node.calls.close()  # running calls end now, not at their deadline: cleanup waits
        if p2p_server is not None:
            await p2p_server.close()
        await runner.cleanup()
    return 0


def banner(node: Node, host: str, port: int, extra: list[str] | None = None) -> str:
    """What the node prints at start, in anvil's layout: accounts, keys, wallet, chain."""
    head = node.chain.head
    lines = [
        "",
        f"pyeth node v{__version__}: a local dev chain",
        "",
    ]
    if node.resumed:
        lines += [
            f"Resumed the chain in {node.config.datadir} at block {head.number}, "
            f"0x{node.chain.head_hash.hex()}",
            "",
        ]
    if len(node.accounts):
        balance = node.chain.head_state()
        lines += ["Available Accounts", "==================", ""]
        for index, account in enumerate(node.accounts):
            ether = balance.get_balance(account.address) / ETHER
            lines.append(f"({index}) {account.checksum_address} ({ether:g} ETH)")
        lines += ["", "Private Keys", "==================", ""]
        for index, account in enumerate(node.accounts):
            lines.append(f"({index}) 0x{account.private_key.hex()}")
        lines += [
            "",
            "Wallet",
            "==================",
            f"Mnemonic:          {node.config.mnemonic}",
            f"Derivation path:   {DERIVATION_PATH.format(index='')}",
            "",
            "These keys are public. Never send real funds to them.",
        ]
    mining = network.sealing(node) or (
        "automine (a block per transaction)"
        if node.block_time is None
        else f"a block every {node.block_time:g} s"
    )
    lines += [
        "",
        f"Chain ID:          {node.chain_id}",
        f"Hardfork:          {node.rules_at(head).name}",
        f"Base fee:          {head.base_fee_per_gas}",
        f"Gas limit:         {head.gas_limit}",
        f"Coinbase:          {to_checksum_address(node.sealer.coinbase)}",
        f"Sealing:           {mining}",
        f"Storage:           {node.config.datadir or 'in memory'}",
        "",
        *(extra or []),
        listening_line(host, port),
        "",
    ]
    return "\n".join(lines)


def listening_line(host: str, port: int) -> str:
    return f"Listening on http://{host}:{port} and ws://{host}:{port}"


def block_lines(node: Node, event: ChainEvent) -> list[str]:
    """The log lines of the blocks a head change added, as anvil prints them: each block, then
    each of its transactions with its gas used, the contract it created and why it failed."""
    lines = []
    for item in event.added:
        block = item.block
        lines.append(
            f"Block {block.number}: {len(block.transactions)} transaction(s), "
            f"gas used {block.header.gas_used}, 0x{block.hash.hex()}"
        )
        failed = any(receipt.status != 1 for receipt in item.receipts)
        results = node.replay(block) if failed else None
        previous = 0
        for index, (tx, tx_hash, receipt) in enumerate(
            zip(block.transactions, block.transaction_hashes, item.receipts, strict=True)
        ):
            gas_used = receipt.cumulative_gas_used - previous
            previous = receipt.cumulative_gas_used
            parts = [f"    Transaction: 0x{tx_hash.hex()}", f"gas used {gas_used}"]
            if receipt.status == 1:
                if tx.to is None:
                    created = create_address(recover_sender(tx), tx.nonce)
                    parts.append(f"contract created {to_checksum_address(created)}")
            else:
                parts.append(_failure(results[index] if results else None))
            lines.append(", ".join(parts))
    return lines


def _failure(result: TransactionResult | None) -> str:
    """Why a transaction failed, from what it did when executed again."""
    if result is None:
        return "failed"
    if result.error is not None and not result.output:
        return f"failed: {result.error}"
    reason = revert_reason(result.output)
    if reason is not None:
        return f"reverted: {reason}"
    if len(result.output) >= 4:
        return f"reverted: custom error 0x{result.output[:4].hex()}"
    return "reverted without a reason"


def _print_blocks(node: Node) -> Callable[[ChainEvent], None]:
    def print_event(event: ChainEvent) -> None:
        try:
            lines = block_lines(node, event)
        except Exception:  # the log must never stop sealing: say what could not be shown
            logging.getLogger(__name__).exception("cannot describe the new blocks")
            return
        print("\n".join(lines), flush=True)

    return print_event

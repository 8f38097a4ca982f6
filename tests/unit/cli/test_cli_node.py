"""`pyeth node` on the command line: the banner lists the accounts, keys and URL; bad arguments
end with a message and a non-zero status before anything listens."""

import asyncio
import signal

import pytest

from evm.addresses import create_address
from pyeth.accounts import derive_accounts
from pyeth.address import to_checksum_address
from pyeth.cli import build_parser, main
from pyeth.cli.node import banner, block_lines, serve
from pyeth.node import Node, NodeConfig
from pyeth.rpc.server import ServerSettings
from pyeth.transactions import FeeMarketTransaction, sign_transaction

KEY0 = derive_accounts()[0].private_key
ACCOUNT0 = derive_accounts()[0].address


def test_banner_lists_accounts_keys_and_url():
    node = Node(NodeConfig(account_count=2))
    try:
        text = banner(node, "127.0.0.1", 8545)
    finally:
        node.close()
    assert "(0) 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 (10000 ETH)" in text
    assert "(1) 0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d" in text
    assert "test test test test test test test test test test test junk" in text
    assert "Chain ID:          1337" in text
    assert "Hardfork:          BPO2" in text
    assert "http://127.0.0.1:8545" in text and "ws://127.0.0.1:8545" in text


def test_defaults():
    args = build_parser().parse_args(["node"])
    assert (args.host, args.port, args.accounts) == ("127.0.0.1", 8545, 10)
    assert args.block_time is None and args.datadir is None and args.cors == []
    # No --chain-id: the datadir's, else 1337.
    assert args.chain_id is None and args.hardfork is None
    node = Node(NodeConfig(chain_id=args.chain_id, account_count=0))
    try:
        assert node.chain_id == 1337
    finally:
        node.close()


def test_help_shows_the_defaults(capsys):
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["node", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for shown in (
        "listen on (default 127.0.0.1)",
        "WebSocket (default 8545)",
        "may have (default 5242880)",
        "in a batch (default 1000)",
        "dev accounts (default 10)",
        "each dev account (default 10000)",
    ):
        assert shown in text, shown


def test_bad_arguments_fail_before_listening(capsys):
    assert main(["node", "--mnemonic", "not a mnemonic", "--quiet"]) == 2
    assert "invalid mnemonic" in capsys.readouterr().err
    assert main(["node", "--chain-id", "0"]) == 2
    assert main(["node", "--genesis", "/nonexistent/genesis.json"]) == 1
    assert "cannot read genesis file" in capsys.readouterr().err
    assert main(["node", "--hardfork", "istanbul", "--quiet"]) == 2
    assert "unknown hardfork 'istanbul'" in capsys.readouterr().err
    assert main(["node", "--hardfork", "prague", "--genesis", "genesis.json"]) == 2


def test_hardfork_chooses_the_dev_chain_rules():
    for name, expected in (("cancun", "Cancun"), ("Prague", "Prague"), ("osaka", "Osaka")):
        node = Node(NodeConfig(account_count=1, hardfork=name))
        try:
            assert node.rules_at(node.chain.head).name == expected
            assert (node.chain.head.requests_hash is None) == (expected == "Cancun")
        finally:
            node.close()


def test_a_datadir_made_with_another_chain_id_is_refused_before_listening(tmp_path, capsys):
    Node(NodeConfig(datadir=tmp_path, account_count=1)).close()
    assert main(["node", "--datadir", str(tmp_path), "--accounts", "1", "--chain-id", "999"]) == 1
    err = capsys.readouterr().err
    assert "--chain-id 1337, not 999" in err and "drop --chain-id" in err


def test_a_resumed_node_says_so(tmp_path):
    node = Node(NodeConfig(datadir=tmp_path, account_count=1))
    assert "Resumed" not in banner(node, "127.0.0.1", 8545)
    node.submit_transaction(_signed(0, None, b"\x00"))
    head = node.chain.head_hash
    node.close()
    again = Node(NodeConfig(datadir=tmp_path, account_count=1))
    try:
        text = banner(again, "127.0.0.1", 8545)
    finally:
        again.close()
    assert f"Resumed the chain in {tmp_path} at block 1, 0x{head.hex()}" in text


def _signed(nonce: int, to: bytes | None, data: bytes) -> FeeMarketTransaction:
    unsigned = FeeMarketTransaction(1337, nonce, 10**9, 10**10, 200_000, to, 0, data)
    return sign_transaction(unsigned, KEY0, 1337)


def _reverts_with(reason: bytes) -> bytes:
    """Init code that reverts with Error(reason) (reason under 32 bytes)."""
    payload = (
        bytes.fromhex("08c379a0")
        + (32).to_bytes(32, "big")
        + len(reason).to_bytes(32, "big")
        + reason.ljust(32, b"\0")
    )
    # CODECOPY the payload (after these 12 bytes) to memory, REVERT with it.
    code = bytes([0x60, len(payload), 0x60, 12, 0x60, 0, 0x39, 0x60, len(payload), 0x60, 0, 0xFD])
    return code + payload


def test_the_log_prints_the_block_then_its_transactions():
    node = Node(NodeConfig(account_count=1, block_time=60))  # seal both in one block
    try:
        events = []
        node.subscribe_heads(events.append)
        created = node.submit_transaction(_signed(0, None, b"\x00"))  # deploys empty code
        failed = node.submit_transaction(_signed(1, None, _reverts_with(b"no way")))
        node.seal()
        lines = block_lines(node, events[-1])
    finally:
        node.close()
    block = events[-1].added[0].block
    assert lines[0] == (
        f"Block 1: 2 transaction(s), gas used {block.header.gas_used}, 0x{block.hash.hex()}"
    )
    address = to_checksum_address(create_address(ACCOUNT0, 0))
    assert lines[1].startswith(f"    Transaction: 0x{created.hex()}, gas used ")
    assert lines[1].endswith(f", contract created {address}")
    assert lines[2].startswith(f"    Transaction: 0x{failed.hex()}, gas used ")
    assert lines[2].endswith(", reverted: no way")
    assert len(lines) == 3


def test_quiet_still_prints_the_url(capsys):
    async def serve_then_stop() -> int:
        node = Node(NodeConfig(account_count=0))
        try:
            task = asyncio.create_task(serve(node, ServerSettings(), "127.0.0.1", 0, quiet=True))
            for _ in range(500):  # until the line is out (or the server ended)
                await asyncio.sleep(0.01)
                if task.done() or "Listening" in capsys.readouterr().out:
                    break
            else:
                raise AssertionError("no Listening line")
            signal.raise_signal(signal.SIGTERM)
            return await task
        finally:
            node.close()

    assert asyncio.run(serve_then_stop()) == 0

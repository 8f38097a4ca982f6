"""`pyeth node` on the command line: the banner lists the accounts, keys and URL; bad arguments
end with a message and a non-zero status before anything listens."""

from pyeth.cli import build_parser, main
from pyeth.cli.node import banner
from pyeth.node import Node, NodeConfig


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
    assert (args.host, args.port, args.chain_id, args.accounts) == ("127.0.0.1", 8545, 1337, 10)
    assert args.block_time is None and args.datadir is None and args.cors == []


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

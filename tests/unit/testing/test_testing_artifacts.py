"""Loading compiled contracts in each format people have on disk, and refusing what is not one."""

import importlib.util
import json
import warnings
from dataclasses import replace
from pathlib import Path

import pytest

from pyeth.testing.artifacts import (
    ABIMismatch,
    ArtifactError,
    compile_vyper,
    from_abi_and_bytecode,
    load_artifact,
    missing_selectors,
    pushed_values,
)
from pyeth.testing.chain import ABIMismatchWarning, Chain
from tests.unit.testing.conftest import CONTRACTS, TOKEN_JSON

FORMATS = CONTRACTS / "formats"
HAS_VYPER = importlib.util.find_spec("vyper") is not None


def test_plain_abi_and_bytecode_file(chain: Chain) -> None:
    artifact = load_artifact(TOKEN_JSON)
    assert artifact.name == "Token" and artifact.format == "plain"
    token = chain.deploy(artifact, 100)
    assert token.totalSupply() == 100


def test_solc_standard_json_output(chain: Chain) -> None:
    path = CONTRACTS / "Harness.standard.json"
    with pytest.raises(ArtifactError, match="several contracts.*pass name="):
        load_artifact(path)
    artifact = load_artifact(path, name="Shapes")
    assert artifact.format == "solc-standard-json"
    assert artifact.runtime is not None and artifact.runtime in artifact.bytecode
    same = load_artifact(path, name="Harness.sol:Caller")
    assert same.name == "Caller"
    with pytest.raises(ArtifactError, match="no contract 'Nope'.*Harness.sol:Shapes"):
        load_artifact(path, name="Nope")
    shapes = chain.deploy(artifact, chain.accounts[3])
    assert shapes.owner() == chain.accounts[3]
    # deploy's name= picks the contract in a file of several, and labels it.
    caller = chain.deploy(path, name="Caller")
    assert (
        caller.contract_name == "Caller"
        and "callStore" in caller.functions["callStore(address,uint256)"].signature
    )
    # In a file of one contract, name= is only the label.
    labelled = chain.deploy(TOKEN_JSON, 1, name="MyToken")
    assert labelled.contract_name == "MyToken" and chain.labels[labelled.address] == "MyToken"


def test_foundry_artifact(chain: Chain) -> None:
    artifact = load_artifact(FORMATS / "foundry-out-Token.json")
    assert (artifact.name, artifact.format) == ("Token", "foundry")
    assert chain.deploy(artifact, 7).totalSupply() == 7


def test_hardhat_artifact(chain: Chain) -> None:
    artifact = load_artifact(FORMATS / "hardhat-Shapes.json")
    assert (artifact.name, artifact.format) == ("Shapes", "hardhat")
    with pytest.raises(ArtifactError, match="holds contract 'Shapes', not 'Token'"):
        load_artifact(FORMATS / "hardhat-Shapes.json", name="Token")
    shapes = chain.deploy(FORMATS / "hardhat-Shapes.json", chain.accounts[0])
    assert shapes.sum([1, 2, 3]) == 6


def test_vyper_combined_json(chain: Chain) -> None:
    artifact = load_artifact(CONTRACTS / "VyCounter.combined.json")
    assert (artifact.name, artifact.format) == ("VyCounter", "vyper-combined-json")
    counter = chain.deploy(artifact, 5)
    assert counter.count() == 5
    receipt = counter.bump(3)
    assert receipt.return_value == 8
    assert receipt.events[0].args == {"who": chain.accounts[0], "count": 8}


@pytest.mark.skipif(not HAS_VYPER, reason="the vyper extra is not installed")
def test_vyper_source(chain: Chain) -> None:
    artifact = compile_vyper(CONTRACTS / "VyCounter.vy")
    assert artifact.format == "vyper-source"
    counter = chain.deploy(CONTRACTS / "VyCounter.vy", 1)  # a .vy path compiles too
    assert counter.bump(1).return_value == 2
    with pytest.raises(Exception, match="by must be positive"):
        counter.bump(0)


def test_vyper_source_error(tmp_path: Path) -> None:
    bad = tmp_path / "Bad.vy"
    bad.write_text("@external\ndef f() -> uint256:\n    return undefined_name\n")
    expected = "vyper could not compile it" if HAS_VYPER else "pip install 'pyeth\\[vyper\\]'"
    with pytest.raises(ArtifactError, match=expected):
        compile_vyper(bad)


def test_raw_bytecode_and_abi(chain: Chain) -> None:
    data = json.loads(TOKEN_JSON.read_text())
    token = chain.deploy((data["bytecode"], data["abi"]), 9, name="Raw")
    assert token.contract_name == "Raw" and token.totalSupply() == 9
    artifact = from_abi_and_bytecode(bytes.fromhex(data["bytecode"][2:]), json.dumps(data["abi"]))
    assert artifact.bytecode.hex() == data["bytecode"][2:]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("unknown.json", "unknown artefact format"),
        ("hardhat-unlinked.json", "needs library linking"),
        ("missing.json", "no such file"),
    ],
)
def test_bad_files(name: str, message: str) -> None:
    with pytest.raises(ArtifactError, match=message):
        load_artifact(FORMATS / name)


def test_bad_values(tmp_path: Path, chain: Chain) -> None:
    text = tmp_path / "text.json"
    text.write_text("not json")
    with pytest.raises(ArtifactError, match="not a JSON file"):
        load_artifact(text)
    with pytest.raises(ArtifactError, match="bytecode is not hex"):
        load_artifact({"abi": [], "bytecode": "0xzz"})
    with pytest.raises(ArtifactError, match="ABI must be a list"):
        load_artifact({"abi": {"type": "function"}, "bytecode": "0x00"})
    with pytest.raises(ArtifactError, match="empty bytecode"):
        load_artifact({"abi": [], "bytecode": "0x"})
    with pytest.raises(ArtifactError, match="expected an Artifact"):
        chain.deploy(42)  # type: ignore[arg-type]


def test_pushed_values_skip_push_data() -> None:
    # PUSH4 0xaabbccdd; PUSH2 0x6363 (data that looks like PUSH4 opcodes); PUSH32 ...
    code = bytes.fromhex("63aabbccdd616363") + b"\x7f" + b"\x63" * 32
    assert pushed_values(code) == {0xAABBCCDD, 0x6363}


def test_abi_that_does_not_match_the_bytecode(chain: Chain) -> None:
    token = json.loads(TOKEN_JSON.read_text())
    shapes = json.loads((CONTRACTS / "Shapes.json").read_text())
    runtime = bytes.fromhex(shapes["deployedBytecode"][2:])
    assert missing_selectors(shapes["abi"], runtime) == []
    assert "transfer(address,uint256)" in missing_selectors(token["abi"], runtime)
    # Shapes' bytecode with Token's ABI: refused at deploy, naming the functions.
    nonce = chain.get_nonce(chain.accounts[0])
    live = list(chain._snapshot_ids)
    with pytest.raises(ABIMismatch, match=r"no selector for .*transfer\(address,uint256\)"):
        # (Token's constructor takes a uint256 where Shapes' takes an address: same word.)
        chain.deploy((shapes["bytecode"], token["abi"]), int(chain.accounts[0].hex(), 16))
    assert chain.get_nonce(chain.accounts[0]) == nonce  # refused, nothing changed
    assert chain._snapshot_ids == live  # and no snapshot left behind
    # With the runtime code known, the check comes before anything is sent.
    mixed = from_abi_and_bytecode(shapes["bytecode"], token["abi"])
    with_runtime = replace(mixed, runtime=runtime)
    block = chain.block_number
    with pytest.raises(ABIMismatch, match="transfer"):
        chain.deploy(with_runtime, 1)
    assert chain.block_number == block
    # At an address (a proxy may be there): a warning, not an error.
    deployed = chain.deploy(CONTRACTS / "Shapes.json", chain.accounts[0])
    with pytest.warns(ABIMismatchWarning, match="transfer"):
        chain.at(deployed.address, token["abi"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chain.at(deployed.address, shapes["abi"])  # the right ABI: no warning


def test_solc_combined_json(chain: Chain) -> None:
    artifact = load_artifact(FORMATS / "solc-combined-Token.json")  # ABI as JSON text, as 0.7
    assert (artifact.name, artifact.format) == ("Token", "solc-combined-json")
    assert chain.deploy(artifact, 3).totalSupply() == 3
    assert load_artifact(FORMATS / "solc-combined-Token.json", name="src/Token.sol:Token")


def test_hardhat_build_info(chain: Chain) -> None:
    artifact = load_artifact(FORMATS / "hardhat-build-info.json", name="Caller")
    assert (artifact.name, artifact.format) == ("Caller", "solc-standard-json")
    assert chain.deploy(artifact).contract_name == "Caller"


def test_malformed_known_shapes() -> None:
    with pytest.raises(ArtifactError, match="malformed artefact"):
        load_artifact({"_format": "hh-sol-artifact-1", "abi": []})  # no contractName
    with pytest.raises(ArtifactError, match="malformed artefact"):
        load_artifact({"contracts": {"A.sol": {"A": {"abi": [], "evm": {"bytecode": 5}}}}})

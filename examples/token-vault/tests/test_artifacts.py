"""The same contracts through both artefact shapes compile.js writes."""

from pathlib import Path

from pyeth.testing import load_artifact

HERE = Path(__file__).parent.parent
STANDARD_JSON = HERE / "standard-json" / "output.json"


def test_standard_json_and_foundry_artefacts_agree():
    foundry = load_artifact(HERE / "out" / "Vault.sol" / "Vault.json")
    standard = load_artifact(STANDARD_JSON, name="Vault")
    assert standard.bytecode == foundry.bytecode
    assert standard.abi == foundry.abi


def test_a_contract_from_standard_json_runs(chain, deployer, alice):
    token = chain.deploy(load_artifact(STANDARD_JSON, name="Token"), "S", "S", sender=deployer)
    token.mint(alice, 5, sender=deployer)
    assert token.balanceOf(alice) == 5

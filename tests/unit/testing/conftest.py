"""Shared fixtures of the harness's own tests: a chain and the RPC tests' ERC-20 on it."""

from pathlib import Path

import pytest

from pyeth.testing.artifacts import Artifact, load_artifact
from pyeth.testing.chain import Chain
from pyeth.testing.contracts import Contract

ROOT = Path(__file__).resolve().parents[3]
TOKEN_JSON = ROOT / "tests" / "rpc" / "contracts" / "Token.json"
CONTRACTS = Path(__file__).resolve().parent / "contracts"
SUPPLY = 10**24


@pytest.fixture(scope="session")
def token_artifact() -> Artifact:
    return load_artifact(TOKEN_JSON, name="Token")


@pytest.fixture
def chain() -> Chain:
    return Chain(timestamp=1_700_000_000)


@pytest.fixture
def token(chain: Chain, token_artifact: Artifact) -> Contract:
    return chain.deploy(token_artifact, SUPPLY)

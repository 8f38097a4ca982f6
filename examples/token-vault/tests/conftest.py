"""Shared deployments. They are module-scoped: deployed once per test module, and the plugin
reverts every test's changes, so each test starts from exactly this state."""

import pytest

SUPPLY = 1_000_000 * 10**18


@pytest.fixture(scope="module")
def token(deploy, deployer, alice, bob):
    token = deploy("Token", "Vault Token", "VT", sender=deployer)
    token.mint(alice, SUPPLY // 2, sender=deployer)
    token.mint(bob, SUPPLY // 2, sender=deployer)
    return token


@pytest.fixture(scope="module")
def vault(deploy, deployer, token, alice, bob):
    vault = deploy("Vault", token, sender=deployer)
    for holder in (alice, bob):
        token.approve(vault, 2**256 - 1, sender=holder)
    return vault

"""The precompile table and the contract every precompile keeps: `gas` never raises."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import evm.precompiles
from evm.precompiles import (
    CANCUN_PRECOMPILES,
    OSAKA_PRECOMPILES,
    PRAGUE_PRECOMPILES,
    Precompile,
    modexp,
    modexp_osaka,
    p256verify,
)

PRECOMPILE_DIR = Path(evm.precompiles.__file__).parent


def test_cancun_has_addresses_1_to_10() -> None:
    assert sorted(CANCUN_PRECOMPILES) == [i.to_bytes(20, "big") for i in range(1, 11)]
    for precompile in CANCUN_PRECOMPILES.values():
        assert isinstance(precompile, Precompile)
        assert callable(precompile.gas) and callable(precompile.run)


def test_prague_adds_the_bls12_381_precompiles_at_0x0b_to_0x11() -> None:
    assert sorted(PRAGUE_PRECOMPILES) == [i.to_bytes(20, "big") for i in range(1, 0x12)]
    for address, precompile in CANCUN_PRECOMPILES.items():
        assert PRAGUE_PRECOMPILES[address] is precompile


def test_osaka_reprices_modexp_and_adds_p256verify_at_0x100() -> None:
    addresses = [i.to_bytes(20, "big") for i in (*range(1, 0x12), 0x100)]
    assert sorted(OSAKA_PRECOMPILES) == addresses
    assert OSAKA_PRECOMPILES[(5).to_bytes(20, "big")] == (modexp_osaka.gas, modexp_osaka.run)
    p256 = OSAKA_PRECOMPILES[(0x100).to_bytes(20, "big")]  # imported on first call
    for data in (b"", bytes(160), bytes(range(160))):
        assert p256.gas(data) == p256verify.gas(data)
        assert p256.run(data) == p256verify.run(data)
    for address, precompile in PRAGUE_PRECOMPILES.items():
        if address != (5).to_bytes(20, "big"):
            assert OSAKA_PRECOMPILES[address] is precompile


def test_the_slow_libraries_wait_for_their_precompiles_first_call() -> None:
    """py_ecc, pycryptodome and cryptography cost a dev node ~90 ms of start-up: loading the
    fork tables must not import them (a fresh interpreter, since this one has)."""
    code = (
        "import sys, evm.forks\n"
        "loaded = [m for m in ('py_ecc', 'Crypto', 'cryptography') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
        "from evm.precompiles import BERLIN_PRECOMPILES as table\n"
        "assert table[(6).to_bytes(20, 'big')].run(bytes(128)) == bytes(64)\n"
        "assert 'py_ecc' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PRECOMPILE_DIR.parents[1])


@pytest.mark.parametrize(
    ("table", "address"),
    [(OSAKA_PRECOMPILES, a) for a in sorted(OSAKA_PRECOMPILES)]
    + [(CANCUN_PRECOMPILES, (5).to_bytes(20, "big"))],
    ids=lambda v: v.hex().lstrip("0") if isinstance(v, bytes) else "",
)
@given(data=st.binary(max_size=600))
def test_gas_never_raises(table: dict[bytes, Precompile], address: bytes, data: bytes) -> None:
    cost = table[address].gas(data)
    assert isinstance(cost, int) and cost >= 0


@given(
    lengths=st.tuples(*[st.integers(0, 2**256 - 1) | st.integers(0, 300)] * 3),
    tail=st.binary(max_size=200),
)
def test_modexp_gas_never_raises_on_huge_lengths(
    lengths: tuple[int, int, int], tail: bytes
) -> None:
    data = b"".join(n.to_bytes(32, "big") for n in lengths) + tail
    assert 200 <= modexp.gas(data) <= modexp.GAS_CAP


@pytest.mark.parametrize("path", sorted(PRECOMPILE_DIR.glob("*.py")), ids=lambda p: p.name)
def test_module_is_standalone_and_documented(path: Path) -> None:
    tree = ast.parse(path.read_text())
    assert ast.get_docstring(tree), f"{path.name} needs a module docstring"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        assert not any(name.split(".")[0] == "pyeth" for name in names), "evm must not import pyeth"

"""What a wheel must carry and how the node finds it: run-time data files are package data, read
through importlib.resources rather than a path beside the source tree (issue 20: a non-editable
install failed on `.../site-packages/genesis/dev.json`). `.ci/run` installs the built wheel into
a fresh venv and starts the node from it; these are the fast checks behind that."""

import fnmatch
import json
import sys
import tomllib
import zipfile
from importlib.resources import files
from pathlib import Path

import pytest

from pyeth.chain.genesis import DEV_GENESIS_PATH, InvalidGenesis, load_genesis

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_dev_genesis_is_the_package_resource() -> None:
    assert files("pyeth") / "genesis" / "dev.json" == DEV_GENESIS_PATH
    assert load_genesis(DEV_GENESIS_PATH).config.chain_id == 1337


def test_load_genesis_reads_a_resource_that_is_not_a_file(tmp_path: Path) -> None:
    """A zipped package's resources are zipfile.Path objects, not paths on disk: load_genesis
    reads them as it reads DEV_GENESIS_PATH."""
    archive = tmp_path / "zipped.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("zipped_genesis_pkg/__init__.py", "")
        out.writestr("zipped_genesis_pkg/genesis/dev.json", DEV_GENESIS_PATH.read_text())
    sys.path.insert(0, str(archive))
    try:
        resource = files("zipped_genesis_pkg") / "genesis" / "dev.json"
        assert not isinstance(resource, Path)
        assert load_genesis(resource) == load_genesis(DEV_GENESIS_PATH)
        with pytest.raises(InvalidGenesis, match="cannot read genesis file .*missing.json"):
            load_genesis(files("zipped_genesis_pkg") / "genesis" / "missing.json")
    finally:
        sys.path.remove(str(archive))
        sys.modules.pop("zipped_genesis_pkg", None)


def test_every_data_file_in_the_packages_is_package_data() -> None:
    """A file beside the code that is not Python (dev.json, the KZG trusted setup) must match
    pyproject's package-data, or a wheel leaves it out and the node fails only once installed."""
    patterns: dict[str, list[str]] = PYPROJECT["tool"]["setuptools"]["package-data"]
    missing = []
    for package in ("pyeth", "evm", "p2p"):
        for path in (ROOT / package).rglob("*"):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".py":
                continue
            relative = path.relative_to(ROOT / package).as_posix()
            if relative.endswith("README.md"):  # documentation for the repository's readers
                continue
            if not any(fnmatch.fnmatch(relative, glob) for glob in patterns.get(package, [])):
                missing.append(f"{package}/{relative}")
    assert missing == [], f"add to [tool.setuptools.package-data]: {missing}"
    # And the two the node reads are among them.
    assert json.loads(DEV_GENESIS_PATH.read_text())["config"]["chainId"] == 1337
    assert (files("evm.precompiles") / "trusted_setup.txt").is_file()


def test_typed_data_without_the_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """eth-account is the `typed-data` extra: without it, eth_signTypedData_v4 answers -32000
    with the pip command, rather than an internal error."""
    from pyeth.accounts import TYPED_DATA_EXTRA_MISSING, TypedDataUnavailable, typed_data_hash
    from pyeth.rpc.errors import SERVER_ERROR, to_rpc_error

    extras = PYPROJECT["project"]["optional-dependencies"]
    assert any(req.startswith("eth-account") for req in extras["typed-data"])
    assert any(req.startswith("eth-account") for req in extras["test"])
    assert not any(req.startswith("eth-account") for req in PYPROJECT["project"]["dependencies"])

    monkeypatch.setitem(sys.modules, "eth_account", None)
    monkeypatch.delitem(sys.modules, "eth_account.messages", raising=False)
    document = {"types": {"EIP712Domain": []}, "primaryType": "EIP712Domain"}
    with pytest.raises(TypedDataUnavailable, match=r"pip install 'pyeth\[typed-data\]'") as info:
        typed_data_hash({**document, "domain": {}, "message": {}})
    error = to_rpc_error(info.value)
    assert error.code == SERVER_ERROR
    assert error.message == TYPED_DATA_EXTRA_MISSING

"""Compiled contracts from the files people have on disk: solc's standard-JSON output, Foundry's
`out/X.sol/X.json`, Hardhat's `artifacts/.../X.json`, Vyper's `-f combined_json`, a plain
`{"abi", "bytecode"}` file (Truffle, Brownie, solc-js scripts), raw bytecode with an ABI, and
Vyper source when the `vyper` package is installed (`pip install 'pyeth[vyper]'`).

Every loader ends in one `Artifact` (name, ABI, creation bytecode, runtime bytecode if given,
and for coverage the runtime source map, solc's source ids and the source texts it carries).
A file in none of these shapes, a contract name that is not in it, or bytecode that still needs
library linking is refused with an error naming the file and what is wrong. This module also
checks an ABI against runtime code (`check_selectors`): a function whose selector the code
never pushes is a sign of the wrong ABI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from pyeth.testing.abi import selector, signature


class ArtifactError(ValueError):
    """A file or value that is not a compiled contract the harness can load; says why."""


class ABIMismatch(ValueError):
    """An ABI that does not fit the contract's code (functions the code has no selector for)."""


@dataclass(frozen=True)
class Artifact:
    """A compiled contract: its name, ABI, creation bytecode and (when known) runtime code."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    runtime: bytes | None = None
    source: str = ""  # the file it came from, for messages
    format: str = "raw"
    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # For coverage (pyeth.testing.coverage): solc's srcmap-runtime ("s:l:f:j;..."), the source
    # names by solc's source id, the source texts the artefact carries (standard-JSON input),
    # and the folder the artefact file is in (to find the sources on disk).
    runtime_source_map: str | None = field(default=None, repr=False, compare=False)
    source_ids: dict[int, str] = field(default_factory=dict, repr=False, compare=False)
    source_texts: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    directory: str | None = field(default=None, repr=False, compare=False)


_LINK_PLACEHOLDER = re.compile(r"__\$[0-9a-fA-F]{34}\$__|__[A-Za-z0-9_.:/$]{36}__")


def _hex(value: Any, where: str) -> bytes:
    """Bytecode from hex text (with or without 0x), or bytes."""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if not isinstance(value, str):
        raise ArtifactError(f"{where}: expected hex bytecode, got {type(value).__name__}")
    text = value[2:] if value[:2] in ("0x", "0X") else value
    placeholder = _LINK_PLACEHOLDER.search(text)
    if placeholder:
        raise ArtifactError(
            f"{where}: the bytecode needs library linking (placeholder {placeholder.group()}); "
            "link it (solc --libraries, forge build --libraries) before deploying"
        )
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ArtifactError(f"{where}: the bytecode is not hex") from None


def _abi(value: Any, where: str) -> list[dict[str, Any]]:
    if isinstance(value, str):  # solc's older combined JSON keeps the ABI as JSON text
        try:
            value = json.loads(value)
        except ValueError:
            raise ArtifactError(f"{where}: the ABI is not JSON") from None
    if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
        raise ArtifactError(f"{where}: the ABI must be a list of objects")
    return list(value)


def from_abi_and_bytecode(
    bytecode: bytes | str, abi: Sequence[Mapping[str, Any]] | str, name: str = "Contract"
) -> Artifact:
    """An Artifact from creation bytecode (bytes or hex) and an ABI (list or JSON text)."""
    return Artifact(name, _abi(abi, name), _hex(bytecode, name), source="", format="raw")


def load_artifact(source: str | Path | Mapping[str, Any], name: str | None = None) -> Artifact:
    """Load a compiled contract from a file (or its parsed JSON), whatever the tool.

    `name` picks the contract in files that hold several (standard-JSON output, Vyper combined
    JSON); a file that holds one needs none. A `.vy` file is compiled with Vyper.

    Raises:
        ArtifactError: unreadable, an unknown shape, no such contract, unlinked libraries.
    """
    where = "artifact"
    if not isinstance(source, Mapping):
        path = Path(source)
        where = str(path)
        if path.suffix == ".vy":
            return compile_vyper(path, name)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise ArtifactError(f"{where}: no such file") from None
        except (OSError, ValueError) as exc:
            raise ArtifactError(f"{where}: not a JSON file ({exc})") from None
        default_name = path.stem
        directory: str | None = str(path.parent)
    else:
        data = source
        default_name = "Contract"
        directory = None
    if not isinstance(data, Mapping):
        raise ArtifactError(f"{where}: expected a JSON object, got {type(data).__name__}")
    try:
        art = _parse(data, name, default_name, where)
    except (KeyError, TypeError, AttributeError) as exc:  # a known shape with parts missing
        raise ArtifactError(f"{where}: malformed artefact ({type(exc).__name__}: {exc})") from None
    return art if directory is None else replace(art, directory=directory)


def _parse(data: Mapping[str, Any], name: str | None, default: str, where: str) -> Artifact:
    kind = str(data.get("_format", ""))
    if kind.startswith("hh-sol-build-info") and isinstance(data.get("output"), Mapping):
        # Hardhat's build-info: solc's input (with the source texts) and output
        art = _standard_json(data["output"], name, where)
        sources = data.get("input", {}).get("sources", {})
        texts = {
            str(file): str(entry["content"])
            for file, entry in sources.items()
            if isinstance(entry, Mapping) and isinstance(entry.get("content"), str)
        }
        return replace(art, source_texts=texts)
    if kind.startswith("hh-"):  # Hardhat (hh-sol-artifact-1, hh-zksolc-artifact-1, ...)
        return _single(
            data["contractName"],
            data,
            data.get("bytecode"),
            data.get("deployedBytecode"),
            where,
            "hardhat",
            name,
        )
    contracts = data.get("contracts")
    if isinstance(contracts, Mapping) and contracts:
        values = list(contracts.values())
        if all(isinstance(v, Mapping) and ("bin" in v or "bytecode" in v) for v in values):
            # solc --combined-json ("file.sol:Name": {"abi", "bin"}), or the same shape with
            # "bytecode" as scripts write it
            return _flat_contracts(contracts, name, where)
        if all(
            isinstance(v, Mapping) and all(isinstance(c, Mapping) for c in v.values())
            for v in values
        ):
            return _standard_json(data, name, where)  # solc standard-JSON output
    bytecode = data.get("bytecode")
    if "abi" in data and isinstance(bytecode, Mapping) and "object" in bytecode:  # Foundry
        runtime = data.get("deployedBytecode")
        art = _single(
            _foundry_name(data, default),
            data,
            bytecode["object"],
            runtime.get("object") if isinstance(runtime, Mapping) else None,
            where,
            "foundry",
            name,
        )
        if not isinstance(runtime, Mapping) or not isinstance(runtime.get("sourceMap"), str):
            return art
        # A Foundry artefact names only its own source: its id and path (the ids of other
        # files, inherited or inlined, are in the build-info, not here).
        own = _foundry_source(data)
        return replace(
            art, runtime_source_map=runtime["sourceMap"], source_ids={own[0]: own[1]} if own else {}
        )
    if "abi" in data and isinstance(bytecode, str):  # plain: Truffle, Brownie, solc-js scripts
        runtime = data.get("deployedBytecode") or data.get("bytecode_runtime")
        contract_name = data.get("contractName") or data.get("name") or default
        art = _single(
            contract_name,
            data,
            bytecode,
            runtime if isinstance(runtime, str) else None,
            where,
            "plain",
            name,
        )
        source_map = data.get("deployedSourceMap")  # Truffle: its own source, path and text
        own = _foundry_source(data)
        if not isinstance(source_map, str) or own is None:
            return art
        text = data.get("source")
        return replace(
            art,
            runtime_source_map=source_map,
            source_ids={own[0]: own[1]},
            source_texts={own[1]: text} if isinstance(text, str) else {},
        )
    vyper = {
        key: value
        for key, value in data.items()
        if isinstance(value, Mapping) and "abi" in value and "bytecode" in value
    }
    if vyper and isinstance(data.get("version"), str):  # vyper -f combined_json
        return _vyper_combined(vyper, name, where)
    raise ArtifactError(
        f"{where}: unknown artefact format (top-level keys {sorted(data)[:8]}); expected solc "
        "standard-JSON output, a Foundry out/X.sol/X.json, a Hardhat artifact, Vyper "
        "combined_json, or an object with 'abi' and 'bytecode'"
    )


def _single(
    contract_name: str,
    data: Mapping[str, Any],
    bytecode: Any,
    runtime: Any,
    where: str,
    kind: str,
    wanted: str | None,
) -> Artifact:
    if wanted is not None and wanted != contract_name:
        raise ArtifactError(f"{where}: holds contract {contract_name!r}, not {wanted!r}")
    if bytecode is None:
        raise ArtifactError(f"{where}: no bytecode ({kind} artefact)")
    code = _hex(bytecode, where)
    if not code:
        raise ArtifactError(
            f"{where}: {contract_name} has empty bytecode (an interface or abstract contract)"
        )
    return Artifact(
        contract_name,
        _abi(data["abi"], where),
        code,
        _hex(runtime, where) if runtime else None,
        where,
        kind,
    )


def _flat_contracts(
    contracts: Mapping[str, Mapping[str, Any]], wanted: str | None, where: str
) -> Artifact:
    by_name = {key.rpartition(":")[2]: (key, value) for key, value in contracts.items()}
    if wanted is None:
        deployable = [n for n, (_, v) in by_name.items() if v.get("bin") or v.get("bytecode")]
        if len(deployable) != 1:
            raise ArtifactError(f"{where}: holds several contracts ({sorted(by_name)}); pass name=")
        wanted = deployable[0]
    found = by_name.get(wanted.rpartition(":")[2])
    if found is None:
        raise ArtifactError(f"{where}: no contract {wanted!r}; it holds {sorted(by_name)}")
    key, output = found
    if "abi" not in output:
        raise ArtifactError(f"{where}: {key} has no abi (solc --combined-json abi,bin)")
    bytecode = output.get("bin", output.get("bytecode"))
    runtime = output.get("bin-runtime", output.get("deployedBytecode"))
    return _single(
        wanted.rpartition(":")[2],
        output,
        bytecode,
        runtime,
        f"{where} ({key})",
        "solc-combined-json" if "bin" in output else "plain",
        None,
    )


def _foundry_name(data: Mapping[str, Any], default: str) -> str:
    target = data.get("metadata", {})
    if isinstance(target, Mapping):
        names = target.get("settings", {}).get("compilationTarget", {})
        if isinstance(names, Mapping) and len(names) == 1:
            return str(next(iter(names.values())))
    return default


def _foundry_source(data: Mapping[str, Any]) -> tuple[int, str] | None:
    """(solc source id, path) of the artefact's own source file, from its `id` or its AST's
    `src` ("start:length:id") and `ast.absolutePath`, `sourcePath` or the compilation target."""
    ast = data.get("ast")
    ast = ast if isinstance(ast, Mapping) else {}
    source_id = data.get("id")
    if not isinstance(source_id, int):
        src = ast.get("src")
        if not isinstance(src, str) or not src.rpartition(":")[2].isdigit():
            return None
        source_id = int(src.rpartition(":")[2])
    path = ast.get("absolutePath") or data.get("sourcePath")
    if not isinstance(path, str):
        metadata = data.get("metadata")
        target = (
            metadata.get("settings", {}).get("compilationTarget")
            if isinstance(metadata, Mapping)
            else None
        )
        if not isinstance(target, Mapping) or len(target) != 1:
            return None
        path = str(next(iter(target)))
    return source_id, path


def _standard_json(data: Mapping[str, Any], wanted: str | None, where: str) -> Artifact:
    found: list[tuple[str, str, Mapping[str, Any]]] = []
    for file_name, contracts in data["contracts"].items():
        for contract_name, output in contracts.items():
            found.append((file_name, contract_name, output))
    if wanted is not None:
        file_part, _, name_part = wanted.rpartition(":")
        matches = [f for f in found if f[1] == name_part and file_part in ("", f[0])]
    else:
        matches = [f for f in found if f[2].get("evm", {}).get("bytecode", {}).get("object")]
    if len(matches) != 1:
        names = ", ".join(f"{f}:{n}" for f, n, _ in found)
        if not matches:
            raise ArtifactError(f"{where}: no contract {wanted!r}; it holds {names}")
        raise ArtifactError(f"{where}: holds several contracts ({names}); pass name=")
    file_name, contract_name, output = matches[0]
    if "abi" not in output or "bytecode" not in output.get("evm", {}):
        raise ArtifactError(
            f"{where}: {file_name}:{contract_name} has no abi or evm.bytecode: add them to "
            "settings.outputSelection"
        )
    evm = output["evm"]
    runtime = evm.get("deployedBytecode", {}).get("object")
    art = _single(
        contract_name,
        output,
        evm["bytecode"].get("object"),
        runtime,
        f"{where} ({file_name})",
        "solc-standard-json",
        None,
    )
    source_map = evm.get("deployedBytecode", {}).get("sourceMap")
    if not isinstance(source_map, str):
        return art
    ids = {
        int(entry["id"]): str(file)
        for file, entry in (data.get("sources") or {}).items()
        if isinstance(entry, Mapping) and isinstance(entry.get("id"), int)
    }
    return replace(art, runtime_source_map=source_map, source_ids=ids)


def _vyper_combined(
    contracts: Mapping[str, Mapping[str, Any]], wanted: str | None, where: str
) -> Artifact:
    by_name = {Path(path).stem: (path, output) for path, output in contracts.items()}
    if wanted is None:
        if len(by_name) != 1:
            raise ArtifactError(f"{where}: holds several contracts ({sorted(by_name)}); pass name=")
        wanted = next(iter(by_name))
    if wanted not in by_name:
        raise ArtifactError(f"{where}: no contract {wanted!r}; it holds {sorted(by_name)}")
    path, output = by_name[wanted]
    return _single(
        wanted,
        output,
        output["bytecode"],
        output.get("bytecode_runtime"),
        f"{where} ({path})",
        "vyper-combined-json",
        None,
    )


def compile_vyper(path: str | Path, name: str | None = None) -> Artifact:
    """Compile a Vyper source file with the installed `vyper` package.

    Raises:
        ArtifactError: vyper is not installed (install the `vyper` extra) or the source does
            not compile (the compiler's message is kept).
    """
    try:
        import vyper  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        raise ArtifactError(
            f"{path}: compiling Vyper needs the vyper package: pip install 'pyeth[vyper]'"
        ) from None
    path = Path(path)
    try:
        source = path.read_text()
    except OSError as exc:
        raise ArtifactError(f"{path}: cannot read ({exc})") from None
    try:
        out = vyper.compile_code(source, output_formats=["abi", "bytecode", "bytecode_runtime"])
    except Exception as exc:  # vyper raises its own exception tree
        raise ArtifactError(f"{path}: vyper could not compile it: {exc}") from None
    return Artifact(
        name or path.stem,
        _abi(out["abi"], str(path)),
        _hex(out["bytecode"], str(path)),
        _hex(out["bytecode_runtime"], str(path)),
        str(path),
        "vyper-source",
    )


# --- the ABI against the code ----------------------------------------------------------------


@lru_cache(maxsize=256)
def pushed_values(code: bytes) -> frozenset[int]:
    """The values of the PUSH1..PUSH4 instructions in `code` (push data skipped as data);
    remembered per code, as tests deploy the same contract again and again."""
    values: set[int] = set()
    index = 0
    length = len(code)
    while index < length:
        op = code[index]
        if 0x60 <= op <= 0x7F:
            size = op - 0x5F
            if size <= 4:
                values.add(int.from_bytes(code[index + 1 : index + 1 + size], "big"))
            index += size
        index += 1
    return frozenset(values)


def missing_selectors(abi: Sequence[Mapping[str, Any]], runtime: bytes) -> list[str]:
    """The signatures of `abi`'s functions whose selector `runtime` never pushes.

    Dispatchers compare the calldata's selector against each function's, pushed as a constant
    (PUSH4, or shorter when it starts with zero bytes); a proxy's code has none of its
    implementation's. Empty code is not checked.
    """
    if not runtime:
        return []
    pushed = pushed_values(runtime)
    missing = []
    for item in abi:
        if item.get("type", "function") != "function":
            continue
        sig = signature(item)
        if int.from_bytes(selector(sig), "big") not in pushed:
            missing.append(sig)
    return missing

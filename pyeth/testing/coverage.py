"""Code coverage for contracts under test: which instructions ran and which way each JUMPI went,
mapped to source lines through solc's runtime source map, written as lcov.

`CoverageCollector` is an EVM step hook (evm.tracing): a chain with coverage on
(`Chain(coverage=True)`, `chain.start_coverage()`, the plugin's `--pyeth-coverage=FILE`) runs
its transactions and calls in the traced loop with it; with coverage off the chain passes no
hook and the untraced loop runs, so coverage costs nothing unless asked for.

Hits are kept per runtime code (the bytes a message ran), by pc. To reach source lines:
- the code is matched to an artefact: the code a deployment left (immutables filled in), the
  artefact's runtime code itself, or code of the same length and the same instructions
  (immediates aside: immutables, linked library addresses). The chain registers the artefacts
  it deploys (and `chain.at(address, artifact)`); those of contracts made by other contracts
  are registered with `chain.coverage.add_artifact(artifact)`;
- a pc is turned into an instruction index (PUSH data skipped), the index into the source map's
  entry `s:l:f:j` (offset, length, source id, jump), the source id into a file through the
  artefact's `sources` ids, the byte offset into a line of that file's text (carried by the
  artefact, or found on disk beside it).
A line's count is, per artefact, the most times any instruction mapped to it ran (a line is hit
when any of its instructions ran), added up over the artefacts sharing the file (a base
contract, a library); a line no instruction maps to is not listed. Each JUMPI is a branch
pair: taken (it jumped) and not taken (it fell through).

Not mapped: code without an artefact with a source map (creation code and constructors: only
the runtime map is read; Vyper, whose source map has its own format; a Hardhat artefact, which
has none, while its build-info has one), instructions the compiler generated with no source
(`f` = -1) or from files the artefact gives no name for (solc's generated Yul sources; a
Foundry artefact names only its own file), and files whose text is neither in the artefact nor
on disk (listed in `CoverageReport.missing`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyeth.hashing import keccak256
from pyeth.testing.artifacts import Artifact

JUMPI = 0x57


@dataclass(slots=True)
class CodeCoverage:
    """What ran of one runtime code: hits per pc and, per JUMPI pc, [taken, not taken]."""

    hits: dict[int, int] = field(default_factory=dict)
    branches: dict[int, list[int]] = field(default_factory=dict)


class CoverageCollector:
    """A step hook (`on_step(frame, opcode)`) counting the pcs each code ran and the way each
    JUMPI went. Artefacts are registered with `add_artifact` to map the code to sources."""

    def __init__(self) -> None:
        self.codes: dict[bytes, CodeCoverage] = {}  # by the code itself (its hash is cached)
        self._artifacts: dict[bytes, Artifact] = {}  # code -> artefact, as deployed or given
        self._by_shape: dict[tuple[int, bytes], Artifact] = {}

    def __call__(self, frame: Any, op: int) -> None:
        code = frame.message.code
        seen = self.codes.get(code)
        if seen is None:
            seen = self.codes[code] = CodeCoverage()
        pc = frame.pc
        hits = seen.hits
        hits[pc] = hits.get(pc, 0) + 1
        if op == JUMPI:
            stack = frame.stack
            if len(stack) >= 2:  # else the JUMPI fails on its stack check
                way = seen.branches.get(pc)
                if way is None:
                    way = seen.branches[pc] = [0, 0]
                way[0 if stack[-2] else 1] += 1

    def add_artifact(self, artifact: Artifact, code: bytes | None = None) -> None:
        """Map `code` (the deployed runtime code; the artefact's own by default) to `artifact`'s
        sources. The chain registers what it deploys; register the artefacts of contracts that
        other contracts create (matched by their instructions). Artefacts without runtime code
        and a runtime source map are ignored."""
        if not artifact.runtime_source_map or not artifact.runtime:
            return
        self._artifacts[artifact.runtime] = artifact
        self._by_shape[_shape(artifact.runtime)] = artifact
        if code:
            self._artifacts[code] = artifact

    def artifact_for(self, code: bytes) -> Artifact | None:
        """The artefact `code` was compiled from, when registered (see the module doc)."""
        found = self._artifacts.get(code)
        if found is None:
            found = self._by_shape.get(_shape(code))
        return found

    def by_code_hash(self) -> dict[bytes, CodeCoverage]:
        """The coverage per keccak256 of the runtime code (the code hash EXTCODEHASH reads)."""
        return {keccak256(code): seen for code, seen in self.codes.items()}

    def report(self) -> CoverageReport:
        """Lines and branches per source file, for every registered artefact (one never run
        has its lines at 0)."""
        report = CoverageReport()
        artifacts: dict[int, Artifact] = {id(a): a for a in self._artifacts.values()}
        ran: dict[int, list[CodeCoverage]] = {key: [] for key in artifacts}
        for code, seen in self.codes.items():
            art = self.artifact_for(code)
            if art is not None:
                ran.setdefault(id(art), []).append(seen)
                artifacts.setdefault(id(art), art)
        for key, art in artifacts.items():
            report.add(art, ran.get(key, []))
        return report

    def write_lcov(self, path: str | Path) -> CoverageReport:
        """Write the lcov tracefile to `path`; the report it was made from."""
        report = self.report()
        Path(path).write_text(report.lcov())
        return report


def _shape(code: bytes) -> tuple[int, bytes]:
    """Code's length and its opcodes with PUSH data left out: equal for the same contract with
    other immutables or linked library addresses."""
    ops = bytearray()
    index = 0
    length = len(code)
    while index < length:
        op = code[index]
        ops.append(op)
        index += op - 0x5E if 0x60 <= op <= 0x7F else 1
    return length, keccak256(bytes(ops))


# --- source maps -----------------------------------------------------------------------------


def decode_source_map(text: str) -> list[tuple[int, int, int]]:
    """solc's compressed source map as (offset, length, source id) per instruction: entries
    `s:l:f:j:m` split by `;`, an empty field repeating the one before (solc docs, "Source
    Mappings"). A source id of -1 is code with no source.

    Raises:
        ValueError: a field that is not a number, naming the entry.
    """
    entries: list[tuple[int, int, int]] = []
    start, length, source = -1, -1, -1
    for index, entry in enumerate(text.split(";")):
        parts = entry.split(":")
        try:
            if parts[0]:
                start = int(parts[0])
            if len(parts) > 1 and parts[1]:
                length = int(parts[1])
            if len(parts) > 2 and parts[2]:
                source = int(parts[2])
        except ValueError:
            raise ValueError(f"source map entry {index} ({entry!r}) is not s:l:f:j") from None
        entries.append((start, length, source))
    return entries


def instruction_indexes(code: bytes) -> dict[int, int]:
    """pc -> instruction index (the source map's entry), PUSH data skipped."""
    indexes: dict[int, int] = {}
    pc = 0
    count = 0
    length = len(code)
    while pc < length:
        op = code[pc]
        indexes[pc] = count
        count += 1
        pc += op - 0x5E if 0x60 <= op <= 0x7F else 1
    return indexes


@dataclass(slots=True)
class _Source:
    path: str  # as written to lcov's SF
    newlines: list[int]  # byte offsets of the line ends

    def line(self, offset: int) -> int:
        return bisect_right(self.newlines, offset - 1) + 1 if offset > 0 else 1


def find_source(artifact: Artifact, name: str) -> tuple[str, bytes] | None:
    """(path for lcov, UTF-8 text) of source `name`: from the artefact, or on disk as given,
    under the working folder, or under the artefact's folder or one of its four parents
    (directly or in `contracts/` or `src/`)."""
    text = artifact.source_texts.get(name)
    if text is not None:
        return name, text.encode()
    candidates = [Path(name), Path.cwd() / name]
    if artifact.directory is not None:
        folder = Path(artifact.directory).resolve()
        for base in [folder, *list(folder.parents)[:4]]:
            candidates += [base / name, base / "contracts" / name, base / "src" / name]
    for candidate in candidates:
        if candidate.is_file():
            try:
                shown = str(candidate.resolve().relative_to(Path.cwd()))
            except ValueError:
                shown = str(candidate.resolve())
            return shown, candidate.read_bytes()
    return None


@dataclass(slots=True)
class FileCoverage:
    """One source file's lines (line -> hits) and branches ((line, block tag, branch) -> hits,
    None where the JUMPI never ran)."""

    lines: dict[int, int] = field(default_factory=dict)
    branches: dict[tuple[int, str, int], int | None] = field(default_factory=dict)


@dataclass(slots=True)
class CoverageReport:
    """Line and branch coverage by source file; `missing` names sources not found."""

    files: dict[str, FileCoverage] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)

    def add(self, artifact: Artifact, runs: list[CodeCoverage]) -> None:
        """Add `artifact`'s mapped instructions with the hits of `runs` (its codes that ran)."""
        assert artifact.runtime_source_map is not None and artifact.runtime is not None
        entries = decode_source_map(artifact.runtime_source_map)
        sources: dict[int, _Source | None] = {}
        hits: dict[int, int] = {}
        branches: dict[int, list[int]] = {}
        for run in runs:
            for pc, count in run.hits.items():
                hits[pc] = hits.get(pc, 0) + count
            for pc, ways in run.branches.items():
                total = branches.setdefault(pc, [0, 0])
                total[0] += ways[0]
                total[1] += ways[1]
        code = artifact.runtime
        lines: dict[str, dict[int, int]] = {}  # this artefact's, before adding to the files'
        for pc, index in instruction_indexes(code).items():
            if index >= len(entries):
                break  # the metadata after the code: no source map entries
            start, _length, source_id = entries[index]
            if source_id < 0 or start < 0:
                continue
            if source_id not in sources:
                sources[source_id] = self._source(artifact, source_id)
            source = sources[source_id]
            if source is None:
                continue
            line = source.line(start)
            own = lines.setdefault(source.path, {})
            own[line] = max(own.get(line, 0), hits.get(pc, 0))
            file = self.files.setdefault(source.path, FileCoverage())
            if code[pc] == JUMPI:
                tag = f"{artifact.name}@{pc}"
                went = branches.get(pc)
                for branch in (0, 1):
                    key = (line, tag, branch)
                    file.branches[key] = _add(
                        file.branches.get(key), None if went is None else went[branch]
                    )
        for path, counts in lines.items():
            file = self.files.setdefault(path, FileCoverage())
            for line, count in counts.items():
                file.lines[line] = file.lines.get(line, 0) + count

    def _source(self, artifact: Artifact, source_id: int) -> _Source | None:
        name = artifact.source_ids.get(source_id)
        if name is None:
            return None  # a generated (Yul) source, or a file the artefact does not name
        found = find_source(artifact, name)
        if found is None:
            self.missing.add(name)
            return None
        path, text = found
        return _Source(path, [i for i, byte in enumerate(text) if byte == 0x0A])

    def merge(self, other: CoverageReport) -> None:
        """Add `other`'s counts (another process's run of the same sources)."""
        for path, theirs in other.files.items():
            mine = self.files.setdefault(path, FileCoverage())
            for line, count in theirs.lines.items():
                mine.lines[line] = mine.lines.get(line, 0) + count
            for key, taken in theirs.branches.items():
                mine.branches[key] = _add(mine.branches.get(key), taken)
        self.missing |= other.missing

    def to_data(self) -> dict[str, Any]:
        """Plain JSON-able data (pytest-xdist sends it from workers to the controller)."""
        return {
            "files": {
                path: {
                    "lines": [[line, count] for line, count in file.lines.items()],
                    "branches": [[*key, count] for key, count in file.branches.items()],
                }
                for path, file in self.files.items()
            },
            "missing": sorted(self.missing),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> CoverageReport:
        report = cls(missing=set(data.get("missing", ())))
        for path, file in data["files"].items():
            report.files[path] = FileCoverage(
                {int(line): int(count) for line, count in file["lines"]},
                {(int(line), str(tag), int(b)): count for line, tag, b, count in file["branches"]},
            )
        return report

    def lcov(self) -> str:
        """The lcov tracefile text (geninfo's format): per file SF, DA per line, BRDA per
        branch (block numbers per file in line order), LF/LH, BRF/BRH, end_of_record."""
        out: list[str] = []
        for path in sorted(self.files):
            file = self.files[path]
            out.append("TN:")
            out.append(f"SF:{path}")
            for line in sorted(file.lines):
                out.append(f"DA:{line},{file.lines[line]}")
            blocks: dict[tuple[int, str], int] = {}
            for line, tag, branch in sorted(file.branches):
                block = blocks.setdefault((line, tag), len(blocks))
                count = file.branches[(line, tag, branch)]
                out.append(f"BRDA:{line},{block},{branch},{'-' if count is None else count}")
            out.append(f"BRF:{len(file.branches)}")
            out.append(f"BRH:{sum(1 for c in file.branches.values() if c)}")
            out.append(f"LF:{len(file.lines)}")
            out.append(f"LH:{sum(1 for c in file.lines.values() if c)}")
            out.append("end_of_record")
        return "\n".join(out) + "\n" if out else ""


def _add(old: int | None, new: int | None) -> int | None:
    if old is None:
        return new
    return old if new is None else old + new


def merge_reports(reports: Iterable[CoverageReport]) -> CoverageReport:
    """One report adding up several (workers', chains')."""
    total = CoverageReport()
    for report in reports:
        total.merge(report)
    return total

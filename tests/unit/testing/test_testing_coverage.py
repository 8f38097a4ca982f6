"""Coverage: the pcs and JUMPI directions a chain with coverage on records, their mapping to
source lines through solc's runtime source map (contracts/coverage/Branchy.sol, compiled
without the optimizer by contracts/coverage/compile.js), the lcov text, the plugin's
--pyeth-coverage option, and that a chain with coverage off runs no step hook at all."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

import evm.interpreter
from pyeth.hashing import keccak256
from pyeth.testing.artifacts import Artifact, from_abi_and_bytecode, load_artifact
from pyeth.testing.chain import Chain
from pyeth.testing.coverage import (
    CoverageReport,
    FileCoverage,
    decode_source_map,
    instruction_indexes,
    merge_reports,
)

pytest_plugins = ["pytester"]

HERE = Path(__file__).resolve().parent / "contracts" / "coverage"
STANDARD = HERE / "Branchy.standard.json"
BUILD_INFO = HERE / "Branchy.build-info.json"
SOURCE = (HERE / "Branchy.sol").read_text()
REPO = Path(__file__).resolve().parents[3]
EXAMPLE_OUT = REPO / "examples" / "token-vault" / "out"


def line_of(text: str) -> int:
    """The 1-based line of Branchy.sol that holds `text` (once)."""
    found = [n for n, line in enumerate(SOURCE.splitlines(), 1) if text in line]
    assert len(found) == 1, (text, found)
    return found[0]


CONTRACT = line_of("contract Branchy")
TOTAL = line_of("uint256 public total;")
START = line_of("uint256 public immutable start;")
PICK = line_of("function pick(")
IF = line_of("if (big)")
THEN = line_of("total = start + 100;")
ELSE = line_of("total = 1;")
RETURN = line_of("return total;")
SUM = line_of("function sum(")
FOR = line_of("for (uint256 i")
BODY = line_of("acc += i;")
STORE = line_of("total = acc;")
ALL_LINES = {CONTRACT, TOTAL, START, PICK, IF, THEN, ELSE, RETURN, SUM, FOR, BODY, STORE}


def file_of(report: CoverageReport) -> FileCoverage:
    (path,) = report.files
    assert path.endswith("Branchy.sol")
    return report.files[path]


def branch_pairs(file: FileCoverage, line: int) -> list[tuple[int | None, int | None]]:
    """(taken, not taken) of each JUMPI mapped to `line`."""
    tags = sorted({tag for at, tag, _ in file.branches if at == line})
    return [(file.branches[(line, tag, 0)], file.branches[(line, tag, 1)]) for tag in tags]


@pytest.fixture
def branchy() -> Artifact:
    return load_artifact(STANDARD)


def test_one_branch_of_the_if_hits_exactly_its_lines(branchy: Artifact) -> None:
    chain = Chain(coverage=True)
    contract = chain.deploy(branchy, 7)
    assert contract.pick(True).return_value == 107
    file = file_of(chain.coverage.report())
    assert set(file.lines) == ALL_LINES  # lines with no instruction (braces, else) not listed
    hit = {line for line, count in file.lines.items() if count}
    # The dispatcher (mapped to the contract), pick's entry, the condition, the then-branch
    # and the return; not the else-branch, sum, or the getters.
    assert hit == {CONTRACT, PICK, IF, THEN, RETURN}
    # `if (big)` jumps to the else-branch when big is false: with true it fell through.
    assert branch_pairs(file, IF) == [(0, 1)]
    contract.pick(False)
    file = file_of(chain.coverage.report())
    assert file.lines[ELSE] == 1 and file.lines[THEN] == 1 and file.lines[IF] == 2
    assert branch_pairs(file, IF) == [(1, 1)]
    assert branch_pairs(file, FOR) == [(None, None)]  # the loop's JUMPI never ran


def test_a_loop_counts_its_iterations(branchy: Artifact) -> None:
    chain = Chain(coverage=True)
    contract = chain.deploy(branchy, 0)
    contract.sum(3)
    file = file_of(chain.coverage.report())
    assert file.lines[BODY] == 3
    assert file.lines[FOR] == 4  # the condition: three times true, once false
    assert file.lines[STORE] == 1 and file.lines[ELSE] == 0
    ((taken, not_taken),) = branch_pairs(file, FOR)
    assert taken is not None and not_taken is not None
    assert sorted((taken, not_taken)) == [1, 3]


def test_pcs_are_kept_per_deployed_code_hash_with_immutables_filled(branchy: Artifact) -> None:
    chain = Chain(coverage=True)
    contract = chain.deploy(branchy, 7)
    contract.pick(True)
    code = chain.get_code(contract.address)
    assert code != branchy.runtime  # the immutable `start` is in the deployed code
    seen = chain.coverage.by_code_hash()[keccak256(code)]
    assert seen.hits[0] == 1  # one message ran this code, from pc 0
    assert all(code[pc] == 0x57 for pc in seen.branches)  # only JUMPIs have directions
    indexes = instruction_indexes(code)
    assert set(seen.hits) <= set(indexes)  # only instruction starts, never PUSH data
    assert chain.coverage.artifact_for(code) is branchy
    # Code of the same shape (other immutables), as another contract's CREATE would make,
    # maps to the artefact too, by its instructions.
    assert chain.coverage.artifact_for(code[:-1] + bytes([code[-1] ^ 1])) is branchy


def test_the_source_text_can_come_from_the_artefact() -> None:
    """A build-info carries solc's input: the lines are found without the file on disk."""
    art = load_artifact(BUILD_INFO)
    assert art.source_texts == {"Branchy.sol": SOURCE}
    chain = Chain(coverage=True)
    chain.deploy(art, 1).pick(True)
    report = chain.coverage.report()
    assert list(report.files) == ["Branchy.sol"]
    on_disk = Chain(coverage=True)
    on_disk.deploy(load_artifact(STANDARD), 1).pick(True)
    assert report.files["Branchy.sol"] == file_of(on_disk.coverage.report())


def test_a_missing_source_is_named_and_left_out(tmp_path: Path, monkeypatch: Any) -> None:
    data = json.loads(STANDARD.read_text())
    data["sources"] = {"Nowhere.sol": data["sources"]["Branchy.sol"]}
    monkeypatch.chdir(tmp_path)
    chain = Chain(coverage=True)
    chain.deploy(load_artifact(data), 1).pick(True)
    report = chain.coverage.report()
    assert report.files == {} and report.missing == {"Nowhere.sol"}


def test_code_without_a_source_map_is_counted_but_not_mapped(branchy: Artifact) -> None:
    assert branchy.runtime is not None
    bare = from_abi_and_bytecode(branchy.bytecode, branchy.abi, "Bare")
    chain = Chain(coverage=True)
    contract = chain.deploy(bare, 1)
    contract.pick(True)
    assert chain.coverage.report().files == {}
    assert keccak256(chain.get_code(contract.address)) in chain.coverage.by_code_hash()


def parse_lcov(text: str) -> dict[str, dict[str, Any]]:
    """lcov records by SF, checked as parsed: known keys only, one record per SF, and the
    LF/LH/BRF/BRH summaries equal to the DA/BRDA lines they sum up."""
    records: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    for raw in text.splitlines():
        key, _, value = raw.partition(":")
        if raw == "end_of_record":
            assert current is not None
            da, brda = current["DA"], current["BRDA"]
            assert current["LF"] == len(da) and current["LH"] == sum(1 for h in da.values() if h)
            assert current["BRF"] == len(brda)
            assert current["BRH"] == sum(1 for h in brda.values() if h not in ("-", 0))
            current = None
        elif key == "TN":
            assert current is None
        elif key == "SF":
            assert current is None and value not in records
            current = records[value] = {"DA": {}, "BRDA": {}}
        elif key == "DA":
            assert current is not None
            line, hits = value.split(",")
            current["DA"][int(line)] = int(hits)
        elif key == "BRDA":
            assert current is not None
            line, block, branch, taken = value.split(",")
            current["BRDA"][(int(line), int(block), int(branch))] = (
                taken if taken == "-" else int(taken)
            )
        elif key in ("LF", "LH", "BRF", "BRH"):
            assert current is not None
            current[key] = int(value)
        else:
            raise AssertionError(f"unexpected lcov line {raw!r}")
    assert current is None, "a record without end_of_record"
    return records


def test_lcov_is_well_formed_and_says_what_the_report_says(
    branchy: Artifact, tmp_path: Path
) -> None:
    chain = Chain(coverage=True)
    contract = chain.deploy(branchy, 7)
    contract.pick(True)
    contract.sum(2)
    out = tmp_path / "lcov.info"
    report = chain.coverage.write_lcov(out)
    (record,) = parse_lcov(out.read_text()).values()
    file = file_of(report)
    assert record["DA"] == file.lines
    assert record["DA"][ELSE] == 0 and record["DA"][BODY] == 2
    ifs = [taken for (line, _, _), taken in record["BRDA"].items() if line == IF]
    assert ifs == [0, 1]
    assert record["BRF"] == len(file.branches) > 2


def test_reports_merge_as_workers_send_them(branchy: Artifact) -> None:
    chain = Chain(coverage=True)
    chain.deploy(branchy, 7).pick(True)
    report = chain.coverage.report()
    sent = json.loads(json.dumps(report.to_data()))  # as pytest-xdist carries it
    total = merge_reports([CoverageReport.from_data(sent), CoverageReport.from_data(sent)])
    one, two = file_of(report), file_of(total)
    assert {line: 2 * count for line, count in one.lines.items()} == two.lines
    assert two.branches == {
        key: None if taken is None else 2 * taken for key, taken in one.branches.items()
    }


def test_coverage_off_runs_no_step_hook(branchy: Artifact, monkeypatch: Any) -> None:
    """Off, the chain's contexts get no tracer, so the untraced loop runs: no run_traced."""
    runs: list[Any] = []
    traced = evm.interpreter.run_traced

    def counting(frame: Any, hook: Any) -> None:
        runs.append(hook)
        traced(frame, hook)

    monkeypatch.setattr(evm.interpreter, "run_traced", counting)
    chain = Chain()
    contract = chain.deploy(branchy, 7)
    contract.pick(True)  # a transaction
    assert contract.total() == 107  # a call
    assert chain.coverage is None and chain._tracer is None and runs == []
    collector = chain.start_coverage()
    contract.pick(False)
    assert contract.total() == 1
    assert len(runs) == 2 and all(hook is collector for hook in runs)
    # Deployed before coverage started, still mapped.
    assert file_of(collector.report()).lines[ELSE] == 1
    chain.stop_coverage()
    contract.pick(True)
    assert len(runs) == 2


def test_source_maps_decode_with_repeated_fields() -> None:
    assert decode_source_map("1:2:0:-;;3::1:i;:4;-1:-1:-1") == [
        (1, 2, 0),
        (1, 2, 0),
        (3, 2, 1),
        (3, 4, 1),
        (-1, -1, -1),
    ]
    with pytest.raises(ValueError, match=r"entry 1 \('x:2'\)"):
        decode_source_map("1:2:0;x:2")
    # PUSH1 1, PUSH2 2, ADD, STOP: PUSH data is no instruction.
    assert instruction_indexes(bytes.fromhex("60016100020100")) == {0: 0, 2: 1, 5: 2, 6: 3}


# --- the plugin -------------------------------------------------------------------------------

INNER = """
import pytest

@pytest.fixture(scope="module")
def token(deploy, deployer):
    return deploy("Token", "T", "T", sender=deployer)

def test_mint(token, deployer, alice):
    token.mint(alice, 5, sender=deployer)
    assert token.balanceOf(alice) == 5

def test_transfer(token, deployer, alice, bob):
    token.mint(alice, 5, sender=deployer)
    token.transfer(bob, 2, sender=alice)
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(
        f"[pytest]\npyeth_artifacts = {EXAMPLE_OUT}\n"
        "asyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_inner=textwrap.dedent(INNER))
    return pytester


def test_the_plugin_writes_lcov(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "--pyeth-coverage=cov.info")
    result.assert_outcomes(passed=2)
    records = parse_lcov((project.path / "cov.info").read_text())
    (path,) = records
    assert path.endswith("contracts/Token.sol")
    source = Path(path).read_text().splitlines()
    hit = {source[line - 1].strip() for line, count in records[path]["DA"].items() if count}
    listed = {source[line - 1].strip() for line in records[path]["DA"]}
    # Statements of mint and transfer ran, approve's and transferFrom's did not. (Function
    # headers are no test: the optimizer shares the argument decoding of functions with the
    # same parameters and the source map names one of them for it.)
    ran = {"totalSupply += amount;", "_move(msg.sender, to, amount);"}
    not_run = {
        "allowance[msg.sender][spender] = amount;",
        "uint256 allowed = allowance[from][msg.sender];",
    }
    assert ran <= hit and not_run <= listed - hit
    result.stdout.re_match_lines([r"pyeth coverage: \d+/\d+ lines, \d+/\d+ branches in 1 files"])
    # Off by default: no file.
    (project.path / "cov.info").unlink()
    project.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
    assert not (project.path / "cov.info").exists()


def test_the_plugin_adds_up_xdist_workers(project: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    project.runpytest_subprocess(
        "-p", "no:cacheprovider", "--pyeth-coverage=one.info"
    ).assert_outcomes(passed=2)
    result = project.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "--pyeth-coverage=two.info"
    )
    result.assert_outcomes(passed=2)
    (one,) = parse_lcov((project.path / "one.info").read_text()).values()
    (two,) = parse_lcov((project.path / "two.info").read_text()).values()
    # Each worker deploys the module's token, so counts may differ; the lines hit may not.
    assert {line for line, n in one["DA"].items() if n} == {
        line for line, n in two["DA"].items() if n
    }
    assert set(one["DA"]) == set(two["DA"])

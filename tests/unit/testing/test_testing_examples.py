"""What a user meets first runs as written: the example project's tests, through the plugin as
installed, and the Python example of README's "Testing contracts" section. Each runs pytest in
a subprocess, as a user would, from its own folder and ini."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "token-vault"


def run_pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def outcomes(output: str) -> dict[str, int]:
    summary = output.strip().splitlines()[-1]
    return {word: int(count) for count, word in re.findall(r"(\d+) (\w+)", summary)}


def test_the_example_project_passes() -> None:
    result = run_pytest(EXAMPLE, "-rs")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    counts = outcomes(result.stdout)
    vyper_tests = 3
    try:
        import vyper  # noqa: F401
    except ImportError:
        # Without the vyper extra its tests skip, saying why; the rest must all pass.
        assert counts.get("skipped") == 1 and "pip install 'pyeth[vyper]'" in output, output
        vyper_tests = 0
    assert counts["passed"] == 19 + vyper_tests, output
    assert "failed" not in counts and "error" not in counts
    assert re.search(r"pyeth: [\d,]+ EVM calls in .*, [\d,]+ fuzz examples", output), output


def readme_example() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Testing contracts", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "README's Testing contracts section should hold one Python example"
    return blocks[0]


def test_the_readme_example_runs_as_written(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text(f"[pytest]\npyeth_artifacts = {EXAMPLE / 'out'}\n")
    (tmp_path / "test_readme.py").write_text(readme_example())
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    tests = len(re.findall(r"^def test_", readme_example(), re.M))
    assert outcomes(result.stdout)["passed"] == tests


@pytest.mark.parametrize("name", ["Token", "Vault"])
def test_the_checked_in_artefacts_match_the_sources(name: str) -> None:
    # compile.js writes both shapes from one solc run; a source edited without recompiling
    # would leave the artefacts naming functions the source no longer has, or missing new ones.
    import json

    source = (EXAMPLE / "contracts" / f"{name}.sol").read_text().split(f"contract {name} ")[1]
    artifact = json.loads((EXAMPLE / "out" / f"{name}.sol" / f"{name}.json").read_text())
    declared = set(re.findall(r"function (\w+)\(", source))
    public_vars = set(re.findall(r"public(?: constant| immutable)? (\w+)(?: =|;)", source))
    in_abi = {item["name"] for item in artifact["abi"] if item["type"] == "function"}
    private = {
        n for n in declared if re.search(rf"function {n}\([^)]*\) (private|internal)", source)
    }
    assert in_abi == (declared - private) | public_vars

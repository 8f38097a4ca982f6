"""The pytest plugin, driven through pytester: small test files run through it, and what they
see (isolation order, the opt-out marker, hypothesis examples) and print (the gas table, the
snapshot check, the summary line) is checked."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / "examples" / "token-vault" / "out"

CONFTEST = """
import pytest

@pytest.fixture(scope="module")
def token(deploy, deployer, alice):
    token = deploy("Token", "T", "T", sender=deployer)
    token.mint(alice, 1000, sender=deployer)
    return token
"""


@pytest.fixture(scope="module")
def warm() -> None:
    """Import what the inner runs use in this process first: an in-process pytester run drops
    the modules it imported when it ends, and some C extensions cannot be loaded twice."""
    import hypothesis  # noqa: F401

    from pyeth.testing import Chain, assertions  # noqa: F401

    chain = Chain()
    token = chain.deploy(ARTIFACTS / "Token.sol" / "Token.json", "T", "T")
    token.mint(chain.accounts[1], 1, sender=chain.accounts[0])


@pytest.fixture
def project(pytester: pytest.Pytester, warm: None) -> pytest.Pytester:
    """A pytester folder whose ini points `deploy` at the example project's artefacts."""
    pytester.makeini(
        f"[pytest]\npyeth_artifacts = {ARTIFACTS}\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makeconftest(CONFTEST)
    return pytester


def run(project: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    project.makepyfile(test_inner=textwrap.dedent(source))
    return project.runpytest_inprocess("-p", "no:cacheprovider", *args)


def test_each_test_starts_from_the_fixtures_state(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
        import pytest

        @pytest.fixture
        def gift(token, alice, bob):
            token.transfer(bob, 100, sender=alice)  # function-scoped: undone after each test

        def test_first(token, gift, alice, bob, carol):
            assert token.balanceOf(bob) == 100
            token.transfer(carol, 7, sender=alice)
            assert token.balanceOf(alice) == 893

        def test_second(token, gift, alice, carol):
            assert token.balanceOf(carol) == 0
            assert token.balanceOf(alice) == 900

        def test_without_the_function_fixture(token, alice, bob):
            assert token.balanceOf(alice) == 1000 and token.balanceOf(bob) == 0

        def test_blocks_are_undone_too(chain, token):
            number = chain.block_number
            chain.mine(5)
            assert chain.block_number == number + 5
        """,
    )
    result.assert_outcomes(passed=4)


def test_snapshots_unwind_in_order(project: pytest.Pytester) -> None:
    log = project.path / "log.json"
    project.makeconftest(
        CONFTEST
        + f"""
import json
from pyeth.testing import Chain

class LoggingChain(Chain):
    def __init__(self):
        super().__init__()
        self.log = []

    def snapshot(self):
        snapshot_id = super().snapshot()
        self.log.append(["snapshot", snapshot_id])
        return snapshot_id

    def revert(self, snapshot_id):
        self.log.append(["revert", snapshot_id])
        super().revert(snapshot_id)

@pytest.fixture(scope="session")
def chain():
    chain = LoggingChain()
    yield chain
    with open({str(log)!r}, "w") as out:
        json.dump(chain.log, out)

@pytest.fixture
def gift(token, alice, bob):
    token.transfer(bob, 1, sender=alice)
"""
    )
    result = run(
        project,
        """
        from hypothesis import HealthCheck, Phase, given, settings, strategies as st

        @settings(
            max_examples=2,
            derandomize=True,  # the same two examples every run
            database=None,
            phases=[Phase.generate],
            suppress_health_check=[HealthCheck.function_scoped_fixture],
        )
        @given(st.integers(1, 100))
        def test_fuzz(chain, token, gift, alice, bob, x):
            chain.log.append(["example"])
            token.transfer(bob, x, sender=alice)
        """,
    )
    result.assert_outcomes(passed=1)
    entries = [tuple(e) for e in json.loads(log.read_text())]
    kinds = [e[0] for e in entries]
    # token (module), gift (function), the test body, then one per example; undone in reverse.
    assert kinds == ["snapshot"] * 4 + ["example", "revert", "snapshot", "example"] + ["revert"] * 4
    token, gift, body, example1 = (e[1] for e in entries[:4])
    example2 = entries[6][1]
    assert [e[1] for e in entries if e[0] == "revert"] == [example1, example2, body, gift, token]


def test_module_fixtures_are_reverted_when_their_module_ends(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_a="""
        def test_a(token, alice):
            assert token.balanceOf(alice) == 1000
        """,
        test_b="""
        def test_b(chain, token, alice):
            # A fresh module: the token of test_a's module is gone, this one is new.
            assert token.balanceOf(alice) == 1000
            assert len([c for c in chain.contracts.values() if chain.get_code(c)]) == 1
        """,
    )
    project.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_no_isolation_marker_keeps_the_changes(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
        import pytest

        @pytest.mark.no_isolation
        def test_kept(token, alice, bob):
            token.transfer(bob, 5, sender=alice)

        def test_sees_it(token, bob):
            assert token.balanceOf(bob) == 5

        def test_isolated_again(token, alice, bob):
            token.transfer(bob, 1, sender=alice)

        def test_sees_only_the_kept_one(token, bob):
            assert token.balanceOf(bob) == 5
        """,
    )
    result.assert_outcomes(passed=4)


def test_each_hypothesis_example_starts_clean(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
        from hypothesis import given, settings, strategies as st

        RAN = []

        @settings(max_examples=30, deadline=None)
        @given(amount=st.integers(1, 1000))
        def test_fuzz(token, alice, bob, amount):
            RAN.append(amount)
            assert token.balanceOf(bob) == 0  # no earlier example's transfer is left
            token.transfer(bob, amount, sender=alice)

        def test_after(token, bob):
            assert token.balanceOf(bob) == 0
            print("RAN", len(RAN))
        """,
        "-s",
    )
    result.assert_outcomes(passed=2)
    ran = int(re.search(r"RAN (\d+)", str(result.stdout)).group(1))
    assert ran >= 10
    assert re.search(
        rf"pyeth: [\d,]+ EVM calls in [\d.]+ s \([\d,]+/s\), {ran} fuzz examples",
        str(result.stdout),
    )


def test_hypothesis_default_deadline_is_off_on_the_chain(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
        import time
        from hypothesis import given, settings, strategies as st

        @settings(max_examples=2)
        @given(st.integers(0, 1))
        def test_slow_example(token, x):
            time.sleep(0.25)  # beyond hypothesis's default 200 ms deadline

        @settings(max_examples=2, deadline=50)
        @given(st.integers(0, 1))
        def test_own_deadline_kept(token, x):
            time.sleep(0.25)
        """,
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*DeadlineExceeded: Test took *exceeds the deadline of 50.00ms*"])


def test_a_wider_fixture_set_up_later_is_warned_about_and_kept(project: pytest.Pytester) -> None:
    project.makeconftest(
        CONFTEST
        + """
@pytest.fixture(scope="session")
def other(deploy, deployer):
    return deploy("Token", "O", "O", sender=deployer)

@pytest.fixture(scope="session")
def reader(chain):
    return chain.block_number  # changes nothing: no snapshot is kept for it
"""
    )
    project.makepyfile(
        test_a="""
        def test_module_first(token, alice):
            assert token.balanceOf(alice) == 1000

        def test_session_later(token, reader, other, alice):
            assert other.balanceOf(alice) == 0
        """,
        test_b="""
        def test_session_fixture_still_deployed(chain, other):
            # test_a's module fixture could not be undone without undoing `other` too.
            assert chain.get_code(other)
        """,
    )
    result = project.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        ["*pyeth isolation: fixture 'token' (module scope) was torn down while fixture 'other'*"]
    )
    assert "fixture 'reader'" not in str(result.stdout)


GAS_TESTS = """
def test_transfers(token, alice, bob):
    gases = [token.transfer(bob, 10, sender=alice).gas_used for _ in range(3)]
    print("GAS", gases)

def test_approve(token, alice, bob):
    print("GAS", token.approve(bob, 10, sender=alice).gas_used)
"""


def test_gas_table(project: pytest.Pytester) -> None:
    # A later module's deployment reuses the address of the reverted Token's: rows by name.
    project.makepyfile(
        test_later="""
        def test_vault(deploy, deployer):
            deploy("Vault", deployer, sender=deployer)
        """
    )
    result = run(project, GAS_TESTS, "--gas", "-s")
    result.assert_outcomes(passed=3)
    out = str(result.stdout)
    transfers = [int(g) for g in re.search(r"GAS \[(\d+), (\d+), (\d+)\]", out).groups()]
    approve = int(re.search(r"GAS (\d+)\n", out).group(1))
    assert "pyeth gas" in out
    # One row per function: min, mean, median, max and the number of calls.
    row = re.search(r"\| transfer +\| +([\d,]+) \| +([\d,]+) \| +([\d,]+) \| +([\d,]+) \| +3", out)
    assert row is not None, out
    low, _, median, high = (int(v.replace(",", "")) for v in row.groups())
    assert (low, median, high) == (min(transfers), sorted(transfers)[1], max(transfers))
    assert re.search(rf"\| approve +\| +{approve:,} \| .*\| +1$", out, re.M)
    assert re.search(r"^Token +\| \(deploy\) +\|.*\| +1$", out, re.M), out
    assert re.search(r"^Vault +\| \(deploy\) +\|.*\| +1$", out, re.M), out
    assert re.search(r"\| mint +\|.*\| +1$", out, re.M)


def test_gas_snapshot_is_written_and_checked(project: pytest.Pytester) -> None:
    snapshot = project.path / ".gas-snapshot"
    run(project, GAS_TESTS, "--gas-snapshot", str(snapshot)).assert_outcomes(passed=2)
    lines = snapshot.read_text().splitlines()
    assert [line.split(" (gas")[0] for line in lines] == [
        "test_inner.py::test_approve",
        "test_inner.py::test_transfers",
    ]
    assert all(re.fullmatch(r".+ \(gas: \d+\)", line) for line in lines)

    same = project.runpytest_inprocess(
        "-p", "no:cacheprovider", "--gas-snapshot-check", str(snapshot)
    )
    assert same.ret == 0

    changed = lines[1].replace("(gas: ", "(gas: 1")
    snapshot.write_text(f"{lines[0]}\n{changed}\n")
    failed = project.runpytest_inprocess(
        "-p", "no:cacheprovider", "--gas-snapshot-check", str(snapshot)
    )
    assert failed.ret == pytest.ExitCode.TESTS_FAILED
    failed.stdout.fnmatch_lines(
        ["*pyeth gas snapshot check failed*", "test_inner.py::test_transfers: gas 1* -> *"]
    )

    snapshot.write_text(f"{lines[1]}\n")  # test_approve missing from the file
    missing = project.runpytest_inprocess(
        "-p", "no:cacheprovider", "--gas-snapshot-check", str(snapshot)
    )
    assert missing.ret == pytest.ExitCode.TESTS_FAILED
    missing.stdout.fnmatch_lines(["test_inner.py::test_approve: not in the snapshot*"])

    snapshot.write_text("test_inner.py::test_approve gas 5\n")
    malformed = project.runpytest_inprocess(
        "-p", "no:cacheprovider", "--gas-snapshot-check", str(snapshot)
    )
    assert malformed.ret == pytest.ExitCode.TESTS_FAILED
    malformed.stdout.fnmatch_lines(["*.gas-snapshot:1: expected 'TEST (gas: N)'*"])


def test_deploy_by_an_unknown_name_says_where_it_looked(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
        import pytest

        def test_missing(deploy):
            with pytest.raises(LookupError, match=r"no artefact for 'Nope' under .*out"):
                deploy("Nope")
        """,
    )
    result.assert_outcomes(passed=1)


def test_named_accounts_and_the_artefact_option(pytester: pytest.Pytester, warm: None) -> None:
    # No artefact folder in the ini: it comes from the command line.
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        test_names="""
        def test_names(chain, accounts, deployer, alice, bob, carol, dave):
            assert [deployer, alice, bob, carol, dave] == accounts[:5] == chain.accounts[:5]

        def test_deploy_by_name(deploy, deployer):
            assert deploy("Token", "N", "N", sender=deployer).symbol() == "N"

        def test_deploy_by_path(deploy, deployer):
            assert deploy("Vault.sol/Vault.json", deployer, sender=deployer).totalShares() == 0
        """
    )
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "--pyeth-artifacts", str(ARTIFACTS)
    )
    result.assert_outcomes(passed=3)
    missing = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-k", "by_name")
    missing.assert_outcomes(failed=1)
    missing.stdout.fnmatch_lines(["*no artefact folder is configured; pass --pyeth-artifacts DIR*"])


def test_an_overridden_chain_fixture_is_isolated_too(project: pytest.Pytester) -> None:
    project.makeconftest(
        CONFTEST
        + """
from pyeth.testing import Chain

@pytest.fixture(scope="session")
def chain():
    return Chain(fork="cancun", chain_id=5)
"""
    )
    result = run(
        project,
        """
        def test_first(chain, token, alice, bob):
            assert (chain.fork, chain.chain_id) == ("cancun", 5)
            token.transfer(bob, 1, sender=alice)

        def test_second(token, bob):
            assert token.balanceOf(bob) == 0
        """,
    )
    result.assert_outcomes(passed=2)


def test_the_summary_line_counts_evm_calls(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
        def test_calls(token, alice):
            for _ in range(10):
                token.balanceOf(alice)
        """,
    )
    result.assert_outcomes(passed=1)
    # 10 calls in the test, plus the deployment and the mint of the module fixture.
    match = re.search(r"pyeth: ([\d,]+) EVM calls in [\d.]+ s \([\d,]+/s\)", str(result.stdout))
    assert match is not None and int(match.group(1)) >= 12


def test_under_xdist_each_worker_has_a_chain_and_reports_back(project: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    project.makepyfile(
        **{
            f"test_w{i}": f"""
            def test_transfer_{i}(token, alice, bob):
                token.transfer(bob, {i + 1}, sender=alice)
                assert token.balanceOf(bob) == {i + 1}
            """
            for i in range(4)
        }
    )
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--gas")
    result.assert_outcomes(passed=4)
    out = str(result.stdout)
    assert re.search(r"\| transfer +\|.*\| +4$", out, re.M), out
    assert re.search(r"pyeth: [\d,]+ EVM calls", out)


def test_importing_the_plugin_loads_neither_hypothesis_nor_the_evm() -> None:
    code = (
        "import sys, pytest, pyeth.testing.plugin\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('hypothesis', 'evm', 'eth_abi')]\n"
        "print(loaded)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_find_artifact_by_name(tmp_path: Path) -> None:
    from pyeth.testing import artifacts
    from pyeth.testing.plugin import find_artifact

    example = ARTIFACTS.parent
    # A folder with only solc's standard-JSON output: the contract is found inside it.
    only_standard = tmp_path / "standard"
    only_standard.mkdir()
    (only_standard / "output.json").write_text(
        (example / "standard-json" / "output.json").read_text()
    )
    assert find_artifact(artifacts, only_standard, "Vault").name == "Vault"
    # Two files of one name: refused, naming both, rather than picking one.
    twice = tmp_path / "twice"
    for sub in ("a", "b"):
        (twice / sub).mkdir(parents=True)
        (twice / sub / "Token.json").write_text(
            (ARTIFACTS / "Token.sol" / "Token.json").read_text()
        )
    with pytest.raises(LookupError, match=r"several artefacts match .*a/Token.json, b/Token.json"):
        find_artifact(artifacts, twice, "Token")
    with pytest.raises(LookupError, match="does not exist"):
        find_artifact(artifacts, tmp_path / "nowhere", "Token")


def test_a_test_reverting_below_its_snapshot_is_told_what_happened(
    project: pytest.Pytester,
) -> None:
    result = run(
        project,
        """
        import pytest

        @pytest.fixture(scope="module")
        def early(chain):
            return chain.snapshot()  # taken before the test's own snapshot

        def test_too_far(chain, early):
            chain.revert(early)
        """,
    )
    result.stdout.fnmatch_lines(
        ["*pyeth isolation: the snapshot taken for test 'test_too_far' is gone*did the test*"]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED

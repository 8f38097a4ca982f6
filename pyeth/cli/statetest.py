"""`pyeth statetest PATH...`: run state-test fixtures (ethereum/tests GeneralStateTests or EEST
state tests), like geth's `evm statetest`.

For people: a progress line and per-folder and per-fork summaries. With `--json`: one JSON array
of `{"name", "fork", "pass", "stateRoot", "error"}` objects on stdout. Exit status 0 only when
every case passed and at least one ran (an unknown `--fork` is refused with the list of the forks
pyeth runs). Files run in parallel worker processes (`--workers`). `--fork` (repeatable)
selects forks; by default every fork the file has that pyeth implements, the others are listed
as skipped.
"""

import argparse

from evm.forks import FORKS
from pyeth.cli.fixtures import add_common_arguments, run_command, unknown_forks_message
from pyeth.fixtures.results import CaseResult
from pyeth.fixtures.statetests import run_file


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "statetest",
        help="run state-test fixtures (files or folders)",
        description="Run state-test fixtures and compare post-state roots and logs.",
    )
    add_common_arguments(
        parser, "run only this fork's entries (repeatable; default: every fork the file has)"
    )
    parser.set_defaults(handler=handle)


def cannot_run(file_name: str, forks: str, error: str) -> CaseResult:
    """The failed result of a fixture file that cannot be read or is not a state test."""
    return CaseResult(file_name, forks, False, "", error)


def handle(args: argparse.Namespace) -> int:
    return run_command(args, "statetest", "cases", run_file, cannot_run, fork_problem)


def fork_problem(names: list[str]) -> str | None:
    """What is wrong with `--fork` names: forks pyeth does not run, by their exact names."""
    return unknown_forks_message(names, FORKS.__contains__, list(FORKS))

"""`pyeth blocktest PATH...`: run BlockchainTests fixtures, like geth's `evm blocktest`.

Each test builds a chain from the fixture's genesis, imports every block's `rlp` (blocks marked
`expectException` must be rejected), then checks the head against `lastblockhash` and the head's
state against the expected post state. For people: a progress line and per-folder and
per-network summaries. With `--json`: one JSON array of
`{"name", "fork", "pass", "lastblockhash", "error"}` objects on stdout. Exit status 0 only when
every test passed and at least one ran (an unknown `--fork` is refused with the list of the
networks pyeth runs). Files run in parallel worker processes (`--workers`). `--fork` (repeatable)
selects networks; by default every network the files have that pyeth runs, the others are listed
as skipped.
"""

import argparse

from pyeth.cli.fixtures import add_common_arguments, run_command, unknown_forks_message
from pyeth.fixtures.blocktests import LAST_BLOCK_HASH, RUNNABLE_FORKS, is_runnable, run_file
from pyeth.fixtures.results import CaseResult


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "blocktest",
        help="run BlockchainTests fixtures (files or folders)",
        description="Import blockchain-test fixtures and compare the head and its post state.",
    )
    add_common_arguments(
        parser,
        "run only this network's tests, a fork or a transition such as PragueToOsakaAtTime15k "
        "(repeatable; default: every network pyeth runs)",
    )
    parser.set_defaults(handler=handle)


def cannot_run(file_name: str, networks: str, error: str) -> CaseResult:
    """The failed result of a fixture file that cannot be read or is not a blockchain test."""
    return CaseResult(file_name, networks, False, "", error, LAST_BLOCK_HASH)


def handle(args: argparse.Namespace) -> int:
    return run_command(args, "blocktest", "tests", run_file, cannot_run, fork_problem)


def fork_problem(names: list[str]) -> str | None:
    """What is wrong with `--fork` names: networks pyeth does not run (a fork before Berlin, a
    misspelt name, a transition to an unknown fork)."""
    return unknown_forks_message(
        names, is_runnable, RUNNABLE_FORKS, "or a transition such as PragueToOsakaAtTime15k"
    )

"""What `pyeth statetest` and `pyeth blocktest` share: finding fixture files, running them in
worker processes, and reporting — a progress line and per-folder and per-fork summaries for
people, or one JSON array with `--json`. Exit status 0 only when every case passed, and at least
one ran: a run of nothing (a misspelt `--fork`, a `--run` that matches no test, files without
tests) is an error that says why, not "0/0 passed"."""

import argparse
import difflib
import json
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import partial
from pathlib import Path
from typing import Any

from pyeth.fixtures.results import CaseResult

# run_file(path, forks or None for all, name filter) -> (results, skipped cases by fork)
RunFile = Callable[[Path, list[str] | None, str | None], tuple[list[Any], Counter[str]]]
# failure(file name, forks text, error) -> a failed CaseResult for a file that cannot run
Failure = Callable[[str, str, str], Any]
FileResults = tuple[Path, list[Any], Counter[str]]


def add_common_arguments(parser: argparse.ArgumentParser, fork_help: str) -> None:
    """The arguments both fixture commands take."""
    parser.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="fixture file or folder"
    )
    parser.add_argument("--fork", action="append", metavar="NAME", help=fork_help)
    parser.add_argument("--run", metavar="TEXT", help="only tests whose name contains TEXT")
    parser.add_argument("--json", action="store_true", help="print a JSON array of results")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="parallel worker processes (default: CPU count)",
    )


def unknown_forks_message(
    names: Sequence[str], accepts: Callable[[str], bool], known: Sequence[str], also: str = ""
) -> str | None:
    """Why the `--fork` names that `accepts` refuses cannot run, naming the forks pyeth runs
    (`also`: other forms it takes) and the nearest known name; None when all are accepted."""
    unknown = [name for name in names if not accepts(name)]
    if not unknown:
        return None
    guesses = []
    for name in unknown:
        by_case = [fork for fork in known if fork.lower() == name.lower()]
        close = by_case or difflib.get_close_matches(name, known, n=1)
        if close:
            guesses.append(f"{name} -> {close[0]}")
    hint = f" (did you mean: {', '.join(guesses)})" if guesses else ""
    return (
        f"unknown --fork {', '.join(unknown)}{hint}; pyeth runs {', '.join(known)}"
        + (f", {also}" if also else "")
        + " (the names are case-sensitive)"
    )


def nothing_ran_message(
    paths: Sequence[Path], files: int, skipped: Counter[str], args: argparse.Namespace
) -> str:
    """Why a run produced no result at all, from what it was given and what it skipped."""
    if not files:
        return f"no .json fixture files in {', '.join(map(str, paths))}"
    if skipped:
        forks = ", ".join(sorted(skipped))
        return f"no case ran: every one selected is on a fork pyeth does not run ({forks})"
    selection = []
    if args.run:
        selection.append(f"whose name contains {args.run!r}")
    if args.fork:
        selection.append(f"on {' or '.join(args.fork)}")
    where = "the file holds" if files == 1 else f"the {files} files hold"
    if selection:
        return f"no case ran: {where} no test {' and '.join(selection)}"
    return f"no case ran: {where} no tests"


def fixture_files(paths: list[Path]) -> list[Path]:
    """Every .json file under the given files and folders, in a stable order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.rglob("*.json")))
        elif path.exists():
            files.append(path)
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    return files


def _run_one(
    run_file: RunFile, failure: Failure, job: tuple[Path, list[str] | None, str | None]
) -> FileResults:
    path, forks, name_filter = job
    try:
        return (path, *run_file(path, forks, name_filter))
    except (OSError, ValueError, KeyError, TypeError) as exc:  # unreadable or malformed file
        return path, [failure(path.name, ",".join(forks or ["*"]), f"cannot run: {exc}")], Counter()


def run_files(
    run_file: RunFile,
    failure: Failure,
    files: list[Path],
    forks: list[str] | None,
    name_filter: str | None,
    workers: int,
) -> Iterator[FileResults]:
    """Results per file in the order they finish (in parallel when workers > 1)."""
    run_one = partial(_run_one, run_file, failure)
    jobs = [(path, forks, name_filter) for path in files]
    if workers <= 1 or len(files) == 1:
        yield from map(run_one, jobs)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run_one, job) for job in jobs]
        for future in as_completed(futures):
            yield future.result()


def run_command(
    args: argparse.Namespace,
    command: str,
    unit: str,
    run_file: RunFile,
    failure: Failure,
    fork_problem: Callable[[list[str]], str | None],
) -> int:
    """Run the fixtures `args` names and report; `unit` is what one result is called,
    `fork_problem` says what is wrong with `--fork` names (None: nothing)."""
    problem = fork_problem(args.fork or [])
    if problem:
        print(f"pyeth {command}: {problem}", file=sys.stderr)
        return 2
    try:
        files = fixture_files(args.paths)
    except FileNotFoundError as exc:
        print(f"pyeth {command}: {exc}", file=sys.stderr)
        return 2
    results: list[CaseResult] = []
    skipped: Counter[str] = Counter()
    per_folder: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    started = time.monotonic()
    show_progress = sys.stderr.isatty() or not args.json
    batches = run_files(run_file, failure, files, args.fork, args.run, args.workers)
    for done, (path, file_results, file_skipped) in enumerate(batches, 1):
        results.extend(file_results)
        skipped.update(file_skipped)
        tally = per_folder[str(path.parent)]
        tally[0] += sum(r.passed for r in file_results)
        tally[1] += len(file_results)
        if not args.json:
            for result in file_results:
                if not result.passed:
                    print(f"\nFAIL {path}: {result.name}: {result.error}", file=sys.stderr)
        if show_progress:
            passed = sum(r.passed for r in results)
            print(
                f"\r[{done}/{len(files)} files] {passed}/{len(results)} {unit} passed "
                f"({time.monotonic() - started:.0f}s)",
                end="",
                file=sys.stderr,
                flush=True,
            )
    if show_progress:
        print(file=sys.stderr)
    if args.json:
        json.dump([r.to_json() for r in results], sys.stdout, indent=1)
        print()
    if not results:
        message = nothing_ran_message(args.paths, len(files), skipped, args)
        print(f"pyeth {command}: {message}", file=sys.stderr)
        return 1
    if not args.json:
        for folder, (passed, total) in sorted(per_folder.items()):
            if total:
                print(f"{passed:6d}/{total:<6d} {folder}")
        for fork, total in sorted(Counter(r.fork for r in results).items()):
            passed = sum(r.passed for r in results if r.fork == fork)
            print(f"{passed:6d}/{total:<6d} {fork}")
        passed = sum(r.passed for r in results)
        print(f"{passed}/{len(results)} passed in {time.monotonic() - started:.1f}s")
    if skipped:
        forks = ", ".join(f"{fork} ({count})" for fork, count in sorted(skipped.items()))
        print(f"skipped, fork or network not run by pyeth: {forks}", file=sys.stderr)
    return 0 if all(r.passed for r in results) else 1

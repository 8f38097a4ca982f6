"""`pyeth blocktest PATH...`: run BlockchainTests fixtures, like geth's `evm blocktest`.

Each test builds a chain from the fixture's genesis, imports every block's `rlp` (blocks marked
`expectException` must be rejected), then checks the head against `lastblockhash` and the head's
state against the expected post state. For people: a progress line and a per-folder summary on
stderr. With `--json`: one JSON array of `{"name", "fork", "pass", "lastblockhash", "error"}`
objects on stdout. Exit status 0 only when every test passed. Files run in parallel worker
processes (`--workers`). `--fork` (repeatable) selects networks; by default every network the
files have that pyeth runs, the others are listed as skipped.
"""

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from pyeth.cli.statetest import fixture_files
from pyeth.testing.blocktests import CaseResult, run_file


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "blocktest",
        help="run BlockchainTests fixtures (files or folders)",
        description="Import blockchain-test fixtures and compare the head and its post state.",
    )
    parser.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="fixture file or folder"
    )
    parser.add_argument(
        "--fork",
        action="append",
        metavar="NETWORK",
        help="run only this network's tests, a fork or a transition such as "
        "PragueToOsakaAtTime15k (repeatable; default: every network pyeth runs)",
    )
    parser.add_argument("--run", metavar="TEXT", help="only tests whose name contains TEXT")
    parser.add_argument("--json", action="store_true", help="print a JSON array of results")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="parallel worker processes (default: CPU count)",
    )
    parser.set_defaults(handler=handle)


FileResults = tuple[Path, list[CaseResult], Counter[str]]


def _run_one(job: tuple[Path, list[str] | None, str | None]) -> FileResults:
    path, networks, name_filter = job
    try:
        return (path, *run_file(path, networks, name_filter))
    except (OSError, ValueError, KeyError, TypeError) as exc:  # unreadable or malformed file
        where = ",".join(networks or ["*"])
        failure = CaseResult(path.name, where, False, "", f"cannot run fixture: {exc}")
        return path, [failure], Counter()


def run_files(
    files: list[Path], networks: list[str] | None, name_filter: str | None, workers: int
) -> Iterator[FileResults]:
    """Results per file in the order they finish (in parallel when workers > 1)."""
    jobs = [(path, networks, name_filter) for path in files]
    if workers <= 1 or len(files) == 1:
        yield from map(_run_one, jobs)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_run_one, job) for job in jobs]
        for future in as_completed(futures):
            yield future.result()


def handle(args: argparse.Namespace) -> int:
    try:
        files = fixture_files(args.paths)
    except FileNotFoundError as exc:
        print(f"pyeth blocktest: {exc}", file=sys.stderr)
        return 2
    results: list[CaseResult] = []
    skipped: Counter[str] = Counter()
    per_folder: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    started = time.monotonic()
    show_progress = sys.stderr.isatty() or not args.json
    for done, (path, file_results, file_skipped) in enumerate(
        run_files(files, args.fork, args.run, args.workers), 1
    ):
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
                f"\r[{done}/{len(files)} files] {passed}/{len(results)} tests passed "
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
    else:
        for folder, (passed, total) in sorted(per_folder.items()):
            if total:
                print(f"{passed:6d}/{total:<6d} {folder}")
        by_network = Counter(r.fork for r in results)
        for network, total in sorted(by_network.items()):
            passed = sum(r.passed for r in results if r.fork == network)
            print(f"{passed:6d}/{total:<6d} {network}")
        passed = sum(r.passed for r in results)
        elapsed = time.monotonic() - started
        print(f"{passed}/{len(results)} passed in {elapsed:.1f}s")
    if skipped:
        networks = ", ".join(f"{name} ({count})" for name, count in sorted(skipped.items()))
        print(f"skipped, network not run by pyeth: {networks}", file=sys.stderr)
    return 0 if all(r.passed for r in results) else 1

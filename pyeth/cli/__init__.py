"""The `pyeth` command line: one subcommand module each, wired here with argparse."""

import argparse
import sys
from collections.abc import Sequence

from pyeth import __version__


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser; each subcommand module adds its own arguments."""
    from pyeth.cli import blocktest, devnet, node, run, statetest

    parser = argparse.ArgumentParser(
        prog="pyeth",
        description="pyeth: an Ethereum-style node in Python around its own EVM interpreter.",
    )
    parser.add_argument("--version", action="version", version=f"pyeth {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (node, devnet, statetest, blocktest, run):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `pyeth` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())

"""`pyeth statetest`: not built yet; it says so and points at what exists."""

import argparse
import sys


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser("statetest", help="(statetest: coming in a later release)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    print(
        "pyeth statetest is not built yet. Available now: pyeth statetest, pyeth run "
        "(see pyeth --help).",
        file=sys.stderr,
    )
    return 2

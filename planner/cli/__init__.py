"""The command line: ``python -m planner COMMAND ...``.

Every command prints its result on stdout. On any error it prints one message on stderr
that says what is wrong and exits with status 2; it never prints a traceback. JSON output
is the contract scripts and business cases rely on: keys are only ever added.

Each group of commands lives in its own module of this package, with a
``register_commands(commands)`` function. :data:`COMMANDS` says which module holds which
command, so a run imports only its own module: ``evaluate`` never loads the charts, the
billing engine or the instance-mix solver (a test keeps the table and the modules in step).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn, TextIO

from planner.core.errors import PlannerInputError

EXIT_USAGE = 2

# Which module of this package defines each command.
COMMANDS: dict[str, str] = {
    "evaluate": "system",
    "commitments": "system",
    "link": "links",
    "show-link": "links",
    "size": "training",
    "checkpoint": "training",
    "train": "training",
    "attribute": "finops",
    "recover": "finops",
    "tco": "whatif",
    "compare": "whatif",
    "report": "whatif",
    "sensitivity": "whatif",
    "serve": "serving",
    "mix": "serving",
    "model": "models",
    "plan": "planning",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"error: {message}\n")


Command = Callable[[argparse.Namespace, TextIO], int]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: every command, or only the group that defines ``command``."""
    parser = _Parser(prog="python -m planner", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    groups = [COMMANDS[command]] if command in COMMANDS else dict.fromkeys(COMMANDS.values())
    for group in groups:
        importlib.import_module(f"planner.cli.{group}").register_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run one command and return its exit status."""
    out = out or sys.stdout
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    run: Command = args.run
    try:
        return run(args, out)
    except PlannerInputError as error:
        sys.stderr.write(f"error: {error}\n")
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader (e.g. `| head`) has gone; there is no one left to tell.
        return 0

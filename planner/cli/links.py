"""``link`` and ``show-link``: a scenario file as a share link, and a link as YAML."""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from planner.cli.common import read_scenario
from planner.core.errors import PlannerInputError
from planner.io.share import DEFAULT_BASE_URL, decode, link
from planner.scenario import dump_scenario_yaml


def _link(args: argparse.Namespace, out: TextIO) -> int:
    scenario = read_scenario(args.file)
    out.write(f"Share link for {scenario.title}:\n{link(scenario, args.base_url)}\n")
    return 0


def _show_link(args: argparse.Namespace, out: TextIO) -> int:
    decoded = decode(args.link)
    if decoded.scenario is None:
        raise PlannerInputError(decoded.problem or "This link holds no scenario")
    for note in decoded.notes:
        sys.stderr.write(f"note: {note}\n")
    out.write(dump_scenario_yaml(decoded.scenario))
    return 0


def register_commands(commands: Any) -> None:
    """Add ``link`` and ``show-link`` to the CLI's sub-command parsers."""
    link_cmd = commands.add_parser("link", help="print a share link for a scenario")
    link_cmd.add_argument("file", help="scenario YAML file")
    link_cmd.add_argument("--base-url", default=DEFAULT_BASE_URL, help="the app's address")
    link_cmd.set_defaults(run=_link)

    show_cmd = commands.add_parser("show-link", help="print the scenario in a link as YAML")
    show_cmd.add_argument("link", help="a share link or its token")
    show_cmd.set_defaults(run=_show_link)

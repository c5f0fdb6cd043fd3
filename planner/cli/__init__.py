"""The command line: ``python -m planner COMMAND ...``.

Every command prints its result on stdout. On any error it prints one message on stderr
that says what is wrong and exits with status 2; it never prints a traceback. JSON output
is the contract scripts and business cases rely on: keys are only ever added.

Each capability registers its own sub-commands from its own module (``planner/cli_*.py``,
with a ``register_commands(commands)`` function) through one call in :func:`build_parser`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TextIO

from planner.cli import finops as cli_finops
from planner.cli import models as cli_models
from planner.cli import serving as cli_serving
from planner.cli import training as cli_training
from planner.cli import whatif as cli_whatif
from planner.cli.common import read_scenario
from planner.core.errors import PlannerInputError
from planner.core.formatting import usd
from planner.costing.economics import UnitEconomics, evaluate
from planner.io.share import DEFAULT_BASE_URL, decode, link
from planner.scenario import Scenario, dump_scenario_yaml
from planner.views.checks import check_scenario

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"error: {message}\n")


def economics_json(scenario: Scenario, economics: UnitEconomics) -> dict[str, Any]:
    """The ``evaluate --json`` document."""
    return {
        "scenario": scenario.title,
        "monthly_cost_usd": economics.monthly_cost_usd,
        "breakdown_usd": {str(k): v for k, v in economics.breakdown().items()},
        "unit_costs": {
            "per_request_usd": economics.per_request_usd,
            "per_1k_requests_usd": economics.per_1k_requests_usd,
            "per_user_usd": economics.per_user_usd,
            "per_training_run_usd": economics.per_training_run_usd,
        },
        "requests_per_month": economics.requests_per_month,
        "revenue_usd_per_month": economics.revenue_usd_per_month,
        "gross_margin": economics.gross_margin,
        "lines": [
            {
                "category": str(line.category),
                "item": line.item,
                "usd_per_month": line.usd_per_month,
                "basis": line.basis,
            }
            for line in economics.lines
        ],
        "checks": [
            {
                "code": c.code,
                "severity": str(c.severity),
                "subject": c.subject,
                "message": c.message,
            }
            for c in check_scenario(scenario, economics)
        ],
    }


def _print_evaluation(scenario: Scenario, economics: UnitEconomics, out: TextIO) -> None:
    out.write(f"{scenario.title}\n\n")
    width = max([len(line.item) for line in economics.lines] + [20])
    out.write(f"{'category':<14} {'item':<{width}} {'USD/month':>14}\n")
    for line in economics.lines:
        out.write(f"{line.category:<14} {line.item:<{width}} {usd(line.usd_per_month):>14}\n")
    out.write(f"{'total':<14} {'':<{width}} {usd(economics.monthly_cost_usd):>14}\n\n")
    unit_rows = [
        ("per request", economics.per_request_usd),
        ("per 1K requests", economics.per_1k_requests_usd),
        ("per user per month", economics.per_user_usd),
        ("per training run", economics.per_training_run_usd),
    ]
    for label, value in unit_rows:
        out.write(f"{label:<20} {usd(value):>14}\n")
    if economics.gross_margin is not None:
        out.write(f"{'gross margin':<20} {economics.gross_margin:>14.1%}\n")
    checks = check_scenario(scenario, economics)
    if checks:
        out.write("\nAssumption checks:\n")
        for check in checks:
            out.write(f"- [{check.severity}] {check.subject}: {check.message}\n")


def _evaluate(args: argparse.Namespace, out: TextIO) -> int:
    scenario = read_scenario(args.file)
    economics = evaluate(scenario)
    if args.json:
        json.dump(economics_json(scenario, economics), out, indent=2)
        out.write("\n")
    else:
        _print_evaluation(scenario, economics, out)
    return 0


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


Command = Callable[[argparse.Namespace, TextIO], int]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, one sub-command per capability."""
    parser = _Parser(prog="python -m planner", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    evaluate_cmd = commands.add_parser("evaluate", help="monthly cost and unit costs")
    evaluate_cmd.add_argument("file", help="scenario YAML file")
    evaluate_cmd.add_argument("--json", action="store_true", help="print JSON")
    evaluate_cmd.set_defaults(run=_evaluate)

    link_cmd = commands.add_parser("link", help="print a share link for a scenario")
    link_cmd.add_argument("file", help="scenario YAML file")
    link_cmd.add_argument("--base-url", default=DEFAULT_BASE_URL, help="the app's address")
    link_cmd.set_defaults(run=_link)

    show_cmd = commands.add_parser("show-link", help="print the scenario in a link as YAML")
    show_cmd.add_argument("link", help="a share link or its token")
    show_cmd.set_defaults(run=_show_link)

    cli_training.register_commands(commands)
    cli_finops.register_commands(commands)
    cli_whatif.register_commands(commands)
    cli_serving.register_commands(commands)
    cli_models.register_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run one command and return its exit status."""
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    run: Command = args.run
    try:
        return run(args, out)
    except PlannerInputError as error:
        sys.stderr.write(f"error: {error}\n")
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader (e.g. `| head`) has gone; there is no one left to tell.
        return 0

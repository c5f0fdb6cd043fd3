"""``evaluate``: the whole system's monthly cost, unit costs and assumption checks;
``commitments``: the commitment portfolio it buys."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from planner.cli.common import read_scenario
from planner.core.errors import PlannerInputError
from planner.core.formatting import usd
from planner.costing.economics import UnitEconomics, evaluate
from planner.scenario import Scenario
from planner.views.checks import check_scenario


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


def _commitments(args: argparse.Namespace, out: TextIO) -> int:
    scenario = read_scenario(args.file)
    economics = evaluate(scenario)
    plan = economics.commitments
    if plan is None:
        raise PlannerInputError(
            f"{args.file} has no commitments section, so the system buys no portfolio",
            fix=(
                "add `commitments: {}` to plan reservations and savings plans for every "
                "endpoint and job (python -m planner mix FILE shows an endpoint's own)"
            ),
        )
    if args.json:
        summary = plan.summary()
        summary["first_year_saving_usd_per_month"] = plan.first_year_saving_usd_per_month
        summary["monthly_cost_usd"] = economics.monthly_cost_usd
        json.dump(summary, out, indent=2)
        out.write("\n")
        return 0
    out.write(f"{scenario.title}: commitments over their {plan.years}-year term\n\n")
    out.writelines(f"- {line}\n" for line in plan.lines())
    out.write(
        f"\nSaves {usd(plan.first_year_saving_usd_per_month)}/month over the first year; "
        f"the system costs {usd(economics.monthly_cost_usd)}/month with it.\n"
    )
    return 0


def register_commands(commands: Any) -> None:
    """Add ``evaluate`` and ``commitments`` to the CLI's sub-command parsers."""
    evaluate_cmd = commands.add_parser("evaluate", help="monthly cost and unit costs")
    evaluate_cmd.add_argument("file", help="scenario YAML file")
    evaluate_cmd.add_argument("--json", action="store_true", help="print JSON")
    evaluate_cmd.set_defaults(run=_evaluate)
    portfolio = commands.add_parser(
        "commitments",
        help="the reservations and savings plans the whole system buys, over their term",
        description=(
            "JSON keys: status, message, term_years, paths, commitments (a list of {kind, "
            "pool, start_year, term_months, count or usd_per_hour, obligation_usd, "
            "break_even_utilisation, utilisation}), obligation_usd, obligation_months, "
            "planned_renewals_usd, expected_cost_usd, on_demand_only_cost_usd, "
            "cost_p10_p50_p90_usd, stranded_share, if_demand_falls, notes, "
            "first_year_saving_usd_per_month, monthly_cost_usd."
        ),
    )
    portfolio.add_argument("file", help="scenario YAML file with a commitments section")
    portfolio.add_argument("--json", action="store_true", help="print JSON")
    portfolio.set_defaults(run=_commitments)

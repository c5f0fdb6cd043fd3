"""Serving commands: ``serve`` and ``mix``.

``serve`` prices a scenario's serving plan against its baseline and splits the saving among
the levers; ``mix`` buys the plan's capacity as reserved (1 y / 3 y), on-demand and spot at
the lowest cost. A plan whose ``traffic.demand_csv`` names a CSV reads it relative to the
scenario file. With ``--json`` each prints one JSON object; keys are only ever added.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any, TextIO

from planner.catalog import load_catalog
from planner.demand_io import resolve_demand_csv
from planner.errors import PlannerInputError
from planner.fleet import MixPlan, optimize_mix, plan_summary
from planner.formatting import usd
from planner.io import read_scenario
from planner.scenario import Scenario
from planner.serving import (
    ServingResult,
    evaluate_serving,
    mix_problem,
    serve_summary,
    stated_notes,
)


def _load(path: str) -> tuple[Scenario, tuple[float, ...] | None]:
    scenario = read_scenario(path)
    plan = scenario.serving_plan
    if plan is None:
        raise PlannerInputError(
            f"{path} has no serving_plan section",
            fix="add one (see scenarios/inference_8c_to_2c.yaml)",
        )
    csv = resolve_demand_csv(plan.traffic.demand_csv, path)
    return scenario, (csv.values if csv is not None else None)


def _json_safe(value: Any) -> Any:
    """Plain JSON: NaN and infinities become null, numpy numbers plain numbers."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _print_serve(result: ServingResult, out: TextIO) -> None:
    base, plan = result.baseline, result.optimised
    out.write(f"{result.plan.name}: {result.demand.source}\n\n")
    width = 28
    out.write(f"{'':<{width}} {'baseline':>14} {'plan':>14}\n")
    for label, a, b in (
        ("monthly cost", base.monthly_cost_usd, plan.monthly_cost_usd),
        ("per request", base.per_request_usd, plan.per_request_usd),
        ("per 1K requests", base.per_1k_requests_usd, plan.per_1k_requests_usd),
        ("per 1M tokens", base.per_1m_tokens_usd, plan.per_1m_tokens_usd),
    ):
        out.write(f"{label:<{width}} {usd(a):>14} {usd(b):>14}\n")
    out.write(
        f"{'peak instances':<{width}} {int(base.instances.max(initial=0)):>14} "
        f"{int(plan.instances.max(initial=0)):>14}\n"
    )
    out.write(f"\nbaseline: {base.config.describe()}\n  {base.throughput.basis}\n")
    out.write(f"plan:     {plan.config.describe()}\n  {plan.throughput.basis}\n\n")
    out.write("Savings by lever (Shapley: they add up to the total, in any order)\n")
    for item in result.levers:
        out.write(
            f"  {item.lever.label:<28} {usd(item.saving_usd_per_month):>12}/month  "
            f"(alone {usd(item.solo_saving_usd_per_month)}; {item.baseline_value} -> "
            f"{item.plan_value})\n"
        )
    out.write(f"  {'total':<28} {usd(result.total_saving_usd_per_month):>12}/month\n")
    for note in result.notes:
        out.write(f"\nNote: {note}\n")


def _serve(args: argparse.Namespace, out: TextIO) -> int:
    scenario, demand = _load(args.file)
    result = evaluate_serving(scenario, load_catalog(), csv_demand=demand)
    checks = stated_notes(scenario, result)
    if args.json:
        summary = serve_summary(result)
        summary["checks"] = list(checks)
        json.dump(_json_safe(summary), out, indent=2)
        out.write("\n")
    else:
        _print_serve(result, out)
        for check in checks:
            out.write(f"\nPublished figure: {check}\n")
    return 0


def _print_mix(plan: MixPlan, skipped: tuple[str, ...], out: TextIO) -> None:
    out.write(f"status {plan.status}: {plan.message}\n")
    out.write(
        f"total {usd(plan.total_cost_usd)} over {plan.hours:,} h; lower bound "
        f"{usd(plan.lower_bound_usd)} (LP {usd(plan.lp_bound_usd)}); gap {plan.gap:.3%}; "
        f"{plan.solve_seconds:.2f} s\n\n"
    )
    out.write("cost by tier\n")
    for tier, cost in plan.cost_by_tier_usd.items():
        out.write(f"  {tier.label:<14} {usd(cost):>14}\n")
    if plan.commitment_utilisation is not None:
        out.write(
            f"commitments: {plan.commitment_utilisation:.1%} used, cover "
            f"{plan.commitment_coverage or 0:.1%} of required capacity\n"
        )
    out.write("\nby instance type\n")
    frame = plan.by_type_frame()
    frame = frame[(frame["cost_usd"] > 0)]
    out.write(frame.to_string(index=False) + "\n")
    if skipped:
        out.write("\nleft out (cannot serve the model):\n")
        for reason in skipped:
            out.write(f"  - {reason}\n")


def _mix(args: argparse.Namespace, out: TextIO) -> int:
    scenario, demand = _load(args.file)
    problem, skipped = mix_problem(scenario, load_catalog(), csv_demand=demand)
    plan = optimize_mix(problem)
    if args.json:
        summary = plan_summary(plan)
        summary["candidates"] = [option.name for option in problem.options]
        summary["left_out"] = list(skipped)
        json.dump(_json_safe(summary), out, indent=2)
        out.write("\n")
    else:
        _print_mix(plan, skipped, out)
    return 0


def register_commands(commands: Any) -> None:
    """Add ``serve`` and ``mix`` to the CLI's sub-command parsers."""
    serve = commands.add_parser(
        "serve",
        help="serving plan: cost per request and the savings of each lever",
        description=(
            "JSON keys: monthly_cost_usd, per_request_usd, per_1k_requests_usd, "
            "per_1m_tokens_usd, levers (a list of {name, saving_usd_per_month}), baseline, "
            "plan, interactions, notes."
        ),
    )
    serve.add_argument("file", help="scenario YAML file with a serving_plan section")
    serve.add_argument("--json", action="store_true", help="print JSON")
    serve.set_defaults(run=_serve)

    mix = commands.add_parser(
        "mix",
        help="reserved / on-demand / spot mix that covers the plan's demand at least cost",
        description=(
            "JSON keys: status (optimal, feasible or infeasible), total_cost_usd (over the "
            "horizon), lower_bound_usd, gap, solve_seconds, reserved (type -> count), hourly "
            "(a list of {hour, demand, reserved_1y, reserved_3y, on_demand, spot}), "
            "cost_by_tier_usd, commitment_utilisation, commitment_coverage, min_budget_usd, "
            "served_fraction."
        ),
    )
    mix.add_argument("file", help="scenario YAML file with a serving_plan section")
    mix.add_argument("--json", action="store_true", help="print JSON")
    mix.set_defaults(run=_mix)

"""``plan``: the best model to train and serve, and the commitments to buy, for a budget."""

from __future__ import annotations

import argparse
import json
import math
import re
from typing import Any, TextIO

from planner.catalog import CommitmentKind, PriceTier, ScalingLaw
from planner.cli.common import read_scenario
from planner.core.errors import PlannerInputError
from planner.core.formatting import usd
from planner.planning import PlanResult, plan_to_budget
from planner.scenario import scenario_from_mapping
from planner.scenario.planning import BudgetPlan
from planner.scenario.training import RunPricing

_FLEXIBLE = ("on_demand", "spot")
_TIERS = (*_FLEXIBLE, *(str(kind) for kind in CommitmentKind))
# The request's fields as flags, for messages about what the user typed.
_FLAG_OF_FIELD = {
    "budget_usd_per_month": "--budget-usd-per-month",
    "target_loss": "--target-loss",
    "requests_per_month": "--requests-per-month",
    "input_tokens": "--input-tokens",
    "output_tokens": "--output-tokens",
    "growth_per_year": "--growth-per-year",
    "growth_uncertainty_per_year": "--growth-uncertainty",
    "retrains_per_year": "--retrains-per-year",
    "gpus": "--gpus",
    "ttft_target_ms": "--ttft-ms",
    "tpot_target_ms": "--tpot-ms",
    "stranded_limit": "--stranded-limit",
    "peak_to_average": "--peak-to-average",
}


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def flag_request(args: argparse.Namespace) -> BudgetPlan:
    """The request ``plan``'s flags describe, checked as a scenario's ``budget_plan`` is.

    Raises
    ------
    PlannerInputError
        A missing or bad flag, naming it.
    """
    if args.requests_per_month is None:
        raise PlannerInputError(
            "plan without a scenario file needs --requests-per-month",
            fix="give the traffic, e.g. --requests-per-month 2e6 --input-tokens 1200 "
            "--output-tokens 300, or give a scenario FILE with a budget_plan section",
        )
    fields: dict[str, Any] = {}
    for field in _FLAG_OF_FIELD:
        value = getattr(args, field)
        if field == "gpus":
            value = _split(value)
        if value is not None:
            fields[field] = value
    tiers = _split(args.tiers)
    if tiers is not None:
        unknown = [tier for tier in tiers if tier not in _TIERS]
        if unknown:
            raise PlannerInputError(
                f"--tiers has {unknown[0]!r}", fix=f"use some of {', '.join(_TIERS)}"
            )
        flexible = [tier for tier in tiers if tier in _FLEXIBLE]
        if "on_demand" not in flexible:
            raise PlannerInputError(
                "--tiers needs on_demand: spot alone leaves nothing when it is reclaimed",
                fix="add on_demand to --tiers",
            )
        fields["training_tiers"] = [str(RunPricing(tier)) for tier in flexible]
        fields["serving_tiers"] = [str(PriceTier(tier)) for tier in flexible]
        fields["commitments"] = [tier for tier in tiers if tier not in _FLEXIBLE]
    fields["law"] = args.law
    try:
        scenario = scenario_from_mapping({"budget_plan": fields})
    except PlannerInputError as error:
        # The schema names the section's fields; the user typed flags, so name those.
        match = re.match(r"Invalid scenario: budget_plan\.(\w+)(?:\[\d+\])? (.*)", str(error))
        if match is None or match[1] not in _FLAG_OF_FIELD:
            raise
        raise PlannerInputError(f"{_FLAG_OF_FIELD[match[1]]} {match[2]}") from None
    request = scenario.budget_plan
    if request is None:  # pragma: no cover - the mapping above always holds one
        raise AssertionError("budget_plan not parsed")
    return request


def _print_plan(result: PlanResult, out: TextIO) -> None:
    data = result.summary()
    out.write(f"{result.message}\n\nstatus {data['status']}\n")
    if result.min_budget_usd is not None:
        out.write(f"smallest budget that works: {usd(result.min_budget_usd)}/month\n")
    out.write(
        f"model: {result.params / 1e9:.3g}B parameters, {result.tokens / 1e9:,.0f}B tokens, "
        f"predicted loss {result.loss:.4f}\n"
    )
    training = data["training"]
    out.write(
        f"training: {training['instances']} × {training['instance_type']} "
        f"({training['gpus']} GPUs), {training['pricing']}, "
        f"{training['wall_clock_hours']:,.0f} h a run, {usd(training['cost_per_run_usd'])} a run, "
        f"{usd(training['usd_per_month'])}/month\n"
    )
    serving = data["serving"]
    out.write(
        f"serving: {', '.join(serving['instance_types'])} at {serving['precision']}, "
        f"peak {serving['peak_instances']} instance(s), {usd(serving['usd_per_month'])}/month\n"
    )
    portfolio = result.economics.commitments
    if portfolio is not None:
        out.write("commitments:\n")
        out.writelines(f"  {line}\n" for line in portfolio.lines())
    out.write(f"total: {usd(result.monthly_cost_usd)}/month\n")
    out.writelines(f"note: {note}\n" for note in result.notes)


def _plan(args: argparse.Namespace, out: TextIO) -> int:
    if args.file is not None:
        scenario = read_scenario(args.file)
        if scenario.budget_plan is None:
            raise PlannerInputError(
                f"{args.file} has no budget_plan section",
                fix="add one (see scenarios/chatbot_40k_budget.yaml), or use the flags",
            )
        request, pricing = scenario.budget_plan, scenario.pricing
    else:
        request, pricing = flag_request(args), None
    result = plan_to_budget(request, pricing)
    if args.json:
        json.dump(_json_safe(result.summary()), out, indent=2)
        out.write("\n")
    else:
        _print_plan(result, out)
    return 0


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value


def register_commands(commands: Any) -> None:
    """Add ``plan`` to the CLI's sub-command parsers."""
    plan = commands.add_parser(
        "plan",
        help="the best model to train and serve, and the commitments to buy, for a budget",
        description=(
            "JSON keys: status (optimal, feasible or infeasible), message, params, tokens, "
            "loss, monthly_cost_usd, budget_usd_per_month, gap, min_budget_usd (when "
            "infeasible), training {instance_type, instances, gpus, pricing, "
            "wall_clock_hours, cost_per_run_usd, runs_per_month, usd_per_month}, serving "
            "{instance_types, precision, peak_instances, usd_per_month, ttft_ms, tpot_ms, "
            "usd_per_1m_output_tokens}, commitments (a list of {kind, pool, start_year, "
            "term_months, count or usd_per_hour, obligation_usd, break_even_utilisation, "
            "utilisation}), commitment_saving_usd_per_month, notes."
        ),
    )
    plan.add_argument("file", nargs="?", help="scenario YAML file with a budget_plan section")
    goal = plan.add_mutually_exclusive_group()
    goal.add_argument("--budget-usd-per-month", type=float, help="the monthly budget")
    goal.add_argument("--target-loss", type=float, help="the predicted loss to reach")
    plan.add_argument("--requests-per-month", type=float, help="requests a month")
    plan.add_argument("--input-tokens", type=int, help="input tokens per request")
    plan.add_argument("--output-tokens", type=int, help="output tokens per request")
    plan.add_argument("--peak-to-average", type=float, help="peak hour over the mean")
    plan.add_argument("--growth-per-year", type=float, help="traffic growth, e.g. 0.5")
    plan.add_argument(
        "--growth-uncertainty",
        dest="growth_uncertainty_per_year",
        type=float,
        help="spread of yearly log growth, e.g. 0.3",
    )
    plan.add_argument("--retrains-per-year", type=float, help="models trained a year")
    plan.add_argument("--gpus", help="candidate GPUs, comma-separated (default: 10 common)")
    plan.add_argument("--tiers", help=f"allowed tiers, comma-separated: {', '.join(_TIERS)}")
    plan.add_argument(
        "--ttft-ms", dest="ttft_target_ms", type=float, help="time-to-first-token target [ms]"
    )
    plan.add_argument(
        "--tpot-ms", dest="tpot_target_ms", type=float, help="time-per-output-token target [ms]"
    )
    plan.add_argument(
        "--stranded-limit", type=float, help="90th-percentile stranded commitment, share of spend"
    )
    plan.add_argument(
        "--law", choices=[str(law) for law in ScalingLaw], default=str(ScalingLaw.EPOCH)
    )
    plan.add_argument("--json", action="store_true", help="print JSON")
    plan.set_defaults(run=_plan)

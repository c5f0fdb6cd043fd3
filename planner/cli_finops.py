"""FinOps commands: ``attribute`` (who owns a bill) and ``recover`` (how to get under budget).

``attribute BILLING --by TAGKEY [--shared even|proportional] [--json]`` prints, with
``--json``, exactly the keys ``total_usd`` (the chosen cost column summed over the usable
rows), ``allocations`` (tag value → USD), ``unallocated_usd``, ``rows_read``,
``rows_rejected`` and ``rejections`` (the first 20, each ``{line, reason}``). The allocations
plus ``unallocated_usd`` equal ``total_usd`` to the cent. Without ``--shared`` the rows
without the tag are unallocated; with it they are split among the tag's values.

``recover FILE.yaml [--json]`` plans the scenario's ``finops.recovery`` section and prints,
with ``--json``, exactly the keys ``target_usd`` (the target bill, USD per month),
``reached``, ``levers`` (each ``{name, saving_usd_per_month, week}``) and ``shortfall_usd``
(USD per month still above the target at the deadline; 0 when reached).
"""

from __future__ import annotations

import argparse
import json
import math
import re
from typing import Any, TextIO

from planner.attribution import (
    Attribution,
    AttributionRule,
    AttributionSettings,
    SharedRule,
    cents_text,
)
from planner.billing import Bill, CostView, bill_from_frame
from planner.billing_io import MAX_BILLING_BYTES, read_billing
from planner.cli_common import read_scenario
from planner.errors import PlannerInputError
from planner.finops import PoolSource, RecoveryResult, plan_recovery, recovery_pools
from planner.focus_sample import generate_focus
from planner.formatting import usd

MAX_REJECTIONS_SHOWN = 20
_TAG_KEY = re.compile(r'^[^"\\\x00-\x1f]{1,128}$')


def attribution_json(bill: Bill, result: Attribution) -> dict[str, Any]:
    """The ``attribute --json`` document: exactly the contract's keys."""
    return {
        "total_usd": result.total_cents / 100,
        "allocations": {a.owner: a.total_cents / 100 for a in result.allocations},
        "unallocated_usd": result.unallocated_cents / 100,
        "rows_read": bill.rows_read,
        "rows_rejected": bill.rows_rejected,
        "rejections": [
            {"line": r.line, "reason": r.reason} for r in bill.rejections[:MAX_REJECTIONS_SHOWN]
        ],
    }


def recovery_json(result: RecoveryResult) -> dict[str, Any]:
    """The ``recover --json`` document: exactly the contract's keys."""
    return {
        "target_usd": result.target_usd_per_month,
        "reached": result.reached,
        "levers": [
            {
                "name": chosen.name,
                "saving_usd_per_month": chosen.saving_usd_per_month,
                "week": chosen.week,
            }
            for chosen in result.levers
        ],
        "shortfall_usd": result.shortfall_usd_per_month,
    }


def _settings(args: argparse.Namespace) -> AttributionSettings:
    if not _TAG_KEY.match(args.by):
        raise PlannerInputError(
            f"--by {args.by!r} is not a tag key",
            fix="pass a key of the Tags column, e.g. --by team (no quotes or backslashes)",
        )
    shared = SharedRule(args.shared) if args.shared else SharedRule.NONE
    return AttributionSettings(
        rules=(AttributionRule(tag_key=args.by),),
        shared_values=(),
        shared_rule=shared,
        share_unused_commitment=shared is not SharedRule.NONE,
        cost_view=CostView(args.view),
    )


def megabytes(text: str) -> float:
    """The argparse type of ``--max-mb``: a positive, finite number (NaN and inf refused).

    >>> megabytes("2048")
    2048.0
    >>> megabytes("nan")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: 'nan' is not a positive number of megabytes; pass e.g. 2048
    """
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(
            f"{text[:30]!r} is not a positive number of megabytes; pass e.g. 2048"
        )
    return value


def _max_bytes(args: argparse.Namespace) -> int:
    return int(args.max_mb * 1024 * 1024)


def _attribute(args: argparse.Namespace, out: TextIO) -> int:
    from planner.attribution import attribute

    settings = _settings(args)
    bill = read_billing(args.billing, max_bytes=_max_bytes(args))
    result = attribute(bill, settings)
    if args.json:
        json.dump(attribution_json(bill, result), out, indent=2, ensure_ascii=False)
        out.write("\n")
        return 0
    _print_attribution(bill, result, args.by, out)
    return 0


def _print_attribution(bill: Bill, result: Attribution, by: str, out: TextIO) -> None:
    out.write(
        f"{bill.source}: {bill.rows_read:,} rows read, {bill.rows_rejected:,} rejected; "
        f"{result.settings.cost_view.label}\n\n"
    )
    width = max([len(a.owner) for a in result.allocations] + [len(by), 24])
    out.write(f"{by:<{width}} {'USD':>16}\n")
    for a in sorted(result.allocations, key=lambda a: -a.total_cents):
        out.write(f"{a.owner:<{width}} {cents_text(a.total_cents):>16}\n")
    out.write(f"{'(unallocated)':<{width}} {cents_text(result.unallocated_cents):>16}\n")
    out.write(f"{'total':<{width}} {cents_text(result.total_cents):>16}\n")
    coverage = result.coverage.ratio
    if coverage is not None:
        out.write(f"\nTag coverage: {coverage:.1%} of usage cost has a '{by}' tag.\n")
    if bill.rejections:
        out.write(f"\nRejected rows (first {min(len(bill.rejections), MAX_REJECTIONS_SHOWN)}):\n")
        for rejection in bill.rejections[:MAX_REJECTIONS_SHOWN]:
            out.write(f"- line {rejection.line}: {rejection.reason}\n")
    for note in bill.notes:
        out.write(f"Note: {note}\n")


def _recover(args: argparse.Namespace, out: TextIO) -> int:
    scenario = read_scenario(args.file)
    if scenario.finops is None:
        raise PlannerInputError(
            f"{args.file} has no finops section to plan from",
            fix="add one; scenarios/finops_3x_over_budget.yaml is an example",
        )
    plan = scenario.finops.recovery
    bill = None
    economics = None
    if args.billing:
        bill = read_billing(args.billing, max_bytes=_max_bytes(args))
        if plan.source is not PoolSource.BILL:
            from dataclasses import replace

            plan = replace(plan, source=PoolSource.BILL)
    elif plan.source is PoolSource.BILL:
        spec = scenario.finops.sample
        bill = bill_from_frame(generate_focus(spec), source=f"the sample bill (seed {spec.seed})")
    elif plan.source is PoolSource.MODEL:
        from planner.economics import evaluate

        economics = evaluate(scenario)
    result = plan_recovery(plan, recovery_pools(plan, bill=bill, economics=economics))
    if args.json:
        json.dump(recovery_json(result), out, indent=2)
        out.write("\n")
    else:
        _print_recovery(scenario.title, result, out)
    return 0


def _print_recovery(title: str, result: RecoveryResult, out: TextIO) -> None:
    out.write(f"{title}\n\n{result.message()}\n\n")
    if result.levers:
        out.write(f"{'week':>4}  {'lever':<40} {'USD/month':>12} {'effort':>7} {'risk':>5}\n")
        for chosen in result.levers:
            out.write(
                f"{chosen.week:>4}  {chosen.name:<40} {usd(chosen.saving_usd_per_month):>12} "
                f"{chosen.lever.effort_engineer_weeks:>6g}w {chosen.lever.risk:>5}\n"
            )
        out.write("\nBurn-down (monthly run-rate once that week's levers are live):\n")
        for week, value in result.burndown:
            out.write(f"  week {week:>2}: {usd(value):>12}\n")
    out.write("\nAssumptions:\n")
    for line in (*result.assumptions, *result.notes):
        out.write(f"- {line}\n")


def register_commands(commands: Any) -> None:
    """Add ``attribute`` and ``recover`` to the CLI's sub-command parsers."""
    attribute_cmd = commands.add_parser(
        "attribute",
        help="split a FOCUS bill by a tag: showback/chargeback totals that add up to the cent",
        description=(
            "JSON keys: total_usd, allocations (tag value -> USD), unallocated_usd, rows_read, "
            "rows_rejected, rejections (first 20, each with line and reason). Allocations plus "
            "unallocated_usd equal total_usd to the cent."
        ),
    )
    attribute_cmd.add_argument("billing", help="FOCUS export: .csv, .csv.gz or .parquet")
    attribute_cmd.add_argument("--by", required=True, help="the tag key that names owners")
    attribute_cmd.add_argument(
        "--shared",
        choices=[str(SharedRule.EVEN), str(SharedRule.PROPORTIONAL)],
        help="split untagged costs among the tag's values (default: leave them unallocated)",
    )
    attribute_cmd.add_argument(
        "--view",
        choices=[str(v) for v in CostView],
        default=str(CostView.AMORTIZED),
        help="amortized sums EffectiveCost (default); billed sums BilledCost",
    )
    attribute_cmd.add_argument(
        "--max-mb",
        type=megabytes,
        default=MAX_BILLING_BYTES / 1024 / 1024,
        help="refuse files larger than this (default 1024)",
    )
    attribute_cmd.add_argument("--json", action="store_true", help="print JSON")
    attribute_cmd.set_defaults(run=_attribute)

    recover_cmd = commands.add_parser(
        "recover",
        help="the levers that bring a bill under budget by a deadline, week by week",
        description=(
            "JSON keys: target_usd (USD per month), reached, levers (each with name, "
            "saving_usd_per_month and week), shortfall_usd (USD per month)."
        ),
    )
    recover_cmd.add_argument("file", help="scenario YAML file with a finops.recovery section")
    recover_cmd.add_argument(
        "--billing", help="take the pools from this FOCUS export instead of the scenario's source"
    )
    recover_cmd.add_argument(
        "--max-mb",
        type=megabytes,
        default=MAX_BILLING_BYTES / 1024 / 1024,
        help="refuse billing files larger than this (default 1024)",
    )
    recover_cmd.add_argument("--json", action="store_true", help="print JSON")
    recover_cmd.set_defaults(run=_recover)

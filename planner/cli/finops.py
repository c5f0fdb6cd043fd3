"""FinOps commands: ``attribute`` (who owns a bill) and ``recover`` (how to get under budget).

``attribute BILLING --by TAGKEY [--engine duckdb|spark] [--shared
none|even|proportional|weighted] [--weights VALUE=SHARE,...] [--invoices OUT.csv]
[--commitments FILE.csv] [--json]``, or ``attribute --connect URL --table NAME --by TAGKEY
...`` for a bill in a warehouse (:mod:`planner.io.engines`),
prints, with ``--json``, exactly the keys ``total_usd`` (the chosen cost column summed over
the usable rows), ``allocations`` (tag value → USD), ``unallocated_usd``, ``rows_read``,
``rows_rejected`` and ``rejections`` (the first 20, each ``{line, reason}``), and with
``--commitments`` also ``commitments`` (a FOCUS 1.3 Contract Commitment dataset's terms).
The allocations plus ``unallocated_usd`` equal ``total_usd`` to the cent. With ``--shared
none`` (the default) the rows without the tag, and unused commitment, are unallocated; the
other rules split them among the tag's values as the app's rules of the same name do
(``weighted`` is the app's "by fixed weights", with the shares from ``--weights``).
``--invoices`` writes the chargeback lines, one per owner and month
(:func:`planner.finops.attribution.monthly_invoices_csv`).

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
from pathlib import Path
from typing import Any, TextIO

from planner.cli.common import read_scenario
from planner.core.errors import PlannerInputError
from planner.core.formatting import usd
from planner.costing.economics import evaluate
from planner.finops.attribution import (
    Attribution,
    attribute,
    cents_text,
    monthly_invoices_csv,
    months,
)
from planner.finops.billing import Bill, ContractCommitments, bill_from_frame
from planner.finops.focus_sample import generate_focus
from planner.finops.recovery import RecoveryResult, plan_recovery, recovery_pools
from planner.io.billing import MAX_BILLING_BYTES, read_billing, read_contract_commitments
from planner.io.engines import ENGINES, on_spark, read_warehouse, spark_session
from planner.scenario.finops import (
    AttributionRule,
    AttributionSettings,
    CostView,
    FixedWeight,
    PoolSource,
    SharedRule,
)

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


def commitments_json(found: ContractCommitments) -> list[dict[str, Any]]:
    """``attribute --commitments``'s extra JSON key: each commitment's terms, amounts as
    exact decimal strings in their own currency."""
    return [
        {
            "id": c.commitment_id,
            "contract_id": c.contract_id,
            "category": c.category,
            "type": c.kind,
            "description": c.description,
            "period_start": c.period_start,
            "period_end": c.period_end,
            "cost": None if c.cost is None else str(c.cost),
            "currency": c.currency,
            "quantity": None if c.quantity is None else str(c.quantity),
            "unit": c.unit,
            "status": c.status,
        }
        for c in found.commitments
    ]


def _print_commitments(found: ContractCommitments, out: TextIO) -> None:
    out.write(f"\nContract commitments in {found.source} ({len(found.commitments)}):\n")
    for c in found.commitments:
        amount = f"{c.cost} {c.currency or ''}".strip() if c.cost is not None else "no cost"
        out.write(
            f"- {c.commitment_id}: {c.description or c.kind or ''}, {amount}, "
            f"{c.period_start or '?'} to {c.period_end or '?'}"
            f"{f', {c.status}' if c.status else ''}\n"
        )
    for rejection in found.rejections[:MAX_REJECTIONS_SHOWN]:
        out.write(f"- line {rejection.line} not read: {rejection.reason}\n")
    for note in found.notes:
        out.write(f"Note: {note}\n")


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


# The CLI's names for the app's split rules: "weighted" reads better on a command line than
# the enum's "fixed".
SHARED_CHOICES = {
    "none": SharedRule.NONE,
    "even": SharedRule.EVEN,
    "proportional": SharedRule.PROPORTIONAL,
    "weighted": SharedRule.FIXED,
}


def parse_weights(text: str) -> tuple[FixedWeight, ...]:
    """``--weights search=3,ads=1`` as fixed weights (they need not sum to 1).

    >>> parse_weights("search=3, ads=0.5")
    (FixedWeight(owner='search', weight=3.0), FixedWeight(owner='ads', weight=0.5))
    >>> parse_weights("search")
    Traceback (most recent call last):
    ...
    planner.core.errors.PlannerInputError: --weights: 'search' is not TEAM=SHARE. To fix: pass \
e.g. --weights search=3,ads=1 (shares are relative and need not sum to 1).
    """
    fix = "pass e.g. --weights search=3,ads=1 (shares are relative and need not sum to 1)"
    weights: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        owner, equals, share = part.rpartition("=")
        owner, share = owner.strip(), share.strip()
        if not equals or not owner:
            raise PlannerInputError(f"--weights: {part[:60]!r} is not TEAM=SHARE", fix=fix)
        try:
            value = float(share)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and 0 <= value <= 1e9):
            raise PlannerInputError(
                f"--weights: {share[:30]!r} is not a share for {owner[:60]!r}; a share is a "
                "number from 0 to 1e9",
                fix=fix,
            )
        if owner in weights:
            raise PlannerInputError(f"--weights: {owner[:60]!r} is given twice", fix=fix)
        weights[owner] = value
    if not weights:
        raise PlannerInputError("--weights is empty", fix=fix)
    return tuple(FixedWeight(owner=o, weight=w) for o, w in weights.items())


def _settings(args: argparse.Namespace) -> AttributionSettings:
    if not _TAG_KEY.match(args.by):
        raise PlannerInputError(
            f"--by {args.by!r} is not a tag key",
            fix="pass a key of the Tags column, e.g. --by team (no quotes or backslashes)",
        )
    shared = SHARED_CHOICES[args.shared]
    weights: tuple[FixedWeight, ...] = ()
    if shared is SharedRule.FIXED:
        if args.weights is None:
            raise PlannerInputError(
                "--shared weighted needs --weights", fix="add e.g. --weights search=3,ads=1"
            )
        weights = parse_weights(args.weights)
    elif args.weights is not None:
        raise PlannerInputError(
            f"--weights is only read with --shared weighted, not --shared {args.shared}",
            fix="add --shared weighted, or leave out --weights",
        )
    return AttributionSettings(
        rules=(AttributionRule(tag_key=args.by),),
        shared_values=(),
        shared_rule=shared,
        weights=weights,
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
    settings = _settings(args)
    if (args.billing is None) == (args.connect is None):
        raise PlannerInputError(
            "attribute needs a billing file or --connect URL --table NAME, not both",
            fix="pass e.g. bill.csv, or --connect duckdb:///bills.ddb --table focus",
        )
    if args.connect is not None:
        if args.table is None or args.engine != "duckdb":
            raise PlannerInputError(
                "--connect reads where the bill lives: it needs --table and no --engine",
                fix="pass --connect URL --table NAME",
            )
        return _report(args, read_warehouse(args.connect, args.table), settings, out)
    bill = read_billing(args.billing, max_bytes=_max_bytes(args))
    if args.engine == "spark":
        with spark_session() as session:
            return _report(args, on_spark(bill, session), settings, out)
    return _report(args, bill, settings, out)


def _report(
    args: argparse.Namespace, bill: Bill, settings: AttributionSettings, out: TextIO
) -> int:
    result = attribute(bill, settings)
    if args.invoices:
        text = monthly_invoices_csv(
            [(month, attribute(bill, settings, month=month)) for month in months(bill)]
        )
        try:
            Path(args.invoices).write_text(text, encoding="utf-8", newline="")
        except OSError as error:
            raise PlannerInputError(f"Cannot write {args.invoices}: {error.strerror}") from None
    commitments = read_contract_commitments(args.commitments) if args.commitments else None
    if args.json:
        document = attribution_json(bill, result)
        if commitments is not None:
            document["commitments"] = commitments_json(commitments)
        json.dump(document, out, indent=2, ensure_ascii=False)
        out.write("\n")
        return 0
    _print_attribution(bill, result, args.by, out)
    if commitments is not None:
        _print_commitments(commitments, out)
    if args.invoices:
        out.write(f"\nChargeback lines, one per {args.by} and month, written to {args.invoices}\n")
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
    attribute_cmd.add_argument("billing", nargs="?", help="FOCUS export: .csv, .csv.gz or .parquet")
    attribute_cmd.add_argument(
        "--engine",
        choices=ENGINES,
        default="duckdb",
        help="where the attribution query runs on a file: duckdb (embedded, the default) or "
        "spark (a local Spark session; needs Java)",
    )
    attribute_cmd.add_argument(
        "--connect",
        metavar="URL",
        help="attribute a table where it lives, by Ibis connection URL (e.g. "
        "duckdb:///bills.ddb, trino://..., bigquery://...); with --table",
    )
    attribute_cmd.add_argument(
        "--table", metavar="NAME", help="the table of FOCUS columns read with --connect"
    )
    attribute_cmd.add_argument("--by", required=True, help="the tag key that names owners")
    attribute_cmd.add_argument(
        "--shared",
        choices=list(SHARED_CHOICES),
        default="none",
        help="how untagged costs and unused commitment are split among the tag's values: "
        "none (left unallocated, the default), even, proportional (to direct cost) or "
        "weighted (by --weights)",
    )
    attribute_cmd.add_argument(
        "--weights",
        metavar="VALUE=SHARE,...",
        help="the shares for --shared weighted, e.g. search=3,ads=1 (relative; values not "
        "listed carry none)",
    )
    attribute_cmd.add_argument(
        "--commitments",
        metavar="FILE.csv",
        help="a FOCUS 1.3 Contract Commitment dataset to list beside the bill (terms and "
        "amounts; with --json, under the extra key 'commitments')",
    )
    attribute_cmd.add_argument(
        "--invoices",
        metavar="OUT.csv",
        help="write the chargeback lines, one per owner and month, to this CSV file",
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

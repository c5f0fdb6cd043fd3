"""CLI commands of the business case: ``compare``, ``tco``, ``sensitivity`` and ``report``.

``compare A.yaml B.yaml [...] --json`` prints each scenario's figures and its differences from
the first. ``tco FILE.yaml --json`` prints ``build_usd``, ``buy_usd``, ``horizon_months``,
``break_even_month`` (null if none) and ``break_even_team_size`` (null if none), and more
keys besides. ``sensitivity FILE.yaml --json`` prints the tornado's bars (each with its
parameter ``key``) and the Monte Carlo P10, P50, P90 and mean of each output: the numbers
the Sensitivity page shows for the same settings. ``report FILE.yaml -o OUT.html|OUT.md``
writes the business-case report.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from planner import whatif
from planner.cli.common import read_scenario
from planner.core.errors import PlannerInputError
from planner.costing import buildbuy
from planner.io.report import check_report_path, write_report
from planner.io.share import DEFAULT_BASE_URL, link
from planner.scenario import Scenario, validated
from planner.scenario.business_case import MAX_HORIZON_MONTHS, MAX_TEAM_SIZE, BusinessCase, Output
from planner.views.report import build_report


def register_commands(commands: Any) -> None:
    """Add ``compare``, ``tco``, ``sensitivity`` and ``report`` to the CLI's sub-commands."""
    compare_cmd = commands.add_parser(
        "compare", help="figures of 2-4 scenarios side by side, with differences"
    )
    compare_cmd.add_argument("files", nargs="+", help="scenario YAML files; the first is the base")
    compare_cmd.add_argument(
        "--variants", action="store_true", help="also compare each file's saved variants"
    )
    compare_cmd.add_argument("--json", action="store_true", help="print JSON")
    compare_cmd.set_defaults(run=_compare)

    tco_cmd = commands.add_parser("tco", help="build vs buy: total cost of ownership")
    tco_cmd.add_argument("file", help="scenario YAML file with a business_case.build_vs_buy")
    tco_cmd.add_argument("--horizon-months", type=int, help=f"1 to {MAX_HORIZON_MONTHS}")
    tco_cmd.add_argument("--team-size", type=int, help="seats at the start (0 or more)")
    tco_cmd.add_argument("--json", action="store_true", help="print JSON")
    tco_cmd.set_defaults(run=_tco)

    sensitivity_cmd = commands.add_parser(
        "sensitivity", help="tornado and Monte Carlo percentiles of the whole system"
    )
    sensitivity_cmd.add_argument("file", help="scenario YAML file")
    sensitivity_cmd.add_argument(
        "--output",
        help=f"what to measure: {', '.join(Output)} (default: the scenario's choice)",
    )
    sensitivity_cmd.add_argument(
        "--percent",
        type=float,
        help="move each assumption without a range by ± this percentage (default: the "
        "scenario's tornado_percent)",
    )
    sensitivity_cmd.add_argument(
        "--samples",
        type=int,
        default=whatif.DEFAULT_SAMPLES,
        help=f"Monte Carlo draws, 100 to {whatif.MAX_SAMPLES:,} "
        f"(default {whatif.DEFAULT_SAMPLES:,})",
    )
    sensitivity_cmd.add_argument(
        "--seed", type=int, default=0, help=f"random seed, 0 to {MAX_SEED:,} (default 0)"
    )
    sensitivity_cmd.add_argument("--json", action="store_true", help="print JSON")
    sensitivity_cmd.set_defaults(run=_sensitivity)

    report_cmd = commands.add_parser("report", help="write the business-case report")
    report_cmd.add_argument("file", help="scenario YAML file")
    report_cmd.add_argument(
        "-o", "--output", required=True, help="OUT.html (self-contained) or OUT.md"
    )
    report_cmd.add_argument("--base-url", default=DEFAULT_BASE_URL, help="the app's address")
    report_cmd.set_defaults(run=_report)


def _entries(files: list[str], variants: bool) -> list[tuple[str, Scenario]]:
    entries = []
    for file in files:
        scenario = read_scenario(file)
        stem = Path(file).stem
        entries.append((stem, scenario))
        if variants and scenario.business_case is not None:
            for variant in scenario.business_case.variants:
                entries.append((variant.name, whatif.variant_scenario(scenario, variant)))
    return entries


def _compare(args: argparse.Namespace, out: TextIO) -> int:
    entries = _entries(args.files, args.variants)
    comparison = whatif.compare(entries)
    if args.json:
        document = {
            "baseline": comparison.names[0],
            "scenarios": [
                {
                    "name": name,
                    "title": entries[index][1].title,
                    "figures": {f.key: f.value for f in comparison.figures[index]},
                    "deltas": dict(
                        zip(
                            (f.key for f in comparison.figures[index]),
                            comparison.deltas(index),
                            strict=True,
                        )
                    ),
                }
                for index, name in enumerate(comparison.names)
            ],
        }
        json.dump(document, out, indent=2)
        out.write("\n")
        return 0
    for name, (_, scenario) in zip(comparison.names, entries, strict=True):
        out.write(f"{name}: {scenario.title}\n")
    out.write("\n")
    _write_table(comparison.frame(), out)
    out.write(f"\nDifferences (Δ) are from the first: {comparison.names[0]}.\n")
    return 0


def _with_overrides(scenario: Scenario, horizon: int | None, team: int | None) -> Scenario:
    bvb = buildbuy.section(scenario)
    if horizon is not None and not 1 <= horizon <= MAX_HORIZON_MONTHS:
        raise PlannerInputError(
            f"--horizon-months {horizon}: the horizon must be 1 to {MAX_HORIZON_MONTHS} months",
            fix="pass a number of months such as 12, 24 or 36",
        )
    if team is not None and not 0 <= team <= MAX_TEAM_SIZE:
        raise PlannerInputError(
            f"--team-size {team}: a team has 0 to {MAX_TEAM_SIZE:,} seats, never fewer than 0",
            fix="pass the number of people using the tool, e.g. 14",
        )
    changed = replace(
        bvb,
        horizon_months=bvb.horizon_months if horizon is None else horizon,
        team_size=bvb.team_size if team is None else team,
    )
    case = replace(scenario.business_case or BusinessCase(), build_vs_buy=changed)
    return validated(replace(scenario, business_case=case))


def tco_json(scenario: Scenario, result: buildbuy.Tco) -> dict[str, Any]:
    """The ``tco --json`` document; its first five keys are the contract."""
    return {
        "build_usd": result.build_usd,
        "buy_usd": result.buy_usd,
        "horizon_months": result.horizon_months,
        "break_even_month": result.break_even_month,
        "break_even_team_size": result.break_even_team_size,
        "scenario": scenario.title,
        "build_label": result.build_label,
        "buy_label": result.buy_label,
        "difference_usd": result.difference_usd,
        "cheaper": None if result.cheaper is None else str(result.cheaper),
        "build_without_opportunity_cost_usd": result.build_without_opportunity_usd,
        "break_even_opportunity_engineer_days": result.break_even_opportunity_engineer_days,
        "lines": [
            {"option": str(line.side), "item": line.item, "usd": line.usd, "basis": line.basis}
            for line in result.lines
        ],
        "monthly": {
            "seats": list(result.seats),
            "build_usd": list(result.build_monthly_usd),
            "buy_usd": list(result.buy_monthly_usd),
        },
    }


def _tco(args: argparse.Namespace, out: TextIO) -> int:
    scenario = _with_overrides(read_scenario(args.file), args.horizon_months, args.team_size)
    result = buildbuy.tco(scenario)
    if args.json:
        json.dump(tco_json(scenario, result), out, indent=2)
        out.write("\n")
        return 0
    out.write(f"{scenario.title}\n\n")
    width = max(len(line.item) for line in result.lines)
    for line in result.lines:
        out.write(f"{result.label(line.side):<24} {line.item:<{width}} {line.usd:>14,.0f}\n")
    out.write(f"\n{result.summary()}\n")
    out.write(
        f"Break-even month: {result.break_even_month or 'none within the horizon'}. "
        f"Break-even team size (flat): {result.break_even_team_size or 'none'}.\n"
    )
    days = result.break_even_opportunity_engineer_days
    if days is not None and result.opportunity_usd > 0:
        out.write(f"Opportunity cost at which both cost the same: {days:,.1f} engineer-days.\n")
    return 0


MAX_SEED = 2**32 - 1


def _output(scenario: Scenario, name: str | None) -> Output:
    if name is None:
        return whatif.default_output(scenario)
    try:
        return Output(name)
    except ValueError:
        raise PlannerInputError(
            f"--output {name}: there is no such measure",
            fix=f"use one of {', '.join(Output)}",
        ) from None


def _number(value: float) -> float | None:
    """JSON has no NaN: a figure no draw could price is null."""
    return value if math.isfinite(value) else None


def sensitivity_json(
    scenario: Scenario, tornado: whatif.Tornado, uncertainty: whatif.Uncertainty, seed: int
) -> dict[str, Any]:
    """The ``sensitivity --json`` document: the tornado's bars, widest first, and the
    percentiles of every output Monte Carlo measured."""
    return {
        "scenario": scenario.title,
        "output": str(tornado.output),
        "output_label": tornado.output.label,
        "base_output": tornado.base_output,
        "tornado": [
            {
                "key": bar.spread.parameter.key,
                "label": bar.spread.parameter.label,
                "unit": bar.spread.parameter.unit,
                "base_value": bar.spread.base,
                "low_value": bar.spread.low,
                "high_value": bar.spread.high,
                "range_from": bar.spread.source,
                "output_low": bar.output_low,
                "output_high": bar.output_high,
                "swing": bar.swing,
            }
            for bar in tornado.bars
        ],
        "monte_carlo": {
            "samples": uncertainty.samples,
            "seed": seed,
            "percentiles": {
                row["output"]: {
                    "label": whatif.OUTPUT_NAMES[row["output"]],
                    **{name: _number(row[name]) for name in ("p10", "p50", "p90", "mean")},
                }
                for row in uncertainty.percentiles().to_dict("records")
            },
            "probability_build_cheaper": uncertainty.probability_build_cheaper,
        },
    }


def _sensitivity(args: argparse.Namespace, out: TextIO) -> int:
    scenario = read_scenario(args.file)
    output = _output(scenario, args.output)
    if not 0 <= args.seed <= MAX_SEED:
        raise PlannerInputError(
            f"--seed {args.seed}: a seed is a whole number from 0 to {MAX_SEED:,}",
            fix="pass --seed 0, or leave it out",
        )
    tornado = whatif.tornado(scenario, output, percent=args.percent)
    uncertainty = whatif.monte_carlo(scenario, samples=args.samples, seed=args.seed)
    if args.json:
        json.dump(
            sensitivity_json(scenario, tornado, uncertainty, args.seed),
            out,
            indent=2,
            allow_nan=False,
        )
        out.write("\n")
        return 0
    out.write(f"{scenario.title}\n\n")
    out.write(
        f"{output.label} at the scenario's values: "
        f"{whatif.format_output(output, tornado.base_output)}\n\n"
    )
    _write_table(tornado.table(), out)
    out.write(f"\nMonte Carlo, {uncertainty.samples:,} draws (seed {args.seed}):\n")
    for row in uncertainty.percentiles().to_dict("records"):
        shown = (
            f"{name.upper() if name != 'mean' else name} {whatif.format_figure('usd', row[name])}"
            for name in ("p10", "p50", "p90", "mean")
        )
        out.write(f"  {whatif.OUTPUT_NAMES[row['output']]}: {', '.join(shown)}\n")
    return 0


def _write_table(frame: Any, out: TextIO) -> None:
    if frame.empty:
        out.write("Nothing to vary: every assumption is zero.\n")
        return
    widths = {c: max(len(str(c)), *(len(str(v)) for v in frame[c])) for c in frame.columns}
    out.write("  ".join(f"{c:<{widths[c]}}" for c in frame.columns) + "\n")
    for row in frame.itertuples(index=False):
        out.write(
            "  ".join(f"{v!s:<{widths[c]}}" for c, v in zip(frame.columns, row, strict=True)) + "\n"
        )


def _report(args: argparse.Namespace, out: TextIO) -> int:
    scenario = read_scenario(args.file)
    check_report_path(args.output)  # fail fast, before the charts are drawn
    report = build_report(scenario, share_link=link(scenario, args.base_url))
    fmt = write_report(report, args.output)
    out.write(f"Wrote the {fmt} business case for {scenario.title} to {args.output}\n")
    return 0

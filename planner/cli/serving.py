"""Serving commands: ``serve`` and ``mix``.

``serve`` prices one endpoint of a scenario against its baseline and splits the saving among
the levers. Its flag form (``--model NAME --gpu GPU ...``, no YAML) prints one instance's
throughput, batch, TTFT, TPOT and token prices at full load. ``mix`` shows how that
endpoint's recommended plan buys its capacity as reserved (1 y / 3 y), on-demand and spot,
or with ``--alternatives`` the cheapest mix over several instance types. Both price the
endpoint exactly as ``evaluate`` does. An endpoint whose ``traffic.demand_csv`` names a CSV
reads it relative to the scenario file. With ``--json`` each prints one JSON object; keys
are only ever added.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any, TextIO

from planner.catalog import Pricing, load_catalog
from planner.cli.common import pick, read_scenario
from planner.core.errors import PlannerInputError
from planner.core.formatting import seconds, usd
from planner.costing.serving import (
    ServingResult,
    alternative_mix_problem,
    evaluate_serving,
    price_endpoint,
    serve_summary,
    serving_instance,
    stated_notes,
    token_price,
)
from planner.io.demand import resolve_demand_csv
from planner.models.architectures import KvPrecision
from planner.models.fleet import MixPlan, optimize_mix, plan_summary
from planner.scenario import Scenario
from planner.scenario.serving import Endpoint, ServedModel, ServingPrecision


def _load(args: argparse.Namespace) -> tuple[Scenario, Endpoint, tuple[float, ...] | None]:
    scenario = read_scenario(args.file)
    endpoint = pick(
        scenario.serving,
        args.endpoint,
        scenario.endpoint,
        path=args.file,
        what="serving endpoint",
        plural="endpoints",
        section="serving",
        flag="--endpoint",
    )
    csv = resolve_demand_csv(endpoint.traffic.demand_csv, args.file)
    return scenario, endpoint, (csv.values if csv is not None else None)


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


_MAX_BATCH = 1024  # a serving engine's usual ceiling on running requests
_DEFAULTS = {"precision": ServingPrecision.FP16.value, "kv_precision": KvPrecision.FP16.value}
_FLAG_ONLY = (
    "gpu",
    "tp",
    "precision",
    "kv_precision",
    "input_tokens",
    "output_tokens",
    "ttft_ms",
    "tpot_ms",
)


def flag_endpoint(args: argparse.Namespace) -> Endpoint:
    """The endpoint the flag form of ``serve`` describes, on the cheapest instance type
    with the GPU (per GPU, on demand).

    Raises
    ------
    PlannerInputError
        A missing ``--gpu``, ``--input-tokens`` or ``--output-tokens``; an unknown model or
        GPU; a value out of range (naming the flag).
    """
    for flag in ("gpu", "input_tokens", "output_tokens"):
        if getattr(args, flag) is None:
            raise PlannerInputError(
                f"serve --model needs --{flag.replace('_', '-')}",
                fix="give --gpu, --input-tokens and --output-tokens, or a scenario file",
            )
    for flag, low in (("tp", 1), ("input_tokens", 1), ("output_tokens", 1), ("max_batch", 1)):
        value = getattr(args, flag)
        if value is not None and value < low:
            raise PlannerInputError(
                f"--{flag.replace('_', '-')} is {value}: it must be at least {low}",
                fix=f"give a whole number of {low} or more",
            )
    for flag in ("ttft_ms", "tpot_ms"):
        value = getattr(args, flag)
        if value is not None and not (math.isfinite(value) and value > 0):
            raise PlannerInputError(
                f"--{flag.replace('_', '-')} is {value!r}: it must be above 0 ms",
                fix="give a target in milliseconds, or leave it out",
            )
    catalog = load_catalog()
    model = ServedModel(
        preset=args.model,
        precision=ServingPrecision(args.precision),
        kv_precision=KvPrecision(args.kv_precision),
        input_tokens=args.input_tokens,
        output_tokens=args.output_tokens,
    )
    return Endpoint(
        name=f"{args.model} on {args.gpu}",
        model=model,
        instance_type=serving_instance(args.gpu, catalog, gpus_per_replica=args.tp or 1),
        max_batch=args.max_batch,
        latency_target_ms=3_600_000.0,
        ttft_target_ms=args.ttft_ms,
        tpot_target_ms=args.tpot_ms,
        tensor_parallel=args.tp,
    )


def flag_summary(endpoint: Endpoint) -> dict[str, Any]:
    """The flag form's JSON document: one instance at full load, on demand."""
    price = token_price(endpoint, Pricing(), load_catalog())
    tp = price.throughput
    return {
        "model": endpoint.model.preset,
        "instance_type": price.instance_type,
        "tensor_parallel": tp.gpus_per_replica,
        "precision": str(endpoint.model.precision),
        "kv_precision": str(endpoint.model.kv_precision),
        "input_tokens": endpoint.model.input_tokens,
        "output_tokens": endpoint.model.output_tokens,
        "output_tokens_per_second_per_gpu": tp.tokens_per_second_per_gpu,
        "batch": tp.batch,
        "limited_by": tp.limited_by,
        "ttft_ms": tp.ttft_ms,
        "tpot_ms": tp.tpot_ms,
        "usd_per_hour": price.usd_per_hour,
        "usd_per_1m_input_tokens": price.usd_per_1m_input_tokens,
        "usd_per_1m_output_tokens": price.usd_per_1m_output_tokens,
        "basis": price.basis,
    }


def _serve_flags(args: argparse.Namespace, out: TextIO) -> int:
    summary = flag_summary(flag_endpoint(args))
    if args.json:
        json.dump(_json_safe(summary), out, indent=2)
        out.write("\n")
        return 0
    out.write(
        f"{summary['model']} on {summary['instance_type']} (TP {summary['tensor_parallel']}, "
        f"{summary['precision']} weights, {summary['kv_precision']} KV), "
        f"{summary['input_tokens']} in / {summary['output_tokens']} out\n"
        f"  {summary['output_tokens_per_second_per_gpu']:,.0f} output tokens/s per GPU at batch "
        f"{summary['batch']} ({summary['limited_by']})\n"
        f"  TTFT {summary['ttft_ms']:,.0f} ms, TPOT {summary['tpot_ms']:,.1f} ms\n"
        f"  {usd(summary['usd_per_1m_input_tokens'])} per 1M input tokens, "
        f"{usd(summary['usd_per_1m_output_tokens'])} per 1M output tokens "
        f"({usd(summary['usd_per_hour'])}/h on demand, full load)\n"
    )
    return 0


def _serve(args: argparse.Namespace, out: TextIO) -> int:
    if args.model is not None:
        if args.file is not None or args.endpoint is not None:
            raise PlannerInputError(
                "serve takes a scenario file or --model, not both",
                fix="drop the file (and --endpoint) for the flag form, or --model for a file",
            )
        return _serve_flags(args, out)
    given = [flag for flag in _FLAG_ONLY if getattr(args, flag) not in (None, _DEFAULTS.get(flag))]
    if args.file is None:
        raise PlannerInputError(
            "serve needs a scenario file or --model",
            fix="python -m planner serve FILE [--endpoint NAME], or serve --model NAME --gpu GPU "
            "--input-tokens I --output-tokens O",
        )
    if given:
        raise PlannerInputError(
            f"--{given[0].replace('_', '-')} belongs to the flag form (with --model); a scenario "
            "file describes its own endpoint",
            fix="drop it, or use --model instead of the file",
        )
    scenario, endpoint, demand = _load(args)
    result = evaluate_serving(endpoint, scenario.pricing, load_catalog(), csv_demand=demand)
    checks = stated_notes(scenario.stated, result)
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
        f"solved in {seconds(plan.solve_seconds)}\n\n"
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


def by_type_records(plan: MixPlan) -> list[dict[str, dict[str, int]]]:
    """Per hour, each type's instances by tier, leaving out zeros: enough to re-price a
    plan of several types from its output."""
    rows = []
    for hour in range(plan.hours):
        row: dict[str, dict[str, int]] = {}
        for index, name in enumerate(plan.type_names):
            counts = {
                "reserved_1y": int(plan.reserved_1y[index]),
                "reserved_3y": int(plan.reserved_3y[index]),
                "on_demand": int(plan.on_demand[hour, index]),
                "spot": int(plan.spot[hour, index]),
            }
            counts = {tier: count for tier, count in counts.items() if count}
            if counts:
                row[name] = counts
        rows.append(row)
    return rows


def _mix(args: argparse.Namespace, out: TextIO) -> int:
    scenario, endpoint, demand = _load(args)
    catalog = load_catalog()
    skipped: tuple[str, ...] = ()
    term = None
    if args.alternatives:
        problem, skipped = alternative_mix_problem(
            endpoint, scenario.pricing, catalog, csv_demand=demand
        )
        plan = optimize_mix(problem)
    else:
        priced = price_endpoint(endpoint, scenario.pricing, catalog, csv_demand=demand)
        if priced.fleet is None:
            raise PlannerInputError(f"endpoint {endpoint.name!r} buys no instance mix")
        plan, term = priced.fleet, priced.term
    if args.json:
        summary = plan_summary(plan)
        summary["commitments"] = term.summary() if term is not None else None
        summary["endpoint"] = endpoint.name
        summary["candidates"] = list(plan.type_names)
        summary["capacity"] = dict(zip(plan.type_names, plan.capacities, strict=True))
        for row, by_type in zip(summary["hourly"], by_type_records(plan), strict=True):
            row["by_type"] = by_type
        summary["left_out"] = list(skipped)
        json.dump(_json_safe(summary), out, indent=2)
        out.write("\n")
    else:
        _print_mix(plan, skipped, out)
        if term is not None:
            out.write(f"\ncommitments over their {term.years}-year term\n")
            out.writelines(f"  {line}\n" for line in term.lines())
    return 0


def register_commands(commands: Any) -> None:
    """Add ``serve`` and ``mix`` to the CLI's sub-command parsers."""
    serve = commands.add_parser(
        "serve",
        help="serving plan: cost per request and the savings of each lever",
        description=(
            "JSON keys: endpoint, monthly_cost_usd (as evaluate prices it), instance_types, "
            "min_replicas, per_request_usd, per_1k_requests_usd, per_1m_tokens_usd, levers "
            "(a list of {name, saving_usd_per_month}), baseline, "
            "plan, interactions, notes."
        ),
    )
    serve.add_argument("file", nargs="?", help="scenario YAML file with a serving endpoint")
    serve.add_argument("--endpoint", help="the endpoint's name (needed when there are several)")
    serve.add_argument("--json", action="store_true", help="print JSON")
    flags = serve.add_argument_group(
        "flag form (no YAML)",
        "JSON keys: output_tokens_per_second_per_gpu, batch, ttft_ms, tpot_ms, "
        "usd_per_1m_input_tokens, usd_per_1m_output_tokens (one instance at full load, on "
        "demand), with model, instance_type, tensor_parallel, limited_by, usd_per_hour, basis.",
    )
    flags.add_argument(
        "--model", help="a model preset, e.g. Llama-3.1-8B (python -m planner model)"
    )
    flags.add_argument("--gpu", help="a GPU of the catalog, e.g. H100 (its cheapest instance type)")
    flags.add_argument("--tp", type=int, help="GPUs per model replica (default: the best split)")
    flags.add_argument(
        "--precision", choices=[p.value for p in ServingPrecision], default=_DEFAULTS["precision"]
    )
    flags.add_argument(
        "--kv-precision", choices=[p.value for p in KvPrecision], default=_DEFAULTS["kv_precision"]
    )
    flags.add_argument("--input-tokens", type=int, help="input tokens per request")
    flags.add_argument("--output-tokens", type=int, help="output tokens per request")
    flags.add_argument("--ttft-ms", type=float, help="time-to-first-token target [ms]")
    flags.add_argument("--tpot-ms", type=float, help="time-per-output-token target [ms]")
    flags.add_argument(
        "--max-batch", type=int, default=_MAX_BATCH, help=f"batch limit (default {_MAX_BATCH})"
    )
    serve.set_defaults(run=_serve)

    mix = commands.add_parser(
        "mix",
        help="reserved / on-demand / spot mix that covers the plan's demand at least cost",
        description=(
            "JSON keys: status (optimal, feasible or infeasible), total_cost_usd (over the "
            "horizon), lower_bound_usd, gap, solve_seconds, reserved (type -> count), hourly "
            "(a list of {hour, demand, reserved_1y, reserved_3y, on_demand, spot, by_type}), "
            "capacity (type -> requests/s per instance), "
            "cost_by_tier_usd, commitment_utilisation, commitment_coverage, min_budget_usd, "
            "served_fraction, commitments (the reservations bought over their term: a list "
            "of {kind, pool, start_year, term_months, count, obligation_usd, "
            "break_even_utilisation, utilisation}, obligation_usd, obligation_months, "
            "if_demand_falls; null with --alternatives, whose reservations are sized on the "
            "horizon)."
        ),
    )
    mix.add_argument("file", help="scenario YAML file with a serving endpoint")
    mix.add_argument("--endpoint", help="the endpoint's name (needed when there are several)")
    mix.add_argument(
        "--alternatives",
        action="store_true",
        help="instead of the endpoint's plan, the cheapest mix over its candidate types",
    )
    mix.add_argument("--json", action="store_true", help="print JSON")
    mix.set_defaults(run=_mix)

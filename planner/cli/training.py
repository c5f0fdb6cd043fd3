"""Training commands: ``size``, ``checkpoint`` and ``train``.

``size`` answers "what model should this budget train?", ``checkpoint`` "how often should a
spot run save?", and ``train`` prices one training job of a scenario exactly as ``evaluate``
does. With ``--json`` each prints one JSON object; the keys listed in each command's help
are the contract.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from typing import Any, TextIO

from planner.catalog import (
    Catalog,
    Pricing,
    ScalingLaw,
    load_catalog,
)
from planner.cli.common import pick, read_scenario
from planner.core.errors import PlannerInputError
from planner.core.formatting import usd
from planner.costing.training import (
    RunEstimate,
    TrainingReport,
    checkpoint_plan,
    evaluate_plan,
    flop_price,
    human_count,
    plan_checks,
    resolve_gpu,
)
from planner.models.sizing import (
    SizingResult,
    cheapest_for_loss,
    check_positive,
    law_fit,
    optimal_for_budget,
    optimal_for_compute,
    usd_at_least,
)
from planner.scenario import Scenario, scenario_from_mapping
from planner.scenario.training import (
    DEFAULT_SEQ_LEN,
    RunPricing,
    TrainingJob,
    TrainingPrecision,
)

_LAWS = [str(law) for law in ScalingLaw]
_PRECISIONS = [str(p) for p in TrainingPrecision]
_PRICINGS = [str(p) for p in RunPricing if p is not RunPricing.MIXED]


def _check_mfu(value: float | None, label: str) -> None:
    if value is not None and not (math.isfinite(value) and 0 < value <= 1):
        raise PlannerInputError(
            f"{label} = {value:g} is outside (0, 1]: MFU is the fraction of the GPU's peak the "
            "run sustains",
            fix="enter a fraction above 0 and at most 1, e.g. 0.4",
        )


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def size_json(result: SizingResult, law: ScalingLaw, *, with_costs: bool) -> dict[str, Any]:
    """The ``size --json`` document. ``extrapolation`` says how far the answer lies outside
    the runs the law was fitted on (``null`` inside them)."""
    data: dict[str, Any] = {
        "params": result.params,
        "tokens": result.tokens,
        "loss": result.loss,
        "train_flops": result.train_flops,
        "extrapolation": law_fit(law).extrapolation(result.params, result.tokens),
    }
    if with_costs:
        data |= {
            "train_cost_usd": result.train_cost_usd,
            "inference_cost_usd": result.inference_cost_usd,
            "total_cost_usd": result.total_cost_usd,
        }
    return data


def _size(args: argparse.Namespace, out: TextIO) -> int:
    catalog = load_catalog()
    law = ScalingLaw(args.law)
    _check_mfu(args.mfu, "--mfu")
    _check_mfu(args.inference_mfu, "--inference-mfu")
    if args.inference_tokens is not None and not (
        math.isfinite(args.inference_tokens) and args.inference_tokens >= 0
    ):
        raise PlannerInputError(
            f"--inference-tokens = {args.inference_tokens:g}: must be 0 or more",
            fix="enter the tokens the model will serve over its life",
        )
    inference = args.inference_tokens or 0.0
    price = None
    instance = None
    if args.gpu is not None:
        pricing = RunPricing(args.pricing)
        instance = resolve_gpu(args.gpu, catalog, pricing)
        plan = TrainingJob(
            instance_type=instance,
            precision=TrainingPrecision(args.precision),
            mfu=args.mfu,
            inference_mfu=args.inference_mfu,
            pricing=pricing,
        )
        price = flop_price(plan, Pricing(), catalog)
    if args.compute_flops is not None:
        result = optimal_for_compute(
            check_positive(args.compute_flops, "--compute-flops", "a compute budget"), law
        )
    elif args.budget_usd is not None:
        budget = check_positive(args.budget_usd, "--budget-usd", "a budget")
        if price is None:
            raise PlannerInputError(
                "--budget-usd needs --gpu to turn dollars into FLOPs",
                fix="add --gpu with an instance type or a GPU model, e.g. --gpu H100",
            )
        result = optimal_for_budget(budget, price, law, inference_tokens=inference)
    else:
        result = cheapest_for_loss(
            check_positive(args.target_loss, "--target-loss", "a target loss"),
            law,
            price,
            inference_tokens=inference,
        )
    if not result.ok:
        fix = None
        if result.min_budget_usd is not None and math.isfinite(result.min_budget_usd):
            least = usd_at_least(result.min_budget_usd).lstrip("$").replace(",", "")
            fix = f"use --budget-usd {least} or more"
        elif result.min_compute_flops is not None:
            fix = f"use --compute-flops {result.min_compute_flops:.3g} or more"
        raise PlannerInputError(result.message, fix=fix)
    with_costs = price is not None and args.compute_flops is None
    if args.json:
        json.dump(size_json(result, law, with_costs=with_costs), out, indent=2)
        out.write("\n")
        return 0
    out.write(f"Law: {law.label}\n")
    out.write(f"Parameters: {human_count(result.params)} ({result.params:,.0f})\n")
    out.write(
        f"Tokens:     {human_count(result.tokens)} ({result.tokens_per_param:.1f} per parameter)\n"
    )
    out.write(f"Training FLOPs: {result.train_flops:.3g}\n")
    if result.loss is not None:
        out.write(f"Predicted loss: {result.loss:.4f}\n")
    outside = law_fit(law).extrapolation(result.params, result.tokens)
    if outside is not None:
        out.write(f"Extrapolated: {outside} (fit range: {law_fit(law).range_source})\n")
    if with_costs and price is not None:
        out.write(f"Priced at {price.basis} ({instance})\n")
        out.write(f"Training cost:  {usd(result.train_cost_usd)}\n")
        out.write(f"Inference cost: {usd(result.inference_cost_usd)}\n")
        out.write(f"Total:          {usd(result.total_cost_usd)}\n")
    return 0


def _checkpoint(args: argparse.Namespace, out: TextIO) -> int:
    plan = checkpoint_plan(
        mtbf_hours=args.mtbf_hours,
        checkpoint_minutes=args.checkpoint_minutes,
        restart_minutes=args.restart_minutes,
    )
    data = {
        "interval_minutes": _finite(plan.daly_interval_hours * 60),
        "young_interval_minutes": _finite(plan.young_interval_hours * 60),
        "expected_overhead_fraction": plan.expected_overhead_fraction,
    }
    if args.json:
        json.dump(data, out, indent=2)
        out.write("\n")
        return 0
    if data["interval_minutes"] is None:
        out.write("No interruptions: no checkpoints needed, no overhead.\n")
        return 0
    out.write(
        f"Checkpoint every {data['interval_minutes']:,.1f} minutes of work (Daly 2006); "
        f"Young (1974) gives {data['young_interval_minutes']:,.1f}.\n"
        f"Expected overhead: {plan.expected_overhead_fraction:.1%} of the run's time "
        "(checkpoint writes, lost work and restarts).\n"
    )
    return 0


def _run_summary(run: RunEstimate) -> dict[str, Any]:
    return {
        "pricing": str(run.plan.pricing),
        "params": run.params,
        "tokens": run.tokens,
        "loss": run.loss,
        "cost_usd": run.cost_usd,
        "wall_clock_hours": run.wall_clock_hours,
        "gpu_hours": run.gpu_hours,
        "cost_per_month_usd": run.cost_per_month_usd,
    }


def _records(frame: Any) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = frame.to_dict("records")
    return [
        {
            key: (None if isinstance(value, float) and not math.isfinite(value) else value)
            for key, value in record.items()
        }
        for record in records
    ]


def _memory_json(run: RunEstimate) -> dict[str, Any] | None:
    memory = run.memory
    if memory is None:
        return None
    return {
        "state_gb": memory.state_gb,
        "per_gpu_gb": memory.per_gpu_gb,
        "gpu_memory_gb": memory.gpu_memory_gb,
        "fits": memory.fits,
        "min_instances": memory.min_instances,
        "assumption": memory.assumption,
    }


def train_json(scenario: Scenario, report: TrainingReport) -> dict[str, Any]:
    """The ``train --json`` document."""
    run = report.run
    spot = run.spot
    deadline = run.plan.deadline_hours
    if spot is not None:
        probability = spot.deadline_probability
    elif deadline is not None:
        probability = float(run.wall_clock_hours <= deadline)
    else:
        probability = None
    return {
        "scenario": scenario.title,
        "job": run.plan.name,
        "plan": run.plan.name,
        "pricing": str(run.plan.pricing),
        "instance_type": run.plan.instance_type,
        "instance_count": run.plan.instance_count,
        "gpus": run.gpus,
        "params": run.params,
        "tokens": run.tokens,
        "loss": run.loss,
        "model": run.plan.model,
        "seq_len": None if run.flops is None else run.plan.seq_len,
        "train_flops": run.model_flops,
        "hardware_flops": None if run.flops is None else run.flops.hardware_flops,
        "attention_share": None if run.flops is None else run.flops.attention_share,
        "mfu": None if run.flops is None else run.plan.mfu,
        "hfu": run.hfu,
        "compute_hours": run.compute_hours,
        "wall_clock_hours": run.wall_clock_hours,
        "goodput": run.goodput,
        "gpu_hours": run.gpu_hours,
        "cost_usd": run.cost_usd,
        "cost_per_model_usd": run.cost_per_model_usd,
        "runs_per_month": run.runs_per_month,
        "cost_per_month_usd": run.cost_per_month_usd,
        "p50_cost_usd": spot.p50_cost_usd if spot else None,
        "p90_cost_usd": spot.p90_cost_usd if spot else None,
        "p50_hours": spot.p50_hours if spot else None,
        "p90_hours": spot.p90_hours if spot else None,
        "deadline_hours": deadline,
        "deadline_probability": probability,
        "spot": (
            {
                "interruptions_per_instance_hour": spot.interruptions_per_instance_hour,
                "rate_basis": spot.rate_basis,
                "checkpoint_interval_hours": spot.interval_hours,
                "checkpoints": spot.segments - 1,
                "young_interval_hours": _finite(spot.young_interval_hours),
                "daly_interval_hours": _finite(spot.daly_interval_hours),
                "expected_overhead_fraction": spot.expected_overhead_fraction,
                "simulations": spot.simulations,
                "seed": spot.seed,
            }
            if spot
            else None
        ),
        "failures": (
            {
                "node_mtbf_hours": run.failures.node_mtbf_hours,
                "job_mtbf_hours": run.failures.job_mtbf_hours,
                "checkpoints": run.failures.segments - 1,
                "checkpoint_interval_hours": run.failures.interval_hours,
                "basis": run.failures.basis,
            }
            if run.failures is not None
            else None
        ),
        "memory": _memory_json(run),
        "baseline": _run_summary(report.baseline) if report.baseline else None,
        "levers": (
            _records(
                report.waterfall[
                    [
                        "step",
                        "lever",
                        "usd_per_month",
                        "change_usd_per_month",
                        "saving_usd_per_month",
                        "solo_usd_per_month",
                        "usd_per_run",
                    ]
                ]
            )
            if report.waterfall is not None
            else None
        ),
        "comparison": _records(report.comparison),
        "checks": [
            {"code": c.code, "severity": str(c.severity), "message": c.message}
            for c in plan_checks(run, report.baseline)
        ],
    }


def _print_train(data: dict[str, Any], out: TextIO) -> None:
    out.write(f"{data['scenario']}: {data['job']}\n\n")
    if data["params"] is not None and data["tokens"] is not None:
        out.write(
            f"Model: {human_count(data['params'])} parameters on {human_count(data['tokens'])} "
            f"tokens, {data['train_flops']:.3g} FLOPs"
            + (f", predicted loss {data['loss']:.4f}" if data["loss"] is not None else "")
            + "\n"
        )
    else:
        out.write("Hours per run as stated (no model size)\n")
    out.write(
        f"Run: {data['instance_count']} × {data['instance_type']} ({data['gpus']} GPUs), "
        f"{data['pricing'].replace('_', '-')}\n"
    )
    out.write(
        f"Wall-clock: {data['wall_clock_hours']:,.1f} h (compute {data['compute_hours']:,.1f} h)\n"
    )
    out.write(f"GPU-hours:  {data['gpu_hours']:,.0f} (goodput {data['goodput']:.1%})\n")
    out.write(f"Cost per run:   {usd(data['cost_usd'])}\n")
    out.write(
        f"Cost per month: {usd(data['cost_per_month_usd'])} ({data['runs_per_month']:.3g} runs)\n"
    )
    if data["p50_cost_usd"] is not None:
        out.write(
            f"Spot: P50 {usd(data['p50_cost_usd'])} / {data['p50_hours']:,.1f} h, "
            f"P90 {usd(data['p90_cost_usd'])} / {data['p90_hours']:,.1f} h\n"
        )
    if data["deadline_probability"] is not None:
        out.write(
            f"Finishes within {data['deadline_hours']:g} h: {data['deadline_probability']:.1%}\n"
        )
    if data["levers"]:
        out.write("\nLevers (USD per month; each lever's Shapley saving, whatever the order):\n")
        for step in data["levers"]:
            change = step["change_usd_per_month"]
            shown = (
                usd(step["usd_per_month"])
                if step["lever"] in {"baseline", "plan"}
                else (f"{'+' if change > 0 else '−'}{usd(abs(change))}")
            )
            out.write(f"  {step['step']:<90} {shown:>12}\n")
    for check in data["checks"]:
        out.write(f"\n[{check['severity']}] {check['message']}\n")


# The flags that describe a job without a file, as ``train --params P --tokens D ...``.
_JOB_FLAGS = (
    "params",
    "tokens",
    "model",
    "gpu",
    "gpus",
    "mfu",
    "precision",
    "seq_len",
    "pricing",
    "runs_per_month",
)


# The job field each flag of ``train`` sets, for messages in the flags' own names.
_FLAG_OF_FIELD = {
    "params": "--params",
    "tokens": "--tokens",
    "model": "--model",
    "seq_len": "--seq-len",
    "mfu": "--mfu",
    "models_per_month": "--runs-per-month",
    "instance_count": "--gpus",
}


def flag_job(args: argparse.Namespace, catalog: Catalog) -> TrainingJob:
    """The job ``train``'s flags describe, checked as a scenario file's job would be.

    Raises
    ------
    PlannerInputError
        A missing or bad flag, a GPU count that is not whole instances, or a field the
        schema refuses.
    """
    missing = [
        f"--{name.replace('_', '-')}"
        for name in ("tokens", "gpu", "gpus", "mfu")
        if getattr(args, name) is None
    ]
    if args.params is None and args.model is None:
        missing.insert(0, "--params (or --model)")
    if missing:
        raise PlannerInputError(
            f"train without a scenario file needs {', '.join(missing)}",
            fix="give them, e.g. train --params 7e9 --tokens 2e12 --gpu H100 --gpus 64 "
            "--mfu 0.4, or give a scenario FILE",
        )
    _check_mfu(args.mfu, "--mfu")
    pricing = RunPricing(args.pricing or RunPricing.ON_DEMAND)
    instance = catalog.instance(resolve_gpu(args.gpu, catalog, pricing))
    per_instance = instance.gpu_count
    if args.gpus < 1 or args.gpus % per_instance:
        raise PlannerInputError(
            f"--gpus {args.gpus}: {instance.name} has {per_instance} GPUs, so the count must be "
            f"a whole number of instances",
            fix=f"use a multiple of {per_instance}, e.g. "
            f"{max(1, args.gpus // per_instance) * per_instance}",
        )
    fields: dict[str, Any] = {
        "name": "train flags",
        "tokens": args.tokens,
        "instance_type": instance.name,
        "instance_count": args.gpus // per_instance,
        "mfu": args.mfu,
        "precision": args.precision or str(TrainingPrecision.BF16),
        "pricing": str(pricing),
        "models_per_month": 1.0 if args.runs_per_month is None else args.runs_per_month,
    }
    for name in ("params", "model", "seq_len"):
        if getattr(args, name) is not None:
            fields[name] = getattr(args, name)
    try:
        scenario = scenario_from_mapping({"training": [fields]})
    except PlannerInputError as error:
        # The schema names the job's fields; the user typed flags, so name those.
        match = re.match(
            r"Invalid scenario: training\[0\]\.(\w+) \(\"train flags\"\) (.*)", str(error)
        )
        if match is None or match[1] not in _FLAG_OF_FIELD:
            raise
        problem = match[2].split(". To fix:")[0]
        raise PlannerInputError(
            f"{_FLAG_OF_FIELD[match[1]]} {problem}", fix="give a finite number in range"
        ) from None
    return scenario.training[0]


def _train(args: argparse.Namespace, out: TextIO) -> int:
    catalog = load_catalog()
    given = [name for name in _JOB_FLAGS if getattr(args, name) is not None]
    if args.file is not None:
        if given:
            flags = ", ".join(f"--{name.replace('_', '-')}" for name in given)
            raise PlannerInputError(
                f"train was given a scenario file and {flags}: the job comes from one or the other",
                fix=f"drop {flags} to price the file's job, or drop the file",
            )
        scenario = read_scenario(args.file)
        job = pick(
            scenario.training,
            args.job,
            scenario.job,
            path=args.file,
            what="training job",
            plural="training jobs",
            section="training",
            flag="--job",
        )
    else:
        if args.job is not None:
            raise PlannerInputError(
                "--job picks a job of a scenario file, and none was given",
                fix="give the file, e.g. train scenarios/training_50k_to_18k.yaml --job NAME",
            )
        job = flag_job(args, catalog)
        scenario = Scenario(title="train (flags)", training=(job,))
    report = evaluate_plan(job, scenario.pricing, catalog)
    data = train_json(scenario, report)
    if args.json:
        json.dump(data, out, indent=2)
        out.write("\n")
    else:
        _print_train(data, out)
    return 0


def register_commands(commands: Any) -> None:
    """Add ``size``, ``checkpoint`` and ``train`` to the CLI's sub-command parsers."""
    size = commands.add_parser(
        "size",
        help="model size and tokens for a compute or dollar budget, or a target loss",
        description=(
            "JSON keys: params, tokens, loss (null for tokens20), train_flops, extrapolation "
            "(null inside the law's fitted range); with "
            "--budget-usd (or --target-loss and --gpu) also train_cost_usd, "
            "inference_cost_usd, total_cost_usd."
        ),
    )
    budget = size.add_mutually_exclusive_group(required=True)
    budget.add_argument("--compute-flops", type=float, help="training compute, FLOPs (6·N·D)")
    budget.add_argument("--budget-usd", type=float, help="dollars for training and inference")
    budget.add_argument("--target-loss", type=float, help="the predicted loss to reach")
    size.add_argument("--law", choices=_LAWS, default=str(ScalingLaw.EPOCH), help="loss fit")
    size.add_argument("--gpu", help="instance type, or GPU model (cheapest instance with it)")
    size.add_argument("--precision", choices=_PRECISIONS, default=str(TrainingPrecision.BF16))
    size.add_argument("--mfu", type=float, default=0.4, help="model FLOPs utilisation, (0, 1]")
    size.add_argument(
        "--inference-mfu",
        type=float,
        help="compute utilisation of the serving roofline (default: its calibrated value)",
    )
    size.add_argument(
        "--inference-tokens", type=float, help="tokens served over the model's life (2·N each)"
    )
    size.add_argument("--pricing", choices=_PRICINGS, default=str(RunPricing.ON_DEMAND))
    size.add_argument("--json", action="store_true", help="print JSON")
    size.set_defaults(run=_size)

    checkpoint = commands.add_parser(
        "checkpoint",
        help="optimal checkpoint interval for spot or failure-prone runs",
        description=(
            "JSON keys: interval_minutes (Daly's optimum), young_interval_minutes, "
            "expected_overhead_fraction."
        ),
    )
    checkpoint.add_argument(
        "--mtbf-hours", type=float, required=True, help="mean time between interruptions"
    )
    checkpoint.add_argument(
        "--checkpoint-minutes", type=float, required=True, help="time to write one checkpoint"
    )
    checkpoint.add_argument(
        "--restart-minutes", type=float, default=0.0, help="time to restart from a checkpoint"
    )
    checkpoint.add_argument("--json", action="store_true", help="print JSON")
    checkpoint.set_defaults(run=_checkpoint)

    train = commands.add_parser(
        "train",
        help="cost, time and GPU-hours of one of a scenario's training jobs, or of one the "
        "flags describe",
        description=(
            "Either FILE [--job NAME], or flags: --params P --tokens D [--model NAME] --gpu GPU "
            "--gpus N --mfu M [--precision] [--seq-len] [--pricing] [--runs-per-month]. "
            "JSON keys include gpu_hours, wall_clock_hours, goodput (useful / billed time), "
            "cost_usd, cost_per_month_usd, mfu, hfu, train_flops (model FLOPs), "
            "attention_share; p50_cost_usd, p90_cost_usd, p50_hours, p90_hours and "
            "deadline_probability (null unless the plan runs on spot or mixed); failures; "
            "levers (each with its Shapley saving_usd_per_month) and comparison."
        ),
    )
    train.add_argument("file", nargs="?", help="scenario YAML file with a training job")
    train.add_argument("--job", help="the job's name (needed when there are several)")
    train.add_argument("--params", type=float, help="parameters (default: the --model preset's)")
    train.add_argument("--tokens", type=float, help="training tokens")
    train.add_argument("--model", help="model preset for the attention FLOPs, e.g. Llama-3.1-8B")
    train.add_argument("--gpu", help="instance type, or GPU model (cheapest for --pricing)")
    train.add_argument("--gpus", type=int, help="GPUs, a whole number of instances")
    train.add_argument("--mfu", type=float, help="model FLOPs utilisation, (0, 1]")
    train.add_argument("--precision", choices=_PRECISIONS, help="default bf16")
    train.add_argument(
        "--seq-len", type=int, help=f"tokens per training sequence (default {DEFAULT_SEQ_LEN})"
    )
    train.add_argument("--pricing", choices=_PRICINGS, help="default on_demand")
    train.add_argument("--runs-per-month", type=float, help="runs a month (default 1)")
    train.add_argument("--json", action="store_true", help="print JSON")
    train.set_defaults(run=_train)

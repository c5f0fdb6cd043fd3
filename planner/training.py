"""Training runs: compute, time and cost; spot with checkpoint-restart; the lever waterfall.

The scenario's ``training_plan`` section (:class:`TrainingPlan`) describes one run and how
often it ships; this module prices it.

Compute model
-------------
* Work: ``k·N·D`` FLOPs for ``N`` parameters and ``D`` tokens, ``k = 6`` (forward and
  backward pass), or ``k = 8`` under full activation recomputation (one more forward pass).
* Throughput: GPUs × the GPU's dense peak for the precision × MFU × scale-out efficiency.
  MFU is the fraction of peak the run sustains on the FLOPs it executes. The scale-out
  efficiency keeps ``e^log2(instances)`` of per-GPU throughput: ``e`` per doubling of the
  instance count (1 = perfect scaling).
* Uninterrupted time ``W = k·N·D / throughput``; GPU-hours ``= W × GPUs``; cost
  ``= instance-hours × the price per instance-hour`` (the same formula as
  :func:`planner.economics.training_cost`, which prices it).
* Memory: weights, gradients and optimizer state take ``bytes_per_param × N`` before
  sharding; 16 bytes per parameter is mixed-precision Adam (2 for bf16 weights, 2 for
  gradients, 4 + 4 + 4 for fp32 master weights and the two Adam moments). Sharded
  (ZeRO-3 / FSDP) it is divided over every GPU; unsharded each GPU holds all of it.
  Activations, buffers and fragmentation are not counted, so "fits" is a lower bound.

Spot with checkpoint-restart
----------------------------
Interruptions arrive as a Poisson process at ``λ`` per hour for the job: the per-instance
rate × the instance count, since losing any instance stops a synchronous job. The
per-instance default comes from the AWS Spot Instance Advisor bucket of the instance type
(``planner/data/spot_interruption.csv``): a monthly fraction ``f`` becomes
``λ = −ln(1 − f) / 730`` per hour. The run is cut into ``n`` equal segments of compute
``s = W/n``; each but the last ends with a checkpoint write of ``δ`` hours. An interruption
loses the work since the last checkpoint and costs a restart of ``R`` hours (billed; not
itself interrupted). A segment of length ``x`` then takes, in expectation,
``(e^(λx) − 1)(1/λ + R)`` hours, so the run takes
``(n − 1)·g(s + δ) + g(s)`` with ``g(x) = (e^(λx) − 1)(1/λ + R)``. The planner picks the
``n`` that minimises it; Young's (1974) interval ``√(2δM)`` and Daly's (2006) higher-order
interval are shown beside it (``M = 1/λ``). The same model is simulated, vectorised and
seeded, to give the distribution of time and cost. A run whose expected time is more than
:data:`MAX_SLOWDOWN` times its uninterrupted time "never finishes".

"Mixed" is spot with an on-demand fallback: at each interruption the run restarts on spot
only if a failure-free finish plus one more lost segment and restart still fits before the
deadline; otherwise it finishes on on-demand. It always meets a deadline that on-demand
meets.

>>> round(young_interval(mtbf_hours=24, checkpoint_hours=0.25), 4)
3.4641
"""

from __future__ import annotations

import csv
import enum
import functools
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import AfterValidator, ConfigDict, Field
from scipy import optimize

from planner.catalog import Catalog, GpuSpec, InstanceType, PriceTier, load_catalog
from planner.errors import PlannerInputError
from planner.fields import STRICT, Name
from planner.formatting import Figure, change_vs_baseline, usd
from planner.sizing import (
    FlopPrice,
    ScalingLaw,
    SizingResult,
    cheapest_for_loss,
    compute_optimal_params,
    compute_optimal_tokens,
    frontier,
    isocost_profile,
    law_fit,
    optimal_for_budget,
    optimal_for_compute,
    usd_at_least,
)
from planner.units import HOURS_PER_MONTH, SECONDS_PER_HOUR

if TYPE_CHECKING:
    from planner.checks import Check
    from planner.economics import TrainingCost, UnitEconomics
    from planner.scenario import Scenario, TrainingWorkload

__all__ = [
    "MAX_SLOWDOWN",
    "CheckpointPlan",
    "MemoryCheck",
    "Precision",
    "RunEstimate",
    "RunPricing",
    "SpotOutcome",
    "Throughput",
    "TrainingBaseline",
    "TrainingPlan",
    "TrainingReport",
    "WorkloadLink",
    "as_workload",
    "checkpoint_plan",
    "daly_interval",
    "estimate_run",
    "evaluate_plan",
    "expected_interruptions",
    "expected_run_hours",
    "memory_check",
    "plan_checks",
    "simulate_fallback",
    "simulate_spot",
    "young_interval",
]

DATA_DIR = Path(__file__).parent / "data"
# A run expected to take more than this many times its uninterrupted time never finishes.
MAX_SLOWDOWN = 10.0
# The largest instance count the memory check will propose.
MAX_INSTANCES = 100_000
# A simulation's work is its runs times each run's expected interruptions (every one is a
# random draw): the plan's simulation count is reduced to keep within this, about 0.5 s.
MAX_SIMULATED_INTERRUPTIONS = 10_000_000
# Interruption draws made at once: memory is this many × about 40 bytes, whatever the plan.
DRAW_CHUNK = 1 << 18
# Mixed pricing has no closed form, so it is always simulated, at least this many times.
MIN_MIXED_SIMULATIONS = 2_000
# Fewer simulated runs than this give percentiles too rough to show.
MIN_SIMULATIONS = 100
# Hours and tier of a linked workload closer than this to the plan's count as the same run.
WORKLOAD_TOLERANCE = 0.05
# Loss differences smaller than this are numerical noise, not lost quality.
LOSS_TOLERANCE = 1e-6


# --------------------------------------------------------------------------- schema


class Precision(enum.StrEnum):
    """The number format the matrix multiplies run in.

    ``tf32`` is fp32 training on TF32 tensor cores (the baseline before mixed precision).

    >>> Precision("fp8").label
    'fp8'
    >>> Precision.TF32.label
    'fp32 (TF32 tensor cores)'
    """

    TF32 = "tf32"
    BF16 = "bf16"
    FP8 = "fp8"

    @property
    def label(self) -> str:
        return "fp32 (TF32 tensor cores)" if self is Precision.TF32 else self.value


class RunPricing(enum.StrEnum):
    """How the run's instance-hours are bought.

    >>> RunPricing.MIXED.label
    'mixed (spot, on-demand fallback)'
    >>> RunPricing.SPOT.price_tier
    <PriceTier.SPOT: 'spot'>
    >>> RunPricing.CAPACITY_BLOCK.price_tier is None
    True
    """

    ON_DEMAND = "on_demand"
    SPOT = "spot"
    MIXED = "mixed"
    RESERVED_1Y = "reserved_1y"
    RESERVED_3Y = "reserved_3y"
    CAPACITY_BLOCK = "capacity_block"

    @property
    def label(self) -> str:
        return _PRICING_LABELS[self]

    @property
    def price_tier(self) -> PriceTier | None:
        """The catalog tier that prices every hour, or ``None`` for mixed and capacity blocks."""
        return _PRICING_TIERS.get(self)

    @property
    def interruptible(self) -> bool:
        return self in {RunPricing.SPOT, RunPricing.MIXED}


_PRICING_LABELS = {
    RunPricing.ON_DEMAND: "on-demand",
    RunPricing.SPOT: "spot",
    RunPricing.MIXED: "mixed (spot, on-demand fallback)",
    RunPricing.RESERVED_1Y: "1-y reserved",
    RunPricing.RESERVED_3Y: "3-y reserved",
    RunPricing.CAPACITY_BLOCK: "capacity block",
}
_PRICING_TIERS = {
    RunPricing.ON_DEMAND: PriceTier.ON_DEMAND,
    RunPricing.SPOT: PriceTier.SPOT,
    RunPricing.RESERVED_1Y: PriceTier.RESERVED_1Y,
    RunPricing.RESERVED_3Y: PriceTier.RESERVED_3Y,
}


def _check_mfu(value: float) -> float:
    if not 0 < value <= 1:
        raise ValueError(
            "MFU is the fraction of the GPU's peak the run sustains, so it must be above 0 "
            "and at most 1 (0.3 to 0.5 is typical for large transformer training)"
        )
    return value


def _check_budget(value: float) -> float:
    if value <= 0:
        raise ValueError("a budget must be above zero (leave it out to size the model otherwise)")
    return value


_Params = Annotated[float, Field(ge=1e3, le=1e14, allow_inf_nan=False)]
_Tokens = Annotated[float, Field(ge=1e3, le=1e16, allow_inf_nan=False)]
_Mfu = Annotated[float, Field(allow_inf_nan=False), AfterValidator(_check_mfu)]
_Experiments = Annotated[float, Field(ge=0, le=10_000, allow_inf_nan=False)]
_ExperimentFraction = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingBaseline:
    """What the lever waterfall starts from: the fields that differ from the plan.

    Unset fields are the plan's own. The waterfall applies the plan's values one lever at a
    time, in this order: pricing (spot with checkpointing), precision, model size (right-sizing
    by the scaling law) and experiments.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    pricing: RunPricing | None = None
    precision: Precision | None = None
    params: _Params | None = None
    tokens: _Tokens | None = None
    experiments_per_model: _Experiments | None = None
    experiment_fraction: _ExperimentFraction | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingPlan:
    """One training run in detail, and how often it ships.

    Model size: ``params`` and ``tokens``; leave both out to let the planner choose (the
    cheapest model for ``target_loss``, else the best for ``budget_usd``, else the cheapest
    with the baseline's predicted loss); give one and the law supplies the compute-optimal
    other. ``budget_usd`` pays for one final run and,
    with ``inference_tokens`` (lifetime tokens served per model), its inference.

    Schedule: ``models_per_month`` models ship a month; each takes the final run plus
    ``experiments_per_model`` experiments and sweeps, each ``experiment_fraction`` of a run.

    Spot: ``interruptions_per_instance_hour`` (unset: the Spot Advisor default for the
    instance type), checkpoint write and restart times, and an optional deadline.
    ``workload`` names the scenario's training workload this plan's run stands for.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    name: Name = "training run"
    workload: Annotated[str, Field(max_length=120)] | None = None
    params: _Params | None = None
    tokens: _Tokens | None = None
    law: ScalingLaw = ScalingLaw.EPOCH
    target_loss: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)] | None = None
    budget_usd: (
        Annotated[float, Field(le=1e12, allow_inf_nan=False), AfterValidator(_check_budget)] | None
    ) = None
    inference_tokens: Annotated[float, Field(ge=0, le=1e18, allow_inf_nan=False)] = 0.0
    instance_type: str = "p5.48xlarge"
    instance_count: Annotated[int, Field(ge=1, le=MAX_INSTANCES)] = 1
    precision: Precision = Precision.BF16
    mfu: _Mfu = 0.4
    inference_mfu: _Mfu | None = None
    peak_tflops: Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)] | None = None
    recompute: bool = False
    scale_out_efficiency: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 1.0
    bytes_per_param: Annotated[float, Field(ge=1, le=64, allow_inf_nan=False)] = 16.0
    sharded: bool = True
    pricing: RunPricing = RunPricing.ON_DEMAND
    interruptions_per_instance_hour: (
        Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] | None
    ) = None
    checkpoint_minutes: Annotated[float, Field(gt=0, le=1440, allow_inf_nan=False)] = 5.0
    restart_minutes: Annotated[float, Field(ge=0, le=1440, allow_inf_nan=False)] = 10.0
    deadline_hours: Annotated[float, Field(gt=0, le=100_000, allow_inf_nan=False)] | None = None
    simulations: Annotated[int, Field(ge=100, le=200_000)] = 20_000
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] = 0
    models_per_month: Annotated[float, Field(ge=0, le=10_000, allow_inf_nan=False)] = 1.0
    experiments_per_model: _Experiments = 0.0
    experiment_fraction: _ExperimentFraction = 1.0
    baseline: TrainingBaseline | None = None

    @property
    def size(self) -> tuple[float, float]:
        """``(params, tokens)``; only for a plan whose size is resolved.

        >>> TrainingPlan(params=1e9, tokens=2e10).size
        (1000000000.0, 20000000000.0)
        """
        if self.params is None or self.tokens is None:
            raise PlannerInputError(
                f"training plan {self.name!r} has no model size yet",
                fix="set params and tokens, or resolve the plan with estimate_run",
            )
        return self.params, self.tokens

    @property
    def runs_per_model(self) -> float:
        """Full-run equivalents of compute per shipped model."""
        return 1.0 + self.experiments_per_model * self.experiment_fraction

    def baseline_plan(self) -> TrainingPlan | None:
        """The plan with the baseline's fields, or ``None`` without a baseline."""
        if self.baseline is None:
            return None
        changes = {
            name: getattr(self.baseline, name)
            for name in (
                "pricing",
                "precision",
                "params",
                "tokens",
                "experiments_per_model",
                "experiment_fraction",
            )
            if getattr(self.baseline, name) is not None
        }
        return replace(self, baseline=None, **changes)


# --------------------------------------------------------------------------- reference data


@dataclass(frozen=True, slots=True, kw_only=True)
class SpotRateDefault:
    """A default interruption rate for one instance type, and where it comes from."""

    instance_type: str
    region: str
    bucket: str
    monthly_fraction: float
    savings_vs_on_demand_pct: float | None
    date: str
    source: str
    notes: str

    @property
    def per_hour(self) -> float:
        """``−ln(1 − f) / 730``: the Poisson rate that interrupts ``f`` of instances a month.

        >>> round(spot_rate_default("p4d.24xlarge").per_hour * 1e4, 4)
        1.8292
        """
        return -math.log1p(-self.monthly_fraction) / HOURS_PER_MONTH

    @property
    def basis(self) -> str:
        where = f"{self.instance_type} {self.region}" if self.region else "instance types"
        return (
            f"AWS Spot Advisor bucket {self.bucket} for {where} ({self.date}), read as "
            f"{self.monthly_fraction:.1%} of instances interrupted a month"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CapacityBlockPrice:
    instance_type: str
    region: str
    usd_per_hour: float
    price_date: str
    source: str
    notes: str


def _read_csv(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, strict=True))


@functools.cache
def _spot_rates() -> tuple[dict[tuple[str, str], SpotRateDefault], SpotRateDefault]:
    table: dict[tuple[str, str], SpotRateDefault] = {}
    default: SpotRateDefault | None = None
    for row in _read_csv("spot_interruption.csv"):
        if row["kind"] == "bucket":
            continue
        savings = row["savings_vs_on_demand_pct"].strip()
        entry = SpotRateDefault(
            instance_type=row["key"] if row["kind"] == "instance" else "",
            region=row["region"],
            bucket=row["bucket"],
            monthly_fraction=float(row["monthly_interruption_fraction"]),
            savings_vs_on_demand_pct=float(savings) if savings else None,
            date=row["data_date"],
            source=row["source"],
            notes=row["notes"],
        )
        if row["kind"] == "default":
            default = entry
        else:
            table[(entry.instance_type, entry.region)] = entry
    if default is None:
        raise PlannerInputError("spot_interruption.csv has no default row")
    return table, default


def spot_rate_default(instance_type: str, region: str = "us-east-1") -> SpotRateDefault:
    """The Spot Advisor default for an instance type in a region, else the global default.

    >>> spot_rate_default("p4d.24xlarge").bucket
    '10-15%'
    >>> spot_rate_default("a3-highgpu-8g", "us-east4").bucket
    '<10%'
    """
    table, default = _spot_rates()
    return table.get((instance_type, region), default)


@functools.cache
def capacity_block_prices() -> dict[str, CapacityBlockPrice]:
    """Published Capacity Block prices by instance type (``capacity_blocks.csv``).

    >>> capacity_block_prices()["p4d.24xlarge"].usd_per_hour
    14.75
    """
    return {
        row["instance_type"]: CapacityBlockPrice(
            instance_type=row["instance_type"],
            region=row["region"],
            usd_per_hour=float(row["usd_per_hour"]),
            price_date=row["price_date"],
            source=row["source"],
            notes=row["notes"],
        )
        for row in _read_csv("capacity_blocks.csv")
    }


@functools.cache
def _tf32_peaks() -> dict[str, float]:
    return {
        row["gpu_model"]: float(row["tf32_dense_tflops"]) for row in _read_csv("tf32_peaks.csv")
    }


# --------------------------------------------------------------------------- compute model


def human_count(value: float) -> str:
    """Parameters or tokens in short form.

    >>> human_count(3e9), human_count(7.19e9), human_count(7e7), human_count(1.4e12)
    ('3B', '7.19B', '70M', '1.4T')
    """
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def train_flops(params: float, tokens: float, *, recompute: bool = False) -> float:
    """``6·N·D``, or ``8·N·D`` under full activation recomputation.

    >>> train_flops(1e9, 2e10), train_flops(1e9, 2e10, recompute=True)
    (1.2e+20, 1.6e+20)
    """
    return (8.0 if recompute else 6.0) * params * tokens


@dataclass(frozen=True, slots=True, kw_only=True)
class Throughput:
    """Sustained training throughput of the chosen GPUs, and how it was built."""

    gpu_model: str
    gpus: int
    peak_tflops_per_gpu: float
    mfu: float
    scale_out_factor: float
    flops_per_second: float
    basis: str


def _gpu(instance: InstanceType, catalog: Catalog) -> GpuSpec:
    spec = catalog.gpu_for(instance)
    if spec is None:
        raise PlannerInputError(
            f"instance type {instance.name!r} has no GPU spec in the catalog",
            fix="choose a GPU instance type",
        )
    return spec


def peak_tflops(gpu: GpuSpec, precision: Precision) -> float | None:
    """The GPU's dense peak for ``precision``, or ``None`` where no source gives one.

    >>> gpus = load_catalog().gpus
    >>> a100 = gpus["A100-40GB"]
    >>> peak_tflops(a100, Precision.TF32), peak_tflops(a100, Precision.FP8)
    (156.0, None)
    """
    if precision is Precision.BF16:
        return gpu.bf16_dense_tflops
    if precision is Precision.FP8:
        return gpu.fp8_dense_tflops
    return _tf32_peaks().get(gpu.gpu_model)


def throughput(
    instance: InstanceType,
    catalog: Catalog,
    *,
    instance_count: int,
    precision: Precision,
    mfu: float,
    scale_out_efficiency: float = 1.0,
    peak_override_tflops: float | None = None,
) -> Throughput:
    """GPUs × dense peak × MFU × ``scale_out_efficiency ** log2(instance_count)``.

    Raises
    ------
    PlannerInputError
        For an MFU outside (0, 1], or a GPU with no peak for the precision.

    Examples
    --------
    >>> catalog = load_catalog()
    >>> t = throughput(catalog.instance("p4d.24xlarge"), catalog, instance_count=1,
    ...                precision=Precision.BF16, mfu=0.5)
    >>> t.gpus, f"{t.flops_per_second:.4g}"  # 8 × 312 TFLOPS × 0.5
    (8, '1.248e+15')
    """
    if not 0 < mfu <= 1 or not math.isfinite(mfu):
        raise PlannerInputError(
            f"MFU = {mfu:g} is outside (0, 1]: it is the fraction of the GPU's peak the run "
            "sustains",
            fix="enter a fraction above 0 and at most 1, e.g. 0.4",
        )
    gpu = _gpu(instance, catalog)
    peak = peak_override_tflops or peak_tflops(gpu, precision)
    if peak is None:
        others = [p.value for p in Precision if peak_tflops(gpu, p) is not None]
        why = (
            "it has no FP8 support"
            if precision is Precision.FP8 and "no FP8" in gpu.notes
            else "no figure verified from a source"
        )
        raise PlannerInputError(
            f"the catalog has no dense {precision.label} peak for {gpu.gpu_model} "
            f"({instance.name}): {why}",
            fix=(f"choose {' or '.join(others)}" if others else "enter your own peak TFLOPS")
            + ", or another instance type",
        )
    gpus = instance.gpu_count * instance_count
    factor = scale_out_efficiency ** math.log2(instance_count)
    flops = gpus * peak * 1e12 * mfu * factor
    scaling = (
        f" × {factor:.3f} scale-out ({scale_out_efficiency:g} per doubling of instances)"
        if factor != 1
        else ""
    )
    source = "your peak" if peak_override_tflops else "catalog dense peak"
    return Throughput(
        gpu_model=gpu.gpu_model,
        gpus=gpus,
        peak_tflops_per_gpu=peak,
        mfu=mfu,
        scale_out_factor=factor,
        flops_per_second=flops,
        basis=(
            f"{gpus} × {gpu.gpu_model} × {peak:g} TFLOPS {precision.label} ({source}) × "
            f"{mfu:.0%} MFU{scaling}"
        ),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class MemoryCheck:
    """Do weights, gradients and optimizer state fit the GPUs? (Activations not counted.)"""

    params: float
    bytes_per_param: float
    state_gb: float
    gpus: int
    sharded: bool
    per_gpu_gb: float
    gpu_memory_gb: float | None
    fits: bool | None
    min_gpus: int | None
    min_instances: int | None
    assumption: str


def memory_check(
    params: float,
    instance: InstanceType,
    catalog: Catalog,
    *,
    instance_count: int,
    bytes_per_param: float = 16.0,
    sharded: bool = True,
) -> MemoryCheck:
    """Model and optimizer state against GPU memory.

    ``bytes_per_param × N`` before sharding (16: mixed-precision Adam); divided over all GPUs
    when sharded. ``fits`` is ``None`` when the GPU's memory is not in the catalog.

    Raises
    ------
    PlannerInputError
        When the model fits no GPU count: unsharded and larger than one GPU, or sharded and
        needing more than :data:`MAX_INSTANCES` instances.

    Examples
    --------
    >>> catalog = load_catalog()
    >>> m = memory_check(3e9, catalog.instance("p4d.24xlarge"), catalog, instance_count=1)
    >>> m.state_gb, m.per_gpu_gb, m.fits, m.min_instances
    (48.0, 6.0, True, 1)
    >>> memory_check(70e9, catalog.instance("p4d.24xlarge"), catalog, instance_count=1,
    ...              sharded=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    planner.errors.PlannerInputError: A 70B-parameter model needs 1,120 GB ... fits no GPU \
count. To fix: shard the state (ZeRO-3 / FSDP; then it needs at least 28 GPUs, 4 × \
p4d.24xlarge), or train at most 2.5B parameters.
    """
    gpu = _gpu(instance, catalog)
    state_gb = bytes_per_param * params / 1e9
    gpus = instance.gpu_count * instance_count
    per_gpu = state_gb / gpus if sharded else state_gb
    memory = gpu.memory_gb
    assumption = (
        f"{bytes_per_param:g} bytes per parameter for weights, gradients and optimizer state "
        f"(16 = mixed-precision Adam), {'sharded over all' if sharded else 'held whole on each of'}"
        f" {gpus} GPUs; activations and buffers not counted"
    )
    # What is known before the GPU's memory is; a check against it fills in the rest.
    unchecked = MemoryCheck(
        params=params,
        bytes_per_param=bytes_per_param,
        state_gb=state_gb,
        gpus=gpus,
        sharded=sharded,
        per_gpu_gb=per_gpu,
        gpu_memory_gb=None,
        fits=None,
        min_gpus=None,
        min_instances=None,
        assumption=assumption,
    )
    if memory is None:
        return replace(
            unchecked, assumption=assumption + f"; {gpu.gpu_model} memory is not in the catalog"
        )
    min_gpus = math.ceil(round(state_gb / memory, 9))
    min_instances = math.ceil(min_gpus / instance.gpu_count)
    what = f"A {human_count(params)}-parameter model needs {state_gb:,.0f} GB"
    need = f"{bytes_per_param:g} bytes per parameter for weights, gradients and optimizer state"
    if not sharded and state_gb > memory:
        raise PlannerInputError(
            f"{what} ({need}); unsharded, each {gpu.gpu_model} ({memory:g} GB) must hold all "
            "of it, so it fits no GPU count",
            fix=(
                f"shard the state (ZeRO-3 / FSDP; then it needs at least {min_gpus} GPUs, "
                f"{min_instances} × {instance.name}), or train at most "
                f"{human_count(memory * 1e9 / bytes_per_param)} parameters"
            ),
        )
    if sharded and min_instances > MAX_INSTANCES:
        raise PlannerInputError(
            f"{what} ({need}); even sharded it needs {min_instances:,} × {instance.name}, more "
            f"than the {MAX_INSTANCES:,} the planner allows, so it fits no GPU count",
            fix="train a smaller model",
        )
    return replace(
        unchecked,
        gpu_memory_gb=memory,
        fits=per_gpu <= memory,
        min_gpus=min_gpus if sharded else 1,
        min_instances=min_instances if sharded else 1,
    )


# --------------------------------------------------------------------------- checkpointing


def young_interval(*, mtbf_hours: float, checkpoint_hours: float) -> float:
    """Young (1974): ``√(2·δ·M)`` hours of compute between checkpoints.

    >>> young_interval(mtbf_hours=math.inf, checkpoint_hours=0.1)
    inf
    """
    return math.sqrt(2 * checkpoint_hours * mtbf_hours)


def daly_interval(*, mtbf_hours: float, checkpoint_hours: float) -> float:
    """Daly (2006): ``√(2δM)·[1 + ⅓√(δ/2M) + (δ/2M)/9] − δ`` for ``δ < 2M``, else ``M``.

    >>> round(daly_interval(mtbf_hours=24, checkpoint_hours=0.25), 4)
    3.2994
    >>> daly_interval(mtbf_hours=0.1, checkpoint_hours=0.5)
    0.1
    """
    delta, mtbf = checkpoint_hours, mtbf_hours
    if math.isinf(mtbf):
        return math.inf
    if delta >= 2 * mtbf:
        return mtbf
    ratio = delta / (2 * mtbf)
    return math.sqrt(2 * delta * mtbf) * (1 + math.sqrt(ratio) / 3 + ratio / 9) - delta


def overhead_fraction(
    *, mtbf_hours: float, checkpoint_hours: float, restart_hours: float, interval_hours: float
) -> float:
    """Expected extra time per hour of work at a checkpoint interval, in steady state.

    ``(M + R)(e^((τ+δ)/M) − 1)/τ − 1``: checkpoint writes, lost work and restarts. Zero with
    no interruptions and no checkpoints.

    >>> round(overhead_fraction(mtbf_hours=24, checkpoint_hours=0.25, restart_hours=0,
    ...                         interval_hours=3.29), 4)
    0.1594
    >>> overhead_fraction(mtbf_hours=math.inf, checkpoint_hours=0.1, restart_hours=0.2,
    ...                   interval_hours=math.inf)
    0.0
    """
    tau, delta, mtbf, restart = interval_hours, checkpoint_hours, mtbf_hours, restart_hours
    if math.isinf(tau):
        return 0.0
    if math.isinf(mtbf):
        return delta / tau
    exponent = (tau + delta) / mtbf
    if exponent > 700:  # beyond float range: the run never finishes
        return math.inf
    return (mtbf + restart) * math.expm1(exponent) / tau - 1


def _segment_hours(
    length: npt.NDArray[np.float64] | float, rate: float, restart: float
) -> npt.NDArray[np.float64]:
    """Expected hours to get through ``length`` hours of work between checkpoints."""
    length = np.asarray(length, dtype=float)
    if rate == 0:
        return length
    exponent = rate * length
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        growth = np.expm1(exponent)
        # (e^(λx) − 1)/λ, by its series where λx is too small to divide by λ safely
        per_rate = np.where(exponent < 1e-8, length * (1 + exponent / 2), growth / rate)
        result: npt.NDArray[np.float64] = per_rate + restart * growth
    return result


def expected_run_hours(
    work_hours: float, rate: float, checkpoint_hours: float, restart_hours: float, segments: int
) -> float:
    """Expected wall-clock of ``work_hours`` cut into ``segments`` with a checkpoint between.

    ``(n − 1)·g(W/n + δ) + g(W/n)``, ``g(x) = (e^(λx) − 1)(1/λ + R)``.

    >>> expected_run_hours(10, 0.0, 0.1, 0.2, 4)
    10.3
    >>> round(expected_run_hours(10, 0.01, 0.0, 0.0, 1), 4)  # (e^0.1 − 1)/0.01
    10.5171
    """
    length = work_hours / segments
    last = _segment_hours(length, rate, restart_hours)
    if segments == 1:
        return float(last)
    return float(
        (segments - 1) * _segment_hours(length + checkpoint_hours, rate, restart_hours) + last
    )


def best_segments(
    work_hours: float, rate: float, checkpoint_hours: float, restart_hours: float
) -> tuple[int, float]:
    """The segment count with the least expected wall-clock, and that time.

    >>> best_segments(10, 0.0, 0.1, 0.2)
    (1, 10.0)
    >>> best_segments(100, 0.05, 0.1, 0.2)[0]  # Daly: 1.93 h, about 52 segments
    52
    """
    if rate == 0:
        return 1, float(work_hours)
    young = young_interval(mtbf_hours=1 / rate, checkpoint_hours=checkpoint_hours)
    upper = int(min(math.ceil(4 * work_hours / young) + 16, 2_000_000))
    counts = np.arange(1, upper + 1, dtype=float)
    length = work_hours / counts
    with np.errstate(invalid="ignore"):
        totals = (counts - 1) * _segment_hours(
            length + checkpoint_hours, rate, restart_hours
        ) + _segment_hours(length, rate, restart_hours)
    totals = np.where(np.isnan(totals), np.inf, totals)
    best = int(np.argmin(totals))
    return best + 1, float(totals[best])


def max_job_rate(
    work_hours: float, checkpoint_hours: float, restart_hours: float, limit: float = MAX_SLOWDOWN
) -> float:
    """The largest job interruption rate per hour at which the run is expected to finish
    within ``limit`` times its uninterrupted time.

    >>> round(max_job_rate(10, 0.1, 0.1), 2)
    8.69
    """

    def excess(log_rate: float) -> float:
        _, hours = best_segments(work_hours, math.exp(log_rate), checkpoint_hours, restart_hours)
        return math.log(hours / (limit * work_hours))

    low, high = math.log(1e-9), math.log(1e4)
    if excess(high) < 0:
        return math.exp(high)
    return float(math.exp(optimize.brentq(excess, low, high, xtol=1e-9)))


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckpointPlan:
    """Young's and Daly's intervals for an MTBF, and the expected overhead at Daly's."""

    mtbf_hours: float
    checkpoint_hours: float
    restart_hours: float
    young_interval_hours: float
    daly_interval_hours: float
    expected_overhead_fraction: float


def _steady_overhead(mtbf: float, delta: float, restart: float) -> float:
    tau = daly_interval(mtbf_hours=mtbf, checkpoint_hours=delta)
    return overhead_fraction(
        mtbf_hours=mtbf, checkpoint_hours=delta, restart_hours=restart, interval_hours=tau
    )


def checkpoint_plan(
    *, mtbf_hours: float, checkpoint_minutes: float, restart_minutes: float = 0.0
) -> CheckpointPlan:
    """The optimal checkpoint interval for a mean time between interruptions.

    Raises
    ------
    PlannerInputError
        For a non-positive MTBF or checkpoint time, a negative restart time, or an MTBF so
        short that a run is expected to take more than :data:`MAX_SLOWDOWN` times its
        uninterrupted time (the message gives the shortest MTBF that works).

    Examples
    --------
    >>> plan = checkpoint_plan(mtbf_hours=24, checkpoint_minutes=15)
    >>> round(plan.daly_interval_hours * 60, 1), round(plan.young_interval_hours * 60, 1)
    (198.0, 207.8)
    >>> checkpoint_plan(mtbf_hours=0.1, checkpoint_minutes=30)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    planner.errors.PlannerInputError: With 30-minute checkpoints ... at least 0.36 h ...
    """
    if math.isnan(mtbf_hours) or mtbf_hours <= 0:
        raise PlannerInputError(
            f"--mtbf-hours = {mtbf_hours:g}: the mean time between interruptions must be above 0",
            fix="enter hours, e.g. 24",
        )
    if not math.isfinite(checkpoint_minutes) or checkpoint_minutes <= 0:
        raise PlannerInputError(
            f"--checkpoint-minutes = {checkpoint_minutes:g}: writing a checkpoint takes time",
            fix="enter the minutes one checkpoint takes to write, e.g. 5",
        )
    if not math.isfinite(restart_minutes) or restart_minutes < 0:
        raise PlannerInputError(
            f"--restart-minutes = {restart_minutes:g}: must be 0 or more",
            fix="enter the minutes a restart takes, e.g. 10",
        )
    delta, restart = checkpoint_minutes / 60, restart_minutes / 60
    overhead = 0.0 if math.isinf(mtbf_hours) else _steady_overhead(mtbf_hours, delta, restart)
    if overhead > MAX_SLOWDOWN - 1:
        shortest = math.exp(
            optimize.brentq(
                lambda m: _steady_overhead(math.exp(m), delta, restart) - (MAX_SLOWDOWN - 1),
                math.log(delta * 1e-3),
                math.log(max(delta, restart, 1e-6) * 1e6),
                xtol=1e-10,
            )
        )
        raise PlannerInputError(
            f"With {checkpoint_minutes:g}-minute checkpoints and an interruption every "
            f"{mtbf_hours:g} h on average, a run is expected to take {1 + overhead:,.0f}× its "
            f"uninterrupted time: it never finishes in practice",
            fix=(
                f"the mean time between interruptions must be at least {shortest:.2g} h "
                f"(at most {1 / shortest:.3g} interruptions per hour) for a run to finish "
                f"within {MAX_SLOWDOWN:g}× its time, or checkpoints must be faster"
            ),
        )
    return CheckpointPlan(
        mtbf_hours=mtbf_hours,
        checkpoint_hours=delta,
        restart_hours=restart,
        young_interval_hours=young_interval(mtbf_hours=mtbf_hours, checkpoint_hours=delta),
        daly_interval_hours=daly_interval(mtbf_hours=mtbf_hours, checkpoint_hours=delta),
        expected_overhead_fraction=overhead,
    )


# --------------------------------------------------------------------------- simulation


def _truncated_exponential(
    rng: np.random.Generator, count: int, rate: float, upper: float
) -> npt.NDArray[np.float64]:
    """``count`` draws of an exponential(rate) conditioned to be below ``upper``."""
    u = rng.random(count)
    result: npt.NDArray[np.float64] = -np.log1p(u * np.expm1(-rate * upper)) / rate
    return result


def simulate_spot(
    work_hours: float,
    rate: float,
    checkpoint_hours: float,
    restart_hours: float,
    segments: int,
    *,
    runs: int,
    seed: int,
) -> npt.NDArray[np.float64]:
    """Wall-clock hours of ``runs`` simulated spot runs (vectorised, seeded).

    Each segment is retried until it gets through without an interruption: the retries are
    negative-binomial, the time each one loses is an exponential truncated at the segment's
    length, plus a restart.

    >>> hours = simulate_spot(10, 0.0, 0.1, 0.2, 4, runs=3, seed=1)
    >>> hours.tolist()
    [10.3, 10.3, 10.3]
    >>> sample = simulate_spot(100, 0.05, 0.1, 0.2, 32, runs=200_000, seed=7)
    >>> bool(abs(sample.mean() / expected_run_hours(100, 0.05, 0.1, 0.2, 32) - 1) < 0.002)
    True
    """
    rng = np.random.default_rng(seed)
    length = work_hours / segments
    hours = np.full(runs, work_hours + (segments - 1) * checkpoint_hours)
    if rate == 0:
        return hours
    for count, span in ((segments - 1, length + checkpoint_hours), (1, length)):
        if count == 0:
            continue
        failures = rng.negative_binomial(count, math.exp(-rate * span), size=runs)
        total = int(failures.sum())
        if total == 0:
            continue
        # Runs in slices of about DRAW_CHUNK draws, in order: the same draws as all at once.
        step = max(1, runs * DRAW_CHUNK // total)
        for start in range(0, runs, step):
            part = failures[start : start + step]
            lost = _truncated_exponential(rng, int(part.sum()), rate, span)
            owner = np.repeat(np.arange(part.size), part)
            hours[start : start + step] += np.bincount(owner, weights=lost, minlength=part.size)
        hours += failures * restart_hours
    return hours


def expected_interruptions(
    work_hours: float, rate: float, checkpoint_hours: float, segments: int
) -> float:
    """Expected interruptions of one spot run: the draws :func:`simulate_spot` makes for it.

    A segment spanning ``s`` hours is retried until it gets through, so it is interrupted
    ``e^(λs) − 1`` times on average: ``(n − 1)·(e^(λ(W/n + δ)) − 1) + e^(λW/n) − 1``.

    >>> expected_interruptions(10, 0.0, 0.1, 4)
    0.0
    >>> round(expected_interruptions(100, 0.05, 0.1, 52), 2)
    5.53
    """
    length = work_hours / segments
    return (segments - 1) * math.expm1(rate * (length + checkpoint_hours)) + math.expm1(
        rate * length
    )


def simulate_fallback(
    work_hours: float,
    rate: float,
    checkpoint_hours: float,
    restart_hours: float,
    segments: int,
    deadline_hours: float,
    *,
    runs: int,
    seed: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Spot hours and on-demand hours of ``runs`` simulated "mixed" runs.

    The run starts on spot only if a failure-free spot run plus one lost segment and one
    restart fits before the deadline; at each interruption it restarts on spot under the
    same test for what is left, and otherwise restarts on on-demand and finishes there.
    So every run ends by the deadline when on-demand alone would.

    >>> spot, od = simulate_fallback(10, 0.0, 0.1, 0.2, 4, 20, runs=2, seed=0)
    >>> spot.tolist(), od.tolist()
    ([10.3, 10.3], [0.0, 0.0])
    >>> spot, od = simulate_fallback(10, 0.5, 0.1, 0.2, 4, 10.5, runs=2, seed=0)
    >>> spot.tolist(), od.tolist()  # no room for spot: all on-demand
    ([0.0, 0.0], [10.0, 10.0])
    """
    rng = np.random.default_rng(seed)
    length = work_hours / segments
    step = length + checkpoint_hours
    reserve = step + restart_hours

    def spot_time(remaining: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        result: npt.NDArray[np.float64] = remaining * length + (remaining - 1) * checkpoint_hours
        return result

    spot = np.zeros(runs)
    on_demand = np.zeros(runs)
    if work_hours + (segments - 1) * checkpoint_hours + reserve > deadline_hours:
        on_demand[:] = work_hours
        return spot, on_demand
    clock = np.zeros(runs)
    done = np.zeros(runs)  # segments completed (checkpointed)
    active = np.arange(runs)
    while active.size:
        remaining = segments - done[active]
        to_finish = spot_time(remaining)
        if rate == 0:
            gaps = np.full(active.size, np.inf)
        else:
            gaps = rng.exponential(1 / rate, size=active.size)
        finished = gaps >= to_finish
        spot[active[finished]] += to_finish[finished]
        failed = active[~finished]
        gap = gaps[~finished]
        progress = np.minimum(np.floor(gap / step), remaining[~finished] - 1)
        done[failed] += progress
        clock[failed] += gap
        spot[failed] += gap
        left = segments - done[failed]
        stay = clock[failed] + restart_hours + spot_time(left) + reserve <= deadline_hours
        stayers = failed[stay]
        clock[stayers] += restart_hours
        spot[stayers] += restart_hours
        movers = failed[~stay]
        on_demand[movers] += restart_hours + left[~stay] * length
        active = stayers
    return spot, on_demand


# --------------------------------------------------------------------------- pricing a run


@dataclass(frozen=True, slots=True, kw_only=True)
class RunPrice:
    """What one instance-hour costs under a pricing, and where the figure comes from."""

    pricing: RunPricing
    usd_per_instance_hour: float
    basis: str


def _workload(
    plan: TrainingPlan, hours: float, tier: PriceTier, runs_per_month: float
) -> TrainingWorkload:
    from planner.scenario import TrainingWorkload  # import cycle: see the module doc

    return TrainingWorkload(
        name=plan.workload or plan.name,
        instance_type=plan.instance_type,
        instance_count=plan.instance_count,
        hours_per_run=hours,
        runs_per_month=runs_per_month,
        price_tier=tier,
    )


def _tier_cost(
    plan: TrainingPlan, scenario: Scenario, catalog: Catalog, hours: float, tier: PriceTier
) -> TrainingCost:
    """The run priced exactly as the Overview prices a training workload."""
    from planner.economics import training_cost  # import cycle: see the module doc

    return training_cost(_workload(plan, hours, tier, plan.models_per_month), scenario, catalog)


def run_price(
    plan: TrainingPlan, scenario: Scenario, catalog: Catalog, pricing: RunPricing
) -> RunPrice:
    """The price per instance-hour of ``pricing`` (spot's for mixed), with its basis.

    Raises
    ------
    PlannerInputError
        When the catalog has no price for that tier, or no Capacity Block price.
    """
    if pricing is RunPricing.CAPACITY_BLOCK:
        block = capacity_block_prices().get(plan.instance_type)
        if block is None:
            known = ", ".join(sorted(capacity_block_prices()))
            raise PlannerInputError(
                f"no published Capacity Block price for {plan.instance_type!r}",
                fix=f"use one of {known}, or another pricing",
            )
        return RunPrice(
            pricing=pricing,
            usd_per_instance_hour=block.usd_per_hour,
            basis=f"Capacity Block, {block.region}, {block.price_date}: {block.source}",
        )
    tier = pricing.price_tier or PriceTier.SPOT
    price = _tier_cost(plan, scenario, catalog, 1.0, tier).price
    return RunPrice(pricing=pricing, usd_per_instance_hour=price.usd_per_hour, basis=price.basis)


# --------------------------------------------------------------------------- the run


@dataclass(frozen=True, slots=True, kw_only=True)
class SpotOutcome:
    """A run on spot (or mixed): the checkpoint plan and the simulated distribution."""

    pricing: RunPricing
    interruptions_per_instance_hour: float
    rate_basis: str
    job_rate_per_hour: float
    checkpoint_hours: float
    restart_hours: float
    young_interval_hours: float
    daly_interval_hours: float
    segments: int
    interval_hours: float
    expected_hours: float
    expected_overhead_fraction: float
    expected_cost_usd: float
    p50_hours: float
    p90_hours: float
    p50_cost_usd: float
    p90_cost_usd: float
    deadline_hours: float | None
    deadline_probability: float | None
    on_demand_share: float
    simulations: int
    seed: int
    hours: npt.NDArray[np.float64]
    costs: npt.NDArray[np.float64]
    # Says why fewer runs than the plan asked for were simulated; empty when none were cut.
    simulation_note: str = ""

    @property
    def job_mtbf_hours(self) -> float:
        return math.inf if self.job_rate_per_hour == 0 else 1 / self.job_rate_per_hour


@dataclass(frozen=True, slots=True, kw_only=True)
class RunEstimate:
    """One run of a plan, resolved and priced. Costs are expected values per run."""

    plan: TrainingPlan
    size_basis: str
    sizing: SizingResult | None
    loss: float | None
    flops: float
    throughput: Throughput
    compute_hours: float
    memory: MemoryCheck
    price: RunPrice
    wall_clock_hours: float
    cost_usd: float
    spot: SpotOutcome | None

    @property
    def params(self) -> float:
        return self.plan.size[0]

    @property
    def tokens(self) -> float:
        return self.plan.size[1]

    @property
    def gpus(self) -> int:
        return self.throughput.gpus

    @property
    def gpu_hours(self) -> float:
        """GPU-hours billed, including any checkpoint, lost-work and restart time."""
        return self.wall_clock_hours * self.gpus

    @property
    def compute_gpu_hours(self) -> float:
        return self.compute_hours * self.gpus

    @property
    def runs_per_month(self) -> float:
        return self.plan.models_per_month * self.plan.runs_per_model

    @property
    def cost_per_model_usd(self) -> float:
        return self.cost_usd * self.plan.runs_per_model

    @property
    def cost_per_month_usd(self) -> float:
        return self.cost_usd * self.runs_per_month


def run_throughput(plan: TrainingPlan, catalog: Catalog) -> Throughput:
    """The plan's throughput: all its instances at its precision, MFU, scale-out and peak.

    Raises
    ------
    PlannerInputError
        For an unknown instance type, or as :func:`throughput` does.

    Examples
    --------
    >>> plan = TrainingPlan(instance_type="p4d.24xlarge", instance_count=2, mfu=0.5)
    >>> f"{run_throughput(plan, load_catalog()).flops_per_second:.4g}"  # 16 × 312 TFLOPS × 0.5
    '2.496e+15'
    """
    return throughput(
        catalog.instance(plan.instance_type),
        catalog,
        instance_count=plan.instance_count,
        precision=plan.precision,
        mfu=plan.mfu,
        scale_out_efficiency=plan.scale_out_efficiency,
        peak_override_tflops=plan.peak_tflops,
    )


def flop_price(plan: TrainingPlan, scenario: Scenario, catalog: Catalog) -> FlopPrice:
    """USD per FLOP on the plan's hardware and pricing, for sizing under a dollar budget.

    Training runs on all the plan's instances at its MFU and scale-out; inference is priced
    on one instance of the same type at ``inference_mfu`` (default: the training MFU).
    Spot overhead is left out of this first-order price.
    """
    pricing = RunPricing.SPOT if plan.pricing is RunPricing.MIXED else plan.pricing
    hourly = run_price(plan, scenario, catalog, pricing).usd_per_instance_hour
    train = run_throughput(plan, catalog)
    serve = run_throughput(
        replace(plan, instance_count=1, mfu=plan.inference_mfu or plan.mfu), catalog
    )
    return FlopPrice(
        train_usd_per_flop=hourly * plan.instance_count / (train.flops_per_second * 3600),
        inference_usd_per_flop=hourly / (serve.flops_per_second * 3600),
        train_flops_per_param_token=8.0 if plan.recompute else 6.0,
        basis=f"{usd(hourly)}/instance-hour ({pricing.label}) at {train.basis}",
    )


def _sizing_error(result: SizingResult) -> PlannerInputError:
    fix = None
    if result.min_budget_usd is not None and math.isfinite(result.min_budget_usd):
        fix = f"raise the budget to at least {usd_at_least(result.min_budget_usd)}"
    return PlannerInputError(result.message, fix=fix)


def resolve_size(
    plan: TrainingPlan, scenario: Scenario, catalog: Catalog
) -> tuple[TrainingPlan, str, SizingResult | None]:
    """The plan with ``params`` and ``tokens`` filled in, how they were chosen, and the
    sizing answer behind them (``None`` when given).

    Raises
    ------
    PlannerInputError
        When nothing says how big the model is, or the sizing has no sensible answer
        (budget too small, target loss unreachable).
    """
    law = ScalingLaw(plan.law)
    if plan.params is not None and plan.tokens is not None:
        return plan, "as given", None
    if plan.params is not None:
        tokens = compute_optimal_tokens(plan.params, law)
        return replace(plan, tokens=tokens), f"tokens compute-optimal for N ({law.label})", None
    if plan.tokens is not None:
        params = compute_optimal_params(plan.tokens, law)
        return replace(plan, params=params), f"parameters compute-optimal for D ({law.label})", None
    fit = law_fit(law)
    base = plan.baseline
    base_size = (
        (base.params, base.tokens)
        if base is not None and base.params is not None and base.tokens is not None
        else None
    )
    target: float | None = None
    if plan.target_loss is not None:
        target, why = plan.target_loss, f"cheapest model with loss {plan.target_loss:.4g}"
    elif plan.budget_usd is not None:
        result = optimal_for_budget(
            plan.budget_usd,
            flop_price(plan, scenario, catalog),
            law,
            inference_tokens=plan.inference_tokens,
        )
        if not result.ok:
            raise _sizing_error(result)
        return (
            replace(plan, params=result.params, tokens=result.tokens),
            f"lowest predicted loss for {usd(plan.budget_usd)} ({law.label})",
            result,
        )
    elif base_size is not None and fit.predicts_loss:
        target = fit.loss(*base_size)
        why = f"right-sized: cheapest model with the baseline's predicted loss {target:.4g}"
    if target is not None:
        result = cheapest_for_loss(
            target,
            law,
            flop_price(plan, scenario, catalog),
            inference_tokens=plan.inference_tokens,
        )
        if not result.ok:
            raise _sizing_error(result)
        if plan.inference_tokens:
            why += f", counting {plan.inference_tokens:.3g} lifetime inference tokens"
        return replace(plan, params=result.params, tokens=result.tokens), why, result
    if base_size is not None:
        result = optimal_for_compute(6 * base_size[0] * base_size[1], law)
        return (
            replace(plan, params=result.params, tokens=result.tokens),
            f"the baseline's compute at {fit.tokens_per_param:g} tokens per parameter",
            result,
        )
    raise PlannerInputError(
        f"training plan {plan.name!r} does not say how big the model is",
        fix=(
            "set params and tokens, or let the planner choose: set a target loss, a baseline "
            "model size, or a budget"
        ),
    )


def _job_rate(plan: TrainingPlan, catalog: Catalog) -> tuple[float, float, str]:
    if plan.interruptions_per_instance_hour is not None:
        per_instance = plan.interruptions_per_instance_hour
        basis = "your rate"
    else:
        region = catalog.instance(plan.instance_type).region
        default = spot_rate_default(plan.instance_type, region)
        per_instance = default.per_hour
        basis = default.basis
    return per_instance, per_instance * plan.instance_count, basis


def never_finishes_error(
    plan: TrainingPlan, work_hours: float, job_rate: float, expected_hours: float
) -> PlannerInputError:
    """The message for a rate at which the run never finishes, with the largest that works."""
    delta, restart = plan.checkpoint_minutes / 60, plan.restart_minutes / 60
    largest = max_job_rate(work_hours, delta, restart) / plan.instance_count
    return PlannerInputError(
        f"At {job_rate / plan.instance_count:.3g} interruptions per instance-hour "
        f"({job_rate:.3g} per hour over {plan.instance_count} instance(s)), with "
        f"{plan.checkpoint_minutes:g}-minute checkpoints and {plan.restart_minutes:g}-minute "
        f"restarts, this {work_hours:,.1f}-hour run is expected to take "
        f"{expected_hours / work_hours:,.0f}× as long on spot: it never finishes in practice",
        fix=(
            f"use an interruption rate of at most {largest:.3g} per instance-hour (the largest at "
            f"which it is expected to finish within {MAX_SLOWDOWN:g}× its time), faster "
            "checkpoints, fewer instances, or on-demand"
        ),
    )


def _simulation_runs(
    wanted: int, per_run: float, *, minimum: int, job_rate: float
) -> tuple[int, str]:
    """``wanted`` runs, or as many as keep runs × ``per_run`` (the draws each run makes)
    within :data:`MAX_SIMULATED_INTERRUPTIONS`, with a note saying so.

    >>> _simulation_runs(200_000, 1_000.0, minimum=100, job_rate=50.0)[0]
    10000
    >>> _simulation_runs(20_000, 3.0, minimum=100, job_rate=0.1)
    (20000, '')

    Raises
    ------
    PlannerInputError
        When not even ``minimum`` runs fit.
    """
    affordable = int(MAX_SIMULATED_INTERRUPTIONS // per_run)
    if wanted <= affordable:
        return wanted, ""
    if affordable < minimum:
        raise PlannerInputError(
            f"At {job_rate:,.6g} interruptions per hour for the job, one run of this plan has "
            f"about {per_run:,.0f} interruptions to simulate: {minimum:,} runs would draw more "
            f"than the {MAX_SIMULATED_INTERRUPTIONS:,} this planner simulates at once",
            fix="use a lower interruption rate, fewer instances, or on-demand pricing",
        )
    return affordable, (
        f"Simulated {affordable:,} runs, not the plan's {wanted:,}: each run has about "
        f"{per_run:,.0f} interruptions, and one simulation draws at most "
        f"{MAX_SIMULATED_INTERRUPTIONS:,}."
    )


def _spot_outcome(
    plan: TrainingPlan,
    scenario: Scenario,
    catalog: Catalog,
    work_hours: float,
    pricing: RunPricing,
    *,
    simulate: bool,
) -> SpotOutcome:
    per_instance, rate, basis = _job_rate(plan, catalog)
    delta, restart = plan.checkpoint_minutes / 60, plan.restart_minutes / 60
    segments, expected = best_segments(work_hours, rate, delta, restart)
    if expected > MAX_SLOWDOWN * work_hours:
        raise never_finishes_error(plan, work_hours, rate, expected)
    spot_hourly = run_price(plan, scenario, catalog, RunPricing.SPOT).usd_per_instance_hour
    spot_rate = spot_hourly * plan.instance_count
    mtbf = math.inf if rate == 0 else 1 / rate
    deadline = plan.deadline_hours
    runs = plan.simulations if simulate else 0
    on_demand_share = 0.0
    per_run = expected_interruptions(work_hours, rate, delta, segments)
    note = ""
    if pricing is RunPricing.MIXED:
        if deadline is None:
            raise PlannerInputError(
                "mixed pricing (spot with an on-demand fallback) needs a deadline to fall back for",
                fix="set deadline_hours, or choose spot",
            )
        # A mixed run leaves spot by the deadline: at most rate × deadline interruptions
        # (plus the last try), and the simulation loops once per interruption.
        mixed_runs, note = _simulation_runs(
            max(runs, MIN_MIXED_SIMULATIONS),
            min(per_run, rate * deadline) + 1,
            minimum=MIN_MIXED_SIMULATIONS,
            job_rate=rate,
        )
        od_rate = (
            run_price(plan, scenario, catalog, RunPricing.ON_DEMAND).usd_per_instance_hour
            * plan.instance_count
        )
        spot_h, od_h = simulate_fallback(
            work_hours,
            rate,
            delta,
            restart,
            segments,
            deadline,
            runs=mixed_runs,
            seed=plan.seed,
        )
        hours = spot_h + od_h
        costs = spot_h * spot_rate + od_h * od_rate
        expected = float(hours.mean())
        expected_cost = float(costs.mean())
        on_demand_share = float(od_h.sum() / hours.sum()) if hours.sum() else 0.0
    else:
        expected_cost = _tier_cost(plan, scenario, catalog, expected, PriceTier.SPOT).usd_per_run
        if runs:
            # + 1: a run without interruptions still costs its own draws.
            runs, note = _simulation_runs(runs, per_run + 1, minimum=MIN_SIMULATIONS, job_rate=rate)
            hours = simulate_spot(
                work_hours, rate, delta, restart, segments, runs=runs, seed=plan.seed
            )
        else:
            hours = np.array([expected])
        costs = hours * spot_rate
    p50_h, p90_h = (float(v) for v in np.percentile(hours, [50, 90]))
    p50_c, p90_c = (float(v) for v in np.percentile(costs, [50, 90]))
    return SpotOutcome(
        pricing=pricing,
        interruptions_per_instance_hour=per_instance,
        rate_basis=basis,
        job_rate_per_hour=rate,
        checkpoint_hours=delta,
        restart_hours=restart,
        young_interval_hours=young_interval(mtbf_hours=mtbf, checkpoint_hours=delta),
        daly_interval_hours=daly_interval(mtbf_hours=mtbf, checkpoint_hours=delta),
        segments=segments,
        interval_hours=work_hours / segments,
        expected_hours=expected,
        expected_overhead_fraction=expected / work_hours - 1,
        expected_cost_usd=expected_cost,
        p50_hours=p50_h,
        p90_hours=p90_h,
        p50_cost_usd=p50_c,
        p90_cost_usd=p90_c,
        deadline_hours=deadline,
        deadline_probability=(
            float(np.mean(hours <= deadline + 1e-9)) if deadline is not None and runs else None
        ),
        on_demand_share=on_demand_share,
        simulations=int(hours.size) if runs else 0,
        seed=plan.seed,
        hours=hours,
        costs=costs,
        simulation_note=note,
    )


def estimate_run(
    plan: TrainingPlan,
    scenario: Scenario,
    catalog: Catalog | None = None,
    *,
    simulate: bool = True,
) -> RunEstimate:
    """Size, time and price one run of ``plan``.

    With spot or mixed pricing the checkpoint interval is chosen and, if ``simulate``, the
    run is simulated ``plan.simulations`` times; without ``simulate`` a spot run's
    percentiles are its expectation (mixed is always simulated: it has no closed form).

    Raises
    ------
    PlannerInputError
        Unknown instance, no price for the pricing, no peak for the precision, a model
        that fits no GPU count, a sizing with no sensible answer, or an interruption rate
        at which the run never finishes.
    """
    catalog = catalog or load_catalog()
    instance = catalog.instance(plan.instance_type)
    resolved, size_basis, sizing = resolve_size(plan, scenario, catalog)
    params, tokens = resolved.size
    fit = law_fit(resolved.law)
    loss = fit.loss(params, tokens) if fit.predicts_loss else None
    speed = run_throughput(resolved, catalog)
    memory = memory_check(
        params,
        instance,
        catalog,
        instance_count=resolved.instance_count,
        bytes_per_param=resolved.bytes_per_param,
        sharded=resolved.sharded,
    )
    flops = train_flops(params, tokens, recompute=resolved.recompute)
    work = flops / speed.flops_per_second / SECONDS_PER_HOUR
    price = run_price(resolved, scenario, catalog, resolved.pricing)
    spot = None
    if resolved.pricing.interruptible:
        spot = _spot_outcome(resolved, scenario, catalog, work, resolved.pricing, simulate=simulate)
        hours, cost = spot.expected_hours, spot.expected_cost_usd
    elif resolved.pricing.price_tier is not None:
        hours = work
        cost = _tier_cost(
            resolved, scenario, catalog, work, resolved.pricing.price_tier
        ).usd_per_run
    else:
        hours = work
        cost = work * resolved.instance_count * price.usd_per_instance_hour
    return RunEstimate(
        plan=resolved,
        size_basis=size_basis,
        sizing=sizing,
        loss=loss,
        flops=flops,
        throughput=speed,
        compute_hours=work,
        memory=memory,
        price=price,
        wall_clock_hours=hours,
        cost_usd=cost,
        spot=spot,
    )


def as_workload(estimate: RunEstimate, name: str | None = None) -> TrainingWorkload | None:
    """The scenario training workload that costs what this run costs, where one can.

    ``None`` for mixed and capacity-block pricing (no single catalog tier prices them) and
    for runs outside the workload schema's limits.
    """
    tier = estimate.plan.pricing.price_tier
    runs = estimate.runs_per_month
    if tier is None or not 0 < estimate.wall_clock_hours <= 10_000 or runs > 10_000:
        return None
    workload = _workload(estimate.plan, estimate.wall_clock_hours, tier, runs)
    return replace(workload, name=name) if name else workload


def workload_matches(workload: TrainingWorkload, run_workload: TrainingWorkload) -> bool:
    """Whether a scenario workload already costs the run (hours and runs within
    :data:`WORKLOAD_TOLERANCE`, same instances and tier)."""
    return (
        workload.instance_type == run_workload.instance_type
        and workload.instance_count == run_workload.instance_count
        and workload.price_tier == run_workload.price_tier
        and abs(workload.hours_per_run / run_workload.hours_per_run - 1) <= WORKLOAD_TOLERANCE
        and abs(workload.runs_per_month - run_workload.runs_per_month)
        <= WORKLOAD_TOLERANCE * max(run_workload.runs_per_month, 1e-9)
    )


# --------------------------------------------------------------------------- the report

LEVERS = (
    ("pricing", "Spot with checkpointing"),
    ("precision", "Precision"),
    ("size", "Right-sizing by the scaling law"),
    ("experiments", "Fewer wasted experiments"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingReport:
    """Everything the Training page and ``train --json`` show for a scenario's plan."""

    run: RunEstimate
    baseline: RunEstimate | None
    waterfall: pd.DataFrame | None
    comparison: pd.DataFrame
    spot_run: RunEstimate | None
    frontier: pd.DataFrame | None
    isocost: pd.DataFrame | None
    frontier_note: str
    frontier_budget_usd: float | None
    inference_sweep: pd.DataFrame | None


def _step_plan(base: TrainingPlan, final: TrainingPlan, lever: str) -> TrainingPlan:
    if lever == "pricing":
        return replace(base, pricing=final.pricing)
    if lever == "precision":
        return replace(base, precision=final.precision)
    if lever == "size":
        return replace(base, params=final.params, tokens=final.tokens)
    return replace(
        base,
        experiments_per_model=final.experiments_per_model,
        experiment_fraction=final.experiment_fraction,
    )


def _step_label(lever: str, title: str, before: TrainingPlan, after: TrainingPlan) -> str:
    if lever == "pricing":
        return f"{title} ({before.pricing.label} → {after.pricing.label})"
    if lever == "precision":
        return f"{title} ({before.precision.label} → {after.precision.label})"
    if lever == "size":
        (n0, d0), (n1, d1) = before.size, after.size
        return (
            f"{title} ({human_count(n0)} → {human_count(n1)} parameters, "
            f"{human_count(d0)} → {human_count(d1)} tokens)"
        )
    return (
        f"{title} ({before.runs_per_model:.3g} → {after.runs_per_model:.3g} run-equivalents "
        "per model)"
    )


def waterfall(
    baseline: RunEstimate, run: RunEstimate, scenario: Scenario, catalog: Catalog
) -> pd.DataFrame:
    """How each lever moves the monthly cost, applied one after another in :data:`LEVERS`
    order from the baseline to the plan. Every step is a run the model prices.

    Columns: ``step`` (label), ``lever``, ``usd_per_month``, ``change_usd_per_month``,
    ``usd_per_model``, ``usd_per_run``, ``wall_clock_hours``, ``loss``. The first row is the
    baseline and the last the plan; the changes sum to their difference.
    """
    rows = [_waterfall_row("Baseline", "baseline", baseline)]
    current_plan, current = baseline.plan, baseline
    for lever, title in LEVERS:
        next_plan = _step_plan(current_plan, run.plan, lever)
        estimate = (
            run
            if lever == LEVERS[-1][0]
            else estimate_run(next_plan, scenario, catalog, simulate=False)
        )
        step = _step_label(lever, title, current_plan, next_plan)
        rows.append(_waterfall_row(step, lever, estimate, current))
        current_plan, current = next_plan, estimate
    rows.append(_waterfall_row("Plan", "plan", run))
    return pd.DataFrame(rows)


def _waterfall_row(
    step: str, lever: str, estimate: RunEstimate, before: RunEstimate | None = None
) -> dict[str, Any]:
    """One row of :func:`waterfall`; a total (no ``before``) changes nothing."""
    change = 0.0 if before is None else estimate.cost_per_month_usd - before.cost_per_month_usd
    return {
        "step": step,
        "lever": lever,
        "usd_per_month": estimate.cost_per_month_usd,
        "change_usd_per_month": change,
        "usd_per_model": estimate.cost_per_model_usd,
        "usd_per_run": estimate.cost_usd,
        "wall_clock_hours": estimate.wall_clock_hours,
        "loss": estimate.loss,
    }


def checkpoint_note(spot: SpotOutcome) -> str:
    """How often the run checkpoints, in words.

    >>> import numpy as np
    >>> outcome = SpotOutcome(
    ...     pricing=RunPricing.SPOT, interruptions_per_instance_hour=0.01, rate_basis="",
    ...     job_rate_per_hour=0.01, checkpoint_hours=0.1, restart_hours=0.1,
    ...     young_interval_hours=4.5, daly_interval_hours=4.4, segments=1, interval_hours=3.0,
    ...     expected_hours=3.0, expected_overhead_fraction=0.0, expected_cost_usd=1.0,
    ...     p50_hours=3.0, p90_hours=3.0, p50_cost_usd=1.0, p90_cost_usd=1.0,
    ...     deadline_hours=None, deadline_probability=None, on_demand_share=0.0,
    ...     simulations=0, seed=0, hours=np.zeros(1), costs=np.zeros(1))
    >>> checkpoint_note(outcome)
    'no checkpoint: the run is short against the 4.4-h optimal interval'
    """
    if spot.segments == 1:
        return (
            f"no checkpoint: the run is short against the {spot.daly_interval_hours:,.3g}-h "
            "optimal interval"
        )
    return (
        f"{spot.segments - 1} checkpoint{'s' if spot.segments > 2 else ''}, one every "
        f"{spot.interval_hours:,.2f} h of work"
    )


_COMPARISON_COLUMNS = [
    "pricing",
    "label",
    "expected_cost_usd",
    "p50_cost_usd",
    "p90_cost_usd",
    "expected_hours",
    "p50_hours",
    "p90_hours",
    "deadline_probability",
    "usd_per_month",
    "note",
]


def comparison(
    run: RunEstimate, scenario: Scenario, catalog: Catalog
) -> tuple[pd.DataFrame, dict[RunPricing, RunEstimate]]:
    """The plan's run bought on-demand, on spot and mixed (and on its own pricing, if it is
    another), one row each, and the estimates behind them. A pricing that cannot be used
    has no estimate and says why in ``note``."""
    options = [RunPricing.ON_DEMAND, RunPricing.SPOT, RunPricing.MIXED]
    if run.plan.pricing not in options:
        options.append(run.plan.pricing)
    rows = []
    estimates: dict[RunPricing, RunEstimate] = {}
    deadline = run.plan.deadline_hours
    for pricing in options:
        row: dict[str, Any] = {"pricing": str(pricing), "label": pricing.label, "note": ""}
        try:
            estimate = (
                run
                if pricing is run.plan.pricing
                else estimate_run(replace(run.plan, pricing=pricing), scenario, catalog)
            )
        except PlannerInputError as error:
            row["note"] = str(error)
            rows.append(row)
            continue
        estimates[pricing] = estimate
        spot = estimate.spot
        hours = estimate.wall_clock_hours
        row |= {
            "expected_cost_usd": estimate.cost_usd,
            "p50_cost_usd": spot.p50_cost_usd if spot else estimate.cost_usd,
            "p90_cost_usd": spot.p90_cost_usd if spot else estimate.cost_usd,
            "expected_hours": hours,
            "p50_hours": spot.p50_hours if spot else hours,
            "p90_hours": spot.p90_hours if spot else hours,
            "deadline_probability": (
                spot.deadline_probability
                if spot
                else (float(hours <= deadline) if deadline is not None else None)
            ),
            "usd_per_month": estimate.cost_per_month_usd,
        }
        if spot and pricing is RunPricing.MIXED:
            row["note"] = f"{spot.on_demand_share:.0%} of hours fell back to on-demand"
        elif spot:
            row["note"] = checkpoint_note(spot)
        rows.append(row)
    return pd.DataFrame(rows, columns=_COMPARISON_COLUMNS), estimates


def _frontier(
    run: RunEstimate, scenario: Scenario, catalog: Catalog
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, str, float | None]:
    plan = run.plan
    fit = law_fit(plan.law)
    if not fit.predicts_loss:
        return (
            None,
            None,
            f"The {fit.law.label} rule predicts no loss: choose a law for the frontier.",
            None,
        )
    price = flop_price(plan, scenario, catalog)
    inference_cost = 2 * run.params * plan.inference_tokens * price.inference_usd_per_flop
    budget = run.flops * price.train_usd_per_flop + inference_cost
    budgets = np.geomspace(budget / 30, budget * 30, 37)
    curve = frontier(price, plan.law, budgets.tolist(), inference_tokens=plan.inference_tokens)
    profile = isocost_profile(budget, price, plan.law, inference_tokens=plan.inference_tokens)
    note = (
        f"Budget of the plan's final run: {usd(budget)} at {price.basis}"
        + (f", including {usd(inference_cost)} of lifetime inference" if inference_cost else "")
        + ". Costs here leave out spot overhead."
    )
    return curve, profile, note, budget


def inference_sweep(run: RunEstimate, scenario: Scenario, catalog: Catalog) -> pd.DataFrame | None:
    """The cheapest model with the plan's predicted loss as lifetime inference grows.

    One row per amount of inference tokens (the plan's own, a hundredth to ten times it, and
    none; or 1e9 to 1e13 when the plan has none): ``inference_tokens``, ``params``,
    ``tokens``, ``tokens_per_param``, ``train_cost_usd``, ``inference_cost_usd``,
    ``total_cost_usd`` and ``plan`` (the plan's own amount). The more a model will serve,
    the smaller it gets and the longer it trains (Sardana et al. 2023). ``None`` when the
    law predicts no loss.
    """
    plan = run.plan
    if run.loss is None:
        return None
    price = flop_price(plan, scenario, catalog)
    own = plan.inference_tokens
    scale = [own / 100, own / 10, own, own * 10] if own else [1e9, 1e10, 1e11, 1e12, 1e13]
    rows = []
    for amount in sorted({0.0, *scale}):
        best = cheapest_for_loss(run.loss, plan.law, price, inference_tokens=amount)
        if not best.ok:
            continue
        rows.append(
            {
                "inference_tokens": amount,
                "params": best.params,
                "tokens": best.tokens,
                "tokens_per_param": best.tokens_per_param,
                "train_cost_usd": best.train_cost_usd,
                "inference_cost_usd": best.inference_cost_usd,
                "total_cost_usd": best.total_cost_usd,
                "plan": amount == own,
            }
        )
    return pd.DataFrame(rows)


def _require_plan(scenario: Scenario) -> TrainingPlan:
    if scenario.training_plan is None:
        raise PlannerInputError(
            "this scenario has no training plan",
            fix="add a training_plan section, or start one on the Training page",
        )
    return scenario.training_plan


def evaluate_plan(scenario: Scenario, catalog: Catalog | None = None) -> TrainingReport:
    """The scenario's training plan: its run, the baseline, the lever waterfall, the pricing
    comparison and the cost-vs-loss frontier.

    Raises
    ------
    PlannerInputError
        When the scenario has no training plan, or its run cannot be estimated.
    """
    catalog = catalog or load_catalog()
    plan = _require_plan(scenario)
    run = estimate_run(plan, scenario, catalog)
    base_plan = plan.baseline_plan()
    baseline = None
    steps = None
    if base_plan is not None:
        baseline = estimate_run(base_plan, scenario, catalog, simulate=False)
        steps = waterfall(baseline, run, scenario, catalog)
    curve, profile, note, budget = _frontier(run, scenario, catalog)
    table, estimates = comparison(run, scenario, catalog)
    return TrainingReport(
        run=run,
        baseline=baseline,
        waterfall=steps,
        comparison=table,
        spot_run=estimates.get(RunPricing.SPOT),
        frontier=curve,
        isocost=profile,
        frontier_note=note,
        frontier_budget_usd=budget,
        inference_sweep=inference_sweep(run, scenario, catalog),
    )


def cost_breakdown(run: RunEstimate) -> pd.DataFrame:
    """The plan's monthly training cost by component: compute of the final runs, spot
    overhead (checkpoints, lost work, restarts) and experiments."""
    per_run_compute = run.cost_usd * run.compute_hours / run.wall_clock_hours
    overhead = run.cost_usd - per_run_compute
    models = run.plan.models_per_month
    experiments = run.plan.runs_per_model - 1
    rows = [
        ("Final runs: compute", per_run_compute * models),
        ("Final runs: checkpoints, lost work and restarts", overhead * models),
        ("Experiments and sweeps", run.cost_usd * experiments * models),
    ]
    return pd.DataFrame(rows, columns=["component", "usd_per_month"])


# --------------------------------------------------------------------------- checks


def plan_checks(
    scenario: Scenario, economics: UnitEconomics, catalog: Catalog | None = None
) -> list[Check]:
    """Assumption checks on the scenario's training plan (none without a plan).

    * the run's state does not fit the chosen GPUs (warning);
    * the plan's predicted loss is above its baseline's: it loses quality (warning);
    * the workload the plan names is missing, or costs a different run (info);
    * the plan cannot be estimated at all (warning).
    """
    from planner.checks import Check, Severity  # import cycle: see the module doc

    plan = scenario.training_plan
    if plan is None:
        return []
    catalog = catalog or load_catalog()
    subject = f"training plan: {plan.name}"
    try:
        run = estimate_run(plan, scenario, catalog, simulate=False)
        base_plan = plan.baseline_plan()
        baseline = estimate_run(base_plan, scenario, catalog, simulate=False) if base_plan else None
    except PlannerInputError as error:
        return [
            Check(
                code="training_plan_invalid",
                severity=Severity.WARNING,
                subject=subject,
                message=f"the plan cannot be estimated: {error}",
            )
        ]
    checks = []
    memory = run.memory
    if memory.fits is False:
        checks.append(
            Check(
                code="training_memory_does_not_fit",
                severity=Severity.WARNING,
                subject=subject,
                message=(
                    f"a {human_count(run.params)}-parameter model needs {memory.state_gb:,.0f} GB "
                    f"of weights, gradients and optimizer state ({memory.bytes_per_param:g} bytes "
                    f"per parameter), {memory.per_gpu_gb:,.1f} GB per GPU over {memory.gpus} "
                    f"GPUs, more than the {memory.gpu_memory_gb:g} GB each has. It needs at "
                    f"least {memory.min_instances} × {plan.instance_type}"
                ),
            )
        )
    if (
        baseline is not None
        and run.loss is not None
        and baseline.loss is not None
        and run.loss > baseline.loss + LOSS_TOLERANCE
    ):
        checks.append(
            Check(
                code="training_plan_loses_quality",
                severity=Severity.WARNING,
                subject=subject,
                message=(
                    f"the plan's predicted loss {run.loss:.4f} is above the baseline's "
                    f"{baseline.loss:.4f} ({plan.law.label}): its savings lose predicted quality"
                ),
            )
        )
    if plan.workload is not None:
        checks.extend(_workload_checks(plan, run, economics))
    return checks


def _workload_checks(plan: TrainingPlan, run: RunEstimate, economics: UnitEconomics) -> list[Check]:
    from planner.checks import Check, Severity  # import cycle: see the module doc

    costs = {item.name: item for item in economics.training}
    subject = f"training plan: {plan.name}"
    linked = costs.get(plan.workload or "")
    if linked is None:
        return [
            Check(
                code="training_plan_workload_missing",
                severity=Severity.INFO,
                subject=subject,
                message=(
                    f"the plan stands for training workload {plan.workload!r}, which this "
                    "scenario does not have, so the Overview does not count its cost"
                ),
            )
        ]
    expected_hours = run.wall_clock_hours * run.plan.instance_count
    differences = []
    if abs(linked.instance_hours_per_run / expected_hours - 1) > WORKLOAD_TOLERANCE:
        differences.append(
            f"{linked.instance_hours_per_run:,.1f} instance-hours per run against the plan's "
            f"{expected_hours:,.1f}"
        )
    tier = run.plan.pricing.price_tier
    if tier is not None and linked.price.tier is not tier:
        differences.append(f"{linked.price.tier.label} against the plan's {tier.label}")
    if abs(linked.runs_per_month - run.runs_per_month) > WORKLOAD_TOLERANCE * max(
        run.runs_per_month, 1e-9
    ):
        differences.append(
            f"{linked.runs_per_month:g} runs a month against the plan's {run.runs_per_month:.4g}"
        )
    if not differences:
        return []
    return [
        Check(
            code="training_plan_workload_differs",
            severity=Severity.INFO,
            subject=subject,
            message=(
                f"workload {linked.name!r} costs {usd(linked.usd_per_run)} a run; the plan's run "
                f"costs {usd(run.cost_usd)} ({'; '.join(differences)}). Apply the plan to the "
                "workload on the Training page to make them agree"
            ),
        )
    ]


# --------------------------------------------------------------------------- for the page


def histogram_frame(samples: npt.NDArray[np.float64], bins: int = 40) -> pd.DataFrame:
    """Counts of ``samples`` in equal bins: columns ``start``, ``end``, ``share``.

    >>> histogram_frame(np.array([1.0, 1.0, 2.0]), bins=2)["share"].round(3).tolist()
    [0.667, 0.333]
    """
    low, high = float(samples.min()), float(samples.max())
    if high - low < 1e-9 * max(abs(high), 1.0):
        low, high = low - 0.5e-3 * max(abs(low), 1.0), high + 0.5e-3 * max(abs(high), 1.0)
    counts, edges = np.histogram(samples, bins=bins, range=(low, high))
    return pd.DataFrame(
        {"start": edges[:-1], "end": edges[1:], "share": counts / max(samples.size, 1)}
    )


# How a plan says how big its model is: the field resolve_size uses first.
SizeMode = Literal["given", "target", "budget", "baseline"]


def size_mode(plan: TrainingPlan) -> SizeMode:
    """Which of the plan's fields sizes its model: the first :func:`resolve_size` uses.

    A plan with none of them is shown as "given", where the user types the size.

    >>> size_mode(TrainingPlan(params=1e9)), size_mode(TrainingPlan(budget_usd=5e3))
    ('given', 'budget')
    >>> size_mode(TrainingPlan(baseline=TrainingBaseline(params=1e9, tokens=2e10)))
    'baseline'
    """
    if plan.params is not None or plan.tokens is not None:
        return "given"
    if plan.target_loss is not None:
        return "target"
    if plan.budget_usd is not None:
        return "budget"
    base = plan.baseline
    if base is not None and base.params is not None and base.tokens is not None:
        return "baseline"
    return "given"


def instance_choices(plan: TrainingPlan, catalog: Catalog) -> list[str]:
    """The catalog's GPU instance types, sorted, with the plan's own first if it is not one.

    >>> instance_choices(TrainingPlan(instance_type="mine"), load_catalog())[0]
    'mine'
    """
    names = sorted(name for name, inst in catalog.instances.items() if inst.gpu_model)
    if plan.instance_type not in names:
        names.insert(0, plan.instance_type)
    return names


def instance_label(name: str, catalog: Catalog) -> str:
    """An instance type with its GPUs and provider, for a list to choose from.

    >>> instance_label("p4d.24xlarge", load_catalog()), instance_label("mine", load_catalog())
    ('p4d.24xlarge (8 × A100-40GB, aws)', 'mine')
    """
    inst = catalog.instances.get(name)
    if inst is None:
        return name
    return f"{name} ({inst.gpu_count} × {inst.gpu_model}, {inst.provider})"


def headline(report: TrainingReport) -> tuple[Figure, ...]:
    """The run's cost, time and predicted loss, each against the baseline where there is one.

    A loss change under 0.00005 shows as none: it would read +0.0000.
    """
    run, base = report.run, report.baseline
    loss_change = (
        run.loss - base.loss
        if run.loss is not None and base is not None and base.loss is not None
        else None
    )
    return (
        Figure(
            label="Cost per run",
            value=usd(run.cost_usd),
            delta=change_vs_baseline(run.cost_usd, base.cost_usd if base else None),
            help="Expected cost of one final run, with spot overhead where it applies.",
        ),
        Figure(
            label="Cost per month",
            value=usd(run.cost_per_month_usd),
            delta=change_vs_baseline(
                run.cost_per_month_usd, base.cost_per_month_usd if base else None
            ),
            help=(
                f"{run.runs_per_month:.3g} run-equivalents a month: models × "
                "(1 + experiments × size)."
            ),
        ),
        Figure(
            label="Wall-clock per run",
            value=f"{run.wall_clock_hours:,.1f} h",
            delta=change_vs_baseline(run.wall_clock_hours, base.wall_clock_hours if base else None),
        ),
        Figure(label="GPU-hours per run", value=f"{run.gpu_hours:,.0f}"),
        Figure(
            label="Predicted loss",
            value=f"{run.loss:.4f}" if run.loss is not None else "n/a",
            delta=(
                f"{loss_change:+.4f} vs baseline"
                if loss_change is not None and abs(loss_change) >= 5e-5
                else None
            ),
            help=(
                law_fit(run.plan.law).source
                + (". The same as the baseline's." if loss_change is not None else "")
            ),
        ),
    )


def basis_note(run: RunEstimate) -> str:
    """Where the run's numbers come from: model size, FLOPs, throughput, time and price."""
    return (
        f"**Model:** {human_count(run.params)} parameters on {human_count(run.tokens)} tokens "
        f"({run.size_basis}); {run.flops:.3g} FLOPs ({'8' if run.plan.recompute else '6'}·N·D). "
        f"**Throughput:** {run.throughput.basis}. **Uninterrupted:** {run.compute_hours:,.1f} h. "
        f"**Price:** {usd(run.price.usd_per_instance_hour)}/instance-hour ({run.price.basis})."
    )


def memory_note(memory: MemoryCheck) -> str:
    """Whether the state fits the GPUs, in words; a warning when ``memory.fits is False``."""
    if memory.fits is False:
        return (
            f"Memory: {memory.per_gpu_gb:,.1f} GB of state per GPU against "
            f"{memory.gpu_memory_gb:g} GB: it needs at least {memory.min_instances} instances. "
            f"Assumed {memory.assumption}."
        )
    fits = "fits" if memory.fits else "cannot be checked"
    return (
        f"**Memory** {fits}: {memory.state_gb:,.1f} GB of state, {memory.per_gpu_gb:,.1f} GB "
        f"per GPU (assumed {memory.assumption})."
    )


def spot_note(spot: SpotOutcome) -> str:
    """The spot run's interruption rate, checkpoint plan, overhead and simulation, in words."""
    return (
        f"Spot: {spot.interruptions_per_instance_hour:.3g} interruptions per instance-hour "
        f"({spot.rate_basis}), {spot.job_rate_per_hour:.3g} per hour for the job. "
        f"Best plan: {checkpoint_note(spot)}; Young {spot.young_interval_hours:,.2f} h, "
        f"Daly {spot.daly_interval_hours:,.2f} h. Expected overhead "
        f"{spot.expected_overhead_fraction:.1%}. {spot.simulations:,} simulated runs, "
        f"seed {spot.seed}." + (f" {spot.simulation_note}" if spot.simulation_note else "")
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkloadLink:
    """How the plan's run stands to the scenario's training workloads (the Overview's).

    ``message`` says so; where the Overview does not yet cost the run, it is the label of
    the action, and ``applied`` the scenario after it. ``applied`` is ``None`` when there
    is nothing to do, or nothing that can be done.
    """

    message: str
    applied: Scenario | None = None


def workload_link(scenario: Scenario, run: RunEstimate) -> WorkloadLink:
    """Whether the Overview costs ``run`` (the scenario plan's), and how to make it.

    Applying replaces (or adds) the training workload the plan names, or else the one named
    after the plan, with the run's instances, hours (to 4 decimals), runs and tier, and
    makes the plan name it.

    Raises
    ------
    PlannerInputError
        When the scenario has no training plan.
    """
    original = _require_plan(scenario)
    plan = run.plan
    workload = as_workload(run, plan.workload or plan.name)
    if workload is None:
        return WorkloadLink(
            message=f"The Overview cannot hold this run as one training workload "
            f"({plan.pricing.label} pricing has no single catalog tier)."
        )
    existing = next((w for w in scenario.training if w.name == workload.name), None)
    if existing is not None and workload_matches(existing, workload):
        return WorkloadLink(
            message=f"The Overview's training workload **{workload.name}** costs this run "
            f"({existing.hours_per_run:,.2f} h × {existing.instance_count} × "
            f"{existing.instance_type}, {workload.runs_per_month:.4g} runs a month)."
        )
    others = tuple(w for w in scenario.training if w.name != workload.name)
    rounded = replace(workload, hours_per_run=round(workload.hours_per_run, 4))
    return WorkloadLink(
        message=(
            f"Make the Overview's workload “{workload.name}” cost this run"
            if existing is not None
            else f"Add this run to the Overview as training workload “{workload.name}”"
        ),
        applied=replace(
            scenario,
            training=(*others, rounded),
            training_plan=replace(original, workload=workload.name),
        ),
    )


def starter_plan(scenario: Scenario, catalog: Catalog | None = None) -> TrainingPlan:
    """A first training plan for a scenario: its first training workload's run, if any.

    The model is the compute-optimal one (Epoch fit) that takes the workload's hours at 40%
    MFU in bf16 on its instances; without a workload, a 1B-parameter model on 20B tokens on
    one p5.48xlarge.
    """
    catalog = catalog or load_catalog()
    if not scenario.training:
        return TrainingPlan(params=1e9, tokens=2e10)
    workload = scenario.training[0]
    tier = workload.price_tier or scenario.pricing.default_tier
    pricing = RunPricing(str(tier))
    plan = TrainingPlan(
        name=workload.name,
        workload=workload.name,
        instance_type=workload.instance_type,
        instance_count=workload.instance_count,
        pricing=pricing,
        models_per_month=workload.runs_per_month,
    )
    try:
        speed = run_throughput(plan, catalog)
    except PlannerInputError:
        return replace(plan, params=1e9, tokens=2e10)
    compute = workload.hours_per_run * SECONDS_PER_HOUR * speed.flops_per_second
    sized = optimal_for_compute(compute, plan.law)
    if not sized.ok:
        return replace(plan, params=1e9, tokens=2e10)
    return replace(plan, params=float(f"{sized.params:.3g}"), tokens=float(f"{sized.tokens:.3g}"))

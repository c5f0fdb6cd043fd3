"""Training runs: compute, time and cost; spot with checkpoint-restart; the lever waterfall.

A scenario's ``training`` section is a list of :class:`TrainingJob`: each describes one run
and how often it ships, at whatever depth the user knows, and this module prices it. A job
that states ``hours_per_run`` is priced from those hours; one that gives the model size (or
lets the planner choose it) is priced from its FLOPs. Both go through :func:`estimate_run`,
the one pricing path the Training page, ``train``, the Overview and ``evaluate`` share.

Compute model
-------------
* Model FLOPs per token (PaLM, Chowdhery et al. 2022, Appendix B): ``6·N + 12·L·H·Q·T`` for
  ``N`` parameters (active ones for a mixture of experts), ``L`` layers, ``H`` attention
  heads of ``Q`` dimensions and sequence length ``T``: the forward and backward pass of the
  weights, and of attention over the sequence. ``L``, ``H`` and ``Q`` come from the job's
  model preset; without one, ``N ≈ 12·L·d²`` with ``d = H·Q = 128·L`` (the width-to-depth
  ratio of the Llama 3.1 8B and 405B presets) gives them. A run's model FLOPs are that × ``D``
  tokens.
* MFU (model FLOPs utilisation) is model FLOPs per second over the GPUs' peak, so the time
  follows from the model FLOPs and the MFU. Full activation recomputation (``recompute``)
  runs the forward pass twice: the hardware executes ``4/3`` of the model FLOPs
  (``8·N + 16·L·H·Q·T`` per token), and the HFU (hardware FLOPs utilisation) is
  ``MFU × 4/3``. The time does not change: the user's MFU already counts the recomputation's
  cost. An HFU above 1 is impossible, and refused.
* Throughput: GPUs × the GPU's dense bf16 peak (TF32 for ``tf32``) × MFU × scale-out
  efficiency; for fp8 × a measured end-to-end fp8 speed-up over bf16
  (``training_assumptions.csv``: 1.28 on H100, not the datasheet's 2×). The scale-out
  efficiency keeps ``e^log2(instances)`` of per-GPU throughput: ``e`` per doubling of the
  instance count (1 = perfect scaling).
* Uninterrupted time ``W = model FLOPs / throughput`` (or the job's stated ``hours_per_run``);
  GPU-hours billed ``= wall-clock × GPUs``; cost ``= instance-hours × the price per
  instance-hour``. Goodput is ``W ÷ wall-clock``: the share of billed time that trains.
* Memory: weights, gradients and optimizer state take ``bytes_per_param × N`` before
  sharding; 16 bytes per parameter is mixed-precision Adam (2 for bf16 weights, 2 for
  gradients, 4 + 4 + 4 for fp32 master weights and the two Adam moments). Sharded
  (ZeRO-3 / FSDP) it is divided over every GPU; unsharded each GPU holds all of it.
  Activations, buffers and fragmentation are not counted, so "fits" is a lower bound.

Failures, spot and checkpoint-restart
-------------------------------------
Interruptions arrive as a Poisson process at ``λ`` per hour for the job: the per-instance
rate × the instance count, since losing any instance stops a synchronous job. Every tier
has hardware failures: by default the Llama 3 405B run's 419 unexpected interruptions in
54 days on 16,384 H100s (``training_assumptions.csv``), 1.97e-5 per GPU-hour, i.e. a node
MTBF of 6,335 h for an 8-GPU instance; a job's ``node_mtbf_hours`` replaces it. Spot adds
the AWS Spot Instance Advisor bucket of the instance type
(``planner/data/spot_interruption.csv``): a monthly fraction ``f`` becomes
``λ = −ln(1 − f) / 730`` per hour. A job that states its hours is taken to have measured
them, failures included, so only spot adds interruptions to it. The run is cut into ``n``
equal segments of compute ``s = W/n``; each but the last ends with a checkpoint write of
``δ`` hours. An interruption loses the work since the last checkpoint and costs a restart
of ``R`` hours (billed; not itself interrupted). A segment of length ``x`` then takes,
in expectation, ``(e^(λx) − 1)(1/λ + R)`` hours, so the run takes
``(n − 1)·g(s + δ) + g(s)`` with ``g(x) = (e^(λx) − 1)(1/λ + R)``. The planner picks the
``n`` that minimises it; Young's (1974) interval ``√(2δM)`` and Daly's (2006) higher-order
interval are shown beside it (``M = 1/λ``). The same model is simulated, vectorised and
seeded, to give the distribution of time and cost. A run whose expected time is more than
:data:`MAX_SLOWDOWN` times its uninterrupted time "never finishes".

"Mixed" is spot with an on-demand fallback: at each interruption the run restarts on spot
only if a failure-free finish plus one more lost segment and restart still fits before the
deadline; otherwise it finishes on on-demand. It always meets a deadline that on-demand
meets. The hardware failures are part of the spot legs' rate; the on-demand finish is
simulated without them (it is the fallback's last stretch, short against the node MTBF).

>>> round(young_interval(mtbf_hours=24, checkpoint_hours=0.25), 4)
3.4641
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from planner.catalog import (
    Catalog,
    GpuSpec,
    InstanceType,
    ModelArchitecture,
    PriceTier,
    Pricing,
    ScalingLaw,
    capacity_block_prices,
    load_catalog,
    spot_rate_default,
    tf32_peaks,
    training_assumption,
)
from planner.core.check import Check, Severity
from planner.core.errors import PlannerInputError
from planner.core.formatting import Figure, change_vs_baseline, usd
from planner.core.units import HOURS_PER_MONTH, SECONDS_PER_HOUR
from planner.costing.serving import serving_flop_price
from planner.models.sizing import (
    FlopPrice,
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
from planner.scenario.training import MAX_INSTANCES, RunPricing, TrainingJob, TrainingPrecision

__all__ = [
    "MAX_SLOWDOWN",
    "CheckpointPlan",
    "MemoryCheck",
    "RunEstimate",
    "SpotOutcome",
    "TrainingReport",
    "TrainingThroughput",
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

# A run expected to take more than this many times its uninterrupted time never finishes.
MAX_SLOWDOWN = 10.0
# A simulation's work is its runs times each run's expected interruptions (every one is a
# random draw): the plan's simulation count is reduced to keep within this, about 0.5 s.
MAX_SIMULATED_INTERRUPTIONS = 10_000_000
# Interruption draws made at once: memory is this many × about 40 bytes, whatever the plan.
DRAW_CHUNK = 1 << 18
# Mixed pricing has no closed form, so it is always simulated, at least this many times.
MIN_MIXED_SIMULATIONS = 2_000
# Fewer simulated runs than this give percentiles too rough to show.
MIN_SIMULATIONS = 100
# Loss differences smaller than this are numerical noise, not lost quality.
LOSS_TOLERANCE = 1e-6


# --------------------------------------------------------------------------- schema


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


# Without a preset, d = H·Q = ASPECT_RATIO × L: the width-to-depth ratio of the Llama 3.1
# presets (8B: 4,096 / 32 = 128; 405B: 16,384 / 126 = 130; 70B: 8,192 / 80 = 102).
ASPECT_RATIO = 128.0
# Full activation recomputation runs the forward pass (a third of the work) once more.
RECOMPUTE_FACTOR = 4.0 / 3.0


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingFlops:
    """A run's FLOPs: the model FLOPs the MFU counts, and what the hardware executes."""

    params: float
    tokens: float
    seq_len: int
    dense_flops: float  # 6·N·D
    attention_flops: float  # 12·L·H·Q·T·D
    hardware_flops: float  # the model FLOPs, × 4/3 under full recomputation
    basis: str

    @property
    def model_flops(self) -> float:
        """``(6·N + 12·L·H·Q·T)·D``: the FLOPs MFU is measured on (PaLM's definition)."""
        return self.dense_flops + self.attention_flops

    @property
    def attention_share(self) -> float:
        """The attention term over the dense ``6·N·D``."""
        return self.attention_flops / self.dense_flops


def attention_flops_per_token(
    params: float, seq_len: int, architecture: ModelArchitecture | None = None
) -> tuple[float, str]:
    """``12·L·H·Q·T`` (PaLM, Appendix B), and where ``L``, ``H`` and ``Q`` come from.

    Without a preset, ``N ≈ 12·L·d²`` with ``d = H·Q = 128·L`` gives ``L`` and ``d``.

    >>> from planner.catalog import model_architecture
    >>> flops, basis = attention_flops_per_token(405e9, 8192, model_architecture("Llama-3.1-405B"))
    >>> f"{flops:.4g}", basis
    ('2.029e+11', 'Llama-3.1-405B: 126 layers × 128 heads × 128 dims')
    >>> f"{attention_flops_per_token(405e9, 8192)[0]:.4g}"  # 127 layers, d = 16,270
    '2.037e+11'
    """
    if architecture is not None:
        layers = float(architecture.num_layers)
        width = float(architecture.num_attention_heads * architecture.head_dim)
        basis = (
            f"{architecture.name}: {architecture.num_layers} layers × "
            f"{architecture.num_attention_heads} heads × {architecture.head_dim} dims"
        )
    else:
        layers = (params / (12 * ASPECT_RATIO**2)) ** (1 / 3)
        width = ASPECT_RATIO * layers
        basis = (
            f"no model preset: {layers:.3g} layers of width {width:,.0f}, from N = 12·L·d² "
            f"with d = {ASPECT_RATIO:g}·L"
        )
    return 12 * layers * width * seq_len, basis


def training_flops(
    params: float,
    tokens: float,
    *,
    seq_len: int,
    architecture: ModelArchitecture | None = None,
    recompute: bool = False,
) -> TrainingFlops:
    """A run's model and hardware FLOPs: ``(6·N + 12·L·H·Q·T)·D``, × 4/3 with recomputation.

    >>> from planner.catalog import model_architecture
    >>> f = training_flops(405e9, 15.6e12, seq_len=8192,
    ...                    architecture=model_architecture("Llama-3.1-405B"))
    >>> f"{f.model_flops:.4g}", round(f.attention_share, 4)  # +8% at 8K context
    ('4.107e+25', 0.0835)
    >>> g = training_flops(1e9, 2e10, seq_len=4096, recompute=True)
    >>> round(g.hardware_flops / g.model_flops, 4)
    1.3333
    """
    per_token, where = attention_flops_per_token(params, seq_len, architecture)
    dense = 6.0 * params * tokens
    model = dense + per_token * tokens
    return TrainingFlops(
        params=params,
        tokens=tokens,
        seq_len=seq_len,
        dense_flops=dense,
        attention_flops=per_token * tokens,
        hardware_flops=model * (RECOMPUTE_FACTOR if recompute else 1.0),
        basis=(
            f"(6·N + 12·L·H·Q·T)·D at T = {seq_len:,} tokens ({where}): attention adds "
            f"{per_token * tokens / dense:.1%} to 6·N·D"
        ),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingThroughput:
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


def peak_tflops(gpu: GpuSpec, precision: TrainingPrecision) -> float | None:
    """The GPU's dense peak for ``precision``, or ``None`` where no source gives one.

    >>> gpus = load_catalog().gpus
    >>> a100 = gpus["A100-40GB"]
    >>> peak_tflops(a100, TrainingPrecision.TF32), peak_tflops(a100, TrainingPrecision.FP8)
    (156.0, None)
    """
    if precision is TrainingPrecision.BF16:
        return gpu.bf16_dense_tflops
    if precision is TrainingPrecision.FP8:
        return gpu.fp8_dense_tflops
    return tf32_peaks().get(gpu.gpu_model)


def throughput(
    instance: InstanceType,
    catalog: Catalog,
    *,
    instance_count: int,
    precision: TrainingPrecision,
    mfu: float,
    scale_out_efficiency: float = 1.0,
    peak_override_tflops: float | None = None,
    fp8_speedup: float | None = None,
) -> TrainingThroughput:
    """GPUs × dense peak × MFU × ``scale_out_efficiency ** log2(instance_count)``.

    For fp8 the peak is the bf16 peak × the measured fp8 speed-up (``fp8_speedup``, else
    ``training_assumptions.csv``), and the MFU is against the bf16 peak, as the Llama 3 paper
    reports it: the datasheet's fp8 peak is twice bf16's, but the linear layers alone run in
    fp8, and casts and scaling cost time.

    Raises
    ------
    PlannerInputError
        For an MFU outside (0, 1], or a GPU with no peak for the precision.

    Examples
    --------
    >>> catalog = load_catalog()
    >>> t = throughput(catalog.instance("p4d.24xlarge"), catalog, instance_count=1,
    ...                precision=TrainingPrecision.BF16, mfu=0.5)
    >>> t.gpus, f"{t.flops_per_second:.4g}"  # 8 × 312 TFLOPS × 0.5
    (8, '1.248e+15')
    >>> fp8 = throughput(catalog.instance("p5.48xlarge"), catalog, instance_count=1,
    ...                  precision=TrainingPrecision.FP8, mfu=0.4)
    >>> round(fp8.peak_tflops_per_gpu, 2)  # 989.4 × 1.28, not 1,978.9
    1266.43
    """
    if not 0 < mfu <= 1 or not math.isfinite(mfu):
        raise PlannerInputError(
            f"MFU = {mfu:g} is outside (0, 1]: it is the fraction of the GPU's peak the run "
            "sustains",
            fix="enter a fraction above 0 and at most 1, e.g. 0.4",
        )
    gpu = _gpu(instance, catalog)
    native = peak_tflops(gpu, precision)
    if peak_override_tflops is None and (
        native is None or (precision is TrainingPrecision.FP8 and gpu.bf16_dense_tflops is None)
    ):
        others = [p.value for p in TrainingPrecision if peak_tflops(gpu, p) is not None]
        why = (
            "it has no FP8 support"
            if precision is TrainingPrecision.FP8 and "no FP8" in gpu.notes
            else "no figure verified from a source"
        )
        raise PlannerInputError(
            f"the catalog has no dense {precision.label} peak for {gpu.gpu_model} "
            f"({instance.name}): {why}",
            fix=(f"choose {' or '.join(others)}" if others else "enter your own peak TFLOPS")
            + ", or another instance type",
        )
    if peak_override_tflops is not None:
        peak, source = peak_override_tflops, f"{peak_override_tflops:g} TFLOPS (your peak)"
    elif precision is TrainingPrecision.FP8 and gpu.bf16_dense_tflops is not None:
        speedup = fp8_speedup or training_assumption("fp8_speedup_over_bf16").value
        peak = gpu.bf16_dense_tflops * speedup
        where = "your figure" if fp8_speedup else "measured, training_assumptions.csv"
        source = (
            f"{gpu.bf16_dense_tflops:g} TFLOPS bf16 dense peak × {speedup:g} fp8 speed-up ({where})"
        )
    else:
        peak = float(native or 0.0)
        source = f"{peak:g} TFLOPS {precision.label} (catalog dense peak)"
    gpus = instance.gpu_count * instance_count
    factor = scale_out_efficiency ** math.log2(instance_count)
    flops = gpus * peak * 1e12 * mfu * factor
    scaling = (
        f" × {factor:.3f} scale-out ({scale_out_efficiency:g} per doubling of instances)"
        if factor != 1
        else ""
    )
    return TrainingThroughput(
        gpu_model=gpu.gpu_model,
        gpus=gpus,
        peak_tflops_per_gpu=peak,
        mfu=mfu,
        scale_out_factor=factor,
        flops_per_second=flops,
        basis=f"{gpus} × {gpu.gpu_model} × {source} × {mfu:.0%} MFU{scaling}",
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
    planner.core.errors.PlannerInputError: A 70B-parameter model needs 1,120 GB ... fits no GPU \
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
    # Imported where it solves, so that commands which solve nothing start without scipy.
    from scipy import optimize

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
    planner.core.errors.PlannerInputError: With 30-minute checkpoints ... at least 0.36 h ...
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
        # Imported where it solves, so that commands which solve nothing start without scipy.
        from scipy import optimize

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


def _tier_cost(
    plan: TrainingJob, pricing: Pricing, catalog: Catalog, hours: float, tier: PriceTier
) -> float:
    """USD for ``hours`` of the job's instances bought in ``tier``."""
    price = pricing.hourly_price(catalog, plan.instance_type, tier)
    return hours * plan.instance_count * price.usd_per_hour


def run_price(
    plan: TrainingJob, pricing: Pricing, catalog: Catalog, option: RunPricing
) -> RunPrice:
    """The price per instance-hour of ``option`` (spot's for mixed), with its basis.

    Raises
    ------
    PlannerInputError
        When the catalog has no price for that tier, or no Capacity Block price.
    """
    if option is RunPricing.CAPACITY_BLOCK:
        block = capacity_block_prices().get(plan.instance_type)
        if block is None:
            known = ", ".join(sorted(capacity_block_prices()))
            raise PlannerInputError(
                f"no published Capacity Block price for {plan.instance_type!r}",
                fix=f"use one of {known}, or another pricing",
            )
        return RunPrice(
            pricing=option,
            usd_per_instance_hour=block.usd_per_hour,
            basis=f"Capacity Block, {block.region}, {block.price_date}: {block.source}",
        )
    tier = option.price_tier or PriceTier.SPOT
    price = pricing.hourly_price(catalog, plan.instance_type, tier)
    return RunPrice(pricing=option, usd_per_instance_hour=price.usd_per_hour, basis=price.basis)


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
class FailureOutcome:
    """Hardware failures of a run on a tier that is not interrupted otherwise: the job's
    failure rate, the best checkpoint plan and the expected time it costs."""

    node_mtbf_hours: float
    job_mtbf_hours: float
    basis: str
    segments: int
    interval_hours: float
    expected_hours: float
    daly_interval_hours: float


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingCommitment:
    """Reserved instances bought for a job: paid every hour of their term, used or not.

    ``instances`` is the job's instance count × the sets its monthly hours need (runs that
    do not fit in one set's 730 h a month overlap on another set).
    """

    instances: int
    term_months: int
    usd_per_month: float
    utilisation: float  # run hours ÷ reserved hours

    @property
    def obligation_usd(self) -> float:
        """What the commitment costs over its whole term."""
        return self.usd_per_month * self.term_months


_TERM_MONTHS = {RunPricing.RESERVED_1Y: 12, RunPricing.RESERVED_3Y: 36}


def _commitment(
    plan: TrainingJob, hours_per_run: float, usd_per_instance_hour: float
) -> TrainingCommitment | None:
    r"""The reservation a reserved job needs, or ``None`` for other pricing or no runs.

    .. math:: S = \lceil R\,H / 730 \rceil, \qquad C = S\,n\,p \times 730

    for ``R`` runs a month of ``H`` hours on ``n`` instances at ``p`` per instance-hour.

    >>> job = TrainingJob(hours_per_run=56, instance_type="p4d.24xlarge", pricing="reserved_1y")
    >>> c = _commitment(job, 56.0, 13.83)
    >>> c.instances, round(c.usd_per_month, 2), round(c.utilisation, 4)
    (1, 10095.9, 0.0767)
    """
    term = _TERM_MONTHS.get(plan.pricing)
    runs = plan.models_per_month * plan.runs_per_model
    if term is None or runs <= 0:
        return None
    sets = max(1, math.ceil(runs * hours_per_run / HOURS_PER_MONTH - 1e-9))
    instances = sets * plan.instance_count
    return TrainingCommitment(
        instances=instances,
        term_months=term,
        usd_per_month=instances * usd_per_instance_hour * HOURS_PER_MONTH,
        utilisation=runs * hours_per_run / (sets * HOURS_PER_MONTH),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class RunEstimate:
    """One run of a job, resolved and priced. Costs are expected values per run.

    A job that states its hours has no model size, FLOPs, throughput or memory check:
    those fields are ``None``.
    """

    plan: TrainingJob
    size_basis: str
    sizing: SizingResult | None
    loss: float | None
    flops: TrainingFlops | None
    throughput: TrainingThroughput | None
    gpus: int
    compute_hours: float
    memory: MemoryCheck | None
    price: RunPrice
    wall_clock_hours: float
    cost_usd: float
    spot: SpotOutcome | None
    failures: FailureOutcome | None = None
    commitment: TrainingCommitment | None = None

    @property
    def model_flops(self) -> float | None:
        """Model FLOPs of one run (PaLM's definition), or ``None`` for stated hours."""
        return None if self.flops is None else self.flops.model_flops

    @property
    def hfu(self) -> float | None:
        """Hardware FLOPs utilisation: the MFU × hardware ÷ model FLOPs."""
        if self.flops is None:
            return None
        return self.plan.mfu * self.flops.hardware_flops / self.flops.model_flops

    @property
    def goodput(self) -> float:
        """Useful ÷ billed time: the uninterrupted hours over the expected wall-clock."""
        return self.compute_hours / self.wall_clock_hours

    @property
    def params(self) -> float | None:
        return self.plan.params

    @property
    def tokens(self) -> float | None:
        return self.plan.tokens

    @property
    def instance_hours(self) -> float:
        """Instance-hours billed per run."""
        return self.wall_clock_hours * self.plan.instance_count

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
        """The month's cost: its runs, or a reserved job's commitment, which is paid
        whatever the runs (its per-run cost is the commitment ÷ the runs, and multiplying
        back overflowed when the runs are near zero: 1e4 / 5e-324 is inf)."""
        if self.commitment is not None:
            return self.commitment.usd_per_month
        return self.cost_usd * self.runs_per_month


def run_throughput(plan: TrainingJob, catalog: Catalog) -> TrainingThroughput:
    """The plan's throughput: all its instances at its precision, MFU, scale-out and peak.

    Raises
    ------
    PlannerInputError
        For an unknown instance type, or as :func:`throughput` does.

    Examples
    --------
    >>> plan = TrainingJob(instance_type="p4d.24xlarge", instance_count=2, mfu=0.5)
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
        fp8_speedup=plan.fp8_speedup,
    )


def _usd_per_gpu_hour(inst: InstanceType, catalog: Catalog, pricing: RunPricing) -> float | None:
    """What one GPU-hour of ``inst`` costs in ``pricing``, or ``None`` where it has no price."""
    if pricing is RunPricing.CAPACITY_BLOCK:
        block = capacity_block_prices().get(inst.name)
        return None if block is None else block.usd_per_hour / inst.gpu_count
    try:
        price = catalog.hourly_price(inst.name, pricing.price_tier or PriceTier.SPOT)
    except PlannerInputError:
        return None
    return price.usd_per_hour / inst.gpu_count


def resolve_gpu(name: str, catalog: Catalog, pricing: RunPricing, *, min_gpus: int = 1) -> str:
    """An instance type for ``--gpu``: the name itself if it is an instance type, else the
    instance with that GPU model (and at least ``min_gpus`` of them) and the lowest price
    per GPU-hour in ``pricing``'s tier (spot's for spot, the derived commitment price for
    reserved, and so on).

    >>> resolve_gpu("H100", load_catalog(), RunPricing.ON_DEMAND)
    'gpu_8x_h100_sxm5'
    >>> resolve_gpu("H100", load_catalog(), RunPricing.SPOT)
    'a3-highgpu-8g'
    >>> resolve_gpu("p4d.24xlarge", load_catalog(), RunPricing.ON_DEMAND)
    'p4d.24xlarge'
    """
    if name in catalog.instances:
        return name
    by_model = {model.lower(): model for model in catalog.gpus}
    model = by_model.get(name.lower())
    if model is None:
        close = [*catalog.instances, *catalog.gpus]
        catalog.instance(name)  # raises with suggestions from the instance catalog
        raise PlannerInputError(f"unknown GPU {name!r}", fix=f"use one of {close[:5]}")
    priced = [
        (cost, inst.name)
        for inst in catalog.instances.values()
        if inst.gpu_model == model
        and inst.gpu_count >= min_gpus
        and (cost := _usd_per_gpu_hour(inst, catalog, pricing)) is not None
    ]
    if not priced:
        raise PlannerInputError(
            f"no instance type in the catalog has {model} GPUs with a {pricing.label} price",
            fix="name an instance type with --gpu",
        )
    return min(priced)[1]


def flop_price(plan: TrainingJob, pricing: Pricing, catalog: Catalog) -> FlopPrice:
    """USD per FLOP on the plan's hardware and pricing, for sizing under a dollar budget.

    Training runs on all the plan's instances at its MFU and scale-out. Inference is priced
    by the serving model (:func:`planner.costing.serving.serving_flop_price`): the same
    roofline as the Serving page, on the cheapest on-demand instance with the plan's GPU, at
    the size being judged (``inference_mfu``, when set, is the serving compute utilisation).
    Spot overhead, failures and the attention FLOPs are left out of this first-order price:
    it counts ``6·N·D`` at the MFU (recomputation does not change it, see the module notes).
    """
    option = RunPricing.SPOT if plan.pricing is RunPricing.MIXED else plan.pricing
    hourly = run_price(plan, pricing, catalog, option).usd_per_instance_hour
    train = run_throughput(plan, catalog)
    gpu = catalog.instance(plan.instance_type).gpu_model

    @functools.lru_cache(maxsize=256)
    def serving_price(log_params: float) -> float:
        if gpu is None:
            return math.inf  # no GPU to serve on: a custom or CPU instance
        try:
            return serving_flop_price(
                math.exp(log_params),
                gpu,
                compute_utilisation=plan.inference_mfu,
                pricing=pricing,
                catalog=catalog,
            ).usd_per_flop
        except PlannerInputError:
            return math.inf  # no instance with this GPU holds a model that large

    def inference_price_at(params: float) -> float:
        # Rounded to 0.1% in size: the optimizer probes nearby sizes, each a roofline run.
        return serving_price(round(math.log(params), 3))

    reference = serving_price(round(math.log(plan.params or 7e9), 3))
    return FlopPrice(
        train_usd_per_flop=hourly * plan.instance_count / (train.flops_per_second * 3600),
        inference_usd_per_flop=reference if math.isfinite(reference) else 1.0,
        inference_price_at=inference_price_at,
        basis=(
            f"{usd(hourly)}/instance-hour ({option.label}) at {train.basis}; inference by the "
            f"serving model on {gpu}"
        ),
    )


def _sizing_error(result: SizingResult) -> PlannerInputError:
    fix = None
    if result.min_budget_usd is not None and math.isfinite(result.min_budget_usd):
        fix = f"raise the budget to at least {usd_at_least(result.min_budget_usd)}"
    return PlannerInputError(result.message, fix=fix)


def resolve_size(
    plan: TrainingJob, pricing: Pricing, catalog: Catalog
) -> tuple[TrainingJob, str, SizingResult | None]:
    """The plan with ``params`` and ``tokens`` filled in, how they were chosen, and the
    sizing answer behind them (``None`` when given).

    Raises
    ------
    PlannerInputError
        When nothing says how big the model is, or the sizing has no sensible answer
        (budget too small, target loss unreachable).
    """
    law = ScalingLaw(plan.law)
    arch = plan.architecture
    if arch is not None and plan.params is None:
        # FLOPs follow the parameters each token uses: the active ones of a mixture of experts.
        plan = replace(plan, params=float(arch.active_params or arch.total_params))
    if plan.params is not None and plan.tokens is not None:
        return plan, "as given" if arch is None else f"parameters of {arch.name}", None
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
            flop_price(plan, pricing, catalog),
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
            flop_price(plan, pricing, catalog),
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


def _hardware_rate(plan: TrainingJob, instance: InstanceType) -> tuple[float, str]:
    """Hardware failures per instance-hour, and where the rate comes from; none for a job
    that states its hours (measured hours already include their failures)."""
    if plan.stated_hours:
        return 0.0, "no hardware failures added to stated hours"
    if plan.node_mtbf_hours is not None:
        return 1 / plan.node_mtbf_hours, f"your node MTBF of {plan.node_mtbf_hours:,.6g} h"
    figure = training_assumption("gpu_interruptions_per_gpu_hour")
    rate = figure.value * instance.gpu_count
    return rate, (
        f"node MTBF {1 / rate:,.0f} h: {figure.value:.3g} failures per GPU-hour × "
        f"{instance.gpu_count} GPUs (Llama 3 405B, 419 unexpected interruptions in 54 days "
        "on 16,384 H100s)"
    )


def _job_rate(
    plan: TrainingJob, catalog: Catalog, hardware: float, hardware_basis: str
) -> tuple[float, float, str]:
    if plan.interruptions_per_instance_hour is not None:
        per_instance = plan.interruptions_per_instance_hour
        basis = "your rate"
    else:
        region = catalog.instance(plan.instance_type).region
        default = spot_rate_default(plan.instance_type, region)
        per_instance = default.per_hour
        basis = default.basis
    if hardware:
        per_instance += hardware
        basis += f", plus hardware failures at {hardware:.3g} per instance-hour ({hardware_basis})"
    return per_instance, per_instance * plan.instance_count, basis


def _failures(
    plan: TrainingJob, work_hours: float, hardware: float, basis: str
) -> FailureOutcome | None:
    """The run with hardware failures and checkpoint-restart, or ``None`` without failures.

    Raises
    ------
    PlannerInputError
        When the failures are so frequent that the run never finishes.
    """
    if hardware == 0:
        return None
    rate = hardware * plan.instance_count
    delta, restart = plan.checkpoint_minutes / 60, plan.restart_minutes / 60
    segments, expected = best_segments(work_hours, rate, delta, restart)
    if expected > MAX_SLOWDOWN * work_hours:
        raise never_finishes_error(plan, work_hours, rate, expected)
    return FailureOutcome(
        node_mtbf_hours=1 / hardware,
        job_mtbf_hours=1 / rate,
        basis=basis,
        segments=segments,
        interval_hours=work_hours / segments,
        expected_hours=expected,
        daly_interval_hours=daly_interval(mtbf_hours=1 / rate, checkpoint_hours=delta),
    )


def never_finishes_error(
    plan: TrainingJob, work_hours: float, job_rate: float, expected_hours: float
) -> PlannerInputError:
    """The message for a rate at which the run never finishes, with the largest that works."""
    delta, restart = plan.checkpoint_minutes / 60, plan.restart_minutes / 60
    largest = max_job_rate(work_hours, delta, restart) / plan.instance_count
    return PlannerInputError(
        f"At {job_rate / plan.instance_count:.3g} interruptions per instance-hour "
        f"({job_rate:.3g} per hour over {plan.instance_count} instance(s)), with "
        f"{plan.checkpoint_minutes:g}-minute checkpoints and {plan.restart_minutes:g}-minute "
        f"restarts, this {work_hours:,.1f}-hour run is expected to take "
        f"{expected_hours / work_hours:,.0f}× as long: it never finishes in practice",
        fix=(
            f"use an interruption rate of at most {largest:.3g} per instance-hour (the largest at "
            f"which it is expected to finish within {MAX_SLOWDOWN:g}× its time; a longer "
            "node_mtbf_hours for hardware failures), faster checkpoints, fewer instances, or "
            "on-demand"
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
    plan: TrainingJob,
    pricing: Pricing,
    catalog: Catalog,
    work_hours: float,
    option: RunPricing,
    *,
    simulate: bool,
    hardware: float,
    hardware_basis: str,
) -> SpotOutcome:
    per_instance, rate, basis = _job_rate(plan, catalog, hardware, hardware_basis)
    delta, restart = plan.checkpoint_minutes / 60, plan.restart_minutes / 60
    segments, expected = best_segments(work_hours, rate, delta, restart)
    if expected > MAX_SLOWDOWN * work_hours:
        raise never_finishes_error(plan, work_hours, rate, expected)
    spot_hourly = run_price(plan, pricing, catalog, RunPricing.SPOT).usd_per_instance_hour
    spot_rate = spot_hourly * plan.instance_count
    mtbf = math.inf if rate == 0 else 1 / rate
    deadline = plan.deadline_hours
    runs = plan.simulations if simulate else 0
    on_demand_share = 0.0
    per_run = expected_interruptions(work_hours, rate, delta, segments)
    note = ""
    if option is RunPricing.MIXED:
        if deadline is None:
            raise PlannerInputError(
                "mixed pricing (spot with an on-demand fallback) needs a deadline to fall back for",
                fix="set deadline_hours, or choose spot",
            )
        # A mixed run leaves spot by the deadline: at most rate × deadline interruptions
        # (plus the last try), and the simulation loops once per interruption.
        # Always the plan's count, simulated or not, so that evaluate and train agree.
        mixed_runs, note = _simulation_runs(
            max(plan.simulations, MIN_MIXED_SIMULATIONS),
            min(per_run, rate * deadline) + 1,
            minimum=MIN_MIXED_SIMULATIONS,
            job_rate=rate,
        )
        od_rate = (
            run_price(plan, pricing, catalog, RunPricing.ON_DEMAND).usd_per_instance_hour
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
        expected_cost = _tier_cost(plan, pricing, catalog, expected, PriceTier.SPOT)
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
        pricing=option,
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
    plan: TrainingJob,
    pricing: Pricing,
    catalog: Catalog | None = None,
    *,
    simulate: bool = True,
) -> RunEstimate:
    """Size, time and price one run of ``plan``.

    With spot or mixed pricing the checkpoint interval is chosen and, if ``simulate``, the
    run is simulated ``plan.simulations`` times; without ``simulate`` a spot run's
    percentiles are its expectation (mixed is always simulated: it has no closed form).

    Every tier has hardware failures (spot and mixed on top of their interruptions), so a
    computed run's wall-clock includes its checkpoints, lost work and restarts.

    Raises
    ------
    PlannerInputError
        Unknown instance, no price for the pricing, no peak for the precision, a model
        that fits no GPU count, a sizing with no sensible answer, an MFU whose HFU under
        recomputation is above 1, or an interruption or failure rate at which the run never
        finishes.
    """
    catalog = catalog or load_catalog()
    instance = catalog.instance(plan.instance_type)
    if plan.hours_per_run is not None:
        resolved, size_basis, sizing = plan, "hours as stated", None
        loss = flops = speed = memory = None
        work = plan.hours_per_run
    else:
        resolved, size_basis, sizing = resolve_size(plan, pricing, catalog)
        params, tokens = resolved.size
        fit = law_fit(resolved.law)
        loss = fit.loss(params, tokens) if fit.predicts_loss else None
        speed = run_throughput(resolved, catalog)
        arch = resolved.architecture
        memory = memory_check(
            # Memory holds every expert; FLOPs use the active parameters.
            float(arch.total_params) if arch is not None else params,
            instance,
            catalog,
            instance_count=resolved.instance_count,
            bytes_per_param=resolved.bytes_per_param,
            sharded=resolved.sharded,
        )
        flops = training_flops(
            params,
            tokens,
            seq_len=resolved.seq_len,
            architecture=arch,
            recompute=resolved.recompute,
        )
        hfu = resolved.mfu * flops.hardware_flops / flops.model_flops
        if hfu > 1:
            raise PlannerInputError(
                f"training job {resolved.name!r}: MFU {resolved.mfu:g} with full activation "
                f"recomputation is an HFU of {hfu:.3g}, above the GPUs' peak. MFU counts model "
                "FLOPs only; recomputation executes 4/3 of them",
                fix=f"enter an MFU of at most {1 / RECOMPUTE_FACTOR:.3g}, or turn off recompute",
            )
        # MFU is model FLOPs per second over peak, so the time follows from the model FLOPs.
        work = flops.model_flops / speed.flops_per_second / SECONDS_PER_HOUR
    price = run_price(resolved, pricing, catalog, resolved.pricing)
    hardware, hardware_basis = _hardware_rate(resolved, instance)
    spot = failures = None
    if resolved.pricing.interruptible:
        spot = _spot_outcome(
            resolved,
            pricing,
            catalog,
            work,
            resolved.pricing,
            simulate=simulate,
            hardware=hardware,
            hardware_basis=hardware_basis,
        )
        hours, cost = spot.expected_hours, spot.expected_cost_usd
    else:
        failures = _failures(resolved, work, hardware, hardware_basis)
        hours = work if failures is None else failures.expected_hours
        cost = hours * resolved.instance_count * price.usd_per_instance_hour
    # Reserved instances are paid every hour of their term, so a run costs its share of the
    # month's commitment, not its own hours.
    commitment = _commitment(resolved, hours, price.usd_per_instance_hour)
    if commitment is not None:
        cost = commitment.usd_per_month / (resolved.models_per_month * resolved.runs_per_model)
    return RunEstimate(
        plan=resolved,
        size_basis=size_basis,
        sizing=sizing,
        loss=loss,
        flops=flops,
        throughput=speed,
        gpus=instance.gpu_count * resolved.instance_count,
        compute_hours=work,
        memory=memory,
        price=price,
        wall_clock_hours=hours,
        cost_usd=cost,
        spot=spot,
        failures=failures,
        commitment=commitment,
    )


# --------------------------------------------------------------------------- the report

LEVERS = (
    ("pricing", "Spot with checkpointing"),
    ("precision", "Lower precision"),
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


def _step_plan(base: TrainingJob, final: TrainingJob, lever: str) -> TrainingJob:
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


def _step_label(lever: str, title: str, before: TrainingJob, after: TrainingJob) -> str:
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


def _levers_that_differ(baseline: TrainingJob, plan: TrainingJob) -> list[tuple[str, str]]:
    """The :data:`LEVERS` whose fields differ between the baseline and the plan."""
    return [
        (lever, title)
        for lever, title in LEVERS
        # A job that states its hours has no model size to right-size.
        if not (lever == "size" and plan.stated_hours)
        and _step_plan(baseline, plan, lever) != baseline
    ]


def _apply(base: TrainingJob, final: TrainingJob, levers: frozenset[str]) -> TrainingJob:
    for lever, _ in LEVERS:
        if lever in levers:
            base = _step_plan(base, final, lever)
    return base


def shapley_savings(
    baseline: RunEstimate, run: RunEstimate, pricing: Pricing, catalog: Catalog
) -> tuple[dict[str, float], dict[frozenset[str], float]]:
    r"""Each lever's Shapley saving per month, and the monthly cost of every combination.

    With ``n`` levers that differ, ``v(S)`` the monthly cost of the baseline with the plan's
    values for the levers in ``S`` (``v(∅)`` the baseline, ``v(all)`` the plan), lever
    ``i`` saves

    .. math:: \phi_i = \sum_{S \subseteq N \setminus \{i\}}
              \frac{|S|!\,(n - |S| - 1)!}{n!}\,\bigl(v(S) - v(S \cup \{i\})\bigr)

    the average of its saving over every order of applying the levers (Shapley 1953), so the
    savings sum to baseline − plan and depend on no order. A combination that cannot run
    (e.g. spot on a size at which the run never finishes) costs what its cheapest runnable
    sub-combination costs, as in :func:`planner.costing.serving.evaluate_serving`.
    """
    levers = [lever for lever, _ in _levers_that_differ(baseline.plan, run.plan)]
    everything = frozenset(levers)
    costs: dict[frozenset[str], float] = {
        frozenset(): baseline.cost_per_month_usd,
        everything: run.cost_per_month_usd,
    }
    for size in range(1, len(levers)):
        for combo in itertools.combinations(levers, size):
            members = frozenset(combo)
            try:
                estimate = estimate_run(
                    _apply(baseline.plan, run.plan, members), pricing, catalog, simulate=False
                )
                costs[members] = estimate.cost_per_month_usd
            except PlannerInputError:
                costs[members] = math.inf
    # Sizes ascend, so every sub-combination is final before the combinations above it.
    for members in sorted(costs, key=len):
        if math.isinf(costs[members]):
            costs[members] = min(costs[members - {lever}] for lever in members)
    n = len(levers)
    savings = {}
    for lever in levers:
        others = [item for item in levers if item != lever]
        total = 0.0
        for size in range(n):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for combo in itertools.combinations(others, size):
                members = frozenset(combo)
                total += weight * (costs[members] - costs[members | {lever}])
        savings[lever] = total
    return savings, costs


def waterfall(
    baseline: RunEstimate, run: RunEstimate, pricing: Pricing, catalog: Catalog
) -> pd.DataFrame:
    """The baseline, one step per lever that differs (its Shapley saving, see
    :func:`shapley_savings`), and the plan: the same whatever order the levers are listed in.

    Columns: ``step`` (label), ``lever``, ``usd_per_month`` (the level after the step),
    ``change_usd_per_month`` (−the Shapley saving), ``saving_usd_per_month`` (the Shapley
    saving), ``solo_usd_per_month`` (the change of this lever alone on the baseline),
    ``usd_per_model``, ``usd_per_run``, ``wall_clock_hours``, ``loss`` (for the baseline and
    the plan; a Shapley step is no single run, so these are empty). The changes sum to the
    plan less the baseline.
    """
    savings, costs = shapley_savings(baseline, run, pricing, catalog)
    rows = [_total_row("Baseline", "baseline", baseline)]
    level = baseline.cost_per_month_usd
    for lever, title in _levers_that_differ(baseline.plan, run.plan):
        level -= savings[lever]
        rows.append(
            {
                "step": _step_label(lever, title, baseline.plan, run.plan),
                "lever": lever,
                "usd_per_month": level,
                "change_usd_per_month": -savings[lever],
                "saving_usd_per_month": savings[lever],
                "solo_usd_per_month": costs[frozenset({lever})] - baseline.cost_per_month_usd,
                "usd_per_model": None,
                "usd_per_run": None,
                "wall_clock_hours": None,
                "loss": None,
            }
        )
    rows.append(_total_row("Plan", "plan", run))
    return pd.DataFrame(rows)


def _total_row(step: str, lever: str, estimate: RunEstimate) -> dict[str, Any]:
    """The baseline's or the plan's row of :func:`waterfall`."""
    return {
        "step": step,
        "lever": lever,
        "usd_per_month": estimate.cost_per_month_usd,
        "change_usd_per_month": 0.0,
        "saving_usd_per_month": None,
        "solo_usd_per_month": None,
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
    run: RunEstimate, pricing: Pricing, catalog: Catalog
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
    for option in options:
        row: dict[str, Any] = {"pricing": str(option), "label": option.label, "note": ""}
        try:
            estimate = (
                run
                if option is run.plan.pricing
                else estimate_run(replace(run.plan, pricing=option), pricing, catalog)
            )
        except PlannerInputError as error:
            row["note"] = str(error)
            rows.append(row)
            continue
        estimates[option] = estimate
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
        if spot and option is RunPricing.MIXED:
            row["note"] = f"{spot.on_demand_share:.0%} of hours fell back to on-demand"
        elif spot:
            row["note"] = checkpoint_note(spot)
        rows.append(row)
    return pd.DataFrame(rows, columns=_COMPARISON_COLUMNS), estimates


def _frontier(
    run: RunEstimate, pricing: Pricing, catalog: Catalog
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, str, float | None]:
    plan = run.plan
    fit = law_fit(plan.law)
    if run.params is None or run.flops is None:
        return (
            None,
            None,
            "This job states its hours, so it has no model size to trade against cost: give "
            "params and tokens (or a target loss or budget) instead of hours per run.",
            None,
        )
    if not fit.predicts_loss:
        return (
            None,
            None,
            f"The {fit.law.label} rule predicts no loss: choose a law for the frontier.",
            None,
        )
    price = flop_price(plan, pricing, catalog)
    inference_cost = price.inference_cost_usd(run.params, plan.inference_tokens)
    budget = run.flops.dense_flops * price.train_usd_per_flop + inference_cost
    budgets = np.geomspace(budget / 30, budget * 30, 37)
    curve = frontier(price, plan.law, budgets.tolist(), inference_tokens=plan.inference_tokens)
    profile = isocost_profile(budget, price, plan.law, inference_tokens=plan.inference_tokens)
    note = (
        f"Budget of the plan's final run: {usd(budget)} at {price.basis}"
        + (f", including {usd(inference_cost)} of lifetime inference" if inference_cost else "")
        + ". Costs here leave out spot overhead."
    )
    return curve, profile, note, budget


def inference_sweep(run: RunEstimate, pricing: Pricing, catalog: Catalog) -> pd.DataFrame | None:
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
    price = flop_price(plan, pricing, catalog)
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


def evaluate_plan(
    job: TrainingJob, pricing: Pricing, catalog: Catalog | None = None
) -> TrainingReport:
    """A training job in full: its run, the baseline, the lever waterfall, the pricing
    comparison and the cost-vs-loss frontier. ``report.run`` is the same estimate the
    Overview and ``evaluate`` price the job with.

    Raises
    ------
    PlannerInputError
        When the job's run cannot be estimated.
    """
    catalog = catalog or load_catalog()
    run = estimate_run(job, pricing, catalog)
    base_plan = job.baseline_plan()
    baseline = None
    steps = None
    if base_plan is not None:
        baseline = estimate_run(base_plan, pricing, catalog, simulate=False)
        steps = waterfall(baseline, run, pricing, catalog)
    curve, profile, note, budget = _frontier(run, pricing, catalog)
    table, estimates = comparison(run, pricing, catalog)
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
        inference_sweep=inference_sweep(run, pricing, catalog),
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


def plan_checks(run: RunEstimate, baseline: RunEstimate | None) -> list[Check]:
    """Assumption checks on one job's run.

    * the run's state does not fit the chosen GPUs (warning);
    * the job's predicted loss is above its baseline's: it loses quality (warning);
    * the model size or tokens lie outside the runs the scaling law was fitted on, so its
      loss and compute-optimal sizes are extrapolations (warning).
    """
    plan = run.plan
    subject = f"training: {plan.name}"
    checks = []
    memory = run.memory
    if memory is not None and memory.fits is False:
        checks.append(
            Check(
                code="training_memory_does_not_fit",
                severity=Severity.WARNING,
                subject=subject,
                message=(
                    f"a {human_count(memory.params)}-parameter model needs "
                    f"{memory.state_gb:,.0f} GB of weights, gradients and optimizer state "
                    f"({memory.bytes_per_param:g} bytes per parameter), "
                    f"{memory.per_gpu_gb:,.1f} GB per GPU over {memory.gpus} GPUs, more than "
                    f"the {memory.gpu_memory_gb:g} GB each has. It needs at least "
                    f"{memory.min_instances} × {plan.instance_type}"
                ),
            )
        )
    if run.params is not None and run.tokens is not None:
        fit = law_fit(plan.law)
        outside = fit.extrapolation(run.params, run.tokens)
        if outside is not None:
            checks.append(
                Check(
                    code="training_law_extrapolated",
                    severity=Severity.WARNING,
                    subject=subject,
                    message=(
                        f"the {fit.law.label} law is extrapolated here: {outside} "
                        f"({fit.range_source}). Its predicted loss and compute-optimal sizes "
                        "are outside the evidence"
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
                    f"the job's predicted loss {run.loss:.4f} is above the baseline's "
                    f"{baseline.loss:.4f} ({plan.law.label}): its savings lose predicted quality"
                ),
            )
        )
    return checks


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


def size_mode(plan: TrainingJob) -> SizeMode:
    """Which of the plan's fields sizes its model: the first :func:`resolve_size` uses.

    A plan with none of them is shown as "given", where the user types the size.

    >>> size_mode(TrainingJob(params=1e9)), size_mode(TrainingJob(budget_usd=5e3))
    ('given', 'budget')
    >>> from planner.scenario.training import TrainingBaseline
    >>> size_mode(TrainingJob(baseline=TrainingBaseline(params=1e9, tokens=2e10)))
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


def instance_choices(plan: TrainingJob, catalog: Catalog) -> list[str]:
    """The catalog's GPU instance types, sorted, with the plan's own first if it is not one.

    >>> instance_choices(TrainingJob(instance_type="mine"), load_catalog())[0]
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


def commitment_note(commitment: TrainingCommitment) -> str:
    """A reserved job's commitment in words: paid all month, used or not.

    >>> print(commitment_note(TrainingCommitment(
    ...     instances=1, term_months=12, usd_per_month=10_098.0, utilisation=0.0767)))
    ... # doctest: +NORMALIZE_WHITESPACE
    reserved all month: 1 instance × 730 h = $10,098/month, 7.7% used;
    $121,176 committed over 12 months
    """
    plural = "s" if commitment.instances != 1 else ""
    return (
        f"reserved all month: {commitment.instances} instance{plural} × {HOURS_PER_MONTH:g} h "
        f"= {usd(commitment.usd_per_month)}/month, {commitment.utilisation:.1%} used; "
        f"{usd(commitment.obligation_usd)} committed over {commitment.term_months} months"
    )


def basis_note(run: RunEstimate) -> str:
    """Where the run's numbers come from: model size, FLOPs, throughput, time and price."""
    price = f"**Price:** {usd(run.price.usd_per_instance_hour)}/instance-hour ({run.price.basis})"
    if run.commitment is not None:
        price += f"; {commitment_note(run.commitment)}"
    if run.flops is None or run.throughput is None or run.params is None or run.tokens is None:
        return (
            f"**Hours:** {run.compute_hours:,.1f} h per run as stated, on "
            f"{run.plan.instance_count} × {run.plan.instance_type} ({run.gpus} GPUs). {price}."
        )
    hfu = run.hfu or 0.0
    utilisation = (
        f"the time uses the {run.plan.mfu:.0%} MFU on model FLOPs; recomputation executes "
        f"{run.flops.hardware_flops:.3g} hardware FLOPs, an HFU of {hfu:.0%}"
        if run.plan.recompute
        else f"the time uses the {run.plan.mfu:.0%} MFU on model FLOPs (HFU the same, no "
        "recomputation)"
    )
    failures = run.failures
    goodput = (
        f"**Goodput:** {run.goodput:.1%} of billed time trains ({failures.basis}; job MTBF "
        f"{failures.job_mtbf_hours:,.3g} h; {failures.segments - 1:,} checkpoints)"
        if failures is not None
        else f"**Goodput:** {run.goodput:.1%} of billed time trains"
    )
    return (
        f"**Model:** {human_count(run.params)} parameters on {human_count(run.tokens)} tokens "
        f"({run.size_basis}); {run.flops.model_flops:.3g} model FLOPs, {run.flops.basis}; "
        f"{utilisation}. **Throughput:** {run.throughput.basis}. **Uninterrupted:** "
        f"{run.compute_hours:,.1f} h. {goodput}. {price}."
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


def starter_job(name: str = "training run") -> TrainingJob:
    """A first training job: a 1B-parameter model on 20B tokens on one p5.48xlarge,
    on-demand, once a month, with no levers on.

    >>> starter_job().size
    (1000000000.0, 20000000000.0)
    """
    return TrainingJob(name=name, params=1e9, tokens=2e10)

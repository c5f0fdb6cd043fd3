r"""Serving planner: throughput per instance, fleet size hour by hour, cost per request, and
the levers that take an endpoint from a baseline to an optimised plan.

A scenario's ``serving`` section is a list of :class:`Endpoint`. Each is described at
whatever depth the user knows: a measured throughput on a named instance ("4 × g5.xlarge at
40 req/s each") or a model the roofline sizes. :func:`price_endpoint` prices it; the
Overview, ``evaluate``, ``serve`` and the Serving page all take that one figure.

Throughput (a roofline)
-----------------------
LLM, per model replica of *g* GPUs (``tensor_parallel``, else the split of the instance that
serves the most), with :math:`P` parameters, :math:`W = P \cdot b` bytes of weights (*b* = 2,
1, 1, 0.5 for fp16, fp8, int8, int4), :math:`k` bytes of KV cache per token,
:math:`n_{in}, n_{out}` tokens per request, effective bandwidth :math:`B_e = g B u_B \tau` and
compute :math:`F_e = g F u_F \tau` (peaks *B*, *F* per GPU at the weights' precision, the
achieved shares ``bandwidth_utilisation`` and ``compute_utilisation``, calibrated on published
measurements, and :math:`\tau` the tensor-parallel efficiency for *g* > 1). Prefill and decode
are modelled apart, with continuous batching of *b* running requests:

* prefill of one request is compute-bound and batched across requests, so it does not
  re-read the weights: :math:`t_p = 2 P n_{in} / F_e`;
* one step (every running request gets a token, and chunked prefill of the requests that
  replace the finished ones rides on the same weight read), with
  :math:`\bar c = n_{in} + n_{out}/2`:
  :math:`s(b) = \max\big((W + b\,\bar c\,k) / B_e,\; 2 P b (1 + n_{in}/n_{out}) / F_e\big)`;
* time per output token TPOT :math:`= s(b)`; time to first token TTFT :math:`= t_p + s(b)`;
  latency :math:`L(b) = \text{TTFT} + (n_{out} - 1)\,\text{TPOT}`;
* requests per second per replica :math:`X(b) = b / (n_{out}\,s(b))` (the steady state);
* the batch is the largest :math:`b \le` ``max_batch`` whose KV cache fits beside the weights
  (90% of GPU memory usable) and that meets ``latency_target_ms`` and, where set,
  ``ttft_target_ms`` and ``tpot_target_ms``.

Input and output tokens are priced apart: a request's cost splits by the GPU time of its
batched prefill (:math:`t_p`) against its share of the decode steps without prefill
(:math:`n_{out} \max(\text{memory}, 2 P b / F_e) / b`), so that
:math:`n_{in} p_{in} + n_{out} p_{out}` is the cost of a request.

Quantization halves (fp8, int8) or quarters (int4) the bytes of weights. fp8 uses the GPU's
fp8 peak and is refused on a GPU without one; int8 uses the int8 peak where the catalog has
one; int4 is weight-only, so its arithmetic runs at the 16-bit peak. The KV cache is 16-bit
unless ``kv_precision`` is fp8; a preset's KV heads (GQA) or
latent (MLA) size it (:func:`kv_bytes_per_token`). A mixture of experts holds all of its
parameters in memory but computes with its active ones.

Classic model: ``latency_ms`` is the batch-1 time *t* of one request at fp16 on a reference
instance, and ``batchability`` :math:`\beta` the share of it that a whole batch shares (weight
reads, launches, framework overhead). On another GPU the shared part scales with memory
bandwidth and the per-request part with 16-bit compute; int8 and int4 shrink the shared part
with the bytes of weights and int8 the per-request part with the int8/16-bit peak ratio. A
batch of *b* takes :math:`T(b) = s + b\,r` (shared *s*, per-request *r*); throughput is
:math:`b / T(b)` per GPU, latency :math:`2\,T(b)` (the batch in flight, then its own).
A :class:`CustomInstance` scales its measured batch-1 figures the same way, with its own
stated int8/int4 speed-ups.

A measured figure (``measured_tokens_per_second_per_gpu`` or
``measured_requests_per_second_per_instance``) replaces the model at the plan's own
configuration and scales every other configuration on that instance type by the same factor.

Fleet and cost
--------------
Traffic is hourly over ``horizon_weeks``: requests per day × the daily and weekly shapes
(scaled so that the peak hour is ``peak_to_average`` × the mean) × monthly growth, or an
hourly CSV. Cache hits cost nothing. Because new replicas take ``scale_up_lag_minutes`` to
serve, each hour's capacity covers the demand up to that lag later; then
:math:`n_h = \max(\text{min replicas}, \lceil d_h (1 + \text{headroom}) / X \rceil)`. A fixed
fleet runs :math:`\max_h n_h` all the time. Without commitments every hour is on demand;
with them, :func:`planner.models.fleet.optimize_mix` buys the hours as reserved, on-demand and spot.
Monthly cost is the horizon's cost × 730 h / its hours.

Levers and attribution
----------------------
Six levers turn the baseline into the plan: quantization, batching, response caching,
right-sizing the instance type, autoscaling instead of a fixed fleet, and commitments and
spot. Each lever's saving is its Shapley value over all :math:`2^n` combinations of the
levers that differ, so the savings add up to baseline − plan and do not depend on any order;
the pairwise interactions (the saving of two levers together less their solo savings) are
reported too. A combination that cannot run (e.g. fp16 weights on the smaller GPU) takes the
cheapest combination of its levers that can.
"""

from __future__ import annotations

import enum
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from planner.catalog import (
    Catalog,
    CommitmentKind,
    GpuSpec,
    InstanceType,
    PriceTier,
    Pricing,
    load_catalog,
    spot_rate_default,
)
from planner.core.errors import PlannerInputError
from planner.core.formatting import Figure, change_vs_baseline, seconds, usd
from planner.core.units import HOURS_PER_MONTH, SECONDS_PER_DAY, SECONDS_PER_HOUR
from planner.models.architectures import kv_bytes_per_token as architecture_kv_bytes
from planner.models.commitments import (
    CommitmentPlan,
    Forecast,
    Pool,
    PortfolioProblem,
    plan_commitments,
)
from planner.models.fleet import InstanceOption, MixPlan, MixProblem, optimize_mix
from planner.scenario.serving import (
    CustomInstance,
    Endpoint,
    ModelKind,
    ServedModel,
    ServingPrecision,
    Traffic,
)
from planner.scenario.stated import StatedFigure, StatedUnit

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


# --------------------------------------------------------------------------- assumptions


@dataclass(frozen=True, slots=True, kw_only=True)
class ServingAssumption:
    """A figure the serving model uses, with where it comes from."""

    key: str
    value: float
    unit: str
    source: str


ASSUMPTIONS: Mapping[str, ServingAssumption] = {
    a.key: a
    for a in (
        ServingAssumption(
            key="bandwidth_utilisation",
            value=0.65,
            unit="share of peak memory bandwidth",
            source=(
                "Calibrated (2026-12) with compute_utilisation on 17 published offline "
                "throughputs: TensorRT-LLM perf-overview (v1.0 era; Llama-3.1-8B TP1 and "
                "Llama-3.3-70B TP2, FP8, H100 SXM) and TensorRT-LLM performance.md (v0.6.1; "
                "Llama-2-7B, FP8 on H100, FP16 on A100). The roofline comes within 0.77-1.57x "
                "of each, 1.05x on geometric mean (tests/unit/test_serving_validation.py). "
                "Override per scenario with a measured figure."
            ),
        ),
        ServingAssumption(
            key="compute_utilisation",
            value=0.42,
            unit="share of peak dense tensor throughput at the weights' precision",
            source=(
                "Calibrated (2026-12) with bandwidth_utilisation on the same 17 published "
                "TensorRT-LLM throughputs; the compute-bound cases (short outputs, long "
                "inputs) fix it."
            ),
        ),
        ServingAssumption(
            key="usable_memory",
            value=0.9,
            unit="share of GPU memory for weights and KV cache",
            source="Planner assumption: ~10% goes to the runtime, activations, fragmentation.",
        ),
        ServingAssumption(
            key="tensor_parallel_efficiency",
            value=0.85,
            unit="throughput share kept when a replica spans several GPUs",
            source="Planner assumption: communication between GPUs of one instance costs ~15%.",
        ),
    )
}
_BYTES_PER_PARAM = {"fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}
_HOURS_PER_WEEK = 168
# No plan buys more than ten million instances of one type (a large cloud region holds a few
# hundred thousand GPU servers). Above it the count is a typo or a unit slip, and near the
# int64 limit (9.2e18) the count and its cost overflowed.
MAX_FLEET_INSTANCES = 10_000_000
# The catalog's own prices, for callers that price an endpoint outside a scenario.
_LIST_PRICES = Pricing()
# The tiers a fleet buys, as planner.models.fleet names its hourly columns.
_FLEET_TIERS = ("reserved_1y", "reserved_3y", "on_demand", "spot")
_DAILY_PRESETS: Mapping[str, tuple[float, ...]] = {}
_WEEKLY_PRESETS: Mapping[str, tuple[float, ...]] = {}


def _presets() -> tuple[dict[str, tuple[float, ...]], dict[str, tuple[float, ...]]]:
    hours = np.arange(24)
    business = np.where(
        (hours >= 6) & (hours <= 20), 0.3 + 0.7 * np.sin(np.pi * (hours - 6) / 14.0), 0.3
    )
    evening = (
        0.35
        + 0.65 * np.exp(-(((hours - 20.5) / 2.5) ** 2))
        + 0.25 * np.exp(-(((hours - 12.5) / 2.0) ** 2))
    )
    daily = {
        "flat": tuple([1.0] * 24),
        "business_hours": tuple(float(round(x, 4)) for x in business),
        "evening_peak": tuple(float(round(x, 4)) for x in evening),
    }
    weekly = {
        "flat": tuple([1.0] * 7),
        "weekdays": (1.0, 1.0, 1.0, 1.0, 1.0, 0.6, 0.6),
        "weekends": (0.85, 0.85, 0.85, 0.85, 0.9, 1.2, 1.2),
    }
    return daily, weekly


_DAILY_PRESETS, _WEEKLY_PRESETS = _presets()


# --------------------------------------------------------------------------- instances


@dataclass(frozen=True, slots=True, kw_only=True)
class Hardware:
    """An instance the plan can run on: a catalog type with its GPU spec, or a custom one."""

    name: str
    provider: str
    gpu_model: str | None
    gpu_count: int
    gpu: GpuSpec | None
    custom: CustomInstance | None
    on_demand_usd_per_hour: float | None
    spot_usd_per_hour: float | None
    reserved_1y_usd_per_hour: float | None
    reserved_3y_usd_per_hour: float | None
    price_basis: str


def hardware(name: str, plan: Endpoint, pricing: Pricing, catalog: Catalog) -> Hardware:
    """Resolve an instance name to its hardware and prices (the scenario's overrides apply).

    Raises
    ------
    PlannerInputError
        For a name that is neither a catalog type nor one of the plan's custom instances.
    """
    overrides = pricing.overrides
    d1 = pricing.reserved_1y_discount
    d3 = pricing.reserved_3y_discount
    for custom in plan.custom_instances:
        if custom.name == name:
            one = d1 if d1 is not None else catalog.assumption("reserved_1y_discount")
            three = d3 if d3 is not None else catalog.assumption("reserved_3y_discount")
            return Hardware(
                name=name,
                provider="custom",
                gpu_model=None,
                gpu_count=1,
                gpu=None,
                custom=custom,
                on_demand_usd_per_hour=custom.on_demand_usd_per_hour,
                spot_usd_per_hour=custom.spot_usd_per_hour,
                reserved_1y_usd_per_hour=custom.on_demand_usd_per_hour * (1 - one),
                reserved_3y_usd_per_hour=custom.on_demand_usd_per_hour * (1 - three),
                price_basis=(
                    f"custom instance: on-demand ${custom.on_demand_usd_per_hour:,.4g}/h "
                    f"({custom.source or 'no source given'}); reserved derived with the "
                    f"{one:.0%} / {three:.0%} commitment discounts"
                ),
            )
    instance = catalog.instance(name)

    def price(tier: PriceTier) -> float | None:
        try:
            return catalog.hourly_price(
                name,
                tier,
                overrides=overrides,
                reserved_1y_discount=d1,
                reserved_3y_discount=d3,
            ).usd_per_hour
        except PlannerInputError:
            return None

    on_demand = price(PriceTier.ON_DEMAND)
    basis = "no on-demand price"
    if on_demand is not None:
        basis = catalog.hourly_price(name, PriceTier.ON_DEMAND, overrides=overrides).basis
    return Hardware(
        name=name,
        provider=instance.provider,
        gpu_model=instance.gpu_model,
        gpu_count=instance.gpu_count,
        gpu=catalog.gpu_for(instance),
        custom=None,
        on_demand_usd_per_hour=on_demand,
        spot_usd_per_hour=price(PriceTier.SPOT),
        reserved_1y_usd_per_hour=price(PriceTier.RESERVED_1Y),
        reserved_3y_usd_per_hour=price(PriceTier.RESERVED_3Y),
        price_basis=basis,
    )


# --------------------------------------------------------------------------- throughput


@dataclass(frozen=True, slots=True, kw_only=True)
class ServingThroughput:
    """What one instance delivers for a model at a precision and a batch limit."""

    instance_type: str
    precision: ServingPrecision
    batch: int
    limited_by: str  # "max batch", "latency target" or "memory"
    bound: str  # "memory bandwidth", "compute", "measured", "mixed"
    requests_per_second: float  # per instance
    tokens_per_second_per_gpu: float | None  # generated tokens (LLM)
    latency_ms: float
    gpus_per_replica: int
    replicas: int
    weights_gb: float | None
    memory_gb: float | None  # per replica
    basis: str
    ttft_ms: float | None = None  # time to first token (LLM)
    tpot_ms: float | None = None  # time per output token (LLM)
    input_share: float | None = None  # share of a request's GPU time its input takes (LLM)


def _utilisation(model: ServedModel) -> tuple[float, float]:
    bw = model.bandwidth_utilisation or ASSUMPTIONS["bandwidth_utilisation"].value
    fl = model.compute_utilisation or ASSUMPTIONS["compute_utilisation"].value
    return bw, fl


def kv_bytes_per_token(model: ServedModel) -> float:
    """Bytes of KV cache per token of context [bytes]: a preset's from its KV heads (GQA) or
    latent (MLA) at ``kv_precision``; the given figure (MB = 10^6 bytes, as stored); else,
    for a model of your own, 2 × layers × d_model per token for dense multi-head attention
    of that size (12 L d² parameters, d = 128 L) at ``kv_precision``. Modern models use
    grouped-query attention: name a preset, or state the cache, rather than rely on the
    estimate, which is 4-8× too large for them.

    >>> from planner.models.architectures import KvPrecision
    >>> kv_bytes_per_token(ServedModel(preset="Llama-3.1-8B"))
    131072.0
    >>> kv_bytes_per_token(ServedModel(preset="Llama-3.1-8B", kv_precision=KvPrecision.FP8))
    65536.0
    >>> round(kv_bytes_per_token(ServedModel(parameters_billion=7.0)) / 1e6, 2)
    0.55
    """
    per_element = model.kv_precision.bytes_per_element
    arch = model.architecture
    if arch is not None:
        return architecture_kv_bytes(arch, per_element)
    if model.kv_cache_mb_per_token is not None:
        return model.kv_cache_mb_per_token * 1e6
    layers = float((model.total_params / (12 * 128.0**2)) ** (1 / 3))
    return 2.0 * layers * 128.0 * layers * per_element


def _peaks(
    hw: Hardware, gpu: GpuSpec, precision: ServingPrecision
) -> tuple[float | None, float | None, str]:
    """Peak compute (FLOP/s) and bandwidth (bytes/s) of one GPU for a precision.

    Raises
    ------
    PlannerInputError
        For fp8 on a GPU whose catalog row has no fp8 peak (it has no fp8 tensor cores,
        e.g. A100, or the figure is not verified).
    """
    sixteen = gpu.bf16_dense_tflops
    bandwidth = gpu.memory_bandwidth_gb_s * 1e9 if gpu.memory_bandwidth_gb_s else None
    note = ""
    if precision is ServingPrecision.FP8:
        if not gpu.fp8_dense_tflops:
            raise PlannerInputError(
                f"{hw.name}: precision fp8 needs a GPU with an fp8 peak, and the catalog has "
                f"none for {gpu.gpu_model} (gpus.csv fp8_dense_tflops is blank)",
                fix="choose int8 or int4 weights on this GPU, or a GPU with fp8 (e.g. H100, L40S)",
            )
        return gpu.fp8_dense_tflops * 1e12, bandwidth, "fp8 peak"
    if precision is ServingPrecision.INT8 and gpu.int8_dense_tops:
        return gpu.int8_dense_tops * 1e12, bandwidth, "int8 peak"
    if precision is ServingPrecision.INT8:
        note = "no int8 peak in the catalog: 16-bit peak used"
    elif precision is ServingPrecision.INT4:
        note = "int4 is weight-only: arithmetic at the 16-bit peak"
    return (sixteen * 1e12 if sixteen else None), bandwidth, note


def _missing_spec(hw: Hardware, what: str) -> PlannerInputError:
    return PlannerInputError(
        f"{hw.name}: the catalog has no {what} for its GPU ({hw.gpu_model or 'unknown'}), so "
        "the planner cannot model its throughput",
        fix="enter a measured throughput for it, or choose another instance type",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class LatencyTargets:
    """What bounds an LLM replica's batch besides memory: the batch limit, the whole
    request's latency, and optional time-to-first-token and time-per-output-token targets
    [ms]."""

    max_batch: int
    latency_ms: float
    ttft_ms: float | None = None
    tpot_ms: float | None = None
    tensor_parallel: int | None = None


def _targets(plan: Endpoint, max_batch: int) -> LatencyTargets:
    return LatencyTargets(
        max_batch=max_batch,
        latency_ms=plan.latency_target_ms,
        ttft_ms=plan.ttft_target_ms,
        tpot_ms=plan.tpot_target_ms,
        tensor_parallel=plan.tensor_parallel,
    )


def _llm_throughput(
    model: ServedModel,
    hw: Hardware,
    precision: ServingPrecision,
    targets: LatencyTargets,
) -> ServingThroughput:
    gpu = hw.gpu
    if gpu is None:
        raise _missing_spec(hw, "GPU spec")
    flops, bandwidth, note = _peaks(hw, gpu, precision)
    if flops is None:
        raise _missing_spec(hw, "peak 16-bit TFLOPS")
    if bandwidth is None:
        raise _missing_spec(hw, "memory bandwidth")
    if gpu.memory_gb is None:
        raise _missing_spec(hw, "memory size")
    u_bw, u_fl = _utilisation(model)
    params = model.active_params  # FLOPs: 2 per active parameter per token
    weights = model.total_params * _BYTES_PER_PARAM[precision.value]
    kv = kv_bytes_per_token(model)
    usable = gpu.memory_gb * 1e9 * ASSUMPTIONS["usable_memory"].value
    n_in, n_out = model.input_tokens, model.output_tokens
    ctx_max = n_in + n_out
    ctx_mean = n_in + n_out / 2
    splits = (
        (1, 2, 4, 8, 16, 32, 64) if targets.tensor_parallel is None else (targets.tensor_parallel,)
    )
    if targets.tensor_parallel is not None and hw.gpu_count % targets.tensor_parallel:
        raise PlannerInputError(
            f"{hw.name}: tensor_parallel = {targets.tensor_parallel} does not divide the "
            f"instance's {hw.gpu_count} GPUs",
            fix=f"give a divisor of {hw.gpu_count}, or leave tensor_parallel unset",
        )
    groups = [
        g
        for g in splits
        if g <= hw.gpu_count and hw.gpu_count % g == 0 and weights + ctx_max * kv <= g * usable
    ]
    if not groups:
        need = (weights + ctx_max * kv) / 1e9
        count = targets.tensor_parallel or hw.gpu_count
        raise PlannerInputError(
            f"{hw.name}: {model.label} at {precision} needs "
            f"{need:,.1f} GB for its weights and one request's KV cache, but the "
            f"{'replica' if targets.tensor_parallel else 'instance'}'s {count} × "
            f"{gpu.gpu_model} have {count * usable / 1e9:,.1f} GB usable",
            fix="quantize the model (fp8, int8, int4), shorten the context, use more GPUs per "
            "replica, or pick a larger instance",
        )
    limits = (
        ("latency target", targets.latency_ms),
        ("TTFT target", targets.ttft_ms),
        ("TPOT target", targets.tpot_ms),
    )
    options: list[ServingThroughput] = []
    missed: dict[str, float] = {}  # the best batch-1 figure over the splits, per target
    for group in groups:
        # Each way of splitting the instance into replicas; the fastest instance wins.
        tp = 1.0 if group == 1 else ASSUMPTIONS["tensor_parallel_efficiency"].value
        bw = group * bandwidth * u_bw * tp
        fl = group * flops * u_fl * tp
        memory_batch = int((group * usable - weights) // (ctx_max * kv))
        top = max(1, min(targets.max_batch, memory_batch))
        b = np.arange(1, top + 1, dtype=float)
        step, memory_time, compute_time = _decode_step(
            b, params, weights, kv, n_in, n_out, ctx_mean, bw, fl
        )
        prefill = 2 * params * n_in / fl
        ttft = (prefill + step) * 1000.0
        tpot = step * 1000.0
        latency = ttft + (n_out - 1) * tpot
        figures = {"latency target": latency, "TTFT target": ttft, "TPOT target": tpot}
        ok = np.ones(b.shape, dtype=bool)
        for name, limit in limits:
            if limit is None:
                continue
            meets = figures[name] <= limit
            if not meets[0]:
                missed[name] = min(missed.get(name, math.inf), float(figures[name][0]))
            ok &= meets
        allowed = np.flatnonzero(ok)
        if allowed.size == 0:
            continue
        index = int(allowed[-1])
        batch = index + 1
        if batch == targets.max_batch:
            limited = "max batch"
        elif batch == memory_batch:
            limited = "memory"
        else:
            limited = _first_binding(figures, limits, index)
        replicas = hw.gpu_count // group
        per_replica = batch / (n_out * float(step[index]))  # requests/s, steady state
        rps = per_replica * replicas
        bound = "compute" if compute_time[index] >= memory_time[index] else "memory bandwidth"
        # Input tokens' share of the GPU time: a batched prefill alone against the decode
        # steps alone, so that input and output prices add up to the cost of a request.
        prefill_alone = prefill
        decode_alone = n_out * max(float(memory_time[index]), 2 * params * batch / fl) / batch
        input_share = prefill_alone / (prefill_alone + decode_alone)
        split = f"{replicas} replica(s) of " if replicas > 1 else ""
        basis = (
            f"roofline: {model.label} at {precision} "
            f"({weights / 1e9:,.1f} GB, KV {kv / 1e3:,.1f} kB/token at {model.kv_precision}), "
            f"{split}{group} × {gpu.gpu_model} "
            f"({gpu.memory_bandwidth_gb_s:,.0f} GB/s × {u_bw:.0%}, "
            f"{flops / 1e12:,.0f} TFLOPS × {u_fl:.0%}{'; ' + note if note else ''}), "
            f"continuous batch {batch} ({limited}), decode {bound}-bound, "
            f"TTFT {ttft[index]:,.0f} ms, TPOT {tpot[index]:,.1f} ms"
        )
        options.append(
            ServingThroughput(
                instance_type=hw.name,
                precision=precision,
                batch=batch,
                limited_by=limited,
                bound=bound,
                requests_per_second=rps,
                tokens_per_second_per_gpu=rps * n_out / hw.gpu_count,
                latency_ms=float(latency[index]),
                gpus_per_replica=group,
                replicas=replicas,
                weights_gb=weights / 1e9,
                memory_gb=(weights + batch * ctx_max * kv) / 1e9,
                basis=basis,
                ttft_ms=float(ttft[index]),
                tpot_ms=float(tpot[index]),
                input_share=input_share,
            )
        )
    if not options:
        name, best = next((n, missed[n]) for n, _ in limits if n in missed)
        limit = dict(limits)[name]
        raise PlannerInputError(
            f"{hw.name}: even at batch 1 the {name.removesuffix(' target')} is {best:,.1f} ms at "
            f"{precision}, above the {limit:,.1f} ms {name}",
            fix="relax the target, shorten the input or output, quantize, or pick a faster GPU",
        )
    return max(options, key=lambda option: option.requests_per_second)


def _first_binding(
    figures: Mapping[str, FloatArray],
    limits: Sequence[tuple[str, float | None]],
    index: int,
) -> str:
    """The target the next larger batch would miss."""
    for name, limit in limits:
        nxt = index + 1
        if limit is not None and nxt < figures[name].shape[0] and figures[name][nxt] > limit:
            return name
    return "latency target"


def _decode_step(
    batch: FloatArray,
    params: float,
    weights: float,
    kv: float,
    n_in: int,
    n_out: int,
    ctx_mean: float,
    bandwidth: float,
    flops: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    r"""One continuous-batching step of *b* running requests [s], with its memory and
    compute times.

    .. math:: s(b) = \max\Big(\frac{W + b\,\bar c\,k}{B_e},\;
              \frac{2P\,b\,(1 + n_{in}/n_{out})}{F_e}\Big)

    Each step reads the weights once and each request's KV cache, and computes one token
    for each of the *b* requests plus, in the steady state, the prefill of the
    :math:`b / n_{out}` requests that replace the finished ones (chunked prefill rides on
    the same weight read, so prefill is compute, not a second read of the weights).
    """
    memory = (weights + batch * ctx_mean * kv) / bandwidth
    compute = 2 * params * batch * (1 + n_in / n_out) / flops
    return np.maximum(memory, compute), memory, compute


def _classic_throughput(
    plan: Endpoint,
    hw: Hardware,
    precision: ServingPrecision,
    max_batch: int,
    reference: Hardware,
) -> ServingThroughput:
    model = plan.model
    beta = model.batchability
    if hw.custom is not None:
        custom = hw.custom
        beta = custom.batchability if custom.batchability is not None else beta
        if precision is ServingPrecision.FP8:
            raise PlannerInputError(
                f"{hw.name}: a custom instance states no fp8 speed-up, so it cannot run fp8",
                fix="choose fp16, int8 or int4 for it (with its int8/int4 speed-ups)",
            )
        speed = {"fp16": 1.0, "int8": custom.int8_speedup, "int4": custom.int4_speedup}[
            precision.value
        ]
        t1 = (custom.latency_ms / 1000.0) if custom.latency_ms else 1.0 / custom.requests_per_second
        workers = custom.requests_per_second * t1  # requests in parallel at batch 1
        shared, per_item = beta * t1 / speed, (1 - beta) * t1 / speed
        units = workers
        basis = (
            f"custom instance: {custom.requests_per_second:,.4g} req/s measured at batch 1, "
            f"×{speed:g} at {precision} (stated), batchability {beta:.2f}"
        )
    else:
        if reference.gpu is None or hw.gpu is None:
            missing = hw if hw.gpu is None else reference
            raise _missing_spec(missing, "GPU spec")
        t1_ref = model.latency_ms / 1000.0
        shared, per_item = beta * t1_ref, (1 - beta) * t1_ref
        if hw.name != reference.name:
            ref_f, ref_b, _ = _peaks(reference, reference.gpu, ServingPrecision.FP16)
            hw_f, hw_b, _ = _peaks(hw, hw.gpu, ServingPrecision.FP16)
            if ref_f is None or hw_f is None:
                raise _missing_spec(reference if ref_f is None else hw, "peak 16-bit TFLOPS")
            if ref_b is None or hw_b is None:
                raise _missing_spec(reference if ref_b is None else hw, "memory bandwidth")
            shared *= ref_b / hw_b
            per_item *= ref_f / hw_f
        shared *= _BYTES_PER_PARAM[precision.value] / _BYTES_PER_PARAM["fp16"]
        note = ""
        if precision in (ServingPrecision.INT8, ServingPrecision.FP8):
            f16, _, _ = _peaks(hw, hw.gpu, ServingPrecision.FP16)
            f8, _, note = _peaks(hw, hw.gpu, precision)
            if f16 and f8:
                per_item *= f16 / f8
        units = float(hw.gpu_count)
        basis = (
            f"classic model: {model.latency_ms:g} ms at batch 1 (fp16 on {reference.name}), "
            f"batchability {beta:.2f}, scaled to {hw.gpu_count} × {hw.gpu_model} at "
            f"{precision}{' (' + note + ')' if note else ''}"
        )
    batches = np.arange(1, max_batch + 1, dtype=float)
    batch_time = shared + batches * per_item
    latency = 2 * batch_time
    target = plan.latency_target_ms / 1000.0
    ok = np.flatnonzero(latency <= target)
    if ok.size == 0:
        raise PlannerInputError(
            f"{hw.name}: even at batch 1 a request takes {latency[0] * 1000:,.1f} ms under "
            f"load at {precision}, above the {plan.latency_target_ms:,.0f} ms target",
            fix="raise the latency target, or pick a faster instance",
        )
    index = int(ok[-1])
    batch = index + 1
    limited = "max batch" if batch == max_batch else "latency target"
    rps = units * batch / batch_time[index]
    return ServingThroughput(
        instance_type=hw.name,
        precision=precision,
        batch=batch,
        limited_by=limited,
        bound="mixed",
        requests_per_second=rps,
        tokens_per_second_per_gpu=None,
        latency_ms=float(latency[index]) * 1000.0,
        gpus_per_replica=1,
        replicas=max(1, round(units)),
        weights_gb=None,
        memory_gb=None,
        basis=basis + f"; batch {batch} ({limited})",
    )


def instance_throughput(
    plan: Endpoint,
    instance_type: str,
    precision: ServingPrecision,
    max_batch: int,
    *,
    pricing: Pricing = _LIST_PRICES,
    catalog: Catalog | None = None,
    calibrate: bool = True,
) -> ServingThroughput:
    """ServingThroughput of one instance of ``instance_type`` serving the plan's model.

    A measured figure in the plan replaces the model at the plan's own configuration and
    scales the others on the same instance type by the same factor.

    Raises
    ------
    PlannerInputError
        When the instance cannot serve the model: weights too big for its memory, the
        latency target missed at batch 1, or GPU specs missing from the catalog.

    Examples
    --------
    >>> plan = Endpoint(model=ServedModel(parameters_billion=7.0, precision=ServingPrecision.INT8))
    >>> t = instance_throughput(plan, "g6.xlarge", ServingPrecision.INT8, 16)
    >>> (t.batch, t.bound, round(t.requests_per_second, 2))
    (16, 'memory bandwidth', 1.27)
    >>> round(t.ttft_ms), round(t.tpot_ms, 1)  # time to first token, per output token
    (132, 63.2)
    """
    catalog = catalog or load_catalog()
    model = plan.model
    hw = hardware(instance_type, plan, pricing, catalog)
    measured = (
        model.measured_tokens_per_second_per_gpu
        if model.kind is ModelKind.LLM
        else model.measured_requests_per_second_per_instance
    )
    own = (
        instance_type == plan.instance_type
        and precision is model.precision
        and max_batch == plan.max_batch
    )
    modelled: ServingThroughput | None = None
    error: PlannerInputError | None = None
    try:
        modelled = _modelled(plan, hw, precision, max_batch, pricing, catalog)
    except PlannerInputError as problem:
        error = problem
    if measured is None or not calibrate or instance_type != plan.instance_type:
        if modelled is None:
            raise error or PlannerInputError(f"{instance_type}: cannot model throughput")
        return modelled
    # A measured figure: exact at the plan's configuration, a calibration elsewhere.
    plan_hw = hw
    if model.kind is ModelKind.LLM:
        measured_rps = measured * plan_hw.gpu_count / model.output_tokens
    else:
        measured_rps = measured
    try:
        at_plan = _modelled(plan, plan_hw, model.precision, plan.max_batch, pricing, catalog)
    except PlannerInputError:
        at_plan = None
    if own:
        base = at_plan or modelled
        return ServingThroughput(
            instance_type=instance_type,
            precision=precision,
            batch=base.batch if base else max_batch,
            limited_by=base.limited_by if base else "measured",
            bound="measured",
            requests_per_second=measured_rps,
            tokens_per_second_per_gpu=(
                measured_rps * model.output_tokens / hw.gpu_count
                if model.kind is ModelKind.LLM
                else None
            ),
            latency_ms=base.latency_ms if base else float("nan"),
            gpus_per_replica=base.gpus_per_replica if base else 1,
            replicas=base.replicas if base else 1,
            weights_gb=base.weights_gb if base else None,
            memory_gb=base.memory_gb if base else None,
            ttft_ms=base.ttft_ms if base else None,
            tpot_ms=base.tpot_ms if base else None,
            input_share=base.input_share if base else None,
            basis=f"measured: {measured:,.4g} "
            + ("tokens/s per GPU" if model.kind is ModelKind.LLM else "req/s per instance")
            + " at the plan's configuration",
        )
    if modelled is None or at_plan is None:
        raise PlannerInputError(
            f"{instance_type}: the measured figure is for {model.precision}, batch "
            f"{plan.max_batch}; the planner cannot scale it to {precision}, batch {max_batch} "
            "without the GPU's specs",
            fix="use the plan's own precision and batch on this type, or pick a type with specs",
        )
    factor = measured_rps / at_plan.requests_per_second
    return replace(
        modelled,
        requests_per_second=modelled.requests_per_second * factor,
        tokens_per_second_per_gpu=(
            modelled.tokens_per_second_per_gpu * factor
            if modelled.tokens_per_second_per_gpu is not None
            else None
        ),
        basis=modelled.basis + f"; × {factor:.3g} calibrated to the measured figure",
    )


def _modelled(
    plan: Endpoint,
    hw: Hardware,
    precision: ServingPrecision,
    max_batch: int,
    pricing: Pricing,
    catalog: Catalog,
) -> ServingThroughput:
    if plan.model.kind is ModelKind.LLM:
        if hw.custom is not None:
            return _classic_throughput(plan, hw, precision, max_batch, hw)
        return _llm_throughput(plan.model, hw, precision, _targets(plan, max_batch))
    reference_name = plan.model.reference_instance_type or plan.instance_type
    reference = hardware(reference_name, plan, pricing, catalog)
    return _classic_throughput(plan, hw, precision, max_batch, reference)


# --------------------------------------------------------------------------- token prices


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenPrice:
    """What one instance serving at full load charges per token, on demand (or the tier
    asked for): the unit price of the serving model, with no fleet, traffic or headroom."""

    instance_type: str
    tier: PriceTier
    usd_per_hour: float
    throughput: ServingThroughput
    usd_per_request: float
    usd_per_1m_input_tokens: float
    usd_per_1m_output_tokens: float
    basis: str


def replica_hosts(gpu: str, catalog: Catalog, *, gpus_per_replica: int = 1) -> list[InstanceType]:
    """The catalog's on-demand instance types with ``gpu`` whose GPU count
    ``gpus_per_replica`` divides: those a replica of that split can run on."""
    return [
        inst
        for inst in catalog.instances.values()
        if inst.gpu_model == gpu
        and inst.gpu_count % gpus_per_replica == 0
        and inst.on_demand_usd_per_hour is not None
    ]


def serving_instance(gpu: str, catalog: Catalog, *, gpus_per_replica: int = 1) -> str:
    """The catalog's instance type with ``gpu`` whose on-demand price per GPU is lowest,
    among those whose GPU count ``gpus_per_replica`` divides.

    Raises
    ------
    PlannerInputError
        For a GPU the catalog does not know (naming the ones it does), or one no priced
        instance carries in that count.

    >>> serving_instance("H100", load_catalog())
    'gpu_8x_h100_sxm5'
    """
    if gpu not in catalog.gpus:
        known = ", ".join(sorted(catalog.gpus))
        raise PlannerInputError(
            f"GPU {gpu!r} is not in the catalog (gpus.csv)", fix=f"use one of {known}"
        )
    fits = replica_hosts(gpu, catalog, gpus_per_replica=gpus_per_replica)
    if not fits:
        raise PlannerInputError(
            f"no instance type in the catalog has {gpu} GPUs in a multiple of "
            f"{gpus_per_replica} with an on-demand price",
            fix="choose another --tp or --gpu",
        )
    return min(fits, key=lambda inst: (inst.on_demand_usd_per_hour or 0.0) / inst.gpu_count).name


def token_price(
    plan: Endpoint,
    pricing: Pricing = _LIST_PRICES,
    catalog: Catalog | None = None,
    *,
    tier: PriceTier = PriceTier.ON_DEMAND,
) -> TokenPrice:
    r"""USD per million input and output tokens of the plan's LLM on one instance of its
    type at full load: the instance's hourly price over the requests it serves, split
    between input and output by the GPU time of each phase (see the module docstring).

    .. math:: p_{in} = \frac{C\,\phi}{X\,n_{in}},\quad
              p_{out} = \frac{C\,(1 - \phi)}{X\,n_{out}}

    with *C* the price per second, *X* requests per second and :math:`\phi` the input's share.

    Raises
    ------
    PlannerInputError
        A classic model or a custom instance (no token phases); no price in the tier; the
        instance cannot serve the model.

    >>> plan = Endpoint(instance_type="p5.48xlarge", max_batch=256,
    ...                 model=ServedModel(preset="Llama-3.1-8B", precision=ServingPrecision.FP8))
    >>> price = token_price(plan)
    >>> price.throughput.batch, round(price.usd_per_1m_output_tokens, 3)
    (256, 0.066)
    """
    catalog = catalog or load_catalog()
    if plan.model.kind is not ModelKind.LLM:
        raise PlannerInputError(
            "token prices need an LLM: a classic model has no input and output tokens",
            fix="set model.kind to llm, or read the cost per request",
        )
    hw = hardware(plan.instance_type, plan, pricing, catalog)
    usd_per_hour = {
        PriceTier.ON_DEMAND: hw.on_demand_usd_per_hour,
        PriceTier.SPOT: hw.spot_usd_per_hour,
        PriceTier.RESERVED_1Y: hw.reserved_1y_usd_per_hour,
        PriceTier.RESERVED_3Y: hw.reserved_3y_usd_per_hour,
    }[tier]
    if usd_per_hour is None:
        raise PlannerInputError(
            f"{hw.name} has no {tier.label} price", fix="add a price override for it"
        )
    tp = instance_throughput(
        plan,
        plan.instance_type,
        plan.model.precision,
        plan.max_batch,
        pricing=pricing,
        catalog=catalog,
    )
    if tp.input_share is None:
        raise PlannerInputError(
            f"{hw.name}: a custom instance's measured figures have no prefill and decode "
            "phases to price input and output tokens by",
            fix="use a catalog instance type for token prices",
        )
    per_request = usd_per_hour / (tp.requests_per_second * SECONDS_PER_HOUR)
    return TokenPrice(
        instance_type=hw.name,
        tier=tier,
        usd_per_hour=usd_per_hour,
        throughput=tp,
        usd_per_request=per_request,
        usd_per_1m_input_tokens=1e6 * per_request * tp.input_share / plan.model.input_tokens,
        usd_per_1m_output_tokens=(
            1e6 * per_request * (1.0 - tp.input_share) / plan.model.output_tokens
        ),
        basis=f"{usd(usd_per_hour)}/h {tier.label} at full load; {tp.basis}",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ServingFlopPrice:
    """The serving model's price of inference for a model size, as sizing reads it: USD per
    output token, and USD per FLOP at 2 FLOPs per parameter per token (input and output)."""

    usd_per_output_token: float
    usd_per_token: float  # a request's cost over its input and output tokens
    usd_per_flop: float
    basis: str


def replica_gpus(params: float, precision: ServingPrecision, gpu: str, catalog: Catalog) -> int:
    """The fewest GPUs (a power of two, at most 64) whose usable memory holds the weights
    of ``params`` parameters at ``precision``: the tensor-parallel split a replica needs.

    >>> replica_gpus(70e9, ServingPrecision.FP16, "H100", load_catalog())
    2
    """
    need = params * _BYTES_PER_PARAM[precision.value]
    memory = catalog.gpus[gpu].memory_gb if gpu in catalog.gpus else None
    per_replica = 1
    if memory:
        usable = memory * 1e9 * ASSUMPTIONS["usable_memory"].value
        while per_replica < 64 and need > per_replica * usable:
            per_replica *= 2
    return per_replica


def serving_flop_price(
    params: float,
    gpu: str,
    *,
    precision: ServingPrecision = ServingPrecision.FP16,
    input_tokens: int = 500,
    output_tokens: int = 200,
    max_batch: int = 256,
    tpot_target_ms: float | None = None,
    compute_utilisation: float | None = None,
    pricing: Pricing = _LIST_PRICES,
    catalog: Catalog | None = None,
) -> ServingFlopPrice:
    """What serving a model of ``params`` parameters costs on the cheapest instance with
    ``gpu``, at full load and the serving model's calibrated utilisation (the same roofline
    as :func:`price_endpoint`), for :func:`planner.models.sizing.optimal_for_budget`.

    Sizing prices inference as ``2 N`` FLOPs per token at one USD per FLOP; this is that
    price for the serving GPU: the cost of a request over ``2 N (n_in + n_out)``. It depends
    on ``N`` (small models are memory-bound), so evaluate it at the size being judged. A
    model of that size has no architecture, so its KV cache is the multi-head estimate of
    :func:`kv_bytes_per_token` (conservative for grouped-query models). ``tpot_target_ms``
    bounds the batch as an interactive endpoint would; unset, the batch is ``max_batch`` or
    what memory holds.

    Raises
    ------
    PlannerInputError
        An unknown GPU, or a model that no instance with it can hold.

    >>> price = serving_flop_price(8e9, "H100", precision=ServingPrecision.FP8)
    >>> round(price.usd_per_output_token * 1e6, 3), f"{price.usd_per_flop:.2e}"
    (0.17, '3.79e-18')
    """
    catalog = catalog or load_catalog()
    model = ServedModel(
        parameters_billion=params / 1e9,
        precision=precision,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        compute_utilisation=compute_utilisation,
    )
    name = serving_instance(
        gpu, catalog, gpus_per_replica=replica_gpus(params, precision, gpu, catalog)
    )
    plan = Endpoint(
        instance_type=name,
        model=model,
        max_batch=max_batch,
        latency_target_ms=3_600_000.0,
        tpot_target_ms=tpot_target_ms,
    )
    price = token_price(plan, pricing, catalog)
    tokens = input_tokens + output_tokens
    return ServingFlopPrice(
        usd_per_output_token=price.usd_per_1m_output_tokens / 1e6,
        usd_per_token=price.usd_per_request / tokens,
        usd_per_flop=price.usd_per_request / (2 * params * tokens),
        basis=f"serving roofline on {name}: {price.basis}",
    )


# --------------------------------------------------------------------------- traffic


def _shape_weights(traffic: Traffic) -> tuple[FloatArray, FloatArray]:
    daily = np.asarray(traffic.daily_weights or _DAILY_PRESETS[str(traffic.daily_shape)])
    weekly = np.asarray(traffic.weekly_weights or _WEEKLY_PRESETS[str(traffic.weekly_shape)])
    if daily.shape[0] != 24:
        raise PlannerInputError(
            f"daily_weights has {daily.shape[0]} values", fix="give 24, one per hour, or none"
        )
    if weekly.shape[0] != 7:
        raise PlannerInputError(
            f"weekly_weights has {weekly.shape[0]} values", fix="give 7, Monday first, or none"
        )
    if daily.sum() <= 0 or weekly.sum() <= 0:
        raise PlannerInputError(
            "the traffic shape is all zeros", fix="give at least one hour and day a weight"
        )
    return daily.astype(float), weekly.astype(float)


def week_shape(traffic: Traffic) -> tuple[FloatArray, tuple[str, ...]]:
    """One week of hourly weights with mean 1, and notes on the peak-to-average fit.

    >>> shape, _ = week_shape(Traffic(peak_to_average=2.0))
    >>> round(float(shape.max() / shape.mean()), 6), shape.shape
    (2.0, (168,))
    """
    daily, weekly = _shape_weights(traffic)
    base = (weekly[:, None] * daily[None, :]).ravel()
    base = base / base.mean()
    notes: list[str] = []
    target = traffic.peak_to_average
    if target is None:
        return base, ()
    peak = float(base.max())
    if peak - 1.0 < 1e-9:
        if target > 1.0:
            notes.append(
                "The traffic shape is flat, so it has no peak to scale: peak-to-average ignored."
            )
        return base, tuple(notes)

    def ratio(k: float) -> float:
        scaled = np.maximum(1.0 + k * (base - 1.0), 0.0)
        return float(scaled.max() / scaled.mean())

    limit = ratio(1e6)
    if target > limit:
        notes.append(
            f"This shape cannot reach a peak-to-average of {target:g}; its largest is "
            f"{limit:.3g}, used instead."
        )
        target = limit
    low, high = 0.0, 1.0
    while ratio(high) < target and high < 1e6:
        high *= 2
    for _ in range(80):
        middle = (low + high) / 2
        if ratio(middle) < target:
            low = middle
        else:
            high = middle
    scaled = np.maximum(1.0 + high * (base - 1.0), 0.0)
    return scaled / scaled.mean(), tuple(notes)


@dataclass(frozen=True, slots=True, kw_only=True)
class Demand:
    """Hourly incoming requests per second over the horizon, and where they come from."""

    requests_per_second: FloatArray
    source: str
    notes: tuple[str, ...] = ()

    @property
    def hours(self) -> int:
        return int(self.requests_per_second.shape[0])


def traffic_profile(traffic: Traffic, csv_demand: Sequence[float] | None = None) -> Demand:
    """The hourly demand of a plan: the uploaded CSV if there is one, else the shape.

    Raises
    ------
    PlannerInputError
        When the traffic names a CSV that was not loaded, or the shape is invalid.

    Examples
    --------
    >>> d = traffic_profile(Traffic(requests_per_day=86_400, horizon_weeks=1))
    >>> d.hours, round(float(d.requests_per_second.mean()), 6)
    (168, 1.0)
    """
    if csv_demand is not None:
        values = np.asarray(csv_demand, dtype=float)
        return Demand(
            requests_per_second=values,
            source=f"hourly CSV ({traffic.demand_csv or 'uploaded'}), {values.shape[0]:,} hours",
        )
    if traffic.demand_csv is not None:
        raise PlannerInputError(
            f"This plan's demand comes from the CSV file {traffic.demand_csv!r}, which is not "
            "loaded",
            fix="run it from the folder of its scenario file, upload the CSV, or remove demand_csv",
        )
    shape, notes = week_shape(traffic)
    hours = traffic.horizon_weeks * _HOURS_PER_WEEK
    weekly = np.tile(shape, traffic.horizon_weeks)[:hours]
    growth = (1.0 + traffic.monthly_growth) ** (np.arange(hours) / HOURS_PER_MONTH)
    rps = traffic.requests_per_day / SECONDS_PER_DAY * weekly * growth
    return Demand(
        requests_per_second=rps,
        source=(
            f"{traffic.requests_per_day:,.0f} requests/day, {traffic.daily_shape} × "
            f"{traffic.weekly_shape} shape, {traffic.horizon_weeks} weeks"
            + (f", {traffic.monthly_growth:+.1%}/month" if traffic.monthly_growth else "")
        ),
        notes=notes,
    )


def lag_adjusted(demand: FloatArray, lag_minutes: float) -> FloatArray:
    """Demand each hour's capacity must cover when new replicas take ``lag_minutes`` to
    start: the highest demand between the hour and that much later (linear in between).

    >>> lag_adjusted(np.array([10.0, 20.0, 10.0]), 30).tolist()
    [15.0, 20.0, 10.0]
    """
    if lag_minutes <= 0 or demand.size == 0:
        return demand.copy()
    lag = lag_minutes / 60.0
    whole = math.floor(lag)
    fraction = lag - whole
    padded = np.concatenate([demand, np.full(whole + 1, demand[-1])])
    result = demand.copy()
    for step in range(1, whole + 1):
        result = np.maximum(result, padded[step : step + demand.size])
    if fraction > 0:
        a = padded[whole : whole + demand.size]
        b = padded[whole + 1 : whole + 1 + demand.size]
        result = np.maximum(result, a + fraction * (b - a))
    return result


# --------------------------------------------------------------------------- configurations


class Lever(enum.StrEnum):
    """The levers of the serving waterfall, in display order."""

    QUANTIZATION = "quantization"
    BATCHING = "batching"
    CACHING = "caching"
    RIGHT_SIZING = "right_sizing"
    AUTOSCALING = "autoscaling"
    COMMITMENTS = "commitments"

    @property
    def label(self) -> str:
        return _LEVER_LABELS[self]


_LEVER_LABELS = {
    Lever.QUANTIZATION: "Quantization",
    Lever.BATCHING: "Batching",
    Lever.CACHING: "Response cache",
    Lever.RIGHT_SIZING: "Right-sizing the instance",
    Lever.AUTOSCALING: "Autoscaling vs fixed fleet",
    Lever.COMMITMENTS: "Commitments and spot",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """One point between the baseline and the plan: a value for every lever."""

    instance_type: str
    precision: ServingPrecision
    max_batch: int
    cache_hit_rate: float
    autoscaling: bool
    commitments: bool

    def describe(self) -> str:
        return (
            f"{self.instance_type}, {self.precision}, batch ≤ {self.max_batch}, cache "
            f"{self.cache_hit_rate:.0%}, {'autoscaled' if self.autoscaling else 'fixed fleet'}, "
            f"{'reserved/spot mix' if self.commitments else 'on-demand'}"
        )


def plan_config(plan: Endpoint) -> Config:
    return Config(
        instance_type=plan.instance_type,
        precision=plan.model.precision,
        max_batch=plan.max_batch,
        cache_hit_rate=plan.cache_hit_rate,
        autoscaling=plan.autoscaling.enabled,
        commitments=True,
    )


def baseline_config(plan: Endpoint) -> Config:
    base = plan.baseline
    return Config(
        instance_type=base.instance_type or plan.instance_type,
        precision=base.precision,
        max_batch=base.max_batch,
        cache_hit_rate=base.cache_hit_rate,
        autoscaling=base.autoscaling,
        commitments=base.commitments,
    )


_LEVER_FIELDS = {
    Lever.QUANTIZATION: "precision",
    Lever.BATCHING: "max_batch",
    Lever.CACHING: "cache_hit_rate",
    Lever.RIGHT_SIZING: "instance_type",
    Lever.AUTOSCALING: "autoscaling",
    Lever.COMMITMENTS: "commitments",
}


def _mix_for(
    config: Config,
    capacity: float,
    hw: Hardware,
    plan: Endpoint,
    instances: IntArray,
    term: CommitmentPlan | None,
) -> MixProblem:
    mix = plan.mix
    fixed = None
    if term is not None:
        held = term.first_year_reserved.get(hw.name, {})
        fixed = (
            (held.get(CommitmentKind.RESERVED_1Y, 0), held.get(CommitmentKind.RESERVED_3Y, 0)),
        )
    return MixProblem(
        demand=tuple((instances * capacity).tolist()),
        options=(_option(hw, capacity, plan),),
        headroom=0.0,
        spot_max_share=mix.spot_max_share,
        availability_target=mix.availability_target,
        tiers=frozenset(mix.tiers) | {PriceTier.ON_DEMAND},
        time_limit_seconds=5.0,
        fixed_reserved=fixed,
    )


_TERM_PATHS = 200  # demand paths drawn when the forecast is uncertain


def endpoint_pool(hw: Hardware, plan: Endpoint, need: FloatArray, *, autoscaled: bool) -> Pool:
    """The endpoint as a pool of the commitment planner: its instances needed each hour
    (fractional, before rounding up) with the traffic horizon's own growth taken out (the
    forecast puts it back over the term, so a short horizon is never assumed to repeat),
    its replica floor and its prices."""
    if hw.on_demand_usd_per_hour is None:
        raise PlannerInputError(
            f"{hw.name} has no on-demand price, so commitments cannot be weighed against it",
            fix="add a price override for it",
        )
    growth = plan.traffic.monthly_growth
    base = need / (1.0 + growth) ** (np.arange(need.shape[0]) / HOURS_PER_MONTH)
    mix = plan.mix
    spot_share = mix.spot_max_share if PriceTier.SPOT in mix.tiers else 0.0
    allowed = set(mix.tiers)
    return Pool(
        name=hw.name,
        need=tuple(base.tolist()),
        floor=plan.autoscaling.min_replicas,
        fixed_fleet=not autoscaled,
        on_demand_usd_per_hour=hw.on_demand_usd_per_hour,
        spot_usd_per_hour=hw.spot_usd_per_hour,
        reserved_1y_usd_per_hour=(
            hw.reserved_1y_usd_per_hour if PriceTier.RESERVED_1Y in allowed else None
        ),
        reserved_3y_usd_per_hour=(
            hw.reserved_3y_usd_per_hour if PriceTier.RESERVED_3Y in allowed else None
        ),
        spot_max_share=spot_share if hw.spot_usd_per_hour is not None else 0.0,
    )


def _term_commitments(
    hw: Hardware, plan: Endpoint, need: FloatArray, *, autoscaled: bool
) -> CommitmentPlan | None:
    """The reservations to buy for their whole term, from the endpoint's forecast (see
    :mod:`planner.models.commitments`); ``None`` when no reserved tier is allowed or priced."""
    if hw.on_demand_usd_per_hour is None:
        return None
    pool = endpoint_pool(hw, plan, need, autoscaled=autoscaled)
    kinds = frozenset(
        kind
        for kind, price in (
            (CommitmentKind.RESERVED_1Y, pool.reserved_1y_usd_per_hour),
            (CommitmentKind.RESERVED_3Y, pool.reserved_3y_usd_per_hour),
        )
        if price is not None
    )
    if not kinds:
        return None
    growth = plan.traffic.monthly_growth
    spread = plan.mix.growth_uncertainty_per_year
    return plan_commitments(
        PortfolioProblem(
            pools=(pool,),
            forecast=Forecast(
                growth_per_year=(1.0 + growth) ** 12 - 1.0,
                growth_sd_per_year=spread,
                paths=_TERM_PATHS if spread > 0 else 1,
            ),
            kinds=kinds,
            stranded_limit=plan.mix.stranded_limit,
        )
    )


def reclaimed_at_once(hw: Hardware, plan: Endpoint) -> float:
    """The share of a type's spot capacity that may be reclaimed in one event, which the
    availability target must survive (the fleet optimizer's :math:`q_t`): the plan's
    ``mix.interruption_rate``, a custom instance's ``spot_interruption_rate``, else the
    AWS Spot Advisor bucket's upper edge for the type, else the feed's global one.

    Not the per-instance hazard (the bucket's midpoint, instances interrupted a month):
    the hazard says how often an instance goes, this how much goes together, and a month's
    reclaims may all come at once. See :class:`planner.catalog.SpotRateDefault`.

    >>> hw = hardware("g6e.xlarge", Endpoint(), _LIST_PRICES, load_catalog())
    >>> reclaimed_at_once(hw, Endpoint()), spot_rate_default("g6e.xlarge").monthly_fraction
    (0.11, 0.075)
    """
    if plan.mix.interruption_rate is not None:
        return plan.mix.interruption_rate
    if hw.custom is not None:
        rate = hw.custom.spot_interruption_rate
        return rate if rate is not None else spot_rate_default("").reclaimed_at_once
    return spot_rate_default(hw.name).reclaimed_at_once


def _option(hw: Hardware, capacity: float, plan: Endpoint) -> InstanceOption:
    return InstanceOption(
        name=hw.name,
        capacity=capacity,
        on_demand_usd_per_hour=hw.on_demand_usd_per_hour,
        spot_usd_per_hour=hw.spot_usd_per_hour,
        reserved_1y_usd_per_hour=hw.reserved_1y_usd_per_hour,
        reserved_3y_usd_per_hour=hw.reserved_3y_usd_per_hour,
        interruption_rate=reclaimed_at_once(hw, plan),
    )


@dataclass(frozen=True, kw_only=True, eq=False)
class Outcome:
    """What a configuration costs over the horizon, hour by hour."""

    config: Config
    throughput: ServingThroughput
    hardware: Hardware
    served_rps: FloatArray  # model demand after the cache
    need_instances: FloatArray  # each hour, with headroom, before rounding up and the floor
    instances: IntArray  # needed each hour
    hourly_cost: FloatArray
    total_cost_usd: float
    monthly_cost_usd: float
    per_request_usd: float | None
    per_1k_requests_usd: float | None
    per_1m_tokens_usd: float | None
    usd_per_1m_input_tokens: float | None  # the input's share of the cost (LLM roofline)
    usd_per_1m_output_tokens: float | None
    fleet: MixPlan | None
    term: CommitmentPlan | None = None
    notes: tuple[str, ...] = ()


def evaluate_config(
    config: Config,
    plan: Endpoint,
    demand: Demand,
    *,
    pricing: Pricing = _LIST_PRICES,
    catalog: Catalog | None = None,
) -> Outcome:
    """Fleet, hourly cost and unit costs of one configuration.

    Raises
    ------
    PlannerInputError
        When the configuration cannot serve the model, its peak hour needs more than
        :data:`MAX_FLEET_INSTANCES` instances, or its instance has no on-demand price (and no
        commitment mix is allowed).
    """
    catalog = catalog or load_catalog()
    hw = hardware(config.instance_type, plan, pricing, catalog)
    tp = instance_throughput(
        plan,
        config.instance_type,
        config.precision,
        config.max_batch,
        pricing=pricing,
        catalog=catalog,
    )
    incoming = demand.requests_per_second
    served = incoming * (1.0 - config.cache_hit_rate)
    scaling = plan.autoscaling
    need = lag_adjusted(served, scaling.scale_up_lag_minutes if config.autoscaling else 0.0)
    capacity = tp.requests_per_second
    fractional = need * (1.0 + scaling.headroom) / capacity
    peak = float(fractional.max(initial=0.0))
    if peak > MAX_FLEET_INSTANCES:
        raise PlannerInputError(
            f"{config.instance_type} serves {capacity:.3g} requests/s per instance, so the "
            f"peak hour needs {peak:.3g} instances, more than the {MAX_FLEET_INSTANCES:,} "
            "the planner prices",
            fix="check the stated throughput and the traffic (requests per day, peak-to-"
            "average, growth), or choose a larger instance",
        )
    instances = np.ceil(fractional - 1e-9).astype(np.int64)
    instances = np.maximum(instances, scaling.min_replicas)
    if not config.autoscaling:
        instances = np.full_like(instances, int(instances.max(initial=0)))
    hours = instances.shape[0]
    fleet = None
    term = None
    if config.commitments:
        term = _term_commitments(hw, plan, fractional, autoscaled=config.autoscaling)
        fleet = optimize_mix(_mix_for(config, capacity, hw, plan, instances, term))
        hourly = np.asarray(fleet.details["hourly_cost"], dtype=float)
    else:
        if hw.on_demand_usd_per_hour is None:
            raise PlannerInputError(
                f"{hw.name} has no on-demand price", fix="add a price override for it"
            )
        hourly = instances * hw.on_demand_usd_per_hour
    total = float(hourly.sum())
    requests = float(incoming.sum() * SECONDS_PER_HOUR)
    tokens = requests * (plan.model.input_tokens + plan.model.output_tokens)
    monthly = total / hours * HOURS_PER_MONTH if hours else 0.0
    # Input and output tokens split the cost by the GPU time each phase takes, so that
    # n_in × input price + n_out × output price is the cost of a request.
    share = tp.input_share if plan.model.kind is ModelKind.LLM else None
    per_input: float | None = None
    per_output: float | None = None
    if share is not None and requests > 0:
        per_input = 1e6 * total * share / (requests * plan.model.input_tokens)
        per_output = 1e6 * total * (1.0 - share) / (requests * plan.model.output_tokens)
    return Outcome(
        config=config,
        throughput=tp,
        hardware=hw,
        served_rps=served,
        need_instances=fractional,
        instances=instances,
        hourly_cost=hourly,
        total_cost_usd=total,
        monthly_cost_usd=monthly,
        per_request_usd=total / requests if requests > 0 else None,
        per_1k_requests_usd=1000 * total / requests if requests > 0 else None,
        per_1m_tokens_usd=(
            1e6 * total / tokens if plan.model.kind is ModelKind.LLM and tokens > 0 else None
        ),
        usd_per_1m_input_tokens=per_input,
        usd_per_1m_output_tokens=per_output,
        fleet=fleet,
        term=term,
    )


# --------------------------------------------------------------------------- levers


@dataclass(frozen=True, slots=True, kw_only=True)
class LeverSaving:
    """One lever's share of the saving, and what it does alone."""

    lever: Lever
    baseline_value: str
    plan_value: str
    saving_usd_per_month: float  # Shapley value
    solo_saving_usd_per_month: float  # from the baseline, this lever alone
    last_saving_usd_per_month: float  # from the plan, removing this lever alone

    @property
    def name(self) -> str:
        return self.lever.value


@dataclass(frozen=True, kw_only=True, eq=False)
class ServingResult:
    """Baseline, plan, and the attribution of the difference to the levers."""

    plan: Endpoint
    demand: Demand
    baseline: Outcome
    optimised: Outcome
    levers: tuple[LeverSaving, ...]
    interactions: pd.DataFrame  # lever_a, lever_b, interaction_usd_per_month
    coalitions: Mapping[frozenset[Lever], float]  # monthly cost of every combination
    substitutions: Mapping[frozenset[Lever], frozenset[Lever]]  # infeasible -> used
    requests_per_month: float
    notes: tuple[str, ...] = ()

    @property
    def total_saving_usd_per_month(self) -> float:
        return self.baseline.monthly_cost_usd - self.optimised.monthly_cost_usd

    def waterfall_frame(self, *, per_request: bool = False) -> pd.DataFrame:
        """Baseline, one step per lever (its Shapley saving), and the plan."""
        scale = 1.0
        unit = "usd_per_month"
        if per_request:
            scale = 1.0 / self.requests_per_month if self.requests_per_month > 0 else 0.0
            unit = "usd_per_request"
        rows: list[dict[str, Any]] = []
        level = self.baseline.monthly_cost_usd
        rows.append({"step": "Baseline", "kind": "total", "start": 0.0, "end": level})
        for item in self.levers:
            after = level - item.saving_usd_per_month
            rows.append({"step": item.lever.label, "kind": "lever", "start": level, "end": after})
            level = after
        rows.append(
            {"step": "Plan", "kind": "total", "start": 0.0, "end": self.optimised.monthly_cost_usd}
        )
        frame = pd.DataFrame(rows)
        frame["start"] *= scale
        frame["end"] *= scale
        frame["delta"] = frame["end"] - frame["start"]
        frame["unit"] = unit
        frame["order"] = np.arange(len(frame))
        return frame

    def levers_frame(self) -> pd.DataFrame:
        rows = [
            {
                "lever": item.lever.label,
                "from": item.baseline_value,
                "to": item.plan_value,
                "saving_usd_per_month": item.saving_usd_per_month,
                "solo_usd_per_month": item.solo_saving_usd_per_month,
                "last_usd_per_month": item.last_saving_usd_per_month,
                "saving_per_request_usd": (
                    item.saving_usd_per_month / self.requests_per_month
                    if self.requests_per_month > 0
                    else None
                ),
            }
            for item in self.levers
        ]
        return pd.DataFrame(
            rows,
            columns=[
                "lever",
                "from",
                "to",
                "saving_usd_per_month",
                "solo_usd_per_month",
                "last_usd_per_month",
                "saving_per_request_usd",
            ],
        )

    def hourly_frame(self) -> pd.DataFrame:
        """The plan hour by hour: demand, served, instances and capacity by tier, cost."""
        out = self.optimised
        hours = out.instances.shape[0]
        capacity = out.throughput.requests_per_second
        frame = pd.DataFrame(
            {
                "hour": np.arange(hours),
                "demand_rps": self.demand.requests_per_second,
                "served_rps": out.served_rps,
                "instances": out.instances,
                "cost_usd": out.hourly_cost,
            }
        )
        if out.fleet is not None:
            tiers = out.fleet.hourly_frame()
            for tier in _FLEET_TIERS:
                frame[f"{tier}_capacity_rps"] = tiers[f"{tier}_capacity"].to_numpy()
                frame[tier] = tiers[tier].to_numpy()
        else:
            frame["on_demand"] = out.instances
            frame["on_demand_capacity_rps"] = out.instances * capacity
        return frame

    def capacity_frame(self) -> pd.DataFrame:
        """:meth:`hourly_frame` as the Serving page charts and downloads it.

        ``demand_rps`` is the demand that reaches the model (after the response cache) and
        ``required_rps`` the capacity it needs with the autoscaling headroom.
        """
        frame = self.hourly_frame()
        frame["demand_rps"] = frame["served_rps"]
        frame["required_rps"] = frame["served_rps"] * (1 + self.plan.autoscaling.headroom)
        return frame

    def daily_frame(self) -> pd.DataFrame:
        """Cost per request per day, for the baseline and the plan."""
        rows = []
        for label, out in (("Baseline", self.baseline), ("Plan", self.optimised)):
            hours = out.hourly_cost.shape[0]
            days = hours // 24
            if days == 0:
                continue
            cost = out.hourly_cost[: days * 24].reshape(days, 24).sum(axis=1)
            requests = (
                self.demand.requests_per_second[: days * 24].reshape(days, 24).sum(axis=1)
                * SECONDS_PER_HOUR
            )
            with np.errstate(divide="ignore", invalid="ignore"):
                per_request = np.where(requests > 0, cost / requests, np.nan)
            rows.append(
                pd.DataFrame(
                    {
                        "day": np.arange(days),
                        "series": label,
                        "usd_per_request": per_request,
                        "usd_per_day": cost,
                    }
                )
            )
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def _value(config: Config, lever: Lever) -> Any:
    return getattr(config, _LEVER_FIELDS[lever])


def _describe_value(lever: Lever, value: Any) -> str:
    if lever is Lever.CACHING:
        return f"{float(value):.0%} hit rate"
    if lever is Lever.BATCHING:
        return f"batch ≤ {value}"
    if lever is Lever.AUTOSCALING:
        return "autoscaled" if value else "fixed fleet"
    if lever is Lever.COMMITMENTS:
        return "reserved / spot mix" if value else "on-demand"
    return str(value)


def price_endpoint(
    plan: Endpoint,
    pricing: Pricing = _LIST_PRICES,
    catalog: Catalog | None = None,
    *,
    csv_demand: Sequence[float] | None = None,
) -> Outcome:
    """The endpoint's recommended configuration priced hour by hour: the one figure the
    Overview, ``evaluate``, ``serve`` and the Serving page show for it.

    ``csv_demand`` is the hourly CSV the endpoint's ``demand_csv`` points at, read at the
    edge by :mod:`planner.io.demand` (or uploaded in the app).

    Raises
    ------
    PlannerInputError
        The endpoint cannot serve its model; a CSV it names was not loaded; invalid shapes.

    Examples
    --------
    >>> from planner.scenario.serving import Autoscaling
    >>> api = Endpoint(name="api", instance_type="g5.xlarge",
    ...                traffic=Traffic(requests_per_day=8_640_000, daily_shape="flat",
    ...                                weekly_shape="flat", horizon_weeks=1),
    ...                model=ServedModel(kind="classic",
    ...                                  measured_requests_per_second_per_instance=50.0),
    ...                autoscaling=Autoscaling(enabled=False, min_replicas=1, headroom=1.0))
    >>> out = price_endpoint(api)
    >>> int(out.instances.max()), round(out.monthly_cost_usd, 2)  # 100 req/s × 2 ÷ 50
    (4, 2937.52)
    """
    catalog = catalog or load_catalog()
    check_plan(plan, catalog)
    demand = traffic_profile(plan.traffic, csv_demand)
    return evaluate_config(plan_config(plan), plan, demand, pricing=pricing, catalog=catalog)


def evaluate_serving(
    plan: Endpoint,
    pricing: Pricing = _LIST_PRICES,
    catalog: Catalog | None = None,
    *,
    csv_demand: Sequence[float] | None = None,
) -> ServingResult:
    """An endpoint's baseline and plan, and each lever's share of the saving. The plan's
    outcome is :func:`price_endpoint`'s, to the cent.

    Raises
    ------
    PlannerInputError
        The plan or its baseline cannot serve the model; a CSV the plan names was not
        loaded; invalid shapes.
    """
    catalog = catalog or load_catalog()
    check_plan(plan, catalog)
    demand = traffic_profile(plan.traffic, csv_demand)
    base = baseline_config(plan)
    target = plan_config(plan)
    active = [lever for lever in Lever if _value(base, lever) != _value(target, lever)]
    cache: dict[frozenset[Lever], Outcome | PlannerInputError] = {}

    def outcome(levers: frozenset[Lever]) -> Outcome | PlannerInputError:
        if levers not in cache:
            config = base
            for lever in levers:
                config = replace(config, **{_LEVER_FIELDS[lever]: _value(target, lever)})
            try:
                cache[levers] = evaluate_config(
                    config, plan, demand, pricing=pricing, catalog=catalog
                )
            except PlannerInputError as error:
                cache[levers] = error
        return cache[levers]

    start = outcome(frozenset())
    if isinstance(start, PlannerInputError):
        raise PlannerInputError(f"The baseline cannot run. {start}") from None
    end = outcome(frozenset(active))
    if isinstance(end, PlannerInputError):
        raise PlannerInputError(f"The plan cannot run. {end}") from None
    values: dict[frozenset[Lever], float] = {}
    used: dict[frozenset[Lever], frozenset[Lever]] = {}
    subsets = [
        frozenset(combo)
        for size in range(len(active) + 1)
        for combo in itertools.combinations(active, size)
    ]
    for subset in subsets:  # by size, so every smaller subset is known first
        result = outcome(subset)
        if isinstance(result, Outcome):
            values[subset] = result.monthly_cost_usd
            used[subset] = subset
        else:
            smaller = [subset - {lever} for lever in subset]
            best = min(smaller, key=lambda s: values[s])
            values[subset] = values[best]
            used[subset] = used[best]
    n = len(active)
    savings: list[LeverSaving] = []
    full = frozenset(active)
    for lever in active:
        others = [x for x in active if x is not lever]
        phi = 0.0
        for size in range(n):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for combo in itertools.combinations(others, size):
                s = frozenset(combo)
                phi += weight * (values[s] - values[s | {lever}])
        savings.append(
            LeverSaving(
                lever=lever,
                baseline_value=_describe_value(lever, _value(base, lever)),
                plan_value=_describe_value(lever, _value(target, lever)),
                saving_usd_per_month=phi,
                solo_saving_usd_per_month=values[frozenset()] - values[frozenset({lever})],
                last_saving_usd_per_month=values[full - {lever}] - values[full],
            )
        )
    rows = []
    for a, b in itertools.combinations(active, 2):
        together = values[frozenset()] - values[frozenset({a, b})]
        alone = (values[frozenset()] - values[frozenset({a})]) + (
            values[frozenset()] - values[frozenset({b})]
        )
        rows.append(
            {
                "lever_a": a.label,
                "lever_b": b.label,
                "together_usd_per_month": together,
                "interaction_usd_per_month": together - alone,
            }
        )
    interactions = pd.DataFrame(
        rows,
        columns=["lever_a", "lever_b", "together_usd_per_month", "interaction_usd_per_month"],
    )
    notes = list(demand.notes)
    substituted = {k: v for k, v in used.items() if k != v}
    if substituted:
        notes.append(
            f"{len(substituted)} of the {len(subsets)} lever combinations cannot run as such "
            "(e.g. the model does not fit the smaller instance unquantized); each takes the "
            "cheapest combination of its levers that can."
        )
    requests = float(demand.requests_per_second.sum() * SECONDS_PER_HOUR)
    requests_per_month = requests / demand.hours * HOURS_PER_MONTH if demand.hours else 0.0
    return ServingResult(
        plan=plan,
        demand=demand,
        baseline=start,
        optimised=end,
        levers=tuple(savings),
        interactions=interactions,
        coalitions=values,
        substitutions=substituted,
        requests_per_month=requests_per_month,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------- right-sizing


def right_sizing_frame(
    plan: Endpoint,
    pricing: Pricing = _LIST_PRICES,
    catalog: Catalog | None = None,
    *,
    precision: ServingPrecision | None = None,
    providers: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Every instance type against the plan's model: throughput, cost per million requests
    at full load (on demand), and why a type cannot serve it."""
    catalog = catalog or load_catalog()
    precision = precision or plan.model.precision
    names = [custom.name for custom in plan.custom_instances] + sorted(catalog.instances)
    rows = []
    for name in names:
        hw = hardware(name, plan, pricing, catalog)
        if providers is not None and hw.provider not in providers and hw.custom is None:
            continue
        row: dict[str, Any] = {
            "instance_type": name,
            "provider": hw.provider,
            "gpu": f"{hw.gpu_count} × {hw.gpu_model}" if hw.gpu_model else "custom",
            "on_demand_usd_per_hour": hw.on_demand_usd_per_hour,
        }
        try:
            tp = instance_throughput(
                plan, name, precision, plan.max_batch, pricing=pricing, catalog=catalog
            )
        except PlannerInputError as error:
            row.update(requests_per_second=None, batch=None, usd_per_million_requests=None)
            row["why_not"] = str(error).split(". To fix")[0].removeprefix(f"{name}: ")
        else:
            price = hw.on_demand_usd_per_hour
            row.update(
                requests_per_second=tp.requests_per_second,
                batch=tp.batch,
                latency_ms=tp.latency_ms,
                usd_per_million_requests=(
                    price / (tp.requests_per_second * SECONDS_PER_HOUR) * 1e6
                    if price is not None
                    else None
                ),
                why_not="",
            )
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.sort_values(
        "usd_per_million_requests", na_position="last", kind="stable"
    ).reset_index(drop=True)


def right_sizing_providers(
    plan: Endpoint, pricing: Pricing, catalog: Catalog, *, every: bool = False
) -> tuple[str, ...] | None:
    """The providers :func:`right_sizing_frame` compares: the plan instance type's own and
    custom types, or (``every``) all of them, ``None``."""
    if every:
        return None
    return (hardware(plan.instance_type, plan, pricing, catalog).provider, "custom")


def right_sizing_note(plan: Endpoint) -> str:
    """What :func:`right_sizing_frame` compares, and how to read it."""
    return (
        f"Every instance type against this model at {plan.model.precision}, batch ≤ "
        f"{plan.max_batch} and a {plan.latency_target_ms:,.0f} ms latency target, on demand "
        "at full load. The cheapest per request is not always the cheapest fleet: small "
        "traffic pays for whole instances and minimum replicas."
    )


# --------------------------------------------------------------------------- instance mix


def alternative_mix_problem(
    plan: Endpoint,
    pricing: Pricing = _LIST_PRICES,
    catalog: Catalog | None = None,
    *,
    csv_demand: Sequence[float] | None = None,
) -> tuple[MixProblem, tuple[str, ...]]:
    """The alternative to an endpoint's recommended plan: one instance mix over several
    types, and notes on the candidates left out.

    Demand is the plan's traffic after the cache and the scale-up lag. Candidates are
    ``mix.instance_types``, or every type of the plan's provider (and the custom instances)
    that can serve the model; each one's capacity is its modelled throughput at the plan's
    precision, batch and latency target. The replica floor is kept as capacity, at least
    ``min_replicas`` × the endpoint's own type's: a mix of larger types may run fewer
    instances than ``min_replicas`` (the endpoint's own plan, :func:`price_endpoint`, never
    does). Requiring the count for any mix of types would need a count constraint per hour,
    which the fleet optimizer does not have.

    Raises
    ------
    PlannerInputError
        When no candidate can serve the model (with each one's reason).
    """
    catalog = catalog or load_catalog()
    check_plan(plan, catalog)
    demand = traffic_profile(plan.traffic, csv_demand)
    if plan.mix.instance_types:
        names = list(dict.fromkeys(plan.mix.instance_types))
    else:
        provider = hardware(plan.instance_type, plan, pricing, catalog).provider
        names = [c.name for c in plan.custom_instances] + sorted(
            name
            for name, inst in catalog.instances.items()
            if inst.provider == provider or provider == "custom"
        )
    options: list[InstanceOption] = []
    skipped: list[str] = []
    capacity_of: dict[str, float] = {}
    for name in names:
        hw = hardware(name, plan, pricing, catalog)
        try:
            tp = instance_throughput(
                plan, name, plan.model.precision, plan.max_batch, pricing=pricing, catalog=catalog
            )
        except PlannerInputError as error:
            skipped.append(str(error).split(". To fix")[0])
            continue
        if hw.on_demand_usd_per_hour is None and hw.spot_usd_per_hour is None:
            skipped.append(f"{name}: no on-demand or spot price")
            continue
        capacity_of[name] = tp.requests_per_second
        options.append(_option(hw, tp.requests_per_second, plan))
    if not options:
        reasons = "; ".join(skipped[:6]) + ("; …" if len(skipped) > 6 else "")
        raise PlannerInputError(
            f"No instance type can serve this model at {plan.model.precision}, batch ≤ "
            f"{plan.max_batch} and a {plan.latency_target_ms:,.0f} ms latency target "
            f"({reasons})",
            fix="quantize the model, relax the latency target, or add larger instance types",
        )
    served = demand.requests_per_second * (1.0 - plan.cache_hit_rate)
    scaling = plan.autoscaling
    need = lag_adjusted(served, scaling.scale_up_lag_minutes if scaling.enabled else 0.0)
    if not scaling.enabled:
        need = np.full_like(need, float(need.max(initial=0.0)))
    floor = 0.0
    if scaling.min_replicas and plan.instance_type in capacity_of:
        floor = scaling.min_replicas * capacity_of[plan.instance_type] / (1.0 + scaling.headroom)
    need = np.maximum(need, floor)
    hours = need.shape[0]
    budget = (
        plan.mix.budget_usd_per_month * hours / HOURS_PER_MONTH
        if plan.mix.budget_usd_per_month is not None
        else None
    )
    problem = MixProblem(
        demand=tuple(float(x) for x in need),
        options=tuple(options),
        headroom=scaling.headroom,
        spot_max_share=plan.mix.spot_max_share,
        availability_target=plan.mix.availability_target,
        budget_usd=budget,
        tiers=frozenset(plan.mix.tiers),
        time_limit_seconds=10.0,
    )
    return problem, tuple(skipped)


# --------------------------------------------------------------------------- checks


def check_plan(plan: Endpoint, catalog: Catalog | None = None) -> None:
    """Refuse a plan whose parts do not fit together, with a "To fix" hint.

    Raises
    ------
    PlannerInputError
        Unknown instance types, weights of the wrong length, duplicate custom names, a spot
        cap of 100% with a nonzero interruption rate and no availability target.
    """
    catalog = catalog or load_catalog()
    customs = [c.name for c in plan.custom_instances]
    if len(set(customs)) != len(customs):
        raise PlannerInputError(
            "Two custom instances share a name", fix="give each custom instance its own name"
        )
    clash = [name for name in customs if name in catalog.instances]
    if clash:
        raise PlannerInputError(
            f"custom instance {clash[0]!r} has the name of a catalog type",
            fix="rename it, or use a price override for the catalog type",
        )
    names = [plan.instance_type, *plan.mix.instance_types]
    if plan.baseline.instance_type:
        names.append(plan.baseline.instance_type)
    if plan.model.reference_instance_type:
        names.append(plan.model.reference_instance_type)
    for name in names:
        if name not in customs:
            catalog.instance(name)  # raises with close matches
    _shape_weights(plan.traffic)
    mix = plan.mix
    if not mix.tiers:
        raise PlannerInputError("mix.tiers is empty", fix="allow at least on_demand")
    if PriceTier.ON_DEMAND not in mix.tiers:
        raise PlannerInputError(
            "mix.tiers leaves out on_demand, so hours above the reserved capacity could go "
            "uncovered",
            fix="add on_demand to mix.tiers",
        )
    spot_allowed = PriceTier.SPOT in mix.tiers and mix.spot_max_share > 0
    if spot_allowed and mix.spot_max_share >= 1.0 and mix.availability_target is None:
        rate = mix.interruption_rate
        if rate is None:
            hw = hardware(plan.instance_type, plan, _LIST_PRICES, catalog)
            rate = reclaimed_at_once(hw, plan) if hw.spot_usd_per_hour is not None else 0.0
        if rate > 0:
            raise PlannerInputError(
                f"A spot cap of 100% with a spot interruption rate of {rate:.1%} (the share of "
                "spot capacity reclaimed at once) leaves nothing to fall back on when it is "
                "reclaimed",
                fix=(
                    f"lower the spot cap (e.g. to {max(0.0, 1 - rate):.0%}), or set an "
                    "availability target"
                ),
            )


def serve_summary(result: ServingResult) -> dict[str, Any]:
    """The ``serve --json`` document (the optimised plan)."""
    out = result.optimised
    base = result.baseline
    fleet = out.fleet
    types: list[str] = []
    if fleet is not None:
        types = [
            name
            for index, name in enumerate(fleet.type_names)
            if fleet.reserved_1y[index]
            or fleet.reserved_3y[index]
            or fleet.on_demand[:, index].any()
            or fleet.spot[:, index].any()
        ]
    return {
        "endpoint": result.plan.name,
        "monthly_cost_usd": out.monthly_cost_usd,
        "instance_types": types or [out.config.instance_type],
        "min_replicas": result.plan.autoscaling.min_replicas,
        "per_request_usd": out.per_request_usd,
        "per_1k_requests_usd": out.per_1k_requests_usd,
        "per_1m_tokens_usd": out.per_1m_tokens_usd,
        "usd_per_1m_input_tokens": out.usd_per_1m_input_tokens,
        "usd_per_1m_output_tokens": out.usd_per_1m_output_tokens,
        "output_tokens_per_second_per_gpu": out.throughput.tokens_per_second_per_gpu,
        "ttft_ms": out.throughput.ttft_ms,
        "tpot_ms": out.throughput.tpot_ms,
        "levers": [
            {
                "name": item.name,
                "saving_usd_per_month": item.saving_usd_per_month,
                "solo_saving_usd_per_month": item.solo_saving_usd_per_month,
                "from": item.baseline_value,
                "to": item.plan_value,
            }
            for item in result.levers
        ],
        "baseline": {
            "monthly_cost_usd": base.monthly_cost_usd,
            "per_request_usd": base.per_request_usd,
            "per_1k_requests_usd": base.per_1k_requests_usd,
            "config": base.config.describe(),
            "instances_peak": int(base.instances.max(initial=0)),
        },
        "plan": {
            "config": out.config.describe(),
            "requests_per_second_per_instance": out.throughput.requests_per_second,
            "batch": out.throughput.batch,
            "latency_ms": out.throughput.latency_ms,
            "throughput_basis": out.throughput.basis,
            "instances_peak": int(out.instances.max(initial=0)),
            "instances_mean": float(out.instances.mean()) if out.instances.size else 0.0,
            "reserved": fleet.reserved_counts() if fleet is not None else {},
            "cost_by_tier_usd": (
                {str(k): v for k, v in fleet.cost_by_tier_usd.items()} if fleet else {}
            ),
            "commitments": out.term.summary() if out.term is not None else None,
        },
        "requests_per_month": result.requests_per_month,
        "demand": result.demand.source,
        "interactions": result.interactions.to_dict("records"),
        "notes": list(result.notes),
    }


def assumptions_frame() -> pd.DataFrame:
    """The serving model's assumptions with their sources."""
    return pd.DataFrame(
        [
            {"key": a.key, "value": a.value, "unit": a.unit, "source": a.source}
            for a in ASSUMPTIONS.values()
        ]
    )


# --------------------------------------------------------------------------- for the page


def instance_choices(plan: Endpoint, catalog: Catalog) -> list[str]:
    """The plan's custom types, then the catalog's GPU types, with the plan's and the
    baseline's own types first where neither list has them.

    >>> instance_choices(Endpoint(instance_type="mine"), load_catalog())[0]
    'mine'
    """
    names = [c.name for c in plan.custom_instances] + sorted(
        name for name, inst in catalog.instances.items() if inst.gpu_model
    )
    for extra in (plan.instance_type, plan.baseline.instance_type):
        if extra and extra not in names:
            names.insert(0, extra)
    return names


def headline(result: ServingResult, *, noun: str = "request") -> tuple[Figure, ...]:
    """The plan's monthly and unit costs against the baseline's, then its tokens (for a
    roofline LLM, input and output priced apart, and its TTFT and TPOT), fleet and traffic.
    ``noun`` is what a unit cost is per ("conversation" for a chatbot)."""
    base, plan = result.baseline, result.optimised
    tokens: tuple[Figure, ...] = ()
    tp = plan.throughput
    if (
        plan.usd_per_1m_input_tokens is not None
        and plan.usd_per_1m_output_tokens is not None
        and tp.ttft_ms is not None
        and tp.tpot_ms is not None
    ):
        tokens = (
            Figure(
                label="Per 1M input / output tokens",
                value=f"{usd(plan.usd_per_1m_input_tokens)} / {usd(plan.usd_per_1m_output_tokens)}",
                help="The cost split by the GPU time of prefill (input) and decode (output).",
            ),
            Figure(
                label="TTFT / TPOT",
                value=f"{tp.ttft_ms:,.0f} ms / {tp.tpot_ms:,.1f} ms",
                help=f"Time to first token and per output token at batch {tp.batch}.",
            ),
        )
    return (
        Figure(
            label="Monthly cost",
            value=usd(plan.monthly_cost_usd),
            delta=change_vs_baseline(plan.monthly_cost_usd, base.monthly_cost_usd),
        ),
        Figure(
            label=f"Per {noun}",
            value=usd(plan.per_request_usd),
            delta=change_vs_baseline(plan.per_request_usd, base.per_request_usd),
        ),
        Figure(
            label=f"Per 1K {noun}s",
            value=usd(plan.per_1k_requests_usd),
            delta=change_vs_baseline(plan.per_1k_requests_usd, base.per_1k_requests_usd),
        ),
        Figure(label="Per 1M tokens", value=usd(plan.per_1m_tokens_usd)),
        *tokens,
        Figure(
            label="Instances (peak / mean)",
            value=f"{int(plan.instances.max(initial=0))} / {plan.instances.mean():.1f}",
        ),
        Figure(
            label=f"{noun.capitalize()}s per month",
            value=f"{result.requests_per_month / 1e6:,.1f}M",
            help="Incoming, cache hits included: every unit cost divides by these.",
        ),
    )


def summary_note(result: ServingResult) -> str:
    """The baseline's cost and both configurations, and where the demand comes from."""
    base, plan = result.baseline, result.optimised
    return (
        f"Baseline: {usd(base.monthly_cost_usd)}/month, {usd(base.per_1k_requests_usd)} per "
        f"1K requests ({base.config.describe()}). Plan: {plan.config.describe()}. "
        f"Demand: {result.demand.source}."
    )


def overlap_note(result: ServingResult) -> str:
    """The levers' solo savings against their joint saving: how much they overlap."""
    solo = sum(item.solo_saving_usd_per_month for item in result.levers)
    total = result.total_saving_usd_per_month
    return (
        f"Applied alone, the levers would save {usd(solo)}/month in total; together they "
        f"save {usd(total)}. The difference, {usd(solo - total)}, is the levers overlapping "
        "(a positive figure: each lever has less left to save once the others are in)."
    )


def basis_lines(result: ServingResult) -> tuple[str, ...]:
    """How the plan's and the baseline's throughput and price are computed, one line each."""
    lines = []
    for label, out in (("Plan", result.optimised), ("Baseline", result.baseline)):
        tp = out.throughput
        tokens = (
            f", {tp.tokens_per_second_per_gpu:,.0f} tokens/s per GPU"
            if tp.tokens_per_second_per_gpu
            else ""
        )
        lines.append(
            f"**{label}**: {out.hardware.name}, {tp.requests_per_second:,.3g} req/s per "
            f"instance{tokens}, latency {tp.latency_ms:,.0f} ms at batch {tp.batch} "
            f"({tp.limited_by}). {tp.basis}. Price: {out.hardware.price_basis}."
        )
    return tuple(lines)


def mix_hours_frame(plan: MixPlan) -> pd.DataFrame:
    """The optimizer's plan hour by hour, with the columns of
    :meth:`ServingResult.capacity_frame`, so that one chart draws both."""
    frame = plan.hourly_frame()
    frame["demand_rps"] = frame["demand"]
    frame["required_rps"] = frame["required"]
    for tier in _FLEET_TIERS:
        frame[f"{tier}_capacity_rps"] = frame[f"{tier}_capacity"]
    return frame


def mix_types_bought(plan: MixPlan) -> pd.DataFrame:
    """The optimizer's plan by instance type, for the types it buys."""
    frame = plan.by_type_frame()
    return frame[frame["cost_usd"] > 0]


def mix_headline(plan: MixPlan) -> tuple[Figure, ...]:
    """The mix's cost, how close it is proven to the best, and its commitments."""
    return (
        Figure(label="Total over the horizon", value=usd(plan.total_cost_usd)),
        Figure(
            label="Lower bound",
            value=usd(plan.lower_bound_usd),
            help=f"LP relaxation: {usd(plan.lp_bound_usd)}. The plan is proven within the gap "
            "of the best.",
        ),
        Figure(label="Gap", value=f"{plan.gap:.2%}", help=f"Status: {plan.status}."),
        Figure(
            label="Commitments used",
            value=(
                "n/a"
                if plan.commitment_utilisation is None
                else f"{plan.commitment_utilisation:.0%}"
            ),
            help="Reserved capacity used, over reserved capacity paid for.",
        ),
        Figure(
            label="Covered by commitments",
            value="n/a" if plan.commitment_coverage is None else f"{plan.commitment_coverage:.0%}",
            help="Share of the required capacity-hours served by reserved instances.",
        ),
    )


def mix_note(plan: MixPlan) -> str:
    """The solver's status, the cost by tier and the solve time."""
    tiers = ", ".join(
        f"{tier.label} {usd(cost)}" for tier, cost in plan.cost_by_tier_usd.items() if cost > 0
    )
    return (
        f"Status {plan.status} ({plan.message}) · cost by tier: {tiers or 'nothing'} · "
        f"solved in {seconds(plan.solve_seconds)} over {plan.hours:,} hours."
    )


def week_count(hours: int) -> int:
    """The weeks ``hours`` hours start, at least one.

    >>> week_count(168), week_count(169), week_count(0)
    (1, 2, 1)
    """
    return max(1, math.ceil(hours / _HOURS_PER_WEEK))


def week_rows(frame: pd.DataFrame, week: int) -> pd.DataFrame:
    """The rows of an hourly frame in week ``week`` (from 1).

    >>> week_rows(pd.DataFrame({"hour": range(400)}), 2)["hour"].agg(["min", "max"]).tolist()
    [168, 335]
    """
    return frame.iloc[(week - 1) * _HOURS_PER_WEEK : week * _HOURS_PER_WEEK]


def starter_endpoint(name: str = "endpoint") -> Endpoint:
    """A first endpoint, with no levers on: a 7B LLM in fp16 on one g6e.xlarge, batch 1, a
    fixed fleet, on demand. The user turns each lever on.

    >>> e = starter_endpoint()
    >>> e.max_batch, e.autoscaling.enabled, e.mix.tiers
    (1, False, (<PriceTier.ON_DEMAND: 'on_demand'>,))
    """
    return Endpoint(name=name)


def stated_notes(stated: Sequence[StatedFigure], result: ServingResult) -> tuple[str, ...]:
    """Notes comparing the scenario's stated per-request figures with the baseline and plan.

    A figure about 1,000 times the model's reads as a cost per 1,000 requests mislabelled as
    per request (lesson 03); one within 2× of the baseline or the plan matches it.
    """
    notes: list[str] = []
    models = (
        ("baseline", result.baseline.per_request_usd),
        ("plan", result.optimised.per_request_usd),
    )
    for figure in stated:
        if figure.unit is not StatedUnit.USD_PER_REQUEST:
            continue
        said = f'"{figure.name}" (${figure.value:,.4g} per request)'
        matched = False
        for label, value in models:
            if not value:
                continue
            ratio = figure.value / value
            if 0.5 <= ratio <= 2:
                notes.append(f"{said} matches the model's {label} (${value:,.3g} per request).")
                matched = True
                break
            if 500 <= ratio <= 2000:
                notes.append(
                    f"{said} is {ratio:,.0f}× the model's {label} per request but matches it per "
                    f"1,000 requests (${1000 * value:,.3g}): it reads as a cost per 1,000 "
                    "requests labelled per request."
                )
                matched = True
                break
        if not matched:
            base = result.baseline.per_request_usd or 0.0
            plan = result.optimised.per_request_usd or 0.0
            notes.append(
                f"{said} matches neither the model's baseline (${base:,.3g}) nor its plan "
                f"(${plan:,.3g}) per request, or per 1,000 requests."
            )
    return tuple(notes)

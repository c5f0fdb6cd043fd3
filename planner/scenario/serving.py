"""The scenario's ``serving`` section: each endpoint, described once.

An endpoint is described at whatever depth the user knows: a measured throughput on a named
instance, or a model the roofline sizes; :mod:`planner.costing.serving` prices it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Annotated, ClassVar

from pydantic import ConfigDict, Field

from planner.catalog import ModelArchitecture, PriceTier, model_architecture
from planner.core.fields import STRICT, Fraction, Name, NonNegative, Text, UsdPerHour
from planner.models.architectures import KvPrecision, active_params, total_params

# The slowest throughput an endpoint may state: about one request a day per instance, and one
# token every 17 minutes per GPU. Any slower is a typo or a unit slip, not a server; and a
# throughput near zero (1e-300) made the instance count overflow int64 (costing/serving.py
# also refuses a fleet above MAX_FLEET_INSTANCES, which the bounds alone cannot rule out).
MIN_REQUESTS_PER_SECOND = 1e-5
MIN_TOKENS_PER_SECOND = 1e-3
_RequestsPerSecond = Annotated[
    float, Field(ge=MIN_REQUESTS_PER_SECOND, le=1e7, allow_inf_nan=False)
]


class ModelKind(enum.StrEnum):
    """What the endpoint serves: a generative LLM, or a classic (non-LLM) model."""

    LLM = "llm"
    CLASSIC = "classic"


class ServingPrecision(enum.StrEnum):
    """Weight precision. ``fp16`` is the unquantized model (fp32 on a CPU); ``fp8`` runs its
    arithmetic at the GPU's fp8 peak and needs a GPU that has one (Hopper, Ada and later)."""

    FP16 = "fp16"
    FP8 = "fp8"
    INT8 = "int8"
    INT4 = "int4"


class DailyShape(enum.StrEnum):
    """Preset hour-of-day traffic shapes."""

    FLAT = "flat"
    BUSINESS_HOURS = "business_hours"
    EVENING_PEAK = "evening_peak"


class WeeklyShape(enum.StrEnum):
    """Preset day-of-week traffic shapes."""

    FLAT = "flat"
    WEEKDAYS = "weekdays"
    WEEKENDS = "weekends"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServedModel:
    """The model and the compute per request.

    LLM: a ``preset`` from the catalog's model architectures (its parameters, active
    parameters for a mixture of experts, and its KV cache from its KV heads or MLA latent),
    or ``parameters_billion`` for a model of your own (unset: a 7B model), whose KV cache is
    ``kv_cache_mb_per_token`` if given, else estimated as multi-head attention of that size.
    ``kv_precision`` is how the cache is stored (fp8 halves it). Then precision, input and
    output tokens.
    Classic: ``latency_ms`` is the batch-1 time of one request at fp16 on
    ``reference_instance_type`` (default: the plan's instance type) and ``batchability`` the
    share of it a whole batch shares. A measured figure overrides the model at the plan's own
    configuration and calibrates the others on the same instance type.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    kind: ModelKind = ModelKind.LLM
    preset: Annotated[str, Field(min_length=1, max_length=120)] | None = None
    parameters_billion: Annotated[float, Field(gt=0, le=5000, allow_inf_nan=False)] | None = None
    kv_precision: KvPrecision = KvPrecision.FP16
    precision: ServingPrecision = ServingPrecision.FP16
    input_tokens: Annotated[int, Field(ge=1, le=2_000_000)] = 500
    output_tokens: Annotated[int, Field(ge=1, le=200_000)] = 200
    kv_cache_mb_per_token: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)] | None = None
    latency_ms: Annotated[float, Field(gt=0, le=600_000, allow_inf_nan=False)] = 20.0
    batchability: Fraction = 0.7
    reference_instance_type: str | None = None
    measured_tokens_per_second_per_gpu: (
        Annotated[float, Field(ge=MIN_TOKENS_PER_SECOND, le=1e8, allow_inf_nan=False)] | None
    ) = None
    measured_requests_per_second_per_instance: (
        Annotated[float, Field(ge=MIN_REQUESTS_PER_SECOND, le=1e8, allow_inf_nan=False)] | None
    ) = None
    bandwidth_utilisation: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] | None = None
    compute_utilisation: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] | None = None

    def __post_init__(self) -> None:
        if self.preset is not None and self.parameters_billion is not None:
            raise ValueError(
                f"the model names the preset {self.preset!r} and also parameters_billion: the "
                "preset already says how big it is. To fix: remove parameters_billion, or the "
                "preset for a model of your own"
            )
        if self.preset is not None and self.kv_cache_mb_per_token is not None:
            raise ValueError(
                f"the model names the preset {self.preset!r} and also kv_cache_mb_per_token: "
                "the preset's KV heads give its cache. To fix: remove kv_cache_mb_per_token"
            )

    @property
    def architecture(self) -> ModelArchitecture | None:
        """The preset's architecture, or ``None`` for a model of your own.

        Raises
        ------
        PlannerInputError
            For a name that is not a preset, suggesting close ones.
        """
        return model_architecture(self.preset) if self.preset is not None else None

    @property
    def total_params(self) -> float:
        """Parameters the weights hold [parameters]: what weight memory is sized from."""
        arch = self.architecture
        if arch is not None:
            return float(total_params(arch))
        return (self.parameters_billion or _DEFAULT_BILLIONS) * 1e9

    @property
    def active_params(self) -> float:
        """Parameters each token runs through [parameters]: FLOPs are 2 × this per token."""
        arch = self.architecture
        return float(active_params(arch)) if arch is not None else self.total_params

    @property
    def label(self) -> str:
        """The model in words, e.g. "Llama-3.1-8B" or "a 7B model"."""
        if self.preset is not None:
            return self.preset
        return f"a {self.total_params / 1e9:g}B model"


@dataclass(frozen=True, slots=True, kw_only=True)
class Traffic:
    """Requests over the planning horizon: a daily and weekly shape, scaled so that the peak
    hour is ``peak_to_average`` times the mean (when given), growing by ``monthly_growth``.

    ``demand_csv`` points at an hourly CSV (columns ``hour`` or ``timestamp``, and ``demand``
    in requests per second) with a path relative to the scenario file. It replaces the shape.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    requests_per_day: Annotated[float, Field(ge=0, le=1e13, allow_inf_nan=False)] = 1_000_000.0
    daily_shape: DailyShape = DailyShape.BUSINESS_HOURS
    weekly_shape: WeeklyShape = WeeklyShape.WEEKDAYS
    daily_weights: Annotated[tuple[NonNegative, ...], Field(max_length=24)] = ()
    weekly_weights: Annotated[tuple[NonNegative, ...], Field(max_length=7)] = ()
    peak_to_average: Annotated[float, Field(ge=1, le=50, allow_inf_nan=False)] | None = None
    monthly_growth: Annotated[float, Field(ge=-0.5, le=1, allow_inf_nan=False)] = 0.0
    horizon_weeks: Annotated[int, Field(ge=1, le=52)] = 4
    demand_csv: Annotated[str, Field(min_length=1, max_length=255)] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Autoscaling:
    """Autoscaling (``enabled``) or a fixed fleet sized for the peak hour (the default: no
    lever is on until the user turns it on)."""

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    enabled: bool = False
    min_replicas: Annotated[int, Field(ge=0, le=100_000)] = 1
    headroom: Annotated[float, Field(ge=0, le=99, allow_inf_nan=False)] = 0.2
    scale_up_lag_minutes: Annotated[float, Field(ge=0, le=24 * 60, allow_inf_nan=False)] = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomInstance:
    """An instance the catalog lacks (a CPU host, an on-premises box), described by its
    price and measured figures: requests/s and latency at batch 1 on the unquantized model,
    and the speed-ups its quantized kernels give. ``spot_interruption_rate`` is the share of
    its spot capacity that may be reclaimed at once, as for ``FleetMix.interruption_rate``."""

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    name: Name
    on_demand_usd_per_hour: UsdPerHour
    spot_usd_per_hour: UsdPerHour | None = None
    requests_per_second: _RequestsPerSecond
    latency_ms: Annotated[float, Field(gt=0, le=600_000, allow_inf_nan=False)] | None = None
    int8_speedup: Annotated[float, Field(ge=0.1, le=100, allow_inf_nan=False)] = 1.0
    int4_speedup: Annotated[float, Field(ge=0.1, le=100, allow_inf_nan=False)] = 1.0
    batchability: Fraction | None = None
    spot_interruption_rate: Fraction | None = None
    source: Text = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ServingBaseline:
    """The starting point of the waterfall: each lever off. ``instance_type`` ``None`` means
    the plan's own type (no right-sizing lever)."""

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    instance_type: str | None = None
    precision: ServingPrecision = ServingPrecision.FP16
    max_batch: Annotated[int, Field(ge=1, le=4096)] = 1
    cache_hit_rate: Annotated[float, Field(ge=0, le=0.99, allow_inf_nan=False)] = 0.0
    autoscaling: bool = False
    commitments: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetMix:
    """Rules of the instance-mix optimizer (reserved / on-demand / spot).

    ``instance_types`` are the candidates of ``python -m planner mix`` (empty: every type that
    can serve the model). Reservations are bought for their whole term from the traffic's
    forecast: its ``monthly_growth`` compounded over the term, with
    ``growth_uncertainty_per_year`` the spread of yearly log growth (0: the forecast is
    certain). ``stranded_limit`` keeps the 90th percentile of stranded commitment (paid,
    unused) within that share of spend. ``interruption_rate`` is the share of spot capacity
    that may be reclaimed at once, which ``availability_target`` must survive (not the per-instance
    hazard, instances interrupted a month); it overrides the per-type reading of the Spot
    Advisor bucket, whose upper edge is used (100% for the open ">20%" bucket).
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    instance_types: Annotated[tuple[str, ...], Field(max_length=60)] = ()
    tiers: tuple[PriceTier, ...] = (PriceTier.ON_DEMAND,)
    spot_max_share: Fraction = 0.5
    availability_target: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] | None = None
    interruption_rate: Fraction | None = None
    budget_usd_per_month: Annotated[float, Field(gt=0, le=1e12, allow_inf_nan=False)] | None = None
    growth_uncertainty_per_year: Annotated[float, Field(ge=0, le=2, allow_inf_nan=False)] = 0.0
    stranded_limit: Fraction | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    """A serving endpoint: traffic, model, hardware, batching, cache, autoscaling, the
    baseline of its waterfall and the tiers its instance mix may buy.

    Described at whatever depth the user knows: a measured throughput on a named instance
    (``model.measured_requests_per_second_per_instance``), or a model the roofline sizes.
    Every lever starts off (batch 1, no cache, a fixed fleet, on demand); the baseline is
    what runs today, the same unless the user says otherwise.

    The batch is bounded by ``max_batch``, memory and the latency targets:
    ``latency_target_ms`` for a whole request, and for an LLM, optionally,
    ``ttft_target_ms`` (time to first token) and ``tpot_target_ms`` (time per output token).
    ``tensor_parallel`` fixes the GPUs per model replica (unset: the split of the instance
    that serves the most).
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    name: Name = "endpoint"
    traffic: Traffic = Traffic()
    model: ServedModel = ServedModel()
    instance_type: str = "g6e.xlarge"
    max_batch: Annotated[int, Field(ge=1, le=4096)] = 1
    latency_target_ms: Annotated[float, Field(gt=0, le=3_600_000, allow_inf_nan=False)] = 20_000.0
    ttft_target_ms: Annotated[float, Field(gt=0, le=3_600_000, allow_inf_nan=False)] | None = None
    tpot_target_ms: Annotated[float, Field(gt=0, le=60_000, allow_inf_nan=False)] | None = None
    tensor_parallel: Annotated[int, Field(ge=1, le=64)] | None = None
    cache_hit_rate: Annotated[float, Field(ge=0, le=0.99, allow_inf_nan=False)] = 0.0
    autoscaling: Autoscaling = Autoscaling()
    baseline: ServingBaseline = ServingBaseline()
    mix: FleetMix = FleetMix()
    custom_instances: Annotated[tuple[CustomInstance, ...], Field(max_length=10)] = ()


_DEFAULT_BILLIONS = 7.0  # a model of your own with no size given

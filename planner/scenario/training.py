"""The scenario's ``training`` section: each training job, described once.

A job states its hours ("4 × p4d.24xlarge for 24 h") or the model it trains, which the
planner sizes and times; :mod:`planner.costing.training` prices it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Annotated, ClassVar

from pydantic import AfterValidator, ConfigDict, Field

from planner.catalog import ModelArchitecture, PriceTier, ScalingLaw, model_architecture
from planner.core.errors import PlannerInputError
from planner.core.fields import STRICT, Name

# The largest instance count the memory check will propose.
MAX_INSTANCES = 100_000
# The sequence length a job trains at unless it says: 4,096 tokens, Llama 2's pre-training
# context (the model card), between GPT-3's and PaLM's 2,048 and Llama 3's 8,192. The
# attention FLOPs grow with it, so a job trained at another length should say so.
DEFAULT_SEQ_LEN = 4096


class TrainingPrecision(enum.StrEnum):
    """The number format the matrix multiplies run in.

    ``tf32`` is fp32 training on TF32 tensor cores (the baseline before mixed precision).

    >>> TrainingPrecision("fp8").label
    'fp8'
    >>> TrainingPrecision.TF32.label
    'fp32 (TF32 tensor cores)'
    """

    TF32 = "tf32"
    BF16 = "bf16"
    FP8 = "fp8"

    @property
    def label(self) -> str:
        return "fp32 (TF32 tensor cores)" if self is TrainingPrecision.TF32 else self.value


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


# Fewer than one model a century is a typo, and a reserved job's cost per run (its month's
# commitment over its runs) overflowed near zero; none at all is a plan that ships nothing.
MIN_MODELS_PER_MONTH = 1 / 1200


def _check_models_per_month(value: float) -> float:
    if 0 < value < MIN_MODELS_PER_MONTH:
        raise ValueError(
            f"Input should be 0 or at least {MIN_MODELS_PER_MONTH:.6f} (one model a century)"
        )
    return value


_Params = Annotated[float, Field(ge=1e3, le=1e14, allow_inf_nan=False)]


_Tokens = Annotated[float, Field(ge=1e3, le=1e16, allow_inf_nan=False)]


_Mfu = Annotated[float, Field(allow_inf_nan=False), AfterValidator(_check_mfu)]


_Experiments = Annotated[float, Field(ge=0, le=10_000, allow_inf_nan=False)]


_ExperimentFraction = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingBaseline:
    """What the lever waterfall starts from: the fields that differ from the plan.

    Unset fields are the plan's own. Each lever that differs (pricing, precision, model size
    by the scaling law, experiments) gets its Shapley saving: its saving averaged over every
    order of applying the levers, so no order is privileged.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    pricing: RunPricing | None = None
    precision: TrainingPrecision | None = None
    params: _Params | None = None
    tokens: _Tokens | None = None
    experiments_per_model: _Experiments | None = None
    experiment_fraction: _ExperimentFraction | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingJob:
    """A model trained on a schedule: one run, at whatever depth the user knows, and how
    often it ships.

    Hours: ``hours_per_run`` states the uninterrupted hours of one run on the job's
    instances ("4 × p4d.24xlarge for 24 h"); the model-size fields then do not apply. Leave
    it out and the hours come from the model's FLOPs, the GPUs' peak and the MFU.

    Model size: ``params`` and ``tokens``; leave both out to let the planner choose (the
    cheapest model for ``target_loss``, else the best for ``budget_usd``, else the cheapest
    with the baseline's predicted loss); give one and the law supplies the compute-optimal
    other. ``budget_usd`` pays for one final run and,
    with ``inference_tokens`` (lifetime tokens served per model), its inference, priced by
    the serving model on the job's GPU (``inference_mfu``, when set, is its compute
    utilisation in place of the calibrated one).

    Schedule: ``models_per_month`` models ship a month; each takes the final run plus
    ``experiments_per_model`` experiments and sweeps, each ``experiment_fraction`` of a run.

    Architecture: ``model`` names a preset of :func:`planner.catalog.model_architecture`;
    its layers, heads and head size give the attention FLOPs at ``seq_len`` tokens per
    sequence, and its parameters (active ones for a mixture of experts) are the job's
    ``params`` unless the job states them.

    MFU is model FLOPs (PaLM's definition: ``6·N + 12·L·H·Q·T`` per token) over the GPUs'
    peak; ``recompute`` adds the hardware FLOPs of one more forward pass, which the time
    does not depend on (the MFU already says how fast model FLOPs go), so it only sets the
    HFU reported beside it. For fp8, the MFU is against the bf16 peak and ``fp8_speedup``
    (unset: the sourced default) says how much faster fp8 runs.

    Failures: ``node_mtbf_hours`` (unset: the Llama 3 interruption rate per GPU-hour) for
    every tier; spot adds ``interruptions_per_instance_hour`` (unset: the Spot Advisor
    default for the instance type). Checkpoint write and restart times, and an optional
    deadline.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    name: Name = "training run"
    model: str | None = None
    hours_per_run: Annotated[float, Field(gt=0, le=100_000, allow_inf_nan=False)] | None = None
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
    precision: TrainingPrecision = TrainingPrecision.BF16
    mfu: _Mfu = 0.4
    inference_mfu: _Mfu | None = None
    peak_tflops: Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)] | None = None
    recompute: bool = False
    seq_len: Annotated[int, Field(ge=1, le=10_000_000)] = DEFAULT_SEQ_LEN
    fp8_speedup: Annotated[float, Field(ge=1, le=2, allow_inf_nan=False)] | None = None
    node_mtbf_hours: Annotated[float, Field(gt=0, le=1e9, allow_inf_nan=False)] | None = None
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
    models_per_month: Annotated[
        float, Field(ge=0, le=10_000, allow_inf_nan=False), AfterValidator(_check_models_per_month)
    ] = 1.0
    experiments_per_model: _Experiments = 0.0
    experiment_fraction: _ExperimentFraction = 1.0
    baseline: TrainingBaseline | None = None

    def __post_init__(self) -> None:
        if self.model is not None:
            model_architecture(self.model)  # an unknown name is refused with close matches
        if self.hours_per_run is None:
            return
        sized = [
            name
            for name in ("params", "tokens", "target_loss", "budget_usd")
            if getattr(self, name) is not None
        ]
        base = self.baseline
        if base is not None and (base.params is not None or base.tokens is not None):
            sized.append("a baseline model size")
        if sized:
            raise ValueError(
                f"training job {self.name!r} states hours_per_run and also "
                f"{' and '.join(sized)}: its hours come either from what you state or from "
                "the model size, not both. To fix: remove hours_per_run to compute the hours "
                f"from the model, or remove {' and '.join(sized)}"
            )

    @property
    def architecture(self) -> ModelArchitecture | None:
        """The preset ``model`` names, or ``None``.

        >>> TrainingJob(model="Llama-3.1-405B").architecture.num_layers
        126
        """
        return None if self.model is None else model_architecture(self.model)

    @property
    def stated_hours(self) -> bool:
        """Whether the run's hours are stated rather than computed from the model."""
        return self.hours_per_run is not None

    @property
    def size(self) -> tuple[float, float]:
        """``(params, tokens)``; only for a plan whose size is resolved.

        >>> TrainingJob(params=1e9, tokens=2e10).size
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

    def baseline_plan(self) -> TrainingJob | None:
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

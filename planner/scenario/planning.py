"""The scenario's ``budget_plan`` section: the question "what is the best model we can train
and serve to our traffic for this much a month?", asked once, for
:mod:`planner.planning` to answer (``python -m planner plan FILE``, the Plan page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar

from pydantic import ConfigDict, Field

from planner.catalog import CommitmentKind, PriceTier, ScalingLaw
from planner.core.fields import STRICT, Fraction
from planner.scenario.serving import ServingPrecision
from planner.scenario.training import RunPricing

DEFAULT_GPUS = (
    "H100",
    "H200",
    "A100-80GB",
    "A100-40GB",
    "L40S",
    "L4",
    "A10G",
    "T4",
    "V100",
    "H100-NVL",
)
_FLEXIBLE_TRAINING = (RunPricing.ON_DEMAND, RunPricing.SPOT)


@dataclass(frozen=True, slots=True, kw_only=True)
class BudgetPlan:
    """A monthly budget (or a quality target), the traffic, and what the plan may use.

    Traffic: ``requests_per_month`` of ``input_tokens`` in and ``output_tokens`` out, flat
    through the day unless ``peak_to_average`` is given, growing ``growth_per_year`` with
    ``growth_uncertainty_per_year`` the spread of its yearly log; the serving fleet is
    priced hour by hour over its first ``horizon_weeks`` (the commitments over their term).
    The model is retrained ``retrains_per_year`` times (each lives until the next), each run within
    ``max_training_days``. Candidates: ``gpus`` for training and serving, ``precisions`` for
    serving, ``training_tiers`` (on-demand, spot) and ``serving_tiers`` for the hours, and
    ``commitments`` for the portfolio bought over them, with its ``stranded_limit``.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    budget_usd_per_month: Annotated[float, Field(gt=0, le=1e10, allow_inf_nan=False)] | None = None
    target_loss: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)] | None = None
    requests_per_month: Annotated[float, Field(gt=0, le=1e13, allow_inf_nan=False)] = 1e6
    input_tokens: Annotated[int, Field(ge=1, le=2_000_000)] = 500
    output_tokens: Annotated[int, Field(ge=1, le=200_000)] = 200
    peak_to_average: Annotated[float, Field(ge=1, le=50, allow_inf_nan=False)] | None = None
    growth_per_year: Annotated[float, Field(ge=-0.9, le=10, allow_inf_nan=False)] = 0.0
    growth_uncertainty_per_year: Annotated[float, Field(ge=0, le=2, allow_inf_nan=False)] = 0.0
    horizon_weeks: Annotated[int, Field(ge=1, le=52)] = 4
    retrains_per_year: Annotated[float, Field(gt=0, le=365, allow_inf_nan=False)] = 4.0
    max_training_days: Annotated[float, Field(gt=0, le=365, allow_inf_nan=False)] = 30.0
    law: ScalingLaw = ScalingLaw.EPOCH
    mfu: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.4
    gpus: Annotated[tuple[str, ...], Field(max_length=20)] = DEFAULT_GPUS
    precisions: Annotated[tuple[ServingPrecision, ...], Field(min_length=1, max_length=4)] = tuple(
        ServingPrecision
    )
    training_tiers: Annotated[tuple[RunPricing, ...], Field(min_length=1, max_length=2)] = (
        _FLEXIBLE_TRAINING
    )
    serving_tiers: Annotated[tuple[PriceTier, ...], Field(min_length=1, max_length=2)] = (
        PriceTier.ON_DEMAND,
        PriceTier.SPOT,
    )
    commitments: Annotated[tuple[CommitmentKind, ...], Field(max_length=4)] = tuple(CommitmentKind)
    stranded_limit: Fraction | None = None
    ttft_target_ms: Annotated[float, Field(gt=0, le=3_600_000, allow_inf_nan=False)] | None = None
    tpot_target_ms: Annotated[float, Field(gt=0, le=60_000, allow_inf_nan=False)] | None = None

    def __post_init__(self) -> None:
        if (self.budget_usd_per_month is None) == (self.target_loss is None):
            raise ValueError(
                "a budget plan needs either budget_usd_per_month or target_loss, not both or "
                "neither. To fix: give the monthly budget, or the loss to reach at least cost"
            )
        for tier in self.training_tiers:
            if tier not in _FLEXIBLE_TRAINING:
                raise ValueError(
                    f"training_tiers has {tier.value!r}: a plan's training hours are on_demand "
                    "or spot, and its commitments come from the portfolio. To fix: list "
                    "on_demand and/or spot, and the commitments to consider in commitments"
                )
        for serving_tier in self.serving_tiers:
            if serving_tier not in (PriceTier.ON_DEMAND, PriceTier.SPOT):
                raise ValueError(
                    f"serving_tiers has {serving_tier.value!r}: a plan's serving hours are "
                    "on_demand or spot, and its commitments come from the portfolio. To fix: "
                    "list on_demand and/or spot"
                )
        if PriceTier.ON_DEMAND not in self.serving_tiers:
            raise ValueError(
                "serving_tiers needs on_demand: spot alone leaves nothing when it is reclaimed. "
                "To fix: add on_demand"
            )

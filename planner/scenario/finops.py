"""The scenario's ``finops`` section: how a bill is attributed, and the budget recovery plan.

Settings only: :mod:`planner.finops.attribution` and :mod:`planner.finops.recovery` do the
work, so the scenario never imports the billing engine.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Annotated, ClassVar

from pydantic import ConfigDict, Field

from planner.core.fields import STRICT

MAX_WEEKS = 52


class CostView(enum.StrEnum):
    """Which FOCUS cost column a total is made of.

    >>> CostView("billed").column
    'billed'
    >>> CostView.AMORTIZED.focus_column
    'EffectiveCost'
    """

    AMORTIZED = "amortized"
    BILLED = "billed"

    @property
    def column(self) -> str:
        """The column of the normalised ``focus`` table."""
        return "effective" if self is CostView.AMORTIZED else "billed"

    @property
    def focus_column(self) -> str:
        return "EffectiveCost" if self is CostView.AMORTIZED else "BilledCost"

    @property
    def label(self) -> str:
        if self is CostView.AMORTIZED:
            return "amortized (EffectiveCost)"
        return "billed (BilledCost)"


@dataclass(frozen=True, slots=True, kw_only=True)
class SampleSpec:
    """Which synthetic bill to make. Defaults: the lesson-06 organisation.

    ``untagged_fraction`` is the share of the cost with no ``team`` tag; the attribution's
    fallback rules recover part of it.
    """

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="forbid")
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 6
    annual_usd: Annotated[float, Field(ge=1000, le=1e9, allow_inf_nan=False)] = 400_000.0
    months: Annotated[int, Field(ge=1, le=36)] = 12
    start_month: Annotated[str, Field(pattern=r"^20\d\d-(0[1-9]|1[0-2])$")] = "2025-01"
    quarterly_growth: Annotated[float, Field(ge=-0.5, le=2.0, allow_inf_nan=False)] = 0.2
    untagged_fraction: Annotated[float, Field(ge=0.1, le=0.3, allow_inf_nan=False)] = 0.22


TagKey = Annotated[str, Field(min_length=1, max_length=128, pattern=r'^[^"\\\x00-\x1f]+$')]


TagValue = Annotated[str, Field(min_length=1, max_length=256)]


class SharedRule(enum.StrEnum):
    """How untagged and shared costs are split among owners."""

    NONE = "none"
    EVEN = "even"
    PROPORTIONAL = "proportional"
    FIXED = "fixed"

    @property
    def label(self) -> str:
        return _RULE_LABELS[self]


_RULE_LABELS = {
    SharedRule.NONE: "not split (left unallocated)",
    SharedRule.EVEN: "evenly",
    SharedRule.PROPORTIONAL: "in proportion to direct cost",
    SharedRule.FIXED: "by fixed weights",
}


class ReportMode(enum.StrEnum):
    """Showback reports what each owner costs; chargeback bills it to them."""

    SHOWBACK = "showback"
    CHARGEBACK = "chargeback"


@dataclass(frozen=True, slots=True, kw_only=True)
class TagMapping:
    """One value of a rule's tag and the owner it means, e.g. model ``ocr`` → ``vision``."""

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    value: TagValue
    owner: TagValue


@dataclass(frozen=True, slots=True, kw_only=True)
class AttributionRule:
    """Read the owner from one tag key; with a ``mapping``, translate its values."""

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    tag_key: TagKey
    mapping: Annotated[tuple[TagMapping, ...], Field(max_length=1000)] = ()

    @property
    def label(self) -> str:
        return f"{self.tag_key} (mapped)" if self.mapping else self.tag_key


@dataclass(frozen=True, slots=True, kw_only=True)
class FixedWeight:
    """An owner's weight for the ``fixed`` split."""

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    owner: TagValue
    weight: Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]


@dataclass(frozen=True, slots=True, kw_only=True)
class AttributionSettings:
    """Everything that decides an attribution: the settings a share link carries.

    ``idle_utilization``: usage rows whose ``x_Utilization`` is below it count as idle (15%
    is the threshold of the lesson-04 case).
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    rules: Annotated[tuple[AttributionRule, ...], Field(min_length=1, max_length=10)] = (
        AttributionRule(tag_key="team"),
        AttributionRule(tag_key="owner"),
    )
    shared_values: Annotated[tuple[TagValue, ...], Field(max_length=50)] = ("platform", "shared")
    shared_rule: SharedRule = SharedRule.PROPORTIONAL
    weights: Annotated[tuple[FixedWeight, ...], Field(max_length=500)] = ()
    share_unused_commitment: bool = False
    cost_view: CostView = CostView.AMORTIZED
    mode: ReportMode = ReportMode.SHOWBACK
    idle_utilization: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.15

    @property
    def dimension(self) -> str:
        """What an owner is, named after the first rule's tag: e.g. ``team``."""
        return self.rules[0].tag_key


Usd = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]


PositiveUsd = Annotated[float, Field(gt=0, le=1e12, allow_inf_nan=False)]


Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class BillPeriod(enum.StrEnum):
    """The period a stated bill, budget and pools are in."""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"

    @property
    def months(self) -> int:
        """Months in the period.

        >>> BillPeriod.QUARTER.months
        3
        """
        return {"month": 1, "quarter": 3, "year": 12}[self.value]


class PoolName(enum.StrEnum):
    """The parts of a monthly bill that levers act on."""

    TRAINING = "training"
    SERVING = "serving"
    IDLE = "idle"
    STORAGE = "storage"
    DATA_TRANSFER = "data_transfer"
    OTHER = "other"


class LeverKey(enum.StrEnum):
    IDLE_OFF = "idle_off"
    SPOT_TRAINING = "spot_training"
    STORAGE_LIFECYCLE = "storage_lifecycle"
    FEWER_EXPERIMENTS = "fewer_experiments"
    RIGHT_SIZING = "right_sizing"
    AUTOSCALING = "autoscaling"
    COMMITMENTS = "commitments"
    QUANTIZATION = "quantization"
    CACHING = "caching"


class Objective(enum.StrEnum):
    """What the optimizer minimises among plans that reach the target."""

    EFFORT = "effort"
    RISK = "risk"


class PoolSource(enum.StrEnum):
    """Where the pools come from: stated in the scenario, a FOCUS bill, or the cost model."""

    STATED = "stated"
    BILL = "bill"
    MODEL = "model"


@dataclass(frozen=True, slots=True, kw_only=True)
class StatedPools:
    """Parts of the bill, in the plan's period; what they leave of the bill is ``other``.

    ``training_on_demand_share`` is the part of training not already on spot or committed.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    training: Usd = 0.0
    training_on_demand_share: Share = 1.0
    serving: Usd = 0.0
    idle: Usd = 0.0
    storage: Usd = 0.0
    data_transfer: Usd = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class LeverSetting:
    """A scenario's change to one lever of the library. Empty fields keep the library's.

    ``saving_usd_per_month`` states the saving in dollars; it becomes a fraction of the
    lever's pool (capped at the pool, with a note).
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    key: LeverKey
    enabled: bool = True
    saving_fraction: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] | None = None
    saving_usd_per_month: Usd | None = None
    effort_engineer_weeks: Annotated[float, Field(ge=0, le=520, allow_inf_nan=False)] | None = None
    lead_weeks: Annotated[int, Field(ge=0, le=MAX_WEEKS)] | None = None
    risk: Annotated[int, Field(ge=1, le=5)] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveryPlan:
    """The budget-recovery settings: bill, target, deadline, team and levers.

    The target is ``budget_usd`` when it is set, otherwise the current bill less
    ``cut_fraction``. ``bill_usd`` is used when the pools are stated; with a bill or the
    cost model as the source, the current bill is what that source says.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    period: BillPeriod = BillPeriod.MONTH
    bill_usd: PositiveUsd | None = None
    budget_usd: Usd | None = None
    cut_fraction: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)] = 0.3
    deadline_weeks: Annotated[int, Field(ge=1, le=MAX_WEEKS)] = 4
    engineers: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)] = 2.0
    objective: Objective = Objective.EFFORT
    source: PoolSource = PoolSource.BILL
    pools: StatedPools = StatedPools()
    levers: Annotated[tuple[LeverSetting, ...], Field(max_length=len(LeverKey))] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class FinOps:
    """The scenario's FinOps section: the sample bill, attribution and recovery settings.

    An uploaded bill is never part of it: a share link carries these settings only.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    sample: SampleSpec = SampleSpec()
    attribution: AttributionSettings = AttributionSettings()
    recovery: RecoveryPlan = RecoveryPlan()

"""The scenario's business-case section: build vs buy, ranges, variants and the question.

It joins :class:`planner.scenario.Scenario` as one optional field, ``business_case``. These
are plain frozen dataclasses, validated at the edge by pydantic like the rest of the
schema; the models that read them live in :mod:`planner.costing.buildbuy` (total cost of ownership)
and :mod:`planner.whatif` (compare, sensitivity, uncertainty).

Parameters are named by their path in the scenario, the same path the schema's error
messages use, e.g. ``serving[0].traffic.requests_per_day``, ``training[0].mfu`` or
``business_case.build_vs_buy.self_hosted.maintenance_hours_per_month``; an instance price is
``price[g4dn.xlarge].on_demand``. A :class:`Variant` is a named set of such changes, so the
share link carries it without copying the whole scenario. A change may set any lever, not
only a number: ``serving[0].model.precision: int8``, ``serving[0].autoscaling.enabled:
true``, an instance type, or a list such as ``serving[0].mix.tiers: [on_demand, spot]``;
the scenario's schema checks the value when the variant is applied.

>>> from pydantic import TypeAdapter
>>> case = TypeAdapter(BusinessCase).validate_python(
...     {"ranges": [{"parameter": "serving[0].traffic.requests_per_day", "low": 5, "high": 9}],
...      "variants": [{"name": "INT8", "changes": [
...          {"parameter": "serving[0].model.precision", "value": "int8"},
...          {"parameter": "serving[0].mix.tiers", "value": ["on_demand", "spot"]}]}]})
>>> case.ranges[0].distribution
<Distribution.TRIANGULAR: 'triangular'>
>>> [change.value for change in case.variants[0].changes]
['int8', ('on_demand', 'spot')]
>>> ParameterRange(parameter="x", low=3, high=1)
Traceback (most recent call last):
...
planner.core.errors.PlannerInputError: The range for x has its low value 3 above its high value 1: \
swap them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Annotated, ClassVar

from pydantic import ConfigDict, Field

from planner.core.errors import PlannerInputError
from planner.core.fields import STRICT, Finite, Name

NonNegative = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]
Hours = Annotated[float, Field(ge=0, le=100_000, allow_inf_nan=False)]
ParameterKey = Annotated[str, Field(min_length=1, max_length=300)]
_Word = Annotated[str, Field(min_length=1, max_length=200)]
# What a variant can set: a number, a switch, a word (a precision, a pricing tier, an instance
# type) or a list of words (the tiers a fleet may buy). Numbers come first, so a file's
# ``value: 100`` stays the number it always was; whether the value suits the field it names
# is the scenario schema's to say, when the variant is applied.
ChangeValue = Finite | bool | _Word | Annotated[tuple[_Word, ...], Field(max_length=20)]

MAX_HORIZON_MONTHS = 36
MAX_TEAM_SIZE = 100_000


def price_key(instance_type: str, tier: str) -> str:
    """The parameter key of an instance's hourly price in one tier.

    >>> price_key("g4dn.xlarge", "on_demand")
    'price[g4dn.xlarge].on_demand'
    """
    return f"price[{instance_type}].{tier}"


class Output(enum.StrEnum):
    """What a sensitivity analysis measures.

    >>> Output.TCO_DIFFERENCE.label
    'Build minus buy over the horizon'
    """

    MONTHLY_COST = "monthly_cost"
    COST_PER_REQUEST = "cost_per_request"
    TCO_DIFFERENCE = "tco_difference"

    @property
    def label(self) -> str:
        return _OUTPUT_LABELS[self]


_OUTPUT_LABELS = {
    Output.MONTHLY_COST: "Monthly cost",
    Output.COST_PER_REQUEST: "Cost per request",
    Output.TCO_DIFFERENCE: "Build minus buy over the horizon",
}


class Distribution(enum.StrEnum):
    """The shape of an uncertain assumption between its low, likely and high values.

    PERT is a beta distribution that weights the likely value four times; it has thinner
    tails than the triangular one.
    """

    TRIANGULAR = "triangular"
    PERT = "pert"


@dataclass(frozen=True, slots=True, kw_only=True)
class SelfHosted:
    """Running the tool yourself: infrastructure, then engineering time.

    The tracking server is either ``server_instance_count`` catalog instances
    (``server_instance_type``, priced with the scenario's pricing and overrides) or the
    user's own ``server_usd_per_month``. Artifact storage is priced at
    ``storage_usd_per_gb_month``, or the catalog's object-storage rate when unset.
    ``kubernetes_control_plane_share`` is the fraction of a managed Kubernetes control plane
    (catalog price per cluster-hour) this tool carries; 0 on a cluster that exists anyway.
    An upgrade of ``upgrade_hours`` happens every ``upgrade_every_months`` months.
    The opportunity cost is engineer time lost to features the self-hosted tool lacks.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    server_instance_type: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    server_instance_count: Annotated[int, Field(ge=1, le=1000)] = 1
    server_usd_per_month: NonNegative = 0.0
    database_usd_per_month: NonNegative = 0.0
    kubernetes_control_plane_share: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.0
    storage_usd_per_gb_month: NonNegative | None = None
    setup_hours: Hours = 0.0
    maintenance_hours_per_month: Hours = 0.0
    on_call_hours_per_month: Hours = 0.0
    upgrade_hours: Hours = 0.0
    upgrade_every_months: Annotated[int, Field(ge=1, le=120)] = 12
    opportunity_engineer_days_per_year: Annotated[float, Field(ge=0, le=10_000)] = 0.0

    def __post_init__(self) -> None:
        if self.server_instance_type is not None and self.server_usd_per_month > 0:
            raise PlannerInputError(
                f"The tracking server has both an instance type ({self.server_instance_type}) "
                f"and a monthly price ({self.server_usd_per_month:g} USD): keep one"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class SaasPlan:
    """One plan of the SaaS price list (or the user's quote).

    A month on the plan costs ``usd_per_month + usd_per_seat_month × seats`` plus
    ``storage_usd_per_gb_month`` for each GB above ``included_storage_gb`` (``None``:
    unlimited storage). ``max_seats`` (``None``: no limit) is the largest team the plan
    accepts. Each month the team is on the cheapest plan that accepts it.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    name: Name
    usd_per_seat_month: NonNegative = 0.0
    usd_per_month: NonNegative = 0.0
    max_seats: Annotated[int, Field(ge=1, le=MAX_TEAM_SIZE)] | None = None
    included_storage_gb: NonNegative | None = None
    storage_usd_per_gb_month: NonNegative = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Saas:
    """Buying the tool: its plans, plus engineering time to adopt and administer it."""

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    product: Name = "SaaS"
    plans: Annotated[tuple[SaasPlan, ...], Field(min_length=1, max_length=10)]
    setup_hours: Hours = 0.0
    admin_hours_per_month: Hours = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildVsBuy:
    """Self-host a tool or buy it as a service, over ``horizon_months``.

    The team starts at ``team_size`` seats and gains ``seats_added_per_year`` (a whole seat
    is added each time the running total passes one). Every seat logs
    ``runs_per_seat_month`` runs of ``gb_per_run`` artifacts, on top of
    ``initial_artifact_gb``; nothing is deleted, so storage grows every month. Engineering
    time costs ``usd_per_engineer_hour`` (loaded) and a day is ``hours_per_engineer_day``.
    ``stated_build_usd`` and ``stated_buy_usd`` are published totals over the horizon,
    kept only so the checks can compare them with the model.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    build_label: Name = "Self-hosted"
    horizon_months: Annotated[int, Field(ge=1, le=MAX_HORIZON_MONTHS)] = MAX_HORIZON_MONTHS
    team_size: Annotated[int, Field(ge=0, le=MAX_TEAM_SIZE)]
    seats_added_per_year: Annotated[float, Field(ge=0, le=10_000, allow_inf_nan=False)] = 0.0
    usd_per_engineer_hour: Annotated[float, Field(gt=0, le=10_000, allow_inf_nan=False)]
    hours_per_engineer_day: Annotated[float, Field(gt=0, le=24, allow_inf_nan=False)] = 8.0
    runs_per_seat_month: Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)] = 0.0
    gb_per_run: Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)] = 0.0
    initial_artifact_gb: Annotated[float, Field(ge=0, le=1e10, allow_inf_nan=False)] = 0.0
    self_hosted: SelfHosted = SelfHosted()
    saas: Saas
    stated_build_usd: Annotated[float, Field(gt=0, le=1e12, allow_inf_nan=False)] | None = None
    stated_buy_usd: Annotated[float, Field(gt=0, le=1e12, allow_inf_nan=False)] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ParameterRange:
    """How uncertain one assumption is: its low, likely and high values.

    ``likely`` defaults to the scenario's own value. The tornado moves the parameter from
    ``low`` to ``high``; Monte Carlo draws it from ``distribution``.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    parameter: ParameterKey
    low: Finite
    high: Finite
    likely: Finite | None = None
    distribution: Distribution = Distribution.TRIANGULAR

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise PlannerInputError(
                f"The range for {self.parameter} has its low value {self.low:g} above its high "
                f"value {self.high:g}: swap them"
            )
        if self.likely is not None and not self.low <= self.likely <= self.high:
            raise PlannerInputError(
                f"The range for {self.parameter} has its likely value {self.likely:g} outside "
                f"{self.low:g} to {self.high:g}: enter one between them"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """One assumption set to a new value in a variant: a number, or any other lever."""

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    parameter: ParameterKey
    value: ChangeValue


@dataclass(frozen=True, slots=True, kw_only=True)
class Variant:
    """A named what-if: the scenario with a few assumptions changed."""

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    name: Name
    changes: Annotated[tuple[Change, ...], Field(max_length=100)] = ()

    def __post_init__(self) -> None:
        keys = [change.parameter for change in self.changes]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise PlannerInputError(
                f'Variant "{self.name}" sets {", ".join(repeated)} more than once: keep one'
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class BusinessCase:
    """The question a business case answers, and what it varies to test the answer.

    ``tornado_percent`` moves every assumption without a range by ± that percentage.
    ``tornado_output`` is what the report's sensitivity section measures (``None``: the TCO
    difference when there is a build-vs-buy section, else the monthly cost).
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    question: Annotated[str, Field(max_length=1000)] = ""
    build_vs_buy: BuildVsBuy | None = None
    tornado_percent: Annotated[float, Field(gt=0, lt=100, allow_inf_nan=False)] = 20.0
    tornado_output: Output | None = None
    ranges: Annotated[tuple[ParameterRange, ...], Field(max_length=100)] = ()
    variants: Annotated[tuple[Variant, ...], Field(max_length=10)] = ()

    def __post_init__(self) -> None:
        keys = [r.parameter for r in self.ranges]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise PlannerInputError(f"More than one range for {', '.join(repeated)}: keep one")
        names = [v.name for v in self.variants]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise PlannerInputError(
                f"Two variants are named {', '.join(repr(n) for n in twice)}: rename one"
            )

    def range_for(self, key: str) -> ParameterRange | None:
        """The range set on parameter ``key``, if any.

        >>> BusinessCase(ranges=(ParameterRange(parameter="a", low=1, high=2),)).range_for("a").high
        2
        """
        return next((r for r in self.ranges if r.parameter == key), None)

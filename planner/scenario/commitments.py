"""The scenario's ``commitments`` section: one portfolio of commitments for the whole system.

With it, reservations and savings plans are planned once, over every endpoint and training
job (a savings plan is USD per hour across instance families, so it pools them), by
:mod:`planner.costing.commitments`. The endpoints and jobs then run on-demand or spot, and
the portfolio's saving is its own line of the monthly cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar

from pydantic import ConfigDict, Field

from planner.catalog import MAX_DEMAND_PATHS, CommitmentKind
from planner.core.fields import STRICT, Fraction

_ALL_KINDS = tuple(CommitmentKind)


@dataclass(frozen=True, slots=True, kw_only=True)
class CommitmentPolicy:
    """What the portfolio may buy and the forecast it buys for.

    ``kinds``: reservations (per instance type) and savings plans (USD per hour across
    types), 1 or 3 years. Demand grows as each endpoint's traffic says
    (``monthly_growth``); ``growth_uncertainty_per_year`` is the spread of its yearly log
    growth, drawn over ``paths`` demand paths. ``stranded_limit`` keeps the 90th percentile
    of stranded commitment (paid, unused) within that share of spend. The savings-plan
    discounts default to the catalog's assumptions.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    kinds: Annotated[tuple[CommitmentKind, ...], Field(max_length=4)] = _ALL_KINDS
    growth_uncertainty_per_year: Annotated[float, Field(ge=0, le=2, allow_inf_nan=False)] = 0.0
    paths: Annotated[int, Field(ge=1, le=MAX_DEMAND_PATHS)] = 200
    stranded_limit: Fraction | None = None
    savings_plan_1y_discount: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] | None = None
    savings_plan_3y_discount: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] | None = None

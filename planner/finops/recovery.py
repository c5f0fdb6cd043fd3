"""Budget recovery: which levers bring a bill down to its budget by a deadline, and when.

A bill is split into *pools* (training, serving, idle compute, storage, data transfer and
the rest), per month. Each lever of the library (``planner/data/finops_levers.csv``) saves a
fraction of one pool and costs engineering effort; it has a lead time and a risk. The
fractions come from the user's bill, from the scenario, or from the library's defaults,
and every one says where it came from.

Periods
-------
Everything is planned **per month**. A bill, budget and pools stated per quarter or per
year (``RecoveryPlan.period``) are divided by 3 or 12 first, and the result says so. Lever
savings are per month. (The lesson-04 case states a quarterly bill and budget and monthly
savings; its "$10.2M a year" treats the quarter as a month.)

The optimizer
-------------
Levers on the same pool interact: together they save ``1 - Π(1 - f_l)`` of it, not the sum
of their fractions. The milp stays linear by choosing, for each pool, one *subset* of its
levers, whose exact combined saving is a constant.

Notation: levers ``l`` with pool ``p(l)``, saving fraction ``f_l``, effort ``e_l``
(engineer-weeks), lead time ``L_l`` (weeks) and risk ``r_l``; pools ``p`` of ``P_p`` USD per
month; weeks ``w = 1..D`` (the deadline); ``C`` engineer-weeks of capacity per week; the
saving needed ``N = current - target``.

Variables: ``x[l, w] ∈ {0, 1}``, lever ``l`` goes live at the end of week ``w`` (only for
``w ≥ max(L_l, 1)``); ``y[p, S] ∈ {0, 1}``, subset ``S`` of pool ``p``'s levers is chosen, with
saving ``s[p, S] = P_p (1 - Π_{l∈S} (1 - f_l))``.

Constraints::

    Σ_S y[p, S] = 1                                   one subset per pool (maybe empty)
    Σ_w x[l, w] = Σ_{S∋l} y[p(l), S]                  a lever is live iff its subset is
    Σ_l Σ_{w'≤w} e_l x[l, w'] ≤ C w      for each w   the work fits the team, week by week
    Σ_{p,S} s[p, S] y[p, S] ≥ N                       the target is reached by week D

Objective (least effort): ``min Σ e_l x[l, w] + ε₁ Σ r_l x[l, w] + ε₂ Σ (w / D) x[l, w]``; with
least risk the roles of ``e`` and ``r`` swap. The ``ε`` terms break ties: lower risk (or
effort), then earlier weeks.

Statuses
--------
* ``already_under``: the bill is at or below the target; no lever is needed.
* ``reached``: the chosen levers reach the target by the deadline.
* ``unreachable``: no choice reaches it. This is a result, not an error: the plan then shows
  the largest saving possible by the deadline (the same constraints, maximising saving),
  the shortfall, the lowest bill reachable, and what would be needed instead: a later
  deadline or more engineers, where either would do.

A solve that stops at :data:`MILP_TIME_LIMIT_SECONDS` sets ``time_limit_reached`` and says so
in the message: a ``reached`` plan may then not be the least effort (or risk), and an
``unreachable`` one means only that no plan reaching the target was found in time.

Each chosen lever's saving is its Shapley share within its pool: order-independent, and the
shares add up to the pool's combined saving.

>>> plan = RecoveryPlan(bill_usd=100_000, budget_usd=80_000,
...     pools=StatedPools(idle=30_000, serving=50_000), deadline_weeks=4)
>>> result = plan_recovery(plan, pools_from_stated(plan))
>>> str(result.status), [str(lever.key) for lever in result.levers]
('reached', ['idle_off'])
>>> round(result.saving_usd_per_month)
27000
"""

from __future__ import annotations

import enum
import functools
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from planner.catalog import PriceTier, read_lever_rows
from planner.core.check import Check, Severity
from planner.core.errors import PlannerInputError
from planner.core.formatting import usd
from planner.core.units import DAYS_PER_MONTH
from planner.costing.economics import CostCategory, UnitEconomics
from planner.finops.billing import Bill
from planner.scenario import Scenario
from planner.scenario.finops import (
    MAX_WEEKS,
    BillPeriod,
    CostView,
    FinOps,
    LeverKey,
    LeverSetting,
    Objective,
    PoolName,
    PoolSource,
    RecoveryPlan,
    StatedPools,
)

__all__ = [
    "BillPeriod",
    "FinOps",
    "Lever",
    "LeverKey",
    "LeverSetting",
    "MonthlyPools",
    "Objective",
    "PoolName",
    "PoolSource",
    "RecoveryPlan",
    "RecoveryResult",
    "RecoveryStatus",
    "StatedPools",
    "lever_library",
    "plan_recovery",
    "pools_from_bill",
    "pools_from_economics",
    "pools_from_stated",
    "recovery_checks",
    "recovery_pools",
]

# HiGHS stops each solve here; a result that hit it says so (``time_limit_reached``).
MILP_TIME_LIMIT_SECONDS = 20.0
IDLE_UTILIZATION = 0.15
_EPS_SECOND = 1e-3
_EPS_WEEK = 1e-5


class RecoveryStatus(enum.StrEnum):
    ALREADY_UNDER = "already_under"
    REACHED = "reached"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True, slots=True, kw_only=True)
class LeverSpec:
    """One lever of the library, as ``planner/data/finops_levers.csv`` defines it."""

    key: LeverKey
    name: str
    pool: PoolName
    saving_fraction: float
    effort_engineer_weeks: float
    lead_weeks: int
    risk: int
    how: str
    source: str
    date: str
    notes: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Lever:
    """A lever as this plan uses it: the library's spec with the scenario's changes."""

    key: LeverKey
    name: str
    pool: PoolName
    saving_fraction: float
    saving_usd_per_month: float
    effort_engineer_weeks: float
    lead_weeks: int
    risk: int
    enabled: bool
    basis: str
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MonthlyPools:
    """A bill's pools in USD per month, and where they came from.

    ``commitment_eligible_share`` is the part of the serving pool a new commitment could
    cover: on-demand usage that no commitment covers yet, less the unused commitment
    already paid for (which would absorb that usage first). Pools that do not know it
    (stated, or from the cost model) leave it at 1.
    """

    usd_per_month: Mapping[PoolName, float]
    training_on_demand_share: float
    basis: str
    notes: tuple[str, ...] = ()
    commitment_eligible_share: float = 1.0

    @property
    def total_usd_per_month(self) -> float:
        return float(sum(self.usd_per_month.values()))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "pool": [str(p) for p in PoolName],
                "usd_per_month": [self.usd_per_month.get(p, 0.0) for p in PoolName],
            }
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ChosenLever:
    """A lever in the plan: when it goes live and what it saves (its Shapley share)."""

    lever: Lever
    week: int
    saving_usd_per_month: float

    @property
    def key(self) -> LeverKey:
        return self.lever.key

    @property
    def name(self) -> str:
        return self.lever.name


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveryResult:
    """The plan, or why none reaches the target, with everything it assumed.

    Money is USD per month. ``shortfall_usd_per_month`` is 0 when the target is reached.
    ``weeks_needed`` and ``engineers_needed`` say what would reach an unreachable target
    (``None``: that change alone would not).
    """

    status: RecoveryStatus
    current_usd_per_month: float
    target_usd_per_month: float
    saving_needed_usd_per_month: float
    saving_usd_per_month: float
    levers: tuple[ChosenLever, ...]
    candidates: tuple[Lever, ...]
    deadline_weeks: int
    engineers: float
    objective: Objective
    pools: MonthlyPools
    weeks_needed: int | None = None
    engineers_needed: float | None = None
    max_saving_any_time_usd_per_month: float = 0.0
    assumptions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    burndown: tuple[tuple[int, float], ...] = field(default=())
    time_limit_reached: bool = False

    @property
    def reached(self) -> bool:
        return self.status is not RecoveryStatus.UNREACHABLE

    @property
    def shortfall_usd_per_month(self) -> float:
        return max(0.0, self.saving_needed_usd_per_month - self.saving_usd_per_month)

    @property
    def planned_usd_per_month(self) -> float:
        """The monthly bill once every chosen lever is live."""
        return self.current_usd_per_month - self.saving_usd_per_month

    @property
    def effort_engineer_weeks(self) -> float:
        return sum(c.lever.effort_engineer_weeks for c in self.levers)

    @property
    def max_risk(self) -> int:
        return max((c.lever.risk for c in self.levers), default=0)

    def message(self) -> str:
        """One sentence a person reads first."""
        target = usd(self.target_usd_per_month)
        if self.status is RecoveryStatus.ALREADY_UNDER:
            return (
                f"The bill, {usd(self.current_usd_per_month)}/month, is already at or under the "
                f"target of {target}/month: no lever is needed."
            )
        stopped = f"The optimizer stopped at its {MILP_TIME_LIMIT_SECONDS:g}-second time limit"
        if self.status is RecoveryStatus.REACHED:
            text = (
                f"{len(self.levers)} lever{'s' if len(self.levers) != 1 else ''} bring the bill "
                f"from {usd(self.current_usd_per_month)} to {usd(self.planned_usd_per_month)}"
                f"/month by week {self.deadline_weeks}, under the target of {target}/month."
            )
            if self.time_limit_reached:
                text += f" {stopped}, so a plan with less {self.objective} may exist."
            return text
        if self.time_limit_reached:
            return (
                f"{stopped} before finding a plan that reaches the target of {target}/month by "
                f"week {self.deadline_weeks}; the best plan found brings the bill to "
                f"{usd(self.planned_usd_per_month)}/month. Disable some levers or shorten the "
                "deadline to make the search smaller."
            )
        text = (
            f"The target of {target}/month cannot be reached by week {self.deadline_weeks}: "
            f"the best plan brings the bill to {usd(self.planned_usd_per_month)}/month, "
            f"{usd(self.shortfall_usd_per_month)}/month short."
        )
        return f"{text} {self.what_would_be_needed()}"

    def what_would_be_needed(self) -> str:
        if self.status is not RecoveryStatus.UNREACHABLE:
            return ""
        options = []
        if self.weeks_needed is not None:
            options.append(f"a deadline of {self.weeks_needed} weeks")
        if self.engineers_needed is not None:
            options.append(f"{self.engineers_needed:g} engineers instead of {self.engineers:g}")
        if options:
            return f"It would take {' or '.join(options)}."
        lowest = self.current_usd_per_month - self.max_saving_any_time_usd_per_month
        return (
            f"No deadline or team size reaches it with these levers: all of them together "
            f"bring the bill to {usd(lowest)}/month at best. It needs a further "
            f"{usd(self.target_gap_any_time())}/month of savings the library does not have "
            f"(e.g. retiring models), or a budget of at least {usd(lowest)}/month."
        )

    def target_gap_any_time(self) -> float:
        return max(0.0, self.saving_needed_usd_per_month - self.max_saving_any_time_usd_per_month)

    def levers_frame(self) -> pd.DataFrame:
        rows = [
            {
                "week": c.week,
                "lever": c.name,
                "saving_usd_per_month": c.saving_usd_per_month,
                "effort_engineer_weeks": c.lever.effort_engineer_weeks,
                "lead_weeks": c.lever.lead_weeks,
                "risk": c.lever.risk,
                "pool": str(c.lever.pool),
                "basis": c.lever.basis,
            }
            for c in self.levers
        ]
        return pd.DataFrame(
            rows,
            columns=[
                "week",
                "lever",
                "saving_usd_per_month",
                "effort_engineer_weeks",
                "lead_weeks",
                "risk",
                "pool",
                "basis",
            ],
        )

    def burndown_frame(self) -> pd.DataFrame:
        """Week by week: the monthly run-rate once that week's levers are live, the target,
        the spend of that week, and the levers that go live."""
        live: dict[int, list[str]] = {}
        for chosen in self.levers:
            live.setdefault(chosen.week, []).append(chosen.name)
        return pd.DataFrame(
            {
                "week": [w for w, _ in self.burndown],
                "usd_per_month": [v for _, v in self.burndown],
                "target_usd_per_month": self.target_usd_per_month,
                "usd_this_week": [v * 7 / DAYS_PER_MONTH for _, v in self.burndown],
                "goes_live": [", ".join(live.get(w, [])) for w, _ in self.burndown],
            }
        )


# --------------------------------------------------------------------------- the library


def parse_lever_rows(rows: Iterable[Mapping[str, str]]) -> tuple[LeverSpec, ...]:
    """The lever library from CSV rows, checked: every lever once, values in range."""
    specs = []
    for line, row in enumerate(rows, start=2):
        try:
            spec = LeverSpec(
                key=LeverKey(row["key"]),
                name=row["name"],
                pool=PoolName(row["pool"]),
                saving_fraction=float(row["saving_fraction"]),
                effort_engineer_weeks=float(row["effort_engineer_weeks"]),
                lead_weeks=int(row["lead_weeks"]),
                risk=int(row["risk"]),
                how=row["how"],
                source=row["source"],
                date=row["date"],
                notes=row.get("notes", ""),
            )
        except (KeyError, ValueError) as error:
            raise PlannerInputError(
                f"finops_levers.csv line {line}: {error}",
                fix="compare the row with the others",
            ) from None
        if not (0 <= spec.saving_fraction < 1 and 1 <= spec.risk <= 5 and spec.lead_weeks >= 0):
            raise PlannerInputError(
                f"finops_levers.csv line {line} ({spec.key}): saving_fraction must be in [0, 1), "
                "risk 1-5 and lead_weeks 0 or more"
            )
        specs.append(spec)
    keys = [s.key for s in specs]
    if sorted(keys) != sorted(LeverKey):
        raise PlannerInputError(
            f"finops_levers.csv must define each lever exactly once: {', '.join(sorted(LeverKey))}"
        )
    return tuple(specs)


@functools.cache
def lever_library() -> tuple[LeverSpec, ...]:
    """The library in ``planner/data/finops_levers.csv`` (read once)."""
    return parse_lever_rows(read_lever_rows())


# --------------------------------------------------------------------------- the pools


def _monthly(value: float, period: BillPeriod) -> float:
    return value / period.months


def pools_from_stated(plan: RecoveryPlan) -> MonthlyPools:
    """The pools the scenario states, per month; ``other`` is what they leave of the bill.

    Raises
    ------
    PlannerInputError
        Without ``bill_usd``, or when the pools add up to more than the bill.
    """
    if plan.bill_usd is None:
        raise PlannerInputError(
            "finops.recovery.bill_usd is missing: stated pools need the bill they are part of",
            fix="set bill_usd, or take the pools from a bill (source: bill)",
        )
    stated = plan.pools
    parts = {
        PoolName.TRAINING: stated.training,
        PoolName.SERVING: stated.serving,
        PoolName.IDLE: stated.idle,
        PoolName.STORAGE: stated.storage,
        PoolName.DATA_TRANSFER: stated.data_transfer,
    }
    listed = sum(parts.values())
    if listed > plan.bill_usd * (1 + 1e-9):
        raise PlannerInputError(
            f"finops.recovery.pools add up to {usd(listed)}, more than the bill of "
            f"{usd(plan.bill_usd)} per {plan.period}",
            fix="lower the pools, or state them in the same period as the bill",
        )
    parts[PoolName.OTHER] = plan.bill_usd - listed
    monthly = {name: _monthly(value, plan.period) for name, value in parts.items()}
    return MonthlyPools(
        usd_per_month=monthly,
        training_on_demand_share=stated.training_on_demand_share,
        basis=f"stated in the scenario, per {plan.period}",
    )


_PHASES = {
    "training": PoolName.TRAINING,
    "train": PoolName.TRAINING,
    "experiment": PoolName.TRAINING,
    "hpo": PoolName.TRAINING,
    "serving": PoolName.SERVING,
    "inference": PoolName.SERVING,
}


def pools_from_bill(
    bill: Bill,
    *,
    view: CostView = CostView.AMORTIZED,
    idle_utilization: float = IDLE_UTILIZATION,
    phase_key: str = "phase",
) -> MonthlyPools:
    """The pools of a FOCUS bill's latest month.

    A usage row is *idle* when its ``x_Utilization`` is under ``idle_utilization``; then
    *storage* and *data transfer* by ``ServiceCategory`` (or service name); *training* and
    *serving* by the ``phase`` tag (or ``ResourceType``: training job, endpoint); the rest
    is *other* (including unused commitment, credits and tax). A month with fewer days of
    charges than the calendar month is scaled up to a full month, with a note.

    The commitments lever can only act on serving that is on demand (``PricingCategory =
    'Standard'``) and not covered by a commitment (no ``CommitmentDiscountId``), and the
    month's unused commitment would absorb such usage before a new one is bought:
    ``commitment_eligible_share = max(0, uncovered_on_demand_serving - unused) / serving``.
    """
    if '"' in phase_key or "\\" in phase_key:
        raise PlannerInputError(f"The tag key {phase_key!r} cannot contain quotes")
    phases_training = [k for k, v in _PHASES.items() if v is PoolName.TRAINING]
    phases_serving = [k for k, v in _PHASES.items() if v is PoolName.SERVING]
    cost = view.column
    rows = bill.query(
        f"""
        WITH last AS (SELECT date_trunc('month', max(start)) AS month FROM focus),
        rows AS (
            SELECT {cost} AS cost, pricing_category,
                lower(coalesce(json_extract_string(tags, ?), '')) AS phase,
                lower(coalesce(resource_type, '')) AS rtype,
                lower(coalesce(service_category, '')) AS category,
                lower(coalesce(service, '')) AS service,
                charge_category, utilization, start, commitment_id, commitment_status
            FROM focus, last WHERE date_trunc('month', start) = last.month
        )
        SELECT
            CASE
                WHEN charge_category = 'Usage' AND utilization < ? THEN 'idle'
                WHEN category = 'storage' OR service LIKE '%storage%' OR rtype = 'bucket'
                    THEN 'storage'
                WHEN category = 'networking' OR service LIKE '%transfer%' THEN 'data_transfer'
                WHEN charge_category = 'Usage' AND (list_contains(?::VARCHAR[], phase)
                    OR rtype LIKE '%training%') THEN 'training'
                WHEN charge_category = 'Usage' AND (list_contains(?::VARCHAR[], phase)
                    OR rtype LIKE '%endpoint%') THEN 'serving'
                ELSE 'other' END AS pool,
            coalesce(pricing_category = 'Standard', false) AS on_demand,
            commitment_id IS NULL AS uncovered,
            coalesce(commitment_status = 'Unused', false) AS unused,
            sum(cost)::DOUBLE AS usd,
            count(DISTINCT start::DATE) AS days,
            min((SELECT month FROM last)) AS month
        FROM rows GROUP BY ALL
        """,  # noqa: S608
        ['$."' + phase_key + '"', idle_utilization, phases_training, phases_serving],
    )
    if not rows:
        raise PlannerInputError(f"{bill.source} has no charges to plan from")
    month = rows[0][-1]
    days_covered = bill.query(
        "SELECT count(DISTINCT start::DATE) FROM focus WHERE date_trunc('month', start) = ?",
        [month],
    )[0][0]
    days_in_month = (pd.Timestamp(month) + pd.offsets.MonthBegin(1) - pd.Timestamp(month)).days
    scale = days_in_month / days_covered if days_covered else 1.0
    totals: dict[PoolName, float] = dict.fromkeys(PoolName, 0.0)
    training_on_demand = 0.0
    serving_uncovered = 0.0
    unused = 0.0
    for pool, on_demand, uncovered, is_unused, amount, _days, _month in rows:
        totals[PoolName(pool)] += float(amount) * scale
        if pool == "training" and on_demand:
            training_on_demand += float(amount) * scale
        if pool == "serving" and on_demand and uncovered:
            serving_uncovered += float(amount) * scale
        if is_unused:
            unused += float(amount) * scale
    notes = []
    label = pd.Timestamp(month).strftime("%B %Y")
    if days_covered < days_in_month:
        notes.append(
            f"{label} has charges on {days_covered} of {days_in_month} days; it is scaled "
            "to a full month."
        )
    if not bill.has_utilization:
        notes.append("The bill has no x_Utilization column, so no cost counts as idle.")
    share = training_on_demand / totals[PoolName.TRAINING] if totals[PoolName.TRAINING] > 0 else 1.0
    serving = totals[PoolName.SERVING]
    eligible = max(0.0, serving_uncovered - max(unused, 0.0))
    if unused > 0:
        notes.append(
            f"{label} has {usd(unused)} of unused commitment: it would cover on-demand usage "
            "before any new commitment, so the commitments lever acts on the rest."
        )
    return MonthlyPools(
        usd_per_month=totals,
        training_on_demand_share=min(1.0, max(0.0, share)),
        basis=f"{bill.source}, {label}, {view.label}",
        notes=tuple(notes),
        commitment_eligible_share=min(1.0, eligible / serving) if serving > 0 else 0.0,
    )


def pools_from_economics(economics: UnitEconomics) -> MonthlyPools:
    """The pools of the scenario's own cost model (its training, serving, storage...)."""
    mapping = {
        CostCategory.TRAINING: PoolName.TRAINING,
        CostCategory.SERVING: PoolName.SERVING,
        CostCategory.STORAGE: PoolName.STORAGE,
        CostCategory.DATA_TRANSFER: PoolName.DATA_TRANSFER,
        CostCategory.TOOLING: PoolName.OTHER,
        # The portfolio's saving (negative) lowers what the compute pools cost.
        CostCategory.COMMITMENTS: PoolName.SERVING,
    }
    totals: dict[PoolName, float] = dict.fromkeys(PoolName, 0.0)
    for category, value in economics.breakdown().items():
        totals[mapping[category]] += value
    training = sum(run.cost_per_month_usd for run in economics.training)
    on_demand = sum(
        run.cost_per_month_usd
        for run in economics.training
        if run.plan.pricing.price_tier is PriceTier.ON_DEMAND
    )
    return MonthlyPools(
        usd_per_month=totals,
        training_on_demand_share=on_demand / training if training > 0 else 1.0,
        basis="the scenario's cost model (Overview page)",
        notes=("The cost model has no idle pool: idle compute is not modelled.",),
    )


def recovery_pools(
    plan: RecoveryPlan, *, bill: Bill | None = None, economics: UnitEconomics | None = None
) -> MonthlyPools:
    """The pools for the plan's source; the caller supplies the bill or the cost model."""
    if plan.source is PoolSource.STATED:
        return pools_from_stated(plan)
    if plan.source is PoolSource.BILL:
        if bill is None:
            raise PlannerInputError("This plan takes its pools from a bill, but none was given")
        return pools_from_bill(bill)
    if economics is None:
        raise PlannerInputError("This plan takes its pools from the cost model, but none was given")
    return pools_from_economics(economics)


# --------------------------------------------------------------------------- the plan


_COMMITMENT_MONTHS = 12  # the library's commitments lever is a 1-year commitment


def resolve_levers(
    plan: RecoveryPlan, pools: MonthlyPools, library: Sequence[LeverSpec]
) -> tuple[tuple[Lever, ...], list[str]]:
    """Each library lever with the scenario's changes, as a fraction of its pool."""
    settings = {s.key: s for s in plan.levers}
    levers = []
    notes = []
    for spec in library:
        setting = settings.get(spec.key)
        pool_usd = pools.usd_per_month.get(spec.pool, 0.0)
        applies = {
            LeverKey.SPOT_TRAINING: pools.training_on_demand_share,
            LeverKey.COMMITMENTS: pools.commitment_eligible_share,
        }.get(spec.key, 1.0)
        fraction = spec.saving_fraction * applies
        basis = f"{spec.how} (library)"
        if setting is not None and setting.saving_usd_per_month is not None:
            claimed = setting.saving_usd_per_month
            if pool_usd <= 0:
                fraction = 0.0
                notes.append(
                    f"{spec.name}: the stated saving of {usd(claimed)}/month has no "
                    f"{spec.pool} cost to come from; it is ignored."
                )
            else:
                fraction = min(claimed / pool_usd, 0.99)
                if claimed > pool_usd * 0.99:
                    notes.append(
                        f"{spec.name}: the stated saving of {usd(claimed)}/month is more than its "
                        f"pool ({spec.pool}, {usd(pool_usd)}/month) allows; it is capped at 99%."
                    )
            basis = (
                f"{usd(claimed)}/month as stated in the scenario ({fraction:.0%} of {spec.pool})"
            )
        elif setting is not None and setting.saving_fraction is not None:
            fraction = setting.saving_fraction * applies
            basis = f"{setting.saving_fraction:.0%} of {spec.pool}, as set in the scenario"
        if spec.key is LeverKey.SPOT_TRAINING and applies < 1 and "scenario" not in basis:
            basis += f"; {applies:.0%} of training is on demand"
        if spec.key is LeverKey.COMMITMENTS and applies < 1 and "scenario" not in basis:
            basis += (
                f"; {applies:.0%} of serving is on demand and not yet covered, after the "
                "unused commitment"
            )
        if spec.key is LeverKey.COMMITMENTS and fraction > 0 and spec.saving_fraction > 0:
            # A commitment is paid every hour of its term: say what it obliges, not only
            # what it saves. Its discount is the scenario's fraction, else the library's.
            discount = (
                setting.saving_fraction
                if setting is not None and setting.saving_fraction is not None
                else spec.saving_fraction
            )
            committed = pool_usd * fraction * (1 - discount) / discount
            basis += (
                f"; obligation about {usd(committed * _COMMITMENT_MONTHS)} over "
                f"{_COMMITMENT_MONTHS} months ({usd(committed)}/month, paid used or not)"
            )
        levers.append(
            Lever(
                key=spec.key,
                name=spec.name,
                pool=spec.pool,
                saving_fraction=fraction,
                saving_usd_per_month=pool_usd * fraction,
                effort_engineer_weeks=_pick(
                    setting, "effort_engineer_weeks", spec.effort_engineer_weeks
                ),
                lead_weeks=int(_pick(setting, "lead_weeks", spec.lead_weeks)),
                risk=int(_pick(setting, "risk", spec.risk)),
                enabled=setting.enabled if setting is not None else True,
                basis=basis,
                source=spec.source,
            )
        )
    return tuple(levers), notes


def _pick(setting: LeverSetting | None, name: str, default: float) -> float:
    value = getattr(setting, name) if setting is not None else None
    return float(default if value is None else value)


def _combined(pool_usd: float, fractions: Iterable[float]) -> float:
    """What levers with these fractions save together on one pool.

    >>> _combined(100.0, [0.5, 0.5])
    75.0
    """
    return pool_usd * (1.0 - math.prod(1.0 - f for f in fractions))


def _shapley(pool_usd: float, levers: Sequence[Lever]) -> dict[LeverKey, float]:
    """Each lever's order-independent share of what the set saves together.

    >>> from dataclasses import replace
    >>> a = Lever(key=LeverKey.CACHING, name="a", pool=PoolName.SERVING, saving_fraction=0.5,
    ...     saving_usd_per_month=50, effort_engineer_weeks=1, lead_weeks=1, risk=1,
    ...     enabled=True, basis="", source="")
    >>> b = replace(a, key=LeverKey.AUTOSCALING)
    >>> _shapley(100.0, [a, b])
    {<LeverKey.CACHING: 'caching'>: 37.5, <LeverKey.AUTOSCALING: 'autoscaling'>: 37.5}
    """
    n = len(levers)
    shares = {}
    for lever in levers:
        others = [x for x in levers if x.key != lever.key]
        total = 0.0
        for size in range(len(others) + 1):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for subset in itertools.combinations(others, size):
                base = [x.saving_fraction for x in subset]
                total += weight * (
                    _combined(pool_usd, [*base, lever.saving_fraction]) - _combined(pool_usd, base)
                )
        shares[lever.key] = total
    return shares


@dataclass(frozen=True, slots=True, kw_only=True)
class _Problem:
    pools: Mapping[PoolName, float]
    levers: tuple[Lever, ...]
    need: float
    current: float
    deadline: int
    capacity: float
    objective: Objective


def _check(problem: _Problem) -> None:
    """Input validation, apart from the solver."""
    if problem.current <= 0:
        raise PlannerInputError(
            "The current bill is $0 a month, so there is nothing to recover",
            fix="enter the bill, or choose a bill with charges",
        )
    if not 1 <= problem.deadline <= MAX_WEEKS:
        raise PlannerInputError(
            f"The deadline is {problem.deadline} weeks; it must be 1-{MAX_WEEKS}"
        )
    if problem.capacity <= 0:
        raise PlannerInputError("The team has no engineers", fix="enter 0.5 engineers or more")


_Subset = tuple[PoolName, tuple[LeverKey, ...]]


def _solve(problem: _Problem, *, maximise: bool) -> tuple[dict[LeverKey, int], float, bool]:
    """One milp (see the module docstring): chosen levers with their weeks, the saving, and
    whether HiGHS stopped at :data:`MILP_TIME_LIMIT_SECONDS` (the plan is then its best so far).

    With ``maximise`` the target constraint is dropped and the saving is maximised (ties:
    least effort). Returns an empty plan when the target constraint makes it infeasible.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    deadline = problem.deadline
    usable = [
        lever
        for lever in problem.levers
        if lever.enabled and lever.saving_usd_per_month > 0 and max(lever.lead_weeks, 1) <= deadline
    ]
    x_index: dict[tuple[LeverKey, int], int] = {}
    for lever in usable:
        for week in range(max(lever.lead_weeks, 1), deadline + 1):
            x_index[(lever.key, week)] = len(x_index)
    by_pool: dict[PoolName, list[Lever]] = {}
    for lever in usable:
        by_pool.setdefault(lever.pool, []).append(lever)
    y_index: dict[_Subset, int] = {}
    saving: dict[_Subset, float] = {}
    start = len(x_index)
    for pool, members in by_pool.items():
        for size in range(len(members) + 1):
            for subset in itertools.combinations(members, size):
                chosen_set: _Subset = (pool, tuple(m.key for m in subset))
                y_index[chosen_set] = start + len(y_index)
                saving[chosen_set] = _combined(
                    problem.pools[pool], [m.saving_fraction for m in subset]
                )
    count = len(x_index) + len(y_index)
    if count == 0:
        return {}, 0.0, False
    lever_of = {lever.key: lever for lever in usable}
    c = np.zeros(count)
    scale = max(problem.current, 1.0)
    for (lever_key, week), i in x_index.items():
        lever = lever_of[lever_key]
        first, second = (
            (lever.effort_engineer_weeks, lever.risk)
            if problem.objective is Objective.EFFORT
            else (lever.risk, lever.effort_engineer_weeks)
        )
        if maximise:
            c[i] = _EPS_SECOND * lever.effort_engineer_weeks + _EPS_WEEK * week / deadline
        else:
            c[i] = first + _EPS_SECOND * second + _EPS_WEEK * week / deadline
    if maximise:
        for chosen_set, i in y_index.items():
            c[i] = -saving[chosen_set] / scale
    rows: list[npt.NDArray[np.float64]] = []
    lower: list[float] = []
    upper: list[float] = []

    def add(row: npt.NDArray[np.float64], lo: float, hi: float) -> None:
        rows.append(row)
        lower.append(lo)
        upper.append(hi)

    for pool in by_pool:
        row = np.zeros(count)
        for (set_pool, _members), i in y_index.items():
            if set_pool is pool:
                row[i] = 1
        add(row, 1, 1)
    for lever in usable:
        row = np.zeros(count)
        for (lever_key, _week), i in x_index.items():
            if lever_key is lever.key:
                row[i] = 1
        for (set_pool, member_keys), i in y_index.items():
            if set_pool is lever.pool and lever.key in member_keys:
                row[i] = -1
        add(row, 0, 0)
    for week in range(1, deadline + 1):
        row = np.zeros(count)
        for (lever_key, live), i in x_index.items():
            if live <= week:
                row[i] = lever_of[lever_key].effort_engineer_weeks
        add(row, -np.inf, problem.capacity * week + 1e-9)
    if not maximise:
        row = np.zeros(count)
        for chosen_set, i in y_index.items():
            row[i] = saving[chosen_set]
        add(row, problem.need - 1e-6, np.inf)
    result = milp(
        c,
        constraints=LinearConstraint(np.vstack(rows), lower, upper),
        integrality=np.ones(count, dtype=np.int64),
        bounds=Bounds(0, 1),
        options={"time_limit": MILP_TIME_LIMIT_SECONDS},
    )
    timed_out = result.status == 1  # scipy: iteration or time limit reached
    if result.x is None:
        return {}, 0.0, timed_out
    chosen = {lk: week for (lk, week), i in x_index.items() if result.x[i] > 0.5}
    total = sum(saving[cs] for cs, i in y_index.items() if result.x[i] > 0.5)
    return chosen, total, timed_out


def _max_saving(problem: _Problem, **changes: Any) -> float:
    from dataclasses import replace

    return _solve(replace(problem, **changes), maximise=True)[1]


def plan_recovery(
    plan: RecoveryPlan, pools: MonthlyPools, library: Sequence[LeverSpec] | None = None
) -> RecoveryResult:
    """Choose the levers, and their weeks, that bring the bill to the target by the deadline.

    See the module docstring for the formulation and the statuses. Raises only for input
    that cannot be planned at all (a $0 bill, no engineers).
    """
    library = lever_library() if library is None else library
    levers, notes = resolve_levers(plan, pools, library)
    current = pools.total_usd_per_month
    if plan.source is PoolSource.STATED and plan.bill_usd is not None:
        current = _monthly(plan.bill_usd, plan.period)
    if plan.budget_usd is not None:
        target = _monthly(plan.budget_usd, plan.period)
    else:
        target = current * (1 - plan.cut_fraction)
    problem = _Problem(
        pools=dict(pools.usd_per_month),
        levers=levers,
        need=current - target,
        current=current,
        deadline=plan.deadline_weeks,
        capacity=plan.engineers,
        objective=plan.objective,
    )
    _check(problem)
    assumptions = _assumptions(plan, pools, current, target)
    common: dict[str, Any] = {
        "current_usd_per_month": current,
        "target_usd_per_month": target,
        "saving_needed_usd_per_month": max(0.0, current - target),
        "candidates": levers,
        "deadline_weeks": plan.deadline_weeks,
        "engineers": plan.engineers,
        "objective": plan.objective,
        "pools": pools,
        "assumptions": assumptions,
        "notes": (*pools.notes, *notes),
    }
    if problem.need <= 0:
        return RecoveryResult(
            status=RecoveryStatus.ALREADY_UNDER,
            saving_usd_per_month=0.0,
            levers=(),
            burndown=tuple((w, current) for w in range(plan.deadline_weeks + 1)),
            **common,
        )
    best_weeks, best, timed_out = _solve(problem, maximise=True)
    if best >= problem.need - 1e-6:
        weeks, total, least_timed_out = _solve(problem, maximise=False)
        timed_out = timed_out or least_timed_out
        if not weeks:  # numerically at the edge: keep the best plan, which does reach it
            weeks, total = best_weeks, best
        status = RecoveryStatus.REACHED
        extra: dict[str, Any] = {}
    else:
        weeks, total = best_weeks, best
        status = RecoveryStatus.UNREACHABLE
        # Past the time limit, searching for what would be needed would hit it again, often.
        extra = {} if timed_out else _what_would_be_needed(problem, levers)
    chosen = _chosen(levers, weeks, problem.pools)
    return RecoveryResult(
        status=status,
        saving_usd_per_month=total,
        levers=chosen,
        burndown=_burndown(chosen, problem.pools, current, plan.deadline_weeks),
        time_limit_reached=timed_out,
        **common,
        **extra,
    )


def _what_would_be_needed(problem: _Problem, levers: Sequence[Lever]) -> dict[str, Any]:
    """A later deadline or a bigger team that would reach the target, if either would."""
    everything = sum(
        _combined(
            problem.pools[pool],
            [lv.saving_fraction for lv in levers if lv.enabled and lv.pool is pool],
        )
        for pool in PoolName
    )
    result: dict[str, Any] = {"max_saving_any_time_usd_per_month": everything}
    if everything < problem.need - 1e-6:
        return result
    if _max_saving(problem, deadline=MAX_WEEKS) >= problem.need - 1e-6:
        low, high = problem.deadline, MAX_WEEKS  # low fails, high works
        while high - low > 1:
            middle = (low + high) // 2
            if _max_saving(problem, deadline=middle) >= problem.need - 1e-6:
                high = middle
            else:
                low = middle
        result["weeks_needed"] = high
    enough = sum(lv.effort_engineer_weeks for lv in levers) + problem.capacity
    if _max_saving(problem, capacity=enough) >= problem.need - 1e-6:
        low_c, high_c = problem.capacity, enough
        while high_c - low_c > 0.25:
            middle_c = (low_c + high_c) / 2
            if _max_saving(problem, capacity=middle_c) >= problem.need - 1e-6:
                high_c = middle_c
            else:
                low_c = middle_c
        result["engineers_needed"] = math.ceil(high_c * 2) / 2
    return result


def _chosen(
    levers: Sequence[Lever], weeks: Mapping[LeverKey, int], pools: Mapping[PoolName, float]
) -> tuple[ChosenLever, ...]:
    picked = [lever for lever in levers if lever.key in weeks]
    shares: dict[LeverKey, float] = {}
    for pool in PoolName:
        members = [lever for lever in picked if lever.pool is pool]
        if members:
            shares |= _shapley(pools[pool], members)
    chosen = [
        ChosenLever(lever=lever, week=weeks[lever.key], saving_usd_per_month=shares[lever.key])
        for lever in picked
    ]
    return tuple(sorted(chosen, key=lambda c: (c.week, -c.saving_usd_per_month, c.key)))


def _burndown(
    chosen: Sequence[ChosenLever], pools: Mapping[PoolName, float], current: float, deadline: int
) -> tuple[tuple[int, float], ...]:
    points = []
    for week in range(deadline + 1):
        live = [c.lever for c in chosen if c.week <= week]
        saved = sum(
            _combined(pools[pool], [lv.saving_fraction for lv in live if lv.pool is pool])
            for pool in PoolName
        )
        points.append((week, current - saved))
    return tuple(points)


def _assumptions(
    plan: RecoveryPlan, pools: MonthlyPools, current: float, target: float
) -> tuple[str, ...]:
    lines = []
    if (
        plan.source is PoolSource.STATED
        and plan.bill_usd is not None
        and plan.period is not BillPeriod.MONTH
    ):
        months = plan.period.months
        lines.append(
            f"Periods: the bill, budget and pools are stated per {plan.period}; the plan works "
            f"per month, so each is divided by {months}: the bill of {usd(plan.bill_usd)} per "
            f"{plan.period} is {usd(current)}/month."
        )
    if plan.budget_usd is not None:
        per = f" per {plan.period}" if plan.period is not BillPeriod.MONTH else "/month"
        lines.append(f"Target: the budget of {usd(plan.budget_usd)}{per}, {usd(target)}/month.")
    else:
        lines.append(
            f"Target: the current {usd(current)}/month less {plan.cut_fraction:.0%}, "
            f"{usd(target)}/month."
        )
    lines.append(f"Pools: {pools.basis}.")
    lines.append(
        f"Team: {plan.engineers:g} engineers, so {plan.engineers:g} engineer-weeks of work per "
        f"week; deadline: week {plan.deadline_weeks}; objective: least {plan.objective}."
    )
    lines.append(
        "Levers on the same pool multiply: together they save 1 - Π(1 - f) of it. Each lever's "
        "saving shown is its Shapley share, which does not depend on the order."
    )
    return tuple(lines)


def recovery_checks(scenario: Scenario) -> list[Check]:
    """Assumption checks on the scenario's budget-recovery figures (none without them).

    * a lever's stated saving is more than the pool it comes from allows (warning): the
      lesson-04 kind of claim that cannot be true;
    * the bill is several times its budget (info), read in one period, so the scale of the
      recovery is plain before any lever is chosen.
    """

    if scenario.finops is None:
        return []
    plan = scenario.finops.recovery
    checks: list[Check] = []
    if plan.source is PoolSource.STATED and plan.bill_usd is not None:
        try:
            pools = pools_from_stated(plan)
        except PlannerInputError as error:
            return [
                Check(
                    code="recovery_pools_invalid",
                    severity=Severity.WARNING,
                    subject="budget recovery",
                    message=str(error),
                )
            ]
        specs = {spec.key: spec for spec in lever_library()}
        for setting in plan.levers:
            claimed = setting.saving_usd_per_month
            spec = specs[setting.key]
            pool_usd = pools.usd_per_month.get(spec.pool, 0.0)
            if claimed is not None and claimed > pool_usd:
                checks.append(
                    Check(
                        code="lever_saving_exceeds_pool",
                        severity=Severity.WARNING,
                        subject=f"budget recovery: {spec.name}",
                        message=(
                            f"The stated saving of {usd(claimed)}/month is more than the whole "
                            f"{spec.pool} pool, {usd(pool_usd)}/month "
                            f"({usd(pool_usd * plan.period.months)} per {plan.period})"
                        ),
                    )
                )
        if plan.budget_usd:
            ratio = plan.bill_usd / plan.budget_usd
            if ratio >= 1.5:
                checks.append(
                    Check(
                        code="bill_over_budget",
                        severity=Severity.INFO,
                        subject="budget recovery",
                        message=(
                            f"The bill, {usd(plan.bill_usd)} per {plan.period}, is {ratio:.1f}× "
                            f"the budget of {usd(plan.budget_usd)}: "
                            f"{usd(plan.bill_usd / plan.period.months)} against "
                            f"{usd(plan.budget_usd / plan.period.months)} a month. The Budget "
                            "recovery page plans the levers"
                        ),
                    )
                )
    return checks

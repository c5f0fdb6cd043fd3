r"""Instance-mix optimizer: how many reserved (1 y / 3 y) instances to commit to, and how much
on-demand and spot to run each hour, to cover demand at the lowest cost.

Formulation
-----------
Notation

* hours :math:`h = 1..H` (one week to a year, hourly); instance types :math:`t \in T`;
* :math:`d_h` the demand in hour *h* (requests per second), :math:`\eta` the headroom, and
  :math:`D_h = d_h (1 + \eta)` the capacity required;
* :math:`c_t` the capacity of one instance of type *t* (requests per second);
* :math:`P^{1y}_t, P^{3y}_t, P^{od}_t, P^{s}_t` the hourly prices of each tier;
* :math:`q_t` the spot interruption rate of *t*: the share of its spot capacity that can be
  reclaimed at once (one event, not the per-instance hazard of instances interrupted a
  month; the serving planner reads it from the Spot Advisor bucket's upper edge);
  :math:`\sigma` the spot cap (a share of the required capacity) and
  :math:`A` an optional availability target.

Decisions, all integers :math:`\ge 0`: :math:`R^{1y}_t, R^{3y}_t` reserved instances, constant
over the horizon; :math:`O_{th}, S_{th}` on-demand and spot instances in hour *h*.

Objective (USD over the horizon)

.. math::
    \min\; H \sum_t (P^{1y}_t R^{1y}_t + P^{3y}_t R^{3y}_t)
          + \sum_h \sum_t (P^{od}_t O_{th} + P^{s}_t S_{th})

Constraints, every hour *h*

* cover: :math:`\sum_t c_t (R^{1y}_t + R^{3y}_t + O_{th} + S_{th}) \ge D_h`;
* spot: :math:`\sum_t \omega_t c_t S_{th} \le D_h` with
  :math:`\omega_t = \max(1/\sigma,\; q_t / (1 - A))`. With a cap alone this says spot
  supplies at most :math:`\sigma` of the required capacity; with a target alone it says an
  interruption takes away at most :math:`1 - A` of it. Given both, the single weighted
  constraint implies both (it is slightly conservative). :math:`\sigma = 1` without a target
  means no spot limit, which is refused when any :math:`q_t > 0` (nothing to fall back on);
* budget (optional): the objective :math:`\le B`. It never changes the cheapest plan, so
  it is checked after solving: a budget below the optimum is reported, with the smallest
  budget that works and the share of demand the budget serves, as a result (status
  ``infeasible``), never as an exception.

Reserved capacity is paid in every hour of the horizon, used or not; the horizon stands for
the term (a week or a year of hourly demand, repeated). With prices constant per hour, only
the cheaper of the allowed terms is ever used for a type.

Decomposition (why it is fast, and exact where it says so)
----------------------------------------------------------
The reserved vector enters each hour only through its capacity
:math:`K = \sum_t c_t (R^{1y}_t + R^{3y}_t)`. Given *K* the hours decouple into small
integer programs :math:`G_h(K)` (cover :math:`D_h - K` with on-demand and spot under the spot
constraint), each non-increasing in *K*. So

.. math:: z^* = \min_K\; H\,C_R(K) + \sum_h G_h(K),

where :math:`C_R(K)` is the cheapest reserved vector of capacity at least *K* (an unbounded
covering knapsack). Only the steps of :math:`C_R` (the *reserved staircase*) can be optimal,
because a vector that is dearer than a staircase step of no less capacity is dominated.
All of it is computed with the true capacities, in floating point with a relative
tolerance of 1e-9 on cover: nothing is rounded to a grid.

1. **LP bound.** Relaxing integrality, :math:`G_h(K) = D_h\,\gamma(1 - K/D_h)`, where
   :math:`\gamma` is one convex piecewise-linear function on [0, 1] (the best on-demand price
   per capacity, less what the best spot types save under the spot constraint; its
   breakpoints are :math:`1/\omega_t`). Summing over hours gives an exact piecewise-linear
   curve in *K* (the load-duration-curve argument), and the LP relaxation of the whole MILP
   is its minimum plus :math:`H \rho_R K` at the best reserved price per capacity
   :math:`\rho_R`. Cost: sorting :math:`H \cdot |T|` breakpoints.
2. **Staircases.** The Pareto frontier of combinations (capacity up, cost up), enumerated
   exactly, one type at a time, while it stays small (a few hundred instances at the top).
   Past that the reserved staircase is *restricted*: n copies of the type with the best
   price per capacity, plus, near the LP's optimal *K*, exact combinations of the others.
   Its steps are real vectors with their true capacities (so plans stay feasible), but it
   is marked incomplete and no bound is drawn from it.
3. **Hours.** An hour's fleet is a *spot bundle* (weighted spot instances: a point of the
   3-D Pareto set of capacity, spot weight and cost) plus *free* instances (on-demand, and
   spot without a limit) from their staircase. For each j, :math:`\Phi_j(x)` is the
   cheapest such cover of capacity *x* using one of the j lightest bundles; an hour whose
   budget admits j bundles costs :math:`\Phi_j(D_h - K)`, one sorted lookup for all hours.
   *Whole hours*: when both lists reach the peak hour, this is each hour's exact optimum.
   *Large fleets*: each hour first fixes the integer part of its LP solution, and the lists
   (every weighted type, up to a few instances) cover what is left; the plan is then
   polished hour by hour by exact 1-for-1 swaps and removals.
4. **Branch and bound over K.** Staircase steps are visited in order of their lower bound
   :math:`H C_R(K) + \sum_h G^{LP}_h(K)` and pruned once that bound reaches the incumbent.
   Without whole hours (large fleets, where the LP is tight) at most 24 steps are costed;
   ``time_limit_seconds`` caps the search.

The reported lower bound is the tightest one proven: the LP relaxation, raised, when the
reserved staircase is complete, to the minimum over its steps of each step's best bound
(its exact cost once costed with whole hours, else its LP bound); with whole hours and a
search that ran to the end, that is the integer optimum. The gap is
``(cost - bound) / cost``. ``solve_full_milp`` states the same problem naively for HiGHS;
``bench/bench_fleet.py`` compares the two on year-long profiles with 10 types.

Statuses
--------
``optimal``
    The plan's cost equals the proven lower bound (gap below 1e-9): whole hours and a
    complete reserved staircase, searched to the end.
``feasible``
    A plan that covers every hour and keeps the spot constraint, with the gap to the proven
    bound. When the search stopped at ``time_limit_seconds`` the message says so, and
    ``details["time_limit_reached"]``.
``infeasible``
    A budget below the cheapest plan found. The plan is still the cheapest one; the result
    carries ``min_budget_usd`` and ``served_fraction``.

Validation is apart from solving (as scipy's ``_milp_iv`` feeds ``milp``):
:func:`optimize_mix` reads :func:`check_problem`, then solves, then wraps the result. Invalid
input (empty or negative demand, no usable instance type, a 100% spot cap with a nonzero
interruption rate...) raises :class:`~planner.core.errors.PlannerInputError` from
:func:`check_problem`, with a "To fix" hint. Valid input never raises: every status above
is a result.

Examples
--------
>>> option = InstanceOption(name="a", capacity=10.0, on_demand_usd_per_hour=1.0,
...                         reserved_1y_usd_per_hour=0.6)
>>> plan = optimize_mix(MixProblem(demand=(10.0, 10.0, 25.0, 5.0), options=(option,)))
>>> plan.status, plan.reserved_counts()["a"], round(plan.total_cost_usd, 2)
(<MixStatus.OPTIMAL: 'optimal'>, 1, 4.4)
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from planner.catalog import PriceTier
from planner.core.errors import PlannerInputError

__all__ = [
    "MAX_HOURS",
    "InstanceOption",
    "MixPlan",
    "MixProblem",
    "MixStatus",
    "check_problem",
    "optimize_mix",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
SmallIntArray = npt.NDArray[np.int32]  # indices kept by the million
_Payload = TypeVar("_Payload", IntArray, SmallIntArray)

MAX_HOURS = 8_784  # a leap year, hourly
MAX_TYPES = 60
_CANDIDATES = 400_000  # combinations one staircase enumeration may hold before it gives up
_BUNDLES = 1_000  # spot bundles an hour model may hold (their Pareto filter is quadratic)
_CLASS_POINTS = 2_500_000  # points of all the classes Phi_j together (32 bytes each)
_REMAINDER_TYPES = 3  # weighted spot types a fallback remainder varies, 0-3 copies each
_REMAINDER_STEPS = 24  # staircase steps costed when hours are not solved exactly
_FOCUS_COPIES = 64  # copies of the best item either side of the LP optimum, in a restriction
_EPS = 1e-9


class MixStatus(enum.StrEnum):
    """Outcome of :func:`optimize_mix` (see the module docstring)."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceOption:
    """One instance type the optimizer may use, with its capacity and hourly prices.

    A price of ``None`` means the tier is not available for this type. ``interruption_rate``
    is the share of this type's spot capacity that may be reclaimed at once (:math:`q_t`),
    not the per-instance hazard.
    """

    name: str
    capacity: float
    on_demand_usd_per_hour: float | None = None
    spot_usd_per_hour: float | None = None
    reserved_1y_usd_per_hour: float | None = None
    reserved_3y_usd_per_hour: float | None = None
    interruption_rate: float = 0.0

    def price(self, tier: PriceTier) -> float | None:
        """The hourly price in ``tier``, or ``None``.

        >>> InstanceOption(name="x", capacity=1, spot_usd_per_hour=0.2).price(PriceTier.SPOT)
        0.2
        """
        prices = {
            PriceTier.ON_DEMAND: self.on_demand_usd_per_hour,
            PriceTier.SPOT: self.spot_usd_per_hour,
            PriceTier.RESERVED_1Y: self.reserved_1y_usd_per_hour,
            PriceTier.RESERVED_3Y: self.reserved_3y_usd_per_hour,
        }
        return prices[tier]


@dataclass(frozen=True, slots=True, kw_only=True)
class MixProblem:
    """Hourly demand, the instance types to choose from, and the rules of the mix.

    ``demand`` is in the same unit as each option's ``capacity`` (requests per second).
    ``spot_max_share`` caps spot at that share of the required capacity (1 = no cap);
    ``availability_target`` bounds what an interruption can take away (see the module
    docstring). ``budget_usd`` is over the whole horizon. ``tiers`` lists the tiers allowed.
    ``fixed_reserved`` holds, per option, the (1-y, 3-y) reservations already decided (by
    :func:`planner.models.commitments.plan_commitments`, over their term): the optimizer
    then only buys the hours above them.
    """

    demand: tuple[float, ...]
    options: tuple[InstanceOption, ...]
    headroom: float = 0.0
    spot_max_share: float = 1.0
    availability_target: float | None = None
    budget_usd: float | None = None
    tiers: frozenset[PriceTier] = frozenset(PriceTier)
    time_limit_seconds: float = 20.0
    fixed_reserved: tuple[tuple[int, int], ...] | None = None


@dataclass(frozen=True, kw_only=True, eq=False)
class MixPlan:
    """The optimizer's answer: a plan, its cost by tier, and how good it is proven to be.

    ``reserved_1y`` / ``reserved_3y`` hold one count per type (in ``type_names`` order);
    ``on_demand`` and ``spot`` are ``(hours, types)`` integer arrays.
    """

    status: MixStatus
    message: str
    method: str
    total_cost_usd: float
    lower_bound_usd: float
    lp_bound_usd: float
    gap: float
    solve_seconds: float
    type_names: tuple[str, ...]
    capacities: tuple[float, ...]
    reserved_1y: tuple[int, ...]
    reserved_3y: tuple[int, ...]
    on_demand: IntArray
    spot: IntArray
    demand: FloatArray
    required: FloatArray
    cost_by_tier_usd: Mapping[PriceTier, float]
    commitment_utilisation: float | None
    commitment_coverage: float | None
    budget_usd: float | None = None
    min_budget_usd: float | None = None
    served_fraction: float | None = None
    notes: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def hours(self) -> int:
        return int(self.demand.shape[0])

    def reserved_counts(self) -> dict[str, int]:
        """Reserved instances per type, both terms together."""
        return {
            name: int(one + three)
            for name, one, three in zip(
                self.type_names, self.reserved_1y, self.reserved_3y, strict=True
            )
        }

    def reserved_by_term(self) -> dict[str, dict[str, int]]:
        """Reserved instances per type and term, leaving out zeros."""
        result: dict[str, dict[str, int]] = {}
        for name, one, three in zip(
            self.type_names, self.reserved_1y, self.reserved_3y, strict=True
        ):
            terms = {
                str(tier): int(count)
                for tier, count in ((PriceTier.RESERVED_1Y, one), (PriceTier.RESERVED_3Y, three))
                if count
            }
            if terms:
                result[name] = terms
        return result

    def hourly_frame(self) -> pd.DataFrame:
        """One row per hour: demand, required capacity, instances and capacity by tier."""
        caps = np.asarray(self.capacities, dtype=float)
        r1 = np.asarray(self.reserved_1y, dtype=np.int64)
        r3 = np.asarray(self.reserved_3y, dtype=np.int64)
        hours = self.hours
        return pd.DataFrame(
            {
                "hour": np.arange(hours),
                "demand": self.demand,
                "required": self.required,
                "reserved_1y": np.full(hours, int(r1.sum())),
                "reserved_3y": np.full(hours, int(r3.sum())),
                "on_demand": self.on_demand.sum(axis=1),
                "spot": self.spot.sum(axis=1),
                "reserved_1y_capacity": np.full(hours, float(caps @ r1)),
                "reserved_3y_capacity": np.full(hours, float(caps @ r3)),
                "on_demand_capacity": self.on_demand @ caps,
                "spot_capacity": self.spot @ caps,
                "cost_usd": self.details.get("hourly_cost", np.zeros(hours)),
            }
        )

    def hourly_records(self) -> list[dict[str, float | int]]:
        """The ``mix --json`` list: hour, demand and the instance counts per tier."""
        one_year = sum(self.reserved_1y)
        three_year = sum(self.reserved_3y)
        on_demand = self.on_demand.sum(axis=1).tolist()
        spot = self.spot.sum(axis=1).tolist()
        return [
            {
                "hour": hour,
                "demand": float(demand),
                "reserved_1y": one_year,
                "reserved_3y": three_year,
                "on_demand": int(on_demand[hour]),
                "spot": int(spot[hour]),
            }
            for hour, demand in enumerate(self.demand.tolist())
        ]

    def by_type_frame(self) -> pd.DataFrame:
        """Per type: reserved counts, peak and average on-demand and spot, and cost."""
        prices = self.details.get("prices", {})
        rows = []
        for i, name in enumerate(self.type_names):
            rows.append(
                {
                    "instance_type": name,
                    "capacity": self.capacities[i],
                    "reserved_1y": int(self.reserved_1y[i]),
                    "reserved_3y": int(self.reserved_3y[i]),
                    "on_demand_peak": int(self.on_demand[:, i].max(initial=0)),
                    "on_demand_mean": float(self.on_demand[:, i].mean()) if self.hours else 0.0,
                    "spot_peak": int(self.spot[:, i].max(initial=0)),
                    "spot_mean": float(self.spot[:, i].mean()) if self.hours else 0.0,
                    "cost_usd": float(prices.get(name, 0.0)),
                }
            )
        return pd.DataFrame(rows)


# --------------------------------------------------------------------------- validation


def check_problem(problem: MixProblem) -> None:
    """Refuse a problem the optimizer cannot answer, saying what to change.

    Raises
    ------
    PlannerInputError
        Empty, too long, negative or non-finite demand; no instance type with an on-demand
        price; a capacity or price out of range; a 100% spot cap with a nonzero
        interruption rate; headroom, cap, target or budget out of range.

    Examples
    --------
    >>> opt = InstanceOption(name="a", capacity=1, on_demand_usd_per_hour=1,
    ...                      spot_usd_per_hour=0.3, interruption_rate=0.2)
    >>> check_problem(MixProblem(demand=(1.0,), options=(opt,), spot_max_share=1.0))
    Traceback (most recent call last):
    ...
    planner.core.errors.PlannerInputError: A spot cap of 100% with a spot interruption rate of 20% \
(a) leaves nothing to fall back on when spot capacity is reclaimed. To fix: lower the spot \
cap (at most 80% keeps capacity when 20% of spot is reclaimed at full load), or set an \
availability target.
    """
    demand = problem.demand
    if len(demand) == 0:
        raise PlannerInputError("The demand profile is empty", fix="give at least one hour")
    if len(demand) > MAX_HOURS:
        raise PlannerInputError(
            f"The demand profile has {len(demand):,} hours; the optimizer takes at most "
            f"{MAX_HOURS:,} (a year, hourly)",
            fix="aggregate the profile to hours, or split it by year",
        )
    values = np.asarray(demand, dtype=float)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.size:
        raise PlannerInputError(
            f"demand in hour {int(bad[0])} is {float(values[bad[0]])!r}; demand must be a finite "
            "number of requests per second, 0 or more",
            fix="correct that hour in the profile",
        )
    if not problem.options:
        raise PlannerInputError(
            "No instance type is available to the optimizer",
            fix="add at least one instance type that can serve the model",
        )
    if len(problem.options) > MAX_TYPES:
        raise PlannerInputError(
            f"{len(problem.options)} instance types; the optimizer takes at most {MAX_TYPES}",
            fix="keep the types you would really run",
        )
    names = [option.name for option in problem.options]
    if len(set(names)) != len(names):
        raise PlannerInputError("An instance type is listed twice", fix="list each type once")
    for option in problem.options:
        if not (math.isfinite(option.capacity) and option.capacity > 0):
            raise PlannerInputError(
                f"instance type {option.name!r} has capacity {option.capacity!r}",
                fix="give a capacity above 0 requests per second per instance",
            )
        for tier in PriceTier:
            price = option.price(tier)
            if price is not None and not (math.isfinite(price) and price > 0):
                raise PlannerInputError(
                    f"instance type {option.name!r} has {tier.label} price {price!r}",
                    fix="give a price above 0 USD per hour, or leave the tier out",
                )
        if not (0.0 <= option.interruption_rate <= 1.0):
            raise PlannerInputError(
                f"instance type {option.name!r} has interruption rate {option.interruption_rate!r}",
                fix="give a fraction between 0 and 1, e.g. 0.1 for 10%",
            )
    if PriceTier.ON_DEMAND not in problem.tiers or not any(
        option.on_demand_usd_per_hour is not None for option in problem.options
    ):
        raise PlannerInputError(
            "No instance type can be bought on demand, so hours above the reserved capacity "
            "could go uncovered",
            fix="allow the on-demand tier and include a type with an on-demand price",
        )
    if not (0.0 <= problem.headroom <= 10.0):
        raise PlannerInputError(
            f"headroom is {problem.headroom!r}", fix="give a fraction from 0 to 10, e.g. 0.2"
        )
    if not (0.0 <= problem.spot_max_share <= 1.0):
        raise PlannerInputError(
            f"spot cap is {problem.spot_max_share!r}",
            fix="give a share from 0 to 1 of the required capacity",
        )
    target = problem.availability_target
    if target is not None and not (0.0 < target <= 1.0):
        raise PlannerInputError(
            f"availability target is {target!r}", fix="give a fraction in (0, 1], e.g. 0.99"
        )
    budget = problem.budget_usd
    if budget is not None and not (math.isfinite(budget) and budget > 0):
        raise PlannerInputError(
            f"budget is {budget!r}", fix="give a budget above 0 USD, or leave it out"
        )
    if not (math.isfinite(problem.time_limit_seconds) and problem.time_limit_seconds > 0):
        raise PlannerInputError(
            f"time limit is {problem.time_limit_seconds!r}", fix="give a few seconds"
        )
    fixed = problem.fixed_reserved
    if fixed is not None:
        if len(fixed) != len(problem.options) or any(min(pair) < 0 for pair in fixed):
            raise PlannerInputError(
                "fixed reservations need one (1-y, 3-y) pair of counts, 0 or more, per type",
                fix="give a pair for each instance type",
            )
        for option, (one, three) in zip(problem.options, fixed, strict=True):
            for count, tier in ((one, PriceTier.RESERVED_1Y), (three, PriceTier.RESERVED_3Y)):
                if count and option.price(tier) is None:
                    raise PlannerInputError(
                        f"{count} {tier.label} reservations of {option.name!r}, which has no "
                        f"{tier.label} price",
                        fix="give the price, or no reservations of that term",
                    )
    spot_used = PriceTier.SPOT in problem.tiers and problem.spot_max_share > 0
    if spot_used and problem.spot_max_share >= 1.0 and target is None:
        risky = [
            option
            for option in problem.options
            if option.spot_usd_per_hour is not None and option.interruption_rate > 0
        ]
        if risky:
            worst = max(risky, key=lambda option: option.interruption_rate)
            rate = worst.interruption_rate
            safe = max(0.0, 1.0 - rate)
            raise PlannerInputError(
                f"A spot cap of 100% with a spot interruption rate of {rate:.0%} "
                f"({worst.name}) leaves nothing to fall back on when spot capacity is reclaimed",
                fix=(
                    f"lower the spot cap (at most {safe:.0%} keeps capacity when {rate:.0%} "
                    "of spot is reclaimed at full load), or set an availability target"
                ),
            )


# --------------------------------------------------------------------------- preparation


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Prep:
    names: tuple[str, ...]
    cap: FloatArray  # (T,)
    p_od: FloatArray  # (T,) inf where unavailable
    p_spot: FloatArray  # (T,) inf where unavailable
    p_res: FloatArray  # (T,) cheapest allowed reserved price, inf where none
    res_tier: tuple[PriceTier | None, ...]
    omega: FloatArray  # (T,) spot weight; inf where spot unavailable
    demand: FloatArray  # (H,)
    required: FloatArray  # (H,)
    od_best: int  # index of the best on-demand price per capacity
    rho_res: float  # best reserved price per capacity (inf if none)


def _prepare(problem: MixProblem) -> _Prep:
    options = problem.options
    tiers = problem.tiers
    cap = np.array([o.capacity for o in options], dtype=float)

    def prices(tier: PriceTier) -> FloatArray:
        return np.array(
            [
                (o.price(tier) if tier in tiers and o.price(tier) is not None else math.inf)
                for o in options
            ],
            dtype=float,
        )

    p_od = prices(PriceTier.ON_DEMAND)
    p_spot = prices(PriceTier.SPOT)
    p1, p3 = prices(PriceTier.RESERVED_1Y), prices(PriceTier.RESERVED_3Y)
    p_res = np.minimum(p1, p3)
    res_tier = tuple(
        None
        if not math.isfinite(min(a, b))
        else (PriceTier.RESERVED_3Y if b <= a else PriceTier.RESERVED_1Y)
        for a, b in zip(p1, p3, strict=True)
    )
    sigma = problem.spot_max_share
    cap_weight = math.inf if sigma <= 0 else (0.0 if sigma >= 1 else 1.0 / sigma)
    target = problem.availability_target
    omega = np.empty(len(options))
    for i, option in enumerate(options):
        weight = cap_weight
        if target is not None and option.interruption_rate > 0:
            weight = (
                math.inf if target >= 1 else max(weight, option.interruption_rate / (1 - target))
            )
        omega[i] = weight
    p_spot = np.where(np.isfinite(omega), p_spot, math.inf)
    omega = np.where(np.isfinite(p_spot), omega, math.inf)
    demand = np.asarray(problem.demand, dtype=float)
    required = demand * (1.0 + problem.headroom)
    od_ratio = p_od / cap
    return _Prep(
        names=tuple(o.name for o in options),
        cap=cap,
        p_od=p_od,
        p_spot=p_spot,
        p_res=p_res,
        res_tier=res_tier,
        omega=omega,
        demand=demand,
        required=required,
        od_best=int(np.argmin(od_ratio)),
        rho_res=float(np.min(p_res / cap)),
    )


# --------------------------------------------------------------------------- LP relaxation


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Gamma:
    """gamma(rho): LP cost of covering rho x D with flexible capacity when the spot budget is
    D, per unit of D. ``spot`` holds the optimal spot capacity per type at each breakpoint."""

    rho: FloatArray  # breakpoints, 0 .. 1
    value: FloatArray
    spot: FloatArray  # (len(rho), T)
    od_price: float  # best on-demand price per capacity


def _gamma(prep: _Prep) -> _Gamma:
    a_star = float(prep.p_od[prep.od_best] / prep.cap[prep.od_best])
    saving = a_star - prep.p_spot / prep.cap  # per unit of capacity
    useful = np.flatnonzero(np.isfinite(saving) & (saving > _EPS))
    omega = prep.omega
    points = {0.0, 1.0}
    for t in useful:
        if omega[t] > 1.0:
            points.add(1.0 / omega[t])
    rho = np.array(sorted(points))
    n_types = prep.cap.shape[0]
    spot = np.zeros((rho.shape[0], n_types))
    value = np.empty(rho.shape[0])
    for k, r in enumerate(rho):
        best, best_y = 0.0, np.zeros(n_types)
        for i in useful:
            limit = r if omega[i] <= 0 else min(r, 1.0 / omega[i])
            gain = saving[i] * limit
            if gain > best + _EPS:
                best, best_y = gain, np.zeros(n_types)
                best_y[i] = limit
        for ii, i in enumerate(useful):
            for j in useful[ii + 1 :]:
                wi, wj = omega[i], omega[j]
                if abs(wi - wj) < _EPS:
                    continue
                yi = (1.0 - wj * r) / (wi - wj)
                yj = r - yi
                if yi < -_EPS or yj < -_EPS:
                    continue
                yi, yj = max(yi, 0.0), max(yj, 0.0)
                gain = saving[i] * yi + saving[j] * yj
                if gain > best + _EPS:
                    best, best_y = gain, np.zeros(n_types)
                    best_y[i], best_y[j] = yi, yj
        value[k] = a_star * r - best
        spot[k] = best_y
    return _Gamma(rho=rho, value=value, spot=spot, od_price=a_star)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _LpCurve:
    """Sum over hours of the LP flexible cost, as an exact piecewise-linear function of K."""

    k: FloatArray
    total: FloatArray

    def __call__(self, k: FloatArray) -> FloatArray:
        return np.asarray(np.interp(k, self.k, self.total, right=0.0), dtype=float)


def _lp_curve(required: FloatArray, gamma: _Gamma) -> _LpCurve:
    demand = required[required > 0]
    rho, value = gamma.rho, gamma.value
    slopes = np.diff(value) / np.diff(rho)  # slope s_k on [rho_{k-1}, rho_k], k = 1..m
    m = slopes.shape[0]
    # Each hour's cost D * gamma(1 - K / D) has slope -gamma'(rho) in K: no factor D.
    total0 = float(demand.sum() * value[-1])
    slope0 = -float(demand.shape[0] * slopes[-1])
    positions = [demand]  # at K = D the slope rises from -s_1 to 0
    changes = [np.full(demand.shape[0], slopes[0])]
    for k in range(1, m):  # at K = D (1 - rho_k) the slope goes from -s_{k+1} to -s_k
        positions.append(demand * (1.0 - rho[k]))
        changes.append(np.full(demand.shape[0], slopes[k] - slopes[k - 1]))
    pos = np.concatenate(positions) if positions else np.zeros(0)
    chg = np.concatenate(changes) if changes else np.zeros(0)
    order = np.argsort(pos, kind="stable")
    pos, chg = pos[order], chg[order]
    knots = np.concatenate([[0.0], pos])
    slope_after = slope0 + np.concatenate([[0.0], np.cumsum(chg)])
    totals = total0 + np.concatenate([[0.0], np.cumsum(slope_after[:-1] * np.diff(knots))])
    totals = np.maximum(totals, 0.0)
    return _LpCurve(k=knots, total=totals)


# --------------------------------------------------------------------------- exact staircases


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Stairs:
    """C(x), the cheapest multiset of items with capacity at least x, for x up to ``span``.

    Steps ascend in capacity and cost; ``capacity`` is capped at ``span`` (no hour needs
    more). ``complete`` says every step of C is listed; otherwise the steps are real,
    feasible vectors but C may have cheaper ones in between (see :func:`_stairs`).
    """

    capacity: FloatArray
    cost: FloatArray
    counts: IntArray  # (steps, items)
    span: float
    complete: bool


def _frontier(
    cap: FloatArray, cost: FloatArray, counts: _Payload, span: float
) -> tuple[FloatArray, FloatArray, _Payload]:
    """Keep the points that no other point beats on capacity (up to ``span``) and cost."""
    effective = np.minimum(cap, span)
    order = np.lexsort((cost, -effective))  # capacity descending, then cost ascending
    sorted_cost = cost[order]
    running = np.minimum.accumulate(np.concatenate([[np.inf], sorted_cost]))[:-1]
    keep = order[sorted_cost < running]
    keep = keep[np.argsort(effective[keep], kind="stable")]
    return effective[keep], cost[keep], counts[keep]


def _enumerate(
    caps: FloatArray, prices: FloatArray, span: float, items: IntArray
) -> tuple[FloatArray, FloatArray, IntArray] | None:
    """Every step of C over ``items`` (indices into caps / prices), or ``None`` if too many.

    Items are added one at a time, 0, 1, 2... copies on top of each step so far, and the
    dominated combinations dropped: exact, in real arithmetic.
    """
    cap = np.zeros(1)
    cost = np.zeros(1)
    counts = np.zeros((1, caps.shape[0]), dtype=np.int64)
    for t in items.tolist():
        c, p = float(caps[t]), float(prices[t])
        extra = np.ceil(np.maximum(span - cap, 0.0) / c).astype(np.int64)
        total = int((extra + 1).sum())
        if total > _CANDIDATES:
            return None
        parent = np.repeat(np.arange(cap.shape[0]), extra + 1)
        offsets = np.arange(total) - np.repeat(np.cumsum(extra + 1) - (extra + 1), extra + 1)
        cap = cap[parent] + offsets * c
        cost = cost[parent] + offsets * p
        counts = counts[parent]
        counts[:, t] += offsets
        cap, cost, counts = _frontier(cap, cost, counts, span)
    return cap, cost, counts


def _stairs(
    caps: FloatArray, prices: FloatArray, span: float, focus: float | None = None
) -> _Stairs:
    """The staircase of C up to ``span`` over the items with a finite price.

    Exact while the enumeration stays small (a few hundred instances at the top). Beyond
    that, C is restricted to n copies of the best item per capacity (every n within
    ``_FOCUS_COPIES`` of ``focus``, where the LP puts the optimum, and 257 spread over the
    rest), plus, for the n near the focus, one step of the exact staircase of the other items
    up to twice its capacity. Every step is a real vector with its true capacity (no
    rounding), but C may be cheaper between them: ``complete`` is False.
    """
    usable = np.flatnonzero(np.isfinite(prices))
    n_items = caps.shape[0]
    if usable.size == 0 or span <= 0:
        return _Stairs(
            capacity=np.zeros(1),
            cost=np.zeros(1),
            counts=np.zeros((1, n_items), dtype=np.int64),
            span=span,
            complete=True,
        )
    exact = _enumerate(caps, prices, span, usable)
    if exact is not None:
        return _Stairs(capacity=exact[0], cost=exact[1], counts=exact[2], span=span, complete=True)
    best = int(usable[np.argmin(prices[usable] / caps[usable])])
    c_best, p_best = float(caps[best]), float(prices[best])
    rest = None
    for width in (2.0, 1.0, 0.5):
        rest = _enumerate(caps, prices, min(span, width * c_best), usable[usable != best])
        if rest is not None:
            break
    if rest is None:
        rest = (np.zeros(1), np.zeros(1), np.zeros((1, n_items), dtype=np.int64))
    # All copies near the focus, and a coarse sample of the rest (a fleet may run to
    # millions of instances).
    top = math.ceil(span / c_best)
    centre = top // 2 if focus is None else min(top, round(focus / c_best))
    near = np.arange(max(0, centre - _FOCUS_COPIES), min(top, centre + _FOCUS_COPIES) + 1)
    copies = np.unique(np.concatenate([near, np.round(np.linspace(0, top, 257))])).astype(np.int64)
    cap = np.concatenate([copies * c_best, (near[:, None] * c_best + rest[0][None, :]).ravel()])
    cost = np.concatenate([copies * p_best, (near[:, None] * p_best + rest[1][None, :]).ravel()])
    counts = np.concatenate(
        [np.zeros((copies.shape[0], n_items), dtype=np.int64), np.tile(rest[2], (near.shape[0], 1))]
    )
    counts[:, best] += np.concatenate([copies, np.repeat(near, rest[0].shape[0])])
    cap, cost, counts = _frontier(cap, cost, counts, span)
    return _Stairs(capacity=cap, cost=cost, counts=counts, span=span, complete=False)


def _tolerance(required: FloatArray) -> FloatArray:
    """Floating-point slack on capacity sums: covered means within 1e-9 relative."""
    return np.asarray(1e-9 * np.maximum(1.0, np.abs(required)), dtype=float)


# --------------------------------------------------------------------------- spot bundles


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Bundles:
    """Combinations of weighted spot instances: capacity, spot weight, cost and counts."""

    capacity: FloatArray  # capped at the span the hours need
    weight: FloatArray
    cost: FloatArray
    counts: IntArray  # (bundles, types)


def _pareto3(cap: FloatArray, weight: FloatArray, cost: FloatArray) -> npt.NDArray[np.bool_]:
    """Mask of the points no other point beats on capacity (higher), weight and cost (lower).

    Points are taken cheapest first, in blocks; each is checked against the points kept so
    far and the earlier ones of its block, so the work grows with points x kept points.
    """
    n = cap.shape[0]
    order = np.lexsort((-cap, weight, cost))
    c, w = cap[order], weight[order]
    kept_c, kept_w = np.zeros(0), np.zeros(0)
    keep = np.zeros(n, dtype=bool)
    for start in range(0, n, 256):
        bc, bw = c[start : start + 256], w[start : start + 256]
        beaten = ((kept_c[None, :] >= bc[:, None]) & (kept_w[None, :] <= bw[:, None])).any(axis=1)
        inside = (bc[None, :] >= bc[:, None]) & (bw[None, :] <= bw[:, None])
        inside &= np.tri(bc.shape[0], k=-1, dtype=bool)  # only earlier points of the block
        survivors = ~beaten & ~inside.any(axis=1)
        keep[order[start : start + 256][survivors]] = True
        kept_c = np.concatenate([kept_c, bc[survivors]])
        kept_w = np.concatenate([kept_w, bw[survivors]])
    return keep


def _bundles(
    prep: _Prep, types: IntArray, span: float, budget: float, most: float, limit: int
) -> _Bundles | None:
    """Spot bundles of ``types`` (weight at most ``budget``, at most ``most`` copies of each
    type, capacity capped at ``span``), dominated ones dropped; ``None`` if over ``limit``.

    With ``budget`` the peak and ``most`` infinite, every bundle an hour can use is covered:
    any other is beaten by a listed one on capacity, weight and cost.
    """
    n_types = prep.cap.shape[0]
    cap = np.zeros(1)
    weight = np.zeros(1)
    cost = np.zeros(1)
    counts = np.zeros((1, n_types), dtype=np.int64)
    for t in types.tolist():
        c, w, p = float(prep.cap[t]), float(prep.omega[t] * prep.cap[t]), float(prep.p_spot[t])
        fits = np.floor((budget - weight) / w * (1 + 1e-12))
        useful = np.ceil(np.maximum(span - cap, 0.0) / c)
        copies = np.clip(np.minimum(np.minimum(fits, useful), most), 0, None).astype(np.int64)
        total = int((copies + 1).sum())
        if total > _CANDIDATES:
            return None
        parent = np.repeat(np.arange(cap.shape[0]), copies + 1)
        offsets = np.arange(total) - np.repeat(np.cumsum(copies + 1) - (copies + 1), copies + 1)
        cap = np.minimum(cap[parent] + offsets * c, span)
        weight = weight[parent] + offsets * w
        cost = cost[parent] + offsets * p
        counts = counts[parent]
        counts[:, t] += offsets
        if cap.shape[0] > 64 * limit:  # too many to filter quickly
            return None
        keep = _pareto3(cap, weight, cost)
        cap, weight, cost, counts = cap[keep], weight[keep], cost[keep], counts[keep]
        if cap.shape[0] > 4 * limit:  # later types rarely thin the set out again
            return None
    if cap.shape[0] > limit:
        return None
    return _Bundles(capacity=cap, weight=weight, cost=cost, counts=counts)


# --------------------------------------------------------------------------- hourly solutions


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Classes:
    """Phi_j(x): the cheapest cover of capacity x by one of the j lightest spot bundles plus
    free items (on-demand, and spot without a limit), for every j, flattened.

    An hour whose spot budget admits the j lightest bundles reads Phi_j at its residual, so
    one sorted lookup costs every hour for a given reserved capacity. Points ascend in
    capacity (capped at ``span``) and descend in cost within a class; ``key`` orders them
    across classes as ``class * stride + capacity``.
    """

    weight: FloatArray  # bundle weights, ascending: class j admits weight[0..j]
    start: IntArray  # (classes + 1,) where each class begins in the flat arrays
    capacity: FloatArray
    key: FloatArray
    cost: FloatArray
    bundle: SmallIntArray  # bundle of each point
    free_step: SmallIntArray  # step of the free staircase of each point
    stride: float


_Steps = tuple[FloatArray, FloatArray, SmallIntArray]


def _merge(a: _Steps, b: _Steps) -> _Steps:
    """The staircase of the union of two staircases (capacity and cost strictly ascending).

    In a staircase the cheapest point of capacity at least c is the first one at or above c,
    so each point is checked against one point of the other staircase; ties keep ``a``.
    """
    a_cap, a_cost, a_pay = a
    b_cap, b_cost, b_pay = b
    i = np.searchsorted(b_cap, a_cap, side="left")  # first b at or above each a
    i_ok = i < b_cap.shape[0]
    i = np.minimum(i, b_cap.shape[0] - 1)
    a_lost = i_ok & ((b_cost[i] < a_cost) | ((b_cost[i] == a_cost) & (b_cap[i] > a_cap)))
    k = np.searchsorted(a_cap, b_cap, side="left")  # first a at or above each b
    k_ok = k < a_cap.shape[0]
    k = np.minimum(k, a_cap.shape[0] - 1)
    b_lost = k_ok & (a_cost[k] <= b_cost)
    cap = np.concatenate([a_cap[~a_lost], b_cap[~b_lost]])
    order = np.argsort(cap, kind="stable")  # two sorted runs: a merge
    cost = np.concatenate([a_cost[~a_lost], b_cost[~b_lost]])[order]
    pay = np.concatenate([a_pay[~a_lost], b_pay[~b_lost]])[order]
    return cap[order], cost, pay


def _classes(free: _Stairs, bundles: _Bundles, limit: float) -> _Classes | None:
    """Build Phi_j for every j by merging one bundle at a time; ``None`` past ``limit`` points."""
    order = np.argsort(bundles.weight, kind="stable")  # the empty bundle (weight 0) first
    span = free.span
    steps = np.arange(free.capacity.shape[0], dtype=np.int32)
    cap = free.capacity
    cost = free.cost + bundles.cost[order[0]]
    payload = np.stack([np.zeros_like(steps), steps], axis=1)
    caps, costs, payloads, starts = [cap], [cost], [payload], [0, cap.shape[0]]
    for j in range(1, order.shape[0]):
        e = order[j]
        shifted = np.minimum(free.capacity + bundles.capacity[e], span)
        last = int(np.searchsorted(shifted, span, side="left")) + 1  # one step at the span
        cap, cost, payload = _merge(
            (cap, cost, payload),
            (
                shifted[:last],
                free.cost[:last] + bundles.cost[e],
                np.stack([np.full(last, j, dtype=np.int32), steps[:last]], axis=1),
            ),
        )
        caps.append(cap)
        costs.append(cost)
        payloads.append(payload)
        starts.append(starts[-1] + cap.shape[0])
        if starts[-1] > limit:
            return None
    stride = 2.0 * span + 1.0
    flat_cap = np.concatenate(caps)
    start = np.asarray(starts, dtype=np.int64)
    klass = np.repeat(np.arange(order.shape[0]), np.diff(start))
    flat_payload = np.concatenate(payloads)
    return _Classes(
        weight=bundles.weight[order],
        start=start,
        capacity=flat_cap,
        key=klass * stride + flat_cap,
        cost=np.concatenate(costs),
        bundle=order[flat_payload[:, 0]].astype(np.int32),
        free_step=flat_payload[:, 1],
        stride=stride,
    )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _HourModel:
    """How one hour's flexible fleet is chosen for a given reserved capacity K.

    Each hour buys a spot bundle (weighted spot: it uses the spot budget) and covers the
    rest with the staircase of *free* items (on-demand, and spot without a limit), through
    :class:`_Classes`. With ``exact`` both lists are complete up to the peak, so each hour
    is solved exactly. Otherwise (large fleets) each hour first fixes the integer part of its
    LP solution, and the lists cover what is left (less than one instance per variable).
    """

    free: _Stairs
    free_type: IntArray  # type of each free item
    free_is_spot: npt.NDArray[np.bool_]
    free_best: int  # the free item with the best price per capacity
    bundles: _Bundles
    classes: _Classes
    exact: bool  # whole hours from complete lists: each hour's flexible cost is its optimum


def _free_items(prep: _Prep) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    on_demand = np.flatnonzero(np.isfinite(prep.p_od))
    free_spot = np.flatnonzero(np.isfinite(prep.p_spot) & (prep.omega == 0))
    types = np.concatenate([on_demand, free_spot]).astype(np.int64)
    is_spot = np.concatenate([np.zeros(on_demand.size, bool), np.ones(free_spot.size, bool)])
    return types, is_spot


def _hour_model(prep: _Prep, gamma: _Gamma) -> _HourModel:
    """Whole hours when the peak hour's lists are small, else LP integer part + remainder."""
    types, is_spot = _free_items(prep)
    caps = prep.cap[types]
    prices = np.where(is_spot, prep.p_spot[types], prep.p_od[types])
    best = int(np.argmin(prices / caps))
    weighted = np.flatnonzero(np.isfinite(prep.p_spot) & (prep.omega > 0))
    peak = float(np.max(prep.required)) if prep.required.size else 0.0

    def model(
        free: _Stairs, bundles: _Bundles | None, *, exact: bool, limit: float = _CLASS_POINTS
    ) -> _HourModel | None:
        classes = None if bundles is None else _classes(free, bundles, limit)
        if bundles is None or classes is None:
            return None
        return _HourModel(
            free=free,
            free_type=types,
            free_is_spot=is_spot,
            free_best=best,
            bundles=bundles,
            classes=classes,
            exact=exact,
        )

    whole = _enumerate(caps, prices, peak, np.arange(caps.shape[0]))
    if whole is not None:
        free = _Stairs(capacity=whole[0], cost=whole[1], counts=whole[2], span=peak, complete=True)
        found = model(free, _bundles(prep, weighted, peak, peak, math.inf, _BUNDLES), exact=True)
        if found is not None:
            return found
    # What is left after fixing the integer part of each hour's LP solution is less than one
    # instance of each variable the LP uses. The bundles vary every weighted spot type, up to
    # a weight of that span (the budget of an hour that size): the LP's spot types are often
    # the wrong ones for a remainder of a few instances (one p4d.24xlarge is 1,678 req/s of a
    # 40% share). If there are too many, the LP's heaviest few types, 0-3 copies of each;
    # failing that, the remainder is bought on demand.
    lp_spot = np.flatnonzero(gamma.spot.max(axis=0) > 0)
    span = float(prep.cap[prep.od_best]) + float(prep.cap[lp_spot].sum()) + float(caps.max())
    free = _stairs(caps, prices, span)
    found = model(free, _bundles(prep, weighted, span, span, math.inf, _BUNDLES), exact=False)
    if found is None:
        lp_weighted = np.intersect1d(lp_spot, weighted)
        use = gamma.spot.max(axis=0)[lp_weighted]
        heavy = np.sort(lp_weighted[np.argsort(-use)][:_REMAINDER_TYPES])
        found = model(
            free, _bundles(prep, heavy, span, math.inf, 3, 4**_REMAINDER_TYPES), exact=False
        )
    if found is None:
        none = np.zeros(0, dtype=np.int64)
        found = model(free, _bundles(prep, none, span, span, 0, 1), exact=False, limit=math.inf)
    if found is None:  # pragma: no cover - one class, the free staircase itself
        raise AssertionError("no remainder model")
    return found


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Hours:
    cost: FloatArray  # (H,) flexible cost per hour
    od: IntArray | None = None  # (H, T) when recovered
    spot: IntArray | None = None


def _solve_hours(
    prep: _Prep, gamma: _Gamma, model: _HourModel, reserved_cap: float, *, recover: bool = False
) -> _Hours:
    """Each hour's flexible fleet for reserved capacity ``reserved_cap`` (see _HourModel)."""
    required = prep.required
    n_hours, n_types = required.shape[0], prep.cap.shape[0]
    residual = np.maximum(required - reserved_cap, 0.0)
    budget = required.copy()
    fixed_cost = np.zeros(n_hours)
    fixed_od = np.zeros(n_hours, dtype=np.int64)
    fixed_spot = np.zeros((n_hours, n_types), dtype=np.int64)
    if not model.exact:
        positive = required > 0
        rho = np.where(positive, residual / np.where(positive, required, 1.0), 0.0)
        spot_cap = (
            np.stack([np.interp(rho, gamma.rho, gamma.spot[:, t]) for t in range(n_types)], axis=1)
            * required[:, None]
        )
        spot_cap[:, ~np.isfinite(prep.p_spot)] = 0.0
        fixed_spot = np.floor(spot_cap / prep.cap).astype(np.int64)
        od_need = np.maximum(residual - spot_cap.sum(axis=1), 0.0)
        best = prep.od_best
        fixed_od = np.floor(od_need / prep.cap[best]).astype(np.int64)
        spot_prices = np.where(np.isfinite(prep.p_spot), prep.p_spot, 0.0)
        fixed_cost = fixed_spot @ spot_prices + fixed_od * prep.p_od[best]
        residual = residual - fixed_spot @ prep.cap - fixed_od * prep.cap[best]
        weights = np.where(np.isfinite(prep.omega), prep.omega, 0.0) * prep.cap
        budget = budget - fixed_spot @ weights
    classes = model.classes
    best_type = int(model.free_type[model.free_best])
    best_cap = float(prep.cap[best_type])
    best_price = float(
        prep.p_spot[best_type] if model.free_is_spot[model.free_best] else prep.p_od[best_type]
    )
    tol = _tolerance(required)
    # The lightest class (the empty bundle) is always allowed, even if rounding left a hair
    # of negative budget.
    klass = np.maximum(np.searchsorted(classes.weight, budget + tol, side="right") - 1, 0)
    extra = np.ceil(np.maximum(residual - model.free.span, 0.0) / best_cap).astype(np.int64)
    need = residual - extra * best_cap - tol
    query = klass * classes.stride + need
    order = np.argsort(query)  # sorted queries make the search far faster (cache)
    point = np.empty(n_hours, dtype=np.int64)
    point[order] = np.searchsorted(classes.key, query[order], side="left")
    # Guard against the float keys: stay in the class, and on a point that covers the need.
    top = classes.start[klass + 1] - 1
    point = np.minimum(point, top)
    point = np.where(classes.capacity[point] >= need, point, top)
    cost = fixed_cost + classes.cost[point] + extra * best_price
    if not recover:
        return _Hours(cost=cost)
    spot = fixed_spot + model.bundles.counts[classes.bundle[point]]
    od = np.zeros((n_hours, n_types), dtype=np.int64)
    od[:, prep.od_best] += fixed_od
    chosen = model.free.counts[classes.free_step[point]]  # (H, free items)
    for item in range(model.free_type.shape[0]):
        target = spot if model.free_is_spot[item] else od
        target[:, model.free_type[item]] += chosen[:, item]
    best_target = spot if model.free_is_spot[model.free_best] else od
    best_target[:, best_type] += extra
    return _Hours(cost=cost, od=od, spot=spot)


def _polish(prep: _Prep, reserved_cap: float, od: IntArray, spot: IntArray) -> None:
    """Improve each hour in place by exact 1-for-1 swaps and removals (real arithmetic).

    Only needed when hours are not solved whole: fixing the LP's integer part can leave a
    cheaper mix one swap away. Each round applies, in every hour, the best move that keeps
    cover and the spot constraint; it stops when no move saves money.
    """
    n_types = prep.cap.shape[0]
    weights = np.where(np.isfinite(prep.omega), prep.omega, 0.0) * prep.cap
    # Items: on-demand then spot, per type; unavailable ones can be removed but not added.
    price = np.concatenate([prep.p_od, prep.p_spot])
    capacity = np.concatenate([prep.cap, prep.cap])
    weight = np.concatenate([np.zeros(n_types), weights])
    addable = np.isfinite(price)
    price = np.where(addable, price, 0.0)
    gain = price[:, None] - price[None, :]
    a_idx, b_idx = np.nonzero(addable[None, :] & (gain > 1e-12))
    pair_gain = gain[a_idx, b_idx]
    active = np.arange(prep.required.shape[0])
    for _ in range(64):
        if active.size == 0:
            return
        required = prep.required[active]
        tol = 1e-9 * np.maximum(1.0, required)
        counts = np.concatenate([od[active], spot[active]], axis=1)
        cover_slack = reserved_cap + counts @ capacity - required
        spot_slack = required - spot[active] @ weights
        # Removal of item a saves price[a]; a swap a -> b saves price[a] - price[b].
        can_remove = (counts > 0) & (cover_slack[:, None] - capacity[None, :] >= -tol[:, None])
        remove_gain = np.where(can_remove, price[None, :], 0.0)
        best_remove = remove_gain.max(axis=1)
        remove_item = remove_gain.argmax(axis=1)
        if a_idx.size:
            ok = (
                (counts[:, a_idx] > 0)
                & (cover_slack[:, None] - capacity[a_idx] + capacity[b_idx] >= -tol[:, None])
                & (spot_slack[:, None] + weight[a_idx] - weight[b_idx] >= -tol[:, None])
            )
            swap_gain = np.where(ok, pair_gain[None, :], 0.0)
            best_swap = swap_gain.max(axis=1)
            swap_pair = swap_gain.argmax(axis=1)
        else:
            best_swap = np.zeros(active.size)
            swap_pair = np.zeros(active.size, dtype=np.int64)
        do_remove = (best_remove > 1e-12) & (best_remove >= best_swap)
        do_swap = (best_swap > 1e-12) & ~do_remove
        chosen = np.flatnonzero(do_remove)
        _shift(od, spot, active[chosen], remove_item[chosen], -1, n_types)
        chosen = np.flatnonzero(do_swap)
        pairs = swap_pair[chosen]
        _shift(od, spot, active[chosen], a_idx[pairs], -1, n_types)
        _shift(od, spot, active[chosen], b_idx[pairs], +1, n_types)
        active = active[do_remove | do_swap]


def _shift(
    od: IntArray, spot: IntArray, hours: IntArray, items: IntArray, delta: int, n: int
) -> None:
    is_spot = items >= n
    np.add.at(od, (hours[~is_spot], items[~is_spot]), delta)
    np.add.at(spot, (hours[is_spot], items[is_spot] - n), delta)


# --------------------------------------------------------------------------- the optimizer


def optimize_mix(problem: MixProblem) -> MixPlan:
    """The cheapest reserved / on-demand / spot plan that covers demand every hour.

    See the module docstring for the formulation, the decomposition and the statuses.

    Raises
    ------
    PlannerInputError
        From :func:`check_problem`.

    Examples
    --------
    Two types; the small one fills the gaps the big one leaves:

    >>> big = InstanceOption(name="big", capacity=40, on_demand_usd_per_hour=3.0)
    >>> small = InstanceOption(name="small", capacity=10, on_demand_usd_per_hour=1.0)
    >>> plan = optimize_mix(MixProblem(demand=(45.0,), options=(big, small)))
    >>> plan.hourly_records()[0]["on_demand"], plan.total_cost_usd
    (2, 4.0)
    """
    check_problem(problem)
    started = time.perf_counter()
    plan = _optimize(problem, started)
    if problem.budget_usd is not None and plan.total_cost_usd > problem.budget_usd * (1 + 1e-12):
        plan = _over_budget(problem, plan, started)
    return plan


def _optimize(problem: MixProblem, started: float) -> MixPlan:
    prep = _prepare(problem)
    n_hours = prep.required.shape[0]
    gamma = _gamma(prep)
    curve = _lp_curve(prep.required, gamma)
    if problem.fixed_reserved is not None:
        return _hours_above(problem, prep, gamma, curve, started)
    # The LP relaxation: reserved capacity K at the best reserved price per capacity.
    lp_total = curve.total + (
        n_hours * prep.rho_res * curve.k if math.isfinite(prep.rho_res) else 0
    )
    lp_bound = float(np.min(lp_total))
    lp_reserved = float(curve.k[np.argmin(lp_total)])
    peak = float(np.max(prep.required))
    stair = _stairs(prep.cap, prep.p_res, peak, focus=lp_reserved)
    model = _hour_model(prep, gamma)
    step_bound = n_hours * stair.cost + curve(np.minimum(stair.capacity, curve.k[-1]))
    order = np.argsort(step_bound, kind="stable")
    deadline = started + problem.time_limit_seconds
    best_cost = math.inf
    best_step = -1
    # Best bound known for each step: its LP bound, or its exact cost once evaluated with
    # whole-hour lists.
    per_step = step_bound.copy()
    evaluated = 0
    timed_out = False
    for step in order.tolist():
        if step_bound[step] >= best_cost * (1 - 1e-12):
            break  # every later step has a bound at least as high
        timed_out = best_step >= 0 and time.perf_counter() > deadline
        if timed_out or (best_step >= 0 and not model.exact and evaluated >= _REMAINDER_STEPS):
            break
        total = n_hours * float(stair.cost[step]) + float(
            _solve_hours(prep, gamma, model, float(stair.capacity[step])).cost.sum()
        )
        evaluated += 1
        if model.exact:
            per_step[step] = max(per_step[step], total)
        if total < best_cost:
            best_cost, best_step = total, step
    # Steps are the only reserved vectors worth buying only if the staircase is complete.
    integer_bound = min(float(per_step.min()), best_cost) if stair.complete else -math.inf
    lower = max(lp_bound, integer_bound)

    reserved = np.asarray(stair.counts[best_step], dtype=np.int64)
    reserved_cap = float(prep.cap @ reserved)
    hours = _solve_hours(prep, gamma, model, float(stair.capacity[best_step]), recover=True)
    od, spot = hours.od, hours.spot
    if od is None or spot is None:  # pragma: no cover - recover=True always fills them
        raise AssertionError("hours not recovered")
    if not model.exact:
        # Fixing the LP's integer part can leave money on the table: polish each hour.
        _polish(prep, reserved_cap, od, spot)
    one_year = np.array([tier is PriceTier.RESERVED_1Y for tier in prep.res_tier])
    r1 = np.where(one_year, reserved, 0).astype(np.int64)
    plan = _assemble(
        problem,
        prep,
        r1,
        reserved - r1,
        od,
        spot,
        lower_bound=lower,
        lp_bound=lp_bound,
        started=started,
        method="decomposition",
        details={
            "staircase_steps": int(stair.capacity.shape[0]),
            "steps_evaluated": evaluated,
            "staircase_complete": stair.complete,
            "whole_hours_exact": model.exact,
            "spot_bundles": int(model.bundles.capacity.shape[0]),
            "time_limit_reached": timed_out,
        },
    )
    if timed_out and plan.status is not MixStatus.OPTIMAL:
        limit = problem.time_limit_seconds
        plan = replace(plan, message=f"Stopped at the {limit:g}-second time limit. {plan.message}")
    return plan


def _hours_above(
    problem: MixProblem, prep: _Prep, gamma: _Gamma, curve: _LpCurve, started: float
) -> MixPlan:
    """The cheapest hours above reservations already decided: each hour's own problem."""
    fixed = problem.fixed_reserved or ()
    r1 = np.array([one for one, _ in fixed], dtype=np.int64)
    r3 = np.array([three for _, three in fixed], dtype=np.int64)
    reserved_cap = float(prep.cap @ (r1 + r3))
    model = _hour_model(prep, gamma)
    hours = _solve_hours(prep, gamma, model, reserved_cap, recover=True)
    od, spot = hours.od, hours.spot
    if od is None or spot is None:  # pragma: no cover - recover=True always fills them
        raise AssertionError("hours not recovered")
    if not model.exact:
        _polish(prep, reserved_cap, od, spot)
    p1 = np.array([o.reserved_1y_usd_per_hour or 0.0 for o in problem.options])
    p3 = np.array([o.reserved_3y_usd_per_hour or 0.0 for o in problem.options])
    committed = prep.required.shape[0] * float(r1 @ p1 + r3 @ p3)
    # The bound is the hours' LP given these reservations: the plan is judged on the hours
    # it buys, the reservations having been chosen over their term.
    k = np.array([min(reserved_cap, float(curve.k[-1]))])
    lower = committed + float(curve(k)[0])
    if model.exact:  # each hour solved whole: the hours are the optimum for these reservations
        lower = committed + float((od @ np.where(np.isfinite(prep.p_od), prep.p_od, 0.0)).sum())
        lower += float((spot @ np.where(np.isfinite(prep.p_spot), prep.p_spot, 0.0)).sum())
    plan = _assemble(
        problem,
        prep,
        r1,
        r3,
        od,
        spot,
        lower_bound=lower,
        lp_bound=lower,
        started=started,
        method="hours above fixed reservations",
        details={"whole_hours_exact": model.exact, "time_limit_reached": False},
    )
    if plan.status is MixStatus.OPTIMAL:
        return replace(plan, message="Hours proven optimal for the reservations bought.")
    return replace(
        plan,
        message=f"Hours within {plan.gap:.2%} of the proven bound for the reservations bought.",
    )


def _assemble(
    problem: MixProblem,
    prep: _Prep,
    r1: IntArray,
    r3: IntArray,
    od: IntArray,
    spot: IntArray,
    *,
    lower_bound: float,
    lp_bound: float,
    started: float,
    method: str,
    details: Mapping[str, Any],
    status: MixStatus | None = None,
    message: str | None = None,
) -> MixPlan:
    n_hours = prep.required.shape[0]
    cap = prep.cap
    reserved = r1 + r3
    p1 = np.array([o.reserved_1y_usd_per_hour or 0.0 for o in problem.options])
    p3 = np.array([o.reserved_3y_usd_per_hour or 0.0 for o in problem.options])
    p_od = np.where(np.isfinite(prep.p_od), prep.p_od, 0.0)
    p_spot = np.where(np.isfinite(prep.p_spot), prep.p_spot, 0.0)
    cost_1y = float(n_hours * (r1 @ p1))
    cost_3y = float(n_hours * (r3 @ p3))
    hourly_flex = od @ p_od + spot @ p_spot
    cost_od = float((od @ p_od).sum())
    cost_spot = float((spot @ p_spot).sum())
    total = cost_1y + cost_3y + cost_od + cost_spot
    reserved_cap = float(cap @ reserved)
    required_total = float(prep.required.sum())
    if reserved_cap > 0:
        used = float(np.minimum(prep.required, reserved_cap).sum())
        utilisation = used / (reserved_cap * n_hours)
        coverage = used / required_total if required_total > 0 else None
    else:
        utilisation = None
        coverage = 0.0 if required_total > 0 else None
    lower = min(lower_bound, total)
    gap = 0.0 if total <= 0 else max(0.0, (total - lower) / total)
    if status is None:
        status = MixStatus.OPTIMAL if gap <= 1e-9 else MixStatus.FEASIBLE
    if message is None:
        message = (
            "Proven optimal."
            if status is MixStatus.OPTIMAL
            else f"Feasible plan within {gap:.2%} of the proven lower bound."
        )
    per_type = {
        name: float(
            n_hours * (r1[i] * p1[i] + r3[i] * p3[i])
            + od[:, i].sum() * p_od[i]
            + spot[:, i].sum() * p_spot[i]
        )
        for i, name in enumerate(prep.names)
    }
    hourly_cost = hourly_flex + float(r1 @ p1 + r3 @ p3)
    return MixPlan(
        status=status,
        message=message,
        method=method,
        total_cost_usd=total,
        lower_bound_usd=lower,
        lp_bound_usd=min(lp_bound, total),
        gap=gap,
        solve_seconds=time.perf_counter() - started,
        type_names=prep.names,
        capacities=tuple(float(c) for c in cap),
        reserved_1y=tuple(int(v) for v in r1),
        reserved_3y=tuple(int(v) for v in r3),
        on_demand=od,
        spot=spot,
        demand=prep.demand,
        required=prep.required,
        cost_by_tier_usd={
            PriceTier.RESERVED_1Y: cost_1y,
            PriceTier.RESERVED_3Y: cost_3y,
            PriceTier.ON_DEMAND: cost_od,
            PriceTier.SPOT: cost_spot,
        },
        commitment_utilisation=utilisation,
        commitment_coverage=coverage,
        budget_usd=problem.budget_usd,
        details={**details, "prices": per_type, "hourly_cost": hourly_cost},
    )


def _over_budget(problem: MixProblem, plan: MixPlan, started: float) -> MixPlan:
    """The budget is below the cheapest plan: say by how much, and what it can serve."""
    budget = float(problem.budget_usd or 0.0)
    base = replace(
        problem, budget_usd=None, time_limit_seconds=max(1.0, problem.time_limit_seconds / 4)
    )
    low, high = 0.0, 1.0
    for _ in range(10):
        middle = (low + high) / 2
        scaled = replace(base, demand=tuple(d * middle for d in problem.demand))
        if _optimize(scaled, time.perf_counter()).total_cost_usd <= budget:
            low = middle
        else:
            high = middle
    served = low
    reach = (
        f"It serves about {served:.1%} of the demand in every hour."
        if served > 0
        else "It cannot keep even the smallest fleet running every hour."
    )
    message = (
        f"The budget of ${budget:,.2f} is below the cheapest plan found, "
        f"${plan.total_cost_usd:,.2f} (no plan costs less than ${plan.lower_bound_usd:,.2f}). "
        f"{reach}"
    )
    return replace(
        plan,
        status=MixStatus.INFEASIBLE,
        message=message,
        min_budget_usd=plan.total_cost_usd,
        served_fraction=served,
        solve_seconds=time.perf_counter() - started,
    )


# --------------------------------------------------------------------------- naive full MILP


def plan_summary(plan: MixPlan) -> dict[str, Any]:
    """The ``mix --json`` document for a plan."""
    return {
        "status": str(plan.status),
        "message": plan.message,
        "total_cost_usd": plan.total_cost_usd,
        "lower_bound_usd": plan.lower_bound_usd,
        "lp_bound_usd": plan.lp_bound_usd,
        "gap": plan.gap,
        "solve_seconds": plan.solve_seconds,
        "method": plan.method,
        "reserved": plan.reserved_counts(),
        "reserved_by_term": plan.reserved_by_term(),
        "cost_by_tier_usd": {str(tier): usd for tier, usd in plan.cost_by_tier_usd.items()},
        "commitment_utilisation": plan.commitment_utilisation,
        "commitment_coverage": plan.commitment_coverage,
        "budget_usd": plan.budget_usd,
        "min_budget_usd": plan.min_budget_usd,
        "served_fraction": plan.served_fraction,
        "hours": plan.hours,
        "hourly": plan.hourly_records(),
    }


def options_from(rows: Sequence[Mapping[str, Any]]) -> tuple[InstanceOption, ...]:
    """Instance options from plain mappings (tests, benchmarks).

    >>> options_from([{"name": "a", "capacity": 2, "on_demand_usd_per_hour": 1}])[0].capacity
    2.0
    """
    return tuple(
        InstanceOption(
            name=str(row["name"]),
            capacity=float(row["capacity"]),
            on_demand_usd_per_hour=_opt(row.get("on_demand_usd_per_hour")),
            spot_usd_per_hour=_opt(row.get("spot_usd_per_hour")),
            reserved_1y_usd_per_hour=_opt(row.get("reserved_1y_usd_per_hour")),
            reserved_3y_usd_per_hour=_opt(row.get("reserved_3y_usd_per_hour")),
            interruption_rate=float(row.get("interruption_rate", 0.0)),
        )
        for row in rows
    )


def _opt(value: Any) -> float | None:
    return None if value is None else float(value)

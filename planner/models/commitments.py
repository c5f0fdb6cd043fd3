r"""Commitments over their term: which reservations and savings plans to buy now, from a
demand forecast and its uncertainty.

A commitment is paid for every hour of its term, used or not. So it is sized over the term
from the demand that will be there, never from a short horizon assumed to repeat.

Formulation
-----------
Notation

* pools :math:`p` (instance types in use), each with on-demand, spot and 1-y / 3-y
  reserved prices per instance-hour :math:`\pi_p, s_p, r^1_p, r^3_p`, and a spot cap
  :math:`\sigma_p` (share of its instances that may run on spot);
* years :math:`y = 1..Y` of the longest allowed term (:math:`Y = 3` with a 3-year
  commitment, else 1), :math:`H = 8760` hours each;
* demand paths :math:`k` with probability :math:`q_k`: a monthly level multiplies each
  growing pool's base profile of instances needed per hour (its duration curve), and a
  fixed fleet runs its month's peak every hour. A path's year is a set of points
  :math:`j` of weight :math:`w_j` hours with :math:`n_{pkyj}` instances needed (an integer:
  the level times the base need, rounded up, never below the pool's floor). Pools are
  aligned by rank (their peaks coincide), which never overstates what a savings plan
  pooled across them saves;
* savings plans: USD per hour :math:`c^3` (3 y) and :math:`c^1_y` (1 y, year *y*) that pay
  for on-demand usage worth :math:`c / (1 - \delta)` at discount :math:`\delta`.

Decisions, bought now: integers :math:`R^3_p, R^1_{py} \ge 0` (1-y reservations of years 2
and 3 are the planned renewals); :math:`c^3, c^1_y \ge 0`. Per path, year and point: the
reservations used :math:`u^3, u^1`, on-demand :math:`o`, spot :math:`z`, and the on-demand
spend each plan pays for :math:`v^3, v^1`.

Objective: expected cost over the term,

.. math::
    \min\; H \sum_y \Big(\sum_p r^3_p R^3_p + r^1_p R^1_{py} + c^3 + c^1_y\Big)
        + \sum_k q_k \sum_{y, j} w_j \Big(\sum_p \pi_p o_{pj} + s_p z_{pj} - v^1_j - v^3_j\Big)

Constraints, each path, year and point: :math:`u^3_p \le R^3_p`, :math:`u^1_p \le R^1_{py}`,
:math:`u^3_p + u^1_p \le n_p`, :math:`u^3_p + u^1_p + o_p + z_p \ge n_p`,
:math:`z_p \le \lfloor \sigma_p n_p \rfloor` (spot runs whole instances),
:math:`v^3 \le c^3/(1-\delta^3)`,
:math:`v^1 \le c^1_y/(1-\delta^1)`, :math:`v^1 + v^3 \le \sum_p \pi_p o_p`.

Risk limit (optional): the stranded commitment of a path, what it pays for commitments it
does not use, stays under :math:`\lambda` of its spend, on every path but the lowest-demand
:math:`1 - \theta` of them (so the :math:`\theta`-quantile of the stranded share is at most
:math:`\lambda` when stranding falls as demand rises). Linear in the same variables.

Solution
--------
The MILP is solved by HiGHS (:func:`scipy.optimize.milp`) on up to
``MILP_PATHS`` representative paths (quantiles of total demand) and ``MILP_POINTS`` points
a year, each standing for its hours at their highest need, so the plan never understates
cost. The same model with each point at its lowest need, on finer points
(``BOUND_CHUNKS`` a month, ``BOUND_POINTS`` a year) and relaxed to an LP, is a lower bound;
the gap reported is between it and the plan's cost on those finer points. The chosen
portfolio is then costed on every path (``EVAL_POINTS`` points a month) in closed form:
given the commitments, each hour uses its reservations, then the savings plans' cover,
then spot where it is cheaper than on-demand, then on-demand. When the risk limit is not
met on all paths, the commitments are scaled down (bisection) until it is, and the message
says so.

Statuses: ``optimal`` (gap below 1e-6), ``feasible`` (with the gap), ``no_commitment``
(no commitment is allowed, or none pays: all on-demand and spot).
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from planner.catalog import MAX_DEMAND_PATHS, CommitmentKind
from planner.core.errors import PlannerInputError

__all__ = [
    "CommitmentPlan",
    "CommitmentStatus",
    "Forecast",
    "Pool",
    "PortfolioProblem",
    "check_portfolio",
    "plan_commitments",
]

FloatArray = npt.NDArray[np.float64]

HOURS_PER_YEAR = 8760.0
MONTHS_PER_YEAR = 12
MAX_POOLS = 12
MILP_PATHS = 16
MILP_POINTS = 16
# The bound is an LP on the representative paths: finer chunks and bins cost little there
# and tighten it.
BOUND_POINTS = 96
EVAL_POINTS = 48
BOUND_CHUNKS = 4 * EVAL_POINTS
# Points of demand costed at once (pools x paths x months x points), each array 8 bytes a
# point: memory is bounded by the work, not by each input alone.
MAX_POINTS = 6_000_000
_EPS = 1e-9


class CommitmentStatus(enum.StrEnum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    NO_COMMITMENT = "no_commitment"


@dataclass(frozen=True, slots=True, kw_only=True)
class Pool:
    """One instance type in use: instances needed per hour over a base period (fractional:
    they are scaled by the demand level before rounding up), its floor, its prices.

    ``grows`` says whether the forecast's growth applies (traffic does; a training schedule
    does not). ``fixed_fleet`` runs each month's peak every hour of it.
    """

    name: str
    need: tuple[float, ...]
    floor: int = 0
    fixed_fleet: bool = False
    grows: bool = True
    on_demand_usd_per_hour: float
    spot_usd_per_hour: float | None = None
    reserved_1y_usd_per_hour: float | None = None
    reserved_3y_usd_per_hour: float | None = None
    spot_max_share: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Forecast:
    """How demand moves over the term: median growth a year and the spread of its log
    (a monthly random walk, drawn with a fixed seed, so a plan is reproducible)."""

    growth_per_year: float = 0.0
    growth_sd_per_year: float = 0.0
    paths: int = 1
    seed: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioProblem:
    """Pools, the forecast, the kinds of commitment allowed and their savings-plan
    discounts, and an optional risk limit on stranded commitment."""

    pools: tuple[Pool, ...]
    forecast: Forecast = Forecast()
    kinds: frozenset[CommitmentKind] = frozenset(CommitmentKind)
    savings_plan_1y_discount: float = 0.25
    savings_plan_3y_discount: float = 0.52
    stranded_limit: float | None = None
    stranded_quantile: float = 0.9


@dataclass(frozen=True, slots=True, kw_only=True)
class Commitment:
    """One line of the portfolio. ``count`` instances of ``pool`` (reservations) or
    ``usd_per_hour`` (savings plans), starting in year ``start_year`` (1 is bought now;
    later years are planned renewals). ``break_even_utilisation`` is the share of its hours
    it must be used to beat on-demand; ``utilisation`` the expected share it is used."""

    kind: CommitmentKind
    pool: str | None
    count: int
    usd_per_hour: float
    start_year: int
    obligation_usd: float
    break_even_utilisation: float
    utilisation: float

    @property
    def term_months(self) -> int:
        return 12 * self.kind.term_years


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Outcome:
    """A portfolio costed on a set of paths: term cost and stranded commitment per path,
    and the expected hours each reservation is used and savings-plan dollars spent."""

    cost_usd: FloatArray  # (paths,)
    year_cost_usd: FloatArray  # (years,) mean over paths
    stranded_usd: FloatArray  # (paths,)
    used_3y_hours: FloatArray  # (pools,) over the term, mean over paths
    used_1y_hours: FloatArray  # (pools, years)
    plan_used_usd: FloatArray  # (years,) savings-plan commitment used, mean over paths

    @property
    def stranded_share(self) -> FloatArray:
        return np.divide(
            self.stranded_usd,
            self.cost_usd,
            out=np.zeros_like(self.cost_usd),
            where=self.cost_usd > 0,
        )


@dataclass(frozen=True, kw_only=True, eq=False)
class CommitmentPlan:
    """The portfolio and what it means: obligation, break-even, risk and falls in demand.

    Costs are over the whole term (``years``); ``*_monthly_usd`` divide by its months.
    ``if_demand_falls`` maps a fall (0.25, 0.5) to the term cost with these commitments and
    with none, on the median path scaled down from the first month.
    """

    status: CommitmentStatus
    message: str
    years: int
    commitments: tuple[Commitment, ...]
    expected_cost_usd: float
    on_demand_only_cost_usd: float
    year_costs_usd: tuple[float, ...]  # expected, with the commitments
    flexible_year_costs_usd: tuple[float, ...]  # expected, with none
    cost_quantiles_usd: tuple[float, float, float]
    lower_bound_usd: float
    gap: float
    obligation_usd: float
    obligation_months: int
    planned_renewals_usd: float
    stranded_share_quantile: float
    stranded_quantile: float
    if_demand_falls: dict[float, tuple[float, float]]
    paths: int
    notes: tuple[str, ...] = ()
    first_year_reserved: dict[str, dict[CommitmentKind, int]] = field(default_factory=dict)

    @property
    def months(self) -> int:
        return 12 * self.years

    @property
    def expected_monthly_usd(self) -> float:
        return self.expected_cost_usd / self.months

    @property
    def first_year_saving_usd_per_month(self) -> float:
        """What the commitments save a month, on average over their first year (the year
        whose demand the scenario's traffic states)."""
        return (self.flexible_year_costs_usd[0] - self.year_costs_usd[0]) / MONTHS_PER_YEAR

    def summary(self) -> dict[str, Any]:
        """The plan as plain data (the ``commitments`` block of ``serve``, ``mix`` and
        ``plan --json``)."""
        return {
            "status": str(self.status),
            "message": self.message,
            "term_years": self.years,
            "paths": self.paths,
            "commitments": [
                {
                    "kind": str(line.kind),
                    "pool": line.pool,
                    "start_year": line.start_year,
                    "term_months": line.term_months,
                    **(
                        {"count": line.count}
                        if line.pool is not None
                        else {"usd_per_hour": line.usd_per_hour}
                    ),
                    "obligation_usd": line.obligation_usd,
                    "break_even_utilisation": line.break_even_utilisation,
                    "utilisation": line.utilisation,
                }
                for line in self.commitments
            ],
            "obligation_usd": self.obligation_usd,
            "obligation_months": self.obligation_months,
            "planned_renewals_usd": self.planned_renewals_usd,
            "expected_cost_usd": self.expected_cost_usd,
            "expected_monthly_usd": self.expected_monthly_usd,
            "on_demand_only_cost_usd": self.on_demand_only_cost_usd,
            "cost_p10_p50_p90_usd": list(self.cost_quantiles_usd),
            "stranded_share": {
                "quantile": self.stranded_quantile,
                "value": self.stranded_share_quantile,
            },
            "if_demand_falls": {
                f"{fall:.0%}": {"with_commitments_usd": kept, "without_usd": free}
                for fall, (kept, free) in self.if_demand_falls.items()
            },
            "notes": list(self.notes),
        }

    def lines(self) -> tuple[str, ...]:
        """The plan in sentences: what to buy, what it obliges, when it pays, what a fall
        in demand costs."""
        if not self.commitments:
            return (self.message,)
        out = []
        for line in self.commitments:
            what = (
                f"{line.count} × {line.pool}"
                if line.pool is not None
                else f"${line.usd_per_hour:,.2f}/h"
            )
            when = "now" if line.start_year == 1 else f"planned renewal in year {line.start_year}"
            out.append(
                f"{line.kind.label}: {what} ({when}); ${line.obligation_usd:,.0f} over "
                f"{line.term_months} months; pays off above {line.break_even_utilisation:.0%} "
                f"use, expected {line.utilisation:.0%}."
            )
        out.append(
            f"Obligation signed now: ${self.obligation_usd:,.0f} over up to "
            f"{self.obligation_months} months"
            + (
                f" (planned renewals ${self.planned_renewals_usd:,.0f} more)."
                if self.planned_renewals_usd
                else "."
            )
        )
        for fall, (kept, free) in self.if_demand_falls.items():
            out.append(
                f"If demand falls {fall:.0%}: ${kept:,.0f} over the term with these "
                f"commitments, ${free:,.0f} without."
            )
        out.append(self.message)
        out.extend(self.notes)
        return tuple(out)


# --------------------------------------------------------------------------- validation


def check_portfolio(problem: PortfolioProblem) -> None:
    """Refuse a problem the planner cannot answer, saying what to change.

    >>> check_portfolio(PortfolioProblem(pools=()))
    Traceback (most recent call last):
    ...
    planner.core.errors.PlannerInputError: No instance type to commit to. To fix: give at \
least one pool of instances in use.
    """
    if not problem.pools:
        raise PlannerInputError(
            "No instance type to commit to", fix="give at least one pool of instances in use"
        )
    if len(problem.pools) > MAX_POOLS:
        raise PlannerInputError(
            f"{len(problem.pools)} instance types; the commitment planner takes at most "
            f"{MAX_POOLS}",
            fix="keep the types you would commit to",
        )
    for pool in problem.pools:
        need = np.asarray(pool.need, dtype=float)
        if need.size == 0 or not np.all(np.isfinite(need)) or np.any(need < 0):
            raise PlannerInputError(
                f"pool {pool.name!r} needs a non-empty profile of instances, each finite and "
                "0 or more",
                fix="give the instances needed each hour",
            )
        for label, price in (
            ("on-demand", pool.on_demand_usd_per_hour),
            ("spot", pool.spot_usd_per_hour),
            ("1-y reserved", pool.reserved_1y_usd_per_hour),
            ("3-y reserved", pool.reserved_3y_usd_per_hour),
        ):
            if price is not None and not (math.isfinite(price) and 0 < price < 1e7):
                raise PlannerInputError(
                    f"pool {pool.name!r} has {label} price {price!r}",
                    fix="give a price above 0 and below 10 million USD per hour",
                )
        if not 0 <= pool.spot_max_share <= 1:
            raise PlannerInputError(
                f"pool {pool.name!r} has spot share {pool.spot_max_share!r}",
                fix="give a fraction between 0 and 1",
            )
    forecast = problem.forecast
    if not (math.isfinite(forecast.growth_per_year) and -0.9999 < forecast.growth_per_year <= 1e4):
        raise PlannerInputError(
            f"growth per year {forecast.growth_per_year!r} is outside -99.99% .. +1,000,000%",
            fix="give growth as a fraction, e.g. 0.3 for +30% a year",
        )
    if not (math.isfinite(forecast.growth_sd_per_year) and 0 <= forecast.growth_sd_per_year <= 2):
        raise PlannerInputError(
            f"growth uncertainty {forecast.growth_sd_per_year!r} is outside 0 .. 2",
            fix="give the spread of yearly log growth, e.g. 0.3",
        )
    if not 1 <= forecast.paths <= MAX_DEMAND_PATHS:
        raise PlannerInputError(
            f"{forecast.paths} demand paths; give 1 to {MAX_DEMAND_PATHS:,}",
            fix=f"use at most {MAX_DEMAND_PATHS:,} paths",
        )
    points = len(problem.pools) * forecast.paths * _years(problem) * MONTHS_PER_YEAR * EVAL_POINTS
    if points > MAX_POINTS:
        most = MAX_POINTS // (len(problem.pools) * _years(problem) * MONTHS_PER_YEAR * EVAL_POINTS)
        raise PlannerInputError(
            f"{forecast.paths:,} demand paths over {len(problem.pools)} instance types are "
            f"{points:,} points to cost; the planner costs at most {MAX_POINTS:,}",
            fix=f"use at most {most:,} paths, or fewer instance types",
        )
    for label, value in (
        ("1-y savings-plan discount", problem.savings_plan_1y_discount),
        ("3-y savings-plan discount", problem.savings_plan_3y_discount),
    ):
        if not 0 <= value < 1:
            raise PlannerInputError(f"{label} {value!r}", fix="give a fraction in [0, 1)")
    if problem.stranded_limit is not None and not 0 <= problem.stranded_limit <= 1:
        raise PlannerInputError(
            f"stranded-commitment limit {problem.stranded_limit!r}",
            fix="give a share of spend between 0 and 1, e.g. 0.1",
        )
    if not 0.5 <= problem.stranded_quantile < 1:
        raise PlannerInputError(
            f"stranded-commitment quantile {problem.stranded_quantile!r}",
            fix="give a quantile between 0.5 and 1, e.g. 0.9",
        )


# --------------------------------------------------------------------------- demand


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Demand:
    """Instances needed: ``n[p, k, y, j]`` with hours ``w[j]`` (the same for every path and
    year; a year's points are its months' points in a row)."""

    n: FloatArray
    w: FloatArray


def _levels(forecast: Forecast, years: int) -> FloatArray:
    """Monthly demand levels, ``(paths, months)``, 1 in the first month of the median path."""
    months = years * MONTHS_PER_YEAR
    drift = math.log1p(forecast.growth_per_year) / MONTHS_PER_YEAR
    steps = np.full((forecast.paths, months), drift)
    if forecast.growth_sd_per_year > 0 and forecast.paths > 1:
        rng = np.random.default_rng(forecast.seed)
        shocks = rng.standard_normal((forecast.paths, months - 1))
        steps[:, 1:] += shocks * forecast.growth_sd_per_year / math.sqrt(MONTHS_PER_YEAR)
    steps[:, 0] = 0.0
    levels: FloatArray = np.exp(np.cumsum(steps, axis=1))
    return levels


def _chunks(pools: Sequence[Pool], points: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The pools' base duration curves on one grid of hour ranks: per chunk, each pool's
    highest and lowest need, ``(P, chunks)`` twice, and the chunk's share of the hours.

    Pools are aligned by rank. Where all the curves together change value at most
    ``points`` times the chunks follow those changes, so highest and lowest agree (exact);
    otherwise they are ``points`` equal shares.
    """
    curves = []
    for pool in pools:
        need = np.sort(np.asarray(pool.need, dtype=float))[::-1]
        curves.append(np.full(1, need[0]) if pool.fixed_fleet else need)
    edges = {0.0, 1.0}
    for need in curves:
        change = np.flatnonzero(np.diff(need) != 0) + 1
        edges.update((change / need.size).tolist())
    grid = np.array(sorted(edges))
    if grid.size - 1 > points:
        grid = np.linspace(0.0, 1.0, points + 1)
    start, end = grid[:-1], grid[1:]
    high = np.empty((len(curves), start.size))
    low = np.empty_like(high)
    for p, need in enumerate(curves):
        size = need.size
        high[p] = need[np.minimum((start * size + _EPS).astype(int), size - 1)]
        low[p] = need[np.clip(np.ceil(end * size - _EPS).astype(int) - 1, 0, size - 1)]
    return high, low, end - start


def _demand(problem: PortfolioProblem, levels: FloatArray, points: int, *, upper: bool) -> _Demand:
    """Every pool's need on every path, year and point (rounded up per hour)."""
    paths, months = levels.shape
    years = months // MONTHS_PER_YEAR
    high, low, shares = _chunks(problem.pools, points)
    base_values = high if upper else low
    size = shares.size
    n = np.empty((len(problem.pools), paths, years, MONTHS_PER_YEAR * size))
    for p, pool in enumerate(problem.pools):
        scale = levels if pool.grows else np.ones_like(levels)
        hourly = scale[:, :, None] * base_values[p][None, None, :]  # (paths, months, chunks)
        need = np.maximum(np.ceil(hourly - _EPS), pool.floor)
        n[p] = need.reshape(paths, years, MONTHS_PER_YEAR * size)
    w = np.tile(shares * HOURS_PER_YEAR / MONTHS_PER_YEAR, MONTHS_PER_YEAR)
    return _Demand(n=n, w=w)


def _bins(
    need: FloatArray, w: FloatArray, od: FloatArray, bins: int, *, upper: bool
) -> tuple[FloatArray, FloatArray]:
    """A year's points, ``need (P, J)``, merged into at most ``bins`` for the MILP: identical
    points together (exact), else groups of points sorted by their on-demand value, each
    at its pools' highest (``upper``) or lowest need."""
    rows, inverse = np.unique(need.T, axis=0, return_inverse=True)
    if rows.shape[0] <= bins:
        hours = np.bincount(inverse.ravel(), weights=w, minlength=rows.shape[0]).astype(float)
        return rows.T, hours
    order = np.argsort(-(od @ need), kind="stable")
    groups = np.array_split(order, bins)
    merged = np.stack(
        [need[:, g].max(axis=1) if upper else need[:, g].min(axis=1) for g in groups], axis=1
    )
    return merged, np.array([w[g].sum() for g in groups])


# --------------------------------------------------------------------------- prices


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Prices:
    od: FloatArray
    spot: FloatArray  # inf where not allowed
    sigma: FloatArray
    r1: FloatArray  # inf where not allowed
    r3: FloatArray
    d1: float | None  # savings-plan discounts, None where not allowed
    d3: float | None


def _prices(problem: PortfolioProblem, years: int) -> _Prices:
    kinds = problem.kinds

    def column(values: Sequence[float | None], allowed: bool) -> FloatArray:
        return np.array([v if (allowed and v is not None) else math.inf for v in values])

    pools = problem.pools
    return _Prices(
        od=np.array([p.on_demand_usd_per_hour for p in pools]),
        spot=column([p.spot_usd_per_hour if p.spot_max_share > 0 else None for p in pools], True),
        sigma=np.array([p.spot_max_share for p in pools]),
        r1=column([p.reserved_1y_usd_per_hour for p in pools], CommitmentKind.RESERVED_1Y in kinds),
        r3=column(
            [p.reserved_3y_usd_per_hour for p in pools],
            CommitmentKind.RESERVED_3Y in kinds and years == 3,
        ),
        d1=problem.savings_plan_1y_discount if CommitmentKind.SAVINGS_PLAN_1Y in kinds else None,
        d3=(
            problem.savings_plan_3y_discount
            if CommitmentKind.SAVINGS_PLAN_3Y in kinds and years == 3
            else None
        ),
    )


def _years(problem: PortfolioProblem) -> int:
    three = {CommitmentKind.RESERVED_3Y, CommitmentKind.SAVINGS_PLAN_3Y}
    return 3 if problem.kinds & three else 1


# --------------------------------------------------------------------------- portfolio


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Portfolio:
    r3: FloatArray  # (P,)
    r1: FloatArray  # (P, Y)
    c3: float
    c1: FloatArray  # (Y,)

    def scaled(self, factor: float) -> _Portfolio:
        return _Portfolio(
            r3=np.floor(self.r3 * factor + _EPS),
            r1=np.floor(self.r1 * factor + _EPS),
            c3=self.c3 * factor,
            c1=self.c1 * factor,
        )

    @classmethod
    def nothing(cls, pools: int, years: int) -> _Portfolio:
        """No commitment: every hour on-demand or spot."""
        return cls(r3=np.zeros(pools), r1=np.zeros((pools, years)), c3=0.0, c1=np.zeros(years))


def _cost(portfolio: _Portfolio, demand: _Demand, prices: _Prices) -> Outcome:
    """The term cost of a portfolio on each path, in closed form per point (see the module
    docstring: reservations, then the savings plans' cover, then spot if cheaper, then
    on-demand)."""
    n = demand.n  # (P, K, Y, J)
    w = demand.w
    pools, paths, years, _ = n.shape
    r3 = np.where(np.isfinite(prices.r3), prices.r3, 0.0)
    r1 = np.where(np.isfinite(prices.r1), prices.r1, 0.0)
    total = np.zeros(paths)
    by_year = np.zeros(years)
    stranded = np.zeros(paths)
    used_3y = np.zeros(pools)
    used_1y = np.zeros((pools, years))
    plan_used = np.zeros(years)
    ratio = prices.spot / prices.od
    cheaper_spot = [int(p) for p in np.argsort(ratio) if prices.spot[p] < prices.od[p]]
    for y in range(years):
        held3 = portfolio.r3[:, None, None]
        held = held3 + portfolio.r1[:, y, None, None]  # (P, 1, 1)
        need = n[:, :, y, :]
        used = np.minimum(held, need)
        rest = need - used
        plan_usd = float(portfolio.c1[y] + portfolio.c3)
        cover = 0.0
        if prices.d1 is not None:
            cover += float(portfolio.c1[y]) / (1 - prices.d1)
        if prices.d3 is not None:
            cover += portfolio.c3 / (1 - prices.d3)
        excess = np.tensordot(prices.od, rest, axes=1) - cover  # (K, J): on-demand $ above it
        spot_cost = np.zeros_like(excess)
        for p in cheaper_spot:
            room = np.minimum(np.floor(prices.sigma[p] * need[p] + _EPS), rest[p])
            take = np.clip(excess / prices.od[p], 0.0, room)
            excess -= take * prices.od[p]
            spot_cost += take * prices.spot[p]
        committed_usd = HOURS_PER_YEAR * float(
            r3 @ portfolio.r3 + r1 @ portfolio.r1[:, y] + plan_usd
        )
        year_cost = committed_usd + (spot_cost + np.maximum(excess, 0.0)) @ w
        total += year_cost
        by_year[y] = float(year_cost.mean())
        # Reservations are used 3-y first (the cheaper), so idle hours fall on the 1-y ones.
        used3 = np.minimum(used, held3)
        used1 = used - used3
        used_3y += (used3 @ w).mean(axis=1)
        used_1y[:, y] = (used1 @ w).mean(axis=1)
        used_value = np.tensordot(r3, used3, axes=1) + np.tensordot(r1, used1, axes=1)
        plan_use = (
            plan_usd * np.clip(1.0 + excess / cover, 0.0, 1.0)
            if cover > 0
            else np.zeros_like(excess)
        )
        plan_used[y] = float((plan_use @ w).mean())
        stranded += committed_usd - (used_value + plan_use) @ w
    return Outcome(
        cost_usd=total,
        year_cost_usd=by_year,
        stranded_usd=stranded,
        used_3y_hours=used_3y,
        used_1y_hours=used_1y,
        plan_used_usd=plan_used,
    )


def _representatives(levels: FloatArray, count: int) -> FloatArray:
    """Paths at evenly spaced quantiles of total demand, each standing for an equal share."""
    if levels.shape[0] <= count:
        return levels
    order = np.argsort(levels.sum(axis=1), kind="stable")
    picks = order[((np.arange(count) + 0.5) * levels.shape[0] / count).astype(int)]
    chosen: FloatArray = levels[picks]
    return chosen


def _milp(
    demand: _Demand,
    prices: _Prices,
    *,
    relax: bool,
    stranded_limit: float | None,
    risk_paths: npt.NDArray[np.bool_],
) -> tuple[_Portfolio, float]:
    """The portfolio MILP of the module docstring (or its LP relaxation), and its objective."""
    from scipy import optimize, sparse

    n, w = demand.n, demand.w
    pools, paths, years, _ = n.shape
    q = 1.0 / paths
    cols: list[float] = []  # objective coefficients
    lower: list[float] = []
    upper: list[float] = []
    integral: list[int] = []

    def add(cost: float, ub: float = math.inf, integer: bool = False) -> int:
        cols.append(cost)
        lower.append(0.0)
        upper.append(ub)
        integral.append(1 if integer and not relax else 0)
        return len(cols) - 1

    peak = n.max(axis=(1, 2, 3))
    r3 = [
        add(HOURS_PER_YEAR * years * prices.r3[p], peak[p], True)
        if math.isfinite(prices.r3[p])
        else -1
        for p in range(pools)
    ]
    r1 = [
        [
            add(HOURS_PER_YEAR * prices.r1[p], peak[p], True) if math.isfinite(prices.r1[p]) else -1
            for _ in range(years)
        ]
        for p in range(pools)
    ]
    c3 = add(HOURS_PER_YEAR * years) if prices.d3 is not None else -1
    c1 = [add(HOURS_PER_YEAR) for _ in range(years)] if prices.d1 is not None else []
    rows: list[int] = []
    cidx: list[int] = []
    vals: list[float] = []
    lo: list[float] = []
    hi: list[float] = []
    row = 0

    def constraint(terms: Sequence[tuple[int, float]], low: float, high: float) -> None:
        nonlocal row
        for c, v in terms:
            if c >= 0:
                rows.append(row)
                cidx.append(c)
                vals.append(v)
        lo.append(low)
        hi.append(high)
        row += 1

    stranded_terms: list[list[tuple[int, float]]] = [[] for _ in range(paths)]
    spend_terms: list[list[tuple[int, float]]] = [[] for _ in range(paths)]
    for k in range(paths):
        for y in range(years):
            committed = [(r3[p], HOURS_PER_YEAR * prices.r3[p]) for p in range(pools) if r3[p] >= 0]
            committed += [
                (r1[p][y], HOURS_PER_YEAR * prices.r1[p]) for p in range(pools) if r1[p][y] >= 0
            ]
            if c3 >= 0:
                committed.append((c3, HOURS_PER_YEAR))
            if c1:
                committed.append((c1[y], HOURS_PER_YEAR))
            stranded_terms[k] += committed
            spend_terms[k] += committed
            block_need, block_hours = _bins(
                n[:, k, y, :], w, prices.od, BOUND_POINTS if relax else MILP_POINTS, upper=not relax
            )
            for j in range(block_hours.size):
                weight = float(block_hours[j])
                od_terms: list[tuple[int, float]] = []
                for p in range(pools):
                    need = float(block_need[p, j])
                    o = add(q * weight * prices.od[p])
                    z = (
                        add(q * weight * prices.spot[p], math.floor(prices.sigma[p] * need + _EPS))
                        if math.isfinite(prices.spot[p])
                        else -1
                    )
                    u3 = add(0.0, need) if r3[p] >= 0 else -1
                    u1 = add(0.0, need) if r1[p][y] >= 0 else -1
                    if u3 >= 0:
                        constraint([(u3, 1.0), (r3[p], -1.0)], -math.inf, 0.0)
                    if u1 >= 0:
                        constraint([(u1, 1.0), (r1[p][y], -1.0)], -math.inf, 0.0)
                    constraint([(u3, 1.0), (u1, 1.0)], -math.inf, need)
                    constraint([(u3, 1.0), (u1, 1.0), (o, 1.0), (z, 1.0)], need, math.inf)
                    od_terms.append((o, -prices.od[p]))
                    stranded_terms[k] += [
                        (u3, -weight * _finite(prices.r3[p])),
                        (u1, -weight * _finite(prices.r1[p])),
                    ]
                    spend_terms[k] += [
                        (o, weight * prices.od[p]),
                        (z, weight * _finite(prices.spot[p])),
                    ]
                plans = []
                for commit, discount in ((c3, prices.d3), (c1[y] if c1 else -1, prices.d1)):
                    if commit < 0 or discount is None:
                        continue
                    v = add(-q * weight)
                    constraint([(v, 1.0 - discount), (commit, -1.0)], -math.inf, 0.0)
                    plans.append(v)
                    stranded_terms[k].append((v, -weight * (1.0 - discount)))
                    spend_terms[k].append((v, -weight))
                if plans:
                    constraint([(v, 1.0) for v in plans] + od_terms, -math.inf, 0.0)
    if stranded_limit is not None:
        for k in np.flatnonzero(risk_paths).tolist():
            terms = stranded_terms[k] + [(c, -stranded_limit * v) for c, v in spend_terms[k]]
            constraint(terms, -math.inf, 0.0)
    matrix = sparse.csr_array((vals, (rows, cidx)), shape=(row, len(cols)))
    result = optimize.milp(
        c=np.array(cols),
        constraints=optimize.LinearConstraint(matrix, np.array(lo), np.array(hi)),
        integrality=np.array(integral),
        bounds=optimize.Bounds(np.array(lower), np.array(upper)),
        options={"time_limit": 20.0, "mip_rel_gap": 1e-6},
    )
    if result.x is None:  # only the risk limit can make the problem infeasible
        return _Portfolio.nothing(pools, years), math.inf
    x = np.asarray(result.x)

    def value(index: int) -> float:
        return float(x[index]) if index >= 0 else 0.0

    rounding = (lambda v: v) if relax else (lambda v: float(round(v)))
    portfolio = _Portfolio(
        r3=np.array([rounding(value(i)) for i in r3]),
        r1=np.array([[rounding(value(i)) for i in r1[p]] for p in range(pools)]),
        c3=value(c3),
        c1=np.array([value(i) for i in c1]) if c1 else np.zeros(years),
    )
    return portfolio, float(result.fun)


def _finite(value: float) -> float:
    return value if math.isfinite(value) else 0.0


# --------------------------------------------------------------------------- the plan


@functools.lru_cache(maxsize=64)
def plan_commitments(problem: PortfolioProblem) -> CommitmentPlan:
    """The commitments to buy now (and the renewals planned) for the term's demand.

    Cached by the problem (frozen, so hashable): a page's reruns, the lever waterfall and
    a plan's frontier solve the same portfolio many times.

    See the module docstring for the formulation, the solution and the statuses.

    Raises
    ------
    PlannerInputError
        From :func:`check_portfolio`.

    Examples
    --------
    A steady fleet of 10 instances for three years buys 3-year reservations for all of
    them; its obligation is the whole term:

    >>> pool = Pool(name="a", need=(10.0,), on_demand_usd_per_hour=1.0,
    ...             reserved_1y_usd_per_hour=0.63, reserved_3y_usd_per_hour=0.45)
    >>> plan = plan_commitments(PortfolioProblem(pools=(pool,)))
    >>> [(c.kind.value, c.count) for c in plan.commitments], round(plan.obligation_usd)
    ([('reserved_3y', 10)], 118260)
    """
    check_portfolio(problem)
    years = _years(problem)
    prices = _prices(problem, years)
    levels = _levels(problem.forecast, years)
    full = _demand(problem, levels, EVAL_POINTS, upper=True)
    none = _Portfolio.nothing(len(problem.pools), years)
    flexible_outcome = _cost(none, full, prices)
    allowed = (
        np.isfinite(prices.r1).any()
        or np.isfinite(prices.r3).any()
        or prices.d1 is not None
        or prices.d3 is not None
    )
    notes: list[str] = []
    if not allowed:
        return _result(problem, none, full, prices, flexible_outcome, levels, math.nan, notes)
    picks = _representatives(levels, MILP_PATHS)
    count = picks.shape[0]
    risk = np.arange(count) >= math.floor((1 - problem.stranded_quantile) * count)
    if count == 1:
        risk[:] = True
    upper = _demand(problem, picks, EVAL_POINTS, upper=True)
    lower = _demand(problem, picks, BOUND_CHUNKS, upper=False)
    limit = problem.stranded_limit
    portfolio, _ = _milp(upper, prices, relax=False, stranded_limit=limit, risk_paths=risk)
    _, bound = _milp(lower, prices, relax=True, stranded_limit=limit, risk_paths=risk)
    if problem.stranded_limit is not None:
        portfolio, scaled = _within_risk(problem, portfolio, full, prices)
        if scaled < 1:
            notes.append(
                f"Scaled to {scaled:.0%} of the optimizer's commitments so that the "
                f"{problem.stranded_quantile:.0%} quantile of stranded commitment stays "
                f"within {problem.stranded_limit:.0%} of spend on all {levels.shape[0]:,} paths."
            )
    return _result(problem, portfolio, full, prices, flexible_outcome, levels, bound, notes, picks)


def _within_risk(
    problem: PortfolioProblem, portfolio: _Portfolio, full: _Demand, prices: _Prices
) -> tuple[_Portfolio, float]:
    """The portfolio, scaled down as little as needed to meet the risk limit on every path."""
    limit = float(problem.stranded_limit or 0.0)

    def meets(candidate: _Portfolio) -> bool:
        share = _cost(candidate, full, prices).stranded_share
        return float(np.quantile(share, problem.stranded_quantile)) <= limit + 1e-9

    if meets(portfolio):
        return portfolio, 1.0
    low, high = 0.0, 1.0
    for _ in range(30):
        middle = (low + high) / 2
        if meets(portfolio.scaled(middle)):
            low = middle
        else:
            high = middle
    return portfolio.scaled(low), low


def _result(
    problem: PortfolioProblem,
    portfolio: _Portfolio,
    full: _Demand,
    prices: _Prices,
    flexible: Outcome,
    levels: FloatArray,
    bound: float,
    notes: list[str],
    picks: FloatArray | None = None,
) -> CommitmentPlan:
    years = levels.shape[1] // MONTHS_PER_YEAR
    outcome = _cost(portfolio, full, prices)
    lines: list[Commitment] = []
    obligation = 0.0
    renewals = 0.0
    first_year: dict[str, dict[CommitmentKind, int]] = {}
    for p, pool in enumerate(problem.pools):
        if portfolio.r3[p] > 0:
            held = portfolio.r3[p] * HOURS_PER_YEAR * years
            usd = held * prices.r3[p]
            obligation += usd
            lines.append(
                Commitment(
                    kind=CommitmentKind.RESERVED_3Y,
                    pool=pool.name,
                    count=int(portfolio.r3[p]),
                    usd_per_hour=float(portfolio.r3[p] * prices.r3[p]),
                    start_year=1,
                    obligation_usd=float(usd),
                    break_even_utilisation=float(prices.r3[p] / prices.od[p]),
                    utilisation=float(outcome.used_3y_hours[p] / held),
                )
            )
            first_year.setdefault(pool.name, {})[CommitmentKind.RESERVED_3Y] = int(portfolio.r3[p])
        for y in range(years):
            if portfolio.r1[p, y] <= 0:
                continue
            held = portfolio.r1[p, y] * HOURS_PER_YEAR
            usd = held * prices.r1[p]
            if y == 0:
                obligation += usd
                first_year.setdefault(pool.name, {})[CommitmentKind.RESERVED_1Y] = int(
                    portfolio.r1[p, 0]
                )
            else:
                renewals += usd
            lines.append(
                Commitment(
                    kind=CommitmentKind.RESERVED_1Y,
                    pool=pool.name,
                    count=int(portfolio.r1[p, y]),
                    usd_per_hour=float(portfolio.r1[p, y] * prices.r1[p]),
                    start_year=y + 1,
                    obligation_usd=float(usd),
                    break_even_utilisation=float(prices.r1[p] / prices.od[p]),
                    utilisation=float(outcome.used_1y_hours[p, y] / held),
                )
            )
    plan_use = outcome.plan_used_usd
    plan_total = portfolio.c3 + portfolio.c1
    if portfolio.c3 > 1e-9 and prices.d3 is not None:
        usd = portfolio.c3 * HOURS_PER_YEAR * years
        obligation += usd
        share = portfolio.c3 / plan_total
        lines.append(
            Commitment(
                kind=CommitmentKind.SAVINGS_PLAN_3Y,
                pool=None,
                count=0,
                usd_per_hour=float(portfolio.c3),
                start_year=1,
                obligation_usd=float(usd),
                break_even_utilisation=1.0 - prices.d3,
                utilisation=float((plan_use * share).sum() / usd),
            )
        )
    for y in range(years):
        if portfolio.c1[y] <= 1e-9 or prices.d1 is None:
            continue
        usd = float(portfolio.c1[y]) * HOURS_PER_YEAR
        if y == 0:
            obligation += usd
        else:
            renewals += usd
        lines.append(
            Commitment(
                kind=CommitmentKind.SAVINGS_PLAN_1Y,
                pool=None,
                count=0,
                usd_per_hour=float(portfolio.c1[y]),
                start_year=y + 1,
                obligation_usd=usd,
                break_even_utilisation=1.0 - prices.d1,
                utilisation=float(plan_use[y] * portfolio.c1[y] / plan_total[y] / usd),
            )
        )
    expected = float(outcome.cost_usd.mean())
    if picks is not None and math.isfinite(bound):
        rep_cost = float(
            _cost(
                portfolio, _demand(problem, picks, BOUND_CHUNKS, upper=True), prices
            ).cost_usd.mean()
        )
        gap = max(0.0, (rep_cost - bound) / rep_cost) if rep_cost > 0 else 0.0
    else:
        gap = 0.0
    if not lines:
        status = CommitmentStatus.NO_COMMITMENT
        message = (
            "No commitment is allowed: every hour is on-demand or spot."
            if picks is None
            else "No commitment pays for itself over its term: every hour is on-demand or spot."
        )
    elif gap <= 1e-6:
        status, message = CommitmentStatus.OPTIMAL, "Proven optimal for the forecast."
    else:
        status = CommitmentStatus.FEASIBLE
        message = (
            f"Within {gap:.2%} of the proven lower bound on the forecast's "
            f"{picks.shape[0] if picks is not None else 1} representative paths (the bound "
            "counts each stretch of hours at its lowest demand)."
        )
    median = np.median(levels, axis=0, keepdims=True)
    falls: dict[float, tuple[float, float]] = {}
    for fall in (0.25, 0.5):
        lower = _demand(problem, median * (1 - fall), EVAL_POINTS, upper=True)
        falls[fall] = (
            float(_cost(portfolio, lower, prices).cost_usd[0]),
            float(_cost(_Portfolio.nothing(len(problem.pools), years), lower, prices).cost_usd[0]),
        )
    quantile = float(np.quantile(outcome.stranded_share, problem.stranded_quantile))
    return CommitmentPlan(
        status=status,
        message=message,
        years=years,
        commitments=tuple(lines),
        expected_cost_usd=expected,
        on_demand_only_cost_usd=float(flexible.cost_usd.mean()),
        year_costs_usd=tuple(float(v) for v in outcome.year_cost_usd),
        flexible_year_costs_usd=tuple(float(v) for v in flexible.year_cost_usd),
        cost_quantiles_usd=tuple(float(v) for v in np.quantile(outcome.cost_usd, (0.1, 0.5, 0.9))),  # type: ignore[arg-type]
        lower_bound_usd=bound if math.isfinite(bound) else expected,
        gap=gap,
        obligation_usd=obligation,
        obligation_months=12
        * max((c.kind.term_years for c in lines if c.start_year == 1), default=0),
        planned_renewals_usd=renewals,
        stranded_share_quantile=quantile,
        stranded_quantile=problem.stranded_quantile,
        if_demand_falls=falls,
        paths=levels.shape[0],
        notes=tuple(notes),
        first_year_reserved=first_year,
    )

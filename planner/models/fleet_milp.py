"""The instance-mix problem stated naively for HiGHS: the reference that
:func:`planner.models.fleet.optimize_mix` is measured against.

One :func:`scipy.optimize.milp` over every hour's on-demand and spot counts and the reserved
counts, and its LP relaxation: exact but slow on a year of hours, so the benchmark
(``bench/bench_fleet.py``) and the tests use it, not the app.
"""

from __future__ import annotations

import math
import time

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from planner.catalog import PriceTier

# The optimizer's own preparation of the problem, so that the reference states the very
# same problem, hour by hour.
from planner.models.fleet import (
    IntArray,
    MixPlan,
    MixProblem,
    MixStatus,
    _assemble,
    _Prep,
    _prepare,
    check_problem,
)


def _cover_and_spot_constraints(
    prep: _Prep, cover: sparse.csr_matrix, hours_index: IntArray, spot_cols: IntArray
) -> list[LinearConstraint]:
    """Coverage every hour, and the spot share cap where the problem has one.

    Shared by the naive MILP and its LP relaxation, which differ only in integrality.
    """
    n_hours, n_vars = cover.shape
    constraints = [LinearConstraint(cover, lb=prep.required, ub=np.inf)]
    weights = np.where(np.isfinite(prep.omega), prep.omega, 0.0) * prep.cap
    if np.any(weights > 0):
        spot_rows = sparse.coo_matrix(
            (np.tile(weights, n_hours), (hours_index, spot_cols)), shape=(n_hours, n_vars)
        ).tocsr()
        constraints.append(LinearConstraint(spot_rows, lb=-np.inf, ub=prep.required))
    return constraints


def solve_full_milp(problem: MixProblem, *, time_limit_seconds: float = 60.0) -> MixPlan:
    """The naive formulation in one :func:`scipy.optimize.milp` (HiGHS) call.

    Every variable of the module docstring is explicit: reserved counts per type and term,
    on-demand and spot counts per type and hour. It is exact given time, and the reference
    the decomposition is measured against (``bench/bench_fleet.py``, the tests). Past the time
    limit it returns HiGHS's incumbent, with HiGHS's dual bound as ``lower_bound_usd``;
    ``details["highs_status"]`` keeps HiGHS's own status. Without an incumbent it raises
    :class:`RuntimeError`.

    >>> from planner.models.fleet import InstanceOption
    >>> opt = InstanceOption(name="a", capacity=10, on_demand_usd_per_hour=1.0,
    ...                      reserved_1y_usd_per_hour=0.6)
    >>> plan = solve_full_milp(MixProblem(demand=(10.0, 10.0, 25.0, 5.0), options=(opt,)))
    >>> round(plan.total_cost_usd, 2), plan.method
    (4.4, 'full_milp')
    """
    check_problem(problem)
    started = time.perf_counter()
    prep = _prepare(problem)
    n_hours, n_types = prep.required.shape[0], prep.cap.shape[0]
    p1 = np.array(
        [
            o.reserved_1y_usd_per_hour
            if PriceTier.RESERVED_1Y in problem.tiers and o.reserved_1y_usd_per_hour
            else math.inf
            for o in problem.options
        ]
    )
    p3 = np.array(
        [
            o.reserved_3y_usd_per_hour
            if PriceTier.RESERVED_3Y in problem.tiers and o.reserved_3y_usd_per_hour
            else math.inf
            for o in problem.options
        ]
    )
    n_vars = 2 * n_types + 2 * n_hours * n_types
    cost = np.concatenate(
        [
            np.where(np.isfinite(p1), n_hours * p1, 0.0),
            np.where(np.isfinite(p3), n_hours * p3, 0.0),
            np.tile(np.where(np.isfinite(prep.p_od), prep.p_od, 0.0), n_hours),
            np.tile(np.where(np.isfinite(prep.p_spot), prep.p_spot, 0.0), n_hours),
        ]
    )
    upper = np.concatenate(
        [
            np.where(np.isfinite(p1), np.inf, 0.0),
            np.where(np.isfinite(p3), np.inf, 0.0),
            np.tile(np.where(np.isfinite(prep.p_od), np.inf, 0.0), n_hours),
            np.tile(np.where(np.isfinite(prep.p_spot), np.inf, 0.0), n_hours),
        ]
    )
    hours_index = np.repeat(np.arange(n_hours), n_types)
    od_cols = 2 * n_types + np.arange(n_hours * n_types)
    spot_cols = od_cols + n_hours * n_types
    tiled_cap = np.tile(prep.cap, n_hours)
    cover = sparse.coo_matrix(
        (
            np.concatenate([np.tile(prep.cap, 2 * n_hours), tiled_cap, tiled_cap]),
            (
                np.concatenate(
                    [np.repeat(np.arange(n_hours), 2 * n_types), hours_index, hours_index]
                ),
                np.concatenate([np.tile(np.arange(2 * n_types), n_hours), od_cols, spot_cols]),
            ),
        ),
        shape=(n_hours, n_vars),
    ).tocsr()
    constraints = _cover_and_spot_constraints(prep, cover, hours_index, spot_cols)
    result = milp(
        cost,
        integrality=np.ones(n_vars),
        bounds=Bounds(np.zeros(n_vars), upper),
        constraints=constraints,
        options={"time_limit": float(time_limit_seconds), "disp": False},
    )
    if result.x is None:
        raise RuntimeError(f"HiGHS found no plan: {result.message}")
    values = np.round(result.x).astype(np.int64)
    r1 = values[:n_types]
    r3 = values[n_types : 2 * n_types]
    od = values[2 * n_types : 2 * n_types + n_hours * n_types].reshape(n_hours, n_types)
    spot = values[2 * n_types + n_hours * n_types :].reshape(n_hours, n_types)
    dual = getattr(result, "mip_dual_bound", None)
    lower = float(dual) if dual is not None and math.isfinite(dual) else -math.inf
    plan = _assemble(
        problem,
        prep,
        r1,
        r3,
        od,
        spot,
        lower_bound=lower,
        lp_bound=-math.inf,
        started=started,
        method="full_milp",
        details={"highs_status": int(result.status), "highs_message": str(result.message)},
        status=MixStatus.OPTIMAL if result.status == 0 else MixStatus.FEASIBLE,
        message=str(result.message),
    )
    return plan


def lp_relaxation_milp(problem: MixProblem, *, time_limit_seconds: float = 120.0) -> float:
    """The LP relaxation of the naive formulation, solved by HiGHS (for cross-checks).

    >>> from planner.models.fleet import InstanceOption
    >>> opt = InstanceOption(name="a", capacity=10, on_demand_usd_per_hour=1.0)
    >>> lp_relaxation_milp(MixProblem(demand=(15.0,), options=(opt,)))
    1.5
    """
    check_problem(problem)
    prep = _prepare(problem)
    n_hours, n_types = prep.required.shape[0], prep.cap.shape[0]
    rho = prep.p_res / prep.cap
    n_vars = 1 + 2 * n_hours * n_types
    cost = np.concatenate(
        [
            [n_hours * float(np.min(rho)) if np.isfinite(rho).any() else 0.0],
            np.tile(np.where(np.isfinite(prep.p_od), prep.p_od, 0.0), n_hours),
            np.tile(np.where(np.isfinite(prep.p_spot), prep.p_spot, 0.0), n_hours),
        ]
    )
    upper = np.concatenate(
        [
            [np.inf if np.isfinite(rho).any() else 0.0],
            np.tile(np.where(np.isfinite(prep.p_od), np.inf, 0.0), n_hours),
            np.tile(np.where(np.isfinite(prep.p_spot), np.inf, 0.0), n_hours),
        ]
    )
    hours_index = np.repeat(np.arange(n_hours), n_types)
    od_cols = 1 + np.arange(n_hours * n_types)
    spot_cols = od_cols + n_hours * n_types
    tiled_cap = np.tile(prep.cap, n_hours)
    cover = sparse.coo_matrix(
        (
            np.concatenate([np.ones(n_hours), tiled_cap, tiled_cap]),
            (
                np.concatenate([np.arange(n_hours), hours_index, hours_index]),
                np.concatenate([np.zeros(n_hours, dtype=np.int64), od_cols, spot_cols]),
            ),
        ),
        shape=(n_hours, n_vars),
    ).tocsr()
    constraints = _cover_and_spot_constraints(prep, cover, hours_index, spot_cols)
    result = milp(
        cost,
        integrality=np.zeros(n_vars),
        bounds=Bounds(np.zeros(n_vars), upper),
        constraints=constraints,
        options={"time_limit": float(time_limit_seconds)},
    )
    if result.fun is None:  # pragma: no cover
        raise RuntimeError(f"HiGHS did not solve the LP: {result.message}")
    return float(result.fun)

"""Properties of the instance-mix optimizer, over random fleets and demand profiles."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.catalog import PriceTier
from planner.models.fleet import InstanceOption, MixPlan, MixProblem, optimize_mix
from planner.models.fleet_milp import solve_full_milp

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _share_of(draw: st.DrawFn, price: float, low: float, high: float) -> float | None:
    """No price, or ``price`` times a drawn share in [low, high], rounded like a price list."""
    share = draw(st.none() | st.floats(low, high))
    return None if share is None else round(price * share, 4)


@st.composite
def options(
    draw: st.DrawFn, *, round_capacities: bool = True, wide: bool = False
) -> tuple[InstanceOption, ...]:
    count = draw(st.integers(1, 4))
    result = []
    for index in range(count):
        if round_capacities:
            capacity = float(draw(st.integers(1, 12)) * 5)
        elif wide:  # four orders of magnitude: types far narrower than the peak hour
            capacity = 10 ** draw(st.floats(-1.5, 2.5, allow_nan=False))
        else:
            capacity = draw(st.floats(2.0, 80.0, allow_nan=False))
        od = round(capacity * draw(st.floats(0.02, 0.2)), 4)
        spot = _share_of(draw, od, 0.15, 0.9)
        one = _share_of(draw, od, 0.4, 0.95)
        three = _share_of(draw, od, 0.3, 0.9)
        result.append(
            InstanceOption(
                name=f"t{index}",
                capacity=capacity,
                on_demand_usd_per_hour=od,
                spot_usd_per_hour=spot,
                reserved_1y_usd_per_hour=one,
                reserved_3y_usd_per_hour=three,
                interruption_rate=draw(st.sampled_from([0.0, 0.05, 0.2])),
            )
        )
    return tuple(result)


@st.composite
def problems(
    draw: st.DrawFn,
    *,
    round_capacities: bool = True,
    hours: int = 48,
    availability: bool = True,
    wide: bool = False,
) -> MixProblem:
    opts = draw(options(round_capacities=round_capacities, wide=wide))
    length = draw(st.integers(1, hours))
    scales = [10.0, 100.0, 1000.0] + ([30_000.0, 1e6] if wide else [])
    scale = draw(st.sampled_from(scales))
    demand = draw(st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=length, max_size=length))
    share = draw(st.sampled_from([0.0, 0.3, 0.6, 0.9]))
    target = draw(st.none() | st.sampled_from([0.9, 0.99])) if availability else None
    return MixProblem(
        demand=tuple(round(d * scale, 2) for d in demand),
        options=opts,
        headroom=draw(st.sampled_from([0.0, 0.1, 0.3])),
        spot_max_share=share,
        availability_target=target,
    )


def _capacity(plan: MixPlan) -> npt.NDArray[np.float64]:
    caps = np.asarray(plan.capacities, dtype=float)
    reserved = np.asarray(plan.reserved_1y) + np.asarray(plan.reserved_3y)
    total = float(caps @ reserved) + plan.on_demand @ caps + plan.spot @ caps
    return np.asarray(total, dtype=float)


def _all_on_demand(problem: MixProblem) -> float:
    """Each hour, whole instances of the type with the best on-demand price per capacity."""
    price, capacity = min(
        (
            (o.on_demand_usd_per_hour, o.capacity)
            for o in problem.options
            if o.on_demand_usd_per_hour is not None
        ),
        key=lambda pair: pair[0] / pair[1],
    )
    return float(
        sum(
            math.ceil(d * (1 + problem.headroom) / capacity - 1e-12) * price for d in problem.demand
        )
    )


def _all_reserved_at_peak(problem: MixProblem) -> float:
    """Reserve, for the whole horizon, enough of one type to cover the peak hour."""
    peak = max(problem.demand) * (1 + problem.headroom)
    costs = []
    for o in problem.options:
        prices = [p for p in (o.reserved_1y_usd_per_hour, o.reserved_3y_usd_per_hour) if p]
        if prices:
            count = math.ceil(peak / o.capacity - 1e-12)
            costs.append(count * min(prices) * len(problem.demand))
    return min(costs, default=math.inf)


@SETTINGS
@given(problems(round_capacities=False) | problems(round_capacities=False, wide=True))
def test_the_plan_covers_demand_every_hour_and_respects_spot_rules(problem: MixProblem) -> None:
    # Wide capacities reach the large-fleet remainder and the restricted reserved staircase,
    # where the former grid over-counted narrow types and raised a RuntimeError.
    plan = optimize_mix(problem)
    required = np.asarray(problem.demand) * (1 + problem.headroom)
    assert (_capacity(plan) >= required - 1e-7 * np.maximum(1, required)).all()
    weights = []
    for option in problem.options:
        sigma = problem.spot_max_share
        weight = math.inf if sigma <= 0 else (0.0 if sigma >= 1 else 1 / sigma)
        if problem.availability_target is not None and option.interruption_rate > 0:
            weight = max(weight, option.interruption_rate / (1 - problem.availability_target))
        weights.append(weight)
    caps = np.asarray(plan.capacities)
    for t, weight in enumerate(weights):
        if not math.isfinite(weight) or problem.options[t].spot_usd_per_hour is None:
            assert plan.spot[:, t].sum() == 0
    finite = np.where(np.isfinite(weights), weights, 0.0) * caps
    assert (plan.spot @ finite <= required + 1e-7 * np.maximum(1, required)).all()
    assert (plan.on_demand >= 0).all()
    assert (plan.spot >= 0).all()


@SETTINGS
@given(problems(round_capacities=False))
def test_the_plan_never_costs_more_than_all_on_demand_or_all_reserved(problem: MixProblem) -> None:
    plan = optimize_mix(problem)
    assert plan.total_cost_usd <= _all_on_demand(problem) * (1 + 1e-9) + 1e-9
    assert plan.total_cost_usd <= _all_reserved_at_peak(problem) * (1 + 1e-9) + 1e-9


@SETTINGS
@given(
    problems(round_capacities=True, availability=False),
    st.integers(0, 3),
    st.sampled_from(list(PriceTier)),
    st.floats(0.3, 0.99),
)
def test_a_lower_price_never_raises_the_optimum(
    problem: MixProblem, index: int, tier: PriceTier, factor: float
) -> None:
    index %= len(problem.options)
    option = problem.options[index]
    price = option.price(tier)
    if price is None:
        return
    field = {
        PriceTier.ON_DEMAND: "on_demand_usd_per_hour",
        PriceTier.SPOT: "spot_usd_per_hour",
        PriceTier.RESERVED_1Y: "reserved_1y_usd_per_hour",
        PriceTier.RESERVED_3Y: "reserved_3y_usd_per_hour",
    }[tier]
    changes: dict[str, Any] = {field: price * factor}
    cheaper = replace(option, **changes)
    options = tuple(cheaper if i == index else o for i, o in enumerate(problem.options))
    before = optimize_mix(problem)
    after = optimize_mix(replace(problem, options=options))
    # Round capacities and a plain spot cap give whole-hour lists: both are proven optima.
    assert before.status == "optimal"
    assert after.status == "optimal"
    assert after.total_cost_usd <= before.total_cost_usd + 1e-9


@SETTINGS
@given(problems(round_capacities=False) | problems(round_capacities=False, wide=True))
def test_the_lower_bound_never_exceeds_the_plans_cost(problem: MixProblem) -> None:
    plan = optimize_mix(problem)
    assert plan.lp_bound_usd <= plan.lower_bound_usd + 1e-9
    assert plan.lower_bound_usd <= plan.total_cost_usd + 1e-9
    assert 0.0 <= plan.gap <= 1.0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    problems(round_capacities=False, hours=8) | problems(round_capacities=False, hours=6, wide=True)
)
def test_the_plan_is_within_its_stated_gap_of_highs_optimum(problem: MixProblem) -> None:
    # The reported gap is honest: the proven bound is at most the optimum, so the plan is
    # never worse than the optimum by more than the gap it states. HiGHS stops within its
    # default relative gap (1e-4), so the optimum lies between its dual bound and incumbent.
    plan = optimize_mix(problem)
    exact = solve_full_milp(problem, time_limit_seconds=20)
    if exact.status != "optimal":  # HiGHS ran out of time: nothing to compare against
        return
    slack = 1e-6 * max(1.0, exact.total_cost_usd)
    assert plan.lower_bound_usd <= exact.total_cost_usd + slack
    assert plan.total_cost_usd * (1 - plan.gap) <= exact.total_cost_usd + slack
    assert plan.total_cost_usd >= exact.lower_bound_usd - slack
    if plan.status == "optimal":
        assert plan.total_cost_usd <= exact.total_cost_usd + slack

"""Commitments over their term (issue 11 part 1): the portfolio MILP against brute force,
the obligation and break-even figures, the risk limit and falls in demand."""

from __future__ import annotations

import io
import itertools
import json

import numpy as np
import pytest

from planner.catalog import CommitmentKind
from planner.core.errors import PlannerInputError
from planner.models.commitments import (
    CommitmentStatus,
    Forecast,
    Pool,
    PortfolioProblem,
    _cost,
    _demand,
    _levels,
    _Portfolio,
    _prices,
    _years,
    plan_commitments,
)

# One day: 8 quiet hours at 2 instances, 16 busy hours at 5 (a small fleet the brute force
# can enumerate). Prices: on-demand $1/h; 1-y 37% and 3-y 55% off, the catalog assumptions.
DAY = (2.0,) * 8 + (5.0,) * 16
SERVING = Pool(
    name="g6e.xlarge",
    need=DAY,
    on_demand_usd_per_hour=1.0,
    reserved_1y_usd_per_hour=0.63,
    reserved_3y_usd_per_hour=0.45,
)


def _term_cost(problem: PortfolioProblem, r3, r1, c3=0.0, c1=(0.0, 0.0, 0.0)) -> float:
    years = _years(problem)
    levels = _levels(problem.forecast, years)
    demand = _demand(problem, levels, 48, upper=True)
    portfolio = _Portfolio(
        r3=np.array(r3, dtype=float),
        r1=np.array(r1, dtype=float).reshape(len(problem.pools), years),
        c3=c3,
        c1=np.array(c1[:years], dtype=float),
    )
    return float(_cost(portfolio, demand, _prices(problem, years)).cost_usd.mean())


def test_a_steady_fleet_buys_three_year_reservations_and_says_what_it_owes() -> None:
    plan = plan_commitments(PortfolioProblem(pools=(SERVING,)))
    counts = {(c.kind, c.start_year): c.count for c in plan.commitments}
    # 2 instances run every hour (100% used > 45% break-even); the 3 busy-hour ones run
    # 16/24 = 67% of hours: above the 3-y break-even of 45%, so they are reserved too.
    assert counts == {(CommitmentKind.RESERVED_3Y, 1): 5}
    assert plan.status is CommitmentStatus.OPTIMAL
    assert plan.obligation_usd == pytest.approx(5 * 0.45 * 8760 * 3)
    assert plan.obligation_months == 36
    (line,) = plan.commitments
    assert line.break_even_utilisation == pytest.approx(0.45)
    assert line.utilisation == pytest.approx((2 * 24 + 3 * 16) / (5 * 24))


def test_the_portfolio_is_never_worse_than_the_best_point_of_a_brute_force_grid() -> None:
    """Growth makes the later years need more: every combination of 3-y reservations and
    1-y reservations per year, 0 to 8 each (6,561 plans), is costed; the MILP's plan is
    the cheapest of them (it is exact here: each hour's need is one of few values)."""
    problem = PortfolioProblem(pools=(SERVING,), forecast=Forecast(growth_per_year=0.3))
    plan = plan_commitments(problem)
    grid = range(9)
    best = min(
        _term_cost(problem, [r3], [r1a, r1b, r1c])
        for r3, r1a, r1b, r1c in itertools.product(grid, grid, grid, grid)
    )
    assert plan.expected_cost_usd <= best * (1 + 1e-9)
    assert plan.expected_cost_usd == pytest.approx(best, rel=1e-9)


def test_a_savings_plan_covers_two_types_and_beats_a_brute_force_grid() -> None:
    """Two types, savings plans only: one USD-per-hour commitment covers the on-demand
    spend of both. The grid: a 3-y plan of $0 to $8/h by $0.05."""
    training = Pool(
        name="p5.48xlarge",
        need=(3.0,) * 18 + (1.0,) * 6,
        grows=False,
        on_demand_usd_per_hour=2.0,
    )
    problem = PortfolioProblem(
        pools=(SERVING, training), kinds=frozenset({CommitmentKind.SAVINGS_PLAN_3Y})
    )
    plan = plan_commitments(problem)
    grid = {
        c: _term_cost(problem, [0, 0], [0, 0, 0, 0, 0, 0], c3=c) for c in np.arange(0, 8.01, 0.05)
    }
    best = min(grid.values())
    assert plan.expected_cost_usd <= best * (1 + 1e-9)
    (line,) = plan.commitments
    assert line.kind is CommitmentKind.SAVINGS_PLAN_3Y
    # Aligned by rank, the least on-demand spend in an hour is 2 x $1 + 1 x $2 = $4, which
    # a plan of 4 x (1 - 0.52) = $1.92/h pays for in every hour.
    assert line.usd_per_hour >= 1.92 - 1e-6
    assert line.break_even_utilisation == pytest.approx(0.48)


def test_no_commitment_allowed_is_all_on_demand() -> None:
    plan = plan_commitments(PortfolioProblem(pools=(SERVING,), kinds=frozenset()))
    assert plan.status is CommitmentStatus.NO_COMMITMENT
    assert plan.commitments == ()
    assert plan.obligation_usd == 0
    assert plan.expected_cost_usd == pytest.approx((2 * 8 + 5 * 16) / 24 * 8760)


def test_the_risk_limit_holds_on_every_path_and_costs_commitment() -> None:
    forecast = Forecast(growth_per_year=0.2, growth_sd_per_year=0.5, paths=500, seed=1)
    free = plan_commitments(PortfolioProblem(pools=(SERVING,), forecast=forecast))
    bounded = plan_commitments(
        PortfolioProblem(pools=(SERVING,), forecast=forecast, stranded_limit=0.02)
    )
    assert bounded.stranded_share_quantile <= 0.02 + 1e-9
    assert free.stranded_share_quantile > 0.02
    assert bounded.obligation_usd < free.obligation_usd
    assert bounded.expected_cost_usd >= free.expected_cost_usd - 1e-6


def test_a_fall_in_demand_shows_what_the_obligation_costs() -> None:
    plan = plan_commitments(PortfolioProblem(pools=(SERVING,)))
    with_plan, without = plan.if_demand_falls[0.5]
    # Half the demand: 1 and 3 instances (rounded up); the 5 reservations are still paid,
    # and still used 56 of their 120 instance-hours a day: 47%, just above break-even.
    assert with_plan == pytest.approx(5 * 0.45 * 8760 * 3)
    assert without == pytest.approx((1 * 8 + 3 * 16) / 24 * 8760 * 3)
    assert with_plan < without
    with_plan, without = plan.if_demand_falls[0.25]
    assert with_plan < without


def test_a_one_year_horizon_when_only_one_year_terms_are_allowed() -> None:
    plan = plan_commitments(
        PortfolioProblem(pools=(SERVING,), kinds=frozenset({CommitmentKind.RESERVED_1Y}))
    )
    assert plan.years == 1
    assert {c.kind for c in plan.commitments} == {CommitmentKind.RESERVED_1Y}
    assert plan.obligation_months == 12


def test_bad_input_says_what_to_fix() -> None:
    with pytest.raises(PlannerInputError, match="paths"):
        plan_commitments(PortfolioProblem(pools=(SERVING,), forecast=Forecast(paths=0)))
    with pytest.raises(PlannerInputError, match="growth per year"):
        plan_commitments(
            PortfolioProblem(pools=(SERVING,), forecast=Forecast(growth_per_year=float("nan")))
        )


def test_an_endpoint_buys_reservations_for_their_term_and_states_the_obligation() -> None:
    """Issue 11: a 4-week horizon with 3-year terms allowed used to buy 3-year reservations
    as if the 4 weeks repeated, with no word of the obligation. Now the reservations come
    from the term plan (36 months of the forecast), the hourly mix buys what is above them,
    and `serve --json` states the obligation, the break-even and the falls in demand."""
    from dataclasses import replace

    from planner.catalog import PriceTier
    from planner.costing.serving import evaluate_serving, price_endpoint, serve_summary
    from planner.io.scenario_files import read_scenario

    scenario = read_scenario("scenarios/recommendation_cost_per_request.yaml")
    endpoint = scenario.serving[0]
    endpoint = replace(
        endpoint,
        mix=replace(endpoint.mix, tiers=(PriceTier.ON_DEMAND, PriceTier.RESERVED_3Y)),
        traffic=replace(endpoint.traffic, horizon_weeks=4, monthly_growth=0.0),
    )
    priced = price_endpoint(endpoint, scenario.pricing)
    term = priced.term
    assert term is not None
    assert term.years == 3
    (line,) = term.commitments
    fleet = priced.fleet
    assert fleet is not None
    assert fleet.reserved_3y == (line.count,)  # the hourly mix holds what the term plan bought
    assert term.obligation_usd == pytest.approx(line.usd_per_hour * 8760 * 3)
    assert term.obligation_months == 36
    hourly = fleet.details["prices"]
    assert sum(hourly.values()) == pytest.approx(priced.total_cost_usd)
    summary = serve_summary(evaluate_serving(endpoint, scenario.pricing))
    block = summary["plan"]["commitments"]
    assert block["obligation_usd"] == pytest.approx(term.obligation_usd)
    assert set(block["if_demand_falls"]) == {"25%", "50%"}
    assert block["commitments"][0]["break_even_utilisation"] == pytest.approx(0.45)


PORTFOLIO = "tests/fixtures/portfolio.yaml"


def test_the_system_portfolio_is_a_line_of_the_monthly_cost() -> None:
    """A scenario's commitments section buys one portfolio over its training job (p5, on
    demand) and its endpoint (g6e, on demand and spot): its first-year saving is a
    negative line of `evaluate`, and `commitments --json` states the same plan."""
    from planner.cli import main
    from planner.costing.economics import CostCategory, evaluate
    from planner.io.scenario_files import read_scenario

    scenario = read_scenario(PORTFOLIO)
    economics = evaluate(scenario)
    plan = economics.commitments
    assert plan is not None
    (line,) = [item for item in economics.lines if item.category is CostCategory.COMMITMENTS]
    assert line.usd_per_month == pytest.approx(-plan.first_year_saving_usd_per_month)
    assert line.usd_per_month < 0
    others = sum(item.usd_per_month for item in economics.lines if item is not line)
    assert economics.monthly_cost_usd == pytest.approx(others + line.usd_per_month)
    # The p5 job runs 192 of 730 hours a month (26%): below a reservation's 45% break-even,
    # so its hours are better pooled with the endpoint's under a savings plan.
    assert all(c.pool != "p5.48xlarge" for c in plan.commitments)
    assert any(c.kind is CommitmentKind.SAVINGS_PLAN_3Y for c in plan.commitments)
    out = io.StringIO()
    assert main(["commitments", PORTFOLIO, "--json"], out) == 0
    data = json.loads(out.getvalue())
    assert data["obligation_usd"] == pytest.approx(plan.obligation_usd)
    assert data["monthly_cost_usd"] == pytest.approx(economics.monthly_cost_usd)


def test_a_system_portfolio_refuses_an_endpoint_that_commits_on_its_own() -> None:
    from pathlib import Path

    import yaml

    from planner.scenario import load_mapping

    data = yaml.safe_load(Path(PORTFOLIO).read_text(encoding="utf-8"))
    data["serving"][0]["mix"]["tiers"] = ["on_demand", "reserved_1y"]
    with pytest.raises(PlannerInputError, match="buys reservations of its own"):
        load_mapping(data)


def test_pooling_never_costs_more_than_committing_to_each_pool_alone() -> None:
    training = Pool(
        name="p5.48xlarge",
        need=(2.0,) * 192 + (0.0,) * 538,
        grows=False,
        on_demand_usd_per_hour=55.04,
        reserved_1y_usd_per_hour=55.04 * 0.63,
        reserved_3y_usd_per_hour=55.04 * 0.45,
    )
    together = plan_commitments(PortfolioProblem(pools=(SERVING, training)))
    alone = sum(
        plan_commitments(PortfolioProblem(pools=(pool,))).expected_cost_usd
        for pool in (SERVING, training)
    )
    assert together.expected_cost_usd <= alone * (1 + 1e-9)


def test_the_work_is_bounded_by_paths_times_types_not_each_alone() -> None:
    """5,000 paths over 12 instance types would be 124 million points (about 1 GB an array):
    refused, with the number of paths that fits."""
    pools = tuple(replace_name(SERVING, f"type-{i}") for i in range(12))
    with pytest.raises(PlannerInputError, match="use at most 289 paths"):
        plan_commitments(PortfolioProblem(pools=pools, forecast=Forecast(paths=5_000)))


def replace_name(pool: Pool, name: str) -> Pool:
    from dataclasses import replace

    return replace(pool, name=name)

"""Benchmark: plan to a budget and the commitment portfolio (issue 12, part 4).

Two measurements, each against a baseline run in the same process, printed as ratios
(these machines are noisy):

* ``plan``: :func:`planner.planning.plan_to_budget` on a year of hourly demand
  (``horizon_weeks: 52``), 10 candidate GPUs, on-demand and spot hours and every kind of
  commitment (target: under 2 s), against a brute-force grid of the same problem: sizes x
  serving options, each with the most tokens the budget buys (bisection on the exact
  monthly cost). Both report their predicted loss: the plan's should be no worse.
* ``portfolio``: :func:`planner.models.commitments.plan_commitments` with 1,000 demand
  paths over 3 years (target: under 5 s), against the naive MILP: the same formulation on
  every path at once, no representative paths (its time and objective).

Run::

    python -m bench.bench_plan                  # both
    python -m bench.bench_plan --grid 6         # a coarser brute force
    python -m bench.bench_plan --naive-paths 200
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import replace

import numpy as np

from planner.catalog import CommitmentKind, load_catalog
from planner.core.errors import PlannerInputError
from planner.costing.economics import evaluate
from planner.models import commitments as portfolio_model
from planner.models.sizing import law_fit
from planner.planning import (
    _tables,
    _training_job,
    plan_to_budget,
    planned_endpoint,
    serving_candidates,
)
from planner.scenario import Scenario
from planner.scenario.planning import BudgetPlan

REQUEST = BudgetPlan(
    budget_usd_per_month=40_000.0,
    requests_per_month=2e6,
    input_tokens=1200,
    output_tokens=300,
    growth_per_year=0.5,
    horizon_weeks=52,
    tpot_target_ms=50.0,
)


def _brute_force(request: BudgetPlan, grid: int) -> tuple[float, float, int]:
    """The best loss on a grid: (loss, seconds, plans costed)."""
    catalog = load_catalog()
    started = time.perf_counter()
    pricing = Scenario().pricing
    table, training = _tables(request, pricing, catalog)
    fit = law_fit(request.law)
    budget = float(request.budget_usd_per_month or 0.0)
    best, costed = math.inf, 0
    for params in np.geomspace(1e9, 1e11, grid):
        for gpu, precision in table.options:
            try:
                instances = serving_candidates(float(params), gpu, precision, catalog)
            except PlannerInputError:
                continue
            for instance in instances:
                endpoint = planned_endpoint(
                    request, float(params), gpu, precision, catalog, instance
                )

                def monthly(tokens: float, endpoint=endpoint, params=params) -> float:
                    job = _training_job(
                        request, float(params), tokens, training.instance, training.tier, 64
                    )
                    return evaluate(
                        Scenario(pricing=pricing, training=(job,), serving=(endpoint,)),
                        catalog,
                    ).monthly_cost_usd

                try:
                    if monthly(1e6) > budget:
                        continue
                except PlannerInputError:
                    continue
                low, high = 1e6, 1e14
                for _ in range(14):
                    middle = math.sqrt(low * high)
                    costed += 1
                    if monthly(middle) <= budget:
                        low = middle
                    else:
                        high = middle
                best = min(best, float(fit.loss(float(params), low)))
    return best, time.perf_counter() - started, costed


def bench_plan(grid: int) -> None:
    started = time.perf_counter()
    plan = plan_to_budget(REQUEST)
    seconds = time.perf_counter() - started
    again = time.perf_counter()
    plan_to_budget(REQUEST)  # warm: the serving table is cached
    warm = time.perf_counter() - again
    no_commitments = replace(REQUEST, commitments=())
    best, brute_seconds, costed = _brute_force(no_commitments, grid)
    print(
        f"plan: {seconds:.2f} s cold, {warm:.2f} s warm (target < 2 s); status {plan.status}, "
        f"loss {plan.loss:.4f}, ${plan.monthly_cost_usd:,.0f}/month of ${40_000:,}"
    )
    options = len(_tables(no_commitments, Scenario().pricing, load_catalog())[0].options)
    print(
        f"brute force ({grid} sizes x {options} "
        f"options, no commitments, {costed:,} plans costed): {brute_seconds:.1f} s, best loss "
        f"{best:.4f}; time ratio {brute_seconds / seconds:.1f}x; loss plan - grid "
        f"{(plan.loss or math.inf) - best:+.4f}"
    )


def bench_portfolio(paths: int, naive_paths: int) -> None:
    day = np.r_[np.full(8, 20.0), np.full(16, 50.0)]
    serving = portfolio_model.Pool(
        name="g6e.xlarge",
        need=tuple(np.tile(day, 7)),
        floor=2,
        on_demand_usd_per_hour=1.861,
        spot_usd_per_hour=0.9,
        spot_max_share=0.3,
        reserved_1y_usd_per_hour=1.861 * 0.63,
        reserved_3y_usd_per_hour=1.861 * 0.45,
    )
    training = portfolio_model.Pool(
        name="p5.48xlarge",
        need=(4.0,) * 300 + (0.0,) * 430,
        grows=False,
        on_demand_usd_per_hour=55.04,
        reserved_1y_usd_per_hour=55.04 * 0.63,
        reserved_3y_usd_per_hour=55.04 * 0.45,
    )
    forecast = portfolio_model.Forecast(growth_per_year=0.3, growth_sd_per_year=0.4, paths=paths)
    problem = portfolio_model.PortfolioProblem(
        pools=(serving, training), forecast=forecast, stranded_limit=0.1
    )
    started = time.perf_counter()
    plan = portfolio_model.plan_commitments(problem)
    seconds = time.perf_counter() - started
    print(
        f"portfolio: {paths:,} paths, {seconds:.2f} s (target < 5 s); {plan.status}, gap "
        f"{plan.gap:.2%}, expected ${plan.expected_cost_usd:,.0f} over {plan.years} years, "
        f"P90 stranded {plan.stranded_share_quantile:.1%}"
    )
    # The naive MILP: every path in one HiGHS model (no representatives), no risk rows.
    years = 3
    levels = portfolio_model._levels(replace(forecast, paths=naive_paths), years)
    demand = portfolio_model._demand(problem, levels, portfolio_model.EVAL_POINTS, upper=True)
    prices = portfolio_model._prices(problem, years)
    started = time.perf_counter()
    naive, objective = portfolio_model._milp(
        demand, prices, relax=False, stranded_limit=None, risk_paths=np.zeros(naive_paths, bool)
    )
    naive_seconds = time.perf_counter() - started
    # The naive model has no risk limit: compare the same problem without one.
    free = portfolio_model.plan_commitments(replace(problem, stranded_limit=None))
    ours = float(
        portfolio_model._cost(_as_portfolio(free, problem, years), demand, prices).cost_usd.mean()
    )
    naive_cost = float(portfolio_model._cost(naive, demand, prices).cost_usd.mean())
    print(
        f"naive MILP on {naive_paths:,} paths: {naive_seconds:.1f} s (objective "
        f"${objective:,.0f}, costed ${naive_cost:,.0f}); ours on the same paths "
        f"${ours:,.0f} ({ours / naive_cost - 1:+.2%}, both without the risk limit); time ratio "
        f"naive/ours {naive_seconds / seconds:.1f}x"
    )


def _as_portfolio(
    plan: portfolio_model.CommitmentPlan, problem: portfolio_model.PortfolioProblem, years: int
) -> portfolio_model._Portfolio:
    """The plan's commitments as the model's decision vector, to cost it on other paths."""
    names = [pool.name for pool in problem.pools]
    r3 = np.zeros(len(names))
    r1 = np.zeros((len(names), years))
    c3, c1 = 0.0, np.zeros(years)
    for line in plan.commitments:
        if line.kind is CommitmentKind.RESERVED_3Y:
            r3[names.index(line.pool or "")] = line.count
        elif line.kind is CommitmentKind.RESERVED_1Y:
            r1[names.index(line.pool or ""), line.start_year - 1] = line.count
        elif line.kind is CommitmentKind.SAVINGS_PLAN_3Y:
            c3 = line.usd_per_hour
        else:
            c1[line.start_year - 1] = line.usd_per_hour
    return portfolio_model._Portfolio(r3=r3, r1=r1, c3=c3, c1=c1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=8, help="sizes in the brute force")
    parser.add_argument("--paths", type=int, default=1000)
    parser.add_argument("--naive-paths", type=int, default=100)
    args = parser.parse_args()
    bench_plan(args.grid)
    bench_portfolio(args.paths, args.naive_paths)


if __name__ == "__main__":
    main()

"""The scenario's commitment portfolio: reservations and savings plans for the whole system.

With a ``commitments`` section, every endpoint and training job is priced on-demand or spot
by its own pricing path, and :func:`plan_portfolio` buys commitments once, over all of them
(:mod:`planner.models.commitments`). A savings plan is USD per hour across instance
families, so it pools an endpoint's GPUs with a training job's. Its saving in the first year,
a month on average, is a line of the monthly cost (negative: it lowers the bill).

Pools, one per instance type in use:

* an endpoint: the instances it needs each hour of its traffic horizon (its priced fleet
  before rounding up), growing with its traffic's ``monthly_growth``;
* a training job: ``instance_count`` instances for the hours its runs take a month (its
  monthly cost ÷ its price per instance-hour), not growing. On spot, all of it may stay on
  spot (savings plans never cover spot hours).

Two things in use on the same type are one pool, their needs added hour by hour (aligned by
rank, peaks together: what a savings plan saves across them is never overstated).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from planner.catalog import Catalog, Pricing
from planner.core.errors import PlannerInputError
from planner.core.formatting import usd
from planner.core.units import HOURS_PER_MONTH
from planner.costing.serving import Outcome, endpoint_pool
from planner.costing.training import RunEstimate, run_price
from planner.models.commitments import (
    CommitmentPlan,
    Forecast,
    Pool,
    PortfolioProblem,
    plan_commitments,
)
from planner.scenario.commitments import CommitmentPolicy
from planner.scenario.serving import Endpoint
from planner.scenario.training import RunPricing

__all__ = ["plan_portfolio", "portfolio_basis", "training_pool"]


def training_pool(run: RunEstimate, pricing: Pricing, catalog: Catalog) -> Pool:
    """A training job as a pool: its instances for the hours its runs take a month."""
    plan = run.plan
    hourly = run.price.usd_per_instance_hour
    instance_hours = run.cost_per_month_usd / hourly if hourly > 0 else 0.0
    hours = instance_hours / plan.instance_count
    if hours <= HOURS_PER_MONTH:
        busy = round(hours)
        need = (float(plan.instance_count),) * busy + (0.0,) * (round(HOURS_PER_MONTH) - busy)
    else:  # more than a month of runs: more instances, all month
        need = (instance_hours / HOURS_PER_MONTH,) * round(HOURS_PER_MONTH)

    def reserved(option: RunPricing) -> float | None:
        try:
            return run_price(plan, pricing, catalog, option).usd_per_instance_hour
        except PlannerInputError:
            return None

    on_spot = plan.pricing in (RunPricing.SPOT, RunPricing.MIXED)
    # A job on spot stays on spot unless a commitment beats it: savings plans do not cover
    # spot hours, only the on-demand hours they would replace.
    on_demand = reserved(RunPricing.ON_DEMAND) if on_spot else hourly
    return Pool(
        name=plan.instance_type,
        need=need,
        grows=False,
        on_demand_usd_per_hour=on_demand if on_demand is not None else hourly,
        spot_usd_per_hour=hourly if on_spot else None,
        spot_max_share=1.0 if on_spot else 0.0,
        reserved_1y_usd_per_hour=reserved(RunPricing.RESERVED_1Y),
        reserved_3y_usd_per_hour=reserved(RunPricing.RESERVED_3Y),
    )


def _merged(pools: Sequence[Pool]) -> tuple[Pool, ...]:
    """One pool per instance type: needs added by rank, the cheapest flexible price kept."""
    by_name: dict[str, list[Pool]] = {}
    for pool in pools:
        by_name.setdefault(pool.name, []).append(pool)
    merged = []
    for name, group in by_name.items():
        if len(group) == 1:
            merged.append(group[0])
            continue
        size = max(len(pool.need) for pool in group)
        total = np.zeros(size)
        for pool in group:
            curve = np.sort(np.asarray(pool.need))[::-1]
            ranks = np.minimum((np.arange(size) * curve.size) // size, curve.size - 1)
            total += curve[ranks]
        first = group[0]
        merged.append(
            Pool(
                name=name,
                need=tuple(total.tolist()),
                floor=sum(pool.floor for pool in group),
                grows=any(pool.grows for pool in group),
                on_demand_usd_per_hour=min(pool.on_demand_usd_per_hour for pool in group),
                spot_usd_per_hour=first.spot_usd_per_hour,
                reserved_1y_usd_per_hour=first.reserved_1y_usd_per_hour,
                reserved_3y_usd_per_hour=first.reserved_3y_usd_per_hour,
                spot_max_share=min(pool.spot_max_share for pool in group),
            )
        )
    return tuple(merged)


def plan_portfolio(
    policy: CommitmentPolicy,
    runs: Sequence[RunEstimate],
    endpoints: Sequence[tuple[Endpoint, Outcome]],
    pricing: Pricing,
    catalog: Catalog,
) -> CommitmentPlan:
    """The scenario's commitments over every endpoint and training job.

    Raises
    ------
    PlannerInputError
        When nothing runs on an instance type, or the portfolio's input is invalid.
    """
    pools = [training_pool(run, pricing, catalog) for run in runs]
    pools += [
        endpoint_pool(
            outcome.hardware,
            endpoint,
            outcome.need_instances,
            autoscaled=outcome.config.autoscaling,
        )
        for endpoint, outcome in endpoints
    ]
    if not pools:
        raise PlannerInputError(
            "The commitments section has nothing to commit to: no endpoint or training job",
            fix="add an endpoint or a training job, or remove the commitments section",
        )
    growth = [endpoint.traffic.monthly_growth for endpoint, _ in endpoints]
    # Traffic growth applies to every growing pool: the endpoints' own, weighted equally.
    monthly = sum(growth) / len(growth) if growth else 0.0
    spread = policy.growth_uncertainty_per_year
    return plan_commitments(
        PortfolioProblem(
            pools=_merged(pools),
            forecast=Forecast(
                growth_per_year=(1.0 + monthly) ** 12 - 1.0,
                growth_sd_per_year=spread,
                paths=policy.paths if spread > 0 else 1,
            ),
            kinds=frozenset(policy.kinds),
            savings_plan_1y_discount=_discount(policy.savings_plan_1y_discount, "1y", catalog),
            savings_plan_3y_discount=_discount(policy.savings_plan_3y_discount, "3y", catalog),
            stranded_limit=policy.stranded_limit,
        )
    )


def _discount(stated: float | None, term: str, catalog: Catalog) -> float:
    return stated if stated is not None else catalog.assumption(f"savings_plan_{term}_discount")


def portfolio_basis(plan: CommitmentPlan) -> str:
    """The portfolio's cost line in words."""
    bought = "; ".join(
        f"{line.kind.label} "
        + (f"{line.count} × {line.pool}" if line.pool else f"{usd(line.usd_per_hour)}/h")
        for line in plan.commitments
        if line.start_year == 1
    )
    saving = plan.first_year_saving_usd_per_month
    return (
        f"{bought or 'no commitment'}: saves {usd(saving)}/month over the first year against "
        f"on-demand and spot; obligation {usd(plan.obligation_usd)} over up to "
        f"{plan.obligation_months} months"
    )

"""Unit economics: what the whole system costs a month, and per request, user and run.

Every training job and endpoint is priced by its own capability's one pricing path, the
same the Training and Serving pages, ``train`` and ``serve`` show:

* a training job: :func:`planner.costing.training.estimate_run`, times its runs a month;
* an endpoint: :func:`planner.costing.serving.price_endpoint`, its recommended configuration hour
  by hour over its horizon, as a month of 730 h;
* storage: ``GB × price per GB-month``; data transfer: ``GB × price per GB``;
* tooling: ``monthly cost × the share this system carries``.

Each :class:`CostLine` carries the arithmetic that produced it, so a page or report can
show where every dollar comes from.

>>> from planner.scenario import Scenario, ToolingItem
>>> result = evaluate(Scenario(tooling=(ToolingItem(name="tracking", usd_per_month=300),)))
>>> result.monthly_cost_usd, result.per_request_usd
(300.0, None)
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import pandas as pd

from planner.catalog import Catalog, load_catalog
from planner.core.errors import PlannerInputError
from planner.core.formatting import usd
from planner.core.units import DAYS_PER_MONTH, HOURS_PER_MONTH
from planner.costing.commitments import plan_portfolio, portfolio_basis
from planner.costing.serving import Outcome, price_endpoint
from planner.costing.training import RunEstimate, commitment_note, estimate_run
from planner.models.commitments import CommitmentPlan
from planner.scenario import Scenario
from planner.scenario.serving import Endpoint

_T = TypeVar("_T")


class CostCategory(enum.StrEnum):
    """The categories of the monthly breakdown, in display order."""

    TRAINING = "training"
    SERVING = "serving"
    STORAGE = "storage"
    DATA_TRANSFER = "data_transfer"
    TOOLING = "tooling"
    COMMITMENTS = "commitments"


@dataclass(frozen=True, slots=True, kw_only=True)
class CostLine:
    """One item of the monthly bill and how it was computed."""

    category: CostCategory
    item: str
    usd_per_month: float
    basis: str


@dataclass(frozen=True, kw_only=True, eq=False)
class PricedEndpoint:
    """An endpoint and its recommended configuration, priced."""

    endpoint: Endpoint
    outcome: Outcome

    @property
    def name(self) -> str:
        return self.endpoint.name

    @property
    def usd_per_month(self) -> float:
        return self.outcome.monthly_cost_usd

    @property
    def peak_instances(self) -> int:
        return int(self.outcome.instances.max(initial=0))

    @property
    def peak_requests_per_second(self) -> float:
        return float(self.outcome.served_rps.max(initial=0.0))


@dataclass(frozen=True, kw_only=True, eq=False)
class UnitEconomics:
    """The monthly cost of a scenario and its unit costs. ``None`` means "does not apply"."""

    lines: tuple[CostLine, ...]
    training: tuple[RunEstimate, ...]
    endpoints: tuple[PricedEndpoint, ...]
    monthly_cost_usd: float
    requests_per_month: float
    per_request_usd: float | None
    per_1k_requests_usd: float | None
    per_user_usd: float | None
    per_training_run_usd: float | None
    revenue_usd_per_month: float | None
    gross_margin: float | None
    commitments: CommitmentPlan | None = None

    def breakdown(self) -> dict[CostCategory, float]:
        """USD per month by category, every category present, summing to the total."""
        totals = dict.fromkeys(CostCategory, 0.0)
        for line in self.lines:
            totals[line.category] += line.usd_per_month
        return totals

    def lines_frame(self) -> pd.DataFrame:
        """The cost lines as a tidy table for charts and downloads."""
        return pd.DataFrame(
            {
                "category": [str(line.category) for line in self.lines],
                "item": [line.item for line in self.lines],
                "usd_per_month": [line.usd_per_month for line in self.lines],
                "basis": [line.basis for line in self.lines],
            },
            columns=["category", "item", "usd_per_month", "basis"],
        )


def training_line(run: RunEstimate) -> CostLine:
    """The Overview's line for a training job: the run's expected cost × runs a month."""
    plan = run.plan
    basis = (
        f"{run.instance_hours:,.1f} instance-h/run ({run.size_basis}) on "
        f"{plan.instance_count} × {plan.instance_type}, {plan.pricing.label} at "
        f"{usd(run.price.usd_per_instance_hour)}/h ({run.price.basis}) × "
        f"{run.runs_per_month:.4g} runs/month"
    )
    if run.commitment is not None:
        basis += f"; {commitment_note(run.commitment)}"
    return CostLine(
        category=CostCategory.TRAINING,
        item=plan.name,
        usd_per_month=run.cost_per_month_usd,
        basis=basis,
    )


def serving_line(priced: PricedEndpoint) -> CostLine:
    """The Overview's line for an endpoint: its recommended configuration, priced."""
    out = priced.outcome
    config = out.config
    return CostLine(
        category=CostCategory.SERVING,
        item=priced.name,
        usd_per_month=out.monthly_cost_usd,
        basis=(
            f"{config.instance_type} at {out.throughput.requests_per_second:,.4g} req/s each "
            f"({config.describe()}); {priced.peak_instances} at the peak, "
            f"{float(out.instances.mean()):,.2f} on average; horizon cost × "
            f"{HOURS_PER_MONTH:g} h ÷ {out.instances.shape[0]:,} h"
        ),
    )


def _priced(name: str, price: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """``price(*args, **kwargs)``, with the job's or endpoint's name on any input error."""
    try:
        return price(*args, **kwargs)
    except PlannerInputError as error:
        raise PlannerInputError(f"{name}: {error}") from None


def requests_per_day(scenario: Scenario) -> float:
    """The product's requests per day: stated in business, else the endpoints' sum."""
    if scenario.business.requests_per_day is not None:
        return scenario.business.requests_per_day
    return sum(endpoint.traffic.requests_per_day for endpoint in scenario.serving)


def evaluate(
    scenario: Scenario,
    catalog: Catalog | None = None,
    *,
    demands: Mapping[str, Sequence[float]] | None = None,
) -> UnitEconomics:
    """Monthly cost by line and category, and the unit costs of a scenario.

    ``demands`` maps an endpoint's name to the hourly CSV demand its ``demand_csv`` names,
    read at the edge.

    Raises
    ------
    PlannerInputError
        When an instance type is unknown or has no price for the chosen tier, or a job or
        endpoint cannot be priced (each names what to change).
    """
    catalog = catalog or load_catalog()
    for override in scenario.pricing.overrides:
        catalog.instance(override.instance_type)  # an override for a typo is an error
    pricing = scenario.pricing
    demands = demands or {}
    runs = tuple(
        _priced(job.name, estimate_run, job, pricing, catalog) for job in scenario.training
    )
    endpoints = tuple(
        PricedEndpoint(
            endpoint=endpoint,
            outcome=_priced(
                endpoint.name,
                price_endpoint,
                endpoint,
                pricing,
                catalog,
                csv_demand=demands.get(endpoint.name),
            ),
        )
        for endpoint in scenario.serving
    )
    lines: list[CostLine] = [training_line(run) for run in runs]
    lines.extend(serving_line(priced) for priced in endpoints)
    portfolio = None
    if scenario.commitments is not None:
        portfolio = plan_portfolio(
            scenario.commitments,
            runs,
            [(priced.endpoint, priced.outcome) for priced in endpoints],
            pricing,
            catalog,
        )
        lines.append(
            CostLine(
                category=CostCategory.COMMITMENTS,
                item="commitment portfolio",
                usd_per_month=-portfolio.first_year_saving_usd_per_month,
                basis=portfolio_basis(portfolio),
            )
        )

    storage_price = catalog.assumption("object_storage_usd_per_gb_month")
    for item in scenario.storage:
        rate = storage_price if item.usd_per_gb_month is None else item.usd_per_gb_month
        source = "catalog object storage" if item.usd_per_gb_month is None else "scenario"
        lines.append(
            CostLine(
                category=CostCategory.STORAGE,
                item=item.name,
                usd_per_month=item.gb * rate,
                basis=f"{item.gb:,.0f} GB × ${rate:g}/GB-month ({source})",
            )
        )

    egress_price = catalog.assumption("internet_egress_usd_per_gb")
    for transfer in scenario.data_transfer:
        rate = egress_price if transfer.usd_per_gb is None else transfer.usd_per_gb
        source = "catalog internet egress" if transfer.usd_per_gb is None else "scenario"
        lines.append(
            CostLine(
                category=CostCategory.DATA_TRANSFER,
                item=transfer.name,
                usd_per_month=transfer.gb_per_month * rate,
                basis=f"{transfer.gb_per_month:,.0f} GB/month × ${rate:g}/GB ({source})",
            )
        )

    for tool in scenario.tooling:
        share = "" if tool.share == 1 else f" × {tool.share:.1%} share"
        lines.append(
            CostLine(
                category=CostCategory.TOOLING,
                item=tool.name,
                usd_per_month=tool.usd_per_month * tool.share,
                basis=f"{usd(tool.usd_per_month)}/month{share}",
            )
        )

    monthly = sum(line.usd_per_month for line in lines)
    requests = requests_per_day(scenario) * DAYS_PER_MONTH
    users = scenario.business.monthly_active_users
    runs_per_month = sum(run.runs_per_month for run in runs)
    training_monthly = sum(run.cost_per_month_usd for run in runs)
    price = scenario.business.price_per_request_usd
    revenue = price * requests if price is not None and requests > 0 else None
    return UnitEconomics(
        lines=tuple(lines),
        training=runs,
        endpoints=endpoints,
        monthly_cost_usd=monthly,
        requests_per_month=requests,
        per_request_usd=monthly / requests if requests > 0 else None,
        per_1k_requests_usd=1000 * monthly / requests if requests > 0 else None,
        per_user_usd=monthly / users if users else None,
        per_training_run_usd=training_monthly / runs_per_month if runs_per_month > 0 else None,
        revenue_usd_per_month=revenue,
        gross_margin=(revenue - monthly) / revenue if revenue else None,
        commitments=portfolio,
    )


def scale_traffic(scenario: Scenario, factor: float) -> Scenario:
    """The same system with traffic, users and egress multiplied by ``factor``.

    Training, storage and tooling stay as they are: they do not follow traffic.

    >>> from planner.scenario import Scenario
    >>> from planner.costing.serving import Endpoint, Traffic
    >>> s = Scenario(serving=(Endpoint(name="api", traffic=Traffic(requests_per_day=100)),))
    >>> scale_traffic(s, 2.5).serving[0].traffic.requests_per_day
    250.0
    """
    business = scenario.business
    return replace(
        scenario,
        serving=tuple(
            replace(
                e, traffic=replace(e.traffic, requests_per_day=e.traffic.requests_per_day * factor)
            )
            for e in scenario.serving
        ),
        data_transfer=tuple(
            replace(t, gb_per_month=t.gb_per_month * factor) for t in scenario.data_transfer
        ),
        business=replace(
            business,
            requests_per_day=None
            if business.requests_per_day is None
            else business.requests_per_day * factor,
            monthly_active_users=None
            if business.monthly_active_users is None
            else business.monthly_active_users * factor,
        ),
    )


def projection(
    scenario: Scenario,
    catalog: Catalog | None = None,
    *,
    demands: Mapping[str, Sequence[float]] | None = None,
) -> pd.DataFrame:
    """Monthly cost by category as traffic grows at ``business.monthly_traffic_growth``.

    Returns a tidy frame with columns ``month`` (1 = now), ``category``, ``usd``,
    ``requests`` and ``per_1k_requests_usd``; every endpoint is re-priced every month, so
    cost steps up as instances are added. Without growth every month is the first.
    """
    catalog = catalog or load_catalog()
    growth = scenario.business.monthly_traffic_growth
    rows: list[dict[str, object]] = []
    first = evaluate(scenario, catalog, demands=demands)
    for month in range(1, scenario.business.projection_months + 1):
        factor = (1 + growth) ** (month - 1)
        result = (
            first
            if factor == 1
            else evaluate(
                scale_traffic(scenario, factor),
                catalog,
                demands={
                    name: [value * factor for value in values]
                    for name, values in (demands or {}).items()
                },
            )
        )
        for category, category_usd in result.breakdown().items():
            rows.append(
                {
                    "month": month,
                    "category": str(category),
                    "usd": category_usd,
                    "requests": result.requests_per_month,
                    "per_1k_requests_usd": result.per_1k_requests_usd,
                }
            )
    return pd.DataFrame(
        rows, columns=["month", "category", "usd", "requests", "per_1k_requests_usd"]
    )

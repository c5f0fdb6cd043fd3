"""Unit economics: what the whole system costs a month, and per request, user and run.

The models here are first order on purpose:

* training: ``instances × hours_per_run × runs_per_month × price per instance-hour``;
* serving: a fleet sized for the peak hour, running all month,
  ``max(min_instances, ceil(peak_rps / (throughput × target_utilization)))``;
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
import math
from dataclasses import dataclass, replace

import pandas as pd

from planner.catalog import Catalog, Price, PriceTier, load_catalog
from planner.formatting import usd
from planner.scenario import Scenario, ServingWorkload, TrainingWorkload
from planner.units import DAYS_PER_MONTH, HOURS_PER_MONTH, SECONDS_PER_DAY


class CostCategory(enum.StrEnum):
    """The categories of the monthly breakdown, in display order."""

    TRAINING = "training"
    SERVING = "serving"
    STORAGE = "storage"
    DATA_TRANSFER = "data_transfer"
    TOOLING = "tooling"


@dataclass(frozen=True, slots=True, kw_only=True)
class CostLine:
    """One item of the monthly bill and how it was computed."""

    category: CostCategory
    item: str
    usd_per_month: float
    basis: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingCost:
    """A training workload's run: its instance-hours, GPU-hours and price."""

    name: str
    price: Price
    instance_hours_per_run: float
    gpu_hours_per_run: float
    usd_per_run: float
    runs_per_month: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ServingFleet:
    """The fleet a serving workload needs at its peak hour."""

    name: str
    price: Price
    peak_requests_per_second: float
    instances: int
    usd_per_month: float


@dataclass(frozen=True, slots=True, kw_only=True)
class UnitEconomics:
    """The monthly cost of a scenario and its unit costs. ``None`` means "does not apply"."""

    lines: tuple[CostLine, ...]
    training: tuple[TrainingCost, ...]
    fleets: tuple[ServingFleet, ...]
    monthly_cost_usd: float
    requests_per_month: float
    per_request_usd: float | None
    per_1k_requests_usd: float | None
    per_user_usd: float | None
    per_training_run_usd: float | None
    revenue_usd_per_month: float | None
    gross_margin: float | None

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


def _price(
    scenario: Scenario, catalog: Catalog, instance_type: str, tier: PriceTier | None
) -> Price:
    pricing = scenario.pricing
    return catalog.hourly_price(
        instance_type,
        tier or pricing.default_tier,
        overrides=pricing.overrides,
        reserved_1y_discount=pricing.reserved_1y_discount,
        reserved_3y_discount=pricing.reserved_3y_discount,
    )


def training_cost(workload: TrainingWorkload, scenario: Scenario, catalog: Catalog) -> TrainingCost:
    """Cost of one run of a training workload at the scenario's prices."""
    price = _price(scenario, catalog, workload.instance_type, workload.price_tier)
    gpus = catalog.instance(workload.instance_type).gpu_count
    instance_hours = workload.instance_count * workload.hours_per_run
    return TrainingCost(
        name=workload.name,
        price=price,
        instance_hours_per_run=instance_hours,
        gpu_hours_per_run=instance_hours * gpus,
        usd_per_run=instance_hours * price.usd_per_hour,
        runs_per_month=workload.runs_per_month,
    )


def instances_for_peak(workload: ServingWorkload) -> tuple[float, int]:
    """Peak requests per second and the instances that serve it.

    >>> from planner.scenario import ServingWorkload
    >>> w = ServingWorkload(name="api", requests_per_day=8_640_000,
    ...                     requests_per_second_per_instance=50, target_utilization=0.5)
    >>> instances_for_peak(w)
    (100.0, 4)
    """
    peak = workload.requests_per_day / SECONDS_PER_DAY * workload.peak_to_average
    usable_per_instance = workload.requests_per_second_per_instance * workload.target_utilization
    # Rounding guards against 100.0000001 / 25 asking for a fifth instance.
    needed = math.ceil(round(peak / usable_per_instance, 9))
    return peak, max(workload.min_instances, needed)


def serving_fleet(workload: ServingWorkload, scenario: Scenario, catalog: Catalog) -> ServingFleet:
    """The fleet for one serving workload and its monthly cost."""
    price = _price(scenario, catalog, workload.instance_type, workload.price_tier)
    peak, instances = instances_for_peak(workload)
    return ServingFleet(
        name=workload.name,
        price=price,
        peak_requests_per_second=peak,
        instances=instances,
        usd_per_month=instances * price.usd_per_hour * HOURS_PER_MONTH,
    )


def requests_per_day(scenario: Scenario) -> float:
    """The product's requests per day: stated in business, else the serving workloads' sum."""
    if scenario.business.requests_per_day is not None:
        return scenario.business.requests_per_day
    return sum(workload.requests_per_day for workload in scenario.serving)


def evaluate(scenario: Scenario, catalog: Catalog | None = None) -> UnitEconomics:
    """Monthly cost by line and category, and the unit costs of a scenario.

    Raises
    ------
    PlannerInputError
        When an instance type is unknown or has no price for the chosen tier.
    """
    catalog = catalog or load_catalog()
    for override in scenario.pricing.overrides:
        catalog.instance(override.instance_type)  # an override for a typo is an error
    lines: list[CostLine] = []

    runs = tuple(training_cost(w, scenario, catalog) for w in scenario.training)
    for run in runs:
        lines.append(
            CostLine(
                category=CostCategory.TRAINING,
                item=run.name,
                usd_per_month=run.usd_per_run * run.runs_per_month,
                basis=(
                    f"{run.instance_hours_per_run:,.0f} instance-h/run × "
                    f"{usd(run.price.usd_per_hour)}/h ({run.price.basis}) × "
                    f"{run.runs_per_month:g} runs/month"
                ),
            )
        )

    fleets = tuple(serving_fleet(w, scenario, catalog) for w in scenario.serving)
    for fleet, workload in zip(fleets, scenario.serving, strict=True):
        lines.append(
            CostLine(
                category=CostCategory.SERVING,
                item=fleet.name,
                usd_per_month=fleet.usd_per_month,
                basis=(
                    f"{fleet.instances} × {workload.instance_type} for a peak of "
                    f"{fleet.peak_requests_per_second:,.1f} req/s at "
                    f"{workload.requests_per_second_per_instance:g} req/s each and "
                    f"{workload.target_utilization:.0%} utilisation; "
                    f"{usd(fleet.price.usd_per_hour)}/h ({fleet.price.basis}) × "
                    f"{HOURS_PER_MONTH:g} h"
                ),
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
    training_monthly = sum(run.usd_per_run * run.runs_per_month for run in runs)
    price = scenario.business.price_per_request_usd
    revenue = price * requests if price is not None and requests > 0 else None
    return UnitEconomics(
        lines=tuple(lines),
        training=runs,
        fleets=fleets,
        monthly_cost_usd=monthly,
        requests_per_month=requests,
        per_request_usd=monthly / requests if requests > 0 else None,
        per_1k_requests_usd=1000 * monthly / requests if requests > 0 else None,
        per_user_usd=monthly / users if users else None,
        per_training_run_usd=training_monthly / runs_per_month if runs_per_month > 0 else None,
        revenue_usd_per_month=revenue,
        gross_margin=(revenue - monthly) / revenue if revenue else None,
    )


def scale_traffic(scenario: Scenario, factor: float) -> Scenario:
    """The same system with traffic, users and egress multiplied by ``factor``.

    Training, storage and tooling stay as they are: they do not follow traffic.

    >>> from planner.scenario import Scenario, ServingWorkload
    >>> s = Scenario(serving=(ServingWorkload(name="api", requests_per_day=100),))
    >>> scale_traffic(s, 2.5).serving[0].requests_per_day
    250.0
    """
    business = scenario.business
    return replace(
        scenario,
        serving=tuple(
            replace(w, requests_per_day=w.requests_per_day * factor) for w in scenario.serving
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


def projection(scenario: Scenario, catalog: Catalog | None = None) -> pd.DataFrame:
    """Monthly cost by category as traffic grows at ``business.monthly_traffic_growth``.

    Returns a tidy frame with columns ``month`` (1 = now), ``category``, ``usd``,
    ``requests`` and ``per_1k_requests_usd``; the serving fleet is re-sized every month, so
    cost steps up as instances are added.
    """
    catalog = catalog or load_catalog()
    growth = scenario.business.monthly_traffic_growth
    rows: list[dict[str, object]] = []
    for month in range(1, scenario.business.projection_months + 1):
        result = evaluate(scale_traffic(scenario, (1 + growth) ** (month - 1)), catalog)
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

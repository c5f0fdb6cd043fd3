"""The report's sections on each part of the system: training jobs, endpoints and FinOps.

Each section prices its part through the one pricing path the pages, the CLI and the
Overview share (:func:`planner.costing.training.evaluate_plan`,
:func:`planner.costing.serving.price_endpoint`, :func:`planner.finops.recovery.plan_recovery`),
so a figure here is the figure the app shows. Monthly
figures carry their annual total (× :data:`~planner.core.units.MONTHS_PER_YEAR`) beside them.

An endpoint's options table prices the same endpoint under other tiers by varying only
``mix.tiers`` (``dataclasses.replace``) and calling :func:`~planner.costing.serving.price_endpoint`
again: all on-demand, 1-year reserved, spot within the endpoint's spot cap, and the
endpoint as described, whose row is the Overview's serving line.

>>> from planner.scenario.serving import Autoscaling, Endpoint, ServedModel, Traffic
>>> api = Endpoint(name="api", instance_type="g5.xlarge", model=ServedModel(
...     kind="classic", measured_requests_per_second_per_instance=50.0),
...     traffic=Traffic(requests_per_day=864_000, horizon_weeks=1),
...     autoscaling=Autoscaling(min_replicas=2))
>>> plan = serving.price_endpoint(api)
>>> [(o.label, o.outcome is not None) for o in endpoint_options(api, plan, Pricing())]
... # doctest: +NORMALIZE_WHITESPACE
[('All on-demand', True), ('1-year reserved', True), ('Spot, within the spot cap', True),
 ("Optimizer's mix (the plan)", True)]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

import pandas as pd

from planner.catalog import Catalog, PriceTier, Pricing, load_catalog
from planner.core.errors import PlannerInputError
from planner.core.formatting import usd
from planner.core.units import MONTHS_PER_YEAR
from planner.costing import serving, training
from planner.costing.economics import evaluate
from planner.finops import recovery as finops
from planner.finops.billing import bill_from_frame
from planner.finops.focus_sample import generate_focus
from planner.scenario import Scenario
from planner.scenario.finops import PoolSource
from planner.scenario.serving import Endpoint
from planner.scenario.training import TrainingJob
from planner.views import serving_charts, training_charts
from planner.views.finops_charts import burndown_chart
from planner.views.report import AssumptionRow, Block, Bullets, Chart, Paragraph, ReportPart, Table

_Item = TypeVar("_Item", TrainingJob, Endpoint)


def per_year(usd_per_month: float) -> float:
    """The annual total of a monthly figure.

    >>> per_year(250.0)
    3000.0
    """
    return usd_per_month * MONTHS_PER_YEAR


def _cents(value: float | None) -> str:
    """Money to the cent: the options table is compared with the Overview's line by cent."""
    return "n/a" if value is None else f"${value:,.2f}"


def _signed(value: float, money: Callable[[float], str] = usd) -> str:
    """A change of money with its sign before the dollar, so "$" always precedes a digit.

    >>> _signed(-2180.4), _signed(12.5, _cents)
    ('−$2,180', '+$12.50')
    """
    return f"{'−' if value < 0 else '+'}{money(abs(value))}"


def _each(
    items: Sequence[_Item], what: str, build: Callable[[_Item], ReportPart]
) -> tuple[ReportPart, ...]:
    """One part per job or endpoint; one that cannot be priced becomes a risk of its own, so
    it does not hide the others."""
    parts = []
    for item in items:
        try:
            parts.append(build(item))
        except PlannerInputError as error:
            parts.append(
                ReportPart(
                    title=f"{what.capitalize()} “{item.name}”",
                    risks=(f"The {what} “{item.name}” could not be priced: {error}",),
                )
            )
    return tuple(parts)


# --------------------------------------------------------------------------- training


def training_part(scenario: Scenario, catalog: Catalog) -> tuple[ReportPart, ...] | None:
    """A section for each training job: its plan, the pricing comparison and, when it has
    a baseline, the lever waterfall."""
    if not scenario.training:
        return None
    return _each(
        scenario.training, "training job", lambda job: _job_part(job, scenario.pricing, catalog)
    )


def _job_part(job: TrainingJob, pricing: Pricing, catalog: Catalog) -> ReportPart:
    result = training.evaluate_plan(job, pricing, catalog)
    run = result.run
    hours = "as stated" if job.stated_hours else "from the model's FLOPs"
    rows = [
        (
            "Instances",
            f"{job.instance_count} × {training.instance_label(job.instance_type, catalog)}",
        ),
        ("GPUs", f"{run.gpus:,}"),
        ("Pricing", job.pricing.label),
        ("Precision", job.precision.label),
        ("Uninterrupted hours per run", f"{run.compute_hours:,.1f} h ({hours})"),
        ("Wall-clock hours per run", f"{run.wall_clock_hours:,.1f} h"),
        ("GPU-hours per run", f"{run.gpu_hours:,.0f}"),
        ("Price per instance-hour", usd(run.price.usd_per_instance_hour)),
        ("Runs per month", f"{run.runs_per_month:.4g}"),
        ("Cost per run", usd(run.cost_usd)),
        ("Cost per month", usd(run.cost_per_month_usd)),
        ("Cost per year", usd(per_year(run.cost_per_month_usd))),
    ]
    if run.loss is not None:
        rows.append(("Predicted loss", f"{run.loss:.4f}"))
    blocks: list[Block] = [
        Table(pd.DataFrame(rows, columns=["Figure", "Value"]), "The plan"),
        Table(_comparison_table(result.comparison), "The same run on-demand, on spot and mixed"),
    ]
    recommendation = (
        f"Training “{job.name}”: {usd(run.cost_per_month_usd)} a month "
        f"({usd(per_year(run.cost_per_month_usd))} a year), {usd(run.cost_usd)} per run on "
        f"{job.instance_count} × {job.instance_type}, {job.pricing.label}."
    )
    if result.waterfall is not None and result.baseline is not None:
        steps = result.waterfall
        blocks.append(
            Chart(
                training_charts.waterfall_chart(steps), "From the baseline to the plan, per month"
            )
        )
        blocks.append(
            Table(
                pd.DataFrame(
                    {
                        "Step": steps["step"],
                        "USD/month": [usd(v) for v in steps["usd_per_month"]],
                        "Change, USD/month": [
                            "" if lever in ("baseline", "plan") else _signed(change)
                            for lever, change in zip(
                                steps["lever"], steps["change_usd_per_month"], strict=True
                            )
                        ],
                        "USD/year": [usd(per_year(v)) for v in steps["usd_per_month"]],
                    }
                ),
                "The lever waterfall: each lever applied in turn, every step priced by the model",
            )
        )
        saving = result.baseline.cost_per_month_usd - run.cost_per_month_usd
        recommendation += (
            f" Against its baseline ({usd(result.baseline.cost_per_month_usd)} a month) it "
            f"saves {usd(saving)} a month, {usd(per_year(saving))} a year."
        )
    return ReportPart(
        title=f"Training job “{job.name}”",
        recommendation=recommendation,
        costs=tuple(blocks),
        assumptions=(
            AssumptionRow(
                name=f"Price — {job.instance_type}, {run.price.pricing.label}",
                value=f"{run.price.usd_per_instance_hour:,.4g}",
                unit="USD/instance-hour",
                source=run.price.basis,
            ),
        ),
    )


def _comparison_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """The pricing comparison formatted; a pricing that cannot be used shows n/a and why."""

    def column(name: str) -> list[float | None]:
        # A pricing that cannot be used has no figures: NaN in the frame, n/a in the report.
        return [None if math.isnan(v) else float(v) for v in comparison[name].astype(float)]

    def hours(value: float | None) -> str:
        return "n/a" if value is None else f"{value:,.1f} h"

    monthly = column("usd_per_month")
    return pd.DataFrame(
        {
            "Pricing": comparison["label"],
            "Expected per run": [usd(v) for v in column("expected_cost_usd")],
            "P90 per run": [usd(v) for v in column("p90_cost_usd")],
            "Expected hours": [hours(v) for v in column("expected_hours")],
            "P90 hours": [hours(v) for v in column("p90_hours")],
            "USD/month": [usd(v) for v in monthly],
            "USD/year": [usd(None if v is None else per_year(v)) for v in monthly],
            "Note": comparison["note"],
        }
    )


# --------------------------------------------------------------------------- serving


@dataclass(frozen=True, kw_only=True, eq=False)
class EndpointOption:
    """One row of an endpoint's options table: the endpoint bought in some tiers, priced by
    :func:`~planner.costing.serving.price_endpoint`; ``outcome`` is ``None`` when it cannot be
    bought
    that way, and ``note`` says why."""

    label: str
    tiers: tuple[PriceTier, ...]
    outcome: serving.Outcome | None
    note: str


def endpoint_options(
    endpoint: Endpoint,
    plan: serving.Outcome,
    pricing: Pricing,
    catalog: Catalog | None = None,
) -> tuple[EndpointOption, ...]:
    """The endpoint all on-demand, 1-year reserved and on spot within its cap, each priced
    by :func:`~planner.costing.serving.price_endpoint`, then ``plan``: the endpoint as described,
    :func:`~planner.costing.serving.price_endpoint`'s own outcome (the Overview's line).

    Raises
    ------
    PlannerInputError
        For an instance type that is neither in the catalog nor one of the endpoint's own.
    """
    catalog = catalog or load_catalog()
    hw = serving.hardware(endpoint.instance_type, endpoint, pricing, catalog)
    cap = endpoint.mix.spot_max_share

    def priced(label: str, tiers: tuple[PriceTier, ...], note: str) -> EndpointOption:
        variant = replace(endpoint, mix=replace(endpoint.mix, tiers=tiers))
        try:
            outcome = serving.price_endpoint(variant, pricing, catalog)
        except PlannerInputError as error:
            return EndpointOption(label=label, tiers=tiers, outcome=None, note=str(error))
        return EndpointOption(label=label, tiers=tiers, outcome=outcome, note=note)

    def unavailable(label: str, tiers: tuple[PriceTier, ...], note: str) -> EndpointOption:
        return EndpointOption(label=label, tiers=tiers, outcome=None, note=note)

    on_demand = (PriceTier.ON_DEMAND,)
    reserved = (PriceTier.ON_DEMAND, PriceTier.RESERVED_1Y)
    spot = (PriceTier.ON_DEMAND, PriceTier.SPOT)
    options = [priced("All on-demand", on_demand, hw.price_basis)]
    if hw.reserved_1y_usd_per_hour is None:
        options.append(
            unavailable("1-year reserved", reserved, f"{hw.name} has no 1-year reserved price")
        )
    else:
        options.append(
            priced(
                "1-year reserved",
                reserved,
                f"{_reserved_basis(endpoint, pricing, catalog, hw)}; on-demand above the "
                "reserved instances",
            )
        )
    if hw.spot_usd_per_hour is None:
        options.append(
            unavailable("Spot, within the spot cap", spot, f"{hw.name} has no spot price")
        )
    elif cap <= 0:
        options.append(
            unavailable("Spot, within the spot cap", spot, "the endpoint's spot cap is 0%")
        )
    else:
        option = priced(
            "Spot, within the spot cap",
            spot,
            f"spot for at most {cap:.0%} of the required capacity, on-demand for the rest",
        )
        fleet = option.outcome.fleet if option.outcome else None
        if fleet is not None and not fleet.spot.any():
            # Whole instances: a small fleet can have no instance within the cap.
            option = replace(option, note=option.note + "; the cap leaves no instance on spot")
        options.append(option)
    options.append(
        EndpointOption(
            label="Optimizer's mix (the plan)",
            tiers=endpoint.mix.tiers,
            outcome=plan,
            note="the endpoint as described: the Overview's line",
        )
    )
    return tuple(options)


def _reserved_basis(
    endpoint: Endpoint, pricing: Pricing, catalog: Catalog, hw: serving.Hardware
) -> str:
    """Where the 1-year price comes from: the catalog's published or derived figure, or a
    custom instance's own basis."""
    if hw.custom is not None:
        return hw.price_basis
    return pricing.hourly_price(catalog, endpoint.instance_type, PriceTier.RESERVED_1Y).basis


def _bought(outcome: serving.Outcome) -> str:
    """What a priced endpoint buys, by tier: reserved counts, on-demand and spot peak/mean."""
    fleet = outcome.fleet
    if fleet is None:
        peak = int(outcome.instances.max(initial=0))
        return f"on-demand, {peak} at the peak"
    parts = [
        f"{count} × {name} {PriceTier(term).label}"
        for name, terms in fleet.reserved_by_term().items()
        for term, count in terms.items()
    ]
    for label, hours in (("on-demand", fleet.on_demand), ("spot", fleet.spot)):
        per_hour = hours.sum(axis=1)
        if per_hour.any():
            parts.append(
                f"{label} {int(per_hour.max(initial=0))} at the peak, "
                f"{float(per_hour.mean()):,.2f} on average"
            )
    return "; ".join(parts) or "nothing"


def serving_part(scenario: Scenario, catalog: Catalog) -> tuple[ReportPart, ...] | None:
    """A section for each endpoint: its GPU, precision, batch, tiers and mix, its unit
    costs, the options table and, when its baseline differs, the levers' savings."""
    if not scenario.serving:
        return None
    return _each(
        scenario.serving,
        "endpoint",
        lambda endpoint: _endpoint_part(endpoint, scenario.pricing, catalog),
    )


def _endpoint_part(endpoint: Endpoint, pricing: Pricing, catalog: Catalog) -> ReportPart:
    out = serving.price_endpoint(endpoint, pricing, catalog)
    options = endpoint_options(endpoint, out, pricing, catalog)
    tp = out.throughput
    hw = out.hardware
    mix = endpoint.mix
    gpu = f"{hw.gpu_count} × {hw.gpu_model}" if hw.gpu_model else hw.provider
    tokens = (
        f", {tp.tokens_per_second_per_gpu:,.0f} generated tokens/s per GPU"
        if tp.tokens_per_second_per_gpu
        else ""
    )
    scaling = endpoint.autoscaling
    tiers = ", ".join(tier.label for tier in mix.tiers)
    if PriceTier.SPOT in mix.tiers:
        tiers += f" (spot at most {mix.spot_max_share:.0%})"
    rows = [
        ("GPU", f"{hw.name} ({gpu})"),
        ("Precision", str(out.config.precision)),
        ("Batch", f"up to {endpoint.max_batch}; runs at {tp.batch} ({tp.limited_by})"),
        ("Response cache", f"{out.config.cache_hit_rate:.0%} hit rate"),
        (
            "Scaling",
            f"autoscaled, at least {scaling.min_replicas} replicas, {scaling.headroom:.0%} headroom"
            if scaling.enabled
            else f"fixed fleet for the peak hour, at least {scaling.min_replicas} replicas",
        ),
        ("Tiers allowed", tiers),
        ("Mix bought", _bought(out)),
        (
            "Throughput per instance",
            f"{tp.requests_per_second:,.4g} req/s{tokens}; {tp.latency_ms:,.0f} ms latency",
        ),
        (
            "Instances (peak / mean)",
            f"{int(out.instances.max(initial=0))} / {float(out.instances.mean()):,.2f}",
        ),
        ("Cost per month", usd(out.monthly_cost_usd)),
        ("Cost per year", usd(per_year(out.monthly_cost_usd))),
        ("Per 1K requests", usd(out.per_1k_requests_usd)),
        ("Per 1M tokens", usd(out.per_1m_tokens_usd)),
    ]
    table = pd.DataFrame(
        [
            (
                option.label,
                ", ".join(tier.label for tier in option.tiers),
                _bought(option.outcome) if option.outcome else "—",
                _cents(option.outcome.monthly_cost_usd if option.outcome else None),
                _cents(per_year(option.outcome.monthly_cost_usd) if option.outcome else None),
                usd(option.outcome.per_1k_requests_usd) if option.outcome else "n/a",
                (
                    _signed(option.outcome.monthly_cost_usd - out.monthly_cost_usd, _cents)
                    if option.outcome
                    else "n/a"
                ),
                option.note,
            )
            for option in options
        ],
        columns=[
            "Option",
            "Tiers",
            "What it buys",
            "USD/month",
            "USD/year",
            "Per 1K requests",
            "Against the plan, USD/month",
            "Note",
        ],
    )
    blocks: list[Block] = [
        Table(pd.DataFrame(rows, columns=["Figure", "Value"]), "The recommended configuration"),
        Table(table, "Options: the same endpoint bought in other tiers, each priced by the model"),
    ]
    risks: list[str] = []
    # An option under the plan by a cent or more is one the endpoint's own tiers rule out.
    cheaper = sorted(
        (option.outcome.monthly_cost_usd, option.label)
        for option in options[:-1]
        if option.outcome is not None
        and option.outcome.monthly_cost_usd < out.monthly_cost_usd - 0.005
    )
    if cheaper:
        cost, label = cheaper[0]
        risks.append(
            f"Endpoint “{endpoint.name}”: {label.lower()} would cost {usd(cost)} a month "
            f"against the plan's {usd(out.monthly_cost_usd)}; the endpoint's tiers ({tiers}) "
            "leave it out."
        )
    blocks.extend(_lever_blocks(endpoint, pricing, catalog, risks))
    return ReportPart(
        title=f"Endpoint “{endpoint.name}”",
        recommendation=(
            f"Endpoint “{endpoint.name}”: {hw.name}, {out.config.precision}, "
            f"{usd(out.monthly_cost_usd)} a month ({usd(per_year(out.monthly_cost_usd))} a "
            f"year), {usd(out.per_1k_requests_usd)} per 1,000 requests."
        ),
        costs=tuple(blocks),
        assumptions=(
            AssumptionRow(
                name=f"Price — {hw.name}, on-demand",
                value=f"{hw.on_demand_usd_per_hour:,.4g}" if hw.on_demand_usd_per_hour else "n/a",
                unit="USD/instance-hour",
                source=hw.price_basis,
            ),
            AssumptionRow(
                name=f"Throughput — {hw.name}",
                value=f"{tp.requests_per_second:,.4g}",
                unit="req/s per instance",
                source=tp.basis,
            ),
        ),
        risks=tuple(risks),
    )


def _lever_blocks(
    endpoint: Endpoint, pricing: Pricing, catalog: Catalog, risks: list[str]
) -> list[Block]:
    """The levers' Shapley savings from the baseline to the plan, when they save anything."""
    try:
        result = serving.evaluate_serving(endpoint, pricing, catalog)
    except PlannerInputError as error:
        risks.append(f"Endpoint “{endpoint.name}”: its levers could not be priced: {error}")
        return []
    # A lever that saves nothing (commitments with on-demand the only tier) is not a finding.
    if all(abs(item.saving_usd_per_month) < 0.005 for item in result.levers):
        return []
    saving = result.total_saving_usd_per_month
    frame = pd.DataFrame(
        {
            "Lever": [item.lever.label for item in result.levers],
            "From": [item.baseline_value for item in result.levers],
            "To": [item.plan_value for item in result.levers],
            "Saving, USD/month": [usd(item.saving_usd_per_month) for item in result.levers],
            "Saving, USD/year": [
                usd(per_year(item.saving_usd_per_month)) for item in result.levers
            ],
        }
    )
    return [
        Paragraph(
            f"From its baseline, {usd(result.baseline.monthly_cost_usd)} a month "
            f"({result.baseline.config.describe()}), the levers save {usd(saving)} a month, "
            f"{usd(per_year(saving))} a year."
        ),
        Chart(
            serving_charts.waterfall_chart(result, per_1k=False), "From the baseline to the plan"
        ),
        Table(frame, "Each lever's share of the saving (Shapley value over every combination)"),
    ]


# --------------------------------------------------------------------------- FinOps


def finops_part(scenario: Scenario, catalog: Catalog) -> ReportPart | None:
    """The budget-recovery plan: its levers, and whether it reaches the target or by how much
    it falls short."""
    if scenario.finops is None:
        return None
    plan = scenario.finops.recovery
    risks: list[str] = []
    bill = None
    economics = None
    if plan.source is PoolSource.BILL:
        spec = scenario.finops.sample
        bill = bill_from_frame(generate_focus(spec), source=f"the sample bill (seed {spec.seed})")
        risks.append(
            "Budget recovery plans from the sample bill: a bill uploaded in the app is not part "
            "of the scenario, so this report does not see it."
        )
    elif plan.source is PoolSource.MODEL:
        economics = evaluate(scenario, catalog)
    result = finops.plan_recovery(plan, finops.recovery_pools(plan, bill=bill, economics=economics))
    month = [
        ("Current bill", result.current_usd_per_month),
        ("Target", result.target_usd_per_month),
        ("Saving needed", result.saving_needed_usd_per_month),
        ("Saving planned", result.saving_usd_per_month),
        ("Bill once the levers are live", result.planned_usd_per_month),
        ("Shortfall", result.shortfall_usd_per_month),
    ]
    headline = pd.DataFrame(
        [
            ("Status", str(result.status).replace("_", " "), ""),
            *((name, usd(value), usd(per_year(value))) for name, value in month),
            (
                "Effort",
                f"{result.effort_engineer_weeks:,.1f} engineer-weeks by week "
                f"{result.deadline_weeks}",
                "",
            ),
        ],
        columns=["Figure", "Per month", "Per year"],
    )
    levers = result.levers_frame()
    blocks: list[Block] = [
        Table(headline, "Budget recovery"),
        Table(
            pd.DataFrame(
                {
                    "Week": levers["week"],
                    "Lever": levers["lever"],
                    "Pool": levers["pool"].str.replace("_", " "),
                    "Saving, USD/month": [usd(v) for v in levers["saving_usd_per_month"]],
                    "Saving, USD/year": [usd(per_year(v)) for v in levers["saving_usd_per_month"]],
                    "Effort, engineer-weeks": [f"{v:g}" for v in levers["effort_engineer_weeks"]],
                    "Risk (1-5)": levers["risk"],
                }
            ),
            "The levers chosen, when each goes live and what it saves (its Shapley share)",
        ),
        Chart(burndown_chart(result.burndown_frame()), "The monthly run-rate, week by week"),
        Bullets((*result.assumptions, *result.notes)),
    ]
    # An unreachable target is the recommendation itself; a stopped solver is a risk to it.
    if result.time_limit_reached:
        risks.append(result.message())
    return ReportPart(
        title="Budget recovery",
        recommendation=result.message(),
        costs=tuple(blocks),
        risks=tuple(risks),
    )

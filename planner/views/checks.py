"""Assumption checks: notes that flag figures which cannot all be true.

They compare the figures a scenario *states* (published or quoted numbers) with each other
and with what the model computes, and catch the mistakes seen in the worked cases:

* the same cost stated in two periods (per day against per year; per quarter against per
  month), found by the ratio between two figures landing near a calendar factor;
* an implied price per GPU-hour far from the catalog's;
* a fleet implied by cost and traffic that is absurd for the throughput;
* a stated figure far from the model's.

Checks never block: they are notes shown beside the numbers.
"""

from __future__ import annotations

import itertools

from planner.catalog import Catalog, PriceTier, load_catalog
from planner.core.check import Check, Severity
from planner.core.errors import PlannerInputError
from planner.core.formatting import usd
from planner.core.units import DAYS_PER_MONTH, DAYS_PER_YEAR, HOURS_PER_MONTH, MONTHS_PER_YEAR
from planner.costing.buildbuy import build_vs_buy_checks
from planner.costing.economics import UnitEconomics
from planner.costing.training import estimate_run, plan_checks
from planner.finops.recovery import recovery_checks
from planner.scenario import Scenario
from planner.scenario.stated import StatedFigure, StatedUnit

# Two figures further apart than this are worth a note.
DISAGREEMENT_RATIO = 1.5
# A ratio within this relative distance of a calendar factor reads as a period mix-up.
PERIOD_TOLERANCE = 0.15
# An implied fleet this many times the model's is called absurd.
ABSURD_FLEET_RATIO = 10.0

PERIOD_FACTORS: tuple[tuple[float, str], ...] = (
    (DAYS_PER_YEAR, "per day and per year"),
    (DAYS_PER_YEAR / 4, "per day and per quarter"),
    (DAYS_PER_MONTH, "per day and per month"),
    (MONTHS_PER_YEAR, "per month and per year"),
    (4.0, "per quarter and per year"),
    (3.0, "per month and per quarter"),
)

_MONTHLY_FACTOR = {
    StatedUnit.USD_PER_DAY: DAYS_PER_MONTH,
    StatedUnit.USD_PER_MONTH: 1.0,
    StatedUnit.USD_PER_QUARTER: 1 / 3,
    StatedUnit.USD_PER_YEAR: 1 / MONTHS_PER_YEAR,
}


def _period_reading(ratio: float) -> str | None:
    """The period mix-up a ratio between two figures suggests, if any.

    >>> _period_reading(363.0)
    'per day and per year'
    >>> _period_reading(7.0) is None
    True
    """
    for factor, reading in PERIOD_FACTORS:
        if abs(ratio / factor - 1) <= PERIOD_TOLERANCE:
            return reading
    return None


def _stated_monthly(figure: StatedFigure, economics: UnitEconomics) -> float | None:
    """A whole-system cost figure as USD per month; ``None`` for other kinds of figure."""
    if figure.unit in _MONTHLY_FACTOR:
        return figure.value * _MONTHLY_FACTOR[figure.unit]
    if figure.unit is StatedUnit.USD_PER_REQUEST and economics.requests_per_month > 0:
        return figure.value * economics.requests_per_month
    return None


def _describe(figure: StatedFigure) -> str:
    unit = str(figure.unit).removeprefix("usd_").replace("_", " ")
    return f'"{figure.name}" ({usd(figure.value)} {unit})'


def _compare(
    first: str, first_usd: float, second: str, second_usd: float, *, per: str = "month"
) -> str | None:
    """A note when two figures for the same thing disagree, or ``None``.

    Only figures per period can be in the wrong period: a per-run comparison (``per="run"``)
    never reads its gap as a mislabelled period.
    """
    if min(first_usd, second_usd) <= 0:
        return None
    ratio = max(first_usd, second_usd) / min(first_usd, second_usd)
    if ratio < DISAGREEMENT_RATIO:
        return None
    gap = (
        f"{first} comes to {usd(first_usd)}/{per} and {second} to {usd(second_usd)}/{per}, "
        f"{ratio:,.0f}× apart"
    )
    reading = _period_reading(ratio) if per == "month" else None
    if reading:
        return f"{gap}. That is close to the gap between {reading}: one period may be mislabelled"
    return f"{gap}. They cannot both be right"


def _period_checks(scenario: Scenario, economics: UnitEconomics) -> list[Check]:
    totals = [
        (figure, monthly)
        for figure in scenario.stated
        if (monthly := _stated_monthly(figure, economics)) is not None
    ]
    checks = []
    for (a, a_usd), (b, b_usd) in itertools.combinations(totals, 2):
        message = _compare(_describe(a), a_usd, _describe(b), b_usd)
        if message:
            checks.append(
                Check(
                    code="stated_figures_disagree",
                    severity=Severity.WARNING,
                    subject="stated figures",
                    message=message,
                )
            )
    for figure, monthly in totals:
        message = _compare(_describe(figure), monthly, "the model", economics.monthly_cost_usd)
        if message:
            checks.append(
                Check(
                    code="stated_vs_model",
                    severity=Severity.INFO,
                    subject="monthly cost",
                    message=message,
                )
            )
    return checks


def _training_checks(scenario: Scenario, economics: UnitEconomics, catalog: Catalog) -> list[Check]:
    checks = []
    runs = {run.plan.name: run for run in economics.training}
    for figure in scenario.stated:
        if figure.unit not in {StatedUnit.USD_PER_RUN, StatedUnit.USD_PER_GPU_HOUR}:
            continue
        if figure.job not in runs:
            checks.append(
                Check(
                    code="stated_figure_unlinked",
                    severity=Severity.INFO,
                    subject="stated figures",
                    message=(
                        f"{_describe(figure)} names no training job of this scenario "
                        f"(job: {figure.job!r}), so it cannot be checked"
                    ),
                )
            )
            continue
        run = runs[figure.job]
        job = run.plan
        if figure.baseline:
            base = job.baseline_plan()
            if base is None:
                checks.append(
                    Check(
                        code="stated_figure_unlinked",
                        severity=Severity.INFO,
                        subject="stated figures",
                        message=(
                            f"{_describe(figure)} is about the baseline of job {job.name!r}, "
                            "which has none, so it cannot be checked"
                        ),
                    )
                )
                continue
            try:
                run = estimate_run(base, scenario.pricing, catalog, simulate=False)
            except PlannerInputError:
                continue  # the job's own checks say why its baseline cannot run
        if figure.unit is StatedUnit.USD_PER_RUN:
            message = _compare(
                _describe(figure),
                figure.value,
                "the model's baseline run" if figure.baseline else "the model's run",
                run.cost_usd,
                per="run",
            )
            if message:
                checks.append(
                    Check(
                        code="stated_run_cost_vs_model",
                        severity=Severity.INFO,
                        subject=f"training: {job.name}",
                        message=message,
                    )
                )
        implied = (
            figure.value / run.gpu_hours if figure.unit is StatedUnit.USD_PER_RUN else figure.value
        )
        instance = catalog.instance(job.instance_type)
        try:
            on_demand = scenario.pricing.hourly_price(
                catalog, job.instance_type, PriceTier.ON_DEMAND
            ).usd_per_hour / max(instance.gpu_count, 1)
        except PlannerInputError:
            continue  # no on-demand price to compare with
        ratio = implied / on_demand
        if ratio > 2 or ratio < 0.5:
            checks.append(
                Check(
                    code="implied_gpu_hour_price",
                    severity=Severity.WARNING,
                    subject=f"training: {job.name}",
                    message=(
                        f"{_describe(figure)} implies {usd(implied)} per GPU-hour on "
                        f"{job.instance_type}; the catalog's on-demand price is "
                        f"{usd(on_demand)} per GPU-hour ({ratio:.1f}×)"
                    ),
                )
            )
    return checks


def _fleet_checks(scenario: Scenario, economics: UnitEconomics) -> list[Check]:
    instances = sum(priced.peak_instances for priced in economics.endpoints)
    serving_usd = sum(priced.usd_per_month for priced in economics.endpoints)
    if instances == 0 or serving_usd == 0:
        return []
    usd_per_instance_month = serving_usd / instances
    peak = sum(priced.peak_requests_per_second for priced in economics.endpoints)
    checks = []
    for figure in scenario.stated:
        monthly = _stated_monthly(figure, economics)
        if monthly is None:
            continue
        implied = monthly / usd_per_instance_month
        if implied > ABSURD_FLEET_RATIO * instances and implied - instances > ABSURD_FLEET_RATIO:
            checks.append(
                Check(
                    code="absurd_fleet",
                    severity=Severity.WARNING,
                    subject="serving",
                    message=(
                        f"{_describe(figure)} would pay for about {implied:,.0f} serving "
                        f"instances running all month ({usd(usd_per_instance_month)} each "
                        f"at {HOURS_PER_MONTH:g} h), {peak / implied:.3g} req/s each at the "
                        f"peak of {peak:,.0f} req/s. The model needs {instances} at the peak"
                    ),
                )
            )
    return checks


def _job_checks(scenario: Scenario, economics: UnitEconomics, catalog: Catalog) -> list[Check]:
    """Each job's own checks: its run against its GPUs' memory and its baseline's loss."""
    checks = []
    for run in economics.training:
        base = run.plan.baseline_plan()
        try:
            baseline = (
                estimate_run(base, scenario.pricing, catalog, simulate=False) if base else None
            )
        except PlannerInputError as error:
            checks.append(
                Check(
                    code="training_baseline_invalid",
                    severity=Severity.WARNING,
                    subject=f"training: {run.plan.name}",
                    message=f"the job's baseline cannot be estimated: {error}",
                )
            )
            baseline = None
        checks.extend(plan_checks(run, baseline))
    return checks


def check_scenario(
    scenario: Scenario, economics: UnitEconomics, catalog: Catalog | None = None
) -> tuple[Check, ...]:
    """Every assumption check that fires for this scenario, warnings first."""
    catalog = catalog or load_catalog()
    checks = [
        *_period_checks(scenario, economics),
        *_training_checks(scenario, economics, catalog),
        *_fleet_checks(scenario, economics),
        *_job_checks(scenario, economics, catalog),
        *build_vs_buy_checks(scenario, catalog),
        *recovery_checks(scenario),
    ]
    return tuple(sorted(checks, key=lambda check: check.severity != Severity.WARNING))

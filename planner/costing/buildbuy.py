"""Build vs buy: the total cost of ownership of self-hosting a tool against a SaaS plan.

Notation, for month :math:`m = 1 … H` (the horizon), loaded engineer rate :math:`r` per hour:

* seats: :math:`n_m = n_1 + ⌊a (m − 1) / 12⌋` for a team of :math:`n_1` that gains :math:`a`
  seats a year;
* artifacts: :math:`G_m = G_0 + g k \\sum_{j ≤ m} n_j` GB, for :math:`k` runs per seat-month
  of :math:`g` GB each (nothing is deleted);
* build: server + database + control-plane share + :math:`G_m ×` storage rate
  + :math:`r ×` (setup hours in month 1 + maintenance and on-call hours
  + upgrade hours in every month divisible by the upgrade interval
  + opportunity days a year × hours a day / 12);
* buy: :math:`\\min_p` over the plans :math:`p` that accept :math:`n_m` seats of
  (flat fee + seat price × :math:`n_m` + overage rate × :math:`\\max(0, G_m − \\text{included})`)
  + :math:`r ×` (adoption hours in month 1 + administration hours).

The TCO of each option is the sum over the horizon. Break-even month: the first month from
which the cumulative cost of building stays at or below that of buying to the horizon's
end. Break-even team size: the smallest team, held flat, for which building costs no more
than buying over the horizon. Break-even opportunity cost: the engineer-days over the
horizon at which the two cost the same.

The model is written once, on NumPy arrays of shape (draws, months), so a single scenario
and ten thousand Monte Carlo draws run the same code (see :func:`tco_arrays`).

>>> from planner.scenario.business_case import BuildVsBuy, BusinessCase, Saas, SaasPlan, SelfHosted
>>> from planner.scenario import Scenario
>>> case = BuildVsBuy(horizon_months=12, team_size=5, usd_per_engineer_hour=100,
...     self_hosted=SelfHosted(server_usd_per_month=200, setup_hours=10),
...     saas=Saas(plans=(SaasPlan(name="team", usd_per_seat_month=50),)))
>>> result = tco(Scenario(business_case=BusinessCase(build_vs_buy=case)))
>>> result.build_usd, result.buy_usd, result.break_even_month, result.break_even_team_size
(3400.0, 3000.0, None, 6)
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from planner.catalog import Catalog, Price, load_catalog
from planner.core.check import Check, Severity
from planner.core.errors import PlannerInputError
from planner.core.formatting import usd
from planner.core.units import HOURS_PER_MONTH, MONTHS_PER_YEAR
from planner.scenario import Scenario
from planner.scenario.business_case import MAX_TEAM_SIZE, BuildVsBuy, price_key

FloatArray = npt.NDArray[np.float64]
Values = Mapping[str, npt.ArrayLike]
"""Parameter key → one value per draw; keys not present keep the scenario's value."""

PREFIX = "business_case.build_vs_buy"
# Above this team the break-even search stops: a seat-priced tool for 10,000 people is
# outside what this model was built for.
BREAK_EVEN_TEAM_CAP = 10_000
# Two totals within half a cent are a tie.
TIE_USD = 0.005
# Stated and modelled totals further apart than this are flagged.
STATED_TOLERANCE = 0.01


class Side(enum.StrEnum):
    BUILD = "build"
    BUY = "buy"


@dataclass(frozen=True, slots=True, kw_only=True)
class TcoLine:
    """One item of an option's cost over the horizon, and how it was computed."""

    side: Side
    item: str
    usd: float
    basis: str


@dataclass(frozen=True, slots=True)
class TcoArrays:
    """Monthly cost by item for each draw: arrays of shape (draws, months)."""

    build: dict[str, FloatArray]
    buy: dict[str, FloatArray]
    seats: FloatArray
    artifact_gb: FloatArray
    plan_index: npt.NDArray[np.int64]

    @property
    def build_monthly(self) -> FloatArray:
        total: FloatArray = np.sum(list(self.build.values()), axis=0)
        return total

    @property
    def buy_monthly(self) -> FloatArray:
        total: FloatArray = np.sum(list(self.buy.values()), axis=0)
        return total

    def totals(self) -> tuple[FloatArray, FloatArray]:
        """Build and buy TCO over the horizon, one per draw."""
        return self.build_monthly.sum(axis=1), self.buy_monthly.sum(axis=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Tco:
    """Build and buy over the horizon, month by month, with the break-even points.

    ``break_even_opportunity_engineer_days`` is ``None`` when building costs more than
    buying even without any opportunity cost.
    """

    build_label: str
    buy_label: str
    horizon_months: int
    lines: tuple[TcoLine, ...]
    build_monthly_usd: tuple[float, ...]
    buy_monthly_usd: tuple[float, ...]
    seats: tuple[int, ...]
    plans: tuple[str, ...]
    opportunity_usd: float
    break_even_month: int | None
    break_even_team_size: int | None
    break_even_opportunity_engineer_days: float | None

    @property
    def build_usd(self) -> float:
        return math.fsum(self.build_monthly_usd)

    @property
    def buy_usd(self) -> float:
        return math.fsum(self.buy_monthly_usd)

    @property
    def build_without_opportunity_usd(self) -> float:
        return self.build_usd - self.opportunity_usd

    @property
    def difference_usd(self) -> float:
        """Build minus buy: positive when buying is cheaper."""
        return self.build_usd - self.buy_usd

    @property
    def cheaper(self) -> Side | None:
        """The cheaper option over the horizon; ``None`` for a tie."""
        if abs(self.difference_usd) < TIE_USD:
            return None
        return Side.BUILD if self.difference_usd < 0 else Side.BUY

    def label(self, side: Side) -> str:
        return self.build_label if side is Side.BUILD else self.buy_label

    def frame(self) -> pd.DataFrame:
        """Tidy monthly costs: ``month``, ``option``, ``usd`` and ``cumulative_usd``."""
        months = list(range(1, self.horizon_months + 1))
        parts = []
        for label, monthly in (
            (self.build_label, self.build_monthly_usd),
            (self.buy_label, self.buy_monthly_usd),
        ):
            parts.append(
                pd.DataFrame(
                    {
                        "month": months,
                        "option": label,
                        "usd": monthly,
                        "cumulative_usd": np.cumsum(monthly),
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)

    def lines_frame(self) -> pd.DataFrame:
        """The items of both options over the horizon, for tables and downloads."""
        return pd.DataFrame(
            {
                "option": [self.label(line.side) for line in self.lines],
                "item": [line.item for line in self.lines],
                "usd": [line.usd for line in self.lines],
                "basis": [line.basis for line in self.lines],
            },
            columns=["option", "item", "usd", "basis"],
        )

    def summary(self) -> str:
        """One sentence: which option is cheaper over the horizon, and by how much.

        The sentence is the model's answer; the opportunity cost caveat comes from the
        checks.
        """
        horizon = f"over {self.horizon_months} months"
        if self.cheaper is None:
            return (
                f"{self.build_label} and {self.buy_label} cost the same {horizon} "
                f"({usd(self.build_usd)})."
            )
        winner, loser = (
            (self.build_label, self.buy_label)
            if self.cheaper is Side.BUILD
            else (self.buy_label, self.build_label)
        )
        low, high = sorted((self.build_usd, self.buy_usd))
        return (
            f"{winner} is cheaper {horizon}: {usd(low)} against {usd(high)} for {loser}, "
            f"{usd(high - low)} less."
        )


def section(scenario: Scenario) -> BuildVsBuy:
    """The scenario's build-vs-buy section.

    Raises
    ------
    PlannerInputError
        If the scenario has none.
    """
    case = scenario.business_case
    if case is None or case.build_vs_buy is None:
        raise PlannerInputError(
            f'The scenario "{scenario.title}" has no build-vs-buy section',
            fix="add business_case.build_vs_buy (see scenarios/build_vs_buy_mlflow_wandb.yaml)",
        )
    return case.build_vs_buy


def _server_price(scenario: Scenario, catalog: Catalog, instance_type: str) -> Price:
    pricing = scenario.pricing
    return catalog.hourly_price(
        instance_type,
        pricing.default_tier,
        overrides=pricing.overrides,
        reserved_1y_discount=pricing.reserved_1y_discount,
        reserved_3y_discount=pricing.reserved_3y_discount,
    )


def _column(values: Values, key: str, default: float, draws: int) -> FloatArray:
    """One value per draw, as a column that broadcasts against the months."""
    if key not in values:
        return np.full((draws, 1), float(default))
    column = np.asarray(values[key], dtype=np.float64).reshape(-1, 1)
    if column.shape[0] != draws:
        raise ValueError(f"{key} has {column.shape[0]} draws, expected {draws}")
    return column


def tco_arrays(
    scenario: Scenario, catalog: Catalog | None = None, values: Values | None = None
) -> TcoArrays:
    """The build-vs-buy model for every draw at once (see the module docstring).

    ``values`` maps parameter keys (``business_case.build_vs_buy.<field>``, its
    ``self_hosted.<field>``, ``saas.<field>``, ``saas.plans[i].<field>``, or the server's
    ``price[<instance>].<tier>``) to arrays of equal length; every other input keeps the
    scenario's value. Whole-number inputs (seats) are rounded.

    Raises
    ------
    PlannerInputError
        If the scenario has no build-vs-buy section, or the server's instance is unknown.
    """
    catalog = catalog or load_catalog()
    values = values or {}
    case = section(scenario)
    hosted, saas = case.self_hosted, case.saas
    draws = len(np.asarray(next(iter(values.values())))) if values else 1
    months = np.arange(1, case.horizon_months + 1, dtype=np.float64).reshape(1, -1)

    def field(name: str, default: float) -> FloatArray:
        return _column(values, f"{PREFIX}.{name}", default, draws)

    rate = field("usd_per_engineer_hour", case.usd_per_engineer_hour)
    start = np.round(field("team_size", case.team_size))
    added = field("seats_added_per_year", case.seats_added_per_year)
    # The epsilon keeps 12 seats a year at exactly one more seat each month.
    seats = start + np.floor(added * (months - 1) / MONTHS_PER_YEAR + 1e-9)
    per_seat_gb = field("runs_per_seat_month", case.runs_per_seat_month) * field(
        "gb_per_run", case.gb_per_run
    )
    artifact_gb = field("initial_artifact_gb", case.initial_artifact_gb) + per_seat_gb * np.cumsum(
        seats, axis=1
    )
    zeros = np.zeros_like(seats)

    instance_type = hosted.server_instance_type
    if instance_type is None:
        server = field("self_hosted.server_usd_per_month", hosted.server_usd_per_month) + zeros
    else:
        hourly = _server_price(scenario, catalog, instance_type).usd_per_hour
        key = price_key(instance_type, scenario.pricing.default_tier)
        server = (
            np.round(field("self_hosted.server_instance_count", hosted.server_instance_count))
            * _column(values, key, hourly, draws)
            * HOURS_PER_MONTH
            + zeros
        )
    storage_rate = (
        catalog.assumption("object_storage_usd_per_gb_month")
        if hosted.storage_usd_per_gb_month is None
        else hosted.storage_usd_per_gb_month
    )
    control_plane = catalog.assumption("kubernetes_control_plane_usd_per_hour") * HOURS_PER_MONTH
    first_month = (months == 1).astype(np.float64)
    every = hosted.upgrade_every_months
    upgrade_months = (months % every == 0).astype(np.float64)
    build = {
        "Tracking server": server,
        "Database": field("self_hosted.database_usd_per_month", hosted.database_usd_per_month)
        + zeros,
        "Kubernetes control plane": field(
            "self_hosted.kubernetes_control_plane_share", hosted.kubernetes_control_plane_share
        )
        * control_plane
        + zeros,
        "Artifact storage": artifact_gb
        * field("self_hosted.storage_usd_per_gb_month", storage_rate),
        "Setup": field("self_hosted.setup_hours", hosted.setup_hours) * rate * first_month,
        "Maintenance and on-call": (
            field("self_hosted.maintenance_hours_per_month", hosted.maintenance_hours_per_month)
            + field("self_hosted.on_call_hours_per_month", hosted.on_call_hours_per_month)
        )
        * rate
        + zeros,
        "Upgrades": field("self_hosted.upgrade_hours", hosted.upgrade_hours)
        * rate
        * upgrade_months,
        "Opportunity cost": field(
            "self_hosted.opportunity_engineer_days_per_year",
            hosted.opportunity_engineer_days_per_year,
        )
        * field("hours_per_engineer_day", case.hours_per_engineer_day)
        * rate
        / MONTHS_PER_YEAR
        + zeros,
    }

    plan_costs = []
    overage_costs = []
    for index, plan in enumerate(saas.plans):

        def plan_field(name: str, default: float, index: int = index) -> FloatArray:
            return field(f"saas.plans[{index}].{name}", default)

        included = math.inf if plan.included_storage_gb is None else plan.included_storage_gb
        overage = plan_field(
            "storage_usd_per_gb_month", plan.storage_usd_per_gb_month
        ) * np.maximum(0.0, artifact_gb - plan_field("included_storage_gb", included))
        fee = (
            plan_field("usd_per_month", plan.usd_per_month)
            + plan_field("usd_per_seat_month", plan.usd_per_seat_month) * seats
        )
        fits = seats <= (math.inf if plan.max_seats is None else plan.max_seats)
        plan_costs.append(np.where(fits, fee + overage, np.inf))
        overage_costs.append(overage)
    stacked = np.stack(plan_costs)
    plan_index = np.argmin(stacked, axis=0)
    chosen = np.take_along_axis(stacked, plan_index[None], axis=0)[0]
    chosen_overage = np.take_along_axis(np.stack(overage_costs), plan_index[None], axis=0)[0]
    buy = {
        "Subscription": chosen - chosen_overage,
        "Storage above the plan's allowance": np.where(np.isfinite(chosen), chosen_overage, 0.0),
        "Adoption": field("saas.setup_hours", saas.setup_hours) * rate * first_month,
        "Administration": field("saas.admin_hours_per_month", saas.admin_hours_per_month) * rate
        + zeros,
    }
    return TcoArrays(
        build=build,
        buy=buy,
        seats=seats,
        artifact_gb=artifact_gb,
        plan_index=plan_index.astype(np.int64),
    )


def uncovered_team(arrays: TcoArrays, scenario: Scenario) -> PlannerInputError | None:
    """The error to raise when some month's team fits no plan, else ``None``."""
    buy = arrays.buy_monthly
    if np.all(np.isfinite(buy)):
        return None
    draw, month = np.argwhere(~np.isfinite(buy))[0]
    saas = section(scenario).saas
    return PlannerInputError(
        f"No plan of {saas.product} accepts a team of {arrays.seats[draw, month]:,.0f} seats "
        f"(month {month + 1}); the largest plan takes "
        f"{max(p.max_seats or 0 for p in saas.plans):,} seats",
        fix="add a plan without a seat limit (leave max_seats empty)",
    )


def break_even_months(build_monthly: FloatArray, buy_monthly: FloatArray) -> npt.NDArray[np.int64]:
    """For each draw, the first month from which building stays no dearer; 0 for none.

    >>> build = np.array([[10.0, 1, 1, 1], [10.0, 9, 9, 9]])
    >>> buy = np.array([[4.0, 4, 4, 4], [4.0, 4, 4, 4]])
    >>> break_even_months(build, buy).tolist()
    [3, 0]
    """
    ahead = np.cumsum(build_monthly - buy_monthly, axis=1) > TIE_USD
    horizon = ahead.shape[1]
    # The month after the last one in which building is still behind.
    last_behind = np.where(ahead.any(axis=1), horizon - np.argmax(ahead[:, ::-1], axis=1), 0)
    result: npt.NDArray[np.int64] = np.where(last_behind < horizon, last_behind + 1, 0)
    return result


def break_even_team_size(scenario: Scenario, catalog: Catalog | None = None) -> int | None:
    """The smallest team, held flat over the horizon, for which building is no dearer.

    Searches 0 to :data:`BREAK_EVEN_TEAM_CAP` seats; ``None`` if buying stays cheaper.
    A team no plan accepts cannot buy, so building wins there.
    """
    catalog = catalog or load_catalog()
    chunk = 2048
    for first in range(0, min(BREAK_EVEN_TEAM_CAP, MAX_TEAM_SIZE) + 1, chunk):
        sizes = np.arange(first, min(first + chunk, BREAK_EVEN_TEAM_CAP + 1), dtype=np.float64)
        arrays = tco_arrays(
            scenario,
            catalog,
            {f"{PREFIX}.team_size": sizes, f"{PREFIX}.seats_added_per_year": np.zeros_like(sizes)},
        )
        build, buy = arrays.totals()
        wins = np.flatnonzero(build - buy <= TIE_USD)
        if wins.size:
            return int(sizes[wins[0]])
    return None


def tco(scenario: Scenario, catalog: Catalog | None = None) -> Tco:
    """Build and buy over the scenario's horizon, with break-even points and each item's basis.

    Raises
    ------
    PlannerInputError
        If there is no build-vs-buy section, the server's instance is unknown, or no plan
        accepts the team in some month.
    """
    catalog = catalog or load_catalog()
    case = section(scenario)
    arrays = tco_arrays(scenario, catalog)
    problem = uncovered_team(arrays, scenario)
    if problem is not None:
        raise problem
    build_monthly = arrays.build_monthly[0]
    buy_monthly = arrays.buy_monthly[0]
    opportunity = float(arrays.build["Opportunity cost"][0].sum())
    without = float(build_monthly.sum()) - opportunity
    day_usd = case.hours_per_engineer_day * case.usd_per_engineer_hour
    gap = float(buy_monthly.sum()) - without
    month = int(break_even_months(arrays.build_monthly, arrays.buy_monthly)[0])
    return Tco(
        build_label=case.build_label,
        buy_label=case.saas.product,
        horizon_months=case.horizon_months,
        lines=_lines(scenario, catalog, arrays),
        build_monthly_usd=tuple(float(x) for x in build_monthly),
        buy_monthly_usd=tuple(float(x) for x in buy_monthly),
        seats=tuple(int(x) for x in arrays.seats[0]),
        plans=tuple(case.saas.plans[int(i)].name for i in arrays.plan_index[0]),
        opportunity_usd=opportunity,
        break_even_month=month or None,
        break_even_team_size=break_even_team_size(scenario, catalog),
        break_even_opportunity_engineer_days=gap / day_usd if gap >= -TIE_USD else None,
    )


def _lines(scenario: Scenario, catalog: Catalog, arrays: TcoArrays) -> tuple[TcoLine, ...]:
    case = section(scenario)
    hosted, saas = case.self_hosted, case.saas
    horizon = case.horizon_months
    rate = f"{usd(case.usd_per_engineer_hour)}/h"
    over = f"× {horizon} months"
    if hosted.server_instance_type is None:
        server = f"{usd(hosted.server_usd_per_month)}/month {over} (scenario)"
    else:
        price = _server_price(scenario, catalog, hosted.server_instance_type)
        server = (
            f"{hosted.server_instance_count} × {hosted.server_instance_type} at "
            f"{usd(price.usd_per_hour)}/h ({price.basis}) × {HOURS_PER_MONTH:g} h {over}"
        )
    storage_rate = hosted.storage_usd_per_gb_month
    storage_source = "scenario"
    if storage_rate is None:
        storage_rate = catalog.assumption("object_storage_usd_per_gb_month")
        storage_source = "catalog object storage"
    gb = arrays.artifact_gb[0]
    upgrades = horizon // hosted.upgrade_every_months
    seat_months = float(arrays.seats[0].sum())
    plan_names = sorted({saas.plans[int(i)].name for i in arrays.plan_index[0]})
    seats = arrays.seats[0]
    team = (
        f"{seats[0]:,.0f} seats"
        if seats[0] == seats[-1]
        else f"{seats[0]:,.0f} → {seats[-1]:,.0f} seats ({seat_months:,.0f} seat-months)"
    )
    control_plane = catalog.assumption("kubernetes_control_plane_usd_per_hour")
    bases = {
        "Tracking server": server,
        "Database": f"{usd(hosted.database_usd_per_month)}/month {over} (scenario)",
        "Kubernetes control plane": (
            f"{hosted.kubernetes_control_plane_share:.0%} of {usd(control_plane)}/cluster-hour "
            f"(catalog) × {HOURS_PER_MONTH:g} h {over}"
        ),
        "Artifact storage": (
            f"{gb[0]:,.0f} GB in month 1 growing to {gb[-1]:,.0f} GB "
            f"({case.runs_per_seat_month:g} runs/seat-month × {case.gb_per_run:g} GB) × "
            f"${storage_rate:g}/GB-month ({storage_source})"
        ),
        "Setup": f"{hosted.setup_hours:g} h × {rate}, month 1",
        "Maintenance and on-call": (
            f"({hosted.maintenance_hours_per_month:g} h maintenance + "
            f"{hosted.on_call_hours_per_month:g} h on-call)/month × {rate} {over}"
        ),
        "Upgrades": (
            f"{upgrades} × {hosted.upgrade_hours:g} h × {rate} "
            f"(one every {hosted.upgrade_every_months} months)"
        ),
        "Opportunity cost": (
            f"{hosted.opportunity_engineer_days_per_year:g} engineer-days/year × "
            f"{case.hours_per_engineer_day:g} h × {rate} × {horizon / MONTHS_PER_YEAR:g} years"
        ),
        "Subscription": f"{team} on the cheapest plan that fits ({', '.join(plan_names)})",
        "Storage above the plan's allowance": (
            f"artifacts above each plan's included GB × its overage rate; {gb[-1]:,.0f} GB "
            "by the end"
        ),
        "Adoption": f"{saas.setup_hours:g} h × {rate}, month 1",
        "Administration": f"{saas.admin_hours_per_month:g} h/month × {rate} {over}",
    }
    lines = []
    for side, items in ((Side.BUILD, arrays.build), (Side.BUY, arrays.buy)):
        for item, monthly in items.items():
            total = float(monthly[0].sum())
            if total == 0 and item not in {"Tracking server", "Subscription"}:
                continue  # an item the scenario does not use
            lines.append(TcoLine(side=side, item=item, usd=total, basis=bases[item]))
    return tuple(lines)


def build_vs_buy_checks(scenario: Scenario, catalog: Catalog | None = None) -> list[Check]:
    """Notes on a build-vs-buy section: stated totals that do not add up, an answer that
    hinges on the opportunity cost, and a team held flat while seats are priced.

    Called from :func:`planner.views.checks.check_scenario`; empty without a section.
    """
    case = scenario.business_case
    if case is None or case.build_vs_buy is None:
        return []
    bvb = case.build_vs_buy
    try:
        result = tco(scenario, catalog)
    except PlannerInputError:
        return []  # the page and the CLI report the error itself
    checks = []
    for stated, modelled, label in (
        (bvb.stated_build_usd, result.build_usd, result.build_label),
        (bvb.stated_buy_usd, result.buy_usd, result.buy_label),
    ):
        if stated is None or abs(stated - modelled) <= STATED_TOLERANCE * max(stated, modelled):
            continue
        checks.append(
            Check(
                code="stated_total_mismatch",
                severity=Severity.WARNING,
                subject=f"build vs buy: {label}",
                message=(
                    f"The stated total for {label}, {usd(stated)} over {result.horizon_months} "
                    f"months, is not what its items add up to: the model's sum is "
                    f"{usd(modelled)} ({usd(abs(modelled - stated))} "
                    f"{'more' if modelled > stated else 'less'}). Check the addition"
                ),
            )
        )
    if result.opportunity_usd > 0 and result.cheaper is Side.BUY:
        without = result.build_without_opportunity_usd
        days = result.break_even_opportunity_engineer_days
        if without < result.buy_usd and days is not None:
            checks.append(
                Check(
                    code="decided_by_opportunity_cost",
                    severity=Severity.WARNING,
                    subject="build vs buy",
                    message=(
                        f"The answer hinges on one estimate, the opportunity cost "
                        f"({usd(result.opportunity_usd)}). Without it {result.build_label} "
                        f"costs {usd(without)}, less than {result.buy_label} at "
                        f"{usd(result.buy_usd)}; building is cheaper whenever the opportunity "
                        f"cost is below {days:,.1f} engineer-days over "
                        f"{result.horizon_months} months"
                    ),
                )
            )
    seat_priced = any(plan.usd_per_seat_month > 0 for plan in bvb.saas.plans)
    if seat_priced and bvb.seats_added_per_year == 0 and bvb.horizon_months >= MONTHS_PER_YEAR:
        size = result.break_even_team_size
        at = (
            f"at a flat team, building is no dearer from {size:,} seats"
            if size is not None
            else f"buying stays cheaper up to {BREAK_EVEN_TEAM_CAP:,} seats"
        )
        checks.append(
            Check(
                code="team_held_flat",
                severity=Severity.INFO,
                subject="build vs buy",
                message=(
                    f"Seats are held at {bvb.team_size:,} for all {bvb.horizon_months} months "
                    f"while the plan is priced per seat. If the team grows, buying costs more; "
                    f"{at}"
                ),
            )
        )
    return checks

"""Build vs buy: a case worked by hand, the lesson-05 gallery case, and the checks."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from planner import whatif
from planner.core.errors import PlannerInputError
from planner.costing import buildbuy
from planner.costing.economics import evaluate
from planner.io.scenario_files import GALLERY_DIR, read_scenario
from planner.scenario import Scenario, scenario_from_mapping
from planner.scenario.business_case import BuildVsBuy, BusinessCase, Saas, SaasPlan, SelfHosted
from planner.views.checks import check_scenario

GALLERY_CASE = GALLERY_DIR / "build_vs_buy_mlflow_wandb.yaml"


def _scenario(case: BuildVsBuy) -> Scenario:
    return Scenario(title="hand", business_case=BusinessCase(build_vs_buy=case))


@pytest.fixture
def by_hand() -> Scenario:
    """Four months; 2 seats gaining one a month; a free tier up to 3 seats, then a team plan."""
    return _scenario(
        BuildVsBuy(
            horizon_months=4,
            team_size=2,
            seats_added_per_year=12,
            usd_per_engineer_hour=100,
            hours_per_engineer_day=8,
            runs_per_seat_month=1,
            gb_per_run=1,
            initial_artifact_gb=10,
            self_hosted=SelfHosted(
                server_usd_per_month=50,
                database_usd_per_month=20,
                storage_usd_per_gb_month=0.1,
                setup_hours=10,
                maintenance_hours_per_month=1,
                on_call_hours_per_month=0.5,
                upgrade_hours=5,
                upgrade_every_months=2,
                opportunity_engineer_days_per_year=12,
            ),
            saas=Saas(
                product="Tracker",
                plans=(
                    SaasPlan(
                        name="free", max_seats=3, included_storage_gb=5, storage_usd_per_gb_month=1
                    ),
                    SaasPlan(name="team", usd_per_seat_month=20, usd_per_month=100),
                ),
                setup_hours=2,
                admin_hours_per_month=0.5,
            ),
        )
    )


def test_tco_worked_by_hand(by_hand):
    result = buildbuy.tco(by_hand)
    # Seats 2, 3, 4, 5; artifacts 10 + cumulative seat-runs: 12, 15, 19, 24 GB.
    assert result.seats == (2, 3, 4, 5)
    # Build, month 1: server 50 + database 20 + storage 1.2 + setup 1,000 + (1 + 0.5) h × 100
    # + opportunity 12 days × 8 h × 100 / 12 = 800. Upgrades (500) in months 2 and 4.
    assert result.build_monthly_usd == pytest.approx((2021.2, 1521.5, 1021.9, 1522.4))
    assert result.build_usd == pytest.approx(6087.0)
    assert result.build_without_opportunity_usd == pytest.approx(2887.0)
    # Buy: the free plan (overage 7 and 10 GB) while it fits, then 100 + 20 × seats;
    # adoption 200 in month 1 and administration 50 a month.
    assert result.plans == ("free", "free", "team", "team")
    assert result.buy_monthly_usd == pytest.approx((257.0, 60.0, 230.0, 250.0))
    assert result.buy_usd == pytest.approx(797.0)
    items = {(line.side, line.item): line.usd for line in result.lines}
    assert items[(buildbuy.Side.BUY, "Storage above the plan's allowance")] == pytest.approx(17)
    assert items[(buildbuy.Side.BUY, "Subscription")] == pytest.approx(380)
    assert items[(buildbuy.Side.BUILD, "Upgrades")] == pytest.approx(1000)
    assert sum(items.values()) == pytest.approx(result.build_usd + result.buy_usd)
    assert result.cheaper is buildbuy.Side.BUY
    assert result.break_even_month is None
    # Even without the opportunity cost building costs more: no opportunity break-even.
    assert result.break_even_opportunity_engineer_days is None
    # Flat team n: build 6,084 + n; buy 800 + 80 n above 3 seats: equal past n = 66.9.
    assert result.break_even_team_size == 67


def test_lesson_05_reading(tmp_path):
    scenario = read_scenario(GALLERY_CASE)
    result = buildbuy.tco(scenario)
    assert result.build_usd == pytest.approx(129_600)  # the items, not the stated $127K
    assert result.buy_usd == pytest.approx(90_000)
    assert result.build_without_opportunity_usd == pytest.approx(57_600)
    assert result.break_even_opportunity_engineer_days == pytest.approx(27.0)
    assert result.break_even_month is None
    assert result.break_even_team_size == 21
    assert result.cheaper is buildbuy.Side.BUY
    codes = {c.code for c in check_scenario(scenario, evaluate(scenario))}
    assert {"stated_total_mismatch", "decided_by_opportunity_cost", "team_held_flat"} <= codes


def test_without_the_opportunity_cost_building_pays_back_in_month_5():
    scenario = read_scenario(GALLERY_CASE)
    variant = next(v for v in scenario.business_case.variants if "opportunity" in v.name)
    result = buildbuy.tco(whatif.variant_scenario(scenario, variant))
    assert result.build_usd == pytest.approx(57_600)
    # 7,100 then 1,100 a month against 2,500 a month: 7,100 + 1,100 (m - 1) <= 2,500 m at m = 5.
    assert result.break_even_month == 5
    assert result.break_even_team_size == 9
    assert result.cheaper is buildbuy.Side.BUILD


def test_break_even_month_is_when_building_stays_ahead():
    build = np.array([[100.0, 0, 0, 50, 0]])
    buy = np.array([[30.0, 30, 30, 30, 30]])
    # Cumulative build - buy: 70, 40, 10, 30, 0 -> behind until month 4, even in month 5.
    assert buildbuy.break_even_months(build, buy).tolist() == [5]


def test_catalog_server_and_control_plane(by_hand):
    case = by_hand.business_case.build_vs_buy
    hosted = replace(
        case.self_hosted,
        server_usd_per_month=0,
        server_instance_type="g4dn.xlarge",
        server_instance_count=2,
        kubernetes_control_plane_share=0.5,
    )
    result = buildbuy.tco(_scenario(replace(case, self_hosted=hosted)))
    items = {line.item: line for line in result.lines}
    assert items["Tracking server"].usd == pytest.approx(2 * 0.526 * 730 * 4)
    assert "g4dn.xlarge" in items["Tracking server"].basis
    assert items["Kubernetes control plane"].usd == pytest.approx(0.5 * 0.10 * 730 * 4)


def test_a_team_no_plan_accepts_is_explained(by_hand):
    case = by_hand.business_case.build_vs_buy
    capped = replace(case.saas, plans=(replace(case.saas.plans[0], max_seats=3),))
    with pytest.raises(PlannerInputError, match="No plan of Tracker accepts a team of 4 seats"):
        buildbuy.tco(_scenario(replace(case, saas=capped)))


def test_no_section_is_explained():
    with pytest.raises(PlannerInputError, match="has no build-vs-buy section"):
        buildbuy.tco(Scenario(title="plain"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"horizon_months": 0}, "horizon_months = 0: Input should be greater than or equal to 1"),
        ({"team_size": -3}, "team_size = -3: Input should be greater than or equal to 0"),
        ({"saas": {"plans": []}}, "plans = []: Tuple should have at least 1 item"),
    ],
)
def test_bad_input_names_the_field(change, message):
    case = {"team_size": 3, "usd_per_engineer_hour": 150, "saas": {"plans": [{"name": "q"}]}}
    with pytest.raises(PlannerInputError, match=re.escape(message)):
        scenario_from_mapping({"business_case": {"build_vs_buy": {**case, **change}}})


def test_a_server_with_two_prices_is_refused():
    with pytest.raises(PlannerInputError, match="keep one"):
        SelfHosted(server_instance_type="g4dn.xlarge", server_usd_per_month=10)


def test_stated_totals_that_add_up_raise_no_warning():
    scenario = read_scenario(GALLERY_CASE)
    case = scenario.business_case
    fixed = replace(case, build_vs_buy=replace(case.build_vs_buy, stated_build_usd=129_600))
    codes = {c.code for c in buildbuy.build_vs_buy_checks(replace(scenario, business_case=fixed))}
    assert "stated_total_mismatch" not in codes

"""Budget recovery: periods, the lever library, the milp's choices, burn-down and shortfall."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import pytest

from planner.core.errors import PlannerInputError
from planner.finops.billing import bill_from_frame
from planner.finops.focus_sample import generate_focus
from planner.finops.recovery import (
    MonthlyPools,
    RecoveryStatus,
    lever_library,
    parse_lever_rows,
    plan_recovery,
    pools_from_bill,
    pools_from_economics,
    pools_from_stated,
    resolve_levers,
)
from planner.io.scenario_files import GALLERY_DIR, read_scenario
from planner.scenario.finops import (
    BillPeriod,
    LeverKey,
    LeverSetting,
    Objective,
    PoolName,
    PoolSource,
    RecoveryPlan,
    SampleSpec,
    StatedPools,
)


def stated(**changes) -> RecoveryPlan:
    base = RecoveryPlan(
        source=PoolSource.STATED,
        bill_usd=100_000,
        budget_usd=70_000,
        pools=StatedPools(training=30_000, serving=40_000, idle=10_000, storage=10_000),
        deadline_weeks=6,
        engineers=2,
    )
    return replace(base, **changes)


def run(plan: RecoveryPlan):
    return plan_recovery(plan, pools_from_stated(plan))


def test_the_library_has_every_lever_once_with_a_source():
    library = lever_library()
    assert sorted(spec.key for spec in library) == sorted(LeverKey)
    assert all(spec.source and 0 < spec.saving_fraction < 1 for spec in library)


def test_a_broken_library_row_is_named():
    rows = [
        {
            "key": "idle_off",
            "name": "x",
            "pool": "idle",
            "saving_fraction": "lots",
            "effort_engineer_weeks": "1",
            "lead_weeks": "1",
            "risk": "1",
            "how": "",
            "source": "",
            "date": "",
        }
    ]
    with pytest.raises(PlannerInputError, match=r"finops_levers\.csv line 2"):
        parse_lever_rows(rows)


def test_lesson_04_reads_the_quarterly_bill_per_month_and_falls_short():
    scenario = read_scenario(GALLERY_DIR / "finops_3x_over_budget.yaml")
    plan = scenario.finops.recovery
    result = plan_recovery(plan, pools_from_stated(plan))
    assert result.current_usd_per_month == pytest.approx(847_000 / 3)
    assert result.target_usd_per_month == pytest.approx(280_000 / 3)
    assert result.status is RecoveryStatus.UNREACHABLE
    assert not result.reached
    assert result.shortfall_usd_per_month == pytest.approx(
        result.saving_needed_usd_per_month - result.saving_usd_per_month
    )
    assert result.shortfall_usd_per_month > 0
    stated_savings = {c.key: c.saving_usd_per_month for c in result.levers}
    assert stated_savings[LeverKey.IDLE_OFF] == pytest.approx(23_000)
    assert stated_savings[LeverKey.SPOT_TRAINING] == pytest.approx(28_000)
    assert stated_savings[LeverKey.STORAGE_LIFECYCLE] == pytest.approx(8_000)
    assert any("divided by 3" in line for line in result.assumptions)
    assert "cannot be reached by week 4" in result.message()
    assert "budget of at least" in result.message()


def test_the_cheapest_plan_that_reaches_the_target_is_chosen():
    result = run(stated())
    assert result.status is RecoveryStatus.REACHED
    assert result.planned_usd_per_month <= result.target_usd_per_month + 1e-6
    assert result.shortfall_usd_per_month == 0
    # No cheaper subset of the levers, scheduled any way, reaches the target.
    levers = {lever.key: lever for lever in result.candidates if lever.saving_usd_per_month > 0}
    best = result.effort_engineer_weeks
    for size in range(len(levers) + 1):
        for subset in itertools.combinations(levers.values(), size):
            effort = sum(lever.effort_engineer_weeks for lever in subset)
            if effort >= best - 1e-9:
                continue
            saving = 0.0
            for pool in PoolName:
                fractions = [lever.saving_fraction for lever in subset if lever.pool is pool]
                pool_usd = result.pools.usd_per_month[pool]
                saving += pool_usd * (1 - math.prod(1 - f for f in fractions))
            assert saving < result.saving_needed_usd_per_month - 1e-6


def test_least_risk_can_choose_differently_from_least_effort():
    effort = run(stated(budget_usd=60_000, deadline_weeks=8))
    risk = run(stated(budget_usd=60_000, deadline_weeks=8, objective=Objective.RISK))
    assert effort.reached
    assert risk.reached
    assert risk.max_risk <= effort.max_risk
    assert sum(c.lever.risk for c in risk.levers) <= sum(c.lever.risk for c in effort.levers)
    assert effort.effort_engineer_weeks <= risk.effort_engineer_weeks


def test_the_team_capacity_and_lead_times_are_respected():
    plan = stated(budget_usd=45_000, deadline_weeks=8, engineers=1)
    result = run(plan)
    for week in range(1, plan.deadline_weeks + 1):
        done = sum(c.lever.effort_engineer_weeks for c in result.levers if c.week <= week)
        assert done <= plan.engineers * week + 1e-9
    for chosen in result.levers:
        assert chosen.week >= max(chosen.lever.lead_weeks, 1)
        assert chosen.week <= plan.deadline_weeks


def test_a_lever_whose_lead_time_passes_the_deadline_is_not_used():
    plan = stated(
        budget_usd=99_000,
        levers=(
            *(LeverSetting(key=key, enabled=False) for key in LeverKey if key != LeverKey.CACHING),
            LeverSetting(key=LeverKey.CACHING, lead_weeks=10),
        ),
    )
    result = run(plan)
    assert result.status is RecoveryStatus.UNREACHABLE
    assert result.levers == ()
    assert result.weeks_needed == 10


def test_when_more_time_or_engineers_would_do_the_plan_says_which():
    plan = stated(budget_usd=55_000, deadline_weeks=3, engineers=1)
    result = run(plan)
    assert result.status is RecoveryStatus.UNREACHABLE
    assert result.weeks_needed is not None or result.engineers_needed is not None
    if result.weeks_needed is not None:
        assert run(replace(plan, deadline_weeks=result.weeks_needed)).reached
        assert not run(replace(plan, deadline_weeks=result.weeks_needed - 1)).reached
    if result.engineers_needed is not None:
        assert run(replace(plan, engineers=result.engineers_needed)).reached
    assert "It would take" in result.message()


def test_already_under_budget_needs_no_lever():
    result = run(stated(budget_usd=150_000))
    assert result.status is RecoveryStatus.ALREADY_UNDER
    assert result.reached
    assert result.levers == ()
    assert result.shortfall_usd_per_month == 0
    assert "no lever is needed" in result.message()


def test_the_burn_down_steps_down_to_the_planned_bill():
    result = run(stated(budget_usd=60_000, deadline_weeks=8))
    frame = result.burndown_frame()
    assert list(frame["week"]) == list(range(9))
    assert frame["usd_per_month"].iloc[0] == pytest.approx(result.current_usd_per_month)
    assert frame["usd_per_month"].iloc[-1] == pytest.approx(result.planned_usd_per_month)
    assert frame["usd_per_month"].is_monotonic_decreasing
    assert sum(c.saving_usd_per_month for c in result.levers) == pytest.approx(
        result.saving_usd_per_month
    )


def test_a_cut_fraction_target_and_yearly_periods():
    result = run(
        stated(
            period=BillPeriod.YEAR,
            bill_usd=1_200_000,
            budget_usd=None,
            cut_fraction=0.25,
            pools=StatedPools(serving=600_000, idle=240_000),
        )
    )
    assert result.current_usd_per_month == pytest.approx(100_000)
    assert result.target_usd_per_month == pytest.approx(75_000)


def test_stated_pools_must_fit_in_the_bill():
    with pytest.raises(PlannerInputError, match=r"pools add up to .* more than the bill"):
        pools_from_stated(stated(pools=StatedPools(serving=200_000)))
    with pytest.raises(PlannerInputError, match="bill_usd is missing"):
        pools_from_stated(stated(bill_usd=None))


def test_a_claimed_saving_larger_than_its_pool_is_capped_with_a_note():
    result = run(stated(levers=(LeverSetting(key=LeverKey.IDLE_OFF, saving_usd_per_month=50_000),)))
    assert any("more than its pool" in note for note in result.notes)
    idle = next(lever for lever in result.candidates if lever.key is LeverKey.IDLE_OFF)
    assert idle.saving_usd_per_month <= 10_000


def test_a_zero_bill_cannot_be_planned():
    empty = MonthlyPools(
        usd_per_month=dict.fromkeys(PoolName, 0.0), training_on_demand_share=1.0, basis="none"
    )
    with pytest.raises(PlannerInputError, match=r"\$0 a month"):
        plan_recovery(RecoveryPlan(), empty)


def test_pools_from_a_bill_use_its_latest_month():
    bill = bill_from_frame(generate_focus(SampleSpec(months=3)), source="sample")
    pools = pools_from_bill(bill)
    assert "March 2025" in pools.basis
    totals = pools.usd_per_month
    assert totals[PoolName.TRAINING] > 0
    assert totals[PoolName.SERVING] > 0
    assert totals[PoolName.IDLE] > 0
    assert totals[PoolName.STORAGE] > 0
    assert totals[PoolName.DATA_TRANSFER] > 0
    assert 0 < pools.training_on_demand_share < 1
    march = bill.query("SELECT sum(effective)::DOUBLE FROM focus WHERE start >= '2025-03-01'")[0][0]
    assert pools.total_usd_per_month == pytest.approx(march)
    result = plan_recovery(RecoveryPlan(), pools)
    assert result.target_usd_per_month == pytest.approx(0.7 * pools.total_usd_per_month)


def _serving_bill(*rows: tuple[str, str | None, str | None, str]):
    """A one-day bill of endpoint rows: (pricing category, commitment id, status, cost)."""
    import pandas as pd

    return bill_from_frame(
        pd.DataFrame(
            [
                {
                    "BilledCost": cost,
                    "EffectiveCost": cost,
                    "ChargeCategory": "Usage",
                    "ChargePeriodStart": "2025-06-01T00:00:00Z",
                    "ChargePeriodEnd": "2025-06-02T00:00:00Z",
                    "PricingCategory": pricing,
                    "ResourceType": "Endpoint" if status != "Unused" else "Savings Plan",
                    "CommitmentDiscountId": commitment,
                    "CommitmentDiscountStatus": status,
                }
                for pricing, commitment, status, cost in rows
            ]
        )
    )


def commitments_saving(pools: MonthlyPools) -> float:
    (lever,) = [
        lever
        for lever in resolve_levers(RecoveryPlan(source=PoolSource.BILL), pools, lever_library())[0]
        if lever.key is LeverKey.COMMITMENTS
    ]
    return lever.saving_usd_per_month


def test_the_commitments_lever_acts_only_on_uncovered_on_demand_serving():
    """$1,000 on demand, $500 already covered, $100 of the commitment unused: $900 can be
    committed; before, the lever took 37% of the whole $1,500 serving pool."""
    pools = pools_from_bill(
        _serving_bill(
            ("Standard", None, None, "1000"),
            ("Committed", "sp-1", "Used", "500"),
            ("Committed", "sp-1", "Unused", "100"),
        )
    )
    serving = pools.usd_per_month[PoolName.SERVING]
    assert serving == pytest.approx(1500 * 30)
    assert commitments_saving(pools) == pytest.approx(0.37 * 900 * 30)
    assert pools.commitment_eligible_share == pytest.approx(900 / 1500)


def test_with_more_unused_commitment_than_on_demand_serving_nothing_is_left_to_commit():
    pools = pools_from_bill(
        _serving_bill(("Standard", None, None, "50"), ("Committed", "sp-1", "Unused", "80"))
    )
    assert commitments_saving(pools) == 0


def test_on_the_sample_the_commitments_lever_is_within_what_is_uncovered():
    bill = bill_from_frame(generate_focus(SampleSpec()), source="sample")
    saving = commitments_saving(pools_from_bill(bill))
    # December: $6,671.63 of on-demand endpoints, $460.47 of the savings plan unused.
    assert saving == pytest.approx(0.37 * (6671.63 - 460.47), abs=0.01)


def test_pools_from_the_cost_model(recommender):
    from planner.costing.economics import evaluate

    economics = evaluate(recommender)
    pools = pools_from_economics(economics)
    assert pools.total_usd_per_month == pytest.approx(economics.monthly_cost_usd)
    assert pools.usd_per_month[PoolName.SERVING] > 0
    result = plan_recovery(RecoveryPlan(source=PoolSource.MODEL, cut_fraction=0.1), pools)
    assert result.reached


def test_the_section_round_trips_through_yaml_and_links():
    from planner.io.share import decode, encode
    from planner.scenario import dump_scenario_yaml, parse_scenario_yaml

    for name in ("finops_3x_over_budget.yaml", "attribution_400k.yaml"):
        scenario = read_scenario(GALLERY_DIR / name)
        assert scenario.finops is not None
        assert parse_scenario_yaml(dump_scenario_yaml(scenario)) == scenario
        assert decode(encode(scenario)).scenario == scenario


def test_bad_recovery_settings_name_the_field():
    from planner.scenario import parse_scenario_yaml

    with pytest.raises(PlannerInputError, match=r"finops.recovery.deadline_weeks = 0"):
        parse_scenario_yaml("finops:\n  recovery:\n    deadline_weeks: 0\n")
    with pytest.raises(PlannerInputError, match=r"finops.recovery.levers\[0\].key"):
        parse_scenario_yaml("finops:\n  recovery:\n    levers:\n      - key: magic\n")


def test_assumption_checks_flag_impossible_lever_claims_and_the_budget_gap():
    from planner.core.check import Severity
    from planner.costing.economics import evaluate
    from planner.views.checks import check_scenario

    scenario = read_scenario(GALLERY_DIR / "finops_3x_over_budget.yaml")
    checks = check_scenario(scenario, evaluate(scenario))
    assert any(c.code == "bill_over_budget" and "3.0×" in c.message for c in checks)
    assert any("per month and per quarter" in c.message for c in checks)
    greedy = replace(
        scenario,
        finops=replace(
            scenario.finops,
            recovery=replace(
                scenario.finops.recovery,
                levers=(LeverSetting(key=LeverKey.STORAGE_LIFECYCLE, saving_usd_per_month=95_000),),
            ),
        ),
    )
    flagged = [
        c for c in check_scenario(greedy, evaluate(greedy)) if c.code == "lever_saving_exceeds_pool"
    ]
    assert flagged
    assert flagged[0].severity is Severity.WARNING
    assert "$95,000 per quarter" in flagged[0].message


def test_the_commitments_lever_states_what_it_obliges():
    """Issue 11: a commitment is paid every hour of its term. The lever that saves 37% of
    $10,000 of serving a month commits $6,300 a month for 12 months, and says so."""
    plan = stated()
    pools = MonthlyPools(
        usd_per_month={PoolName.SERVING: 10_000.0},
        training_on_demand_share=1.0,
        basis="stated",
    )
    levers, _ = resolve_levers(plan, pools, lever_library())
    (commit,) = [lever for lever in levers if lever.key is LeverKey.COMMITMENTS]
    assert commit.saving_usd_per_month == pytest.approx(3_700.0)
    assert "obligation about $75,600 over 12 months ($6,300/month, paid used or not)" in (
        commit.basis
    )

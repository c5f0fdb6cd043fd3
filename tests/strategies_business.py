"""Hypothesis strategies for the business-case section: valid by construction."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import strategies as st

from planner.scenario import Scenario
from planner.scenario.business_case import BuildVsBuy, BusinessCase, Saas, SaasPlan, SelfHosted
from tests.strategies import names, scenarios

hours = st.floats(0, 500, allow_nan=False)
money = st.floats(0, 5_000, allow_nan=False)

plans = st.builds(
    SaasPlan,
    name=names,
    usd_per_seat_month=money,
    usd_per_month=money,
    max_seats=st.none() | st.integers(1, 200),
    included_storage_gb=st.none() | st.floats(0, 1e4, allow_nan=False),
    storage_usd_per_gb_month=st.floats(0, 1, allow_nan=False),
)

# The last plan accepts any team, so every team has a plan.
plan_lists = st.tuples(
    st.lists(plans, max_size=3), plans.map(lambda p: replace(p, max_seats=None))
).map(lambda pair: (*pair[0], pair[1]))


self_hosted = st.builds(
    SelfHosted,
    server_usd_per_month=money,
    database_usd_per_month=money,
    kubernetes_control_plane_share=st.floats(0, 1, allow_nan=False),
    storage_usd_per_gb_month=st.none() | st.floats(0, 1, allow_nan=False),
    setup_hours=hours,
    maintenance_hours_per_month=st.floats(0, 100, allow_nan=False),
    on_call_hours_per_month=st.floats(0, 100, allow_nan=False),
    upgrade_hours=hours,
    upgrade_every_months=st.integers(1, 36),
    opportunity_engineer_days_per_year=st.floats(0, 100, allow_nan=False),
)

build_vs_buy = st.builds(
    BuildVsBuy,
    build_label=names,
    horizon_months=st.integers(1, 36),
    team_size=st.integers(0, 200),
    seats_added_per_year=st.floats(0, 50, allow_nan=False),
    usd_per_engineer_hour=st.floats(1, 500, allow_nan=False),
    hours_per_engineer_day=st.floats(1, 12, allow_nan=False),
    runs_per_seat_month=st.floats(0, 100, allow_nan=False),
    gb_per_run=st.floats(0, 5, allow_nan=False),
    initial_artifact_gb=st.floats(0, 1e4, allow_nan=False),
    self_hosted=self_hosted,
    saas=st.builds(Saas, product=names, plans=plan_lists, setup_hours=hours),
)

build_vs_buy_scenarios = st.builds(
    Scenario,
    title=names,
    business_case=st.builds(
        BusinessCase,
        build_vs_buy=build_vs_buy,
        tornado_percent=st.floats(1, 90, allow_nan=False),
    ),
)

# Unit economics, build vs buy, or both.
any_scenarios = st.one_of(
    scenarios,
    build_vs_buy_scenarios,
    st.tuples(scenarios, build_vs_buy_scenarios).map(
        lambda pair: replace(pair[0], business_case=pair[1].business_case)
    ),
)

"""Overview: the whole system's monthly cost and unit costs, and where they come from."""

import streamlit as st

from planner.core.errors import PlannerInputError
from planner.views import charts, headlines
from planner.views import checks as assumption_checks
from ui import cache, inputs, page, report_button, state

# A change smaller than half a cent is no change people read.
_NO_CHANGE_USD = 0.005


def monthly_change(now: float) -> float | None:
    """The monthly total's change made by the last edit, on any page; ``None`` before one
    or when it changed by less than half a cent."""
    before = state.previous()
    if before is None:
        return None
    prior = cache.system_demand(before, state.serving_demand_upload())
    try:
        then = cache.economics_of(prior.scenario, prior.demands).monthly_cost_usd
    except PlannerInputError:
        return None  # the scenario before the edit had no price: nothing to compare
    change = now - then
    return change if abs(change) >= _NO_CHANGE_USD else None


base = page.start()
st.title(page.plain_text(base.title))
scenario, results = page.results_above_inputs(
    base,
    inputs.edited_assumptions,
    heading="Assumptions",
    caption="Edit any cell; every number above updates. Invalid values are explained and ignored.",
)
system = cache.system_demand(scenario, state.serving_demand_upload())
for notice in system.notices:
    results.warning(page.plain_text(notice), icon=":material/upload_file:")
economics = page.computed(
    results,
    cache.economics_of,
    system.scenario,
    system.demands,
    stage="Pricing the system: each endpoint hour by hour with its reserved, on-demand and "
    "spot mix, each training run, storage and tooling…",
)
if economics is None:
    st.stop()

with results:
    change = monthly_change(economics.monthly_cost_usd)
    page.figures(headlines.overview_figures(economics, change=change, noun=state.request_noun()))

    page.checks(assumption_checks.check_scenario(scenario, economics, cache.catalog()))

    left, right = st.columns(2)
    lines = economics.lines_frame()
    with left:
        if lines.empty and scenario.budget_plan is not None:
            st.info(
                "This scenario asks a budget question: open Plan to a budget to see the model, "
                "hardware and commitments it buys, then apply the plan to price it here."
            )
            st.page_link(
                page.page_path("plan"), label="Plan to a budget", icon=":material/savings:"
            )
        elif lines.empty:
            st.info(
                "No costs yet: add an endpoint (Serving page), a training job (Training "
                "page), or storage and tooling below."
            )
        else:
            st.altair_chart(charts.breakdown_chart(lines), width="stretch")
    with right:
        projection = page.computed(
            st,
            cache.projection,
            system.scenario,
            system.demands,
            stage="Projecting the cost month by month…",
        )
        if projection is not None:
            st.altair_chart(charts.projection_chart(projection), width="stretch")

    if economics.commitments is not None:
        with st.expander("Commitment portfolio: what it buys and what it obliges", expanded=True):
            for sentence in economics.commitments.lines():
                st.text(sentence)

    with st.expander("Where each number comes from", expanded=False):
        st.dataframe(
            lines,
            hide_index=True,
            width="stretch",
            placeholder="—",
            column_config={
                "category": "Category",
                "item": "Item",
                "usd_per_month": st.column_config.NumberColumn("USD/month", format="dollar"),
                "basis": st.column_config.TextColumn("How it is computed", width="large"),
            },
        )
    report_button.report_download(scenario)

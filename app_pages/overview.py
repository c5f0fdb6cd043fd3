"""Overview: the whole system's monthly cost and unit costs, and where they come from."""

import streamlit as st

from planner.core.formatting import usd
from planner.views import charts
from planner.views import checks as assumption_checks
from ui import cache, inputs, page, report_button, state

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
    results.warning(notice, icon=":material/upload_file:")
economics = page.computed(results, cache.economics_of, system.scenario, system.demands)
if economics is None:
    st.stop()

with results:
    cols = st.columns(5)
    cols[0].metric("Monthly cost", usd(economics.monthly_cost_usd))
    cols[1].metric("Per 1,000 requests", usd(economics.per_1k_requests_usd))
    cols[2].metric(
        "Per user per month",
        usd(economics.per_user_usd),
        help="Needs monthly active users (Assumptions → Business).",
    )
    cols[3].metric(
        "Per training run",
        usd(economics.per_training_run_usd),
        help="Training cost per month ÷ runs per month, over every training job.",
    )
    if economics.gross_margin is not None:
        cols[4].metric("Gross margin", f"{economics.gross_margin:.1%}")
    else:
        cols[4].metric("Per request", usd(economics.per_request_usd))

    page.checks(assumption_checks.check_scenario(scenario, economics, cache.catalog()))

    left, right = st.columns(2)
    lines = economics.lines_frame()
    with left:
        if lines.empty:
            st.info(
                "No costs yet: add an endpoint (Serving page), a training job (Training "
                "page), or storage and tooling below."
            )
        else:
            st.altair_chart(charts.breakdown_chart(lines), width="stretch")
    with right:
        projection = page.computed(st, cache.projection, system.scenario, system.demands)
        if projection is not None:
            st.altair_chart(charts.projection_chart(projection), width="stretch")

    with st.expander("Where each number comes from", expanded=False):
        st.dataframe(
            lines,
            hide_index=True,
            width="stretch",
            column_config={
                "category": "Category",
                "item": "Item",
                "usd_per_month": st.column_config.NumberColumn("USD/month", format="dollar"),
                "basis": st.column_config.TextColumn("How it is computed", width="large"),
            },
        )
    report_button.report_download(scenario)

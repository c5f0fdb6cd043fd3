"""Build vs buy: self-host a tool or buy it as a service, over one to three years."""

from dataclasses import replace

import streamlit as st

from planner import whatif
from planner.core.errors import PlannerInputError
from planner.core.formatting import usd
from planner.costing.economics import evaluate
from planner.scenario.business_case import BusinessCase, Output
from planner.views import checks as assumption_checks
from planner.views import whatif_charts
from ui import business_inputs, cache, page, report_button, state, whatif_cache

LESSON = "build_vs_buy_mlflow_wandb"


def _open_lesson() -> None:
    state.load(cache.gallery_entries()[LESSON].scenario)


def _add_to_scenario() -> None:
    current = state.scenario()
    lesson = cache.gallery_entries()[LESSON].scenario.business_case
    case = replace(current.business_case or BusinessCase(), build_vs_buy=lesson.build_vs_buy)
    state.load(replace(current, business_case=case))


base = page.start()
st.title("Build vs buy")
st.caption(
    "Self-host a tool or buy it as a service: infrastructure and engineering time against "
    "seats and usage, over one to three years. No SaaS price is known for sure: enter your own "
    "quote."
)
if base.business_case is None or base.business_case.build_vs_buy is None:
    st.info(
        f"“{page.plain_text(base.title)}” has no build-vs-buy comparison yet. Open the worked "
        "case, or add one to this scenario starting from its figures, then replace them with "
        "yours.",
        icon=":material/compare_arrows:",
    )
    row = st.container(horizontal=True)
    row.button("Open the MLflow vs W&B case", on_click=_open_lesson, type="primary")
    row.button("Add a comparison to this scenario", on_click=_add_to_scenario)
    report_button.report_download(base)
    st.stop()

problem_box = st.container()
results = st.container()
with st.expander("Assumptions", expanded=False):
    edit = business_inputs.build_vs_buy_form(base, str(state.revision()))
scenario = page.record_edit(base, edit, problems=problem_box)
result = page.computed(results, whatif_cache.tco, scenario)
if result is None:
    st.stop()

with results:
    if scenario.business_case is not None and scenario.business_case.question:
        st.markdown(f"**Question.** {page.plain_text(scenario.business_case.question)}")
    cols = st.columns(5)
    cols[0].metric(
        page.plain_text(result.build_label),
        usd(result.build_usd),
        help=f"Total over {result.horizon_months} months; "
        f"{usd(result.build_without_opportunity_usd)} without the opportunity cost.",
    )
    cols[1].metric(
        page.plain_text(result.buy_label),
        usd(result.buy_usd),
        help=f"Over {result.horizon_months} months.",
    )
    cols[2].metric(
        "Build minus buy",
        whatif.format_output(Output.TCO_DIFFERENCE, result.difference_usd),
        help="Positive: buying is cheaper.",
    )
    cols[3].metric(
        "Break-even month",
        "none" if result.break_even_month is None else f"month {result.break_even_month}",
        help="The first month from which building's cumulative cost stays at or below buying's.",
    )
    cols[4].metric(
        "Break-even team size",
        "none" if result.break_even_team_size is None else f"{result.break_even_team_size:,} seats",
        help="The smallest team, held flat, for which building costs no more than buying.",
    )
    st.success(page.plain_text(result.summary()), icon=":material/balance:")
    # The tool comparison stands without the system: a system that cannot be priced (a
    # demand CSV not loaded in this session) says why here instead of ending the page.
    try:
        economics = evaluate(scenario, cache.catalog())
    except PlannerInputError as error:
        st.error(page.plain_text(str(error)), icon=page.ERROR_ICON)
    else:
        page.checks(assumption_checks.check_scenario(scenario, economics, cache.catalog()))

    left, right = st.columns(2)
    with left:
        st.altair_chart(
            whatif_charts.cumulative_chart(result.frame(), result.break_even_month),
            width="stretch",
        )
    try:
        with (
            right,
            st.spinner(
                "Tornado: pricing build and buy with each assumption at its low and its high…"
            ),
        ):
            tornado = whatif_cache.tornado(scenario, Output.TCO_DIFFERENCE)
        with right, st.spinner("Switching values: searching each assumption's range…"):
            switches = whatif_cache.switching_values(scenario)
    except PlannerInputError as error:
        right.error(page.plain_text(str(error)), icon=":material/error:")
    else:
        with right:
            st.markdown("**Where the answer turns around**")
            st.dataframe(
                whatif.switches_table(switches),
                hide_index=True,
                width="stretch",
                column_config={"Assumption": st.column_config.TextColumn(width="medium")},
            )
            st.caption(
                "Each assumption alone, the others fixed: the value at which building and "
                "buying cost the same. Ranges and ± percent are set on the Sensitivity page."
            )
        frame = tornado.frame().head(10)
        if len(frame):
            st.altair_chart(
                whatif_charts.tornado_chart(frame, Output.TCO_DIFFERENCE), width="stretch"
            )

    with st.expander("Where each number comes from", expanded=False):
        st.dataframe(
            result.lines_frame(),
            hide_index=True,
            width="stretch",
            column_config={
                "option": "Option",
                "item": "Item",
                "usd": st.column_config.NumberColumn(
                    f"USD over {result.horizon_months} months", format="dollar"
                ),
                "basis": st.column_config.TextColumn("How it is computed", width="large"),
            },
        )
report_button.report_download(scenario)

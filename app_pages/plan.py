"""Plan to a budget: the biggest model to train and serve to the traffic for a monthly budget
(or the cheapest plan for a target loss), its hardware and the commitments to buy.

The question is the scenario's ``budget_plan`` section, so the share link and the YAML carry
it; :func:`planner.planning.plan_to_budget` answers it, as ``python -m planner plan`` does.
"Apply to the scenario" makes the plan the scenario's training job and endpoint.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner.core.errors import PlannerInputError
from planner.core.formatting import usd
from planner.costing.training import spot_note
from planner.planning import PlanResult, PlanStatus, apply_plan
from planner.scenario import Scenario
from planner.views import plan_charts
from ui import cache, page, plan_inputs, state

_NUMBER = st.column_config.NumberColumn


def _facts(frame: pd.DataFrame) -> None:
    st.markdown(
        "\n".join(
            f"- **{row.what}:** {page.plain_text(str(row.value))}" for row in frame.itertuples()
        )
    )


def _apply(result: PlanResult) -> None:
    state.update(apply_plan(state.scenario(), result))


def _is_applied(scenario: Scenario, result: PlanResult) -> bool:
    return (
        result.job in scenario.training
        and result.endpoint in scenario.serving
        and scenario.commitments == result.scenario.commitments
    )


def _infeasible(result: PlanResult) -> None:
    st.warning(
        f"**No plan fits {usd(result.budget_usd_per_month)} a month.** The smallest budget "
        f"that works: **{usd(result.min_budget_usd)} a month**.\n\n"
        + page.plain_text(result.message),
        icon=":material/money_off:",
    )
    with st.expander("What serving the traffic costs on each option"):
        _options(result)


def _options(result: PlanResult) -> None:
    st.dataframe(
        plan_charts.options_frame(result),
        hide_index=True,
        width="stretch",
        placeholder="cannot serve",
        column_config={
            "gpu": "GPU",
            "precision": "Precision",
            "instance_type": "Instance",
            "usd_per_month": _NUMBER("Serving, USD/month", format="dollar"),
            "size_costed": _NUMBER("Model size costed", format="%.3g"),
            "chosen": st.column_config.CheckboxColumn("The plan's"),
        },
    )
    st.caption(
        "Each GPU and precision's monthly cost to serve the traffic, at the costed model "
        "size at or above the plan's (blank: it cannot serve it)."
    )


def _frontier(result: PlanResult, rows: tuple[dict[str, float], ...]) -> None:
    if result.loss is None or not rows:
        return
    st.altair_chart(
        plan_charts.frontier_chart(rows, result.monthly_cost_usd, result.loss), width="stretch"
    )
    words = plan_charts.next_thousand(rows, result.loss)
    st.caption(
        page.plain_text(
            "Each point is a full plan for its budget, from a quarter to four times this one. "
            "The red diamond is this plan. " + (words or "")
        )
    )


def _commitments(result: PlanResult) -> None:
    portfolio = result.economics.commitments
    if portfolio is None:
        st.caption("No commitments allowed: every hour is bought on-demand or spot.")
        return
    frame = plan_charts.commitments_frame(result)
    if not frame.empty:
        st.dataframe(
            frame,
            hide_index=True,
            width="stretch",
            column_config={
                "kind": "Commitment",
                "what": "What",
                "start_year": _NUMBER("Starts in year", format="%d"),
                "term_months": _NUMBER("Term, months", format="%d"),
                "obligation_usd": _NUMBER("Obligation", format="dollar"),
                "break_even": _NUMBER("Break-even use", format="percent"),
                "use": _NUMBER("Expected use", format="percent"),
            },
        )
    st.markdown("\n".join(f"- {page.plain_text(line)}" for line in portfolio.lines()))


def _results(scenario: Scenario, result: PlanResult, rows: tuple[dict[str, float], ...]) -> None:
    if result.status is PlanStatus.INFEASIBLE:
        _infeasible(result)
        return
    page.figures(plan_charts.headline(result))
    st.success(page.plain_text(result.message), icon=":material/savings:")
    for note in result.notes:
        st.info(page.plain_text(note), icon=":material/info:")
    training, serving = st.columns(2)
    with training:
        st.subheader("Training")
        _facts(plan_charts.training_frame(result))
        spot = result.economics.training[0].spot
        if spot is not None:
            with st.expander("How spot and checkpointing are priced"):
                st.caption(page.plain_text(spot_note(spot)))
    with serving:
        st.subheader("Serving")
        _facts(plan_charts.serving_frame(result))
    _frontier(result, rows)
    st.subheader("Commitments")
    _commitments(result)
    with st.expander("Serving options: each GPU and precision"):
        _options(result)
    with st.expander("Where the monthly cost comes from"):
        st.dataframe(
            result.economics.lines_frame(),
            hide_index=True,
            width="stretch",
            column_config={
                "category": "Category",
                "item": "Item",
                "usd_per_month": _NUMBER("USD/month", format="dollar"),
                "basis": st.column_config.TextColumn("How it is computed", width="large"),
            },
        )
    _apply_button(scenario, result)


def _apply_button(scenario: Scenario, result: PlanResult) -> None:
    if not _is_applied(scenario, result):
        st.button(
            "Apply to the scenario",
            type="primary",
            key=plan_inputs.key("apply"),
            on_click=_apply,
            args=(result,),
            help="The scenario's training job 'planned model', endpoint 'planned endpoint' "
            "and commitments become this plan's; everything else stays.",
        )
        return
    system = cache.system_demand(scenario, state.serving_demand_upload())
    try:
        total = cache.economics_of(system.scenario, system.demands).monthly_cost_usd
    except PlannerInputError:
        total = None
    st.success(
        page.plain_text(
            "This plan is in the scenario: its training job 'planned model' and endpoint "
            f"'planned endpoint'. The whole scenario costs {usd(total)} a month."
        ),
        icon=":material/check_circle:",
    )
    st.page_link(
        "app_pages/overview.py", label="See it on the Overview", icon=":material/dashboard:"
    )


current = page.start()
st.title(f"Plan to a budget: {page.plain_text(current.title)}")
st.caption(
    "The biggest model to train and serve to your traffic for a monthly budget, or the "
    "cheapest plan that reaches a target loss: its training and serving hardware, and the "
    "commitments to buy."
)
scenario, results = page.results_above_inputs(
    current,
    plan_inputs.edited_request,
    heading="The question",
    caption="Change any input, then Plan. The question is saved in the scenario, so the "
    "share link and the YAML carry it.",
)
request = scenario.budget_plan
if request is None:
    results.info(
        "Ask the question below, then press Plan: a budget or a target loss, and the traffic.",
        icon=":material/savings:",
    )
else:
    answer = page.computed(results, cache.budget_plan, request, scenario.pricing)
    if answer is not None:
        with results:
            _results(scenario, *answer)

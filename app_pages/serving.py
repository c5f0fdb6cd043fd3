"""Serving: cost per request of an endpoint, the levers from a baseline to the plan, and the
reserved / on-demand / spot mix that buys its capacity.

Every input projects the scenario's ``serving_plan`` section, so the share link carries
them. An uploaded demand CSV is the one exception: the link records its file name only.
Edits go through the schema; an impossible value gets the same message as in a YAML file,
and the last valid plan stays on screen.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from planner import serving, serving_charts
from planner.fleet import MixStatus
from planner.io import GALLERY_DIR
from planner.scenario import Scenario
from ui import cache, page, serving_inputs, state

_NUMBER = st.column_config.NumberColumn
# Up to this many weeks, a chart shows every hour; beyond, one week at a time.
_WHOLE_WEEKS = 4
_LEVER_HELP = (
    "Each lever's saving is its Shapley value: its average effect over every order in which "
    "the levers could be applied. The savings add up exactly to baseline − plan, and no "
    "order is privileged. 'Alone' is the lever applied to the baseline by itself; 'last' is "
    "what removing it from the plan would cost. Where these differ, levers interact."
)


def _week_window(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    weeks = serving.week_count(len(frame))
    if weeks <= _WHOLE_WEEKS:
        return frame
    week = st.slider(
        "Week shown", min_value=1, max_value=weeks, value=1, key=serving_inputs.key(name)
    )
    return serving.week_rows(frame, week)


def _levers_tab(result: serving.ServingResult) -> None:
    per_1k = st.toggle("Per 1K requests", value=True, key=serving_inputs.key("per_1k"))
    st.altair_chart(serving_charts.waterfall_chart(result, per_1k=per_1k), width="stretch")
    st.caption(_LEVER_HELP)
    st.dataframe(
        result.levers_frame(),
        hide_index=True,
        width="stretch",
        column_config={
            "lever": "Lever",
            "from": "Baseline",
            "to": "Plan",
            "saving_usd_per_month": _NUMBER("Saving (Shapley), USD/month", format="dollar"),
            "solo_usd_per_month": _NUMBER("Alone, USD/month", format="dollar"),
            "last_usd_per_month": _NUMBER("Last, USD/month", format="dollar"),
            "saving_per_request_usd": _NUMBER("Saving per request", format="$%.7f"),
        },
    )
    st.markdown(serving.overlap_note(result))
    if result.interactions.empty:
        return
    st.markdown("**Interactions between pairs of levers** (together − alone − alone)")
    st.dataframe(
        result.interactions,
        hide_index=True,
        width="stretch",
        column_config={
            "lever_a": "Lever",
            "lever_b": "With",
            "together_usd_per_month": _NUMBER("Together, USD/month", format="dollar"),
            "interaction_usd_per_month": _NUMBER("Interaction, USD/month", format="dollar"),
        },
    )


def _hours_tab(result: serving.ServingResult) -> None:
    frame = result.capacity_frame()
    shown = _week_window(frame, "week_plan")
    title = f"{result.optimised.hardware.name}: capacity by tier"
    st.altair_chart(serving_charts.capacity_chart(shown, title), width="stretch")
    daily = result.daily_frame()
    if not daily.empty:
        st.altair_chart(serving_charts.cost_per_request_chart(daily), width="stretch")
    st.download_button(
        "Download the hourly plan (CSV)",
        data=frame.to_csv(index=False),
        file_name="serving_plan_hourly.csv",
        mime="text/csv",
        key=serving_inputs.key("download_hours"),
    )


def _mix_tab(scenario: Scenario, demand: tuple[float, ...] | None) -> None:
    st.caption(
        "The optimizer buys the plan's capacity from every candidate type at once: reserved "
        "(1 y / 3 y) counts fixed over the horizon, on-demand and spot hour by hour, at the "
        "lowest cost. Bound and gap prove how close the plan is to the best possible."
    )
    answer = page.computed(st, cache.serving_mix, scenario, demand)
    if answer is None:
        return
    plan, skipped = answer
    if plan.status is MixStatus.INFEASIBLE:
        st.warning(plan.message, icon=":material/savings:")
    page.figures(serving.mix_headline(plan))
    st.caption(serving.mix_note(plan))
    shown = _week_window(serving.mix_hours_frame(plan), "week_mix")
    st.altair_chart(
        serving_charts.capacity_chart(shown, "Demand against capacity, by tier"), width="stretch"
    )
    st.dataframe(
        serving.mix_types_bought(plan),
        hide_index=True,
        width="stretch",
        column_config={
            "instance_type": "Instance type",
            "capacity": _NUMBER("Req/s each", format="%.1f"),
            "reserved_1y": "1-y reserved",
            "reserved_3y": "3-y reserved",
            "on_demand_peak": "On-demand peak",
            "on_demand_mean": _NUMBER("On-demand mean", format="%.2f"),
            "spot_peak": "Spot peak",
            "spot_mean": _NUMBER("Spot mean", format="%.2f"),
            "cost_usd": _NUMBER("Cost over the horizon", format="dollar"),
        },
    )
    if skipped:
        with st.expander(f"{len(skipped)} instance types left out: they cannot serve the model"):
            for reason in skipped:
                st.markdown(f"- {reason}")


def _right_sizing_tab(scenario: Scenario, plan: serving.ServingPlan) -> None:
    everywhere = st.toggle("All providers", value=False, key=serving_inputs.key("all_providers"))
    providers = serving.right_sizing_providers(scenario, cache.catalog(), every=everywhere)
    frame = cache.serving_right_sizing(scenario, providers)
    st.caption(serving.right_sizing_note(plan))
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "instance_type": "Instance type",
            "provider": "Provider",
            "gpu": "Accelerators",
            "on_demand_usd_per_hour": _NUMBER("$/h", format="$%.3f"),
            "requests_per_second": _NUMBER("Req/s", format="%.2f"),
            "batch": "Batch",
            "latency_ms": _NUMBER("Latency, ms", format="%.0f"),
            "usd_per_million_requests": _NUMBER("$ per 1M requests", format="$%.2f"),
            "why_not": st.column_config.TextColumn("Why it cannot serve", width="large"),
        },
    )


def _results(choice: serving.DemandChoice, result: serving.ServingResult) -> None:
    page.figures(serving.headline(result), per_row=3)
    st.caption(serving.summary_note(result))
    for note in result.notes:
        st.info(note, icon=":material/info:")
    for check in serving.stated_notes(choice.scenario, result):
        st.warning(f"**Published figure**: {check}", icon=":material/fact_check:")
    tabs = st.tabs(["Levers", "Hour by hour", "Instance mix", "Right-sizing", "How it is computed"])
    with tabs[0]:
        _levers_tab(result)
    with tabs[1]:
        _hours_tab(result)
    with tabs[2]:
        _mix_tab(choice.scenario, choice.csv_demand)
    with tabs[3]:
        _right_sizing_tab(choice.scenario, result.plan)
    with tabs[4]:
        for line in serving.basis_lines(result):
            st.markdown(line)
        st.dataframe(serving.assumptions_frame(), hide_index=True, width="stretch")


current = page.start()
st.title(f"Serving: {page.plain_text(current.title)}")
if current.serving_plan is None:
    page.offer_start(
        "This scenario has no serving plan. A plan prices an endpoint hour by hour: "
        "throughput per GPU from a roofline, the fleet traffic needs, cost per request, the "
        "levers from a baseline, and the reserved / on-demand / spot mix.",
        icon=":material/dns:",
        label="Start a serving plan",
        key=serving_inputs.key("start"),
        started=lambda: replace(
            current, serving_plan=serving.starter_plan(current, cache.catalog())
        ),
    )
else:
    scenario, results = page.results_above_inputs(
        current,
        serving_inputs.edited_plan,
        heading="Inputs",
        caption="Change any input, then Apply: every number above and the share link update.",
    )
    choice = serving.demand_choice(scenario, state.serving_demand_upload(), GALLERY_DIR)
    if choice.notice:
        results.warning(choice.notice, icon=":material/upload_file:")
    result = page.computed(results, cache.serving_result, choice.scenario, choice.csv_demand)
    if result is not None:
        with results:
            _results(choice, result)

"""Serving: cost per request of an endpoint, the levers from a baseline to the plan, and the
reserved / on-demand / spot mix that buys its capacity.

Every input projects one of the scenario's endpoints, so the share link carries them, and
the Overview prices the same endpoint the same way. An uploaded demand CSV is the one
exception: the link records its file name only. Edits go through the schema; an impossible
value gets the same message as in a YAML file, and the last valid plan stays on screen.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from planner.catalog import Pricing
from planner.costing import serving
from planner.io.demand import demand_choice
from planner.io.scenario_files import GALLERY_DIR
from planner.models.fleet import MixPlan, MixStatus
from planner.scenario import Scenario
from planner.scenario.serving import Endpoint
from planner.views import serving_charts
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
    st.markdown(page.plain_text(serving.overlap_note(result)))
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


def _mix_tab(result: serving.ServingResult, choice: Choice) -> None:
    fleet = result.optimised.fleet
    st.caption(
        "How the endpoint's plan buys its capacity, the figure the Overview counts: "
        "reservations are bought for their whole term (1 or 3 years) from the traffic's "
        "forecast and paid every hour of it; on-demand and spot fill the hours above them, in "
        "the tiers the endpoint allows (Inputs → Instance mix). Bound and gap prove how close "
        "the hours are to the best possible."
    )
    term = result.optimised.term
    if term is not None:
        with st.container(border=True):
            st.markdown(f"**Commitments over their {term.years}-year term**")
            for sentence in term.lines():
                st.text(sentence)
    if fleet is not None:
        _mix_plan(fleet, (), "plan")
    st.markdown("**Alternative: one mix over several instance types**")
    st.caption(
        "The optimizer may also mix the candidate types (Inputs → Instance mix; none listed: "
        "every type of this provider that can serve the model). It is shown as an "
        "alternative; the endpoint keeps its instance type until you change it."
    )
    if not st.toggle("Compute the alternative", value=False, key=serving_inputs.key("alt")):
        return
    answer = page.computed(
        st, cache.alternative_mix, choice.endpoint, choice.pricing, choice.demand
    )
    if answer is None:
        return
    _mix_plan(*answer, "alternative")


def _mix_plan(plan: MixPlan, skipped: tuple[str, ...], name: str) -> None:
    if plan.status is MixStatus.INFEASIBLE:
        st.warning(page.plain_text(plan.message), icon=":material/savings:")
    page.figures(serving.mix_headline(plan))
    st.caption(page.plain_text(serving.mix_note(plan)))
    shown = _week_window(serving.mix_hours_frame(plan), f"week_mix_{name}")
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
                st.markdown(f"- {page.plain_text(reason)}")


def _right_sizing_tab(choice: Choice) -> None:
    plan = choice.endpoint
    everywhere = st.toggle("All providers", value=False, key=serving_inputs.key("all_providers"))
    providers = serving.right_sizing_providers(
        plan, choice.pricing, cache.catalog(), every=everywhere
    )
    with st.spinner("Right-sizing: pricing each instance type that can serve the model…"):
        frame = cache.serving_right_sizing(plan, choice.pricing, providers)
    st.caption(page.plain_text(serving.right_sizing_note(plan)))
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        placeholder=page.NOT_APPLICABLE,
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


@dataclass(frozen=True, slots=True)
class Choice:
    """The endpoint on screen as this session prices it."""

    endpoint: Endpoint
    pricing: Pricing
    demand: tuple[float, ...] | None


def _results(scenario: Scenario, choice: Choice, result: serving.ServingResult) -> None:
    page.figures(serving.headline(result, noun=state.request_noun()), per_row=3)
    # The planner's sentences quote the scenario's names (endpoint, instance, stated figure,
    # demand file), which whoever made the link wrote: each is shown as plain text.
    st.caption(page.plain_text(serving.summary_note(result)))
    for note in result.notes:
        st.info(page.plain_text(note), icon=":material/info:")
    for check in serving.stated_notes(scenario.stated, result):
        st.warning(f"**Published figure**: {page.plain_text(check)}", icon=":material/fact_check:")
    tabs = st.tabs(["Levers", "Hour by hour", "Instance mix", "Right-sizing", "How it is computed"])
    with tabs[0]:
        _levers_tab(result)
    with tabs[1]:
        _hours_tab(result)
    with tabs[2]:
        _mix_tab(result, choice)
    with tabs[3]:
        _right_sizing_tab(choice)
    with tabs[4]:
        for line in serving.basis_lines(result):
            st.markdown(_bold_label(line))
        st.dataframe(serving.assumptions_frame(), hide_index=True, width="stretch")


def _bold_label(line: str) -> str:
    """A line of :func:`planner.costing.serving.basis_lines` ("**Plan**: ...") with its label
    kept bold and the rest, which names the instance, as plain text."""
    label, bold, rest = line.partition("**: ")
    if not bold:
        return page.plain_text(line)
    return f"{label}**: {page.plain_text(rest)}"


def _with_endpoint(scenario: Scenario) -> Scenario:
    name = page.unique_name("endpoint", (e.name for e in scenario.serving))
    state.select("serving", name)
    return replace(scenario, serving=(*scenario.serving, serving.starter_endpoint(name)))


current = page.start()
st.title(f"Serving: {page.plain_text(current.title)}")
if not current.serving:
    page.offer_start(
        "This scenario serves nothing yet. An endpoint is priced hour by hour: throughput "
        "per GPU from a roofline (or the throughput you measured), the fleet traffic needs, "
        "cost per request, the levers from a baseline, and the reserved / on-demand / spot "
        "mix. It starts with every lever off: turn on the ones you want to try.",
        icon=":material/dns:",
        label="Add an endpoint",
        key=serving_inputs.key("start"),
        started=lambda: _with_endpoint(current),
    )
else:
    index = page.choose_item(
        "serving", [e.name for e in current.serving], label="Endpoint", prefix="sv"
    )
    scenario, results = page.results_above_inputs(
        current,
        lambda base: serving_inputs.edited_endpoint(base, index),
        heading="Inputs",
        caption="Change any input, then Apply: every number above, the Overview and the "
        "share link update.",
    )
    if index < len(scenario.serving):
        priced = demand_choice(scenario.serving[index], state.serving_demand_upload(), GALLERY_DIR)
        if priced.notice:
            results.warning(page.plain_text(priced.notice), icon=":material/upload_file:")
        choice = Choice(
            endpoint=priced.endpoint, pricing=scenario.pricing, demand=priced.csv_demand
        )
        result = page.computed(
            results, cache.serving_result, choice.endpoint, choice.pricing, choice.demand
        )
        if result is not None:
            with results:
                _results(scenario, choice, result)
    if st.button("Add another endpoint", key=serving_inputs.key("add")):
        state.update(_with_endpoint(scenario))
        st.rerun()

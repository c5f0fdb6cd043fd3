"""Serving: cost per request of an endpoint, the levers from a baseline to the plan, and the
reserved / on-demand / spot mix that buys its capacity.

Every input projects the scenario's ``serving_plan`` section, so the share link carries
them. An uploaded demand CSV is the one exception: the link records its file name only.
Edits go through the schema; an impossible value gets the same message as in a YAML file,
and the last valid plan stays on screen.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from planner import serving
from planner.catalog import PriceTier
from planner.demand_io import gallery_demand_csv, parse_demand_csv
from planner.errors import PlannerInputError
from planner.fleet import MixPlan, MixStatus
from planner.formatting import usd
from planner.io import GALLERY_DIR
from planner.scenario import Scenario, scenario_from_mapping, scenario_to_mapping
from ui import cache, sidebar, state

_TIER_LABELS = {
    "reserved_3y": "3-y reserved",
    "reserved_1y": "1-y reserved",
    "on_demand": "on-demand",
    "spot": "spot",
}
_TIER_COLOURS = ["#2f4b7c", "#9ecae9", "#f58518", "#54a24b"]
_LEVER_HELP = (
    "Each lever's saving is its Shapley value: its average effect over every order in which "
    "the levers could be applied. The savings add up exactly to baseline − plan, and no "
    "order is privileged. 'Alone' is the lever applied to the baseline by itself; 'last' is "
    "what removing it from the plan would cost. Where these differ, levers interact."
)


def _key(name: str) -> str:
    return f"_sv_{name}_{state.revision()}"


# --------------------------------------------------------------------------- demand CSV


def _upload_changed() -> None:
    uploaded = st.session_state.get(_key("csv"))
    if uploaded is None:
        return
    try:
        demand = parse_demand_csv(uploaded.getvalue(), name=uploaded.name)
    except PlannerInputError as error:
        state.add_notice(f"{uploaded.name} was not used, and nothing was changed: {error}")
        return
    state.set_serving_demand_upload(demand)
    current = state.scenario()
    plan = current.serving_plan
    if plan is None:
        return
    traffic = replace(plan.traffic, demand_csv=demand.name)
    state.update(replace(current, serving_plan=replace(plan, traffic=traffic)))


def _demand_for(scenario: Scenario) -> tuple[Scenario, tuple[float, ...] | None, str | None]:
    """The scenario to evaluate, the CSV demand it uses, and a notice if the CSV is missing.

    A CSV named by the plan comes from this session's upload, or from the gallery folder by
    plain file name. If neither has it, the page evaluates the traffic shape instead and
    says so; the scenario itself keeps the CSV's name.
    """
    plan = scenario.serving_plan
    if plan is None or plan.traffic.demand_csv is None:
        return scenario, None, None
    name = plan.traffic.demand_csv
    upload = state.serving_demand_upload()
    if upload is not None and upload.name == name:
        return scenario, upload.values, None
    try:
        shipped = gallery_demand_csv(name, GALLERY_DIR)
    except PlannerInputError as error:
        shipped, problem = None, str(error)
    else:
        problem = None
    if shipped is not None:
        return scenario, shipped.values, None
    shape_only = replace(plan, traffic=replace(plan.traffic, demand_csv=None))
    notice = (
        f"This plan's demand comes from the CSV file '{name}', which is not part of the link "
        "and is not loaded in this session. The numbers below use the traffic shape instead. "
        "Upload the CSV (Traffic tab) to use it."
    )
    if problem:
        notice += f" ({problem})"
    return replace(scenario, serving_plan=shape_only), None, notice


# --------------------------------------------------------------------------- inputs


def _traffic_inputs(plan: serving.ServingPlan, data: dict[str, Any]) -> None:
    traffic = data["traffic"]
    left, mid, right = st.columns(3)
    traffic["requests_per_day"] = left.number_input(
        "Requests per day",
        min_value=0.0,
        value=float(plan.traffic.requests_per_day),
        step=100_000.0,
        format="%.0f",
        key=_key("rpd"),
    )
    traffic["daily_shape"] = mid.selectbox(
        "Daily shape",
        options=[str(s) for s in serving.DailyShape],
        index=list(serving.DailyShape).index(plan.traffic.daily_shape),
        key=_key("daily"),
    )
    traffic["weekly_shape"] = right.selectbox(
        "Weekly shape",
        options=[str(s) for s in serving.WeeklyShape],
        index=list(serving.WeeklyShape).index(plan.traffic.weekly_shape),
        key=_key("weekly"),
    )
    left, mid, right = st.columns(3)
    p2a = left.number_input(
        "Peak ÷ average (0: as the shape gives)",
        min_value=0.0,
        max_value=50.0,
        value=float(plan.traffic.peak_to_average or 0.0),
        step=0.1,
        key=_key("p2a"),
    )
    traffic["peak_to_average"] = p2a if p2a >= 1 else None
    traffic["monthly_growth"] = (
        mid.number_input(
            "Growth per month, %",
            min_value=-50.0,
            max_value=100.0,
            value=100 * plan.traffic.monthly_growth,
            step=1.0,
            key=_key("growth"),
        )
        / 100
    )
    traffic["horizon_weeks"] = right.number_input(
        "Horizon, weeks (52: a year hourly)",
        min_value=1,
        max_value=52,
        value=plan.traffic.horizon_weeks,
        step=1,
        key=_key("weeks"),
    )
    if plan.traffic.demand_csv is not None:
        traffic["demand_csv"] = plan.traffic.demand_csv
        keep = st.checkbox(
            f"Use the hourly demand CSV '{plan.traffic.demand_csv}' instead of the shape",
            value=True,
            key=_key("use_csv"),
        )
        if not keep:
            traffic["demand_csv"] = None


def _model_inputs(plan: serving.ServingPlan, data: dict[str, Any]) -> None:
    model = data["model"]
    left, mid, right = st.columns(3)
    kinds = [str(k) for k in serving.ModelKind]
    model["kind"] = left.radio(
        "Model",
        options=kinds,
        format_func=lambda k: "LLM (tokens)" if k == "llm" else "Classic (latency)",
        index=kinds.index(plan.model.kind),
        horizontal=True,
        key=_key("kind"),
    )
    precisions = [str(p) for p in serving.Precision]
    model["precision"] = mid.selectbox(
        "Precision (plan)",
        options=precisions,
        index=precisions.index(plan.model.precision),
        key=_key("precision"),
    )
    if model["kind"] == "llm":
        model["parameters_billion"] = right.number_input(
            "Parameters, billions",
            min_value=0.001,
            value=float(plan.model.parameters_billion),
            step=1.0,
            key=_key("params"),
        )
        left, mid, right = st.columns(3)
        model["input_tokens"] = left.number_input(
            "Input tokens", min_value=1, value=plan.model.input_tokens, key=_key("in")
        )
        model["output_tokens"] = mid.number_input(
            "Output tokens", min_value=1, value=plan.model.output_tokens, key=_key("out")
        )
        measured = right.number_input(
            "Measured tokens/s per GPU (0: model it)",
            min_value=0.0,
            value=float(plan.model.measured_tokens_per_second_per_gpu or 0.0),
            key=_key("measured_tps"),
            help="Generated tokens per second per GPU at the plan's precision and batch. "
            "It replaces the roofline there and calibrates it elsewhere on this type.",
        )
        model["measured_tokens_per_second_per_gpu"] = measured or None
        derived = serving.kv_bytes_per_token(replace(plan.model, kv_cache_mb_per_token=None))
        kv = st.number_input(
            "KV cache per token, MB (0: derived)",
            min_value=0.0,
            value=float(plan.model.kv_cache_mb_per_token or 0.0),
            step=0.01,
            format="%.4f",
            key=_key("kv"),
            help=f"Derived for a dense multi-head-attention model of this size: "
            f"{derived / 1e6:.3f} MB. Models with grouped-query attention need far less "
            "(e.g. 0.125 MB for an 8B model with 8 KV heads): enter it here.",
        )
        model["kv_cache_mb_per_token"] = kv or None
    else:
        model["latency_ms"] = right.number_input(
            "Latency at batch 1, ms (fp16)",
            min_value=0.001,
            value=float(plan.model.latency_ms),
            key=_key("latency"),
        )
        left, mid, right = st.columns(3)
        model["batchability"] = left.slider(
            "Batchability",
            min_value=0.0,
            max_value=1.0,
            value=float(plan.model.batchability),
            step=0.01,
            key=_key("beta"),
            help="Share of the batch-1 time a whole batch shares (weights, launches). "
            "0: batching gains nothing; 1: a batch costs what one request does.",
        )
        names = _instance_names(plan)
        reference = plan.model.reference_instance_type or plan.instance_type
        model["reference_instance_type"] = mid.selectbox(
            "Latency measured on",
            options=names,
            index=names.index(reference) if reference in names else 0,
            key=_key("reference"),
        )
        measured = right.number_input(
            "Measured req/s per instance (0: model it)",
            min_value=0.0,
            value=float(plan.model.measured_requests_per_second_per_instance or 0.0),
            key=_key("measured_rps"),
        )
        model["measured_requests_per_second_per_instance"] = measured or None


def _instance_names(plan: serving.ServingPlan) -> list[str]:
    catalog = cache.catalog()
    names = [c.name for c in plan.custom_instances] + sorted(
        name for name, inst in catalog.instances.items() if inst.gpu_model
    )
    for extra in (plan.instance_type, plan.baseline.instance_type):
        if extra and extra not in names:
            names.insert(0, extra)
    return names


def _hardware_inputs(plan: serving.ServingPlan, data: dict[str, Any]) -> None:
    names = _instance_names(plan)
    if plan.custom_instances:
        listed = "; ".join(
            f"{c.name} (${c.on_demand_usd_per_hour:g}/h, {c.requests_per_second:g} req/s at "
            "batch 1)"
            for c in plan.custom_instances
        )
        st.caption(f"Custom instances, edited in the YAML file: {listed}.")
    left, mid, right = st.columns(3)
    data["instance_type"] = left.selectbox(
        "Instance type (plan)",
        options=names,
        index=names.index(plan.instance_type),
        key=_key("instance"),
    )
    data["max_batch"] = mid.number_input(
        "Largest batch", min_value=1, max_value=4096, value=plan.max_batch, key=_key("batch")
    )
    data["latency_target_ms"] = right.number_input(
        "Latency target, ms",
        min_value=1.0,
        value=float(plan.latency_target_ms),
        step=100.0,
        key=_key("target"),
    )
    left, mid, right = st.columns(3)
    data["cache_hit_rate"] = (
        left.slider(
            "Response-cache hit rate, %",
            min_value=0,
            max_value=99,
            value=round(100 * plan.cache_hit_rate),
            key=_key("cache"),
        )
        / 100
    )
    scaling = data["autoscaling"]
    scaling["enabled"] = mid.toggle(
        "Autoscaling (plan)", value=plan.autoscaling.enabled, key=_key("autoscale")
    )
    scaling["min_replicas"] = right.number_input(
        "Minimum replicas",
        min_value=0,
        value=plan.autoscaling.min_replicas,
        key=_key("min_replicas"),
    )
    left, mid, _ = st.columns(3)
    scaling["headroom"] = (
        left.slider(
            "Headroom, %",
            min_value=0,
            max_value=200,
            value=round(100 * plan.autoscaling.headroom),
            key=_key("headroom"),
        )
        / 100
    )
    scaling["scale_up_lag_minutes"] = mid.number_input(
        "Scale-up lag, minutes",
        min_value=0.0,
        max_value=1440.0,
        value=float(plan.autoscaling.scale_up_lag_minutes),
        key=_key("lag"),
    )


def _baseline_inputs(plan: serving.ServingPlan, data: dict[str, Any]) -> None:
    st.caption("The starting point of the waterfall: every lever off.")
    base = data["baseline"]
    names = ["(as the plan)", *_instance_names(plan)]
    chosen = plan.baseline.instance_type or "(as the plan)"
    left, mid, right = st.columns(3)
    picked = left.selectbox(
        "Instance type",
        options=names,
        index=names.index(chosen) if chosen in names else 0,
        key=_key("b_instance"),
    )
    base["instance_type"] = None if picked == "(as the plan)" else picked
    precisions = [str(p) for p in serving.Precision]
    base["precision"] = mid.selectbox(
        "Precision",
        options=precisions,
        index=precisions.index(plan.baseline.precision),
        key=_key("b_precision"),
    )
    base["max_batch"] = right.number_input(
        "Largest batch", min_value=1, value=plan.baseline.max_batch, key=_key("b_batch")
    )
    left, mid, right = st.columns(3)
    base["cache_hit_rate"] = (
        left.slider(
            "Cache hit rate, %",
            min_value=0,
            max_value=99,
            value=round(100 * plan.baseline.cache_hit_rate),
            key=_key("b_cache"),
        )
        / 100
    )
    base["autoscaling"] = mid.toggle(
        "Autoscaling", value=plan.baseline.autoscaling, key=_key("b_autoscale")
    )
    base["commitments"] = right.toggle(
        "Commitments and spot", value=plan.baseline.commitments, key=_key("b_commit")
    )


def _mix_inputs(plan: serving.ServingPlan, data: dict[str, Any]) -> None:
    mix = data["mix"]
    tiers = [str(t) for t in PriceTier]
    left, right = st.columns(2)
    mix["tiers"] = left.multiselect(
        "Tiers the optimizer may buy",
        options=tiers,
        default=[str(t) for t in plan.mix.tiers],
        format_func=lambda t: PriceTier(t).label,
        key=_key("tiers"),
    )
    mix["instance_types"] = right.multiselect(
        "Candidate instance types (empty: every type of the plan's provider that fits)",
        options=_instance_names(plan),
        default=[t for t in plan.mix.instance_types if t in _instance_names(plan)],
        key=_key("candidates"),
    )
    left, mid, right = st.columns(3)
    mix["spot_max_share"] = (
        left.slider(
            "Spot cap, % of required capacity",
            min_value=0,
            max_value=100,
            value=round(100 * plan.mix.spot_max_share),
            key=_key("spot_cap"),
        )
        / 100
    )
    target = mid.number_input(
        "Availability target, % (0: none)",
        min_value=0.0,
        max_value=100.0,
        value=100 * (plan.mix.availability_target or 0.0),
        step=0.5,
        key=_key("availability"),
        help="After a spot interruption at the interruption rate, at least this share of the "
        "required capacity must remain.",
    )
    mix["availability_target"] = target / 100 if target > 0 else None
    rate = right.number_input(
        "Spot interruption rate, % (blank: AWS Spot Advisor per type)",
        min_value=0.0,
        max_value=100.0,
        value=None if plan.mix.interruption_rate is None else 100 * plan.mix.interruption_rate,
        step=1.0,
        key=_key("interruption"),
    )
    mix["interruption_rate"] = None if rate is None else rate / 100
    budget = st.number_input(
        "Budget, USD per month (0: none)",
        min_value=0.0,
        value=float(plan.mix.budget_usd_per_month or 0.0),
        step=1000.0,
        key=_key("budget"),
    )
    mix["budget_usd_per_month"] = budget or None


def _edited(scenario: Scenario) -> tuple[Scenario | None, str | None]:
    plan = scenario.serving_plan
    if plan is None:  # pragma: no cover - only called with a plan
        return None, None
    data: dict[str, Any] = scenario_to_mapping(scenario)["serving_plan"]
    with st.form(_key("form"), border=False):
        tabs = st.tabs(["Traffic", "Model", "Hardware and scaling", "Baseline", "Instance mix"])
        with tabs[0]:
            _traffic_inputs(plan, data)
        with tabs[1]:
            _model_inputs(plan, data)
        with tabs[2]:
            _hardware_inputs(plan, data)
        with tabs[3]:
            _baseline_inputs(plan, data)
        with tabs[4]:
            _mix_inputs(plan, data)
        st.form_submit_button("Apply", type="primary")
    st.file_uploader(
        "Hourly demand CSV (columns hour or timestamp, and demand in requests/s)",
        type=["csv"],
        key=_key("csv"),
        on_change=_upload_changed,
        help="It replaces the traffic shape. It stays in this session only: a share link "
        "records its file name, not its contents.",
    )
    mapping = scenario_to_mapping(scenario)
    mapping["serving_plan"] = data
    try:
        return scenario_from_mapping(mapping), None
    except PlannerInputError as error:
        return None, str(error)


# --------------------------------------------------------------------------- charts


def _waterfall_chart(result: serving.ServingResult, per_1k: bool) -> alt.LayerChart:
    frame = result.waterfall_frame(per_request=per_1k)
    scale = 1000.0 if per_1k else 1.0
    frame[["start", "end", "delta"]] *= scale
    frame["kind"] = [
        "total" if kind == "total" else ("saving" if delta < 0 else "increase")
        for kind, delta in zip(frame["kind"], frame["delta"], strict=True)
    ]
    frame["label"] = [
        usd(end) if kind == "total" else f"{'−' if delta < 0 else '+'}{usd(abs(delta))}"
        for kind, end, delta in zip(frame["kind"], frame["end"], frame["delta"], strict=True)
    ]
    unit = "USD per 1K requests" if per_1k else "USD per month"
    colours = alt.Scale(
        domain=["total", "saving", "increase"], range=["#4c78a8", "#54a24b", "#e45756"]
    )
    y = alt.Y(
        "step:N", sort=alt.EncodingSortField("order"), title=None, axis=alt.Axis(labelLimit=260)
    )
    bars = (
        alt.Chart(frame, title=f"From baseline to plan, {unit}")
        .mark_bar()
        .encode(
            x=alt.X("start:Q", title=unit, axis=alt.Axis(format="$,.4~g" if per_1k else "$,.0f")),
            x2="end:Q",
            y=y,
            color=alt.Color("kind:N", scale=colours, legend=None),
            tooltip=[
                alt.Tooltip("step:N", title="Step"),
                alt.Tooltip("label:N", title="Change"),
                alt.Tooltip("end:Q", title="After", format="$,.5~g"),
            ],
        )
    )
    text = (
        bars.mark_text(align="left", dx=4)
        .encode(x=alt.X("right:Q"), text="label:N", color=alt.value("#333"))
        .transform_calculate(right="max(datum.start, datum.end)")
    )
    return (bars + text).properties(height=alt.Step(34))


def _capacity_chart(frame: pd.DataFrame, title: str) -> alt.LayerChart:
    """Capacity stacked by tier (areas) against demand (lines)."""
    tiers = [t for t in _TIER_LABELS if f"{t}_capacity_rps" in frame]
    long = frame.melt(
        id_vars=["hour"],
        value_vars=[f"{t}_capacity_rps" for t in tiers],
        var_name="tier",
        value_name="capacity",
    )
    long["tier"] = long["tier"].str.removesuffix("_capacity_rps").map(_TIER_LABELS)
    order = [_TIER_LABELS[t] for t in tiers]
    long["order"] = long["tier"].map({label: i for i, label in enumerate(order)})
    areas = (
        alt.Chart(long, title=title)
        .mark_area(opacity=0.85, interpolate="step-after")
        .encode(
            x=alt.X("hour:Q", title="Hour", scale=alt.Scale(nice=False, zero=False)),
            y=alt.Y("capacity:Q", stack="zero", title="Requests per second"),
            color=alt.Color(
                "tier:N",
                scale=alt.Scale(domain=list(_TIER_LABELS.values()), range=_TIER_COLOURS),
                legend=alt.Legend(title="Capacity", orient="bottom"),
            ),
            order=alt.Order("order:Q"),
            tooltip=["hour:Q", "tier:N", alt.Tooltip("capacity:Q", format=",.1f")],
        )
    )
    lines_frame = frame.melt(
        id_vars=["hour"], value_vars=["demand_rps", "required_rps"], var_name="series"
    )
    lines_frame["series"] = lines_frame["series"].map(
        {"demand_rps": "demand on the model", "required_rps": "required (with headroom)"}
    )
    lines = (
        alt.Chart(lines_frame)
        .mark_line(interpolate="step-after")
        .encode(
            x="hour:Q",
            y="value:Q",
            strokeDash=alt.StrokeDash("series:N", legend=alt.Legend(title=None, orient="bottom")),
            color=alt.value("#222"),
            tooltip=["hour:Q", "series:N", alt.Tooltip("value:Q", format=",.1f")],
        )
    )
    return (areas + lines).properties(height=300)


def _cost_per_request_chart(daily: pd.DataFrame) -> alt.Chart:
    frame = daily.assign(usd_per_1k=daily["usd_per_request"] * 1000)
    chart: alt.Chart = (
        alt.Chart(frame, title="Cost per 1K requests, day by day")
        .mark_line(point=len(frame) <= 120)
        .encode(
            x=alt.X("day:Q", title="Day of the horizon"),
            y=alt.Y(
                "usd_per_1k:Q",
                title="USD per 1K requests (log scale)",
                scale=alt.Scale(type="log"),
                axis=alt.Axis(format="$,.4~g"),
            ),
            # A bottom legend squashes this chart under Streamlit's theme; keep the default.
            color=alt.Color("series:N", legend=alt.Legend(title=None)),
            tooltip=[
                "day:Q",
                "series:N",
                alt.Tooltip("usd_per_1k:Q", title="USD/1K", format="$,.5~g"),
                alt.Tooltip("usd_per_day:Q", title="USD/day", format="$,.2f"),
            ],
        )
        .properties(height=260)
    )
    return chart


def _week_window(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    weeks = max(1, math.ceil(len(frame) / 168))
    if weeks <= 4:
        return frame
    week = st.slider("Week shown", min_value=1, max_value=weeks, value=1, key=_key(key))
    return frame.iloc[(week - 1) * 168 : week * 168]


# --------------------------------------------------------------------------- results


def _metrics(result: serving.ServingResult) -> None:
    base, plan = result.baseline, result.optimised

    def delta(a: float | None, b: float | None) -> str | None:
        if a is None or b is None or a == 0:
            return None
        return f"{(b - a) / a:+.0%} vs baseline"

    top = st.columns(3)
    top[0].metric(
        "Monthly cost",
        usd(plan.monthly_cost_usd),
        delta(base.monthly_cost_usd, plan.monthly_cost_usd),
        delta_color="inverse",
    )
    top[1].metric(
        "Per request",
        usd(plan.per_request_usd),
        delta(base.per_request_usd, plan.per_request_usd),
        delta_color="inverse",
    )
    top[2].metric(
        "Per 1K requests",
        usd(plan.per_1k_requests_usd),
        delta(base.per_1k_requests_usd, plan.per_1k_requests_usd),
        delta_color="inverse",
    )
    bottom = st.columns(3)
    bottom[0].metric("Per 1M tokens", usd(plan.per_1m_tokens_usd))
    bottom[1].metric(
        "Instances (peak / mean)",
        f"{int(plan.instances.max(initial=0))} / {plan.instances.mean():.1f}",
    )
    bottom[2].metric(
        "Requests per month",
        f"{result.requests_per_month / 1e6:,.1f}M",
        help="Incoming, cache hits included: every unit cost divides by these.",
    )
    st.caption(
        f"Baseline: {usd(base.monthly_cost_usd)}/month, {usd(base.per_1k_requests_usd)} per "
        f"1K requests ({base.config.describe()}). Plan: {plan.config.describe()}. "
        f"Demand: {result.demand.source}."
    )


def _levers_tab(result: serving.ServingResult) -> None:
    per_1k = st.toggle("Per 1K requests", value=True, key=_key("per_1k"))
    st.altair_chart(_waterfall_chart(result, per_1k), width="stretch")
    st.caption(_LEVER_HELP)
    st.dataframe(
        result.levers_frame(),
        hide_index=True,
        width="stretch",
        column_config={
            "lever": "Lever",
            "from": "Baseline",
            "to": "Plan",
            "saving_usd_per_month": st.column_config.NumberColumn(
                "Saving (Shapley), USD/month", format="dollar"
            ),
            "solo_usd_per_month": st.column_config.NumberColumn(
                "Alone, USD/month", format="dollar"
            ),
            "last_usd_per_month": st.column_config.NumberColumn("Last, USD/month", format="dollar"),
            "saving_per_request_usd": st.column_config.NumberColumn(
                "Saving per request", format="$%.7f"
            ),
        },
    )
    solo = sum(item.solo_saving_usd_per_month for item in result.levers)
    total = result.total_saving_usd_per_month
    st.markdown(
        f"Applied alone, the levers would save {usd(solo)}/month in total; together they "
        f"save {usd(total)}. The difference, {usd(solo - total)}, is the levers overlapping "
        "(a positive figure: each lever has less left to save once the others are in)."
    )
    if not result.interactions.empty:
        st.markdown("**Interactions between pairs of levers** (together − alone − alone)")
        st.dataframe(
            result.interactions,
            hide_index=True,
            width="stretch",
            column_config={
                "lever_a": "Lever",
                "lever_b": "With",
                "together_usd_per_month": st.column_config.NumberColumn(
                    "Together, USD/month", format="dollar"
                ),
                "interaction_usd_per_month": st.column_config.NumberColumn(
                    "Interaction, USD/month", format="dollar"
                ),
            },
        )


def _hours_tab(result: serving.ServingResult) -> None:
    frame = result.hourly_frame()
    headroom = result.plan.autoscaling.headroom
    frame["demand_rps"] = frame["served_rps"]
    frame["required_rps"] = frame["served_rps"] * (1 + headroom)
    shown = _week_window(frame, "week_plan")
    st.altair_chart(
        _capacity_chart(shown, f"{result.optimised.hardware.name}: capacity by tier"),
        width="stretch",
    )
    daily = result.daily_frame()
    if not daily.empty:
        st.altair_chart(_cost_per_request_chart(daily), width="stretch")
    st.download_button(
        "Download the hourly plan (CSV)",
        data=frame.to_csv(index=False),
        file_name="serving_plan_hourly.csv",
        mime="text/csv",
        key=_key("download_hours"),
    )


def _mix_tab(scenario: Scenario, demand: tuple[float, ...] | None) -> None:
    st.caption(
        "The optimizer buys the plan's capacity from every candidate type at once: reserved "
        "(1 y / 3 y) counts fixed over the horizon, on-demand and spot hour by hour, at the "
        "lowest cost. Bound and gap prove how close the plan is to the best possible."
    )
    try:
        plan, skipped = cache.serving_mix(scenario, demand)
    except PlannerInputError as error:
        st.error(str(error), icon=":material/error:")
        return
    _mix_summary(plan)
    frame = plan.hourly_frame()
    frame["demand_rps"] = frame["demand"]
    frame["required_rps"] = frame["required"]
    for tier in _TIER_LABELS:
        frame[f"{tier}_capacity_rps"] = frame[f"{tier}_capacity"]
    shown = _week_window(frame, "week_mix")
    st.altair_chart(_capacity_chart(shown, "Demand against capacity, by tier"), width="stretch")
    by_type = plan.by_type_frame()
    st.dataframe(
        by_type[by_type["cost_usd"] > 0],
        hide_index=True,
        width="stretch",
        column_config={
            "instance_type": "Instance type",
            "capacity": st.column_config.NumberColumn("Req/s each", format="%.1f"),
            "reserved_1y": "1-y reserved",
            "reserved_3y": "3-y reserved",
            "on_demand_peak": "On-demand peak",
            "on_demand_mean": st.column_config.NumberColumn("On-demand mean", format="%.2f"),
            "spot_peak": "Spot peak",
            "spot_mean": st.column_config.NumberColumn("Spot mean", format="%.2f"),
            "cost_usd": st.column_config.NumberColumn("Cost over the horizon", format="dollar"),
        },
    )
    if skipped:
        with st.expander(f"{len(skipped)} instance types left out: they cannot serve the model"):
            for reason in skipped:
                st.markdown(f"- {reason}")


def _mix_summary(plan: MixPlan) -> None:
    if plan.status is MixStatus.INFEASIBLE:
        st.warning(plan.message, icon=":material/savings:")
    cols = st.columns(5)
    cols[0].metric("Total over the horizon", usd(plan.total_cost_usd))
    cols[1].metric(
        "Lower bound",
        usd(plan.lower_bound_usd),
        help=f"LP relaxation: "
        f"{usd(plan.lp_bound_usd)}. The plan is proven within the gap of the best.",
    )
    cols[2].metric("Gap", f"{plan.gap:.2%}", help=f"Status: {plan.status}.")
    cols[3].metric(
        "Commitments used",
        "n/a" if plan.commitment_utilisation is None else f"{plan.commitment_utilisation:.0%}",
        help="Reserved capacity used, over reserved capacity paid for.",
    )
    cols[4].metric(
        "Covered by commitments",
        "n/a" if plan.commitment_coverage is None else f"{plan.commitment_coverage:.0%}",
        help="Share of the required capacity-hours served by reserved instances.",
    )
    tiers = ", ".join(
        f"{tier.label} {usd(cost)}" for tier, cost in plan.cost_by_tier_usd.items() if cost > 0
    )
    st.caption(
        f"Status {plan.status} ({plan.message}) · cost by tier: {tiers or 'nothing'} · "
        f"solved in {plan.solve_seconds:.2f} s over {plan.hours:,} hours."
    )


def _right_sizing_tab(scenario: Scenario) -> None:
    plan = scenario.serving_plan
    if plan is None:  # pragma: no cover
        return
    provider = serving.hardware(plan.instance_type, plan, scenario, cache.catalog()).provider
    everywhere = st.toggle("All providers", value=False, key=_key("all_providers"))
    providers = ("aws", "gcp", "azure", "lambda", "custom") if everywhere else (provider, "custom")
    frame = cache.serving_right_sizing(scenario, providers)
    st.caption(
        f"Every instance type against this model at {plan.model.precision}, batch ≤ "
        f"{plan.max_batch} and a {plan.latency_target_ms:,.0f} ms latency target, on demand "
        "at full load. The cheapest per request is not always the cheapest fleet: small "
        "traffic pays for whole instances and minimum replicas."
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "instance_type": "Instance type",
            "provider": "Provider",
            "gpu": "Accelerators",
            "on_demand_usd_per_hour": st.column_config.NumberColumn("$/h", format="$%.3f"),
            "requests_per_second": st.column_config.NumberColumn("Req/s", format="%.2f"),
            "batch": "Batch",
            "latency_ms": st.column_config.NumberColumn("Latency, ms", format="%.0f"),
            "usd_per_million_requests": st.column_config.NumberColumn(
                "$ per 1M requests", format="$%.2f"
            ),
            "why_not": st.column_config.TextColumn("Why it cannot serve", width="large"),
        },
    )


def _basis(result: serving.ServingResult) -> None:
    for label, out in (("Plan", result.optimised), ("Baseline", result.baseline)):
        tp = out.throughput
        tokens = (
            f", {tp.tokens_per_second_per_gpu:,.0f} tokens/s per GPU"
            if tp.tokens_per_second_per_gpu
            else ""
        )
        st.markdown(
            f"**{label}**: {out.hardware.name}, {tp.requests_per_second:,.3g} req/s per "
            f"instance{tokens}, latency {tp.latency_ms:,.0f} ms at batch {tp.batch} "
            f"({tp.limited_by}). {tp.basis}. Price: {out.hardware.price_basis}."
        )
    st.dataframe(serving.assumptions_frame(), hide_index=True, width="stretch")


def _page(scenario: Scenario) -> None:
    header = st.container()
    results = st.container()
    st.subheader("Inputs")
    st.caption("Change any input, then Apply: every number above and the share link update.")
    edited, problem = _edited(scenario)
    if problem:
        header.error(problem, icon=":material/error:")
    elif edited is not None and edited != scenario:
        state.update(edited)
        scenario = edited
    with header:
        if scenario.description:
            with st.expander("About this scenario", expanded=False):
                st.markdown(scenario.description)
                for source in scenario.sources:
                    st.markdown(f"- {source}")
    evaluated, demand, notice = _demand_for(scenario)
    if notice:
        results.warning(notice, icon=":material/upload_file:")
    try:
        result = cache.serving_result(evaluated, demand)
    except PlannerInputError as error:
        results.error(str(error), icon=":material/error:")
        return
    with results:
        _metrics(result)
        for note in result.notes:
            st.info(note, icon=":material/info:")
        for check in serving.stated_notes(evaluated, result):
            st.warning(f"**Published figure**: {check}", icon=":material/fact_check:")
        tabs = st.tabs(
            ["Levers", "Hour by hour", "Instance mix", "Right-sizing", "How it is computed"]
        )
        with tabs[0]:
            _levers_tab(result)
        with tabs[1]:
            _hours_tab(result)
        with tabs[2]:
            _mix_tab(evaluated, demand)
        with tabs[3]:
            _right_sizing_tab(evaluated)
        with tabs[4]:
            _basis(result)


sidebar.scenario_controls()
for notice in state.take_notices():
    st.error(notice, icon=":material/link_off:")

current = state.scenario()
st.title(f"Serving: {current.title}")
if current.serving_plan is None:
    st.info(
        "This scenario has no serving plan. A plan prices an endpoint hour by hour: "
        "throughput per GPU from a roofline, the fleet traffic needs, cost per request, the "
        "levers from a baseline, and the reserved / on-demand / spot mix.",
        icon=":material/dns:",
    )
    if st.button("Start a serving plan", key=_key("start"), type="primary"):
        state.update(replace(current, serving_plan=serving.starter_plan(current, cache.catalog())))
        st.rerun()
else:
    _page(current)

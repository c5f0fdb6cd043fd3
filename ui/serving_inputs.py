"""The Serving page's inputs: a form of widgets that project one of the scenario's
endpoints, and the upload of an hourly demand CSV.

:func:`edited_endpoint` draws them and returns the scenario they describe, checked by the
schema, so the share link carries every input and an impossible value gets the same message
as in a YAML file. An uploaded CSV is the one exception: the link records its file name only.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import streamlit as st

from planner.catalog import ModelArchitecture, PriceTier, load_model_architectures
from planner.core.errors import PlannerInputError
from planner.costing import serving
from planner.io.demand import MAX_CSV_BYTES, check_csv_size, parse_demand_csv
from planner.models.architectures import KvPrecision, kv_bytes_per_token, total_params
from planner.scenario import Scenario, scenario_to_mapping
from planner.scenario.serving import (
    DailyShape,
    Endpoint,
    ModelKind,
    ServingPrecision,
    WeeklyShape,
)
from ui import cache, inputs, page, state
from ui.widgets import Number, choice, number, numbers, percent

_SAME = "(as the plan)"

# Each choice in words; the link and the YAML file keep the stored value ("int8").
PRECISION_WORDS = {
    ServingPrecision.FP16: "16-bit, unquantized (FP16)",
    ServingPrecision.FP8: "8-bit float (FP8)",
    ServingPrecision.INT8: "8-bit integer (INT8)",
    ServingPrecision.INT4: "4-bit integer (INT4)",
}
KV_PRECISION_WORDS = {
    KvPrecision.FP16: "16-bit (FP16)",
    KvPrecision.FP8: "8-bit (FP8): half the memory",
}
DAILY_WORDS = {
    DailyShape.FLAT: "Flat: the same every hour",
    DailyShape.BUSINESS_HOURS: "Business hours",
    DailyShape.EVENING_PEAK: "Evening peak",
}
WEEKLY_WORDS = {
    WeeklyShape.FLAT: "Flat: every day alike",
    WeeklyShape.WEEKDAYS: "Busier on weekdays",
    WeeklyShape.WEEKENDS: "Busier at weekends",
}

_REQUESTS = Number(
    "requests_per_day",
    "Requests per day",
    "rpd",
    {"min_value": 0.0, "step": 100_000.0, "format": "%.0f"},
)
_WEEKS = Number(
    "horizon_weeks",
    "Horizon, weeks (52: a year hourly)",
    "weeks",
    {"min_value": 1, "max_value": 52, "step": 1},
)
_PARAMETERS = Number(
    "parameters_billion",
    "Parameters, billions (0: 7)",
    "params",
    {"min_value": 0.0, "step": 1.0},
    optional=True,
)
_TOKENS = (
    Number("input_tokens", "Input tokens", "in", {"min_value": 1}),
    Number("output_tokens", "Output tokens", "out", {"min_value": 1}),
    Number(
        "measured_tokens_per_second_per_gpu",
        "Measured tokens/s per GPU (0: model it)",
        "measured_tps",
        {
            "min_value": 0.0,
            "help": "Generated tokens per second per GPU at the plan's precision and batch. "
            "It replaces the roofline there and calibrates it elsewhere on this type.",
        },
        optional=True,
    ),
)
_LATENCY = Number("latency_ms", "Latency at batch 1, ms (fp16)", "latency", {"min_value": 0.001})
_MEASURED_REQUESTS = Number(
    "measured_requests_per_second_per_instance",
    "Measured req/s per instance (0: model it)",
    "measured_rps",
    {"min_value": 0.0},
    optional=True,
)
_BATCH = Number("max_batch", "Largest batch", "batch", {"min_value": 1, "max_value": 4096})
_TARGET = Number(
    "latency_target_ms", "Latency target, ms", "target", {"min_value": 1.0, "step": 100.0}
)
_TOKEN_TARGETS = (
    Number(
        "ttft_target_ms",
        "Time to first token target, ms (0: none)",
        "ttft",
        {"min_value": 0.0, "step": 50.0, "help": "Bounds the continuous batch (LLM)."},
        optional=True,
    ),
    Number(
        "tpot_target_ms",
        "Time per output token target, ms (0: none)",
        "tpot",
        {"min_value": 0.0, "step": 5.0, "help": "Bounds the continuous batch (LLM)."},
        optional=True,
    ),
)
_MIN_REPLICAS = Number("min_replicas", "Minimum replicas", "min_replicas", {"min_value": 0})
_LAG = Number(
    "scale_up_lag_minutes",
    "Scale-up lag, minutes",
    "lag",
    {"min_value": 0.0, "max_value": 1440.0},
)
_BASELINE_BATCH = Number("max_batch", "Largest batch", "b_batch", {"min_value": 1})
_BUDGET = Number(
    "budget_usd_per_month",
    "Budget, USD per month (0: none)",
    "budget",
    {"min_value": 0.0, "step": 1000.0},
    optional=True,
)
_PERCENT = 0.01
# How the inputs show each field, so a refused value is named by its label, in its unit.
_SHOWN = {
    spec.name: page.Shown(spec.label)
    for spec in (
        _REQUESTS,
        _WEEKS,
        _PARAMETERS,
        *_TOKENS,
        _LATENCY,
        _MEASURED_REQUESTS,
        _BATCH,
        _TARGET,
        *_TOKEN_TARGETS,
        _MIN_REPLICAS,
        _LAG,
        _BUDGET,
    )
} | {
    "name": page.Shown("Endpoint name"),
    "baseline.max_batch": page.Shown("Baseline largest batch"),
    "cache_hit_rate": page.Shown("Response-cache hit rate, %", _PERCENT),
    "baseline.cache_hit_rate": page.Shown("Baseline cache hit rate, %", _PERCENT),
    "headroom": page.Shown("Headroom, %", _PERCENT),
    "spot_max_share": page.Shown("Spot cap, % of required capacity", _PERCENT),
}


def key(name: str) -> str:
    """The key of a Serving-page widget."""
    return page.widget_key("sv", name)


def _upload_changed(index: int) -> None:
    """Keep a valid uploaded CSV for the session and point endpoint ``index`` at it by name."""
    uploaded = st.session_state.get(key("csv"))
    if uploaded is None:
        return
    try:
        # Before the bytes are copied: a client other than the browser can pass the limit.
        check_csv_size(uploaded.size, uploaded.name)
        demand = parse_demand_csv(uploaded.getvalue(), name=uploaded.name)
    except PlannerInputError as error:
        state.add_notice(f"{uploaded.name} was not used, and nothing was changed: {error}")
        return
    state.set_serving_demand_upload(demand)
    current = state.scenario()
    if index >= len(current.serving):
        return
    plan = current.serving[index]
    traffic = replace(plan.traffic, demand_csv=demand.name)
    endpoints = list(current.serving)
    endpoints[index] = replace(plan, traffic=traffic)
    state.update(replace(current, serving=tuple(endpoints)))


def edited_endpoint(scenario: Scenario, index: int) -> page.Edit:
    """Draw the inputs of endpoint ``index`` as a form in tabs, and the demand CSV upload;
    return the scenario they describe, or why none."""
    plan = scenario.serving[index]
    data = scenario_to_mapping(scenario)
    section: dict[str, Any] = data["serving"][index]
    with st.form(key("form"), border=False):
        section["name"] = st.text_input(
            "Endpoint name", value=plan.name, max_chars=120, key=key(f"name_{index}")
        )
        tabs = st.tabs(["Traffic", "Model", "Hardware and scaling", "Baseline", "Instance mix"])
        with tabs[0]:
            _traffic_inputs(plan, section["traffic"])
        with tabs[1]:
            _model_inputs(plan, section["model"])
        with tabs[2]:
            _hardware_inputs(plan, section)
        with tabs[3]:
            _baseline_inputs(plan, section["baseline"])
        with tabs[4]:
            _mix_inputs(plan, section["mix"])
        st.form_submit_button("Apply", type="primary")
    st.file_uploader(
        "Hourly demand CSV (columns hour or timestamp, and demand in requests/s)",
        type=["csv"],
        key=key("csv"),
        on_change=_upload_changed,
        args=(index,),
        max_upload_size=math.ceil(MAX_CSV_BYTES / 1024 / 1024),  # 2 MB, not the server's 200
        help="It replaces the traffic shape. It stays in this session only: a share link "
        "records its file name, not its contents.",
    )
    return inputs.edited_scenario(data, _SHOWN)


def _traffic_inputs(plan: Endpoint, traffic: dict[str, Any]) -> None:
    left, mid, right = st.columns(3)
    number(left, traffic, _REQUESTS, key)
    traffic["daily_shape"] = choice(
        mid, "Daily shape", plan.traffic.daily_shape, key("daily"), format_func=DAILY_WORDS.get
    )
    traffic["weekly_shape"] = choice(
        right,
        "Weekly shape",
        plan.traffic.weekly_shape,
        key("weekly"),
        format_func=WEEKLY_WORDS.get,
    )
    left, mid, right = st.columns(3)
    p2a = left.number_input(
        "Peak ÷ average (0: as the shape gives)",
        min_value=0.0,
        max_value=50.0,
        value=float(plan.traffic.peak_to_average or 0.0),
        step=0.1,
        key=key("p2a"),
    )
    traffic["peak_to_average"] = p2a if p2a >= 1 else None
    growth = mid.number_input(
        "Growth per month, %",
        min_value=-50.0,
        max_value=100.0,
        value=100 * plan.traffic.monthly_growth,
        step=1.0,
        key=key("growth"),
    )
    traffic["monthly_growth"] = growth / 100
    number(right, traffic, _WEEKS, key)
    if plan.traffic.demand_csv is not None:
        keep = st.checkbox(
            f"Use the hourly demand CSV '{page.plain_text(plan.traffic.demand_csv)}' instead "
            "of the shape",
            value=True,
            key=key("use_csv"),
        )
        traffic["demand_csv"] = plan.traffic.demand_csv if keep else None


def _model_inputs(plan: Endpoint, model: dict[str, Any]) -> None:
    left, mid, right = st.columns(3)
    kinds = [str(k) for k in ModelKind]
    model["kind"] = left.radio(
        "Model",
        options=kinds,
        format_func=lambda k: "LLM (tokens)" if k == "llm" else "Classic (latency)",
        index=kinds.index(plan.model.kind),
        horizontal=True,
        key=key("kind"),
    )
    model["precision"] = choice(
        mid,
        "Precision (plan)",
        plan.model.precision,
        key("precision"),
        format_func=PRECISION_WORDS.get,
    )
    if model["kind"] == "llm":
        _llm_inputs(plan, model, right)
        return
    number(right, model, _LATENCY, key)
    left, mid, right = st.columns(3)
    model["batchability"] = left.slider(
        "Batchability",
        min_value=0.0,
        max_value=1.0,
        value=float(plan.model.batchability),
        step=0.01,
        key=key("beta"),
        help="Share of the batch-1 time a whole batch shares (weights, launches). "
        "0: batching gains nothing; 1: a batch costs what one request does.",
    )
    names = serving.instance_choices(plan, cache.catalog())
    reference = plan.model.reference_instance_type or plan.instance_type
    model["reference_instance_type"] = mid.selectbox(
        "Latency measured on",
        options=names,
        index=names.index(reference) if reference in names else 0,
        key=key("reference"),
    )
    number(right, model, _MEASURED_REQUESTS, key)


_OWN_MODEL = ""


def _llm_inputs(plan: Endpoint, model: dict[str, Any], where: Any) -> None:
    """A preset from the catalog's model architectures, or a model of your own."""
    presets = load_model_architectures()
    options = [_OWN_MODEL, *presets]
    current = plan.model.preset if plan.model.preset in presets else _OWN_MODEL
    chosen = where.selectbox(
        "Model",
        options=options,
        index=options.index(current),
        format_func=lambda name: (
            "A model of my own" if name == _OWN_MODEL else _preset_label(presets[name])
        ),
        key=key("preset"),
        help="A preset's shape (layers, KV heads, experts) sizes its memory and KV cache.",
    )
    left, right = st.columns(2)
    model["kv_precision"] = choice(
        left,
        "KV cache precision",
        plan.model.kv_precision,
        key("kvp"),
        format_func=KV_PRECISION_WORDS.get,
    )
    numbers(model, _TOKENS, key)
    if chosen != _OWN_MODEL:
        model.update(preset=chosen, parameters_billion=None, kv_cache_mb_per_token=None)
        return
    model["preset"] = None
    number(right, model, _PARAMETERS, key)
    own = replace(plan.model, preset=None, kv_cache_mb_per_token=None)
    derived = serving.kv_bytes_per_token(own)
    kv = Number(
        "kv_cache_mb_per_token",
        "KV cache per token, MB (0: estimate)",
        "kv",
        {
            "min_value": 0.0,
            "step": 0.01,
            "format": "%.4f",
            "help": f"Estimated for dense multi-head attention of this size: "
            f"{derived / 1e6:.3f} MB. Models with grouped-query attention need far less "
            "(0.131 MB for Llama-3.1-8B with 8 KV heads): enter yours, or pick a preset.",
        },
        optional=True,
    )
    number(st, model, kv, key)


def _preset_label(arch: ModelArchitecture) -> str:
    experts = f", {arch.num_experts} experts" if arch.num_experts else ""
    return (
        f"{arch.name} ({total_params(arch) / 1e9:,.1f}B{experts}, "
        f"{kv_bytes_per_token(arch) / 1e6:.3f} MB KV/token at fp16)"
    )


def _hardware_inputs(plan: Endpoint, data: dict[str, Any]) -> None:
    if plan.custom_instances:
        listed = "; ".join(
            f"{c.name} (${c.on_demand_usd_per_hour:g}/h, {c.requests_per_second:g} req/s at "
            "batch 1)"
            for c in plan.custom_instances
        )
        st.caption(f"Custom instances, edited in the YAML file: {page.plain_text(listed)}.")
    names = serving.instance_choices(plan, cache.catalog())
    left, mid, right = st.columns(3)
    data["instance_type"] = left.selectbox(
        "Instance type (plan)",
        options=names,
        index=names.index(plan.instance_type),
        key=key("instance"),
    )
    number(mid, data, _BATCH, key)
    number(right, data, _TARGET, key)
    if plan.model.kind is ModelKind.LLM:
        numbers(data, _TOKEN_TARGETS, key)
    left, mid, right = st.columns(3)
    data["cache_hit_rate"] = percent(
        left, "Response-cache hit rate, %", plan.cache_hit_rate, key("cache"), most=99
    )
    scaling = data["autoscaling"]
    scaling["enabled"] = mid.toggle(
        "Autoscaling (plan)", value=plan.autoscaling.enabled, key=key("autoscale")
    )
    number(right, scaling, _MIN_REPLICAS, key)
    left, mid, _ = st.columns(3)
    scaling["headroom"] = percent(
        left, "Headroom, %", plan.autoscaling.headroom, key("headroom"), most=200
    )
    number(mid, scaling, _LAG, key)


def _baseline_inputs(plan: Endpoint, base: dict[str, Any]) -> None:
    st.caption("The starting point of the waterfall: every lever off.")
    names = [_SAME, *serving.instance_choices(plan, cache.catalog())]
    chosen = plan.baseline.instance_type or _SAME
    left, mid, right = st.columns(3)
    picked = left.selectbox(
        "Instance type",
        options=names,
        index=names.index(chosen) if chosen in names else 0,
        key=key("b_instance"),
    )
    base["instance_type"] = None if picked == _SAME else picked
    base["precision"] = choice(
        mid,
        "Precision",
        plan.baseline.precision,
        key("b_precision"),
        format_func=PRECISION_WORDS.get,
    )
    number(right, base, _BASELINE_BATCH, key)
    left, mid, right = st.columns(3)
    base["cache_hit_rate"] = percent(
        left, "Cache hit rate, %", plan.baseline.cache_hit_rate, key("b_cache"), most=99
    )
    base["autoscaling"] = mid.toggle(
        "Autoscaling", value=plan.baseline.autoscaling, key=key("b_autoscale")
    )
    base["commitments"] = right.toggle(
        "Commitments and spot", value=plan.baseline.commitments, key=key("b_commit")
    )


def _mix_inputs(plan: Endpoint, mix: dict[str, Any]) -> None:
    names = serving.instance_choices(plan, cache.catalog())
    left, right = st.columns(2)
    mix["tiers"] = left.multiselect(
        "Tiers the optimizer may buy",
        options=[str(t) for t in PriceTier],
        default=[str(t) for t in plan.mix.tiers],
        format_func=lambda t: PriceTier(t).label,
        key=key("tiers"),
    )
    mix["instance_types"] = right.multiselect(
        "Candidate instance types (empty: every type of the plan's provider that fits)",
        options=names,
        default=[t for t in plan.mix.instance_types if t in names],
        key=key("candidates"),
    )
    left, mid, right = st.columns(3)
    mix["spot_max_share"] = percent(
        left, "Spot cap, % of required capacity", plan.mix.spot_max_share, key("spot_cap")
    )
    target = mid.number_input(
        "Availability target, % (0: none)",
        min_value=0.0,
        max_value=100.0,
        value=100 * (plan.mix.availability_target or 0.0),
        step=0.5,
        key=key("availability"),
        help="After the spot capacity reclaimed at once is gone, at least this share of the "
        "required capacity must remain.",
    )
    mix["availability_target"] = target / 100 if target > 0 else None
    rate = right.number_input(
        "Spot capacity reclaimed at once, % (blank: AWS Spot Advisor bucket's upper edge)",
        min_value=0.0,
        max_value=100.0,
        value=None if plan.mix.interruption_rate is None else 100 * plan.mix.interruption_rate,
        step=1.0,
        key=key("interruption"),
        help="The share of spot capacity one reclaim may take, which the availability target "
        "must survive; not how often one instance is interrupted.",
    )
    mix["interruption_rate"] = None if rate is None else rate / 100
    number(st, mix, _BUDGET, key)

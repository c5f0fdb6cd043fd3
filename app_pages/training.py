"""Training: what a run costs, on spot with checkpoint-restart, and how big a model to train.

Every input projects the scenario's ``training_plan`` section, so the share link carries
them. Edits go back through the schema: an impossible value gets the same message as in a
YAML file, and the last valid plan stays on screen.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from planner import checks as assumption_checks
from planner import training
from planner.economics import evaluate
from planner.errors import PlannerInputError
from planner.formatting import usd
from planner.scenario import Scenario, scenario_from_mapping, scenario_to_mapping
from planner.sizing import ScalingLaw, law_fit
from planner.training import Precision, RunPricing
from ui import cache, sidebar, state

_MODES = {
    "given": "I know its size",
    "target": "Cheapest model for a target loss",
    "budget": "Lowest loss for a budget",
    "baseline": "Right-size the baseline (same predicted loss)",
}
_SAME = "(as the plan)"


def _key(name: str) -> str:
    return f"_tp_{name}_{state.revision()}"


def _mode(plan: training.TrainingPlan) -> str:
    if plan.params is not None or plan.tokens is not None:
        return "given"
    if plan.target_loss is not None:
        return "target"
    if plan.budget_usd is not None:
        return "budget"
    base = plan.baseline
    if base is not None and base.params is not None and base.tokens is not None:
        return "baseline"
    return "given"


def _model_inputs(plan: training.TrainingPlan, data: dict[str, Any]) -> None:
    mode = st.radio(
        "How big is the model?",
        options=list(_MODES),
        format_func=_MODES.__getitem__,
        index=list(_MODES).index(_mode(plan)),
        key=_key("mode"),
    )
    law = st.selectbox(
        "Scaling law",
        options=[str(item) for item in ScalingLaw],
        format_func=lambda value: ScalingLaw(value).label,
        index=list(ScalingLaw).index(plan.law),
        key=_key("law"),
        help=(
            "L(N, D) = E + A/N^α + B/D^β. The Epoch replication refits Hoffmann et al.'s data; "
            "the 20-tokens rule allocates compute but predicts no loss."
        ),
    )
    data["law"] = law
    for field in ("params", "tokens", "target_loss", "budget_usd"):
        data[field] = None
    if mode == "given":
        left, right = st.columns(2)
        data["params"] = 1e9 * left.number_input(
            "Parameters, billions",
            value=(plan.params or 1e9) / 1e9,
            step=0.1,
            format="%.3f",
            key=_key("params"),
        )
        data["tokens"] = 1e9 * right.number_input(
            "Training tokens, billions",
            value=(plan.tokens or 2e10) / 1e9,
            step=1.0,
            format="%.3f",
            key=_key("tokens"),
        )
    elif mode == "target":
        data["target_loss"] = st.number_input(
            "Target loss",
            value=plan.target_loss or 2.5,
            step=0.01,
            format="%.3f",
            key=_key("target"),
            help=f"Above the law's irreducible loss E ({law_fit(law).E or 'none'}).",
        )
    elif mode == "budget":
        data["budget_usd"] = st.number_input(
            "Budget for one final run, USD (with lifetime inference, if any)",
            value=plan.budget_usd or 10_000.0,
            step=1000.0,
            key=_key("budget"),
        )
    st.caption(
        "Right-sizing needs a baseline with its own parameters and tokens (Baseline tab); "
        "the plan then trains the cheapest model with the same predicted loss."
        if mode == "baseline"
        else "With a baseline, the lever waterfall right-sizes from its model to this one."
    )
    data["inference_tokens"] = 1e9 * st.number_input(
        "Lifetime inference tokens per model, billions (0: none)",
        min_value=0.0,
        value=plan.inference_tokens / 1e9,
        step=100.0,
        key=_key("inference"),
        help="At about 2·N FLOPs per token. More inference favours a smaller model trained "
        "longer (Sardana et al. 2023).",
    )


def _hardware_inputs(plan: training.TrainingPlan, data: dict[str, Any]) -> None:
    catalog = cache.catalog()
    gpu_instances = sorted(name for name, inst in catalog.instances.items() if inst.gpu_model)
    if plan.instance_type not in gpu_instances:
        gpu_instances.insert(0, plan.instance_type)
    left, right = st.columns(2)
    data["instance_type"] = left.selectbox(
        "Instance type",
        options=gpu_instances,
        index=gpu_instances.index(plan.instance_type),
        format_func=lambda name: _instance_label(name),
        key=_key("instance"),
    )
    data["instance_count"] = right.number_input(
        "Instances", min_value=1, value=plan.instance_count, step=1, key=_key("count")
    )
    left, right = st.columns(2)
    data["precision"] = left.selectbox(
        "Precision",
        options=[str(p) for p in Precision],
        format_func=lambda value: Precision(value).label,
        index=list(Precision).index(plan.precision),
        key=_key("precision"),
    )
    data["mfu"] = right.number_input(
        "MFU (model FLOPs utilisation)",
        value=plan.mfu,
        step=0.05,
        format="%.2f",
        key=_key("mfu"),
        help="The fraction of the GPUs' dense peak the run sustains, in (0, 1].",
    )
    left, right = st.columns(2)
    data["scale_out_efficiency"] = left.number_input(
        "Scale-out efficiency per doubling of instances",
        value=plan.scale_out_efficiency,
        step=0.01,
        format="%.2f",
        key=_key("scale"),
    )
    data["bytes_per_param"] = right.number_input(
        "Bytes per parameter (16: mixed-precision Adam)",
        value=plan.bytes_per_param,
        step=1.0,
        key=_key("bytes"),
    )
    left, right = st.columns(2)
    data["sharded"] = left.checkbox(
        "Shard weights and optimizer state (ZeRO-3 / FSDP)", value=plan.sharded, key=_key("shard")
    )
    data["recompute"] = right.checkbox(
        "Full activation recomputation (8·N·D)", value=plan.recompute, key=_key("recompute")
    )


def _instance_label(name: str) -> str:
    catalog = cache.catalog()
    inst = catalog.instances.get(name)
    if inst is None:
        return name
    return f"{name} ({inst.gpu_count} × {inst.gpu_model}, {inst.provider})"


def _pricing_inputs(plan: training.TrainingPlan, data: dict[str, Any]) -> None:
    left, right = st.columns(2)
    data["pricing"] = left.selectbox(
        "Pricing",
        options=[str(p) for p in RunPricing],
        format_func=lambda value: RunPricing(value).label,
        index=list(RunPricing).index(plan.pricing),
        key=_key("pricing"),
    )
    deadline = right.number_input(
        "Deadline, hours (0: none)",
        min_value=0.0,
        value=plan.deadline_hours or 0.0,
        step=12.0,
        key=_key("deadline"),
    )
    data["deadline_hours"] = deadline or None
    catalog = cache.catalog()
    instance = catalog.instances.get(str(data["instance_type"]))
    default = training.spot_rate_default(
        str(data["instance_type"]), instance.region if instance else "us-east-1"
    )
    use_default = st.checkbox(
        f"Interruption rate from the Spot Advisor: {default.per_hour:.2g} per instance-hour",
        value=plan.interruptions_per_instance_hour is None,
        key=_key("default_rate"),
        help=default.basis + ". " + default.notes,
    )
    if use_default:
        data["interruptions_per_instance_hour"] = None
    else:
        data["interruptions_per_instance_hour"] = st.number_input(
            "Interruptions per instance-hour",
            value=plan.interruptions_per_instance_hour or default.per_hour,
            step=0.001,
            format="%.5f",
            key=_key("rate"),
        )
    left, right = st.columns(2)
    data["checkpoint_minutes"] = left.number_input(
        "Checkpoint write, minutes",
        value=plan.checkpoint_minutes,
        step=1.0,
        key=_key("checkpoint"),
    )
    data["restart_minutes"] = right.number_input(
        "Restart, minutes", value=plan.restart_minutes, step=1.0, key=_key("restart")
    )
    left, right = st.columns(2)
    data["simulations"] = left.number_input(
        "Simulated runs",
        min_value=100,
        max_value=200_000,
        value=plan.simulations,
        step=5000,
        key=_key("sims"),
    )
    data["seed"] = right.number_input(
        "Random seed", min_value=0, value=plan.seed, step=1, key=_key("seed")
    )


def _schedule_inputs(plan: training.TrainingPlan, scenario: Scenario, data: dict[str, Any]) -> None:
    left, middle, right = st.columns(3)
    data["models_per_month"] = left.number_input(
        "Models shipped per month",
        min_value=0.0,
        value=plan.models_per_month,
        step=0.5,
        format="%.3f",
        key=_key("models"),
    )
    data["experiments_per_model"] = middle.number_input(
        "Experiments and sweeps per model",
        min_value=0.0,
        value=plan.experiments_per_model,
        step=1.0,
        format="%.2f",
        key=_key("experiments"),
    )
    data["experiment_fraction"] = right.number_input(
        "Size of an experiment, fraction of a run",
        value=plan.experiment_fraction,
        step=0.1,
        format="%.2f",
        key=_key("fraction"),
    )
    names = ["", *(w.name for w in scenario.training)]
    if plan.workload and plan.workload not in names:
        names.append(plan.workload)
    chosen = st.selectbox(
        "Training workload this plan stands for (its cost on the Overview)",
        options=names,
        index=names.index(plan.workload or ""),
        format_func=lambda name: name or "(none)",
        key=_key("workload"),
    )
    data["workload"] = chosen or None


def _baseline_inputs(plan: training.TrainingPlan, data: dict[str, Any]) -> None:
    base = plan.baseline
    enabled = st.checkbox(
        "Compare with a baseline (the lever waterfall starts from it)",
        value=base is not None,
        key=_key("baseline"),
    )
    if not enabled:
        data["baseline"] = None
        return
    base = base or training.TrainingBaseline()
    st.caption("Leave a field as the plan's to keep it; the waterfall moves only what differs.")
    left, right = st.columns(2)
    pricing = left.selectbox(
        "Baseline pricing",
        options=[_SAME, *(str(p) for p in RunPricing)],
        format_func=lambda v: v if v == _SAME else RunPricing(v).label,
        index=0 if base.pricing is None else 1 + list(RunPricing).index(base.pricing),
        key=_key("b_pricing"),
    )
    precision = right.selectbox(
        "Baseline precision",
        options=[_SAME, *(str(p) for p in Precision)],
        format_func=lambda v: v if v == _SAME else Precision(v).label,
        index=0 if base.precision is None else 1 + list(Precision).index(base.precision),
        key=_key("b_precision"),
    )
    left, right = st.columns(2)
    params = left.number_input(
        "Baseline parameters, billions (0: as the plan)",
        min_value=0.0,
        value=(base.params or 0.0) / 1e9,
        step=0.1,
        format="%.3f",
        key=_key("b_params"),
    )
    tokens = right.number_input(
        "Baseline tokens, billions (0: as the plan)",
        min_value=0.0,
        value=(base.tokens or 0.0) / 1e9,
        step=1.0,
        format="%.3f",
        key=_key("b_tokens"),
    )
    left, right = st.columns(2)
    experiments = left.number_input(
        "Baseline experiments per model (-1: as the plan)",
        min_value=-1.0,
        value=-1.0 if base.experiments_per_model is None else base.experiments_per_model,
        step=1.0,
        format="%.2f",
        key=_key("b_experiments"),
    )
    fraction = right.number_input(
        "Baseline experiment size (0: as the plan)",
        min_value=0.0,
        value=base.experiment_fraction or 0.0,
        step=0.1,
        format="%.2f",
        key=_key("b_fraction"),
    )
    data["baseline"] = {
        "pricing": None if pricing == _SAME else pricing,
        "precision": None if precision == _SAME else precision,
        "params": params * 1e9 or None,
        "tokens": tokens * 1e9 or None,
        "experiments_per_model": None if experiments < 0 else experiments,
        "experiment_fraction": fraction or None,
    }


def _edited(scenario: Scenario) -> tuple[Scenario | None, str | None]:
    plan = scenario.training_plan
    assert plan is not None  # noqa: S101 - only called with a plan
    data: dict[str, Any] = scenario_to_mapping(scenario)["training_plan"]
    tabs = st.tabs(["Model", "Hardware", "Pricing and spot", "Schedule", "Baseline"])
    with tabs[0]:
        _model_inputs(plan, data)
    with tabs[1]:
        _hardware_inputs(plan, data)
    with tabs[2]:
        _pricing_inputs(plan, data)
    with tabs[3]:
        _schedule_inputs(plan, scenario, data)
    with tabs[4]:
        _baseline_inputs(plan, data)
    mapping = scenario_to_mapping(scenario)
    mapping["training_plan"] = data
    try:
        return scenario_from_mapping(mapping), None
    except PlannerInputError as error:
        return None, str(error)


# --------------------------------------------------------------------------- charts


def _signed_usd(value: float) -> str:
    return f"{'−' if value < 0 else '+'}{usd(abs(value))}"


def _waterfall_chart(steps: pd.DataFrame) -> alt.LayerChart:
    rows = []
    for position, row in enumerate(steps.itertuples()):
        lever = str(row.lever)
        if lever in {"baseline", "plan"}:
            start, end, kind = 0.0, float(row.usd_per_month), "total"
        else:
            end = float(row.usd_per_month)
            start = end - float(row.change_usd_per_month)
            kind = "saving" if end < start else "increase"
        short = str(row.step).split(" (")[0]
        rows.append(
            {
                "order": position,
                "step": short,
                "detail": str(row.step),
                "start": start,
                "end": end,
                "kind": kind,
                "label": usd(end) if kind == "total" else _signed_usd(end - start),
            }
        )
    frame = pd.DataFrame(rows)
    colours = alt.Scale(
        domain=["total", "saving", "increase"], range=["#4c78a8", "#54a24b", "#e45756"]
    )
    y = alt.Y(
        "step:N", sort=alt.EncodingSortField("order"), title=None, axis=alt.Axis(labelLimit=320)
    )
    bars = (
        alt.Chart(frame, title="How each lever moves the monthly training cost")
        .mark_bar()
        .encode(
            x=alt.X("start:Q", title="USD per month", axis=alt.Axis(format="$,.0f")),
            x2="end:Q",
            y=y,
            color=alt.Color("kind:N", scale=colours, legend=None),
            tooltip=[
                alt.Tooltip("detail:N", title="Step"),
                alt.Tooltip("end:Q", title="USD/month after", format="$,.2f"),
                alt.Tooltip("label:N", title="Change"),
            ],
        )
    )
    text = (
        bars.mark_text(align="left", dx=4)
        .encode(x=alt.X("max_x:Q"), text="label:N", color=alt.value("#333"))
        .transform_calculate(max_x="max(datum.start, datum.end)")
    )
    return (bars + text).properties(height=alt.Step(36))


def _histogram_chart(
    samples: Any, title: str, unit: str, marks: dict[str, float], money: bool
) -> alt.LayerChart:
    frame = training.histogram_frame(samples)
    fmt = "$,.0f" if money else ",.1f"
    bars = (
        alt.Chart(frame, title=title)
        .mark_bar(color="#4c78a8")
        .encode(
            x=alt.X("start:Q", title=unit, axis=alt.Axis(format=fmt), bin="binned"),
            x2="end:Q",
            y=alt.Y("share:Q", title="Share of runs", axis=alt.Axis(format="%")),
            tooltip=[
                alt.Tooltip("start:Q", title="From", format=fmt),
                alt.Tooltip("end:Q", title="To", format=fmt),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
            ],
        )
    )
    rules_frame = pd.DataFrame({"mark": list(marks), "value": list(marks.values())})
    rules = (
        alt.Chart(rules_frame)
        .mark_rule(strokeDash=[4, 3], size=2)
        .encode(
            x="value:Q",
            color=alt.Color("mark:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip("mark:N"), alt.Tooltip("value:Q", format=fmt)],
        )
    )
    return (bars + rules).properties(height=260)


# 1e9 → "1B", 2e7 → "20M": Vega's SI "G" reads oddly for parameter counts.
_COUNT_LABEL = (
    "datum.value >= 1e12 ? format(datum.value / 1e12, '~g') + 'T' : "
    "datum.value >= 1e9 ? format(datum.value / 1e9, '~g') + 'B' : "
    "datum.value >= 1e6 ? format(datum.value / 1e6, '~g') + 'M' : format(datum.value, '~s')"
)


def _frontier_chart(curve: pd.DataFrame, chosen: dict[str, float]) -> alt.LayerChart:
    base = alt.Chart(curve, title="Cost-vs-loss frontier: the best model at each budget")
    line = base.mark_line(color="#4c78a8").encode(
        x=alt.X("budget_usd:Q", scale=alt.Scale(type="log")), y="loss:Q"
    )
    dots = base.mark_circle(size=40, color="#4c78a8").encode(
        x=alt.X(
            "budget_usd:Q",
            scale=alt.Scale(type="log"),
            title="Budget for the final run (USD)",
            axis=alt.Axis(format="$,.0f"),
        ),
        y=alt.Y("loss:Q", scale=alt.Scale(zero=False), title="Predicted loss"),
        opacity=alt.Opacity(
            "in_fit_range:N",
            scale=alt.Scale(domain=[False, True], range=[0.25, 1]),
            legend=None,
        ),
        tooltip=[
            alt.Tooltip("budget_usd:Q", title="Budget", format="$,.0f"),
            alt.Tooltip("params:Q", title="Parameters", format=".3s"),
            alt.Tooltip("tokens:Q", title="Tokens", format=".3s"),
            alt.Tooltip("loss:Q", title="Loss", format=".4f"),
        ],
    )
    point = (
        alt.Chart(pd.DataFrame([chosen]))
        .mark_point(size=180, filled=True, color="#e45756", shape="diamond")
        .encode(
            x="budget_usd:Q",
            y="loss:Q",
            tooltip=[
                alt.Tooltip("budget_usd:Q", title="The plan's run", format="$,.0f"),
                alt.Tooltip("loss:Q", title="Loss", format=".4f"),
            ],
        )
    )
    return (line + dots + point).properties(height=300)


def _isocost_chart(profile: pd.DataFrame, chosen: dict[str, float]) -> alt.LayerChart:
    line = (
        alt.Chart(profile, title="The same budget split differently: loss against model size")
        .mark_line()
        .encode(
            x=alt.X(
                "params:Q",
                scale=alt.Scale(type="log"),
                title="Parameters",
                axis=alt.Axis(labelExpr=_COUNT_LABEL),
            ),
            y=alt.Y("loss:Q", scale=alt.Scale(zero=False), title="Predicted loss"),
            tooltip=[
                alt.Tooltip("params:Q", title="Parameters", format=".3s"),
                alt.Tooltip("tokens:Q", title="Tokens", format=".3s"),
                alt.Tooltip("loss:Q", title="Loss", format=".4f"),
            ],
        )
    )
    point = (
        alt.Chart(pd.DataFrame([chosen]))
        .mark_point(size=180, filled=True, color="#e45756", shape="diamond")
        .encode(x="params:Q", y="loss:Q")
    )
    return (line + point).properties(height=300)


def _breakdown_chart(frame: pd.DataFrame) -> alt.Chart:
    chart: alt.Chart = (
        alt.Chart(frame, title="Monthly training cost by component")
        .mark_bar(color="#4c78a8")
        .encode(
            x=alt.X("usd_per_month:Q", title="USD per month", axis=alt.Axis(format="$,.0f")),
            y=alt.Y("component:N", title=None, sort=None),
            tooltip=[
                alt.Tooltip("component:N", title="Component"),
                alt.Tooltip("usd_per_month:Q", title="USD/month", format="$,.2f"),
            ],
        )
        .properties(height=alt.Step(34))
    )
    return chart


# --------------------------------------------------------------------------- results


def _delta(value: float, base: float | None) -> str | None:
    if base is None or base == 0:
        return None
    return f"{value / base - 1:+.0%} vs baseline"


def _metrics(report: training.TrainingReport) -> None:
    run, base = report.run, report.baseline
    cols = st.columns(5)
    cols[0].metric(
        "Cost per run",
        usd(run.cost_usd),
        _delta(run.cost_usd, base.cost_usd if base else None),
        delta_color="inverse",
        help="Expected cost of one final run, with spot overhead where it applies.",
    )
    cols[1].metric(
        "Cost per month",
        usd(run.cost_per_month_usd),
        _delta(run.cost_per_month_usd, base.cost_per_month_usd if base else None),
        delta_color="inverse",
        help=(
            f"{run.runs_per_month:.3g} run-equivalents a month: models × (1 + experiments × size)."
        ),
    )
    cols[2].metric(
        "Wall-clock per run",
        f"{run.wall_clock_hours:,.1f} h",
        _delta(run.wall_clock_hours, base.wall_clock_hours if base else None),
        delta_color="inverse",
    )
    cols[3].metric("GPU-hours per run", f"{run.gpu_hours:,.0f}")
    loss_change = (
        run.loss - base.loss
        if run.loss is not None and base is not None and base.loss is not None
        else None
    )
    cols[4].metric(
        "Predicted loss",
        f"{run.loss:.4f}" if run.loss is not None else "n/a",
        (
            f"{loss_change:+.4f} vs baseline"
            if loss_change is not None and abs(loss_change) >= 5e-5
            else None
        ),
        delta_color="inverse",
        help=(
            law_fit(run.plan.law).source
            + (". The same as the baseline's." if loss_change is not None else "")
        ),
    )


def _basis(report: training.TrainingReport) -> None:
    run = report.run
    memory = run.memory
    st.caption(
        f"**Model:** {training.human_count(run.params)} parameters on "
        f"{training.human_count(run.tokens)} tokens ({run.size_basis}); "
        f"{run.flops:.3g} FLOPs ({'8' if run.plan.recompute else '6'}·N·D). "
        f"**Throughput:** {run.throughput.basis}. **Uninterrupted:** {run.compute_hours:,.1f} h. "
        f"**Price:** {usd(run.price.usd_per_instance_hour)}/instance-hour ({run.price.basis})."
    )
    if memory.fits is False:
        st.warning(
            f"Memory: {memory.per_gpu_gb:,.1f} GB of state per GPU against "
            f"{memory.gpu_memory_gb:g} GB: it needs at least {memory.min_instances} instances. "
            f"Assumed {memory.assumption}.",
            icon=":material/memory:",
        )
    else:
        fits = "fits" if memory.fits else "cannot be checked"
        st.caption(
            f"**Memory** {fits}: {memory.state_gb:,.1f} GB of state, {memory.per_gpu_gb:,.1f} GB "
            f"per GPU (assumed {memory.assumption})."
        )


def _workload_link(scenario: Scenario, report: training.TrainingReport) -> None:
    run = report.run
    plan = run.plan
    workload = training.as_workload(run, plan.workload or plan.name)
    if workload is None:
        st.caption(
            f"The Overview cannot hold this run as one training workload "
            f"({plan.pricing.label} pricing has no single catalog tier)."
        )
        return
    existing = [w for w in scenario.training if w.name == workload.name]
    if existing and training.workload_matches(existing[0], workload):
        st.caption(
            f"The Overview's training workload **{workload.name}** costs this run "
            f"({existing[0].hours_per_run:,.2f} h × {existing[0].instance_count} × "
            f"{existing[0].instance_type}, {workload.runs_per_month:.4g} runs a month)."
        )
        return
    label = (
        f"Make the Overview's workload “{workload.name}” cost this run"
        if existing
        else f"Add this run to the Overview as training workload “{workload.name}”"
    )
    if st.button(label, key=_key("apply")):
        others = [w for w in scenario.training if w.name != workload.name]
        rounded = replace(workload, hours_per_run=round(workload.hours_per_run, 4))
        new_plan = replace(plan, workload=workload.name)
        original = scenario.training_plan
        assert original is not None  # noqa: S101 - the page has a plan
        state.update(
            replace(
                scenario,
                training=(*others, rounded),
                training_plan=replace(original, workload=new_plan.workload),
            )
        )
        st.rerun()


def _levers_tab(report: training.TrainingReport) -> None:
    if report.waterfall is None:
        st.info(
            "Add a baseline (Assumptions → Baseline) to see how spot with checkpointing, "
            "precision, right-sizing and fewer wasted experiments each move the cost.",
            icon=":material/waterfall_chart:",
        )
        return
    st.altair_chart(_waterfall_chart(report.waterfall), width="stretch")
    st.caption(
        "Levers are applied one after another in this order; every bar is a run the model "
        "prices. Spot costs are expectations at the best checkpoint interval."
    )
    st.dataframe(
        report.waterfall,
        hide_index=True,
        width="stretch",
        column_config={
            "step": st.column_config.TextColumn("Step", width="large"),
            "lever": None,
            "usd_per_month": st.column_config.NumberColumn("USD/month", format="dollar"),
            "change_usd_per_month": st.column_config.NumberColumn("Change", format="dollar"),
            "usd_per_model": st.column_config.NumberColumn("USD/model", format="dollar"),
            "usd_per_run": st.column_config.NumberColumn("USD/run", format="dollar"),
            "wall_clock_hours": st.column_config.NumberColumn("Hours/run", format="%.1f"),
            "loss": st.column_config.NumberColumn("Loss", format="%.4f"),
        },
    )


def _spot_tab(report: training.TrainingReport) -> None:
    st.dataframe(
        report.comparison,
        hide_index=True,
        width="stretch",
        column_config={
            "pricing": None,
            "label": "Pricing",
            "expected_cost_usd": st.column_config.NumberColumn("Expected/run", format="dollar"),
            "p50_cost_usd": st.column_config.NumberColumn("P50/run", format="dollar"),
            "p90_cost_usd": st.column_config.NumberColumn("P90/run", format="dollar"),
            "expected_hours": st.column_config.NumberColumn("Expected h", format="%.1f"),
            "p50_hours": st.column_config.NumberColumn("P50 h", format="%.1f"),
            "p90_hours": st.column_config.NumberColumn("P90 h", format="%.1f"),
            "deadline_probability": st.column_config.NumberColumn("P(deadline)", format="percent"),
            "usd_per_month": st.column_config.NumberColumn("USD/month", format="dollar"),
            "note": st.column_config.TextColumn("Note", width="large"),
        },
    )
    spot_run = report.spot_run
    spot = spot_run.spot if spot_run else None
    if spot is None:
        st.info("No spot price for this instance type, so no spot distribution.")
        return
    st.caption(
        f"Spot: {spot.interruptions_per_instance_hour:.3g} interruptions per instance-hour "
        f"({spot.rate_basis}), {spot.job_rate_per_hour:.3g} per hour for the job. "
        f"Best plan: {training.checkpoint_note(spot)}; Young {spot.young_interval_hours:,.2f} h, "
        f"Daly {spot.daly_interval_hours:,.2f} h. Expected overhead "
        f"{spot.expected_overhead_fraction:.1%}. {spot.simulations:,} simulated runs, "
        f"seed {spot.seed}."
    )
    marks_h = {"P50": spot.p50_hours, "P90": spot.p90_hours}
    if spot.deadline_hours is not None:
        marks_h["Deadline"] = spot.deadline_hours
    left, right = st.columns(2)
    left.altair_chart(
        _histogram_chart(spot.hours, "Wall-clock of a spot run", "Hours", marks_h, False),
        width="stretch",
    )
    right.altair_chart(
        _histogram_chart(
            spot.costs,
            "Cost of a spot run",
            "USD",
            {"P50": spot.p50_cost_usd, "P90": spot.p90_cost_usd},
            True,
        ),
        width="stretch",
    )


def _size_tab(report: training.TrainingReport) -> None:
    run = report.run
    budget = report.frontier_budget_usd
    if report.frontier is None or report.isocost is None or run.loss is None or budget is None:
        st.info(report.frontier_note)
        return
    left, right = st.columns(2)
    left.altair_chart(
        _frontier_chart(report.frontier, {"budget_usd": budget, "loss": run.loss}),
        width="stretch",
    )
    right.altair_chart(
        _isocost_chart(report.isocost, {"params": run.params, "loss": run.loss}),
        width="stretch",
    )
    st.caption(
        report.frontier_note + " Faded points are outside the model sizes the law was fitted on."
    )
    sweep = report.inference_sweep
    if sweep is not None and not sweep.empty:
        st.markdown(
            f"**Serving changes the best model.** The cheapest model with the plan's predicted "
            f"loss ({run.loss:.4f}), counting training and lifetime inference at about 2·N "
            "FLOPs a token (Sardana et al. 2023): the more it will serve, the smaller it gets "
            "and the longer it trains."
        )
        st.dataframe(
            sweep,
            hide_index=True,
            width="stretch",
            column_config={
                "inference_tokens": st.column_config.NumberColumn(
                    "Lifetime inference tokens", format="%.3g"
                ),
                "params": st.column_config.NumberColumn("Parameters", format="%.3g"),
                "tokens": st.column_config.NumberColumn("Training tokens", format="%.3g"),
                "tokens_per_param": st.column_config.NumberColumn("Tokens/param", format="%.1f"),
                "train_cost_usd": st.column_config.NumberColumn("Training", format="dollar"),
                "inference_cost_usd": st.column_config.NumberColumn("Inference", format="dollar"),
                "total_cost_usd": st.column_config.NumberColumn("Total", format="dollar"),
                "plan": st.column_config.CheckboxColumn("The plan's"),
            },
        )


def _page(scenario: Scenario) -> None:
    header = st.container()
    results = st.container()
    st.subheader("Assumptions")
    st.caption("Every change updates the numbers above and the share link.")
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
    try:
        report = cache.training_report(scenario)
    except PlannerInputError as error:
        results.error(str(error), icon=":material/error:")
        return
    with results:
        _metrics(report)
        _basis(report)
        for check in training.plan_checks(scenario, evaluate(scenario, cache.catalog())):
            note = st.warning if check.severity == assumption_checks.Severity.WARNING else st.info
            note(f"**{check.subject}**: {check.message}", icon=":material/fact_check:")
        _workload_link(scenario, report)
        tabs = st.tabs(["Levers", "Spot and deadline", "Model size", "Cost breakdown"])
        with tabs[0]:
            _levers_tab(report)
        with tabs[1]:
            _spot_tab(report)
        with tabs[2]:
            _size_tab(report)
        with tabs[3]:
            st.altair_chart(_breakdown_chart(training.cost_breakdown(report.run)), width="stretch")


sidebar.scenario_controls()
for notice in state.take_notices():
    st.error(notice, icon=":material/link_off:")

current = state.scenario()
st.title(f"Training: {current.title}")
if current.training_plan is None:
    st.info(
        "This scenario has no training plan. A plan prices one run in detail: FLOPs from the "
        "model size, time from the GPUs' peak and MFU, spot with checkpoint-restart, and the "
        "model a budget should train.",
        icon=":material/model_training:",
    )
    if st.button("Start a training plan", key=_key("start"), type="primary"):
        state.update(
            replace(current, training_plan=training.starter_plan(current, cache.catalog()))
        )
        st.rerun()
else:
    _page(current)

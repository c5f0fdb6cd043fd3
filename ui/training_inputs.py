"""The Training page's inputs: tabs of widgets that project one of the scenario's training
jobs.

:func:`edited_job` draws them and returns the scenario they describe, checked by the
schema, so the share link carries every input and an impossible value gets the same message
as in a YAML file.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from planner.catalog import load_model_architectures, spot_rate_default, training_assumption
from planner.costing import training
from planner.models.sizing import law_fit
from planner.scenario import Scenario, scenario_to_mapping
from planner.scenario.training import RunPricing, TrainingBaseline, TrainingJob, TrainingPrecision
from ui import cache, inputs, page
from ui.widgets import Number, labelled_choice, number, numbers

_MODES = {
    "hours": "I know how long a run takes",
    "given": "I know its size",
    "target": "Cheapest model for a target loss",
    "budget": "Lowest loss for a budget",
    "baseline": "Right-size the baseline (same predicted loss)",
}
_SAME = "(as the plan)"

_COUNT = Number("instance_count", "Instances", "count", {"min_value": 1, "step": 1})
_MFU = Number(
    "mfu",
    "MFU (model FLOPs utilisation)",
    "mfu",
    {
        "step": 0.05,
        "format": "%.2f",
        "help": "Model FLOPs (6·N + 12·L·H·Q·T per token, PaLM's definition) per second over "
        "the GPUs' dense peak, in (0, 1]; the time follows from it. For fp8, against the "
        "bf16 peak.",
    },
)
_SEQ_LEN = Number(
    "seq_len",
    "Sequence length, tokens",
    "seq_len",
    {"min_value": 1, "step": 1024, "help": "The attention FLOPs grow with it."},
)
_NODE_MTBF = Number(
    "node_mtbf_hours",
    "Node MTBF, hours (0: from the Llama 3 run)",
    "node_mtbf",
    {"min_value": 0.0, "step": 1000.0},
    optional=True,
)
# The preset list's first entry: no preset, the shape follows from the parameters.
_NO_PRESET = "(none: shape from the parameters)"
_SCALING = (
    Number(
        "scale_out_efficiency",
        "Scale-out efficiency per doubling of instances",
        "scale",
        {"step": 0.01, "format": "%.2f"},
    ),
    Number(
        "bytes_per_param", "Bytes per parameter (16: mixed-precision Adam)", "bytes", {"step": 1.0}
    ),
)
_DEADLINE = Number(
    "deadline_hours",
    "Deadline, hours (0: none)",
    "deadline",
    {"min_value": 0.0, "step": 12.0},
    optional=True,
)
_RESTARTS = (
    Number("checkpoint_minutes", "Checkpoint write, minutes", "checkpoint", {"step": 1.0}),
    Number("restart_minutes", "Restart, minutes", "restart", {"step": 1.0}),
)
_SIMULATION = (
    Number(
        "simulations",
        "Simulated runs",
        "sims",
        {"min_value": 100, "max_value": 200_000, "step": 5000},
    ),
    Number("seed", "Random seed", "seed", {"min_value": 0, "step": 1}),
)
_BILLION = 1e9
_SCHEDULE = (
    Number(
        "models_per_month",
        "Models shipped per month",
        "models",
        {"min_value": 0.0, "step": 0.5, "format": "%.3f"},
    ),
    Number(
        "experiments_per_model",
        "Experiments and sweeps per model",
        "experiments",
        {"min_value": 0.0, "step": 1.0, "format": "%.2f"},
    ),
    Number(
        "experiment_fraction",
        "Size of an experiment, fraction of a run",
        "fraction",
        {"step": 0.1, "format": "%.2f"},
    ),
)
# How the inputs show each field, so a refused value is named by its label, in its unit.
_SHOWN = {
    spec.name: page.Shown(spec.label)
    for spec in (
        _COUNT,
        _MFU,
        _SEQ_LEN,
        _NODE_MTBF,
        *_SCALING,
        _DEADLINE,
        *_RESTARTS,
        *_SIMULATION,
        *_SCHEDULE,
    )
} | {
    "name": page.Shown("Job name"),
    "hours_per_run": page.Shown("Hours per run, uninterrupted"),
    "params": page.Shown("Parameters, billions", _BILLION),
    "tokens": page.Shown("Training tokens, billions", _BILLION),
    "inference_tokens": page.Shown("Lifetime inference tokens per model, billions", _BILLION),
    "baseline.params": page.Shown("Baseline parameters, billions", _BILLION),
    "baseline.tokens": page.Shown("Baseline tokens, billions", _BILLION),
    "target_loss": page.Shown("Target loss"),
    "budget_usd": page.Shown("Budget for one final run, USD"),
}


def key(name: str) -> str:
    """The key of a Training-page widget."""
    return page.widget_key("tp", name)


def edited_job(scenario: Scenario, index: int) -> page.Edit:
    """Draw the inputs of training job ``index`` in tabs; return the scenario they describe,
    or why none."""
    plan = scenario.training[index]
    data = scenario_to_mapping(scenario)
    section: dict[str, Any] = data["training"][index]
    section["name"] = st.text_input(
        "Job name", value=plan.name, max_chars=120, key=key(f"name_{index}")
    )
    tabs = st.tabs(["Model", "Hardware", "Pricing and spot", "Schedule", "Baseline"])
    with tabs[0]:
        _model_inputs(plan, section)
    with tabs[1]:
        _hardware_inputs(plan, section)
    with tabs[2]:
        _pricing_inputs(plan, section)
    with tabs[3]:
        numbers(section, _SCHEDULE, key)
    with tabs[4]:
        _baseline_inputs(plan, section)
    baseline = section.get("baseline")
    if section.get("hours_per_run") is not None and baseline:
        # Stated hours have no model size to right-size: the baseline keeps its other levers.
        baseline["params"] = baseline["tokens"] = None
    return inputs.edited_scenario(data, _SHOWN)


def _model_inputs(plan: TrainingJob, data: dict[str, Any]) -> None:
    mode = st.radio(
        "How big is the model?",
        options=list(_MODES),
        format_func=_MODES.__getitem__,
        index=list(_MODES).index("hours" if plan.stated_hours else training.size_mode(plan)),
        key=key("mode"),
    )
    law = labelled_choice(
        st,
        "Scaling law",
        plan.law,
        key("law"),
        help=(
            "L(N, D) = E + A/N^α + B/D^β. The Epoch replication refits Hoffmann et al.'s data; "
            "the 20-tokens rule allocates compute but predicts no loss."
        ),
    )
    data["law"] = law
    # Only the chosen way of sizing the model may be set: resolve_size would take another first.
    for field in ("hours_per_run", "params", "tokens", "target_loss", "budget_usd"):
        data[field] = None
    if mode == "hours":
        data["hours_per_run"] = st.number_input(
            "Hours per run, uninterrupted",
            min_value=0.01,
            max_value=100_000.0,
            value=plan.hours_per_run or 24.0,
            step=1.0,
            key=key("hours"),
            help="Spot adds checkpoints, lost work and restarts on top of these hours.",
        )
        return
    if mode == "given":
        left, right = st.columns(2)
        data["params"] = _billions(
            left, "Parameters, billions", plan.params or 1e9, "params", step=0.1
        )
        data["tokens"] = _billions(
            right, "Training tokens, billions", plan.tokens or 2e10, "tokens", step=1.0
        )
    elif mode == "target":
        data["target_loss"] = st.number_input(
            "Target loss",
            value=plan.target_loss or 2.5,
            step=0.01,
            format="%.3f",
            key=key("target"),
            help=f"Above the law's irreducible loss E ({law_fit(law).E or 'none'}).",
        )
    elif mode == "budget":
        data["budget_usd"] = st.number_input(
            "Budget for one final run, USD (with lifetime inference, if any)",
            value=plan.budget_usd or 10_000.0,
            step=1000.0,
            key=key("budget"),
        )
    st.caption(
        "Right-sizing needs a baseline with its own parameters and tokens (Baseline tab); "
        "the plan then trains the cheapest model with the same predicted loss."
        if mode == "baseline"
        else "With a baseline, the lever waterfall right-sizes from its model to this one."
    )
    data["inference_tokens"] = _billions(
        st,
        "Lifetime inference tokens per model, billions (0: none)",
        plan.inference_tokens,
        "inference",
        min_value=0.0,
        step=100.0,
        fmt=None,
        help="At about 2·N FLOPs per token. More inference favours a smaller model trained "
        "longer (Sardana et al. 2023).",
    )


def _billions(
    where: Any, label: str, count: float, name: str, *, fmt: str | None = "%.3f", **options: Any
) -> float:
    """A count of parameters or tokens, typed in billions."""
    return 1e9 * where.number_input(label, value=count / 1e9, format=fmt, key=key(name), **options)


def _hardware_inputs(plan: TrainingJob, data: dict[str, Any]) -> None:
    catalog = cache.catalog()
    names = training.instance_choices(plan, catalog)
    left, right = st.columns(2)
    data["instance_type"] = left.selectbox(
        "Instance type",
        options=names,
        index=names.index(plan.instance_type),
        format_func=lambda name: training.instance_label(name, catalog),
        key=key("instance"),
    )
    number(right, data, _COUNT, key)
    left, right = st.columns(2)
    presets = [_NO_PRESET, *load_model_architectures()]
    chosen = left.selectbox(
        "Model preset (layers and heads for the attention FLOPs)",
        options=presets,
        index=presets.index(plan.model) if plan.model in presets else 0,
        key=key("model"),
    )
    data["model"] = None if chosen == _NO_PRESET else chosen
    number(right, data, _SEQ_LEN, key)
    left, right = st.columns(2)
    data["precision"] = labelled_choice(left, "Precision", plan.precision, key("precision"))
    number(right, data, _MFU, key)
    numbers(data, _SCALING, key)
    left, right = st.columns(2)
    data["sharded"] = left.checkbox(
        "Shard weights and optimizer state (ZeRO-3 / FSDP)", value=plan.sharded, key=key("shard")
    )
    data["recompute"] = right.checkbox(
        "Full activation recomputation (adds hardware FLOPs; the MFU is unchanged)",
        value=plan.recompute,
        key=key("recompute"),
        help="Reported as the HFU, 4/3 of the MFU; the time follows the MFU.",
    )


def _pricing_inputs(plan: TrainingJob, data: dict[str, Any]) -> None:
    left, right = st.columns(2)
    data["pricing"] = labelled_choice(left, "Pricing", plan.pricing, key("pricing"))
    number(right, data, _DEADLINE, key)
    instance = cache.catalog().instances.get(str(data["instance_type"]))
    default = spot_rate_default(
        str(data["instance_type"]), instance.region if instance else "us-east-1"
    )
    use_default = st.checkbox(
        f"Interruption rate from the Spot Advisor: {default.per_hour:.2g} per instance-hour",
        value=plan.interruptions_per_instance_hour is None,
        key=key("default_rate"),
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
            key=key("rate"),
        )
    numbers(data, _RESTARTS, key)
    figure = training_assumption("gpu_interruptions_per_gpu_hour")
    st.caption(
        f"Every tier has hardware failures: by default {figure.value:.3g} per GPU-hour "
        f"({figure.source}). A node MTBF replaces it."
    )
    number(st, data, _NODE_MTBF, key)
    numbers(data, _SIMULATION, key)


def _as_plan_or(
    where: Any, label: str, current: RunPricing | TrainingPrecision | None, kind: type, name: str
) -> str | None:
    """A select box of ``kind`` headed by "as the plan" (``None``)."""
    options = [_SAME, *(str(item) for item in kind)]
    chosen: str = where.selectbox(
        label,
        options=options,
        format_func=lambda value: value if value == _SAME else kind(value).label,
        index=0 if current is None else options.index(current),
        key=key(name),
    )
    return None if chosen == _SAME else chosen


def _baseline_inputs(plan: TrainingJob, data: dict[str, Any]) -> None:
    base = plan.baseline
    enabled = st.checkbox(
        "Compare with a baseline (the lever waterfall starts from it)",
        value=base is not None,
        key=key("baseline"),
    )
    if not enabled:
        data["baseline"] = None
        return
    base = base or TrainingBaseline()
    st.caption("Leave a field as the plan's to keep it; the waterfall moves only what differs.")
    left, right = st.columns(2)
    pricing = _as_plan_or(left, "Baseline pricing", base.pricing, RunPricing, "b_pricing")
    precision = _as_plan_or(
        right, "Baseline precision", base.precision, TrainingPrecision, "b_precision"
    )
    left, right = st.columns(2)
    params = _billions(
        left,
        "Baseline parameters, billions (0: as the plan)",
        base.params or 0.0,
        "b_params",
        min_value=0.0,
        step=0.1,
    )
    tokens = _billions(
        right,
        "Baseline tokens, billions (0: as the plan)",
        base.tokens or 0.0,
        "b_tokens",
        min_value=0.0,
        step=1.0,
    )
    left, right = st.columns(2)
    experiments = left.number_input(
        "Baseline experiments per model (-1: as the plan)",
        min_value=-1.0,
        value=-1.0 if base.experiments_per_model is None else base.experiments_per_model,
        step=1.0,
        format="%.2f",
        key=key("b_experiments"),
    )
    fraction = right.number_input(
        "Baseline experiment size (0: as the plan)",
        min_value=0.0,
        value=base.experiment_fraction or 0.0,
        step=0.1,
        format="%.2f",
        key=key("b_fraction"),
    )
    data["baseline"] = {
        "pricing": pricing,
        "precision": precision,
        "params": params or None,
        "tokens": tokens or None,
        "experiments_per_model": None if experiments < 0 else experiments,
        "experiment_fraction": fraction or None,
    }

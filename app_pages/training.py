"""Training: what a run costs, on spot with checkpoint-restart, and how big a model to train.

Every input projects one of the scenario's training jobs, so the share link carries them and
the Overview prices the same job the same way. Edits go back through the schema: an
impossible value gets the same message as in a YAML file, and the last valid job stays on
screen.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from planner.costing import training
from planner.scenario import Scenario
from planner.views import training_charts
from ui import cache, page, state, training_inputs

_NUMBER = st.column_config.NumberColumn


def _levers_tab(report: training.TrainingReport) -> None:
    if report.waterfall is None:
        st.info(
            "Add a baseline (Assumptions → Baseline) to see how spot with checkpointing, "
            "precision, right-sizing and fewer wasted experiments each move the cost.",
            icon=":material/waterfall_chart:",
        )
        return
    st.altair_chart(training_charts.waterfall_chart(report.waterfall), width="stretch")
    st.caption(
        "Each bar is the lever's Shapley saving: its saving averaged over every order of "
        "applying the levers, from every combination the model prices, so no order is "
        'favoured and the bars add up to the plan. "Alone" is the lever applied by itself '
        "to the baseline. Spot costs are expectations at the best checkpoint interval."
    )
    st.dataframe(
        report.waterfall,
        hide_index=True,
        width="stretch",
        placeholder=page.NOT_APPLICABLE,
        column_config={
            "step": st.column_config.TextColumn("Step", width="large"),
            "lever": None,
            "usd_per_month": _NUMBER("USD/month", format="dollar"),
            "change_usd_per_month": _NUMBER("Change", format="dollar"),
            "saving_usd_per_month": _NUMBER("Shapley saving", format="dollar"),
            "solo_usd_per_month": _NUMBER("Alone", format="dollar"),
            "usd_per_model": _NUMBER("USD/model", format="dollar"),
            "usd_per_run": _NUMBER("USD/run", format="dollar"),
            "wall_clock_hours": _NUMBER("Hours/run", format="%.1f"),
            "loss": _NUMBER("Loss", format="%.4f"),
        },
    )


def _spot_tab(report: training.TrainingReport) -> None:
    st.dataframe(
        report.comparison,
        hide_index=True,
        width="stretch",
        placeholder=page.NOT_APPLICABLE,
        column_config={
            "pricing": None,
            "label": "Pricing",
            "expected_cost_usd": _NUMBER("Expected/run", format="dollar"),
            "p50_cost_usd": _NUMBER("P50/run", format="dollar"),
            "p90_cost_usd": _NUMBER("P90/run", format="dollar"),
            "expected_hours": _NUMBER("Expected h", format="%.1f"),
            "p50_hours": _NUMBER("P50 h", format="%.1f"),
            "p90_hours": _NUMBER("P90 h", format="%.1f"),
            "deadline_probability": _NUMBER("P(deadline)", format="percent"),
            "usd_per_month": _NUMBER("USD/month", format="dollar"),
            "note": st.column_config.TextColumn("Note", width="large"),
        },
    )
    spot = report.spot_run.spot if report.spot_run else None
    if spot is None:
        st.info("No spot price for this instance type, so no spot distribution.")
        return
    st.caption(training.spot_note(spot))
    for column, chart in zip(st.columns(2), training_charts.spot_charts(spot), strict=True):
        column.altair_chart(chart, width="stretch")


def _size_tab(report: training.TrainingReport) -> None:
    run = report.run
    budget = report.frontier_budget_usd
    if report.frontier is None or report.isocost is None or run.loss is None or budget is None:
        st.info(report.frontier_note)
        return
    left, right = st.columns(2)
    left.altair_chart(
        training_charts.frontier_chart(report.frontier, budget, run.loss), width="stretch"
    )
    right.altair_chart(
        training_charts.isocost_chart(report.isocost, run.params, run.loss), width="stretch"
    )
    st.caption(
        report.frontier_note + " Faded points are outside the model sizes the law was fitted on."
    )
    sweep = report.inference_sweep
    if sweep is None or sweep.empty:
        return
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
            "inference_tokens": _NUMBER("Lifetime inference tokens", format="%.3g"),
            "params": _NUMBER("Parameters", format="%.3g"),
            "tokens": _NUMBER("Training tokens", format="%.3g"),
            "tokens_per_param": _NUMBER("Tokens/param", format="%.1f"),
            "train_cost_usd": _NUMBER("Training", format="dollar"),
            "inference_cost_usd": _NUMBER("Inference", format="dollar"),
            "total_cost_usd": _NUMBER("Total", format="dollar"),
            "plan": st.column_config.CheckboxColumn("The plan's"),
        },
    )


def _results(report: training.TrainingReport) -> None:
    run = report.run
    page.figures(training.headline(report))
    st.caption(training.basis_note(run))
    if run.memory is not None and run.memory.fits is False:
        st.warning(training.memory_note(run.memory), icon=":material/memory:")
    elif run.memory is not None:
        st.caption(training.memory_note(run.memory))
    page.checks(training.plan_checks(run, report.baseline))
    tabs = st.tabs(["Levers", "Spot and deadline", "Model size", "Cost breakdown"])
    with tabs[0]:
        _levers_tab(report)
    with tabs[1]:
        _spot_tab(report)
    with tabs[2]:
        _size_tab(report)
    with tabs[3]:
        st.altair_chart(
            training_charts.breakdown_chart(training.cost_breakdown(run)), width="stretch"
        )


def _with_job(scenario: Scenario) -> Scenario:
    name = page.unique_name("training run", (job.name for job in scenario.training))
    state.select("training", name)
    return replace(scenario, training=(*scenario.training, training.starter_job(name)))


current = page.start()
st.title(f"Training: {page.plain_text(current.title)}")
if not current.training:
    page.offer_start(
        "This scenario trains nothing yet. A training job prices one run: its hours as you "
        "state them, or FLOPs from the model size and time from the GPUs' peak and MFU; spot "
        "with checkpoint-restart; and the model a budget should train.",
        icon=":material/model_training:",
        label="Add a training job",
        key=training_inputs.key("start"),
        started=lambda: _with_job(current),
    )
else:
    index = page.choose_item(
        "training", [job.name for job in current.training], label="Training job", prefix="tp"
    )
    scenario, results = page.results_above_inputs(
        current,
        lambda base: training_inputs.edited_job(base, index),
        heading="Assumptions",
        caption="Every change updates the numbers above, the Overview and the share link.",
    )
    if index < len(scenario.training):
        report = page.computed(
            results, cache.training_report, scenario.training[index], scenario.pricing
        )
        if report is not None:
            with results:
                _results(report)
    if st.button("Add another training job", key=training_inputs.key("add")):
        state.update(_with_job(scenario))
        st.rerun()

"""The Plan page's question: a form that returns a :class:`~planner.scenario.planning.BudgetPlan`.

It starts from the scenario's ``budget_plan`` (or a first question), asks in the user's units
(dollars a month, requests a month, percent a year) and checks the answer through the
scenario schema, so a refused value gets the same message as in a YAML file.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import streamlit as st

from planner.catalog import CommitmentKind, PriceTier, ScalingLaw
from planner.core.errors import PlannerInputError
from planner.scenario import Scenario, scenario_from_mapping
from planner.scenario.planning import DEFAULT_GPUS, BudgetPlan
from planner.scenario.serving import ServingPrecision
from planner.scenario.training import RunPricing
from ui import cache, page

# The question a scenario without a budget_plan starts from.
FIRST_QUESTION = BudgetPlan(budget_usd_per_month=40_000.0)
_GOALS = {
    "budget": "A monthly budget: the lowest loss it buys",
    "target": "A target loss: the cheapest plan that reaches it",
}
# The 20-tokens rule predicts no loss, so there is nothing to trade against cost.
_LAWS = (ScalingLaw.EPOCH, ScalingLaw.HOFFMANN)
_PRECISION_WORDS = {
    ServingPrecision.FP16: "fp16 (unquantized)",
    ServingPrecision.FP8: "fp8",
    ServingPrecision.INT8: "int8",
    ServingPrecision.INT4: "int4",
}
_FLEXIBLE_TRAINING = (RunPricing.ON_DEMAND, RunPricing.SPOT)
_FLEXIBLE_SERVING = (PriceTier.ON_DEMAND, PriceTier.SPOT)


def key(name: str) -> str:
    """The key of a Plan-page widget."""
    return page.widget_key("pl", name)


def request_of(scenario: Scenario) -> BudgetPlan:
    """The question the form starts from: the scenario's, or the first one."""
    return scenario.budget_plan or FIRST_QUESTION


def edited_request(scenario: Scenario) -> page.Edit:
    """Draw the form; on submit, the scenario with its new ``budget_plan``, or why none.

    ``(None, None)`` until the form is submitted.
    """
    request, problem = request_form(request_of(scenario))
    if request is None:
        return None, problem
    if scenario.budget_plan is None or request != scenario.budget_plan:
        return replace(scenario, budget_plan=request), None
    return scenario, None


def request_form(base: BudgetPlan) -> tuple[BudgetPlan | None, str | None]:
    """The form, starting from ``base``; on submit the request it describes or why none,
    ``(None, None)`` before."""
    fields: dict[str, Any] = {}
    with st.form(key("form"), border=True):
        tabs = st.tabs(["Goal and traffic", "Hardware and tiers", "Training", "Latency and risk"])
        with tabs[0]:
            _goal_and_traffic(base, fields)
        with tabs[1]:
            _hardware(base, fields)
        with tabs[2]:
            _training(base, fields)
        with tabs[3]:
            _latency_and_risk(base, fields)
        submitted = st.form_submit_button("Plan", type="primary")
    if not submitted:
        return None, None
    try:
        checked = scenario_from_mapping({"budget_plan": fields}).budget_plan
    except PlannerInputError as error:
        return None, str(error)
    return checked, None


def _fraction(shown: float, chosen: float, stored: float) -> float:
    """A percent input as a fraction: the stored fraction while the input still shows it,
    so an untouched value makes no round trip through percent."""
    return stored if math.isclose(shown, chosen, abs_tol=1e-12) else chosen / 100


def _goal_and_traffic(base: BudgetPlan, fields: dict[str, Any]) -> None:
    goal_column, budget_column, loss_column = st.columns([2, 1, 1])
    goal = goal_column.radio(
        "Plan to",
        options=list(_GOALS),
        format_func=_GOALS.__getitem__,
        index=0 if base.target_loss is None else 1,
        key=key("goal"),
    )
    budget = budget_column.number_input(
        "Budget, USD a month",
        min_value=1.0,
        max_value=1e10,
        value=float(base.budget_usd_per_month or FIRST_QUESTION.budget_usd_per_month or 1.0),
        step=1000.0,
        format="%.0f",
        key=key("budget"),
        help="Training (the retrains a month) plus serving, after the commitments' saving.",
    )
    target = loss_column.number_input(
        "Target loss",
        min_value=0.01,
        max_value=100.0,
        value=float(base.target_loss or 2.1),
        step=0.01,
        format="%.3f",
        key=key("target"),
        help="The scaling law's predicted loss to reach at least cost.",
    )
    fields["budget_usd_per_month"] = budget if goal == "budget" else None
    fields["target_loss"] = target if goal == "target" else None
    requests, tokens_in, tokens_out, peak = st.columns(4)
    fields["requests_per_month"] = requests.number_input(
        "Requests a month",
        min_value=1.0,
        max_value=1e13,
        value=float(base.requests_per_month),
        step=100_000.0,
        format="%.0f",
        key=key("requests"),
    )
    fields["input_tokens"] = tokens_in.number_input(
        "Input tokens a request",
        min_value=1,
        max_value=2_000_000,
        value=base.input_tokens,
        step=100,
        key=key("input"),
    )
    fields["output_tokens"] = tokens_out.number_input(
        "Output tokens a request",
        min_value=1,
        max_value=200_000,
        value=base.output_tokens,
        step=50,
        key=key("output"),
    )
    p2a = peak.number_input(
        "Peak ÷ average (0: flat)",
        min_value=0.0,
        max_value=50.0,
        value=float(base.peak_to_average or 0.0),
        step=0.1,
        key=key("p2a"),
        help="The busiest hour's traffic over the mean; below 1 means flat through the day.",
    )
    fields["peak_to_average"] = p2a if p2a >= 1 else None
    growth, spread = st.columns(2)
    shown = 100 * base.growth_per_year
    chosen = growth.number_input(
        "Traffic growth, % a year",
        min_value=-90.0,
        max_value=1000.0,
        value=shown,
        step=5.0,
        key=key("growth"),
    )
    fields["growth_per_year"] = _fraction(shown, chosen, base.growth_per_year)
    shown = 100 * base.growth_uncertainty_per_year
    chosen = spread.number_input(
        "Growth uncertainty, % a year",
        min_value=0.0,
        max_value=200.0,
        value=shown,
        step=5.0,
        key=key("spread"),
        help="The spread (standard deviation) of the yearly log growth: the commitment "
        "portfolio is sized over demand paths drawn from it.",
    )
    fields["growth_uncertainty_per_year"] = _fraction(
        shown, chosen, base.growth_uncertainty_per_year
    )


def _hardware(base: BudgetPlan, fields: dict[str, Any]) -> None:
    known = sorted(cache.catalog().gpus)
    default = [gpu for gpu in base.gpus if gpu in known]
    fields["gpus"] = st.multiselect(
        "Candidate GPUs (for training and serving)",
        options=known,
        default=default,
        key=key("gpus"),
        help=f"The default: {', '.join(DEFAULT_GPUS)}.",
    )
    fields["precisions"] = _words(
        st,
        "Serving precisions",
        list(ServingPrecision),
        base.precisions,
        _PRECISION_WORDS.__getitem__,
        "precisions",
    )
    left, right = st.columns(2)
    fields["training_tiers"] = _words(
        left,
        "Training may buy",
        list(_FLEXIBLE_TRAINING),
        base.training_tiers,
        lambda tier: RunPricing(tier).label,
        "training_tiers",
        "Spot runs with checkpoint-restart at the best interval.",
    )
    fields["serving_tiers"] = _words(
        right,
        "Serving may buy",
        list(_FLEXIBLE_SERVING),
        base.serving_tiers,
        lambda tier: PriceTier(tier).label,
        "serving_tiers",
        "On-demand is needed: spot alone leaves nothing when it is reclaimed.",
    )
    fields["commitments"] = _words(
        st,
        "Commitments the portfolio may buy",
        list(CommitmentKind),
        base.commitments,
        lambda kind: CommitmentKind(kind).label,
        "commitments",
        "Reservations and savings plans, sized over their terms from the demand forecast "
        "and its uncertainty. None: everything is on-demand or spot.",
    )


def _words(
    where: Any,
    label: str,
    options: list[Any],
    chosen: Sequence[Any],
    words: Callable[[Any], str],
    name: str,
    help_text: str | None = None,
) -> list[str]:
    """A multiselect of choices shown as words, returning their stored values."""
    picked = where.multiselect(
        label,
        options=options,
        default=list(chosen),
        format_func=words,
        key=key(name),
        help=help_text,
    )
    return [str(choice) for choice in picked]


def _training(base: BudgetPlan, fields: dict[str, Any]) -> None:
    retrains, days, mfu, law = st.columns(4)
    fields["retrains_per_year"] = retrains.number_input(
        "Retrains a year",
        min_value=0.1,
        max_value=365.0,
        value=float(base.retrains_per_year),
        step=1.0,
        key=key("retrains"),
        help="Each model lives until the next: a month pays for retrains ÷ 12 runs.",
    )
    fields["max_training_days"] = days.number_input(
        "Longest run, days",
        min_value=0.5,
        max_value=365.0,
        value=float(base.max_training_days),
        step=1.0,
        key=key("days"),
        help="The plan adds instances until a run finishes within it.",
    )
    fields["mfu"] = mfu.number_input(
        "MFU (model FLOPs utilisation)",
        min_value=0.01,
        max_value=1.0,
        value=float(base.mfu),
        step=0.05,
        format="%.2f",
        key=key("mfu"),
    )
    laws = list(_LAWS)
    fields["law"] = str(
        law.selectbox(
            "Scaling law",
            options=laws,
            index=laws.index(base.law) if base.law in laws else 0,
            format_func=lambda item: ScalingLaw(item).label,
            key=key("law"),
        )
    )


def _latency_and_risk(base: BudgetPlan, fields: dict[str, Any]) -> None:
    ttft, tpot, stranded = st.columns(3)
    chosen = ttft.number_input(
        "Time to first token target, ms (0: none)",
        min_value=0.0,
        max_value=3_600_000.0,
        value=float(base.ttft_target_ms or 0.0),
        step=100.0,
        key=key("ttft"),
    )
    fields["ttft_target_ms"] = chosen or None
    chosen = tpot.number_input(
        "Time per output token target, ms (0: none)",
        min_value=0.0,
        max_value=60_000.0,
        value=float(base.tpot_target_ms or 0.0),
        step=10.0,
        key=key("tpot"),
    )
    fields["tpot_target_ms"] = chosen or None
    shown = 100 * (base.stranded_limit or 0.0)
    chosen = stranded.number_input(
        "Stranded commitment limit, % of spend (0: none)",
        min_value=0.0,
        max_value=100.0,
        value=shown,
        step=1.0,
        key=key("stranded"),
        help="The 90th-percentile commitment left unused stays under this share of spend.",
    )
    fields["stranded_limit"] = _fraction(shown, chosen, base.stranded_limit or 0.0) or None

"""The start page's questions: what the user is building, then a form in their own units.

Each form returns the scenario its answers make (:mod:`planner.scenario.starters` makes
it) and ``None``, or ``None`` and why there is none; ``(None, None)`` until it is submitted.
The widgets' limits are the schema's, in the unit shown, so most bad input cannot be typed.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from planner.catalog import load_model_architectures
from planner.core.errors import PlannerInputError
from planner.core.units import TrafficPeriod
from planner.scenario import Scenario
from planner.scenario.starters import (
    ApiAnswers,
    Building,
    ChatbotAnswers,
    TrainingAnswers,
    bill_to_split,
    chatbot,
    classic_api,
    gpu_instances,
    instance_label,
    recommender,
    training_run,
)
from ui import cache, page

_DEFAULT_PRESET = "Llama-3.1-8B"
_PERIOD_WORDS = {
    TrafficPeriod.SECOND: "per second",
    TrafficPeriod.DAY: "per day",
    TrafficPeriod.MONTH: "per month",
}


def building() -> Building | None:
    """The first question; ``None`` until the user answers it."""
    chosen: Building | None = st.radio(
        "What are you building?",
        options=list(Building),
        format_func=lambda item: Building(item).label,
        index=None,
        # The page's title asks the question.
        label_visibility="collapsed",
        key="_start_building",
    )
    return chosen


def answers(choice: Building) -> page.Edit:
    """The form for ``choice``: the scenario its answers make, or why there is none."""
    return _FORMS[choice]()


def _made(make: Callable[[], Scenario]) -> page.Edit:
    try:
        return make(), None
    except PlannerInputError as error:
        return None, str(error)


def _instance(label: str, default: str, key: str) -> str:
    catalog = cache.catalog()
    names = list(gpu_instances(catalog))
    chosen: str = st.selectbox(
        label,
        options=names,
        index=names.index(default),
        format_func=lambda name: instance_label(catalog.instance(name)),
        help="Type to search by GPU (L4, A100, H100...), provider or name. Prices are the "
        "catalog's on-demand list prices.",
        key=key,
    )
    return chosen


def _chatbot() -> page.Edit:
    presets = sorted(load_model_architectures())
    with st.form("_start_chatbot"):
        left, right = st.columns(2)
        conversations = left.number_input(
            "Conversations per month",
            min_value=1.0,
            max_value=1e12,
            value=100_000.0,
            step=10_000.0,
            format="%.0f",
            key="_start_conversations",
        )
        preset = right.selectbox(
            "Model", presets, index=presets.index(_DEFAULT_PRESET), key="_start_preset"
        )
        tokens_in = left.number_input(
            "Tokens in per conversation",
            min_value=1,
            max_value=2_000_000,
            value=1000,
            step=100,
            help="Everything the model reads: system prompt, history and the user's messages.",
            key="_start_tokens_in",
        )
        tokens_out = right.number_input(
            "Tokens out per conversation",
            min_value=1,
            max_value=200_000,
            value=250,
            step=50,
            help="Everything the model writes in the conversation.",
            key="_start_tokens_out",
        )
        instance = _instance("GPU instance", "g6e.xlarge", "_start_chat_instance")
        st.caption(_HONEST)
        if not st.form_submit_button("Price it", type="primary"):
            return None, None
    return _made(
        lambda: chatbot(
            ChatbotAnswers(
                conversations_per_month=conversations,
                input_tokens=int(tokens_in),
                output_tokens=int(tokens_out),
                preset=preset,
                instance_type=instance,
            )
        )
    )


_HONEST = (
    "Priced plainly to start: batch 1, a fixed fleet sized for the peak hour, on demand, "
    "traffic spread evenly over the day. Turn levers on afterwards; each change shows "
    "what it did."
)


def _api_questions(prefix: str, default_instance: str) -> ApiAnswers:
    left, mid, right = st.columns(3)
    requests = left.number_input(
        "Requests", min_value=0.0, max_value=1e13, value=50.0, step=10.0, format="%.0f"
    )
    period = mid.selectbox(
        "Counted",
        options=list(TrafficPeriod),
        index=0,
        format_func=lambda item: _PERIOD_WORDS[TrafficPeriod(item)],
        key=f"_{prefix}_period",
    )
    latency = right.number_input(
        "Time per request at batch 1, ms",
        min_value=0.01,
        max_value=600_000.0,
        value=20.0,
        step=5.0,
        help="Measured on the instance below, one request at a time, unquantized.",
    )
    instance = _instance("Instance", default_instance, f"_{prefix}_instance")
    return ApiAnswers(requests=requests, period=period, latency_ms=latency, instance_type=instance)


def _training_questions(prefix: str, default_instance: str, hours: float) -> TrainingAnswers:
    instance = _instance("Training instance", default_instance, f"_{prefix}_instance")
    left, mid, right = st.columns(3)
    count = left.number_input("Instances", min_value=1, max_value=10_000, value=1, step=1)
    hours_per_run = mid.number_input(
        "Hours per run", min_value=0.1, max_value=100_000.0, value=hours, step=1.0
    )
    runs = right.number_input(
        "Runs per month", min_value=0.0, max_value=10_000.0, value=1.0, step=1.0
    )
    return TrainingAnswers(
        instance_type=instance,
        instance_count=int(count),
        hours_per_run=hours_per_run,
        runs_per_month=runs,
    )


def _classic() -> page.Edit:
    with st.form("_start_classic"):
        api = _api_questions("start_classic", "g5.xlarge")
        st.caption(_HONEST)
        if not st.form_submit_button("Price it", type="primary"):
            return None, None
    return _made(lambda: classic_api(api))


def _recommender() -> page.Edit:
    with st.form("_start_recommender"):
        st.markdown("**The ranking API**")
        api = _api_questions("start_rec", "g5.xlarge")
        st.markdown("**Retraining the model**")
        retraining = _training_questions("start_rec_train", "g5.12xlarge", 4.0)
        st.caption(_HONEST)
        if not st.form_submit_button("Price it", type="primary"):
            return None, None
    return _made(lambda: recommender(api, retraining))


def _training() -> page.Edit:
    with st.form("_start_training"):
        run = _training_questions("start_train", "p5.48xlarge", 24.0)
        st.caption("On demand, uninterrupted; try spot and checkpointing on the Training page.")
        if not st.form_submit_button("Price it", type="primary"):
            return None, None
    return _made(lambda: training_run(run))


def _bill() -> page.Edit:
    st.caption(
        "The Attribution page splits a bill by team and model, starting from a sample bill; "
        "upload your own FOCUS or cloud billing export there."
    )
    if not st.button("Split a bill", type="primary", key="_start_bill"):
        return None, None
    return bill_to_split(), None


_FORMS: dict[Building, Callable[[], page.Edit]] = {
    Building.CHATBOT: _chatbot,
    Building.CLASSIC: _classic,
    Building.RECOMMENDER: _recommender,
    Building.TRAINING: _training,
    Building.BILL: _bill,
}

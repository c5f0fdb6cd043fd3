"""A first scenario from a few answers in the user's own units, and the page that answers them.

The start page asks "What are you building?" and a handful of questions (conversations a
month and tokens for a chatbot, requests and latency for a classic model...). Each function
here turns those answers into a :class:`~planner.scenario.Scenario` with honest settings:
batch 1, a fixed fleet, on demand, traffic spread evenly over the day and the week (the user
chose no shape), so the first number is what running it plainly costs and every lever the
user turns on later shows its own change.

>>> chat = chatbot(ChatbotAnswers(conversations_per_month=2_000_000, input_tokens=1200,
...                               output_tokens=300, preset="Llama-3.1-8B"))
>>> endpoint = chat.serving[0]
>>> round(endpoint.traffic.requests_per_day), endpoint.model.preset, endpoint.max_batch
(65753, 'Llama-3.1-8B', 1)
>>> Building.CHATBOT.page, lesson_page("training_50k_to_18k")
(<Landing.OVERVIEW: 'overview'>, <Landing.TRAINING: 'training'>)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from planner.catalog import Catalog, InstanceType, model_architecture
from planner.core.units import TrafficPeriod, per_day
from planner.scenario import Business, RequestUnit, Scenario, validated
from planner.scenario.finops import FinOps
from planner.scenario.serving import (
    DailyShape,
    Endpoint,
    ModelKind,
    ServedModel,
    Traffic,
    WeeklyShape,
)
from planner.scenario.training import TrainingJob


class Landing(enum.StrEnum):
    """A page of the app, by the stem of its script in ``app_pages/``."""

    OVERVIEW = "overview"
    TRAINING = "training"
    SERVING = "serving"
    ATTRIBUTION = "attribution"
    RECOVERY = "recovery"
    BUILD_VS_BUY = "build_vs_buy"
    PLAN = "plan"


class Building(enum.StrEnum):
    """What the user is building: the start page's first question."""

    CHATBOT = "chatbot"
    CLASSIC = "classic"
    RECOMMENDER = "recommender"
    TRAINING = "training"
    BILL = "bill"

    @property
    def label(self) -> str:
        """The choice in words.

        >>> Building.BILL.label
        'I have a bill to split'
        """
        return _BUILDING_LABELS[self]

    @property
    def page(self) -> Landing:
        """The page that answers the user's questions about it."""
        return _BUILDING_PAGES[self]


_BUILDING_LABELS = {
    Building.CHATBOT: "An LLM chatbot or API",
    Building.CLASSIC: "A classic model API (vision, tabular, embeddings...)",
    Building.RECOMMENDER: "A recommender (a ranking API and its retraining)",
    Building.TRAINING: "A training run",
    Building.BILL: "I have a bill to split",
}
# The whole system's cost is the question for a product being served; a training run's
# hours and a bill's owners have pages of their own.
_BUILDING_PAGES = {
    Building.CHATBOT: Landing.OVERVIEW,
    Building.CLASSIC: Landing.OVERVIEW,
    Building.RECOMMENDER: Landing.OVERVIEW,
    Building.TRAINING: Landing.TRAINING,
    Building.BILL: Landing.ATTRIBUTION,
}

# The gallery's cases (scenarios/*.yaml, by file stem), each on the page its lesson is about.
_LESSON_PAGES = {
    "attribution_400k": Landing.ATTRIBUTION,
    "build_vs_buy_mlflow_wandb": Landing.BUILD_VS_BUY,
    "finops_3x_over_budget": Landing.RECOVERY,
    "inference_8c_to_2c": Landing.SERVING,
    "training_50k_to_18k": Landing.TRAINING,
    "chatbot_40k_budget": Landing.PLAN,
}


def lesson_page(gallery_key: str) -> Landing:
    """The page a gallery case opens on; the Overview for a case with no page of its own.

    >>> lesson_page("finops_3x_over_budget"), lesson_page("blank")
    (<Landing.RECOVERY: 'recovery'>, <Landing.OVERVIEW: 'overview'>)
    """
    return _LESSON_PAGES.get(gallery_key, Landing.OVERVIEW)


def _even(requests_per_day: float) -> Traffic:
    """Traffic spread evenly over the day and the week: the user chose no shape, so none is
    assumed (the Serving page offers business hours, evening peaks and uploads)."""
    return Traffic(
        requests_per_day=requests_per_day,
        daily_shape=DailyShape.FLAT,
        weekly_shape=WeeklyShape.FLAT,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatbotAnswers:
    """An LLM chatbot or API: one conversation is one request of ``input_tokens`` in (the
    prompt and history it sends) and ``output_tokens`` out."""

    conversations_per_month: float
    input_tokens: int
    output_tokens: int
    preset: str
    instance_type: str = "g6e.xlarge"


def chatbot(answers: ChatbotAnswers) -> Scenario:
    """A scenario with one LLM endpoint serving the conversations.

    Raises
    ------
    PlannerInputError
        Naming the answer that is out of range, e.g. a model that is not a preset.
    """
    # Looked up now, so that the start page names a model that is not a preset, with close
    # ones, instead of the Overview failing later.
    model_architecture(answers.preset)
    model = ServedModel(
        kind=ModelKind.LLM,
        preset=answers.preset,
        input_tokens=answers.input_tokens,
        output_tokens=answers.output_tokens,
    )
    endpoint = Endpoint(
        name="chatbot",
        traffic=_even(per_day(answers.conversations_per_month, TrafficPeriod.MONTH)),
        model=model,
        instance_type=answers.instance_type,
    )
    return validated(
        Scenario(
            title=f"Chatbot on {answers.preset}",
            description=(
                f"{answers.conversations_per_month:,.0f} conversations a month, "
                f"{answers.input_tokens:,} tokens in and {answers.output_tokens:,} out each, "
                f"on {answers.instance_type} at batch 1, on demand, with a fixed fleet sized "
                "for the peak hour. Turn levers on (batching, INT8, spot, reservations) on "
                "the Serving page."
            ),
            serving=(endpoint,),
            # The unit costs read "per conversation", in the link and the YAML file too.
            business=Business(request_unit=RequestUnit.CONVERSATION),
        )
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiAnswers:
    """A classic model API (or a recommender's ranking API): ``requests`` per ``period``,
    each taking ``latency_ms`` at batch 1 on ``instance_type``."""

    requests: float
    period: TrafficPeriod
    latency_ms: float
    instance_type: str = "g5.xlarge"


def _api_endpoint(name: str, answers: ApiAnswers) -> Endpoint:
    return Endpoint(
        name=name,
        traffic=_even(per_day(answers.requests, answers.period)),
        model=ServedModel(kind=ModelKind.CLASSIC, latency_ms=answers.latency_ms),
        instance_type=answers.instance_type,
    )


def _api_description(answers: ApiAnswers) -> str:
    return (
        f"{answers.requests:,.0f} requests a {answers.period}, {answers.latency_ms:g} ms each "
        f"at batch 1 on {answers.instance_type}, on demand, with a fixed fleet sized for the "
        "peak hour."
    )


def classic_api(answers: ApiAnswers) -> Scenario:
    """A scenario with one classic-model endpoint.

    Raises
    ------
    PlannerInputError
        Naming the answer that is out of range.
    """
    return validated(
        Scenario(
            title="Classic model API",
            description=_api_description(answers),
            serving=(_api_endpoint("model API", answers),),
        )
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingAnswers:
    """A training run as the user knows it: ``instance_count`` × ``instance_type`` for
    ``hours_per_run`` hours, ``runs_per_month`` times a month."""

    instance_type: str = "p5.48xlarge"
    instance_count: int = 1
    hours_per_run: float
    runs_per_month: float = 1.0


def _job(name: str, answers: TrainingAnswers) -> TrainingJob:
    return TrainingJob(
        name=name,
        hours_per_run=answers.hours_per_run,
        instance_type=answers.instance_type,
        instance_count=answers.instance_count,
        models_per_month=answers.runs_per_month,
    )


def training_run(answers: TrainingAnswers) -> Scenario:
    """A scenario with one training job of stated hours.

    Raises
    ------
    PlannerInputError
        Naming the answer that is out of range.
    """
    return validated(
        Scenario(
            title="Training run",
            description=(
                f"{answers.instance_count} × {answers.instance_type} for "
                f"{answers.hours_per_run:g} h a run, {answers.runs_per_month:g} runs a month, "
                "on demand."
            ),
            training=(_job("training run", answers),),
        )
    )


def recommender(api: ApiAnswers, retraining: TrainingAnswers) -> Scenario:
    """A scenario with a ranking endpoint and the job that retrains its model.

    Raises
    ------
    PlannerInputError
        Naming the answer that is out of range.
    """
    return validated(
        Scenario(
            title="Recommender",
            description=(
                f"Ranking: {_api_description(api)} Retraining: {retraining.instance_count} × "
                f"{retraining.instance_type} for {retraining.hours_per_run:g} h, "
                f"{retraining.runs_per_month:g} times a month."
            ),
            serving=(_api_endpoint("ranking API", api),),
            training=(_job("ranking model retrain", retraining),),
        )
    )


def bill_to_split() -> Scenario:
    """A scenario for splitting a bill: the Attribution page's sample bill until the user
    uploads their own."""
    return Scenario(title="Splitting a cloud bill", finops=FinOps())


def gpu_instances(catalog: Catalog) -> tuple[str, ...]:
    """The catalog's accelerator instances with an on-demand price, cheapest first.

    >>> from planner.catalog import load_catalog
    >>> gpu_instances(load_catalog())[:2]
    ('Standard_NC4as_T4_v3', 'g4dn.xlarge')
    """
    priced = [
        item
        for item in catalog.instances.values()
        if item.gpu_count and item.on_demand_usd_per_hour is not None
    ]
    priced.sort(key=lambda item: (item.on_demand_usd_per_hour or 0.0, item.name))
    return tuple(item.name for item in priced)


def instance_label(instance: InstanceType) -> str:
    """An instance as a picker shows it: its GPUs, their memory and its price.

    >>> from planner.catalog import load_catalog
    >>> instance_label(load_catalog().instance("g6e.xlarge"))
    'g6e.xlarge: 1 × L40S 48 GB, $1.86/h (AWS)'
    """
    memory = f" {instance.gpu_memory_gb:g} GB" if instance.gpu_memory_gb else ""
    price = (
        f", ${instance.on_demand_usd_per_hour:,.2f}/h"
        if instance.on_demand_usd_per_hour is not None
        else ""
    )
    gpus = f"{instance.gpu_count} × {instance.gpu_model or 'GPU'}{memory}"
    return (
        f"{instance.name}: {gpus}{price} ({_PROVIDERS.get(instance.provider, instance.provider)})"
    )


_PROVIDERS = {"aws": "AWS", "gcp": "GCP", "azure": "Azure", "lambda": "Lambda"}

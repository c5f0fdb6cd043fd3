"""The start page's answers make honest scenarios, in the user's units."""

from __future__ import annotations

import pytest

from planner.catalog import PriceTier, load_catalog
from planner.core.errors import PlannerInputError
from planner.core.units import TrafficPeriod, per_day, per_period
from planner.costing.economics import evaluate
from planner.io.scenario_files import gallery
from planner.scenario.serving import DailyShape, ModelKind, WeeklyShape
from planner.scenario.starters import (
    ApiAnswers,
    Building,
    ChatbotAnswers,
    Landing,
    TrainingAnswers,
    bill_to_split,
    chatbot,
    classic_api,
    gpu_instances,
    lesson_page,
    recommender,
    training_run,
)

CHAT = ChatbotAnswers(
    conversations_per_month=2_000_000, input_tokens=1200, output_tokens=300, preset="Llama-3.1-8B"
)
API = ApiAnswers(requests=50, period=TrafficPeriod.SECOND, latency_ms=20)
RUN = TrainingAnswers(hours_per_run=24, instance_count=2, runs_per_month=3)


def test_a_chatbot_is_one_llm_endpoint_priced_plainly():
    endpoint = chatbot(CHAT).serving[0]
    assert endpoint.model.kind == ModelKind.LLM
    assert (endpoint.model.input_tokens, endpoint.model.output_tokens) == (1200, 300)
    assert endpoint.traffic.requests_per_day == pytest.approx(2_000_000 * 12 / 365)
    assert (endpoint.traffic.daily_shape, endpoint.traffic.weekly_shape) == (
        DailyShape.FLAT,
        WeeklyShape.FLAT,
    )
    assert endpoint.max_batch == 1
    assert not endpoint.autoscaling.enabled
    assert endpoint.mix.tiers == (PriceTier.ON_DEMAND,)


def test_a_chatbot_costs_the_same_per_conversation_as_its_requests():
    result = evaluate(chatbot(CHAT))
    assert result.monthly_cost_usd > 0
    assert result.per_request_usd == pytest.approx(
        result.monthly_cost_usd / (2_000_000 * 12 / 365) / (365 / 12)
    )


def test_an_unknown_model_is_explained():
    with pytest.raises(PlannerInputError, match="Llama-9"):
        chatbot(
            ChatbotAnswers(
                conversations_per_month=1, input_tokens=1, output_tokens=1, preset="Llama-9"
            )
        )


def test_an_unknown_instance_is_explained():
    with pytest.raises(PlannerInputError, match=r"nope\.xlarge"):
        evaluate(
            classic_api(
                ApiAnswers(
                    requests=1, period=TrafficPeriod.DAY, latency_ms=5, instance_type="nope.xlarge"
                )
            )
        )


@pytest.mark.parametrize("period", list(TrafficPeriod))
def test_traffic_periods_round_trip(period):
    assert per_period(per_day(1234.5, period), period) == pytest.approx(1234.5)


def test_every_start_prices_without_error():
    for scenario in (chatbot(CHAT), classic_api(API), training_run(RUN), recommender(API, RUN)):
        assert evaluate(scenario).monthly_cost_usd > 0
    assert evaluate(bill_to_split()).monthly_cost_usd == 0
    assert bill_to_split().finops is not None


def test_every_choice_lands_on_a_page_and_reads_as_words():
    for building in Building:
        assert isinstance(building.page, Landing)
        assert "_" not in building.label


def test_every_gallery_case_has_a_page():
    pages = {entry.key: lesson_page(entry.key) for entry in gallery()}
    assert pages["training_50k_to_18k"] == Landing.TRAINING
    assert pages["attribution_400k"] == Landing.ATTRIBUTION
    assert set(pages.values()) <= set(Landing)


def test_the_gpu_picker_lists_only_priced_accelerators():
    catalog = load_catalog()
    names = gpu_instances(catalog)
    assert "g6e.xlarge" in names
    assert all(catalog.instance(n).gpu_count > 0 for n in names)

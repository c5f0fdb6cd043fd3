"""The start page: what the user is building, a few questions, then the page that answers."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from planner.core.formatting import usd_short
from planner.costing.economics import evaluate
from planner.io.share import encode
from planner.scenario.starters import Building, ChatbotAnswers, chatbot
from tests.app.conftest import open_app


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def choose(at: AppTest, building: Building) -> AppTest:
    at.radio(key="_start_building").set_value(building).run()
    assert not at.exception
    return at


def test_the_start_asks_what_the_user_is_building(app):
    assert not app.exception
    assert app.title[0].value == "What are you building?"
    labels = app.radio(key="_start_building").options
    assert labels == [building.label for building in Building]


def test_the_chatbot_answers_land_on_the_overview_per_conversation(app):
    at = choose(app, Building.CHATBOT)
    at.number_input(key="_start_conversations").set_value(2_000_000.0)
    at.number_input(key="_start_tokens_in").set_value(1200)
    at.number_input(key="_start_tokens_out").set_value(300)
    at.button[0].click().run()
    assert not at.exception
    expected = evaluate(
        chatbot(
            ChatbotAnswers(
                conversations_per_month=2_000_000,
                input_tokens=1200,
                output_tokens=300,
                preset="Llama-3.1-8B",
            )
        )
    )
    assert at.title[0].value.startswith("Chatbot on Llama")
    assert metric(at, "Monthly cost") == usd_short(expected.monthly_cost_usd)
    assert metric(at, "Per conversation") == usd_short(expected.per_request_usd)
    assert metric(at, "Per 1,000 conversations") == usd_short(expected.per_1k_requests_usd)
    assert at.query_params["s"], "the link carries the new scenario"
    # A colleague who opens the link reads the same unit.
    opened = open_app({"s": at.query_params["s"]}, page="app_pages/overview.py")
    assert not opened.exception
    assert metric(opened, "Per conversation") == usd_short(expected.per_request_usd)


@pytest.mark.parametrize("building", [Building.CLASSIC, Building.RECOMMENDER])
def test_an_api_lands_on_the_overview_with_a_cost(app, building):
    at = choose(app, building)
    at.button[0].click().run()
    assert not at.exception
    assert not at.error
    assert metric(at, "Monthly cost") != "$0.00"
    assert metric(at, "Per request").startswith("$")


def test_a_bill_lands_on_attribution(app):
    at = choose(app, Building.BILL)
    at.button(key="_start_bill").click().run()
    assert not at.exception
    assert at.title[0].value.startswith("Attribution")


def test_an_edit_after_the_start_shows_its_change_beside_the_total(app):
    at = choose(app, Building.CLASSIC)
    at.button[0].click().run()
    total = next(m for m in at.metric if m.label == "Monthly cost")
    assert not total.delta, "no change yet: the scenario was just made"
    at.session_state["_storage_1"] = {
        "edited_rows": {},
        "added_rows": [{"name": "datasets", "gb": 100_000}],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    total = next(m for m in at.metric if m.label == "Monthly cost")
    assert total.delta.startswith("this change: +$")
    assert total.delta.endswith("/month")


def test_a_link_still_opens_on_the_overview():
    scenario = chatbot(
        ChatbotAnswers(
            conversations_per_month=1000, input_tokens=10, output_tokens=10, preset="Llama-3.1-8B"
        )
    )
    at = open_app({"s": encode(scenario)})
    assert not at.exception
    assert at.title[0].value.startswith("Chatbot on Llama")


def test_a_scenario_file_opened_on_the_start_page_lands_on_the_overview(app):
    upload = next(u for u in app.get("file_uploader") if u.proto.label.startswith("Open a"))
    upload.set_value(
        ("mine.yaml", b"title: Mine\ntooling:\n  - {name: x, usd_per_month: 1234}\n", "text/yaml")
    ).run()
    assert not app.exception
    assert app.title[0].value == "Mine"
    assert metric(app, "Monthly cost") == "$1,234"


def test_a_training_run_lands_on_the_training_page(app):
    at = choose(app, Building.TRAINING)
    at.button[0].click().run()
    assert not at.exception
    assert at.title[0].value == "Training: Training run"
    assert metric(at, "Cost per run").startswith("$")

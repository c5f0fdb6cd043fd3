"""A product manager's first task in a real browser, from an empty session: cost a chatbot on
an 8B model (2 million conversations a month, 1,200 tokens in and 300 out), then try INT8
and see what that change did."""

from __future__ import annotations

from dataclasses import replace

import pytest

from planner.core.formatting import usd_change, usd_short
from planner.costing.economics import evaluate
from planner.scenario.serving import ServingPrecision
from planner.scenario.starters import ChatbotAnswers, chatbot
from tests.e2e.conftest import READY

pytestmark = pytest.mark.browser

ANSWERS = ChatbotAnswers(
    conversations_per_month=2_000_000, input_tokens=1200, output_tokens=300, preset="Llama-3.1-8B"
)
CHAT = chatbot(ANSWERS)


def _metric(page, label: str):  # type: ignore[no-untyped-def]
    return page.locator("[data-testid='stMetric']", has_text=label).first


def _shown(page, want: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        "want => [...document.querySelectorAll(\"[data-testid='stMetric']\")]"
        ".some(e => e.innerText.includes(want))",
        arg=want,
        timeout=120_000,
    )


def _nav(page, name: str):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=name, exact=True)


def _fill(page, label: str, value: str) -> None:  # type: ignore[no-untyped-def]
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Tab")


def test_the_chatbot_task_from_an_empty_session(server, page):
    page.goto(server)
    page.wait_for_selector(READY, timeout=60_000)
    page.get_by_role("heading", name="What are you building?").wait_for(timeout=60_000)
    page.get_by_text("An LLM chatbot or API").click()
    page.get_by_label("Conversations per month").wait_for(timeout=60_000)
    _fill(page, "Conversations per month", "2000000")
    _fill(page, "Tokens in per conversation", "1200")
    _fill(page, "Tokens out per conversation", "300")
    # Llama-3.1-8B is the model the form starts with; the title says it is what was priced.
    page.get_by_role("button", name="Price it").click()

    page.get_by_role("heading", name="Chatbot on Llama-3.1-8B").wait_for(timeout=60_000)
    page.wait_for_selector(READY, timeout=60_000)
    expected = evaluate(CHAT)
    _shown(page, usd_short(expected.monthly_cost_usd))
    monthly = _metric(page, "Monthly cost").locator("[data-testid='stMetricValue']")
    assert monthly.inner_text() == usd_short(expected.monthly_cost_usd)
    per_conversation = _metric(page, "Per conversation").locator("[data-testid='stMetricValue']")
    assert per_conversation.inner_text() == usd_short(expected.per_request_usd)
    assert "Traceback" not in page.content()

    # INT8 on the Serving page; back on the Overview the total shows that change's own delta.
    _nav(page, "Serving").click()
    page.wait_for_selector(READY, timeout=60_000)
    page.get_by_role("tab", name="Model").click()
    page.get_by_label("Precision (plan)").click()
    page.get_by_role("option", name="8-bit integer (INT8)", exact=True).click()
    page.get_by_role("button", name="Apply").click()
    page.wait_for_selector(READY, timeout=60_000)
    endpoint = CHAT.serving[0]
    int8 = replace(
        CHAT,
        serving=(
            replace(endpoint, model=replace(endpoint.model, precision=ServingPrecision.INT8)),
        ),
    )
    change = evaluate(int8).monthly_cost_usd - expected.monthly_cost_usd
    _nav(page, "Overview").click()
    page.wait_for_selector(READY, timeout=60_000)
    _shown(page, usd_change(change))
    assert monthly.inner_text() == usd_short(evaluate(int8).monthly_cost_usd)
    assert "Traceback" not in page.content()

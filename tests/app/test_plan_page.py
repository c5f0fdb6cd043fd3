"""The Plan-to-a-budget page, as a user's session runs it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from planner.core.formatting import usd
from planner.costing.economics import evaluate
from planner.io.share import decode, encode
from planner.planning import plan_to_budget
from planner.scenario import Scenario
from planner.scenario.planning import BudgetPlan
from planner.views.plan_charts import billions
from tests.app.conftest import open_app

PAGE = "app_pages/plan.py"
SUBMIT = "FormSubmitter:_pl_form_0-Plan"
CHATBOT = BudgetPlan(
    budget_usd_per_month=40_000.0,
    requests_per_month=2e6,
    input_tokens=1200,
    output_tokens=300,
)


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def dollars(text: str) -> float:
    return float(text.replace("$", "").replace(",", ""))


def ask(at, *, budget: float, requests: float, tokens_in: int, tokens_out: int):
    at.number_input(key="_pl_budget_0").set_value(budget)
    at.number_input(key="_pl_requests_0").set_value(requests)
    at.number_input(key="_pl_input_0").set_value(tokens_in)
    at.number_input(key="_pl_output_0").set_value(tokens_out)
    at.button(key=SUBMIT).click().run()
    assert not at.exception
    return at


@pytest.fixture(scope="module")
def chatbot():
    """The $40,000 chatbot question, asked through the form of an empty scenario."""
    at = open_app({"s": encode(Scenario(title="Chatbot"))}, page=PAGE)
    assert not at.exception
    return ask(at, budget=40_000.0, requests=2e6, tokens_in=1200, tokens_out=300)


def test_the_page_asks_first_then_plans_the_default_question():
    at = open_app(page=PAGE)
    assert not at.exception
    assert any("press Plan" in info.value for info in at.info)
    at.button(key=SUBMIT).click().run()
    assert not at.exception
    assert not at.error
    assert at.session_state["scenario"].budget_plan is not None
    assert metric(at, "Monthly cost").startswith("$")


def test_the_page_gives_the_clis_plan_within_the_budget(chatbot):
    """The page and ``python -m planner plan`` answer the same question the same way."""
    assert not chatbot.error
    assert chatbot.session_state["scenario"].budget_plan == CHATBOT
    expected = plan_to_budget(CHATBOT)
    shown = metric(chatbot, "Monthly cost")
    assert shown == usd(expected.monthly_cost_usd)
    assert dollars(shown) <= 40_000.0
    assert metric(chatbot, "Predicted loss") == f"{expected.loss:.4f}"
    assert metric(chatbot, "Model size, parameters") == billions(expected.params)
    assert len(chatbot.get("vega_lite_chart")) == 1
    assert any("The next \\$1,000 a month buys: loss" in c.value for c in chatbot.caption)


def test_the_question_is_in_the_share_link(chatbot):
    shared = decode(chatbot.query_params["s"]).scenario
    assert shared is not None
    assert shared.budget_plan == CHATBOT
    reopened = open_app({"s": chatbot.query_params["s"]}, page=PAGE)
    assert not reopened.exception
    assert metric(reopened, "Monthly cost") == metric(chatbot, "Monthly cost")


def test_a_budget_too_small_gives_the_smallest_that_works():
    at = open_app({"s": encode(Scenario(title="Tiny"))}, page=PAGE)
    ask(at, budget=100.0, requests=2e6, tokens_in=1200, tokens_out=300)
    assert not at.error
    request = replace(CHATBOT, budget_usd_per_month=100.0)
    smallest = plan_to_budget(request).min_budget_usd
    assert smallest is not None
    (warning,) = at.warning
    assert "No plan fits" in warning.value
    assert f"The smallest budget that works: **{usd(smallest)} a month**" in warning.value
    assert not at.get("vega_lite_chart")


def test_apply_puts_the_plan_into_the_scenario_at_the_same_cost():
    at = open_app({"s": encode(Scenario(title="Chatbot", budget_plan=CHATBOT))}, page=PAGE)
    assert not at.exception
    shown = metric(at, "Monthly cost")
    at.button(key="_pl_apply_0").click().run()
    assert not at.exception
    applied = at.session_state["scenario"]
    assert [job.name for job in applied.training] == ["planned model"]
    assert [endpoint.name for endpoint in applied.serving] == ["planned endpoint"]
    assert usd(evaluate(applied).monthly_cost_usd) == shown
    assert any("This plan is in the scenario" in s.value for s in at.success)
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception
    assert metric(at, "Monthly cost") == shown

"""AppTest of the Build vs buy page: the lesson-05 case, edits, and bad input."""

from __future__ import annotations

import pytest

from planner.costing import buildbuy
from planner.io.scenario_files import GALLERY_DIR, read_scenario
from planner.io.share import encode
from tests.app.conftest import open_app

PAGE = "app_pages/build_vs_buy.py"
LESSON = read_scenario(GALLERY_DIR / "build_vs_buy_mlflow_wandb.yaml")


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def apply(at):
    next(b for b in at.button if b.label == "Apply").click().run()
    return at


@pytest.fixture
def lesson_page():
    at = open_app({"s": encode(LESSON)}, PAGE)
    assert not at.exception
    return at


def test_the_lesson_case_shows_its_tco_and_checks(lesson_page):
    at = lesson_page
    assert metric(at, "Self-hosted MLflow") == "$129,600"
    assert metric(at, "Weights & Biases") == "$90,000"
    assert metric(at, "Build minus buy") == "+$39,600"
    assert metric(at, "Break-even month") == "none"
    assert metric(at, "Break-even team size") == "21 seats"
    assert "Weights & Biases is cheaper over 36 months" in at.success[0].value
    # Check notes are shown Markdown-escaped (ui.page.plain_text); compare the text as read.
    warnings = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "$127,000" in warnings
    assert "27.0 engineer-days" in warnings
    labels = [d.proto.label for d in at.get("download_button")]
    assert "Download business case (HTML)" in labels


def test_an_edit_updates_the_numbers_and_the_link(lesson_page):
    at = lesson_page
    at.number_input(key="_bvb_opp_0").set_value(0.0)
    apply(at)
    assert not at.exception
    assert metric(at, "Self-hosted MLflow") == "$57,600"
    assert metric(at, "Break-even month") == "month 5"
    scenario = at.session_state["scenario"]
    assert buildbuy.tco(scenario).build_usd == pytest.approx(57_600)
    assert at.query_params["s"] == encode(scenario)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("_bvb_horizon_0", 0, "horizon_months = 0: Input should be greater than or equal to 1"),
        ("_bvb_team_0", -3, "team_size = -3: Input should be greater than or equal to 0"),
    ],
)
def test_bad_input_is_explained_and_the_scenario_kept(lesson_page, key, value, message):
    at = lesson_page
    at.number_input(key=key).set_value(value)
    apply(at)
    assert not at.exception
    assert any(message in e.value for e in at.error)
    assert metric(at, "Self-hosted MLflow") == "$129,600"
    assert at.session_state["scenario"] == LESSON


def test_a_scenario_without_a_comparison_offers_the_lesson():
    at = open_app(page=PAGE)
    assert not at.exception
    assert "has no build-vs-buy comparison yet" in at.info[0].value
    next(b for b in at.button if b.label == "Open the MLflow vs W&B case").click().run()
    assert not at.exception
    assert metric(at, "Weights & Biases") == "$90,000"


def test_adding_a_comparison_keeps_the_rest_of_the_scenario():
    at = open_app(page=PAGE)
    before = at.session_state["scenario"]
    next(b for b in at.button if b.label == "Add a comparison to this scenario").click().run()
    assert not at.exception
    after = at.session_state["scenario"]
    assert after.serving == before.serving
    assert after.business_case.build_vs_buy == LESSON.business_case.build_vs_buy
    assert metric(at, "Build minus buy") == "+$39,600"


@pytest.mark.parametrize(
    "page",
    ["app_pages/overview.py", PAGE, "app_pages/compare.py", "app_pages/sensitivity.py"],
)
def test_the_page_offers_the_business_case(page):
    at = open_app({"s": encode(LESSON)}, page)
    assert not at.exception
    labels = [d.proto.label for d in at.get("download_button")]
    assert "Download business case (HTML)" in labels
    assert "Markdown" in labels

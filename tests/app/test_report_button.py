"""AppTest of the report's title and question inputs: an edit replaces the scenario, so the
share link and the report carry it."""

from __future__ import annotations

from planner.io import share
from planner.io.scenario_files import GALLERY_DIR, read_scenario
from tests.app.conftest import open_app

LESSON = read_scenario(GALLERY_DIR / "build_vs_buy_mlflow_wandb.yaml")
OVERVIEW = read_scenario(GALLERY_DIR / "inference_8c_to_2c.yaml")


def _linked(at):
    return share.decode(at.query_params["s"]).scenario


def test_editing_the_title_and_question_moves_the_link():
    at = open_app({"s": share.encode(LESSON)}, "app_pages/build_vs_buy.py")
    assert not at.exception
    title = next(w for w in at.text_input if w.label == "Title")
    assert title.value == LESSON.title
    title.set_value("MLflow or W&B for 40 seats?").run()
    question = next(w for w in at.text_area if w.label == "Question it answers")
    assert question.value == LESSON.business_case.question
    question.set_value("Which costs less over three years?").run()
    assert not at.exception
    linked = _linked(at)
    assert linked.title == "MLflow or W&B for 40 seats?"
    assert linked.business_case.question == "Which costs less over three years?"
    # The rest of the case is untouched.
    assert linked.business_case.build_vs_buy == LESSON.business_case.build_vs_buy


def test_a_question_on_a_scenario_without_a_business_case_adds_one():
    assert OVERVIEW.business_case is None
    at = open_app({"s": share.encode(OVERVIEW)})
    assert not at.exception
    next(w for w in at.text_area if w.label == "Question it answers").set_value(
        "Can we reach $0.02 per 1K requests?"
    ).run()
    assert not at.exception
    assert _linked(at).business_case.question == "Can we reach $0.02 per 1K requests?"

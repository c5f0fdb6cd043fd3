"""One model across pages: an edit on the Training or Serving page is what the Overview,
Compare and Sensitivity measure next, with no sync step (issue 10)."""

from __future__ import annotations

from planner.core.formatting import usd
from planner.costing.economics import evaluate
from planner.io.scenario_files import GALLERY_DIR, read_scenario
from planner.io.share import encode
from tests.app.conftest import open_app

SERVING_CASE = read_scenario(GALLERY_DIR / "inference_8c_to_2c.yaml")
TRAINING_CASE = read_scenario(GALLERY_DIR / "training_50k_to_18k.yaml")


def _metric(at, label: str) -> str:  # type: ignore[no-untyped-def]
    return next(m.value for m in at.metric if m.label == label)


def _everywhere(at, edited) -> None:  # type: ignore[no-untyped-def]
    """The Overview, Compare and Sensitivity all show the edited scenario's monthly cost."""
    expected = usd(evaluate(edited).monthly_cost_usd)
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception
    assert _metric(at, "Monthly cost") == expected
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception
    shown = [frame.value for frame in at.dataframe]
    assert any(expected in frame.to_string() for frame in shown), shown
    at.switch_page("app_pages/sensitivity.py").run()
    assert not at.exception
    assert any(m.value == expected for m in at.metric), [m.value for m in at.metric]


def test_a_serving_edit_reaches_overview_compare_and_sensitivity():
    at = open_app({"s": encode(SERVING_CASE)}, page="app_pages/serving.py")
    at.number_input(key="_sv_rpd_0").set_value(40_000_000.0)
    next(b for b in at.button if b.label == "Apply").click().run()
    assert not at.exception
    edited = at.session_state["scenario"]
    assert edited.serving[0].traffic.requests_per_day == 40_000_000
    assert evaluate(edited).monthly_cost_usd != evaluate(SERVING_CASE).monthly_cost_usd
    _everywhere(at, edited)


def test_a_training_edit_reaches_overview_compare_and_sensitivity():
    at = open_app({"s": encode(TRAINING_CASE)}, page="app_pages/training.py")
    at.number_input(key="_tp_mfu_0").set_value(0.5).run()
    assert not at.exception
    edited = at.session_state["scenario"]
    assert edited.training[0].mfu == 0.5
    assert evaluate(edited).monthly_cost_usd != evaluate(TRAINING_CASE).monthly_cost_usd
    _everywhere(at, edited)

"""AppTest of the Budget recovery page: plans, shortfalls, settings in the link, bad figures."""

from __future__ import annotations

import pytest

from planner.core.formatting import usd
from planner.finops.recovery import plan_recovery, pools_from_stated
from planner.io.scenario_files import GALLERY_DIR, gallery, read_scenario
from planner.io.share import decode, encode
from planner.scenario.finops import PoolSource
from tests.app.conftest import open_app

PAGE = "app_pages/recovery.py"


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_opens_with_a_plan_for_the_sample_bill():
    at = open_app(page=PAGE)
    assert not at.exception
    assert not at.error
    assert at.success
    assert "levers bring the bill" in at.success[0].value
    assert metric(at, "Shortfall") == "$0.00"
    assert any("not an uploaded bill" in c.value for c in at.caption)


def test_lesson_04_shows_the_shortfall_and_what_would_be_needed():
    scenario = read_scenario(GALLERY_DIR / "finops_3x_over_budget.yaml")
    expected = plan_recovery(scenario.finops.recovery, pools_from_stated(scenario.finops.recovery))
    at = open_app({"s": encode(scenario)}, page=PAGE)
    assert not at.exception
    warning = at.warning[0].value
    assert "cannot be reached by week 4" in warning
    assert "budget of at least" in warning
    assert metric(at, "Bill now") == "$282,333"
    assert metric(at, "Target") == "$93,333"
    assert metric(at, "Shortfall") == usd(expected.shortfall_usd_per_month)
    assert any("divided by 3" in m.value for m in at.markdown)


@pytest.mark.parametrize("entry", gallery(), ids=lambda e: e.key)
def test_every_gallery_scenario_renders_from_the_picker(entry):
    at = open_app(page=PAGE)
    at.selectbox(key="_gallery").select(entry.key).run()
    assert not at.exception


def test_a_changed_deadline_goes_into_the_link():
    scenario = read_scenario(GALLERY_DIR / "finops_3x_over_budget.yaml")
    at = open_app({"s": encode(scenario)}, page=PAGE)
    at.slider(key="_rec_deadline_0").set_value(12).run()
    assert not at.exception
    shared = decode(at.query_params["s"]).scenario
    assert shared is not None
    assert shared.finops.recovery.deadline_weeks == 12
    assert metric(at, "By week 12")


def test_pools_larger_than_the_bill_are_explained_and_the_last_plan_kept():
    scenario = read_scenario(GALLERY_DIR / "finops_3x_over_budget.yaml")
    at = open_app({"s": encode(scenario)}, page=PAGE)
    before = metric(at, "Shortfall")
    at.number_input(key="_rec_pool_serving_0").set_value(5_000_000).run()
    assert not at.exception
    assert any("more than the bill" in e.value and "last good" in e.value for e in at.error)
    assert metric(at, "Shortfall") == before
    assert decode(at.query_params["s"]).scenario == scenario


def test_switching_to_stated_figures_without_a_bill_is_explained():
    at = open_app(page=PAGE)
    at.radio(key="_rec_source_0").set_value(PoolSource.STATED).run()
    assert not at.exception
    assert any("bill_usd is missing" in e.value for e in at.error)
    assert at.success, "the last good plan is still shown"

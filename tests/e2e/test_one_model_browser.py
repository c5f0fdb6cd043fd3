"""One model in a real browser: an edit on the Serving page is what the Overview counts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from planner.core.formatting import usd
from planner.costing.economics import evaluate
from planner.io.scenario_files import GALLERY_DIR, read_scenario
from planner.io.share import link
from tests.e2e.conftest import wait_until_rendered

pytestmark = pytest.mark.browser

CASE = read_scenario(GALLERY_DIR / "inference_8c_to_2c.yaml")


def _monthly_cost(page) -> str:  # type: ignore[no-untyped-def]
    metric = page.locator("[data-testid='stMetric']", has_text="Monthly cost").first
    return metric.locator("[data-testid='stMetricValue']").inner_text()


def test_a_serving_edit_moves_the_overview_to_the_same_figure(server, page):
    page.goto(link(CASE, server + "serving"))
    wait_until_rendered(page)
    assert _monthly_cost(page) == usd(evaluate(CASE).monthly_cost_usd)

    traffic = page.get_by_label("Requests per day")
    traffic.fill("40000000")
    page.get_by_role("button", name="Apply").click()
    edited = replace(
        CASE,
        serving=(
            replace(
                CASE.serving[0],
                traffic=replace(CASE.serving[0].traffic, requests_per_day=40_000_000.0),
            ),
        ),
    )
    expected = usd(evaluate(edited).monthly_cost_usd)
    assert expected != usd(evaluate(CASE).monthly_cost_usd)
    page.wait_for_function(
        "want => [...document.querySelectorAll(\"[data-testid='stMetricValue']\")]"
        ".some(e => e.innerText === want)",
        arg=expected,
        timeout=60_000,
    )

    page.get_by_role("link", name="Overview").click()
    wait_until_rendered(page)
    page.wait_for_function(
        "want => [...document.querySelectorAll(\"[data-testid='stMetricValue']\")]"
        ".some(e => e.innerText === want)",
        arg=expected,
        timeout=60_000,
    )
    assert _monthly_cost(page) == expected
    assert "Traceback" not in page.content()

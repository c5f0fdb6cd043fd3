"""A link made by the CLI opens the same scenario in a real browser."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from planner.core.formatting import usd
from tests.conftest import ROOT
from tests.e2e.conftest import wait_until_rendered

pytestmark = pytest.mark.browser


def _cli(*argv: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "planner", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    return result.stdout


def test_cli_link_opens_the_same_monthly_cost(server, page):
    scenario_file = "scenarios/blank.yaml"
    # Start from a case that is not the app's default, so a wrong decode would show.
    link = _cli("link", scenario_file, "--base-url", server).strip().splitlines()[-1]
    expected = json.loads(_cli("evaluate", scenario_file, "--json"))["monthly_cost_usd"]
    page.goto(link)
    wait_until_rendered(page)
    metric = page.locator("[data-testid='stMetric']", has_text="Monthly cost")
    assert metric.locator("[data-testid='stMetricValue']").inner_text() == usd(expected)
    assert page.get_by_role("heading", name="Blank scenario").is_visible()


def test_gallery_case_link_and_a_garbled_link(server, page):
    scenario_file = "scenarios/recommendation_cost_per_request.yaml"
    link = _cli("link", scenario_file, "--base-url", server).strip().splitlines()[-1]
    expected = json.loads(_cli("evaluate", scenario_file, "--json"))["monthly_cost_usd"]
    page.goto(link)
    wait_until_rendered(page)
    value = page.locator("[data-testid='stMetric']", has_text="Monthly cost").locator(
        "[data-testid='stMetricValue']"
    )
    assert value.inner_text() == usd(expected)

    page.goto(server + "?s=1.this-is-not-a-scenario")
    wait_until_rendered(page)
    assert page.get_by_text("This link is damaged").is_visible()
    assert "Traceback" not in page.content()

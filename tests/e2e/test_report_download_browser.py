"""The business-case report downloads from a page and opens offline in a real browser."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import wait_until_rendered

pytestmark = pytest.mark.browser
LESSON = "scenarios/build_vs_buy_mlflow_wandb.yaml"


def _link(base_url: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "planner", "link", LESSON, "--base-url", base_url],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_download_the_business_case_and_open_it_offline(server, page, tmp_path):
    page.goto(_link(server + "build_vs_buy"))
    wait_until_rendered(page)
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Download business case (HTML)").click()
    download = info.value
    assert download.suggested_filename.endswith("-business-case.html")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    html = path.read_text(encoding="utf-8")
    assert "$129,600" in html
    assert html.count("<svg") >= 3
    assert "<script" not in html.lower()

    # Offline: every request other than the file itself is refused.
    requests: list[str] = []
    page.route(
        re.compile(r"^https?://"), lambda route: (requests.append(route.request.url), route.abort())
    )
    page.goto(path.as_uri())
    assert page.get_by_role("heading", name="Recommendation").is_visible()
    assert page.locator("figure svg").first.is_visible()
    assert requests == []

    # The report's share link opens the same scenario, on the page it was made from.
    page.unroute(re.compile(r"^https?://"))
    share = page.get_by_role("link", name="Open this scenario in the planner").get_attribute("href")
    assert share.startswith(server + "build_vs_buy?s=1.")
    page.goto(share)
    wait_until_rendered(page)
    metric = page.locator("[data-testid='stMetric']", has_text="Self-hosted MLflow")
    assert metric.locator("[data-testid='stMetricValue']").inner_text() == "$129,600"

"""The business-case report downloads from a page and opens offline in a real browser; an
edited title reaches the download."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import READY, wait_until_rendered

pytestmark = pytest.mark.browser
LESSON = "scenarios/build_vs_buy_mlflow_wandb.yaml"


def _link(base_url: str, scenario: str = LESSON) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "planner", "link", scenario, "--base-url", base_url],
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


def test_edit_the_title_and_download_the_system_in_markdown(server, page):
    page.goto(_link(server, "scenarios/recommendation_cost_per_request.yaml"))
    wait_until_rendered(page)
    page.get_by_text("Title and question of the business case").click()
    title = page.get_by_label("Title", exact=True)
    before = page.url
    title.fill("Ranking: <b>cost</b> per request")
    title.press("Enter")
    # The edit replaces the scenario, so the run ends by writing the new link.
    page.wait_for_url(lambda url: url != before, timeout=60_000)
    page.wait_for_selector(READY, timeout=60_000)
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Markdown").click()
    download = info.value
    assert download.suggested_filename == "ranking-b-cost-b-per-request-business-case.md"
    with open(download.path(), encoding="utf-8") as file:
        markdown = file.read()
    # The edited title, escaped; a section for the job and for the endpoint, with its options.
    assert markdown.startswith("# Ranking: &lt;b&gt;cost&lt;/b&gt; per request\n")
    assert "### Training job “ranking model retrain”" in markdown
    assert "### Endpoint “recommendation endpoint”" in markdown
    assert "| Optimizer's mix (the plan) |" in markdown

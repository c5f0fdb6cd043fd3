"""Many people at once on one ``streamlit run`` server: each sees only their own scenario.

Twenty sessions open twenty different links at the same moment. They are websocket clients
speaking Streamlit's own protocol (the protobuf messages a browser sends and receives, from
the installed streamlit), so twenty scripts really run at once on the server without twenty
Chromium renderers on a 2-core machine. All twenty stay connected until each has rendered,
then all rerun at once from their session state alone. A real browser then checks that the
server still serves a fresh page, and two browser sessions upload different scenario files
at the same moment. Nothing here is timed: every wait is for an event, with a timeout.
"""

from __future__ import annotations

import asyncio
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from urllib.parse import urlsplit

import pytest

from planner.core.formatting import usd
from planner.costing.economics import evaluate
from planner.io.scenario_files import GALLERY_DIR, read_scenario
from planner.io.share import decode, link
from planner.scenario import Scenario, ToolingItem, parse_scenario_yaml
from tests.e2e.conftest import wait_until_rendered
from tests.e2e.streamlit_client import Seen, connect, script_run
from ui.state import DEFAULT_GALLERY_KEY

pytestmark = pytest.mark.browser

SESSIONS = 20
TITLE = "Load test session"
UPLOADER = "[data-testid='stFileUploaderDropzoneInput']"


def variant(index: int) -> Scenario:
    """The blank scenario with its own title and a tooling cost no other variant has."""
    blank = read_scenario(GALLERY_DIR / "blank.yaml")
    tooling = (ToolingItem(name="platform", usd_per_month=1000 + 37 * index),)
    return replace(blank, title=f"{TITLE} {index:02d}", tooling=tooling)


def monthly_cost(scenario: Scenario) -> str:
    return usd(evaluate(scenario).monthly_cost_usd)


async def one_session(
    base_url: str, scenario: Scenario, all_rendered: asyncio.Barrier
) -> tuple[Seen, Seen]:
    async with connect(base_url) as ws:
        opened = await script_run(ws, urlsplit(link(scenario)).query)
        await all_rendered.wait()  # every session is connected and has rendered its link
        rerun = await script_run(ws, "")  # no link now: the session's own state must answer
        return opened, rerun


async def burst(base_url: str, scenarios: list[Scenario]) -> list[tuple[Seen, Seen]]:
    barrier = asyncio.Barrier(len(scenarios))
    sessions = [one_session(base_url, scenario, barrier) for scenario in scenarios]
    return await asyncio.wait_for(asyncio.gather(*sessions), timeout=180)


def check_own(seen: Seen, scenario: Scenario) -> None:
    assert not seen.exceptions, seen.exceptions
    assert scenario.title in seen.headings
    others = [h for h in seen.headings if h.startswith(TITLE) and h != scenario.title]
    assert not others, f"{scenario.title} saw {others}"
    assert seen.metrics.get("Monthly cost") == [monthly_cost(scenario)], seen.metrics


def test_twenty_sessions_at_once_each_see_only_their_own_scenario(server, page):
    scenarios = [variant(i) for i in range(SESSIONS)]
    assert len({monthly_cost(s) for s in scenarios}) == SESSIONS  # a mix-up would show

    # In a thread of its own: the sync playwright of the page fixture owns this thread's loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        results = pool.submit(asyncio.run, burst(server, scenarios)).result()

    assert len(results) == SESSIONS
    for scenario, (opened, rerun) in zip(scenarios, results, strict=True):
        check_own(opened, scenario)
        check_own(rerun, scenario)

    # Still responsive: healthy, and a fresh session renders the default, not a burst scenario.
    with urllib.request.urlopen(server + "_stcore/health", timeout=30) as response:
        assert response.status == 200
    page.goto(server + "overview")  # the root opens the start page, which has no metric
    wait_until_rendered(page)
    default = read_scenario(GALLERY_DIR / f"{DEFAULT_GALLERY_KEY}.yaml")
    value = page.locator("[data-testid='stMetric']", has_text="Monthly cost").locator(
        "[data-testid='stMetricValue']"
    )
    assert value.inner_text() == monthly_cost(default)
    assert page.get_by_role("heading", name=default.title).is_visible()
    assert TITLE not in page.content()


def scenario_file(title: str, usd_per_month: float) -> bytes:
    return (
        f"schema_version: 1\ntitle: {title}\n"
        f"tooling:\n  - name: {title.lower()} platform\n    usd_per_month: {usd_per_month}\n"
    ).encode()


def test_two_sessions_uploading_at_once_keep_their_own_scenarios(server, browser):
    files = {
        "Team Alpha": scenario_file("Team Alpha", 1111),
        "Team Beta": scenario_file("Team Beta", 2222),
    }
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1600}) for _ in files]
    try:
        pages = [context.new_page() for context in contexts]
        for page in pages:
            page.goto(server + "overview")  # the root opens the start page, which has no metric
        for page in pages:
            wait_until_rendered(page)
        # Both uploads are handed over before either session has run with its file.
        for page, (title, content) in zip(pages, files.items(), strict=True):
            page.locator(UPLOADER).set_input_files(
                {"name": f"{title}.yaml", "mimeType": "application/x-yaml", "buffer": content}
            )
        for page, (title, content) in zip(pages, files.items(), strict=True):
            own = parse_scenario_yaml(content.decode())
            other = next(t for t in files if t != title)
            page.get_by_role("heading", name=title).wait_for(timeout=60_000)
            page.wait_for_url(lambda url, own=own: decode(url).scenario == own, timeout=60_000)
            wait_until_rendered(page)
            value = page.locator("[data-testid='stMetric']", has_text="Monthly cost").locator(
                "[data-testid='stMetricValue']"
            )
            assert value.inner_text() == monthly_cost(own)
            assert page.get_by_role("heading", name=other).count() == 0
            # A reload is a new session, opened from this page's own link.
            page.reload()
            wait_until_rendered(page)
            assert page.get_by_role("heading", name=title).is_visible()
            assert value.inner_text() == monthly_cost(own)
            assert other not in page.content()
    finally:
        for context in contexts:
            context.close()

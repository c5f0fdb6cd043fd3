"""Every page keeps its address in a real browser, whichever way the session began."""

from __future__ import annotations

import pytest

from planner.io.scenario_files import GALLERY_DIR, read_scenario
from planner.io.share import decode, link
from tests.e2e.conftest import wait_until_rendered

pytestmark = pytest.mark.browser

CASE = read_scenario(GALLERY_DIR / "inference_8c_to_2c.yaml")


def test_a_link_to_the_overview_opens_it_without_a_page_not_found_notice(server, page):
    page.goto(link(CASE, server + "overview"))
    wait_until_rendered(page)
    assert page.get_by_role("heading", name=CASE.title).is_visible()
    assert page.get_by_text("Page not found").count() == 0
    assert page.url.startswith(server + "overview?")


def test_a_link_to_the_root_lands_on_the_overview_at_its_own_address(server, page):
    page.goto(link(CASE, server))
    wait_until_rendered(page)
    page.wait_for_url(lambda url: url.startswith(server + "overview?"), timeout=60_000)
    assert page.get_by_role("heading", name=CASE.title).is_visible()
    assert decode(page.url).scenario == CASE
    # Start is still there, at the root, for a user who wants to begin again.
    page.get_by_role("link", name="Start").click()
    page.get_by_role("heading", name="What are you building?").wait_for(timeout=60_000)
    assert page.get_by_text("Page not found").count() == 0

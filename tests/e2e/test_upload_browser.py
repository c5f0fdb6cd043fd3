"""Uploading a scenario file in a real browser: a good file loads, a bad one is explained."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import wait_until_rendered

pytestmark = pytest.mark.browser

GOOD = b"""schema_version: 1
title: Uploaded in a browser
tooling:
  - name: tracking
    usd_per_month: 1234
"""


def _upload(page, name: str, content: bytes) -> None:  # type: ignore[no-untyped-def]
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        {"name": name, "mimeType": "application/x-yaml", "buffer": content}
    )
    page.wait_for_timeout(500)
    wait_until_rendered(page)


def test_upload_good_then_malformed_yaml(server, page):
    page.goto(server + "overview")  # the root opens the start page, which has no metric
    wait_until_rendered(page)
    _upload(page, "good.yaml", GOOD)
    page.get_by_role("heading", name="Uploaded in a browser").wait_for(timeout=30_000)
    assert page.get_by_text("$1,234").first.is_visible()

    _upload(page, "broken.yaml", b"title: [unclosed\n")
    page.get_by_text("broken.yaml was not loaded").wait_for(timeout=30_000)
    assert page.get_by_text("line 2, column 1").first.is_visible()
    # Nothing the user had is lost: the good scenario is still on screen.
    assert page.get_by_role("heading", name="Uploaded in a browser").is_visible()
    assert "Traceback" not in page.content()

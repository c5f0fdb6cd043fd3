"""The server as a browser sees it: nothing fetched from elsewhere, each uploader's own limit."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import wait_until_rendered

pytestmark = pytest.mark.browser


def test_the_app_fetches_nothing_from_another_host(server, page):
    # The ":material/savings:" page icon made every browser fetch fonts.gstatic.com.
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((server, "data:", "blob:"))
            else elsewhere.append(request.url)
        ),
    )
    page.goto(server + "overview")  # the root opens the start page, which has no metric
    wait_until_rendered(page)
    page.wait_for_timeout(1_000)  # the favicon is set after the first render
    assert elsewhere == []


def test_the_scenario_uploader_refuses_a_file_over_its_limit_in_the_browser(server, page):
    page.goto(server + "overview")  # the root opens the start page, which has no metric
    wait_until_rendered(page)
    uploads: list[str] = []
    page.on("request", lambda r: uploads.append(r.url) if "upload_file" in r.url else None)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        {"name": "huge.yaml", "mimeType": "application/x-yaml", "buffer": b"#" * (2 << 20)}
    )
    page.get_by_text("1.0MB or smaller", exact=False).wait_for(timeout=30_000)
    assert uploads == []  # never sent to the server

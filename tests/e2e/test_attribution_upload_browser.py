"""Uploading a FOCUS export in a real browser: numbers match the CLI; a bad file is explained."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from planner.core.formatting import usd
from planner.finops.focus_sample import generate_focus
from planner.scenario.finops import SampleSpec
from tests.conftest import ROOT
from tests.e2e.conftest import wait_until_rendered

pytestmark = pytest.mark.browser

UPLOADER = "[data-testid='stFileUploader']"


def _upload(page, name: str, content: bytes) -> None:  # type: ignore[no-untyped-def]
    uploader = page.locator(UPLOADER, has_text="Upload a FOCUS billing export")
    uploader.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": content}
    )
    page.wait_for_timeout(500)
    wait_until_rendered(page)


def _bill_total(page) -> str:  # type: ignore[no-untyped-def]
    metric = page.locator("[data-testid='stMetric']", has_text="Bill total")
    return str(metric.locator("[data-testid='stMetricValue']").inner_text())


def test_upload_a_focus_csv_then_a_file_that_is_not_one(server, page, tmp_path):
    path = tmp_path / "team_bill.csv"
    generate_focus(SampleSpec(months=1, seed=11)).to_csv(path, index=False)
    cli = subprocess.run(
        [sys.executable, "-m", "planner", "attribute", str(path), "--by", "team", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    expected = usd(json.loads(cli.stdout)["total_usd"])

    page.goto(server + "attribution")
    wait_until_rendered(page)
    assert _bill_total(page) == "$400,000"
    link_before = page.url

    _upload(page, "team_bill.csv", path.read_bytes())
    page.get_by_text("team_bill.csv", exact=False).first.wait_for(timeout=30_000)
    page.wait_for_function(
        "total => [...document.querySelectorAll(\"[data-testid='stMetricValue']\")]"
        ".some(e => e.innerText === total)",
        arg=expected,
        timeout=30_000,
    )
    assert _bill_total(page) == expected
    assert page.url == link_before, "the link carries settings, never the uploaded file"

    _upload(page, "screenshot.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    page.get_by_text("screenshot.csv was not loaded").wait_for(timeout=30_000)
    assert page.get_by_text("is a PNG image").first.is_visible()
    # Nothing the user had is lost: the uploaded bill is still the one on screen.
    assert _bill_total(page) == expected
    assert "Traceback" not in page.content()

"""The link is written back only when the scenario on screen changed (issue 15, part 6)."""

from __future__ import annotations

import pytest

from planner.io import share
from planner.io.scenario_files import GALLERY_DIR, read_scenario
from tests.app.conftest import open_app

CASE = read_scenario(GALLERY_DIR / "inference_8c_to_2c.yaml")


@pytest.fixture
def encodes(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Each scenario ``planner.io.share.encode`` is asked to encode, as the app runs."""
    seen: list[object] = []
    original = share.encode

    def counting(scenario):  # type: ignore[no-untyped-def]
        seen.append(scenario)
        return original(scenario)

    monkeypatch.setattr(share, "encode", counting)
    return seen


def test_a_rerun_with_nothing_changed_neither_encodes_nor_rewrites_the_link(encodes):
    # A page without the report button, which makes a link of its own for the report.
    at = open_app({"s": share.encode(CASE)}, page="app_pages/training.py")
    assert not at.exception
    token = at.query_params[share.QUERY_KEY]
    assert share.decode(token).scenario == CASE
    encodes.clear()
    at.run()
    assert not at.exception
    assert at.query_params[share.QUERY_KEY] == token
    assert encodes == []  # neither the sidebar's link nor the address bar encoded it again


def test_an_edit_writes_the_new_scenario_into_the_link_and_the_sidebar():
    at = open_app({"s": share.encode(CASE)}, page="app_pages/overview.py")
    before = at.query_params[share.QUERY_KEY]
    at.text_input[0].input("A new title").run()
    assert not at.exception
    after = at.query_params[share.QUERY_KEY]
    assert after != before
    assert share.decode(after).scenario.title == "A new title"
    assert at.sidebar.code[0].value.endswith(f"?s={after}")

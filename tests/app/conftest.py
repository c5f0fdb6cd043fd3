"""AppTest helpers: run the real app script, as a user's browser session would."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "app.py")


def open_app(query: dict[str, str] | None = None, page: str | None = None) -> AppTest:
    """Run the app once, optionally from a link (query params) and on a given page."""
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page:
        at.switch_page(page)
    at.run()
    return at


@pytest.fixture
def app() -> AppTest:
    return open_app()

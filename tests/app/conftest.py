"""AppTest helpers: run the real app script, as a user's browser session would."""

from __future__ import annotations

import base64
import json
import re
import zlib
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from planner.io.share import CODEC_VERSION
from tests.conftest import ROOT

APP = str(ROOT / "app.py")


def encode_mapping(data: dict[str, Any]) -> str:
    """A share token for a raw scenario mapping, packed as planner.io.share packs one: how a
    link made by an older version of the planner (its own mapping, its own defaults) looks."""
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    packed = base64.urlsafe_b64encode(zlib.compress(raw, 9)).rstrip(b"=").decode("ascii")
    return f"{CODEC_VERSION}.{packed}"


def as_read(markdown: str) -> str:
    r"""What a reader sees of Markdown that ui.page.plain_text escaped: the text as written.

    >>> as_read(r"training\[0\].mfu = 1.5, at least \$3")
    'training[0].mfu = 1.5, at least $3'
    """
    return re.sub(r"\\(.)", r"\1", markdown)


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

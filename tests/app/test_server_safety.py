"""The server and its sessions: upload limits, the page icon, the address.

Each test is about what one user (or any client of the server, not only a browser) can do
to the server and the others: upload more than an uploader takes, for one.
"""

from __future__ import annotations

import tomllib

import pytest
from streamlit.commands import page_config
from streamlit.runtime.uploaded_file_manager import UploadedFile

from planner.io import GALLERY_DIR, read_scenario
from planner.share import encode
from tests.app.conftest import open_app
from tests.conftest import ROOT

MIB = 1024 * 1024
SERVING = {"s": encode(read_scenario(GALLERY_DIR / "inference_8c_to_2c.yaml"))}


def uploader(at, label_start: str):  # type: ignore[no-untyped-def]
    return next(u for u in at.get("file_uploader") if u.proto.label.startswith(label_start))


# ------------------------------------------------------------------------ upload limits


@pytest.mark.parametrize(
    ("query", "page", "label", "megabytes"),
    [
        (None, None, "Open a scenario file", 1),
        (SERVING, "app_pages/serving.py", "Hourly demand CSV", 2),
        (None, "app_pages/attribution.py", "Upload a FOCUS billing export", 200),
    ],
)
def test_each_uploader_states_its_own_size_limit(query, page, label, megabytes):
    # The browser refuses a larger file before sending it; the server's 200 MB is the most.
    at = open_app(query, page=page)
    assert uploader(at, label).proto.max_upload_size_mb == megabytes


@pytest.fixture
def unread(monkeypatch):
    """Fail if an upload's bytes are copied out of Streamlit's store: the size comes first."""

    def refuse(self):  # type: ignore[no-untyped-def]
        pytest.fail("an oversized upload was read into memory")

    monkeypatch.setattr(UploadedFile, "getvalue", refuse)
    monkeypatch.setattr(UploadedFile, "read", refuse)


def test_an_oversized_scenario_upload_is_refused_unread(unread):
    # A client other than the browser is not held to the widget's 1 MB.
    at = open_app()
    before = at.session_state["scenario"]
    uploader(at, "Open a scenario file").set_value(
        ("huge.yaml", b"title: x\n" + b"#" * (2 * MIB), "application/x-yaml")
    ).run()
    assert not at.exception
    assert any(
        "huge.yaml was not loaded" in e.value and "larger than 256 KiB" in e.value for e in at.error
    )
    assert at.session_state["scenario"] == before


def test_an_oversized_demand_csv_upload_is_refused_unread(unread):
    at = open_app(SERVING, page="app_pages/serving.py")
    uploader(at, "Hourly demand CSV").set_value(
        ("load.csv", b"hour,demand\n" + b"0,1\n" * MIB, "text/csv")
    ).run()
    assert not at.exception
    assert any(
        "load.csv was not used" in e.value and "a demand CSV is at most 2 MB" in e.value
        for e in at.error
    )


# ---------------------------------------------------------------- page icon and address


def test_the_page_icon_is_served_by_the_app(monkeypatch):
    # Streamlit 1.67 turns a ":material/...:" icon into a fonts.gstatic.com URL that every
    # browser fetches; the app's own SVG is inlined as a data URL.
    shown: list[str] = []
    favicon = page_config._get_favicon_string
    monkeypatch.setattr(
        page_config, "_get_favicon_string", lambda icon: shown.append(favicon(icon)) or shown[-1]
    )
    assert not open_app().exception
    assert shown
    assert all(icon.startswith("data:image/svg+xml") for icon in shown), shown


def test_the_server_address_is_stated():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    # Every interface, deliberately (docs/threat-model.md); tests pass 127.0.0.1 explicitly.
    assert config["server"]["address"] == "0.0.0.0"  # noqa: S104 - chosen, documented

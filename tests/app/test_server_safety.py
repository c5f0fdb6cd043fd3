"""The server and its sessions: upload limits, the page icon, the address, shared caches,
and one short link's work.

Each test is about what one user (or any client of the server, not only a browser) can do
to the others: upload more than an uploader takes, empty every cache with Streamlit's
clear-cache message, or learn another session's file name from a shared cache.
"""

from __future__ import annotations

import io
import tomllib
import tracemalloc
from dataclasses import replace
from types import SimpleNamespace

import pytest
from streamlit.commands import page_config
from streamlit.runtime.app_session import AppSession
from streamlit.runtime.caching.cache_utils import CachedFunc
from streamlit.runtime.uploaded_file_manager import UploadedFile

from planner.costing import training
from planner.finops.focus_sample import generate_focus
from planner.io import billing as billing_io
from planner.io.scenario_files import GALLERY_DIR, read_scenario
from planner.io.share import encode
from planner.scenario import Scenario
from planner.scenario.finops import AttributionSettings, SampleSpec
from planner.scenario.training import RunPricing, TrainingJob, TrainingPrecision
from tests.app.conftest import open_app
from tests.conftest import ROOT
from ui import cache, whatif_cache

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


# ---------------------------------------------------------------------- shared caches


def clear_cache_message() -> None:
    """What Streamlit 1.67 does when any client sends the ``clear_cache`` back message."""
    AppSession._handle_clear_cache_request(
        SimpleNamespace(_session_state=SimpleNamespace(clear=dict))
    )  # type: ignore[arg-type]


def test_no_cache_of_the_app_is_one_the_clear_cache_message_empties():
    for module in (cache, whatif_cache):
        for name, value in vars(module).items():
            assert not isinstance(value, CachedFunc), f"{module.__name__}.{name}"


def test_the_clear_cache_message_does_not_make_the_server_simulate_again(monkeypatch):
    # Solved in the server's thread, so the count sees the run; the lookup the message would
    # have to empty is the same with the worker pool on.
    monkeypatch.setenv("PLANNER_POOL", "0")
    runs: list[object] = []
    evaluate = training.evaluate_plan

    def counted(*args):  # type: ignore[no-untyped-def]
        runs.append(args)
        return evaluate(*args)

    monkeypatch.setattr(training, "evaluate_plan", counted)
    base = read_scenario(GALLERY_DIR / "training_50k_to_18k.yaml")
    job = replace(base.training[0], seed=9_191)  # unseen
    first = cache.training_report(job, base.pricing)
    clear_cache_message()
    second = cache.training_report(job, base.pricing)
    assert len(runs) == 1
    assert second.run.wall_clock_hours == first.run.wall_clock_hours


def test_a_cached_result_is_each_callers_own_copy():
    scenario = read_scenario(GALLERY_DIR / "recommendation_cost_per_request.yaml")
    # As with st.cache_data: one session writing into its result does not change another's.
    frame = cache.projection(scenario, ())
    column = frame.columns[-1]
    frame[column] = -1
    assert (cache.projection(scenario, ())[column] != -1).all()


def test_a_bounded_cache_keeps_its_last_entries_only():
    calls: list[int] = []

    @cache.bounded(2)
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    assert [square(x) for x in (1, 2, 1, 3, 1, 2)] == [1, 4, 1, 9, 1, 4]
    assert calls == [1, 2, 3, 2]  # 2 was the least recently used when 3 came in


def test_a_cached_attribution_never_shows_another_sessions_file_name():
    buffer = io.StringIO()
    generate_focus(SampleSpec(months=1, seed=11)).to_csv(buffer, index=False)
    data = buffer.getvalue().encode()
    alice = billing_io.read_billing_bytes(data, "alice-layoffs-2026.csv")
    bob = billing_io.read_billing_bytes(data, "bob.csv")
    assert alice.fingerprint == bob.fingerprint  # the same bytes: one cache entry
    settings = AttributionSettings()
    first = cache.attribution(alice, alice.fingerprint, settings)
    second = cache.attribution(bob, bob.fingerprint, settings)
    assert any("alice-layoffs-2026.csv" in note for note in first.notes)
    assert any("bob.csv" in note for note in second.notes)
    assert not any("alice" in note for note in second.notes), second.notes
    assert second.total_cents == first.total_cents


# ----------------------------------------------------------------- one link, bounded work


def test_a_short_link_to_a_hostile_spot_plan_renders_in_bounded_memory_with_a_note():
    # 5 interruptions an instance-hour, 200,000 simulations: about 900 MiB before the bound.
    plan = TrainingJob(
        params=1e9,
        tokens=2e10,
        instance_type="p4d.24xlarge",
        precision=TrainingPrecision.BF16,
        mfu=0.5,
        pricing=RunPricing.SPOT,
        interruptions_per_instance_hour=5.0,
        checkpoint_minutes=0.6,
        restart_minutes=0.0,
        simulations=200_000,
    )
    link = encode(Scenario(training=(plan,)))
    assert len(link) < 300
    tracemalloc.start()
    try:
        at = open_app({"s": link}, page="app_pages/training.py")
        peak_mib = tracemalloc.get_traced_memory()[1] / MIB
    finally:
        tracemalloc.stop()
    assert not at.exception
    assert peak_mib < 128, f"{peak_mib:.0f} MiB"  # the whole page run, Streamlit included
    assert any("not the plan's 200,000" in caption.value for caption in at.caption)

"""The sidebar every page shares: gallery, YAML download and upload, and the share link."""

from __future__ import annotations

import math

import streamlit as st

from planner.core.errors import PlannerInputError
from planner.io import share
from planner.io.scenario_files import check_scenario_size
from planner.scenario import MAX_YAML_BYTES, dump_scenario_yaml, read_scenario_yaml
from planner.scenario.starters import lesson_page
from ui import cache, state

_GALLERY = "_gallery"
_UPLOAD = "_upload"


def _load_gallery() -> None:
    key = st.session_state[_GALLERY]
    if key is not None:
        state.load(cache.gallery_entries()[key].scenario)
        # Each case opens where its lesson is; page.start switches after this callback.
        state.land_on(lesson_page(key))


def _load_upload(landing: str | None) -> None:
    uploaded = st.session_state[_UPLOAD]
    if uploaded is None:
        return
    try:
        # The browser keeps to the widget's limit, another client need not: the size is
        # checked before the bytes are copied out of Streamlit's upload store.
        check_scenario_size(uploaded.size, uploaded.name)
        text = uploaded.getvalue().decode("utf-8")
        loaded = read_scenario_yaml(text)
        state.load(loaded.scenario)
        for note in loaded.notes:
            state.add_info(note)
        if landing is not None:
            state.land_on(landing)
    except UnicodeDecodeError:
        state.add_notice(
            f"{uploaded.name} is not a text file, so the scenario was not changed. "
            "Upload a .yaml file saved from this app."
        )
    except PlannerInputError as error:
        state.add_notice(f"{uploaded.name} was not loaded, and nothing was changed: {error}")


def scenario_controls(*, uploads_land_on: str | None = None) -> None:
    """The sidebar; a scenario file opened here moves to ``uploads_land_on`` (a page stem)
    when given, e.g. from the start page, which does not show the scenario."""
    entries = cache.gallery_entries()
    with st.sidebar:
        st.selectbox(
            "Scenario gallery",
            options=list(entries),
            format_func=lambda key: entries[key].title,
            index=None,
            placeholder="Open a worked case…",
            key=_GALLERY,
            on_change=_load_gallery,
        )
        st.subheader("Share")
        # Checked on every run, so an upload or an edit that outgrows a link is said at once.
        url = state.share_link()
        too_long = share.link_problem(url)
        if too_long:
            st.warning(too_long, icon=":material/link_off:")
        else:
            st.caption("Copy this link: it opens exactly this scenario.")
            st.code(url, language=None, wrap_lines=False)
        scenario = state.scenario()
        st.download_button(
            "Download scenario (YAML)",
            data=dump_scenario_yaml(scenario),
            file_name="scenario.yaml",
            mime="application/x-yaml",
            width="stretch",
        )
        st.file_uploader(
            "Open a scenario file",
            type=["yaml", "yml"],
            key=_UPLOAD,
            on_change=_load_upload,
            args=(uploads_land_on,),
            # Whole megabytes only: 1 MB, not the server's 200 MB for billing exports.
            max_upload_size=math.ceil(MAX_YAML_BYTES / 1024 / 1024),
            help="A YAML file downloaded from this app, or one from the scenarios/ gallery.",
        )

"""The "Download business case" buttons any page can show, under the report's title and
question, which the user can edit there.

The report is built only when a button is pressed (a deferred download), so a page does
not pay for the Monte Carlo run and the SVG charts on every rerun.
"""

from __future__ import annotations

import datetime
import re

import streamlit as st

from planner.io import share
from planner.scenario import Scenario
from planner.views import report
from ui import cache, page, state

# The schema's own limits (Scenario.title, BusinessCase.question), so typing cannot exceed them.
_TITLE_CHARS = 200
_QUESTION_CHARS = 1000


def _file_stem(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]
    return f"{slug or 'scenario'}-business-case"


def _text_inputs(scenario: Scenario, key: str) -> None:
    """The report's title and question. An edit replaces the scenario in a callback, before
    the page runs again, so the page's header and the share link show it at once."""
    title_key = page.widget_key(key, "title")
    question_key = page.widget_key(key, "question")

    def edited() -> None:
        state.update(
            report.with_text(
                state.scenario(),
                title=st.session_state[title_key],
                question=st.session_state[question_key],
            )
        )

    case = scenario.business_case
    with st.expander("Title and question of the business case", icon=":material/edit:"):
        st.text_input(
            "Title",
            value=scenario.title,
            max_chars=_TITLE_CHARS,
            key=title_key,
            on_change=edited,
        )
        st.text_area(
            "Question it answers",
            value=case.question if case is not None else "",
            max_chars=_QUESTION_CHARS,
            key=question_key,
            on_change=edited,
            placeholder="Leave empty and the report asks what the system costs.",
        )


def report_download(scenario: Scenario, *, key: str = "report") -> None:
    """The report's title and question, then buttons that download the scenario's business
    case as HTML and as Markdown."""
    _text_inputs(scenario, key)
    stem = _file_stem(scenario.title)

    # Worked out now: the download builds the report later, outside this run's context.
    share_link = share.link(scenario, state.page_url())

    def built(fmt: str) -> str:
        return cache.report_text(scenario, share_link, datetime.date.today(), fmt)

    row = st.container(horizontal=True)
    row.download_button(
        "Download business case (HTML)",
        data=lambda: built("html"),
        file_name=f"{stem}.html",
        mime="text/html",
        icon=":material/description:",
        key=f"_{key}_html",
        help="A self-contained page: question, recommendation, a section for each training "
        "job, endpoint and FinOps plan, assumptions with sources, sensitivity, risks and the "
        "share link. Charts are embedded; it opens offline.",
        on_click="ignore",
    )
    row.download_button(
        "Markdown",
        data=lambda: built("markdown"),
        file_name=f"{stem}.md",
        mime="text/markdown",
        key=f"_{key}_md",
        on_click="ignore",
    )

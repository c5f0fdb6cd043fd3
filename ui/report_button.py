"""The "Download business case" buttons any page can show.

The report is built only when the button is pressed (a deferred download), so a page does
not pay for the Monte Carlo run and the SVG charts on every rerun.
"""

from __future__ import annotations

import datetime
import re

import streamlit as st

from planner import report
from planner.scenario import Scenario
from ui import cache, state


def _file_stem(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]
    return f"{slug or 'scenario'}-business-case"


def report_download(scenario: Scenario, *, key: str = "report") -> None:
    """Buttons that download the scenario's business case as HTML and as Markdown."""
    catalog = cache.catalog()
    base_url = state.page_url()
    stem = _file_stem(scenario.title)

    def built() -> report.Report:
        return report.build_report(
            scenario, catalog, base_url=base_url, generated_on=datetime.date.today()
        )

    row = st.container(horizontal=True)
    row.download_button(
        "Download business case (HTML)",
        data=lambda: report.to_html(built()),
        file_name=f"{stem}.html",
        mime="text/html",
        icon=":material/description:",
        key=f"_{key}_html",
        help="A self-contained page: question, recommendation, costs, assumptions with "
        "sources, sensitivity, risks and the share link. Charts are embedded; it opens offline.",
        on_click="ignore",
    )
    row.download_button(
        "Markdown",
        data=lambda: report.to_markdown(built()),
        file_name=f"{stem}.md",
        mime="text/markdown",
        key=f"_{key}_md",
        on_click="ignore",
    )

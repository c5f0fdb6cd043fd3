"""Owns every ``st.session_state`` and ``st.query_params`` key the app uses.

The session holds one :class:`~planner.scenario.Scenario`. The link (``?s=``) is read once,
when the session starts, and written back after every run, so the address bar always opens
the scenario on screen. A bad link never replaces what the user has: it becomes a notice.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

import streamlit as st

from planner.io import share
from planner.scenario import Scenario
from ui import cache

DEFAULT_GALLERY_KEY = "recommendation_cost_per_request"

_SCENARIO = "scenario"
# Bumped whenever the scenario is replaced wholesale (gallery, upload), so that input
# widgets, whose keys include it, start afresh from the new scenario.
_REVISION = "revision"
_NOTICES = "notices"
_INFO = "info_notices"
# The name of the training job and of the endpoint the Training and Serving pages show. Kept
# by name, not position, so the choice survives moving between pages and adding items.
_SELECTED = "selected"
# A billing export uploaded on the Attribution page (a planner.finops.billing.Bill). It stays
# for the session, across pages, and is never part of the link.
_BILLING_UPLOAD = "billing_upload"
# Whether the session opened from a link and has not run yet: a link to the root then lands
# on the Overview, not on the start.
_FROM_LINK = "from_link"
# The scenario before the last edit, for the Overview's "this change" beside its total.
_PREVIOUS = "previous_scenario"
# The page to show once the sidebar has loaded a gallery case (a callback cannot switch page).
_LANDING = "landing"
# The scenario last encoded for a link and its token, so an unchanged one is not encoded again.
_ENCODED = "encoded_scenario"


def default_scenario() -> Scenario:
    entries = cache.gallery_entries()
    entry = entries.get(DEFAULT_GALLERY_KEY) or next(iter(entries.values()))
    return entry.scenario


def start_session() -> None:
    """Decode the link once per session; fall back to the gallery default with a notice."""
    if _SCENARIO in st.session_state:
        return
    st.session_state[_REVISION] = 0
    st.session_state[_NOTICES] = []
    st.session_state[_INFO] = []
    st.session_state[_SELECTED] = {}
    st.session_state[_PREVIOUS] = None
    st.session_state[_LANDING] = None
    token = st.query_params.get(share.QUERY_KEY)
    st.session_state[_FROM_LINK] = bool(token)
    if token:
        decoded = share.decode(token)
        if decoded.scenario is not None:
            st.session_state[_SCENARIO] = decoded.scenario
            for note in decoded.notes:
                add_info(note)
            return
        add_notice(f"{decoded.problem} Showing the default scenario instead.")
    st.session_state[_SCENARIO] = default_scenario()


def scenario() -> Scenario:
    current: Scenario = st.session_state[_SCENARIO]
    return current


def revision() -> int:
    value: int = st.session_state[_REVISION]
    return value


def take_link_landing() -> bool:
    """Whether this run is the first of a session that started from a share link (a link to
    the root then opens on the Overview); false on every later run."""
    from_link: bool = st.session_state[_FROM_LINK]
    st.session_state[_FROM_LINK] = False
    return from_link


def load(new: Scenario) -> None:
    """Replace the scenario wholesale (start page, gallery, upload): inputs restart from it,
    and there is no change to show yet."""
    st.session_state[_SCENARIO] = new
    st.session_state[_REVISION] = revision() + 1
    st.session_state[_PREVIOUS] = None


def update(new: Scenario) -> None:
    """Record an edit made through the inputs on screen, keeping the scenario before it."""
    st.session_state[_PREVIOUS] = scenario()
    st.session_state[_SCENARIO] = new


def previous() -> Scenario | None:
    """The scenario before the last edit; ``None`` before any edit since the last load."""
    before: Scenario | None = st.session_state[_PREVIOUS]
    return before


def request_noun() -> str:
    """What one request is to the user: "request", or "conversation" for a chatbot. The
    scenario records it, so a link and a file keep it."""
    return str(scenario().business.request_unit)


def land_on(page_stem: str) -> None:
    """Ask for the page ``app_pages/<page_stem>.py`` once the current callback is done."""
    st.session_state[_LANDING] = page_stem


def take_landing() -> str | None:
    """The page asked for by :func:`land_on`, once; ``None`` if none is waiting."""
    landing: str | None = st.session_state[_LANDING]
    st.session_state[_LANDING] = None
    return landing


def add_notice(message: str) -> None:
    st.session_state[_NOTICES].append(message)


def take_notices() -> list[str]:
    notices: list[str] = st.session_state[_NOTICES]
    st.session_state[_NOTICES] = []
    return notices


def add_info(message: str) -> None:
    """A note that is not a problem, e.g. how an older scenario was upgraded."""
    st.session_state[_INFO].append(message)


def take_info() -> list[str]:
    notes: list[str] = st.session_state[_INFO]
    st.session_state[_INFO] = []
    return notes


def selected(kind: str) -> str | None:
    """The name of the ``kind`` ("training" or "serving") item the user last chose."""
    choice: str | None = st.session_state[_SELECTED].get(kind)
    return choice


def select(kind: str, name: str) -> None:
    st.session_state[_SELECTED][kind] = name


def _token() -> str:
    """The share token of the scenario on screen.

    Most runs change nothing (a click in a chart, a page change), so a scenario is encoded
    once, not on every run by both the sidebar's link and the address bar.
    """
    current = scenario()
    encoded: tuple[Scenario, str] | None = st.session_state.get(_ENCODED)
    if encoded is None or encoded[0] is not current:
        encoded = (current, share.encode(current))
        st.session_state[_ENCODED] = encoded
    return encoded[1]


def sync_url() -> None:
    """Write the current scenario into the address bar, only if it changed."""
    token = _token()
    if st.query_params.get(share.QUERY_KEY) != token:
        st.query_params.from_dict({share.QUERY_KEY: token})


def page_url() -> str:
    """This page's address without its query: the base of every link made from it."""
    url = st.context.url or share.DEFAULT_BASE_URL
    return urlsplit(url)._replace(query="", fragment="").geturl()


def share_link() -> str:
    """The link a colleague opens to see this exact scenario on this page."""
    return urlsplit(page_url())._replace(query=urlencode({share.QUERY_KEY: _token()})).geturl()


def billing_upload() -> Any:
    """The bill uploaded in this session, or ``None`` (then the pages use the sample)."""
    return st.session_state.get(_BILLING_UPLOAD)


def set_billing_upload(bill: Any) -> None:
    """Keep an uploaded bill for the session; ``None`` goes back to the sample."""
    st.session_state[_BILLING_UPLOAD] = bill


# A demand CSV uploaded on the Serving page (a planner.io.demand.DemandCsv). It stays for the
# session and is never part of the link: the scenario only records its file name.
_SERVING_DEMAND = "serving_demand_upload"


def serving_demand_upload() -> Any:
    """The demand CSV uploaded in this session, or ``None``."""
    return st.session_state.get(_SERVING_DEMAND)


def set_serving_demand_upload(demand: Any) -> None:
    """Keep an uploaded demand CSV for the session; ``None`` forgets it."""
    st.session_state[_SERVING_DEMAND] = demand

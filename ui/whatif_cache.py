"""Cached calls into the build-vs-buy and what-if models. Scenarios hash by value."""

from __future__ import annotations

import streamlit as st

from planner import buildbuy, whatif
from planner.business_case import Output
from planner.scenario import Scenario
from ui import cache


@st.cache_data(max_entries=64, show_spinner=False)
def tco(scenario: Scenario) -> buildbuy.Tco:
    return buildbuy.tco(scenario, cache.catalog())


@st.cache_data(max_entries=64, show_spinner=False)
def tornado(scenario: Scenario, output: Output) -> whatif.Tornado:
    return whatif.tornado(scenario, output, cache.catalog())


@st.cache_data(max_entries=64, show_spinner=False)
def switching_values(scenario: Scenario) -> tuple[whatif.Switch, ...]:
    return whatif.switching_values(scenario, cache.catalog())


# The page shows each panel's stage itself (st.status, st.spinner).
@st.cache_data(max_entries=16, show_spinner=False)
def monte_carlo(scenario: Scenario, samples: int) -> whatif.Uncertainty:
    return whatif.monte_carlo(scenario, cache.catalog(), samples=samples)


@st.cache_data(max_entries=64, show_spinner=False)
def compare(entries: tuple[tuple[str, Scenario], ...]) -> whatif.Comparison:
    return whatif.compare(entries, cache.catalog())

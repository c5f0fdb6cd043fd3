"""Cached calls into the build-vs-buy and what-if models. Scenarios hash by value.

They use :func:`ui.cache.bounded`, which Streamlit's clear-cache message cannot empty; the
tornado and the Monte Carlo, the heavy ones, are solved in its worker pool.
"""

from __future__ import annotations

from planner import whatif
from planner.costing import buildbuy
from planner.scenario import Scenario
from planner.scenario.business_case import Output
from ui import cache
from ui.cache import bounded


@bounded(64)
def tco(scenario: Scenario) -> buildbuy.Tco:
    return buildbuy.tco(scenario, cache.catalog())


@bounded(64, pooled=True)
def tornado(scenario: Scenario, output: Output) -> whatif.Tornado:
    return whatif.tornado(scenario, output, cache.catalog())


@bounded(64)
def switching_values(scenario: Scenario) -> tuple[whatif.Switch, ...]:
    return whatif.switching_values(scenario, cache.catalog())


# The page shows each panel's stage itself (st.status, st.spinner).
@bounded(16, pooled=True)
def monte_carlo(scenario: Scenario, samples: int) -> whatif.Uncertainty:
    return whatif.monte_carlo(scenario, cache.catalog(), samples=samples)


@bounded(64)
def compare(entries: tuple[tuple[str, Scenario], ...]) -> whatif.Comparison:
    return whatif.compare(entries, cache.catalog())

"""Cached calls into the planner. Scenarios are frozen, so they hash by value."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from planner import economics, fleet, serving, training
from planner.attribution import Attribution, AttributionSettings, attribute
from planner.attribution import cost_by as attribution_cost_by
from planner.billing import Bill, CostView, bill_from_frame
from planner.catalog import Catalog, Pricing, load_catalog
from planner.demand_io import DemandCsv
from planner.finops import MonthlyPools, pools_from_bill
from planner.focus_sample import SampleSpec, generate_focus
from planner.io import GALLERY_DIR, GalleryEntry, gallery
from planner.scenario import Scenario


@st.cache_resource
def catalog() -> Catalog:
    return load_catalog()


@st.cache_resource
def gallery_entries() -> dict[str, GalleryEntry]:
    """The gallery by key. Read once per server: the files ship with the app."""
    return {entry.key: entry for entry in gallery()}


@st.cache_data(max_entries=64, show_spinner=False)
def economics_of(scenario: Scenario, demands: Demands) -> economics.UnitEconomics:
    return economics.evaluate(scenario, catalog(), demands=dict(demands))


@st.cache_data(max_entries=64, show_spinner=False)
def projection(scenario: Scenario, demands: Demands) -> pd.DataFrame:
    return economics.projection(scenario, catalog(), demands=dict(demands))


@st.cache_data(max_entries=32, show_spinner="Simulating the training run…")
def training_report(job: training.TrainingJob, pricing: Pricing) -> training.TrainingReport:
    return training.evaluate_plan(job, pricing, catalog())


# FinOps: the sample bill is built once per spec and shared read-only (each query takes its
# own DuckDB cursor); results are cached by the bill's fingerprint and the settings.


@st.cache_resource(max_entries=4, show_spinner="Making the sample bill…")
def sample_bill(spec: SampleSpec) -> Bill:
    return bill_from_frame(generate_focus(spec), source=f"the sample bill (seed {spec.seed})")


@st.cache_data(max_entries=64, show_spinner=False)
def attribution(_bill: Bill, fingerprint: str, settings: AttributionSettings) -> Attribution:
    return attribute(_bill, settings)


@st.cache_data(max_entries=128, show_spinner=False)
def cost_by(_bill: Bill, fingerprint: str, view: CostView, dimension: str) -> pd.DataFrame:
    return attribution_cost_by(_bill, view, dimension)


@st.cache_data(max_entries=16, show_spinner=False)
def bill_pools(_bill: Bill, fingerprint: str) -> MonthlyPools:
    return pools_from_bill(_bill)


# Serving: results are cached by the scenario (frozen, hashed by value) and the CSV demand
# (a tuple of floats, or None).


@st.cache_data(max_entries=32, show_spinner="Pricing the endpoint and its levers…")
def serving_result(
    endpoint: serving.Endpoint, pricing: Pricing, demand: tuple[float, ...] | None
) -> serving.ServingResult:
    return serving.evaluate_serving(endpoint, pricing, catalog(), csv_demand=demand)


@st.cache_data(max_entries=16, show_spinner="Optimising a mix over several instance types…")
def alternative_mix(
    endpoint: serving.Endpoint, pricing: Pricing, demand: tuple[float, ...] | None
) -> tuple[fleet.MixPlan, tuple[str, ...]]:
    problem, skipped = serving.alternative_mix_problem(
        endpoint, pricing, catalog(), csv_demand=demand
    )
    return fleet.optimize_mix(problem), skipped


@st.cache_data(max_entries=32, show_spinner=False)
def serving_right_sizing(
    endpoint: serving.Endpoint, pricing: Pricing, providers: tuple[str, ...] | None
) -> pd.DataFrame:
    return serving.right_sizing_frame(endpoint, pricing, catalog(), providers=providers)


# The hourly CSV demand of each endpoint that names one, as a hashable cache key.
Demands = tuple[tuple[str, tuple[float, ...]], ...]


@dataclass(frozen=True, slots=True)
class SystemDemand:
    """The scenario as it can be priced in this session, its endpoints' CSV demand, and why
    an endpoint's CSV is not used (it is neither uploaded nor shipped with the gallery)."""

    scenario: Scenario
    demands: Demands
    notices: tuple[str, ...]


def system_demand(scenario: Scenario, uploaded: DemandCsv | None) -> SystemDemand:
    """Each endpoint's demand where a link opens it: the session's upload or the gallery's
    CSV by name, else its traffic shape with a notice (:func:`planner.serving.demand_choice`)."""
    endpoints = []
    demands = []
    notices = []
    for endpoint in scenario.serving:
        choice = serving.demand_choice(endpoint, uploaded, GALLERY_DIR)
        endpoints.append(choice.endpoint)
        if choice.csv_demand is not None:
            demands.append((endpoint.name, choice.csv_demand))
        if choice.notice:
            notices.append(choice.notice)
    return SystemDemand(
        scenario=replace(scenario, serving=tuple(endpoints)),
        demands=tuple(demands),
        notices=tuple(notices),
    )

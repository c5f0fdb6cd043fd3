"""Cached calls into the planner. Scenarios are frozen, so they hash by value."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner import economics
from planner.catalog import Catalog, load_catalog
from planner.io import GalleryEntry, gallery
from planner.scenario import Scenario


@st.cache_resource
def catalog() -> Catalog:
    return load_catalog()


@st.cache_resource
def gallery_entries() -> dict[str, GalleryEntry]:
    """The gallery by key. Read once per server: the files ship with the app."""
    return {entry.key: entry for entry in gallery()}


@st.cache_data(max_entries=64, show_spinner=False)
def projection(scenario: Scenario) -> pd.DataFrame:
    return economics.projection(scenario, catalog())

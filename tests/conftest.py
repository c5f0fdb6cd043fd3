"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.io import GALLERY_DIR, read_scenario
from planner.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
GALLERY_FILES = sorted(GALLERY_DIR.glob("*.yaml"))


@pytest.fixture
def recommender() -> Scenario:
    return read_scenario(GALLERY_DIR / "recommendation_cost_per_request.yaml")

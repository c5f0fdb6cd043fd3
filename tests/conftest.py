"""Shared fixtures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from planner.io.scenario_files import GALLERY_DIR, read_scenario
from planner.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
GALLERY_FILES = sorted(GALLERY_DIR.glob("*.yaml"))


def run_capped(code: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a child with 1 GB of address space and 30 s: an unbounded read fails."""
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30)); "
    return subprocess.run(
        [sys.executable, "-c", limit + code],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        cwd=ROOT,
    )


@pytest.fixture
def recommender() -> Scenario:
    return read_scenario(GALLERY_DIR / "recommendation_cost_per_request.yaml")

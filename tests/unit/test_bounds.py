"""Computations bounded by their work, not by each input alone (issue 15, part 1).

A Monte Carlo's work is its draws × what each draw does: set every drawn parameter on a copy
of the scenario and price each of its jobs and endpoints. The draw count alone (at most
``MAX_SAMPLES``) let a scenario with many parameters and items ask for millions of those.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from planner import whatif
from planner.catalog import load_catalog
from planner.core.errors import PlannerInputError
from planner.io.scenario_files import gallery


@pytest.fixture(scope="module")
def recommender():
    return next(e for e in gallery() if e.key == "recommendation_cost_per_request").scenario


def _per_draw(scenario) -> int:
    return (
        len(whatif.spreads(scenario, load_catalog()))
        + len(scenario.training)
        + len(scenario.serving)
    )


def test_a_monte_carlo_within_its_work_bound_draws_what_was_asked(recommender):
    assert whatif.DEFAULT_SAMPLES * _per_draw(recommender) <= whatif.MAX_DRAW_WORK
    result = whatif.monte_carlo(recommender, samples=200)
    assert result.samples == 200
    assert result.note == ""
    assert all(len(values) == 200 for values in result.outputs.values())


def test_a_monte_carlo_above_its_work_bound_draws_fewer_and_says_so(recommender, monkeypatch):
    per_draw = _per_draw(recommender)
    monkeypatch.setattr(whatif, "MAX_DRAW_WORK", 300 * per_draw)
    result = whatif.monte_carlo(recommender, samples=2_000)
    assert result.samples == 300
    assert all(len(values) == 300 for values in result.outputs.values())
    assert "300 draws instead of the 2,000 asked" in result.note
    assert f"{per_draw - 2} parameters" in result.note


def test_a_monte_carlo_too_big_for_even_the_fewest_draws_is_refused(recommender, monkeypatch):
    monkeypatch.setattr(whatif, "MAX_DRAW_WORK", 50 * _per_draw(recommender))
    with pytest.raises(PlannerInputError, match="To fix: set ranges on fewer assumptions"):
        whatif.monte_carlo(recommender, samples=2_000)


def test_the_sensitivity_page_shows_the_note(recommender, monkeypatch):
    from planner.io.share import encode
    from tests.app.conftest import open_app

    monkeypatch.setattr(whatif, "MAX_DRAW_WORK", 300 * _per_draw(recommender))
    # The lowered bound is this process's: the Monte Carlo must run here, not in a worker.
    monkeypatch.setenv("PLANNER_POOL", "0")
    # A scenario no other test has drawn: the app's cache would hand back their full draws.
    unseen = replace(recommender, title="Bounded Monte Carlo")
    at = open_app({"s": encode(unseen)}, page="app_pages/sensitivity.py")
    assert not at.exception
    assert any("draws instead of the" in c.value for c in at.caption)

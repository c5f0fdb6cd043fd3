"""Heavy solves run in ui/cache.py's worker pool: the same answers as in the server's own
threads, the planner's errors as they are, results that pickle, and a switch to turn it off.

Each case uses arguments no other test uses, so the cache misses and the worker really runs.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import replace

import pytest

from planner import whatif
from planner.catalog import load_catalog
from planner.core.errors import PlannerInputError
from planner.costing import serving, training
from planner.io.scenario_files import GALLERY_DIR, read_scenario
from planner.scenario import Scenario
from planner.scenario.business_case import Output
from ui import cache, whatif_cache

CATALOG = load_catalog()


def _lesson(name: str, title: str) -> Scenario:
    return replace(read_scenario(GALLERY_DIR / f"{name}.yaml"), title=title)


def test_a_pooled_solve_runs_in_a_worker_and_matches_the_in_process_answer(monkeypatch):
    monkeypatch.setenv("PLANNER_POOL", "1")
    here_calls: list[object] = []
    real = serving.evaluate_serving

    def counted(*args: object, **kwargs: object) -> serving.ServingResult:
        """The real solve, counted: a call here is a solve in this process."""
        here_calls.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(serving, "evaluate_serving", counted)
    lesson = read_scenario(GALLERY_DIR / "inference_8c_to_2c.yaml")
    endpoint = replace(lesson.serving[0], name="pooled endpoint")
    pooled = cache.serving_result(endpoint, lesson.pricing, None)
    assert here_calls == []  # solved in a worker, whose module is not patched
    assert cache._pool is not None
    assert os.getpid() not in cache._pool._processes
    here = real(endpoint, lesson.pricing, CATALOG)
    assert pooled.optimised.monthly_cost_usd == here.optimised.monthly_cost_usd
    assert pooled.baseline.monthly_cost_usd == here.baseline.monthly_cost_usd
    assert [lever.saving_usd_per_month for lever in pooled.levers] == [
        lever.saving_usd_per_month for lever in here.levers
    ]


def test_a_planner_error_in_a_worker_reaches_the_page_as_it_is(monkeypatch):
    monkeypatch.setenv("PLANNER_POOL", "1")
    lesson = read_scenario(GALLERY_DIR / "recommendation_cost_per_request.yaml")
    slow = replace(lesson.serving[0].model, measured_requests_per_second_per_instance=1e-5)
    endpoint = replace(lesson.serving[0], name="too slow in a worker", model=slow)
    with pytest.raises(PlannerInputError) as error:
        cache.serving_result(endpoint, lesson.pricing, None)
    assert "more than the 10,000,000 the planner prices. To fix: check" in str(error.value)


@pytest.mark.parametrize(
    "solve",
    [
        lambda: cache.training_report(
            replace(_lesson("training_50k_to_18k", "x").training[0], name="pooled job"),
            _lesson("training_50k_to_18k", "x").pricing,
        ),
        lambda: cache.alternative_mix(
            replace(_lesson("inference_8c_to_2c", "x").serving[0], name="pooled mix"),
            _lesson("inference_8c_to_2c", "x").pricing,
            None,
        ),
        lambda: whatif_cache.tornado(
            _lesson("recommendation_cost_per_request", "pooled tornado"), Output.MONTHLY_COST
        ),
        lambda: whatif_cache.monte_carlo(
            _lesson("recommendation_cost_per_request", "pooled Monte Carlo"), whatif.MIN_SAMPLES
        ),
        lambda: cache.report_text(
            _lesson("build_vs_buy_mlflow_wandb", "pooled report"),
            "http://planner/?s=x",
            datetime.date(2026, 1, 1),
            "markdown",
        ),
    ],
    ids=["training", "mix", "tornado", "Monte Carlo", "report"],
)
def test_every_pooled_result_comes_back_from_a_worker(monkeypatch, solve):
    """A result that did not pickle would raise here, in the worker's reply."""
    monkeypatch.setenv("PLANNER_POOL", "1")
    assert solve() is not None


def test_with_the_pool_off_a_solve_runs_in_the_server(monkeypatch):
    monkeypatch.setenv("PLANNER_POOL", "0")
    monkeypatch.setattr(cache, "_pool", None)
    job = _lesson("training_50k_to_18k", "x").training[0]
    result = cache.training_report(replace(job, name="in the server"), Scenario().pricing)
    assert (
        result.run.cost_usd
        == training.evaluate_plan(
            replace(job, name="in the server"), Scenario().pricing, CATALOG
        ).run.cost_usd
    )
    assert cache._pool is None

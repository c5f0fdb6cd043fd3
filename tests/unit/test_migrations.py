"""Upgrading version-1 scenarios: each first-order workload becomes the job or endpoint that
costs what version 1 charged for it, and a change the user should know about is noted."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.catalog import PriceTier, load_catalog
from planner.core.errors import PlannerInputError
from planner.core.units import HOURS_PER_MONTH, SECONDS_PER_DAY
from planner.costing.economics import CostCategory, evaluate
from planner.scenario import load_mapping
from tests.strategies import PRICED

CATALOG = load_catalog()
EXAMPLES = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
CENT = 0.005

# What version 1 accepted that the upgrade turns into the same cost, drawn where each
# upgrade is exact; the tests below take the edges (a steep peak, a low utilisation, spot and
# reserved tiers), where a note must say the cost changes.
one_tier = st.none() | st.sampled_from(
    [PriceTier.ON_DEMAND, PriceTier.RESERVED_1Y, PriceTier.RESERVED_3Y]
)
v1_endpoints = st.fixed_dictionaries(
    {
        "name": st.just("api"),
        "requests_per_day": st.floats(0, 1e9),
        "instance_type": st.sampled_from(PRICED),
        "requests_per_second_per_instance": st.floats(1, 5000),
        "target_utilization": st.floats(0.17, 1.0),
        "peak_to_average": st.floats(1.0, 4.3),
        "min_instances": st.integers(0, 10),
    },
    optional={"price_tier": one_tier.map(lambda t: t and str(t))},
)
v1_jobs = st.fixed_dictionaries(
    {
        "name": st.just("train"),
        "instance_type": st.sampled_from(PRICED),
        "instance_count": st.integers(1, 64),
        "hours_per_run": st.floats(0.1, 2000),
        # Version 2 takes 0 or at least one model a century (a finite cost per run); a
        # version-1 file below that is refused with its field (test below).
        "runs_per_month": st.just(0.0) | st.floats(1 / 1200, 60),
    },
    optional={"price_tier": st.just("on_demand")},
)
default_tiers = st.none() | st.sampled_from(["on_demand", "reserved_1y", "reserved_3y"])


def v1_scenario(section: str, workload: dict, default_tier: str | None) -> dict:
    data: dict = {"schema_version": 1, section: [workload]}
    if default_tier is not None:
        data["pricing"] = {"default_tier": default_tier}
    return data


def v1_tier(workload: dict, default_tier: str | None) -> PriceTier:
    return PriceTier(workload.get("price_tier") or default_tier or "on_demand")


def v1_serving_usd_per_month(workload: dict, default_tier: str | None) -> float:
    """Version 1's formula: a fleet sized for the peak hour, around the clock."""
    peak = workload["requests_per_day"] / SECONDS_PER_DAY * workload["peak_to_average"]
    usable = workload["requests_per_second_per_instance"] * workload["target_utilization"]
    instances = max(workload["min_instances"], math.ceil(round(peak / usable, 9)))
    price = CATALOG.hourly_price(workload["instance_type"], v1_tier(workload, default_tier))
    return instances * price.usd_per_hour * HOURS_PER_MONTH


def v1_training_usd_per_month(workload: dict, default_tier: str | None) -> float:
    """Version 1's formula: instances × hours × price × runs."""
    price = CATALOG.hourly_price(workload["instance_type"], v1_tier(workload, default_tier))
    return (
        workload["instance_count"]
        * workload["hours_per_run"]
        * price.usd_per_hour
        * workload["runs_per_month"]
    )


def line(data: dict, category: CostCategory) -> float:
    loaded = load_mapping(data)
    assert loaded.scenario.schema_version == 2
    assert loaded.notes
    (only,) = [
        item for item in evaluate(loaded.scenario, CATALOG).lines if item.category is category
    ]
    return only.usd_per_month


@EXAMPLES
@given(v1_endpoints, default_tiers)
def test_a_v1_serving_workload_becomes_an_endpoint_that_costs_the_same(workload, default_tier):
    data = v1_scenario("serving", workload, default_tier)
    endpoint = load_mapping(data).scenario.endpoint("api")
    assert endpoint.instance_type == workload["instance_type"]
    assert endpoint.autoscaling.min_replicas == workload["min_instances"]
    assert endpoint.traffic.requests_per_day == workload["requests_per_day"]
    expected = v1_serving_usd_per_month(workload, default_tier)
    assert line(data, CostCategory.SERVING) == pytest.approx(expected, rel=1e-9, abs=CENT)


@EXAMPLES
@given(v1_jobs, st.none() | st.just("on_demand"))
def test_a_v1_training_workload_becomes_a_job_that_costs_the_same(workload, default_tier):
    data = v1_scenario("training", workload, default_tier)
    job = load_mapping(data).scenario.job("train")
    assert job.hours_per_run == workload["hours_per_run"]
    assert job.models_per_month == workload["runs_per_month"]
    assert (job.params, job.tokens) == (None, None)
    expected = v1_training_usd_per_month(workload, default_tier)
    assert line(data, CostCategory.TRAINING) == pytest.approx(expected, rel=1e-9, abs=CENT)


def test_a_v1_job_running_less_than_once_a_century_says_why_it_does_not_open():
    data = v1_scenario(
        "training",
        {"name": "train", "instance_type": "p4d.24xlarge", "runs_per_month": 1e-16},
        None,
    )
    with pytest.raises(PlannerInputError, match=r"models_per_month .*one model a century"):
        load_mapping(data)


def test_the_v1_defaults_are_written_out():
    # Version 1's defaults: a p4d for 24 h once a month; a g5 at 100 req/s, 60% loaded.
    data = {"schema_version": 1, "training": [{"name": "t"}], "serving": [{"name": "s"}]}
    data["serving"][0]["requests_per_day"] = 8_640_000
    scenario = load_mapping(data).scenario
    job, endpoint = scenario.job("t"), scenario.endpoint("s")
    assert (job.instance_type, job.hours_per_run, job.models_per_month) == ("p4d.24xlarge", 24, 1)
    assert endpoint.instance_type == "g5.xlarge"
    assert endpoint.model.measured_requests_per_second_per_instance == 100.0
    expected = v1_serving_usd_per_month(
        {
            "requests_per_day": 8_640_000,
            "peak_to_average": 1.0,
            "requests_per_second_per_instance": 100.0,
            "target_utilization": 0.6,
            "min_instances": 1,
            "instance_type": "g5.xlarge",
        },
        None,
    )
    assert line(data, CostCategory.SERVING) == pytest.approx(expected, abs=CENT)


def test_a_v1_stated_figure_names_its_job():
    data = {
        "schema_version": 1,
        "training": [{"name": "t", "hours_per_run": 2}],
        "stated": [{"name": "run", "value": 10, "unit": "usd_per_run", "workload": "t"}],
    }
    (figure,) = load_mapping(data).scenario.stated
    assert (figure.job, figure.baseline) == ("t", False)


def test_a_mapping_with_a_v1_section_and_no_version_is_version_1():
    loaded = load_mapping({"serving_plan": {"name": "chat"}})
    assert loaded.scenario.endpoint("chat").max_batch == 16  # version 1's default, kept
    assert loaded.scenario.endpoint("chat").autoscaling.enabled
    assert any("Serving page's plan" in note for note in loaded.notes)


def test_a_v1_plan_replaces_the_workload_it_stood_for():
    data = {
        "schema_version": 1,
        "serving": [{"name": "chat", "requests_per_day": 1000}],
        "serving_plan": {"name": "chat", "instance_type": "g6e.xlarge"},
        "training": [{"name": "nightly", "hours_per_run": 30.5}],
        "training_plan": {"workload": "nightly", "params": 1e9, "tokens": 2e10},
    }
    loaded = load_mapping(data)
    assert [e.name for e in loaded.scenario.serving] == ["chat"]
    assert loaded.scenario.endpoint("chat").instance_type == "g6e.xlarge"
    assert [j.name for j in loaded.scenario.training] == ["nightly"]
    assert loaded.scenario.job("nightly").hours_per_run is None
    assert any("hours_per_run: 30.5" in note for note in loaded.notes)


def test_a_version_newer_than_the_planner_is_refused():
    with pytest.raises(PlannerInputError, match="newer than this planner's 2"):
        load_mapping({"schema_version": 3})


# --------------------------------------------------------------------------- known gaps


def costs_the_same_or_says_so(data: dict, category: CostCategory, expected: float) -> None:
    """The upgrade keeps the cost, or a note names the item and says its cost changed."""
    loaded = load_mapping(data)
    (item,) = [c for c in evaluate(loaded.scenario, CATALOG).lines if c.category is category]
    if abs(item.usd_per_month - expected) <= CENT:
        return
    said = [n for n in loaded.notes if item.item in n and "cost" in n.lower()]
    assert said, (item.usd_per_month, expected, loaded.notes)


def test_a_v1_spot_serving_workload_keeps_its_cost_or_says_so():
    workload = {
        "name": "api",
        "requests_per_day": 8_640_000,
        "instance_type": "g5.xlarge",
        "requests_per_second_per_instance": 50,
        "target_utilization": 0.5,
        "price_tier": "spot",
    }
    expected = v1_serving_usd_per_month(
        {**workload, "peak_to_average": 1.0, "min_instances": 1}, None
    )
    costs_the_same_or_says_so(
        v1_scenario("serving", workload, None), CostCategory.SERVING, expected
    )


@pytest.mark.parametrize("tier", ["reserved_1y", "reserved_3y"])
def test_a_v1_reserved_training_workload_keeps_its_cost_or_says_so(tier):
    workload = {
        "name": "train",
        "instance_type": "p4d.24xlarge",
        "instance_count": 2,
        "hours_per_run": 10,
        "runs_per_month": 3,
        "price_tier": tier,
    }
    expected = v1_training_usd_per_month(workload, None)
    costs_the_same_or_says_so(
        v1_scenario("training", workload, None), CostCategory.TRAINING, expected
    )


def test_a_v1_spot_training_workload_keeps_its_cost_or_says_so():
    workload = {
        "name": "train",
        "instance_type": "p4d.24xlarge",
        "instance_count": 2,
        "hours_per_run": 10,
        "runs_per_month": 3,
        "price_tier": "spot",
    }
    expected = v1_training_usd_per_month(workload, None)
    costs_the_same_or_says_so(
        v1_scenario("training", workload, None), CostCategory.TRAINING, expected
    )


def test_a_v1_steep_peak_keeps_its_cost_or_says_so():
    workload = {
        "name": "api",
        "requests_per_day": 8_640_000,
        "instance_type": "g5.xlarge",
        "requests_per_second_per_instance": 50,
        "target_utilization": 0.5,
        "peak_to_average": 8.0,
    }
    expected = v1_serving_usd_per_month({**workload, "min_instances": 1}, None)
    costs_the_same_or_says_so(
        v1_scenario("serving", workload, None), CostCategory.SERVING, expected
    )


def test_a_v1_low_utilisation_workload_opens():
    workload = {"name": "api", "requests_per_day": 1000, "target_utilization": 0.1}
    load_mapping(v1_scenario("serving", workload, None))

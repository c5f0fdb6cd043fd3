"""Properties of the foundation: round-trips, sums, linearity and monotonicity."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.catalog import PriceOverride
from planner.costing.economics import CostCategory, evaluate, scale_traffic
from planner.costing.serving import price_endpoint
from planner.costing.training import estimate_run
from planner.io.share import decode, encode
from planner.scenario import Scenario, dump_scenario_yaml, parse_scenario_yaml
from tests.strategies import CATALOG, scenarios

settings.register_profile("ci", deadline=None, max_examples=60)
settings.load_profile("ci")


@given(scenarios)
def test_share_link_round_trip(scenario):
    assert decode(encode(scenario)).scenario == scenario


@given(scenarios)
def test_yaml_round_trip(scenario):
    assert parse_scenario_yaml(dump_scenario_yaml(scenario)) == scenario


@given(scenarios)
def test_breakdown_sums_to_total(scenario):
    result = evaluate(scenario)
    assert math.fsum(result.breakdown().values()) == pytest.approx(
        result.monthly_cost_usd, rel=1e-12, abs=1e-9
    )


@given(scenarios)
def test_each_overview_line_is_the_one_pricing_path(scenario):
    result = evaluate(scenario, CATALOG)
    training = [line for line in result.lines if line.category is CostCategory.TRAINING]
    serving = [line for line in result.lines if line.category is CostCategory.SERVING]
    assert [line.item for line in training] == [job.name for job in scenario.training]
    assert [line.item for line in serving] == [endpoint.name for endpoint in scenario.serving]
    for line, job in zip(training, scenario.training, strict=True):
        run = estimate_run(job, scenario.pricing, CATALOG)
        assert line.usd_per_month == run.cost_per_month_usd
    for line, endpoint in zip(serving, scenario.serving, strict=True):
        priced = price_endpoint(endpoint, scenario.pricing, CATALOG)
        assert line.usd_per_month == priced.monthly_cost_usd
    assert math.fsum(line.usd_per_month for line in result.lines) == pytest.approx(
        result.monthly_cost_usd, rel=1e-12, abs=1e-9
    )


def _every_price_pinned(scenario: Scenario, factor: float) -> Scenario:
    """The scenario with every instance it uses priced by override, times ``factor``."""
    used = {w.instance_type for w in (*scenario.training, *scenario.serving)}
    pinned = []
    for name in sorted(used):
        prices = {
            f"{tier}_usd_per_hour": CATALOG.hourly_price(
                name,
                tier,
                overrides=scenario.pricing.overrides,
                reserved_1y_discount=scenario.pricing.reserved_1y_discount,
                reserved_3y_discount=scenario.pricing.reserved_3y_discount,
            ).usd_per_hour
            * factor
            for tier in ("on_demand", "spot", "reserved_1y", "reserved_3y")
        }
        pinned.append(PriceOverride(instance_type=name, **prices))
    return replace(scenario, pricing=replace(scenario.pricing, overrides=tuple(pinned)))


@given(scenarios, st.floats(0.1, 10))
def test_compute_costs_scale_linearly_with_prices(scenario, factor):
    base = evaluate(_every_price_pinned(scenario, 1.0))
    scaled = evaluate(_every_price_pinned(scenario, factor))
    for category in ("training", "serving"):
        assert scaled.breakdown()[category] == pytest.approx(
            factor * base.breakdown()[category], rel=1e-9, abs=1e-9
        )


@given(scenarios, st.floats(1.0, 100.0))
def test_more_traffic_never_lowers_cost(scenario, factor):
    assert (
        evaluate(scale_traffic(scenario, factor)).monthly_cost_usd
        >= evaluate(scenario).monthly_cost_usd - 1e-9
    )


@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda b: "1." + b.hex()))
def test_decoding_any_text_returns_a_message_not_an_exception(text):
    decoded = decode(text)
    assert (decoded.scenario is None) == (decoded.problem is not None)

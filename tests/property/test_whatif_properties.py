"""Properties of build vs buy, sensitivity, uncertainty and the report."""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from planner import whatif
from planner.costing import buildbuy
from planner.costing.economics import evaluate
from planner.io.share import decode, encode
from planner.scenario import dump_scenario_yaml, parse_scenario_yaml
from planner.scenario.business_case import BusinessCase, Change, Output, Variant
from planner.scenario.serving import ServingPrecision
from planner.views import report
from tests.strategies import CATALOG, fleet_tiers, scenarios
from tests.strategies_business import any_scenarios, build_vs_buy_scenarios

# WHATIF_EXAMPLES raises the example count for a longer local search.
SLOW = settings(
    max_examples=int(os.environ.get("WHATIF_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
BVB = buildbuy.PREFIX
# Parameters that feed both options through the plan choice; the TCO difference need not be
# monotone in them (see whatif.TornadoBar.brackets).
TWO_SIDED = {
    f"{BVB}.{name}"
    for name in (
        "team_size",
        "seats_added_per_year",
        "runs_per_seat_month",
        "gb_per_run",
        "initial_artifact_gb",
    )
}


@SLOW
@given(scenarios, st.floats(1, 90))
def test_tornado_bars_bracket_the_base_monthly_cost(scenario, percent):
    result = whatif.tornado(scenario, Output.MONTHLY_COST, CATALOG, percent=percent)
    for bar in result.bars:
        assert bar.brackets(result.base_output), bar
    assert [b.swing for b in result.bars] == sorted((b.swing for b in result.bars), reverse=True)


@SLOW
@given(any_scenarios, st.floats(1, 90))
def test_tornado_low_and_high_values_bracket_the_base_value(scenario, percent):
    for output in whatif.available_outputs(scenario):
        result = whatif.tornado(scenario, output, CATALOG, percent=percent)
        for bar in result.bars:
            spread = bar.spread
            assert not spread.from_range  # a user's range may leave out the base value
            assert spread.low <= spread.base <= spread.high, spread
            assert spread.low < spread.high, spread  # a bar that cannot move is left out
            assert spread.parameter.allows(spread.low), spread
            assert spread.parameter.allows(spread.high), spread


@SLOW
@given(build_vs_buy_scenarios, st.floats(1, 90))
def test_tornado_bars_bracket_the_base_tco_difference(scenario, percent):
    result = whatif.tornado(scenario, Output.TCO_DIFFERENCE, CATALOG, percent=percent)
    for bar in result.bars:
        if bar.spread.parameter.key not in TWO_SIDED:
            assert bar.brackets(result.base_output), bar


@SLOW
@given(any_scenarios, st.integers(0, 2**32 - 1))
def test_percentiles_are_ordered(scenario, seed):
    result = whatif.monte_carlo(scenario, CATALOG, samples=300, seed=seed)
    table = result.percentiles()
    assert (table["p10"] <= table["p50"] + 1e-9 * table["p50"].abs()).all()
    assert (table["p50"] <= table["p90"] + 1e-9 * table["p90"].abs()).all()
    if result.fan is not None:
        assert (result.fan["p10"] <= result.fan["p90"] + 1e-6).all()


@SLOW
@given(any_scenarios)
def test_the_report_contains_every_assumption(scenario):
    built = report.build_report(
        scenario, CATALOG, parts=[report.unit_economics_part, report.build_vs_buy_part]
    )
    text = report.to_markdown(built)
    for param in whatif.key_parameters(scenario):
        value = whatif.format_value(param, whatif.value_of(scenario, param.key, CATALOG))
        # The Markdown escapes its cells (cced8ff), so compare with the escaped text.
        assert f"| {report.md_inline(param.label)} | {report.md_inline(value)} |" in text
    for source in scenario.sources:
        assert source in text


@SLOW
@given(scenarios, st.integers(0, 2**32 - 1))
def test_each_draw_is_priced_as_evaluate_prices_it(scenario, seed):
    rng = np.random.default_rng(seed)
    spreads = whatif.spreads(scenario, CATALOG, percent=50)
    values = {s.parameter.key: whatif.draw(s, 2, rng) for s in spreads}
    monthly, requests = whatif.unit_economics_draws(scenario, CATALOG, values)
    for i in range(2 if values else 1):
        one = scenario
        for key, draws in values.items():
            one = whatif.with_value(one, key, float(draws[i]))
        expected = evaluate(one, CATALOG)
        assert monthly[i] == pytest.approx(expected.monthly_cost_usd, rel=1e-9, abs=1e-6)
        assert requests[i] == pytest.approx(expected.requests_per_month, rel=1e-12)


@SLOW
@given(build_vs_buy_scenarios, st.integers(0, 2**32 - 1))
def test_vectorised_tco_equals_tco(scenario, seed):
    rng = np.random.default_rng(seed)
    spreads = whatif.spreads(scenario, CATALOG, output=Output.TCO_DIFFERENCE, percent=50)
    values = {s.parameter.key: whatif.draw(s, 2, rng) for s in spreads}
    build, buy = buildbuy.tco_arrays(scenario, CATALOG, values).totals()
    for i in range(2 if values else 1):
        one = scenario
        for key, draws in values.items():
            one = whatif.with_value(one, key, float(draws[i]))
        expected = buildbuy.tco(one, CATALOG)
        assert build[i] == pytest.approx(expected.build_usd, rel=1e-9, abs=1e-6)
        assert buy[i] == pytest.approx(expected.buy_usd, rel=1e-9, abs=1e-6)


@SLOW
@given(build_vs_buy_scenarios)
def test_tco_items_add_up_and_break_even_is_consistent(scenario):
    result = buildbuy.tco(scenario, CATALOG)
    assert sum(line.usd for line in result.lines) == pytest.approx(
        result.build_usd + result.buy_usd, rel=1e-9, abs=1e-6
    )
    cumulative = np.cumsum(np.subtract(result.build_monthly_usd, result.buy_monthly_usd))
    if result.break_even_month is not None:
        assert (cumulative[result.break_even_month - 1 :] <= buildbuy.TIE_USD).all()
    else:
        assert cumulative[-1] > buildbuy.TIE_USD


@SLOW
@given(build_vs_buy_scenarios)
def test_business_case_round_trips(scenario):
    assert decode(encode(scenario)).scenario == scenario
    assert parse_scenario_yaml(dump_scenario_yaml(scenario)) == scenario


@SLOW
@given(scenarios, st.sampled_from(list(ServingPrecision)), st.booleans(), fleet_tiers)
def test_a_variant_of_levers_round_trips_and_applies(scenario, precision, enabled, tiers):
    assume(scenario.serving)
    changes = (
        Change(parameter="serving[0].model.precision", value=str(precision)),
        Change(parameter="serving[0].autoscaling.enabled", value=enabled),
        Change(parameter="serving[0].mix.tiers", value=tuple(str(t) for t in tiers)),
    )
    case = BusinessCase(variants=(Variant(name="levers", changes=changes),))
    with_case = replace(scenario, business_case=case)
    assert decode(encode(with_case)).scenario == with_case
    assert parse_scenario_yaml(dump_scenario_yaml(with_case)) == with_case
    endpoint = whatif.variant_scenario(with_case, case.variants[0]).serving[0]
    assert endpoint.model.precision is precision
    assert endpoint.autoscaling.enabled is enabled
    assert endpoint.mix.tiers == tiers

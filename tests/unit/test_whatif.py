"""What-if: parameters, tornado, sweeps, switching values, Monte Carlo and compare."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from planner import buildbuy, whatif
from planner.business_case import BusinessCase, Change, Output, ParameterRange, Variant
from planner.economics import evaluate
from planner.errors import PlannerInputError
from planner.io import GALLERY_DIR, read_scenario
from planner.scenario import Scenario, ToolingItem

BVB = "business_case.build_vs_buy"


@pytest.fixture
def lesson() -> Scenario:
    return read_scenario(GALLERY_DIR / "build_vs_buy_mlflow_wandb.yaml")


def test_parameters_read_and_write_through_paths(recommender):
    key = "serving[0].requests_per_second_per_instance"
    assert whatif.value_of(recommender, key) == 250
    changed = whatif.with_value(recommender, key, 500)
    assert changed.serving[0].requests_per_second_per_instance == 500
    assert recommender.serving[0].requests_per_second_per_instance == 250  # not mutated
    # Whole-number fields stay whole.
    assert (
        whatif.with_value(recommender, "serving[0].min_instances", 2.6).serving[0].min_instances
        == 3
    )


def test_a_price_parameter_reads_the_catalog_and_writes_an_override(recommender):
    key = "price[g4dn.xlarge].on_demand"
    assert whatif.value_of(recommender, key) == pytest.approx(0.526)
    cheaper = whatif.with_value(recommender, key, 0.263)
    assert whatif.value_of(cheaper, key) == pytest.approx(0.263)
    fleet = evaluate(recommender).fleets[0]
    assert evaluate(cheaper).fleets[0].usd_per_month == pytest.approx(fleet.usd_per_month / 2)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("serving[5].requests_per_day", "serving has no item 5"),
        ("serving[0].instance_type", "not a number in this scenario"),
        ("nonsense", "not a number in this scenario"),
        ("price[g4dn.xlarge].gold", "gold is not a price tier"),
        ("price[no-such-type].spot", "unknown instance type"),
        ("business.requests_per_day", "requests_per_day is not set"),
    ],
)
def test_unknown_parameters_are_explained(recommender, key, message):
    with pytest.raises(PlannerInputError, match=message):
        whatif.parameter(recommender, key)


def test_apply_changes_validates(recommender):
    with pytest.raises(PlannerInputError, match=r"target_utilization .* = 1\.5"):
        whatif.apply_changes(recommender, {"serving[0].target_utilization": 1.5})


def test_key_parameters_cover_the_lead_list(recommender, lesson):
    keys = {p.key for p in whatif.key_parameters(recommender)}
    for expected in (
        "serving[0].requests_per_day",
        "serving[0].requests_per_second_per_instance",
        "serving[0].target_utilization",
        "price[g4dn.xlarge].on_demand",
        "price[p4d.24xlarge].on_demand",
        "training[0].runs_per_month",
        "training[0].hours_per_run",
        "storage[0].gb",
        "tooling[0].usd_per_month",
    ):
        assert expected in keys
    lesson_keys = {p.key for p in whatif.key_parameters(lesson)}
    assert f"{BVB}.self_hosted.opportunity_engineer_days_per_year" in lesson_keys
    assert f"{BVB}.saas.plans[0].usd_per_seat_month" in lesson_keys


def test_tornado_sorts_by_swing_and_uses_user_ranges(lesson):
    result = whatif.tornado(lesson, Output.TCO_DIFFERENCE)
    swings = [bar.swing for bar in result.bars]
    assert swings == sorted(swings, reverse=True)
    top = result.bars[0]
    assert top.spread.parameter.key == f"{BVB}.self_hosted.opportunity_engineer_days_per_year"
    assert (top.spread.low, top.spread.high) == (0, 40)
    # 0 days: build is 57,600; 40 days: 57,600 + 144,000.
    assert top.output_low == pytest.approx(57_600 - 90_000)
    assert top.output_high == pytest.approx(201_600 - 90_000)
    rate = next(b for b in result.bars if b.spread.parameter.key == f"{BVB}.usd_per_engineer_hour")
    assert (rate.spread.low, rate.spread.high) == pytest.approx((120, 180))  # ± 20%
    assert result.base_output == pytest.approx(39_600)


def test_tornado_keeps_values_in_bounds(recommender):
    near_full = whatif.with_value(recommender, "serving[0].target_utilization", 0.95)
    bars = whatif.tornado(near_full, Output.MONTHLY_COST, percent=50).bars
    utilisation = next(b for b in bars if b.spread.parameter.key.endswith("target_utilization"))
    assert utilisation.spread.high == 1.0


def test_a_range_outside_the_allowed_values_is_explained(recommender):
    case = BusinessCase(
        ranges=(ParameterRange(parameter="serving[0].target_utilization", low=0.5, high=1.4),)
    )
    with pytest.raises(PlannerInputError, match=r"high value at 1\.4, but it must be > 0 and ≤ 1"):
        whatif.tornado(replace(recommender, business_case=case), Output.MONTHLY_COST)


def test_an_output_that_does_not_apply_is_explained(recommender):
    with pytest.raises(PlannerInputError, match="no build-vs-buy section"):
        whatif.tornado(recommender, Output.TCO_DIFFERENCE)


def test_sweep(lesson):
    key = f"{BVB}.self_hosted.opportunity_engineer_days_per_year"
    frame = whatif.sweep(lesson, key, Output.TCO_DIFFERENCE, 0, 40, points=5)
    assert frame["value"].tolist() == [0, 10, 20, 30, 40]
    assert frame["output"].tolist() == pytest.approx([-32_400, 3_600, 39_600, 75_600, 111_600])
    team = whatif.sweep(lesson, f"{BVB}.team_size", Output.TCO_DIFFERENCE, 10, 12, points=25)
    assert team["value"].tolist() == [10, 11, 12]  # whole seats only
    with pytest.raises(PlannerInputError, match="the low value is above the high one"):
        whatif.sweep(lesson, key, Output.TCO_DIFFERENCE, 40, 0)
    with pytest.raises(PlannerInputError, match="cannot be -5"):
        whatif.sweep(lesson, key, Output.TCO_DIFFERENCE, -5, 0)


def test_switching_values_of_the_lesson(lesson):
    switches = {s.spread.parameter.key: s for s in whatif.switching_values(lesson)}
    opportunity = switches[f"{BVB}.self_hosted.opportunity_engineer_days_per_year"]
    # 27 engineer-days over three years is 9 a year.
    assert opportunity.value == pytest.approx(9, abs=1e-3)
    assert opportunity.in_range
    assert switches[f"{BVB}.team_size"].value == 21
    assert switches[f"{BVB}.saas.plans[0].usd_per_seat_month"].value == pytest.approx(
        129_600 / (14 * 36), rel=1e-4
    )
    # Cheaper infrastructure alone never makes building win.
    assert switches[f"{BVB}.self_hosted.server_usd_per_month"].value is None


def test_monte_carlo_is_reproducible_and_ordered(lesson):
    first = whatif.monte_carlo(lesson, samples=2_000, seed=7)
    second = whatif.monte_carlo(lesson, samples=2_000, seed=7)
    np.testing.assert_array_equal(first.outputs["tco_difference"], second.outputs["tco_difference"])
    table = first.percentiles().set_index("output")
    assert (table["p10"] <= table["p50"]).all()
    assert (table["p50"] <= table["p90"]).all()
    assert 0 < first.probability_build_cheaper < 1
    assert set(first.fan["series"]) == {"Self-hosted MLflow", "Weights & Biases"}
    assert "monthly_cost" not in first.outputs  # nothing in this case is priced monthly


def test_monte_carlo_respects_ranges(lesson):
    result = whatif.monte_carlo(lesson, samples=5_000)
    spread = {s.parameter.key: s for s in result.spreads}
    opportunity = spread[f"{BVB}.self_hosted.opportunity_engineer_days_per_year"]
    assert (opportunity.low, opportunity.likely, opportunity.high) == (0, 20, 40)
    build = result.outputs["build_tco"]
    # Every draw lies between all-low and all-high build costs.
    assert build.min() > 30_000
    assert build.max() < 300_000


def test_monte_carlo_sample_count_is_checked(lesson):
    with pytest.raises(PlannerInputError, match="outside 100 to 100,000"):
        whatif.monte_carlo(lesson, samples=10)


def test_vectorised_unit_economics_equals_evaluate(recommender):
    rng = np.random.default_rng(3)
    spreads = whatif.spreads(recommender, percent=60)
    values = {s.parameter.key: whatif.draw(s, 200, rng) for s in spreads}
    monthly, requests = whatif.unit_economics_arrays(recommender, values=values)
    for i in range(0, 200, 7):
        one = recommender
        for key, draws in values.items():
            one = whatif.with_value(one, key, float(draws[i]))
        expected = evaluate(one)
        assert monthly[i] == pytest.approx(expected.monthly_cost_usd, rel=1e-9)
        assert requests[i] == pytest.approx(expected.requests_per_month, rel=1e-12)


def test_a_derived_reserved_price_follows_a_sampled_on_demand_price(recommender):
    reserved = replace(
        recommender, serving=(replace(recommender.serving[0], price_tier="reserved_1y"),)
    )
    key = "price[g4dn.xlarge].on_demand"
    monthly, _ = whatif.unit_economics_arrays(reserved, values={key: np.array([1.052])})
    expected = evaluate(whatif.with_value(reserved, key, 1.052)).monthly_cost_usd
    assert monthly[0] == pytest.approx(expected)


def test_vectorised_tco_equals_tco(lesson):
    keys = [f"{BVB}.team_size", f"{BVB}.seats_added_per_year", f"{BVB}.usd_per_engineer_hour"]
    values = {
        keys[0]: np.array([3.0, 30.0]),
        keys[1]: np.array([0.0, 7.5]),
        keys[2]: np.array([90.0, 210.0]),
    }
    build, buy = buildbuy.tco_arrays(lesson, values=values).totals()
    for i in range(2):
        one = lesson
        for key in keys:
            one = whatif.with_value(one, key, float(values[key][i]))
        expected = buildbuy.tco(one)
        assert build[i] == pytest.approx(expected.build_usd)
        assert buy[i] == pytest.approx(expected.buy_usd)


def test_variants_apply_their_changes(lesson):
    variant = Variant(
        name="Cheaper rate", changes=(Change(parameter=f"{BVB}.usd_per_engineer_hour", value=100),)
    )
    changed = whatif.variant_scenario(lesson, variant)
    assert changed.business_case.build_vs_buy.usd_per_engineer_hour == 100
    assert changed.title.endswith("— Cheaper rate")
    assert changed.business_case.variants == ()
    bad = Variant(name="Broken", changes=(Change(parameter=f"{BVB}.team_size", value=-1),))
    with pytest.raises(PlannerInputError, match=r'Variant "Broken".*team_size = -1'):
        whatif.variant_scenario(lesson, bad)


def test_compare_gives_every_figure_and_its_delta(lesson):
    variant = lesson.business_case.variants[0]
    result = whatif.compare(
        [("base", lesson), ("variant", whatif.variant_scenario(lesson, variant))]
    )
    figures = {f.key: f.value for f in result.figures[1]}
    deltas = dict(zip((f.key for f in result.figures[1]), result.deltas(1), strict=True))
    assert figures["build_usd"] == pytest.approx(57_600)
    assert deltas["build_usd"] == pytest.approx(-72_000)
    assert deltas["buy_usd"] == 0
    assert deltas["break_even_month"] is None  # the base has none
    frame = result.frame()
    assert list(frame.columns) == ["Figure", "base", "variant", "Δ variant"]
    assert "Monthly cost" not in set(frame["Figure"])  # zero everywhere: left out


def test_comparing_a_scenario_with_itself_is_refused(lesson):
    renamed = replace(lesson, title="Another title", description="Different words")
    with pytest.raises(PlannerInputError, match=r"Scenario 2 \(copy\) is the same as scenario 1"):
        whatif.compare([("base", lesson), ("copy", renamed)])
    with pytest.raises(PlannerInputError, match="Compare takes 2 to 4 scenarios, not 1"):
        whatif.compare([("base", lesson)])
    many = [(str(i), whatif.with_value(lesson, f"{BVB}.team_size", i)) for i in range(5)]
    with pytest.raises(PlannerInputError, match="not 5"):
        whatif.compare(many)


def test_compare_names_are_made_unique(recommender):
    other = whatif.with_value(recommender, "storage[0].gb", 1)
    result = whatif.compare([("same", recommender), ("same", other)])
    assert result.names == ("same", "same (2)")


def test_parameter_labels_name_their_owner(lesson, recommender):
    labels = {p.key: p.label for p in whatif.key_parameters(lesson)}
    assert labels[f"{BVB}.saas.plans[0].usd_per_month"] == (
        "Plan fee — Weights & Biases, plan “quote for 14 seats”"
    )
    assert labels[f"{BVB}.self_hosted.setup_hours"] == "Setup — Self-hosted MLflow"
    recommender_labels = {p.key: p.label for p in whatif.key_parameters(recommender)}
    assert recommender_labels["tooling[0].usd_per_month"] == (
        "Monthly cost — tooling “feature store (shared platform)”"
    )


def test_default_output(lesson, recommender):
    assert whatif.default_output(lesson) is Output.TCO_DIFFERENCE
    assert whatif.default_output(recommender) is Output.MONTHLY_COST
    chosen = replace(
        recommender, business_case=BusinessCase(tornado_output=Output.COST_PER_REQUEST)
    )
    assert whatif.default_output(chosen) is Output.COST_PER_REQUEST
    assert Output.MONTHLY_COST not in whatif.available_outputs(lesson)


def test_a_business_case_without_tooling_is_all_we_need():
    scenario = Scenario(tooling=(ToolingItem(name="x", usd_per_month=10),))
    assert whatif.available_outputs(scenario) == (Output.MONTHLY_COST,)

"""What-if: parameters, levers, tornado, sweeps, switching values, Monte Carlo and compare."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from planner import whatif
from planner.core.errors import PlannerInputError
from planner.costing import buildbuy
from planner.costing.economics import evaluate
from planner.io.scenario_files import GALLERY_DIR, read_scenario
from planner.scenario import Scenario, ToolingItem, dump_scenario_yaml, parse_scenario_yaml
from planner.scenario.business_case import BusinessCase, Change, Output, ParameterRange, Variant
from planner.scenario.serving import Endpoint, ServingPrecision, Traffic

BVB = "business_case.build_vs_buy"


@pytest.fixture
def lesson() -> Scenario:
    return read_scenario(GALLERY_DIR / "build_vs_buy_mlflow_wandb.yaml")


@pytest.fixture
def training_case() -> Scenario:
    return read_scenario(GALLERY_DIR / "training_50k_to_18k.yaml")


@pytest.fixture
def serving_case() -> Scenario:
    return read_scenario(GALLERY_DIR / "inference_8c_to_2c.yaml")


@pytest.fixture
def chat() -> Scenario:
    """An LLM endpoint the roofline sizes, busy enough that its precision moves its fleet."""
    endpoint = Endpoint(
        name="chat", traffic=Traffic(requests_per_day=2e6, horizon_weeks=1), max_batch=16
    )
    return Scenario(title="chat", serving=(endpoint,))


def test_parameters_read_and_write_through_paths(recommender):
    key = "serving[0].model.measured_requests_per_second_per_instance"
    assert whatif.value_of(recommender, key) == 250
    changed = whatif.with_value(recommender, key, 500)
    assert changed.serving[0].model.measured_requests_per_second_per_instance == 500
    assert recommender.serving[0].model.measured_requests_per_second_per_instance == 250
    # Whole-number fields stay whole.
    replicas = "serving[0].autoscaling.min_replicas"
    assert whatif.with_value(recommender, replicas, 2.6).serving[0].autoscaling.min_replicas == 3


def test_a_price_parameter_reads_the_catalog_and_writes_an_override(recommender):
    key = "price[g4dn.xlarge].on_demand"
    assert whatif.value_of(recommender, key) == pytest.approx(0.526)
    cheaper = whatif.with_value(recommender, key, 0.263)
    assert whatif.value_of(cheaper, key) == pytest.approx(0.263)
    endpoint = evaluate(recommender).endpoints[0]
    assert evaluate(cheaper).endpoints[0].usd_per_month == pytest.approx(endpoint.usd_per_month / 2)


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
    with pytest.raises(PlannerInputError, match=r"serving\[0\]\.autoscaling\.headroom .* = 120"):
        whatif.apply_changes(recommender, {"serving[0].autoscaling.headroom": 120})


def test_key_parameters_cover_the_lead_list(recommender, lesson):
    keys = {p.key for p in whatif.key_parameters(recommender)}
    for expected in (
        "serving[0].traffic.requests_per_day",
        "serving[0].model.measured_requests_per_second_per_instance",
        "serving[0].autoscaling.headroom",
        "price[g4dn.xlarge].on_demand",
        "price[p4d.24xlarge].on_demand",
        "training[0].models_per_month",
        "training[0].hours_per_run",
        "storage[0].gb",
        "tooling[0].usd_per_month",
    ):
        assert expected in keys
    lesson_keys = {p.key for p in whatif.key_parameters(lesson)}
    assert f"{BVB}.self_hosted.opportunity_engineer_days_per_year" in lesson_keys
    assert f"{BVB}.saas.plans[0].usd_per_seat_month" in lesson_keys


def test_the_gallery_cases_vary_mfu_and_the_cache_hit_rate(training_case, serving_case):
    training = whatif.tornado(training_case, Output.MONTHLY_COST)
    mfu = next(b for b in training.bars if b.spread.parameter.key == "training[0].mfu")
    # More MFU, fewer hours: the cost falls as MFU rises.
    assert mfu.output_high < training.base_output < mfu.output_low
    serving = whatif.tornado(serving_case, Output.COST_PER_REQUEST)
    assert "serving[0].cache_hit_rate" in {b.spread.parameter.key for b in serving.bars}
    drawn = {s.parameter.key for s in whatif.monte_carlo(training_case, samples=100).spreads}
    assert "training[0].mfu" in drawn
    drawn = {s.parameter.key for s in whatif.monte_carlo(serving_case, samples=100).spreads}
    assert "serving[0].cache_hit_rate" in drawn


def test_a_sweep_reaches_into_an_endpoint_and_a_job(serving_case, training_case):
    cache = whatif.sweep(
        serving_case, "serving[0].cache_hit_rate", Output.MONTHLY_COST, 0, 0.9, points=4
    )
    assert cache["value"].tolist() == pytest.approx([0, 0.3, 0.6, 0.9])
    assert cache["output"].is_monotonic_decreasing
    mfu = whatif.sweep(training_case, "training[0].mfu", Output.MONTHLY_COST, 0.2, 0.6, points=3)
    assert mfu["output"].is_monotonic_decreasing
    assert mfu["output"].iloc[0] > mfu["output"].iloc[-1]


def test_levers_of_any_kind_are_validated_by_the_schema(serving_case, chat):
    fp16 = whatif.apply_changes(chat, {"serving[0].model.precision": "fp16"})
    int4 = whatif.apply_changes(chat, {"serving[0].model.precision": "int4"})
    assert int4.serving[0].model.precision is ServingPrecision.INT4
    assert evaluate(int4).monthly_cost_usd < evaluate(fp16).monthly_cost_usd
    fixed = whatif.apply_changes(serving_case, {"serving[0].autoscaling.enabled": False})
    assert fixed.serving[0].autoscaling.enabled is False
    on_demand = whatif.apply_changes(serving_case, {"serving[0].mix.tiers": ("on_demand",)})
    assert evaluate(on_demand).monthly_cost_usd > evaluate(serving_case).monthly_cost_usd
    moved = whatif.with_value(serving_case, "serving[0].instance_type", "g4dn.2xlarge")
    assert moved.serving[0].instance_type == "g4dn.2xlarge"
    # A number for a field that is unset is written through the schema as well.
    growth = whatif.apply_changes(chat, {"business.requests_per_day": 5e6})
    assert growth.business.requests_per_day == 5e6


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "serving[0].model.precision",
            "int9",
            "serving[0].model.precision (\"ML API\") = \"int9\": Input should be 'fp16', 'fp8', "
            "'int8' or 'int4'",
        ),
        ("serving[0].autoscaling.enabled", "maybe", 'enabled ("ML API") = "maybe"'),
        (
            "serving[0].mix.tiers",
            ("on_demand", "gold"),
            "serving[0].mix.tiers[1] = \"gold\": Input should be 'on_demand', 'spot'",
        ),
        (
            "serving[0].model.precison",
            "int8",
            "serving[0].model has no field 'precison' (did you mean 'precision')",
        ),
        ("serving[0].model", "int8", "it is a section, not a value"),
        ("price[g4dn.xlarge].spot", "cheap", "a price is a number of USD per hour"),
        ("training[0].precision", "bf16", "training has no item 0"),
    ],
)
def test_a_bad_lever_names_the_field_the_value_and_what_is_allowed(
    serving_case, key, value, message
):
    with pytest.raises(PlannerInputError) as raised:
        whatif.apply_changes(serving_case, {key: value})
    assert message in str(raised.value)


def test_lever_keys_list_every_setting_of_a_job_and_an_endpoint(training_case, serving_case):
    serving = whatif.lever_keys(serving_case)
    for key in (
        "serving[0].model.precision",
        "serving[0].autoscaling.enabled",
        "serving[0].instance_type",
        "serving[0].mix.tiers",
        "serving[0].custom_instances[0].int8_speedup",
    ):
        assert key in serving
    assert "serving[0].name" not in serving
    training = whatif.lever_keys(training_case)
    assert {"training[0].precision", "training[0].pricing", "training[0].mfu"} <= set(training)
    assert "training[0].baseline.precision" in training
    assert whatif.lever_value(serving_case, "serving[0].mix.tiers") == (
        "on_demand",
        "spot",
        "reserved_1y",
    )
    assert whatif.lever_value(training_case, "training[0].pricing") == "spot"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("int8", "int8"),
        ("true", True),
        ("False", False),
        ("0.25", 0.25),
        ("72,000,000", 72e6),
        ("[on_demand, spot]", ("on_demand", "spot")),
        ("g4dn.xlarge", "g4dn.xlarge"),
    ],
)
def test_a_typed_value_reads_back_as_written(text, value):
    assert whatif.parse_value(text) == value
    assert whatif.parse_value(whatif.format_change(value)) == value


def test_an_empty_typed_value_is_explained():
    with pytest.raises(PlannerInputError, match="is not a value a variant can hold"):
        whatif.parse_value("  ")


def test_old_numeric_variants_load_unchanged_and_levers_round_trip(lesson):
    variant = lesson.business_case.variants[0]
    assert all(isinstance(c.value, float) for c in variant.changes)
    text = (
        "serving:\n  - name: api\nbusiness_case:\n  variants:\n    - name: INT8 on spot\n"
        "      changes:\n        - parameter: serving[0].model.precision\n          value: int8\n"
        "        - parameter: serving[0].autoscaling.enabled\n          value: true\n"
        "        - parameter: serving[0].mix.tiers\n          value: [on_demand, spot]\n"
        "        - parameter: serving[0].traffic.requests_per_day\n          value: 2000000\n"
    )
    scenario = parse_scenario_yaml(text)
    values = [c.value for c in scenario.business_case.variants[0].changes]
    assert values == ["int8", True, ("on_demand", "spot"), 2e6]
    assert parse_scenario_yaml(dump_scenario_yaml(scenario)) == scenario
    changed = whatif.variant_scenario(scenario, scenario.business_case.variants[0])
    endpoint = changed.serving[0]
    assert (endpoint.model.precision, endpoint.autoscaling.enabled) == (ServingPrecision.INT8, True)
    assert endpoint.traffic.requests_per_day == 2e6


def test_a_precision_variant_changes_the_monthly_cost_in_compare(chat):
    variant = Variant(
        name="INT8", changes=(Change(parameter="serving[0].model.precision", value="int8"),)
    )
    result = whatif.compare([("fp16", chat), ("int8", whatif.variant_scenario(chat, variant))])
    base, changed = ({f.key: f.value for f in figures} for figures in result.figures)
    assert changed["monthly_cost_usd"] < base["monthly_cost_usd"]
    assert result.deltas(1)[0] == pytest.approx(
        changed["monthly_cost_usd"] - base["monthly_cost_usd"]
    )


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


def test_tornado_keeps_values_in_bounds(serving_case):
    nearly_all = whatif.with_value(serving_case, "serving[0].cache_hit_rate", 0.9)
    bars = whatif.tornado(nearly_all, Output.MONTHLY_COST, percent=50).bars
    cache = next(b for b in bars if b.spread.parameter.key == "serving[0].cache_hit_rate")
    assert cache.spread.high == 0.99


def test_a_range_outside_the_allowed_values_is_explained(serving_case):
    case = BusinessCase(
        ranges=(ParameterRange(parameter="serving[0].cache_hit_rate", low=0.5, high=1.4),)
    )
    with pytest.raises(
        PlannerInputError, match=r"high value at 1\.4, but it must be ≥ 0 and ≤ 0\.99"
    ):
        whatif.tornado(replace(serving_case, business_case=case), Output.MONTHLY_COST)


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
    with pytest.raises(PlannerInputError, match="outside 100 to 20,000"):
        whatif.monte_carlo(lesson, samples=10)
    with pytest.raises(PlannerInputError, match="outside 100 to 20,000"):
        whatif.monte_carlo(lesson, samples=whatif.MAX_SAMPLES + 1)


def test_each_draw_is_priced_by_evaluate(recommender):
    rng = np.random.default_rng(3)
    spreads = whatif.spreads(recommender, percent=60)
    values = {s.parameter.key: whatif.draw(s, 20, rng) for s in spreads}
    monthly, requests = whatif.unit_economics_draws(recommender, values=values)
    for i in range(0, 20, 7):
        one = recommender
        for key, draws in values.items():
            one = whatif.with_value(one, key, float(draws[i]))
        expected = evaluate(one)
        assert monthly[i] == pytest.approx(expected.monthly_cost_usd, rel=1e-9)
        assert requests[i] == pytest.approx(expected.requests_per_month, rel=1e-12)


def test_a_derived_reserved_price_follows_a_sampled_on_demand_price(serving_case):
    key = "price[g4dn.xlarge].on_demand"
    monthly, _ = whatif.unit_economics_draws(serving_case, values={key: np.array([1.052])})
    expected = evaluate(whatif.with_value(serving_case, key, 1.052)).monthly_cost_usd
    assert monthly[0] == pytest.approx(expected)
    assert monthly[0] > evaluate(serving_case).monthly_cost_usd  # its reservations cost more


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
    assert recommender_labels["serving[0].traffic.requests_per_day"] == (
        "Requests/day — endpoint “recommendation endpoint”"
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

"""The serving model: roofline throughput, traffic, fleet, cost and the lever attribution."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from planner.catalog import PriceTier, load_catalog
from planner.core.errors import PlannerInputError
from planner.core.formatting import usd
from planner.costing.serving import (
    Lever,
    alternative_mix_problem,
    baseline_config,
    basis_lines,
    check_plan,
    evaluate_config,
    evaluate_serving,
    headline,
    instance_choices,
    instance_throughput,
    kv_bytes_per_token,
    lag_adjusted,
    mix_headline,
    mix_hours_frame,
    mix_note,
    mix_types_bought,
    overlap_note,
    plan_config,
    price_endpoint,
    right_sizing_frame,
    right_sizing_providers,
    serve_summary,
    starter_endpoint,
    stated_notes,
    summary_note,
    traffic_profile,
    week_count,
    week_rows,
    week_shape,
)
from planner.io.demand import DemandChoice, DemandCsv, demand_choice
from planner.io.scenario_files import GALLERY_DIR, read_scenario
from planner.models.fleet import optimize_mix
from planner.scenario import Scenario, dump_scenario_yaml, parse_scenario_yaml
from planner.scenario.serving import (
    Autoscaling,
    CustomInstance,
    Endpoint,
    FleetMix,
    ModelKind,
    ServedModel,
    ServingBaseline,
    ServingPrecision,
    Traffic,
)
from planner.views.serving_charts import waterfall_chart
from tests.strategies import fixed_endpoint

CASE_SCENARIO = read_scenario(GALLERY_DIR / "inference_8c_to_2c.yaml")
CASE = CASE_SCENARIO.serving[0]
PRICING = CASE_SCENARIO.pricing
# Every lever on: autoscaling and all four tiers (version 1's defaults, which these tests
# were written against; version 2 starts with every lever off).
ALL_TIERS = (PriceTier.ON_DEMAND, PriceTier.SPOT, PriceTier.RESERVED_1Y, PriceTier.RESERVED_3Y)
LLM = Endpoint(
    traffic=Traffic(requests_per_day=2_000_000, peak_to_average=2.5, horizon_weeks=2),
    model=ServedModel(parameters_billion=8, precision=ServingPrecision.INT8, output_tokens=250),
    instance_type="g6.xlarge",
    max_batch=32,
    latency_target_ms=30_000,  # the fp16 batch-1 baseline on an L4 takes ~21 s
    cache_hit_rate=0.15,
    baseline=ServingBaseline(instance_type="g6e.xlarge"),
    autoscaling=Autoscaling(enabled=True),
    mix=FleetMix(tiers=ALL_TIERS, spot_max_share=0.3),
)


# --------------------------------------------------------------------------- throughput


def test_decode_is_bandwidth_bound_at_small_batch_and_compute_bound_at_large():
    # A small KV cache per sequence (grouped-query attention, short context); with long
    # multi-head contexts the KV reads keep decode bandwidth-bound at any batch.
    model = replace(LLM.model, kv_cache_mb_per_token=0.05, input_tokens=100, output_tokens=50)
    plan = replace(LLM, model=model, latency_target_ms=3_600_000, max_batch=4096)
    small = instance_throughput(plan, "p5.48xlarge", ServingPrecision.FP16, 1)
    large = instance_throughput(plan, "p5.48xlarge", ServingPrecision.FP16, 4096)
    assert small.bound == "memory bandwidth"
    assert large.bound == "compute"
    # Batching raises throughput a lot while bandwidth-bound, then saturates.
    assert large.requests_per_second > 20 * small.requests_per_second


def test_quantization_speeds_up_bandwidth_bound_decode():
    plan = replace(LLM, max_batch=1)
    fp16 = instance_throughput(plan, "g6e.xlarge", ServingPrecision.FP16, 1)
    int8 = instance_throughput(plan, "g6e.xlarge", ServingPrecision.INT8, 1)
    int4 = instance_throughput(plan, "g6e.xlarge", ServingPrecision.INT4, 1)
    assert fp16.requests_per_second < int8.requests_per_second < int4.requests_per_second
    assert int8.weights_gb == pytest.approx(fp16.weights_gb / 2)
    assert int4.weights_gb == pytest.approx(fp16.weights_gb / 4)


def test_memory_fit_weights_plus_kv_cache():
    big = replace(
        LLM, model=replace(LLM.model, parameters_billion=70, precision=ServingPrecision.FP16)
    )
    with pytest.raises(PlannerInputError, match=r"needs [0-9,.]+ GB .* 1 × L4 have 21.6 GB"):
        instance_throughput(big, "g6.xlarge", ServingPrecision.FP16, 8)
    p4d = instance_throughput(big, "p4d.24xlarge", ServingPrecision.FP16, 8)
    assert p4d.gpus_per_replica == 8
    assert p4d.replicas == 1
    # Quantized, the same model needs fewer GPUs per replica.
    assert instance_throughput(big, "p4d.24xlarge", ServingPrecision.INT4, 8).gpus_per_replica < 8


def test_quantization_frees_memory_for_a_bigger_batch():
    plan = replace(LLM, latency_target_ms=3_600_000, max_batch=4096)
    fp16 = instance_throughput(plan, "g6.xlarge", ServingPrecision.FP16, 4096)
    int4 = instance_throughput(plan, "g6.xlarge", ServingPrecision.INT4, 4096)
    assert fp16.limited_by == "memory"
    assert int4.batch > 2 * fp16.batch


def test_the_latency_target_limits_the_batch():
    loose = instance_throughput(LLM, "g6.xlarge", ServingPrecision.INT8, 32)
    tight = instance_throughput(
        replace(LLM, latency_target_ms=12_000), "g6.xlarge", ServingPrecision.INT8, 32
    )
    assert tight.batch < loose.batch
    assert tight.limited_by == "latency target"
    assert tight.latency_ms <= 12_000
    with pytest.raises(PlannerInputError, match="even at batch 1"):
        instance_throughput(
            replace(LLM, latency_target_ms=500), "g6.xlarge", ServingPrecision.INT8, 32
        )


def test_kv_cache_per_token_is_derived_or_given():
    assert kv_bytes_per_token(ServedModel(parameters_billion=7)) == pytest.approx(0.55e6, rel=0.02)
    assert kv_bytes_per_token(ServedModel(kv_cache_mb_per_token=0.125)) == 125_000


def test_a_measured_figure_overrides_the_model_and_calibrates_the_rest():
    measured = replace(LLM, model=replace(LLM.model, measured_tokens_per_second_per_gpu=500.0))
    own = instance_throughput(measured, "g6.xlarge", ServingPrecision.INT8, 32)
    assert own.tokens_per_second_per_gpu == pytest.approx(500.0)
    assert own.bound == "measured"
    modelled = instance_throughput(LLM, "g6.xlarge", ServingPrecision.INT8, 32)
    factor = 500.0 / modelled.tokens_per_second_per_gpu
    other = instance_throughput(measured, "g6.xlarge", ServingPrecision.FP16, 32)
    plain = instance_throughput(LLM, "g6.xlarge", ServingPrecision.FP16, 32)
    assert other.requests_per_second == pytest.approx(plain.requests_per_second * factor)
    # Another instance type is not calibrated by a figure measured on this one.
    assert instance_throughput(
        measured, "g6e.xlarge", ServingPrecision.INT8, 32
    ) == instance_throughput(LLM, "g6e.xlarge", ServingPrecision.INT8, 32)


def test_classic_batchability_gives_the_stated_batching_gain():
    plan = CASE
    one = instance_throughput(plan, "g4dn.xlarge", ServingPrecision.FP16, 1)
    sixteen = instance_throughput(plan, "g4dn.xlarge", ServingPrecision.FP16, 16)
    assert sixteen.requests_per_second / one.requests_per_second == pytest.approx(3.2, rel=1e-3)
    int8 = instance_throughput(plan, "g4dn.xlarge", ServingPrecision.INT8, 1)
    # T4: weights halve and INT8 runs at 130 vs 65 TOPS, so batch-1 time halves.
    assert int8.requests_per_second == pytest.approx(2 * one.requests_per_second)


def test_a_custom_instance_uses_its_measured_figures_and_stated_speedups():
    plan = CASE
    cpu = instance_throughput(plan, "m5.2xlarge", ServingPrecision.FP16, 1)
    assert cpu.requests_per_second == pytest.approx(3.2)
    assert instance_throughput(
        plan, "m5.2xlarge", ServingPrecision.INT8, 1
    ).requests_per_second == (pytest.approx(12.8))


def test_missing_gpu_specs_say_what_to_enter():
    with pytest.raises(PlannerInputError, match=r"A10G.*enter a measured throughput"):
        instance_throughput(LLM, "g5.xlarge", ServingPrecision.INT8, 32)


# --------------------------------------------------------------------------- traffic


@pytest.mark.parametrize("ratio", [1.5, 2.0, 3.7])
def test_the_shape_hits_the_peak_to_average(ratio):
    shape, notes = week_shape(Traffic(peak_to_average=ratio))
    assert shape.mean() == pytest.approx(1.0)
    assert shape.max() / shape.mean() == pytest.approx(ratio, rel=1e-6)
    assert notes == ()


def test_an_unreachable_peak_to_average_is_capped_with_a_note():
    shape, notes = week_shape(Traffic(weekly_shape="flat", peak_to_average=49))
    assert notes
    assert "cannot reach" in notes[0]
    assert shape.max() / shape.mean() < 49


def test_traffic_volume_and_growth():
    flat = traffic_profile(
        Traffic(requests_per_day=864_000, daily_shape="flat", weekly_shape="flat", horizon_weeks=1)
    )
    assert flat.requests_per_second == pytest.approx(np.full(168, 10.0))
    grown = traffic_profile(
        Traffic(
            requests_per_day=864_000,
            daily_shape="flat",
            weekly_shape="flat",
            horizon_weeks=8,
            monthly_growth=0.1,
        )
    )
    assert grown.requests_per_second[730] == pytest.approx(11.0)


def test_a_csv_replaces_the_shape_and_a_missing_one_is_explained():
    traffic = Traffic(demand_csv="load.csv")
    assert traffic_profile(traffic, (1.0, 2.0, 3.0)).hours == 3
    with pytest.raises(PlannerInputError, match=r"'load\.csv', which is not loaded"):
        traffic_profile(traffic)


def test_scale_up_lag_covers_the_demand_ahead():
    demand = np.array([10.0, 20.0, 40.0, 10.0])
    assert lag_adjusted(demand, 0).tolist() == demand.tolist()
    assert lag_adjusted(demand, 30).tolist() == [15.0, 30.0, 40.0, 10.0]
    assert lag_adjusted(demand, 90).tolist() == [30.0, 40.0, 40.0, 10.0]


# --------------------------------------------------------------------------- fleet and cost


def test_fixed_fleet_is_sized_for_the_peak_and_autoscaling_follows_demand():
    plan = LLM
    demand = traffic_profile(plan.traffic)
    config = plan_config(plan)
    fixed = evaluate_config(replace(config, autoscaling=False, commitments=False), plan, demand)
    scaled = evaluate_config(replace(config, commitments=False), plan, demand)
    assert (fixed.instances == fixed.instances.max()).all()
    assert scaled.instances.max() == fixed.instances.max()
    assert scaled.total_cost_usd < fixed.total_cost_usd
    capacity = scaled.throughput.requests_per_second
    need = lag_adjusted(scaled.served_rps, plan.autoscaling.scale_up_lag_minutes)
    assert (scaled.instances * capacity >= need * (1 + plan.autoscaling.headroom) - 1e-9).all()
    assert (scaled.instances >= plan.autoscaling.min_replicas).all()


def test_unit_costs_follow_from_the_hourly_cost():
    result = evaluate_serving(LLM)
    out = result.optimised
    requests = result.demand.requests_per_second.sum() * 3600
    assert out.per_request_usd == pytest.approx(out.total_cost_usd / requests)
    assert out.per_1k_requests_usd == pytest.approx(1000 * out.per_request_usd)
    tokens = requests * (LLM.model.input_tokens + LLM.model.output_tokens)
    assert out.per_1m_tokens_usd == pytest.approx(1e6 * out.total_cost_usd / tokens)
    assert out.monthly_cost_usd == pytest.approx(out.total_cost_usd / (14 * 24) * 730)
    assert out.fleet is not None
    assert out.total_cost_usd == pytest.approx(out.fleet.total_cost_usd)


# --------------------------------------------------------------------------- levers


def test_shapley_savings_add_up_to_baseline_minus_plan():
    result = evaluate_serving(LLM)
    total = sum(item.saving_usd_per_month for item in result.levers)
    assert total == pytest.approx(
        result.baseline.monthly_cost_usd - result.optimised.monthly_cost_usd
    )
    assert {item.lever for item in result.levers} == set(Lever)


def test_shapley_is_symmetric_for_identical_levers_and_exact_for_one():
    only_cache = replace(
        LLM,
        baseline=ServingBaseline(
            precision=ServingPrecision.INT8,
            max_batch=32,
            autoscaling=True,
            commitments=True,
            cache_hit_rate=0.0,
        ),
    )
    result = evaluate_serving(only_cache)
    assert [item.lever for item in result.levers] == [Lever.CACHING]
    item = result.levers[0]
    assert item.saving_usd_per_month == pytest.approx(item.solo_saving_usd_per_month)
    assert item.saving_usd_per_month == pytest.approx(item.last_saving_usd_per_month)
    assert result.interactions.empty


def test_shapley_values_do_not_depend_on_the_order_of_levers():
    result = evaluate_serving(LLM)
    values = result.coalitions
    levers = [item.lever for item in result.levers]
    rng = np.random.default_rng(0)
    # The average marginal saving over many random orders converges to the Shapley value.
    totals = dict.fromkeys(levers, 0.0)
    orders = [list(rng.permutation(levers)) for _ in range(2000)]
    for order in orders:
        applied: frozenset[Lever] = frozenset()
        for lever in order:
            totals[lever] += values[applied] - values[applied | {lever}]
            applied = applied | {lever}
    for item in result.levers:
        assert totals[item.lever] / len(orders) == pytest.approx(
            item.saving_usd_per_month, rel=0.05, abs=50
        )


def test_interactions_are_reported_pairwise():
    result = evaluate_serving(CASE, PRICING)
    frame = result.interactions
    assert len(frame) == 15  # 6 levers, pairs
    row = frame[(frame.lever_a == "Quantization") & (frame.lever_b == "Right-sizing the instance")]
    assert row.interaction_usd_per_month.iloc[0] < 0  # they overlap
    solo = sum(item.solo_saving_usd_per_month for item in result.levers)
    assert solo > result.total_saving_usd_per_month


def test_a_combination_that_cannot_run_takes_its_best_feasible_subset():
    big_model = replace(
        LLM,
        model=replace(LLM.model, parameters_billion=13, precision=ServingPrecision.INT4),
        instance_type="g6.xlarge",
        baseline=ServingBaseline(instance_type="g6e.xlarge"),
    )
    result = evaluate_serving(big_model)
    # 13B at fp16 needs 26 GB: it does not fit the L4 (right-sizing without quantization).
    assert frozenset({Lever.RIGHT_SIZING}) in result.substitutions
    assert any("cannot run as such" in note for note in result.notes)
    total = sum(item.saving_usd_per_month for item in result.levers)
    assert total == pytest.approx(result.total_saving_usd_per_month)


# --------------------------------------------------------------------------- the lesson-03 case


def test_lesson_03_baseline_and_plan_as_the_description_says():
    result = evaluate_serving(CASE, PRICING)
    assert result.baseline.per_1k_requests_usd == pytest.approx(0.08, rel=0.01)
    assert result.optimised.per_1k_requests_usd < 0.02
    description = " ".join(CASE_SCENARIO.description.split())
    monthly = [
        float(x.replace(",", "")) for x in re.findall(r"costs \$([0-9,]+) a month", description)
    ]
    assert monthly == [
        pytest.approx(result.baseline.monthly_cost_usd, abs=1),
        pytest.approx(result.optimised.monthly_cost_usd, abs=1),
    ]
    said = dict(
        re.findall(
            r"(right-sizing|quantization|autoscaling|commitments|cache|batching)"
            r" \$([0-9,]+)",
            description,
        )
    )
    for item in result.levers:
        key = {
            Lever.RIGHT_SIZING: "right-sizing",
            Lever.QUANTIZATION: "quantization",
            Lever.AUTOSCALING: "autoscaling",
            Lever.COMMITMENTS: "commitments",
            Lever.CACHING: "cache",
            Lever.BATCHING: "batching",
        }[item.lever]
        assert float(said[key].replace(",", "")) == pytest.approx(item.saving_usd_per_month, abs=1)
    solo = sum(item.solo_saving_usd_per_month for item in result.levers)
    assert f"${solo / 1000:.1f}K" in description
    assert f"${result.total_saving_usd_per_month / 1000:.1f}K" in description
    assert int(result.baseline.instances.max()) == 87
    assert result.optimised.fleet.reserved_counts() == {"g4dn.xlarge": 2}


def test_the_serve_summary_has_the_contract_keys():
    summary = serve_summary(evaluate_serving(CASE, PRICING))
    assert {"monthly_cost_usd", "per_request_usd", "per_1k_requests_usd", "levers"} <= set(summary)
    assert all({"name", "saving_usd_per_month"} <= set(lever) for lever in summary["levers"])


# --------------------------------------------------------------------------- checks and mix


def test_a_full_spot_cap_with_interruptions_is_refused():
    plan = replace(LLM, mix=FleetMix(tiers=ALL_TIERS, spot_max_share=1.0))
    with pytest.raises(PlannerInputError, match=r"spot cap of 100%.*17.5%|spot cap of 100%"):
        check_plan(plan)
    check_plan(replace(plan, mix=replace(plan.mix, availability_target=0.95)))
    check_plan(replace(plan, mix=replace(plan.mix, interruption_rate=0.0)))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"instance_type": "g6.xl"}, "unknown instance type 'g6.xl'"),
        ({"mix": FleetMix(tiers=(PriceTier.SPOT,))}, "leaves out on_demand"),
        ({"traffic": Traffic(daily_weights=(1.0, 2.0))}, "daily_weights has 2 values"),
        (
            {
                "custom_instances": (
                    CustomInstance(
                        name="g6.xlarge", on_demand_usd_per_hour=1, requests_per_second=1
                    ),
                )
            },
            "has the name of a catalog type",
        ),
    ],
)
def test_inconsistent_plans_are_explained(change, words):
    with pytest.raises(PlannerInputError, match="To fix") as error:
        check_plan(replace(LLM, **change))
    assert words in str(error.value)


def test_no_instance_type_able_to_serve_is_explained_with_reasons():
    huge = replace(
        LLM,
        model=replace(LLM.model, parameters_billion=2000, precision=ServingPrecision.FP16),
        instance_type="p5.48xlarge",
        mix=FleetMix(instance_types=("g6.xlarge", "p5.48xlarge", "g5.xlarge")),
    )
    with pytest.raises(PlannerInputError, match="No instance type can serve") as error:
        alternative_mix_problem(huge)
    message = str(error.value)
    assert "g6.xlarge" in message
    assert "A10G" in message
    assert "To fix" in message


def test_mix_candidates_default_to_the_plans_provider_and_floor_at_min_replicas():
    problem, skipped = alternative_mix_problem(CASE, PRICING)
    names = [option.name for option in problem.options]
    assert "g4dn.xlarge" in names
    assert "m5.2xlarge" in names  # the custom instance
    assert all(load_catalog().instances[n].provider == "aws" for n in names if n != "m5.2xlarge")
    assert any("A10G" in reason for reason in skipped)
    capacity = next(o.capacity for o in problem.options if o.name == "g4dn.xlarge")
    assert min(problem.demand) == pytest.approx(2 * capacity / 1.2)


def test_right_sizing_lists_every_type_with_a_reason_when_it_cannot_serve():
    frame = right_sizing_frame(CASE, PRICING, providers=("aws", "custom"))
    assert frame.usd_per_million_requests.notna().any()
    reasons = frame.set_index("instance_type").why_not
    assert "A10G" in reasons["g5.xlarge"]
    cheapest = frame.iloc[0]
    assert cheapest.usd_per_million_requests == frame.usd_per_million_requests.min()


def test_the_section_round_trips_through_yaml():
    text = dump_scenario_yaml(CASE_SCENARIO)
    assert parse_scenario_yaml(text) == CASE_SCENARIO
    plain = Scenario(serving=(Endpoint(),))
    assert dump_scenario_yaml(plain).splitlines() == ["schema_version: 2", "serving:", "- {}"]


def test_the_baseline_defaults_to_the_plans_instance():
    plan = Endpoint(autoscaling=Autoscaling(enabled=True))
    assert baseline_config(plan).instance_type == plan.instance_type
    assert plan.model.kind is ModelKind.LLM


def test_a_published_per_request_figure_is_read_as_per_1k_when_it_fits():
    notes = stated_notes(CASE_SCENARIO.stated, evaluate_serving(CASE, PRICING))
    assert len(notes) == 1
    assert "reads as a cost per 1,000 requests labelled per request" in notes[0]


# --------------------------------------------------------------------------- for the page


def with_csv(name: str) -> Endpoint:
    return replace(CASE, traffic=Traffic(demand_csv=name))


def test_the_demand_comes_from_the_upload_the_gallery_or_the_shape(tmp_path):
    assert demand_choice(CASE, None, tmp_path) == DemandChoice(endpoint=CASE)
    upload = DemandCsv(name="load.csv", values=(1.0, 2.0))
    chosen = demand_choice(with_csv("load.csv"), upload, tmp_path)
    assert (chosen.endpoint, chosen.csv_demand, chosen.notice) == (
        with_csv("load.csv"),
        (1.0, 2.0),
        None,
    )
    (tmp_path / "shipped.csv").write_text("hour,demand\n0,5\n1,6\n")
    shipped = demand_choice(with_csv("shipped.csv"), upload, tmp_path)
    assert shipped.csv_demand == (5.0, 6.0)
    missing = demand_choice(with_csv("gone.csv"), upload, tmp_path)
    assert missing.csv_demand is None
    assert missing.endpoint.traffic.demand_csv is None
    assert "'gone.csv', which is not part of the link" in missing.notice
    (tmp_path / "bad.csv").write_text("no numbers here\n")
    broken = demand_choice(with_csv("bad.csv"), None, tmp_path)
    assert broken.notice.startswith(
        "Endpoint 'ML API' takes its demand from the CSV file 'bad.csv'"
    )
    assert "Upload the CSV (Serving page, Traffic tab) to use it. (" in broken.notice


def test_the_headline_and_notes_of_lesson_03():
    result = evaluate_serving(CASE, PRICING)
    figures = {figure.label: figure for figure in headline(result)}
    assert list(figures) == [
        "Monthly cost",
        "Per request",
        "Per 1K requests",
        "Per 1M tokens",
        "Instances (peak / mean)",
        "Requests per month",
    ]
    plan, base = result.optimised, result.baseline
    assert figures["Monthly cost"].value == usd(plan.monthly_cost_usd)
    change = (plan.monthly_cost_usd - base.monthly_cost_usd) / base.monthly_cost_usd
    assert figures["Monthly cost"].delta == f"{change:+.0%} vs baseline"
    assert figures["Per 1M tokens"].value == "n/a"  # a classic model has no tokens
    assert summary_note(result).endswith(f"Demand: {result.demand.source}.")
    solo = sum(item.solo_saving_usd_per_month for item in result.levers)
    assert f"save {usd(solo)}/month in total" in overlap_note(result)
    lines = basis_lines(result)
    assert [line.split(":")[0] for line in lines] == ["**Plan**", "**Baseline**"]


def test_the_capacity_frame_is_the_demand_on_the_model_with_headroom():
    result = evaluate_serving(CASE, PRICING)
    frame = result.capacity_frame()
    assert (frame["demand_rps"] == frame["served_rps"]).all()
    assert np.allclose(frame["required_rps"], frame["served_rps"] * 1.2)
    assert week_count(len(frame)) == CASE.traffic.horizon_weeks
    assert list(week_rows(frame, 2)["hour"].iloc[[0, -1]]) == [168, 335]


def test_the_mix_as_the_page_shows_it():
    problem, _ = alternative_mix_problem(CASE, PRICING)
    plan = optimize_mix(problem)
    hours = mix_hours_frame(plan)
    assert {"demand_rps", "required_rps", "spot_capacity_rps"} <= set(hours.columns)
    assert (mix_types_bought(plan)["cost_usd"] > 0).all()
    assert [figure.label for figure in mix_headline(plan)][:3] == [
        "Total over the horizon",
        "Lower bound",
        "Gap",
    ]
    assert mix_note(plan).startswith(f"Status {plan.status} (")


def test_right_sizing_compares_the_plans_provider_or_every_one():
    assert right_sizing_providers(CASE, PRICING, load_catalog()) == ("aws", "custom")
    assert right_sizing_providers(CASE, PRICING, load_catalog(), every=True) is None


def test_the_instance_choices_start_with_the_plans_own():
    names = instance_choices(CASE, load_catalog())
    assert names[0] == "m5.2xlarge"  # the custom baseline instance
    assert "g4dn.xlarge" in names
    assert len(names) == len(set(names))


def test_the_waterfall_chart_per_1k_requests():
    result = evaluate_serving(CASE, PRICING)
    rows = next(iter(waterfall_chart(result, per_1k=True).to_dict()["datasets"].values()))
    assert rows[0]["label"] == usd(result.baseline.per_1k_requests_usd)
    assert rows[-1]["label"] == usd(result.optimised.per_1k_requests_usd)
    assert {row["kind"] for row in rows[1:-1]} <= {"saving", "increase"}


# --------------------------------------------------------------------------- one pricing path


def test_price_endpoint_is_the_plan_that_evaluate_serving_recommends():
    priced = price_endpoint(CASE, PRICING)
    result = evaluate_serving(CASE, PRICING)
    assert priced.monthly_cost_usd == result.optimised.monthly_cost_usd
    assert (priced.instances == result.optimised.instances).all()
    assert serve_summary(result)["monthly_cost_usd"] == priced.monthly_cost_usd
    assert serve_summary(result)["instance_types"] == ["g4dn.xlarge"]
    assert serve_summary(result)["min_replicas"] == 2


def test_a_starter_endpoint_has_every_lever_off():
    endpoint = starter_endpoint("chat")
    assert endpoint.name == "chat"
    assert (endpoint.max_batch, endpoint.cache_hit_rate) == (1, 0.0)
    assert not endpoint.autoscaling.enabled
    assert endpoint.mix.tiers == (PriceTier.ON_DEMAND,)
    result = evaluate_serving(endpoint)
    assert result.total_saving_usd_per_month == pytest.approx(0.0, abs=1e-6)


def test_the_replica_floor_holds_in_every_hour_of_the_priced_mix():
    out = price_endpoint(CASE, PRICING)
    assert out.fleet is not None
    fleet = out.fleet
    reserved = sum(fleet.reserved_1y) + sum(fleet.reserved_3y)
    running = (
        reserved + np.asarray(fleet.on_demand).sum(axis=1) + np.asarray(fleet.spot).sum(axis=1)
    )
    assert (running >= CASE.autoscaling.min_replicas).all()


def test_a_huge_fixed_fleet_with_reservations_prices():
    # ~450,000 instances: the mix solver once failed its own constraint check here.
    endpoint = fixed_endpoint(
        requests_per_day=6_000_222_141,
        instance_type="p5en.48xlarge",
        requests_per_second_per_instance=0.35,
        target_utilization=0.5,
        peak_to_average=1.1305,
        min_instances=4,
        tiers=(PriceTier.ON_DEMAND, PriceTier.RESERVED_1Y),
    )
    out = price_endpoint(endpoint)
    assert out.monthly_cost_usd > 0
    assert int(out.instances.max()) > 400_000


# --------------------------------------------------------------------------- spot: two quantities


def test_the_advisor_bucket_gives_a_hazard_and_a_share_reclaimed_at_once():
    from planner.catalog import spot_rate_default

    bounded = spot_rate_default("g6e.xlarge")  # bucket 5-10%, feed max 11
    assert (bounded.monthly_fraction, bounded.reclaimed_at_once) == (0.075, 0.11)
    open_bucket = spot_rate_default("g5.xlarge")  # bucket >20%, feed max 100
    assert (open_bucket.monthly_fraction, open_bucket.reclaimed_at_once) == (0.25, 1.0)
    assert "reclaimed at once" in open_bucket.basis


def test_the_fleet_gets_the_share_reclaimed_at_once_not_the_hazard():
    plan = replace(LLM, mix=FleetMix(tiers=ALL_TIERS, instance_types=("g6e.xlarge", "g6.xlarge")))
    problem, _ = alternative_mix_problem(plan)
    rates = {option.name: option.interruption_rate for option in problem.options}
    assert rates == {"g6e.xlarge": 0.11, "g6.xlarge": 1.0}


def test_an_open_bucket_keeps_spot_within_what_the_target_survives():
    # g6.xlarge is in the >20% bucket: all of its spot may go at once, so a 99% target
    # leaves spot at most 1% of the required capacity each hour.
    plan = replace(
        LLM,
        autoscaling=Autoscaling(enabled=True, headroom=0.0),
        mix=FleetMix(tiers=ALL_TIERS, spot_max_share=1.0, availability_target=0.99),
    )
    fleet = price_endpoint(plan).fleet
    assert fleet is not None
    frame = fleet.hourly_frame()
    assert (frame["spot_capacity"] <= 0.01 * frame["required"] + 1e-9).all()


# --------------------------------------------------------------------------- tokens


GQA = Endpoint(
    instance_type="p5.48xlarge",
    max_batch=1024,
    latency_target_ms=3_600_000,
    model=ServedModel(
        preset="Llama-3.1-8B",
        precision=ServingPrecision.FP8,
        input_tokens=2000,
        output_tokens=200,
    ),
)


def test_prefill_is_compute_and_does_not_reread_the_weights():
    # Bandwidth only moves the decode step: TTFT less one step (the prefill) stays put.
    slow = instance_throughput(GQA, "p5.48xlarge", ServingPrecision.FP8, 1)
    fast_model = replace(GQA.model, bandwidth_utilisation=0.95)
    fast = instance_throughput(
        replace(GQA, model=fast_model), "p5.48xlarge", ServingPrecision.FP8, 1
    )
    assert slow.ttft_ms is not None and slow.tpot_ms is not None  # noqa: PT018 - narrows
    assert fast.ttft_ms is not None and fast.tpot_ms is not None  # noqa: PT018 - narrows
    assert fast.tpot_ms < slow.tpot_ms
    assert fast.ttft_ms - fast.tpot_ms == pytest.approx(slow.ttft_ms - slow.tpot_ms)
    # 2 FLOPs per parameter per input token at 42% of the fp8 peak of one GPU.
    prefill_ms = 2 * GQA.model.active_params * 2000 / (1979e12 * 0.42) * 1e3
    assert slow.ttft_ms - slow.tpot_ms == pytest.approx(prefill_ms, rel=0.05)


def test_ttft_and_tpot_targets_bound_the_continuous_batch():
    free = instance_throughput(GQA, "p5.48xlarge", ServingPrecision.FP8, 1024)
    assert free.tpot_ms is not None
    tight = replace(GQA, tpot_target_ms=free.tpot_ms / 2, tensor_parallel=free.gpus_per_replica)
    bound = instance_throughput(tight, "p5.48xlarge", ServingPrecision.FP8, 1024)
    assert bound.tpot_ms is not None
    assert bound.tpot_ms <= free.tpot_ms / 2
    assert bound.batch < free.batch
    assert bound.limited_by == "TPOT target"
    with pytest.raises(PlannerInputError, match=r"the TTFT is [0-9.,]+ ms .* above the 1.0 ms"):
        instance_throughput(
            replace(GQA, ttft_target_ms=1.0, tensor_parallel=1), "p5.48xlarge", FP8_, 1024
        )


FP8_ = ServingPrecision.FP8


def test_input_and_output_prices_add_up_to_the_cost_of_a_request():
    traffic = Traffic(requests_per_day=5_000_000, horizon_weeks=1)
    out = price_endpoint(replace(GQA, traffic=traffic))
    assert out.usd_per_1m_input_tokens is not None
    assert out.usd_per_1m_output_tokens is not None
    assert out.per_request_usd is not None
    per_request = (2000 * out.usd_per_1m_input_tokens + 200 * out.usd_per_1m_output_tokens) / 1e6
    assert per_request == pytest.approx(out.per_request_usd)
    assert out.usd_per_1m_output_tokens > out.usd_per_1m_input_tokens
    summary = serve_summary(evaluate_serving(replace(GQA, traffic=traffic)))
    assert summary["usd_per_1m_output_tokens"] == out.usd_per_1m_output_tokens
    assert summary["ttft_ms"] == out.throughput.ttft_ms


def test_fp8_halves_the_weights_and_needs_an_fp8_gpu():
    fp16 = instance_throughput(GQA, "p5.48xlarge", ServingPrecision.FP16, 64)
    fp8 = instance_throughput(GQA, "p5.48xlarge", ServingPrecision.FP8, 64)
    assert fp8.weights_gb == pytest.approx(fp16.weights_gb / 2)
    assert fp8.requests_per_second > fp16.requests_per_second
    with pytest.raises(PlannerInputError, match=r"fp8 needs a GPU with an fp8 peak.*A100-80GB"):
        instance_throughput(GQA, "p4de.24xlarge", ServingPrecision.FP8, 64)


def test_a_tensor_parallel_width_must_divide_the_instance():
    with pytest.raises(PlannerInputError, match="tensor_parallel = 3 does not divide"):
        instance_throughput(replace(GQA, tensor_parallel=3), "p5.48xlarge", FP8_, 64)


# --------------------------------------------------------------------------- for sizing


def test_the_serving_flop_price_is_the_token_price_over_its_flops():
    from planner.costing.serving import serving_flop_price, token_price

    price = serving_flop_price(8e9, "H100", precision=ServingPrecision.FP8)
    plan = Endpoint(
        instance_type="gpu_8x_h100_sxm5",
        max_batch=256,
        latency_target_ms=3_600_000,
        model=ServedModel(parameters_billion=8, precision=ServingPrecision.FP8),
    )
    direct = token_price(plan)
    assert price.usd_per_flop * 2 * 8e9 * 700 == pytest.approx(direct.usd_per_request)
    assert price.usd_per_output_token == pytest.approx(direct.usd_per_1m_output_tokens / 1e6)
    # A latency target makes serving dearer per FLOP: smaller batches, same weight reads.
    interactive = serving_flop_price(8e9, "H100", precision=ServingPrecision.FP8, tpot_target_ms=8)
    assert interactive.usd_per_flop > price.usd_per_flop


def test_the_serving_flop_price_spans_gpus_for_a_big_model_and_names_a_bad_gpu():
    from planner.costing.serving import serving_flop_price

    assert "4 × L4" in serving_flop_price(30e9, "L4", precision=ServingPrecision.INT8).basis
    with pytest.raises(PlannerInputError, match=r"GPU 'B9' is not in the catalog"):
        serving_flop_price(8e9, "B9")

"""The training model against hand-worked values, and the lesson-02 gallery case."""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np
import pytest

from planner.catalog import (
    PriceOverride,
    PriceTier,
    Pricing,
    capacity_block_prices,
    load_catalog,
    spot_rate_default,
)
from planner.core.errors import PlannerInputError
from planner.core.formatting import usd
from planner.costing.economics import evaluate
from planner.costing.training import (
    MAX_SLOWDOWN,
    basis_note,
    best_segments,
    checkpoint_plan,
    daly_interval,
    estimate_run,
    evaluate_plan,
    expected_run_hours,
    headline,
    human_count,
    max_job_rate,
    memory_check,
    memory_note,
    overhead_fraction,
    plan_checks,
    run_throughput,
    simulate_fallback,
    simulate_spot,
    size_mode,
    spot_note,
    starter_job,
    throughput,
    training_flops,
    young_interval,
)
from planner.io.scenario_files import GALLERY_DIR, read_scenario
from planner.models.sizing import law_fit
from planner.scenario import (
    Scenario,
    dump_scenario_yaml,
    parse_scenario_yaml,
    scenario_from_mapping,
)
from planner.scenario.training import RunPricing, TrainingBaseline, TrainingJob, TrainingPrecision
from planner.views.checks import check_scenario
from planner.views.training_charts import spot_charts, waterfall_chart

CATALOG = load_catalog()
P4D = CATALOG.instance("p4d.24xlarge")
CASE = GALLERY_DIR / "training_50k_to_18k.yaml"

# Round prices, so that every cost below can be worked by hand.
ROUND_PRICES = Pricing(
    overrides=(
        PriceOverride(
            instance_type="p4d.24xlarge", on_demand_usd_per_hour=20.0, spot_usd_per_hour=6.0
        ),
    )
)


def scenario_with(plan: TrainingJob, **fields) -> Scenario:
    return Scenario(pricing=ROUND_PRICES, training=(plan,), **fields)


def simple_plan(**changes) -> TrainingJob:
    """1B parameters on 20B tokens on one p4d at 50% MFU: 1.56e20 / 1.248e15 = 34.8 h.

    Hardware failures are off (a node MTBF of 1e9 h), so the times can be worked by hand.
    """
    plan = TrainingJob(
        params=1e9,
        tokens=2e10,
        instance_type="p4d.24xlarge",
        precision=TrainingPrecision.BF16,
        mfu=0.5,
        node_mtbf_hours=1e9,
    )
    return replace(plan, **changes)


# 6·N·D plus PaLM's attention term 12·L·d·T·D at T = 4,096, with L and d = 128·L from
# N = 12·L·d² (no model preset): 1.2e20 + 12 × 128 × L² × 4,096 × 2e10 FLOPs.
LAYERS = (1e9 / (12 * 128**2)) ** (1 / 3)
WORK_HOURS = (1.2e20 + 12 * 128 * LAYERS**2 * 4096 * 2e10) / (8 * 312e12 * 0.5) / 3600


# --------------------------------------------------------------------------- compute


def test_model_flops_add_attention_and_recomputation_only_adds_hardware_flops():
    flops = training_flops(1e9, 2e10, seq_len=4096)
    assert flops.dense_flops == 1.2e20
    assert flops.model_flops == pytest.approx(WORK_HOURS * 8 * 312e12 * 0.5 * 3600)
    again = training_flops(1e9, 2e10, seq_len=4096, recompute=True)
    assert again.model_flops == flops.model_flops  # MFU's numerator does not change
    assert again.hardware_flops == pytest.approx(flops.model_flops * 4 / 3)


def test_throughput_is_gpus_times_peak_times_mfu():
    speed = throughput(P4D, CATALOG, instance_count=2, precision=TrainingPrecision.BF16, mfu=0.4)
    assert speed.gpus == 16
    assert speed.flops_per_second == pytest.approx(16 * 312e12 * 0.4)
    tf32 = throughput(P4D, CATALOG, instance_count=1, precision=TrainingPrecision.TF32, mfu=0.4)
    assert tf32.flops_per_second == pytest.approx(8 * 156e12 * 0.4)


def test_scale_out_efficiency_is_per_doubling_of_instances():
    speed = throughput(
        P4D,
        CATALOG,
        instance_count=4,
        precision=TrainingPrecision.BF16,
        mfu=0.5,
        scale_out_efficiency=0.9,
    )
    assert speed.scale_out_factor == pytest.approx(0.81)
    assert speed.flops_per_second == pytest.approx(32 * 312e12 * 0.5 * 0.81)


def test_fp8_on_an_a100_is_refused_with_the_precisions_it_has():
    with pytest.raises(PlannerInputError, match=r"no FP8 support\. To fix: choose tf32 or bf16"):
        throughput(P4D, CATALOG, instance_count=1, precision=TrainingPrecision.FP8, mfu=0.4)


@pytest.mark.parametrize("mfu", [0.0, -0.1, 1.01, math.nan])
def test_mfu_outside_zero_one_is_refused(mfu):
    with pytest.raises(PlannerInputError, match=r"outside \(0, 1\]"):
        throughput(P4D, CATALOG, instance_count=1, precision=TrainingPrecision.BF16, mfu=mfu)


def test_mfu_outside_zero_one_is_refused_by_the_schema():
    with pytest.raises(PlannerInputError, match=r"training\[0\].mfu = 1.5: .*at most 1"):
        scenario_from_mapping({"training": [{"params": 1e9, "tokens": 2e10, "mfu": 1.5}]})


def test_zero_budget_is_refused_by_the_schema():
    with pytest.raises(PlannerInputError, match=r"budget_usd = 0.*a budget must be above zero"):
        scenario_from_mapping({"training": [{"budget_usd": 0}]})


def test_time_gpu_hours_and_cost_on_demand_by_hand():
    run = estimate_run(simple_plan(), ROUND_PRICES, CATALOG)
    assert run.compute_hours == pytest.approx(WORK_HOURS, rel=1e-9)
    # A 1e9-h node MTBF: failures cost a few parts in 1e8.
    assert run.wall_clock_hours == pytest.approx(run.compute_hours, rel=1e-7)
    assert run.gpu_hours == pytest.approx(8 * WORK_HOURS, rel=1e-7)
    assert run.cost_usd == pytest.approx(20.0 * WORK_HOURS, rel=1e-7)
    assert run.spot is None


def test_runs_per_month_count_experiments():
    plan = simple_plan(models_per_month=2, experiments_per_model=3, experiment_fraction=0.5)
    run = estimate_run(plan, ROUND_PRICES, CATALOG)
    assert run.runs_per_month == pytest.approx(2 * 2.5)
    assert run.cost_per_model_usd == pytest.approx(2.5 * run.cost_usd)
    assert run.cost_per_month_usd == pytest.approx(5 * run.cost_usd)


def test_capacity_block_uses_the_published_block_price():
    plan = simple_plan(pricing=RunPricing.CAPACITY_BLOCK)
    run = estimate_run(plan, ROUND_PRICES, CATALOG)
    assert capacity_block_prices()["p4d.24xlarge"].usd_per_hour == 14.75
    assert run.cost_usd == pytest.approx(14.75 * WORK_HOURS)
    assert "Capacity Block" in run.price.basis


def test_no_capacity_block_price_names_the_instances_that_have_one():
    plan = simple_plan(instance_type="p4de.24xlarge", pricing=RunPricing.CAPACITY_BLOCK)
    with pytest.raises(
        PlannerInputError, match=r"no published Capacity Block price.*p4d\.24xlarge"
    ):
        estimate_run(plan, ROUND_PRICES, CATALOG)


@pytest.mark.parametrize(
    "pricing",
    [RunPricing.ON_DEMAND, RunPricing.SPOT, RunPricing.RESERVED_1Y, RunPricing.MIXED],
)
def test_every_pricing_costs_on_the_overview_what_the_run_costs(pricing):
    # Mixed and capacity-block runs had no single-tier workload in version 1; now the
    # Overview prices the job itself.
    plan = simple_plan(
        pricing=pricing,
        models_per_month=3,
        interruptions_per_instance_hour=0.01,
        deadline_hours=100,
        simulations=500,
    )
    run = estimate_run(plan, ROUND_PRICES, CATALOG)
    economics = evaluate(scenario_with(plan), CATALOG)
    assert economics.training[0].cost_usd == run.cost_usd
    assert economics.lines[0].usd_per_month == run.cost_per_month_usd
    assert economics.training[0].runs_per_month == pytest.approx(3.0)


# --------------------------------------------------------------------------- stated hours


def test_a_job_with_stated_hours_costs_instances_times_hours_times_price():
    job = TrainingJob(instance_type="p4d.24xlarge", instance_count=2, hours_per_run=10)
    run = estimate_run(job, ROUND_PRICES, CATALOG)
    assert (run.compute_hours, run.wall_clock_hours, run.instance_hours) == (10.0, 10.0, 20.0)
    assert run.gpus == 16
    assert run.gpu_hours == 160.0
    assert run.cost_usd == 2 * 10 * 20.0
    assert (run.flops, run.throughput, run.memory, run.params, run.tokens) == (None,) * 5
    assert run.size_basis == "hours as stated"
    assert basis_note(run).startswith("**Hours:** 10.0 h per run as stated, on 2 × p4d")
    assert plan_checks(run, None) == []


def test_a_stated_hours_job_on_spot_pays_for_its_restarts():
    job = TrainingJob(
        instance_type="p4d.24xlarge",
        hours_per_run=10,
        pricing=RunPricing.SPOT,
        interruptions_per_instance_hour=0.05,
    )
    run = estimate_run(job, ROUND_PRICES, CATALOG)
    assert run.wall_clock_hours > 10
    assert run.cost_usd == pytest.approx(6.0 * run.wall_clock_hours)


def test_a_stated_hours_job_has_no_frontier_and_says_why():
    report = evaluate_plan(TrainingJob(hours_per_run=5), Pricing(), CATALOG)
    assert report.frontier is None
    assert "states its hours" in report.frontier_note
    assert report.inference_sweep is None


# --------------------------------------------------------------------------- memory


def test_memory_by_hand():
    check = memory_check(3e9, P4D, CATALOG, instance_count=1)
    assert check.state_gb == 48.0  # 16 bytes × 3e9
    assert check.per_gpu_gb == 6.0  # sharded over 8 GPUs
    assert check.fits is True
    assert "16 bytes per parameter" in check.assumption


def test_memory_that_does_not_fit_the_chosen_count_says_how_many_it_needs():
    check = memory_check(30e9, P4D, CATALOG, instance_count=1)
    # 480 GB over 8 × 40 GB GPUs: 60 GB each; needs 12 GPUs, 2 instances.
    assert check.per_gpu_gb == 60.0
    assert check.fits is False
    assert (check.min_gpus, check.min_instances) == (12, 2)


def test_a_model_that_fits_no_gpu_count_is_refused_with_what_would_fit():
    with pytest.raises(PlannerInputError) as raised:
        memory_check(70e9, P4D, CATALOG, instance_count=4, sharded=False)
    message = str(raised.value)
    assert "fits no GPU count" in message
    assert "at least 28 GPUs, 4 × p4d.24xlarge" in message
    assert "at most 2.5B parameters" in message


def test_a_sharded_model_beyond_any_cluster_fits_no_gpu_count():
    with pytest.raises(PlannerInputError, match="fits no GPU count"):
        memory_check(2e14, CATALOG.instance("g4dn.xlarge"), CATALOG, instance_count=1)


# --------------------------------------------------------------------------- checkpointing


def test_young_and_daly_by_hand():
    # M = 24 h, δ = 15 min: √(2 · 0.25 · 24) = √12.
    assert young_interval(mtbf_hours=24, checkpoint_hours=0.25) == pytest.approx(math.sqrt(12))
    ratio = 0.25 / 48
    daly = math.sqrt(12) * (1 + math.sqrt(ratio) / 3 + ratio / 9) - 0.25
    assert daly_interval(mtbf_hours=24, checkpoint_hours=0.25) == pytest.approx(daly)
    assert daly == pytest.approx(3.29944, abs=1e-5)
    assert daly_interval(mtbf_hours=1, checkpoint_hours=3) == 1  # δ ≥ 2M: the MTBF itself


def test_overhead_by_hand_and_zero_without_interruptions():
    # (M + R)(e^((τ+δ)/M) − 1)/τ − 1 at M = 10, R = 0.5, τ = 2, δ = 0.1
    by_hand = 10.5 * math.expm1(2.1 / 10) / 2 - 1
    assert overhead_fraction(
        mtbf_hours=10, checkpoint_hours=0.1, restart_hours=0.5, interval_hours=2
    ) == pytest.approx(by_hand)
    assert (
        checkpoint_plan(
            mtbf_hours=math.inf, checkpoint_minutes=5, restart_minutes=5
        ).expected_overhead_fraction
        == 0
    )


def test_checkpoint_plan_in_minutes():
    plan = checkpoint_plan(mtbf_hours=24, checkpoint_minutes=15, restart_minutes=30)
    assert plan.young_interval_hours * 60 == pytest.approx(60 * math.sqrt(12))
    assert plan.daly_interval_hours == pytest.approx(3.29944, abs=1e-5)
    assert plan.expected_overhead_fraction == pytest.approx(
        24.5 * math.expm1((3.29944 + 0.25) / 24) / 3.29944 - 1, rel=1e-4
    )


def test_a_rate_at_which_runs_never_finish_gives_the_shortest_mtbf_that_works():
    with pytest.raises(PlannerInputError) as raised:
        checkpoint_plan(mtbf_hours=0.1, checkpoint_minutes=30)
    message = str(raised.value)
    assert "never finishes" in message
    shortest = float(re.search(r"at least ([0-9.]+) h", message).group(1))
    ok = checkpoint_plan(mtbf_hours=shortest * 1.05, checkpoint_minutes=30)
    assert 1 + ok.expected_overhead_fraction <= MAX_SLOWDOWN


def test_expected_run_hours_by_hand():
    # No interruptions: the work plus one checkpoint per segment boundary.
    assert expected_run_hours(10, 0.0, 0.1, 0.2, 4) == pytest.approx(10.3)
    # One segment, no restart cost: (e^(λW) − 1)/λ.
    assert expected_run_hours(10, 0.01, 0.1, 0.0, 1) == pytest.approx(math.expm1(0.1) / 0.01)
    # Two segments of 5 h, δ = 0.1, R = 0.2, λ = 0.02.
    g = lambda x: math.expm1(0.02 * x) * (1 / 0.02 + 0.2)  # noqa: E731
    assert expected_run_hours(10, 0.02, 0.1, 0.2, 2) == pytest.approx(g(5.1) + g(5))


def test_best_segments_is_the_brute_force_minimum():
    segments, hours = best_segments(100, 0.05, 0.1, 0.2)
    brute = [expected_run_hours(100, 0.05, 0.1, 0.2, n) for n in range(1, 400)]
    assert segments == 1 + int(np.argmin(brute))
    assert hours == pytest.approx(min(brute))
    assert best_segments(50, 0.0, 0.1, 0.2) == (1, 50.0)


def test_max_job_rate_is_where_the_slowdown_reaches_the_limit():
    rate = max_job_rate(20, 0.1, 0.2)
    _, hours = best_segments(20, rate, 0.1, 0.2)
    assert hours == pytest.approx(MAX_SLOWDOWN * 20, rel=1e-6)


def test_spot_advisor_bucket_becomes_a_poisson_rate():
    default = spot_rate_default("p4d.24xlarge", "us-east-1")
    assert default.bucket == "10-15%"
    assert default.per_hour == pytest.approx(-math.log(1 - 0.125) / 730)
    assert default.date == "2025-06-28"
    assert "Spot Instance Advisor" in default.source
    assert spot_rate_default("unknown-type").bucket == "<10%"


# --------------------------------------------------------------------------- simulation


def test_simulation_is_seeded_and_matches_the_expectation():
    a = simulate_spot(100, 0.05, 0.1, 0.2, 52, runs=100_000, seed=3)
    b = simulate_spot(100, 0.05, 0.1, 0.2, 52, runs=100_000, seed=3)
    assert np.array_equal(a, b)
    expected = expected_run_hours(100, 0.05, 0.1, 0.2, 52)
    standard_error = a.std() / math.sqrt(a.size)
    assert abs(a.mean() - expected) < 4 * standard_error
    assert a.min() >= 100 + 51 * 0.1 - 1e-9


def test_fallback_without_a_deadline_is_plain_spot():
    spot, on_demand = simulate_fallback(50, 0.05, 0.1, 0.2, 20, math.inf, runs=50_000, seed=1)
    assert not on_demand.any()
    expected = expected_run_hours(50, 0.05, 0.1, 0.2, 20)
    assert abs(spot.mean() - expected) < 4 * spot.std() / math.sqrt(spot.size)


def test_fallback_meets_a_deadline_on_demand_meets():
    spot, on_demand = simulate_fallback(50, 0.2, 0.1, 0.3, 20, 60, runs=20_000, seed=2)
    assert (spot + on_demand <= 60 + 1e-9).all()
    assert on_demand.any()
    assert spot.any()


def test_spot_run_percentiles_and_deadline():
    plan = simple_plan(
        pricing=RunPricing.SPOT,
        interruptions_per_instance_hour=0.05,
        checkpoint_minutes=6,
        restart_minutes=12,
        deadline_hours=30,
        simulations=50_000,
    )
    run = estimate_run(plan, ROUND_PRICES, CATALOG)
    spot = run.spot
    assert spot is not None
    assert spot.expected_hours > run.compute_hours
    assert spot.p50_hours <= spot.p90_hours
    assert spot.p90_cost_usd == pytest.approx(spot.p90_hours * 6.0)
    assert spot.deadline_probability == pytest.approx(np.mean(spot.hours <= 30))
    assert run.cost_usd == pytest.approx(spot.expected_hours * 6.0)
    assert spot.daly_interval_hours == pytest.approx(
        daly_interval(mtbf_hours=20, checkpoint_hours=0.1)
    )


def test_a_rate_at_which_the_run_never_finishes_gives_the_largest_that_works():
    plan = simple_plan(pricing=RunPricing.SPOT, interruptions_per_instance_hour=20)
    with pytest.raises(PlannerInputError) as raised:
        estimate_run(plan, ROUND_PRICES, CATALOG)
    message = str(raised.value)
    assert "never finishes" in message
    largest = float(re.search(r"at most ([0-9.e+-]+) per instance-hour", message).group(1))
    ok = replace(plan, interruptions_per_instance_hour=largest * 0.99)
    assert estimate_run(ok, ROUND_PRICES, CATALOG, simulate=False).wall_clock_hours <= (
        MAX_SLOWDOWN * WORK_HOURS
    )


def test_mixed_needs_a_deadline():
    plan = simple_plan(pricing=RunPricing.MIXED)
    with pytest.raises(PlannerInputError, match="needs a deadline"):
        estimate_run(plan, ROUND_PRICES, CATALOG)


# --------------------------------------------------------------------------- sizing modes


def test_one_of_params_or_tokens_gets_the_compute_optimal_other():
    plan = TrainingJob(params=1e9, instance_type="p4d.24xlarge")
    run = estimate_run(plan, ROUND_PRICES, CATALOG)
    assert run.tokens == pytest.approx(22.649e9, rel=1e-3)
    plan = TrainingJob(tokens=2e10, law="tokens20", instance_type="p4d.24xlarge")
    run = estimate_run(plan, ROUND_PRICES, CATALOG)
    assert run.params == pytest.approx(1e9)


def test_target_loss_mode():
    plan = TrainingJob(target_loss=2.6, instance_type="p4d.24xlarge")
    run = estimate_run(plan, ROUND_PRICES, CATALOG)
    assert run.loss == pytest.approx(2.6, abs=1e-9)
    assert "cheapest model with loss 2.6" in run.size_basis


def test_budget_mode_spends_the_budget_on_the_final_run():
    plan = TrainingJob(budget_usd=1000, instance_type="p4d.24xlarge")
    run = estimate_run(plan, ROUND_PRICES, CATALOG)
    # The budget buys 6·N·D at the MFU (a first-order price); the run also pays for the
    # attention FLOPs and for its failures, so it costs the budget × both.
    flops = run.flops
    assert run.cost_usd == pytest.approx(
        1000 * flops.model_flops / flops.dense_flops / run.goodput, rel=1e-6
    )


def test_a_budget_too_small_says_the_smallest_that_works():
    plan = TrainingJob(budget_usd=0.5, instance_type="p4d.24xlarge")
    with pytest.raises(PlannerInputError, match=r"too small.*raise the budget to at least \$"):
        estimate_run(plan, ROUND_PRICES, CATALOG)


def test_right_sizing_keeps_the_baselines_predicted_loss_for_less():
    plan = TrainingJob(
        instance_type="p4d.24xlarge",
        baseline=TrainingBaseline(params=3e9, tokens=5e9),
    )
    run = estimate_run(plan, ROUND_PRICES, CATALOG)
    fit = law_fit(plan.law)
    assert run.loss == pytest.approx(fit.loss(3e9, 5e9), abs=1e-9)
    assert run.flops.dense_flops < 6 * 3e9 * 5e9
    assert "right-sized" in run.size_basis


def test_a_plan_without_a_size_says_how_to_give_one():
    plan = TrainingJob(instance_type="p4d.24xlarge")
    with pytest.raises(PlannerInputError, match="does not say how big the model is"):
        estimate_run(plan, ROUND_PRICES, CATALOG)


def test_human_count():
    assert human_count(888e6) == "888M"
    assert human_count(2.02e10) == "20.2B"


# --------------------------------------------------------------------------- report


def lever_plan() -> TrainingJob:
    return TrainingJob(
        instance_type="p4d.24xlarge",
        pricing=RunPricing.SPOT,
        precision=TrainingPrecision.BF16,
        interruptions_per_instance_hour=0.01,
        deadline_hours=100,
        simulations=2_000,
        experiments_per_model=2,
        experiment_fraction=0.25,
        baseline=TrainingBaseline(
            pricing=RunPricing.ON_DEMAND,
            precision=TrainingPrecision.TF32,
            params=2e9,
            tokens=8e9,
            experiment_fraction=1.0,
        ),
    )


def test_waterfall_steps_are_shapley_savings_that_add_up():
    report = evaluate_plan(lever_plan(), ROUND_PRICES, CATALOG)
    steps = report.waterfall
    assert steps is not None
    assert list(steps["lever"]) == [
        "baseline",
        "pricing",
        "precision",
        "size",
        "experiments",
        "plan",
    ]
    baseline, plan = steps["usd_per_month"].iloc[0], steps["usd_per_month"].iloc[-1]
    assert baseline == pytest.approx(report.baseline.cost_per_month_usd)
    assert plan == pytest.approx(report.run.cost_per_month_usd)
    assert steps["change_usd_per_month"].sum() == pytest.approx(plan - baseline)
    assert (steps["change_usd_per_month"].iloc[1:5] < 0).all()
    savings = steps.set_index("lever")["saving_usd_per_month"]
    assert (savings.iloc[1:5] == -steps["change_usd_per_month"].iloc[1:5].to_numpy()).all()


def test_comparison_has_on_demand_spot_and_mixed():
    report = evaluate_plan(lever_plan(), ROUND_PRICES, CATALOG)
    table = report.comparison.set_index("pricing")
    assert list(table.index) == ["on_demand", "spot", "mixed"]
    assert table.loc["spot", "expected_cost_usd"] < table.loc["on_demand", "expected_cost_usd"]
    assert table.loc["mixed", "deadline_probability"] == 1.0
    assert report.spot_run is report.run


def test_a_starter_job_is_a_small_model_on_demand_with_no_levers():
    job = starter_job("nightly")
    assert job.name == "nightly"
    assert job.size == (1e9, 2e10)
    assert (job.pricing, job.baseline, job.experiments_per_model) == (
        RunPricing.ON_DEMAND,
        None,
        0.0,
    )
    assert estimate_run(job, Pricing(), CATALOG).cost_usd > 0


# --------------------------------------------------------------------------- checks


def codes(plan: TrainingJob) -> list[str]:
    run = estimate_run(plan, ROUND_PRICES, CATALOG, simulate=False)
    base = plan.baseline_plan()
    baseline = estimate_run(base, ROUND_PRICES, CATALOG, simulate=False) if base else None
    return [check.code for check in plan_checks(run, baseline)]


def test_checks_flag_a_run_that_does_not_fit_its_gpus():
    plan = simple_plan(params=30e9)
    assert "training_memory_does_not_fit" in codes(plan)


def test_checks_flag_lost_quality_against_the_baseline():
    plan = simple_plan(baseline=TrainingBaseline(params=2e9, tokens=4e10))
    assert "training_plan_loses_quality" in codes(plan)


def test_a_job_that_cannot_be_estimated_is_an_error_naming_it():
    # The Overview now prices the job, so it cannot leave out a job it cannot price.
    plan = simple_plan(name="nightly", pricing=RunPricing.MIXED)  # no deadline
    with pytest.raises(PlannerInputError, match=r"nightly: mixed pricing .* needs a deadline"):
        evaluate(scenario_with(plan), CATALOG)


def test_checks_report_a_baseline_that_cannot_be_estimated_without_raising():
    plan = simple_plan(baseline=TrainingBaseline(pricing=RunPricing.MIXED))  # no deadline
    scenario = scenario_with(plan)
    checks = check_scenario(scenario, evaluate(scenario, CATALOG), CATALOG)
    invalid = [c for c in checks if c.code == "training_baseline_invalid"]
    assert len(invalid) == 1
    assert "needs a deadline" in invalid[0].message


def test_round_trip_of_a_plan_through_yaml():
    scenario = scenario_with(lever_plan())
    assert parse_scenario_yaml(dump_scenario_yaml(scenario)) == scenario


def test_a_reserved_plan_uses_the_derived_commitment_price():
    plan = simple_plan(pricing=RunPricing.RESERVED_3Y)
    run = estimate_run(plan, ROUND_PRICES, CATALOG)
    assert run.price.usd_per_instance_hour == pytest.approx(20.0 * (1 - 0.55))
    assert PriceTier.RESERVED_3Y is plan.pricing.price_tier


# --------------------------------------------------------------------------- the gallery case


def job_of(path) -> tuple[TrainingJob, Pricing]:
    scenario = read_scenario(path)
    return scenario.training[0], scenario.pricing


def money(text: str) -> float:
    return float(text.replace("$", "").replace(",", "").replace("−", "-"))


def test_the_lesson_02_case_says_what_the_model_computes():
    scenario = read_scenario(CASE)
    report = evaluate_plan(scenario.training[0], scenario.pricing, CATALOG)
    run, base = report.run, report.baseline
    assert base is not None
    text = " ".join(scenario.description.split())
    # Baseline: 72 h of model FLOPs on one p4d.24xlarge on-demand, plus attention at 512
    # tokens and hardware failures.
    assert base.flops is not None
    assert base.flops.dense_flops / base.throughput.flops_per_second / 3600 == pytest.approx(72.0)
    assert f"{base.wall_clock_hours:.1f} h" in text
    assert base.cost_usd == pytest.approx(base.wall_clock_hours * P4D.on_demand_usd_per_hour)
    assert (
        f"baseline costs {usd(base.cost_usd)} a run ({usd(base.cost_per_month_usd * 12)} a year)"
        in text
    )
    assert (
        f"plan costs ${run.cost_usd:,.0f} a run ({usd(run.cost_per_month_usd * 12)} a year" in text
    )
    saving = 1 - run.cost_per_month_usd / base.cost_per_month_usd
    assert f"{saving:.0%} less" in text
    assert f"same predicted loss ({run.loss:.3f})" in text
    assert run.loss == pytest.approx(base.loss, abs=1e-9)
    steps = report.waterfall.set_index("lever")["saving_usd_per_month"]
    for lever in ("pricing", "precision", "size", "experiments"):
        assert f"−${steps[lever]:,.0f}" in text, lever
    assert f"{human_count(run.params)} parameters on {human_count(run.tokens)} tokens" in text
    # The published figures against the catalog.
    implied = 37_748 / (8 * 72)
    per_gpu = P4D.on_demand_usd_per_hour / 8
    assert f"${implied:.1f}" in text
    assert f"{implied / per_gpu:.0f}× the catalog's {usd(per_gpu)}" in text
    assert abs(37_748 / (base.cost_per_month_usd * 12) - 1) < 0.04
    assert "within 4% of what the model gives per YEAR" in text


def test_the_lesson_02_overview_prices_the_jobs_run():
    scenario = read_scenario(CASE)
    report = evaluate_plan(scenario.job("ranking model retrain"), scenario.pricing, CATALOG)
    economics = evaluate(scenario)
    retrain = next(t for t in economics.training if t.plan.name == "ranking model retrain")
    assert retrain.cost_usd == report.run.cost_usd
    assert retrain.runs_per_month == report.run.runs_per_month
    assert economics.monthly_cost_usd == report.run.cost_per_month_usd
    assert plan_checks(report.run, report.baseline) == []
    flagged = {c.code for c in check_scenario(scenario, economics)}
    assert "implied_gpu_hour_price" in flagged


def test_more_lifetime_inference_makes_the_best_model_smaller_and_trained_longer():
    report = evaluate_plan(*job_of(CASE), CATALOG)
    sweep = report.inference_sweep
    assert sweep is not None
    assert sweep["inference_tokens"].is_monotonic_increasing
    assert sweep["params"].is_monotonic_decreasing
    assert sweep["tokens_per_param"].is_monotonic_increasing
    assert sweep.loc[sweep["plan"], "params"].iloc[0] == pytest.approx(report.run.params, rel=1e-4)


# --------------------------------------------------------------------------- for the page


def test_run_throughput_is_the_plans_instances_at_its_settings():
    plan = simple_plan(instance_count=4, scale_out_efficiency=0.9, mfu=0.4)
    expected = throughput(
        P4D,
        CATALOG,
        instance_count=4,
        precision=TrainingPrecision.BF16,
        mfu=0.4,
        scale_out_efficiency=0.9,
    )
    assert run_throughput(plan, CATALOG) == expected
    assert run_throughput(plan, CATALOG).scale_out_factor == pytest.approx(0.81)


def test_memory_check_without_the_gpus_memory_cannot_say_whether_it_fits():
    unknown = replace(CATALOG.gpu_for(P4D), memory_gb=None)
    catalog = replace(CATALOG, gpus={**CATALOG.gpus, unknown.gpu_model: unknown})
    memory = memory_check(3e9, P4D, catalog, instance_count=1)
    assert (memory.fits, memory.min_gpus, memory.gpu_memory_gb) == (None, None, None)
    assert memory.assumption.endswith("A100-40GB memory is not in the catalog")
    assert memory_note(memory).startswith("**Memory** cannot be checked: 48.0 GB of state")


@pytest.mark.parametrize(
    ("changes", "mode"),
    [
        ({}, "given"),
        ({"params": 1e9, "target_loss": 2.5}, "given"),
        ({"target_loss": 2.5, "budget_usd": 1e4}, "target"),
        (
            {"budget_usd": 1e4, "baseline": TrainingBaseline(params=1e9, tokens=2e10)},
            "budget",
        ),
        ({"baseline": TrainingBaseline(params=1e9, tokens=2e10)}, "baseline"),
        ({"baseline": TrainingBaseline(params=1e9)}, "given"),
    ],
)
def test_the_size_mode_is_the_first_field_that_sizes_the_model(changes, mode):
    assert size_mode(TrainingJob(**changes)) == mode


def test_the_headline_compares_the_run_with_its_baseline():
    report = evaluate_plan(*job_of(CASE), CATALOG)
    run, base = report.run, report.baseline
    figures = {figure.label: figure for figure in headline(report)}
    assert list(figures) == [
        "Cost per run",
        "Cost per month",
        "Wall-clock per run",
        "GPU-hours per run",
        "Predicted loss",
    ]
    assert figures["Cost per run"].value == usd(run.cost_usd)
    assert figures["Cost per run"].delta == f"{run.cost_usd / base.cost_usd - 1:+.0%} vs baseline"
    assert figures["GPU-hours per run"].delta is None
    # Right-sizing keeps the baseline's loss: no change to show, and the note says so.
    assert figures["Predicted loss"].delta is None
    assert figures["Predicted loss"].help.endswith("The same as the baseline's.")
    without = headline(replace(report, baseline=None))
    assert all(figure.delta is None for figure in without)


def test_the_notes_say_where_the_numbers_come_from():
    report = evaluate_plan(*job_of(CASE), CATALOG)
    run = report.run
    assert f"**Model:** {human_count(run.params)} parameters" in basis_note(run)
    note = basis_note(run)
    assert "(6·N + 12·L·H·Q·T)·D at T = 512 tokens" in note  # the case states 512
    assert "the time uses the 40% MFU on model FLOPs" in note
    assert f"**Goodput:** {run.goodput:.1%}" in note
    assert memory_note(run.memory).startswith("**Memory** fits")
    too_big = estimate_run(simple_plan(params=30e9), ROUND_PRICES, CATALOG)
    assert memory_note(too_big.memory).startswith("Memory: 60.0 GB of state per GPU against 40 GB")
    spot = report.spot_run.spot
    assert f"{spot.simulations:,} simulated runs, seed {spot.seed}." in spot_note(spot)
    hours, costs = spot_charts(spot)
    assert marks(hours) == {"P50", "P90", "Deadline"}
    assert marks(costs) == {"P50", "P90"}


def marks(chart) -> set[str]:
    """The names of the dashed rules on a histogram chart."""
    rows = [row for data in chart.to_dict()["datasets"].values() for row in data]
    return {row["mark"] for row in rows if "mark" in row}


def test_the_waterfall_chart_labels_each_lever_with_its_change():
    steps = evaluate_plan(lever_plan(), ROUND_PRICES, CATALOG).waterfall
    rows = next(iter(waterfall_chart(steps).to_dict()["datasets"].values()))
    assert [row["step"] for row in rows] == [
        "Baseline",
        "Spot with checkpointing",
        "Lower precision",
        "Right-sizing by the scaling law",
        "Fewer wasted experiments",
        "Plan",
    ]
    assert [row["kind"] for row in rows[1:5]] == ["saving"] * 4
    change = steps["change_usd_per_month"].iloc[2]
    assert rows[2]["label"] == f"−{usd(-change)}"


def test_a_reserved_job_with_almost_no_runs_costs_its_commitment():
    """Built in code (a what-if or a draw skips the schema): the month is the commitment,
    not the per-run cost (commitment ÷ runs, inf here) times the runs."""
    job = TrainingJob(
        instance_type="p4d.24xlarge",
        hours_per_run=10,
        models_per_month=5e-324,
        pricing=RunPricing.RESERVED_1Y,
    )
    run = estimate_run(job, ROUND_PRICES, CATALOG)
    assert math.isfinite(run.cost_per_month_usd)
    assert run.commitment is not None
    assert run.cost_per_month_usd == pytest.approx(run.commitment.usd_per_month)


@pytest.mark.parametrize("models", [5e-324, 1e-6])
def test_models_per_month_near_zero_is_refused_by_the_schema(models):
    with pytest.raises(PlannerInputError, match=r"models_per_month .*0 or at least 0.000833"):
        scenario_from_mapping({"training": [{"hours_per_run": 10, "models_per_month": models}]})


@pytest.mark.parametrize("models", [0.0, 1 / 1200])
def test_no_models_or_one_a_century_is_accepted(models):
    job = scenario_from_mapping({"training": [{"hours_per_run": 10, "models_per_month": models}]})
    assert job.training[0].models_per_month == models


# --------------------------------------------------------------------------- Shapley levers


def _brute_force_shapley(report) -> dict[str, float]:
    """Each lever's saving averaged over all 4! orders of applying the levers, each order
    priced step by step: the definition of the Shapley value (Shapley 1953), by hand."""
    import itertools

    from planner.costing.training import _apply

    base, plan = report.baseline.plan, report.run.plan
    levers = ["pricing", "precision", "size", "experiments"]
    total = dict.fromkeys(levers, 0.0)
    orders = list(itertools.permutations(levers))
    for order in orders:
        applied: frozenset[str] = frozenset()
        before = report.baseline.cost_per_month_usd
        for lever in order:
            applied |= {lever}
            after = estimate_run(_apply(base, plan, applied), ROUND_PRICES, CATALOG, simulate=False)
            total[lever] += before - after.cost_per_month_usd
            before = after.cost_per_month_usd
    return {lever: value / len(orders) for lever, value in total.items()}


def test_the_lever_savings_are_the_average_over_every_order():
    report = evaluate_plan(lever_plan(), ROUND_PRICES, CATALOG)
    savings = report.waterfall.set_index("lever")["saving_usd_per_month"]
    for lever, value in _brute_force_shapley(report).items():
        assert savings[lever] == pytest.approx(value, rel=1e-9), lever


def test_the_lever_savings_do_not_depend_on_the_order_levers_are_listed_in(monkeypatch):
    import planner.costing.training as module

    before = evaluate_plan(lever_plan(), ROUND_PRICES, CATALOG).waterfall
    monkeypatch.setattr(module, "LEVERS", tuple(reversed(module.LEVERS)))
    after = evaluate_plan(lever_plan(), ROUND_PRICES, CATALOG).waterfall
    first = before.set_index("lever")["saving_usd_per_month"].drop(["baseline", "plan"])
    second = after.set_index("lever")["saving_usd_per_month"].drop(["baseline", "plan"])
    assert list(second.index) == list(reversed(first.index))
    for lever in first.index:
        assert second[lever] == pytest.approx(first[lever], rel=1e-12)


# --------------------------------------------------------------------------- MFU, HFU, goodput


def test_recompute_adds_hardware_flops_but_not_time_and_reports_the_hfu():
    # PaLM (arXiv:2204.02311, Sec. 4 / Appendix B): MFU counts model FLOPs only; HFU adds
    # the rematerialisation. The user's MFU sets the time either way.
    plain = estimate_run(simple_plan(), ROUND_PRICES, CATALOG)
    again = estimate_run(simple_plan(recompute=True), ROUND_PRICES, CATALOG)
    assert again.compute_hours == plain.compute_hours
    assert plain.hfu == 0.5
    assert again.hfu == pytest.approx(0.5 * 4 / 3)
    assert "an HFU of 67%" in basis_note(again)


def test_an_mfu_whose_hfu_under_recompute_is_above_one_is_refused():
    with pytest.raises(PlannerInputError, match=r"HFU of 1\.07.*at most 0\.75"):
        estimate_run(simple_plan(mfu=0.8, recompute=True), ROUND_PRICES, CATALOG)


@pytest.mark.parametrize(
    "pricing", [RunPricing.ON_DEMAND, RunPricing.RESERVED_1Y, RunPricing.CAPACITY_BLOCK]
)
def test_every_tier_pays_for_hardware_failures(pricing):
    # Llama 3 (arXiv:2407.21783, Sec. 3.3.4): 419 failures / (16,384 GPUs × 1,296 h).
    # 4T tokens on 64 instances: 110 h, many checkpoint intervals, so Young applies.
    plan = simple_plan(pricing=pricing, node_mtbf_hours=None, instance_count=64, tokens=4e12)
    run = estimate_run(plan, ROUND_PRICES, CATALOG)
    assert run.failures is not None
    assert run.failures.node_mtbf_hours == pytest.approx(16_384 * 1296 / 419 / 8, rel=1e-4)
    job_mtbf = run.failures.node_mtbf_hours / 64
    assert run.failures.job_mtbf_hours == pytest.approx(job_mtbf)
    # Young (1974): about √(2δ/M) + R/M of the time is lost at the best interval.
    lost = math.sqrt(2 * (5 / 60) / job_mtbf) + (10 / 60) / job_mtbf
    assert 1 - run.goodput == pytest.approx(lost, rel=0.1)
    assert run.wall_clock_hours == pytest.approx(run.compute_hours / run.goodput)


def test_a_job_that_states_its_hours_adds_no_failures():
    run = estimate_run(TrainingJob(hours_per_run=24, instance_count=64), ROUND_PRICES, CATALOG)
    assert run.failures is None
    assert run.goodput == 1.0


def test_spot_adds_hardware_failures_to_its_interruptions():
    plan = simple_plan(pricing=RunPricing.SPOT, node_mtbf_hours=100.0)
    run = estimate_run(plan, ROUND_PRICES, CATALOG, simulate=False)
    advisor = spot_rate_default("p4d.24xlarge").per_hour
    assert run.spot.interruptions_per_instance_hour == pytest.approx(advisor + 1 / 100)
    assert "plus hardware failures" in run.spot.rate_basis


def test_a_size_beyond_the_laws_fitted_range_is_flagged():
    # Hoffmann et al. 2022 (arXiv:2203.15556): 70M to over 16B parameters, 5B to 500B tokens.
    run = estimate_run(simple_plan(params=70e9, tokens=1.4e12), ROUND_PRICES, CATALOG)
    (check,) = [c for c in plan_checks(run, None) if c.code == "training_law_extrapolated"]
    assert "70B parameters is 4.38× the largest fitted (16B)" in check.message
    assert "1.4T tokens is 2.8× the most fitted (500B)" in check.message
    inside = estimate_run(simple_plan(), ROUND_PRICES, CATALOG)
    assert [c for c in plan_checks(inside, None) if c.code == "training_law_extrapolated"] == []


def test_a_job_naming_an_unknown_model_is_refused_with_close_names():
    with pytest.raises(PlannerInputError, match=r"unknown model 'Llama-3-8B'.*Llama-3\.1-8B"):
        scenario_from_mapping({"training": [{"model": "Llama-3-8B", "tokens": 1e12}]})
    with pytest.raises(PlannerInputError, match=r"seq_len"):
        scenario_from_mapping({"training": [{"params": 1e9, "tokens": 1e10, "seq_len": 0}]})


def test_a_mixture_of_experts_preset_takes_flops_from_active_and_memory_from_total():
    job = TrainingJob(model="Mixtral-8x7B-v0.1", tokens=1e11, instance_type="p5.48xlarge")
    run = estimate_run(job, ROUND_PRICES, CATALOG)
    arch = job.architecture
    assert run.params == arch.active_params
    assert run.flops.dense_flops == 6 * arch.active_params * 1e11
    assert run.memory.params == arch.total_params

"""Properties of the training planner and the sizing optimizers."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.catalog import PriceOverride, Pricing, ScalingLaw
from planner.core.errors import PlannerInputError
from planner.costing.training import (
    best_segments,
    estimate_run,
    evaluate_plan,
    simulate_fallback,
    simulate_spot,
)
from planner.io.share import decode, encode
from planner.models.sizing import (
    FlopPrice,
    cheapest_for_loss,
    frontier,
    isocost_profile,
    law_fit,
    optimal_for_budget,
)
from planner.scenario import Scenario, dump_scenario_yaml, parse_scenario_yaml
from planner.scenario.training import (
    MIN_MODELS_PER_MONTH,
    RunPricing,
    TrainingBaseline,
    TrainingJob,
    TrainingPrecision,
)

# Per test, not a global profile: loading one would change every other module's settings.
EXAMPLES = settings(deadline=None, max_examples=60)

LAWS = st.sampled_from([ScalingLaw.HOFFMANN, ScalingLaw.EPOCH, ScalingLaw.TOKENS20])
LOSS_LAWS = st.sampled_from([ScalingLaw.HOFFMANN, ScalingLaw.EPOCH])
prices = st.builds(
    FlopPrice,
    train_usd_per_flop=st.floats(1e-20, 1e-16),
    inference_usd_per_flop=st.floats(1e-20, 1e-16),
    train_flops_per_param_token=st.sampled_from([6.0, 8.0]),
)
inference = st.sampled_from([0.0, 1e9, 1e11, 1e13])
work = st.floats(0.5, 2000)
checkpoint = st.floats(0.005, 1.0)
restart = st.floats(0.0, 2.0)
rates = st.floats(0.0, 0.5)


@EXAMPLES
@given(prices, LAWS, st.floats(1e2, 1e7), st.floats(1.01, 100), inference)
def test_more_budget_never_gives_a_higher_loss(price, law, budget, factor, tokens):
    small = optimal_for_budget(budget, price, law, inference_tokens=tokens)
    large = optimal_for_budget(budget * factor, price, law, inference_tokens=tokens)
    if law_fit(law).predicts_loss:
        assert large.loss <= small.loss + 1e-9
    assert large.params >= small.params * (1 - 1e-6) or tokens > 0


@EXAMPLES
@given(prices, LOSS_LAWS, st.floats(1e2, 1e7), inference, st.floats(0.0, 1.0))
def test_the_optimum_is_no_worse_than_any_split_of_the_same_budget(
    price, law, budget, tokens, where
):
    best = optimal_for_budget(budget, price, law, inference_tokens=tokens)
    profile = isocost_profile(budget, price, law, inference_tokens=tokens, points=25)
    assert (profile["loss"] >= best.loss - 1e-9).all()
    # Any point of the budget line, not only the grid's.
    params = float(np.interp(where, [0, 1], [profile["params"].min(), profile["params"].max()]))
    spend = (budget - 2 * params * tokens * price.inference_usd_per_flop) / (
        price.train_flops_per_param_token * params * price.train_usd_per_flop
    )
    if spend > 0:
        assert law_fit(law).loss(params, spend) >= best.loss - 1e-9


@EXAMPLES
@given(prices, LOSS_LAWS, st.floats(1e2, 1e6), inference)
def test_the_chosen_point_is_on_the_frontier_and_below_every_cheaper_point(
    price, law, budget, tokens
):
    budgets = list(np.geomspace(budget / 20, budget * 20, 9))
    curve = frontier(price, law, budgets, inference_tokens=tokens)
    best = optimal_for_budget(budget, price, law, inference_tokens=tokens)
    assert curve["loss"].is_monotonic_decreasing
    cheaper = curve[curve["budget_usd"] <= budget]
    assert (cheaper["loss"] >= best.loss - 1e-9).all()


@EXAMPLES
@given(LOSS_LAWS, st.floats(2.0, 3.5), prices, inference)
def test_cheapest_for_loss_reaches_the_target(law, target, price, tokens):
    result = cheapest_for_loss(target, law, price, inference_tokens=tokens)
    if result.ok:
        assert result.loss == math.inf or abs(result.loss - target) < 1e-6


@EXAMPLES
@given(work, rates, st.floats(1.0, 3.0), checkpoint, restart)
def test_a_higher_interruption_rate_never_lowers_expected_cost(hours, rate, factor, delta, r):
    _, low = best_segments(hours, rate, delta, r)
    _, high = best_segments(hours, rate * factor + 1e-6, delta, r)
    assert high >= low * (1 - 1e-12)


@EXAMPLES
@given(work, checkpoint, restart)
def test_zero_interruptions_give_zero_overhead(hours, delta, r):
    segments, expected = best_segments(hours, 0.0, delta, r)
    assert (segments, expected) == (1, hours)
    sample = simulate_spot(hours, 0.0, delta, r, segments, runs=100, seed=0)
    assert (sample == hours).all()


@EXAMPLES
@given(st.floats(1e8, 5e9), st.floats(1e9, 1e11), st.floats(0.0, 0.2), st.floats(1.0, 4.0))
def test_a_higher_rate_never_lowers_a_plans_expected_cost(params, tokens, rate, factor):
    pricing = Pricing(
        overrides=(PriceOverride(instance_type="p4d.24xlarge", spot_usd_per_hour=6.0),)
    )
    plan = TrainingJob(
        params=params,
        tokens=tokens,
        instance_type="p4d.24xlarge",
        pricing=RunPricing.SPOT,
        interruptions_per_instance_hour=rate,
    )
    try:
        low = estimate_run(plan, pricing, simulate=False)
        high = estimate_run(
            replace(plan, interruptions_per_instance_hour=rate * factor), pricing, simulate=False
        )
    except PlannerInputError as error:  # a higher rate may never finish: not cheaper either
        message = str(error)
        assert "never finishes" in message
        return
    assert high.cost_usd >= low.cost_usd * (1 - 1e-12)
    if rate == 0:
        # No spot interruptions: only the hardware failures every tier has, as on-demand.
        on_demand = estimate_run(replace(plan, pricing=RunPricing.ON_DEMAND), pricing)
        assert low.wall_clock_hours == pytest.approx(on_demand.wall_clock_hours, rel=1e-12)


@EXAMPLES
@given(
    st.floats(1, 200),
    st.floats(0.0, 1.0),
    checkpoint,
    restart,
    st.integers(1, 40),
    st.floats(1.0, 3.0),
    st.integers(0, 1000),
)
def test_mixed_always_meets_a_deadline_on_demand_meets(
    hours, rate, delta, r, segments, slack, seed
):
    deadline = hours * slack
    spot, on_demand = simulate_fallback(
        hours, rate, delta, r, segments, deadline, runs=200, seed=seed
    )
    assert (spot + on_demand <= deadline + 1e-6).all()


# What the schema takes: none, or at least one model a century.
_MODELS_PER_MONTH = st.just(0.0) | st.floats(MIN_MODELS_PER_MONTH, 30)

sized_plans = st.builds(
    TrainingJob,
    name=st.text(alphabet="abcdefgh -", min_size=1, max_size=10).filter(lambda s: s.strip()),
    params=st.floats(1e6, 1e12) | st.none(),
    tokens=st.floats(1e6, 1e14) | st.none(),
    law=st.sampled_from(list(ScalingLaw)),
    target_loss=st.floats(1.0, 5.0) | st.none(),
    budget_usd=st.floats(1.0, 1e9) | st.none(),
    inference_tokens=st.floats(0, 1e15),
    instance_type=st.sampled_from(["p4d.24xlarge", "p5.48xlarge", "g6e.48xlarge"]),
    instance_count=st.integers(1, 512),
    precision=st.sampled_from(list(TrainingPrecision)),
    mfu=st.floats(0.01, 1.0),
    pricing=st.sampled_from(list(RunPricing)),
    interruptions_per_instance_hour=st.floats(0, 1) | st.none(),
    checkpoint_minutes=st.floats(0.1, 120),
    deadline_hours=st.floats(1, 1000) | st.none(),
    models_per_month=_MODELS_PER_MONTH,
    experiments_per_model=st.floats(0, 50),
    experiment_fraction=st.floats(0.01, 1.0),
    baseline=st.none()
    | st.builds(
        TrainingBaseline,
        pricing=st.sampled_from(list(RunPricing)) | st.none(),
        precision=st.sampled_from(list(TrainingPrecision)) | st.none(),
        params=st.floats(1e6, 1e12) | st.none(),
    ),
)


stated_plans = st.builds(
    TrainingJob,
    name=st.text(alphabet="abcdefgh -", min_size=1, max_size=10).filter(lambda s: s.strip()),
    hours_per_run=st.floats(0.01, 100_000),
    instance_type=st.sampled_from(["p4d.24xlarge", "p5.48xlarge", "g6e.48xlarge"]),
    instance_count=st.integers(1, 512),
    pricing=st.sampled_from(list(RunPricing)),
    models_per_month=_MODELS_PER_MONTH,
)
plans = sized_plans | stated_plans


@EXAMPLES
@given(plans)
def test_a_plan_survives_the_share_link_and_yaml(plan):
    scenario = Scenario(training=(plan,))
    assert decode(encode(scenario)).scenario == scenario
    assert parse_scenario_yaml(dump_scenario_yaml(scenario)) == scenario


@settings(deadline=None, max_examples=15)
@given(
    st.sampled_from([RunPricing.ON_DEMAND, RunPricing.SPOT, RunPricing.RESERVED_1Y]),
    st.sampled_from(list(TrainingPrecision)),
    st.floats(5e8, 4e9),
    st.floats(0.0, 6.0),
)
def test_the_shapley_lever_savings_add_up_to_baseline_less_plan(pricing, precision, params, runs):
    # Efficiency of the Shapley value (Shapley 1953): the savings sum to v(∅) − v(all).
    plan = TrainingJob(
        params=1e9,
        tokens=2e10,
        instance_type="p4d.24xlarge",
        pricing=RunPricing.SPOT,
        experiments_per_model=1.0,
        baseline=TrainingBaseline(
            pricing=pricing,
            precision=precision if precision is not TrainingPrecision.FP8 else None,
            params=params,
            tokens=20 * params,
            experiments_per_model=runs,
        ),
    )
    report = evaluate_plan(plan, Pricing())
    steps = report.waterfall
    savings = steps["saving_usd_per_month"].iloc[1:-1]
    total = report.baseline.cost_per_month_usd - report.run.cost_per_month_usd
    assert savings.sum() == pytest.approx(total, rel=1e-9, abs=1e-6)
    assert (
        steps["saving_usd_per_month"].iloc[1:-1] == -steps["change_usd_per_month"].iloc[1:-1]
    ).all()

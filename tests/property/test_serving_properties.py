"""Properties of the serving planner over random plans."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from planner.catalog import PriceTier
from planner.core.errors import PlannerInputError
from planner.costing.serving import evaluate_serving, price_endpoint
from planner.scenario.serving import (
    Autoscaling,
    Endpoint,
    FleetMix,
    ServedModel,
    ServingBaseline,
    ServingPrecision,
    Traffic,
)

# Every lever on (version 2 starts with them off): autoscaling and all four tiers.
ALL_TIERS = (PriceTier.ON_DEMAND, PriceTier.SPOT, PriceTier.RESERVED_1Y, PriceTier.RESERVED_3Y)
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def plans(draw: st.DrawFn) -> Endpoint:
    precisions = st.sampled_from(list(ServingPrecision))
    return Endpoint(
        traffic=Traffic(
            requests_per_day=draw(st.floats(1e4, 5e7)),
            peak_to_average=draw(st.none() | st.floats(1.2, 4.0)),
            monthly_growth=draw(st.floats(-0.1, 0.2)),
            horizon_weeks=1,
        ),
        model=ServedModel(
            parameters_billion=draw(st.sampled_from([1.0, 3.0, 8.0])),
            precision=draw(precisions),
            input_tokens=draw(st.integers(50, 1000)),
            output_tokens=draw(st.integers(20, 400)),
        ),
        instance_type=draw(st.sampled_from(["g6e.xlarge", "g6.xlarge", "p4d.24xlarge"])),
        max_batch=draw(st.integers(1, 64)),
        latency_target_ms=60_000,
        cache_hit_rate=draw(st.floats(0.0, 0.5)),
        autoscaling=Autoscaling(
            enabled=True,
            min_replicas=draw(st.integers(0, 3)),
            headroom=draw(st.floats(0.0, 0.5)),
            scale_up_lag_minutes=draw(st.floats(0.0, 90.0)),
        ),
        baseline=ServingBaseline(
            instance_type=draw(st.sampled_from([None, "g6e.xlarge", "p4d.24xlarge"])),
            precision=draw(precisions),
            max_batch=draw(st.integers(1, 8)),
        ),
        mix=FleetMix(tiers=ALL_TIERS, spot_max_share=draw(st.sampled_from([0.0, 0.3, 0.6]))),
    )


def _evaluate(plan: Endpoint):
    try:
        return evaluate_serving(plan)
    except PlannerInputError:
        reject()  # this random plan cannot serve its model: explained, never a crash


@SETTINGS
@given(plans())
def test_lever_savings_add_up_to_baseline_minus_plan(plan):
    result = _evaluate(plan)
    total = sum(item.saving_usd_per_month for item in result.levers)
    assert total == pytest.approx(result.total_saving_usd_per_month, rel=1e-9, abs=1e-6)
    assert result.optimised.per_1k_requests_usd == pytest.approx(
        1000 * result.optimised.per_request_usd
    )


@SETTINGS
@given(plans(), st.floats(1.1, 3.0))
def test_more_traffic_never_lowers_the_plans_cost(plan, factor):
    result = _evaluate(plan)
    busier = replace(
        plan,
        traffic=replace(plan.traffic, requests_per_day=plan.traffic.requests_per_day * factor),
    )
    more = _evaluate(busier)
    assert more.optimised.total_cost_usd >= result.optimised.total_cost_usd - 1e-6
    assert (more.optimised.instances >= result.optimised.instances).all()


@SETTINGS
@given(plans())
def test_the_one_pricing_path_is_the_plan_serve_shows(plan):
    result = _evaluate(plan)
    priced = price_endpoint(plan)
    assert priced.monthly_cost_usd == result.optimised.monthly_cost_usd
    assert (priced.instances >= plan.autoscaling.min_replicas).all()


@st.composite
def llm_endpoints(draw: st.DrawFn) -> Endpoint:
    return Endpoint(
        instance_type=draw(st.sampled_from(["g6e.xlarge", "p5.48xlarge", "g6.12xlarge"])),
        max_batch=draw(st.sampled_from([1, 8, 64, 512])),
        latency_target_ms=3_600_000,
        model=ServedModel(
            preset=draw(st.sampled_from(["Llama-3.1-8B", "Mistral-7B-v0.1", "Qwen2.5-7B"])),
            precision=draw(st.sampled_from([ServingPrecision.FP8, ServingPrecision.INT4])),
            input_tokens=draw(st.integers(1, 8000)),
            output_tokens=draw(st.integers(1, 4000)),
        ),
    )


@SETTINGS
@given(plan=llm_endpoints(), tighter=st.floats(0.3, 0.95))
def test_token_prices_add_up_and_a_tighter_tpot_never_batches_more(plan: Endpoint, tighter: float):
    from planner.costing.serving import instance_throughput, token_price

    try:
        price = token_price(plan)
    except PlannerInputError:
        reject()
    n_in, n_out = plan.model.input_tokens, plan.model.output_tokens
    per_request = (
        n_in * price.usd_per_1m_input_tokens + n_out * price.usd_per_1m_output_tokens
    ) / 1e6
    assert per_request == pytest.approx(price.usd_per_request)
    tp = price.throughput
    assert tp.ttft_ms is not None
    assert tp.tpot_ms is not None
    assert tp.latency_ms == pytest.approx(tp.ttft_ms + (n_out - 1) * tp.tpot_ms)
    fixed = replace(plan, tensor_parallel=tp.gpus_per_replica)
    target = replace(fixed, tpot_target_ms=tp.tpot_ms * tighter)
    try:
        bound = instance_throughput(
            target, plan.instance_type, plan.model.precision, plan.max_batch
        )
    except PlannerInputError:
        return  # even batch 1 misses the target: refused, never served too slowly
    assert bound.tpot_ms is not None
    assert bound.tpot_ms <= tp.tpot_ms * tighter + 1e-9
    assert bound.batch <= tp.batch

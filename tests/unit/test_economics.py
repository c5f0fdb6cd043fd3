import math
from dataclasses import replace

import pytest

from planner.catalog import PriceOverride, PriceTier, Pricing, load_catalog
from planner.core.errors import PlannerInputError
from planner.costing.economics import CostCategory, evaluate, projection, scale_traffic
from planner.scenario import Business, DataTransferItem, Scenario, StorageItem, ToolingItem
from planner.scenario.training import RunPricing
from tests.strategies import fixed_endpoint, stated_job


def hand_worked() -> Scenario:
    """Round prices through overrides, so the expected figures can be worked by hand."""
    return Scenario(
        pricing=Pricing(
            overrides=(
                PriceOverride(instance_type="g5.xlarge", on_demand_usd_per_hour=2.0),
                PriceOverride(instance_type="g4dn.xlarge", on_demand_usd_per_hour=1.0),
            )
        ),
        training=(
            stated_job(
                name="train",
                instance_type="g5.xlarge",
                instance_count=2,
                hours_per_run=10,
                models_per_month=3,
            ),
        ),
        serving=(
            fixed_endpoint(
                name="api",
                requests_per_day=8_640_000,
                instance_type="g4dn.xlarge",
                requests_per_second_per_instance=50,
                target_utilization=0.6,
                peak_to_average=1.5,
            ),
        ),
        storage=(StorageItem(name="data", gb=1000, usd_per_gb_month=0.02),),
        data_transfer=(DataTransferItem(name="egress", gb_per_month=100, usd_per_gb=0.1),),
        tooling=(ToolingItem(name="tracking", usd_per_month=600, share=0.5),),
        business=Business(monthly_active_users=41_000, price_per_request_usd=0.0001),
    )


def test_hand_worked_breakdown_and_unit_costs():
    result = evaluate(hand_worked())
    # training 2 × 10 h × $2 × 3 runs; serving: peak 150 req/s ÷ (50 × 0.6) = 5 × $1 × 730 h
    assert result.breakdown() == pytest.approx(
        {
            CostCategory.TRAINING: 120.0,
            CostCategory.SERVING: 3650.0,
            CostCategory.STORAGE: 20.0,
            CostCategory.DATA_TRANSFER: 10.0,
            CostCategory.TOOLING: 300.0,
            CostCategory.COMMITMENTS: 0.0,  # no commitments section
        },
        rel=1e-12,
    )
    assert result.monthly_cost_usd == pytest.approx(4100.0, rel=1e-12)
    requests = 8_640_000 * 365 / 12
    assert result.requests_per_month == pytest.approx(requests)
    assert result.per_request_usd == pytest.approx(4100 / requests)
    assert result.per_1k_requests_usd == pytest.approx(4_100_000 / requests)
    assert result.per_user_usd == pytest.approx(4100 / 41_000)
    assert result.per_training_run_usd == pytest.approx(40.0, rel=1e-12)
    assert result.revenue_usd_per_month == pytest.approx(0.0001 * requests)
    assert result.gross_margin == pytest.approx(1 - 4100 / (0.0001 * requests))
    assert result.endpoints[0].peak_instances == 5
    assert result.endpoints[0].peak_requests_per_second == pytest.approx(150.0)
    assert "g4dn.xlarge at 50 req/s each" in result.lines[1].basis
    assert "5 at the peak" in result.lines[1].basis
    assert result.training[0].instance_hours == 20.0


def test_unit_costs_that_do_not_apply_are_none():
    result = evaluate(Scenario(tooling=(ToolingItem(name="t", usd_per_month=10),)))
    assert result.per_request_usd is None
    assert result.per_user_usd is None
    assert result.per_training_run_usd is None
    assert result.gross_margin is None


def test_min_instances_hold_a_fleet_with_no_traffic():
    scenario = Scenario(serving=(fixed_endpoint(name="idle", requests_per_day=0, min_instances=3),))
    assert evaluate(scenario).endpoints[0].peak_instances == 3


def test_catalog_defaults_for_storage_and_egress():
    catalog = load_catalog()
    result = evaluate(
        Scenario(
            storage=(StorageItem(name="s", gb=100),),
            data_transfer=(DataTransferItem(name="d", gb_per_month=10),),
        )
    )
    breakdown = result.breakdown()
    assert breakdown[CostCategory.STORAGE] == pytest.approx(
        100 * catalog.assumption("object_storage_usd_per_gb_month")
    )
    assert breakdown[CostCategory.DATA_TRANSFER] == pytest.approx(
        10 * catalog.assumption("internet_egress_usd_per_gb")
    )


def test_a_job_is_priced_by_its_own_pricing_not_the_default_tier():
    # Version 2 writes each job's pricing out (the upgrade fills in version 1's default
    # tier), so the scenario's default tier no longer reaches a job.
    catalog = load_catalog()
    scenario = Scenario(
        pricing=Pricing(default_tier=PriceTier.RESERVED_3Y),
        training=(
            stated_job(name="a", pricing=RunPricing.SPOT),
            stated_job(name="b", pricing=RunPricing.RESERVED_3Y),
            stated_job(name="c"),
        ),
    )
    spot, reserved, on_demand = evaluate(scenario).training
    assert (
        spot.price.usd_per_instance_hour
        == catalog.hourly_price("p4d.24xlarge", PriceTier.SPOT).usd_per_hour
    )
    assert (
        reserved.price.usd_per_instance_hour
        == catalog.hourly_price("p4d.24xlarge", PriceTier.RESERVED_3Y).usd_per_hour
    )
    assert (
        on_demand.price.usd_per_instance_hour
        == catalog.hourly_price("p4d.24xlarge", PriceTier.ON_DEMAND).usd_per_hour
    )
    assert reserved.gpu_hours == 8 * 24
    assert spot.wall_clock_hours > 24  # checkpoints and restarts cost spot time


def test_unknown_instance_is_a_clear_error():
    scenario = Scenario(training=(stated_job(name="a", instance_type="p4d.24xlargee"),))
    with pytest.raises(PlannerInputError, match=r"a: .*p4d\.24xlarge"):
        evaluate(scenario)


def test_scale_traffic_by_one_changes_nothing():
    assert scale_traffic(hand_worked(), 1.0) == hand_worked()


def test_projection_grows_serving_and_egress_but_not_training():
    scenario = replace(
        hand_worked(), business=Business(monthly_traffic_growth=0.1, projection_months=12)
    )
    frame = projection(scenario)
    assert sorted(frame["month"].unique()) == list(range(1, 13))
    by = frame.pivot_table(index="month", columns="category", values="usd")
    assert by["training"].to_numpy() == pytest.approx(120.0, rel=1e-12)
    assert by.loc[12, "serving"] > by.loc[1, "serving"]
    assert by.loc[12, "data_transfer"] == pytest.approx(10 * 1.1**11)
    assert math.isclose(by.loc[1].sum(), 4100.0)

"""Hypothesis strategies for scenarios: valid by construction, priced from the catalog.

:func:`fixed_endpoint` and :func:`stated_job` build the simplest endpoint and training job
the schema holds ("N × type at R req/s each", "N × type for H hours"), which are the
shapes the first-order tests work by hand.
"""

from __future__ import annotations

from hypothesis import strategies as st

from planner.catalog import PriceOverride, PriceTier, Pricing, load_catalog
from planner.scenario import Business, DataTransferItem, Scenario, StorageItem, ToolingItem
from planner.scenario.serving import (
    Autoscaling,
    DailyShape,
    Endpoint,
    FleetMix,
    ModelKind,
    ServedModel,
    Traffic,
    WeeklyShape,
)
from planner.scenario.training import RunPricing, TrainingJob

CATALOG = load_catalog()
# Instances with every tier priced, so any tier drawn has a price.
PRICED = sorted(
    name
    for name, instance in CATALOG.instances.items()
    if instance.on_demand_usd_per_hour and instance.spot_usd_per_hour
)


def fixed_endpoint(
    *,
    name: str = "api",
    requests_per_day: float,
    instance_type: str = "g5.xlarge",
    requests_per_second_per_instance: float = 100.0,
    target_utilization: float = 0.6,
    peak_to_average: float = 1.0,
    min_instances: int = 1,
    tiers: tuple[PriceTier, ...] = (PriceTier.ON_DEMAND,),
) -> Endpoint:
    """An endpoint at a measured throughput on a fleet sized for its peak hour, all week.

    Its fleet is ``max(min_instances, ceil(peak / (rps × utilisation)))`` with the peak
    ``requests_per_day ÷ 86,400 × peak_to_average``.
    """
    traffic = (
        Traffic(requests_per_day=requests_per_day, peak_to_average=peak_to_average, horizon_weeks=1)
        if peak_to_average > 1
        else Traffic(
            requests_per_day=requests_per_day,
            daily_shape=DailyShape.FLAT,
            weekly_shape=WeeklyShape.FLAT,
            horizon_weeks=1,
        )
    )
    return Endpoint(
        name=name,
        instance_type=instance_type,
        traffic=traffic,
        model=ServedModel(
            kind=ModelKind.CLASSIC,
            measured_requests_per_second_per_instance=requests_per_second_per_instance,
        ),
        autoscaling=Autoscaling(
            enabled=False, min_replicas=min_instances, headroom=1 / target_utilization - 1
        ),
        mix=FleetMix(tiers=tiers),
    )


def stated_job(
    *,
    name: str = "train",
    instance_type: str = "p4d.24xlarge",
    instance_count: int = 1,
    hours_per_run: float = 24.0,
    models_per_month: float = 1.0,
    pricing: RunPricing = RunPricing.ON_DEMAND,
) -> TrainingJob:
    """A training job whose hours are stated: ``instance_count × hours × price × runs``."""
    return TrainingJob(
        name=name,
        instance_type=instance_type,
        instance_count=instance_count,
        hours_per_run=hours_per_run,
        models_per_month=models_per_month,
        pricing=pricing,
        simulations=100,  # spot percentiles only; the expected cost is closed-form
    )


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz -", min_size=1, max_size=12).filter(
    lambda s: s.strip() != ""
)
money = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
tiers = st.sampled_from(list(PriceTier)) | st.none()
# What a fleet may buy: on demand alone, or with one other tier.
fleet_tiers = st.sampled_from(
    [
        (PriceTier.ON_DEMAND,),
        (PriceTier.ON_DEMAND, PriceTier.RESERVED_1Y),
        (PriceTier.ON_DEMAND, PriceTier.RESERVED_3Y),
        (PriceTier.ON_DEMAND, PriceTier.SPOT),
    ]
)
run_pricings = st.sampled_from(
    [RunPricing.ON_DEMAND, RunPricing.SPOT, RunPricing.RESERVED_1Y, RunPricing.RESERVED_3Y]
)

training = st.builds(
    stated_job,
    name=names,
    instance_type=st.sampled_from(PRICED),
    instance_count=st.integers(1, 64),
    hours_per_run=st.floats(0.1, 2000, allow_nan=False),
    # Not subnormal: a reserved job's cost per run is its month ÷ runs, which overflows
    # (see test_training.py, test_a_reserved_job_with_almost_no_runs_costs_its_commitment).
    models_per_month=st.just(0.0) | st.floats(1e-3, 60),
    pricing=run_pricings,
)
serving = st.builds(
    fixed_endpoint,
    name=names,
    # At most about 500 instances at the peak, 15,000 after three years of the fastest
    # growth drawn below, so each example solves its instance mix quickly (a fleet of
    # ~450,000 is tested once, in test_serving.py).
    requests_per_day=st.floats(0, 1e7, allow_nan=False),
    instance_type=st.sampled_from(PRICED),
    requests_per_second_per_instance=st.floats(5, 5000, allow_nan=False),
    # Headroom 1/u - 1 is at most 5, so utilisation is at least 1/6.
    target_utilization=st.floats(0.17, 1.0, allow_nan=False),
    # The default shape peaks at 4.31 × its mean at most.
    peak_to_average=st.floats(1.0, 4.3, allow_nan=False),
    min_instances=st.integers(0, 10),
    tiers=fleet_tiers,
)
overrides = st.lists(
    st.builds(
        PriceOverride,
        instance_type=st.sampled_from(PRICED),
        on_demand_usd_per_hour=st.floats(0.01, 200, allow_nan=False) | st.none(),
        spot_usd_per_hour=st.floats(0.01, 200, allow_nan=False) | st.none(),
    ),
    max_size=3,
    unique_by=lambda o: o.instance_type,
)


def _named(items):  # names are unique within a section: pages and the CLI find them by name
    return st.lists(items, max_size=3, unique_by=lambda item: item.name).map(tuple)


scenarios = st.builds(
    Scenario,
    title=names,
    pricing=st.builds(
        Pricing,
        default_tier=st.sampled_from(list(PriceTier)),
        reserved_1y_discount=st.floats(0, 0.9) | st.none(),
        reserved_3y_discount=st.floats(0, 0.9) | st.none(),
        overrides=overrides.map(tuple),
    ),
    training=_named(training),
    serving=_named(serving),
    storage=st.lists(
        st.builds(StorageItem, name=names, gb=money, usd_per_gb_month=st.floats(0, 1) | st.none()),
        max_size=2,
    ).map(tuple),
    data_transfer=st.lists(
        st.builds(DataTransferItem, name=names, gb_per_month=money), max_size=2
    ).map(tuple),
    tooling=st.lists(
        st.builds(ToolingItem, name=names, usd_per_month=money, share=st.floats(0, 1)),
        max_size=3,
    ).map(tuple),
    business=st.builds(
        Business,
        monthly_active_users=st.floats(1, 1e8) | st.none(),
        price_per_request_usd=st.floats(0.0001, 1) | st.none(),
        # The projection re-prices every endpoint each month: 1.1^35 is a 28-fold fleet.
        monthly_traffic_growth=st.floats(-0.5, 0.1),
        projection_months=st.integers(12, 36),
    ),
)

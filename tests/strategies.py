"""Hypothesis strategies for scenarios: valid by construction, priced from the catalog."""

from __future__ import annotations

from hypothesis import strategies as st

from planner.catalog import PriceOverride, PriceTier, load_catalog
from planner.scenario import (
    Business,
    DataTransferItem,
    Pricing,
    Scenario,
    ServingWorkload,
    StorageItem,
    ToolingItem,
    TrainingWorkload,
)

CATALOG = load_catalog()
# Instances with every tier priced, so any tier drawn has a price.
PRICED = sorted(
    name
    for name, instance in CATALOG.instances.items()
    if instance.on_demand_usd_per_hour and instance.spot_usd_per_hour
)

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz -", min_size=1, max_size=12).filter(
    lambda s: s.strip() != ""
)
money = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
tiers = st.sampled_from(list(PriceTier)) | st.none()

training = st.builds(
    TrainingWorkload,
    name=names,
    instance_type=st.sampled_from(PRICED),
    instance_count=st.integers(1, 64),
    hours_per_run=st.floats(0.1, 2000, allow_nan=False),
    runs_per_month=st.floats(0, 60, allow_nan=False),
    price_tier=tiers,
)
serving = st.builds(
    ServingWorkload,
    name=names,
    requests_per_day=st.floats(0, 1e10, allow_nan=False),
    instance_type=st.sampled_from(PRICED),
    requests_per_second_per_instance=st.floats(0.1, 5000, allow_nan=False),
    target_utilization=st.floats(0.05, 1.0, allow_nan=False),
    peak_to_average=st.floats(1.0, 5.0, allow_nan=False),
    min_instances=st.integers(0, 10),
    price_tier=tiers,
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
    training=st.lists(training, max_size=3).map(tuple),
    serving=st.lists(serving, max_size=3).map(tuple),
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
        monthly_traffic_growth=st.floats(-0.5, 1.0),
        projection_months=st.integers(12, 36),
    ),
)

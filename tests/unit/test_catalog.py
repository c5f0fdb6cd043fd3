"""Tests for planner.catalog: the shipped data files and price resolution."""

from __future__ import annotations

import csv
import math
import pickle
import shutil
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from planner.catalog import DATA_DIR, Catalog, PriceOverride, PriceTier, load_catalog, read_catalog
from planner.core.errors import PlannerInputError

P4D = "p4d.24xlarge"
P4D_ON_DEMAND = 21.957642  # datareceipts recheck, 2026-11-09 (post June-2025 cut)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _csv_rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --------------------------------------------------------------------------- the data files


def test_every_instance_row_loads(catalog: Catalog) -> None:
    rows = _csv_rows("instances.csv")
    assert len(rows) == 55
    assert [row["instance_type"] for row in rows] == list(catalog.instances)


def test_every_gpu_and_assumption_row_loads(catalog: Catalog) -> None:
    assert [row["gpu_model"] for row in _csv_rows("gpus.csv")] == list(catalog.gpus)
    assert [row["key"] for row in _csv_rows("pricing_assumptions.csv")] == list(catalog.assumptions)


def test_every_gpu_model_is_a_gpus_key_or_blank(catalog: Catalog) -> None:
    unknown = {
        inst.name: inst.gpu_model
        for inst in catalog.instances.values()
        if inst.gpu_model is not None and inst.gpu_model not in catalog.gpus
    }
    assert unknown == {}
    # And the shipped data does name a model for every instance.
    assert all(inst.gpu_model for inst in catalog.instances.values())


def test_prices_are_positive_and_finite(catalog: Catalog) -> None:
    for inst in catalog.instances.values():
        for price in (
            inst.on_demand_usd_per_hour,
            inst.spot_usd_per_hour,
            inst.reserved_1y_usd_per_hour,
            inst.reserved_3y_usd_per_hour,
        ):
            assert price is None or (math.isfinite(price) and price > 0), inst.name


def test_every_row_has_a_source_and_every_price_a_date(catalog: Catalog) -> None:
    for inst in catalog.instances.values():
        assert inst.source.strip(), inst.name
        assert inst.quality_flag.strip(), inst.name
        if inst.on_demand_usd_per_hour is not None:
            assert inst.on_demand_price_date, inst.name
        if inst.spot_usd_per_hour is not None:
            assert inst.spot_price_date, inst.name
    for gpu in catalog.gpus.values():
        assert gpu.source.strip(), gpu.gpu_model
    for assumption in catalog.assumptions.values():
        assert assumption.source.strip(), assumption.key
        assert assumption.date.strip(), assumption.key


def test_reserved_prices_are_blank_so_they_are_derived(catalog: Catalog) -> None:
    assert all(
        inst.reserved_1y_usd_per_hour is None and inst.reserved_3y_usd_per_hour is None
        for inst in catalog.instances.values()
    )


def test_rechecked_prices_are_used_and_the_old_one_is_noted(catalog: Catalog) -> None:
    p4d = catalog.instance(P4D)
    assert p4d.on_demand_usd_per_hour == P4D_ON_DEMAND
    assert p4d.on_demand_price_date == "2026-11-09"
    assert "datareceipts" in p4d.source
    assert "32.7726" in p4d.notes  # the pre-cut snapshot price
    lambda_h100 = catalog.instance("gpu_8x_h100_sxm5")
    assert lambda_h100.on_demand_usd_per_hour == 31.92
    assert "23.92" in lambda_h100.notes


def test_azure_h100_gpu_count_is_fixed(catalog: Catalog) -> None:
    inst = catalog.instance("Standard_ND96isr_H100_v5")
    assert inst.gpu_count == 8
    assert "catalog_gpu_count_wrong" in inst.quality_flags
    assert "12" in inst.notes


def test_quality_flags_are_kept(catalog: Catalog) -> None:
    assert catalog.instance("a2-ultragpu-8g").quality_flag == "anomalous"
    assert catalog.instance("p5e.48xlarge").quality_flag == "no_on_demand_in_catalog"
    assert catalog.instance("a3-highgpu-8g").quality_flag == "region_substituted"


def test_instance_columns_companion_documents_every_column() -> None:
    with (DATA_DIR / "instances.csv").open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    described = _csv_rows("instances.columns.csv")
    assert [row["column"] for row in described] == header
    assert all(row["description"].strip() for row in described)
    units = {row["column"]: row["unit"] for row in described}
    assert units["on_demand_usd_per_hour"] == "USD/h"
    assert units["memory_gib"] == "GiB"


def test_gpu_lookup(catalog: Catalog) -> None:
    spec = catalog.gpu_for(catalog.instance("p5.48xlarge"))
    assert spec is not None
    assert spec.gpu_model == "H100"
    assert spec.bf16_dense_tflops == 989.4
    a10g = catalog.gpu_for(catalog.instance("g5.xlarge"))
    assert a10g is not None
    assert a10g.bf16_dense_tflops is None  # not verified: stays blank


def test_assumptions(catalog: Catalog) -> None:
    assert catalog.assumption("reserved_1y_discount") == 0.37
    assert catalog.assumption("reserved_3y_discount") == 0.55
    assert catalog.assumption("internet_egress_usd_per_gb") == 0.09
    with pytest.raises(PlannerInputError, match="reserved_1y_discount"):
        catalog.assumption("reserved_1y_discont")


# --------------------------------------------------------------------------- hourly_price


def test_on_demand_price(catalog: Catalog) -> None:
    price = catalog.hourly_price(P4D, PriceTier.ON_DEMAND)
    assert price.usd_per_hour == P4D_ON_DEMAND
    assert price.tier is PriceTier.ON_DEMAND
    assert "2026-11-09" in price.basis


def test_spot_price(catalog: Catalog) -> None:
    price = catalog.hourly_price(P4D, PriceTier.SPOT)
    assert price.usd_per_hour == 6.7915
    assert price.basis.startswith("catalog spot")


def test_derived_reserved_prices_by_hand(catalog: Catalog) -> None:
    # 21.957642 × (1 − 0.37) = 13.83331446; 21.957642 × (1 − 0.55) = 9.8809389
    one_year = catalog.hourly_price(P4D, PriceTier.RESERVED_1Y)
    three_year = catalog.hourly_price(P4D, PriceTier.RESERVED_3Y)
    assert one_year.usd_per_hour == pytest.approx(13.83331446, abs=1e-9)
    assert three_year.usd_per_hour == pytest.approx(9.8809389, abs=1e-9)
    assert one_year.basis == (
        "derived: on-demand $21.96/h × (1 − 37% assumed 1-y commitment discount)"
    )
    assert "55%" in three_year.basis


def test_given_discount_replaces_the_assumption(catalog: Catalog) -> None:
    price = catalog.hourly_price(P4D, PriceTier.RESERVED_1Y, reserved_1y_discount=0.5)
    assert price.usd_per_hour == pytest.approx(10.978821, abs=1e-9)
    assert "assumed" not in price.basis
    zero = catalog.hourly_price(P4D, PriceTier.RESERVED_3Y, reserved_3y_discount=0.0)
    assert zero.usd_per_hour == P4D_ON_DEMAND


@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5, math.nan, math.inf])
def test_bad_discount_is_rejected(catalog: Catalog, bad: float) -> None:
    with pytest.raises(PlannerInputError, match=r"reserved_1y_discount .* \[0, 1\)"):
        catalog.hourly_price(P4D, PriceTier.RESERVED_1Y, reserved_1y_discount=bad)


def test_override_wins_for_its_tier(catalog: Catalog) -> None:
    override = PriceOverride(instance_type=P4D, on_demand_usd_per_hour=20.0)
    on_demand = catalog.hourly_price(P4D, PriceTier.ON_DEMAND, overrides=[override])
    assert on_demand.usd_per_hour == 20.0
    assert on_demand.basis == "override"
    # Tiers the override leaves alone still come from the catalog.
    spot = catalog.hourly_price(P4D, PriceTier.SPOT, overrides=[override])
    assert spot.usd_per_hour == 6.7915


def test_override_on_demand_feeds_the_derived_reserved_price(catalog: Catalog) -> None:
    override = PriceOverride(instance_type=P4D, on_demand_usd_per_hour=20.0)
    price = catalog.hourly_price(P4D, PriceTier.RESERVED_1Y, overrides=[override])
    assert price.usd_per_hour == pytest.approx(20.0 * 0.63)
    assert "override on-demand $20.00/h" in price.basis


def test_reserved_override_beats_derivation(catalog: Catalog) -> None:
    override = PriceOverride(
        instance_type=P4D, on_demand_usd_per_hour=20.0, reserved_1y_usd_per_hour=11.0
    )
    price = catalog.hourly_price(
        P4D, PriceTier.RESERVED_1Y, overrides=[override], reserved_1y_discount=0.1
    )
    assert price.usd_per_hour == 11.0
    assert price.basis == "override"


def test_override_for_another_instance_is_ignored(catalog: Catalog) -> None:
    other = PriceOverride(instance_type="p5.48xlarge", on_demand_usd_per_hour=1.0)
    price = catalog.hourly_price(P4D, PriceTier.ON_DEMAND, overrides=[other])
    assert price.usd_per_hour == P4D_ON_DEMAND


def test_two_overrides_for_one_instance_are_rejected(catalog: Catalog) -> None:
    overrides = [
        PriceOverride(instance_type=P4D, on_demand_usd_per_hour=20.0),
        PriceOverride(instance_type=P4D, spot_usd_per_hour=5.0),
    ]
    with pytest.raises(PlannerInputError, match="one override per instance type"):
        catalog.hourly_price(P4D, PriceTier.ON_DEMAND, overrides=overrides)


def test_override_built_in_code_is_still_checked(catalog: Catalog) -> None:
    bad = PriceOverride(instance_type=P4D, spot_usd_per_hour=-1.0)
    with pytest.raises(PlannerInputError, match=r"spot_usd_per_hour is -1\.0"):
        catalog.hourly_price(P4D, PriceTier.ON_DEMAND, overrides=[bad])


def test_unknown_instance_suggests_close_matches(catalog: Catalog) -> None:
    with pytest.raises(PlannerInputError) as caught:
        catalog.hourly_price("p4d.24xl", PriceTier.ON_DEMAND)
    message = str(caught.value)
    assert "'p4d.24xl'" in message
    assert "'p4d.24xlarge'" in message
    assert "To fix:" in message


def test_unknown_instance_suggestion_ignores_case(catalog: Catalog) -> None:
    with pytest.raises(PlannerInputError, match=r"'g5\.xlarge'"):
        catalog.instance("G5.XLARGE")


def test_missing_spot_price_raises(catalog: Catalog) -> None:
    with pytest.raises(PlannerInputError) as caught:
        catalog.hourly_price("gpu_8x_h100_sxm5", PriceTier.SPOT)
    message = str(caught.value)
    assert "'gpu_8x_h100_sxm5'" in message
    assert "no spot price" in message
    assert "spot_usd_per_hour" in message  # suggests an override
    assert "on_demand" in message  # and a tier that has a price


def test_missing_on_demand_price_raises_and_blocks_derivation(catalog: Catalog) -> None:
    with pytest.raises(PlannerInputError, match=r"'p5e\.48xlarge'.*no on-demand price"):
        catalog.hourly_price("p5e.48xlarge", PriceTier.ON_DEMAND)
    with pytest.raises(PlannerInputError, match="no on-demand price to derive"):
        catalog.hourly_price("p5e.48xlarge", PriceTier.RESERVED_3Y)
    override = PriceOverride(instance_type="p5e.48xlarge", on_demand_usd_per_hour=50.0)
    price = catalog.hourly_price("p5e.48xlarge", PriceTier.RESERVED_3Y, overrides=[override])
    assert price.usd_per_hour == pytest.approx(50.0 * 0.45)


def test_flagged_prices_say_so_in_their_basis(catalog: Catalog) -> None:
    price = catalog.hourly_price("a2-ultragpu-8g", PriceTier.ON_DEMAND)
    assert "anomalous" in price.basis
    assert "quality flag" not in catalog.hourly_price(P4D, PriceTier.ON_DEMAND).basis


# --------------------------------------------------------------------------- PriceOverride edge


def test_price_override_validates_at_the_edge() -> None:
    adapter = TypeAdapter(PriceOverride)
    parsed = adapter.validate_python({"instance_type": P4D, "spot_usd_per_hour": 5})
    assert parsed == PriceOverride(instance_type=P4D, spot_usd_per_hour=5.0)
    for bad in (
        {"instance_type": P4D, "spot_usd_per_hour": 0},
        {"instance_type": P4D, "on_demand_usd_per_hour": -3.0},
        {"instance_type": P4D, "on_demand_usd_per_hour": math.inf},
        {"instance_type": P4D, "spot_price": 1.0},
    ):
        with pytest.raises(ValidationError):
            adapter.validate_python(bad)


# --------------------------------------------------------------------------- Catalog object


def test_catalog_is_read_only_hashable_and_picklable(catalog: Catalog) -> None:
    with pytest.raises(TypeError):
        catalog.instances["x"] = catalog.instance(P4D)  # type: ignore[index]
    copy = pickle.loads(pickle.dumps(catalog))  # noqa: S301 - our own bytes
    assert copy == catalog
    assert hash(copy) == hash(catalog)


def test_catalog_copies_the_callers_dicts(catalog: Catalog) -> None:
    instances = dict(catalog.instances)
    built = Catalog(instances=instances, gpus=catalog.gpus, assumptions=catalog.assumptions)
    instances.clear()
    assert len(built.instances) == 55


def test_instance_frame_matches_hourly_price(catalog: Catalog) -> None:
    frame = catalog.instance_frame(reserved_1y_discount=0.4)
    assert len(frame) == 55
    assert frame["instance_type"].is_unique
    p4d = frame.set_index("instance_type").loc[P4D]
    assert p4d["on_demand_usd_per_hour"] == P4D_ON_DEMAND
    assert p4d["reserved_1y_usd_per_hour"] == pytest.approx(P4D_ON_DEMAND * 0.6)
    assert p4d["reserved_3y_usd_per_hour"] == pytest.approx(P4D_ON_DEMAND * 0.45)
    assert bool(p4d["reserved_1y_derived"])
    assert p4d["on_demand_usd_per_gpu_hour"] == pytest.approx(P4D_ON_DEMAND / 8)
    p5e = frame.set_index("instance_type").loc["p5e.48xlarge"]
    assert math.isnan(p5e["on_demand_usd_per_hour"])
    assert math.isnan(p5e["reserved_1y_usd_per_hour"])
    assert not bool(p5e["reserved_1y_derived"])
    assert p5e["spot_usd_per_hour"] == 15.4279


def test_instance_frame_applies_overrides(catalog: Catalog) -> None:
    override = PriceOverride(instance_type="gpu_8x_h100_sxm5", spot_usd_per_hour=12.0)
    frame = catalog.instance_frame(overrides=[override]).set_index("instance_type")
    assert frame.loc["gpu_8x_h100_sxm5", "spot_usd_per_hour"] == 12.0
    assert math.isnan(frame.loc["gpu_1x_h100_sxm5", "spot_usd_per_hour"])


# --------------------------------------------------------------------------- read_catalog


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    for name in ("instances.csv", "gpus.csv", "pricing_assumptions.csv"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_read_catalog_of_a_copy_equals_the_shipped_one(data_copy: Path) -> None:
    assert read_catalog(data_copy) == load_catalog()


def test_read_catalog_rejects_a_negative_price(data_copy: Path) -> None:
    _edit(data_copy / "instances.csv", ",0.526,0.1869,", ",-0.526,0.1869,")
    with pytest.raises(PlannerInputError, match=r"instances\.csv line 2, column on_demand_usd"):
        read_catalog(data_copy)


def test_read_catalog_rejects_an_unknown_gpu_model(data_copy: Path) -> None:
    _edit(data_copy / "instances.csv", "us-east-1,T4,1,", "us-east-1,T5,1,")
    with pytest.raises(PlannerInputError, match=r"'T5', which is not in gpus\.csv"):
        read_catalog(data_copy)


def test_read_catalog_rejects_a_price_without_a_date(data_copy: Path) -> None:
    _edit(data_copy / "instances.csv", ",,,2026-11-09,", ",,,,")
    with pytest.raises(PlannerInputError, match="on_demand_price_date: is blank"):
        read_catalog(data_copy)


def test_read_catalog_rejects_duplicate_names(data_copy: Path) -> None:
    path = data_copy / "gpus.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join([*lines, lines[1]]), encoding="utf-8")
    with pytest.raises(PlannerInputError, match="lists 'H100' twice"):
        read_catalog(data_copy)

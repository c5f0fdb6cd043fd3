"""Reconciliation properties: for any bill and any settings, the cents add up exactly."""

from __future__ import annotations

import csv
import io
import math
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.finops.attribution import attribute, largest_remainder, monthly_invoices_csv, months
from planner.finops.billing import bill_from_frame
from planner.io.billing import read_billing
from planner.scenario.finops import (
    AttributionRule,
    AttributionSettings,
    CostView,
    FixedWeight,
    SharedRule,
    TagMapping,
)

OWNERS = ["search", "ads", "fraud", "platform", "shared"]
CATEGORIES = ["Usage", "Usage", "Usage", "Purchase", "Tax", "Credit", "Adjustment"]

money = st.decimals(
    min_value=Decimal("-5000"), max_value=Decimal("250000"), places=6, allow_nan=False
)
tags = st.one_of(
    st.none(),
    st.just("{}"),
    st.sampled_from(OWNERS).map(lambda o: f'{{"team": "{o}"}}'),
    st.sampled_from(OWNERS).map(lambda o: f'{{"owner": "{o}", "env": "prod"}}'),
    st.sampled_from(["m1", "m2", "m3"]).map(lambda m: f'{{"model": "{m}"}}'),
)


@st.composite
def rows(draw: st.DrawFn) -> list[dict[str, str | None]]:
    count = draw(st.integers(min_value=1, max_value=30))
    result = []
    for _ in range(count):
        status = draw(st.sampled_from([None, None, "Used", "Unused"]))
        category = draw(st.sampled_from(CATEGORIES))
        result.append(
            {
                "BilledCost": str(draw(money)),
                "EffectiveCost": str(draw(money)),
                "ChargeCategory": category,
                "ChargePeriodStart": "2025-01-01T00:00:00Z",
                "ChargePeriodEnd": "2025-01-02T00:00:00Z",
                "ServiceName": draw(st.sampled_from(["Compute", "Storage", None])),
                "Tags": draw(tags),
                "CommitmentDiscountId": draw(st.sampled_from(["sp-1", "sp-2"]))
                if status or category == "Purchase"
                else None,
                "CommitmentDiscountStatus": status,
                "x_Utilization": draw(st.sampled_from([None, "0.05", "0.5"])),
            }
        )
    return result


@st.composite
def attribution_settings(draw: st.DrawFn) -> AttributionSettings:
    rules = [AttributionRule(tag_key="team")]
    if draw(st.booleans()):
        rules.append(AttributionRule(tag_key="owner"))
    if draw(st.booleans()):
        rules.append(
            AttributionRule(
                tag_key="model",
                mapping=(
                    TagMapping(value="m1", owner="search"),
                    TagMapping(value="m2", owner="new"),
                ),
            )
        )
    weights = tuple(
        FixedWeight(owner=owner, weight=draw(st.floats(min_value=0, max_value=10)))
        for owner in draw(st.lists(st.sampled_from(OWNERS), unique=True, max_size=4))
    )
    return AttributionSettings(
        rules=tuple(rules),
        shared_values=tuple(draw(st.lists(st.sampled_from(["platform", "shared"]), unique=True))),
        shared_rule=draw(st.sampled_from(list(SharedRule))),
        weights=weights,
        share_unused_commitment=draw(st.booleans()),
        cost_view=draw(st.sampled_from(list(CostView))),
    )


def exact_total_cents(records: list[dict[str, str | None]], view: CostView) -> int:
    column = view.focus_column
    total = sum((Decimal(str(r[column])) for r in records), Decimal(0))
    return int((total * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def check(result, records, view) -> None:
    assert result.total_cents == exact_total_cents(records, view)
    assert result.allocated_cents + result.unallocated_cents == result.total_cents
    assert result.reconciles()
    for allocation in result.allocations:
        parts = (
            allocation.direct_cents
            + allocation.untagged_cents
            + allocation.shared_cents
            + allocation.commitment_cents
        )
        assert parts == allocation.total_cents
    lines = list(csv.DictReader(io.StringIO(result.invoices_csv())))
    assert sum(Decimal(line["amount_usd"]) for line in lines) * 100 == result.total_cents
    shown = result.showback_frame()
    assert round(float(shown["total_usd"].sum()) * 100) == result.total_cents


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=rows(), chosen=attribution_settings())
def test_any_bill_reconciles_to_the_cent(records, chosen):
    result = attribute(bill_from_frame(pd.DataFrame(records)), chosen)
    check(result, records, chosen.cost_view)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=rows(), chosen=attribution_settings())
def test_a_csv_file_gives_the_same_cents_as_the_data_frame(records, chosen):
    frame = pd.DataFrame(records)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bill.csv"
        frame.to_csv(path, index=False)
        from_file = attribute(read_billing(path), chosen)
    from_frame = attribute(bill_from_frame(frame), chosen)
    check(from_file, records, chosen.cost_view)
    assert from_file.allocations == from_frame.allocations
    assert from_file.unallocated == from_frame.unallocated


@given(
    total=st.integers(min_value=-(10**9), max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=20).filter(
        lambda w: sum(w) > 0
    ),
)
def test_largest_remainder_splits_any_total_by_any_weights(total, weights):
    whole = sum(weights)
    quotas = [Fraction(total * w, whole) for w in weights]
    parts = largest_remainder(total, quotas)
    assert sum(parts) == total
    for part, quota in zip(parts, quotas, strict=True):
        assert math.floor(quota) <= part <= math.ceil(quota)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=rows(), chosen=attribution_settings(), data=st.data())
def test_permuting_rows_or_columns_changes_nothing(records, chosen, data):
    """Order carries no meaning in a bill: the same rows give the same cents, line by line."""
    frame = pd.DataFrame(records)
    rows_order = data.draw(st.permutations(range(len(frame))), label="rows")
    columns_order = data.draw(st.permutations(list(frame.columns)), label="columns")
    shuffled = frame.iloc[list(rows_order)][list(columns_order)].reset_index(drop=True)
    base = attribute(bill_from_frame(frame), chosen)
    other = attribute(bill_from_frame(shuffled), chosen)
    assert other.allocations == base.allocations
    assert other.unallocated == base.unallocated
    assert other.invoice_lines == base.invoice_lines
    assert other.pools == base.pools


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=rows(), chosen=attribution_settings(), data=st.data())
def test_any_mix_of_line_endings_gives_the_same_cents(records, chosen, data):
    text = pd.DataFrame(records).to_csv(index=False, lineterminator="\n")
    lines = text.split("\n")[:-1]
    endings = data.draw(
        st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=len(lines), max_size=len(lines))
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bill.csv"
        path.write_bytes("".join(a + b for a, b in zip(lines, endings, strict=True)).encode())
        from_file = attribute(read_billing(path), chosen)
    check(from_file, records, chosen.cost_view)
    assert (
        from_file.allocations
        == attribute(bill_from_frame(pd.DataFrame(records)), chosen).allocations
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=rows(), chosen=attribution_settings(), data=st.data())
def test_monthly_invoices_add_up_to_each_month_to_the_cent(records, chosen, data):
    for record in records:
        month = data.draw(st.sampled_from(["01", "02", "03"]))
        record["ChargePeriodStart"] = f"2025-{month}-01T00:00:00Z"
        record["ChargePeriodEnd"] = f"2025-{month}-02T00:00:00Z"
    bill = bill_from_frame(pd.DataFrame(records))
    by_month = [(m, attribute(bill, chosen, month=m)) for m in months(bill)]
    lines = list(csv.DictReader(io.StringIO(monthly_invoices_csv(by_month))))
    for month, result in by_month:
        in_month = [r for r in records if r["ChargePeriodStart"].startswith(f"2025-{month[5:]}")]
        assert result.total_cents == exact_total_cents(in_month, chosen.cost_view)
        assert result.reconciles()
        amounts = [Decimal(line["amount_usd"]) for line in lines if line["month"] == month]
        assert sum(amounts, Decimal(0)) * 100 == result.total_cents
        owners = [line[chosen.dimension] for line in lines if line["month"] == month]
        assert len(owners) == len(set(owners)), "one line per owner and month"

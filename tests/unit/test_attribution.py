"""Attribution: rules with fallbacks, the split rules, commitment, coverage and invoices."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import pandas as pd
import pytest

from planner.finops.attribution import Pool, attribute, cost_by, largest_remainder
from planner.finops.billing import bill_from_frame
from planner.finops.focus_sample import generate_focus, model_owners
from planner.scenario.finops import (
    AttributionRule,
    AttributionSettings,
    CostView,
    FixedWeight,
    SampleSpec,
    SharedRule,
    TagMapping,
)


def bill(*rows: dict[str, object]):
    """A small bill: each row gives cost and tags, plus anything else to override."""
    records = []
    for row in rows:
        record: dict[str, object] = {
            "BilledCost": row.get("billed", row.get("cost")),
            "EffectiveCost": row.get("cost"),
            "ChargeCategory": row.get("category", "Usage"),
            "ChargePeriodStart": "2025-01-01T00:00:00Z",
            "ChargePeriodEnd": "2025-01-02T00:00:00Z",
            "ServiceName": row.get("service", "Compute"),
            "Tags": row.get("tags"),
            "CommitmentDiscountId": row.get("commitment_id"),
            "CommitmentDiscountStatus": row.get("status"),
            "x_Utilization": row.get("utilization"),
        }
        records.append({k: (None if v is None else str(v)) for k, v in record.items()})
    return bill_from_frame(pd.DataFrame(records), source="test")


TEAM = AttributionSettings(rules=(AttributionRule(tag_key="team"),), shared_values=())


def by_owner(result) -> dict[str, int]:
    return {a.owner: a.total_cents for a in result.allocations}


def test_direct_costs_by_tag_and_the_rest_unallocated():
    result = attribute(
        bill(
            {"cost": "10", "tags": '{"team": "a"}'},
            {"cost": "5", "tags": '{"team": "b"}'},
            {"cost": "2.5", "tags": None},
        ),
        AttributionSettings(rules=TEAM.rules, shared_values=(), shared_rule=SharedRule.NONE),
    )
    assert by_owner(result) == {"a": 1000, "b": 500}
    assert result.unallocated == ((Pool.UNTAGGED, 250),)
    assert result.total_cents == 1750
    assert result.reconciles()


def test_fallback_keys_and_mapped_values_are_tried_in_order():
    settings = AttributionSettings(
        rules=(
            AttributionRule(tag_key="team"),
            AttributionRule(tag_key="owner"),
            AttributionRule(tag_key="model", mapping=(TagMapping(value="ranker", owner="search"),)),
        ),
        shared_values=(),
        shared_rule=SharedRule.NONE,
    )
    result = attribute(
        bill(
            {"cost": "1", "tags": '{"team": "ads", "owner": "x"}'},
            {"cost": "2", "tags": '{"owner": "fraud"}'},
            {"cost": "4", "tags": '{"model": "ranker"}'},
            {"cost": "8", "tags": '{"model": "unknown-model"}'},
            {"cost": "16", "tags": '{"team": "  "}'},
        ),
        settings,
    )
    assert by_owner(result) == {"ads": 100, "fraud": 200, "search": 400}
    assert result.unallocated_cents == 2400
    assert result.coverage.by_rule == (("team", 100), ("owner", 200), ("model (mapped)", 400))
    assert result.coverage.ratio == pytest.approx(7 / 31)
    assert result.coverage.primary_ratio == pytest.approx(1 / 31)


@pytest.mark.parametrize(
    ("rule", "weights", "expected"),
    [
        (SharedRule.EVEN, (), {"a": 3000 + 500, "b": 1000 + 500}),
        (SharedRule.PROPORTIONAL, (), {"a": 3000 + 750, "b": 1000 + 250}),
        (
            SharedRule.FIXED,
            (FixedWeight(owner="a", weight=1), FixedWeight(owner="b", weight=4)),
            {"a": 3000 + 200, "b": 1000 + 800},
        ),
    ],
)
def test_untagged_and_shared_costs_are_split_by_the_chosen_rule(rule, weights, expected):
    result = attribute(
        bill(
            {"cost": "30", "tags": '{"team": "a"}'},
            {"cost": "10", "tags": '{"team": "b"}'},
            {"cost": "4", "tags": None},
            {"cost": "6", "tags": '{"team": "platform"}'},
        ),
        AttributionSettings(
            rules=TEAM.rules, shared_values=("platform",), shared_rule=rule, weights=weights
        ),
    )
    assert by_owner(result) == expected
    assert result.unallocated_cents == 0
    assert result.pool_cents(Pool.SHARED) == 600
    assert result.pool_cents(Pool.UNTAGGED) == 400
    assert result.reconciles()


def test_fixed_weights_can_name_owners_without_direct_costs_and_skip_others():
    result = attribute(
        bill({"cost": "10", "tags": '{"team": "a"}'}, {"cost": "9", "tags": None}),
        AttributionSettings(
            rules=TEAM.rules,
            shared_values=(),
            shared_rule=SharedRule.FIXED,
            weights=(FixedWeight(owner="newcomer", weight=2),),
        ),
    )
    assert by_owner(result) == {"a": 1000, "newcomer": 900}
    assert any("No weight is set for a" in note for note in result.notes)


def test_all_zero_weights_fall_back_to_even_with_a_note():
    result = attribute(
        bill(
            {"cost": "1", "tags": '{"team": "a"}'},
            {"cost": "1", "tags": '{"team": "b"}'},
            {"cost": "1", "tags": None},
        ),
        AttributionSettings(rules=TEAM.rules, shared_values=(), shared_rule=SharedRule.FIXED),
    )
    assert by_owner(result) == {"a": 150, "b": 150}
    assert any("split evenly" in note for note in result.notes)


def test_proportional_with_negative_direct_costs_counts_them_as_zero():
    result = attribute(
        bill(
            {"cost": "-5", "tags": '{"team": "refunded"}', "category": "Credit"},
            {"cost": "10", "tags": '{"team": "b"}'},
            {"cost": "1.01", "tags": None},
        ),
        AttributionSettings(
            rules=TEAM.rules, shared_values=(), shared_rule=SharedRule.PROPORTIONAL
        ),
    )
    assert by_owner(result) == {"refunded": -500, "b": 1101}
    assert result.credits_cents == -500
    assert result.reconciles()


def test_with_nobody_tagged_every_cost_stays_unallocated_and_says_why():
    result = attribute(
        bill({"cost": "3", "tags": None}, {"cost": "4", "tags": "{}"}),
        AttributionSettings(rules=TEAM.rules, shared_rule=SharedRule.EVEN),
    )
    assert result.allocations == ()
    assert result.unallocated_cents == result.total_cents == 700
    assert any("no one to split" in note for note in result.notes)


def commitment_bill():
    plan = "arn:sp-1"
    return bill(
        {
            "cost": "6",
            "billed": "0",
            "tags": '{"team": "a"}',
            "commitment_id": plan,
            "status": "Used",
        },
        {
            "cost": "2",
            "billed": "0",
            "tags": '{"team": "b"}',
            "commitment_id": plan,
            "status": "Used",
        },
        {"cost": "2", "billed": "0", "commitment_id": plan, "status": "Unused"},
        {"cost": "0", "billed": "10", "category": "Purchase", "commitment_id": plan},
    )


def test_unused_commitment_is_separate_unless_shared():
    alone = attribute(
        commitment_bill(),
        AttributionSettings(rules=TEAM.rules, shared_rule=SharedRule.PROPORTIONAL),
    )
    assert by_owner(alone) == {"a": 600, "b": 200}
    assert alone.unallocated == ((Pool.COMMITMENT, 200),)
    shared = attribute(
        commitment_bill(),
        AttributionSettings(
            rules=TEAM.rules,
            shared_rule=SharedRule.PROPORTIONAL,
            share_unused_commitment=True,
        ),
    )
    assert by_owner(shared) == {"a": 750, "b": 250}
    assert shared.unallocated_cents == 0


def test_the_billed_view_allocates_a_purchase_by_the_amortised_usage_it_covers():
    """The $10 fee paid for a's $6 and b's $2 of covered usage and $2 left unused.

    Before, the whole fee was labelled unused commitment and a and b billed $0.
    """
    result = attribute(
        commitment_bill(),
        AttributionSettings(
            rules=TEAM.rules, shared_rule=SharedRule.NONE, cost_view=CostView.BILLED
        ),
    )
    assert result.total_cents == 1000
    assert by_owner(result) == {"a": 600, "b": 200}
    assert result.pool_cents(Pool.COMMITMENT) == 200
    assert result.unallocated == ((Pool.COMMITMENT, 200),)
    items = {(line.owner, line.item): line.cents for line in result.invoice_lines}
    assert items[("a", "Compute (commitment purchase, by the usage it covered)")] == 600
    assert result.reconciles()


def test_tags_on_purchase_and_unused_rows_are_honoured():
    plan = "arn:sp-2"
    rows = (
        {"cost": "4", "billed": "0", "tags": '{"team": "a"}', "commitment_id": plan},
        {
            "cost": "3",
            "billed": "0",
            "tags": '{"team": "c"}',
            "commitment_id": plan,
            "status": "Unused",
        },
        {
            "cost": "0",
            "billed": "7",
            "category": "Purchase",
            "commitment_id": plan,
            "tags": '{"team": "c"}',
        },
    )
    amortised = attribute(bill(*rows), TEAM)
    assert by_owner(amortised) == {"a": 400, "c": 300}
    assert amortised.pool_cents(Pool.COMMITMENT) == 0
    billed = attribute(bill(*rows), replace(TEAM, cost_view=CostView.BILLED))
    assert by_owner(billed) == {"a": 0, "c": 700}


def test_an_untagged_purchase_covering_untagged_usage_is_untagged_cost():
    plan = "arn:sp-3"
    result = attribute(
        bill(
            {"cost": "5", "billed": "0", "commitment_id": plan, "status": "Used"},
            {"cost": "1", "billed": "1", "tags": '{"team": "a"}'},
            {"cost": "0", "billed": "5", "category": "Purchase", "commitment_id": plan},
        ),
        replace(TEAM, cost_view=CostView.BILLED),
    )
    assert result.pool_cents(Pool.UNTAGGED) == 500
    assert result.pool_cents(Pool.COMMITMENT) == 0


def test_a_purchase_with_no_covered_usage_in_the_bill_says_so():
    result = attribute(
        bill(
            {"cost": "1", "tags": '{"team": "a"}'},
            {"cost": "0", "billed": "9", "category": "Purchase", "commitment_id": "arn:sp-4"},
        ),
        replace(TEAM, cost_view=CostView.BILLED),
    )
    assert result.unallocated == ((Pool.PURCHASE, 900),)
    assert result.pool_cents(Pool.COMMITMENT) == 0
    assert result.reconciles()


def test_half_cent_totals_round_half_up_exactly():
    """0.015 is 0.01499999... as a float, which rounded to 1 cent instead of 2."""
    result = attribute(bill({"cost": "0.015", "tags": '{"team": "a"}'}), TEAM)
    assert (result.total_cents, by_owner(result)) == (2, {"a": 2})
    many = attribute(
        bill(
            {"cost": "1234567.105", "tags": '{"team": "a"}', "category": "Usage"},
            {"cost": "-0.1", "tags": '{"team": "a"}', "category": "Credit"},
            {"cost": "0.2", "tags": '{"team": "a"}', "category": "Tax"},
            {"cost": "-0.1", "tags": '{"team": "a"}', "category": "Adjustment"},
        ),
        TEAM,
    )
    assert many.total_cents == 123456711


def test_idle_cost_needs_the_utilisation_column():
    result = attribute(
        bill(
            {"cost": "5", "tags": '{"team": "a"}', "utilization": "0.05"},
            {"cost": "7", "tags": '{"team": "a"}', "utilization": "0.5"},
        ),
        TEAM,
    )
    assert result.idle_cents == 500
    no_column = bill_from_frame(
        pd.DataFrame(
            {
                "BilledCost": ["1"],
                "EffectiveCost": ["1"],
                "ChargeCategory": ["Usage"],
                "ChargePeriodStart": ["2025-01-01T00:00:00Z"],
                "ChargePeriodEnd": ["2025-01-02T00:00:00Z"],
            }
        )
    )
    assert attribute(no_column, TEAM).idle_cents is None


def test_thirds_reconcile_to_the_cent_by_largest_remainder():
    result = attribute(
        bill(
            {"cost": "1", "tags": '{"team": "a"}'},
            {"cost": "1", "tags": '{"team": "b"}'},
            {"cost": "1", "tags": '{"team": "c"}'},
            {"cost": "1.00", "tags": None},
        ),
        AttributionSettings(rules=TEAM.rules, shared_values=(), shared_rule=SharedRule.EVEN),
    )
    assert sorted(a.untagged_cents for a in result.allocations) == [33, 33, 34]
    assert result.allocated_cents == result.total_cents == 400


def test_invoices_add_up_to_the_bill_in_csv(sample):
    result = attribute(sample, AttributionSettings(shared_rule=SharedRule.PROPORTIONAL))
    rows = list(csv.DictReader(io.StringIO(result.invoices_csv())))
    total = sum(Decimal(row["amount_usd"]) for row in rows)
    assert total == Decimal(result.total_cents) / 100
    assert Decimal(result.total_cents) / 100 == sample.total_usd(CostView.AMORTIZED).quantize(
        Decimal("0.01")
    )
    assert {row["team"] for row in rows} >= {"search", "ads", "(unallocated)"}
    assert result.reconciles()
    frame = result.showback_frame()
    assert frame["total_usd"].sum() == pytest.approx(result.total_usd)


def test_the_lesson_06_rules_recover_part_of_the_untagged_cost(sample):
    plain = attribute(sample, AttributionSettings())
    mapped = attribute(
        sample,
        AttributionSettings(
            rules=(
                *AttributionSettings().rules,
                AttributionRule(
                    tag_key="model",
                    mapping=tuple(TagMapping(value=m, owner=t) for m, t in model_owners().items()),
                ),
            )
        ),
    )
    assert mapped.coverage.ratio > plain.coverage.ratio > plain.coverage.primary_ratio
    assert 0.7 <= plain.coverage.primary_ratio <= 0.9


def test_cost_by_tag_and_column_dimensions(sample):
    teams = cost_by(sample, CostView.AMORTIZED, "tag:team")
    assert "(untagged)" in set(teams["value"])
    assert teams["usd"].sum() == pytest.approx(float(sample.total_usd(CostView.AMORTIZED)))
    months = cost_by(sample, CostView.AMORTIZED, "month")
    assert list(months["value"]) == sorted(months["value"])
    limited = cost_by(sample, CostView.AMORTIZED, "tag:model", limit=5)
    assert len(limited) == 5
    assert limited["value"].iloc[-1] == "(other)"
    with pytest.raises(ValueError, match="unknown dimension"):
        cost_by(sample, CostView.AMORTIZED, "nonsense")


@pytest.mark.parametrize(
    ("total", "quotas", "expected"),
    [
        (100, [Fraction(100, 3)] * 3, [34, 33, 33]),
        (10, [Fraction(5), Fraction(5)], [5, 5]),
        (-1, [Fraction(-1, 2), Fraction(-1, 2)], [0, -1]),
        (1, [Fraction(7, 10), Fraction(3, 10)], [1, 0]),
    ],
)
def test_largest_remainder(total, quotas, expected):
    assert largest_remainder(total, quotas) == expected


def test_largest_remainder_refuses_a_total_that_is_not_the_rounded_sum():
    with pytest.raises(ValueError, match="not the rounded sum"):
        largest_remainder(10, [Fraction(1), Fraction(1)])


@pytest.fixture(scope="module")
def sample():
    return bill_from_frame(generate_focus(SampleSpec(months=3)), source="sample")

"""FOCUS conformance: the spec's own example files, and the rules they exercise.

The files under ``tests/fixtures/focus/`` are the FinOps Foundation's published examples
(see the README there for the repository, path and commit of each). Each one either
reconciles to the cent in both cost views or is refused with a message naming the rule.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from planner.core.errors import PlannerInputError
from planner.finops.attribution import attribute
from planner.io.billing import read_billing
from planner.scenario.finops import AttributionRule, AttributionSettings, CostView, SharedRule

FIXTURES = Path(__file__).parent.parent / "fixtures" / "focus"
HEADER = "BilledCost,EffectiveCost,ChargeCategory,ChargePeriodStart,ChargePeriodEnd,Tags"
START, END = "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z"
GOOD = f'10.50,10.50,Usage,{START},{END},"{{""team"":""search""}}"'

# file -> (rows read, rows rejected, billed total, amortised total) as the spec means them.
SPEC_TOTALS = {
    "commitment_discount_purchase_scenario_1.csv": (1, 0, "8760.00", "0.00"),
    "commitment_discount_usage_scenario_1.csv": (1, 0, "0.00", "1.00"),
    "commitment_discount_usage_scenario_2.csv": (1, 0, "0.00", "1.00"),
    "commitment_discount_usage_scenario_3.csv": (2, 0, "0.00", "1.00"),
    "commitment_discount_usage_scenario_4.csv": (2, 0, "0.50", "1.50"),
    "one_hundred_percent_utilization_with_commitment_discount_flexibility_with_1_resource.csv": (
        3,
        0,
        "2.75",
        "2.75",
    ),
    "one_hundred_percent_utilization_with_commitment_discount_flexibility_with_2_resources.csv": (
        3,
        0,
        "2.00",
        "2.00",
    ),
    "one_hundred_percent_utilization_without_commitment_discount_flexibility.csv": (
        2,
        0,
        "1.50",
        "1.50",
    ),
    "zero_percent_utilization_without_commitment_discount_flexibility.csv": (
        3,
        0,
        "3.50",
        "3.50",
    ),
    # A correction of a closed billing period: -1500 negated, +1200 and +300 re-allocated.
    "scenario_1_partial_reallocation_ledger.csv": (3, 0, "0.00", "0.00"),
    # Row 3 ends at "2023-02-01T30:00:00Z": hour 30 does not exist.
    "commitment_discount_purchase_scenario_2.csv": (3, 1, "2.00", "0.00"),
    "commitment_discount_purchase_scenario_3.csv": (4, 1, "4381.00", "0.00"),
}
# Files whose every row breaks a rule, and the rule the message must name.
SPEC_REFUSED = dict.fromkeys(
    (
        "saas_spend_agreements_a1.csv",
        "saas_spend_agreements_a2.csv",
        "saas_spend_agreements_b1.csv",
        "saas_spend_agreements_b2.csv",
        "virtual_currency_pricing_model_a1.csv",
        "virtual_currency_pricing_model_a2.csv",
        "virtual_currency_pricing_model_b1.csv",
        "virtual_currency_pricing_model_b2.csv",
        "virtual_currency_pricing_model_b3.csv",
        "virtual_currency_pricing_model_c.csv",
    ),
    "FOCUS date-time format",
) | dict.fromkeys(
    (
        "simple_saas_agreements_a1.csv",
        "simple_saas_agreements_a2.csv",
        "simple_saas_agreements_a3.csv",
        "simple_saas_agreements_b.csv",
        "simple_saas_agreements_c.csv",
    ),
    "is not a number",
)


def write(tmp_path: Path, data: bytes | str, name: str = "bill.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def team_settings(view: CostView, rule: SharedRule = SharedRule.NONE) -> AttributionSettings:
    return AttributionSettings(
        rules=(AttributionRule(tag_key="team"),),
        shared_values=(),
        shared_rule=rule,
        cost_view=view,
    )


def test_every_spec_example_is_accounted_for():
    names = {path.name for path in FIXTURES.glob("*.csv")}
    assert names == set(SPEC_TOTALS) | set(SPEC_REFUSED) | {"contract_commitment_scenario_1.csv"}


@pytest.mark.parametrize("name", sorted(SPEC_TOTALS))
def test_spec_examples_reconcile_to_the_cent_in_both_views(name):
    rows, rejected, billed, amortised = SPEC_TOTALS[name]
    bill = read_billing(FIXTURES / name)
    assert (bill.rows_read, bill.rows_rejected) == (rows, rejected), bill.rejections
    for view, expected in ((CostView.BILLED, billed), (CostView.AMORTIZED, amortised)):
        assert bill.total_usd(view) == Decimal(expected)
        result = attribute(bill, team_settings(view, SharedRule.EVEN))
        assert result.total_cents == int(Decimal(expected) * 100)
        assert result.reconciles()


@pytest.mark.parametrize("name", sorted(SPEC_REFUSED))
def test_spec_examples_that_break_a_rule_are_refused_by_name(name):
    with pytest.raises(PlannerInputError) as error:
        read_billing(FIXTURES / name)
    assert SPEC_REFUSED[name] in str(error.value)


def test_the_hour_30_row_is_rejected_on_its_physical_line():
    bill = read_billing(FIXTURES / "commitment_discount_purchase_scenario_2.csv")
    (rejection,) = bill.rejections
    assert rejection.line == 4
    assert "'2023-02-01T30:00:00Z' is not a real date and time" in rejection.reason


@pytest.mark.parametrize(
    "value",
    [
        "4/1/25",  # read as the year 4 before
        "2025-01-01",  # a date without a time
        "2025-01-01T00:00:00",  # no UTC offset
        "2025-01-01 00:00:00Z",  # a space, not T
        "20250101T000000Z",  # basic, not extended, ISO 8601
        "2025-01-01T00:00Z",  # no seconds
        "Jan 1 2025",
    ],
)
def test_date_times_outside_focus_format_are_rejected_not_reinterpreted(tmp_path, value):
    row = f"1,1,Usage,{value},{END},"
    bill = read_billing(write(tmp_path, f"{HEADER}\n{GOOD}\n{row}\n"))
    (rejection,) = bill.rejections
    assert rejection.line == 3
    assert rejection.reason.startswith(f"ChargePeriodStart '{value}' is not in the FOCUS date-time")
    assert "2025-01-31T00:00:00Z" in rejection.reason


@pytest.mark.parametrize(
    ("value", "utc"),
    [
        ("2025-01-01T00:00:00Z", "2025-01-01 00:00:00"),
        ("2025-01-01T00:00:00.250Z", "2025-01-01 00:00:00.250000"),
        ("2025-01-01T02:00:00+02:00", "2025-01-01 00:00:00"),
        ("2024-12-31T19:00:00-05:00", "2025-01-01 00:00:00"),
    ],
)
def test_focus_date_times_with_any_utc_offset_are_read_in_utc(tmp_path, value, utc):
    bill = read_billing(write(tmp_path, f"{HEADER}\n1,1,Usage,{value},{END},\n"))
    assert bill.rows_rejected == 0
    assert str(bill.query("SELECT start FROM focus")[0][0]) == utc


def test_literal_null_is_null_in_every_column(tmp_path):
    header = HEADER + ",CommitmentDiscountId,CommitmentDiscountStatus,ListCost"
    row = f"2,2,Usage,{START},{END},null,NULL,null,null"
    bill = read_billing(write(tmp_path, f"{header}\n{row}\n"))
    assert bill.rows_rejected == 0
    assert bill.query("SELECT tags, commitment_id, commitment_status, list_cost FROM focus") == [
        (None, None, None, None)
    ]
    assert not any("not a JSON object" in note for note in bill.notes)


def test_null_in_a_required_column_is_empty(tmp_path):
    bill = read_billing(write(tmp_path, f"{HEADER}\n{GOOD}\nnull,1,Usage,{START},{END},\n"))
    assert bill.rejections[0].reason == "BilledCost is empty"


@pytest.mark.parametrize(
    "endings",
    [
        (b"\n", b"\r\n"),  # two months concatenated, one from each kind of system
        (b"\r\n", b"\n"),
        (b"\r", b"\n"),
        (b"\r\n", b"\r"),
        (b"\r",),
    ],
)
def test_any_mix_of_line_endings_is_read(tmp_path, endings):
    lines = [HEADER.encode(), *[GOOD.encode()] * 5, f"x,1,Usage,{START},{END},".encode()]
    data = b"".join(line + endings[i % len(endings)] for i, line in enumerate(lines))
    bill = read_billing(write(tmp_path, data))
    assert (bill.rows_read, bill.rows_rejected) == (6, 1)
    assert bill.rejections[0].line == 7
    assert bill.total_usd(CostView.BILLED) == Decimal("52.50")


def test_mixed_line_endings_inside_a_gzip_are_read(tmp_path):
    import gzip

    data = f"{HEADER}\n{GOOD}\r\n{GOOD}\n".encode()
    bill = read_billing(write(tmp_path, gzip.compress(data), "bill.csv.gz"))
    assert bill.total_usd(CostView.BILLED) == Decimal("21.00")


def test_rejections_name_physical_lines_when_quoted_fields_hold_newlines(tmp_path):
    header = HEADER + ",ChargeDescription"
    text = "\n".join(
        [
            header,  # line 1
            GOOD + ',"two\nlines"',  # lines 2-3
            "",  # line 4: blank
            f'x,1,Usage,{START},{END},,"three\nmore\nlines"',  # lines 5-7
            "1,2,3",  # line 8: too few fields
            f"1,1,Usage,{START},{END},,plain",  # line 9
            f"y,1,Usage,{START},{END},,plain",  # line 10
        ]
    )
    bill = read_billing(write(tmp_path, text + "\n"))
    assert [(r.line, r.reason.split(" (")[0]) for r in bill.rejections] == [
        (5, "BilledCost 'x' is not a number"),
        (8, "has fewer fields than the header"),
        (10, "BilledCost 'y' is not a number"),
    ]


def test_a_currency_column_under_a_provider_name_is_checked(tmp_path):
    header = HEADER + ",BilledCurrency"
    bill = read_billing(write(tmp_path, f"{header}\n{GOOD},USD\n{GOOD},EUR\n"))
    assert bill.total_usd(CostView.BILLED) == Decimal("10.50")
    assert bill.rejections[0].line == 3
    assert "BillingCurrency is 'EUR'" in bill.rejections[0].reason
    assert any("'BilledCurrency' is read as BillingCurrency" in note for note in bill.notes)
    assert not any("No BillingCurrency column" in note for note in bill.notes)


def test_a_bill_wholly_in_another_currency_is_refused_with_the_rule(tmp_path):
    header = HEADER + ",BillingCurrency"
    with pytest.raises(PlannerInputError, match=r"BillingCurrency is 'EUR'.*reads bills in USD"):
        read_billing(write(tmp_path, f"{header}\n{GOOD},EUR\n{GOOD},EUR\n"))


def test_a_contract_commitment_dataset_is_named_for_what_it_is():
    with pytest.raises(PlannerInputError) as error:
        read_billing(FIXTURES / "contract_commitment_scenario_1.csv")
    message = str(error.value)
    assert "FOCUS 1.3 Contract Commitment dataset" in message
    assert "might be" not in message
    assert "--commitments" in message


def test_a_contract_commitment_dataset_is_read_beside_a_cost_file(tmp_path):
    import io
    import json

    from planner.cli import main

    bill = write(tmp_path, f"{HEADER}\n{GOOD}\n")
    out = io.StringIO()
    commitments = str(FIXTURES / "contract_commitment_scenario_1.csv")
    assert (
        main(["attribute", str(bill), "--by", "team", "--commitments", commitments, "--json"], out)
        == 0
    )
    listed = json.loads(out.getvalue())["commitments"]
    assert [(c["id"], c["cost"], c["currency"]) for c in listed] == [
        ("CMT-SPEND-001", "925000.00", "EUR"),
        ("CMT-RI-002", "46250.00", "EUR"),
        ("CMT-SaaS-003", "111000.00", "EUR"),
    ]
    assert listed[1]["period_start"] == "2025-12-01"
    out = io.StringIO()
    main(["attribute", str(bill), "--by", "team", "--commitments", commitments], out)
    assert (
        "CMT-RI-002: us-east-1 m5 Reservations, 46250.00 EUR, 2025-12-01 to 2026-12-01"
        in out.getvalue()
    )
    assert "not converted to USD" in out.getvalue()


def test_a_cost_file_given_as_commitments_is_named(tmp_path, capsys):
    from planner.cli import main

    bill = write(tmp_path, f"{HEADER}\n{GOOD}\n")
    assert main(["attribute", str(bill), "--by", "team", "--commitments", str(bill)]) == 2
    assert (
        "is a cost and usage export: it has no ContractCommitmentId column"
        in capsys.readouterr().err
    )


def test_physical_lines_gives_up_when_the_readers_disagree(tmp_path):
    from planner.io.billing import physical_lines

    path = write(tmp_path, f'{HEADER}\n{GOOD}\n1,"two\nlines",Usage,{START},{END},\n')
    assert physical_lines(path, "csv", records=[], rowids=[0, 1]) == ({}, {0: 2, 1: 3})
    # DuckDB named a record the csv reader never reached: neither count can be trusted.
    assert physical_lines(path, "csv", records=[9], rowids=[0]) is None


def test_when_line_numbers_cannot_be_found_a_note_says_what_they_count(tmp_path, monkeypatch):
    import planner.io.billing as billing_io

    monkeypatch.setattr(billing_io, "physical_lines", lambda *args: None)
    path = write(
        tmp_path, f'{HEADER}\n1,1,Usage,{START},{END},"two\nlines"\nx,1,Usage,{START},{END},\n'
    )
    bill = read_billing(path)
    assert bill.rejections[0].line == 3  # the record number; the physical line is 4
    assert any("count records, not physical lines" in note for note in bill.notes)


def test_contract_commitment_rows_that_cannot_be_read_are_named_by_line(tmp_path):
    from planner.io.billing import read_contract_commitments

    text = (
        "ContractCommitmentId,ContractCommitmentCost,ContractCommitmentDescription\n"
        'C-1,100.00,"two\nlines"\n'  # lines 2-3
        "C-2,lots,x\n"  # line 4
        "C-3,1,x,extra\n"  # line 5
        "C-4\n"  # line 6
        ",5,x\n"  # line 7
    )
    found = read_contract_commitments(write(tmp_path, text))
    assert [c.commitment_id for c in found.commitments] == ["C-1"]
    assert [(r.line, r.reason) for r in found.rejections] == [
        (4, "ContractCommitmentCost 'lots' is not a number"),
        (5, "has more fields than the header"),
        (6, "has fewer fields than the header"),
        (7, "ContractCommitmentId is empty"),
    ]


def test_a_field_past_the_csv_modules_limit_leaves_that_limit_alone(tmp_path):
    """The limit is process-wide (the demand CSV reader relies on it), so it is not raised."""
    import csv

    before = csv.field_size_limit()
    huge = "x" * (before + 10)
    path = write(
        tmp_path, f'{HEADER}\n1,1,Usage,{START},{END},"{huge}\nmore"\nx,1,Usage,{START},{END},\n'
    )
    bill = read_billing(path)
    assert csv.field_size_limit() == before
    assert bill.rejections[0].line == 3  # DuckDB's record number stands
    assert any("count records, not physical lines" in note for note in bill.notes)

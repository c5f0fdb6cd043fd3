"""FOCUS import: columns, types, rejected rows with line numbers, and files that are not bills."""

from __future__ import annotations

import gzip
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from planner.core.errors import PlannerInputError
from planner.finops.billing import bill_from_frame
from planner.finops.focus_sample import generate_focus
from planner.io.billing import (
    read_billing,
    read_billing_bytes,
    write_focus_csv,
    write_focus_parquet,
)
from planner.scenario.finops import CostView, SampleSpec

HEADER = "BilledCost,EffectiveCost,ChargeCategory,ChargePeriodStart,ChargePeriodEnd,Tags"
GOOD = '10.50,10.50,Usage,2025-01-01T00:00:00Z,2025-01-02T00:00:00Z,"{""team"":""search""}"'


@pytest.fixture(scope="module")
def sample_frame() -> pd.DataFrame:
    return generate_focus(SampleSpec(months=2))


@pytest.fixture(scope="module")
def sample_bill(sample_frame):
    return bill_from_frame(sample_frame, source="sample")


def write(tmp_path: Path, text: str, name: str = "bill.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def csv_bill(tmp_path: Path, *lines: str, header: str = HEADER):
    return read_billing(write(tmp_path, "\n".join([header, *lines]) + "\n"))


def test_good_rows_are_read_with_exact_totals(tmp_path):
    bill = csv_bill(
        tmp_path,
        GOOD,
        "0.005,0.004,Tax,2025-01-01T00:00:00Z,2025-01-02T00:00:00Z,",
        "-3.25,-3.25,Credit,2025-01-01T00:00:00Z,2025-02-01T00:00:00Z,",
    )
    assert (bill.rows_read, bill.rows_rejected, bill.rows_usable) == (3, 0, 3)
    assert bill.total_usd(CostView.BILLED) == Decimal("7.255")
    assert bill.total_usd(CostView.AMORTIZED) == Decimal("7.254")
    assert bill.tag_keys == ("team",)


def test_missing_columns_are_all_listed(tmp_path):
    path = write(tmp_path, "Cost,EffectiveCost,Category,Start\n1,1,Usage,2025-01-01\n")
    with pytest.raises(PlannerInputError) as error:
        read_billing(path)
    message = str(error.value)
    for missing in ("BilledCost", "ChargeCategory", "ChargePeriodStart", "ChargePeriodEnd"):
        assert missing in message
    assert "EffectiveCost" not in message.split("missing:")[1].split(".")[0]
    assert "bill.csv is not a FOCUS billing export" in message
    assert "Cost, EffectiveCost, Category, Start" in message


def test_column_names_that_differ_only_in_case_are_read_with_a_note(tmp_path):
    header = "billed_cost,effective cost,chargecategory,ChargePeriodStart,ChargePeriodEnd"
    bill = csv_bill(tmp_path, "1,1,usage,2025-01-01T00:00:00Z,2025-01-02T00:00:00Z", header=header)
    assert bill.rows_usable == 1
    assert any("'billed_cost' is read as BilledCost" in note for note in bill.notes)


def test_wrong_types_and_bad_timestamps_are_rejected_with_lines_and_reasons(tmp_path):
    bill = csv_bill(
        tmp_path,
        GOOD,  # line 2
        "abc,1,Usage,2025-01-01T00:00:00Z,2025-01-02T00:00:00Z,",  # line 3
        "1,1,Usage,yesterday,2025-01-02T00:00:00Z,",  # line 4
        "1,1,Usage,2025-01-03T00:00:00Z,2025-01-02T00:00:00Z,",  # line 5: ends before it starts
        "1,,Usage,2025-01-01T00:00:00Z,2025-01-02T00:00:00Z,",  # line 6
        "1,1,Refund,2025-01-01T00:00:00Z,2025-01-02T00:00:00Z,",  # line 7
        "1,1e400,Usage,2025-13-45,2025-01-02T00:00:00Z,",  # line 8: two problems
        GOOD,  # line 9
    )
    assert bill.rows_read == 8
    assert bill.rows_rejected == 6
    reasons = {r.line: r.reason for r in bill.rejections}
    assert reasons[3] == "BilledCost 'abc' is not a number"
    assert "ChargePeriodStart 'yesterday' is not in the FOCUS date-time format" in reasons[4]
    assert reasons[5] == "ChargePeriodEnd is before ChargePeriodStart"
    assert reasons[6] == "EffectiveCost is empty"
    assert (
        "ChargeCategory 'Refund' is not one of Usage, Purchase, Tax, Credit, Adjustment"
        in (reasons[7])
    )
    assert "EffectiveCost '1e400' is not a number" in reasons[8]
    assert "ChargePeriodStart '2025-13-45'" in reasons[8]
    assert bill.total_usd(CostView.BILLED) == Decimal("21.00")


def test_lines_with_the_wrong_number_of_fields_keep_the_line_numbers_right(tmp_path):
    bill = csv_bill(
        tmp_path,
        GOOD,  # line 2
        "1,2,3",  # line 3: too few fields
        GOOD + ",extra",  # line 4: too many
        # line 5: a value problem after two skipped lines
        "x,1,Usage,2025-01-01T00:00:00Z,2025-01-02T00:00:00Z,",
    )
    reasons = {r.line: r.reason for r in bill.rejections}
    assert reasons[3].startswith("has fewer fields than the header")
    assert reasons[4] == "has more fields than the header (7 instead of 6)"
    assert reasons[5] == "BilledCost 'x' is not a number"
    assert (bill.rows_read, bill.rows_rejected) == (4, 3)


def test_other_currencies_and_statuses_are_rejected(tmp_path):
    header = HEADER + ",BillingCurrency,CommitmentDiscountStatus"
    bill = csv_bill(
        tmp_path,
        GOOD + ",USD,",
        GOOD + ",EUR,",
        GOOD + ",usd,Maybe",
        header=header,
    )
    reasons = [r.reason for r in bill.rejections]
    assert reasons == [
        "BillingCurrency is 'EUR': this planner reads bills in USD (export the bill in USD, or "
        "filter it to the USD rows)",
        "CommitmentDiscountStatus 'Maybe' is not Used or Unused",
    ]


def test_tags_that_are_not_a_json_object_count_as_untagged(tmp_path):
    bill = csv_bill(tmp_path, GOOD, "1,1,Usage,2025-01-01T00:00:00Z,2025-01-02T00:00:00Z,not json")
    assert bill.rows_usable == 2
    assert any("not a JSON object" in note for note in bill.notes)
    assert bill.query("SELECT count(*) FROM focus WHERE tags IS NULL")[0][0] == 1


def test_when_no_row_can_be_used_the_message_says_why(tmp_path):
    lines = ["ten,ten,Usage,2025-01-01T00:00:00Z,2025-01-02T00:00:00Z,"] * 5
    with pytest.raises(PlannerInputError, match=r"None of the 5 rows .* line 2: BilledCost 'ten'"):
        csv_bill(tmp_path, *lines)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "is empty"),
        (HEADER.encode() + b"\n", "has a header but no rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a PNG image, not a CSV or Parquet"),
        (b"%PDF-1.7\n", "is a PDF document"),
        (b"\x00\x01\x02\x03binary", "is a binary file"),
        (b'{"BilledCost": 1}\n', "is JSON, not a CSV"),
        (b"<html><body>bill</body></html>\n", "is HTML or XML"),
        (b"BilledCost;EffectiveCost\n1;1\n", "separates its columns with semicolons"),
        ("BilledCost,Name\n1,café\n".encode("utf-16"), "is UTF-16 text"),
        ("BilledCost,Name\n1,café\n".encode("latin-1"), "is not UTF-8 text"),
        (b"hello world\n", "is not a FOCUS billing export"),
    ],
)
def test_files_that_are_not_bills_get_a_clear_message(tmp_path, content, expected):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    with pytest.raises(PlannerInputError, match=expected):
        read_billing(path)
    with pytest.raises(PlannerInputError, match=expected):
        read_billing_bytes(content, "upload.csv")


def test_a_zip_or_excel_file_is_named(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bill.csv", HEADER)
    with pytest.raises(PlannerInputError, match=r"ZIP archive or an Excel \.xlsx"):
        read_billing_bytes(buffer.getvalue(), "bill.xlsx")


def test_the_size_cap_refuses_a_large_file_before_reading_it(tmp_path, monkeypatch):
    # A file over the (small, configured) cap whose content would fail differently if read.
    path = tmp_path / "huge.csv"
    path.write_bytes(b"\x89PNG" + b"x" * 5000)
    opened = []
    original = Path.open

    def spy(self, *args, **kwargs):
        opened.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", spy)
    with pytest.raises(PlannerInputError, match=r"huge.csv is 5,004 bytes, more than the 4,096"):
        read_billing(path, max_bytes=4096)
    assert path not in opened, "the file was opened although it is over the cap"
    with pytest.raises(PlannerInputError, match="more than the 1 MB this planner reads"):
        read_billing_bytes(b"x" * (1024 * 1024 + 1), "upload.csv", max_bytes=1024 * 1024)


def test_a_missing_path_or_a_folder(tmp_path):
    with pytest.raises(PlannerInputError, match="No such file"):
        read_billing(tmp_path / "nope.csv")
    with pytest.raises(PlannerInputError, match="is a folder"):
        read_billing(tmp_path)


def test_csv_gzip_parquet_and_frame_give_the_same_bill(tmp_path, sample_frame):
    csv_path = tmp_path / "bill.csv"
    write_focus_csv(sample_frame, csv_path)
    gz_path = tmp_path / "bill.csv.gz"
    write_focus_csv(sample_frame, gz_path, gzip_output=True)
    parquet_path = tmp_path / "bill.parquet"
    write_focus_parquet(sample_frame, parquet_path)
    bills = [
        bill_from_frame(sample_frame),
        read_billing(csv_path),
        read_billing(gz_path),
        read_billing(parquet_path),
        read_billing_bytes(parquet_path.read_bytes(), "bill.parquet"),
    ]
    for view in CostView:
        totals = {bill.total_usd(view) for bill in bills}
        assert len(totals) == 1, totals
    assert {bill.rows_usable for bill in bills} == {len(sample_frame)}
    assert all(bill.rows_rejected == 0 for bill in bills)
    with gzip.open(gz_path, "rt") as handle:
        assert handle.readline().startswith("BillingAccountId,")


def test_parquet_with_typed_columns_and_map_tags(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    stamps = pd.to_datetime(["2025-01-01", "2025-01-01"], utc=True)
    table = pa.table(
        {
            "BilledCost": pa.array([1.25, -0.25], pa.float64()),
            "EffectiveCost": pa.array([1.25, -0.25], pa.float64()),
            "ChargeCategory": pa.array(["Usage", "Credit"]),
            "ChargePeriodStart": pa.array(stamps, pa.timestamp("ms", tz="UTC")),
            "ChargePeriodEnd": pa.array(
                stamps + pd.Timedelta(days=1), pa.timestamp("ms", tz="UTC")
            ),
            "Tags": pa.array([[("team", "search")], []], pa.map_(pa.string(), pa.string())),
        }
    )
    path = tmp_path / "typed.parquet"
    pq.write_table(table, path)
    bill = read_billing(path)
    assert bill.rows_usable == 2
    assert bill.total_usd(CostView.BILLED) == Decimal("1.00")
    assert bill.tag_keys == ("team",)


def test_a_truncated_parquet_file_is_explained(tmp_path, sample_frame):
    path = tmp_path / "bill.parquet"
    write_focus_parquet(sample_frame.head(50), path)
    data = path.read_bytes()
    with pytest.raises(PlannerInputError, match="cannot be read as Parquet"):
        read_billing_bytes(data[: len(data) // 2], "bill.parquet")


def test_rejections_kept_are_capped_but_all_are_counted(tmp_path):
    lines = [GOOD] + ["bad,1,Usage,2025-01-01T00:00:00Z,2025-01-02T00:00:00Z,"] * 1500
    bill = csv_bill(tmp_path, *lines)
    assert bill.rows_rejected == 1500
    assert len(bill.rejections) == 1000
    assert bill.rejections[0].line == 3
    assert bill.rejections[-1].line == 1002


def test_a_bill_serves_queries_from_several_threads(sample_bill):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        totals = set(pool.map(lambda _: sample_bill.total_usd(CostView.AMORTIZED), range(16)))
    assert len(totals) == 1


def test_the_bill_cannot_read_files_through_sql(sample_bill, tmp_path):
    import duckdb

    secret = write(tmp_path, "a,b\n1,2\n", "secret.csv")
    with pytest.raises(duckdb.Error):
        sample_bill.query("SELECT * FROM read_csv(?)", [str(secret)])


def test_an_unclosed_quote_is_reported_on_its_line(tmp_path):
    bill = csv_bill(tmp_path, GOOD, '2,"2,Usage,2025-01-01T00:00:00Z,2025-01-02T00:00:00Z,')
    assert bill.rows_usable == 1
    assert bill.rejections[0].line == 3
    assert "quote that is not closed" in bill.rejections[0].reason


def test_duplicate_and_empty_header_names_do_not_stop_the_import(tmp_path):
    header = HEADER + ",Tags,"
    bill = csv_bill(tmp_path, GOOD + ',"{}",x', header=header)
    assert bill.rows_usable == 1
    assert bill.tag_keys == ("team",), "the first Tags column is the one read"

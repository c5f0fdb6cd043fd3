"""``attribute`` and ``recover``: the JSON contracts, and bad input without a traceback."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from planner.cli import main
from planner.finops.focus_sample import generate_focus
from planner.io.billing import write_focus_csv
from planner.scenario.finops import SampleSpec
from tests.conftest import ROOT

ATTRIBUTE_KEYS = {
    "total_usd",
    "allocations",
    "unallocated_usd",
    "rows_read",
    "rows_rejected",
    "rejections",
}
RECOVER_KEYS = {"target_usd", "reached", "levers", "shortfall_usd"}


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out), out.getvalue()


def cents(value: float) -> int:
    return round(Decimal(str(value)) * 100)


@pytest.fixture(scope="module")
def billing_csv(tmp_path_factory):
    frame = generate_focus(SampleSpec(months=2))
    path = tmp_path_factory.mktemp("bill") / "focus.csv"
    write_focus_csv(frame, path)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("oops,1,Usage,2025-01-01T00:00:00Z\n")  # a short line: rejected, not fatal
    return path


@pytest.mark.parametrize("shared", [None, "even", "proportional"])
def test_attribute_json_has_exactly_the_contract_keys_and_reconciles(billing_csv, shared):
    argv = ["attribute", str(billing_csv), "--by", "team", "--json"]
    if shared:
        argv += ["--shared", shared]
    status, text = run(*argv)
    assert status == 0
    data = json.loads(text)
    assert set(data) == ATTRIBUTE_KEYS
    allocated = sum(cents(v) for v in data["allocations"].values())
    assert allocated + cents(data["unallocated_usd"]) == cents(data["total_usd"])
    assert data["rows_rejected"] == 1
    assert data["rows_read"] == data["rows_rejected"] + len(generate_focus(SampleSpec(months=2)))
    assert data["rejections"] == [
        {
            "line": data["rows_read"] + 1,
            "reason": "has fewer fields than the header (4 instead of 36)",
        }
    ]
    assert {"search", "ads", "platform"} <= set(data["allocations"])
    if shared:
        assert data["unallocated_usd"] == 0
    else:
        assert data["unallocated_usd"] > 0


def test_attribute_billed_view_and_text_output(billing_csv):
    _, amortized = run("attribute", str(billing_csv), "--by", "team", "--json")
    _, billed = run("attribute", str(billing_csv), "--by", "team", "--json", "--view", "billed")
    assert json.loads(amortized)["total_usd"] == pytest.approx(json.loads(billed)["total_usd"])
    assert json.loads(amortized)["allocations"] != json.loads(billed)["allocations"]
    status, text = run("attribute", str(billing_csv), "--by", "team")
    assert status == 0
    assert "total" in text
    assert "Tag coverage" in text
    assert "line " in text


def test_rejections_are_capped_at_20(tmp_path):
    header = "BilledCost,EffectiveCost,ChargeCategory,ChargePeriodStart,ChargePeriodEnd"
    row = "Usage,2025-01-01T00:00:00Z,2025-01-02T00:00:00Z"
    lines = [header, f"1,1,{row}"] + [f"x,1,{row}"] * 30
    path = tmp_path / "bill.csv"
    path.write_text("\n".join(lines) + "\n")
    data = json.loads(run("attribute", str(path), "--by", "team", "--json")[1])
    assert data["rows_rejected"] == 30
    assert len(data["rejections"]) == 20
    assert data["rejections"][0] == {"line": 3, "reason": "BilledCost 'x' is not a number"}
    assert data["total_usd"] == 1.0


@pytest.mark.parametrize("name", ["finops_3x_over_budget", "attribution_400k"])
def test_recover_json_has_exactly_the_contract_keys(name):
    status, text = run("recover", str(ROOT / "scenarios" / f"{name}.yaml"), "--json")
    assert status == 0
    data = json.loads(text)
    assert set(data) == RECOVER_KEYS
    assert all(set(lever) == {"name", "saving_usd_per_month", "week"} for lever in data["levers"])
    if name == "finops_3x_over_budget":
        assert data["reached"] is False
        assert data["target_usd"] == pytest.approx(280_000 / 3)
        assert data["shortfall_usd"] > 0
    else:
        assert data["reached"] is True
        assert data["shortfall_usd"] == 0


def test_recover_from_a_billing_file(billing_csv):
    scenario = ROOT / "scenarios" / "finops_3x_over_budget.yaml"
    status, text = run("recover", str(scenario), "--billing", str(billing_csv), "--json")
    assert status == 0
    assert set(json.loads(text)) == RECOVER_KEYS
    status, text = run("recover", str(scenario))
    assert status == 0
    assert "Burn-down" in text
    assert "per quarter" in text


@pytest.mark.parametrize(
    ("argv", "content", "expected"),
    [
        (
            ["attribute", "{path}", "--by", "team"],
            b"Cost,Team\n1,a\n",
            "required columns are missing",
        ),
        (["attribute", "{path}", "--by", "team"], b"", "is empty"),
        (["attribute", "{path}", "--by", "team"], b"\x89PNG\r\n\x1a\n\x00", "PNG image"),
        (
            ["attribute", "{path}", "--by", "team", "--max-mb", "0.000001"],
            b"x" * 100,
            "more than the 1 bytes",
        ),
        (["attribute", "{path}", "--by", 'te"am'], b"", "is not a tag key"),
        (["recover", "{path}"], b"title: no finops here\n", "has no finops section"),
        (["recover", "{path}"], b"finops:\n  recovery:\n    engineers: -1\n", "engineers"),
    ],
)
def test_bad_input_exits_2_with_one_message(tmp_path, capsys, argv, content, expected):
    path = tmp_path / "input.file"
    path.write_bytes(content)
    status, _ = run(*[a.replace("{path}", str(path)) for a in argv])
    assert status == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err


def test_no_traceback_from_the_real_command(tmp_path):
    path = tmp_path / "bill.csv"
    path.write_text("BilledCost;EffectiveCost\n1;1\n")
    result = subprocess.run(
        [sys.executable, "-m", "planner", "attribute", str(path), "--by", "team", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "semicolons" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
AMOUNT = re.compile(r"-?\d+\.\d\d")


def hostile_bill(tmp_path) -> Path:
    """Two months; owners and a service named like spreadsheet formulas."""
    header = (
        "BilledCost,EffectiveCost,ChargeCategory,ChargePeriodStart,ChargePeriodEnd,ServiceName,Tags"
    )
    jan, feb = (
        "2025-01-01T00:00:00Z,2025-01-02T00:00:00Z",
        "2025-02-01T00:00:00Z,2025-02-02T00:00:00Z",
    )
    lines = [
        header,
        f'10,10,Usage,{jan},Compute,"{{""team"": ""search""}}"',
        f'5,5,Usage,{jan},"=HYPERLINK(""http://x"")","{{""team"": ""=cmd|\' /C calc\'!A0""}}"',
        f'3,3,Usage,{feb},Compute,"{{""team"": ""@sum""}}"',
        f'1,1,Usage,{feb},Compute,"{{""team"": ""\\ttab""}}"',
        f"2,2,Usage,{feb},Compute,",
        f'-1,-1,Credit,{feb},Compute,"{{""team"": ""search""}}"',
    ]
    path = tmp_path / "hostile.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_invoices_are_one_line_per_owner_and_month_and_add_up(tmp_path):
    out = tmp_path / "invoices.csv"
    status, text = run(
        "attribute", str(hostile_bill(tmp_path)), "--by", "team", "--invoices", str(out)
    )
    assert status == 0
    assert f"to {out}" in text
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    keys = [(r["month"], r["team"]) for r in rows]
    assert len(keys) == len(set(keys))
    assert keys == [
        ("2025-01", "'=cmd|' /C calc'!A0"),
        ("2025-01", "search"),
        ("2025-02", "'\ttab"),
        ("2025-02", "'@sum"),
        ("2025-02", "search"),
        ("2025-02", "(unallocated)"),
    ]
    assert sum(Decimal(r["amount_usd"]) for r in rows) == Decimal("20.00")
    for r in rows:
        parts = ("direct_usd", "untagged_share_usd", "shared_share_usd", "commitment_share_usd")
        assert sum(Decimal(r[p]) for p in parts) == Decimal(r["amount_usd"])


def test_every_invoice_cell_is_neutralised_against_formulas(tmp_path):
    out = tmp_path / "invoices.csv"
    run("attribute", str(hostile_bill(tmp_path)), "--by", "team", "--invoices", str(out))
    for row in read_cells(out):
        for cell in row:
            assert AMOUNT.fullmatch(cell) or not cell.startswith(TRIGGERS), cell


def test_the_app_chargeback_csv_is_neutralised_too(tmp_path):
    from planner.finops.attribution import attribute
    from planner.io.billing import read_billing
    from planner.scenario.finops import AttributionRule, AttributionSettings

    result = attribute(
        read_billing(hostile_bill(tmp_path)),
        AttributionSettings(rules=(AttributionRule(tag_key="team"),)),
    )
    cells = list(csv.reader(io.StringIO(result.invoices_csv())))
    assert any(cell.startswith("'=") for row in cells for cell in row)
    for row in cells:
        for cell in row:
            assert AMOUNT.fullmatch(cell) or not cell.startswith(TRIGGERS), cell


@pytest.mark.parametrize(
    ("shared", "weights", "expected"),
    [
        # search: $10 in January, a $1 credit in February. $2 in February is untagged.
        ("none", None, {"search": 9, "=cmd|' /C calc'!A0": 5, "@sum": 3, "\ttab": 1}),
        ("even", None, {"search": 9.5, "=cmd|' /C calc'!A0": 5.5, "@sum": 3.5, "\ttab": 1.5}),
        (
            "proportional",
            None,
            {"search": 10, "=cmd|' /C calc'!A0": 5.56, "@sum": 3.33, "\ttab": 1.11},
        ),
        (
            "weighted",
            "search=3,@sum=1",
            {"search": 10.5, "=cmd|' /C calc'!A0": 5, "@sum": 3.5, "\ttab": 1},
        ),
    ],
)
def test_shared_accepts_every_rule_the_app_offers(tmp_path, shared, weights, expected):
    argv = ["attribute", str(hostile_bill(tmp_path)), "--by", "team", "--shared", shared, "--json"]
    if weights:
        argv += ["--weights", weights]
    status, text = run(*argv)
    assert status == 0
    data = json.loads(text)
    assert data["allocations"] == pytest.approx(expected)
    assert data["unallocated_usd"] == (2 if shared == "none" else 0)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--shared", "weighted"], "--shared weighted needs --weights"),
        (["--shared", "weighted", "--weights", "search"], "'search' is not TEAM=SHARE"),
        (["--shared", "weighted", "--weights", "search=-1"], "'-1' is not a share"),
        (["--shared", "weighted", "--weights", "search=nan"], "'nan' is not a share"),
        (["--shared", "weighted", "--weights", "a=1,a=2"], "'a' is given twice"),
        (
            ["--shared", "even", "--weights", "search=1"],
            "--weights is only read with --shared weighted",
        ),
    ],
)
def test_bad_weights_are_named(tmp_path, capsys, extra, message):
    status, _ = run("attribute", str(hostile_bill(tmp_path)), "--by", "team", *extra)
    assert status == 2
    assert message in capsys.readouterr().err

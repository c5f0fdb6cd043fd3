"""CLI: compare, tco and report, their JSON contracts and their error messages."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from planner.cli import main
from tests.conftest import ROOT

LESSON = str(ROOT / "scenarios/build_vs_buy_mlflow_wandb.yaml")
RECOMMENDER = str(ROOT / "scenarios/recommendation_cost_per_request.yaml")
BLANK = str(ROOT / "scenarios/blank.yaml")


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out), out.getvalue()


def test_tco_json_contract():
    status, text = run("tco", LESSON, "--json")
    assert status == 0
    data = json.loads(text)
    assert list(data)[:5] == [
        "build_usd",
        "buy_usd",
        "horizon_months",
        "break_even_month",
        "break_even_team_size",
    ]
    assert data["build_usd"] == pytest.approx(129_600)
    assert data["buy_usd"] == pytest.approx(90_000)
    assert data["horizon_months"] == 36
    assert data["break_even_month"] is None
    assert data["break_even_team_size"] == 21


def test_tco_overrides_and_table():
    status, text = run("tco", LESSON, "--json", "--horizon-months", "12", "--team-size", "30")
    data = json.loads(text)
    assert status == 0
    assert data["horizon_months"] == 12
    assert data["monthly"]["seats"] == [30] * 12
    status, text = run("tco", LESSON)
    assert status == 0
    assert "Weights & Biases is cheaper over 36 months" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("tco", LESSON, "--horizon-months", "0"),
            "--horizon-months 0: the horizon must be 1 to 36",
        ),
        (("tco", LESSON, "--team-size", "-3"), "--team-size -3: a team has 0 to 100,000 seats"),
        (("tco", RECOMMENDER), "has no build-vs-buy section"),
        (("compare", LESSON, LESSON), "Scenario 2 (build_vs_buy_mlflow_wandb) is the same as"),
        (("compare", LESSON), "Compare takes 2 to 4 scenarios, not 1"),
        (("report", LESSON, "-o", "/nonexistent-dir/case.html"), "Cannot write the report"),
        (("report", LESSON, "-o", "case.pdf"), "A report is written as .html or .md"),
    ],
)
def test_bad_input_exits_2_with_one_message(argv, message, capsys):
    status, text = run(*argv)
    captured = capsys.readouterr()
    assert status == 2
    assert message in captured.err
    assert text == ""


def test_a_real_process_prints_no_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "planner", "tco", LESSON, "--horizon-months", "0"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: --horizon-months 0")
    assert "Traceback" not in result.stderr


def test_compare_json_has_figures_and_deltas():
    status, text = run("compare", RECOMMENDER, BLANK, "--json")
    assert status == 0
    data = json.loads(text)
    assert data["baseline"] == "recommendation_cost_per_request"
    first, second = data["scenarios"]
    assert first["deltas"]["monthly_cost_usd"] == 0
    assert second["figures"]["monthly_cost_usd"] == 0
    assert second["deltas"]["monthly_cost_usd"] == pytest.approx(
        -first["figures"]["monthly_cost_usd"]
    )
    assert second["title"] == "Blank scenario"


def test_compare_with_variants():
    status, text = run("compare", LESSON, "--variants", "--json")
    assert status == 0
    names = [s["name"] for s in json.loads(text)["scenarios"]]
    assert names == [
        "build_vs_buy_mlflow_wandb",
        "Without the opportunity cost",
        "Team keeps growing",
    ]
    status, text = run("compare", LESSON, "--variants")
    assert "Δ Without the opportunity cost" in text
    assert "−$72,000" in text


def test_report_writes_html_and_markdown(tmp_path):
    status, text = run("report", LESSON, "-o", str(tmp_path / "case.html"))
    assert status == 0
    assert "Wrote the html business case" in text
    assert "<svg" in (tmp_path / "case.html").read_text(encoding="utf-8")
    status, _ = run(
        "report", LESSON, "-o", str(tmp_path / "case.md"), "--base-url", "https://x.example/"
    )
    assert status == 0
    assert "https://x.example/?s=1." in (tmp_path / "case.md").read_text(encoding="utf-8")


def test_a_range_with_low_above_high_is_explained(tmp_path, capsys):
    text = (ROOT / "scenarios/build_vs_buy_mlflow_wandb.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("low: 2\n", "low: 20\n"), encoding="utf-8")
    status, out = run("report", str(bad), "-o", str(tmp_path / "case.md"))
    assert status == 2
    assert out == ""
    assert "has its low value 20 above its high value 12: swap them" in capsys.readouterr().err


LEVER_CASE = """\
title: chat
serving:
  - name: chat
    traffic: {requests_per_day: 2000000, horizon_weeks: 1}
    max_batch: 16
business_case:
  variants:
    - name: INT8
      changes:
        - parameter: serving[0].model.precision
          value: %s
"""


def test_compare_a_variant_that_sets_a_lever(tmp_path):
    path = tmp_path / "chat.yaml"
    path.write_text(LEVER_CASE % "int8", encoding="utf-8")
    status, text = run("compare", str(path), "--variants", "--json")
    assert status == 0
    base, variant = json.loads(text)["scenarios"]
    assert variant["name"] == "INT8"
    assert variant["deltas"]["monthly_cost_usd"] < 0
    assert variant["figures"]["monthly_cost_usd"] < base["figures"]["monthly_cost_usd"]


def test_a_bad_lever_in_a_variant_names_the_field_and_what_is_allowed(tmp_path, capsys):
    path = tmp_path / "chat.yaml"
    path.write_text(LEVER_CASE % "int9", encoding="utf-8")
    status, text = run("compare", str(path), "--variants", "--json")
    err = capsys.readouterr().err
    assert status == 2
    assert text == ""
    assert 'Variant "INT8"' in err
    assert "serving[0].model.precision" in err
    assert '"int9"' in err
    assert "'fp16', 'fp8', 'int8' or 'int4'" in err

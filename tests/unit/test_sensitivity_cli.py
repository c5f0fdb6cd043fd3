"""CLI: ``sensitivity FILE --json`` gives the tornado and the percentiles the page shows."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from planner import whatif
from planner.cli import main
from planner.io.scenario_files import read_scenario
from planner.scenario.business_case import Output
from tests.conftest import ROOT

TRAINING = str(ROOT / "scenarios/training_50k_to_18k.yaml")
SERVING = str(ROOT / "scenarios/inference_8c_to_2c.yaml")
LESSON = str(ROOT / "scenarios/build_vs_buy_mlflow_wandb.yaml")
# Few draws: the contract, not the statistics, is under test.
FAST = ("--samples", "200")


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out), out.getvalue()


def sensitivity(*argv: str) -> dict:
    status, text = run("sensitivity", *argv, *FAST, "--json")
    assert status == 0
    return json.loads(text)


def test_the_training_case_lists_mfu():
    data = sensitivity(TRAINING)
    assert data["output"] == "monthly_cost"
    mfu = next(bar for bar in data["tornado"] if bar["key"].endswith(".mfu"))
    assert mfu["key"] == "training[0].mfu"
    assert mfu["label"].startswith("MFU")
    assert mfu["low_value"] < mfu["base_value"] < mfu["high_value"]
    # More MFU, fewer GPU-hours.
    assert mfu["output_high"] < data["base_output"] < mfu["output_low"]
    p = data["monte_carlo"]["percentiles"]["monthly_cost"]
    assert p["p10"] <= p["p50"] <= p["p90"]
    assert set(p) == {"label", "p10", "p50", "p90", "mean"}


def test_the_serving_case_lists_the_cache_hit_rate():
    data = sensitivity(SERVING, "--output", "cost_per_request")
    assert data["output"] == "cost_per_request"
    keys = [bar["key"] for bar in data["tornado"]]
    assert any(key.endswith(".cache_hit_rate") for key in keys)
    assert "serving[0].mix.spot_max_share" in keys
    swings = [bar["swing"] for bar in data["tornado"]]
    assert swings == sorted(swings, reverse=True)
    assert set(data["monte_carlo"]["percentiles"]) == {"monthly_cost", "cost_per_request"}


def test_the_numbers_are_the_ones_the_analyses_give():
    data = sensitivity(TRAINING, "--percent", "30", "--seed", "5")
    scenario = read_scenario(TRAINING)
    tornado = whatif.tornado(scenario, Output.MONTHLY_COST, percent=30)
    assert [bar["key"] for bar in data["tornado"]] == [
        bar.spread.parameter.key for bar in tornado.bars
    ]
    assert data["tornado"][0]["output_low"] == pytest.approx(tornado.bars[0].output_low)
    uncertainty = whatif.monte_carlo(scenario, samples=200, seed=5)
    p50 = uncertainty.percentiles().set_index("output").loc["monthly_cost", "p50"]
    assert data["monte_carlo"]["percentiles"]["monthly_cost"]["p50"] == pytest.approx(p50)
    assert data["monte_carlo"]["seed"] == 5


def test_build_vs_buy_measures_the_tco_difference():
    data = sensitivity(LESSON)
    assert data["output"] == "tco_difference"
    assert data["base_output"] == pytest.approx(39_600)
    assert 0 < data["monte_carlo"]["probability_build_cheaper"] < 1


def test_the_table_for_people():
    status, text = run("sensitivity", TRAINING, *FAST)
    assert status == 0
    assert "Monthly cost at the scenario's values" in text
    assert "MFU — job “ranking model retrain”" in text
    assert "Monte Carlo, 200 draws" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--output", "profit"), "--output profit: there is no such measure"),
        (("--output", "tco_difference"), "it has no build-vs-buy section"),
        (("--percent", "150"), "± 150% is outside 0 to 100"),
        (("--samples", "50"), "50 Monte Carlo draws is outside 100 to 20,000"),
        (("--samples", "50000"), "50,000 Monte Carlo draws is outside 100 to 20,000"),
        (("--seed", "-1"), "--seed -1: a seed is a whole number"),
    ],
)
def test_bad_input_exits_2_with_one_message(argv, message, capsys):
    status, text = run("sensitivity", TRAINING, *argv, "--json")
    err = capsys.readouterr().err
    assert status == 2
    assert text == ""
    assert message in err
    assert err.count("error:") == 1


def test_a_missing_file_is_one_message_from_a_real_process():
    result = subprocess.run(
        [sys.executable, "-m", "planner", "sensitivity", "no-such-file.yaml", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""

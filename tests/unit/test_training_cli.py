"""``size``, ``checkpoint`` and ``train``: the JSON contract and every bad input."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys

import pytest

from planner.cli import main
from planner.costing.training import evaluate_plan
from planner.io.scenario_files import read_scenario
from tests.conftest import ROOT

CASE = ROOT / "scenarios" / "training_50k_to_18k.yaml"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out), out.getvalue()


def fails(capsys, *argv: str) -> str:
    status, _ = run(*argv)
    assert status == 2
    message = capsys.readouterr().err
    assert message.startswith("error: ")
    assert "Traceback" not in message
    return message


def test_size_for_compute_prints_exactly_the_four_keys():
    status, text = run("size", "--compute-flops", "5.76e23", "--law", "hoffmann", "--json")
    assert status == 0
    data = json.loads(text)
    assert set(data) == {"params", "tokens", "loss", "train_flops"}
    assert data["train_flops"] == pytest.approx(5.76e23)
    assert data["loss"] == pytest.approx(
        1.69 + 406.4 / data["params"] ** 0.34 + 410.7 / data["tokens"] ** 0.28
    )


def test_size_with_tokens20_has_a_null_loss():
    status, text = run("size", "--compute-flops", "1.2e21", "--law", "tokens20", "--json")
    assert status == 0
    data = json.loads(text)
    assert data["loss"] is None
    assert data["params"] == pytest.approx(math.sqrt(1.2e21 / 120))
    assert data["tokens"] == pytest.approx(20 * data["params"])


def test_size_for_a_budget_adds_the_cost_keys():
    status, text = run(
        "size",
        "--budget-usd",
        "100000",
        "--gpu",
        "p5.48xlarge",
        "--precision",
        "fp8",
        "--mfu",
        "0.35",
        "--inference-tokens",
        "1e12",
        "--json",
    )
    assert status == 0
    data = json.loads(text)
    assert set(data) == {
        "params",
        "tokens",
        "loss",
        "train_flops",
        "train_cost_usd",
        "inference_cost_usd",
        "total_cost_usd",
    }
    assert data["total_cost_usd"] == pytest.approx(100_000)
    assert data["train_cost_usd"] + data["inference_cost_usd"] == pytest.approx(100_000)
    # $55.04 an hour buys 8 × 1978.9 TFLOPS × 0.35 a second.
    per_flop = 55.04 / (8 * 1978.9e12 * 0.35 * 3600)
    assert data["train_cost_usd"] == pytest.approx(data["train_flops"] * per_flop)


def test_size_accepts_a_gpu_model_and_picks_the_cheapest_instance():
    status, text = run("size", "--budget-usd", "5000", "--gpu", "A100-80GB")
    assert status == 0
    assert "Predicted loss" in text
    assert "Total:" in text


def test_checkpoint_prints_exactly_the_three_keys():
    status, text = run(
        "checkpoint",
        "--mtbf-hours",
        "24",
        "--checkpoint-minutes",
        "15",
        "--restart-minutes",
        "30",
        "--json",
    )
    assert status == 0
    data = json.loads(text)
    assert set(data) == {"interval_minutes", "young_interval_minutes", "expected_overhead_fraction"}
    assert data["young_interval_minutes"] == pytest.approx(60 * math.sqrt(12))
    assert data["interval_minutes"] == pytest.approx(60 * 3.29944, abs=1e-3)
    assert 0 < data["expected_overhead_fraction"] < 0.2


def test_checkpoint_without_interruptions_has_no_overhead():
    status, text = run("checkpoint", "--mtbf-hours", "inf", "--checkpoint-minutes", "5", "--json")
    assert status == 0
    data = json.loads(text)
    assert data == {
        "interval_minutes": None,
        "young_interval_minutes": None,
        "expected_overhead_fraction": 0.0,
    }


def test_train_prints_cost_time_gpu_hours_and_the_spot_figures():
    status, text = run("train", str(CASE), "--json")
    assert status == 0
    data = json.loads(text)
    scenario = read_scenario(CASE)
    report = evaluate_plan(scenario.training[0], scenario.pricing)
    for key in (
        "cost_usd",
        "wall_clock_hours",
        "gpu_hours",
        "cost_per_month_usd",
        "p50_cost_usd",
        "p90_cost_usd",
        "p50_hours",
        "p90_hours",
        "deadline_probability",
    ):
        assert data[key] is not None, key
    assert data["job"] == "ranking model retrain"
    assert data["cost_usd"] == pytest.approx(report.run.cost_usd)
    assert data["gpu_hours"] == pytest.approx(report.run.gpu_hours)
    assert data["deadline_probability"] == 1.0
    assert [step["lever"] for step in data["levers"]][1:5] == [
        "pricing",
        "precision",
        "size",
        "experiments",
    ]
    assert {row["pricing"] for row in data["comparison"]} == {"on_demand", "spot", "mixed"}
    assert data["baseline"]["cost_usd"] == pytest.approx(report.baseline.cost_usd)


def test_train_table_shows_the_levers():
    status, text = run("train", str(CASE))
    assert status == 0
    assert "Cost per run" in text
    assert "Spot with checkpointing" in text


def test_on_demand_plan_has_null_spot_figures(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(
        "training:\n  - params: 1.0e9\n    tokens: 2.0e10\n    instance_type: p4d.24xlarge\n"
        "    deadline_hours: 10\n",
        encoding="utf-8",
    )
    status, text = run("train", str(path), "--json")
    assert status == 0
    data = json.loads(text)
    assert data["p50_cost_usd"] is None
    assert data["spot"] is None
    assert data["deadline_probability"] == 0.0  # the 26.7 h run misses 10 h


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("budget", ["0", "-5"])
def test_zero_or_negative_budget(capsys, budget):
    message = fails(capsys, "size", "--budget-usd", budget, "--gpu", "H100")
    assert f"--budget-usd = {budget}: a budget must be above zero" in message


@pytest.mark.parametrize("mfu", ["0", "1.5", "-0.2"])
def test_mfu_outside_zero_one(capsys, mfu):
    message = fails(capsys, "size", "--budget-usd", "100", "--gpu", "H100", "--mfu", mfu)
    assert f"--mfu = {mfu}" in message
    assert "outside (0, 1]" in message


def test_budget_too_small_gives_the_smallest_budget(capsys):
    message = fails(capsys, "size", "--budget-usd", "0.5", "--gpu", "H100", "--json")
    assert "too small for any sensible model" in message
    least = float(message.split("use --budget-usd ")[1].split()[0])
    status, _ = run("size", "--budget-usd", str(least), "--gpu", "H100", "--json")
    assert status == 0


def test_compute_too_small_gives_the_smallest_compute(capsys):
    message = fails(capsys, "size", "--compute-flops", "1e12")
    assert "use --compute-flops" in message


def test_budget_needs_a_gpu(capsys):
    assert "--budget-usd needs --gpu" in fails(capsys, "size", "--budget-usd", "100")


def test_fp8_on_a_gpu_without_it(capsys):
    message = fails(
        capsys, "size", "--budget-usd", "100", "--gpu", "p4d.24xlarge", "--precision", "fp8"
    )
    assert "no FP8 support" in message


def test_interruptions_so_frequent_the_run_never_finishes(capsys):
    message = fails(capsys, "checkpoint", "--mtbf-hours", "0.05", "--checkpoint-minutes", "20")
    assert "never finishes" in message
    assert "at most" in message
    assert "interruptions per hour" in message


def test_train_with_a_rate_that_never_finishes(capsys, tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(
        "training:\n  - params: 1.0e9\n    tokens: 2.0e10\n    instance_type: p4d.24xlarge\n"
        "    pricing: spot\n    interruptions_per_instance_hour: 30\n",
        encoding="utf-8",
    )
    message = fails(capsys, "train", str(path), "--json")
    assert "never finishes" in message
    assert "use an interruption rate of at most" in message


def test_train_with_a_model_that_fits_no_gpu_count(capsys, tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(
        "training:\n  - params: 7.0e10\n    tokens: 1.4e12\n    instance_type: p4d.24xlarge\n"
        "    sharded: false\n",
        encoding="utf-8",
    )
    message = fails(capsys, "train", str(path))
    assert "fits no GPU count" in message


def test_train_with_a_budget_too_small(capsys, tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(
        "training:\n  - budget_usd: 0.2\n    instance_type: p4d.24xlarge\n", encoding="utf-8"
    )
    message = fails(capsys, "train", str(path))
    assert "raise the budget to at least $" in message


def test_train_with_an_mfu_above_one(capsys, tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(
        "training:\n  - params: 1.0e9\n    tokens: 2.0e10\n    mfu: 1.2\n", encoding="utf-8"
    )
    message = fails(capsys, "train", str(path))
    assert "training[0].mfu = 1.2" in message
    assert "at most 1" in message


def test_train_without_a_job(capsys):
    message = fails(capsys, "train", str(ROOT / "scenarios" / "blank.yaml"))
    assert "has no training job" in message


def test_several_jobs_need_job(capsys, tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text(
        "training:\n  - name: a\n    hours_per_run: 1\n  - name: b\n    hours_per_run: 2\n",
        encoding="utf-8",
    )
    assert "has 2 training jobs ('a', 'b')" in fails(capsys, "train", str(path))
    status, text = run("train", str(path), "--job", "b", "--json")
    assert status == 0
    data = json.loads(text)
    assert (data["job"], data["params"], data["memory"]) == ("b", None, None)
    assert data["wall_clock_hours"] == 2.0


def test_a_real_process_exits_2_without_a_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "planner", "size", "--budget-usd", "-1", "--gpu", "H100"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 2
    assert "a budget must be above zero" in result.stderr
    assert "Traceback" not in result.stderr

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


def test_size_for_compute_prints_exactly_the_five_keys():
    status, text = run("size", "--compute-flops", "5.76e23", "--law", "hoffmann", "--json")
    assert status == 0
    data = json.loads(text)
    assert set(data) == {"params", "tokens", "loss", "train_flops", "extrapolation"}
    # Chinchilla's compute buys about 70B parameters, beyond the 16B the law was fitted on
    # (Hoffmann et al. 2022: 70M to over 16B parameters on 5B to 500B tokens).
    assert data["extrapolation"].startswith(f"{data['params'] / 1e9:.3g}B parameters is ")
    assert "the largest fitted (16B)" in data["extrapolation"]
    assert data["train_flops"] == pytest.approx(5.76e23)
    assert data["loss"] == pytest.approx(
        1.69 + 406.4 / data["params"] ** 0.34 + 410.7 / data["tokens"] ** 0.28
    )


def test_size_inside_the_fitted_range_has_no_extrapolation():
    status, text = run("size", "--compute-flops", "1e20", "--law", "epoch", "--json")
    assert status == 0
    data = json.loads(text)
    assert 7e7 <= data["params"] <= 1.6e10
    assert 5e9 <= data["tokens"] <= 5e11
    assert data["extrapolation"] is None
    status, text = run("size", "--compute-flops", "5.76e23", "--law", "epoch")
    assert "Extrapolated: " in text
    assert "5 to 500 billion tokens" in text


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
        "extrapolation",
        "train_cost_usd",
        "inference_cost_usd",
        "total_cost_usd",
    }
    assert data["total_cost_usd"] == pytest.approx(100_000)
    assert data["train_cost_usd"] + data["inference_cost_usd"] == pytest.approx(100_000)
    # $55.04 an hour buys 8 × 989.4 TFLOPS bf16 × 1.28 measured fp8 speed-up (torchtitan,
    # H100) × 0.35 a second: not the datasheet's 1,978.9 fp8 TFLOPS.
    per_flop = 55.04 / (8 * 989.4e12 * 1.28 * 0.35 * 3600)
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
    # Each lever carries its Shapley saving; with the baseline and plan they add up.
    levers = data["levers"][1:5]
    assert all(step["saving_usd_per_month"] == -step["change_usd_per_month"] for step in levers)
    total = sum(step["saving_usd_per_month"] for step in levers)
    assert total == pytest.approx(
        data["baseline"]["cost_per_month_usd"] - data["cost_per_month_usd"]
    )
    assert data["goodput"] == pytest.approx(report.run.goodput)
    assert data["mfu"] == pytest.approx(0.4)
    assert data["hfu"] == pytest.approx(0.4)  # no recomputation: the HFU is the MFU


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


# --------------------------------------------------------------------------- instance choice


def test_size_with_spot_picks_the_cheapest_spot_gpu_hour():
    # The issue: spot picked p5 at $3.35/GPU-h (cheapest on-demand) over a3-highgpu-8g at $1.98.
    from planner.catalog import PriceTier, load_catalog
    from planner.cli.training import resolve_gpu
    from planner.scenario.training import RunPricing

    catalog = load_catalog()
    name = resolve_gpu("H100", catalog, RunPricing.SPOT)
    assert name == "a3-highgpu-8g"
    spot = {
        inst.name: catalog.hourly_price(inst.name, PriceTier.SPOT).usd_per_hour / inst.gpu_count
        for inst in catalog.instances.values()
        if inst.gpu_model == "H100" and inst.spot_usd_per_hour is not None
    }
    assert spot[name] == min(spot.values())
    assert spot[name] == pytest.approx(1.98, abs=0.01)
    assert spot["p5.48xlarge"] == pytest.approx(3.35, abs=0.01)
    status, text = run("size", "--budget-usd", "5000", "--gpu", "H100", "--pricing", "spot")
    assert status == 0
    assert "(a3-highgpu-8g)" in text


# --------------------------------------------------------------------------- train by flags


FLAGS = ("--params", "7e9", "--tokens", "2e12", "--gpu", "p5.48xlarge", "--gpus", "64")


def test_train_by_flags_prints_the_five_figures_without_a_file():
    status, text = run("train", *FLAGS, "--mfu", "0.4", "--runs-per-month", "2", "--json")
    assert status == 0
    data = json.loads(text)
    for key in ("gpu_hours", "wall_clock_hours", "goodput", "cost_usd", "cost_per_month_usd"):
        assert isinstance(data[key], float), key
    assert data["instance_count"] == 8
    assert data["gpus"] == 64
    assert data["cost_per_month_usd"] == pytest.approx(2 * data["cost_usd"])
    assert data["gpu_hours"] == pytest.approx(64 * data["wall_clock_hours"])
    # 8 nodes fail every 792 h; Young's √(2δ/M) with 5-minute checkpoints costs about 1.45%.
    assert data["goodput"] == pytest.approx(1 - math.sqrt(2 * (5 / 60) / 792), abs=1e-3)
    assert data["seq_len"] == 4096


def test_train_by_flags_prices_what_the_same_job_in_a_file_prices(tmp_path):
    path = tmp_path / "job.yaml"
    path.write_text(
        "schema_version: 2\ntraining:\n  - name: j\n    params: 7.0e9\n    tokens: 2.0e12\n"
        "    instance_type: p5.48xlarge\n    instance_count: 8\n    mfu: 0.4\n"
        "    precision: fp8\n    seq_len: 8192\n    pricing: spot\n    models_per_month: 3\n"
    )
    _, from_file = run("train", str(path), "--json")
    _, from_flags = run(
        "train",
        *FLAGS,
        "--mfu",
        "0.4",
        "--precision",
        "fp8",
        "--seq-len",
        "8192",
        "--pricing",
        "spot",
        "--runs-per-month",
        "3",
        "--json",
    )
    a, b = json.loads(from_file), json.loads(from_flags)
    for key in ("gpu_hours", "wall_clock_hours", "goodput", "cost_usd", "cost_per_month_usd"):
        assert a[key] == b[key], key


def test_train_by_flags_takes_the_presets_parameters_and_shape():
    status, text = run(
        "train",
        "--model",
        "Llama-3.1-8B",
        "--tokens",
        "1.5e13",
        "--gpu",
        "H100",
        "--gpus",
        "1024",
        "--mfu",
        "0.4",
        "--seq-len",
        "8192",
        "--json",
    )
    assert status == 0
    data = json.loads(text)
    assert data["params"] == 8_030_261_248  # counted from the config (model_architectures.csv)
    # 12 × 32 layers × 32 heads × 128 dims × 8,192 over 6 × 8.03e9.
    assert data["attention_share"] == pytest.approx(12 * 32 * 4096 * 8192 / (6 * 8_030_261_248))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--tokens", "1e12", "--gpu", "H100", "--gpus", "8", "--mfu", "0.4"), "--params"),
        (("--params", "1e9", "--gpu", "H100", "--gpus", "8", "--mfu", "0.4"), "--tokens"),
        (FLAGS, "needs --mfu"),
        ((*FLAGS[:-1], "12", "--mfu", "0.4"), "--gpus 12: p5.48xlarge has 8 GPUs"),
        ((*FLAGS, "--mfu", "1.4"), r"--mfu = 1.4 is outside \(0, 1\]"),
        ((*FLAGS, "--mfu", "0.4", "--model", "Llama-3-8B"), "unknown model 'Llama-3-8B'"),
        (
            (*FLAGS, "--mfu", "0.4", "--seq-len", "0"),
            "--seq-len = 0: .*at least 1|--seq-len = 0: .*equal to 1",
        ),
        ((*FLAGS, "--mfu", "0.4", "--runs-per-month=nan"), "--runs-per-month = NaN: .*finite"),
        ((*FLAGS, "--mfu", "0.4", "--tokens=1e400"), "--tokens = Infinity: .*finite"),
        ((*FLAGS, "--mfu", "0.4", "--job", "x"), "--job picks a job of a scenario file"),
    ],
)
def test_train_by_flags_refuses_bad_flags_with_a_message(capsys, argv, message):
    import re

    assert re.search(message, fails(capsys, "train", *argv))


def test_train_refuses_a_file_and_flags_together(capsys):
    message = fails(capsys, "train", str(CASE), "--mfu", "0.5")
    assert "a scenario file and --mfu" in message

"""``python -m planner serve`` and ``mix``: the JSON contract and every bad input."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from planner.cli import main
from planner.costing.serving import evaluate_serving
from planner.io.scenario_files import GALLERY_DIR, read_scenario
from tests.conftest import ROOT

CASE = GALLERY_DIR / "inference_8c_to_2c.yaml"

PLAN = """\
schema_version: 2
title: CSV-driven endpoint
serving:
  - name: chat
    traffic:
      demand_csv: {csv}
    model:
      parameters_billion: 8
      precision: int8
      output_tokens: 250
    instance_type: g6.xlarge
    max_batch: 32
    latency_target_ms: 30000
    autoscaling:
      enabled: true
    mix:
      instance_types: [g6.xlarge, g6e.xlarge, g4dn.xlarge]
      tiers: [on_demand, spot, reserved_1y, reserved_3y]
      spot_max_share: {share}
{extra}
"""


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out), out.getvalue()


def write_plan(
    tmp_path: Path, *, csv: str = "load.csv", share: float = 0.3, extra: str = ""
) -> Path:
    folder = tmp_path / "plans"
    folder.mkdir(exist_ok=True)
    (folder / "load.csv").write_text(
        "hour,demand\n" + "".join(f"{h},{2 + (h % 24) / 6:.2f}\n" for h in range(168)),
        encoding="utf-8",
    )
    path = folder / "plan.yaml"
    path.write_text(PLAN.format(csv=csv, share=share, extra=extra), encoding="utf-8")
    return path


def test_serve_json_contract_for_the_gallery_case():
    status, text = run("serve", str(CASE), "--json")
    assert status == 0
    data = json.loads(text)
    assert {"monthly_cost_usd", "per_request_usd", "per_1k_requests_usd", "levers"} <= set(data)
    assert data["per_1k_requests_usd"] == pytest.approx(1000 * data["per_request_usd"])
    names = [lever["name"] for lever in data["levers"]]
    assert names == [
        "quantization",
        "batching",
        "caching",
        "right_sizing",
        "autoscaling",
        "commitments",
    ]
    saving = sum(lever["saving_usd_per_month"] for lever in data["levers"])
    assert saving == pytest.approx(data["baseline"]["monthly_cost_usd"] - data["monthly_cost_usd"])


def test_serve_prints_a_readable_table():
    status, text = run("serve", str(CASE))
    assert status == 0
    assert "per 1K requests" in text
    assert "Savings by lever" in text
    assert "Right-sizing the instance" in text


def test_mix_json_contract():
    status, text = run("mix", str(CASE), "--json")
    assert status == 0
    data = json.loads(text)
    assert {
        "status",
        "total_cost_usd",
        "lower_bound_usd",
        "gap",
        "solve_seconds",
        "reserved",
        "hourly",
    } <= set(data)
    assert data["status"] in {"optimal", "feasible", "infeasible"}
    assert data["lower_bound_usd"] <= data["total_cost_usd"] + 1e-9
    assert all(isinstance(count, int) for count in data["reserved"].values())
    assert len(data["hourly"]) == 13 * 168
    first = data["hourly"][0]
    assert set(first) >= {"hour", "demand", "reserved_1y", "reserved_3y", "on_demand", "spot"}


def test_a_demand_csv_is_read_relative_to_the_yaml_file(tmp_path: Path):
    path = write_plan(tmp_path)
    status, text = run("mix", str(path), "--json")
    assert status == 0, text
    assert len(json.loads(text)["hourly"]) == 168
    status, text = run("mix", str(path), "--alternatives", "--json")
    assert status == 0, text
    data = json.loads(text)
    assert len(data["hourly"]) == 168
    # Hour 5 of the CSV, raised to cover the next 5 minutes (the default scale-up lag).
    assert data["hourly"][5]["demand"] == pytest.approx(2 + 5 / 6, abs=0.02)
    status, text = run("serve", str(path), "--json")
    assert status == 0
    assert "hourly CSV (load.csv), 168 hours" in json.loads(text)["demand"]


def test_the_cli_works_from_another_folder(tmp_path: Path):
    path = write_plan(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "planner", "serve", str(path), "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["endpoint"] == "chat"


@pytest.mark.parametrize(
    ("csv_text", "words"),
    [
        ("hour,demand\n0,1\n3,1\n", "hours 1-2 are missing"),
        ("hour,demand\n0,-1\n", "below 0"),
        ("hour,demand\n0,abc\n", "is not a number"),
        ("time,load\n0,1\n", "it needs 'demand'"),
        ("hour,demand\n" + "".join(f"{h},1\n" for h in range(9000)), "more than 8,784 rows"),
    ],
)
def test_bad_csvs_exit_2_with_a_message(tmp_path: Path, capsys, csv_text, words):
    path = write_plan(tmp_path)
    (path.parent / "load.csv").write_text(csv_text, encoding="utf-8")
    for command in ("serve", "mix"):
        status, out = run(command, str(path), "--json")
        assert status == 2
        assert out == ""
        err = capsys.readouterr().err
        assert words in err
        assert "Traceback" not in err


def test_a_missing_csv_exits_2(tmp_path: Path, capsys):
    path = write_plan(tmp_path, csv="nowhere.csv")
    assert run("serve", str(path))[0] == 2
    assert "No such demand file" in capsys.readouterr().err


def test_a_full_spot_cap_with_interruptions_exits_2(tmp_path: Path, capsys):
    path = write_plan(tmp_path, share=1.0)
    assert run("mix", str(path), "--json")[0] == 2
    err = capsys.readouterr().err
    assert "spot cap of 100%" in err
    assert "availability target" in err


def test_a_budget_below_the_minimum_reports_the_smallest_budget(tmp_path: Path):
    alternatives = run("mix", str(write_plan(tmp_path)), "--alternatives", "--json")[1]
    cheapest = json.loads(alternatives)["total_cost_usd"]
    monthly = cheapest * 730 / 168
    path = write_plan(tmp_path, extra=f"      budget_usd_per_month: {0.6 * monthly:.2f}")
    status, text = run("mix", str(path), "--alternatives", "--json")
    assert status == 0
    data = json.loads(text)
    assert data["status"] == "infeasible"
    assert data["min_budget_usd"] == pytest.approx(cheapest)
    assert 0 < data["served_fraction"] < 1
    assert "below the cheapest plan" in data["message"]
    assert "infeasible" in run("mix", str(path), "--alternatives")[1]


def test_no_type_able_to_serve_exits_2(tmp_path: Path, capsys):
    path = write_plan(tmp_path)
    text = path.read_text(encoding="utf-8").replace(
        "parameters_billion: 8", "parameters_billion: 900"
    )
    text = text.replace("instance_type: g6.xlarge", "instance_type: p5.48xlarge")
    path.write_text(text, encoding="utf-8")
    assert run("mix", str(path), "--alternatives")[0] == 2
    assert "No instance type can serve" in capsys.readouterr().err


def test_a_scenario_without_an_endpoint_exits_2(capsys):
    assert run("serve", str(GALLERY_DIR / "blank.yaml"))[0] == 2
    assert "has no serving endpoint" in capsys.readouterr().err


def test_several_endpoints_need_endpoint(tmp_path: Path, capsys):
    path = tmp_path / "two.yaml"
    path.write_text("serving:\n  - name: a\n  - name: b\n", encoding="utf-8")
    for command in ("serve", "mix"):
        assert run(command, str(path))[0] == 2
        assert "has 2 endpoints ('a', 'b')" in capsys.readouterr().err


def test_serve_matches_the_library():
    data = json.loads(run("serve", str(CASE), "--json")[1])
    scenario = read_scenario(CASE)
    result = evaluate_serving(scenario.serving[0], scenario.pricing)
    assert data["monthly_cost_usd"] == result.optimised.monthly_cost_usd
    assert data["instance_types"] == ["g4dn.xlarge"]
    assert data["min_replicas"] == 2


# --------------------------------------------------------------------------- flag form

FLAGS = (
    "serve",
    "--model",
    "Llama-3.1-8B",
    "--gpu",
    "H100",
    "--precision",
    "fp8",
    "--kv-precision",
    "fp8",
    "--input-tokens",
    "1000",
    "--output-tokens",
    "1000",
)


def test_the_flag_form_needs_no_yaml_and_prints_the_token_figures():
    status, text = run(*FLAGS, "--json")
    assert status == 0
    data = json.loads(text)
    keys = {
        "output_tokens_per_second_per_gpu",
        "batch",
        "ttft_ms",
        "tpot_ms",
        "usd_per_1m_input_tokens",
        "usd_per_1m_output_tokens",
    }
    assert keys <= set(data)
    assert data["tensor_parallel"] == 1
    # Output tokens cost more than input tokens: decode reads the weights per token.
    assert data["usd_per_1m_output_tokens"] > data["usd_per_1m_input_tokens"] > 0
    # The published run at 1000/1000 is 15,220 tokens/s per GPU (test_serving_validation).
    assert 0.5 < data["output_tokens_per_second_per_gpu"] / 15_220 < 2
    # The prices add up to the instance's hour at full load.
    per_gpu_hour = data["usd_per_hour"] / 8
    requests = data["output_tokens_per_second_per_gpu"] * 3600 / 1000
    per_request = (data["usd_per_1m_input_tokens"] + data["usd_per_1m_output_tokens"]) * 1e-3
    assert per_request * requests == pytest.approx(per_gpu_hour)


def test_latency_targets_bound_the_batch_and_say_so(capsys):
    # One GPU per replica: left free, a tight TPOT can pick wider replicas instead.
    _, loose = run(*FLAGS, "--tp", "1", "--json")
    status, text = run(*FLAGS, "--tp", "1", "--tpot-ms", "12", "--json")
    assert status == 0
    tight = json.loads(text)
    assert tight["tpot_ms"] <= 12
    assert tight["batch"] < json.loads(loose)["batch"]
    assert tight["limited_by"] == "TPOT target"
    # Prefilling 1,000 tokens on one H100 takes ~19 ms: a 5 ms TTFT cannot be met.
    status, text = run(*FLAGS, "--tp", "1", "--ttft-ms", "5", "--json")
    assert status == 2
    assert "the TTFT is" in capsys.readouterr().err


def test_tensor_parallel_is_the_replica_width():
    status, text = run(
        "serve",
        "--model",
        "Llama-3.1-70B",
        "--gpu",
        "H100",
        "--tp",
        "2",
        "--precision",
        "fp8",
        "--input-tokens",
        "500",
        "--output-tokens",
        "2000",
        "--json",
    )
    assert status == 0
    assert json.loads(text)["tensor_parallel"] == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--gpu", "A100-80GB"), "precision fp8 needs a GPU with an fp8 peak"),
        (("--gpu", "H999"), "GPU 'H999' is not in the catalog"),
        (("--input-tokens", "0"), "--input-tokens is 0: it must be at least 1"),
        (("--tpot-ms", "-1"), "--tpot-ms is -1.0: it must be above 0 ms"),
        (("--max-batch", "0"), "--max-batch is 0"),
        (("--tp", "3"), "in a multiple of 3"),
    ],
)
def test_the_flag_form_names_the_bad_flag(argv: tuple[str, ...], message: str, capsys):
    status, _ = run(*FLAGS, *argv, "--json")
    assert status == 2
    assert message in capsys.readouterr().err


def test_the_flag_form_needs_its_lengths_and_the_file_form_refuses_flags(capsys):
    assert run("serve", "--model", "Llama-3.1-8B", "--gpu", "H100", "--output-tokens", "5")[0] == 2
    assert "needs --input-tokens" in capsys.readouterr().err
    assert run("serve", str(CASE), "--tp", "2")[0] == 2
    assert "--tp belongs to the flag form" in capsys.readouterr().err
    assert run("serve", str(CASE), *FLAGS[1:])[0] == 2
    assert "not both" in capsys.readouterr().err
    assert run("serve")[0] == 2
    assert "needs a scenario file or --model" in capsys.readouterr().err


def test_mix_prints_its_solve_time_in_a_unit_that_keeps_its_digits():
    # A solve of a few milliseconds read "0.00 s" with a fixed two decimals.
    status, text = run("mix", str(CASE))
    assert status == 0
    assert re.search(r"solved in [1-9][0-9.]* (µs|ms|s|min|h)\n", text), text

"""One model of the whole system (issue 10, "Done when"): every Overview line is the figure
``serve --endpoint`` / ``train --job`` print for it, ``mix`` runs the types ``serve`` names
and keeps the replica floor, and version-1 files and links open as version 2 costing what
the version-2 gallery costs."""

from __future__ import annotations

import base64
import io
import json
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from planner.cli import main
from planner.costing.economics import CostCategory, evaluate
from planner.io.scenario_files import GALLERY_DIR, load_scenario_file, read_scenario
from planner.io.share import CODEC_VERSION, decode
from planner.scenario import SCHEMA_VERSION, Scenario, load_mapping
from planner.scenario.training import TrainingJob
from tests.conftest import GALLERY_FILES, ROOT

V1_DIR = ROOT / "tests" / "fixtures" / "v1"
V1_FILES = sorted(V1_DIR.glob("*.yaml"))
UPGRADED = "written for schema version 1 and has been upgraded to version 2"


def cli_json(*argv: str) -> dict:
    out = io.StringIO()
    assert main([*argv, "--json"], out) == 0
    return json.loads(out.getvalue())


def lines_of(category: CostCategory) -> list[tuple[Path, str, float]]:
    return [
        (path, line.item, line.usd_per_month)
        for path in GALLERY_FILES
        for line in evaluate(read_scenario(path)).lines
        if line.category is category
    ]


SERVING_LINES = lines_of(CostCategory.SERVING)
TRAINING_LINES = lines_of(CostCategory.TRAINING)


def _id(case: tuple[Path, str, float]) -> str:
    return f"{case[0].stem}:{case[1]}"


def test_the_gallery_has_jobs_and_endpoints_to_compare():
    assert len(SERVING_LINES) >= 2
    assert len(TRAINING_LINES) >= 2


# --------------------------------------------------------------------------- (a) the CLI


@pytest.mark.parametrize("case", SERVING_LINES, ids=_id)
def test_each_overview_serving_line_is_what_serve_prints(case):
    path, name, usd_per_month = case
    summary = cli_json("serve", str(path), "--endpoint", name)
    assert summary["endpoint"] == name
    assert round(summary["monthly_cost_usd"], 2) == round(usd_per_month, 2)


@pytest.mark.parametrize("case", TRAINING_LINES, ids=_id)
def test_each_overview_training_line_is_what_train_prints(case):
    path, name, usd_per_month = case
    summary = cli_json("train", str(path), "--job", name)
    assert summary["job"] == name
    assert round(summary["cost_per_month_usd"], 2) == round(usd_per_month, 2)


@pytest.mark.parametrize("case", SERVING_LINES, ids=_id)
def test_mix_runs_the_types_serve_names_and_keeps_the_replica_floor(case):
    path, name, _ = case
    serve = cli_json("serve", str(path), "--endpoint", name)
    mix = cli_json("mix", str(path), "--endpoint", name)
    assert mix["endpoint"] == name
    bought = {kind for row in mix["hourly"] for kind in row["by_type"]}
    assert bought == set(serve["instance_types"])
    assert set(serve["instance_types"]) <= set(mix["capacity"])
    for row in mix["hourly"]:
        running = sum(sum(tiers.values()) for tiers in row["by_type"].values())
        assert running >= serve["min_replicas"], row["hour"]
        assert running == row["reserved_1y"] + row["reserved_3y"] + row["on_demand"] + row["spot"]


def test_the_alternative_mix_is_offered_apart_from_the_plan():
    path = GALLERY_DIR / "inference_8c_to_2c.yaml"
    alternatives = cli_json("mix", str(path), "--endpoint", "ML API", "--alternatives")
    assert len(alternatives["candidates"]) > 1


@pytest.mark.parametrize("command", ["serve", "mix"])
def test_an_unknown_endpoint_names_the_ones_there_are(command, capsys):
    path = GALLERY_DIR / "inference_8c_to_2c.yaml"
    assert main([command, str(path), "--endpoint", "nope", "--json"], io.StringIO()) == 2
    assert "no endpoint named 'nope' (it has: 'ML API')" in capsys.readouterr().err


def test_an_unknown_job_names_the_ones_there_are(capsys):
    path = GALLERY_DIR / "training_50k_to_18k.yaml"
    assert main(["train", str(path), "--job", "nope", "--json"], io.StringIO()) == 2
    assert "no training job named 'nope'" in capsys.readouterr().err


# --------------------------------------------------------------------------- (b) version 1


# Cases written after version 2, asking what version 1 could not (a budget plan).
_VERSION_2_ONLY = {"chatbot_40k_budget.yaml"}


def test_every_gallery_file_has_a_version_1_fixture():
    gallery = [p.name for p in GALLERY_FILES if p.name not in _VERSION_2_ONLY]
    assert [p.name for p in V1_FILES] == gallery


def test_the_gallery_itself_is_version_2_and_loads_without_notes():
    for path in GALLERY_FILES:
        loaded = load_scenario_file(path)
        assert loaded.scenario.schema_version == SCHEMA_VERSION == 2, path.name
        assert loaded.notes == (), path.name


@pytest.mark.parametrize("path", V1_FILES, ids=lambda p: p.stem)
def test_a_version_1_file_opens_as_version_2_with_a_notice(path):
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["schema_version"] == 1
    loaded = load_scenario_file(path)
    assert loaded.scenario.schema_version == 2
    assert loaded.notes
    assert UPGRADED in loaded.notes[0]


def as_version_1_knew_it(scenario: Scenario) -> Scenario:
    """A version-2 gallery case less what only version 2 can say: a training job's sequence
    length (version 1 had no attention term, so its files upgrade at the default)."""
    default = TrainingJob().seq_len
    return replace(scenario, training=tuple(replace(j, seq_len=default) for j in scenario.training))


@pytest.mark.parametrize("path", V1_FILES, ids=lambda p: p.stem)
def test_a_version_1_file_costs_what_its_version_2_gallery_file_costs(path):
    old = evaluate(load_scenario_file(path).scenario)
    new = evaluate(as_version_1_knew_it(read_scenario(GALLERY_DIR / path.name)))
    assert round(old.monthly_cost_usd, 2) == round(new.monthly_cost_usd, 2)
    # Line by line too; version 1's zero-run workloads (a baseline kept for reference)
    # become jobs that cost nothing.
    assert {
        line.item: round(line.usd_per_month, 2) for line in old.lines if line.usd_per_month
    } == {line.item: round(line.usd_per_month, 2) for line in new.lines if line.usd_per_month}


def test_the_hand_copied_training_hours_are_named_in_the_notice():
    notes = load_scenario_file(V1_DIR / "training_50k_to_18k.yaml").notes
    assert any("hours_per_run: 30.0661" in note for note in notes)


def test_the_cli_says_on_stderr_that_a_version_1_file_was_upgraded(capsys):
    out = io.StringIO()
    path = V1_DIR / "recommendation_cost_per_request.yaml"
    assert main(["evaluate", str(path), "--json"], out) == 0
    captured = capsys.readouterr()
    assert f"note: This scenario was {UPGRADED}" in captured.err
    json.loads(out.getvalue())  # the notes stay out of the JSON


def v1_token(mapping: dict) -> str:
    """A share token as version 1 of the planner made it: the raw version-1 mapping in the
    codec's format (compact JSON, deflated, URL-safe base64 without padding)."""
    raw = json.dumps(mapping, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    packed = base64.urlsafe_b64encode(zlib.compress(raw, 9)).rstrip(b"=").decode("ascii")
    return f"{CODEC_VERSION}.{packed}"


@pytest.mark.parametrize("path", V1_FILES, ids=lambda p: p.stem)
def test_a_version_1_link_opens_as_version_2_with_notes(path):
    mapping = yaml.safe_load(path.read_text(encoding="utf-8"))
    decoded = decode(f"http://localhost:8501/?s={v1_token(mapping)}")
    assert decoded.problem is None
    assert decoded.scenario is not None
    assert decoded.scenario.schema_version == 2
    assert decoded.notes
    assert UPGRADED in decoded.notes[0]
    assert decoded.scenario == load_mapping(mapping).scenario
    gallery = evaluate(as_version_1_knew_it(read_scenario(GALLERY_DIR / path.name)))
    assert round(evaluate(decoded.scenario).monthly_cost_usd, 2) == round(
        gallery.monthly_cost_usd, 2
    )


def test_the_cli_shows_the_notes_of_a_version_1_link(capsys):
    mapping = yaml.safe_load((V1_DIR / "blank.yaml").read_text(encoding="utf-8"))
    out = io.StringIO()
    assert main(["show-link", v1_token(mapping)], out) == 0
    assert out.getvalue().startswith("schema_version: 2\n")
    assert f"note: This scenario was {UPGRADED}" in capsys.readouterr().err

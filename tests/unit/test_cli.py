import io
import json
import subprocess
import sys

import pytest

from planner.cli import main
from planner.costing.economics import evaluate
from planner.io.scenario_files import read_scenario
from planner.io.share import MAX_TOKEN_CHARS, decode, encode
from tests.conftest import GALLERY_FILES, ROOT


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out), out.getvalue()


@pytest.mark.parametrize("path", GALLERY_FILES, ids=lambda p: p.stem)
def test_evaluate_json_contract_for_every_gallery_file(path):
    status, text = run("evaluate", str(path), "--json")
    assert status == 0
    data = json.loads(text)
    scenario = read_scenario(path)
    assert data["scenario"] == scenario.title
    assert data["monthly_cost_usd"] == pytest.approx(evaluate(scenario).monthly_cost_usd)
    assert sum(data["breakdown_usd"].values()) == pytest.approx(data["monthly_cost_usd"])
    assert set(data["breakdown_usd"]) == {
        "training",
        "serving",
        "storage",
        "data_transfer",
        "tooling",
        "commitments",
    }
    assert set(data["unit_costs"]) == {
        "per_request_usd",
        "per_1k_requests_usd",
        "per_user_usd",
        "per_training_run_usd",
    }


def test_evaluate_table_shows_total_and_checks():
    status, text = run("evaluate", str(ROOT / "scenarios/recommendation_cost_per_request.yaml"))
    assert status == 0
    assert "total" in text
    assert "per 1K requests" in text
    assert "per day and per year" in text


def test_link_then_show_link_round_trips(recommender):
    status, text = run(
        "link",
        str(ROOT / "scenarios/recommendation_cost_per_request.yaml"),
        "--base-url",
        "https://planner.example/",
    )
    assert status == 0
    url = text.strip().splitlines()[-1]
    assert url.startswith("https://planner.example/?s=1.")
    assert decode(url).scenario == recommender
    status, yaml_text = run("show-link", url)
    assert status == 0
    assert "Recommendation system" in yaml_text


def cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "planner", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["evaluate", "missing.yaml"], "No such file"),
        (["show-link", "1.garbled!!"], "damaged"),
        (["link", "scenarios/blank.yaml", "--base-url", "nope"], "http"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
    ],
)
def test_errors_exit_2_with_a_message_and_no_traceback(argv, expected):
    result = cli(*argv)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_negative_traffic_and_malformed_yaml_in_the_cli(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("serving:\n  - name: api\n    requests_per_day: -10\n")
    result = cli("evaluate", str(bad))
    assert result.returncode == 2
    assert "requests_per_day" in result.stderr
    assert "Traceback" not in result.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("title: [x\n")
    result = cli("evaluate", str(broken))
    assert result.returncode == 2
    assert "line" in result.stderr


def test_show_link_accepts_a_bare_token(recommender):
    status, text = run("show-link", encode(recommender))
    assert status == 0
    assert "schema_version: 2" in text


def test_the_command_table_names_each_command_where_it_is_defined():
    """``planner.cli.COMMANDS`` routes a run to one module; it must list every command."""
    import argparse

    from planner.cli import COMMANDS, build_parser

    def names(parser: argparse.ArgumentParser) -> set[str]:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return set(sub.choices)

    assert names(build_parser()) == set(COMMANDS)
    for command in COMMANDS:
        assert command in names(build_parser(command))


@pytest.mark.parametrize("command", ["evaluate", "link", "show-link"])
def test_commands_that_neither_solve_nor_chart_load_no_solver_chart_or_database(command):
    """Start-up (issue 10): the light commands import neither scipy, altair nor duckdb."""
    import subprocess
    import sys

    from planner.io.scenario_files import GALLERY_DIR, read_scenario
    from planner.io.share import link

    blank = str(GALLERY_DIR / "blank.yaml")
    argv = {"evaluate": [blank], "link": [blank], "show-link": [link(read_scenario(blank))]}
    probe = (
        "import io, sys\n"
        "from planner.cli import main\n"
        f"assert main({[command, *argv[command]]!r}, out=io.StringIO()) == 0\n"
        "print(sorted(m for m in ('scipy', 'altair', 'duckdb') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout


def test_a_link_longer_than_any_the_planner_writes_is_too_long(capsys):
    # In-process: a token this long is over the operating system's limit for one argument.
    assert main(["show-link", "1." + "A" * (MAX_TOKEN_CHARS + 1)], out=io.StringIO()) == 2
    assert "too long" in capsys.readouterr().err

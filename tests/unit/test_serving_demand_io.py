"""Demand CSVs: every way one can be wrong gets a message naming the line and the fix."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from planner.core.errors import PlannerInputError
from planner.io.demand import (
    MAX_CSV_BYTES,
    gallery_demand_csv,
    parse_demand_csv,
    read_demand_csv,
    resolve_demand_csv,
)
from planner.models.fleet import MAX_HOURS
from tests.conftest import run_capped


def test_hours_and_timestamps_both_read():
    by_hour = parse_demand_csv("hour,demand\n0,1.5\n1,2\n2,0\n")
    assert by_hour.values == (1.5, 2.0, 0.0)
    stamped = parse_demand_csv(
        "timestamp,demand,note\n2026-01-05T00:00:00Z,3,a\n2026-01-05T01:00:00Z,4,b\n"
    )
    assert stamped.values == (3.0, 4.0)
    assert stamped.start.startswith("2026-01-05T00:00:00")


def test_a_bom_capital_headers_and_blank_lines_are_fine():
    csv = "\ufeffHour , Demand\r\n0,1\r\n\r\n1,2\r\n".encode()
    assert parse_demand_csv(csv).values == (1.0, 2.0)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("hour,demand\n0,1\n2,1\n", "hour 1 is missing"),
        ("hour,demand\n0,1\n5,1\n", "hours 1-4 are missing"),
        ("hour,demand\n0,1\n0,1\n", "repeated or out of order"),
        ("hour,demand\n0,1\n1,-4\n", "line 3: demand is -4, below 0"),
        ("hour,demand\n0,lots\n", "line 2: demand 'lots' is not a number"),
        ("hour,demand\n0,nan\n", "not a finite number"),
        ("hour,demand\n0.5,1\n", "hour '0.5' is not a whole number"),
        ("when,load\n0,1\n", "it needs 'demand' and one of 'hour' or 'timestamp'"),
        ("hour,demand,demand\n0,1,2\n", "repeats a column"),
        ("hour,demand\n0,1,9\n", "line 2 has 3 fields"),
        ("hour,demand\n", "has a header but no rows"),
        ("", "is empty"),
        (
            "timestamp,demand\n2026-01-01T00:00:00Z,1\n2026-01-01T03:00:00Z,1\n",
            "2 hour(s) are missing",
        ),
        ("timestamp,demand\nmonday,1\n", "is not an ISO 8601 date and time"),
    ],
)
def test_bad_csvs_are_explained(text, words):
    with pytest.raises(PlannerInputError, match="To fix") as error:
        parse_demand_csv(text, name="load.csv")
    message = str(error.value)
    assert message.startswith("load.csv")
    assert words in message


def test_too_many_rows_and_too_many_bytes_are_refused():
    rows = "hour,demand\n" + "".join(f"{i},1\n" for i in range(MAX_HOURS + 1))
    with pytest.raises(PlannerInputError, match="more than 8,784 rows"):
        parse_demand_csv(rows)
    millions = b"hour,demand\n" + b"0,1\n" * (MAX_CSV_BYTES // 4 + 1)
    with pytest.raises(PlannerInputError, match="MB; a demand CSV is at most"):
        parse_demand_csv(millions)


def test_binary_files_are_refused():
    with pytest.raises(PlannerInputError, match="not a UTF-8 text file"):
        parse_demand_csv(b"\xff\xfe\x00\x01garbage")
    with pytest.raises(PlannerInputError, match="not a text file"):
        parse_demand_csv("hour,demand\n0,\x001\n")


def test_paths_are_relative_to_the_scenario_file(tmp_path: Path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "load.csv").write_text("hour,demand\n0,7\n", encoding="utf-8")
    scenario_file = tmp_path / "plan.yaml"
    assert resolve_demand_csv("data/load.csv", scenario_file).values == (7.0,)
    assert resolve_demand_csv(None, scenario_file) is None
    with pytest.raises(PlannerInputError, match="relative to the scenario file"):
        resolve_demand_csv("missing.csv", scenario_file)
    with pytest.raises(PlannerInputError, match="is a folder"):
        read_demand_csv(tmp_path / "data")


def test_the_app_reads_gallery_csvs_by_plain_name_only(tmp_path: Path):
    (tmp_path / "load.csv").write_text("hour,demand\n0,7\n", encoding="utf-8")
    assert gallery_demand_csv("load.csv", tmp_path).values == (7.0,)
    for hostile in ("../load.csv", "/etc/passwd", "sub/load.csv", ".hidden.csv", "load.txt"):
        assert gallery_demand_csv(hostile, tmp_path) is None
    assert gallery_demand_csv("absent.csv", tmp_path) is None


# ------------------------------------------------- files a scenario names (issue 15)

ETC_LINE = "root:x:0:0:root:/root:/bin/bash"


@pytest.fixture
def plans(tmp_path: Path) -> Path:
    """A scenario folder, with a secret beside it (outside) and a CSV in it."""
    (tmp_path / "secret.csv").write_text(f"{ETC_LINE}\n", encoding="utf-8")
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "load.csv").write_text("hour,demand\n0,7\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("/etc/passwd", "is an absolute path"),
        ("../secret.csv", "goes up a folder (..)"),
        ("sub/../../secret.csv", "goes up a folder (..)"),
        ("escape.csv", "is a link to a file outside the scenario's folder"),
    ],
)
def test_a_named_file_must_be_inside_the_scenarios_folder(plans: Path, name, words):
    (plans / "escape.csv").symlink_to(plans.parent / "secret.csv")
    with pytest.raises(PlannerInputError, match="To fix: put the CSV next to") as error:
        resolve_demand_csv(name, plans / "plan.yaml")
    message = str(error.value)
    assert words in message
    assert "root:" not in message


def test_a_link_that_stays_inside_the_folder_is_read(plans: Path):
    (plans / "data").mkdir()
    (plans / "data" / "alias.csv").symlink_to(plans / "load.csv")
    assert resolve_demand_csv("data/alias.csv", plans / "plan.yaml").values == (7.0,)


def test_a_named_file_never_has_its_cells_text_in_the_message(plans: Path):
    (plans / "passwd.csv").write_text(f"{ETC_LINE}\n", encoding="utf-8")
    (plans / "cell.csv").write_text("hour,demand\n0,TOPSECRET\n", encoding="utf-8")
    (plans / "hour.csv").write_text("hour,demand\nHUSH,1\n", encoding="utf-8")
    (plans / "stamp.csv").write_text(
        "timestamp,demand\n2031-05-06T07:00:00Z,1\n2031-05-06T09:00:00Z,1\n", encoding="utf-8"
    )
    for name, line in (("passwd.csv", None), ("cell.csv", 2), ("hour.csv", 2), ("stamp.csv", 3)):
        with pytest.raises(PlannerInputError) as error:
            resolve_demand_csv(name, plans / "plan.yaml")
        message = str(error.value)
        for secret in ("root", "TOPSECRET", "HUSH", "2031"):
            assert secret not in message, message
        if line is not None:
            assert f"{name} line {line}" in message


def test_a_named_file_still_says_which_hours_are_missing(plans: Path):
    # Whole numbers it parsed from the hour column are not a cell's text: they are shown.
    (plans / "gap.csv").write_text("hour,demand\n0,1\n3,1\n", encoding="utf-8")
    with pytest.raises(
        PlannerInputError, match=r"gap\.csv line 3: hour 3 follows hour 0, so hours"
    ):
        resolve_demand_csv("gap.csv", plans / "plan.yaml")


def test_an_uploaded_csv_still_quotes_the_cell_at_fault():
    with pytest.raises(PlannerInputError, match="demand 'TOPSECRET' is not a number"):
        parse_demand_csv("hour,demand\n0,TOPSECRET\n", name="mine.csv")


def test_a_folder_is_refused(plans: Path):
    (plans / "dir.csv").mkdir()
    with pytest.raises(PlannerInputError, match=r"dir\.csv is a folder"):
        resolve_demand_csv("dir.csv", plans / "plan.yaml")


READ = (
    "from planner.io.demand import {function}\n"
    "from planner.core.errors import PlannerInputError\n"
    "try:\n    {call}\nexcept PlannerInputError as error:\n    print(error)\n"
)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_waiting_for_a_writer(plans: Path):
    os.mkfifo(plans / "pipe.csv")
    call = f"resolve_demand_csv('pipe.csv', {str(plans / 'plan.yaml')!r})"
    done = run_capped(READ.format(function="resolve_demand_csv", call=call))
    assert "pipe.csv is not a regular file" in done.stdout, done.stderr[-500:]


@pytest.mark.parametrize("device", ["/dev/zero", "/proc/self/pagemap"])
def test_a_file_whose_stat_size_lies_is_read_only_to_the_cap(device):
    # stat() says 0 bytes for both: /dev/zero is endless, and /proc/self/pagemap is a
    # "regular" file holding far more than the cap. Reading MAX_CSV_BYTES + 1 at most
    # refuses both in bounded memory; trusting stat() read /dev/zero until memory ran out.
    if not Path(device).exists():
        pytest.skip(f"no {device} here")
    call = f"read_demand_csv({device!r})"
    done = run_capped(READ.format(function="read_demand_csv", call=call))
    name = Path(device).name
    expected = f"{name} is not a regular file" if device == "/dev/zero" else "larger than 2 MB"
    assert expected in done.stdout, (done.stdout, done.stderr[-500:])

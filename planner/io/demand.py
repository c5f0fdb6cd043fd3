"""Hourly demand CSVs for the serving planner: reading, checking, and finding them.

A demand CSV has a ``demand`` column (requests per second, incoming, before the response
cache) and either an ``hour`` column (consecutive whole numbers) or a ``timestamp`` column
(ISO 8601, one row per hour, no gaps). A scenario points at one with
``serving_plan.traffic.demand_csv``, a path relative to the scenario file.

This is the serving planner's io module: the only one of its modules that touches files.
Every way a CSV can be wrong (gaps, negative or non-numeric values, wrong columns, too many
rows, not text) raises :class:`~planner.core.errors.PlannerInputError` naming the line and value.

A scenario file can come from anyone (a colleague's link becomes YAML with ``show-link``),
so the file it names is confined: a relative path inside the scenario's folder (no absolute
path, no ``..``, no symlink out of it), a regular file (not a device, FIFO or folder), read
with a cap of ``MAX_CSV_BYTES + 1`` bytes whatever ``stat()`` says. Its messages give the line
and the column at fault, and the numbers they parsed (hours, a negative demand), but never a
cell's text (a header, a word, a timestamp): the file may not be the user's own.

>>> csv = parse_demand_csv("hour,demand\\n0,10\\n1,12.5\\n2,9\\n", name="d.csv")
>>> csv.values, csv.hours
((10.0, 12.5, 9.0), 3)
>>> parse_demand_csv("hour,demand\\n0,10\\n2,9\\n", name="d.csv")
Traceback (most recent call last):
...
planner.core.errors.PlannerInputError: d.csv line 3: hour 2 follows hour 0, so hour 1 is missing. \
To fix: give every hour one row, with no gaps (0 demand for idle hours).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, replace
from pathlib import Path, PurePath

import pandas as pd

from planner.core.errors import PlannerInputError
from planner.io.files import read_capped
from planner.models.fleet import MAX_HOURS
from planner.scenario.serving import Endpoint

__all__ = [
    "MAX_CSV_BYTES",
    "DemandCsv",
    "check_csv_size",
    "gallery_demand_csv",
    "parse_demand_csv",
    "read_demand_csv",
    "resolve_demand_csv",
]

MAX_CSV_BYTES = 2 * 1024 * 1024  # a year hourly with timestamps is about 300 KB
_TIME_COLUMNS = ("hour", "timestamp")


@dataclass(frozen=True, slots=True, kw_only=True)
class DemandCsv:
    """An hourly demand profile read from a CSV."""

    name: str
    values: tuple[float, ...]
    start: str | None = None  # first timestamp, when the file has them

    @property
    def hours(self) -> int:
        return len(self.values)


def parse_demand_csv(
    data: bytes | str, *, name: str = "demand.csv", quote_cells: bool = True
) -> DemandCsv:
    """Check and read the text of a demand CSV.

    ``quote_cells=False`` leaves the cells' text out of the messages (for a file a scenario
    names, which may not be the user's own); they still name the line, the column, and the
    whole numbers of the hour column.

    Raises
    ------
    PlannerInputError
        Naming the file, the line and the value at fault.

    Examples
    --------
    >>> parse_demand_csv("when,load\\n1,2\\n", name="x.csv")
    Traceback (most recent call last):
    ...
    planner.core.errors.PlannerInputError: x.csv has columns ['when', 'load']; it needs 'demand' \
and one of 'hour' or 'timestamp'. To fix: name the columns hour (or timestamp) and demand \
(requests per second).
    """
    if isinstance(data, bytes):
        check_csv_size(len(data), name)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PlannerInputError(
                f"{name} is not a UTF-8 text file", fix="save it as CSV (UTF-8)"
            ) from None
    else:
        text = data.removeprefix("\ufeff")
        if len(text.encode("utf-8", errors="replace")) > MAX_CSV_BYTES:
            raise _too_big(name, len(text))
    if "\x00" in text:
        raise PlannerInputError(f"{name} is not a text file", fix="save it as CSV (UTF-8)")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise PlannerInputError(f"{name} line 1: {error}", fix="save it as plain CSV") from None
    if not header or not any(cell.strip() for cell in header):
        raise PlannerInputError(f"{name} is empty", fix="give a header row: hour,demand")
    columns = [cell.strip().lower() for cell in header]
    time_column = next((c for c in _TIME_COLUMNS if c in columns), None)
    if "demand" not in columns or time_column is None:
        shown = f"columns {[cell.strip() for cell in header][:8]}" if quote_cells else "a header"
        raise PlannerInputError(
            f"{name} has {shown}; it needs 'demand' and one of 'hour' or 'timestamp'",
            fix="name the columns hour (or timestamp) and demand (requests per second)",
        )
    if columns.count("demand") > 1 or columns.count(time_column) > 1:
        raise PlannerInputError(f"{name} repeats a column", fix="keep one of each column")
    t_index, d_index = columns.index(time_column), columns.index("demand")
    times: list[str] = []
    values: list[float] = []
    lines: list[int] = []
    try:
        for row in reader:
            if not row or not any(cell.strip() for cell in row):
                continue
            line = reader.line_num
            if len(values) >= MAX_HOURS:
                raise PlannerInputError(
                    f"{name} has more than {MAX_HOURS:,} rows; the planner takes at most a "
                    "year of hours",
                    fix="keep one row per hour for at most a year",
                )
            if len(row) != len(header):
                raise PlannerInputError(
                    f"{name} line {line} has {len(row)} fields; the header has {len(header)}",
                    fix="give every row the same columns as the header",
                )
            times.append(row[t_index].strip())
            values.append(_number(row[d_index], name, line, quote_cells))
            lines.append(line)
    except csv.Error as error:
        raise PlannerInputError(
            f"{name} line {reader.line_num}: {error}", fix="save it as plain CSV"
        ) from None
    if not values:
        raise PlannerInputError(f"{name} has a header but no rows", fix="add one row per hour")
    start = None
    if time_column == "hour":
        _check_hours(times, lines, name, quote_cells)
    else:
        start = _check_timestamps(times, lines, name, quote_cells)
    return DemandCsv(name=name, values=tuple(values), start=start)


def check_csv_size(size: int, name: str) -> None:
    """Refuse a demand CSV larger than :data:`MAX_CSV_BYTES` (an upload, before reading it).

    >>> check_csv_size(3 * 1024 * 1024, "load.csv")
    Traceback (most recent call last):
    ...
    planner.core.errors.PlannerInputError: load.csv is 3.0 MB; a demand CSV is at most 2 MB (a \
year hourly is about 0.3 MB). To fix: keep one row per hour for at most a year (8,784 rows).
    """
    if size > MAX_CSV_BYTES:
        raise _too_big(name, size)


def _too_big(name: str, size: int | None) -> PlannerInputError:
    """``size`` is ``None`` for a file read only up to the cap, whose size is unknown."""
    limit = f"{MAX_CSV_BYTES // 1024 // 1024} MB"
    problem = (
        f"{name} is larger than {limit}, the most a demand CSV may be"
        if size is None
        else f"{name} is {size / 1024 / 1024:,.1f} MB; a demand CSV is at most {limit}"
    )
    return PlannerInputError(
        f"{problem} (a year hourly is about 0.3 MB)",
        fix=f"keep one row per hour for at most a year ({MAX_HOURS:,} rows)",
    )


def _cell(text: str, quote: bool) -> str:
    """A cell as a message shows it: at most 30 characters, or nothing.

    >>> _cell("9" * 100, True)
    " '999999999999999999999999999...'"
    >>> _cell("root:x:0:0", False)
    ''
    """
    if not quote:
        return ""
    return f" {text if len(text) <= 30 else text[:27] + '...'!r}"


def _number(raw: str, name: str, line: int, quote: bool) -> float:
    """The demand on ``line``; ``quote`` shows the cell's text when it is not a number (a
    number it did parse, such as a negative demand, is always shown)."""
    text = raw.strip()
    try:
        value = float(text)
    except ValueError:
        raise PlannerInputError(
            f"{name} line {line}: demand{_cell(text, quote)} is not a number",
            fix="write requests per second as a plain number, e.g. 12.5",
        ) from None
    if not math.isfinite(value):
        raise PlannerInputError(
            f"{name} line {line}: demand{_cell(text, quote)} is not a finite number",
            fix="write requests per second as a plain number, e.g. 12.5",
        )
    if value < 0:
        raise PlannerInputError(
            f"{name} line {line}: demand is {value:g}, below 0",
            fix="demand is requests per second, 0 or more",
        )
    return value


def _check_hours(times: list[str], lines: list[int], name: str, quote: bool) -> None:
    previous: int | None = None
    for raw, line in zip(times, lines, strict=True):
        try:
            hour = int(raw)
        except ValueError:
            raise PlannerInputError(
                f"{name} line {line}: hour{_cell(raw, quote)} is not a whole number",
                fix="number the hours 0, 1, 2, ...",
            ) from None
        if previous is not None and hour != previous + 1:
            if hour <= previous:
                problem = f"hour {hour} comes after hour {previous} (repeated or out of order)"
                fix = "give each hour once, in order"
            else:
                missing = (
                    f"hour {previous + 1} is"
                    if hour == previous + 2
                    else f"hours {previous + 1}-{hour - 1} are"
                )
                problem = f"hour {hour} follows hour {previous}, so {missing} missing"
                fix = "give every hour one row, with no gaps (0 demand for idle hours)"
            raise PlannerInputError(f"{name} line {line}: {problem}", fix=fix)
        previous = hour


def _check_timestamps(times: list[str], lines: list[int], name: str, quote: bool) -> str:
    try:
        stamps = pd.to_datetime(pd.Series(times), format="ISO8601", utc=True)
    except (ValueError, TypeError):
        bad = next((t for t in times if not _is_time(t)), times[0])
        line = lines[times.index(bad)]
        shown = f" {bad[:40]!r}" if quote else ""
        raise PlannerInputError(
            f"{name} line {line}: timestamp{shown} is not an ISO 8601 date and time",
            fix="write timestamps like 2026-01-05T13:00:00Z",
        ) from None
    steps = stamps.diff().dt.total_seconds().to_numpy()[1:]
    for index, step in enumerate(steps, start=1):
        if step != 3600:
            line = lines[index]
            before, after = (
                (times[index - 1], times[index]) if quote else ("the one before", "the timestamp")
            )
            if step > 3600:
                problem = f"{after} follows {before}: {int(step // 3600) - 1} hour(s) are missing"
                fix = "give every hour one row, with no gaps (0 demand for idle hours)"
            else:
                problem = f"{after} follows {before}: not one hour later (repeated or out of order)"
                fix = "give one row per hour, in order"
            raise PlannerInputError(f"{name} line {line}: {problem}", fix=fix)
    return str(stamps.iloc[0].isoformat())


def _is_time(text: str) -> bool:
    try:
        pd.to_datetime(text, format="ISO8601", utc=True)
    except (ValueError, TypeError):
        return False
    return True


def read_demand_csv(path: str | Path) -> DemandCsv:
    """Read a demand CSV file: a regular file, read up to ``MAX_CSV_BYTES + 1`` bytes
    (see :func:`~planner.io.files.read_capped`). Messages leave the file's cells out."""
    path = Path(path)
    try:
        # No symlinks: the caller resolved the path; a symlink put there since is refused.
        data = read_capped(
            path,
            MAX_CSV_BYTES,
            shown=path.name,
            fix="point demand_csv at a .csv file",
            follow_symlinks=False,
        )
    except FileNotFoundError:
        raise PlannerInputError(
            f"No such demand file: {path.name}",
            fix="demand_csv is relative to the scenario file; check the name",
        ) from None
    except OSError as error:
        raise PlannerInputError(f"Cannot read {path.name}: {error.strerror}") from None
    if len(data) > MAX_CSV_BYTES:
        raise _too_big(path.name, None)
    return parse_demand_csv(data, name=path.name, quote_cells=False)


def _inside(folder: Path, relative: str) -> Path:
    """``relative`` under ``folder``, refused if it is absolute, has ``..`` or leaves it.

    >>> _inside(Path("/srv/plans"), "/etc/passwd")
    Traceback (most recent call last):
    ...
    planner.core.errors.PlannerInputError: demand_csv '/etc/passwd' is an absolute path; it must \
name a file in the scenario's folder. To fix: put the CSV next to the scenario file and give \
its name, e.g. demand.csv.
    """
    fix = "put the CSV next to the scenario file and give its name, e.g. demand.csv"
    given = PurePath(relative)
    if given.is_absolute():
        raise PlannerInputError(
            f"demand_csv '{relative}' is an absolute path; it must name a file in the "
            "scenario's folder",
            fix=fix,
        )
    if ".." in given.parts:
        raise PlannerInputError(
            f"demand_csv '{relative}' goes up a folder (..); it must name a file in the "
            "scenario's folder",
            fix=fix,
        )
    root = folder.resolve()
    try:
        target = (root / given).resolve(strict=True)
    except FileNotFoundError:
        raise PlannerInputError(
            f"No such demand file: {relative}",
            fix="demand_csv is relative to the scenario file; check the name",
        ) from None
    except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop
        raise PlannerInputError(f"Cannot read {relative}: {error}", fix=fix) from None
    if not target.is_relative_to(root):
        raise PlannerInputError(
            f"demand_csv '{relative}' is a link to a file outside the scenario's folder",
            fix=fix,
        )
    return target


def resolve_demand_csv(demand_csv: str | None, scenario_file: str | Path) -> DemandCsv | None:
    """The CSV a scenario file's serving plan points at (inside that file's folder), if any."""
    if demand_csv is None:
        return None
    return read_demand_csv(_inside(Path(scenario_file).resolve().parent, demand_csv))


def gallery_demand_csv(demand_csv: str | None, gallery_dir: Path) -> DemandCsv | None:
    """A demand CSV shipped next to the gallery scenarios, by plain file name only.

    A link can name any path, so the app accepts only a bare ``*.csv`` name that exists in
    the gallery folder; anything else returns ``None`` (the page then asks for an upload).

    >>> gallery_demand_csv("../../etc/passwd", Path(".")) is None
    True
    """
    if demand_csv is None:
        return None
    name = demand_csv.strip()
    if not name.endswith(".csv") or Path(name).name != name or name.startswith(".") or "\\" in name:
        return None
    if not (gallery_dir / name).exists():
        return None
    return read_demand_csv(_inside(gallery_dir, name))


@dataclass(frozen=True, slots=True, kw_only=True)
class DemandChoice:
    """What to evaluate: the endpoint, the CSV demand it uses, and why not its CSV."""

    endpoint: Endpoint
    csv_demand: tuple[float, ...] | None = None
    notice: str | None = None


def demand_choice(plan: Endpoint, uploaded: DemandCsv | None, gallery_dir: Path) -> DemandChoice:
    """The demand an endpoint uses where a link opens it.

    A CSV the endpoint names comes from ``uploaded`` (this session's upload, when its name
    matches) or from ``gallery_dir`` by plain file name. If neither has it, the traffic
    shape is evaluated instead and ``notice`` says so; the scenario itself keeps the name.

    >>> from planner.scenario.serving import Traffic
    >>> plan = Endpoint(traffic=Traffic(demand_csv="x.csv"))
    >>> choice = demand_choice(plan, None, Path("."))
    >>> choice.endpoint.traffic.demand_csv, "not part of the link" in choice.notice
    (None, True)
    """
    if plan.traffic.demand_csv is None:
        return DemandChoice(endpoint=plan)
    name = plan.traffic.demand_csv
    if uploaded is not None and uploaded.name == name:
        return DemandChoice(endpoint=plan, csv_demand=uploaded.values)
    problem: str | None = None
    try:
        shipped = gallery_demand_csv(name, gallery_dir)
    except PlannerInputError as error:
        shipped, problem = None, str(error)
    if shipped is not None:
        return DemandChoice(endpoint=plan, csv_demand=shipped.values)
    notice = (
        f"Endpoint {plan.name!r} takes its demand from the CSV file '{name}', which is not "
        "part of the link and is not loaded in this session. Its numbers use the traffic "
        "shape instead. Upload the CSV (Serving page, Traffic tab) to use it."
    )
    if problem:
        notice += f" ({problem})"
    shape_only = replace(plan, traffic=replace(plan.traffic, demand_csv=None))
    return DemandChoice(endpoint=shape_only, notice=notice)

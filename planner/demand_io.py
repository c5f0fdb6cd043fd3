"""Hourly demand CSVs for the serving planner: reading, checking, and finding them.

A demand CSV has a ``demand`` column (requests per second, incoming, before the response
cache) and either an ``hour`` column (consecutive whole numbers) or a ``timestamp`` column
(ISO 8601, one row per hour, no gaps). A scenario points at one with
``serving_plan.traffic.demand_csv``, a path relative to the scenario file.

This is the serving planner's io module: the only one of its modules that touches files.
Every way a CSV can be wrong (gaps, negative or non-numeric values, wrong columns, too many
rows, not text) raises :class:`~planner.errors.PlannerInputError` naming the line and value.

>>> csv = parse_demand_csv("hour,demand\\n0,10\\n1,12.5\\n2,9\\n", name="d.csv")
>>> csv.values, csv.hours
((10.0, 12.5, 9.0), 3)
>>> parse_demand_csv("hour,demand\\n0,10\\n2,9\\n", name="d.csv")
Traceback (most recent call last):
...
planner.errors.PlannerInputError: d.csv line 3: hour 2 follows hour 0, so hour 1 is missing. \
To fix: give every hour one row, with no gaps (0 demand for idle hours).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planner.errors import PlannerInputError
from planner.fleet import MAX_HOURS

__all__ = [
    "MAX_CSV_BYTES",
    "DemandCsv",
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


def parse_demand_csv(data: bytes | str, *, name: str = "demand.csv") -> DemandCsv:
    """Check and read the text of a demand CSV.

    Raises
    ------
    PlannerInputError
        Naming the file, the line and the value at fault.

    Examples
    --------
    >>> parse_demand_csv("when,load\\n1,2\\n", name="x.csv")
    Traceback (most recent call last):
    ...
    planner.errors.PlannerInputError: x.csv has columns ['when', 'load']; it needs 'demand' \
and one of 'hour' or 'timestamp'. To fix: name the columns hour (or timestamp) and demand \
(requests per second).
    """
    if isinstance(data, bytes):
        if len(data) > MAX_CSV_BYTES:
            raise _too_big(name, len(data))
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
        shown = [cell.strip() for cell in header][:8]
        raise PlannerInputError(
            f"{name} has columns {shown}; it needs 'demand' and one of 'hour' or 'timestamp'",
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
            values.append(_number(row[d_index], name, line))
            lines.append(line)
    except csv.Error as error:
        raise PlannerInputError(
            f"{name} line {reader.line_num}: {error}", fix="save it as plain CSV"
        ) from None
    if not values:
        raise PlannerInputError(f"{name} has a header but no rows", fix="add one row per hour")
    start = None
    if time_column == "hour":
        _check_hours(times, lines, name)
    else:
        start = _check_timestamps(times, lines, name)
    return DemandCsv(name=name, values=tuple(values), start=start)


def _too_big(name: str, size: int) -> PlannerInputError:
    return PlannerInputError(
        f"{name} is {size / 1024 / 1024:,.1f} MB; a demand CSV is at most "
        f"{MAX_CSV_BYTES // 1024 // 1024} MB (a year hourly is about 0.3 MB)",
        fix=f"keep one row per hour for at most a year ({MAX_HOURS:,} rows)",
    )


def _clip(text: str) -> str:
    """A cell as a message shows it: at most 30 characters.

    >>> _clip("9" * 100)
    '999999999999999999999999999...'
    """
    return text if len(text) <= 30 else text[:27] + "..."


def _number(raw: str, name: str, line: int) -> float:
    text = raw.strip()
    try:
        value = float(text)
    except ValueError:
        raise PlannerInputError(
            f"{name} line {line}: demand {_clip(text)!r} is not a number",
            fix="write requests per second as a plain number, e.g. 12.5",
        ) from None
    if not math.isfinite(value):
        raise PlannerInputError(
            f"{name} line {line}: demand {_clip(text)!r} is not a finite number",
            fix="write requests per second as a plain number, e.g. 12.5",
        )
    if value < 0:
        raise PlannerInputError(
            f"{name} line {line}: demand is {value:g}, below 0",
            fix="demand is requests per second, 0 or more",
        )
    return value


def _check_hours(times: list[str], lines: list[int], name: str) -> None:
    previous: int | None = None
    for raw, line in zip(times, lines, strict=True):
        try:
            hour = int(raw)
        except ValueError:
            raise PlannerInputError(
                f"{name} line {line}: hour {_clip(raw)!r} is not a whole number",
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


def _check_timestamps(times: list[str], lines: list[int], name: str) -> str:
    try:
        stamps = pd.to_datetime(pd.Series(times), format="ISO8601", utc=True)
    except (ValueError, TypeError):
        bad = next((t for t in times if not _is_time(t)), times[0])
        line = lines[times.index(bad)]
        raise PlannerInputError(
            f"{name} line {line}: timestamp {bad[:40]!r} is not an ISO 8601 date and time",
            fix="write timestamps like 2026-01-05T13:00:00Z",
        ) from None
    steps = stamps.diff().dt.total_seconds().to_numpy()[1:]
    for index, step in enumerate(steps, start=1):
        if step != 3600:
            line = lines[index]
            before, after = times[index - 1], times[index]
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
    """Read a demand CSV file, with a clear message for every way that can fail."""
    path = Path(path)
    try:
        if path.is_dir():
            raise PlannerInputError(f"{path} is a folder", fix="point demand_csv at a .csv file")
        if path.stat().st_size > MAX_CSV_BYTES:
            raise _too_big(path.name, path.stat().st_size)
        data = path.read_bytes()
    except FileNotFoundError:
        raise PlannerInputError(
            f"No such demand file: {path}",
            fix="demand_csv is relative to the scenario file; check the name",
        ) from None
    except OSError as error:
        raise PlannerInputError(f"Cannot read {path}: {error.strerror}") from None
    return parse_demand_csv(data, name=path.name)


def resolve_demand_csv(demand_csv: str | None, scenario_file: str | Path) -> DemandCsv | None:
    """The CSV a scenario file's serving plan points at (relative to that file), if any."""
    if demand_csv is None:
        return None
    return read_demand_csv(Path(scenario_file).resolve().parent / demand_csv)


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
    path = gallery_dir / name
    if not path.is_file():
        return None
    return read_demand_csv(path)

"""Writing a business-case report to a file: the one place reports touch the file system."""

from __future__ import annotations

from pathlib import Path

from planner.core.errors import PlannerInputError
from planner.views.report import Report, format_for, render


def check_report_path(path: str | Path) -> str:
    """The format a report path asks for, checked before the report is built.

    Raises
    ------
    PlannerInputError
        For a suffix other than .html/.htm/.md/.markdown, or a folder that does not exist.
    """
    path = Path(path)
    fmt = format_for(path.suffix)
    if not path.parent.is_dir():
        raise PlannerInputError(
            f"Cannot write the report to {path}: the folder {path.parent} does not exist",
            fix="choose a path in a folder that exists and that you can write to",
        )
    return fmt


def write_report(report: Report, path: str | Path) -> str:
    """Write ``report`` as HTML or Markdown, chosen by the file's suffix; return the format.

    Raises
    ------
    PlannerInputError
        For a suffix other than .html/.htm/.md/.markdown, or a path that cannot be written
        (missing folder, no permission, a folder in the way).
    """
    path = Path(path)
    fmt = format_for(path.suffix)
    text = render(report, fmt)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise PlannerInputError(
            f"Cannot write the report to {path}: {error.strerror or error}",
            fix="choose a path in a folder that exists and that you can write to",
        ) from None
    return fmt

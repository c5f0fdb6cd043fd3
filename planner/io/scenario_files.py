"""Reading and writing scenario files, and the gallery in ``scenarios/``.

This is the one planner module (with the catalog's data loader) that touches the file
system, so the rest of the package stays pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from planner.core.errors import PlannerInputError
from planner.io.files import read_capped
from planner.scenario import MAX_YAML_BYTES, Loaded, Scenario, read_scenario_yaml

GALLERY_DIR = Path(__file__).resolve().parent.parent.parent / "scenarios"


@dataclass(frozen=True, slots=True, kw_only=True)
class GalleryEntry:
    """A scenario file in the gallery."""

    key: str
    title: str
    scenario: Scenario


def check_scenario_size(size: int, name: str) -> None:
    """Refuse a scenario file larger than :data:`MAX_YAML_BYTES` before reading it.

    >>> check_scenario_size(300 * 1024, "big.yaml")
    Traceback (most recent call last):
    ...
    planner.core.errors.PlannerInputError: big.yaml is larger than 256 KiB. To fix: a scenario \
file is a few KiB; check that this is the right file.
    """
    if size > MAX_YAML_BYTES:
        raise PlannerInputError(
            f"{name} is larger than {MAX_YAML_BYTES // 1024} KiB",
            fix="a scenario file is a few KiB; check that this is the right file",
        )


def read_scenario(path: str | Path) -> Scenario:
    """:func:`load_scenario_file` without the upgrade notes."""
    return load_scenario_file(path).scenario


def load_scenario_file(path: str | Path) -> Loaded:
    """Load a scenario YAML file, upgraded from an older schema version if need be, with a
    clear message for every way that can fail."""
    path = Path(path)
    try:
        data = read_capped(path, MAX_YAML_BYTES, shown=str(path), fix="pass a scenario .yaml file")
        check_scenario_size(len(data), str(path))
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise PlannerInputError(
            f"No such file: {path}", fix="check the path, e.g. scenarios/blank.yaml"
        ) from None
    except UnicodeDecodeError:
        raise PlannerInputError(
            f"{path} is not a UTF-8 text file", fix="pass a scenario .yaml file"
        ) from None
    except OSError as error:
        raise PlannerInputError(f"Cannot read {path}: {error.strerror}") from None
    try:
        return read_scenario_yaml(text)
    except PlannerInputError as error:
        raise PlannerInputError(f"{path}: {error}") from None


def gallery() -> tuple[GalleryEntry, ...]:
    """Every scenario in the gallery, sorted by file name, the blank scenario last."""
    paths = sorted(GALLERY_DIR.glob("*.yaml"), key=lambda p: (p.stem == "blank", p.stem))
    entries = []
    for path in paths:
        scenario = read_scenario(path)
        entries.append(GalleryEntry(key=path.stem, title=scenario.title, scenario=scenario))
    return tuple(entries)

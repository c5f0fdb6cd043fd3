"""What every command shares: reading a scenario file and telling the user how it was
upgraded, on standard error so that ``--json`` output stays one JSON document."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from planner.core.errors import PlannerInputError
from planner.io.scenario_files import load_scenario_file
from planner.scenario import Scenario
from planner.scenario.serving import Endpoint
from planner.scenario.training import TrainingJob

_Item = TypeVar("_Item", TrainingJob, Endpoint)


def pick(
    items: tuple[_Item, ...],
    name: str | None,
    named: Callable[[str], _Item],
    *,
    path: str,
    what: str,
    plural: str,
    flag: str,
    section: str,
) -> _Item:
    """The item ``flag`` names (found by ``named``, e.g. :meth:`Scenario.job`), or a file's
    only one.

    Raises
    ------
    PlannerInputError
        No such item, an unknown name, or several items and no name.
    """
    if name is not None:
        return named(name)
    if not items:
        raise PlannerInputError(
            f"{path} has no {what}", fix=f"add one under {section}: (see the gallery, scenarios/)"
        )
    if len(items) > 1:
        names = ", ".join(repr(item.name) for item in items)
        raise PlannerInputError(
            f"{path} has {len(items)} {plural} ({names})", fix=f"choose one with {flag} NAME"
        )
    return items[0]


def read_scenario(path: str | Path) -> Scenario:
    """The scenario in ``path``; each upgrade note goes to standard error as ``note: ...``."""
    loaded = load_scenario_file(path)
    for note in loaded.notes:
        sys.stderr.write(f"note: {note}\n")
    return loaded.scenario

"""What every command shares: reading a scenario file and telling the user how it was
upgraded, on standard error so that ``--json`` output stays one JSON document."""

from __future__ import annotations

import sys
from pathlib import Path

from planner.io.scenario_files import load_scenario_file
from planner.scenario import Scenario


def read_scenario(path: str | Path) -> Scenario:
    """The scenario in ``path``; each upgrade note goes to standard error as ``note: ...``."""
    loaded = load_scenario_file(path)
    for note in loaded.notes:
        sys.stderr.write(f"note: {note}\n")
    return loaded.scenario

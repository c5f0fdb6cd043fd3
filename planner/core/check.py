"""The assumption-check note: which rule fired, about what, and why.

A core type: every capability module states its own checks with it, and
:mod:`planner.views.checks` gathers them for a scenario.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """One note: which rule fired, about what, and why."""

    code: str
    severity: Severity
    subject: str
    message: str

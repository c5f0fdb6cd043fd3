"""Figures someone published or quoted, kept beside the model so the planner can check them.

They never feed the model: the assumption checks compare them with each other and with
what the model computes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Annotated, ClassVar

from pydantic import ConfigDict, Field

from planner.core.fields import STRICT, Name, Text


class StatedUnit(enum.StrEnum):
    """Units a published or quoted figure can be stated in."""

    USD_PER_REQUEST = "usd_per_request"
    USD_PER_DAY = "usd_per_day"
    USD_PER_MONTH = "usd_per_month"
    USD_PER_QUARTER = "usd_per_quarter"
    USD_PER_YEAR = "usd_per_year"
    USD_PER_RUN = "usd_per_run"
    USD_PER_GPU_HOUR = "usd_per_gpu_hour"


@dataclass(frozen=True, slots=True, kw_only=True)
class StatedFigure:
    """A figure someone published or quoted, kept so the planner can check it.

    Stated figures never feed the model. The assumption checks compare them with each other
    and with what the model computes. ``job`` ties a per-run or per-GPU-hour figure to a
    training job by name, and ``baseline`` to that job's baseline (what ran before its
    levers) rather than to the job as planned.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    name: Name
    value: Annotated[float, Field(gt=0, le=1e13, allow_inf_nan=False)]
    unit: StatedUnit
    job: Annotated[str, Field(max_length=120)] | None = None
    baseline: bool = False
    note: Text = ""

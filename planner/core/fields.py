"""Constrained field types every scenario section shares, and the strict section config.

They live apart from :mod:`planner.scenario` so that a capability module can declare its
section with them without importing the scenario (which imports every section).
NaN and the infinities are refused everywhere: a link or a file cannot smuggle them in.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

# Every section refuses unknown fields, so a typo in a file is an error, not a silent default.
STRICT: ConfigDict = ConfigDict(extra="forbid")

Finite = Annotated[float, Field(allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Utilisation = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]
PositiveCount = Annotated[int, Field(ge=1, le=1_000_000)]
Name = Annotated[str, Field(min_length=1, max_length=120)]

# The dearest catalog instance costs a few hundred USD an hour; 100,000 leaves room for a whole
# on-premises cluster stated as one instance, and keeps a year of the largest fleet the serving
# model prices (MAX_FLEET_INSTANCES) finite: 1e5 × 1e7 × 8,760 h ≈ 9e15 USD. An unbounded price
# (1e308) overflowed every sum of it to inf.
MAX_USD_PER_HOUR = 100_000.0
UsdPerHour = Annotated[float, Field(gt=0, le=MAX_USD_PER_HOUR, allow_inf_nan=False)]
Text = Annotated[str, Field(max_length=4000)]

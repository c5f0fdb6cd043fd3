"""Units and the calendar constants every model shares.

A ``NewType`` per unit costs nothing at run time and lets mypy catch a dollar figure passed
where an hourly rate was expected.

>>> HOURS_PER_MONTH
730.0
>>> round(DAYS_PER_MONTH, 4)
30.4167
"""

from __future__ import annotations

from typing import NewType

Usd = NewType("Usd", float)
UsdPerHour = NewType("UsdPerHour", float)
UsdPerMonth = NewType("UsdPerMonth", float)
Hours = NewType("Hours", float)
GpuHours = NewType("GpuHours", float)
RequestsPerSecond = NewType("RequestsPerSecond", float)
RequestsPerDay = NewType("RequestsPerDay", float)

DAYS_PER_YEAR = 365.0
MONTHS_PER_YEAR = 12.0
HOURS_PER_DAY = 24.0
SECONDS_PER_HOUR = 3600.0
DAYS_PER_MONTH = DAYS_PER_YEAR / MONTHS_PER_YEAR
# The cloud providers' own convention for a month of on-demand use (8,760 h / 12).
HOURS_PER_MONTH = HOURS_PER_DAY * DAYS_PER_YEAR / MONTHS_PER_YEAR
SECONDS_PER_DAY = HOURS_PER_DAY * SECONDS_PER_HOUR

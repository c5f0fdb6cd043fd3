"""Units and the calendar constants every model shares.

A ``NewType`` per unit costs nothing at run time and lets mypy catch a dollar figure passed
where an hourly rate was expected.

>>> HOURS_PER_MONTH
730.0
>>> round(DAYS_PER_MONTH, 4)
30.4167
"""

from __future__ import annotations

import enum
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


class TrafficPeriod(enum.StrEnum):
    """The period a user counts traffic over; the scenario keeps requests per day."""

    SECOND = "second"
    DAY = "day"
    MONTH = "month"

    @property
    def days(self) -> float:
        """The period's length in days [d] (a month is a twelfth of a year).

        >>> TrafficPeriod.MONTH.days == DAYS_PER_MONTH, TrafficPeriod.SECOND.days * SECONDS_PER_DAY
        (True, 1.0)
        """
        return _PERIOD_DAYS[self]


_PERIOD_DAYS = {
    TrafficPeriod.SECOND: 1 / SECONDS_PER_DAY,
    TrafficPeriod.DAY: 1.0,
    TrafficPeriod.MONTH: DAYS_PER_MONTH,
}


def per_day(count: float, period: TrafficPeriod) -> RequestsPerDay:
    """``count`` requests per ``period`` as requests per day [1/d].

    >>> round(per_day(2_000_000, TrafficPeriod.MONTH)), per_day(10, TrafficPeriod.SECOND)
    (65753, 864000.0)
    """
    return RequestsPerDay(count / period.days)


def per_period(requests_per_day: float, period: TrafficPeriod) -> float:
    """Requests per day [1/d] as requests per ``period``: the inverse of :func:`per_day`.

    >>> per_period(864_000.0, TrafficPeriod.SECOND)
    10.0
    """
    return requests_per_day * period.days

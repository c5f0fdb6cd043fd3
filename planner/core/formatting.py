"""How money and rates are written for people: one formatter for CLI, pages and reports.

>>> usd(27108.3), usd(5006.34), usd(0.0000124), usd(0.0047), usd(None)
('$27,108', '$5,006', '$0.0000124', '$0.00470', 'n/a')
>>> usd(12.5)
'$12.50'
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Figure:
    """A headline number as people read it: what it is, its value, its change and a note.

    A page draws it as a metric; lower is better for every change a figure carries.
    ``falling`` says which way the change went, for a change written in words ("this
    change: −$106/month"); ``None`` reads it from the leading sign.
    """

    label: str
    value: str
    delta: str | None = None
    help: str | None = None
    falling: bool | None = None


def usd(value: float | None) -> str:
    """Whole dollars from $1,000 up, cents from $1, three significant digits below; the
    sign before the dollar sign.

    >>> usd(2564.3), usd(-2564.3), usd(-0.5)
    ('$2,564', '-$2,564', '-$0.500')
    """
    if value is None:
        return "n/a"
    if not math.isfinite(value):
        return str(value)
    if value < 0:
        return "-" + usd(-value)
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"${value:,.0f}"
    if magnitude >= 1 or magnitude == 0:
        return f"${value:,.2f}"
    decimals = 2 - math.floor(math.log10(magnitude))
    return f"${value:.{decimals}f}"


def change_vs_baseline(value: float | None, base: float | None) -> str | None:
    """The relative change from ``base`` to ``value`` in words; ``None`` without a base or
    without a change that shows at whole percent (a "+0%" arrow says nothing).

    >>> change_vs_baseline(25.0, 100.0), change_vs_baseline(3.0, 2.0), change_vs_baseline(1.0, 0.0)
    ('-75% vs baseline', '+50% vs baseline', None)
    >>> change_vs_baseline(100.2, 100.0) is None
    True
    """
    if value is None or base is None or base == 0:
        return None
    change = (value - base) / base
    if abs(change) < 0.005:
        return None
    return f"{change:+.0%} vs baseline"


_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def usd_short(value: float | None) -> str:
    """Money that fits a headline: three significant digits with K, M, B or T from $100,000
    up, :func:`usd` below (where it is never longer than ``$99,999``).

    A headline metric is narrow; give the exact :func:`usd` figure in its tooltip.

    >>> usd_short(57_947_123.0), usd_short(123_456.0), usd_short(99_999.0), usd_short(-2.5e9)
    ('$57.9M', '$123K', '$99,999', '-$2.50B')
    >>> usd_short(999_960.0), usd_short(0.0000124), usd_short(None)
    ('$1.00M', '$0.0000124', 'n/a')
    """
    if value is None or not math.isfinite(value) or abs(value) < 100_000:
        return usd(value)
    magnitude = abs(value)
    sign = "-" if value < 0 else ""
    # 999,960 is "$1.00M", not "$1000K": a scale counts from where rounding reaches it.
    scale, suffix = next((s, x) for s, x in _SCALES if magnitude >= s * 0.9995 or s == 1e3)
    scaled = max(magnitude / scale, 1.0)
    decimals = max(0, 2 - math.floor(math.log10(scaled)))
    return f"{sign}${scaled:.{decimals}f}{suffix}"


def usd_change(value: float) -> str:
    """A change of the monthly total, as the metric beside it shows it (a true minus sign).

    >>> usd_change(-106.4), usd_change(2_500_000.0), usd_change(0.0)
    ('this change: −$106.40/month', 'this change: +$2.50M/month', 'this change: $0.00/month')
    """
    sign = "−" if value < 0 else "+" if value > 0 else ""
    return f"this change: {sign}{usd_short(abs(value))}/month"


def seconds(value: float | None) -> str:
    """A duration with a unit that keeps three significant digits: µs, ms, s, min or h.

    >>> seconds(0.001), seconds(0.0004), seconds(2.5), seconds(95.0), seconds(7200.0)
    ('1.00 ms', '400 µs', '2.50 s', '1.58 min', '2.00 h')
    >>> seconds(0.0), seconds(None)
    ('0 s', 'n/a')
    """
    if value is None:
        return "n/a"
    if value == 0 or not math.isfinite(value):
        return f"{value:g} s"
    for unit, size in (("h", 3600.0), ("min", 60.0), ("s", 1.0), ("ms", 1e-3)):
        if abs(value) >= size:
            return _three_digits(value / size, unit)
    return _three_digits(value / 1e-6, "µs")


def _three_digits(value: float, unit: str) -> str:
    decimals = max(0, 2 - math.floor(math.log10(abs(value))))
    return f"{value:.{decimals}f} {unit}"

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
    """

    label: str
    value: str
    delta: str | None = None
    help: str | None = None


def usd(value: float | None) -> str:
    """Whole dollars from $1,000 up, cents from $1, three significant digits below."""
    if value is None:
        return "n/a"
    if not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"${value:,.0f}"
    if magnitude >= 1 or magnitude == 0:
        return f"${value:,.2f}"
    decimals = 2 - math.floor(math.log10(magnitude))
    return f"${value:.{decimals}f}"


def change_vs_baseline(value: float | None, base: float | None) -> str | None:
    """The relative change from ``base`` to ``value`` in words; ``None`` without a base.

    >>> change_vs_baseline(25.0, 100.0), change_vs_baseline(3.0, 2.0), change_vs_baseline(1.0, 0.0)
    ('-75% vs baseline', '+50% vs baseline', None)
    """
    if value is None or base is None or base == 0:
        return None
    return f"{(value - base) / base:+.0%} vs baseline"

"""How money and rates are written for people: one formatter for CLI, pages and reports.

>>> usd(27108.3), usd(5006.34), usd(0.0000124), usd(0.0047), usd(None)
('$27,108', '$5,006', '$0.0000124', '$0.00470', 'n/a')
>>> usd(12.5)
'$12.50'
"""

from __future__ import annotations

import math


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

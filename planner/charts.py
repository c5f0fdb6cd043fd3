"""Altair chart builders: tidy DataFrame in, chart out. Pages and reports share them.

>>> import pandas as pd
>>> lines = pd.DataFrame({"category": ["serving"], "item": ["api"],
...                       "usd_per_month": [10.0], "basis": ["1 × g5"]})
>>> breakdown_chart(lines).to_dict()["mark"]["type"]
'bar'
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from planner.economics import CostCategory

CATEGORY_LABELS = {
    CostCategory.TRAINING: "Training",
    CostCategory.SERVING: "Serving",
    CostCategory.STORAGE: "Storage",
    CostCategory.DATA_TRANSFER: "Data transfer",
    CostCategory.TOOLING: "Tooling",
}
_ORDER = list(CATEGORY_LABELS.values())
_COLOURS = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#9d755d"]
_SCALE = alt.Scale(domain=_ORDER, range=_COLOURS)


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(category=frame["category"].map(lambda c: CATEGORY_LABELS[CostCategory(c)]))


def breakdown_chart(lines: pd.DataFrame) -> alt.Chart:
    """Monthly cost by category, one bar per category, stacked by item.

    ``lines`` has columns ``category``, ``item``, ``usd_per_month`` and ``basis``.
    """
    chart: alt.Chart = (
        alt.Chart(_labelled(lines), title="Monthly cost by category")
        .mark_bar()
        .encode(
            x=alt.X("sum(usd_per_month):Q", title="USD per month", axis=alt.Axis(format="$,.0f")),
            y=alt.Y("category:N", title=None, sort=_ORDER),
            color=alt.Color("category:N", scale=_SCALE, legend=None),
            detail="item:N",
            tooltip=[
                alt.Tooltip("category:N", title="Category"),
                alt.Tooltip("item:N", title="Item"),
                alt.Tooltip("usd_per_month:Q", title="USD/month", format="$,.2f"),
                alt.Tooltip("basis:N", title="How"),
            ],
        )
        .properties(height=alt.Step(34))
    )
    return chart


def projection_chart(projection: pd.DataFrame) -> alt.Chart:
    """Monthly cost over the projection, stacked by category.

    ``projection`` is :func:`planner.economics.projection`'s frame.
    """
    chart: alt.Chart = (
        alt.Chart(_labelled(projection), title="Projected monthly cost")
        .mark_area()
        .encode(
            x=alt.X("month:Q", title="Month", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("sum(usd):Q", title="USD per month", axis=alt.Axis(format="$,.0f")),
            color=alt.Color(
                "category:N",
                scale=_SCALE,
                sort=_ORDER,
                legend=alt.Legend(title=None, orient="bottom", columns=3),
            ),
            order=alt.Order("category_order:Q"),
            tooltip=[
                alt.Tooltip("month:Q", title="Month"),
                alt.Tooltip("category:N", title="Category"),
                alt.Tooltip("usd:Q", title="USD/month", format="$,.0f"),
                alt.Tooltip("per_1k_requests_usd:Q", title="USD per 1K requests", format="$,.4f"),
            ],
        )
        .transform_calculate(category_order=f"indexof({_ORDER!r}, datum.category)")
        .properties(height=280)
    )
    return chart

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

from planner.core.formatting import usd
from planner.costing.economics import CostCategory

CATEGORY_LABELS = {
    CostCategory.TRAINING: "Training",
    CostCategory.SERVING: "Serving",
    CostCategory.STORAGE: "Storage",
    CostCategory.DATA_TRANSFER: "Data transfer",
    CostCategory.TOOLING: "Tooling",
    CostCategory.COMMITMENTS: "Commitments",
}
_ORDER = list(CATEGORY_LABELS.values())
_COLOURS = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#9d755d", "#72b7b2"]
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

    ``projection`` is :func:`planner.costing.economics.projection`'s frame.
    """
    chart: alt.Chart = (
        alt.Chart(_labelled(projection), title="Projected monthly cost")
        .mark_area()
        .encode(
            x=alt.X(
                "month:Q",
                title="Month",
                axis=alt.Axis(tickMinStep=1),
                scale=alt.Scale(zero=False, nice=False),
            ),
            y=alt.Y("sum(usd):Q", title="USD per month", axis=alt.Axis(format="$,.0f")),
            color=alt.Color(
                "category:N",
                scale=_SCALE,
                sort=_ORDER,
                legend=alt.Legend(title=None, orient="right"),
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


_WATERFALL_COLOURS = alt.Scale(
    domain=["total", "saving", "increase"], range=["#4c78a8", "#54a24b", "#e45756"]
)


def _signed_usd(value: float) -> str:
    return f"{'−' if value < 0 else '+'}{usd(abs(value))}"


def waterfall_bars(bars: pd.DataFrame) -> pd.DataFrame:
    """The steps of a waterfall with their order, kind and label, ready to draw.

    ``bars`` has one row per step, in order: ``step`` (the axis label), ``detail`` (the
    tooltip's), ``start``, ``end`` and ``total`` (a total runs from 0 to ``end``). A step is
    a ``saving`` where it ends below its start, else an ``increase``; its label is its
    signed change, a total's its value.

    >>> bars = pd.DataFrame({"step": ["Baseline", "Spot", "Plan"], "detail": ["", "", ""],
    ...                      "start": [0.0, 100.0, 0.0], "end": [100.0, 40.0, 40.0],
    ...                      "total": [True, False, True]})
    >>> waterfall_bars(bars)[["order", "kind", "label"]].values.tolist()
    [[0, 'total', '$100.00'], [1, 'saving', '−$60.00'], [2, 'total', '$40.00']]
    """
    change = bars["end"] - bars["start"]
    return bars.assign(
        order=range(len(bars)),
        kind=[
            "total" if total else ("saving" if delta < 0 else "increase")
            for total, delta in zip(bars["total"], change, strict=True)
        ],
        label=[
            usd(end) if total else _signed_usd(delta)
            for total, end, delta in zip(bars["total"], bars["end"], change, strict=True)
        ],
    )


def waterfall_chart(
    bars: pd.DataFrame, *, title: str, unit: str, axis_format: str, value_format: str
) -> alt.LayerChart:
    """From a total through each step to a total: totals blue, savings green, increases red.

    ``bars`` is as :func:`waterfall_bars` takes it; ``unit`` titles the money axis,
    ``axis_format`` and ``value_format`` are d3 formats for the axis and the tooltip.
    """
    frame = waterfall_bars(bars)
    y = alt.Y(
        "step:N", sort=alt.EncodingSortField("order"), title=None, axis=alt.Axis(labelLimit=320)
    )
    steps = (
        alt.Chart(frame, title=title)
        .mark_bar()
        .encode(
            x=alt.X("start:Q", title=unit, axis=alt.Axis(format=axis_format)),
            x2="end:Q",
            y=y,
            color=alt.Color("kind:N", scale=_WATERFALL_COLOURS, legend=None),
            tooltip=[
                alt.Tooltip("detail:N", title="Step"),
                alt.Tooltip("label:N", title="Change"),
                alt.Tooltip("end:Q", title="After", format=value_format),
            ],
        )
    )
    text = (
        steps.mark_text(align="left", dx=4)
        .encode(x=alt.X("right:Q"), text="label:N", color=alt.value("#333"))
        .transform_calculate(right="max(datum.start, datum.end)")
    )
    chart: alt.LayerChart = (steps + text).properties(height=alt.Step(36))
    return chart

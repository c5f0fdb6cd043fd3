"""Altair charts of a serving plan: the lever waterfall, capacity by tier, cost per request.

Each takes what :mod:`planner.costing.serving` returns and gives a chart.

>>> import pandas as pd
>>> hours = pd.DataFrame({"hour": [0, 1], "on_demand_capacity_rps": [4.0, 4.0],
...                       "demand_rps": [2.0, 3.0], "required_rps": [2.4, 3.6]})
>>> [layer["mark"]["type"] for layer in capacity_chart(hours, "Capacity").to_dict()["layer"]]
['area', 'line']
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from planner.costing.serving import ServingResult
from planner.views import charts

_TIER_LABELS = {
    "reserved_3y": "3-y reserved",
    "reserved_1y": "1-y reserved",
    "on_demand": "on-demand",
    "spot": "spot",
}
_TIER_COLOURS = ["#2f4b7c", "#9ecae9", "#f58518", "#54a24b"]


def waterfall_chart(result: ServingResult, *, per_1k: bool) -> alt.LayerChart:
    """From the baseline to the plan, one step per lever (its Shapley saving), per month or
    per 1,000 requests."""
    frame = result.waterfall_frame(per_request=per_1k)
    scale = 1000.0 if per_1k else 1.0
    bars = pd.DataFrame(
        {
            "step": frame["step"],
            "detail": frame["step"],
            "start": frame["start"] * scale,
            "end": frame["end"] * scale,
            "total": frame["kind"] == "total",
        }
    )
    unit = "USD per 1K requests" if per_1k else "USD per month"
    return charts.waterfall_chart(
        bars,
        title=f"From baseline to plan, {unit}",
        unit=unit,
        axis_format="$,.4~g" if per_1k else "$,.0f",
        value_format="$,.5~g",
    )


def capacity_chart(frame: pd.DataFrame, title: str) -> alt.LayerChart:
    """Capacity stacked by tier (areas) against demand and required capacity (lines).

    ``frame`` is hourly, as :meth:`planner.costing.serving.ServingResult.capacity_frame` or
    :func:`planner.costing.serving.mix_hours_frame` gives it: ``hour``, ``demand_rps``,
    ``required_rps`` and a ``<tier>_capacity_rps`` column per tier bought.
    """
    tiers = [t for t in _TIER_LABELS if f"{t}_capacity_rps" in frame]
    long = frame.melt(
        id_vars=["hour"],
        value_vars=[f"{t}_capacity_rps" for t in tiers],
        var_name="tier",
        value_name="capacity",
    )
    long["tier"] = long["tier"].str.removesuffix("_capacity_rps").map(_TIER_LABELS)
    order = [_TIER_LABELS[t] for t in tiers]
    long["order"] = long["tier"].map({label: i for i, label in enumerate(order)})
    areas = (
        alt.Chart(long, title=title)
        .mark_area(opacity=0.85, interpolate="step-after")
        .encode(
            x=alt.X("hour:Q", title="Hour", scale=alt.Scale(nice=False, zero=False)),
            y=alt.Y("capacity:Q", stack="zero", title="Requests per second"),
            color=alt.Color(
                "tier:N",
                scale=alt.Scale(domain=list(_TIER_LABELS.values()), range=_TIER_COLOURS),
                legend=alt.Legend(title="Capacity", orient="bottom"),
            ),
            order=alt.Order("order:Q"),
            tooltip=["hour:Q", "tier:N", alt.Tooltip("capacity:Q", format=",.1f")],
        )
    )
    lines_frame = frame.melt(
        id_vars=["hour"], value_vars=["demand_rps", "required_rps"], var_name="series"
    )
    lines_frame["series"] = lines_frame["series"].map(
        {"demand_rps": "demand on the model", "required_rps": "required (with headroom)"}
    )
    lines = (
        alt.Chart(lines_frame)
        .mark_line(interpolate="step-after")
        .encode(
            x="hour:Q",
            y="value:Q",
            strokeDash=alt.StrokeDash("series:N", legend=alt.Legend(title=None, orient="bottom")),
            color=alt.value("#222"),
            tooltip=["hour:Q", "series:N", alt.Tooltip("value:Q", format=",.1f")],
        )
    )
    chart: alt.LayerChart = (areas + lines).properties(height=300)
    return chart


def cost_per_request_chart(daily: pd.DataFrame) -> alt.Chart:
    """Cost per 1,000 requests day by day, baseline and plan (log scale).

    ``daily`` is :meth:`planner.costing.serving.ServingResult.daily_frame`.
    """
    frame = daily.assign(usd_per_1k=daily["usd_per_request"] * 1000)
    chart: alt.Chart = (
        alt.Chart(frame, title="Cost per 1K requests, day by day")
        .mark_line(point=len(frame) <= 120)
        .encode(
            x=alt.X("day:Q", title="Day of the horizon"),
            y=alt.Y(
                "usd_per_1k:Q",
                title="USD per 1K requests (log scale)",
                scale=alt.Scale(type="log"),
                axis=alt.Axis(format="$,.4~g"),
            ),
            # A bottom legend squashes this chart under Streamlit's theme; keep the default.
            color=alt.Color("series:N", legend=alt.Legend(title=None)),
            tooltip=[
                "day:Q",
                "series:N",
                alt.Tooltip("usd_per_1k:Q", title="USD/1K", format="$,.5~g"),
                alt.Tooltip("usd_per_day:Q", title="USD/day", format="$,.2f"),
            ],
        )
        .properties(height=260)
    )
    return chart

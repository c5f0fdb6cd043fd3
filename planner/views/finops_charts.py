"""Charts of the FinOps results: showback, cost breakdowns and the recovery burn-down."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

_PART_LABELS = {
    "direct_usd": "direct",
    "untagged_share_usd": "share of untagged",
    "shared_share_usd": "share of shared",
    "commitment_share_usd": "share of commitment",
}


_PART_COLOURS = ["#4c78a8", "#f58518", "#54a24b", "#b279a2"]


def showback_chart(showback: pd.DataFrame, dimension: str = "owner") -> Any:
    """Each owner's cost as a stacked bar (direct, then each pool's share); the unallocated
    pools as bars of their own. ``showback`` is :meth:`Attribution.showback_frame`.

    >>> frame = pd.DataFrame([{"owner": "a", "direct_usd": 1.0, "untagged_share_usd": 0.5,
    ...     "shared_share_usd": 0.0, "commitment_share_usd": 0.0, "total_usd": 1.5,
    ...     "share_of_bill": 1.0, "allocated": True}])
    >>> showback_chart(frame).to_dict()["mark"]["type"]
    'bar'
    """
    order = list(showback["owner"])
    long = showback.melt(
        id_vars=["owner", "total_usd", "share_of_bill"],
        value_vars=list(_PART_LABELS),
        var_name="part",
        value_name="usd",
    )
    long = long[long["usd"] != 0].assign(part=lambda f: f["part"].map(_PART_LABELS))
    chart = (
        alt.Chart(long, title=f"Cost by {dimension}")
        .mark_bar()
        .encode(
            x=alt.X("sum(usd):Q", title="USD", axis=alt.Axis(format="$,.0f")),
            y=alt.Y("owner:N", title=None, sort=order),
            color=alt.Color(
                "part:N",
                scale=alt.Scale(domain=list(_PART_LABELS.values()), range=_PART_COLOURS),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("owner:N", title=dimension),
                alt.Tooltip("part:N", title="Part"),
                alt.Tooltip("usd:Q", title="USD", format="$,.2f"),
                alt.Tooltip("total_usd:Q", title="Total", format="$,.2f"),
                alt.Tooltip("share_of_bill:Q", title="Share of bill", format=".1%"),
            ],
        )
        .properties(height=alt.Step(26))
    )
    return chart


def breakdown_chart(frame: pd.DataFrame, title: str, *, by_month: bool = False) -> Any:
    """Cost by one dimension (:func:`cost_by`'s frame): bars, or columns by month.

    >>> breakdown_chart(pd.DataFrame({"value": ["x"], "usd": [1.0]}), "t").to_dict()["mark"]
    {'type': 'bar'}
    """
    money = alt.Axis(format="$,.0f")
    tooltip = [alt.Tooltip("value:N", title=title), alt.Tooltip("usd:Q", format="$,.2f")]
    base = alt.Chart(frame, title=title).mark_bar()
    if by_month:
        chart = base.encode(
            x=alt.X("value:O", title=None),
            y=alt.Y("usd:Q", title="USD", axis=money),
            tooltip=tooltip,
        ).properties(height=260)
    else:
        chart = base.encode(
            x=alt.X("usd:Q", title="USD", axis=money),
            y=alt.Y("value:N", title=None, sort="-x"),
            tooltip=tooltip,
        ).properties(height=alt.Step(22))
    return chart


def burndown_chart(burndown: pd.DataFrame) -> Any:
    """The monthly run-rate week by week (steps down as levers go live) against the target.

    ``burndown`` is :meth:`RecoveryResult.burndown_frame`. Altair is imported here so that
    the scenario schema, which imports this module, stays quick to import.

    >>> frame = pd.DataFrame({"week": [0, 1], "usd_per_month": [10.0, 8.0],
    ...     "target_usd_per_month": 9.0, "usd_this_week": [2.3, 1.8], "goes_live": ["", "x"]})
    >>> [layer["mark"]["type"] for layer in burndown_chart(frame).to_dict()["layer"]]
    ['line', 'rule']
    """
    money = alt.Axis(format="$,.0f")
    line = (
        alt.Chart(burndown, title="Burn-down: monthly run-rate by week")
        .mark_line(point=True, interpolate="step-after")
        .encode(
            x=alt.X("week:Q", title="Week", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("usd_per_month:Q", title="USD per month", axis=money),
            tooltip=[
                alt.Tooltip("week:Q", title="Week"),
                alt.Tooltip("usd_per_month:Q", title="Run-rate, USD/month", format="$,.0f"),
                alt.Tooltip("usd_this_week:Q", title="Spend this week", format="$,.0f"),
                alt.Tooltip("goes_live:N", title="Goes live"),
            ],
        )
    )
    target = (
        alt.Chart(burndown.head(1))
        .mark_rule(color="#e45756", strokeDash=[6, 4])
        .encode(
            y="target_usd_per_month:Q",
            tooltip=[alt.Tooltip("target_usd_per_month:Q", title="Target", format="$,.0f")],
        )
    )
    return alt.layer(line, target).properties(height=300)

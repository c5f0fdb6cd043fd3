"""Altair charts of a training plan: the lever waterfall, spot runs and the model-size trade-off.

Each takes what :func:`planner.costing.training.evaluate_plan` returns and gives a chart.

>>> import numpy as np
>>> chart = histogram_chart(np.array([1.0, 2.0, 2.5]), "Runs", "Hours", {"P50": 2.0}, money=False)
>>> [layer["mark"]["type"] for layer in chart.to_dict()["layer"]]
['bar', 'rule']
"""

from __future__ import annotations

import altair as alt
import numpy as np
import numpy.typing as npt
import pandas as pd

from planner.costing.training import SpotOutcome, histogram_frame
from planner.views import charts

_BAR = "#4c78a8"
# 1e9 → "1B", 2e7 → "20M": Vega's SI "G" reads oddly for parameter counts.
_COUNT_LABEL = (
    "datum.value >= 1e12 ? format(datum.value / 1e12, '~g') + 'T' : "
    "datum.value >= 1e9 ? format(datum.value / 1e9, '~g') + 'B' : "
    "datum.value >= 1e6 ? format(datum.value / 1e6, '~g') + 'M' : format(datum.value, '~s')"
)
_SIZE_TOOLTIPS = [
    alt.Tooltip("params:Q", title="Parameters", format=".3s"),
    alt.Tooltip("tokens:Q", title="Tokens", format=".3s"),
    alt.Tooltip("loss:Q", title="Loss", format=".4f"),
]


def waterfall_chart(steps: pd.DataFrame) -> alt.LayerChart:
    """How each lever moves the monthly cost, from the baseline to the plan: each lever's bar
    is its Shapley saving, so the bars do not depend on the order they are drawn in.

    ``steps`` is :attr:`planner.costing.training.TrainingReport.waterfall`; a bar's label on the
    axis is its step without the detail in brackets.

    >>> steps = pd.DataFrame({"step": ["Baseline", "Lower precision (fp32 → bf16)", "Plan"],
    ...                       "lever": ["baseline", "precision", "plan"],
    ...                       "usd_per_month": [300.0, 100.0, 100.0],
    ...                       "change_usd_per_month": [0.0, -200.0, 0.0]})
    >>> rows = next(iter(waterfall_chart(steps).to_dict()["datasets"].values()))
    >>> [(row["step"], row["label"]) for row in rows]
    [('Baseline', '$300.00'), ('Lower precision', '−$200.00'), ('Plan', '$100.00')]
    """
    total = steps["lever"].isin(["baseline", "plan"])
    end = steps["usd_per_month"].astype(float)
    bars = pd.DataFrame(
        {
            "step": [str(step).split(" (")[0] for step in steps["step"]],
            "detail": steps["step"].astype(str),
            "start": np.where(total, 0.0, end - steps["change_usd_per_month"]),
            "end": end,
            "total": total,
        }
    )
    return charts.waterfall_chart(
        bars,
        title="How each lever moves the monthly training cost",
        unit="USD per month",
        axis_format="$,.0f",
        value_format="$,.2f",
    )


def histogram_chart(
    samples: npt.NDArray[np.float64],
    title: str,
    unit: str,
    marks: dict[str, float],
    *,
    money: bool,
) -> alt.LayerChart:
    """The share of simulated runs in each bin of ``samples``, with ``marks`` as dashed rules."""
    frame = histogram_frame(samples)
    fmt = "$,.0f" if money else ",.1f"
    bars = (
        alt.Chart(frame, title=title)
        .mark_bar(color=_BAR)
        .encode(
            x=alt.X("start:Q", title=unit, axis=alt.Axis(format=fmt), bin="binned"),
            x2="end:Q",
            y=alt.Y("share:Q", title="Share of runs", axis=alt.Axis(format="%")),
            tooltip=[
                alt.Tooltip("start:Q", title="From", format=fmt),
                alt.Tooltip("end:Q", title="To", format=fmt),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
            ],
        )
    )
    rules_frame = pd.DataFrame({"mark": list(marks), "value": list(marks.values())})
    rules = (
        alt.Chart(rules_frame)
        .mark_rule(strokeDash=[4, 3], size=2)
        .encode(
            x="value:Q",
            color=alt.Color("mark:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip("mark:N"), alt.Tooltip("value:Q", format=fmt)],
        )
    )
    chart: alt.LayerChart = (bars + rules).properties(height=260)
    return chart


def spot_charts(spot: SpotOutcome) -> tuple[alt.LayerChart, alt.LayerChart]:
    """The simulated spot runs' wall-clock (with P50, P90 and any deadline) and cost."""
    hours = {"P50": spot.p50_hours, "P90": spot.p90_hours}
    if spot.deadline_hours is not None:
        hours["Deadline"] = spot.deadline_hours
    costs = {"P50": spot.p50_cost_usd, "P90": spot.p90_cost_usd}
    return (
        histogram_chart(spot.hours, "Wall-clock of a spot run", "Hours", hours, money=False),
        histogram_chart(spot.costs, "Cost of a spot run", "USD", costs, money=True),
    )


def _chosen(x: str, value: float, loss: float) -> alt.Chart:
    """The plan's own point, a red diamond."""
    point: alt.Chart = (
        alt.Chart(pd.DataFrame([{x: value, "loss": loss}]))
        .mark_point(size=180, filled=True, color="#e45756", shape="diamond")
        .encode(x=f"{x}:Q", y="loss:Q")
    )
    return point


def frontier_chart(curve: pd.DataFrame, budget_usd: float, loss: float) -> alt.LayerChart:
    """The lowest predicted loss at each budget (faded outside the law's fitted sizes), and
    the plan's run at its budget."""
    base = alt.Chart(curve, title="Cost-vs-loss frontier: the best model at each budget")
    line = base.mark_line(color=_BAR).encode(
        x=alt.X("budget_usd:Q", scale=alt.Scale(type="log")), y="loss:Q"
    )
    dots = base.mark_circle(size=40, color=_BAR).encode(
        x=alt.X(
            "budget_usd:Q",
            scale=alt.Scale(type="log"),
            title="Budget for the final run (USD)",
            axis=alt.Axis(format="$,.0f"),
        ),
        y=alt.Y("loss:Q", scale=alt.Scale(zero=False), title="Predicted loss"),
        opacity=alt.Opacity(
            "in_fit_range:N",
            scale=alt.Scale(domain=[False, True], range=[0.25, 1]),
            legend=None,
        ),
        tooltip=[alt.Tooltip("budget_usd:Q", title="Budget", format="$,.0f"), *_SIZE_TOOLTIPS],
    )
    point = _chosen("budget_usd", budget_usd, loss).encode(
        tooltip=[
            alt.Tooltip("budget_usd:Q", title="The plan's run", format="$,.0f"),
            alt.Tooltip("loss:Q", title="Loss", format=".4f"),
        ]
    )
    chart: alt.LayerChart = (line + dots + point).properties(height=300)
    return chart


def isocost_chart(profile: pd.DataFrame, params: float, loss: float) -> alt.LayerChart:
    """The plan's budget split between model size and tokens: loss against size."""
    line = (
        alt.Chart(profile, title="The same budget split differently: loss against model size")
        .mark_line()
        .encode(
            x=alt.X(
                "params:Q",
                scale=alt.Scale(type="log"),
                title="Parameters",
                axis=alt.Axis(labelExpr=_COUNT_LABEL),
            ),
            y=alt.Y("loss:Q", scale=alt.Scale(zero=False), title="Predicted loss"),
            tooltip=_SIZE_TOOLTIPS,
        )
    )
    chart: alt.LayerChart = (line + _chosen("params", params, loss)).properties(height=300)
    return chart


def breakdown_chart(frame: pd.DataFrame) -> alt.Chart:
    """The monthly cost by component: :func:`planner.costing.training.cost_breakdown`'s frame."""
    chart: alt.Chart = (
        alt.Chart(frame, title="Monthly training cost by component")
        .mark_bar(color=_BAR)
        .encode(
            x=alt.X("usd_per_month:Q", title="USD per month", axis=alt.Axis(format="$,.0f")),
            y=alt.Y("component:N", title=None, sort=None),
            tooltip=[
                alt.Tooltip("component:N", title="Component"),
                alt.Tooltip("usd_per_month:Q", title="USD/month", format="$,.2f"),
            ],
        )
        .properties(height=alt.Step(34))
    )
    return chart

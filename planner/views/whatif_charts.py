"""Altair charts for build vs buy, sensitivity and uncertainty: frames in, charts out.

Pages and the business-case report share them (the report embeds them as SVG).

>>> import pandas as pd
>>> frame = pd.DataFrame({"month": [1, 2], "option": ["Build", "Build"], "usd": [5.0, 1.0],
...                       "cumulative_usd": [5.0, 6.0]})
>>> cumulative_chart(frame, None).to_dict()["layer"][0]["mark"]["type"]
'line'
"""

from __future__ import annotations

import altair as alt
import numpy as np
import numpy.typing as npt
import pandas as pd

from planner.scenario.business_case import Output

_LOW, _HIGH = "#4c78a8", "#f58518"
_BASE = "#555555"


def money_format(output: Output | None = None) -> str:
    """A d3 format for an axis of this output: cents matter only per request.

    >>> money_format(Output.COST_PER_REQUEST), money_format()
    ('$.3~g', '$,.0f')
    """
    return "$.3~g" if output is Output.COST_PER_REQUEST else "$,.0f"


def cumulative_chart(frame: pd.DataFrame, break_even_month: int | None) -> alt.LayerChart:
    """Cumulative cost of each option by month, with the break-even month marked.

    ``frame`` is :meth:`planner.costing.buildbuy.Tco.frame`; the first option is drawn in blue.
    """
    order = list(dict.fromkeys(frame["option"]))
    lines = (
        alt.Chart(frame, title="Cumulative cost")
        .mark_line(point=alt.OverlayMarkDef(size=18))
        .encode(
            x=alt.X("month:Q", title="Month", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("cumulative_usd:Q", title="Cumulative USD", axis=alt.Axis(format="$,.0f")),
            color=alt.Color(
                "option:N",
                title=None,
                sort=order,
                scale=alt.Scale(domain=order, range=[_LOW, _HIGH]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("option:N", title="Option"),
                alt.Tooltip("month:Q", title="Month"),
                alt.Tooltip("usd:Q", title="That month", format="$,.0f"),
                alt.Tooltip("cumulative_usd:Q", title="Cumulative", format="$,.0f"),
            ],
        )
    )
    layers: list[alt.Chart] = [lines]
    if break_even_month is not None:
        marker = pd.DataFrame(
            {"month": [break_even_month], "label": [f"break-even: month {break_even_month}"]}
        )
        rule = alt.Chart(marker).mark_rule(strokeDash=[4, 4], color=_BASE).encode(x="month:Q")
        text = (
            alt.Chart(marker)
            .mark_text(align="left", dx=4, color=_BASE)
            .encode(x="month:Q", y=alt.value(10), text="label:N")
        )
        layers += [rule, text]
    return alt.LayerChart(layer=layers, height=300)


def tornado_chart(frame: pd.DataFrame, output: Output) -> alt.LayerChart:
    """Horizontal bars from the base output to its value at each parameter's low and high.

    ``frame`` is :meth:`planner.whatif.Tornado.frame`, widest swing first.
    """
    order = frame["parameter"].tolist()
    base = float(frame["base_output"].iloc[0]) if len(frame) else 0.0
    long = pd.concat(
        [
            frame.assign(
                end=frame["output_low"],
                at="low value",
                value=frame["low_value"],
            ),
            frame.assign(
                end=frame["output_high"],
                at="high value",
                value=frame["high_value"],
            ),
        ],
        ignore_index=True,
    )[["parameter", "unit", "base_output", "end", "at", "value", "source"]]
    axis = alt.Axis(format=money_format(output))
    bars = (
        alt.Chart(long, title=alt.Title(f"{output.label}: what moves it most", anchor="start"))
        .mark_bar(opacity=0.85)
        .encode(
            y=alt.Y("parameter:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
            x=alt.X("base_output:Q", title=output.label, axis=axis, scale=alt.Scale(zero=False)),
            x2="end:Q",
            color=alt.Color(
                "at:N",
                title="Assumption at its",
                scale=alt.Scale(domain=["low value", "high value"], range=[_LOW, _HIGH]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("parameter:N", title="Assumption"),
                alt.Tooltip("at:N", title="At its"),
                alt.Tooltip("value:Q", title="Value", format=",.4~g"),
                alt.Tooltip("unit:N", title="Unit"),
                alt.Tooltip("end:Q", title=output.label, format=money_format(output)),
                alt.Tooltip("source:N", title="Range from"),
            ],
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"base": [base]}))
        .mark_rule(color=_BASE, strokeDash=[4, 4])
        .encode(x="base:Q")
    )
    layers = [bars, rule]
    if output is Output.TCO_DIFFERENCE:
        zero = (
            alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color="#c0392b").encode(x="zero:Q")
        )
        layers.append(zero)
    return alt.LayerChart(layer=layers, height=alt.Step(26))


def sweep_chart(
    frame: pd.DataFrame, label: str, output: Output, base_value: float
) -> alt.LayerChart:
    """The output as one parameter is swept; ``frame`` is :func:`planner.whatif.sweep`'s."""
    line = (
        alt.Chart(frame, title=f"{output.label} as {label} changes")
        .mark_line(point=alt.OverlayMarkDef(size=16))
        .encode(
            x=alt.X("value:Q", title=label, scale=alt.Scale(zero=False)),
            y=alt.Y("output:Q", title=output.label, axis=alt.Axis(format=money_format(output))),
            tooltip=[
                alt.Tooltip("value:Q", title=label, format=",.4~g"),
                alt.Tooltip("output:Q", title=output.label, format=money_format(output)),
            ],
        )
    )
    base = (
        alt.Chart(pd.DataFrame({"value": [base_value]}))
        .mark_rule(color=_BASE, strokeDash=[4, 4])
        .encode(x="value:Q")
    )
    layers = [line, base]
    if output is Output.TCO_DIFFERENCE:
        zero = (
            alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color="#c0392b").encode(y="zero:Q")
        )
        layers.append(zero)
    return alt.LayerChart(layer=layers, height=260)


def distribution_chart(
    values: npt.NDArray[np.float64], label: str, output: Output | None = None
) -> alt.LayerChart:
    """Histogram of Monte Carlo draws with P10, P50 and P90 marked."""
    finite = values[np.isfinite(values)]
    p10, p50, p90 = np.percentile(finite, (10, 50, 90))
    bins = min(60, max(10, int(np.sqrt(finite.size))))
    counts, edges = np.histogram(finite, bins=bins)
    hist = pd.DataFrame({"start": edges[:-1], "end": edges[1:], "share": counts / finite.size})
    axis = alt.Axis(format=money_format(output))
    bars = (
        alt.Chart(hist, title=f"{label}: distribution of {finite.size:,} draws")
        .mark_rect(color=_LOW, opacity=0.8)
        .encode(
            x=alt.X("start:Q", title=label, axis=axis, scale=alt.Scale(zero=False)),
            x2="end:Q",
            y=alt.Y("share:Q", title="Share of draws", axis=alt.Axis(format="%")),
            y2=alt.datum(0),
        )
    )
    marks = pd.DataFrame({"value": [p10, p50, p90], "label": ["P10", "P50", "P90"]})
    rules = (
        alt.Chart(marks)
        .mark_rule(color=_HIGH, strokeWidth=2)
        .encode(
            x="value:Q",
            tooltip=[
                alt.Tooltip("label:N", title="Percentile"),
                alt.Tooltip("value:Q", title=label, format=money_format(output)),
            ],
        )
    )
    text = (
        alt.Chart(marks)
        .mark_text(align="left", dx=3, dy=-6, color=_HIGH)
        .encode(x="value:Q", y=alt.value(8), text="label:N")
    )
    return alt.LayerChart(layer=[bars, rules, text], height=240)


def fan_chart(fan: pd.DataFrame) -> alt.LayerChart:
    """Cumulative cost by month: the P10–P90 band and the P50 line of each series.

    ``fan`` is :attr:`planner.whatif.Uncertainty.fan`: building in blue, buying in orange.
    """
    order = list(dict.fromkeys(fan["series"]))
    base = alt.Chart(fan, title="Cumulative cost: P10–P90 band and median").encode(
        x=alt.X("month:Q", title="Month", axis=alt.Axis(tickMinStep=1)),
        color=alt.Color(
            "series:N",
            title=None,
            sort=order,
            scale=alt.Scale(domain=order, range=[_LOW, _HIGH]),
            legend=alt.Legend(orient="bottom"),
        ),
    )
    band = base.mark_area(opacity=0.25).encode(
        y=alt.Y("p10:Q", title="Cumulative USD", axis=alt.Axis(format="$,.0f")),
        y2="p90:Q",
    )
    line = base.mark_line().encode(
        y="p50:Q",
        tooltip=[
            alt.Tooltip("series:N", title="Series"),
            alt.Tooltip("month:Q", title="Month"),
            alt.Tooltip("p10:Q", title="P10", format="$,.0f"),
            alt.Tooltip("p50:Q", title="P50", format="$,.0f"),
            alt.Tooltip("p90:Q", title="P90", format="$,.0f"),
        ],
    )
    return alt.LayerChart(layer=[band, line], height=300)


def comparison_chart(frame: pd.DataFrame) -> alt.Chart:
    """Grouped bars of a few headline figures, one colour per scenario.

    ``frame`` has columns ``scenario``, ``figure`` and ``usd`` (see
    :meth:`planner.whatif.Comparison.headline`), scenarios in the order given.
    """
    order = list(dict.fromkeys(frame["scenario"]))
    chart: alt.Chart = (
        alt.Chart(frame, title="Headline figures")
        .mark_bar()
        .encode(
            y=alt.Y(
                "figure:N",
                title=None,
                sort=list(dict.fromkeys(frame["figure"])),
                axis=alt.Axis(labelLimit=240),
            ),
            yOffset=alt.YOffset("scenario:N", sort=order),
            x=alt.X("usd:Q", title="USD", axis=alt.Axis(format="$,.0f")),
            color=alt.Color(
                "scenario:N",
                sort=order,
                title=None,
                scale=alt.Scale(scheme="tableau10"),
                legend=alt.Legend(orient="bottom", columns=2, labelLimit=320),
            ),
            tooltip=[
                alt.Tooltip("scenario:N", title="Scenario"),
                alt.Tooltip("figure:N", title="Figure"),
                alt.Tooltip("usd:Q", title="USD", format="$,.0f"),
            ],
        )
        .properties(height=alt.Step(14))
    )
    return chart

"""The Plan-to-a-budget page's chart, headline figures and tables.

Each takes what :func:`planner.planning.plan_to_budget` and :func:`planner.planning.frontier`
return. The tables read :meth:`planner.planning.PlanResult.summary`, the document
``python -m planner plan --json`` prints, so the page and the CLI show the same plan.

>>> rows = [{"budget_usd_per_month": b, "monthly_cost_usd": b, "loss": 3.0 - b / 1e5,
...          "params": 1e9} for b in (1e4, 2e4, 4e4, 4.1e4)]
>>> [layer["mark"]["type"] for layer in frontier_chart(rows, 4e4, 2.6).to_dict()["layer"]]
['line', 'circle', 'point']
>>> next_thousand(rows, 2.6)
'The next $1,000 a month buys: loss 2.6000 → 2.5900 (a 1B model).'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from planner.core.formatting import Figure, usd
from planner.planning import PlanResult, PlanStatus

_LINE = "#4c78a8"
_CHOSEN = "#e45756"
_STATUS_WORDS = {
    PlanStatus.OPTIMAL: "Optimal",
    PlanStatus.FEASIBLE: "Feasible",
    PlanStatus.INFEASIBLE: "No plan fits",
}


def billions(params: float) -> str:
    """A parameter count as people say it.

    >>> billions(31.7e9), billions(7e7)
    ('31.7B', '70M')
    """
    if params >= 1e9:
        return f"{params / 1e9:.3g}B"
    return f"{params / 1e6:.3g}M"


def headline(result: PlanResult) -> list[Figure]:
    """Model size, predicted loss, monthly cost against the budget, and the status."""
    budget = result.budget_usd_per_month
    if budget is None:
        against = None
        falling = None
    else:
        left = budget - result.monthly_cost_usd
        against = f"{usd(abs(left))} {'under' if left >= 0 else 'over'} the budget"
        falling = left >= 0
    return [
        Figure(
            label="Model size, parameters",
            value=billions(result.params),
            help=f"Trained on {result.tokens / 1e9:,.0f}B tokens.",
        ),
        Figure(
            label="Training tokens",
            value=f"{result.tokens / 1e9:,.0f}B",
            help=f"{result.tokens / result.params:,.0f} tokens a parameter.",
        ),
        Figure(
            label="Predicted loss",
            value="n/a" if result.loss is None else f"{result.loss:.4f}",
            help="The scaling law's prediction for the model and tokens.",
        ),
        Figure(
            label="Monthly cost",
            value=usd(result.monthly_cost_usd),
            delta=against,
            help="Training (retrains a month × cost a run), serving and the commitments' "
            "saving, priced as the Overview prices the applied plan.",
            falling=falling,
        ),
        Figure(
            label="Status",
            value=_STATUS_WORDS[result.status],
            help="Optimal: within 0.1% of the search's lower bound on the loss."
            if result.status is PlanStatus.OPTIMAL
            else f"Within {result.gap:.2%} of the search's lower bound on the loss.",
        ),
    ]


def training_frame(result: PlanResult) -> pd.DataFrame:
    """The training plan, one row per fact."""
    run = result.summary()["training"]
    hours = run["wall_clock_hours"]
    return pd.DataFrame(
        [
            ("Instances", f"{run['instances']} × {run['instance_type']} ({run['gpus']} GPUs)"),
            ("Pricing", run["pricing"].replace("_", "-")),
            ("Time a run", f"{hours:,.0f} h ({hours / 24:.1f} days)"),
            ("Cost a run", usd(run["cost_per_run_usd"])),
            ("Runs a month", f"{run['runs_per_month']:.3g}"),
            ("Training a month", usd(run["usd_per_month"])),
            *_checkpointing(result),
        ],
        columns=["what", "value"],
    )


def _checkpointing(result: PlanResult) -> list[tuple[str, str]]:
    spot = result.economics.training[0].spot
    if spot is None:
        return []
    return [
        (
            "Checkpointing",
            f"every {spot.interval_hours:,.2f} h of work; expected overhead "
            f"{spot.expected_overhead_fraction:.1%}",
        )
    ]


def serving_frame(result: PlanResult) -> pd.DataFrame:
    """The serving plan, one row per fact, with the instance mix by instance-hours."""
    serving = result.summary()["serving"]
    rows = [
        ("Instance types", ", ".join(serving["instance_types"])),
        ("Precision", serving["precision"]),
        ("Peak instances", f"{serving['peak_instances']}"),
        ("Serving a month", usd(serving["usd_per_month"])),
        ("Time to first token", f"{serving['ttft_ms']:,.0f} ms"),
        ("Time per output token", f"{serving['tpot_ms']:,.1f} ms"),
        ("Cost per 1M output tokens", usd(serving["usd_per_1m_output_tokens"])),
    ]
    mix = instance_mix(result)
    if mix:
        rows.append(("Instance mix (instance-hours)", mix))
    return pd.DataFrame(rows, columns=["what", "value"])


def instance_mix(result: PlanResult) -> str | None:
    """The endpoint's hours by tier in words, e.g. "62% on-demand, 38% spot"."""
    fleet = result.economics.endpoints[0].outcome.fleet
    if fleet is None:
        return None
    hours = {"on-demand": float(fleet.on_demand.sum()), "spot": float(fleet.spot.sum())}
    total = sum(hours.values())
    if total <= 0:
        return None
    return ", ".join(f"{value / total:.0%} {tier}" for tier, value in hours.items() if value > 0)


def commitments_frame(result: PlanResult) -> pd.DataFrame:
    """The commitment portfolio, one row a commitment (empty when none is bought)."""
    lines: list[dict[str, Any]] = result.summary()["commitments"]
    columns = ["kind", "what", "start_year", "term_months", "obligation_usd", "break_even", "use"]
    return pd.DataFrame(
        [
            {
                "kind": line["kind"].replace("_", " "),
                "what": (
                    f"{line['count']} × {line['pool']}"
                    if line.get("pool") is not None
                    else f"${line['usd_per_hour']:,.2f}/h"
                ),
                "start_year": line["start_year"],
                "term_months": line["term_months"],
                "obligation_usd": line["obligation_usd"],
                "break_even": line["break_even_utilisation"],
                "use": line["utilisation"],
            }
            for line in lines
        ],
        columns=columns,
    )


def options_frame(result: PlanResult) -> pd.DataFrame:
    """Each serving option's monthly cost and instance (blank where it cannot serve), the
    plan's own marked."""
    served = result.endpoint
    frame = pd.DataFrame(
        list(result.serving_options),
        columns=["gpu", "precision", "instance_type", "usd_per_month", "size_costed"],
    )
    frame["chosen"] = (frame["gpu"] == result.serving_gpu) & (
        frame["precision"] == str(served.model.precision)
    )
    return frame


def frontier_frame(rows: Sequence[dict[str, float]]) -> pd.DataFrame:
    """The frontier's plans that fit (a loss), the last marked as "the next $1,000"."""
    frame = pd.DataFrame(
        list(rows), columns=["budget_usd_per_month", "monthly_cost_usd", "loss", "params"]
    )
    frame["next_1000"] = False
    if not frame.empty:
        frame.loc[frame.index[-1], "next_1000"] = True
    return frame.dropna(subset=["loss"]).sort_values("monthly_cost_usd")


def frontier_chart(
    rows: Sequence[dict[str, float]], monthly_cost_usd: float, loss: float
) -> alt.LayerChart:
    """Predicted loss against monthly cost, each point a full plan for its budget; the
    chosen plan a red diamond."""
    frame = frontier_frame(rows)
    tooltip = [
        alt.Tooltip("budget_usd_per_month:Q", title="Budget", format="$,.0f"),
        alt.Tooltip("monthly_cost_usd:Q", title="Monthly cost", format="$,.0f"),
        alt.Tooltip("loss:Q", title="Predicted loss", format=".4f"),
        alt.Tooltip("params:Q", title="Parameters", format=".3s"),
    ]
    x = alt.X(
        "monthly_cost_usd:Q",
        scale=alt.Scale(type="log", nice=False, padding=12),
        title="Monthly cost (USD)",
        axis=alt.Axis(format="$,.0f"),
    )
    y = alt.Y("loss:Q", scale=alt.Scale(zero=False), title="Predicted loss")
    base = alt.Chart(frame, title="The best plan at each monthly budget")
    line = base.mark_line(color=_LINE).encode(x=x, y=y)
    dots = base.mark_circle(size=50, color=_LINE).encode(x=x, y=y, tooltip=tooltip)
    chosen = (
        alt.Chart(pd.DataFrame([{"monthly_cost_usd": monthly_cost_usd, "loss": loss}]))
        .mark_point(size=220, filled=True, color=_CHOSEN, shape="diamond")
        .encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip("monthly_cost_usd:Q", title="The plan", format="$,.0f"),
                alt.Tooltip("loss:Q", title="Predicted loss", format=".4f"),
            ],
        )
    )
    chart: alt.LayerChart = (line + dots + chosen).properties(height=320)
    return chart


def next_thousand(rows: Sequence[dict[str, float]], loss: float) -> str | None:
    """What $1,000 a month more buys, from the frontier's last row; ``None`` without one."""
    if not rows or not math.isfinite(rows[-1]["loss"]):
        return None
    last = rows[-1]
    return (
        f"The next $1,000 a month buys: loss {loss:.4f} → {last['loss']:.4f} "
        f"(a {billions(last['params'])} model)."
    )

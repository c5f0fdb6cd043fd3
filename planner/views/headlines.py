"""The headline figures pages show: short enough for a metric, exact in its tooltip."""

from __future__ import annotations

from planner.core.formatting import Figure, usd, usd_change, usd_short
from planner.costing.economics import UnitEconomics


def _exact(value: float | None, what: str, otherwise: str = "") -> str:
    return f"Exactly {usd(value)} {what}." if value is not None else otherwise


def overview_figures(
    result: UnitEconomics, *, change: float | None, noun: str = "request"
) -> list[Figure]:
    """The Overview's headline figures, each scaled to fit its metric, with the exact amount
    in its tooltip; ``change`` is the monthly total's change made by the last edit, ``noun``
    what one request is to the user.

    >>> from planner.costing.economics import evaluate
    >>> from planner.scenario.starters import ChatbotAnswers, chatbot
    >>> chat = chatbot(ChatbotAnswers(conversations_per_month=2e6, input_tokens=1200,
    ...                               output_tokens=300, preset="Llama-3.1-8B"))
    >>> total, *_, last = overview_figures(evaluate(chat), change=-106.4, noun="conversation")
    >>> total.value, total.delta, total.falling, last.label, last.value
    ('$10,868', 'this change: −$106.40/month', True, 'Per conversation', '$0.00543')
    >>> [figure.label for figure in overview_figures(evaluate(chat), change=None)]
    ['Monthly cost', 'Per 1,000 requests', 'Per request']
    """
    items = [
        Figure(
            label="Monthly cost",
            value=usd_short(result.monthly_cost_usd),
            delta=None if change is None else usd_change(change),
            falling=None if change is None else change < 0,
            help=_exact(result.monthly_cost_usd, "a month")
            + ("" if change is None else " The change is the last edit's, on any page."),
        ),
        Figure(
            label=f"Per 1,000 {noun}s",
            value=usd_short(result.per_1k_requests_usd),
            help=_exact(result.per_1k_requests_usd, f"per 1,000 {noun}s"),
        ),
    ]
    # A figure the scenario cannot give (no users stated, no training) is left out, not "n/a".
    if result.per_user_usd is not None:
        items.append(
            Figure(
                label="Per user per month",
                value=usd_short(result.per_user_usd),
                help=_exact(result.per_user_usd, "per user a month"),
            )
        )
    if result.per_training_run_usd is not None:
        items.append(
            Figure(
                label="Per training run",
                value=usd_short(result.per_training_run_usd),
                help="Training cost per month ÷ runs per month, over every training job. "
                + _exact(result.per_training_run_usd, "per run"),
            )
        )
    if result.gross_margin is not None:
        items.append(Figure(label="Gross margin", value=f"{result.gross_margin:.1%}"))
    else:
        items.append(
            Figure(
                label=f"Per {noun}",
                value=usd_short(result.per_request_usd),
                help=_exact(result.per_request_usd, f"per {noun}")
                + (
                    " Give monthly active users (Assumptions → Business) for a cost per user."
                    if result.per_user_usd is None
                    else ""
                ),
            )
        )
    return items

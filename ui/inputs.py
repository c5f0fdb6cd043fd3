"""Input widgets that project a scenario and return the edited one.

Each section of the scenario is a ``st.data_editor`` table (or a few widgets for the
single-valued sections). The edited rows go back through the planner's schema, so an
impossible value gets the same message in the app as in a YAML file, and the last valid
scenario stays in force until it is fixed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from planner.catalog import PriceTier
from planner.core.errors import PlannerInputError
from planner.core.units import TrafficPeriod, per_day, per_period
from planner.scenario import RequestUnit, Scenario, scenario_from_mapping, scenario_to_mapping
from planner.scenario.serving import ModelKind, ServedModel
from planner.scenario.stated import StatedUnit
from ui import cache, page, state, widgets

_TIERS = [str(tier) for tier in PriceTier]
_STATED_UNIT_WORDS = {
    StatedUnit.USD_PER_REQUEST: "$ per request",
    StatedUnit.USD_PER_DAY: "$ per day",
    StatedUnit.USD_PER_MONTH: "$ per month",
    StatedUnit.USD_PER_QUARTER: "$ per quarter",
    StatedUnit.USD_PER_YEAR: "$ per year",
    StatedUnit.USD_PER_RUN: "$ per training run",
    StatedUnit.USD_PER_GPU_HOUR: "$ per GPU-hour",
}
_PERIOD_WORDS = {
    TrafficPeriod.SECOND: "per second",
    TrafficPeriod.DAY: "per day",
    TrafficPeriod.MONTH: "per month",
}


def _table(
    rows: list[dict[str, Any]], config: Mapping[str, Any], *, key: str
) -> list[dict[str, Any]]:
    frame = pd.DataFrame(rows, columns=list(config))
    edited = st.data_editor(
        frame,
        column_config=dict(config),
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        # An empty cell is an unset value (the captions say what it falls back to), not "None".
        placeholder="",
        key=key,
    )
    records = []
    for record in edited.to_dict("records"):
        cleaned = {k: widgets.plain(v) for k, v in record.items()}
        present = {k: v for k, v in cleaned.items() if v is not None and v != ""}
        if present:
            records.append(present)
    return records


def _instance_column(label: str) -> Any:
    return st.column_config.SelectboxColumn(
        label, options=sorted(cache.catalog().instances), required=True, width="medium"
    )


def assumption_tabs(base: Scenario, key: str) -> dict[str, Any]:
    """Draw every section's inputs, starting from ``base``; return the edited mapping."""
    data = scenario_to_mapping(base)
    number = st.column_config.NumberColumn
    tabs = st.tabs(
        [
            "Serving",
            "Training",
            "Storage & transfer",
            "Tooling",
            "Business",
            "Pricing",
            "Stated figures",
        ]
    )
    with tabs[0]:
        _described_on(
            "app_pages/serving.py",
            "Serving page",
            pd.DataFrame(
                [
                    {
                        "name": e.name,
                        "instance_type": e.instance_type,
                        "requests_per_day": e.traffic.requests_per_day,
                        "model": e.model.label
                        if e.model.kind == ModelKind.LLM
                        else "classic model",
                        "tiers": ", ".join(tier.label for tier in e.mix.tiers),
                    }
                    for e in base.serving
                ],
                columns=["name", "instance_type", "requests_per_day", "model", "tiers"],
            ),
            {
                "name": "Endpoint",
                "instance_type": "Instance type",
                "requests_per_day": st.column_config.NumberColumn("Requests/day", format="%,.0f"),
                "model": "Model",
                "tiers": "Tiers it may buy",
            },
        )
    with tabs[1]:
        _described_on(
            "app_pages/training.py",
            "Training page",
            pd.DataFrame(
                [
                    {
                        "name": job.name,
                        "instance": f"{job.instance_count} × {job.instance_type}",
                        "hours": "as stated" if job.stated_hours else "from the model",
                        "models_per_month": job.models_per_month,
                        "pricing": job.pricing.label,
                    }
                    for job in base.training
                ],
                columns=["name", "instance", "hours", "models_per_month", "pricing"],
            ),
            {
                "name": "Job",
                "instance": "Instances",
                "hours": "Hours per run",
                "models_per_month": st.column_config.NumberColumn("Models/month", format="%.3g"),
                "pricing": "Pricing",
            },
        )
    with tabs[2]:
        left, right = st.columns(2)
        with left:
            st.caption("Object storage. Empty price: the catalog's per-GB-month rate.")
            data["storage"] = _table(
                data["storage"],
                {
                    "name": st.column_config.TextColumn("Name", required=True),
                    "gb": number("GB", min_value=0, format="%,.0f", required=True),
                    "usd_per_gb_month": number("USD/GB-month", min_value=0, format="%.4f"),
                },
                key=f"_storage_{key}",
            )
        with right:
            st.caption("Data sent out. Empty price: the catalog's egress rate. Grows with traffic.")
            data["data_transfer"] = _table(
                data["data_transfer"],
                {
                    "name": st.column_config.TextColumn("Name", required=True),
                    "gb_per_month": number("GB/month", min_value=0, format="%,.0f", required=True),
                    "usd_per_gb": number("USD/GB", min_value=0, format="%.4f"),
                },
                key=f"_transfer_{key}",
            )
    with tabs[3]:
        st.caption(
            "Platform and tool costs. Share: the fraction of a shared cost this system carries."
        )
        data["tooling"] = _table(
            data["tooling"],
            {
                "name": st.column_config.TextColumn("Name", required=True),
                "usd_per_month": number("USD/month", min_value=0, format="$%,.0f", required=True),
                "share": number("Share", min_value=0.0, max_value=1.0, step=0.01, format="%.3f"),
            },
            key=f"_tooling_{key}",
        )
    with tabs[4]:
        data["business"] = _business(data["business"], key)
    with tabs[5]:
        data["pricing"] = _pricing(data["pricing"], key)
    with tabs[6]:
        st.caption(
            "Figures someone published or quoted. They never feed the model; the checks compare "
            "them with each other and with the model."
        )
        data["stated"] = _table(
            data["stated"],
            {
                "name": st.column_config.TextColumn("Name", required=True),
                "value": number("Value", min_value=0.0, format="%g", required=True),
                "unit": st.column_config.SelectboxColumn(
                    "Unit",
                    options=[str(u) for u in StatedUnit],
                    format_func=lambda unit: _STATED_UNIT_WORDS[StatedUnit(unit)],
                    required=True,
                ),
                "job": st.column_config.TextColumn("Training job (for per-run figures)"),
                "baseline": st.column_config.CheckboxColumn(
                    "About its baseline", help="The figure describes the job before its levers"
                ),
                "note": st.column_config.TextColumn("Note"),
            },
            key=f"_stated_{key}",
        )
    return data


_BUSINESS = (
    widgets.Number(
        "monthly_active_users",
        "Monthly active users (0: not known)",
        "users",
        {"min_value": 0.0, "step": 1000.0, "format": "%.0f"},
        optional=True,
    ),
    widgets.Number(
        "price_per_request_usd",
        "Revenue per request, USD (0: no margin shown)",
        "price",
        {"min_value": 0.0, "step": 0.001, "format": "%.5f"},
        optional=True,
    ),
)


def _model_words(model: ServedModel) -> str:
    return model.label if model.kind == ModelKind.LLM else "classic model"


def _business(business: dict[str, Any], key: str) -> dict[str, Any]:
    left, right = st.columns(2)
    for spec in _BUSINESS:
        widgets.number(left, business, spec, lambda stem: f"_{stem}_{key}")
    with left:
        business["requests_per_day"] = _product_traffic(business["requests_per_day"], key)
    with right:
        growth = st.slider(
            "Monthly traffic growth, %",
            min_value=-50.0,
            max_value=100.0,
            value=float(business["monthly_traffic_growth"]) * 100,
            step=0.5,
            key=f"_growth_{key}",
        )
        months = st.slider(
            "Projection, months",
            min_value=12,
            max_value=36,
            value=int(business["projection_months"]),
            step=6,
            key=f"_months_{key}",
        )
        units = [str(unit) for unit in RequestUnit]
        business["request_unit"] = st.selectbox(
            "Unit costs are per",
            options=units,
            index=units.index(business["request_unit"]),
            key=f"_unit_{key}",
            help="What one request is to your users: a chatbot's figures read per "
            "conversation. Every request is priced alike.",
        )
    business["monthly_traffic_growth"] = growth / 100
    business["projection_months"] = months
    return business


def _product_traffic(requests_per_day: float | None, key: str) -> float | None:
    """The product's own requests per day, entered per second, day or month (unset: the
    endpoints' traffic added up)."""
    number_column, period_column = st.columns([3, 1])
    period = period_column.selectbox(
        "Counted",
        options=list(TrafficPeriod),
        index=list(TrafficPeriod).index(TrafficPeriod.DAY),
        format_func=lambda item: _PERIOD_WORDS[TrafficPeriod(item)],
        key=f"_traffic_period_{key}",
    )
    shown = per_period(requests_per_day or 0.0, period)
    chosen = number_column.number_input(
        f"Product requests {_PERIOD_WORDS[period]} (0: add up the endpoints)",
        min_value=0.0,
        max_value=per_period(1e13, period),
        value=shown,
        step=1.0 if period == TrafficPeriod.SECOND else 1000.0,
        format="%.3f" if period == TrafficPeriod.SECOND else "%.0f",
        # One widget per period, so a new period shows the same traffic in its own unit.
        key=f"_requests_{period}_{key}",
    )
    if math.isclose(chosen, shown):
        # Unchanged: keep the exact figure rather than a round trip through the period.
        return requests_per_day
    return per_day(chosen, period) or None


def _pricing(pricing: dict[str, Any], key: str) -> dict[str, Any]:
    catalog = cache.catalog()
    left, right = st.columns(2)
    with left:
        tier = st.selectbox(
            "Default price tier",
            options=_TIERS,
            index=_TIERS.index(pricing["default_tier"]),
            format_func=lambda tier: PriceTier(tier).label,
            help="How build vs buy prices its self-hosted server. Each training job and "
            "endpoint names its own pricing on its page.",
            key=f"_tier_{key}",
        )
    discounts = {}
    with right:
        for term, label in (("reserved_1y", "1-year"), ("reserved_3y", "3-year")):
            assumed = catalog.assumption(f"{term}_discount")
            chosen = pricing[f"{term}_discount"]
            percent = st.number_input(
                f"{label} commitment discount, % off on-demand",
                min_value=0.0,
                max_value=95.0,
                value=100 * (assumed if chosen is None else chosen),
                step=1.0,
                help=(
                    f"Used only where the catalog has no published {label} price. The catalog "
                    f"assumes {assumed:.0%}: {catalog.assumptions[f'{term}_discount'].source}."
                ),
                key=f"_{term}_{key}",
            )
            discounts[f"{term}_discount"] = (
                None if math.isclose(percent / 100, assumed) else percent / 100
            )
    st.caption("Price overrides, for negotiated rates. An empty cell keeps the catalog price.")
    overrides = _table(
        pricing["overrides"],
        {
            "instance_type": _instance_column("Instance type"),
            "on_demand_usd_per_hour": _price_column("On-demand $/h"),
            "spot_usd_per_hour": _price_column("Spot $/h"),
            "reserved_1y_usd_per_hour": _price_column("1-year $/h"),
            "reserved_3y_usd_per_hour": _price_column("3-year $/h"),
        },
        key=f"_overrides_{key}",
    )
    with st.expander("Catalog prices: every instance, with its source and date"):
        st.dataframe(
            catalog.instance_frame(**discounts),
            hide_index=True,
            width="stretch",
            placeholder="—",
            column_config={
                "on_demand_usd_per_hour": _price_column("On-demand $/h"),
                "spot_usd_per_hour": _price_column("Spot $/h"),
                "reserved_1y_usd_per_hour": _price_column("1-year $/h"),
                "reserved_3y_usd_per_hour": _price_column("3-year $/h"),
                "on_demand_usd_per_gpu_hour": _price_column("On-demand $/GPU-h"),
                "reserved_1y_derived": st.column_config.CheckboxColumn("1-year derived"),
                "reserved_3y_derived": st.column_config.CheckboxColumn("3-year derived"),
            },
        )
    return {"default_tier": tier, **discounts, "overrides": overrides}


def _described_on(page_path: str, page_name: str, rows: pd.DataFrame, config: Any) -> None:
    """What the scenario has of a part described on its own page, and a link there: each
    job and endpoint is described once, where all of its inputs are."""
    if rows.empty:
        st.caption(f"None yet. Add one on the {page_name}.")
    else:
        st.caption(
            f"Each is priced exactly as the {page_name} shows it; its costs are in the "
            "breakdown above."
        )
        st.dataframe(rows, hide_index=True, width="stretch", column_config=config, placeholder="—")
    st.page_link(page_path, label=f"Edit on the {page_name}", icon=":material/edit:")


def _price_column(label: str) -> Any:
    return st.column_config.NumberColumn(label, min_value=0.0, format="$%.4f")


def edited_assumptions(base: Scenario) -> page.Edit:
    """Draw every section's inputs in tabs; return the scenario they describe, or why none."""
    return edited_scenario(assumption_tabs(base, str(state.revision())))


def edited_scenario(
    data: dict[str, Any], shown: Mapping[str, page.Shown] | None = None
) -> page.Edit:
    """The scenario the inputs describe, or why there is none: each bad field named as the
    inputs ``shown`` show it, by its label and in its unit."""
    try:
        return scenario_from_mapping(data), None
    except PlannerInputError as error:
        return None, page.in_user_terms(str(error), shown or {})

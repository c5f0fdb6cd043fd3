"""Inputs of the business-case pages: the build-vs-buy form, the range and variant tables.

Each returns plain data for the planner's schema to validate, so a bad value gets the same
message as in a YAML file, and the last valid scenario stays in force until it is fixed.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from planner import whatif
from planner.business_case import BusinessCase, Distribution
from planner.catalog import load_catalog
from planner.errors import PlannerInputError
from planner.scenario import Scenario, scenario_from_mapping, scenario_to_mapping

_NO_INSTANCE = "(my own monthly price)"


def _plain(value: Any) -> Any:
    """An edited cell as plain Python: empty cells (None, NaN, NA) become None."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _number(label: str, value: float | None, key: str, **kwargs: Any) -> Any:
    return st.number_input(label, value=value, key=key, **kwargs)


def build_vs_buy_form(base: Scenario, key: str) -> tuple[Scenario | None, str | None]:
    """The build-vs-buy assumptions as a form; on submit, the edited scenario or the problem.

    Returns ``(None, None)`` until the form is submitted.
    """
    data = scenario_to_mapping(base)
    bvb: dict[str, Any] = data["business_case"]["build_vs_buy"]
    hosted: dict[str, Any] = bvb["self_hosted"]
    saas: dict[str, Any] = bvb["saas"]
    with st.form(f"_bvb_form_{key}", border=True):
        general, build, buy = st.columns(3)
        with general:
            st.markdown("**Team and horizon**")
            bvb["horizon_months"] = _number(
                "Horizon, months (1–36)", int(bvb["horizon_months"]), f"_bvb_horizon_{key}", step=1
            )
            bvb["team_size"] = _number(
                "Team size, seats", int(bvb["team_size"]), f"_bvb_team_{key}", step=1
            )
            bvb["seats_added_per_year"] = _number(
                "Seats added per year", float(bvb["seats_added_per_year"]), f"_bvb_growth_{key}"
            )
            bvb["usd_per_engineer_hour"] = _number(
                "Engineer rate, USD/h (loaded)",
                float(bvb["usd_per_engineer_hour"]),
                f"_bvb_rate_{key}",
            )
            bvb["hours_per_engineer_day"] = _number(
                "Hours per engineer-day", float(bvb["hours_per_engineer_day"]), f"_bvb_day_{key}"
            )
            bvb["runs_per_seat_month"] = _number(
                "Runs logged per seat-month", float(bvb["runs_per_seat_month"]), f"_bvb_runs_{key}"
            )
            bvb["gb_per_run"] = _number(
                "Artifacts per run, GB", float(bvb["gb_per_run"]), f"_bvb_gb_{key}", format="%.3f"
            )
            bvb["initial_artifact_gb"] = _number(
                "Artifacts already stored, GB", float(bvb["initial_artifact_gb"]), f"_bvb_g0_{key}"
            )
        with build:
            st.markdown("**Build: self-host**")
            bvb["build_label"] = st.text_input("Name", bvb["build_label"], key=f"_bvb_bl_{key}")
            instances = [_NO_INSTANCE, *sorted(load_catalog().instances)]
            chosen = st.selectbox(
                "Tracking server from the catalog",
                instances,
                index=instances.index(hosted["server_instance_type"] or _NO_INSTANCE),
                key=f"_bvb_inst_{key}",
                help="Priced with the scenario's pricing tier and overrides.",
            )
            hosted["server_instance_type"] = None if chosen == _NO_INSTANCE else chosen
            hosted["server_usd_per_month"] = _number(
                "…or your own server price, USD/month",
                float(hosted["server_usd_per_month"]),
                f"_bvb_server_{key}",
            )
            hosted["database_usd_per_month"] = _number(
                "Database, USD/month", float(hosted["database_usd_per_month"]), f"_bvb_db_{key}"
            )
            hosted["kubernetes_control_plane_share"] = _number(
                "Share of a Kubernetes control plane (0–1)",
                float(hosted["kubernetes_control_plane_share"]),
                f"_bvb_k8s_{key}",
                help="0 on a cluster that runs anyway; the catalog prices a control plane.",
            )
            hosted["storage_usd_per_gb_month"] = _number(
                "Storage, USD/GB-month (empty: catalog object storage)",
                hosted["storage_usd_per_gb_month"],
                f"_bvb_storage_{key}",
                format="%.4f",
            )
            hosted["setup_hours"] = _number(
                "Setup, hours", float(hosted["setup_hours"]), f"_bvb_setup_{key}"
            )
            hosted["maintenance_hours_per_month"] = _number(
                "Maintenance, hours/month",
                float(hosted["maintenance_hours_per_month"]),
                f"_bvb_maint_{key}",
            )
            hosted["on_call_hours_per_month"] = _number(
                "On-call, hours/month",
                float(hosted["on_call_hours_per_month"]),
                f"_bvb_oncall_{key}",
            )
            hosted["upgrade_hours"] = _number(
                "Each upgrade, hours", float(hosted["upgrade_hours"]), f"_bvb_upg_{key}"
            )
            hosted["upgrade_every_months"] = _number(
                "An upgrade every … months",
                int(hosted["upgrade_every_months"]),
                f"_bvb_upgevery_{key}",
                step=1,
            )
            hosted["opportunity_engineer_days_per_year"] = _number(
                "Opportunity cost, engineer-days/year",
                float(hosted["opportunity_engineer_days_per_year"]),
                f"_bvb_opp_{key}",
                help="Engineer time lost to features the self-hosted tool lacks.",
            )
        with buy:
            st.markdown("**Buy: SaaS**")
            saas["product"] = st.text_input("Product", saas["product"], key=f"_bvb_product_{key}")
            saas["setup_hours"] = _number(
                "Adoption, hours", float(saas["setup_hours"]), f"_bvb_adopt_{key}"
            )
            saas["admin_hours_per_month"] = _number(
                "Administration, hours/month",
                float(saas["admin_hours_per_month"]),
                f"_bvb_adm_{key}",
            )
            bvb["stated_build_usd"] = _number(
                "Published build total, USD (optional)", bvb["stated_build_usd"], f"_bvb_sb_{key}"
            )
            bvb["stated_buy_usd"] = _number(
                "Published buy total, USD (optional)", bvb["stated_buy_usd"], f"_bvb_sy_{key}"
            )
        st.markdown(
            "**Plans** — your quote or the price list. Each month the team is on the cheapest "
            "plan that accepts it; empty max seats means no limit, empty included storage "
            "means unlimited."
        )
        number = st.column_config.NumberColumn
        edited = st.data_editor(
            pd.DataFrame(saas["plans"], columns=list(_PLAN_COLUMNS)),
            column_config={
                "name": st.column_config.TextColumn("Plan", required=True),
                "usd_per_seat_month": number("USD/seat-month", format="$%.2f"),
                "usd_per_month": number("Flat fee, USD/month", format="$%.2f"),
                "max_seats": number("Max seats", step=1),
                "included_storage_gb": number("Included storage, GB"),
                "storage_usd_per_gb_month": number("Overage, USD/GB-month", format="$%.4f"),
            },
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            key=f"_bvb_plans_{key}",
        )
        saas["plans"] = [
            {k: _plain(v) for k, v in row.items() if _plain(v) is not None}
            for row in edited.to_dict("records")
            if any(_plain(v) not in (None, "") for v in row.values())
        ]
        submitted = st.form_submit_button("Apply", type="primary")
    if not submitted:
        return None, None
    try:
        return scenario_from_mapping(data), None
    except PlannerInputError as error:
        return None, str(error)


_PLAN_COLUMNS = (
    "name",
    "usd_per_seat_month",
    "usd_per_month",
    "max_seats",
    "included_storage_gb",
    "storage_usd_per_gb_month",
)


def ranges_table(scenario: Scenario, parameters: tuple[whatif.Parameter, ...], key: str) -> Any:
    """A table of the key assumptions with editable low, likely and high values.

    Returns the edited table; :func:`ranges_from_table` turns it into ranges.
    """
    case = scenario.business_case
    rows = []
    for param in parameters:
        user = case.range_for(param.key) if case is not None else None
        rows.append(
            {
                "key": param.key,
                "assumption": param.label,
                "unit": param.unit,
                "base": whatif.value_of(scenario, param.key),
                "low": None if user is None else user.low,
                "likely": None if user is None or user.likely is None else user.likely,
                "high": None if user is None else user.high,
                "distribution": str(Distribution.TRIANGULAR if user is None else user.distribution),
            }
        )
    number = st.column_config.NumberColumn
    return st.data_editor(
        pd.DataFrame(
            rows,
            columns=["key", "assumption", "unit", "base", "low", "likely", "high", "distribution"],
        ),
        column_config={
            "key": None,
            "assumption": st.column_config.TextColumn("Assumption", disabled=True, width="large"),
            "unit": st.column_config.TextColumn("Unit", disabled=True),
            "base": number("Scenario value", disabled=True, format="plain"),
            "low": number("Low", format="plain"),
            "likely": number("Likely (empty: scenario value)", format="plain"),
            "high": number("High", format="plain"),
            "distribution": st.column_config.SelectboxColumn(
                "Distribution", options=[str(d) for d in Distribution], required=True
            ),
        },
        hide_index=True,
        width="stretch",
        key=key,
    )


def ranges_from_table(
    scenario: Scenario, edited: pd.DataFrame
) -> tuple[Scenario | None, str | None]:
    """The scenario with the table's ranges, or why they cannot be used.

    Rows with both low and high set become ranges; rows with neither use ± percent. Ranges
    keep their order (so an untouched table leaves the scenario, and its link, as it was);
    new ones come last, and ranges on parameters not in the table (set in YAML) are kept.
    """
    case = scenario.business_case
    from_table: dict[str, dict[str, Any] | None] = {}
    for row in edited.to_dict("records"):
        low, high, likely = _plain(row["low"]), _plain(row["high"]), _plain(row["likely"])
        if low is None and high is None:
            if likely is not None:
                return None, (
                    f"{row['assumption']}: a likely value needs a low and a high value too. "
                    "To fix: enter both, or clear the likely value."
                )
            from_table[str(row["key"])] = None
            continue
        if low is None or high is None:
            return None, (
                f"{row['assumption']}: enter both a low and a high value, or clear both to use "
                "± percent."
            )
        from_table[str(row["key"])] = {
            "parameter": row["key"],
            "low": low,
            "high": high,
            "likely": likely,
            "distribution": row["distribution"],
        }
    ranges: list[dict[str, Any]] = []
    for r in case.ranges if case else ():
        if r.parameter not in from_table:
            ranges.append(
                {
                    "parameter": r.parameter,
                    "low": r.low,
                    "high": r.high,
                    "likely": r.likely,
                    "distribution": str(r.distribution),
                }
            )
        elif (row_range := from_table.pop(r.parameter)) is not None:
            ranges.append(row_range)
    ranges += [r for r in from_table.values() if r is not None]
    return with_case_fields(scenario, ranges=ranges)


def with_case_fields(scenario: Scenario, **changes: Any) -> tuple[Scenario | None, str | None]:
    """The scenario with business-case fields changed, checked against the schema.

    A scenario without a business case keeps none while every field is at its default, so
    visiting a page does not change its link.
    """
    data = scenario_to_mapping(scenario)
    data["business_case"] = {**(data.get("business_case") or {}), **changes}
    try:
        changed = scenario_from_mapping(data)
    except PlannerInputError as error:
        return None, str(error)
    if scenario.business_case is None and changed.business_case == BusinessCase():
        return scenario, None
    return changed, None


def variant_table(
    scenario: Scenario,
    changes: dict[str, float],
    parameters: tuple[whatif.Parameter, ...],
    key: str,
) -> dict[str, float]:
    """A table of the key assumptions: the scenario's value and the variant's, editable.

    Returns the variant's changes: the rows whose value differs from the scenario's, and the
    changes to parameters not in the table (set in YAML), in their original order.
    """
    rows = []
    for param in parameters:
        base = whatif.value_of(scenario, param.key)
        rows.append(
            {
                "key": param.key,
                "assumption": param.label,
                "unit": param.unit,
                "base": base,
                "variant": changes.get(param.key, base),
            }
        )
    number = st.column_config.NumberColumn
    edited = st.data_editor(
        pd.DataFrame(rows, columns=["key", "assumption", "unit", "base", "variant"]),
        column_config={
            "key": None,
            "assumption": st.column_config.TextColumn("Assumption", disabled=True, width="large"),
            "unit": st.column_config.TextColumn("Unit", disabled=True),
            "base": number("Scenario value", disabled=True, format="plain"),
            "variant": number("Variant value", format="plain", required=True),
        },
        hide_index=True,
        width="stretch",
        key=key,
    )
    from_table: dict[str, float | None] = {}
    for row in edited.to_dict("records"):
        value = _plain(row["variant"])
        differs = value is not None and float(value) != float(row["base"])
        from_table[str(row["key"])] = float(value) if differs else None
    result = {k: from_table.pop(k, v) for k, v in changes.items()}
    result.update(from_table)
    return {k: v for k, v in result.items() if v is not None}

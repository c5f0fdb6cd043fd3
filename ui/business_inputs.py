"""Inputs of the business-case pages: the build-vs-buy form, the range and variant tables.

Each returns plain data for the planner's schema to validate, so a bad value gets the same
message as in a YAML file, and the last valid scenario stays in force until it is fixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from planner import whatif
from planner.catalog import load_catalog
from planner.core.errors import PlannerInputError
from planner.scenario import Scenario, scenario_from_mapping, scenario_to_mapping
from planner.scenario.business_case import BusinessCase, ChangeValue, Distribution
from ui import page, widgets
from ui.widgets import Number, plain

_NO_INSTANCE = "(my own monthly price)"


_TEAM = (
    Number("horizon_months", "Horizon, months (1–36)", "horizon", {"step": 1}),
    Number("team_size", "Team size, seats", "team", {"step": 1}),
    Number("seats_added_per_year", "Seats added per year", "growth"),
    Number("usd_per_engineer_hour", "Engineer rate, USD/h (loaded)", "rate"),
    Number("hours_per_engineer_day", "Hours per engineer-day", "day"),
    Number("runs_per_seat_month", "Runs logged per seat-month", "runs"),
    Number("gb_per_run", "Artifacts per run, GB", "gb", {"format": "%.3f"}),
    Number("initial_artifact_gb", "Artifacts already stored, GB", "g0"),
)
_SELF_HOSTED = (
    Number("server_usd_per_month", "…or your own server price, USD/month", "server"),
    Number("database_usd_per_month", "Database, USD/month", "db"),
    Number(
        "kubernetes_control_plane_share",
        "Share of a Kubernetes control plane (0–1)",
        "k8s",
        {"help": "0 on a cluster that runs anyway; the catalog prices a control plane."},
    ),
    Number(
        "storage_usd_per_gb_month",
        "Storage, USD/GB-month (empty: catalog object storage)",
        "storage",
        {"format": "%.4f"},
    ),
    Number("setup_hours", "Setup, hours", "setup"),
    Number("maintenance_hours_per_month", "Maintenance, hours/month", "maint"),
    Number("on_call_hours_per_month", "On-call, hours/month", "oncall"),
    Number("upgrade_hours", "Each upgrade, hours", "upg"),
    Number("upgrade_every_months", "An upgrade every … months", "upgevery", {"step": 1}),
    Number(
        "opportunity_engineer_days_per_year",
        "Opportunity cost, engineer-days/year",
        "opp",
        {"help": "Engineer time lost to features the self-hosted tool lacks."},
    ),
)
_SAAS = (
    Number("setup_hours", "Adoption, hours", "adopt"),
    Number("admin_hours_per_month", "Administration, hours/month", "adm"),
)
_STATED = (
    Number("stated_build_usd", "Published build total, USD (optional)", "sb"),
    Number("stated_buy_usd", "Published buy total, USD (optional)", "sy"),
)


def build_vs_buy_form(base: Scenario, key: str) -> tuple[Scenario | None, str | None]:
    """The build-vs-buy assumptions as a form; on submit, the edited scenario or the problem.

    Returns ``(None, None)`` until the form is submitted.
    """
    data = scenario_to_mapping(base)
    bvb: dict[str, Any] = data["business_case"]["build_vs_buy"]
    hosted: dict[str, Any] = bvb["self_hosted"]
    saas: dict[str, Any] = bvb["saas"]

    def widget_key(stem: str) -> str:
        return f"_bvb_{stem}_{key}"

    with st.form(f"_bvb_form_{key}", border=True):
        general, build, buy = st.columns(3)
        with general:
            st.markdown("**Team and horizon**")
            for spec in _TEAM:
                widgets.number(st, bvb, spec, widget_key)
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
            for spec in _SELF_HOSTED:
                widgets.number(st, hosted, spec, widget_key)
        with buy:
            st.markdown("**Buy: SaaS**")
            saas["product"] = st.text_input("Product", saas["product"], key=f"_bvb_product_{key}")
            for spec in _SAAS:
                widgets.number(st, saas, spec, widget_key)
            for spec in _STATED:
                widgets.number(st, bvb, spec, widget_key)
        st.markdown(
            "**Plans** — your quote or the price list. Each month the team is on the cheapest "
            "plan that accepts it; empty max seats means no limit, empty included storage "
            "means unlimited."
        )
        # The default number format: Streamlit's "plain" one shows 500.0 as 499.99999999999994.
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
            placeholder=page.UNSET,
            key=f"_bvb_plans_{key}",
        )
        saas["plans"] = [
            {k: plain(v) for k, v in row.items() if plain(v) is not None}
            for row in edited.to_dict("records")
            if any(plain(v) not in (None, "") for v in row.values())
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
            "base": number("Scenario value", disabled=True),
            "low": number("Low"),
            "likely": number("Likely (empty: scenario value)"),
            "high": number("High"),
            "distribution": st.column_config.SelectboxColumn(
                "Distribution", options=[str(d) for d in Distribution], required=True
            ),
        },
        hide_index=True,
        width="stretch",
        placeholder=page.UNSET,
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
        low, high, likely = plain(row["low"]), plain(row["high"]), plain(row["likely"])
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


def variant_editor(
    scenario: Scenario,
    changes: Mapping[str, ChangeValue],
    parameters: tuple[whatif.Parameter, ...],
    key: str,
) -> tuple[list[dict[str, Any]], str | None]:
    """A variant's changes as two tables: the key assumptions with the scenario's value and
    the variant's, and any other lever (a precision, a switch, an instance type, tiers).

    Returns the changes as plain data for the schema (in their original order, new ones
    last) and the problem with a typed value, if any. A lever row without a value yet is
    left out until it has one, so adding a row shows no error.
    """
    numbers = _number_table(scenario, changes, parameters, f"{key}_numbers")
    st.caption(
        "Any other lever: add a row, pick its path and type the variant's value, e.g. "
        "`serving[0].model.precision` = `int8`, `serving[0].autoscaling.enabled` = `true`, "
        "`serving[0].mix.tiers` = `[on_demand, spot]`, `training[0].pricing` = `spot`."
    )
    levers, problem = _lever_table(scenario, changes, {p.key for p in parameters}, f"{key}_levers")
    edited = {**numbers, **levers}
    ordered = {k: edited.pop(k) for k in changes if k in edited}
    ordered.update(edited)
    return [{"parameter": k, "value": v} for k, v in ordered.items()], problem


def _number_table(
    scenario: Scenario,
    changes: Mapping[str, ChangeValue],
    parameters: tuple[whatif.Parameter, ...],
    key: str,
) -> dict[str, float]:
    """The key assumptions' rows whose variant value differs from the scenario's."""
    rows = []
    for param in parameters:
        base = whatif.value_of(scenario, param.key)
        value = changes.get(param.key, base)
        rows.append(
            {
                "key": param.key,
                "assumption": param.label,
                "unit": param.unit,
                "base": base,
                # A lever set in YAML on a number (a word, say) shows as unchanged here; the
                # schema's message about it comes when the variant is applied.
                "variant": value if isinstance(value, int | float) else base,
            }
        )
    number = st.column_config.NumberColumn
    edited = st.data_editor(
        pd.DataFrame(rows, columns=["key", "assumption", "unit", "base", "variant"]),
        column_config={
            "key": None,
            "assumption": st.column_config.TextColumn("Assumption", disabled=True, width="large"),
            "unit": st.column_config.TextColumn("Unit", disabled=True),
            "base": number("Scenario value", disabled=True),
            "variant": number("Variant value", required=True),
        },
        hide_index=True,
        width="stretch",
        key=key,
    )
    result: dict[str, float] = {}
    for row in edited.to_dict("records"):
        value = plain(row["variant"])
        if value is not None and float(value) != float(row["base"]):
            result[str(row["key"])] = float(value)
    return result


def _lever_table(
    scenario: Scenario, changes: Mapping[str, ChangeValue], numbers: set[str], key: str
) -> tuple[dict[str, ChangeValue], str | None]:
    """Changes to anything outside the key assumptions, each typed as text."""
    rows = [
        {
            "parameter": k,
            "scenario": _shown(scenario, k),
            "value": whatif.format_change(v),
        }
        for k, v in changes.items()
        if k not in numbers
    ]
    options = [k for k in whatif.lever_keys(scenario) if k not in numbers]
    options += [row["parameter"] for row in rows if row["parameter"] not in options]
    edited = st.data_editor(
        pd.DataFrame(rows, columns=["parameter", "scenario", "value"]),
        column_config={
            "parameter": st.column_config.SelectboxColumn(
                "Lever (path)", options=options, width="large"
            ),
            "scenario": st.column_config.TextColumn("Scenario value", disabled=True),
            "value": st.column_config.TextColumn(
                "Variant value",
                help="A number, true or false, a word such as int8 or g5.xlarge, or a list "
                "such as [on_demand, spot].",
            ),
        },
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        key=key,
    )
    result: dict[str, ChangeValue] = {}
    for row in edited.to_dict("records"):
        parameter, text = plain(row["parameter"]), plain(row["value"])
        if not parameter or text is None or not str(text).strip():
            continue  # not filled in yet
        try:
            result[str(parameter)] = whatif.parse_value(str(text))
        except PlannerInputError as error:
            return result, f"{parameter}: {error}"
    return result, None


def _shown(scenario: Scenario, key: str) -> str:
    try:
        return whatif.format_change(whatif.lever_value(scenario, key))
    except PlannerInputError:
        return "(not in this scenario)"

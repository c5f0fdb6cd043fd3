"""Budget recovery: which levers bring the bill under budget by a deadline, week by week."""

import math
from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from planner.core.errors import PlannerInputError
from planner.core.formatting import usd
from planner.costing.economics import evaluate
from planner.finops.recovery import (
    MonthlyPools,
    RecoveryStatus,
    lever_library,
    plan_recovery,
    pools_from_economics,
    pools_from_stated,
)
from planner.scenario import Scenario, validated
from planner.scenario.finops import (
    MAX_WEEKS,
    BillPeriod,
    FinOps,
    LeverKey,
    LeverSetting,
    Objective,
    PoolSource,
    RecoveryPlan,
    StatedPools,
)
from planner.views.finops_charts import burndown_chart
from ui import cache, page, state

_SOURCE_LABELS = {
    PoolSource.BILL: "The bill on the Attribution page (sample or upload)",
    PoolSource.STATED: "Figures I state here",
    PoolSource.MODEL: "The scenario's cost model (Overview page)",
}
_OBJECTIVE_LABELS = {Objective.EFFORT: "least effort", Objective.RISK: "least risk"}


def _percent(where: Any, label: str, fraction: float, *, key: str) -> float:
    """A fraction edited as a percentage, returned as the stored value until it is changed.

    A number input, not a slider in whole percents: a stored 0.137 or 0.999 is shown as it
    is, and opening the page never writes back 0.14 or 1.0 (0.137 × 100 / 100 is not even
    0.137 in floating point, hence the stored value itself while the input is untouched).
    Out-of-range entries are the schema's to refuse, with its message.
    """
    shown = fraction * 100
    entered = where.number_input(
        label, min_value=0.0, max_value=100.0, value=shown, step=1.0, format="%g", key=key
    )
    return fraction if entered == shown else float(entered) / 100


def _pools(scenario: Scenario, plan: RecoveryPlan) -> MonthlyPools:
    """The plan's pools from its source. Raises PlannerInputError for unusable figures."""
    if plan.source is PoolSource.STATED:
        return pools_from_stated(plan)
    if plan.source is PoolSource.MODEL:
        return pools_from_economics(evaluate(scenario, cache.catalog()))
    finops = scenario.finops or FinOps()
    uploaded = state.billing_upload()
    bill = uploaded if uploaded is not None else cache.sample_bill(finops.sample)
    return cache.bill_pools(bill, bill.fingerprint)


def _lever_settings(edited: pd.DataFrame) -> tuple[LeverSetting, ...]:
    """Only what differs from the library becomes a setting, so links stay short."""
    library = {spec.key: spec for spec in lever_library()}
    settings = []
    for row in edited.to_dict("records"):
        key = LeverKey(row["key"])
        spec = library[key]

        def changed(value: object, default: float) -> float | None:
            if value is None or (isinstance(value, float) and math.isnan(value)):
                return None
            number = float(value)  # type: ignore[arg-type]
            return None if math.isclose(number, default, rel_tol=1e-9, abs_tol=1e-9) else number

        percent = changed(row["saving_percent"], spec.saving_fraction * 100)
        stated = row["saving_usd_per_month"]
        stated_usd = None if stated is None or pd.isna(stated) else float(stated)
        effort = changed(row["effort_engineer_weeks"], spec.effort_engineer_weeks)
        lead = changed(row["lead_weeks"], spec.lead_weeks)
        risk = changed(row["risk"], spec.risk)
        setting = LeverSetting(
            key=key,
            enabled=bool(row["enabled"]),
            saving_fraction=None if percent is None else percent / 100,
            saving_usd_per_month=stated_usd,
            effort_engineer_weeks=effort,
            lead_weeks=None if lead is None else int(lead),
            risk=None if risk is None else int(risk),
        )
        if setting != LeverSetting(key=key):
            settings.append(setting)
    return tuple(settings)


base = page.start(notice_icon=page.ERROR_ICON)
finops = base.finops or FinOps()
plan = finops.recovery
key = str(state.revision())

st.title("Budget recovery")
st.caption(
    "Set a target and a deadline: the planner picks the levers that get there with the least "
    "effort (or risk), says when each goes live, and shows the bill week by week. If no plan "
    "gets there, it says how far short the best one falls and what would be needed."
)
st.caption(
    ":material/link: The share link carries these settings, **not an uploaded bill**: whoever "
    "opens it sees the built-in sample bill until they upload the same export on the "
    "Attribution page."
)

with st.expander("Bill, target and team", expanded=True):
    c1, c2, c3 = st.columns(3)
    sources = list(PoolSource)
    source = c1.radio(
        "Where the costs come from",
        options=sources,
        index=sources.index(plan.source),
        format_func=lambda s: _SOURCE_LABELS[s],
        key=f"_rec_source_{key}",
    )
    periods = list(BillPeriod)
    period = c1.selectbox(
        "The figures I enter are per",
        options=periods,
        index=periods.index(plan.period),
        format_func=str,
        key=f"_rec_period_{key}",
        help="The plan works per month; quarterly or yearly figures are divided by 3 or 12.",
    )
    bill_usd = plan.bill_usd
    if source is PoolSource.STATED:
        bill_usd = (
            c2.number_input(
                f"Current bill, USD per {period}",
                min_value=0.0,
                value=float(plan.bill_usd or 0.0),
                step=1000.0,
                format="%.0f",
                key=f"_rec_bill_{key}",
            )
            or None
        )
    targets = ["budget", "cut"]
    target_kind = c2.radio(
        "Target",
        options=targets,
        index=0 if plan.budget_usd is not None else 1,
        format_func=lambda t: "a budget" if t == "budget" else "a cut in %",
        horizontal=True,
        key=f"_rec_target_{key}",
    )
    budget_usd = None
    cut = plan.cut_fraction
    if target_kind == "budget":
        budget_usd = c2.number_input(
            f"Budget, USD per {period}",
            min_value=0.0,
            value=float(plan.budget_usd if plan.budget_usd is not None else 0.0),
            step=1000.0,
            format="%.0f",
            key=f"_rec_budget_{key}",
        )
    else:
        cut = _percent(c2, "Cut the monthly bill by, %", plan.cut_fraction, key=f"_rec_cut_{key}")
    deadline = c3.slider(
        "Deadline, weeks",
        min_value=1,
        max_value=MAX_WEEKS,
        value=plan.deadline_weeks,
        key=f"_rec_deadline_{key}",
    )
    engineers = c3.number_input(
        "Engineers on it",
        min_value=0.5,
        max_value=1000.0,
        value=float(plan.engineers),
        step=0.5,
        key=f"_rec_engineers_{key}",
        help="Each engineer does one engineer-week of lever work per week.",
    )
    objectives = list(Objective)
    objective = c3.radio(
        "Among plans that reach the target, prefer",
        options=objectives,
        index=objectives.index(plan.objective),
        format_func=lambda o: _OBJECTIVE_LABELS[o],
        key=f"_rec_objective_{key}",
    )
    pools = plan.pools
    if source is PoolSource.STATED:
        st.caption(f"Parts of the bill, USD per {period}; what they leave is 'other'.")
        p = st.columns(6)

        def money(column: int, label: str, value: float, name: str) -> float:
            return float(
                p[column].number_input(
                    label,
                    min_value=0.0,
                    value=float(value),
                    step=1000.0,
                    format="%.0f",
                    key=f"_rec_pool_{name}_{key}",
                )
            )

        pools = StatedPools(
            training=money(0, "Training", pools.training, "training"),
            training_on_demand_share=_percent(
                p[1],
                "of which on demand, %",
                pools.training_on_demand_share,
                key=f"_rec_pool_share_{key}",
            ),
            serving=money(2, "Serving", pools.serving, "serving"),
            idle=money(3, "Idle compute", pools.idle, "idle"),
            storage=money(4, "Storage", pools.storage, "storage"),
            data_transfer=money(5, "Data transfer", pools.data_transfer, "transfer"),
        )

library = lever_library()
given = {s.key: s for s in plan.levers}
with st.expander("Levers: savings, effort, lead time and risk", expanded=False):
    st.caption(
        "Each lever saves a share of one part of the bill. Leave a cell as it is to keep the "
        "library's estimate (its source is in the last column); a stated saving in USD/month "
        "overrides the percentage."
    )
    rows = []
    for spec in library:
        setting = given.get(spec.key, LeverSetting(key=spec.key))
        rows.append(
            {
                "key": str(spec.key),
                "enabled": setting.enabled,
                "lever": spec.name,
                "pool": str(spec.pool),
                "saving_percent": 100
                * (
                    setting.saving_fraction
                    if setting.saving_fraction is not None
                    else spec.saving_fraction
                ),
                "saving_usd_per_month": setting.saving_usd_per_month,
                "effort_engineer_weeks": setting.effort_engineer_weeks
                if setting.effort_engineer_weeks is not None
                else spec.effort_engineer_weeks,
                "lead_weeks": setting.lead_weeks
                if setting.lead_weeks is not None
                else spec.lead_weeks,
                "risk": setting.risk if setting.risk is not None else spec.risk,
                "source": spec.source,
            }
        )
    number = st.column_config.NumberColumn
    edited = st.data_editor(
        pd.DataFrame(rows),
        column_config={
            "key": None,
            "enabled": st.column_config.CheckboxColumn("Use"),
            "lever": st.column_config.TextColumn("Lever", disabled=True, width="medium"),
            "pool": st.column_config.TextColumn("Acts on", disabled=True),
            "saving_percent": number(
                "Saving, % of it", min_value=0.0, max_value=99.0, step=1.0, format="%.0f%%"
            ),
            "saving_usd_per_month": number("Or USD/month", min_value=0.0, format="$%.0f"),
            "effort_engineer_weeks": number("Effort, eng-weeks", min_value=0.0, step=0.5),
            "lead_weeks": number("Lead, weeks", min_value=0, max_value=52, step=1),
            "risk": number("Risk 1-5", min_value=1, max_value=5, step=1),
            "source": st.column_config.TextColumn("Source", disabled=True, width="large"),
        },
        hide_index=True,
        width="stretch",
        placeholder=page.UNSET,
        key=f"_rec_levers_{key}",
    )

problem = None
try:
    levers = _lever_settings(edited)
    edited_plan = replace(
        plan,
        source=source,
        period=period,
        bill_usd=bill_usd,
        budget_usd=budget_usd,
        cut_fraction=cut,
        deadline_weeks=int(deadline),
        engineers=float(engineers),
        objective=objective,
        pools=pools,
        levers=levers,
    )
    if edited_plan != plan:
        candidate = validated(replace(base, finops=replace(finops, recovery=edited_plan)))
        _pools(candidate, edited_plan)  # the same checks as below, before the link changes
        state.update(candidate)
        plan = edited_plan
except PlannerInputError as error:
    problem = str(error)
except ValueError as error:
    problem = f"A lever setting is not valid: {error}"
if problem:
    st.error(page.plain_text(f"{problem} The last good settings are kept."), icon=page.ERROR_ICON)

scenario = state.scenario()
try:
    result = plan_recovery(plan, _pools(scenario, plan))
except PlannerInputError as error:
    st.error(page.plain_text(str(error)), icon=page.ERROR_ICON)
    st.stop()

if result.status is RecoveryStatus.UNREACHABLE:
    st.warning(page.plain_text(result.message()), icon=":material/warning:")
else:
    st.success(page.plain_text(result.message()), icon=":material/check_circle:")

st.caption("USD per month")
cols = st.columns(6)
cols[0].metric("Bill now", usd(result.current_usd_per_month))
cols[1].metric("Target", usd(result.target_usd_per_month))
cols[2].metric(
    f"By week {result.deadline_weeks}",
    usd(result.planned_usd_per_month),
    delta=f"-{usd(result.saving_usd_per_month)}",
    delta_color="inverse",
)
cols[3].metric("Shortfall", usd(result.shortfall_usd_per_month))
cols[4].metric("Effort, eng-weeks", f"{result.effort_engineer_weeks:g}")
cols[5].metric("Highest risk, 1-5", f"{result.max_risk}" if result.levers else "none")

st.altair_chart(burndown_chart(result.burndown_frame()), width="stretch")
st.markdown("**The plan, week by week**")
if result.levers:
    st.dataframe(
        result.levers_frame().drop(columns=["pool"]),
        hide_index=True,
        width="stretch",
        column_config={
            "week": "Live from week",
            "lever": st.column_config.TextColumn("Lever", width="medium"),
            "saving_usd_per_month": st.column_config.NumberColumn(
                "Saves, USD/month", format="dollar"
            ),
            "effort_engineer_weeks": "Effort, eng-weeks",
            "lead_weeks": "Lead, weeks",
            "risk": "Risk",
            "basis": st.column_config.TextColumn("How the saving is estimated", width="large"),
        },
    )
else:
    st.info("No lever is needed.")

chosen = {c.key: c for c in result.levers}
every = pd.DataFrame(
    [
        {
            "lever": lever.name,
            "pool": str(lever.pool),
            "alone_usd_per_month": lever.saving_usd_per_month,
            "effort": lever.effort_engineer_weeks,
            "lead_weeks": lever.lead_weeks,
            "risk": lever.risk,
            "in_plan": f"week {chosen[lever.key].week}"
            if lever.key in chosen
            else (
                "switched off"
                if not lever.enabled
                else "nothing to save"
                if lever.saving_usd_per_month <= 0
                else "lead time past the deadline"
                if max(lever.lead_weeks, 1) > result.deadline_weeks
                else "not needed"
                if result.reached
                else "no room in the team's weeks"
            ),
        }
        for lever in result.candidates
    ]
)
with st.expander("Every lever, and why it is in the plan or not", expanded=False):
    st.dataframe(
        every,
        hide_index=True,
        width="stretch",
        column_config={
            "alone_usd_per_month": st.column_config.NumberColumn(
                "Alone, USD/month", format="dollar"
            )
        },
    )
with st.expander("Where the numbers come from", expanded=False):
    st.dataframe(
        result.pools.frame(),
        hide_index=True,
        column_config={
            "usd_per_month": st.column_config.NumberColumn("USD/month", format="dollar")
        },
    )
    for line in (*result.assumptions, *result.notes):
        st.markdown(f"- {page.plain_text(line)}")

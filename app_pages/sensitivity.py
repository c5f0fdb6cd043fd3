"""Sensitivity and uncertainty: tornado, one-way sweeps, and Monte Carlo percentiles.

Every analysis prices the whole system with the one model, so its cost grows with the draws:
the Monte Carlo panel offers counts up to ``whatif.MAX_SAMPLES`` and says what it is doing
while it works. ``python -m planner sensitivity FILE --json`` prints the same numbers.
"""

import streamlit as st

from planner import whatif
from planner.core.errors import PlannerInputError
from planner.scenario import Scenario
from planner.scenario.business_case import BusinessCase, Output
from planner.views import whatif_charts
from ui import business_inputs, page, report_button, state, whatif_cache

SAMPLE_CHOICES = sorted({500, whatif.DEFAULT_SAMPLES, 5_000, whatif.MAX_SAMPLES})

base = page.start()
revision = state.revision()
st.title("Sensitivity and uncertainty")
st.caption(
    "Which assumptions move the answer, and how far: each one moved alone (tornado, sweeps), "
    "then all at once over their ranges (Monte Carlo)."
)
problem_box = st.container()
case = base.business_case or BusinessCase()
outputs = whatif.available_outputs(base)
left, right = st.columns([2, 1])
output = left.segmented_control(
    "Measure",
    outputs,
    default=whatif.default_output(base),
    format_func=lambda o: o.label,
    key=f"_sens_output_{revision}",
    required=True,
)
# A number input, not a slider on a grid: any valid stored value (99.99, 0.137) is shown as
# it is, so opening the page never rewrites it. The schema refuses 0 and 100 with a message.
percent = right.number_input(
    "Move each assumption without a range by ± %",
    min_value=0.0,
    max_value=100.0,
    value=case.tornado_percent,
    step=5.0,
    format="%g",
    key=f"_sens_percent_{revision}",
)
changes: dict[str, object] = {}
if output is not None and output != (case.tornado_output or whatif.default_output(base)):
    changes["tornado_output"] = str(output)
if percent != case.tornado_percent:
    changes["tornado_percent"] = percent

with st.expander("Ranges: low, likely and high values", expanded=False):
    st.caption(
        "Set a low and a high value to replace ± percent for that assumption; the likely value "
        "shapes the Monte Carlo draws (empty: the scenario's value). Clear both to go back "
        "to ± percent. Ranges travel with the share link."
    )
    try:
        parameters = whatif.key_parameters(base)
        table = business_inputs.ranges_table(base, parameters, key=f"_sens_ranges_{revision}")
    except PlannerInputError as error:
        # An assumption without a value (an instance with no price on its tier): no table
        # to edit, and the analyses below say the same under their own guards.
        with_ranges, problem = None, str(error)
    else:
        with_ranges, problem = business_inputs.ranges_from_table(base, table)
if problem:
    problem_box.error(page.plain_text(problem), icon=page.ERROR_ICON)
elif with_ranges is not None:
    edit = business_inputs.with_case_fields(with_ranges, **changes)
    page.record_edit(base, edit, problems=problem_box)

scenario = state.scenario()
output = output or whatif.default_output(scenario)
tornado_tab, sweep_tab, uncertainty_tab = st.tabs(["Tornado", "Sweep", "Uncertainty"])

with tornado_tab:
    try:
        with st.spinner(
            "Tornado: pricing the system with each assumption at its low and its high value…"
        ):
            tornado = whatif_cache.tornado(scenario, output)
    except PlannerInputError as error:
        st.error(page.plain_text(str(error)), icon=page.ERROR_ICON)
    else:
        frame = tornado.frame()
        st.metric(
            f"{output.label} at the scenario's values",
            whatif.format_output(output, tornado.base_output),
        )
        if frame.empty:
            st.info("Nothing to vary: every assumption is zero. Add costs, or set ranges.")
        else:
            st.altair_chart(whatif_charts.tornado_chart(frame, output), width="stretch")
            st.dataframe(tornado.table(), hide_index=True, width="stretch")
            for label in tornado.not_bracketing():
                st.caption(
                    f"{page.plain_text(label)}: the value at the scenario's setting lies outside "
                    "the bar, so the measure peaks or dips in between (a step or a plan change). "
                    "The Sweep tab shows its shape."
                )
        if output is Output.TCO_DIFFERENCE:
            with st.spinner("Switching values: searching each assumption's range…"):
                switches = whatif.switches_table(whatif_cache.switching_values(scenario))
            if len(switches):
                st.markdown("**Where the answer turns around** (each assumption alone)")
                st.dataframe(switches, hide_index=True, width="stretch")

with sweep_tab:
    wanted = (
        whatif.Scope.BUILD_VS_BUY
        if output is Output.TCO_DIFFERENCE
        else whatif.Scope.UNIT_ECONOMICS
    )
    # Any number of the scenario can be swept, the key assumptions first.
    relevant = [p for p in whatif.all_parameters(scenario) if p.scope is wanted]
    if not relevant:
        st.info("No assumption feeds this measure.")
    else:
        by_key = {p.key: p for p in relevant}
        key = st.selectbox(
            "Assumption",
            list(by_key),
            format_func=lambda k: by_key[k].label,
            key=f"_sweep_param_{revision}",
        )
        param = by_key[key]
        try:
            value: float | None = whatif.value_of(scenario, key)
        except PlannerInputError as error:  # an instance with no price on this tier
            st.error(page.plain_text(str(error)), icon=page.ERROR_ICON)
            value = None
        if value is not None:
            user = case.range_for(key)
            low_default = user.low if user else param.clamp(value * 0.5)
            high_default = user.high if user else param.clamp(value * 1.5 if value else 1.0)
            a, b, c = st.columns(3)
            low = a.number_input(
                "From", value=float(low_default), key=f"_sweep_low_{key}_{revision}", format="%g"
            )
            high = b.number_input(
                "To", value=float(high_default), key=f"_sweep_high_{key}_{revision}", format="%g"
            )
            points = c.slider("Points", 5, 101, 25, key=f"_sweep_points_{revision}")
            try:
                with st.spinner(f"Sweep: pricing the system at {points} values of {param.label}…"):
                    swept = whatif.sweep(scenario, key, output, low, high, points=points)
            except PlannerInputError as error:
                st.error(page.plain_text(str(error)), icon=page.ERROR_ICON)
            else:
                st.altair_chart(
                    whatif_charts.sweep_chart(
                        swept, f"{param.label} ({param.unit})", output, value
                    ),
                    width="stretch",
                )


@st.fragment
def uncertainty_panel(scenario: Scenario, output: Output) -> None:
    """Monte Carlo, a fragment: choosing another draw count reruns only this panel."""
    samples = st.segmented_control(
        "Draws",
        SAMPLE_CHOICES,
        default=whatif.DEFAULT_SAMPLES,
        format_func=lambda n: f"{n:,}",
        key="_mc_samples",
        required=True,
        help="Each draw prices the whole system once, so 20,000 draws take ten times as long "
        "as 2,000.",
    )
    samples = samples or whatif.DEFAULT_SAMPLES
    with st.status(f"Monte Carlo: pricing {samples:,} draws of the whole system…") as status:
        try:
            uncertainty = whatif_cache.monte_carlo(scenario, samples)
        except PlannerInputError as error:
            status.update(label="Monte Carlo could not run", state="error")
            st.error(page.plain_text(str(error)), icon=page.ERROR_ICON)
            return
        status.update(
            label=f"Monte Carlo: {uncertainty.samples:,} draws priced",
            state="complete",
            expanded=False,
        )
    if uncertainty.note:
        st.caption(f":material/speed: {uncertainty.note}")
    table = uncertainty.percentiles().set_index("output")
    name = str(output)
    if name in table.index and table.loc[name].isna().all():
        st.info(
            f"No draw could be priced for {output.label.lower()}: every one of the "
            f"{uncertainty.samples:,} draws left it undefined (for example no requests served). "
            "Widen the ranges or choose another measure.",
            icon=":material/info:",
        )
    elif name in table.index:
        row = table.loc[name]
        cols = st.columns(4)
        for col, label in zip(cols, ["p10", "p50", "p90"], strict=False):
            col.metric(label.upper(), whatif.format_output(output, float(row[label])))
        chance = uncertainty.probability_build_cheaper
        if chance is not None:
            cols[3].metric("Draws where building is cheaper", f"{chance:.0%}")
        st.altair_chart(
            whatif_charts.distribution_chart(uncertainty.outputs[name], output.label, output),
            width="stretch",
        )
    if uncertainty.fan is not None:
        st.altair_chart(whatif_charts.fan_chart(uncertainty.fan), width="stretch")
    st.caption(
        f"{uncertainty.samples:,} draws; each assumption independently from its range "
        "(triangular or PERT), or ± percent around the scenario's value where it has none."
    )


with uncertainty_tab:
    uncertainty_panel(scenario, output)

report_button.report_download(scenario)

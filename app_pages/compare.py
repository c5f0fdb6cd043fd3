"""Compare: two to four scenarios side by side, every figure with its difference.

Variants are this scenario with a few assumptions or levers changed. They are stored in the
scenario (``business_case.variants``), so they live in the session and travel with the
share link.
"""

from dataclasses import replace

import streamlit as st

from planner import whatif
from planner.core.errors import PlannerInputError
from planner.scenario import Scenario
from planner.scenario.business_case import BusinessCase, Variant
from planner.views import whatif_charts
from ui import business_inputs, cache, page, report_button, state, whatif_cache

_CURRENT = "current"


def _duplicate() -> None:
    scenario = state.scenario()
    case = scenario.business_case or BusinessCase()
    names = {v.name for v in case.variants}
    number = len(case.variants) + 1
    while f"Variant {number}" in names:
        number += 1
    variant = Variant(name=f"Variant {number}")
    state.update(replace(scenario, business_case=replace(case, variants=(*case.variants, variant))))


def _delete(index: int) -> None:
    scenario = state.scenario()
    case = scenario.business_case or BusinessCase()
    kept = case.variants[:index] + case.variants[index + 1 :]
    state.load(replace(scenario, business_case=replace(case, variants=kept)))


base = page.start()
revision = state.revision()
st.title("Compare")
st.caption(
    "Two to four scenarios side by side: this one, its variants and the gallery's. Every "
    "figure shows its difference (Δ) from the first."
)

st.subheader("Variants of this scenario")
case = base.business_case or BusinessCase()
st.caption(
    "A variant is this scenario with a few assumptions or levers changed (a number, a "
    "precision, autoscaling on or off, an instance type, the tiers a fleet may buy). "
    "Variants are saved in the scenario, so the share link and the YAML download carry them."
)
st.button(
    "Duplicate as variant",
    on_click=_duplicate,
    icon=":material/content_copy:",
    disabled=len(case.variants) >= 10,
    help="Adds a copy of this scenario to edit below (up to 10).",
)
if not case.variants:
    st.caption(
        "No variants yet: duplicate this scenario to try a what-if, or compare gallery cases below."
    )
variant_problem = st.container()
parameters = whatif.key_parameters(base)
edited_variants = []
typing_problems = []
for index, variant in enumerate(case.variants):
    with st.expander(
        f"Variant: {page.plain_text(variant.name)}", expanded=index == len(case.variants) - 1
    ):
        name = st.text_input("Name", variant.name, key=f"_variant_name_{index}_{revision}")
        changes, typed = business_inputs.variant_editor(
            base,
            {c.parameter: c.value for c in variant.changes},
            parameters,
            key=f"_variant_{index}_{revision}",
        )
        st.button(
            "Delete this variant",
            key=f"_variant_delete_{index}_{revision}",
            on_click=_delete,
            args=(index,),
            icon=":material/delete:",
        )
    if typed:
        typing_problems.append(f'Variant "{name}": {typed}')
    edited_variants.append({"name": name, "changes": changes})
if case.variants:
    edited, problem = business_inputs.with_case_fields(base, variants=edited_variants)
    problem = problem or (typing_problems[0] if typing_problems else None)
    if problem is None and edited is not None and edited != base:
        try:
            for variant in (edited.business_case or BusinessCase()).variants:
                whatif.variant_scenario(edited, variant)
        except PlannerInputError as error:
            problem = str(error)
        else:
            state.update(edited)
    if problem:
        variant_problem.error(page.plain_text(problem), icon=":material/error:")

scenario = state.scenario()
case = scenario.business_case or BusinessCase()
gallery = cache.gallery_entries()
options: dict[str, str] = {_CURRENT: f"This scenario: {scenario.title}"}
options.update({f"variant:{i}": f"Variant: {v.name}" for i, v in enumerate(case.variants)})
options.update({f"gallery:{key}": f"Gallery: {entry.title}" for key, entry in gallery.items()})
keys = list(options)

st.subheader("Side by side")
count = st.radio("How many", [2, 3, 4], horizontal=True, key="_compare_count")
# Start from this scenario, then its variants, then gallery cases other than this one.
defaults = [k for k in keys if not k.startswith("gallery:") or gallery[k[8:]].scenario != scenario]
columns = st.columns(count)
chosen = [
    columns[slot].selectbox(
        f"Scenario {'ABCD'[slot]}",
        keys,
        index=keys.index(defaults[slot]),
        format_func=options.__getitem__,
        key=f"_compare_slot_{slot}_{len(keys)}",
    )
    for slot in range(count)
]


def _entry(key: str) -> tuple[str, Scenario]:
    if key == _CURRENT:
        return "This scenario", scenario
    kind, _, ref = key.partition(":")
    if kind == "variant":
        variant = case.variants[int(ref)]
        return variant.name, whatif.variant_scenario(scenario, variant)
    return gallery[ref].title, gallery[ref].scenario


# A variant with no changes yet is this scenario: say so calmly rather than refuse it.
empty = [
    case.variants[int(key.partition(":")[2])].name
    for key in chosen
    if key.startswith("variant:") and not case.variants[int(key.partition(":")[2])].changes
]
comparison = None
if empty and (_CURRENT in chosen or len(empty) > 1):
    st.info(
        f"{page.plain_text(empty[0])} has no changes yet, so it is the same as this scenario: "
        "change an assumption or a lever in its tables above to see what it does.",
        icon=":material/edit:",
    )
else:
    try:
        with st.spinner(f"Comparing {len(chosen)} variants: pricing each whole system…"):
            comparison = whatif_cache.compare(tuple(_entry(key) for key in chosen))
    except PlannerInputError as error:
        st.error(page.plain_text(str(error)), icon=":material/error:")
if comparison is not None:
    st.dataframe(comparison.frame(), hide_index=True, width="stretch")
    headline = comparison.headline()
    if len(headline) and headline["usd"].abs().sum() > 0:
        st.altair_chart(whatif_charts.comparison_chart(headline), width="stretch")

report_button.report_download(scenario)

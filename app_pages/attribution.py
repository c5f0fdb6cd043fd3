"""Attribution: who owns each dollar of a FOCUS bill (showback), and their invoices (chargeback)."""

import math
from dataclasses import replace

import pandas as pd
import streamlit as st

from planner.core.errors import PlannerInputError
from planner.core.formatting import usd
from planner.finops.attribution import POOL_LABELS, Pool, cents_text
from planner.io import billing as billing_io
from planner.scenario import validated
from planner.scenario.finops import (
    AttributionRule,
    CostView,
    FinOps,
    FixedWeight,
    ReportMode,
    SharedRule,
)
from planner.views.finops_charts import breakdown_chart, showback_chart
from ui import cache, page, state

_UPLOAD = "_billing_upload"


def _on_upload() -> None:
    """Read an uploaded export; a bad one becomes a notice and changes nothing."""
    uploaded = st.session_state.get(_UPLOAD)
    if uploaded is None:
        return
    kept = "the previous upload" if state.billing_upload() is not None else "the sample bill"
    try:
        billing_io.check_size(uploaded.size, uploaded.name, billing_io.MAX_UPLOAD_BYTES)
        bill = billing_io.read_billing_bytes(
            uploaded.getvalue(), uploaded.name, max_bytes=billing_io.MAX_UPLOAD_BYTES
        )
    except PlannerInputError as error:
        state.add_notice(f"{uploaded.name} was not loaded, so {kept} is still shown. {error}")
        return
    except Exception as error:  # the last guard: an upload never shows a traceback
        state.add_notice(
            f"{uploaded.name} could not be read ({type(error).__name__}), so {kept} is still "
            "shown. Check that it is a FOCUS export in CSV or Parquet."
        )
        return
    state.set_billing_upload(bill)


def _cents(cents: int) -> str:
    """Whole cents for people: $1,234.56 (exact: the cents are integers)."""
    text = cents_text(cents)
    whole, part = text.lstrip("-").split(".")
    return f"{'-' if cents < 0 else ''}${int(whole):,}.{part}"


base = page.start(notice_icon=page.ERROR_ICON)
finops = base.finops or FinOps()
current = finops.attribution
key = str(state.revision())

st.title("Attribution: who owns the bill")
st.caption(
    "Owners come from the bill's tags. Showback reports what each owner costs; chargeback "
    "bills it to them, with invoices that add up to the bill to the cent. Both use the same "
    "arithmetic."
)

uploaded_bill = state.billing_upload()
bill = uploaded_bill if uploaded_bill is not None else cache.sample_bill(finops.sample)

with st.container(border=True):
    left, right = st.columns([3, 2])
    with left:
        st.file_uploader(
            "Upload a FOCUS billing export",
            type=["csv", "gz", "parquet"],
            key=_UPLOAD,
            on_change=_on_upload,
            max_upload_size=max(1, math.ceil(billing_io.MAX_UPLOAD_BYTES / 1024 / 1024)),
            help=(
                "FOCUS 1.0-1.2 columns, as CSV (.csv or .csv.gz) or Parquet, up to "
                f"{billing_io.MAX_UPLOAD_BYTES // 1024 // 1024} MB. Rows that cannot be used "
                "are listed with their line numbers; the rest are used."
            ),
        )
    with right:
        st.markdown(
            f"**Showing:** {page.plain_text(bill.source)}  \n{bill.rows_read:,} rows read, "
            f"{bill.rows_rejected:,} rejected"
        )
        if uploaded_bill is not None:
            st.button(
                "Use the sample bill instead",
                on_click=state.set_billing_upload,
                args=(None,),
                key="_billing_use_sample",
            )
    st.caption(
        ":material/link: The share link carries the settings on this page (cost view, rules, "
        "split, report), **not the uploaded file**: whoever opens the link sees the built-in "
        "sample bill until they upload the same export."
    )

with st.expander("Contract commitments (FOCUS 1.3), listed beside the bill"):
    commitments_file = st.file_uploader(
        "Upload a FOCUS 1.3 Contract Commitment dataset",
        type=["csv", "gz"],
        key="_commitments_upload",
        help="The terms of your commitments (ContractCommitmentId, cost, period, status), "
        "as CSV. They are listed here; the bill's own commitment rows do the attributing.",
    )
    if commitments_file is not None:
        try:
            found = billing_io.read_contract_commitments_bytes(
                commitments_file.getvalue(), commitments_file.name
            )
        except PlannerInputError as error:
            st.warning(
                page.plain_text(f"{commitments_file.name} was not read. {error}"),
                icon=":material/info:",
            )
        else:
            st.dataframe(found.frame(), hide_index=True, width="stretch")
            for rejection in found.rejections:
                st.caption(page.plain_text(f"Line {rejection.line} not read: {rejection.reason}"))
            for note in found.notes:
                st.caption(page.plain_text(note))

# ----------------------------------------------------------------------------- settings
keys = list(dict.fromkeys([*bill.tag_keys, *(r.tag_key for r in current.rules)]))
mapped = tuple(r for r in current.rules[1:] if r.mapping)
with st.expander("Attribution rules", expanded=True):
    c1, c2, c3 = st.columns(3)
    views = list(CostView)
    view = c1.radio(
        "Cost view",
        options=views,
        index=views.index(current.cost_view),
        format_func=lambda v: v.label,
        key=f"_attr_view_{key}",
        help=(
            "Amortized spreads commitment purchases over the usage they cover and shows the "
            "unused part; billed is cash as invoiced."
        ),
    )
    rules = list(SharedRule)
    shared_rule = c1.radio(
        "Split untagged and shared costs",
        options=rules,
        index=rules.index(current.shared_rule),
        format_func=lambda r: r.label,
        key=f"_attr_rule_{key}",
    )
    primary = c2.selectbox(
        "Owner tag",
        options=keys or ["team"],
        index=(keys or ["team"]).index(current.dimension) if current.dimension in keys else 0,
        key=f"_attr_by_{key}",
        help="The tag whose value names who owns a cost, e.g. team.",
    )
    fallback_options = [k for k in keys if k != primary]
    fallbacks = c2.multiselect(
        "Fallback tags, in order",
        options=fallback_options,
        default=[
            r.tag_key for r in current.rules[1:] if not r.mapping and r.tag_key in fallback_options
        ],
        key=f"_attr_fallbacks_{key}",
        help="Read when the owner tag is missing, e.g. an owner tag some teams use instead.",
    )
    if mapped:
        c2.caption(
            "Then: "
            + "; ".join(
                f"the {page.plain_text(r.tag_key)} tag mapped to an owner ({len(r.mapping)} values)"
                for r in mapped
            )
            + ", from the scenario file."
        )
    values = cache.cost_by(bill, bill.fingerprint, view, f"tag:{primary}")
    owner_values = [v for v in values["value"] if v != "(untagged)"]
    shared_options = list(dict.fromkeys([*owner_values, *current.shared_values]))
    shared_values = c3.multiselect(
        "Shared owners",
        options=shared_options,
        default=list(current.shared_values),
        key=f"_attr_shared_{key}",
        help="Owners whose costs everyone shares (e.g. the platform team): split like untagged.",
    )
    share_commitment = c3.checkbox(
        "Share unused commitment too",
        value=current.share_unused_commitment,
        key=f"_attr_commitment_{key}",
        help="Otherwise it is shown on its own and charged to no one.",
    )
    weights = current.weights
    if shared_rule is SharedRule.FIXED:
        starting = [{"owner": w.owner, "weight": w.weight} for w in current.weights] or [
            {"owner": owner, "weight": 1.0} for owner in owner_values if owner not in shared_values
        ]
        edited = st.data_editor(
            pd.DataFrame(starting, columns=["owner", "weight"]),
            column_config={
                "owner": st.column_config.TextColumn("Owner", required=True),
                "weight": st.column_config.NumberColumn("Weight", min_value=0.0, step=0.5),
            },
            num_rows="dynamic",
            hide_index=True,
            key=f"_attr_weights_{key}",
        )
        weights = tuple(
            FixedWeight(owner=str(row["owner"]), weight=float(row["weight"]))
            for row in edited.to_dict("records")
            if isinstance(row["owner"], str) and row["owner"] and pd.notna(row["weight"])
        )
modes = list(ReportMode)
mode = (
    st.segmented_control(
        "Report",
        options=modes,
        default=current.mode,
        format_func=lambda m: m.value.capitalize(),
        key=f"_attr_mode_{key}",
    )
    or current.mode
)

edited_settings = replace(
    current,
    rules=(
        AttributionRule(tag_key=primary),
        *(AttributionRule(tag_key=k) for k in fallbacks),
        *(r for r in mapped if r.tag_key != primary),
    ),
    shared_values=tuple(shared_values),
    shared_rule=shared_rule,
    weights=weights,
    share_unused_commitment=share_commitment,
    cost_view=view,
    mode=mode,
)
settings = current
if edited_settings != current:
    try:
        candidate = validated(replace(base, finops=replace(finops, attribution=edited_settings)))
    except PlannerInputError as error:
        st.error(
            page.plain_text(
                f"These settings cannot be used, so the last good ones are kept. {error}"
            )
        )
    else:
        state.update(candidate)
        settings = edited_settings

# ----------------------------------------------------------------------------- results
result = cache.attribution(bill, bill.fingerprint, settings)
dimension = settings.dimension
cols = st.columns(6)
cols[0].metric("Bill total", usd(result.total_usd), help=f"The {settings.cost_view.label} view")
coverage = result.coverage.ratio
cols[1].metric(
    "Tag coverage",
    "n/a" if coverage is None else f"{coverage:.1%}",
    help=(
        "Share of usage cost the rules attribute to an owner"
        + (
            f"; the {page.plain_text(dimension)} tag alone: {result.coverage.primary_ratio:.1%}"
            if result.coverage.primary_ratio is not None
            else ""
        )
    ),
)
cols[2].metric("Untagged", usd(result.pool_cents(Pool.UNTAGGED) / 100))
cols[3].metric(
    "Idle",
    "n/a" if result.idle_cents is None else usd(result.idle_cents / 100),
    help=f"Usage with x_Utilization under {settings.idle_utilization:.0%}",
)
cols[4].metric(
    POOL_LABELS[Pool.COMMITMENT].capitalize(),
    usd(result.pool_cents(Pool.COMMITMENT) / 100),
)
cols[5].metric("Rows rejected", f"{bill.rows_rejected:,}", help=f"of {bill.rows_read:,} read")

if bill.rejections or bill.notes:
    with st.expander(
        f"{bill.rows_rejected:,} rows could not be used"
        if bill.rejections
        else "Notes on this bill",
        expanded=bool(bill.rejections),
    ):
        if bill.rejections:
            st.caption(
                "These rows are left out of every total. Lines count the header as line 1; "
                f"the first {len(bill.rejections):,} are listed."
            )
            st.dataframe(
                pd.DataFrame([{"line": r.line, "reason": r.reason} for r in bill.rejections]),
                hide_index=True,
                width="stretch",
            )
        for note in bill.notes:
            st.markdown(f"- {page.plain_text(note)}")
for note in result.notes:
    if note.startswith(("No row has an owner", "No owner has", "The fixed weights", "No weight")):
        st.warning(page.plain_text(note), icon=":material/info:")

showback = result.showback_frame()
if settings.mode is ReportMode.SHOWBACK:
    st.subheader(f"Showback: what each {page.plain_text(dimension)} costs")
    st.altair_chart(showback_chart(showback, dimension), width="stretch")
    st.dataframe(
        showback.drop(columns=["allocated"]),
        hide_index=True,
        width="stretch",
        column_config={
            "owner": dimension.capitalize(),
            "direct_usd": st.column_config.NumberColumn("Direct", format="dollar"),
            "untagged_share_usd": st.column_config.NumberColumn(
                "Share of untagged", format="dollar"
            ),
            "shared_share_usd": st.column_config.NumberColumn("Share of shared", format="dollar"),
            "commitment_share_usd": st.column_config.NumberColumn(
                "Share of commitment", format="dollar"
            ),
            "total_usd": st.column_config.NumberColumn("Total", format="dollar"),
            "share_of_bill": st.column_config.NumberColumn("Of the bill", format="percent"),
        },
    )
else:
    st.subheader(f"Chargeback: one invoice per {page.plain_text(dimension)}")
    invoiced = result.allocated_cents
    line = (
        f"Invoices {_cents(invoiced)} + unallocated {_cents(result.unallocated_cents)}"
        f" = bill {_cents(result.total_cents)}, to the cent."
    )
    if result.reconciles():
        st.success(line, icon=":material/check_circle:")
    if result.unallocated_cents:
        parts = ", ".join(
            f"{POOL_LABELS[pool]} {usd(cents / 100)}" for pool, cents in result.unallocated if cents
        )
        st.warning(
            f"Not charged to anyone: {parts}. Choose a split rule (and share the commitment) "
            "to bill everything.",
            icon=":material/warning:",
        )
    st.download_button(
        "Download all invoices (CSV)",
        data=result.invoices_csv(),
        file_name="chargeback_invoices.csv",
        mime="text/csv",
        key="_attr_invoices_csv",
    )
    owners = [a.owner for a in sorted(result.allocations, key=lambda a: -a.total_cents)]
    if owners:
        chosen = st.selectbox(
            f"Invoice for {page.plain_text(dimension)}", options=owners, key="_attr_invoice_for"
        )
        invoice = result.invoices_frame()
        invoice = invoice[invoice["invoice"] == chosen].drop(columns=["invoice"])
        total = next(a.total_cents for a in result.allocations if a.owner == chosen)
        st.dataframe(
            pd.concat(
                [invoice, pd.DataFrame([{"item": "Total", "usd": total / 100}])],
                ignore_index=True,
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "item": st.column_config.TextColumn("Line", width="large"),
                "usd": st.column_config.NumberColumn("USD", format="$%.2f"),
            },
        )

st.subheader("The bill by tag, service and month")
dimensions = [f"tag:{k}" for k in bill.tag_keys[:12]] + [
    "service",
    "service_category",
    "pricing_category",
    "charge_category",
    "resource_type",
]
left, right = st.columns(2)
with left:
    by = st.selectbox(
        "Break down by",
        options=dimensions,
        index=dimensions.index(f"tag:{dimension}") if f"tag:{dimension}" in dimensions else 0,
        format_func=lambda d: d.removeprefix("tag:") + (" (tag)" if d.startswith("tag:") else ""),
        key="_attr_breakdown",
    )
    frame = cache.cost_by(bill, bill.fingerprint, settings.cost_view, by)
    st.altair_chart(breakdown_chart(frame, by.removeprefix("tag:")), width="stretch")
with right:
    months = cache.cost_by(bill, bill.fingerprint, settings.cost_view, "month")
    st.altair_chart(breakdown_chart(months, "Cost by month", by_month=True), width="stretch")

with st.expander("How these numbers are made", expanded=False):
    for note in result.notes:
        st.markdown(f"- {page.plain_text(note)}")
    st.markdown(
        "- Amounts are exact decimals until the end, then whole cents by the largest "
        "remainder method, so the invoices and unallocated lines add up to the bill's total "
        "exactly."
    )
    if result.credits_cents or result.adjustments_cents:
        st.markdown(
            f"- Credits ({usd(result.credits_cents / 100)}) and adjustments "
            f"({usd(result.adjustments_cents / 100)}) reduce the owner they are tagged with; "
            "untagged ones reduce the untagged pool."
        )

"""Billing data in the FinOps Foundation's FOCUS format (1.0-1.2), validated, in DuckDB.

DuckDB is the embedded engine: a bill lives in an in-memory DuckDB table, so a multi-GB
export is scanned and aggregated in SQL and never loaded whole into pandas. This module
holds no file access (that is :mod:`planner.io.billing`): it turns a DuckDB table of raw
columns, however it was loaded, into a :class:`Bill` of usable, typed rows.

Validation
----------
The header must hold the :data:`REQUIRED_COLUMNS`; the message for a file without them
lists each missing column and the nearest column the file does have. The
:data:`OPTIONAL_COLUMNS` are used when present, and each one missing is a note.

A row that cannot be used does not stop the import. It becomes a :class:`Rejection` with
its line number (the header is line 1; for Parquet files and data frames, the row number)
and every reason it fails: a cost that is not a number, a date-time that is not in FOCUS's
format, a ``ChargePeriodEnd`` before its start, a ``ChargeCategory`` outside FOCUS's allowed
values, a currency other than USD, or a line with the wrong number of fields.

FOCUS's date-time format is extended ISO 8601 with a UTC offset,
``YYYY-MM-DDTHH:mm:ss[.fff](Z|+HH:MM)``. Anything else (``4/1/25``, ``2025-01-01``, a date-time
without an offset) is rejected by name, never guessed at: a reader that guesses reads ``4/1/25``
as the year 4. The spec's own examples write ``null`` for a null value, so an empty field and the
literal text ``null`` or ``NULL`` are both null.

Costs are read as ``DECIMAL(38, 10)``, so sums are exact and the attribution can reconcile to
the cent; they stay exact decimals (then fractions) up to the last rounding to cents, and are
never floats on the way. A cost with more than 10 decimal places is rounded at the tenth (by
at most $0.00000000005 a row). Negative costs are valid: credits, refunds and negative
adjustments reduce the total wherever they are attributed.

Cost views
----------
* :attr:`CostView.AMORTIZED` sums ``EffectiveCost``: commitment purchases are spread over the
  usage they cover, and the unused part shows up as its own rows
  (``CommitmentDiscountStatus = 'Unused'``).
* :attr:`CostView.BILLED` sums ``BilledCost``: cash as invoiced, with commitment fees on the
  day they are billed.

>>> import pandas as pd
>>> frame = pd.DataFrame({
...     "BilledCost": ["10.5", "-2", "abc"], "EffectiveCost": ["10.5", "-2", "1"],
...     "ChargeCategory": ["Usage", "Credit", "Usage"],
...     "ChargePeriodStart": ["2025-01-01T00:00:00Z"] * 3,
...     "ChargePeriodEnd": ["2025-01-02T00:00:00Z"] * 3,
...     "Tags": ['{"team": "search"}', None, None]})
>>> bill = bill_from_frame(frame, source="example")
>>> bill.rows_read, bill.rows_rejected, bill.total_usd(CostView.BILLED)
(3, 1, Decimal('8.5000000000'))
>>> bill.rejections[0]
Rejection(line=3, reason="BilledCost 'abc' is not a number")
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd

from planner.core.errors import PlannerInputError

if TYPE_CHECKING:  # the types only: DuckDB and Ibis are imported where a bill is read
    import duckdb
    import ibis
from planner.scenario.finops import CostView

__all__ = [
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "Bill",
    "ContractCommitment",
    "ContractCommitments",
    "CostView",
    "Rejection",
    "bill_from_frame",
    "contract_commitments_from_rows",
    "finish_bill",
    "focus_from_export",
    "new_connection",
]

REQUIRED_COLUMNS = (
    "BilledCost",
    "EffectiveCost",
    "ChargeCategory",
    "ChargePeriodStart",
    "ChargePeriodEnd",
)
# What each optional column adds; the note for a missing one says what is lost.
OPTIONAL_COLUMNS: Mapping[str, str] = {
    "ListCost": "savings against list prices are not shown",
    "PricingCategory": "spot and committed usage cannot be told apart",
    "ServiceName": "costs are not broken down by service",
    "ServiceCategory": "storage and networking are recognised by service name only",
    "ResourceType": "notebooks, endpoints and training jobs are recognised by tags only",
    "Tags": "nothing can be attributed by tag: every cost counts as untagged",
    "CommitmentDiscountId": "commitment purchases cannot be recognised",
    "CommitmentDiscountStatus": "unused commitment cannot be shown",
    "BillingCurrency": "costs are assumed to be in USD",
    "x_Utilization": "idle resources cannot be found (a custom FOCUS column, 0-1)",
}
CHARGE_CATEGORIES = ("Usage", "Purchase", "Tax", "Credit", "Adjustment")
PRICING_CATEGORIES = ("Standard", "Dynamic", "Committed", "Other")
# Names seen in older exports and other tools, read as the FOCUS 1.0 values.
PRICING_SYNONYMS: Mapping[str, str] = {
    "on-demand": "Standard",
    "ondemand": "Standard",
    "on demand": "Standard",
    "spot": "Dynamic",
    "preemptible": "Dynamic",
    "reserved": "Committed",
    "savings plan": "Committed",
    "commitment": "Committed",
}
COMMITMENT_STATUSES = ("Used", "Unused")
CURRENCY = "USD"
# FOCUS's Date/Time Format: extended ISO 8601 with seconds and a UTC offset ("Z" or +-HH:MM),
# fractional seconds allowed. The fields' ranges are checked by the cast that follows.
DATE_TIME_PATTERN = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})"
# The spec's example files write null values as the text "null"; an empty field is null too.
NULL_TEXTS = ("", "null", "NULL")
# Names under which providers' exports hold a FOCUS column, read as that column. AWS's
# examples call the currency BilledCurrency; Azure's cost exports use BillingCurrencyCode.
COLUMN_ALIASES: Mapping[str, tuple[str, ...]] = {
    "BillingCurrency": ("BilledCurrency", "BillingCurrencyCode"),
}
# Columns of a FOCUS 1.3 Contract Commitment dataset: contract terms, not charges.
CONTRACT_COMMITMENT_MARKERS = ("ContractCommitmentId", "ContractCommitmentCost")
# Rejections kept for display; all of them are counted.
MAX_REJECTIONS_KEPT = 1000
# Lines longer than this in a CSV are rejected rather than read.
MAX_LINE_BYTES = 1_000_000
# FOCUS has about 50 columns and providers add a few hundred at most; a file with more is
# not a billing export, and each column costs time to map and read.
MAX_COLUMNS = 2_000
_COST = "DECIMAL(38, 10)"
_DATE_TIME_COLUMNS = ("ChargePeriodStart", "ChargePeriodEnd")
_FOCUS_TABLE = "focus"


@dataclass(frozen=True, slots=True, kw_only=True)
class Rejection:
    """A row that cannot be used: where it is and why."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Bill:
    """The usable rows of one billing export, in a DuckDB table named ``focus``.

    ``rows_read`` counts every data row in the source; ``rows_rejected`` of them could not
    be used and ``rejections`` lists the first :data:`MAX_REJECTIONS_KEPT`, by line. The
    ``focus`` table has one row per usable charge with columns ``billed``, ``effective``,
    ``list_cost`` (``DECIMAL``), ``charge_category``, ``start``, ``end`` (UTC timestamps),
    ``pricing_category``, ``service``, ``service_category``, ``resource_type``, ``tags`` (a
    JSON object, or null), ``commitment_id``, ``commitment_status`` and ``utilization``.

    A bill is read-only once built. Each query takes its own cursor, so one bill can serve
    several threads at once.

    ``remote`` is the same ``focus`` table on another engine (a Spark session, a warehouse),
    as an Ibis table; the attribution query then runs there (:meth:`table`). ``con`` is
    ``None`` for a bill that lives only in a warehouse: the SQL of :meth:`query` is
    DuckDB's, so only the Ibis queries run on it.
    """

    source: str
    fingerprint: str
    rows_read: int
    rows_rejected: int
    rejections: tuple[Rejection, ...]
    notes: tuple[str, ...]
    columns: tuple[str, ...]
    tag_keys: tuple[str, ...]
    has_utilization: bool
    first_charge: datetime | None
    last_charge: datetime | None
    con: duckdb.DuckDBPyConnection | None = field(repr=False)
    remote: ibis.Table | None = field(default=None, repr=False)

    @property
    def rows_usable(self) -> int:
        return self.rows_read - self.rows_rejected

    def table(self) -> ibis.Table:
        """The ``focus`` table as an Ibis table, on the engine where the bill lives.

        A DuckDB bill's table reads through a cursor of its own, as :meth:`query` does.
        """
        if self.remote is not None:
            return self.remote
        import ibis

        return ibis.duckdb.from_connection(self._cursor()).table(_FOCUS_TABLE)

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        if self.con is None:
            raise PlannerInputError(
                f"{self.source} lives in a warehouse; only the attribution runs there",
                fix="export the bill to a FOCUS file to see the other views",
            )
        return self.con.cursor()

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run one read-only query on the ``focus`` table and return its rows."""
        cursor = self._cursor()
        try:
            return cursor.execute(sql, list(params)).fetchall()
        finally:
            cursor.close()

    def frame(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        """Like :meth:`query`, as a pandas DataFrame (for small, aggregated results)."""
        cursor = self._cursor()
        try:
            return cursor.execute(sql, list(params)).df()
        finally:
            cursor.close()

    def total_usd(self, view: CostView) -> Decimal:
        """The exact sum of the view's cost column over the usable rows."""
        rows = self.query(f"SELECT coalesce(sum({view.column}), 0) FROM {_FOCUS_TABLE}")  # noqa: S608
        value = rows[0][0]
        return value if isinstance(value, Decimal) else Decimal(value)


def new_connection(*, threads: int | None = None, memory_limit: str = "1536MB") -> Any:
    """A fresh in-memory DuckDB connection, with timestamps read and shown in UTC.

    ``memory_limit`` bounds what one bill may hold in memory; DuckDB spills beyond it. The
    default keeps a whole process under 2 GB: Python, pandas and DuckDB's code take about
    150 MB more, and a 10,000,000-row Parquet bill peaked at 2.1 GB with a 2 GB limit.
    """
    config: dict[str, str | bool | int | float | list[str]] = {"memory_limit": memory_limit}
    if threads:
        config["threads"] = threads
    # Imported where a bill is read, so that commands which read none start without DuckDB.
    import duckdb

    con = duckdb.connect(":memory:", config=config)
    con.execute("SET TimeZone = 'UTC'")
    # A long read would otherwise draw a progress bar on the terminal, into CLI output.
    con.execute("SET enable_progress_bar = false")
    return con


def _normalise(name: str) -> str:
    """Column names compared without case, spaces, dashes or underscores.

    >>> _normalise("Billed_Cost "), _normalise("x_Utilization")
    ('billedcost', 'xutilization')
    """
    return re.sub(r"[^0-9a-z]", "", name.lower())


def resolve_columns(
    present: Sequence[str], source: str = "This file"
) -> tuple[dict[str, str], list[str]]:
    """Map each FOCUS column this planner reads to the column in the file that holds it.

    Exact names win; otherwise a name that differs only in case or punctuation is read
    (with a note). Raises when a required column is missing, listing every missing one.

    >>> resolve_columns(["billed_cost", "EffectiveCost", "ChargeCategory",
    ...     "ChargePeriodStart", "ChargePeriodEnd"])[0]["BilledCost"]
    'billed_cost'
    >>> resolve_columns(["Cost", "EffectiveCost"])
    Traceback (most recent call last):
    ...
    planner.core.errors.PlannerInputError: This file is not a FOCUS billing export: 4 required \
columns are missing: BilledCost, ChargeCategory, ChargePeriodStart, ChargePeriodEnd. The file \
has 2 columns: Cost, EffectiveCost. To fix: export the bill in FOCUS 1.0-1.2 format, or rename \
the columns to the FOCUS names.
    """
    if len(present) > MAX_COLUMNS:
        raise PlannerInputError(
            f"{source} has {len(present):,} columns; a FOCUS billing export has about 50 and "
            f"this planner reads at most {MAX_COLUMNS:,}",
            fix="export the bill in FOCUS 1.0-1.2 format, without extra columns",
        )
    wanted = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
    exact = set(present)
    by_normal: dict[str, str] = {}
    for name in present:
        by_normal.setdefault(_normalise(name), name)
    mapping: dict[str, str] = {}
    notes: list[str] = []
    for focus_name in wanted:
        if focus_name in exact:
            mapping[focus_name] = focus_name
        elif (near := by_normal.get(_normalise(focus_name))) is not None:
            mapping[focus_name] = near
            notes.append(f"Column '{near}' is read as {focus_name}.")
        else:
            for alias in COLUMN_ALIASES.get(focus_name, ()):
                if (near := by_normal.get(_normalise(alias))) is not None:
                    mapping[focus_name] = near
                    notes.append(f"Column '{near}' is read as {focus_name}, its FOCUS name.")
                    break
    missing = [name for name in REQUIRED_COLUMNS if name not in mapping]
    if missing and all(_normalise(m) in by_normal for m in CONTRACT_COMMITMENT_MARKERS):
        raise PlannerInputError(
            f"{source} is a FOCUS 1.3 Contract Commitment dataset: it lists the terms of "
            "contract commitments (ContractCommitmentId, ContractCommitmentCost, ...), not "
            "charges, so it has no costs to attribute",
            fix="attribute the cost and usage export; this file's terms can be listed beside "
            "it (python -m planner attribute BILL --commitments THIS_FILE)",
        )
    if missing:
        shown = ", ".join(n if len(n) <= 60 else n[:57] + "..." for n in present[:30]) + (
            ", ..." if len(present) > 30 else ""
        )
        hints = []
        used = set(mapping.values())
        for name in missing:
            close = difflib.get_close_matches(
                name, [p for p in present if p not in used], n=1, cutoff=0.6
            )
            if close:
                hints.append(f"'{close[0]}' might be {name}")
        hint = f" ({'; '.join(hints)})" if hints else ""
        raise PlannerInputError(
            f"{source} is not a FOCUS billing export: {len(missing)} required "
            f"column{'s are' if len(missing) > 1 else ' is'} missing: {', '.join(missing)}"
            f"{hint}. The file has {len(present)} column{'s' if len(present) != 1 else ''}: "
            f"{shown}",
            fix="export the bill in FOCUS 1.0-1.2 format, or rename the columns to the FOCUS names",
        )
    return mapping, notes


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _in_list(values: Iterable[str]) -> str:
    return ", ".join(_literal(v) for v in values)


def _shown(raw: str) -> str:
    """SQL for a raw value as it appears in a message: quoted, at most 40 characters."""
    return (
        f"CASE WHEN length({raw}) > 40 THEN '''' || left({raw}, 37) || '...''' "
        f"ELSE '''' || {raw} || '''' END"
    )


def staging_sql(columns: Iterable[str], relation: str) -> str:
    """The SELECT that types every column of ``relation`` and explains every unusable row.

    ``relation`` yields one VARCHAR column per FOCUS column present, named by its FOCUS
    name (``columns``), in source order; absent optional columns become NULL. Creating the
    ``staged`` table from this SELECT is the one pass over the source. Each value is cast
    once (inner SELECT); the reasons are only assembled for rows that fail (outer SELECT).
    """
    columns = set(columns)

    def raw(name: str) -> str:
        if name not in columns:
            return "NULL::VARCHAR"
        column = _quote(name)
        return f"CASE WHEN {column} IN ({_in_list(NULL_TEXTS)}) THEN NULL ELSE {column} END"

    categories = {c.lower(): c for c in CHARGE_CATEGORIES}
    charge_case = " ".join(f"WHEN {_literal(k)} THEN {_literal(v)}" for k, v in categories.items())
    pricing_map = {c.lower(): c for c in PRICING_CATEGORIES} | dict(PRICING_SYNONYMS)
    pricing_case = " ".join(
        f"WHEN {_literal(k)} THEN {_literal(v)}" for k, v in pricing_map.items()
    )
    status_case = " ".join(
        f"WHEN {_literal(s.lower())} THEN {_literal(s)}" for s in COMMITMENT_STATUSES
    )
    ok = """billed IS NOT NULL AND effective IS NOT NULL
            AND (list_raw IS NULL OR list_cost IS NOT NULL)
            AND charge_category IS NOT NULL AND start IS NOT NULL AND "end" IS NOT NULL
            AND "end" >= start
            AND (status_raw IS NULL OR commitment_status IS NOT NULL)
            AND (currency IS NULL OR upper(currency) = 'USD')"""
    return f"""
        SELECT
            billed, effective, list_cost, charge_category, start, "end",
            coalesce(pricing_known, pricing_raw) AS pricing_category,
            service, service_category, resource_type,
            CASE WHEN tags_ok THEN tags_raw END AS tags,
            (tags_raw IS NOT NULL AND NOT coalesce(tags_ok, false)) AS bad_tags,
            commitment_id, commitment_status,
            CASE WHEN utilization BETWEEN 0 AND 1 THEN utilization END AS utilization,
            (utilization_raw IS NOT NULL AND NOT coalesce(utilization BETWEEN 0 AND 1, false))
                AS bad_utilization,
            CASE WHEN pricing_raw IS NOT NULL AND pricing_known IS NULL THEN pricing_raw END
                AS odd_pricing,
            CASE WHEN {ok} THEN '' ELSE concat_ws('; ',
                {_cost_reason("BilledCost", "billed", required=True)},
                {_cost_reason("EffectiveCost", "effective", required=True)},
                {_cost_reason("ListCost", "list_cost", required=False, raw="list_raw")},
                CASE WHEN charge_raw IS NULL THEN 'ChargeCategory is empty'
                     WHEN charge_category IS NULL
                     THEN 'ChargeCategory ' || {_shown("charge_raw")} || ' is not one of '
                          || {_literal(", ".join(CHARGE_CATEGORIES))} END,
                {_time_reason("ChargePeriodStart", "start")},
                {_time_reason("ChargePeriodEnd", '"end"')},
                CASE WHEN "end" < start THEN 'ChargePeriodEnd is before ChargePeriodStart' END,
                CASE WHEN status_raw IS NOT NULL AND commitment_status IS NULL
                     THEN 'CommitmentDiscountStatus ' || {_shown("status_raw")}
                          || ' is not Used or Unused' END,
                CASE WHEN currency IS NOT NULL AND upper(currency) <> {_literal(CURRENCY)}
                     THEN 'BillingCurrency is ' || {_shown("currency")}
                          || ': this planner reads bills in USD (export the bill in USD, or '
                          || 'filter it to the USD rows)' END
            ) END AS _reason
        FROM (
            SELECT
                {raw("BilledCost")} AS billed_raw,
                {_decimal(raw("BilledCost"))} AS billed,
                {raw("EffectiveCost")} AS effective_raw,
                {_decimal(raw("EffectiveCost"))} AS effective,
                {raw("ListCost")} AS list_raw,
                {_decimal(raw("ListCost"))} AS list_cost,
                {raw("ChargeCategory")} AS charge_raw,
                CASE lower({raw("ChargeCategory")}) {charge_case} END AS charge_category,
                {raw("ChargePeriodStart")} AS start_raw,
                {_timestamp(raw("ChargePeriodStart"))} AS start,
                {raw("ChargePeriodEnd")} AS end_raw,
                {_timestamp(raw("ChargePeriodEnd"))} AS "end",
                {raw("PricingCategory")} AS pricing_raw,
                CASE lower({raw("PricingCategory")}) {pricing_case} END AS pricing_known,
                {raw("ServiceName")} AS service,
                {raw("ServiceCategory")} AS service_category,
                {raw("ResourceType")} AS resource_type,
                {raw("Tags")} AS tags_raw,
                json_type(TRY_CAST({raw("Tags")} AS JSON)) = 'OBJECT' AS tags_ok,
                {raw("CommitmentDiscountId")} AS commitment_id,
                {raw("CommitmentDiscountStatus")} AS status_raw,
                CASE lower({raw("CommitmentDiscountStatus")}) {status_case} END
                    AS commitment_status,
                {raw("BillingCurrency")} AS currency,
                {raw("x_Utilization")} AS utilization_raw,
                TRY_CAST({raw("x_Utilization")} AS DOUBLE) AS utilization
            FROM {relation}
        )
    """  # noqa: S608


def _decimal(raw: str) -> str:
    """A cost as DECIMAL(38, 10), the common case on DuckDB's fast 64-bit path.

    Casting a long decimal string straight to a 128-bit DECIMAL is about 40 times slower;
    only values of $100M or more (or not numbers) take that path here.

    >>> "DECIMAL(18, 10)" in _decimal("x")
    True
    """
    return f"coalesce(TRY_CAST({raw} AS DECIMAL(18, 10)), TRY_CAST({raw} AS {_COST}))"


def _cost_reason(name: str, typed: str, *, required: bool, raw: str | None = None) -> str:
    raw = raw or f"{typed}_raw"
    empty = f"WHEN {raw} IS NULL THEN '{name} is empty'" if required else ""
    return (
        f"CASE {empty} WHEN {raw} IS NOT NULL AND {typed} IS NULL "
        f"THEN '{name} ' || {_shown(raw)} || ' is not a number' END"
    )


def _timestamp(raw: str) -> str:
    """A FOCUS date-time as a UTC TIMESTAMP, or NULL when it is not one.

    Only text in :data:`DATE_TIME_PATTERN` is cast: DuckDB's own cast would also take
    ``4/1/25`` (as the year 4) and ``2025-01-01`` (as midnight in no stated zone).
    """
    return (
        f"CASE WHEN regexp_full_match({raw}, {_literal(DATE_TIME_PATTERN)}) "
        f"THEN TRY_CAST({raw} AS TIMESTAMPTZ)::TIMESTAMP END"
    )


def _time_reason(name: str, typed: str) -> str:
    raw = "start_raw" if typed == "start" else "end_raw"
    return (
        f"CASE WHEN {raw} IS NULL THEN '{name} is empty' "
        f"WHEN NOT regexp_full_match({raw}, {_literal(DATE_TIME_PATTERN)}) "
        f"THEN '{name} ' || {_shown(raw)} || ' is not in the FOCUS date-time format, extended "
        f"ISO 8601 with a UTC offset (e.g. 2025-01-31T00:00:00Z)' "
        f"WHEN {typed} IS NULL "
        f"THEN '{name} ' || {_shown(raw)} || ' is not a real date and time (a month, day, "
        f"hour, minute or second is out of range)' END"
    )


_STRUCTURAL_REASONS = {
    "TOO MANY COLUMNS": "has more fields than the header",
    "MISSING COLUMNS": "has fewer fields than the header",
    "INVALID ENCODING": "is not valid UTF-8 text",
    "INVALID UNICODE": "is not valid UTF-8 text",
    "UNQUOTED VALUE": "has a quote that is not closed, or one inside an unquoted field",
    "LINE SIZE OVER MAXIMUM": f"is longer than {MAX_LINE_BYTES:,} bytes",
}


def structural_reason(error_type: str, message: str) -> str:
    """A readable reason for a line the CSV reader could not split into fields.

    >>> structural_reason("TOO MANY COLUMNS", "Expected Number of Columns: 4 Found: 5")
    'has more fields than the header (5 instead of 4)'
    """
    reason = _STRUCTURAL_REASONS.get(error_type, "cannot be read as a CSV line")
    counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
    if counts:
        reason += f" ({counts.group(2)} instead of {counts.group(1)})"
    return reason


def _lines(rows: Sequence[int], first_line: int, skipped: Sequence[int]) -> list[int]:
    """Line numbers of table rows, given the lines the reader skipped before them.

    >>> _lines([0, 1, 2], first_line=2, skipped=[3])
    [2, 4, 5]
    """
    ordered = sorted(skipped)
    result = []
    for row in rows:
        line = row + first_line
        for skip in ordered:
            if skip <= line:
                line += 1
            else:
                break
        result.append(line)
    return result


def finish_bill(
    con: Any,
    *,
    source: str,
    fingerprint: str,
    columns: Sequence[str],
    first_line: int,
    skipped: Sequence[Rejection] = (),
    extra_notes: Sequence[str] = (),
    row_lines: Mapping[int, int] | None = None,
) -> Bill:
    """Turn ``con``'s ``staged`` table (from :func:`staging_sql`) into a :class:`Bill`.

    ``staged`` holds one row per data row of the source, in source order. ``columns`` are
    the FOCUS columns the source has. ``first_line`` is the line (or row) number of the
    first row; ``skipped`` lists lines the reader could not split, which count as read and
    rejected. ``row_lines`` gives the line of each rejected row of ``staged`` (by rowid) when
    rows and lines do not correspond one to one; without it the rows are counted from
    ``first_line``, past the skipped lines. The usable rows become the view ``focus``.

    Raises
    ------
    PlannerInputError
        When the source has no data rows, or none of them can be used.
    """
    total_rows, value_rejected = con.execute(
        "SELECT count(*), count(*) FILTER (_reason <> '') FROM staged"
    ).fetchone()
    rows_read = int(total_rows) + len(skipped)
    if rows_read == 0:
        raise PlannerInputError(
            f"{source} has a header but no rows of charges",
            fix="export a billing period that has charges",
        )
    bad_rows = con.execute(
        "SELECT rowid, _reason FROM staged WHERE _reason <> '' ORDER BY rowid LIMIT ?",
        [MAX_REJECTIONS_KEPT],
    ).fetchall()
    if row_lines is None:
        lines = _lines([row for row, _ in bad_rows], first_line, [s.line for s in skipped])
    else:
        lines = [row_lines[row] for row, _ in bad_rows]
    rejections = sorted(
        [
            *skipped,
            *(Rejection(line=ln, reason=r) for ln, (_, r) in zip(lines, bad_rows, strict=True)),
        ],
        key=lambda r: r.line,
    )[:MAX_REJECTIONS_KEPT]
    rows_rejected = int(value_rejected) + len(skipped)
    if rows_rejected == rows_read:
        first = "; ".join(f"line {r.line}: {r.reason}" for r in rejections[:3])
        raise PlannerInputError(
            f"None of the {rows_read:,} rows of {source} can be used. First problems: {first}",
            fix="check that the file is a FOCUS export and that costs are plain numbers and "
            "timestamps ISO 8601",
        )
    con.execute(
        f"""CREATE VIEW {_FOCUS_TABLE} AS SELECT billed, effective, list_cost,
            charge_category, start, "end", pricing_category, service, service_category,
            resource_type, tags, commitment_id, commitment_status, utilization
        FROM staged WHERE _reason = ''"""  # noqa: S608
    )
    counts = con.execute(
        """SELECT count(*) FILTER (bad_tags), count(*) FILTER (bad_utilization),
                  count(*) FILTER (odd_pricing IS NOT NULL), min(start), max("end")
           FROM staged WHERE _reason = ''"""
    ).fetchone()
    present = set(columns)
    notes = [*extra_notes]
    for name in OPTIONAL_COLUMNS:
        if name not in present:
            notes.append(f"No {name} column: {OPTIONAL_COLUMNS[name]}.")
    if counts[0]:
        notes.append(
            f"{counts[0]:,} rows have Tags that are not a JSON object; they count as untagged."
        )
    if counts[1]:
        notes.append(
            f"{counts[1]:,} rows have an x_Utilization outside 0-1; their utilisation is unknown."
        )
    if counts[2]:
        notes.append(
            f"{counts[2]:,} rows have a PricingCategory outside FOCUS's "
            f"{', '.join(PRICING_CATEGORIES)}; it is kept as written."
        )
    return Bill(
        source=source,
        fingerprint=fingerprint,
        rows_read=rows_read,
        rows_rejected=rows_rejected,
        rejections=tuple(rejections),
        notes=tuple(notes),
        columns=tuple(columns),
        tag_keys=_tag_keys(con) if "Tags" in present else (),
        has_utilization="x_Utilization" in present,
        first_charge=counts[3],
        last_charge=counts[4],
        con=con,
    )


def _tag_keys(con: Any, sample_rows: int = 200_000) -> tuple[str, ...]:
    """The tag keys found in (a sample of) the bill, the most frequent first."""
    rows = con.execute(
        f"""SELECT key, count(*) AS n FROM (
                SELECT unnest(json_keys(tags)) AS key FROM (
                    SELECT tags FROM {_FOCUS_TABLE} WHERE tags IS NOT NULL LIMIT ?))
            GROUP BY key ORDER BY n DESC, key LIMIT 200""",  # noqa: S608
        [sample_rows],
    ).fetchall()
    return tuple(str(row[0]) for row in rows)


def select_list(mapping: Mapping[str, str], types: Mapping[str, str] | None = None) -> str:
    """The projection that renames the source's columns to FOCUS names, as text.

    Structured tags (a Parquet MAP or STRUCT) become JSON text, like CSV tags. Typed
    timestamps become FOCUS date-time text in UTC: their value is not in doubt, and FOCUS
    states every date-time in UTC, so one without a zone is read as UTC.
    """
    types = types or {}
    parts = []
    for focus_name, source_name in mapping.items():
        column = _quote(source_name)
        kind = types.get(source_name, "VARCHAR").upper()
        if focus_name == "Tags" and (kind.startswith(("MAP", "STRUCT")) or kind == "JSON"):
            expression = f"to_json({column})::VARCHAR"
        elif focus_name in _DATE_TIME_COLUMNS and kind.startswith("TIMESTAMP"):
            expression = f"strftime({column}::TIMESTAMP, '%Y-%m-%dT%H:%M:%S.%fZ')"
        else:
            expression = f"CAST({column} AS VARCHAR)"
        parts.append(f"{expression} AS {_quote(focus_name)}")
    return ", ".join(parts)


def bill_from_frame(frame: pd.DataFrame, *, source: str = "data frame") -> Bill:
    """A :class:`Bill` from a pandas DataFrame with FOCUS columns (e.g. the built-in sample).

    Line numbers in rejections are row numbers, starting at 1.
    """
    mapping, notes = resolve_columns([str(c) for c in frame.columns], source)
    digest = hashlib.sha256(
        pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()
    ).hexdigest()
    con = new_connection()
    con.register("_frame", frame)
    try:
        types = {str(row[0]): str(row[1]) for row in con.execute("DESCRIBE _frame").fetchall()}
        relation = f"(SELECT {select_list(mapping, types)} FROM _frame) AS raw"  # noqa: S608
        con.execute(f"CREATE TABLE staged AS {staging_sql(mapping, relation)}")
    finally:
        con.unregister("_frame")
    seal(con)
    return finish_bill(
        con,
        source=source,
        fingerprint=digest,
        columns=list(mapping),
        first_line=1,
        extra_notes=notes,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractCommitment:
    """One row of a FOCUS 1.3 Contract Commitment dataset: a commitment's terms.

    Dates are kept as written (the spec's examples write some as plain dates); ``cost`` is
    in ``currency`` and is not converted.
    """

    commitment_id: str
    contract_id: str | None
    category: str | None
    kind: str | None
    description: str | None
    period_start: str | None
    period_end: str | None
    cost: Decimal | None
    currency: str | None
    quantity: Decimal | None
    unit: str | None
    status: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractCommitments:
    """The commitments of one Contract Commitment file, with the rows that could not be read."""

    source: str
    commitments: tuple[ContractCommitment, ...]
    rejections: tuple[Rejection, ...]
    notes: tuple[str, ...]

    def frame(self) -> pd.DataFrame:
        """One row per commitment, for display; amounts as exact text in their currency.

        >>> ContractCommitments(source="c.csv", commitments=(), rejections=(),
        ...     notes=()).frame().columns[:3].tolist()
        ['commitment', 'contract', 'type']
        """
        rows = [
            {
                "commitment": c.commitment_id,
                "contract": c.contract_id,
                "type": c.kind,
                "category": c.category,
                "description": c.description,
                "start": c.period_start,
                "end": c.period_end,
                "cost": None if c.cost is None else f"{c.cost} {c.currency or ''}".strip(),
                "quantity": None if c.quantity is None else f"{c.quantity} {c.unit or ''}".strip(),
                "status": c.status,
            }
            for c in self.commitments
        ]
        return pd.DataFrame(rows, columns=_COMMITMENT_COLUMNS)


_COMMITMENT_COLUMNS = [
    "commitment",
    "contract",
    "type",
    "category",
    "description",
    "start",
    "end",
    "cost",
    "quantity",
    "status",
]


def _exact(text: str | None) -> Decimal | None:
    """A decimal number as written, or None; ``nan`` and infinities are not numbers.

    >>> _exact("925000.00"), _exact("$5"), _exact("nan"), _exact(None)
    (Decimal('925000.00'), None, None, None)
    """
    if text is None:
        return None
    try:
        value = Decimal(text.strip())
    except ArithmeticError:
        return None
    return value if value.is_finite() else None


def contract_commitments_from_rows(
    rows: Iterable[tuple[int, Mapping[str | None, Any]]], *, source: str
) -> ContractCommitments:
    """Read the rows of a FOCUS 1.3 Contract Commitment dataset: (line, column -> text).

    As :class:`csv.DictReader` gives them: a value of ``None`` is a missing field, and the
    key ``None`` holds fields beyond the header; either rejects the row. So does a row
    without a ``ContractCommitmentId``, or whose ``ContractCommitmentCost`` or
    ``ContractCommitmentQuantity`` is not a number.

    >>> result = contract_commitments_from_rows([(2, {"ContractCommitmentId": "C-1",
    ...     "ContractCommitmentCost": "100.50", "BillingCurrency": "EUR",
    ...     "ContractCommitmentPeriodStart": "2025-12-01"})], source="c.csv")
    >>> result.commitments[0].cost, result.notes
    (Decimal('100.50'), ('Amounts are in EUR as written; they are not converted to USD.',))
    >>> contract_commitments_from_rows([(3, {"ContractCommitmentId": None})],
    ...     source="c.csv").rejections
    (Rejection(line=3, reason='has fewer fields than the header'),)
    """
    commitments: list[ContractCommitment] = []
    rejections: list[Rejection] = []
    currencies: set[str] = set()
    for line, row in rows:
        if None in row or any(v is None for v in row.values()):
            shape = "more" if None in row else "fewer"
            rejections.append(Rejection(line=line, reason=f"has {shape} fields than the header"))
            continue
        values = {
            str(k): (None if str(v).strip() in NULL_TEXTS else str(v).strip())
            for k, v in row.items()
        }
        problems = []
        identifier = values.get("ContractCommitmentId")
        if identifier is None:
            problems.append("ContractCommitmentId is empty")
        numbers: dict[str, Decimal | None] = {}
        for name in ("ContractCommitmentCost", "ContractCommitmentQuantity"):
            text = values.get(name)
            numbers[name] = _exact(text)
            if text is not None and numbers[name] is None:
                problems.append(f"{name} {text[:40]!r} is not a number")
        if problems or identifier is None:
            rejections.append(Rejection(line=line, reason="; ".join(problems)))
            continue
        currency = values.get("BillingCurrency")
        if currency:
            currencies.add(currency.upper())
        commitments.append(
            ContractCommitment(
                commitment_id=identifier,
                contract_id=values.get("ContractId"),
                category=values.get("ContractCommitmentCategory"),
                kind=values.get("ContractCommitmentType"),
                description=values.get("ContractCommitmentDescription"),
                period_start=values.get("ContractCommitmentPeriodStart"),
                period_end=values.get("ContractCommitmentPeriodEnd"),
                cost=numbers["ContractCommitmentCost"],
                currency=currency,
                quantity=numbers["ContractCommitmentQuantity"],
                unit=values.get("ContractCommitmentUnit"),
                status=values.get("ContractCommitmentLifecycleStatus"),
            )
        )
    notes = []
    other = sorted(currencies - {CURRENCY})
    if other:
        notes.append(
            f"Amounts are in {', '.join(other)} as written; they are not converted to USD."
        )
    return ContractCommitments(
        source=source,
        commitments=tuple(commitments),
        rejections=tuple(rejections[:MAX_REJECTIONS_KEPT]),
        notes=tuple(notes),
    )


def focus_from_export(
    raw: ibis.Table, source: str
) -> tuple[ibis.Table, ibis.Table, tuple[str, ...], list[str]]:
    """A warehouse table of FOCUS columns as the ``focus`` table, in Ibis, on its engine.

    Returns the usable rows (the columns of :class:`Bill`'s ``focus`` table), one row of
    counts (``rows``, ``usable``, ``first``, ``last``), the FOCUS columns the table has and
    the notes on its columns. The
    warehouse's own types are trusted, so a row is unusable only when a cost, a charge
    category or a charge period is missing or unknown, the period ends before it starts,
    or the currency is not USD. There are no per-row reasons: a warehouse row has no line.
    Costs are cast to ``DECIMAL(38, 10)``, so the sums are exact, as for a file.
    """
    import ibis

    mapping, notes = resolve_columns(list(raw.columns), source)

    # try_cast: a cost or date-time the engine cannot read makes the row unusable, as in a
    # file, instead of failing the whole query.
    def column(name: str, kind: str = "string") -> ibis.Value:
        if name in mapping:
            return raw[mapping[name]].try_cast(kind)
        return ibis.null(kind)

    def known(name: str, values: Mapping[str, str]) -> ibis.Value:
        return column(name).lower().cases(*values.items())

    cost = ibis.expr.datatypes.Decimal(38, 10)
    statuses = {s.lower(): s for s in COMMITMENT_STATUSES}
    pricing = {c.lower(): c for c in PRICING_CATEGORIES} | dict(PRICING_SYNONYMS)
    typed = raw.select(
        billed=column("BilledCost", cost),
        effective=column("EffectiveCost", cost),
        list_cost=column("ListCost", cost),
        charge_category=known("ChargeCategory", {c.lower(): c for c in CHARGE_CATEGORIES}),
        start=column("ChargePeriodStart", "timestamp"),
        end=column("ChargePeriodEnd", "timestamp"),
        pricing_category=known("PricingCategory", pricing).fill_null(column("PricingCategory")),
        service=column("ServiceName"),
        service_category=column("ServiceCategory"),
        resource_type=column("ResourceType"),
        tags=column("Tags"),
        commitment_id=column("CommitmentDiscountId"),
        commitment_status=known("CommitmentDiscountStatus", statuses),
        utilization=column("x_Utilization", "float64"),
        currency=column("BillingCurrency").upper(),
    )
    usable = (
        typed.billed.notnull()
        & typed.effective.notnull()
        & typed.charge_category.notnull()
        & typed.start.notnull()
        & typed.end.notnull()
        & (typed.end >= typed.start)
        & (typed.currency.isnull() | (typed.currency == CURRENCY))
    )
    counts = typed.aggregate(
        rows=typed.count(),
        usable=typed.count(where=usable),
        first=typed.start.min(where=usable),
        last=typed.end.max(where=usable),
    )
    present = set(mapping)
    notes.extend(
        f"No {name} column: {OPTIONAL_COLUMNS[name]}."
        for name in OPTIONAL_COLUMNS
        if name not in present
    )
    return typed.filter(usable).drop("currency"), counts, tuple(mapping), notes


def seal(con: Any) -> None:
    """Forbid any further file or network access from this connection's SQL."""
    con.execute("SET enable_external_access = false")


def replace_source(bill: Bill, source: str) -> Bill:
    """The same bill under another display name."""
    return dataclasses.replace(bill, source=source)

"""Where the attribution query runs: DuckDB (the default), a local Spark session, a warehouse.

The query is one Ibis expression (:mod:`planner.finops.attribution`), so it runs unchanged on
each engine Ibis compiles to; a :class:`~planner.finops.billing.Bill` says where its
``focus`` table lives (``Bill.table``).

* :func:`on_spark` hands a bill read from a file to a Spark session: the file is read and
  checked as for DuckDB (the same rejections and line numbers), then its usable rows are
  sent to Spark as Arrow, decimals exact, and the attribution runs there.
* :func:`read_warehouse` opens a table of FOCUS columns where it lives, from an Ibis
  connection URL (``duckdb:///bills.ddb``, ``pyspark://``, ``trino://...``,
  ``bigquery://...``, ``snowflake://...``); only aggregates come back.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from planner.core.errors import PlannerInputError
from planner.finops.billing import Bill, focus_from_export

__all__ = ["ENGINES", "on_spark", "read_warehouse", "spark_session"]

ENGINES = ("duckdb", "spark")


@contextmanager
def spark_session(master: str = "local[*]") -> Iterator[Any]:
    """The running Spark session (a notebook's, a test's), or a local one for this block.

    A session this starts is stopped at the end of the block; a running one is left
    running, in UTC. A bill's aggregates have a few hundred groups, so a new session has
    4 shuffle partitions: Spark's default of 200 spends most of its time on empty tasks.
    """
    from pyspark.sql import SparkSession

    running = SparkSession.getActiveSession()
    session = running or (
        SparkSession.builder.master(master)
        .appName("planner-attribute")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        # The stage progress bar would be drawn on the terminal, into the command's output.
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    if running is None:
        # Spark's WARN lines (loopback host name, no native Hadoop) would bury the report.
        session.sparkContext.setLogLevel("ERROR")
    # FOCUS states every date-time in UTC; months are cut in UTC on every engine.
    session.conf.set("spark.sql.session.timeZone", "UTC")
    try:
        yield session
    finally:
        if running is None:
            session.stop()


def on_spark(bill: Bill, session: Any) -> Bill:
    """The same bill, its attribution run in ``session`` (a local or remote Spark)."""
    import ibis

    if bill.con is None:
        raise PlannerInputError(f"{bill.source} is not a bill read from a file")
    cursor = bill.con.cursor()
    try:
        rows = cursor.sql("SELECT * FROM focus").to_arrow_table()
    finally:
        cursor.close()
    # One view per bill, so two bills in one session do not see each other's rows.
    view = f"focus_{bill.fingerprint[:16]}"
    session.createDataFrame(rows).createOrReplaceTempView(view)
    return dataclasses.replace(bill, remote=ibis.pyspark.connect(session).table(view))


def read_warehouse(url: str, table: str) -> Bill:
    """A bill from the table ``table`` of the Ibis connection ``url``, left where it is.

    Raises
    ------
    PlannerInputError
        When the URL cannot be opened, the table is not there, it lacks FOCUS's required
        columns, or none of its rows can be used.
    """
    import ibis

    try:
        backend = ibis.connect(url)
        raw = backend.table(table)
    except Exception as error:  # each engine's driver raises errors of its own
        raise PlannerInputError(
            f"Cannot open table {table!r} at {url.split('://')[0]}://...: "
            f"{str(error).splitlines()[0][:200]}",
            fix="pass an Ibis connection URL (e.g. duckdb:///bills.ddb) and a table of "
            "FOCUS columns",
        ) from None
    source = f"table {table}"
    focus, counts, columns, notes = focus_from_export(raw, source)
    found = counts.to_pyarrow().to_pylist()[0]
    rows, usable = int(found["rows"]), int(found["usable"])
    if usable == 0:
        raise PlannerInputError(
            f"None of the {rows:,} rows of {source} can be used",
            fix="check that its costs are numbers, its ChargeCategory FOCUS values and its "
            "charge periods timestamps",
        )
    if usable < rows:
        notes.append(
            f"{rows - usable:,} rows of {source} are not used: a cost, charge category or "
            "charge period is missing or unknown, the period ends before it starts, or the "
            "currency is not USD."
        )
    return Bill(
        source=source,
        fingerprint=hashlib.sha256(f"{url}|{table}".encode()).hexdigest(),
        rows_read=rows,
        rows_rejected=rows - usable,
        rejections=(),
        notes=tuple(notes),
        columns=columns,
        tag_keys=(),
        has_utilization="x_Utilization" in columns,
        first_charge=found["first"],
        last_charge=found["last"],
        con=None,
        remote=focus,
    )

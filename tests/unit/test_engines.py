"""The attribution query on each engine: DuckDB, a warehouse URL, and a real local Spark.

The Spark tests share one ``local[1]`` session with one shuffle partition, so they stay
small on CI's two cores; they need Java (``.ci/run`` installs Debian's JRE).
"""

from __future__ import annotations

import gc
import io
import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from planner.cli import main
from planner.finops.attribution import attribute, months
from planner.finops.focus_sample import generate_focus
from planner.io.billing import read_billing, write_focus_csv
from planner.io.engines import on_spark, read_warehouse, spark_session
from planner.scenario.finops import (
    AttributionRule,
    AttributionSettings,
    CostView,
    SampleSpec,
    SharedRule,
)

# Half cents everywhere: 0.005 + 0.010 = 0.015 rounds up only if the sum is exact.
HALF_CENTS = """BilledCost,EffectiveCost,ChargeCategory,ChargePeriodStart,ChargePeriodEnd,\
ServiceName,Tags,CommitmentDiscountId,CommitmentDiscountStatus
0.005,0.005,Usage,2025-01-01T00:00:00Z,2025-01-02T00:00:00Z,GPU,"{""team"": ""a""}",,
0.010,0.010,Usage,2025-01-01T00:00:00Z,2025-01-02T00:00:00Z,GPU,"{""team"": ""a""}",,
0,0.333333,Usage,2025-02-01T00:00:00Z,2025-02-02T00:00:00Z,GPU,"{""team"": ""b""}",ri-1,Used
0,0.666667,Usage,2025-02-01T00:00:00Z,2025-02-02T00:00:00Z,GPU,"{""team"": ""c""}",ri-1,Used
10.005,0,Purchase,2025-02-01T00:00:00Z,2025-02-02T00:00:00Z,GPU,,ri-1,
2.50,2.50,Usage,2025-02-01T00:00:00Z,2025-02-02T00:00:00Z,GPU,,,
not a cost,1,Usage,2025-02-01T00:00:00Z,2025-02-02T00:00:00Z,GPU,,,
"""


# pyspark 4.0 leaves the local sockets it collects results through to the garbage collector.
pytestmark = [
    pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning"),
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
    ),
]


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out), out.getvalue()


@pytest.fixture(scope="module")
def half_cents(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bill") / "half_cents.csv"
    path.write_text(HALF_CENTS, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def sample_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bill") / "sample.csv"
    write_focus_csv(generate_focus(SampleSpec(months=2, annual_usd=50_000)), path)
    return path


def test_half_cents_are_exact_on_duckdb(half_cents: Path) -> None:
    settings = AttributionSettings(
        rules=(AttributionRule(tag_key="team"),),
        cost_view=CostView.BILLED,
        shared_rule=SharedRule.NONE,
    )
    result = attribute(read_billing(half_cents), settings)
    owners = {a.owner: a.total_cents for a in result.allocations}
    # a's 0.005 + 0.010 is 1.5 cents, b's third of the 10.005 purchase 333.5: the tie for
    # the last cent goes to the first. A float sum (0.01499...) would give a 1 cent.
    assert owners == {"a": 2, "b": 333, "c": 667}
    assert (result.total_cents, result.unallocated_cents) == (1252, 250)
    assert result.reconciles()


def test_a_warehouse_table_is_attributed_where_it_lives(half_cents: Path, tmp_path: Path) -> None:
    database = tmp_path / "bills.ddb"
    with duckdb.connect(str(database)) as con:
        con.execute(
            "CREATE TABLE focus_export AS SELECT * FROM read_csv(?, all_varchar = true)",
            [str(half_cents)],
        )
    status, text = run(
        "attribute", "--connect", f"duckdb:///{database}", "--table", "focus_export",
        "--by", "team", "--view", "billed", "--json",
    )  # fmt: skip
    assert status == 0
    document = json.loads(text)
    assert document["allocations"] == {"a": 0.02, "b": 3.33, "c": 6.67}
    assert (document["rows_read"], document["rows_rejected"]) == (7, 1)
    bill = read_warehouse(f"duckdb:///{database}", "focus_export")
    assert bill.con is None
    assert months(bill) == ("2025-01", "2025-02")


def test_connect_needs_a_table_and_no_file(
    half_cents: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("attribute", "--connect", "duckdb://", "--by", "team")[0] == 2
    assert "--table" in capsys.readouterr().err
    assert run("attribute", str(half_cents), "--connect", "duckdb://", "--by", "team")[0] == 2


needs_java = pytest.mark.skipif(
    shutil.which("java") is None and not os.environ.get("CI"),
    reason="no Java here; CI installs it and never skips",
)


@pytest.fixture(scope="module")
def spark():
    """One small local Spark for this module: one core, one shuffle partition."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    gc.collect()  # the leaked sockets are closed here, under this module's warning filter


@needs_java
@pytest.mark.parametrize("shared", ["none", "proportional"])
def test_spark_and_duckdb_give_identical_json_and_invoices(
    spark, sample_csv: Path, half_cents: Path, tmp_path: Path, shared: str
) -> None:
    for bill in (sample_csv, half_cents):
        outputs = []
        for engine in ("duckdb", "spark"):
            invoices = tmp_path / f"{bill.stem}-{engine}.csv"
            status, text = run(
                "attribute", str(bill), "--engine", engine, "--by", "team", "--shared", shared,
                "--invoices", str(invoices), "--json",
            )  # fmt: skip
            assert status == 0
            outputs.append((text, invoices.read_text(encoding="utf-8")))
        assert outputs[0] == outputs[1]
    # The CLI used the running session and left it running.
    assert spark.sparkContext._jsc is not None


@needs_java
def test_spark_splits_purchases_by_covered_usage_to_the_cent(spark, half_cents: Path) -> None:
    settings = AttributionSettings(
        rules=(AttributionRule(tag_key="team"),),
        cost_view=CostView.BILLED,
        shared_rule=SharedRule.EVEN,
    )
    bill = read_billing(half_cents)
    with spark_session() as session:
        on_duckdb, on_spark_ = (
            attribute(bill, settings),
            attribute(on_spark(bill, session), settings),
        )
    assert on_spark_ == on_duckdb
    assert on_spark_.reconciles()

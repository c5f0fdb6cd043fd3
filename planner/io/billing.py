"""Reading billing exports from files and uploads (the file side of
:mod:`planner.finops.billing`).

This is the one FinOps module that touches the file system, so that
:mod:`planner.finops.billing`, :mod:`planner.finops.attribution` and
:mod:`planner.finops.recovery` stay pure: it reads billing exports and uploads and writes
synthetic exports (for tests and benchmarks); the catalog reads the budget-recovery lever
library, ``planner/data/finops_levers.csv``. Reading is defensive, in this order:

1. the size is capped **before** anything is read (:data:`MAX_BILLING_BYTES` for files,
   :data:`MAX_UPLOAD_BYTES` for uploads; both can be passed in);
2. the first bytes say what the file is: CSV text (optionally gzip-compressed) or Parquet
   pass; an empty file, a ZIP or Excel workbook, a PDF, an image, UTF-16 text or any other
   binary file is refused with a message that names it;
2b. before DuckDB reads it, a CSV is streamed once in 1 MiB chunks (:func:`scan_csv`): a
   gzip that expands past the same size cap (a decompression bomb) and a line longer than
   DuckDB's read buffer (which DuckDB would drop without a trace) are refused; a Parquet
   file's footer may declare at most one row per :data:`MIN_ROW_BYTES` of that cap;
3. DuckDB reads the file in one pass (CSV with every field as text, so a bad value is a
   rejected row, not a failed import) into a typed in-memory table with each unusable
   row's reasons (:func:`planner.finops.billing.staging_sql`), which
   :func:`planner.finops.billing.finish_bill` turns into a bill.

Every problem is a :class:`~planner.core.errors.PlannerInputError` with a plain message.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import os
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from planner.core.errors import PlannerInputError
from planner.finops.billing import (
    MAX_LINE_BYTES,
    MAX_REJECTIONS_KEPT,
    Bill,
    ContractCommitments,
    Rejection,
    contract_commitments_from_rows,
    finish_bill,
    new_connection,
    resolve_columns,
    seal,
    select_list,
    staging_sql,
    structural_reason,
)

__all__ = [
    "MAX_BILLING_BYTES",
    "MAX_UPLOAD_BYTES",
    "read_billing",
    "read_billing_bytes",
    "read_contract_commitments",
    "read_contract_commitments_bytes",
    "sniff",
    "write_focus_csv",
]

# The command line reads files up to 1 GiB by default (--max-mb raises it); DuckDB streams
# them, so the cap is about time, not memory.
MAX_BILLING_BYTES = 1024 * 1024 * 1024
# Uploads in the app: the same limit as .streamlit/config.toml's server.maxUploadSize.
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
# A Contract Commitment dataset lists contracts, not charges: a few rows per commitment.
MAX_COMMITMENTS_BYTES = 16 * 1024 * 1024
_HEAD_BYTES = 64 * 1024
# DuckDB reads CSV through buffers of this size, and silently drops a line longer than one
# buffer (duckdb 2.0), so such a file is refused first. Lines between MAX_LINE_BYTES and this
# are DuckDB's own rejected rows.
_CSV_BUFFER_BYTES = 32 * 1024 * 1024
_SCAN_CHUNK_BYTES = 1024 * 1024
# A FOCUS row is at least this long as CSV, so a file within the size cap holds at most
# max_bytes / MIN_ROW_BYTES rows; a Parquet file may not declare more (its row groups can
# hold millions of repeated values in a few bytes).
MIN_ROW_BYTES = 50

_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (
        b"PK\x03\x04",
        "a ZIP archive or an Excel .xlsx workbook",
        "unzip it, or save the sheet as CSV",
    ),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook", "save the sheet as CSV"),
    (b"%PDF", "a PDF document", "export the bill as CSV or Parquet instead of a PDF invoice"),
    (b"\x89PNG", "a PNG image", "upload the billing export, not a screenshot"),
    (b"\xff\xd8\xff", "a JPEG image", "upload the billing export, not a screenshot"),
    (b"GIF8", "a GIF image", "upload the billing export, not a screenshot"),
    (b"SQLite format 3", "an SQLite database", "export the table as CSV"),
    (b"\x7fELF", "a program", "upload the billing export"),
    (b"MZ", "a Windows program", "upload the billing export"),
    (b"7z\xbc\xaf", "a 7-Zip archive", "extract the CSV first"),
    (b"BZh", "a bzip2 archive", "extract the CSV first, or compress it with gzip"),
    (b"\xfd7zXZ", "an xz archive", "extract the CSV first, or compress it with gzip"),
    (b"\x28\xb5\x2f\xfd", "a zstd archive", "extract the CSV first, or compress it with gzip"),
)


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:,.0f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


def check_size(size: int, name: str, max_bytes: int) -> None:
    """Refuse an empty or oversized file before reading a byte of it.

    >>> check_size(3_000_000_000, "bill.csv", 200 * 1024 * 1024)
    Traceback (most recent call last):
    ...
    planner.core.errors.PlannerInputError: bill.csv is 2,861 MB, more than the 200 MB this planner \
reads. To fix: export a shorter period (e.g. one month), or filter the export to the \
accounts you need.
    """
    if size == 0:
        raise PlannerInputError(f"{name} is empty", fix="export the bill again")
    if size > max_bytes:
        raise PlannerInputError(
            f"{name} is {_mib(size)}, more than the {_mib(max_bytes)} this planner reads",
            fix="export a shorter period (e.g. one month), or filter the export to the accounts "
            "you need",
        )


def sniff(head: bytes, name: str) -> str:
    """What the first bytes of a file say it is: ``"csv"``, ``"csv.gz"`` or ``"parquet"``.

    >>> sniff(b"BilledCost,EffectiveCost\\n1,1\\n", "a.csv")
    'csv'
    >>> sniff(b"PAR1\\x15\\x04", "a.parquet")
    'parquet'
    >>> sniff(b"\\x89PNG\\r\\n\\x1a\\n", "bill.csv")
    Traceback (most recent call last):
    ...
    planner.core.errors.PlannerInputError: bill.csv is a PNG image, not a CSV or Parquet billing \
export. To fix: upload the billing export, not a screenshot.
    """
    if not head:
        raise PlannerInputError(f"{name} is empty", fix="export the bill again")
    if head.startswith(b"PAR1"):
        return "parquet"
    for signature, what, fix in _SIGNATURES:
        if head.startswith(signature):
            raise PlannerInputError(
                f"{name} is {what}, not a CSV or Parquet billing export", fix=fix
            )
    kind = "csv"
    if head.startswith(b"\x1f\x8b"):
        kind = "csv.gz"
        try:
            head = zlib.decompressobj(wbits=31).decompress(head, _HEAD_BYTES)
        except zlib.error:
            raise PlannerInputError(
                f"{name} is a damaged gzip file", fix="compress the CSV again, or upload it as is"
            ) from None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PlannerInputError(
            f"{name} is UTF-16 text", fix="save it as CSV in UTF-8 (Excel: 'CSV UTF-8')"
        )
    if b"\x00" in head:
        raise PlannerInputError(
            f"{name} is a binary file, not a CSV or Parquet billing export",
            fix="upload the FOCUS export as .csv, .csv.gz or .parquet",
        )
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError:
        raise PlannerInputError(
            f"{name} is not UTF-8 text", fix="save it as CSV in UTF-8 (Excel: 'CSV UTF-8')"
        ) from None
    header = text.split("\n", 1)[0].strip()
    if not header:
        raise PlannerInputError(
            f"{name} starts with an empty line where the column names should be",
            fix="remove the blank lines at the top",
        )
    if "," not in header:
        if header.startswith(("{", "[")):
            what = "JSON"
        elif header.lower().startswith(("<!doctype", "<html", "<?xml", "<")):
            what = "HTML or XML"
        elif ";" in header or "\t" in header:
            separator = "semicolons" if ";" in header else "tabs"
            raise PlannerInputError(
                f"{name} separates its columns with {separator}; FOCUS CSV uses commas",
                fix="export it again with commas as the separator",
            )
        else:
            what = ""
        if what:
            raise PlannerInputError(
                f"{name} is {what}, not a CSV billing export",
                fix="export the bill as CSV or Parquet in FOCUS format",
            )
    return kind


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(_HEAD_BYTES)


def header_columns(head: bytes, kind: str) -> list[str]:
    """The column names on a CSV's first line, made unique and non-empty.

    >>> header_columns(b'\\xef\\xbb\\xbfBilledCost,"Tags",,Tags\\r\\n1,2,3,4\\n', "csv")
    ['BilledCost', 'Tags', 'column3', 'Tags_2']
    """
    if kind == "csv.gz":
        head = zlib.decompressobj(wbits=31).decompress(head, _HEAD_BYTES)
    text = codecs.getincrementaldecoder("utf-8-sig")(errors="replace").decode(head, final=False)
    first = text.splitlines()[0] if text else ""
    names: list[str] = []
    taken: set[str] = set()
    last_suffix: dict[str, int] = {}  # keeps renaming linear in a header of many repeats
    for index, raw in enumerate(next(csv.reader([first]), [])):
        name = raw.strip() or f"column{index + 1}"
        candidate, count = name, last_suffix.get(name, 1)
        while candidate in taken:
            count += 1
            candidate = f"{name}_{count}"
        last_suffix[name] = count
        names.append(candidate)
        taken.add(candidate)
    return names


@dataclass(frozen=True, slots=True, kw_only=True)
class CsvScan:
    """What one streaming pass over a CSV found out.

    ``lines`` counts physical lines (``\\r\\n``, a lone ``\\n`` and a lone ``\\r`` each end
    one; a last line without an ending counts too). ``mixed_endings`` is true when more than
    one of those endings occurs: DuckDB's reader takes one kind per file and stops on a mix.
    """

    lines: int
    mixed_endings: bool


def _endings(chunk: bytes) -> tuple[int, int, int]:
    """How many CRLF, lone LF and lone CR endings a chunk holds (it must not end in CR).

    >>> _endings(b"a\\r\\nb\\nc\\rd\\r\\n"), _endings(b"a\\nb\\n")
    ((2, 1, 1), (0, 2, 0))
    """
    lf, cr = chunk.count(b"\n"), chunk.count(b"\r")
    # Counting a two-byte string is several times slower than one byte: skip it when a
    # chunk has only one of the two.
    crlf = chunk.count(b"\r\n") if lf and cr else 0
    return crlf, lf - crlf, cr - crlf


def scan_csv(path: Path, kind: str, name: str, max_bytes: int) -> CsvScan:
    """Stream a CSV once, in bounded memory, and refuse what DuckDB must not be given.

    A ``.csv.gz`` may expand to at most ``max_bytes`` of text, the cap a plain CSV has; a
    line may be at most DuckDB's read-buffer size.

    Raises
    ------
    PlannerInputError
        For a decompression bomb, a damaged gzip file, or an over-long line (with its
        number).
    """
    opener: Any = gzip.open if kind == "csv.gz" else open
    total = 0  # uncompressed bytes read, up to the end of the chunk being looked at
    lines = 0  # line endings seen before the chunk being looked at
    line_start = 0  # where the line being read starts, in uncompressed bytes
    kinds = [0, 0, 0]  # CRLF, LF, CR endings
    last = b""
    try:
        with opener(path, "rb") as handle:
            carry = b""
            while True:
                data = handle.read(_SCAN_CHUNK_BYTES)
                # A CR at the end of a chunk may be the first half of a CRLF: hold it back.
                chunk = carry + data
                carry = chunk[-1:] if data and chunk.endswith(b"\r") else b""
                chunk = chunk[: len(chunk) - len(carry)]
                if not chunk and not data:
                    break
                offset = total
                total += len(chunk)
                ends = [at for at in (chunk.find(b"\n"), chunk.find(b"\r")) if at >= 0]
                if ends:
                    if offset + min(ends) - line_start > _CSV_BUFFER_BYTES:
                        raise _long_line(name, lines + 1)
                    counts = _endings(chunk)
                    kinds = [k + c for k, c in zip(kinds, counts, strict=True)]
                    lines += sum(counts)
                    line_start = offset + max(chunk.rfind(b"\n"), chunk.rfind(b"\r")) + 1
                if total - line_start > _CSV_BUFFER_BYTES:
                    raise _long_line(name, lines + 1)
                if total > max_bytes:
                    raise PlannerInputError(
                        f"{name} expands to more than {_mib(max_bytes)} of CSV, the most this "
                        "planner reads",
                        fix="export a shorter period (e.g. one month), or filter the export to "
                        "the accounts you need",
                    )
                last = chunk[-1:] or last
                if not data:
                    break
    except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
        if kind != "csv.gz":
            raise PlannerInputError(f"Cannot read {name}: {error}") from None
        raise PlannerInputError(
            f"{name} is a damaged gzip file", fix="compress the CSV again, or upload it as is"
        ) from None
    if last and last not in b"\r\n":
        lines += 1
    return CsvScan(lines=lines, mixed_endings=sum(1 for k in kinds if k) > 1)


def normalise_endings(path: Path, kind: str, out: Path) -> None:
    """Copy a CSV (gzip or not) to ``out`` as plain text with every line ending ``\\n``.

    A line ending inside a quoted field becomes ``\\n`` too; the field keeps its line break.
    """
    opener: Any = gzip.open if kind == "csv.gz" else open
    with opener(path, "rb") as source, out.open("wb") as target:
        carry = b""
        while data := source.read(_SCAN_CHUNK_BYTES):
            chunk = carry + data
            carry = b"\r" if chunk.endswith(b"\r") else b""
            chunk = chunk[: len(chunk) - len(carry)]
            target.write(chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
        if carry:
            target.write(b"\n")


def physical_lines(
    path: Path, kind: str, records: Sequence[int], rowids: Sequence[int]
) -> tuple[dict[int, int], dict[int, int]] | None:
    """The physical line on which each record, and each row of ``staged``, starts.

    DuckDB numbers a rejected line by the records and blank lines before it, so a quoted
    field that holds line breaks shifts every later number; and ``staged`` holds only the
    records DuckDB could split. Python's CSV reader, which reads the same dialect, counts
    the physical lines. ``records`` are DuckDB's numbers of the lines it could not split;
    ``rowids`` are rows of ``staged``. Returns ``None`` if the two readers disagree on the
    records, or a field is longer than the csv module's limit (128 KiB, a process-wide
    setting this function leaves alone); then the numbers DuckDB gave stand.
    """
    wanted_records, wanted_rows = set(records), set(rowids)
    by_record: dict[int, int] = {}
    by_row: dict[int, int] = {}
    opener: Any = gzip.open if kind == "csv.gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", errors="replace", newline="") as text:
            reader = csv.reader(text)
            start, row_id = 1, -1
            for record, fields in enumerate(reader, start=1):
                if record in wanted_records:
                    by_record[record] = start
                elif record > 1 and fields:  # DuckDB skips blank lines
                    row_id += 1
                    if row_id in wanted_rows:
                        by_row[row_id] = start
                start = reader.line_num + 1
    except csv.Error:
        return None
    if len(by_record) != len(wanted_records) or len(by_row) != len(wanted_rows):
        return None
    return by_record, by_row


def _long_line(name: str, line: int) -> PlannerInputError:
    return PlannerInputError(
        f"{name} line {line:,} is longer than {_mib(_CSV_BUFFER_BYTES)}: this is not a "
        "billing export row",
        fix="check that this is the CSV billing export, saved with one charge per line",
    )


def _csv_options(kind: str, names: Sequence[str]) -> str:
    """read_csv options: every field as text, the header's names, rejects kept with lines.

    The dialect is fixed (FOCUS CSV is comma-separated with double quotes), so DuckDB's
    sniffer cannot misread an odd first line.
    """
    compression = "gzip" if kind == "csv.gz" else "none"
    columns = ", ".join(f"{_literal(n)}: 'VARCHAR'" for n in names)
    return (
        f"columns = {{{columns}}}, header = true, auto_detect = false, delim = ',', "
        f"quote = '\"', escape = '\"', store_rejects = true, "
        f"max_line_size = {MAX_LINE_BYTES}, buffer_size = {_CSV_BUFFER_BYTES}, "
        f"compression = '{compression}'"
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _load_csv(
    con: Any, path: Path, kind: str, name: str, head: bytes
) -> tuple[list[str], list[Rejection], list[str]]:
    """Read and stage a CSV in one pass: FOCUS columns, lines it could not split, notes."""
    names = header_columns(head, kind)
    mapping, notes = resolve_columns(names, name)
    options = _csv_options(kind, names)
    relation = f"(SELECT {select_list(mapping)} FROM read_csv(?, {options})) AS raw"  # noqa: S608
    con.execute(f"CREATE TABLE staged AS {staging_sql(mapping, relation)}", [str(path)])
    skipped: dict[int, str] = {}
    for line, error_type, message in con.execute(
        "SELECT line, error_type, error_message FROM reject_errors ORDER BY line"
    ).fetchall():
        skipped.setdefault(int(line), structural_reason(str(error_type), str(message)))
    rejections = [Rejection(line=line, reason=reason) for line, reason in skipped.items()]
    return list(mapping), rejections, notes


def _load_parquet(con: Any, path: Path, name: str, max_bytes: int) -> tuple[list[str], list[str]]:
    """Read and stage a Parquet file in one pass: FOCUS columns and notes."""
    (declared,) = con.execute(
        "SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata(?)", [str(path)]
    ).fetchone()
    max_rows = max_bytes // MIN_ROW_BYTES
    if int(declared) > max_rows:
        raise PlannerInputError(
            f"{name} declares {int(declared):,} rows, more than the {max_rows:,} this planner "
            f"reads from a file of at most {_mib(max_bytes)}",
            fix="export a shorter period (e.g. one month), or filter the export to the "
            "accounts you need",
        )
    described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    names = [str(row[0]) for row in described]
    types = {str(row[0]): str(row[1]) for row in described}
    mapping, notes = resolve_columns(names, name)
    relation = f"(SELECT {select_list(mapping, types)} FROM read_parquet(?)) AS raw"  # noqa: S608
    con.execute(f"CREATE TABLE staged AS {staging_sql(mapping, relation)}", [str(path)])
    return list(mapping), notes


def _readable(error: duckdb.Error) -> str:
    """DuckDB's first line, without its error-class prefix."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return first.split(": ", 1)[-1] if first.endswith(".") or ": " in first else first


def read_billing(
    path: str | Path,
    *,
    max_bytes: int = MAX_BILLING_BYTES,
    display_name: str | None = None,
    fingerprint: str | None = None,
) -> Bill:
    """Read a FOCUS export (``.csv``, ``.csv.gz`` or ``.parquet``) into a :class:`Bill`.

    Raises
    ------
    PlannerInputError
        For a missing, empty, oversized or non-CSV/Parquet file, missing FOCUS columns, or
        a file in which no row is usable. Rows that cannot be used are not errors: they are
        the bill's ``rejections``.
    """
    path = Path(path)
    name = display_name or path.name
    try:
        if path.is_dir():
            raise PlannerInputError(f"{path} is a folder", fix="pass a FOCUS .csv or .parquet file")
        stat = path.stat()
        check_size(stat.st_size, name, max_bytes)
        head = _head(path)
        kind = sniff(head, name)
        scan = scan_csv(path, kind, name, max_bytes) if kind != "parquet" else None
    except FileNotFoundError:
        raise PlannerInputError(f"No such file: {path}", fix="check the path") from None
    except PermissionError:
        raise PlannerInputError(f"Cannot read {path}: permission denied") from None
    if fingerprint is None:
        fingerprint = hashlib.sha256(
            f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()
        ).hexdigest()
    spill = Path(tempfile.gettempdir()) / "planner-duckdb"
    con = new_connection()
    normalised: Path | None = None
    try:
        con.execute("SET temp_directory = ?", [str(spill)])
        skipped: list[Rejection] = []
        row_lines: dict[int, int] | None = None
        if scan is None:
            columns, notes = _load_parquet(con, path, name, max_bytes)
            first_line = 1
        else:
            source, source_kind = path, kind
            if scan.mixed_endings:
                handle, temp = tempfile.mkstemp(prefix="planner-lf-", suffix=".csv")
                os.close(handle)
                normalised = Path(temp)
                normalise_endings(path, kind, normalised)
                source, source_kind, head = normalised, "csv", _head(normalised)
            columns, skipped, notes = _load_csv(con, source, source_kind, name, head)
            if scan.mixed_endings:
                notes.append(
                    "The file mixes line endings (LF, CRLF and CR); each is read as a line end."
                )
            first_line = 2
            skipped, row_lines = _physical(con, source, source_kind, scan, skipped, notes)
        seal(con)
        return finish_bill(
            con,
            source=name,
            fingerprint=fingerprint,
            columns=columns,
            first_line=first_line,
            skipped=skipped,
            extra_notes=notes,
            row_lines=row_lines,
        )
    except duckdb.Error as error:
        con.close()
        what = "Parquet" if kind == "parquet" else "CSV"
        raise PlannerInputError(
            # DuckDB names the path it read: an upload's temporary file, not the user's.
            f"{name} cannot be read as {what}: {_readable(error).replace(str(path), name)}",
            fix="check that it is a FOCUS export saved as plain comma-separated UTF-8 text"
            if what == "CSV"
            else "export it again; the file may be truncated",
        ) from None
    except PlannerInputError:
        con.close()
        raise
    finally:
        if normalised is not None:
            normalised.unlink(missing_ok=True)


def _physical(
    con: Any, path: Path, kind: str, scan: CsvScan, skipped: list[Rejection], notes: list[str]
) -> tuple[list[Rejection], dict[int, int] | None]:
    """Rejections on physical lines, when records and lines differ (see :func:`physical_lines`).

    Returns the skipped lines renumbered and the line of each rejected ``staged`` row; when
    every record is one line (the usual case, checked by counting), nothing needs reading.
    When the line numbers cannot be found, a note in ``notes`` says what they count.
    """
    (staged,) = con.execute("SELECT count(*) FROM staged").fetchone()
    if scan.lines == 1 + int(staged) + len(skipped):
        return skipped, None
    rowids = [
        int(row)
        for (row,) in con.execute(
            "SELECT rowid FROM staged WHERE _reason <> '' ORDER BY rowid LIMIT ?",
            [MAX_REJECTIONS_KEPT],
        ).fetchall()
    ]
    if not rowids and not skipped:
        return skipped, None
    found = physical_lines(path, kind, [r.line for r in skipped], rowids)
    if found is None:
        notes.append(
            "Line numbers in the rejections count records, not physical lines: the file's "
            "quoting could not be followed line by line."
        )
        return skipped, None
    by_record, by_row = found
    return [Rejection(line=by_record[r.line], reason=r.reason) for r in skipped], by_row


def read_billing_bytes(data: bytes, name: str, *, max_bytes: int = MAX_UPLOAD_BYTES) -> Bill:
    """Read an uploaded export held in memory (see :func:`read_billing`)."""
    check_size(len(data), name, max_bytes)
    kind = sniff(data[:_HEAD_BYTES], name)
    suffix = {"csv": ".csv", "csv.gz": ".csv.gz", "parquet": ".parquet"}[kind]
    digest = hashlib.sha256(data).hexdigest()
    handle, temp = tempfile.mkstemp(prefix="planner-upload-", suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        return read_billing(temp, max_bytes=max_bytes, display_name=name, fingerprint=digest)
    finally:
        Path(temp).unlink(missing_ok=True)


def read_contract_commitments_bytes(
    data: bytes, name: str, *, max_bytes: int = MAX_COMMITMENTS_BYTES
) -> ContractCommitments:
    """Read an uploaded Contract Commitment dataset held in memory (see below)."""
    check_size(len(data), name, max_bytes)
    handle, temp = tempfile.mkstemp(prefix="planner-commitments-", suffix=".csv")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        return read_contract_commitments(temp, max_bytes=max_bytes, display_name=name)
    finally:
        Path(temp).unlink(missing_ok=True)


def read_contract_commitments(
    path: str | Path, *, max_bytes: int = MAX_COMMITMENTS_BYTES, display_name: str | None = None
) -> ContractCommitments:
    """Read a FOCUS 1.3 Contract Commitment dataset (CSV) beside a cost and usage export.

    Raises
    ------
    PlannerInputError
        For a missing, empty, oversized or non-CSV file, or one without the
        ``ContractCommitmentId`` column (a cost file is named as such).
    """
    path = Path(path)
    name = display_name or path.name
    try:
        check_size(path.stat().st_size, name, max_bytes)
        head = _head(path)
        kind = sniff(head, name)
        if kind == "parquet":
            raise PlannerInputError(
                f"{name} is Parquet; this planner reads Contract Commitment datasets as CSV",
                fix="export the commitments as CSV",
            )
        scan_csv(path, kind, name, max_bytes)
        opener: Any = gzip.open if kind == "csv.gz" else open
        with opener(path, "rt", encoding="utf-8-sig", errors="strict", newline="") as text:
            reader = csv.DictReader(text)
            header = [str(n) for n in (reader.fieldnames or [])]
            if "ContractCommitmentId" not in header:
                is_cost = all(c in header for c in ("BilledCost", "ChargePeriodStart"))
                raise PlannerInputError(
                    f"{name} is "
                    + (
                        "a cost and usage export"
                        if is_cost
                        else "not a Contract Commitment dataset"
                    )
                    + ": it has no ContractCommitmentId column",
                    fix="pass the bill as BILLING and the FOCUS 1.3 Contract Commitment "
                    "dataset as --commitments",
                )
            # line_num is the physical line the row ends on; the next starts one past it.
            rows: list[tuple[int, dict[str | None, Any]]] = []
            start = 2
            for row in reader:
                rows.append((start, row))
                start = reader.line_num + 1
    except FileNotFoundError:
        raise PlannerInputError(f"No such file: {path}", fix="check the path") from None
    except UnicodeDecodeError:
        raise PlannerInputError(
            f"{name} is not UTF-8 text", fix="save it as CSV in UTF-8 (Excel: 'CSV UTF-8')"
        ) from None
    except (OSError, csv.Error) as error:
        raise PlannerInputError(f"Cannot read {name}: {error}") from None
    return contract_commitments_from_rows(rows, source=name)


def write_focus_csv(
    frames: pd.DataFrame | Iterator[pd.DataFrame], path: str | Path, *, gzip_output: bool = False
) -> int:
    """Write a FOCUS data frame (or chunks of one) as CSV; return the rows written.

    Chunks are appended one after another, so a bill of millions of rows is written without
    holding it whole in memory.
    """
    path = Path(path)
    chunks = [frames] if isinstance(frames, pd.DataFrame) else frames
    rows = 0
    opener = gzip.open if gzip_output else open
    try:
        with opener(path, "wt", encoding="utf-8", newline="") as out:
            for index, chunk in enumerate(chunks):
                chunk.to_csv(out, index=False, header=index == 0, lineterminator="\n")
                rows += len(chunk)
    except OSError as error:
        raise PlannerInputError(f"Cannot write {path}: {error.strerror}") from None
    return rows


def write_focus_parquet(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a FOCUS data frame as Parquet."""
    try:
        frame.to_parquet(path, index=False)
    except OSError as error:
        raise PlannerInputError(f"Cannot write {path}: {error.strerror}") from None

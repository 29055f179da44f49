"""Storing an export in DuckDB: validate, version, and keep `dossiers` at the newest data.

One transaction per upload, one upload at a time (`db.writing`). The rows of an upload go to
`dossier_versions`; `dossiers` is then rebuilt for the dossier ids the upload touched: the winning
version of a dossier is the one that shows it furthest along by its own dates (`rebuild_dossiers`),
never by a file's title period. Overlapping exports in any order therefore end in the same state,
and undo (delete an upload's versions, rebuild) restores the state before it. The first upload of
the department's own data takes the bundled sample out in its transaction.

Rules worth knowing:
- a row with no readable date and no dossier id (or an "id" without digits, or one starting like a
  totals / signature line: "Tổng cộng", "Người lập biểu", "(Ký, ghi rõ họ tên)") is not a dossier
  and is ignored, not rejected;
- the same dossier id twice in one file: the later row wins (exports list newer states lower);
- a date-time at exactly 00:00 in a due-date column is a date without time: 23:59:59 that day;
- without a finish-date column, `finished_at` is taken from the return-date column;
- only the received date is required: without a dossier-id column the id is derived from the row
  (`_derive_ids`, rule in explain.DERIVED_ID_RULE_VI), without a unit the unit named for the file or
  explain.UNKNOWN_UNIT, without a procedure explain.UNKNOWN_PROCEDURE; what a load fills in or
  cannot feed is said in `UploadResult.warnings` and stored with the upload (`uploads.warnings`).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb
import pandas as pd
import pyarrow as pa

from ..coverage import ALL_FIELD_BITS, FIELD_BITS, Feed, carried_fields, carried_mask
from ..db import PROJECT_ROOT, database_file, storage_error, writing
from ..errors import IngestError, RowProblem
from ..formatting import format_cell_text, format_number
from ..schema import DOSSIER_FIELDS, FIELD_BY_NAME
from . import explain
from .boundary import file_boundary
from .explain import UNKNOWN_PROCEDURE, UNKNOWN_UNIT
from .grid import ROW_COLUMN, same_sheet
from .reader import RawExport, read_export
from .vendors import coded_sql
from .values import (FLAG_FIELDS, TEXT_FIELDS, amount_sql, channel_sql, end_of_day_sql, flag_sql,
                     fold_sql, normalise_text_columns, sql_ident, sql_literal, text_sql, timestamp_sql)

SAMPLE_DIR = PROJECT_ROOT / "sample_data"
SAMPLE_SUFFIXES = (".xlsx", ".xls", ".csv")
MAX_PROBLEMS_KEPT = 1000
STAGE_BATCH_ROWS = 150_000
# A file over this size (~300,000 rows) is staged and checked in a DuckDB instance of its own, whose
# memory is capped at STAGE_MEMORY_LIMIT (it spills to a temporary folder beyond): DuckDB counts
# only its own memory, not the reader's working alongside, and its memory limit is global to an
# instance, so lowering the database's would cap every other session's queries too. A smaller
# file peaks far under 1 GB anyway and is staged in the database's own connection (no copy).
SEPARATE_STAGING_FILE_BYTES = 32 * 2**20
STAGE_MEMORY_LIMIT = "128MiB"
SAMPLE_RETIRED_VI = "Đã gỡ dữ liệu mẫu: từ nay chỉ tính dữ liệu của đơn vị."

# First words of totals and signature lines that may sit in the dossier-id column.
SUMMARY_PREFIXES = ("tong", "cong", "ghi chu", "nguoi lap", "thu truong", "giam doc", "xac nhan", "ky")

Progress = Callable[[str, float], None]
FIELD_NAMES = [f.name for f in DOSSIER_FIELDS]


@dataclass
class ExportPreview:
    headers: list[str]
    mapping: dict[str, str]
    missing_required: list[str]
    layout: dict
    sample: pd.DataFrame
    personal_headers: list[str] = field(default_factory=list)
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    feeds: list[Feed] = field(default_factory=list)        # explain.file_feeds: what it can feed
    unused_headers: list[str] = field(default_factory=list)  # neither mapped nor personal
    column_notes: list[str] = field(default_factory=list)    # columns refused by their values
    vendor: str | None = None                                # a recognised vendor profile

    @property
    def derived_id(self) -> bool:
        """No dossier-id column: the load derives the ids from the rows."""
        return "dossier_id" not in self.mapping

    def warnings(self, default_unit: str | None = None) -> list[str]:
        """What a load with this mapping (and unit named for the file) will warn about."""
        return explain.file_warnings(self.mapping, default_unit) + self.column_notes


@dataclass
class UploadResult:
    upload_id: int
    file_name: str
    status: str                     # "loaded" | "already_loaded"
    sha256: str
    layout: dict
    mapping: dict[str, str]
    period_start: dt.date | None
    period_end: dt.date | None
    rows_read: int
    added: int
    updated: int
    unchanged: int
    rejected: int
    uploaded_at: dt.datetime
    message_vi: str
    warnings: list[str] = field(default_factory=list)   # Vietnamese, stored in uploads.warnings


@dataclass
class UndoResult:
    upload_id: int
    file_name: str
    dossiers_removed: int           # dossiers that existed only through this upload
    dossiers_restored: int          # dossiers back to an earlier version
    message_vi: str


@file_boundary
def preview_export(data: bytes, file_name: str, *, mapping: dict | None = None,
                   rows: int = 20, sheet: str | None = None) -> ExportPreview:
    """What the upload page shows before loading: headers, detected mapping, first rows, what the
    file can feed (per indicator, from which columns) and the columns it will not use."""
    export = read_export(data, file_name, mapping=mapping, sheet=sheet)
    export.more.close()                 # the rest of a big sheet is not needed for a preview
    sample = export.table.slice(0, rows).to_pandas().set_index(ROW_COLUMN).map(format_cell_text)
    sample = sample.astype(object).where(sample.notna(), "")   # a blank cell, not "None"
    sample.index.name = "Dòng"
    return ExportPreview(headers=export.headers, mapping=export.mapping,
                         missing_required=export.missing_required, layout=export.layout,
                         sample=sample, personal_headers=export.personal_headers,
                         period_start=export.period_start, period_end=export.period_end,
                         feeds=explain.file_feeds(export.mapping),
                         unused_headers=explain.unused_headers(export.headers, export.mapping,
                                                               export.personal_headers),
                         column_notes=export.column_notes, vendor=export.vendor)


@file_boundary
def ingest_file(con: duckdb.DuckDBPyConnection, data: bytes, file_name: str, *,
                mapping: dict | None = None, skip_invalid: bool = False,
                default_unit: str | None = None, progress: Progress | None = None,
                is_sample: bool = False, sheet: str | None = None) -> UploadResult:
    """Load one export (only its visible sheet `sheet` when given) in one transaction; raises
    IngestError (database unchanged) when the file or, unless skip_invalid, any row is bad."""
    report = progress or (lambda stage, fraction: None)
    sha256 = hashlib.sha256(data).hexdigest()
    cur = con.cursor()
    with writing(cur):
        earlier = cur.execute(
            "SELECT upload_id, layout FROM uploads WHERE sha256 = ? AND undone_at IS NULL "
            "ORDER BY upload_id", [sha256]).fetchall()
        earlier = [upload_id for upload_id, layout in earlier
                   if _read_alike(json.loads(layout or "{}"), sheet)]
        if earlier:
            return _already_loaded(cur, earlier[0], file_name)
        return _load(cur, data, file_name, sha256, mapping=mapping, skip_invalid=skip_invalid,
                     default_unit=default_unit, report=report, is_sample=is_sample, sheet=sheet)


def _read_alike(layout: dict, sheet: str | None) -> bool:
    """Whether an earlier load of the same bytes read what this one will: the sheet named now, or,
    with none named, a load that named none (choosing one list of several says nothing of the others)."""
    return same_sheet(layout.get("sheet"), sheet) if sheet is not None else not layout.get("sheet_chosen")


@contextlib.contextmanager
def _transaction(cur):
    """BEGIN ... COMMIT, rolled back on any failure. A storage failure (full disk, read-only file)
    becomes its Vietnamese StorageError; a COMMIT that failed leaves no transaction to roll back,
    and that second error must not hide the first."""
    cur.execute("BEGIN TRANSACTION")
    try:
        yield
        cur.execute("COMMIT")
    except BaseException as exc:
        with contextlib.suppress(duckdb.Error):
            cur.execute("ROLLBACK")
        if isinstance(exc, duckdb.Error):
            raise storage_error(exc, database_file(cur)) or exc
        raise


def _load(cur, data: bytes, file_name: str, sha256: str, *, mapping, skip_invalid, default_unit,
          report: Progress, is_sample: bool, sheet: str | None) -> UploadResult:
    """ingest_file after the duplicate check: read, then stage and write in one transaction."""
    report("read", 0.0)
    export = read_export(data, file_name, mapping=mapping, sheet=sheet)
    default_unit = (default_unit or "").strip() or None
    missing = export.missing_required
    if missing:
        export.more.close()
        raise IngestError(
            "thiếu cột bắt buộc: " + ", ".join(FIELD_BY_NAME[m].label_vi for m in missing)
            + ". Các cột trong tệp: " + ", ".join(f"«{h}»" for h in export.headers)
            + ". Hãy chỉ rõ cột tương ứng (ánh xạ cột)."
            + "".join(f" {note}" for note in export.column_notes), file_name)
    report("read", 1.0)

    with _staging(cur, len(data)) as stage, _transaction(cur):
        report("validate", 0.0)
        _stage(stage, export, default_unit)
        problems, problem_count, problem_rows = _problems(stage, export, default_unit)
        if problems and not skip_invalid:
            raise IngestError(
                f"có {format_number(problem_count)} lỗi ở {format_number(problem_rows)} dòng nên "
                "tệp chưa được nạp. Hãy sửa các ô dưới đây trong tệp rồi tải lại, hoặc chọn «bỏ "
                "qua dòng lỗi» để nạp các dòng hợp lệ.", file_name, problems)
        rows_read = stage.execute("SELECT count(*) FROM staged WHERE is_dossier").fetchone()[0]
        if rows_read == 0:
            raise IngestError("không có dòng hồ sơ nào dưới dòng tiêu đề. Hãy kiểm tra lại tệp "
                              "xuất.", file_name)
        report("validate", 1.0)
        report("write", 0.0)
        carried = carried_mask(carried_fields(export.mapping, default_unit=bool(default_unit)))
        warnings = (explain.file_warnings(export.mapping, default_unit) + export.column_notes
                    + _blank_cell_warnings(stage, export, default_unit))
        # the sample steps aside for the department's own dossiers, not for a file whose every row
        # was skipped (its bad rows are only kept for review)
        retired = 0 if is_sample or rows_read == problem_rows else _retire_sample(cur)
        result = _write(cur, stage, export, sha256, len(data), is_sample, rows_read, problem_rows,
                        carried, report, warnings)
        if retired:
            result.message_vi += " " + SAMPLE_RETIRED_VI
    report("write", 1.0)
    return result


@contextlib.contextmanager
def _staging(cur, size: int):
    """The cursor a file is staged and checked on: the database's own, or for a file over
    SEPARATE_STAGING_FILE_BYTES a fresh in-memory DuckDB capped at STAGE_MEMORY_LIMIT."""
    if size <= SEPARATE_STAGING_FILE_BYTES:
        yield cur
        return
    spill = tempfile.mkdtemp(prefix="cchc-stage-")
    stage = duckdb.connect(":memory:", config={"memory_limit": STAGE_MEMORY_LIMIT, "threads": 2,
                                               "temp_directory": spill})
    try:
        yield stage
    finally:
        stage.close()
        shutil.rmtree(spill, ignore_errors=True)


def _from_stage(cur, stage, relation: str, columns: str = "*") -> str:
    """The name under which `cur` reads `columns` of a relation of the staging cursor: the relation
    itself when staging shares the connection, else a stream of Arrow batches from the staging
    instance (read once)."""
    if stage is cur:
        return relation
    stage.complete()        # a result read with fetchone() stays open and would block the reader
    cur.register(f"staged_{relation}", stage.sql(f"SELECT {columns} FROM {relation}").to_arrow_reader())
    return f"staged_{relation}"


def _retire_sample(cur) -> int:
    """The first upload of the department's own data takes the bundled sample out, in its own
    transaction: the sample's versions go, their dossiers are rebuilt from what remains (nothing,
    unless a real file shares an id), its uploads are marked undone. Returns how many uploads."""
    samples = [r[0] for r in cur.execute(
        "SELECT upload_id FROM uploads WHERE is_sample AND undone_at IS NULL").fetchall()]
    if samples:
        _take_out(cur, samples)
    return len(samples)


def _take_out(cur, upload_ids: list[int]) -> tuple[int, int]:
    """Remove these uploads' versions, rebuild their dossiers, mark them undone (inside the
    caller's transaction); returns (dossiers removed, dossiers back to an earlier version)."""
    ids = ", ".join(str(int(i)) for i in upload_ids)
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE touched AS
                    SELECT DISTINCT dossier_id FROM dossier_versions WHERE upload_id IN ({ids})""")
    cur.execute(f"DELETE FROM dossier_versions WHERE upload_id IN ({ids})")
    rebuild_dossiers(cur, "touched")
    removed, restored = cur.execute("""
        SELECT count(*) FILTER (WHERE d.dossier_id IS NULL), count(d.dossier_id)
        FROM touched t LEFT JOIN dossiers d USING (dossier_id)""").fetchone()
    cur.execute(f"UPDATE uploads SET undone_at = ? WHERE upload_id IN ({ids})",
                [dt.datetime.now().replace(microsecond=0)])
    cur.execute("DROP TABLE touched")
    return removed, restored


def _already_loaded(cur, upload_id: int, file_name: str) -> UploadResult:
    row = cur.execute(
        "SELECT file_name, sha256, layout, mapping, period_start, period_end, rows_read, uploaded_at, "
        "warnings FROM uploads WHERE upload_id = ?", [upload_id]).fetchone()
    first_name, sha256, layout, mapping, start, end, rows_read, uploaded_at, warnings = row
    layout = json.loads(layout)
    chosen = f" (trang tính «{layout['sheet']}»)" if layout.get("sheet_chosen") else ""
    message = (f"Tệp «{file_name}»{chosen} giống hệt tệp «{first_name}» đã nạp lúc "
               f"{uploaded_at:%H:%M %d/%m/%Y} (lần tải số {upload_id}): không có gì thay đổi.")
    return UploadResult(upload_id, file_name, "already_loaded", sha256, layout,
                        json.loads(mapping), start, end, rows_read, 0, 0, 0, 0, uploaded_at, message,
                        json.loads(warnings or "[]"))


# Source text kept beside the parsed value when that could not be read, to show the offending
# value; text fields are their own source text.
RAW_KEPT = ("received_at", "due_at", "finished_at", "returned_at", "channel", "has_fee",
            "fee_amount") + FLAG_FIELDS


def _value_lookups(mapped: dict, value_codes: dict | None = None) -> dict[str, dict[str, str]]:
    """Low-cardinality source column -> {output column: SQL over its value `v`}.

    Flags, channels and fees take a handful of distinct values, so they are parsed once per
    distinct value and joined back, instead of folding diacritics on every row. A vendor
    profile's codes for a flag or channel field (RawExport.value_codes) are read first.
    """
    flag = flag_sql("v", fold_sql("v"))
    specs = {n: {n: flag} for n in FLAG_FIELDS}
    specs["channel"] = {"channel": channel_sql(fold_sql("v"))}
    # Fee: a flag column may hold amounts, an amount column may hold Có/Không.
    specs["has_fee"] = {"fee_flag_col_amount": amount_sql("v"), "fee_flag_col_flag": flag}
    specs["fee_amount"] = {"fee_col_amount": amount_sql("v"), "fee_col_flag": flag}
    for name, codes in (value_codes or {}).items():
        specs[name] = {col: coded_sql("v", codes, expr) for col, expr in specs[name].items()}
    return specs


def _stage(cur, export: RawExport, default_unit: str | None) -> None:
    """Temp table `staged`: per source row the trimmed source text (raw_*), the parsed canonical
    fields, the fee readings (for the problem checks) and is_dossier.

    The rows come in Arrow pieces (the first rows, then the rest of a big sheet as it is read);
    each piece is parsed into `staged` and let go, so the Arrow rows never pile up."""
    mapped = export.mapping
    # Text fields in NFC, single-spaced (normalise_text_columns: one unit whatever the file's
    # normalisation and spacing), all trimmed.
    raw = ", ".join(f"{text_sql(sql_ident(mapped[n])) if n in mapped else 'CAST(NULL AS VARCHAR)'}"
                    f" AS raw_{n}" for n in FIELD_NAMES)
    raw_view = f"CREATE OR REPLACE TEMP VIEW raw AS SELECT {ROW_COLUMN} AS source_row, {raw} FROM source_rows"
    joins, looked_up = [], []
    for name, outputs in _value_lookups(mapped, export.value_codes).items():
        if name in mapped:
            parsed = ", ".join(f"{expr} AS {col}" for col, expr in outputs.items())
            joins.append(f"LEFT JOIN (SELECT v, {parsed} FROM (SELECT DISTINCT raw_{name} AS v FROM raw))"
                         f" lookup_{name} ON raw.raw_{name} IS NOT DISTINCT FROM lookup_{name}.v")
        looked_up += [f"lookup_{name}.{col}" if name in mapped else f"NULL AS {col}" for col in outputs]
    unit = f"coalesce(raw_unit, {sql_literal(default_unit or UNKNOWN_UNIT)})"
    no_procedure = "raw_procedure_name IS NULL AND raw_procedure_code IS NULL"
    finish_source = "raw_finished_at" if "finished_at" in mapped else "raw_returned_at"
    has_fee = ", ".join(e for n, e in (
        ("has_fee", "CASE WHEN fee_flag_col_amount > 1 THEN true ELSE fee_flag_col_flag END"),
        ("fee_amount", "coalesce(fee_col_amount > 0, fee_col_flag)")) if n in mapped)
    summary = "|".join(SUMMARY_PREFIXES)
    # When its parsed value is there, a source text is not kept (a million rows of dates as text).
    unread = {**{n: f"{n} IS NULL" for n in RAW_KEPT}, "due_at": "due_day_or_time IS NULL",
              "has_fee": "fee_flag_col_amount IS NULL AND fee_flag_col_flag IS NULL",
              "fee_amount": "fee_col_amount IS NULL AND fee_col_flag IS NULL"}
    parse = f"""
        WITH parsed AS (
            SELECT raw.source_row, {", ".join(f"raw_{n}" for n in RAW_KEPT)},
                   {", ".join(f"raw_{n} AS {n}" for n in TEXT_FIELDS if n not in ("unit", "procedure_name"))},
                   {unit} AS unit, raw_unit IS NULL AS blank_unit,
                   CASE WHEN {no_procedure} THEN {sql_literal(UNKNOWN_PROCEDURE)} ELSE raw_procedure_name
                        END AS procedure_name, {no_procedure} AS blank_procedure,
                   {timestamp_sql("raw_received_at")} AS received_at,
                   {timestamp_sql("raw_due_at")} AS due_day_or_time,
                   {timestamp_sql(finish_source)} AS finished_at,
                   {timestamp_sql("raw_returned_at")} AS returned_at,
                   {", ".join(looked_up)}
            FROM raw {" ".join(joins)})
        SELECT * EXCLUDE (fee_flag_col_amount, fee_flag_col_flag, fee_col_amount, fee_col_flag,
                          due_day_or_time, {", ".join(f"raw_{n}" for n in RAW_KEPT)}),
               {", ".join(f"CASE WHEN {unread[n]} THEN raw_{n} END AS raw_{n}" for n in RAW_KEPT)},
               {end_of_day_sql("due_day_or_time")} AS due_at,
               {f"coalesce({has_fee})" if has_fee else "CAST(NULL AS BOOLEAN)"} AS has_fee,
               coalesce(fee_col_amount, CASE WHEN fee_flag_col_amount > 1 THEN fee_flag_col_amount END)
                   AS fee_amount,
               raw_has_fee IS NOT NULL AND {unread["has_fee"]} AS bad_has_fee,
               raw_fee_amount IS NOT NULL AND {unread["fee_amount"]} AS bad_fee_amount,
               CASE WHEN coalesce(received_at, due_day_or_time, finished_at, returned_at) IS NOT NULL
                    THEN true
                    WHEN dossier_id IS NULL THEN false
                    ELSE regexp_matches(dossier_id, '[0-9]') AND NOT regexp_matches(
                        {fold_sql("dossier_id")}, '^({summary})') END AS is_dossier
        FROM parsed
    """
    first = export.table.select([ROW_COLUMN] + [h for h in export.table.column_names[1:]
                                                if h in mapped.values()])
    text_columns = [mapped[n] for n in TEXT_FIELDS if n in mapped]
    with contextlib.closing(export.more) as more:
        for number, table in enumerate(_batches(itertools.chain([first], more))):
            table = normalise_text_columns(table, text_columns)
            cur.register("source_rows", table)
            cur.execute(raw_view)
            cur.execute(("CREATE OR REPLACE TEMP TABLE staged AS " if number == 0 else
                         "INSERT INTO staged ") + parse)
            cur.unregister("source_rows")
            del table
    export.table = export.table.slice(0, 0)     # the first rows now live in DuckDB too
    cur.execute("DROP VIEW raw")
    if "dossier_id" not in mapped:
        _derive_ids(cur)


def _derive_ids(cur) -> None:
    """Ids for a file without a dossier-id column (registers that number rows "TT" only).

    The id must not change over the dossier's life, so that the next export of the same book (the
    same rows, some now with a return date, plus new ones) updates its dossiers instead of adding
    them again: it is built from what is written when the dossier is received (explain.
    DERIVED_ID_FIELDS: received date-time, procedure, unit, due date), never from finish or return
    dates or the status. Rows of one file with the same values are told apart by their occurrence
    number in file order, so two identical rows stay two dossiers. Id: "TT-" + received minute +
    "-" + 10 hex digits of md5 over those values and the occurrence number."""
    key = " || '|' || ".join(
        f"coalesce(strftime({n}, '%Y-%m-%d %H:%M:%S'), '')" if n.endswith("_at") else f"coalesce({n}, '')"
        for n in explain.DERIVED_ID_FIELDS)
    # Without an id, a row whose received date is a typo ("31/02/2023") would pass for a totals
    # line and vanish: a date-like text there makes it a dossier row, reported as bad.
    typo = "coalesce(regexp_matches(raw_received_at, '[0-9]{1,4}[/.-][0-9]{1,2}[/.-][0-9]{1,4}'), false)"
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE staged AS
        WITH keyed AS (SELECT * REPLACE (is_dossier OR {typo} AS is_dossier), {key} AS id_key FROM staged)
        SELECT * EXCLUDE (id_key) REPLACE (
            CASE WHEN is_dossier THEN {sql_literal(explain.DERIVED_ID_PREFIX)}
                 || coalesce(strftime(received_at, '%Y%m%d%H%M') || '-', '')
                 || left(md5(id_key || '|' || row_number() OVER (PARTITION BY is_dossier, id_key
                                                                  ORDER BY source_row)), 10)
            END AS dossier_id)
        FROM keyed""")


def _blank_cell_warnings(cur, export: RawExport, default_unit: str | None) -> list[str]:
    """Dossier rows with a blank unit or procedure cell in a file that has such a column: filled
    with the unit named for the file or the placeholders, and said so."""
    has_procedure = "procedure_name" in export.mapping or "procedure_code" in export.mapping
    blank_unit, blank_procedure = cur.execute(
        "SELECT count(*) FILTER (WHERE blank_unit), count(*) FILTER (WHERE blank_procedure) "
        "FROM staged WHERE is_dossier AND source_row NOT IN (SELECT source_row FROM problems)").fetchone()
    warnings = []
    if blank_unit and "unit" in export.mapping:
        warnings.append(explain.blank_cell_warning(blank_unit, "đơn vị xử lý", default_unit or UNKNOWN_UNIT))
    if blank_procedure and has_procedure:
        warnings.append(explain.blank_cell_warning(blank_procedure, "thủ tục", UNKNOWN_PROCEDURE))
    return warnings


def _batches(tables):
    """The pieces of a big sheet joined into tables of about STAGE_BATCH_ROWS rows: each
    statement that stages them costs ~0.1 s of CPU beyond its rows (23 pieces of 43,000 rows:
    4.8 s instead of 2.6 s in one), holding a few pieces at once costs ~15 MB each."""
    batch = []
    for table in tables:
        batch.append(table)
        if sum(t.num_rows for t in batch) >= STAGE_BATCH_ROWS:
            yield pa.concat_tables(batch)
            batch = []
    if batch:
        yield pa.concat_tables(batch)


def _problem_checks(export: RawExport, default_unit: str | None) -> list[tuple[str, str, str]]:
    """(SQL condition over `staged`, source column, Vietnamese message) per kind of bad cell."""
    date_help = ("không đọc được ngày (ngày không có thật, hoặc năm không nằm trong khoảng 2000–2100); "
                 "hãy ghi dạng dd/mm/yyyy, dd/mm/yyyy HH:MM hoặc dùng ô ngày của Excel")
    flag_help = "không hiểu giá trị; hãy ghi Có/Không, Đã/Chưa, x hoặc để trống, 1/0"
    checks = [("dossier_id IS NULL", "dossier_id", "thiếu mã hồ sơ"),
              ("received_at IS NULL AND raw_received_at IS NULL", "received_at",
               "thiếu ngày tiếp nhận"),
              ("raw_channel IS NOT NULL AND channel IS NULL", "channel",
               "không nhận ra hình thức nộp; hãy ghi Trực tiếp, Trực tuyến toàn trình, Trực tuyến một "
               "phần, Bưu chính công ích hoặc mã 1/2/3")]
    for name in ("received_at", "due_at", "finished_at", "returned_at"):
        checks.append((f"raw_{name} IS NOT NULL AND {name} IS NULL", name, date_help))
    for name in FLAG_FIELDS:
        checks.append((f"raw_{name} IS NOT NULL AND {name} IS NULL", name, flag_help))
    for name, label in (("finished_at", "ngày có kết quả"), ("returned_at", "ngày trả kết quả")):
        checks.append((f"CAST({name} AS DATE) < CAST(received_at AS DATE)", name,
                       f"{label} sớm hơn ngày tiếp nhận; hãy kiểm tra lại hai ngày này"))
    checks.append(("bad_has_fee", "has_fee", flag_help + " hoặc số tiền"))
    checks.append(("bad_fee_amount", "fee_amount",
                   "không đọc được số tiền; hãy ghi số (ví dụ 15.000) hoặc Có/Không"))
    return [c for c in checks if c[1] in export.mapping or c[1] in ("dossier_id", "received_at")]


SHORT_ROW_VI = ("dòng có ít ô hơn dòng tiêu đề, từ cột này trở đi không có ô nào (tệp bị cắt giữa "
                "chừng, hoặc thiếu dấu phân cách, thừa dấu ngoặc kép); hãy xuất lại tệp hoặc sửa dòng này")


def _problems(cur, export: RawExport, default_unit: str | None):
    """Temp table `problems` (one row per bad cell of a dossier row); returns the first ones,
    the number of bad cells and of bad rows."""
    selects = [f"SELECT source_row, {sql_literal(export.mapping.get(col, FIELD_BY_NAME[col].label_vi))}"
               f" AS column_name, coalesce({'raw_' + col if col in RAW_KEPT else col}, '') AS value,"
               f" {sql_literal(msg)} AS message "
               f"FROM staged WHERE is_dossier AND ({cond})"
               for cond, col, msg in _problem_checks(export, default_unit)]
    if export.short_rows:         # a CSV row cut short: its missing cells are unknown, not blank
        cur.register("short_rows", pa.table({"source_row": [r for r, _ in export.short_rows],
                                             "column_name": [h for _, h in export.short_rows]}))
        selects.append(f"SELECT source_row, column_name, '' AS value, {sql_literal(SHORT_ROW_VI)} AS message "
                       "FROM staged JOIN short_rows USING (source_row) WHERE is_dossier")
    cur.execute("CREATE OR REPLACE TEMP TABLE problems AS " + " UNION ALL ".join(selects))
    if export.short_rows:
        cur.unregister("short_rows")
    count, rows = cur.execute("SELECT count(*), count(DISTINCT source_row) FROM problems").fetchone()
    first = cur.execute("SELECT * FROM problems ORDER BY source_row, column_name LIMIT ?",
                        [MAX_PROBLEMS_KEPT]).fetchall()
    return [RowProblem(*row) for row in first], count, rows


def _write(cur, stage, export: RawExport, sha256: str, size: int, is_sample: bool, rows_read: int,
           rejected: int, carried: int, report: Progress, warnings: list[str]) -> UploadResult:
    """Store the checked rows (`staged`, `problems` on the staging cursor) as one upload."""
    upload_id = cur.execute("SELECT nextval('upload_id_seq')").fetchone()[0]
    fields = ", ".join(FIELD_NAMES)
    # Valid dossier rows; the later row wins for an id listed twice.
    stage.execute("""
        CREATE OR REPLACE TEMP TABLE kept AS
        SELECT max(source_row) AS source_row FROM staged
        WHERE is_dossier AND source_row NOT IN (SELECT source_row FROM problems)
        GROUP BY dossier_id""")
    stage.execute("CREATE OR REPLACE TEMP VIEW valid AS SELECT * FROM staged SEMI JOIN kept USING (source_row)")
    dates = stage.execute("""
        SELECT min(received_at), greatest(max(received_at), max(finished_at), max(returned_at))
        FROM valid""").fetchone()
    period_start = export.period_start or (dates[0].date() if dates[0] else None)
    period_end = export.period_end or (dates[1].date() if dates[1] else None)
    data_as_of = (dt.datetime.combine(export.period_end, dt.time(23, 59, 59)) if export.period_end
                  else dates[1])
    uploaded_at = dt.datetime.now().replace(microsecond=0)
    cur.execute("""
        INSERT INTO uploads (upload_id, file_name, sha256, size_bytes, file_format, layout, mapping,
                             period_start, period_end, data_as_of, rows_read, rejected, uploaded_at,
                             is_sample, fields_carried, warnings)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [upload_id, export.file_name, sha256, size, export.file_format,
                 json.dumps(export.layout, ensure_ascii=False),
                 json.dumps(export.mapping, ensure_ascii=False), period_start, period_end,
                 data_as_of, rows_read, rejected, uploaded_at, is_sample, carried,
                 json.dumps(warnings, ensure_ascii=False) if warnings else None])
    cur.execute(f"INSERT INTO rejected_rows SELECT {upload_id}, * FROM {_from_stage(cur, stage, 'problems')}")
    cur.execute(f"""
        INSERT INTO dossier_versions
        SELECT {upload_id}, source_row, hash({fields}), {fields}, {carried}
        FROM {_from_stage(cur, stage, 'valid', f"source_row, {fields}")}""")
    if stage is not cur:
        cur.unregister("staged_problems")
        cur.unregister("staged_valid")
    stage.execute("DROP VIEW valid; DROP TABLE kept; DROP TABLE staged; DROP TABLE problems")
    report("write", 0.5)
    # This upload's rows are read back from dossier_versions: no second copy of a big file.
    cur.execute(f"CREATE OR REPLACE TEMP VIEW incoming AS "
                f"SELECT * FROM dossier_versions WHERE upload_id = {upload_id}")
    # Ids not yet in `dossiers` have no other version: this upload's row wins outright; only the
    # ids seen before need the winner chosen among their versions.
    cur.execute("""
        CREATE OR REPLACE TEMP TABLE previous AS
        SELECT d.dossier_id, d.row_hash FROM dossiers d SEMI JOIN incoming i USING (dossier_id)""")
    cur.execute("INSERT INTO dossiers SELECT * FROM incoming ANTI JOIN previous USING (dossier_id)")
    rebuild_dossiers(cur, "previous")
    added, updated, total = cur.execute("""
        SELECT count(*) FILTER (WHERE p.dossier_id IS NULL),
               count(*) FILTER (WHERE p.dossier_id IS NOT NULL AND d.upload_id = ?
                                AND d.row_hash <> p.row_hash),
               count(*)
        FROM incoming i JOIN dossiers d USING (dossier_id) LEFT JOIN previous p USING (dossier_id)
    """, [upload_id]).fetchone()
    unchanged = total - added - updated
    cur.execute("UPDATE uploads SET added = ?, updated = ?, unchanged = ? WHERE upload_id = ?",
                [added, updated, unchanged, upload_id])
    cur.execute("DROP VIEW incoming; DROP TABLE previous")
    chosen = f" (trang tính «{export.sheet}»)" if export.sheet_chosen else ""
    message = (f"Đã nạp «{export.file_name}»{chosen}: {format_number(rows_read)} dòng hồ sơ, "
               f"{format_number(added)} hồ sơ mới, {format_number(updated)} cập nhật, "
               f"{format_number(unchanged)} không đổi, {format_number(rejected)} dòng lỗi bị bỏ qua"
               + (f" (kỳ {period_start:%d/%m/%Y}–{period_end:%d/%m/%Y})" if period_start and period_end
                  else "") + ".")
    return UploadResult(upload_id, export.file_name, "loaded", sha256, export.layout, export.mapping,
                        period_start, period_end, rows_read, added, updated, unchanged, rejected,
                        uploaded_at, message, warnings)


# How far along a version shows its dossier: received, then finished, then returned. Read from the
# dates (status texts differ per vendor); a date a file does not carry is NULL, so it never counts.
PROGRESS_STEP_SQL = ("CASE WHEN v.returned_at IS NOT NULL THEN 2 WHEN v.finished_at IS NOT NULL "
                     "THEN 1 ELSE 0 END")
LATEST_EVENT_SQL = "greatest(v.received_at, v.finished_at, v.returned_at)"


def rebuild_dossiers(cur, touched: str) -> None:
    """Replace the `dossiers` rows of the ids in table `touched` by their merged versions.

    A dossier's versions are ranked by its own progress: the version that records a later step
    (PROGRESS_STEP_SQL) wins, then the one with the later latest event, then the later upload.
    Never by a file's title period or its other rows: a typo year in the title, or a year-to-date
    export titled to 31/12, must not outrank a later export's resolutions. Each field comes from
    the best-ranked version whose file carried that field, so a later register without a
    due-date column does not erase the due dates an earlier export gave (nothing is lost); a
    field no version carried comes from the best-ranked version. The merged row carries every
    field any version carried, and its hash is that of the merged content."""
    merged = ",\n".join(
        f"CASE WHEN bool_or(carried & {bit} <> 0) "
        f"THEN arg_min_null({name}, rank) FILTER (WHERE carried & {bit} <> 0) "
        f"ELSE arg_min_null({name}, rank) END AS {name}" for name, bit in FIELD_BITS.items())
    fields = ", ".join(FIELD_NAMES)
    cur.execute(f"""
        DELETE FROM dossiers WHERE dossier_id IN (SELECT dossier_id FROM {touched});
        INSERT INTO dossiers
        WITH ranked AS (
            SELECT v.*, coalesce(v.fields_carried, {ALL_FIELD_BITS}) AS carried,
                   row_number() OVER (PARTITION BY v.dossier_id
                                      ORDER BY {PROGRESS_STEP_SQL} DESC,
                                               {LATEST_EVENT_SQL} DESC NULLS LAST,
                                               v.upload_id DESC) AS rank
            FROM dossier_versions v
            WHERE v.dossier_id IN (SELECT dossier_id FROM {touched})),
        merged AS (
            SELECT arg_min(upload_id, rank) AS upload_id, arg_min(source_row, rank) AS source_row,
                   {merged},
                   bit_or(carried) AS fields_carried
            FROM ranked GROUP BY dossier_id)
        SELECT upload_id, source_row, hash({fields}), {fields}, fields_carried FROM merged;
    """)


def list_uploads(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every upload, newest first, undone ones included (with undone_at)."""
    return con.cursor().sql(
        "SELECT * FROM uploads ORDER BY upload_id DESC").to_arrow_table().to_pandas()


def undo_upload(con: duckdb.DuckDBPyConnection, upload_id: int) -> UndoResult:
    """Remove one upload's versions and rebuild its dossiers from the remaining versions."""
    cur = con.cursor()
    with writing(cur):   # checked under the lock: two undos at once cannot both pass
        row = cur.execute("SELECT file_name, undone_at FROM uploads WHERE upload_id = ?",
                          [upload_id]).fetchone()
        if row is None:
            raise IngestError(f"không có lần tải dữ liệu số {upload_id}. Xem danh sách bằng lệnh «uploads».")
        file_name, undone_at = row
        if undone_at is not None:
            raise IngestError(f"lần tải số {upload_id} đã được hoàn tác lúc {undone_at:%H:%M %d/%m/%Y}.",
                              file_name)
        with _transaction(cur):
            removed, restored = _take_out(cur, [upload_id])
    message = (f"Đã hoàn tác lần tải số {upload_id} («{file_name}»): bỏ {format_number(removed)} hồ sơ chỉ có "
               f"trong tệp này, {format_number(restored)} hồ sơ trở về phiên bản trước.")
    return UndoResult(upload_id, file_name, removed, restored, message)


def rejected_rows(con: duckdb.DuckDBPyConnection, upload_id: int) -> pd.DataFrame:
    """Bad cells kept from an upload loaded with skip_invalid, in file order."""
    return con.cursor().sql(
        "SELECT source_row, column_name, value, message FROM rejected_rows WHERE upload_id = ? "
        "ORDER BY source_row, column_name", params=[upload_id]).to_arrow_table().to_pandas()


def load_sample_data(con: duckdb.DuckDBPyConnection, sample_dir: Path = SAMPLE_DIR) -> list[UploadResult]:
    """Load every export in sample_data/ (marked is_sample), oldest file name first: on a fresh
    database, or again for a demonstration (the page offers it when no dossier is in force)."""
    files = sorted(p for p in sample_dir.iterdir() if p.suffix.lower() in SAMPLE_SUFFIXES)
    return [ingest_file(con, p.read_bytes(), p.name, is_sample=True) for p in files]

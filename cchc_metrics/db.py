"""Opening the DuckDB file and creating the schema.

Tables:
- `uploads`: one row per file handed over (also the undone and duplicate-free history).
- `dossier_versions`: every version of every dossier each upload carried; undo deletes an
  upload's versions, so the remaining versions always rebuild the exact earlier state.
- `dossiers`: the current state, one row per `dossier_id` (the winning version), kept in step by
  ingest and undo so that the indicator queries read a plain table.
- `rejected_rows`: rows left out of an upload loaded with "skip invalid rows", for review.
- `mapping_profiles`: named column mappings saved by users.
- `setting_overrides`, `calendar_overrides`: user changes to targets, rules, manual values and the
  working-day calendar (the shipped files stay the defaults).

DuckDB allows one writing process per file; a second one gets `DatabaseBusyError` with a
Vietnamese message instead of an IOException.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb

from .coverage import carried_fields, carried_mask
from .errors import DatabaseBusyError
from .schema import DOSSIER_FIELDS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "cchc.duckdb"

_DOSSIER_COLUMNS = ",\n    ".join(f"{f.name} {f.sql_type}" for f in DOSSIER_FIELDS)

SCHEMA_SQL = f"""
CREATE SEQUENCE IF NOT EXISTS upload_id_seq START 1;
CREATE TABLE IF NOT EXISTS uploads (
    upload_id BIGINT PRIMARY KEY,
    file_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    size_bytes BIGINT,
    file_format VARCHAR,          -- xlsx | xls | csv | html | xml2003
    layout VARCHAR,               -- JSON: sheet, header rows, delimiter, profile used
    mapping VARCHAR,              -- JSON: canonical field -> source header
    period_start DATE,
    period_end DATE,
    data_as_of TIMESTAMP,         -- orders versions of a dossier: newest data wins
    rows_read BIGINT,
    added BIGINT,
    updated BIGINT,
    unchanged BIGINT,
    rejected BIGINT,
    uploaded_at TIMESTAMP NOT NULL,
    undone_at TIMESTAMP,
    is_sample BOOLEAN DEFAULT false,
    fields_carried UINTEGER,      -- canonical fields the file carried (coverage.FIELD_BITS)
    warnings VARCHAR              -- JSON list of Vietnamese warnings of the load (NULL: none)
);
CREATE TABLE IF NOT EXISTS dossier_versions (
    upload_id BIGINT NOT NULL,
    source_row INTEGER NOT NULL,  -- row number as Excel shows it
    row_hash UBIGINT NOT NULL,    -- hash of the canonical content, to tell unchanged from updated
    {_DOSSIER_COLUMNS},
    fields_carried UINTEGER       -- canonical fields the upload's file carried (coverage.FIELD_BITS)
);
CREATE TABLE IF NOT EXISTS dossiers (
    upload_id BIGINT NOT NULL,
    source_row INTEGER NOT NULL,
    row_hash UBIGINT NOT NULL,
    {_DOSSIER_COLUMNS},
    fields_carried UINTEGER
);
CREATE TABLE IF NOT EXISTS rejected_rows (
    upload_id BIGINT NOT NULL,
    source_row INTEGER,
    column_name VARCHAR,
    value VARCHAR,
    message VARCHAR
);
CREATE TABLE IF NOT EXISTS mapping_profiles (
    name VARCHAR PRIMARY KEY,
    mapping VARCHAR NOT NULL,     -- JSON: canonical field -> source header
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS setting_overrides (
    framework VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    payload VARCHAR NOT NULL,     -- JSON, see cchc_metrics.settings
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (framework, year)
);
CREATE TABLE IF NOT EXISTS calendar_overrides (
    day DATE PRIMARY KEY,
    is_working BOOLEAN NOT NULL,
    note VARCHAR
);
"""


def resolve_db_path(path: str | os.PathLike | None = None) -> Path:
    """Explicit path, else $CCHC_DB, else data/cchc.duckdb in the project."""
    chosen = path or os.environ.get("CCHC_DB") or DEFAULT_DB_PATH
    return Path(chosen)


def connect(path: str | os.PathLike | None = None, *, read_only: bool = False,
            threads: int = 2, memory_limit: str = "4GiB") -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the database and make sure the schema exists.

    Hold one connection per process and run each query on `con.cursor()`: duckdb 2.0 refuses
    concurrent calls on one connection. Give the memory limit in GiB / MiB: ingest lowers it for
    a load and sets back the value DuckDB shows, which is exact only in those units.
    """
    db_path = resolve_db_path(path)
    if not read_only:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(db_path), read_only=read_only,
                             config={"threads": threads, "memory_limit": memory_limit})
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseBusyError(
                f"Cơ sở dữ liệu «{db_path}» đang được một chương trình khác mở (thường là ứng dụng "
                "CCHC Dashboard đang chạy). Hãy tải tệp qua trang «Tải dữ liệu» của ứng dụng, hoặc "
                "tắt ứng dụng rồi chạy lại lệnh này.") from exc
        raise
    if not read_only:
        con.execute(SCHEMA_SQL)
        _add_fields_carried(con)
        _clear_impossible_dates(con)
        con.execute("ALTER TABLE uploads ADD COLUMN IF NOT EXISTS warnings VARCHAR")
    return con


def _add_fields_carried(con: duckdb.DuckDBPyConnection) -> None:
    """Databases made before uploads recorded the fields their file carried: add the column and
    fill it from each upload's mapping (the fields its columns were mapped to)."""
    cur = con.cursor()
    for table in ("uploads", "dossier_versions", "dossiers"):
        cur.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS fields_carried UINTEGER")
    missing = cur.execute("SELECT upload_id, mapping FROM uploads WHERE fields_carried IS NULL").fetchall()
    if not missing:
        return
    cur.execute("BEGIN TRANSACTION")
    for upload_id, mapping in missing:
        mask = carried_mask(carried_fields(json.loads(mapping or "{}")))
        cur.execute("UPDATE uploads SET fields_carried = ? WHERE upload_id = ?", [mask, upload_id])
        for table in ("dossier_versions", "dossiers"):
            cur.execute(f"UPDATE {table} SET fields_carried = ? WHERE upload_id = ? "
                        "AND fields_carried IS NULL", [mask, upload_id])
    cur.execute("COMMIT")


def _clear_impossible_dates(con: duckdb.DuckDBPyConnection) -> None:
    """Blank the dates no load stores any more (years outside 2000-2100: a finish "99999-03-05"
    that an older version loaded), in dossiers and in their versions (so undo cannot bring them
    back). Python cannot hold a year after 9999: one such value made `score` and every page fail,
    undo included. A count first: nothing is written when nothing is wrong (~1 ms per 100,000 rows)."""
    from .ingest.values import FIRST_YEAR, LAST_YEAR

    columns = [f.name for f in DOSSIER_FIELDS if f.sql_type == "TIMESTAMP"]
    outside = {c: f"({c} < TIMESTAMP '{FIRST_YEAR}-01-01' OR {c} >= TIMESTAMP '{LAST_YEAR + 1}-01-01')"
               for c in columns}
    cur = con.cursor()
    for table in ("dossiers", "dossier_versions"):
        if cur.execute(f"SELECT count(*) FROM {table} WHERE {' OR '.join(outside.values())}").fetchone()[0]:
            cur.execute(f"UPDATE {table} SET " + ", ".join(
                f"{c} = CASE WHEN {condition} THEN NULL ELSE {c} END" for c, condition in outside.items()))

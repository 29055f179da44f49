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

Connection model. DuckDB lets one process open a file read-write, or many processes open it
read-only, never both. So nobody holds the file longer than they use it:
- the dashboard server opens it through `SharedDatabase`: on first use, shared by every session
  and the inbox watcher, closed again after IDLE_SECONDS without use;
- CLI commands open it for the command only (read-only for the reading ones); `connect(...,
  wait_seconds=)` retries while another process holds it, then says who to wait for
  (`DatabaseBusyError`);
- inside one process every write takes `writing(con)`: one lock per database file, so two uploads
  never interleave (each would otherwise see only its own snapshot and both add a dossier).
A file that cannot be written or read (read-only folder, full disk, damaged file) gives
`StorageError` with a Vietnamese message that says what to do; the file itself is never touched.
"""
from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from pathlib import Path

import duckdb

from .coverage import carried_fields, carried_mask
from .errors import DatabaseBusyError, StorageError
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
    data_as_of TIMESTAMP,         -- the file's data up to (title period end, else latest date); not a precedence
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
    fields_carried UINTEGER,
    PRIMARY KEY (dossier_id)
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


IDLE_SECONDS = 3.0      # the server lets go of the file after this long without use
WAIT_SECONDS = 30.0     # how long an opener waits for another process to let go of the file
_RETRY_SECONDS = 0.2

_BUSY_VI = ("Cơ sở dữ liệu «{path}» đang được một chương trình khác dùng (thường là ứng dụng CCHC "
            "Dashboard đang nạp tệp, hoặc một lệnh khác đang chạy) và chưa rảnh sau {seconds:g} giây. "
            "Hãy thử lại sau ít phút; để nạp tệp tự động khi ứng dụng đang chạy, hãy chép tệp vào thư "
            "mục «{inbox}».")
_READ_ONLY_VI = ("Không ghi được vào cơ sở dữ liệu «{path}»: thư mục hoặc tệp chỉ cho đọc. Dữ liệu đã "
                 "lưu không thay đổi và vẫn xem được. Hãy cấp quyền ghi cho thư mục «{folder}» (hoặc chỉ "
                 "nơi khác bằng biến CCHC_DB) rồi khởi động lại ứng dụng.")
_DISK_FULL_VI = ("Không ghi được vào cơ sở dữ liệu «{path}»: ổ đĩa đã đầy (hoặc tệp vượt giới hạn dung "
                 "lượng). Thao tác này chưa được thực hiện, dữ liệu đã lưu không thay đổi. Hãy giải phóng "
                 "dung lượng ổ đĩa rồi làm lại.")
_DAMAGED_VI = ("Tệp cơ sở dữ liệu «{path}» bị hỏng, không đọc được. Đừng xóa tệp này. Hãy khôi phục "
               "tệp từ bản sao lưu gần nhất; nếu không có, hãy đổi tên tệp hỏng (giữ lại để kiểm tra), "
               "khởi động lại ứng dụng rồi nạp lại các tệp xuất từ phần mềm Một cửa.")


def inbox_folder(db_path: str | os.PathLike | None = None) -> Path:
    """Where the server picks up files to load: $CCHC_INBOX, else inbox/ beside the database."""
    chosen = os.environ.get("CCHC_INBOX")
    return Path(chosen) if chosen else resolve_db_path(db_path).parent / "inbox"


def storage_error(exc: BaseException, path: str | os.PathLike) -> StorageError | None:
    """The Vietnamese StorageError for a DuckDB error caused by the storage, else None."""
    text = str(exc).lower()
    if any(s in text for s in ("no space left", "file too large", "disk quota")):
        template = _DISK_FULL_VI
    elif any(s in text for s in ("permission denied", "read-only file system", "read-only mode",
                                 "attached in read-only")):
        template = _READ_ONLY_VI
    elif "not a valid duckdb database" in text or "corrupt database" in text:
        template = _DAMAGED_VI
    else:
        return None
    path = Path(path)
    return StorageError(template.format(path=path, folder=path.parent))


def _is_busy(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def connect(path: str | os.PathLike | None = None, *, read_only: bool = False,
            threads: int = 2, memory_limit: str = "4GiB",
            wait_seconds: float = 0.0) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the database and make sure the schema exists.

    Run each query on `con.cursor()`: duckdb 2.0 refuses concurrent calls on one connection. While
    another process holds the file, retry for up to `wait_seconds`, then DatabaseBusyError. The
    memory limit is set here once for the connection's life, never per operation (the setting is
    global to the database: a change by one session would apply to every other one).
    """
    db_path = resolve_db_path(path)
    deadline = time.monotonic() + wait_seconds
    if not read_only:
        try:
            db_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:              # the folder cannot be created
            raise StorageError(_READ_ONLY_VI.format(path=db_path, folder=db_path.parent)) from exc
    while True:
        try:
            con = duckdb.connect(str(db_path), read_only=read_only,
                                 config={"threads": threads, "memory_limit": memory_limit})
            break
        except duckdb.Error as exc:
            if _is_busy(exc) and time.monotonic() < deadline:
                time.sleep(_RETRY_SECONDS)
                continue
            if _is_busy(exc):
                raise DatabaseBusyError(_BUSY_VI.format(path=db_path, seconds=wait_seconds,
                                                        inbox=inbox_folder(db_path))) from exc
            raise storage_error(exc, db_path) or exc
    if not read_only:
        try:
            con.execute(SCHEMA_SQL)
            _add_fields_carried(con)
            con.execute("ALTER TABLE uploads ADD COLUMN IF NOT EXISTS warnings VARCHAR")
            _add_dossier_key(con)
            _clear_impossible_dates(con)
        except duckdb.Error as exc:
            con.close()
            raise storage_error(exc, db_path) or exc
    return con


def is_read_only(con: duckdb.DuckDBPyConnection) -> bool:
    return con.cursor().execute(
        "SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]


def database_file(con: duckdb.DuckDBPyConnection) -> str:
    path = con.cursor().execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    return str(Path(path).resolve()) if path else ":memory:"


_WRITE_LOCKS: dict[str, threading.RLock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


@contextlib.contextmanager
def writing(con: duckdb.DuckDBPyConnection):
    """Hold this process's one write lock of the connection's database file while changing it.

    DuckDB transactions run on snapshots: two uploads at once would each add a dossier the other
    is adding too. One writer at a time (re-entrant: a write may call another) rules that out."""
    path = database_file(con)
    if is_read_only(con):
        raise StorageError(_READ_ONLY_VI.format(path=path, folder=Path(path).parent))
    with _WRITE_LOCKS_GUARD:
        lock = _WRITE_LOCKS.setdefault(path, threading.RLock())
    with lock:
        yield


class SharedDatabase:
    """The server's access to the database file: opened on first use, shared by every session and
    the inbox watcher, closed after `idle_seconds` without use, so that CLI commands can open the
    file between visits. A folder that cannot be written is opened read-only: pages still show the
    data, writes say why they cannot be done."""

    def __init__(self, path: str | os.PathLike | None = None, *, idle_seconds: float = IDLE_SECONDS,
                 wait_seconds: float = WAIT_SECONDS):
        self.path = resolve_db_path(path)
        self.idle_seconds = idle_seconds
        self.wait_seconds = wait_seconds
        self._state = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._users = 0
        self._closer: threading.Timer | None = None

    _shared: dict[Path, SharedDatabase] = {}
    _shared_guard = threading.Lock()

    @classmethod
    def for_path(cls, path: str | os.PathLike | None = None) -> SharedDatabase:
        """The process's one SharedDatabase of this file (the pages and the inbox watcher share it)."""
        key = resolve_db_path(path).resolve()
        with cls._shared_guard:
            return cls._shared.setdefault(key, cls(key))

    @property
    def is_open(self) -> bool:
        return self._con is not None

    def _open(self) -> duckdb.DuckDBPyConnection:
        try:
            return connect(self.path, wait_seconds=self.wait_seconds)
        except StorageError:
            if not self.path.exists():
                raise
            con = connect(self.path, read_only=True, wait_seconds=self.wait_seconds)
            if needs_upgrade(con):  # made by an older version: the pages' queries would fail
                con.close()
                raise
            return con

    @contextlib.contextmanager
    def use(self):
        """The open connection for the duration of the block (query on `con.cursor()`)."""
        with self._state:
            if self._closer is not None:
                self._closer.cancel()
                self._closer = None
            if self._con is None:
                self._con = self._open()
            self._users += 1
            con = self._con
        try:
            yield con
        except duckdb.Error as exc:
            raise storage_error(exc, self.path) or exc
        finally:
            with self._state:
                self._users -= 1
                if self._users == 0:
                    self._closer = threading.Timer(self.idle_seconds, self._close_if_idle)
                    self._closer.daemon = True
                    self._closer.start()

    def _close_if_idle(self) -> None:
        with self._state:
            if self._users == 0 and self._con is not None:
                self._con.close()
                self._con = None

    def close(self) -> None:
        with self._state:
            if self._closer is not None:
                self._closer.cancel()
            if self._con is not None:
                self._con.close()
                self._con = None


def _add_dossier_key(con: duckdb.DuckDBPyConnection) -> None:
    """Databases made before `dossiers` had its key: merge any dossier stored twice (two uploads
    at the same moment could do that) from its versions, then add the key."""
    cur = con.cursor()
    has_key = cur.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'dossiers' "
                          "AND constraint_type = 'PRIMARY KEY'").fetchone()[0]
    if has_key:
        return
    from .ingest.store import rebuild_dossiers     # store imports this module

    cur.execute("BEGIN TRANSACTION")
    cur.execute("CREATE OR REPLACE TEMP TABLE doubled AS "
                "SELECT dossier_id FROM dossiers GROUP BY dossier_id HAVING count(*) > 1")
    rebuild_dossiers(cur, "doubled")
    cur.execute("DROP TABLE doubled")
    cur.execute("COMMIT")
    cur.execute("ALTER TABLE dossiers ADD PRIMARY KEY (dossier_id)")
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


def _impossible_date_conditions() -> dict[str, str]:
    """{timestamp column: SQL true when its year is outside what a load stores (2000-2100)}."""
    from .ingest.values import FIRST_YEAR, LAST_YEAR

    return {f.name: f"({f.name} < TIMESTAMP '{FIRST_YEAR}-01-01' OR {f.name} >= TIMESTAMP '{LAST_YEAR + 1}-01-01')"
            for f in DOSSIER_FIELDS if f.sql_type == "TIMESTAMP"}


def holds_impossible_dates(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether an older version stored a date `connect` blanks when it opens the file for writing
    (a read-only connection, as the CLI's reading commands use, cannot repair it)."""
    outside = " OR ".join(_impossible_date_conditions().values())
    return any(con.cursor().execute(f"SELECT count(*) FROM {table} WHERE {outside}").fetchone()[0]
               for table in ("dossiers", "dossier_versions"))


def needs_upgrade(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether `connect` would change this file when opening it for writing: a column or the key
    an older version did not have, or an impossible date. A read-only connection (the CLI's reading
    commands) cannot make these changes, and the queries need them."""
    cur = con.cursor()
    columns = set(cur.execute("SELECT table_name || '.' || column_name FROM duckdb_columns() "
                              "WHERE database_name = current_database()").fetchall())
    wanted = {("uploads.warnings",)} | {(f"{t}.fields_carried",) for t in ("uploads", "dossier_versions", "dossiers")}
    if not wanted <= columns:
        return True
    has_key = cur.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'dossiers' "
                          "AND constraint_type = 'PRIMARY KEY'").fetchone()[0]
    return not has_key or holds_impossible_dates(con)


def _clear_impossible_dates(con: duckdb.DuckDBPyConnection) -> None:
    """Blank the dates no load stores any more (years outside 2000-2100: a finish "99999-03-05"
    that an older version loaded), in dossiers and in their versions (so undo cannot bring them
    back). Python cannot hold a year after 9999: one such value made `score` and every page fail,
    undo included. A count first: nothing is written when nothing is wrong (~1 ms per 100,000 rows)."""
    outside = _impossible_date_conditions()
    cur = con.cursor()
    for table in ("dossiers", "dossier_versions"):
        if cur.execute(f"SELECT count(*) FROM {table} WHERE {' OR '.join(outside.values())}").fetchone()[0]:
            cur.execute(f"UPDATE {table} SET " + ", ".join(
                f"{c} = CASE WHEN {condition} THEN NULL ELSE {c} END" for c, condition in outside.items()))

"""What undoing an upload will do, said before it is done (the upload page asks for confirmation).

Read-only: counts the same two outcomes `ingest.undo_upload` reports afterwards, so the confirmation
and the result agree. Kept apart from the store's merge logic, which it does not depend on.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from .errors import IngestError
from .formatting import format_datetime, format_number, is_missing


@dataclass(frozen=True)
class UndoPreview:
    upload_id: int
    file_name: str
    uploaded_at: dt.datetime
    dossiers_removed: int    # dossiers only this upload holds: they leave the database
    dossiers_restored: int   # dossiers other uploads also hold: they go back to those versions
    message_vi: str          # plain text (the file name is data: escape it before Markdown)


def newest_in_force(uploads: pd.DataFrame) -> int | None:
    """The id of the newest upload not yet undone (of `list_uploads`), the one an undo is usually for."""
    active = uploads.loc[uploads["undone_at"].isna(), "upload_id"]
    return None if active.empty else int(active.max())


def undo_preview(con: duckdb.DuckDBPyConnection, upload_id: int) -> UndoPreview:
    """The file, its upload time and how many dossiers undoing `upload_id` removes and restores."""
    cur = con.cursor()
    row = cur.execute("SELECT file_name, uploaded_at, undone_at FROM uploads WHERE upload_id = ?",
                      [upload_id]).fetchone()
    if row is None:
        raise IngestError(f"không có lần tải dữ liệu số {upload_id}. Hãy tải lại trang để xem danh sách mới.")
    file_name, uploaded_at, undone_at = row
    if not is_missing(undone_at):
        raise IngestError(f"lần tải số {upload_id} đã được hoàn tác lúc {format_datetime(undone_at)}.", file_name)
    removed, restored = cur.execute("""
        WITH touched AS (SELECT DISTINCT dossier_id FROM dossier_versions WHERE upload_id = $id),
             elsewhere AS (SELECT DISTINCT dossier_id FROM dossier_versions
                           WHERE upload_id <> $id AND dossier_id IN (SELECT dossier_id FROM touched))
        SELECT count(*) FILTER (WHERE e.dossier_id IS NULL), count(e.dossier_id)
        FROM touched t LEFT JOIN elsewhere e USING (dossier_id)""", {"id": upload_id}).fetchone()
    message = (f"Hoàn tác lần tải số {upload_id}: tệp «{file_name}», tải lúc {format_datetime(uploaded_at)}. "
               f"Sẽ bỏ {format_number(removed)} hồ sơ chỉ có trong tệp này và đưa {format_number(restored)} "
               "hồ sơ về phiên bản của các lần tải khác.")
    return UndoPreview(int(upload_id), file_name, uploaded_at, int(removed), int(restored), message)

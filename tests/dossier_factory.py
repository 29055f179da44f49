"""Insert hand-made dossiers straight into the `dossiers` table, so metric tests need no ingest.

Each dossier is a dict of canonical fields (cchc_metrics.schema.DOSSIER_FIELDS); anything left out
gets a harmless default (`fields_carried`: every field, as if the file had every column). Dates may
be `date`, `datetime` or ISO strings; a bare date given for `due_at` is stored as 23:59:59 of that
day, as ingest does.
"""
from __future__ import annotations

import datetime as dt
import itertools

from cchc_metrics.coverage import CARRIED_COLUMN, FIELD_BITS
from cchc_metrics.schema import DOSSIER_FIELDS

_COLUMNS = ["upload_id", "source_row", "row_hash", *(f.name for f in DOSSIER_FIELDS), CARRIED_COLUMN]
_TIMESTAMP_FIELDS = {f.name for f in DOSSIER_FIELDS if f.sql_type == "TIMESTAMP"}
_ids = itertools.count(1)

DEFAULTS = {
    "upload_id": 1,
    "procedure_code": "1.000001",
    "procedure_name": "Thủ tục mẫu",
    "field": "Hộ tịch",
    "unit": "Phòng Hành chính tư pháp",
    "officer": "Nguyễn Văn A",
    "received_at": dt.datetime(2023, 1, 3, 8, 0),
    "channel": "direct",
    "digitized": False,
    "e_result": False,
    "has_fee": False,
    "paid_online": False,
    "reused_data": False,
    CARRIED_COLUMN: sum(FIELD_BITS.values()),   # as if every column was in the file
}


def _as_timestamp(name: str, value):
    if value is None or isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value) if len(value) > 10 else dt.date.fromisoformat(value)
        if isinstance(value, dt.datetime):
            return value
    end_of_day = dt.time(23, 59, 59) if name == "due_at" else dt.time(0, 0)
    return dt.datetime.combine(value, end_of_day)


def insert_dossiers(con, dossiers: list[dict]) -> list[str]:
    """Insert the dossiers (defaults filled in) and return their ids, in order."""
    rows, ids = [], []
    for given in dossiers:
        unknown = set(given) - set(_COLUMNS)
        if unknown:
            raise KeyError(f"unknown dossier fields: {sorted(unknown)}")
        n = next(_ids)
        record = {**DEFAULTS, "dossier_id": f"HS-{n:06d}", "source_row": n, "row_hash": n, **given}
        for name in _TIMESTAMP_FIELDS:
            record[name] = _as_timestamp(name, record.get(name))
        ids.append(record["dossier_id"])
        rows.append([record.get(c) for c in _COLUMNS])
    placeholders = ", ".join("?" for _ in _COLUMNS)
    con.cursor().executemany(
        f"INSERT INTO dossiers ({', '.join(_COLUMNS)}) VALUES ({placeholders})", rows)
    return ids

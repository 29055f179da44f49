"""Named column mappings, so next month's file of the same layout loads without any work."""
from __future__ import annotations

import datetime as dt
import json

import duckdb

from .errors import CchcError
from .schema import FIELD_BY_NAME


def save_profile(con: duckdb.DuckDBPyConnection, name: str, mapping: dict[str, str]) -> None:
    """Store (or replace) a mapping canonical field -> source header under a name."""
    name = (name or "").strip()
    if not name:
        raise CchcError("Hãy đặt tên cho mẫu ánh xạ cột.")
    unknown = [k for k in mapping if k not in FIELD_BY_NAME]
    if unknown:
        raise CchcError("Mẫu ánh xạ có trường không tồn tại: " + ", ".join(unknown) + ".")
    con.cursor().execute(
        "INSERT OR REPLACE INTO mapping_profiles (name, mapping, created_at) VALUES (?, ?, ?)",
        [name, json.dumps(mapping, ensure_ascii=False), dt.datetime.now().replace(microsecond=0)])


def list_profiles(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.cursor().execute(
        "SELECT name FROM mapping_profiles ORDER BY name").fetchall()]


def get_profile(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, str]:
    row = con.cursor().execute("SELECT mapping FROM mapping_profiles WHERE name = ?", [name]).fetchone()
    if row is None:
        raise CchcError(f"Không có mẫu ánh xạ cột tên «{name}».")
    return json.loads(row[0])

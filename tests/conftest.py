"""Shared fixtures: a fresh DuckDB file, and writers for real .xlsx / .csv / .xls files."""
from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from cchc_metrics.db import connect
from cchc_metrics.ingest import load_sample_data


@pytest.fixture
def con(tmp_path):
    connection = connect(tmp_path / "test.duckdb")
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory) -> Path:
    """The bundled sample loaded once per session (about 2 s); tests copy the file, never change it."""
    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    connection = connect(path)
    load_sample_data(connection)
    connection.close()
    return path


def write_xlsx(path: Path, rows: list[list], merges: tuple[str, ...] = ()) -> Path:
    """Write rows from A1 down (None = empty cell), merging the given ranges like 'C3:E3'."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    for cell_range in merges:
        ws.merge_cells(cell_range)
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[list], *, delimiter: str = ",", bom: bool = False) -> Path:
    with open(path, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


@pytest.fixture(scope="session")
def to_xls(tmp_path_factory):
    """Convert an .xlsx to a real legacy .xls with LibreOffice (a few seconds, so once per file)."""
    out_dir = tmp_path_factory.mktemp("xls")
    soffice = shutil.which("soffice") or shutil.which("libreoffice")

    def convert(xlsx: Path) -> Path:
        subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{out_dir}/profile",
                        "--convert-to", "xls", "--outdir", str(out_dir), str(xlsx)],
                       check=True, capture_output=True, timeout=120)
        return out_dir / (xlsx.stem + ".xls")
    return convert


def table_rows(con, table: str, order_by: str = "dossier_id") -> list[dict]:
    """All rows of a table as dicts, in a stable order, for exact comparisons."""
    cur = con.cursor().execute(f"SELECT * FROM {table} ORDER BY {order_by}")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]

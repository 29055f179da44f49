"""The committed sample exports: regenerated identically, and loading them reproduces the seed
plan's 2023 figures (15/12/2022–14/12/2023), counted here with plain SQL."""
from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from cchc_metrics.db import connect

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"
SAMPLE_FILES = sorted(p for p in SAMPLE_DIR.iterdir() if p.suffix in (".xlsx", ".csv"))


def cell_values(path: Path) -> list[tuple]:
    """Every row of the file as its reader sees it (openpyxl values, or CSV fields)."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [tuple(row) for row in csv.reader(handle, delimiter=";")]
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return [row for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def test_generator_rewrites_the_committed_files_identically(tmp_path):
    subprocess.run([sys.executable, str(SAMPLE_DIR / "generate.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    regenerated = sorted(p.name for p in tmp_path.iterdir())
    assert regenerated == [p.name for p in SAMPLE_FILES]
    assert len(regenerated) == 13
    for committed in SAMPLE_FILES:
        fresh = tmp_path / committed.name
        if fresh.read_bytes() != committed.read_bytes():  # e.g. another xlsxwriter version
            assert cell_values(fresh) == cell_values(committed), committed.name


def test_both_vendor_layouts_and_a_csv_carry_data():
    names = [p.name for p in SAMPLE_FILES]
    assert names[0] == "2022-12_bao-cao-ho-so_vnpt.xlsx"
    assert names[-1] == "2023-12_bao-cao-ho-so_viettel.xlsx"
    assert sum(n.endswith("_vnpt.xlsx") for n in names) == 6
    assert sum(n.endswith("_viettel.xlsx") for n in names) == 6
    assert names.count("2023-04_bao-cao-ho-so_vnpt.csv") == 1

    vnpt = cell_values(SAMPLE_DIR / "2023-01_bao-cao-ho-so_vnpt.xlsx")
    assert vnpt[0][0] == "UBND TỈNH KHÁNH HÒA"
    assert vnpt[3][0] == "Từ ngày 01/01/2023 đến ngày 31/01/2023"
    assert vnpt[5][1] == "Số hồ sơ"
    assert vnpt[-1][2] == "(Ký, ghi rõ họ tên)"

    viettel = cell_values(SAMPLE_DIR / "2023-07_bao-cao-ho-so_viettel.xlsx")
    assert viettel[1][11] == "Thời gian" and viettel[2][11:15] == ("Tiếp nhận", "Hẹn trả", "Có kết quả",
                                                                    "Trả kết quả")
    assert viettel[2][1] == "MaHoSo" and viettel[1][15] == "KenhThucHien"


def test_due_dates_skip_tet_2023():
    """A criminal-record request (10 working days) received Monday 16/01/2023 is due 06/02/2023:
    Tết closed the office 20–26/01/2023."""
    rows = cell_values(SAMPLE_DIR / "2023-01_bao-cao-ho-so_vnpt.xlsx")
    lltp_16_01 = [r for r in rows if r[2] == "2.000488" and str(r[11]).startswith("16/01/2023")]
    due_days = {r[12][:10] for r in lltp_16_01}
    assert "06/02/2023" in due_days
    assert due_days <= {"06/02/2023", "13/02/2023"}  # 15 days when verification is needed


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    from cchc_metrics.ingest import ingest_file  # here, so the file checks above need no ingest

    con = connect(tmp_path_factory.mktemp("db") / "x.duckdb")
    for path in SAMPLE_FILES:
        ingest_file(con, path.read_bytes(), path.name, is_sample=True)
    yield con.cursor()
    con.close()


PERIOD = "TIMESTAMP '2022-12-15 00:00:00' AND TIMESTAMP '2023-12-14 23:59:59.999999'"


def count(cur, where: str, table: str = "dossiers", params: list | None = None) -> int:
    return cur.execute(f"SELECT count(*) FROM {table} WHERE {where}", params or []).fetchone()[0]


def test_loading_every_sample_file_reproduces_the_seed_figures(loaded):
    received = f"received_at BETWEEN {PERIOD}"
    resolved = f"finished_at BETWEEN {PERIOD}"
    assert count(loaded, received) == 15_047
    assert count(loaded, f"{received} AND channel IN ('online_full', 'online_partial')") == 3_159
    assert count(loaded, resolved) == 14_697
    assert count(loaded, f"{resolved} AND finished_at > due_at") == 24
    assert count(loaded, f"{resolved} AND e_result") == 9_129
    assert count(loaded, f"{resolved} AND digitized") == 9_042
    assert count(loaded, f"{received} AND has_fee") == 13_599
    assert count(loaded, f"{received} AND has_fee AND paid_online") == 3_158


def test_sample_state_at_the_end_of_the_period(loaded):
    """174 dossiers came in before 15/12/2022; 524 are still open on 14/12/2023, 6 of them overdue;
    all 24 late ones sit in the three units the plan names; 752 came by public postal service."""
    end = "TIMESTAMP '2023-12-14 23:59:59'"
    assert count(loaded, "received_at < TIMESTAMP '2022-12-15'") == 174
    assert count(loaded, "finished_at IS NULL") == 524
    assert count(loaded, f"finished_at IS NULL AND due_at < {end}") == 6
    assert count(loaded, f"received_at BETWEEN {PERIOD} AND channel = 'bcci'") == 752
    late_units = loaded.execute(
        "SELECT DISTINCT unit FROM dossiers WHERE finished_at > due_at ORDER BY unit").fetchall()
    assert late_units == [("Phòng Hành chính tư pháp",), ("Phòng Thanh tra – Bổ trợ tư pháp",),
                          ("Văn phòng Sở",)]
    finished_on_due_day = "finished_at::DATE = due_at::DATE AND finished_at <= due_at"
    assert count(loaded, "finished_at::DATE < due_at::DATE") > 10_000
    assert count(loaded, finished_on_due_day) > 500
    vinh = loaded.execute("SELECT count(*), count(*) FILTER (finished_at > due_at) FROM dossiers "
                          "WHERE officer = 'Lê Quang Vinh' AND finished_at IS NOT NULL").fetchone()
    assert vinh[1] == 3 and vinh[1] / vinh[0] >= 0.10


def test_personal_data_is_not_stored(loaded):
    """The first applicant of January (name, ID number, phone, address) is nowhere in the data."""
    header, first = cell_values(SAMPLE_DIR / "2023-01_bao-cao-ho-so_vnpt.xlsx")[5:7]
    personal = [first[header.index(h)] for h in ("Họ tên người nộp", "Số CCCD", "Số điện thoại", "Địa chỉ")]
    text_columns = [r[0] for r in loaded.execute(
        "SELECT column_name FROM (DESCRIBE dossier_versions) WHERE column_type = 'VARCHAR'").fetchall()]
    for value in personal:
        assert all(count(loaded, f"{c} = ?", "dossier_versions", [value]) == 0 for c in text_columns), value


def test_online_share_rises_through_the_year(loaded):
    shares = dict(loaded.execute(
        "SELECT strftime(received_at, '%Y-%m'), avg((channel IN ('online_full', 'online_partial'))::INT) "
        "FROM dossiers GROUP BY 1").fetchall())
    assert shares["2023-01"] < 0.12 and shares["2023-11"] > 0.25

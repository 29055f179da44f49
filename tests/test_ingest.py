"""Versioned storage: overlapping uploads in any order, re-upload, undo, bad rows, a crash."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import tempfile
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from cchc_metrics.ingest import excel_pieces, limits, store
from cchc_metrics.db import connect
from cchc_metrics.errors import IngestError
from cchc_metrics.ingest import (ingest_file, list_uploads, load_sample_data, rejected_rows,
                                 undo_upload)
from cchc_metrics.profiles import get_profile, list_profiles, save_profile
from conftest import table_rows, write_xlsx

HEADER = ["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận", "Ngày hẹn trả",
          "Ngày có kết quả", "Trạng thái"]
CONTENT = "dossier_id, procedure_name, unit, received_at, due_at, finished_at, status"


def monthly(path: Path, period: str, rows: list[list]) -> bytes:
    return write_xlsx(path, [["BÁO CÁO HỒ SƠ"], [f"Từ ngày {period}"], HEADER, *rows]).read_bytes()


@pytest.fixture
def january(tmp_path) -> bytes:
    # A is still open in January; B is finished.
    return monthly(tmp_path / "01.xlsx", "01/01/2023 đến ngày 31/01/2023", [
        ["A", "Thủ tục 1", "Phòng 1", "20/01/2023", "30/01/2023", None, "Đang xử lý"],
        ["B", "Thủ tục 2", "Phòng 2", "21/01/2023", "31/01/2023", "25/01/2023", "Đã trả kết quả"],
    ])


@pytest.fixture
def february(tmp_path) -> bytes:
    # A finished in February (newer state), C is new.
    return monthly(tmp_path / "02.xlsx", "01/02/2023 đến ngày 28/02/2023", [
        ["A", "Thủ tục 1", "Phòng 1", "20/01/2023", "30/01/2023", "02/02/2023", "Đã trả kết quả"],
        ["C", "Thủ tục 1", "Phòng 1", "03/02/2023", "13/02/2023", None, "Đang xử lý"],
    ])


def content(con) -> list[tuple]:
    return con.execute(f"SELECT {CONTENT} FROM dossiers ORDER BY dossier_id").fetchall()


def counts(result) -> tuple:
    return result.added, result.updated, result.unchanged, result.rejected


def test_overlapping_uploads_in_either_order_end_in_the_same_state(tmp_path, january, february):
    jan_first = connect(tmp_path / "a.duckdb")
    # Jan: A, B new. Feb: A changed and Feb's data is newer -> updated; C new.
    assert counts(ingest_file(jan_first, january, "01.xlsx")) == (2, 0, 0, 0)
    assert counts(ingest_file(jan_first, february, "02.xlsx")) == (1, 1, 0, 0)
    feb_first = connect(tmp_path / "b.duckdb")
    # Feb: A, C new. Jan: A's January version is older -> unchanged; B new.
    assert counts(ingest_file(feb_first, february, "02.xlsx")) == (2, 0, 0, 0)
    assert counts(ingest_file(feb_first, january, "01.xlsx")) == (1, 0, 1, 0)
    assert content(jan_first) == content(feb_first)
    assert [(r[0], r[5], r[6]) for r in content(jan_first)] == [
        ("A", dt.datetime(2023, 2, 2), "Đã trả kết quả"),
        ("B", dt.datetime(2023, 1, 25), "Đã trả kết quả"),
        ("C", None, "Đang xử lý")]
    assert jan_first.execute("SELECT count(*) FROM dossier_versions").fetchone()[0] == 4


def test_identical_reupload_changes_nothing_and_says_so(con, january):
    first = ingest_file(con, january, "01.xlsx")
    before = table_rows(con, "dossiers")
    again = ingest_file(con, january, "01-copy.xlsx")
    assert again.status == "already_loaded" and again.upload_id == first.upload_id
    assert "giống hệt" in again.message_vi and "01.xlsx" in again.message_vi
    assert table_rows(con, "dossiers") == before
    assert len(list_uploads(con)) == 1


def test_undo_restores_exactly_the_earlier_state(con, january, february):
    ingest_file(con, january, "01.xlsx")
    before = table_rows(con, "dossiers")
    feb = ingest_file(con, february, "02.xlsx")
    assert table_rows(con, "dossiers") != before
    undone = undo_upload(con, feb.upload_id)
    assert table_rows(con, "dossiers") == before
    # Feb carried A (back to January's version) and C (only in Feb, so gone).
    assert (undone.dossiers_restored, undone.dossiers_removed) == (1, 1)
    history = list_uploads(con)
    assert list(history["upload_id"]) == [feb.upload_id, feb.upload_id - 1]
    assert history["undone_at"].notna().tolist() == [True, False]
    with pytest.raises(IngestError, match="đã được hoàn tác"):
        undo_upload(con, feb.upload_id)
    # An undone file may be loaded again.
    assert ingest_file(con, february, "02.xlsx").status == "loaded"


def test_duplicate_ids_in_one_file_keep_the_later_row(con, tmp_path):
    data = monthly(tmp_path / "dup.xlsx", "01/01/2023 đến ngày 31/01/2023", [
        ["A", "Thủ tục 1", "Phòng 1", "20/01/2023", "30/01/2023", None, "Đang xử lý"],
        ["A", "Thủ tục 1", "Phòng 1", "20/01/2023", "30/01/2023", "29/01/2023", "Đã trả kết quả"],
    ])
    result = ingest_file(con, data, "dup.xlsx")
    assert (result.rows_read, result.added) == (2, 1)
    # Header on row 3, so the two data rows are Excel rows 4 and 5; row 5 wins.
    assert con.execute("SELECT source_row, status FROM dossiers").fetchall() == [(5, "Đã trả kết quả")]


BAD_ROWS = [
    ["A", "Thủ tục 1", "Phòng 1", "20/01/2023", "30/01/2023", None, "Đang xử lý"],
    ["B", "Thủ tục 1", "Phòng 1", "31/02/2023", "30/01/2023", None, "Đang xử lý"],   # row 5
    ["C", "Thủ tục 1", None, "21/01/2023", "khi nào xong", None, "Đang xử lý"],      # row 6
    [None, "Thủ tục 1", "Phòng 1", "22/01/2023", None, None, "Đang xử lý"],         # row 7
    ["D", "Thủ tục 1", "Phòng 1", "23/01/2023", "02/02/2023", None, "Đang xử lý"],
]


def test_bad_rows_reject_the_whole_file_by_default(con, tmp_path):
    data = monthly(tmp_path / "bad.xlsx", "01/01/2023 đến ngày 31/01/2023", BAD_ROWS)
    with pytest.raises(IngestError) as caught:
        ingest_file(con, data, "bad.xlsx")
    error = caught.value
    assert error.file_name == "bad.xlsx"
    assert [(p.row, p.column, p.value) for p in error.problems] == [
        (5, "Ngày tiếp nhận", "31/02/2023"),
        (6, "Ngày hẹn trả", "khi nào xong"),
        (7, "Mã hồ sơ", "")]  # row 6's blank unit is not an error: it becomes "(chưa rõ đơn vị)"
    assert "dòng 5, cột «Ngày tiếp nhận», giá trị «31/02/2023»" in str(error)
    assert "3 lỗi ở 3 dòng" in str(error)
    for table in ("uploads", "dossiers", "dossier_versions", "rejected_rows"):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table


def test_skip_invalid_loads_the_good_rows_and_keeps_the_bad_ones(con, tmp_path):
    data = monthly(tmp_path / "bad.xlsx", "01/01/2023 đến ngày 31/01/2023", BAD_ROWS)
    result = ingest_file(con, data, "bad.xlsx", skip_invalid=True)
    # 5 dossier rows read, rows 5, 6, 7 bad -> A and D loaded.
    assert (result.rows_read, result.added, result.rejected) == (5, 2, 3)
    assert [r[0] for r in content(con)] == ["A", "D"]
    kept = rejected_rows(con, result.upload_id)
    assert kept["source_row"].tolist() == [5, 6, 7]
    assert kept["value"].tolist()[:2] == ["31/02/2023", "khi nào xong"]


def test_profiles_round_trip(con):
    save_profile(con, "VNPT iGate", {"dossier_id": "Số biên nhận"})
    save_profile(con, "VNPT iGate", {"dossier_id": "Mã hồ sơ", "unit": "Phòng"})
    assert list_profiles(con) == ["VNPT iGate"]
    assert get_profile(con, "VNPT iGate") == {"dossier_id": "Mã hồ sơ", "unit": "Phòng"}


def test_sample_data_loads_with_the_seed_figures(con):
    results = load_sample_data(con)
    assert len(results) >= 12 and all(r.status == "loaded" and r.rejected == 0 for r in results)
    received, online = con.execute("""
        SELECT count(*), count(*) FILTER (WHERE channel IN ('online_full', 'online_partial'))
        FROM dossiers WHERE received_at BETWEEN '2022-12-15' AND '2023-12-14 23:59:59'""").fetchone()
    # Seed plan, 2023: 15,047 received, 3,159 of them online.
    assert (received, online) == (15047, 3159)
    assert con.execute("SELECT bool_and(is_sample) FROM uploads").fetchone()[0]


CRASHING_INGEST = textwrap.dedent("""
    import sys, time
    from cchc_metrics.db import connect
    from cchc_metrics.ingest import ingest_file

    def stall_while_writing(stage, fraction):
        if stage == "write" and fraction > 0:   # inside the transaction, versions written
            print("writing", flush=True)
            time.sleep(60)

    con = connect(sys.argv[1])
    ingest_file(con, open(sys.argv[2], "rb").read(), "02.xlsx", progress=stall_while_writing)
""")


def test_a_killed_load_leaves_the_database_as_it_was(tmp_path, january, february):
    db_path = tmp_path / "crash.duckdb"
    con = connect(db_path)
    ingest_file(con, january, "01.xlsx")
    before = {t: table_rows(con, t, "ALL") for t in ("uploads", "dossiers", "dossier_versions")}
    con.close()
    feb_path = tmp_path / "02.xlsx"
    feb_path.write_bytes(february)
    child = subprocess.Popen([sys.executable, "-c", CRASHING_INGEST, str(db_path), str(feb_path)],
                             stdout=subprocess.PIPE, text=True,
                             cwd=Path(__file__).resolve().parent.parent)
    try:
        assert child.stdout.readline().strip() == "writing"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    con = connect(db_path)
    assert {t: table_rows(con, t, "ALL") for t in before} == before
    con.close()


def pieced_export(path: Path) -> bytes:
    """Title rows 1-2, header row 3, dossiers H001..H080 on rows 4..83, a totals row 84; strings
    go to the shared-strings table (xlsxwriter), as Excel writes them. Row 50 has a bad date,
    row 70 repeats H010 (row 13) from another unit."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Chi tiết")
    ws.write_row(0, 0, ["BÁO CÁO HỒ SƠ"])
    ws.write_row(1, 0, ["Từ ngày 01/03/2023 đến ngày 31/03/2023"])
    ws.write_row(2, 0, ["STT", "Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận", "Người nộp"])
    for i in range(1, 81):
        row = [i, f"H{i:03d}", "Thủ tục A", f"Phòng {i % 2 + 1}", f"{i % 28 + 1:02d}/03/2023",
               f"Nguyễn Văn {i}"]
        if i == 47:                       # Excel row 50
            row[4] = "31/02/2023"
        if i == 67:                       # Excel row 70
            row[1], row[3] = "H010", "Phòng 9"
        ws.write_row(2 + i, 0, row)
    ws.write_row(83, 0, [None, "Tổng cộng", 80])
    wb.close()
    return path.read_bytes()


def test_a_big_sheet_read_in_pieces_loads_like_a_small_one(con, tmp_path, monkeypatch):
    data = pieced_export(tmp_path / "big.xlsx")
    real_pieces, pieces_cut = excel_pieces.sheet_pieces, []
    monkeypatch.setattr(excel_pieces, "sheet_pieces",
                        lambda *a: (pieces_cut.append(p) or p for p in real_pieces(*a)))
    monkeypatch.setattr(limits, "PIECED_SHEET_BYTES", 4000)
    monkeypatch.setattr(limits, "PIECE_XML_BYTES", 1500)
    monkeypatch.setattr(store, "STAGE_BATCH_ROWS", 20)
    # Pieces are cut into a temporary folder: a private one, so other test runs cannot add to it.
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))

    with pytest.raises(IngestError) as caught:
        ingest_file(con, data, "big.xlsx")
    assert len(pieces_cut) > 5
    assert "có 1 lỗi ở 1 dòng" in str(caught.value)
    assert [(p.row, p.column, p.value) for p in caught.value.problems] == [(50, "Ngày tiếp nhận", "31/02/2023")]

    # 80 dossier rows (the totals row is not one), row 50 rejected, H010 twice: 78 dossiers.
    result = ingest_file(con, data, "big.xlsx", skip_invalid=True)
    assert (result.rows_read, result.added, result.rejected) == (80, 78, 1)
    assert rejected_rows(con, result.upload_id)["source_row"].tolist() == [50]
    assert con.execute("SELECT count(*), count(DISTINCT unit) FROM dossiers").fetchone() == (78, 3)
    assert con.execute("SELECT source_row, unit, received_at FROM dossiers WHERE dossier_id = 'H010'"
                       ).fetchone() == (70, "Phòng 9", dt.datetime(2023, 3, 12))
    assert con.execute("SELECT source_row FROM dossiers WHERE dossier_id = 'H080'").fetchone() == (83,)
    assert "Nguyễn Văn" not in str(con.execute("SELECT * FROM dossier_versions").fetchall())
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "4.0 GiB"
    assert os.listdir(private_tmp) == []        # every piece and its folder removed


def test_a_big_sheet_over_the_row_limit_is_refused_while_read(con, tmp_path, monkeypatch):
    data = pieced_export(tmp_path / "big.xlsx")
    monkeypatch.setattr(limits, "PIECED_SHEET_BYTES", 4000)
    monkeypatch.setattr(limits, "PIECE_XML_BYTES", 1500)
    monkeypatch.setattr(limits, "MAX_ROWS", 60)
    with pytest.raises(IngestError, match="vượt giới hạn 60 dòng"):
        ingest_file(con, data, "big.xlsx")
    assert con.execute("SELECT count(*) FROM uploads").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM dossier_versions").fetchone()[0] == 0
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "4.0 GiB"


def test_a_load_never_changes_the_memory_limit_other_sessions_run_under(con, tmp_path):
    # DuckDB's memory limit is global to the database: a load that lowered it for its own sake
    # made every other session's queries run under it meanwhile (and, with two loads at once,
    # could leave it lowered for good). At every stage of a load another cursor sees 4 GiB.
    data = pieced_export(tmp_path / "big.xlsx")
    seen = set()
    watcher = con.cursor()
    result = ingest_file(con, data, "big.xlsx", skip_invalid=True, progress=lambda stage, fraction:
                         seen.add(watcher.execute("SELECT current_setting('memory_limit')").fetchone()[0]))
    assert (result.rows_read, result.added, result.rejected) == (80, 78, 1)
    assert seen == {"4.0 GiB"}


def test_a_big_file_staged_in_its_own_capped_instance_stores_the_same(con, tmp_path, monkeypatch):
    # Over SEPARATE_STAGING_FILE_BYTES a file is staged and checked in a DuckDB instance of its own
    # (capped at 128 MiB, spilling beyond) and its rows copied in as Arrow: same rows, same hashes.
    data = pieced_export(tmp_path / "big.xlsx")
    same_connection = ingest_file(con, data, "big.xlsx", skip_invalid=True)
    expected = [{k: v for k, v in r.items() if k != "upload_id"} for r in table_rows(con, "dossiers")]
    undo_upload(con, same_connection.upload_id)
    staging_limits = []
    real_connect = duckdb.connect
    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: staging_limits.append(k["config"]["memory_limit"])
                        or real_connect(*a, **k))
    monkeypatch.setattr(store, "SEPARATE_STAGING_FILE_BYTES", 0)
    separate = ingest_file(con, data, "big.xlsx", skip_invalid=True)
    assert staging_limits == ["128MiB"]
    assert (separate.rows_read, separate.added, separate.rejected) == (80, 78, 1)
    assert [{k: v for k, v in r.items() if k != "upload_id"} for r in table_rows(con, "dossiers")] == expected
    assert rejected_rows(con, separate.upload_id).equals(rejected_rows(con, same_connection.upload_id))
    assert rejected_rows(con, separate.upload_id)["source_row"].tolist() == [50]


def test_a_later_file_without_a_column_keeps_what_an_earlier_file_gave(con, tmp_path, january):
    # March's register has no due-date column and no status: A's due date (30/01) and status
    # come from January's export, its return date from March's file (newer data).
    march = write_xlsx(tmp_path / "03.xlsx", [
        ["Từ ngày 01/03/2023 đến ngày 31/03/2023"],
        ["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận", "Ngày trả kết quả"],
        ["A", "Thủ tục 1", "Phòng 1", "20/01/2023", "03/03/2023"],
    ]).read_bytes()
    ingest_file(con, january, "01.xlsx")
    before = table_rows(con, "dossiers")
    result = ingest_file(con, march, "03.xlsx")
    assert counts(result) == (0, 1, 0, 0)
    a = con.execute("SELECT due_at, finished_at, returned_at, status FROM dossiers "
                    "WHERE dossier_id = 'A'").fetchone()
    assert a == (dt.datetime(2023, 1, 30, 23, 59, 59), dt.datetime(2023, 3, 3),
                 dt.datetime(2023, 3, 3), "Đang xử lý")
    undo_upload(con, result.upload_id)
    assert table_rows(con, "dossiers") == before


def test_a_database_made_before_fields_carried_gets_them_from_each_upload_mapping(tmp_path, january):
    path = tmp_path / "old.duckdb"
    old = connect(path)
    ingest_file(old, january, "01.xlsx")
    for table in ("uploads", "dossier_versions", "dossiers"):
        old.execute(f"ALTER TABLE {table} DROP COLUMN fields_carried")
    old.close()
    reopened = connect(path)
    # January's columns: id, procedure, unit, received, due, finish, status (bits 0, 2, 4, 6, 7, 8, 11).
    expected = 1 + 4 + 16 + 64 + 128 + 256 + 2048
    assert reopened.execute("SELECT DISTINCT fields_carried FROM dossiers").fetchall() == [(expected,)]
    assert reopened.execute("SELECT fields_carried FROM uploads").fetchall() == [(expected,)]

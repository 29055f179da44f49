"""Impossible values are row errors (issue 10, item 2): a strict load refuses the file naming row
and column, `skip_invalid` loads the rest and keeps the bad rows for review; and a database that
somehow holds an impossible date still opens every page, scores, and can undo."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from cchc_metrics import db, scoring
from test_app_pages import PAGES, run_app
from cchc_metrics.errors import IngestError
from cchc_metrics.ingest import ingest_file, rejected_rows, undo_upload

HEADER = ["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày có kết quả"]


def workbook(tmp_path, bad_finish, *, number_format: str | None = None, received="01/03/2024") -> bytes:
    """Header on row 1, five good dossiers on rows 2-6, the dossier under test HS-X on row 7."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for k in range(5):
        sheet.append([f"HS-{k}", "Chứng thực bản sao", "Văn phòng Sở", "01/03/2024", "10/03/2024", "05/03/2024"])
    sheet.append(["HS-X", "Chứng thực bản sao", "Văn phòng Sở", received, "10/03/2024", bad_finish])
    if number_format:
        sheet.cell(7, 6).number_format = number_format
    path = tmp_path / "bad.xlsx"
    book.save(path)
    return path.read_bytes()


@pytest.mark.parametrize("value, number_format", [
    ("INF", None), ("1e400", None), ("NaN", None), ("1/1/1", None), ("99999-03-05", None),
    ("05/03/24", None),            # a two-digit year
    ("05/03/2203", None),          # a typo year
    (-1, "dd/mm/yyyy"),            # a date-styled -1: 1899-12-30
], ids=["INF", "1e400", "NaN", "1-1-1", "99999-03-05", "two-digit-year", "year-2203", "date-styled-minus-1"])
def test_impossible_finish_dates_are_row_errors(con, tmp_path, value, number_format):
    data = workbook(tmp_path, value, number_format=number_format)
    with pytest.raises(IngestError) as refused:
        ingest_file(con, data, "bad.xlsx")
    assert [(p.row, p.column) for p in refused.value.problems] == [(7, "Ngày có kết quả")]
    assert con.execute("SELECT count(*) FROM uploads").fetchone()[0] == 0
    result = ingest_file(con, data, "bad.xlsx", skip_invalid=True)
    assert (result.added, result.rejected) == (5, 1)
    kept = rejected_rows(con, result.upload_id)
    assert kept[["source_row", "column_name"]].values.tolist() == [[7, "Ngày có kết quả"]]
    assert con.execute("SELECT count(*) FROM dossiers WHERE dossier_id = 'HS-X'").fetchone()[0] == 0


def test_finish_before_receipt_is_a_row_error(con, tmp_path):
    # Received 05/03/2024, finished 01/03/2024: four days before.
    data = workbook(tmp_path, "01/03/2024", received="05/03/2024")
    with pytest.raises(IngestError) as refused:
        ingest_file(con, data, "bad.xlsx")
    (problem,) = refused.value.problems
    assert (problem.row, problem.column) == (7, "Ngày có kết quả")
    assert "sớm hơn ngày tiếp nhận" in problem.message


def test_finish_on_the_day_of_receipt_but_earlier_hour_is_not_an_error(con, tmp_path):
    # A finish date without time (00:00) on the day received at 08:00 is the same day: fine.
    data = workbook(tmp_path, "01/03/2024", received="01/03/2024 08:00")
    assert ingest_file(con, data, "ok.xlsx").added == 6


def test_csv_cut_off_mid_row_is_a_row_error_not_false_flags(con):
    text = ("Mã hồ sơ,Tên thủ tục,Đơn vị xử lý,Ngày tiếp nhận,Ngày hẹn trả,Số hóa hồ sơ\n"
            "HS-1,Chứng thực,Văn phòng Sở,01/03/2024,10/03/2024,Có\n"
            "HS-2,Chứng thực,Văn phòng Sở,02/03/2024,10/03/2024,Có\n"
            "HS-3,Chứng thực,Văn phòng Sở,03/03/2024")          # cut after the received date
    with pytest.raises(IngestError) as refused:
        ingest_file(con, text.encode(), "cut.csv")
    (problem,) = refused.value.problems
    # Line 4, first missing field the fifth header.
    assert (problem.row, problem.column) == (4, "Ngày hẹn trả")
    assert "ít ô hơn dòng tiêu đề" in problem.message
    result = ingest_file(con, text.encode(), "cut.csv", skip_invalid=True)
    assert (result.added, result.rejected) == (2, 1)
    # Not stored with its missing "Số hóa hồ sơ" as false.
    assert con.execute("SELECT dossier_id FROM dossiers ORDER BY 1").fetchall() == [("HS-1",), ("HS-2",)]


def test_units_differing_only_in_spaces_are_one_unit(con):
    text = ("Mã hồ sơ,Tên thủ tục,Đơn vị xử lý,Ngày tiếp nhận\n"
            "HS-1,Chứng thực,Phòng Tư pháp,01/03/2024\n"
            "HS-2,Chứng thực,Phòng  Tư pháp ,02/03/2024\n"       # two spaces inside, one after
            "HS-3,Chứng  thực,Phòng\u00a0Tư pháp,03/03/2024\n")   # a no-break space (web pages)
    ingest_file(con, text.encode(), "spaces.csv")
    assert con.execute("SELECT DISTINCT unit FROM dossiers").fetchall() == [("Phòng Tư pháp",)]
    assert con.execute("SELECT DISTINCT procedure_name FROM dossiers").fetchall() == [("Chứng thực",)]


@pytest.fixture
def database_with_year_99999(tmp_path):
    """A database an older version filled: one finish date in year 99999, one receipt in year 1,
    written with SQL in the dossier and in its version."""
    path = tmp_path / "cchc.duckdb"
    con = db.connect(path)
    text = ("Mã hồ sơ,Tên thủ tục,Đơn vị xử lý,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả\n"
            "HS-1,Chứng thực,Văn phòng Sở,01/03/2024,10/03/2024,05/03/2024\n"
            "HS-2,Chứng thực,Văn phòng Sở,02/03/2024,10/03/2024,06/03/2024\n")
    upload_id = ingest_file(con, text.encode(), "old.csv").upload_id
    for table in ("dossiers", "dossier_versions"):
        con.execute(f"UPDATE {table} SET finished_at = TIMESTAMP '99999-03-05' WHERE dossier_id = 'HS-1'")
        con.execute(f"UPDATE {table} SET received_at = TIMESTAMP '0001-01-01' WHERE dossier_id = 'HS-2'")
    con.close()
    return path, upload_id


def test_database_holding_year_99999_still_scores_and_undo_stays_reachable(database_with_year_99999):
    path, upload_id = database_with_year_99999
    con = db.connect(path)
    # The impossible dates are blanked on opening; the rest of each dossier stays.
    assert con.execute("SELECT dossier_id, received_at, finished_at FROM dossiers ORDER BY 1").fetchall() == [
        ("HS-1", dt.datetime(2024, 3, 1), None), ("HS-2", None, dt.datetime(2024, 3, 6))]
    scoring.score_year(con, "khanh_hoa_department", 2024)
    assert undo_upload(con, upload_id).dossiers_removed == 2
    con.close()


def test_database_holding_year_99999_scores_from_the_cli_which_opens_it_read_only(database_with_year_99999, capsys):
    """The reading commands open the file read-only, which cannot repair it: they open it once for
    writing first. Before, `score` stopped with a traceback (a year Python cannot hold)."""
    from cchc_metrics.cli import main

    path, _ = database_with_year_99999
    assert main(["score", "--db", str(path), "--year", "2024"]) == 0
    assert '"total"' in capsys.readouterr().out
    with db.connect(path, read_only=True) as con:
        assert not db.holds_impossible_dates(con)


def test_database_holding_year_99999_opens_every_page(database_with_year_99999, monkeypatch):
    path, _ = database_with_year_99999
    at = run_app(path, monkeypatch)
    for name in PAGES:
        at = at.switch_page(f"app_pages/{name}.py").run()
        assert not at.exception, (name, [e.value for e in at.exception])
        assert not at.error, (name, [e.value for e in at.error])


def test_a_csv_line_of_200000_commas_is_refused_not_a_huge_table(con):
    # 3 dossier rows and one line of 200,001 empty fields: before, a table of 200,001 x 4 cells.
    text = ("Mã hồ sơ,Tên thủ tục,Ngày tiếp nhận\nHS-1,X,01/03/2024\nHS-2,X,02/03/2024\n"
            + "," * 200_000 + "\n")
    with pytest.raises(IngestError, match="hơn 200 cột"):
        ingest_file(con, text.encode(), "rong.csv")
    assert con.execute("SELECT count(*) FROM uploads").fetchone() == (0,)


@pytest.mark.parametrize("fee", ["nan", "inf", "1e400", "-5"])
def test_a_fee_amount_that_is_no_amount_is_a_row_error_not_a_fee(con, fee):
    # Before, "nan" and "inf" became NaN / infinity (NaN > 0 is true in DuckDB: a fee dossier).
    text = ("Mã hồ sơ,Tên thủ tục,Ngày tiếp nhận,Lệ phí (đồng)\n"
            + "".join(f"HS-{i},X,0{i}/03/2024,20000\n" for i in range(1, 4)) + f"HS-9,X,09/03/2024,{fee}\n")
    with pytest.raises(IngestError) as refused:
        ingest_file(con, text.encode(), "phi.csv")
    assert f"dòng 5, cột «Lệ phí (đồng)», giá trị «{fee}»: không đọc được số tiền" in str(refused.value)


def test_a_title_period_from_year_1_is_not_the_files_period(con):
    text = ("Báo cáo hồ sơ từ ngày 01/01/0001 đến ngày 31/03/2024\n"
            "Mã hồ sơ,Tên thủ tục,Ngày tiếp nhận\nHS-1,X,01/03/2024\n")
    result = ingest_file(con, text.encode(), "ky.csv")
    # not 01/01/0001: the period comes from the file's own dates instead
    assert (result.period_start, result.period_end) == (dt.date(2024, 3, 1), dt.date(2024, 3, 1))


def test_a_file_whose_every_row_is_skipped_leaves_the_sample_in_place(con):
    from cchc_metrics.ingest import load_sample_data

    load_sample_data(con)
    in_force = con.execute("SELECT count(*) FROM dossiers").fetchone()[0]
    text = "Mã hồ sơ,Tên thủ tục,Ngày tiếp nhận\nHS-1,X,31/02/2024\nHS-2,X,99/99/2024\n"
    result = ingest_file(con, text.encode(), "sai.csv", skip_invalid=True)
    assert (result.added, result.rejected) == (0, 2)
    assert con.execute("SELECT count(*) FROM dossiers").fetchone()[0] == in_force   # sample kept

"""The CLI speaks Vietnamese when arguments are wrong, neutralises spreadsheet formulas in its CSV
output and never prints a file's terminal escape sequences."""
from __future__ import annotations

import csv
import io

import pytest

from cchc_metrics.cli import main
from conftest import write_csv  # a CSV, unlike a workbook, holds "=…" as text and control characters


def run(argv, capsys) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse exits from inside parse_args
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


def test_missing_required_argument_is_explained_in_vietnamese(capsys):
    code, _, err = run(["metrics", "--end", "2023-12-14"], capsys)
    assert code == 2
    assert "Cách dùng: python -m cchc_metrics metrics" in err
    assert "Lỗi: thiếu tham số bắt buộc: --start" in err
    assert "usage" not in err and "required" not in err


@pytest.mark.parametrize("argv, expected", [
    (["score", "--year", "hai-nghin"], "tham số --year: 'hai-nghin' không phải là số nguyên"),
    (["metrics", "--start", "2023-01-01", "--end", "2023-01-31", "--by", "quan"],
     "tham số --by: giá trị 'quan' không hợp lệ (chọn một trong: 'unit',"),
    (["undo", "1", "2"], "không hiểu tham số: 2"),
    (["nap-du-lieu"], "giá trị 'nap-du-lieu' không hợp lệ"),
])
def test_argparse_errors_in_vietnamese(argv, expected, capsys):
    code, _, err = run(argv, capsys)
    assert code == 2
    assert expected in err
    assert "invalid" not in err and "unrecognized" not in err and "choose from" not in err


def test_help_headings_are_vietnamese(capsys):
    code, out, _ = run(["ingest", "--help"], capsys)
    assert code == 0
    assert out.startswith("Cách dùng: python -m cchc_metrics ingest")
    assert "tùy chọn:" in out and "hiện hướng dẫn này rồi thoát" in out
    assert "usage" not in out and "options:" not in out and "show this help" not in out


@pytest.mark.parametrize("content, kind", [("[1, 2]", "một danh sách"), ('"Số biên nhận"', "một chuỗi chữ"),
                                           ('{"dossier_id": 7}', "không phải bảng ánh xạ"),
                                           ("{không phải json", "không phải JSON hợp lệ")])
def test_mapping_that_is_not_an_object_is_refused_with_exit_2(tmp_path, capsys, content, kind):
    mapping = tmp_path / "anh-xa.json"
    mapping.write_text(content, encoding="utf-8")
    db = tmp_path / "cli.duckdb"
    code, _, err = run(["ingest", "--db", str(db), "--mapping", str(mapping), str(tmp_path / "x.xlsx")], capsys)
    assert code == 2
    assert "tham số --mapping" in err and kind in err
    assert "Traceback" not in err and "AttributeError" not in err
    assert not db.exists()  # refused before the database was opened


def test_missing_input_file_gives_a_vietnamese_os_error(tmp_path, capsys):
    code, _, err = run(["ingest", "--db", str(tmp_path / "cli.duckdb"), str(tmp_path / "khong-co.xlsx")], capsys)
    assert code == 1
    assert "khong-co.xlsx»: không tìm thấy tệp hoặc thư mục" in err
    assert "No such file" not in err


HOSTILE_UNIT = "=HYPERLINK(\"http://evil.example\",\"Bấm\")"


def loaded_db(tmp_path, capsys, unit: str, file_name: str = "thang3.csv"):
    db = tmp_path / "cli.duckdb"
    rows = [["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày có kết quả"],
            ["A", "@SUM(1+1)", unit, "01/03/2023", "03/03/2023", "02/03/2023"],
            ["B", "-2+3", unit, "02/03/2023", "03/03/2023", "06/03/2023"]]
    assert run(["ingest", "--db", str(db), str(write_csv(tmp_path / file_name, rows))], capsys)[0] == 0
    return db


def test_metrics_csv_neutralises_formulas_and_keeps_numbers(tmp_path, capsys):
    db = loaded_db(tmp_path, capsys, HOSTILE_UNIT)
    code, out, _ = run(["metrics", "--db", str(db), "--start", "2023-03-01", "--end", "2023-03-31",
                        "--by", "unit", "--format", "csv"], capsys)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["unit"] == "'" + HOSTILE_UNIT
    assert rows[0]["received"] == "2"  # a count stays a plain number


def test_watchlist_csv_keeps_negative_numbers_as_numbers(tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    rows = [["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày có kết quả"],
            ["A", "+Thủ tục", "-Phòng", "01/03/2023", "03/03/2023", ""]]
    assert run(["ingest", "--db", str(db), str(write_csv(tmp_path / "mo.csv", rows))], capsys)[0] == 0
    code, out, _ = run(["watchlist", "--db", str(db), "--as-of", "2023-03-08", "--format", "csv"], capsys)
    assert code == 0
    row = next(csv.DictReader(io.StringIO(out)))
    assert row["procedure_name"] == "'+Thủ tục" and row["unit"] == "'-Phòng"
    # due Fri 03/03, as of Wed 08/03: Mon 06, Tue 07, Wed 08 are 3 working days late
    assert row["working_days_left"] == "-3"


def test_terminal_escape_sequences_in_names_are_not_printed(tmp_path, capsys):
    unit = "Phòng \x1b[2J\x1b]0;pwned\x07Một cửa\x1b[31m"
    db = loaded_db(tmp_path, capsys, unit, file_name="thang\x1b[5m3.csv")
    for argv in (["uploads", "--db", str(db)],
                 ["metrics", "--db", str(db), "--start", "2023-03-01", "--end", "2023-03-31", "--by", "unit",
                  "--format", "csv"]):
        code, out, err = run(argv, capsys)
        assert code == 0
        assert "\x1b" not in out + err and "\x07" not in out + err
    assert "Phòng 0;pwnedMột cửa" not in out  # the whole OSC sequence goes, title included
    assert "Phòng Một cửa" in out
    code, out, _ = run(["uploads", "--db", str(db)], capsys)
    assert "thang3.csv" in out

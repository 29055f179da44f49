"""A workbook with several visible sheets that are each a dossier list (issue 10, item 5): never
only the first silently; the user names the sheet to load (`sheet=`, the page's box, `--sheet`)
and loads the file once per sheet.

Workbook used throughout: «Tháng 3» lists HS-1, HS-2; «Tháng 4» lists HS-3, HS-4, HS-5; a hidden
«Bản cũ» lists CU-1.
"""
from __future__ import annotations

import pytest

from cchc_metrics.cli import main
from cchc_metrics.db import connect
from cchc_metrics.errors import IngestError, SeveralListsError
from cchc_metrics.ingest import ingest_file, preview_export
from conftest import write_csv

HEADER = ["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận"]
MARCH = [HEADER, ["HS-1", "Chứng thực bản sao", "Văn phòng Sở", "01/03/2024"],
         ["HS-2", "Đăng ký khai sinh", "Văn phòng Sở", "02/03/2024"]]
APRIL = [HEADER, ["HS-3", "Chứng thực bản sao", "Văn phòng Sở", "01/04/2024"],
         ["HS-4", "Đăng ký khai sinh", "Phòng Hành chính tư pháp", "02/04/2024"],
         ["HS-5", "Cấp phiếu lý lịch tư pháp", "Văn phòng Sở", "03/04/2024"]]
OLD_COPY = [HEADER, ["CU-1", "Chứng thực bản sao", "Văn phòng Sở", "01/01/2024"]]


def two_lists(path) -> bytes:
    """«Tháng 3» and «Tháng 4» visible, «Bản cũ» hidden between them."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows, state in (("Tháng 3", MARCH, "visible"), ("Bản cũ", OLD_COPY, "hidden"),
                               ("Tháng 4", APRIL, "visible")):
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        sheet.sheet_state = state
    book.save(path)
    return path.read_bytes()


def ids(con) -> list[str]:
    return [r[0] for r in con.execute("SELECT dossier_id FROM dossiers ORDER BY 1").fetchall()]


def uploads(con) -> int:
    return con.execute("SELECT count(*) FROM uploads").fetchone()[0]


@pytest.fixture
def workbook(tmp_path) -> bytes:
    return two_lists(tmp_path / "hai-trang.xlsx")


def test_without_a_sheet_the_user_is_asked_which(con, workbook):
    with pytest.raises(SeveralListsError) as caught:
        ingest_file(con, workbook, "hai-trang.xlsx")
    assert caught.value.sheets == ["Tháng 3", "Tháng 4"]          # the hidden sheet is no choice
    message = str(caught.value)
    assert "tệp có 2 trang tính đều là danh sách hồ sơ: «Tháng 3», «Tháng 4»" in message
    assert "chọn trang tính cần nạp" in message and "--sheet" in message
    assert uploads(con) == 0
    with pytest.raises(SeveralListsError):
        preview_export(workbook, "hai-trang.xlsx")


def test_the_chosen_sheet_alone_is_previewed_and_loaded(con, workbook):
    preview = preview_export(workbook, "hai-trang.xlsx", sheet="Tháng 4")
    assert list(preview.sample["Mã hồ sơ"]) == ["HS-3", "HS-4", "HS-5"]
    result = ingest_file(con, workbook, "hai-trang.xlsx", sheet="Tháng 4")
    assert (result.status, result.rows_read, result.added) == ("loaded", 3, 3)
    assert result.layout["sheet"] == "Tháng 4" and result.layout["sheet_chosen"] is True
    assert "(trang tính «Tháng 4»)" in result.message_vi          # reported per sheet
    assert ids(con) == ["HS-3", "HS-4", "HS-5"]


def test_the_same_file_loads_once_per_sheet_not_as_already_loaded(con, workbook):
    assert ingest_file(con, workbook, "hai-trang.xlsx", sheet="Tháng 3").added == 2
    second = ingest_file(con, workbook, "hai-trang.xlsx", sheet="Tháng 4")
    assert (second.status, second.added) == ("loaded", 3)          # same bytes, another sheet
    assert ids(con) == ["HS-1", "HS-2", "HS-3", "HS-4", "HS-5"]   # 2 + 3 dossiers
    again = ingest_file(con, workbook, "hai-trang.xlsx", sheet=" Tháng 3 ")  # spaces as typed
    assert (again.status, again.upload_id) == ("already_loaded", 1)
    assert "(trang tính «Tháng 3»)" in again.message_vi
    with pytest.raises(SeveralListsError):     # no sheet: still asked, not "already loaded"
        ingest_file(con, workbook, "hai-trang.xlsx")
    assert uploads(con) == 2


def test_an_undone_sheet_loads_again(con, workbook):
    from cchc_metrics.ingest import undo_upload

    first = ingest_file(con, workbook, "hai-trang.xlsx", sheet="Tháng 4")
    undo_upload(con, first.upload_id)
    assert ingest_file(con, workbook, "hai-trang.xlsx", sheet="Tháng 4").status == "loaded"


def test_naming_the_list_of_a_one_list_file_is_the_same_load(con, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Danh sách"
    for row in MARCH:
        book.active.append(row)
    book.create_sheet("Ghi chú").append(["Xuất ngày 05/03/2024"])
    book.save(tmp_path / "mot-trang.xlsx")
    data = (tmp_path / "mot-trang.xlsx").read_bytes()
    assert ingest_file(con, data, "mot-trang.xlsx").layout == {
        "format": "xlsx", "header_rows": [1], "first_data_row": 2, "sheet": "Danh sách"}
    assert ingest_file(con, data, "mot-trang.xlsx", sheet="Danh sách").status == "already_loaded"


@pytest.mark.parametrize("sheet", ["Tháng 5", "Bản cũ"])
def test_a_sheet_not_among_the_visible_ones_is_refused_listing_them(con, workbook, sheet):
    with pytest.raises(IngestError) as caught:
        ingest_file(con, workbook, "hai-trang.xlsx", sheet=sheet)
    assert str(caught.value) == (f"Tệp «hai-trang.xlsx»: tệp không có trang tính nào tên «{sheet}». "
                                 "Các trang tính của tệp: «Tháng 3», «Tháng 4». Hãy chọn một trong "
                                 "các trang này.")
    assert uploads(con) == 0


def test_a_sheet_named_for_a_csv_is_refused(con, tmp_path):
    data = write_csv(tmp_path / "thang3.csv", MARCH).read_bytes()
    with pytest.raises(IngestError) as caught:
        ingest_file(con, data, "thang3.csv", sheet="Tháng 3")
    assert "tệp dạng CSV không chia trang tính nên không chọn được trang «Tháng 3»" in str(caught.value)
    assert uploads(con) == 0


def test_legacy_xls_with_two_lists_loads_the_chosen_one(con, tmp_path, to_xls):
    two_lists(tmp_path / "hai-trang.xlsx")
    data = to_xls(tmp_path / "hai-trang.xlsx").read_bytes()
    with pytest.raises(SeveralListsError) as caught:
        ingest_file(con, data, "hai-trang.xls")
    assert caught.value.sheets == ["Tháng 3", "Tháng 4"]          # the hidden «Bản cũ» stays out
    result = ingest_file(con, data, "hai-trang.xls", sheet="Tháng 4")
    assert (result.layout["sheet"], result.added) == ("Tháng 4", 3)
    assert ids(con) == ["HS-3", "HS-4", "HS-5"]


def spreadsheet_xml(*sheets: tuple[str, list[list]]) -> bytes:
    """An Excel 2003 XML workbook, every cell text."""
    def row(cells):
        return "<Row>" + "".join(f'<Cell><Data ss:Type="String">{c}</Data></Cell>' for c in cells) + "</Row>"
    worksheets = "".join(f'<Worksheet ss:Name="{name}"><Table>{"".join(row(r) for r in rows)}</Table></Worksheet>'
                         for name, rows in sheets)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
            'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">' + worksheets + "</Workbook>").encode()


def test_excel_2003_xml_with_two_lists_loads_the_chosen_one(con):
    data = spreadsheet_xml(("Tháng 3", MARCH), ("Tháng 4", APRIL))
    with pytest.raises(SeveralListsError) as caught:
        ingest_file(con, data, "hai-trang.xml")
    assert caught.value.sheets == ["Tháng 3", "Tháng 4"]
    assert ingest_file(con, data, "hai-trang.xml", sheet="Tháng 3").added == 2
    assert ids(con) == ["HS-1", "HS-2"]


def test_cli_refuses_naming_both_sheets_then_loads_with_sheet(tmp_path, capsys):
    db = tmp_path / "cchc.duckdb"
    two_lists(tmp_path / "hai-trang.xlsx")
    assert main(["ingest", "--db", str(db), str(tmp_path / "hai-trang.xlsx")]) == 1
    err = capsys.readouterr().err
    assert "«Tháng 3», «Tháng 4»" in err and "--sheet" in err and "Traceback" not in err
    assert main(["ingest", "--db", str(db), "--sheet", "Tháng 4", str(tmp_path / "hai-trang.xlsx")]) == 0
    assert "(trang tính «Tháng 4»): 3 dòng hồ sơ, 3 hồ sơ mới" in capsys.readouterr().out
    assert main(["ingest", "--db", str(db), "--sheet", "Tháng 3", "--preview",
                 str(tmp_path / "hai-trang.xlsx")]) == 0
    assert "trang tính «Tháng 3»" in capsys.readouterr().out
    con = connect(db)
    assert ids(con) == ["HS-3", "HS-4", "HS-5"]
    con.close()

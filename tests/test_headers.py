"""Header rows as real exports have them, loaded end to end into a real DuckDB file, no hand mapping:
group cells over sub-headers in up to four rows, cells merged down, a column-number row under
the header, the report period in its real title forms, and error messages free of personal data."""
from __future__ import annotations

import datetime as dt

import pytest

from cchc_metrics.errors import IngestError
from cchc_metrics.ingest import ingest_file, preview_export
from cchc_metrics.ingest.header import header_cells, is_column_number_row
from conftest import table_rows, write_xlsx

D = dt.datetime


def dossiers(con) -> dict[str, dict]:
    return {r["dossier_id"]: r for r in table_rows(con, "dossiers")}


def assert_fields(con, expected: dict[str, dict]) -> None:
    rows = dossiers(con)
    assert sorted(rows) == sorted(expected)
    for dossier_id, fields in expected.items():
        assert {k: rows[dossier_id][k] for k in fields} == fields, dossier_id


def assert_never_stored(con, texts: list[str]) -> None:
    cur = con.cursor()
    columns = cur.execute("SELECT table_name, column_name FROM duckdb_columns() "
                          "WHERE data_type = 'VARCHAR' AND NOT internal").fetchall()
    for table, column in columns:
        for text in texts:
            hits = cur.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}" LIKE ?',
                               [f"%{text}%"]).fetchone()[0]
            assert hits == 0, (table, column, text)


# --- The official register "Sổ theo dõi hồ sơ" --------------------------------------------------
# Mẫu số 06, Thông tư 01/2018/TT-VPCP (list of forms: trangtinphapluat.com/blog/bieu-mau/
# quy-trinh-giai-quyet-thu-tuc-hanh-chinh/; the domain guide, "What real files have"): 13 columns,
# TT | Mã hồ sơ | Tên TTHC | Số lượng hồ sơ (bộ) | Tên tổ chức, cá nhân | Địa chỉ, số điện thoại |
# Cơ quan chủ trì giải quyết | "Ngày, tháng, năm" over Nhận hồ sơ, Hẹn trả kết quả, Chuyển hồ sơ
# đến cơ quan giải quyết | "Trả kết quả" over Ngày, tháng, năm and Ký nhận | Ghi chú; the first
# seven and the last merged down over both header rows. The same group cells, merged down cells
# and the column-number row below them are in public print templates of a provincial centre
# (Thanh Hóa Trung tâm PVHCC, React templates "DanhSachHoSo..." found by find_string "Cơ quan chủ
# trì giải quyết" and "Số lượng hồ sơ (bộ)"). The register has no finish date: the return date is it.
REGISTER_GROUPS = ["TT", "Mã hồ sơ", "Tên TTHC", "Số lượng hồ sơ (bộ)", "Tên tổ chức, cá nhân",
                   "Địa chỉ, số điện thoại", "Cơ quan chủ trì giải quyết", "Ngày, tháng, năm", None,
                   None, "Trả kết quả", None, "Ghi chú"]
REGISTER_SUBS = [None] * 7 + ["Nhận hồ sơ", "Hẹn trả kết quả", "Chuyển hồ sơ đến cơ quan giải quyết",
                              "Ngày, tháng, năm", "Ký nhận", None]
REGISTER_MERGES = ("A{h}:A{s}", "B{h}:B{s}", "C{h}:C{s}", "D{h}:D{s}", "E{h}:E{s}", "F{h}:F{s}",
                   "G{h}:G{s}", "H{h}:J{h}", "K{h}:L{h}", "M{h}:M{s}")
COLUMN_NUMBER_ROWS = {
    "no-number-row": None,
    "parenthesised": [f"({n})" for n in range(1, 14)],
    "plain-integers": list(range(1, 14)),
    "cot-n": [f"Cột {n}" for n in range(1, 14)],
    "with-formula": [f"({n})" for n in range(1, 13)] + ["(13)=(4)+(5)"],
}


def register_rows(number_row) -> list[list]:
    rows = [["UBND XÃ QUẢNG HƯNG", None, None, None, None, None, None, None, None,
             "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
            ["BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ", None, None, None, None, None, None, None, None,
             "Độc lập - Tự do - Hạnh phúc"],
            ["SỔ THEO DÕI HỒ SƠ"],
            ["Từ ngày: 01-03-2024 Đến ngày:31-03-2024"],
            REGISTER_GROUPS, REGISTER_SUBS]
    if number_row:
        rows.append(number_row)
    rows += [
        [1, "H56.22-240301-0001", "Đăng ký khai sinh", 1, "Nguyễn Văn An", "Thôn 1, 0905123456",
         "UBND xã Quảng Hưng", "01/03/2024", "05/03/2024", "02/03/2024", "04/03/2024", "đã ký", None],
        [2, "H56.22-240304-0002", "Chứng thực bản sao", 2, "Trần Thị Bình", "Thôn 2, 0912000111",
         "UBND xã Quảng Hưng", D(2024, 3, 4, 8, 15), D(2024, 3, 4), D(2024, 3, 4), D(2024, 3, 5, 10, 0),
         "đã ký", "Trả muộn"],
        [3, "H56.22-240320-0003", "Cấp giấy phép xây dựng", 1, "Công ty TNHH Minh Phát",
         "12 Lê Lợi, 0236123456", "Phòng Kinh tế - Hạ tầng", "20/03/2024", "10/04/2024", "21/03/2024",
         None, None, None],
        ["Tổng cộng", None, None, 4],
        [],
        [None, "NGƯỜI LẬP SỔ", None, None, None, None, None, None, None, "THỦ TRƯỞNG ĐƠN VỊ"],
        [None, "(Ký, ghi rõ họ tên)", None, None, None, None, None, None, None, "(Ký tên, đóng dấu)"],
    ]
    return rows


# Worked out from register_rows(): received from "Nhận hồ sơ", due from "Hẹn trả kết quả" (a date
# without a time ends at 23:59:59), returned from "Trả kết quả - Ngày, tháng, năm" and, with no
# finish column, finished = returned; "Ký nhận" and "Chuyển hồ sơ..." are not fields.
EXPECTED_REGISTER = {
    "H56.22-240301-0001": dict(procedure_name="Đăng ký khai sinh", unit="UBND xã Quảng Hưng",
                               received_at=D(2024, 3, 1), due_at=D(2024, 3, 5, 23, 59, 59),
                               returned_at=D(2024, 3, 4), finished_at=D(2024, 3, 4)),
    "H56.22-240304-0002": dict(procedure_name="Chứng thực bản sao", unit="UBND xã Quảng Hưng",
                               received_at=D(2024, 3, 4, 8, 15), due_at=D(2024, 3, 4, 23, 59, 59),
                               returned_at=D(2024, 3, 5, 10, 0), finished_at=D(2024, 3, 5, 10, 0)),
    "H56.22-240320-0003": dict(procedure_name="Cấp giấy phép xây dựng", unit="Phòng Kinh tế - Hạ tầng",
                               received_at=D(2024, 3, 20), due_at=D(2024, 4, 10, 23, 59, 59),
                               returned_at=None, finished_at=None),
}


@pytest.mark.parametrize("number_row", list(COLUMN_NUMBER_ROWS.values()), ids=list(COLUMN_NUMBER_ROWS))
def test_register_mau_06_loads_without_hand_mapping(con, tmp_path, number_row):
    merges = tuple(m.format(h=5, s=6) for m in REGISTER_MERGES) + ("A1:C1", "J1:M1", "A3:M3", "A4:M4")
    path = write_xlsx(tmp_path / "so_theo_doi.xlsx", register_rows(number_row), merges)
    result = ingest_file(con, path.read_bytes(), path.name)
    assert result.layout["header_rows"] == [5, 6]
    assert result.layout["first_data_row"] == (8 if number_row else 7)
    assert result.mapping == {
        "dossier_id": "Mã hồ sơ", "procedure_name": "Tên TTHC", "unit": "Cơ quan chủ trì giải quyết",
        "received_at": "Ngày, tháng, năm - Nhận hồ sơ", "due_at": "Ngày, tháng, năm - Hẹn trả kết quả",
        "returned_at": "Trả kết quả - Ngày, tháng, năm"}
    assert (result.period_start, result.period_end) == (dt.date(2024, 3, 1), dt.date(2024, 3, 31))
    # 3 dossiers: the column numbers, the totals row and the signatures are not dossiers.
    assert (result.rows_read, result.added, result.rejected) == (3, 3, 0)
    assert_fields(con, EXPECTED_REGISTER)
    assert_never_stored(con, ["Nguyễn Văn An", "0905123456", "Minh Phát", "Lê Lợi"])


def test_register_display_headers_read_naturally(tmp_path):
    merges = tuple(m.format(h=5, s=6) for m in REGISTER_MERGES)
    path = write_xlsx(tmp_path / "so.xlsx", register_rows(COLUMN_NUMBER_ROWS["parenthesised"]), merges)
    preview = preview_export(path.read_bytes(), path.name)
    assert preview.headers == [
        "TT", "Mã hồ sơ", "Tên TTHC", "Số lượng hồ sơ (bộ)", "Tên tổ chức, cá nhân",
        "Địa chỉ, số điện thoại", "Cơ quan chủ trì giải quyết", "Ngày, tháng, năm - Nhận hồ sơ",
        "Ngày, tháng, năm - Hẹn trả kết quả", "Ngày, tháng, năm - Chuyển hồ sơ đến cơ quan giải quyết",
        "Trả kết quả - Ngày, tháng, năm", "Trả kết quả - Ký nhận", "Ghi chú"]
    assert preview.personal_headers == ["Tên tổ chức, cá nhân", "Địa chỉ, số điện thoại"]
    assert preview.sample["Mã hồ sơ"].tolist()[0] == "H56.22-240301-0001"


def test_register_as_legacy_xls(con, tmp_path, to_xls):
    """The same register saved as a real .xls (LibreOffice): merged cells arrive the same way."""
    merges = tuple(m.format(h=5, s=6) for m in REGISTER_MERGES)
    xls = to_xls(write_xlsx(tmp_path / "so_xls.xlsx", register_rows(COLUMN_NUMBER_ROWS["parenthesised"]), merges))
    result = ingest_file(con, xls.read_bytes(), "so_xls.xls")
    assert result.layout["format"] == "xls" and result.layout["header_rows"] == [5, 6]
    assert result.layout["first_data_row"] == 8 and result.added == 3
    assert_fields(con, EXPECTED_REGISTER)


@pytest.mark.parametrize("row,expected", [
    (["(1)", "(2)", "(3)", "(4)"], True),
    (["1", "2", "3", "4", "5"], True),
    (["A", "B", "1", "2", "3"], True),
    (["Cột 1", "Cột 2", "Cột 3"], True),
    (["(1)", "(2)", "(3)", "(4)=(2)+(3)"], True),
    (["1", "2"], False),                              # too few to tell from a data row
    (["1", "Hộ tịch", "120", "15"], False),           # a row of counts
    (["1", "5", "8", "12"], False),                   # rising counts, not column numbers
    (["3", "2", "1"], False),
], ids=["parenthesised", "plain", "lettered-first", "cot-n", "formula", "two", "counts", "rising-counts",
        "falling"])
def test_column_number_row_detection(row, expected):
    assert is_column_number_row(row) is expected


@pytest.mark.parametrize("rows,expected", [
    # merged cells as Excel keeps them: text in the first cell only
    ([["Mã hồ sơ", "Thời gian", None], [None, "Tiếp nhận", "Hẹn trả"]],
     ["Mã hồ sơ", "Thời gian - Tiếp nhận", "Thời gian - Hẹn trả"]),
    # the same header from a reader that repeats a merged cell's text in every cell it covers
    ([["Mã hồ sơ", "Thời gian", "Thời gian"], ["Mã hồ sơ", "Tiếp nhận", "Hẹn trả"]],
     ["Mã hồ sơ", "Thời gian - Tiếp nhận", "Thời gian - Hẹn trả"]),
], ids=["first-cell-only", "text-repeated"])
def test_display_headers_of_merged_cells(rows, expected):
    assert [display for display, _ in header_cells(rows, 0, 2)] == expected


# --- Four header rows ---------------------------------------------------------------------------
# No public dossier list with four header rows was found; this layout puts together what the
# real ones do (the three-row count header of the statistics table, the register's "Trả kết quả"
# over "Ngày, tháng, năm | Ký nhận") to pin the span rules: "Thời gian" is merged over two rows
# and four columns, so the blank cells right of "Thủ tục" in its row belong to another group and
# "Thủ tục" must not spread over them.
def four_row_rows() -> list[list]:
    return [
        ["DANH SÁCH HỒ SƠ"],
        ["Từ ngày 01/03/2024 đến ngày 31/03/2024"],
        ["STT", "Hồ sơ", None, "Thời gian", None, None, None, "Đơn vị"],
        [None, "Mã hồ sơ", "Thủ tục", None, None, None, None, None],
        [None, None, "Tên thủ tục", "Tiếp nhận", "Trả kết quả", None, "Hạn xử lý", None],
        [None, None, None, None, "Ngày, tháng, năm", "Ký nhận", None, None],
        [1, "HS-001", "Thủ tục A", "01/03/2024 08:00", "06/03/2024 16:00", "Lê Văn Tâm", "07/03/2024", "Phòng 1"],
        [2, "HS-002", "Thủ tục B", "02/03/2024 09:30", None, None, "12/03/2024 17:00", "Phòng 2"],
    ]


FOUR_ROW_MERGES = ("A3:A6", "B3:C3", "B4:B6", "D3:G4", "C5:C6", "D5:D6", "E5:F5", "G5:G6", "H3:H6")


def test_four_header_rows_groups_bounded_by_their_parent(con, tmp_path):
    path = write_xlsx(tmp_path / "four.xlsx", four_row_rows(), FOUR_ROW_MERGES)
    result = ingest_file(con, path.read_bytes(), path.name)
    assert result.layout["header_rows"] == [3, 4, 5, 6]
    assert result.layout["first_data_row"] == 7
    assert result.mapping == {
        "dossier_id": "Hồ sơ - Mã hồ sơ", "procedure_name": "Hồ sơ - Thủ tục - Tên thủ tục",
        "received_at": "Thời gian - Tiếp nhận", "returned_at": "Thời gian - Trả kết quả - Ngày, tháng, năm",
        "due_at": "Thời gian - Hạn xử lý", "unit": "Đơn vị"}
    assert_fields(con, {
        "HS-001": dict(procedure_name="Thủ tục A", unit="Phòng 1", received_at=D(2024, 3, 1, 8, 0),
                       due_at=D(2024, 3, 7, 23, 59, 59), returned_at=D(2024, 3, 6, 16, 0),
                       finished_at=D(2024, 3, 6, 16, 0)),
        "HS-002": dict(procedure_name="Thủ tục B", unit="Phòng 2", received_at=D(2024, 3, 2, 9, 30),
                       due_at=D(2024, 3, 12, 17, 0), returned_at=None, finished_at=None),
    })
    # "Ký nhận" holds a signature (here a name): not a field, and gone from the database.
    assert_never_stored(con, ["Lê Văn Tâm"])


def test_four_header_rows_display_headers(tmp_path):
    path = write_xlsx(tmp_path / "four.xlsx", four_row_rows(), FOUR_ROW_MERGES)
    assert preview_export(path.read_bytes(), path.name).headers == [
        "STT", "Hồ sơ - Mã hồ sơ", "Hồ sơ - Thủ tục - Tên thủ tục", "Thời gian - Tiếp nhận",
        "Thời gian - Trả kết quả - Ngày, tháng, năm", "Thời gian - Trả kết quả - Ký nhận",
        "Thời gian - Hạn xử lý", "Đơn vị"]


# The domain guide's layout: "Thời gian" over "Tiếp nhận | Hẹn trả | Có kết quả", other cells merged
# down; with a "1 2 3 ..." row under it and the group itself worded "Ngày, tháng, năm".
@pytest.mark.parametrize("group,number_row", [
    ("Thời gian", None), ("Thời gian", [1, 2, 3, 4, 5, 6]), ("Ngày, tháng, năm", ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"]),
], ids=["thoi-gian", "thoi-gian-numbers", "ngay-thang-nam-numbers"])
def test_two_row_group_with_cells_merged_down(con, tmp_path, group, number_row):
    rows = [["Mã hồ sơ", "Thủ tục", "Đơn vị xử lý", group, None, None],
            [None, None, None, "Tiếp nhận", "Hẹn trả", "Có kết quả"]]
    rows += [number_row] if number_row else []
    rows += [["A-1", "TT 1", "Phòng 1", "01/03/2024", "05/03/2024", "04/03/2024 10:00"]]
    path = write_xlsx(tmp_path / "two.xlsx", rows, ("A1:A2", "B1:B2", "C1:C2", "D1:F1"))
    result = ingest_file(con, path.read_bytes(), path.name)
    assert result.layout["header_rows"] == [1, 2]
    assert result.layout["first_data_row"] == (4 if number_row else 3)
    assert result.mapping["received_at"] == f"{group} - Tiếp nhận"
    assert result.mapping["finished_at"] == f"{group} - Có kết quả"
    assert_fields(con, {"A-1": dict(unit="Phòng 1", received_at=D(2024, 3, 1), due_at=D(2024, 3, 5, 23, 59, 59),
                                    finished_at=D(2024, 3, 4, 10, 0))})


# Lists grouped by unit put a heading row ("Phòng Tư pháp", merged across) between the header and
# the dossiers of the unit (as in grouped one-stop report lists): it is not a second header row.
def test_heading_row_under_a_one_row_header_is_not_a_sub_header(con, tmp_path):
    rows = [["STT", "Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận", "Trả kết quả"],
            ["Phòng Tư pháp", None, None, None, None, None],
            [1, "TP-1", "Thủ tục A", "Phòng Tư pháp", "01/03/2024", "04/03/2024"]]
    path = write_xlsx(tmp_path / "grouped.xlsx", rows, ("A2:F2",))
    result = ingest_file(con, path.read_bytes(), path.name)
    assert result.layout["header_rows"] == [1] and result.layout["first_data_row"] == 2
    assert result.mapping["returned_at"] == "Trả kết quả" and result.added == 1


# --- The report period in title rows -------------------------------------------------------------
# Title strings as public report code writes them (find_string "Từ ngày: " +, "Kỳ báo cáo: từ"):
# Java POI "TỪ NGÀY: " + from + " ĐẾN NGÀY: " + to (stock report); iText "Từ ngày: " + a + " - Đến
# ngày: " + b; C# "Từ ngày: " + a + " đến ngày: " + b; Aspose cells A3 "Từ ngày: " + a and C3 "Đến
# ngày: " + b (two cells of a row); "Từ ngày: " + tuNgay + " - " + denNgay; ClosedXML
# $"Kỳ báo cáo: Từ {f:dd/MM/yyyy} đến {t:dd/MM/yyyy}"; C# "Kỳ báo cáo: Từ ngày " + a + " đến ngày "
# + b; and the cut-off period of Thông tư 01/2020/TT-VPCP (15/12 to 14/03 for a first quarter).
MARCH = (dt.date(2024, 3, 1), dt.date(2024, 3, 31))
QUARTER = (dt.date(2023, 12, 15), dt.date(2024, 3, 14))
PERIOD_TITLES = {
    "colons-dashes": ([["Từ ngày: 01-03-2024 Đến ngày:31-03-2024"]], MARCH),
    "upper-case": ([["TỪ NGÀY: 01/03/2024 ĐẾN NGÀY: 31/03/2024"]], MARCH),
    "no-colons-slashes": ([["Từ ngày 01/03/2024 đến ngày 31/03/2024"]], MARCH),
    "dots": ([["Từ ngày 01.03.2024 đến ngày 31.03.2024"]], MARCH),
    "dash-between": ([["Từ ngày: 01/03/2024 - Đến ngày: 31/03/2024"]], MARCH),
    "dash-only": ([["Từ ngày: 01/03/2024 - 31/03/2024"]], MARCH),
    "ky-bao-cao": ([["Kỳ báo cáo: từ 15/12/2023 đến 14/03/2024"]], QUARTER),
    "ky-bao-cao-parenthesised": ([["(Kỳ báo cáo: Từ ngày 15/12/2023 đến ngày 14/03/2024)"]], QUARTER),
    "lines-of-one-cell": ([["BÁO CÁO HỒ SƠ\nTừ ngày: 01/03/2024\nĐến ngày: 31/03/2024"]], MARCH),
    "two-cells": ([["Từ ngày: 01/03/2024", None, "Đến ngày: 31/03/2024"]], MARCH),
    "excel-date-cells": ([["Từ ngày", D(2024, 3, 1), "đến ngày", D(2024, 3, 31)]], MARCH),
    "two-rows": ([["Từ ngày: 01/03/2024"], ["Đến ngày: 31/03/2024"]], MARCH),
    "words": ([["Từ ngày 01 tháng 3 năm 2024 đến ngày 31 tháng 3 năm 2024"]], MARCH),
    # No period in the title (a date of signing is not one): the received dates give it.
    "no-period": ([["DANH SÁCH HỒ SƠ"], ["Khánh Hòa, ngày 05/04/2024"]], (dt.date(2024, 3, 2), dt.date(2024, 3, 2))),
}


@pytest.mark.parametrize("title,period", list(PERIOD_TITLES.values()), ids=list(PERIOD_TITLES))
def test_period_in_title_rows(con, tmp_path, title, period):
    rows = [["SỞ TƯ PHÁP"]] + title + [[], ["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận",
                                             "Ngày hẹn trả"],
                                       ["X-1", "Thủ tục 1", "Phòng 1", "02/03/2024", "09/03/2024"]]
    path = write_xlsx(tmp_path / "period.xlsx", rows)
    result = ingest_file(con, path.read_bytes(), path.name)
    assert (result.period_start, result.period_end) == period
    assert result.added == 1


# --- Messages never quote personal data ------------------------------------------------------------
def test_no_header_message_quotes_headers_not_personal_data(con, tmp_path):
    rows = [["DANH SÁCH CÔNG DÂN"],
            ["Họ và tên", "Nơi ở", "Liên hệ", "Giấy tờ"],
            ["Nguyễn Văn An", "12 Lê Lợi, phường Tân An, TP Buôn Ma Thuột", "0905123456", "079123456789"],
            ["Tên: Trần Thị Bình", "Thôn Phú Hòa, xã Hòa An", "0912 000 111", "CCCD 038099001234"],
            ["Lê Phi", "Tổ 5, khu phố 2", "+84 987 654 321", "Số CMND 201234567"]]
    path = write_xlsx(tmp_path / "cong_dan.xlsx", rows)
    with pytest.raises(IngestError) as caught:
        ingest_file(con, path.read_bytes(), path.name)
    message = str(caught.value)
    assert "không tìm thấy dòng tiêu đề" in message and "ngày tiếp nhận (bắt buộc)" in message
    assert "«Họ và tên», «Nơi ở», «Liên hệ», «Giấy tờ»" in message
    for personal in ("Nguyễn Văn An", "Lê Lợi", "0905123456", "079123456789", "Trần Thị Bình", "Hòa An",
                     "0912 000 111", "038099001234", "Lê Phi", "Tổ 5", "987 654 321", "201234567"):
        assert personal not in message
    assert con.execute("SELECT count(*) FROM uploads").fetchone()[0] == 0


def test_no_header_message_quotes_at_most_twenty_cells(con, tmp_path):
    rows = [[f"Ghi chú {chr(65 + i)}" if i % 2 else f"Ngày khác {chr(65 + i)}" for i in range(26)]]
    rows += [["x"] * 26]
    path = write_xlsx(tmp_path / "wide.xlsx", rows)
    with pytest.raises(IngestError) as caught:
        ingest_file(con, path.read_bytes(), path.name)
    assert str(caught.value).count("«") == 20 + 1     # twenty cells and the file name

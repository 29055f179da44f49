"""Every accepted layout and value form, loaded end to end into a real DuckDB file."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from cchc_metrics.ingest import ingest_file, preview_export
from cchc_metrics.ingest import excel_pieces, limits
from cchc_metrics.ingest.columns import field_for_header, header_key, is_personal
from cchc_metrics.ingest.reader import read_export
from cchc_metrics.ingest.values import amount_sql, channel_sql, flag_sql, fold_sql
from conftest import table_rows, write_csv, write_xlsx

D = dt.datetime
HEADER_A = ["STT", "Mã hồ sơ", "Mã TTHC", "Tên thủ tục hành chính", "Lĩnh vực", "Đơn vị xử lý",
            "Cán bộ xử lý", "Họ tên người nộp", "Số điện thoại", "Ngày tiếp nhận", "Ngày hẹn trả",
            "Ngày có kết quả", "Ngày trả kết quả", "Hình thức nộp", "Số hóa hồ sơ", "Kết quả điện tử",
            "Phí, lệ phí (đồng)", "Thanh toán trực tuyến"]


def vnpt_rows() -> list[list]:
    """Title rows, header on row 5, text and real dates, a totals row and signature rows."""
    return [
        ["SỞ TƯ PHÁP TỈNH KHÁNH HÒA"],
        ["BÁO CÁO TÌNH HÌNH GIẢI QUYẾT HỒ SƠ"],
        ["Từ ngày 01/03/2023 đến ngày 31/03/2023"],
        [],
        HEADER_A,
        [1, "000123", "2.000488", "Cấp Phiếu lý lịch tư pháp", "Lý lịch tư pháp", "Văn phòng Sở",
         "Lê Văn Tâm", "Nguyễn Văn An", "0905123456", "01/03/2023 08:30", "10/03/2023",
         "09/03/2023 15:00:20", "10/03/2023 09:00", "Trực tuyến toàn trình", "Có", "Đã", "200.000", "Có"],
        [2, "000124", "2.000635", "Chứng thực bản sao", "Chứng thực", "Phòng Hành chính tư pháp",
         "Võ Minh Tuấn", "Trần Thị Bình", "0912000111", "02/03/2023", "2023-03-09", "2023-03-10 16:00:00",
         None, "Trực tiếp tại Bộ phận Một cửa", "Không", "Chưa", "0", "Không"],
        [3, "000125", None, "Đăng ký khai sinh", "Hộ tịch", "Văn phòng Sở", None, "Lê C", "0987",
         D(2023, 3, 3, 9, 0), dt.date(2023, 3, 20), None, None, "Qua dịch vụ bưu chính công ích",
         "x", None, "15,000", None],
        [None, "Tổng cộng: 3 hồ sơ"],
        [],
        [None, "Người lập biểu", None, None, None, None, None, None, None, None, None, None, None,
         "Thủ trưởng đơn vị"],
        [None, "(Ký, ghi rõ họ tên)", None, None, None, None, None, None, None, None, None, None,
         None, "(Ký tên, đóng dấu)"],
    ]


# What layout A must become; worked out from vnpt_rows(): due dates without a time end at
# 23:59:59, "200.000" and "15,000" are thousands-grouped amounts, a blank flag cell is "no".
EXPECTED_A = {
    "000123": dict(procedure_code="2.000488", unit="Văn phòng Sở", officer="Lê Văn Tâm",
                   received_at=D(2023, 3, 1, 8, 30), due_at=D(2023, 3, 10, 23, 59, 59),
                   finished_at=D(2023, 3, 9, 15, 0, 20), returned_at=D(2023, 3, 10, 9, 0),
                   channel="online_full", digitized=True, e_result=True, has_fee=True,
                   fee_amount=200000.0, paid_online=True),
    "000124": dict(procedure_code="2.000635", unit="Phòng Hành chính tư pháp", officer="Võ Minh Tuấn",
                   received_at=D(2023, 3, 2), due_at=D(2023, 3, 9, 23, 59, 59),
                   finished_at=D(2023, 3, 10, 16, 0), returned_at=None, channel="direct",
                   digitized=False, e_result=False, has_fee=False, fee_amount=0.0, paid_online=False),
    "000125": dict(procedure_code=None, unit="Văn phòng Sở", officer=None,
                   received_at=D(2023, 3, 3, 9, 0), due_at=D(2023, 3, 20, 23, 59, 59),
                   finished_at=None, returned_at=None, channel="bcci", digitized=True,
                   e_result=False, has_fee=True, fee_amount=15000.0, paid_online=False),
}


def assert_dossiers(con, expected: dict) -> None:
    rows = {r["dossier_id"]: r for r in table_rows(con, "dossiers")}
    assert sorted(rows) == sorted(expected)
    for dossier_id, fields in expected.items():
        assert {k: rows[dossier_id][k] for k in fields} == fields, dossier_id


def test_header_keys_ignore_case_diacritics_spacing_and_abbreviations():
    assert {header_key(h) for h in ("Ngày tiếp nhận", "NgayTiepNhan", "ngay tiep nhan", "NGÀY TIẾP NHẬN")} \
        == {"ngaytiepnhan"}
    assert field_for_header("Ngày có KQ") == "finished_at"
    assert field_for_header("Mã HS") == "dossier_id"
    assert field_for_header("Tên TTHC") == "procedure_name"
    assert field_for_header("ĐV xử lý") == "unit"
    assert field_for_header("CB xử lý") == "officer"
    assert field_for_header("TT trực tuyến") == "paid_online"
    assert field_for_header("Lệ phí (VNĐ)") == "fee_amount"
    assert field_for_header("Tên thủ tục (hành chính)") == "procedure_name"
    assert field_for_header("Số biên nhận") == "dossier_id"
    assert field_for_header("Kênh tiếp nhận") == "channel"
    assert is_personal("Số CMND/CCCD") and is_personal("Họ tên người nộp") and is_personal("E-mail")
    assert not is_personal("Ngày tiếp nhận")


def test_title_rows_text_dates_totals_and_signatures(con, tmp_path):
    path = write_xlsx(tmp_path / "vnpt.xlsx", vnpt_rows())
    result = ingest_file(con, path.read_bytes(), path.name)
    assert result.layout["header_rows"] == [5]
    assert (result.period_start, result.period_end) == (dt.date(2023, 3, 1), dt.date(2023, 3, 31))
    # 3 dossiers; the totals, blank and two signature rows are not dossiers and not rejected.
    assert (result.rows_read, result.added, result.updated, result.unchanged, result.rejected) == (3, 3, 0, 0, 0)
    assert_dossiers(con, EXPECTED_A)
    data_as_of = con.execute("SELECT data_as_of FROM uploads").fetchone()[0]
    assert data_as_of == D(2023, 3, 31, 23, 59, 59)


def test_personal_data_never_reaches_the_database(con, tmp_path):
    path = write_xlsx(tmp_path / "vnpt.xlsx", vnpt_rows())
    preview = preview_export(path.read_bytes(), path.name)
    assert preview.personal_headers == ["Họ tên người nộp", "Số điện thoại"]
    assert "Họ tên người nộp" not in preview.sample.columns
    ingest_file(con, path.read_bytes(), path.name)
    cur = con.cursor()
    text_columns = cur.execute("SELECT table_name, column_name FROM duckdb_columns() "
                               "WHERE data_type = 'VARCHAR' AND NOT internal").fetchall()
    for table, column in text_columns:
        hits = cur.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}" LIKE \'%Nguyễn Văn An%\' '
                           f'OR "{column}" LIKE \'%0905123456%\'').fetchone()[0]
        assert hits == 0, (table, column)


def test_preview_shows_excel_dates_as_dd_mm_yyyy(tmp_path):
    rows = [["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận", "Ngày hẹn trả"],
            ["H-1", "Thủ tục 1", "Phòng 1", dt.datetime(2023, 12, 1, 8, 0), dt.datetime(2023, 12, 5)],
            ["H-2", "Thủ tục 1", "Phòng 1", "02/12/2023 09:15", "06/12/2023"]]
    path = write_xlsx(tmp_path / "dates.xlsx", rows)
    sample = preview_export(path.read_bytes(), path.name).sample
    assert sample["Ngày tiếp nhận"].tolist() == ["01/12/2023 08:00", "02/12/2023 09:15"]
    assert sample["Ngày hẹn trả"].tolist() == ["05/12/2023", "06/12/2023"]
    assert sample.index.tolist() == [2, 3] and sample["Mã hồ sơ"].tolist() == ["H-1", "H-2"]


def test_xls_gives_the_same_dossiers_as_xlsx(con, tmp_path, to_xls):
    xls = to_xls(write_xlsx(tmp_path / "vnpt_legacy.xlsx", vnpt_rows()))
    assert xls.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    result = ingest_file(con, xls.read_bytes(), "vnpt_legacy.xls")
    assert result.layout["format"] == "xls" and result.layout["header_rows"] == [5]
    assert result.added == 3
    assert_dossiers(con, EXPECTED_A)


def viettel_rows() -> list[list]:
    """Two-row header with merged groups, headers without diacritics, real Excel dates, codes."""
    return [
        ["DANH SÁCH HỒ SƠ"],
        ["STT", "Thông tin hồ sơ", None, None, "Thụ lý", None, "Thời gian", None, None,
         "KenhThucHien", "Chỉ số DVC", None, None, None, "Người nộp", None],
        [None, "MaHoSo", "Ma TTHC", "Thu tuc", "Co quan thu ly", "CB xu ly", "Tiếp nhận", "Hẹn trả",
         "Có kết quả", None, "Số hóa", "KQ điện tử", "Thu phí", "TT trực tuyến", "Họ tên", "CCCD"],
        [1, "H-0001", "1.001", "Thủ tục A", "Phòng A", "CB 1", D(2023, 7, 3, 8, 0),
         D(2023, 7, 10, 17, 0), D(2023, 7, 7, 10, 0), 2, "x", 1, True, "Yes", "Lê D", "079123"],
        [2, "H-0002", "1.002", "Thủ tục B", "Phòng B", "CB 2", D(2023, 7, 4, 9, 15),
         D(2023, 7, 11), None, 1, None, 0, False, "No", "Lê E", "079124"],
        [3, "H-0003", "1.001", "Thủ tục A", "Phòng A", "CB 1", D(2023, 7, 5, 14, 0),
         D(2023, 7, 12), D(2023, 7, 12, 16, 30), 3, "Đã số hóa", "Chưa", "Có", None, "Lê F", "079125"],
    ]


def test_two_row_merged_header_excel_dates_and_codes(con, tmp_path):
    path = write_xlsx(tmp_path / "viettel.xlsx", viettel_rows(),
                      merges=("A2:A3", "B2:D2", "E2:F2", "G2:I2", "J2:J3", "K2:N2", "O2:P2"))
    result = ingest_file(con, path.read_bytes(), path.name)
    assert result.layout["header_rows"] == [2, 3]
    assert result.mapping["received_at"] == "Thời gian - Tiếp nhận"
    assert result.mapping["unit"] == "Thụ lý - Co quan thu ly"
    assert result.mapping["has_fee"] == "Chỉ số DVC - Thu phí"
    # No period in a title: it runs from the first received date to the latest date in the file.
    assert (result.period_start, result.period_end) == (dt.date(2023, 7, 3), dt.date(2023, 7, 12))
    assert_dossiers(con, {
        "H-0001": dict(unit="Phòng A", officer="CB 1", received_at=D(2023, 7, 3, 8, 0),
                       due_at=D(2023, 7, 10, 17, 0), finished_at=D(2023, 7, 7, 10, 0),
                       channel="online_full", digitized=True, e_result=True, has_fee=True,
                       fee_amount=None, paid_online=True),
        "H-0002": dict(unit="Phòng B", received_at=D(2023, 7, 4, 9, 15), due_at=D(2023, 7, 11, 23, 59, 59),
                       finished_at=None, channel="direct", digitized=False, e_result=False,
                       has_fee=False, paid_online=False),
        "H-0003": dict(received_at=D(2023, 7, 5, 14, 0), due_at=D(2023, 7, 12, 23, 59, 59),
                       finished_at=D(2023, 7, 12, 16, 30), channel="bcci", digitized=True,
                       e_result=False, has_fee=True, paid_online=False),
    })
    names = {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE NOT internal").fetchall()}
    assert not names & {"Người nộp - Họ tên", "Người nộp - CCCD"}


CSV_ROWS = [
    ["MaHoSo", "TenTTHC", "DonViXuLy", "NgayTiepNhan", "NgayHenTra", "NgayTra", "HinhThucNop", "SoHoa"],
    ["0001", "Thủ tục A", "Phòng A", "2023-03-05", "2023-03-10", "2023-03-09T10:00:00", "online", "True"],
    ["0002", "Thủ tục B", "Phòng B", "06/03/2023 14:05", "13/03/2023", "", "BCCI", "False"],
    ["0003", "Thủ tục A", "Phòng A", "07/03/2023", "14/03/2023 10:00", "15/03/2023", "Trực tuyến một phần", "1"],
]
# Without a finish column, finished_at comes from the return date (NgayTra).
EXPECTED_CSV = {
    "0001": dict(procedure_name="Thủ tục A", received_at=D(2023, 3, 5), due_at=D(2023, 3, 10, 23, 59, 59),
                 finished_at=D(2023, 3, 9, 10, 0), returned_at=D(2023, 3, 9, 10, 0),
                 channel="online_full", digitized=True),
    "0002": dict(received_at=D(2023, 3, 6, 14, 5), finished_at=None, channel="bcci", digitized=False),
    "0003": dict(due_at=D(2023, 3, 14, 10, 0), finished_at=D(2023, 3, 15), channel="online_partial",
                 digitized=True),
}


@pytest.mark.parametrize("delimiter,bom", [(";", True), (",", False)])
def test_csv_with_or_without_bom_comma_or_semicolon(con, tmp_path, delimiter, bom):
    path = write_csv(tmp_path / "export.csv", CSV_ROWS, delimiter=delimiter, bom=bom)
    result = ingest_file(con, path.read_bytes(), path.name)
    assert result.layout["format"] == "csv" and result.layout["delimiter"] == delimiter
    assert result.added == 3
    assert_dossiers(con, EXPECTED_CSV)


def test_row_numbers_are_the_ones_excel_shows(tmp_path):
    rows = [[None], [None], ["Mã hồ sơ", "Ngày tiếp nhận"], ["A1", "01/01/2023"]]
    rows[1] = [None, "  "]  # a whitespace-only cell in row 2 is not the start of the data
    export = read_export(write_xlsx(tmp_path / "late_start.xlsx", rows).read_bytes(), "late_start.xlsx")
    assert export.header_rows == [3]
    assert export.table.column("__source_row").to_pylist() == [4]


def test_explicit_mapping_and_default_unit(con, tmp_path):
    rows = [["Số BN", "Việc", "Ngày vào"], ["X-1", "Thủ tục A", "01/04/2023"]]
    data = write_xlsx(tmp_path / "odd.xlsx", rows).read_bytes()
    mapping = {"dossier_id": "Số BN", "procedure_name": "Việc", "received_at": "Ngày vào"}
    result = ingest_file(con, data, "odd.xlsx", mapping=mapping, default_unit="Văn phòng Sở")
    assert result.mapping == mapping
    assert_dossiers(con, {"X-1": dict(unit="Văn phòng Sở", procedure_name="Thủ tục A",
                                      received_at=D(2023, 4, 1))})


def test_explicit_mapping_overrides_detection(tmp_path):
    rows = [["Mã hồ sơ", "Số biên nhận", "Ngày tiếp nhận", "Thủ tục", "Đơn vị"],
            ["M1", "B1", "01/04/2023", "A", "P"]]
    data = write_xlsx(tmp_path / "two_ids.xlsx", rows).read_bytes()
    assert read_export(data, "two_ids.xlsx").mapping["dossier_id"] == "Mã hồ sơ"
    assert read_export(data, "two_ids.xlsx", mapping={"dossier_id": "Số biên nhận"}).mapping["dossier_id"] \
        == "Số biên nhận"


def test_big_sheets_read_in_pieces_give_the_same_rows(tmp_path, monkeypatch):
    # Rows 1-2 title, 3 header, then 120 dossiers with an empty column A, row 60 left out, so
    # that pieces start at different rows and columns than the sheet.
    rows = [["Báo cáo"], [], [None, "Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận"]]
    rows += [[None, f"H{i:03d}", "Thủ tục", "Phòng", f"{i % 28 + 1:02d}/03/2023"] for i in range(120)]
    rows[59] = []
    data = write_xlsx(tmp_path / "big.xlsx", rows).read_bytes()
    whole = read_export(data, "big.xlsx")
    pieces_read = []
    real_pieces = excel_pieces.sheet_pieces
    monkeypatch.setattr(excel_pieces, "sheet_pieces", lambda *a: (pieces_read.append(p) or p for p in real_pieces(*a)))
    monkeypatch.setattr(limits, "PIECED_SHEET_BYTES", 3000)
    monkeypatch.setattr(limits, "PIECE_XML_BYTES", 1500)
    pieced = read_export(data, "big.xlsx")
    # The first pieces hold at least the 25 rows the header search needs; the rest come later.
    cut_first = len(pieces_read)
    assert pieced.table.num_rows >= 25 - 3
    assert pieced.header_rows == whole.header_rows == [3]
    columns = ["__source_row", "Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận"]

    def non_blank(tables):
        return [r for t in tables for r in t.select(columns).to_pylist() if r["Mã hồ sơ"]]
    got = non_blank([pieced.table, *pieced.more])
    assert len(pieces_read) > cut_first
    assert got == non_blank([whole.table])
    assert [r["__source_row"] for r in got][55:58] == [59, 61, 62]
    assert len(got) == 119


@pytest.mark.parametrize("rows,refs", [
    (b'<c r="A1" s="1" t="s"><v>7</v></c><c r="B1" t="s"><v>12</v></c></row>', [7, 12]),
    (b'<c r="A1" t="s" s="1"><v>7</v></c><c r="B1" t="s"><v>0</v></c></row>', [7, 0]),  # regex
    (b'<c r="A1"><v>7</v></c><c r="B1" t="n"><v>3</v></c></row>', []),
    (b'<c r="A1" t="s"><v>7</v></c><c r="B1" t="s"/></row>', None),       # no index: keep all
    (b'<c r="A1" t="s"><v></v></c></row>', None),
    (b'<c r="A1" t="s"><v>1x</v></c></row>', None)])
def test_shared_string_references_of_a_piece(rows, refs):
    found = excel_pieces.string_refs(rows)
    assert (found if found is None else found[0].tolist()) == refs


@pytest.mark.parametrize("text,channel", [
    ("1", "direct"), ("2", "online_full"), ("3", "bcci"), ("Nộp trực tuyến", "online_full"),
    ("Trực tuyến toàn trình", "online_full"), ("Trực tuyến một phần", "online_partial"),
    ("Qua dịch vụ bưu chính công ích", "bcci"), ("BCCI", "bcci"), ("online", "online_full"),
    ("Trực tiếp tại Bộ phận Một cửa", "direct"), ("TRUC TIEP", "direct")])
def test_channel_wordings(con, text, channel):
    query = f"SELECT {channel_sql(fold_sql('v'))} FROM (SELECT ? AS v)"
    assert con.execute(query, [text]).fetchone()[0] == channel


@pytest.mark.parametrize("text,amount,flag", [
    ("15.000", 15000.0, None), ("15,000 (VNĐ)", 15000.0, None), ("2.500.000 đồng", 2500000.0, None),
    ("2500.5", 2500.5, None), ("0", 0.0, False), ("Có", None, True), ("Không", None, False),
    ("x", None, True), ("Yes", None, True), ("False", None, False), ("Chưa", None, False),
    ("không rõ", None, False), ("???", None, None)])
def test_fee_amounts_and_flags(con, text, amount, flag):
    # "không rõ" starts with "không": read as no. "???" is unreadable: NULL, reported as bad value.
    got = con.execute(f"SELECT {amount_sql('v')}, {flag_sql('v', fold_sql('v'))} FROM (SELECT ? AS v)",
                      [text]).fetchone()
    assert got == (amount, flag)


def test_data_on_a_later_sheet(con, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Tổng hợp"
    wb.active.append(["Báo cáo tổng hợp tháng 3/2023"])
    data_sheet = wb.create_sheet("Chi tiết")
    data_sheet.append(["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận"])
    data_sheet.append(["A-1", "Thủ tục", "Phòng", "01/03/2023"])
    wb.save(tmp_path / "two_sheets.xlsx")
    result = ingest_file(con, (tmp_path / "two_sheets.xlsx").read_bytes(), "two_sheets.xlsx")
    assert result.layout["sheet"] == "Chi tiết" and result.added == 1

"""Summary reports (counts per field or unit) are refused as such, end to end into a real DuckDB file,
and dossier lists that carry a few count-like columns still load."""
from __future__ import annotations

import datetime as dt

import pytest

from cchc_metrics.errors import IngestError
from cchc_metrics.ingest import ingest_file
from conftest import write_xlsx

D = dt.datetime


def refused(con, path, **kwargs) -> str:
    with pytest.raises(IngestError) as caught:
        ingest_file(con, path.read_bytes(), path.name, **kwargs)
    assert caught.value.file_name == path.name
    assert con.execute("SELECT count(*) FROM uploads").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM dossiers").fetchone()[0] == 0
    return str(caught.value)


def assert_summary_message(message: str) -> None:
    assert "báo cáo tổng hợp" in message
    assert "danh sách hồ sơ" in message and "Xuất Excel" in message
    assert "không tìm thấy dòng tiêu đề" not in message


# The periodic statistics table as a provincial one-stop system draws it (public React template
# "BaoCaoTongHop07a", "Tình hình, kết quả giải quyết TTHC tại cơ quan, đơn vị trực tiếp giải quyết
# TTHC", found by find_string "Số kỳ trước chuyển qua"): a three-row header, STT and Lĩnh vực merged
# down, "Số hồ sơ nhận giải quyết" over "Tổng số | Trong đó: Số kỳ trước chuyển qua, Số mới tiếp
# nhận", "Kết quả giải quyết" over "Số hồ sơ đã giải quyết: Tổng số, Trả đúng thời hạn, Trả quá
# hạn" and "Số hồ sơ đang giải quyết: Tổng số, Chưa đến hạn, Quá hạn". The report period is the
# cut-off of Thông tư 01/2020/TT-VPCP (15/12 to 14/03 for the first quarter).
def statistics_rows(number_row: bool) -> list[list]:
    rows = [
        ["TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT TTHC TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT TTHC"],
        ["Kỳ báo cáo: Quý I năm 2024 (từ ngày 15/12/2023 đến ngày 14/03/2024)"],
        ["STT", "Lĩnh vực", "Số hồ sơ nhận giải quyết", None, None, "Kết quả giải quyết", None, None,
         None, None, None],
        [None, None, "Tổng số", "Trong đó", None, "Số hồ sơ đã giải quyết", None, None,
         "Số hồ sơ đang giải quyết", None, None],
        [None, None, None, "Số kỳ trước chuyển qua", "Số mới tiếp nhận", "Tổng số", "Trả đúng thời hạn",
         "Trả quá hạn", "Tổng số", "Chưa đến hạn", "Quá hạn"],
    ]
    if number_row:
        rows.append([f"({n})" for n in range(1, 12)])
    rows += [
        [1, "Hộ tịch", 120, 15, 105, 110, 108, 2, 10, 9, 1],
        [2, "Chứng thực", 340, 0, 340, 340, 340, 0, 0, 0, 0],
        [3, "Đất đai", 57, 12, 45, 40, 31, 9, 17, 11, 6],
        [None, "Tổng số", 517, 27, 490, 490, 479, 11, 27, 20, 7],
        [],
        [None, "Người lập biểu", None, None, None, None, None, None, "Thủ trưởng đơn vị"],
    ]
    return rows


STATISTICS_MERGES = ("A1:K1", "A2:K2", "A3:A5", "B3:B5", "C3:E3", "F3:K3", "C4:C5", "D4:E4", "F4:H4", "I4:K4")


# Score export of the national index of Quyết định 766/QĐ-TTg (domain guide; the index groups as
# the public service portal lists them): per unit, total points and the points of each group.
def index_766_rows() -> list[list]:
    return [
        ["BỘ CHỈ SỐ PHỤC VỤ NGƯỜI DÂN, DOANH NGHIỆP"],
        ["Từ ngày 01/01/2024 đến ngày 31/03/2024"],
        ["STT", "Đơn vị", "Tổng điểm", "Công khai, minh bạch", "Tiến độ giải quyết",
         "Dịch vụ công trực tuyến", "Thanh toán trực tuyến", "Mức độ hài lòng", "Xếp loại"],
        [1, "Sở Tư pháp", "86,45", "17,5", "19,2", "11,8", "8,95", "17,5", "Tốt"],
        [2, "Sở Xây dựng", "79.10", "16", "17.4", "10.2", "7.5", "16.0", "Khá"],
        [3, "UBND huyện Diên Khánh", 72.3, 15, 16.8, 9.5, 6.5, 15.5, "Khá"],
    ]


# A statistics dump of system fields (field names of public one-stop code: tongSoHoSo,
# tiepNhanKyTruoc, daXuLyTruocHan, daXuLyDungHan, daXuLyQuaHan, dangXuLyTrongHan, dangXuLyQuaHan;
# find_string "daXuLyDungHan"), one row per unit.
def api_dump_rows() -> list[list]:
    return [
        ["maDonVi", "groupName", "tongSoHoSo", "soHoSoTiepNhan", "tiepNhanKyTruoc", "daXuLyTruocHan",
         "daXuLyDungHan", "daXuLyQuaHan", "dangXuLyTrongHan", "dangXuLyQuaHan"],
        ["000.00.17.H56", "Sở Tư pháp", 412, 380, 32, 250, 120, 12, 25, 5],
        ["000.00.20.H56", "Sở Xây dựng", 98, 90, 8, 40, 41, 7, 8, 2],
    ]


SUMMARIES = {
    "statistics-table": (statistics_rows(False), STATISTICS_MERGES),
    "statistics-table-column-numbers": (statistics_rows(True), STATISTICS_MERGES),
    "index-766-scores": (index_766_rows(), ("A1:I1", "A2:I2")),
    "api-statistics-dump": (api_dump_rows(), ()),
}


@pytest.mark.parametrize("rows,merges", list(SUMMARIES.values()), ids=list(SUMMARIES))
def test_summary_report_is_refused_as_such(con, tmp_path, rows, merges):
    message = refused(con, write_xlsx(tmp_path / "bao_cao.xlsx", rows, merges))
    assert_summary_message(message)


def test_refusal_quotes_count_headers_not_values(con, tmp_path):
    message = refused(con, write_xlsx(tmp_path / "bc.xlsx", statistics_rows(True), STATISTICS_MERGES))
    assert "Số kỳ trước chuyển qua" in message
    assert "Hộ tịch" not in message and "517" not in message


def test_counts_pushed_in_as_id_and_received_date_are_refused(con, tmp_path):
    """Mapping the dossier id and the received date to count columns by hand does not load counts."""
    path = write_xlsx(tmp_path / "bc.xlsx", statistics_rows(False), STATISTICS_MERGES)
    mapping = {"dossier_id": "Số hồ sơ nhận giải quyết - Tổng số",
               "received_at": "Số hồ sơ nhận giải quyết - Trong đó - Số mới tiếp nhận",
               "procedure_name": "Lĩnh vực", "unit": "Lĩnh vực"}
    assert_summary_message(refused(con, path, mapping=mapping))


def test_api_dump_pushed_by_mapping_is_refused(con, tmp_path):
    path = write_xlsx(tmp_path / "dump.xlsx", api_dump_rows())
    mapping = {"dossier_id": "tongSoHoSo", "received_at": "soHoSoTiepNhan", "procedure_name": "maDonVi",
               "unit": "groupName"}
    assert_summary_message(refused(con, path, mapping=mapping))


# Dossier lists with count-like columns (the register's "Số lượng hồ sơ (bộ)", a running number,
# fee amounts, a days-late column) and summary words in their headers still load: they have dates.
def test_dossier_list_with_count_columns_is_not_a_summary(con, tmp_path):
    rows = [["DANH SÁCH HỒ SƠ QUÁ HẠN"],
            ["STT", "Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Số lượng hồ sơ (bộ)", "Ngày tiếp nhận",
             "Ngày hẹn trả", "Số ngày quá hạn", "Tổng số tiền phí", "Tình trạng"],
            [1, "HS-1", "Thủ tục A", "Phòng 1", 1, "01/03/2024", "05/03/2024", 3, 50000, "Trả quá hạn"],
            [2, "HS-2", "Thủ tục B", "Phòng 2", 2, "02/03/2024", "06/03/2024", 1, 0, "Trả quá hạn"],
            [3, "HS-3", "Thủ tục A", "Phòng 1", 1, "03/03/2024", "07/03/2024", 5, 50000, "Đang xử lý quá hạn"]]
    result = ingest_file(con, write_xlsx(tmp_path / "qua_han.xlsx", rows).read_bytes(), "qua_han.xlsx")
    assert (result.added, result.rejected) == (3, 0)
    received = con.execute("SELECT dossier_id, received_at FROM dossiers ORDER BY 1").fetchall()
    assert received == [("HS-1", D(2024, 3, 1)), ("HS-2", D(2024, 3, 2)), ("HS-3", D(2024, 3, 3))]

"""Dossier lists written exactly as real one-stop systems write them, loaded with no hand mapping.

Each builder below copies one public exporter (header texts and order, title rows, merged group
headers, date strings, value codes); the source is cited above it and described in
docs/vendor_layouts.md. The counts asserted were worked out by hand from the rows.

Where an export has no unit column the test passes default_unit, the file-wide unit the upload
screen asks for ("chọn đơn vị xử lý cho cả tệp"); that is not a column mapping.

Tests marked xfail(strict=True) fail with today's ingest; the reason names what is missing, so they
can be switched on one by one as the header / value / format work lands.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cchc_metrics.ingest import ingest_file, preview_export
from cchc_metrics.metrics import compute_metrics
from conftest import table_rows, write_xlsx

D = dt.datetime
MARCH_START, MARCH_END = dt.date(2024, 3, 1), dt.date(2024, 3, 31)


def march_counts(con) -> dict:
    row = compute_metrics(con, MARCH_START, MARCH_END).iloc[0]
    names = ("received", "resolved", "resolved_early", "resolved_on_time", "resolved_late", "pending",
             "pending_overdue", "online", "bcci", "digitized")
    # None: no dossier's file carried the columns the count needs ("no data is not zero").
    return {n: None if pd.isna(row[n]) else int(row[n]) for n in names}


# The counts a file with received, due and finish dates feeds, checked by hand in each test.
TIMING_COUNTS = ("received", "resolved", "resolved_early", "resolved_on_time", "resolved_late",
                 "pending", "pending_overdue")


def dossiers_by_id(con) -> dict:
    return {r["dossier_id"]: r for r in table_rows(con, "dossiers")}


# ---------------------------------------------------------------------------------------------
# 1. OpenCPS v2 dynamic report "danh sách hồ sơ" (VietOpenCPS).
# Columns: reportConfig of a dossier-list report (find_string id 18319768317, an OpenCPS
#   dynamic-report config for Hậu Giang: value/text pairs, "selected": true = shown by default);
#   the frontend puts "STT" first and one cell per selected column
#   (VietOpenCPS/frontend-opencps-v2.1 dynamic_report_ver_3/src/components/screens/Landing.vue,
#   commit 28f5f9b74, rows ~1840-1895), then asks the server for the .xlsx (getExcelReportFromServer).
# Values: dates "dd/MM/yyyy HH:mm:ss" (VietOpenCPS/opencps-v2 commit 2c719850c,
#   modules/backend-auth/.../APIDateTimeUtils.java _NORMAL_PARTTERN; DossierIndexer.java stores
#   dueDate/releaseDate/finishDate in that form; DossierUtils.java formats receiveDate the same);
#   "online" = Boolean.toString -> "true"/"false" (DossierIndexer.java:643); "Hạn xử lý" is
#   dossierOverdue: TEXT "Sớm hạn" / "Đúng hạn" / "Quá hạn" / "Quá %s" / "Còn %s" / "Tạm dừng xử lý"
#   (backend-api-rest/src/main/resources/content/Language.properties, DossierUtils.java:221-305).
# Ticked here: the default selection plus "Ngày hoàn thành" (releaseDate) and "Trực tuyến" (online).
# Title rows and the agency group row are a reconstruction of the pdfmake report definition.
# ---------------------------------------------------------------------------------------------
OPENCPS_HEADER = ["STT", "Mã hồ sơ", "Nội dung", "Chủ hồ sơ", "Ngày tiếp nhận", "Ngày hẹn trả",
                  "Ngày hoàn thành", "Trạng thái", "Trực tuyến", "Hạn xử lý"]


def opencps_rows() -> list[list]:
    p = "000.00.12.H23-2403"
    return [
        ["BÁO CÁO DANH SÁCH HỒ SƠ TIẾP NHẬN"],
        ["Từ ngày 01/03/2024 đến ngày 31/03/2024"],
        [],
        OPENCPS_HEADER,
        ["Sở Tư pháp"],  # groupBy govAgencyName
        [1, p + "01-0001", "Cấp Phiếu lý lịch tư pháp", "Nguyễn Văn An", "01/03/2024 08:15:00",
         "08/03/2024 17:00:00", "06/03/2024 10:20:00", "Đã trả kết quả", "true", "Sớm hạn"],
        [2, p + "04-0002", "Chứng thực bản sao từ bản chính", "Trần Thị Bình", "04/03/2024 09:00:00",
         "11/03/2024 17:00:00", "11/03/2024 15:30:00", "Đã trả kết quả", "false", "Đúng hạn"],
        [3, p + "05-0003", "Đăng ký khai sinh", "Lê Văn Cường", "05/03/2024 14:00:00",
         "12/03/2024 17:00:00", "14/03/2024 09:00:00", "Đã trả kết quả", "false", "Quá hạn"],
        [4, p + "18-0004", "Cấp Phiếu lý lịch tư pháp", "Phạm Thị Dung", "18/03/2024 08:00:00",
         "25/03/2024 17:00:00", "", "Đang xử lý", "true", "Quá 4 ngày"],
        [5, p + "27-0005", "Chứng thực chữ ký", "Hoàng Văn Em", "27/03/2024 10:00:00",
         "05/04/2024 17:00:00", "", "Đang xử lý", "false", "Còn 4 ngày"],
        [6, p + "12-0006", "Đăng ký kết hôn", "Võ Thị Phương", "12/03/2024 08:30:00",
         "19/03/2024 17:00:00", "15/03/2024 16:00:00", "Đã trả kết quả", "true", "Sớm hạn"],
        [7, p + "20-0007", "Đăng ký khai tử", "Đặng Văn Giang", "20/03/2024 13:45:00",
         "03/04/2024 17:00:00", "", "Chờ bổ sung", "false", "Tạm dừng xử lý"],
    ]


def test_opencps_dynamic_report_dossier_list(con, tmp_path):
    path = write_xlsx(tmp_path / "baocaothongke.xlsx", opencps_rows(), merges=("A1:J1", "A2:J2", "A5:J5"))
    ingest_file(con, path.read_bytes(), path.name, default_unit="Sở Tư pháp")
    rows = dossiers_by_id(con)
    assert len(rows) == 7
    first = rows["000.00.12.H23-240301-0001"]
    assert (first["received_at"], first["due_at"], first["finished_at"]) == (
        D(2024, 3, 1, 8, 15), D(2024, 3, 8, 17, 0), D(2024, 3, 6, 10, 20))
    assert first["channel"] == "online_full"
    assert rows["000.00.12.H23-240304-0002"]["channel"] == "direct"
    assert march_counts(con) == dict(received=7, resolved=4, resolved_early=2, resolved_on_time=1,
                                     resolved_late=1, pending=3, pending_overdue=1, online=3, bcci=0,
                                     digitized=None)   # the report has no digitisation column


def test_opencps_list_without_the_overdue_and_online_columns(con, tmp_path):
    """The same report without 'Trực tuyến' and 'Hạn xử lý': only the procedure is missing.
    ('Hạn xử lý', a due-date wording, is harmless here only because 'Ngày hẹn trả' comes first.)"""
    keep = [0, 1, 2, 3, 4, 5, 6, 7]  # STT .. Trạng thái
    rows = [[r[i] for i in keep] if len(r) == len(OPENCPS_HEADER) else r for r in opencps_rows()]
    path = write_xlsx(tmp_path / "baocaothongke.xlsx", rows, merges=("A1:H1", "A2:H2", "A5:H5"))
    ingest_file(con, path.read_bytes(), path.name, default_unit="Sở Tư pháp")
    rows_by_id = dossiers_by_id(con)
    assert len(rows_by_id) == 7
    late = rows_by_id["000.00.12.H23-240305-0003"]
    assert (late["received_at"], late["due_at"], late["finished_at"]) == (
        D(2024, 3, 5, 14, 0), D(2024, 3, 12, 17, 0), D(2024, 3, 14, 9, 0))
    counts = march_counts(con)
    assert {k: counts[k] for k in TIMING_COUNTS} == dict(
        received=7, resolved=4, resolved_early=2, resolved_on_time=1, resolved_late=1, pending=3,
        pending_overdue=1)


# ---------------------------------------------------------------------------------------------
# 2. "Danh sách hồ sơ" of the DichVuCong one-stop system (Thanh Hóa-branded clone of the provincial
#   "Hệ thống thông tin giải quyết TTHC", .NET API + React "quantri_client"):
#   HuanVu201/DichVuCong_KhoaLuan_PASETO commit 7d1730c,
#   quantri_client/src/features/hoSoTheoBaoCaoTongHop/exportElements/XuatDanhSachHoSoTheoBaoCaoTongHop.tsx
#   (same table in features/hoso/components/actions/xuatDanhSachHoSoTheoDoi/ExcelXuatDanhSachHoSoTheoDoiModal.tsx),
#   saved by quantri_client/src/pages/dvc/MauPhieu/documents/excel/exportTableToExcel.js
#   downloadPhieuExcel(): the table's HTML inside an Excel-HTML template, base64 data: URL,
#   MIME application/vnd.ms-excel, name "Danh sách hồ sơ d/m/yyyy H:m.xls".
# Dates: dayjs(...).format(FORMAT_DATE), FORMAT_DATE = "DD/MM/YYYY HH:mm:ss" (src/data/constant.ts).
# Status: TRANGTHAIHOSO[trangThaiHoSoId] text (features/hoso/data/formData.ts): 4 "Đang xử lý",
#   9 "Đã xử lý xong", 10 "Đã trả kết quả", ...
# ---------------------------------------------------------------------------------------------
DVC_HEADER = ["STT", "Đơn vị tiếp nhận", "Tên thủ tục hành chính", "Mã hồ sơ", "Trạng thái", "Địa chỉ",
              "Người nộp", "Chủ hồ sơ", "Ngày nộp hồ sơ", "Ngày nhận", "Ngày hẹn trả", "Ngày kết thúc xử lý"]


def dvc_list_rows() -> list[list[str]]:
    u = "Sở Tư pháp"
    return [
        ["1", u, "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam", "000.00.27.H56-240301-0001",
         "Đã trả kết quả", "Phường Điện Biên, TP Thanh Hóa", "Nguyễn Văn An", "Nguyễn Văn An",
         "29/02/2024 21:10:05", "01/03/2024 07:45:12", "08/03/2024 17:00:00", "05/03/2024 10:00:00"],
        ["2", u, "Chứng thực bản sao từ bản chính", "000.00.27.H56-240305-0002", "Đã xử lý xong",
         "Xã Quảng Tâm", "Trần Thị Bình", "Trần Thị Bình", "", "05/03/2024 08:00:00",
         "06/03/2024 17:00:00", "06/03/2024 16:59:00"],
        ["3", u, "Đăng ký khai sinh", "000.00.27.H56-240306-0003", "Đã trả kết quả", "Xã Đông Hải",
         "Lê Văn Cường", "Lê Thị Hoa", "", "06/03/2024 09:30:00", "13/03/2024 17:00:00",
         "15/03/2024 08:10:00"],
        ["4", u, "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam", "000.00.27.H56-240320-0004",
         "Đang xử lý", "Phường Ba Đình", "Phạm Văn Dũng", "Phạm Văn Dũng", "19/03/2024 22:00:00",
         "20/03/2024 07:30:00", "27/03/2024 17:00:00", ""],
        ["5", u, "Đăng ký kết hôn", "000.00.27.H56-240328-0005", "Đang xử lý", "Xã Quảng Thịnh",
         "Hoàng Thị Em", "Hoàng Thị Em", "", "28/03/2024 14:00:00", "02/04/2024 17:00:00", ""],
        ["6", u, "Chứng thực chữ ký", "000.00.27.H56-240311-0006", "Đã trả kết quả", "Phường Lam Sơn",
         "Võ Văn Phúc", "Võ Văn Phúc", "", "11/03/2024 10:15:00", "12/03/2024 17:00:00",
         "11/03/2024 15:00:00"],
    ]


def dvc_html_xls(header: list[str], rows: list[list[str]], n_title_cols: int = 9) -> bytes:
    """The bytes downloadPhieuExcel() saves: Excel-HTML template around the table's innerHTML."""
    def cell(text: str, strong: bool = False) -> str:
        inner = f"<strong>{text}</strong>" if strong else text
        return f'<td style="vertical-align: middle; padding: 5px; border: 1px solid #333;">{inner}</td>'
    thead = (f'<thead><tr><td colspan="{n_title_cols}" style="vertical-align: middle; padding: 5px; '
             f'font-size: 16px;"><br></td></tr>'
             '<tr><td colspan="8" style="vertical-align: middle; padding: 5px;"><strong></strong></td></tr>'
             "<tr>" + "".join(cell(h, strong=True) for h in header) + "</tr></thead>")
    tbody = '<tbody id="data">' + "".join("<tr>" + "".join(cell(v) for v in r) + "</tr>" for r in rows) \
        + "</tbody>"
    template = ('<html xmlns:o="urn:schemas-microsoft-com:office:office" '
                'xmlns:x="urn:schemas-microsoft-com:office:excel" xmlns="http://www.w3.org/TR/REC-html40">'
                "<head><!--[if gte mso 9]><xml><x:ExcelWorkbook><x:ExcelWorksheets><x:ExcelWorksheet>"
                "<x:Name>Danh sách hồ sơ</x:Name><x:WorksheetOptions><x:DisplayGridlines/>"
                "</x:WorksheetOptions></x:ExcelWorksheet></x:ExcelWorksheets></x:ExcelWorkbook></xml>"
                "<![endif]--></head><body><table style=\"font-family: &quot;Times New Roman&quot;, Times, "
                "serif; font-size: 17px\">{table}</table></body></html>")
    return template.replace("{table}", thead + tbody).encode("utf-8")


def test_dvc_danh_sach_ho_so_html_xls(con):
    data = dvc_html_xls(DVC_HEADER, dvc_list_rows())
    ingest_file(con, data, "Danh sách hồ sơ 2/4/2024 9:5.xls", default_unit="Sở Tư pháp")
    rows = dossiers_by_id(con)
    assert len(rows) == 6
    first = rows["000.00.27.H56-240301-0001"]
    assert (first["received_at"], first["due_at"], first["finished_at"]) == (
        D(2024, 3, 1, 7, 45, 12), D(2024, 3, 8, 17, 0), D(2024, 3, 5, 10, 0))
    counts = march_counts(con)
    assert {k: counts[k] for k in TIMING_COUNTS} == dict(
        received=6, resolved=4, resolved_early=2, resolved_on_time=1, resolved_late=1, pending=2,
        pending_overdue=1)


def test_dvc_danh_sach_ho_so_grid_as_xlsx(con, tmp_path):
    """The same grid once a clerk has opened the .xls in Excel and saved it as .xlsx (dates stay
    text because the HTML gave them as text): loads today. 'Đơn vị tiếp nhận' (the receiving unit)
    is not taken as the handling unit, so the file-wide unit is given; the three personal columns
    ('Địa chỉ', 'Người nộp', 'Chủ hồ sơ') never reach the database."""
    rows = [[None] * 9, [None] * 8, DVC_HEADER, *dvc_list_rows()]
    path = write_xlsx(tmp_path / "Danh sach ho so.xlsx", rows, merges=("A1:I1", "A2:H2"))
    assert set(preview_export(path.read_bytes(), path.name).personal_headers) == {
        "Địa chỉ", "Người nộp", "Chủ hồ sơ"}
    ingest_file(con, path.read_bytes(), path.name, default_unit="Sở Tư pháp")
    rows_by_id = dossiers_by_id(con)
    assert len(rows_by_id) == 6
    on_time = rows_by_id["000.00.27.H56-240305-0002"]
    assert (on_time["received_at"], on_time["due_at"], on_time["finished_at"]) == (
        D(2024, 3, 5, 8, 0), D(2024, 3, 6, 17, 0), D(2024, 3, 6, 16, 59))
    counts = march_counts(con)
    assert {k: counts[k] for k in TIMING_COUNTS} == dict(
        received=6, resolved=4, resolved_early=2, resolved_on_time=1, resolved_late=1, pending=2,
        pending_overdue=1)


# ---------------------------------------------------------------------------------------------
# 3. "Sổ theo dõi tình hình tiếp nhận hồ sơ TTHC" of the same DichVuCong system (Mẫu 06-style
#   register): HuanVu201/DichVuCong_KhoaLuan_PASETO commit 7d1730c,
#   quantri_client/src/features/thongKe/ThongKeTheoDonVi/components/SoTheoDoiHoSo.tsx rows 600-960:
#   title table (unit name | "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM / Độc lập - Tự do - Hạnh phúc";
#   "SỔ THEO DÕI TÌNH HÌNH TIẾP NHẬN HỒ SƠ TTHC (Từ ngày dd/MM/yyyy đến ngày dd/MM/yyyy )"),
#   then a two-row header: "Ngày, tháng, năm" over "Nhận hồ sơ | Hẹn trả kết quả", "Trả kết quả"
#   over "Ngày nhận kết quả | Bên giao | Bên nhận". On screen (and in the old HTML export) dates are
#   dayjs(...).format(FORMAT_TIME), FORMAT_TIME = "HH:mm, DD/MM/YYYY" (time FIRST). The current
#   "In file excel" goes to the server (DichVuCongApi/src/Infrastructure/ExportThongKe/Business/
#   ExportSoTheoDoiHoSoService.cs) which fills an .xlsx template (not in the repository) with
#   dates as "dd/MM/yyyy HH:mm:ss". No unit, channel, or processing-finish column: the return
#   date ("Ngày nhận kết quả", item.ngayTra) is the only end date.
# ---------------------------------------------------------------------------------------------
SO_THEO_DOI_TOP = ["STT", "Mã hồ sơ", "Nội dung hồ sơ", "Số lượng (bộ)", "Họ tên chủ hồ sơ",
                   "Địa chỉ chủ hồ sơ", "Số điện thoại", "Ngày, tháng, năm", None, "Trả kết quả", None, None,
                   "Ghi chú"]
SO_THEO_DOI_SUB = [None] * 7 + ["Nhận hồ sơ", "Hẹn trả kết quả", "Ngày nhận kết quả", "Bên giao",
                                "Bên nhận", None]
SO_THEO_DOI_MERGES = ("A1:E1", "F1:M1", "A2:M2", "A4:A5", "B4:B5", "C4:C5", "D4:D5", "E4:E5", "F4:F5",
                      "G4:G5", "H4:I4", "J4:L4", "M4:M5")


def so_theo_doi_rows(fmt: str) -> list[list]:
    def t(d: D | None) -> str:
        return d.strftime(fmt) if d else ""
    data = [  # ma, noi dung, recv, due, returned
        ("000.00.27.H56-240301-0011", "Cấp Phiếu lý lịch tư pháp số 1", D(2024, 3, 1, 8, 5),
         D(2024, 3, 8, 17, 0), D(2024, 3, 7, 9, 30)),
        ("000.00.27.H56-240304-0012", "Chứng thực hợp đồng", D(2024, 3, 4, 10, 0), D(2024, 3, 5, 17, 0),
         D(2024, 3, 5, 16, 0)),
        ("000.00.27.H56-240306-0013", "Đăng ký khai sinh", D(2024, 3, 6, 14, 20), D(2024, 3, 11, 17, 0),
         D(2024, 3, 12, 8, 0)),
        ("000.00.27.H56-240325-0014", "Cấp Phiếu lý lịch tư pháp số 2", D(2024, 3, 25, 9, 0),
         D(2024, 3, 29, 17, 0), None),
        ("000.00.27.H56-240329-0015", "Đăng ký kết hôn", D(2024, 3, 29, 15, 0), D(2024, 4, 3, 17, 0), None),
    ]
    body = [[i, ma, nd, "1", f"Công dân {i}", "Thanh Hóa", "09120000" + str(i), t(r), t(d), t(x), None,
             None, None] for i, (ma, nd, r, d, x) in enumerate(data, start=1)]
    return [["SỞ TƯ PHÁP", None, None, None, None,
             "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"],
            ["SỔ THEO DÕI TÌNH HÌNH TIẾP NHẬN HỒ SƠ TTHC\n(Từ ngày 01/03/2024 đến ngày 31/03/2024 )"],
            [], SO_THEO_DOI_TOP, SO_THEO_DOI_SUB, *body]


SO_THEO_DOI_EXPECTED = dict(received=5, resolved=3, resolved_early=1, resolved_on_time=1, resolved_late=1,
                            pending=2, pending_overdue=1)


def check_so_theo_doi(con) -> None:
    rows = dossiers_by_id(con)
    assert len(rows) == 5
    first = rows["000.00.27.H56-240301-0011"]
    assert (first["received_at"], first["due_at"]) == (D(2024, 3, 1, 8, 5), D(2024, 3, 8, 17, 0))
    assert D(2024, 3, 7, 9, 30) in (first["finished_at"], first["returned_at"])
    counts = march_counts(con)
    assert {k: counts[k] for k in SO_THEO_DOI_EXPECTED} == SO_THEO_DOI_EXPECTED


def test_dvc_so_theo_doi_server_xlsx(con, tmp_path):
    path = write_xlsx(tmp_path / "So theo doi ho so_2024_04_02_09_05.xlsx",
                      so_theo_doi_rows("%d/%m/%Y %H:%M:%S"), merges=SO_THEO_DOI_MERGES)
    ingest_file(con, path.read_bytes(), path.name, default_unit="Sở Tư pháp")
    check_so_theo_doi(con)


def test_dvc_so_theo_doi_time_first_dates(con, tmp_path):
    path = write_xlsx(tmp_path / "So theo doi ho so.xlsx", so_theo_doi_rows("%H:%M, %d/%m/%Y"),
                      merges=SO_THEO_DOI_MERGES)
    ingest_file(con, path.read_bytes(), path.name, default_unit="Sở Tư pháp")
    check_so_theo_doi(con)


# ---------------------------------------------------------------------------------------------
# 4. e-par / Tâm Việt one-stop software (GPL, "Copyright (C) 2012 Tam Viet Tech"):
#   tamviettech/e-par commit 061674d,
#   public_html/apps/r3/modules/reportbook/reportbook_views/export_spread_sheet.php (PHPExcel):
#   row 1 merged A1:<last>1 = book name + "\nTừ ngày: " + begin + "\nĐến ngày:" + end; row 2 = the
#   header (xml-config/common/so_tiep_nhan_va_tra_ket_qua_tu_phap_book.xml, display_all/list items
#   without the primary key); data from row 3, every cell written as a string.
#   Dates: functions.php get_normal_field_value() -> date_create(...)->format('d-m-Y') for
#   C_RECEIVE_DATE / C_RETURN_DATE / C_CLEAR_DATE; "Ngày ký hồ sơ" (p_xml/XET_DUYET/datetime) also
#   'd-m-Y'. C_SCOPE -> 'UBND Xã' / 'Liên thông xã -> huyện' / 'UBND huyện' / 'Liên thông huyện -> xã'.
#   Only finished dossiers are listed (reportbook_Model.php: R.c_clear_date IS NOT NULL, receive date
#   in the period). No dossier id: "TT" is @rownum.
# ---------------------------------------------------------------------------------------------
EPAR_HEADER = ["TT", "Họ tên, địa chỉ người nộp hồ sơ", "Nội dung công việc cần giải quyết",
               "Người có trách nhiệm giải quyết", "Ngày nhận hồ sơ", "Ngày hẹn trả hồ sơ", "Ngày ký hồ sơ",
               "Người ký hồ sơ", "Ngày trả thực tế", "Ngày tổ chức, công dân ký nhận lại hồ sơ"]


def epar_rows() -> list[list]:
    data = [  # recv, due, signed, returned
        ("Chứng thực bản sao", "04-03-2024", "05-03-2024", "05-03-2024", "05-03-2024"),
        ("Đăng ký khai sinh", "05-03-2024", "08-03-2024", "06-03-2024", "07-03-2024"),
        ("Đăng ký kết hôn", "06-03-2024", "11-03-2024", "12-03-2024", "13-03-2024"),
        ("Chứng thực chữ ký", "18-03-2024", "19-03-2024", "19-03-2024", "19-03-2024"),
        ("Đăng ký khai tử", "20-03-2024", "22-03-2024", "21-03-2024", "21-03-2024"),
    ]
    body = [[str(i), f"Nguyễn Văn {i}, thôn {i}", nd, "UBND Xã", r, d, s, "Chủ tịch UBND xã", x, ""]
            for i, (nd, r, d, s, x) in enumerate(data, start=1)]
    return [["Sổ tiếp nhận và trả kết quả lĩnh vực Tư pháp\nTừ ngày: 01-03-2024\nĐến ngày:31-03-2024"],
            EPAR_HEADER, *body]


def test_epar_so_tiep_nhan_va_tra_ket_qua(con, tmp_path):
    path = write_xlsx(tmp_path / "so_theo_doi.xlsx", epar_rows(), merges=("A1:J1",))
    ingest_file(con, path.read_bytes(), path.name, default_unit="UBND xã")
    rows = table_rows(con, "dossiers", order_by="received_at")
    assert len(rows) == 5
    assert (rows[2]["received_at"], rows[2]["due_at"]) == (D(2024, 3, 6), D(2024, 3, 11, 23, 59, 59))
    counts = march_counts(con)
    # every row is finished (the book lists only returned dossiers); by the return date:
    # 1 on the due day, 2 early, 3 late (13/03 > 11/03), 4 on the due day, 5 early
    assert {k: counts[k] for k in ("received", "resolved", "resolved_early", "resolved_on_time",
                                   "resolved_late", "pending")} == dict(
        received=5, resolved=5, resolved_early=2, resolved_on_time=2, resolved_late=1, pending=0)


# ---------------------------------------------------------------------------------------------
# 2b. The same system's "Thống kê hồ sơ tiếp nhận quá hạn" list, as shipped with a column missing:
#   HuanVu201/DichVuCong_KhoaLuan_PASETO commit 7d1730c,
#   quantri_client/src/features/hoSoTheoBaoCaoTongHop/exportElements/XuatDanhSachHoSo.tsx writes 12
#   header cells (with "Người tiếp nhận") but only 11 data cells (no receiver cell), so from the third
#   column on every value sits one column to the left of its header.
# ---------------------------------------------------------------------------------------------
SHIFTED_HEADER = ["STT", "Đơn vị tiếp nhận", "Người tiếp nhận", "Tên thủ tục hành chính", "Mã hồ sơ",
                  "Trạng thái", "Địa chỉ", "Chủ hồ sơ", "Ngày nộp hồ sơ", "Ngày nhận", "Ngày hẹn trả",
                  "Ngày kết thúc xử lý"]


def shifted_rows() -> list[list]:
    # data cells in the order the code writes them: STT, tenDonVi, tenTTHC, maHoSo, trạng thái,
    # địa chỉ, chủ hồ sơ, ngày nộp, ngày tiếp nhận, ngày hẹn trả, ngày trả (11 cells)
    return [[str(i), "Sở Tư pháp", "Đăng ký khai sinh", f"000.00.27.H56-2403{i:02d}-00{i:02d}",
             "Đang xử lý", "Xã Đông Hải", f"Công dân {i}", "", f"{i:02d}/03/2024 08:00:00",
             f"{i + 7:02d}/03/2024 17:00:00", ""] for i in range(1, 6)]


def test_dvc_list_with_columns_shifted_under_headers_is_refused(con, tmp_path):
    from cchc_metrics.errors import IngestError
    rows = [["THỐNG KÊ HỒ SƠ TIẾP NHẬN QUÁ HẠN"], [None] * 8, SHIFTED_HEADER, *shifted_rows()]
    path = write_xlsx(tmp_path / "Danh sach ho so qua han.xlsx", rows, merges=("A1:I1", "A2:H2"))
    with pytest.raises(IngestError, match="lệch cột so với dòng tiêu đề"):
        ingest_file(con, path.read_bytes(), path.name, default_unit="Sở Tư pháp")
    assert table_rows(con, "dossiers") == []


# e-par offers the book as 'xls' => PHPExcel_Writer_Excel5 (legacy BIFF .xls) or 'cvs' =>
# PHPExcel_Writer_CSV, file name "{book_code}_{begin}_{end}.{file_type}" with file_type "cvs" (sic):
# tamviettech/e-par commit 061674d, public_html/apps/r3/modules/reportbook/reportbook_Controller.php
# export_book() and export_spreadsheet_abstract(). PHPExcel's CSV writer puts every field in double
# quotes, ',' between fields, no BOM; the merged title cell becomes one multi-line field in row 1.
def epar_cvs_bytes() -> bytes:
    lines = []
    for row in epar_rows():
        cells = list(row) + [""] * (len(EPAR_HEADER) - len(row))
        lines.append(",".join('"' + str(c).replace('"', '""') + '"' for c in cells))
    return ("\n".join(lines) + "\n").encode("utf-8")


def check_epar(con) -> None:
    rows = table_rows(con, "dossiers", order_by="received_at")
    assert len(rows) == 5
    assert (rows[2]["received_at"], rows[2]["due_at"]) == (D(2024, 3, 6), D(2024, 3, 11, 23, 59, 59))
    counts = march_counts(con)
    assert {k: counts[k] for k in ("received", "resolved", "resolved_early", "resolved_on_time",
                                   "resolved_late", "pending")} == dict(
        received=5, resolved=5, resolved_early=2, resolved_on_time=2, resolved_late=1, pending=0)


def test_epar_register_as_legacy_xls(con, tmp_path, to_xls):
    xls = to_xls(write_xlsx(tmp_path / "SO_TP_01-03-2024_31-03-2024.xlsx", epar_rows(), merges=("A1:J1",)))
    ingest_file(con, xls.read_bytes(), xls.name, default_unit="UBND xã")
    check_epar(con)


def test_epar_register_as_cvs(con):
    """The '.cvs' name, the all-quoted fields and the multi-line title field are read today; only
    the missing dossier id stops it."""
    ingest_file(con, epar_cvs_bytes(), "SO_TP_01-03-2024_31-03-2024.cvs", default_unit="UBND xã")
    check_epar(con)


def test_opencps_list_with_procedure_code_and_agency_ticked(con, tmp_path):
    """The OpenCPS report with the optional "Mã thủ tục" and "Cơ quan thụ lý" also ticked (columns in
    reportConfig order): procedure and unit come from the file, so it loads today. The "Trực tuyến"
    true/false column is not read yet (channel stays unknown), and "Hạn xử lý" (overdue text) is
    ignored only because "Ngày hẹn trả" comes first."""
    header = ["STT", "Mã hồ sơ", "Mã thủ tục", "Nội dung", "Cơ quan thụ lý", "Chủ hồ sơ", "Ngày tiếp nhận",
              "Ngày hẹn trả", "Ngày hoàn thành", "Trạng thái", "Trực tuyến", "Hạn xử lý"]
    codes = ["1.001756", "2.000815", "1.001193", "1.001756", "2.000884", "1.000894", "1.000656"]
    rows = opencps_rows()[:3] + [header, ["Sở Tư pháp"]]  # title rows, header, agency group row
    for code, r in zip(codes, opencps_rows()[5:]):
        rows.append(r[:2] + [code, r[2], "Sở Tư pháp"] + r[3:])
    path = write_xlsx(tmp_path / "baocaothongke.xlsx", rows, merges=("A1:L1", "A2:L2", "A5:L5"))
    ingest_file(con, path.read_bytes(), path.name)
    by_id = dossiers_by_id(con)
    assert len(by_id) == 7
    first = by_id["000.00.12.H23-240301-0001"]
    assert (first["procedure_code"], first["unit"], first["due_at"]) == (
        "1.001756", "Sở Tư pháp", D(2024, 3, 8, 17, 0))
    counts = march_counts(con)
    assert {k: counts[k] for k in TIMING_COUNTS} == dict(
        received=7, resolved=4, resolved_early=2, resolved_on_time=1, resolved_late=1, pending=3,
        pending_overdue=1)

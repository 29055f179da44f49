"""Xuất báo cáo: the giao ban report (gap table, per-unit results, due-soon list, statistics tables,
gap chart) as a printable workbook and as a PDF, in one click each."""
import datetime as dt

import streamlit as st

from cchc_metrics import app_services, giao_ban, metrics, scoring, statistics_table, wording
from cchc_metrics.formatting import NO_DATA_SHORT, format_date, format_points, styled_table
from app_pages import common

PREVIEW_COLUMNS = {
    "code": ("Mã", "text"), "name": ("Tiêu chí", "text"), "ratio": ("Giá trị", "percent"),
    "target": ("Chỉ tiêu", "percent"), "points": ("Điểm", "points"), "max_points": ("Tối đa", "points"),
    "points_lost": ("Bị mất", "points"), "gap_vi": ("Còn thiếu", "text"), "no_data_vi": ("Ghi chú dữ liệu", "text"),
}
# Sized to fit 1366 px; "what it takes" is in the workbook and on the overview.
PREVIEW_CONFIG = {label: st.column_config.Column(width=width) for label, width in (
    ("Mã", 80), ("Tiêu chí", 195), ("Giá trị", 68), ("Chỉ tiêu", 68), ("Điểm", 52), ("Tối đa", 55),
    ("Bị mất", 58), ("Còn thiếu", 225), ("Ghi chú dữ liệu", 100))}

chosen = common.filters()
st.title("Xuất báo cáo giao ban")
with common.user_errors():
    report = common.cached(scoring.score_year, chosen.framework, chosen.year, units=chosen.units)
    freshness = common.cached(metrics.data_freshness)
    as_of = app_services.default_as_of(freshness.get("latest_dossier_at"), dt.date.today())
    period = statistics_table.last_full_period(giao_ban.DEFAULT_PERIOD_KIND, as_of)
    st.write(f"Báo cáo gồm: bảng chênh lệch từng tiêu chí, kết quả theo đơn vị, danh sách hồ sơ sắp đến hạn "
             f"tính đến ngày {format_date(as_of)}, biểu thống kê tình hình giải quyết TTHC theo lĩnh vực và theo "
             f"đơn vị ({period.label_vi}) và biểu đồ chênh lệch. Năm đánh giá {report.year} "
             f"({format_date(report.start)} – {format_date(report.end)}), {chosen.units_label}. "
             "In khổ A4 ngang, chữ 10 pt.")
    with st.spinner("Đang lập báo cáo…"):
        workbook, pdf = common.cached(giao_ban.files, chosen.framework, chosen.year, chosen.units, as_of)
    xlsx_name, pdf_name = giao_ban.file_names(report.year, as_of)
    left, right = st.columns(2)
    left.download_button("Tải báo cáo giao ban (.xlsx)", workbook, xlsx_name,
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         type="primary", icon=":material/download:", on_click="ignore", key="export_download")
    right.download_button("Tải báo cáo giao ban (.pdf)", pdf, pdf_name, "application/pdf",
                          icon=":material/picture_as_pdf:", on_click="ignore", key="export_download_pdf")
    st.caption("Biểu thống kê của kỳ khác: trang «Thống kê giải quyết TTHC».")
    st.subheader("Xem trước bảng chênh lệch")
    if report.points_unknown:
        st.caption(f"Điểm chưa tính được (chưa có dữ liệu): {format_points(report.points_unknown)}.")
    nouns = common.cached(wording.criterion_nouns, chosen.framework, chosen.year)
    rows = wording.with_wording(app_services.with_no_data_notes(report.rows, "points"), nouns)
    st.dataframe(styled_table(rows, PREVIEW_COLUMNS), hide_index=True, placeholder=NO_DATA_SHORT, height="content",
                 column_config=PREVIEW_CONFIG)

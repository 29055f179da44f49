"""Xuất báo cáo: the giao ban workbook (gap table, per-unit results, due-soon list) in one click."""
import datetime as dt

import streamlit as st

from cchc_metrics import app_services, export, metrics, scoring, wording
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
    st.write(f"Báo cáo gồm ba trang tính: bảng chênh lệch từng tiêu chí, kết quả theo đơn vị và danh sách "
             f"hồ sơ sắp đến hạn tính đến ngày {format_date(as_of)}. Năm đánh giá {report.year} "
             f"({format_date(report.start)} – {format_date(report.end)}), {chosen.units_label}. "
             "Trang in khổ A4 ngang.")
    workbook = common.cached(app_services.giao_ban_workbook, chosen.framework, chosen.year, chosen.units, as_of)
    st.download_button("Tải báo cáo giao ban (.xlsx)", workbook, export.giao_ban_file_name(report.year, as_of),
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       type="primary", icon=":material/download:", on_click="ignore", key="export_download")
    st.subheader("Xem trước bảng chênh lệch")
    if report.points_unknown:
        st.caption(f"Điểm chưa tính được (chưa có dữ liệu): {format_points(report.points_unknown)}.")
    nouns = common.cached(wording.criterion_nouns, chosen.framework, chosen.year)
    rows = wording.with_wording(app_services.with_no_data_notes(report.rows, "points"), nouns)
    st.dataframe(styled_table(rows, PREVIEW_COLUMNS), hide_index=True, placeholder=NO_DATA_SHORT, height="content",
                 column_config=PREVIEW_CONFIG)

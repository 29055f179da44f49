"""Xuất báo cáo: the giao ban workbook (gap table, per-unit results, due-soon list) in one click."""
import datetime as dt

import streamlit as st

from cchc_metrics import app_services, export, metrics, scoring
from cchc_metrics.formatting import display_table, format_date, format_points
from app_pages import common

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
    st.dataframe(display_table(app_services.with_no_data_notes(report.rows, "points"), {
        "code": ("Mã", "text"), "name": ("Tiêu chí", "text"), "ratio": ("Giá trị", "percent"),
        "target": ("Chỉ tiêu", "percent"), "gap_pp": ("So với chỉ tiêu", "shortfall"), "points": ("Điểm", "points"),
        "max_points": ("Tối đa", "points"), "points_lost": ("Bị mất", "points"),
        "what_it_takes_vi": ("Cần làm gì", "text"), "no_data_vi": ("Ghi chú dữ liệu", "text"),
    }), hide_index=True, height="content")

"""Thống kê giải quyết TTHC: the periodic statistics table (Biểu 06a) per field or per unit, for a
month, quarter, six months or year (15th to 14th) or any dates, with its Excel download."""
import datetime as dt

import streamlit as st

from cchc_metrics import app_services, giao_ban, metrics, statistics_table as stats
from cchc_metrics.formatting import NO_DATA_SHORT, format_date, styled_table
from app_pages import common

KINDS = {**stats.PERIOD_KIND_LABELS_VI, "custom": "Chọn ngày"}
COUNTS = {name: (label, "int") for name, label in stats.COLUMN_LABELS_VI.items()}
# Short headings so the eleven counts fit 1366 px (the caption groups them as the form does);
# the form's full heading is each column's tooltip.
SHORT_HEADINGS = {
    "total": "Tổng số", "online": "Trực tuyến", "direct_or_postal": "Trực tiếp", "carried_over": "Kỳ trước",
    "resolved": "Đã GQ", "resolved_early": "Trước hạn", "resolved_on_time": "Đúng hạn", "resolved_late": "Quá hạn",
    "pending": "Đang GQ", "pending_within_time": "Trong hạn", "pending_overdue": "Quá hạn"}
COLUMN_CONFIG = {stats.COLUMN_LABELS_VI[name]: st.column_config.Column(short, width=70, help=stats.COLUMN_LABELS_VI[name])
                 for name, short in SHORT_HEADINGS.items()}
GROUPS_VI = ("Số hồ sơ nhận giải quyết: Tổng số = Trực tuyến + Trực tiếp, dịch vụ bưu chính + Từ kỳ trước chuyển "
             "qua · Đã giải quyết (Đã GQ) = Trước hạn + Đúng hạn + Quá hạn · Đang giải quyết (Đang GQ) = Trong "
             "hạn + Quá hạn.")

chosen = common.filters()
st.title("Thống kê tình hình giải quyết TTHC")
with common.user_errors():
    freshness = common.cached(metrics.data_freshness)
    as_of = app_services.default_as_of(freshness.get("latest_dossier_at"), dt.date.today())
    left, middle, right = st.columns([1, 2, 1])
    kind = left.selectbox("Kỳ báo cáo", list(KINDS), index=1, format_func=KINDS.get, key="stats_kind")
    if kind == "custom":
        start = middle.date_input("Từ ngày", as_of - dt.timedelta(days=90), format="DD/MM/YYYY", key="stats_start")
        end = middle.date_input("Đến ngày", as_of, format="DD/MM/YYYY", key="stats_end")
        period = stats.custom_period(start, end)
    else:
        periods = stats.periods_of_year(kind, chosen.year)
        period = middle.selectbox(f"Năm {chosen.year} (chọn năm ở thanh bên trái)", periods,
                                  index=stats.default_period_index(periods, as_of),
                                  format_func=lambda p: p.label_vi, key=f"stats_period_{kind}")
    by = right.radio("Theo", list(stats.BY_LABELS_VI), format_func=stats.BY_LABELS_VI.get, key="stats_by")
    st.caption(f"Kỳ báo cáo tính từ ngày 15 tháng trước đến ngày 14 (Nghị định 09/2019/NĐ-CP, Thông tư "
               f"01/2020/TT-VPCP). Theo mẫu Biểu số 06/VPCP/KSTT. Phạm vi: {chosen.units_label}. "
               f"Dữ liệu đến ngày {format_date(freshness.get('latest_dossier_at'))}. "
               "«–»: chưa có dữ liệu (tệp tải lên thiếu cột cần cho số này), không phải 0.")
    table = common.cached(stats.statistics_table, period.start, period.end, by, units=chosen.units)
    st.subheader(period.label_vi)
    st.caption(GROUPS_VI)
    st.dataframe(styled_table(table, {"key": (stats.BY_LABELS_VI[by], "text"), **COUNTS}),
                 hide_index=True, height="content", placeholder=NO_DATA_SHORT,
                 column_config={stats.BY_LABELS_VI[by]: st.column_config.Column(width=130), **COLUMN_CONFIG})
    workbook = common.cached(giao_ban.statistics_workbook, period, chosen.units)
    st.download_button("Tải biểu thống kê (.xlsx)", workbook, stats.statistics_file_name(period),
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/download:", on_click="ignore", key="stats_download")

"""Hồ sơ sắp đến hạn: open dossiers due within a few working days and those already overdue."""
import datetime as dt

import streamlit as st

from cchc_metrics import app_services, metrics, watchlist
from cchc_metrics.formatting import NO_DATA_SHORT, display_table, format_date, format_number, styled_table
from app_pages import common

COLUMNS = {
    "state": ("Trạng thái", "text"), "working_days_left": ("Ngày làm việc còn lại", "int"),
    "due_at": ("Hạn trả", "date"), "dossier_id": ("Mã hồ sơ", "text"), "unit": ("Đơn vị", "text"),
    "officer": ("Cán bộ xử lý", "text"), "procedure_name": ("Thủ tục", "text"), "field": ("Lĩnh vực", "text"),
    "received_at": ("Ngày tiếp nhận", "date"),
}
# On screen, the columns a clerk acts on, sized to fit 1366 px (the downloads keep every column).
SHOWN = {name: COLUMNS[name] for name in ("state", "working_days_left", "due_at", "dossier_id", "unit", "officer",
                                          "procedure_name")}
WIDTHS = {"Trạng thái": 82, "Ngày làm việc còn lại": 62, "Hạn trả": 85, "Mã hồ sơ": 180, "Đơn vị": 165,
          "Cán bộ xử lý": 125, "Thủ tục": 200}
SHOWN_CONFIG = {**{label: st.column_config.Column(width=width) for label, width in WIDTHS.items()},
                "Ngày làm việc còn lại": st.column_config.NumberColumn(
                    "Còn lại", width=WIDTHS["Ngày làm việc còn lại"],
                    help="Số ngày làm việc còn lại đến hạn trả; số âm là số ngày đã quá hạn.")}

chosen = common.filters()
st.title("Hồ sơ sắp đến hạn")
with common.user_errors():
    freshness = common.cached(metrics.data_freshness)
    default_day = app_services.default_as_of(freshness.get("latest_dossier_at"), dt.date.today())
    left, middle, right = st.columns([1, 1, 2])
    typed_day = left.text_input("Tính đến ngày (ngày/tháng/năm)", format_date(default_day), key="due_as_of",
                                help="Gõ ngày theo dạng ngày/tháng/năm, ví dụ 22/11/2023.")
    as_of = app_services.parse_day(typed_day)
    days = middle.number_input("Sắp đến hạn trong (ngày làm việc)", 0, 30, 2, key="due_days")
    officers = right.multiselect("Cán bộ xử lý", common.cached(metrics.list_officers, chosen.units),
                                 placeholder="Tất cả cán bộ", key="due_officers")
    st.caption(f"Phạm vi: {chosen.units_label} (chọn đơn vị ở thanh bên trái). Số ngày làm việc còn lại đã trừ "
               "thứ Bảy, Chủ nhật và ngày nghỉ lễ; số âm là số ngày đã quá hạn.")
    if as_of is None:
        st.error(f"«{typed_day}» không phải là một ngày hợp lệ. Hãy gõ theo dạng ngày/tháng/năm, ví dụ "
                 f"{format_date(default_day)}. Danh sách dưới đây tạm tính đến ngày {format_date(default_day)}.",
                 icon=":material/event_busy:")
        as_of = default_day
    if default_day < dt.date.today():
        st.caption(f"Dữ liệu chỉ đến ngày {format_date(default_day)} nên danh sách mặc định tính đến ngày đó.")
    due = common.cached(watchlist.due_soon, as_of, int(days), units=chosen.units, officers=officers or None)
    counts = watchlist.count_by_state(due)
    blind_spot = watchlist.untracked_message_vi(
        common.cached(watchlist.untracked, as_of, units=chosen.units, officers=officers or None))
    first, second = st.columns(2)
    first.metric("Quá hạn", format_number(counts[watchlist.STATE_OVERDUE]), border=True)
    second.metric(f"Sắp đến hạn trong {days} ngày làm việc", format_number(counts[watchlist.STATE_DUE_SOON]),
                  border=True)
    if blind_spot:
        st.warning(blind_spot, icon=":material/visibility_off:")
    if due.empty and not blind_spot:
        st.success("Không có hồ sơ nào sắp đến hạn hoặc quá hạn.", icon=":material/check_circle:")
    elif due.empty:
        st.info("Trong các hồ sơ theo dõi được, không có hồ sơ nào sắp đến hạn hoặc quá hạn.")
    else:
        st.dataframe(styled_table(due, SHOWN), hide_index=True, placeholder=NO_DATA_SHORT,
                     column_config=SHOWN_CONFIG)
        st.caption("Tên thủ tục đầy đủ, lĩnh vực và ngày tiếp nhận có trong tệp tải về (CSV, Excel).")
        shown = display_table(due, COLUMNS)
        name = f"ho-so-sap-den-han-{as_of:%d-%m-%Y}"
        csv_col, xlsx_col = st.columns([1, 5])
        csv_col.download_button("Tải CSV", app_services.table_to_csv(shown), f"{name}.csv", "text/csv",
                                icon=":material/download:", on_click="ignore")
        xlsx_col.download_button("Tải Excel", app_services.table_to_xlsx(shown, "Sắp đến hạn"), f"{name}.xlsx",
                                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                 icon=":material/download:", on_click="ignore")

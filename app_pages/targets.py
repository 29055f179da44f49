"""Chỉ tiêu & thang điểm: view and change the year's targets, rules and manual values."""
import streamlit as st

from cchc_metrics import app_services, settings
from cchc_metrics.formatting import format_date
from app_pages import common

PERCENT_HELP = "Nhập phần trăm, ví dụ 55 nghĩa là 55%; có thể dùng dấu phẩy thập phân (99,5)."
NUMBER_HELP = "Dùng dấu phẩy thập phân, ví dụ 4,5. Để trống nếu không dùng."
COLUMNS = {
    "code": st.column_config.TextColumn("Mã", disabled=True, pinned=True),
    "name": st.column_config.TextColumn("Tiêu chí", disabled=True, width="large"),
    "indicator": None,
    "rule": st.column_config.SelectboxColumn(
        "Cách tính điểm", options=list(app_services.EDITOR_RULE_LABELS.values()), required=True, width="medium"),
    "max_points": st.column_config.TextColumn("Điểm tối đa", help=NUMBER_HELP),
    "target": st.column_config.TextColumn("Chỉ tiêu (%)", help=PERCENT_HELP),
    "threshold": st.column_config.TextColumn("Ngưỡng đủ điểm (%)", help=PERCENT_HELP),
    "bands": st.column_config.TextColumn("Các mức điểm", width="medium", help=(
        "Dạng «tỷ lệ %:điểm», cách nhau bởi dấu chấm phẩy, ví dụ «100:5; 99:4,5; 96:2».")),
    "manual_numerator": st.column_config.TextColumn("Tử số nhập tay", help=NUMBER_HELP),
    "manual_denominator": st.column_config.TextColumn("Mẫu số nhập tay", help=NUMBER_HELP),
    "manual_points": st.column_config.TextColumn("Điểm nhập tay", help=NUMBER_HELP),
    "deduction": st.column_config.CheckboxColumn("Trừ 30% (phải giải trình)"),
    "deduction_base": st.column_config.TextColumn("Điểm trước khi trừ", help=NUMBER_HELP),
    "note": st.column_config.TextColumn("Ghi chú", disabled=True, width="large"),
}
MESSAGE_KEY = "targets_message"

chosen = common.filters()
st.title("Chỉ tiêu & thang điểm")
st.caption(f"Năm đánh giá {chosen.year}. Thay đổi chỉ áp dụng cho năm này; tệp mặc định đi kèm phần mềm "
           "không bị sửa và có thể khôi phục bất cứ lúc nào.")
if chosen.period:  # calendar periods (766): typed-in figures belong to the period chosen
    st.caption(f"Số liệu nhập tay (tử số, mẫu số, điểm) được lưu cho kỳ {format_date(chosen.period[0])} – "
               f"{format_date(chosen.period[1])} như Cổng DVCQG hiển thị cho kỳ đó; các cột khác áp dụng cho cả năm.")
if message := st.session_state.pop(MESSAGE_KEY, None):
    st.success(message, icon=":material/check_circle:")
with common.user_errors():
    table = app_services.criteria_for_editor(
        common.cached(settings.editable_criteria, chosen.framework, chosen.year, period=chosen.period))
    editor_key = f"criteria_editor_{chosen.framework}_{chosen.year}" + (
        f"_{chosen.period[0]:%Y%m%d}_{chosen.period[1]:%Y%m%d}" if chosen.period else "")
    may_edit = common.can_edit()
    edited = st.data_editor(table, key=editor_key, column_config=COLUMNS, hide_index=True,
                            num_rows="fixed", disabled=not may_edit, height="content")
    if common.require_editor("sửa chỉ tiêu và thang điểm"):
        save, reset = st.columns([1, 5])
        if save.button("Lưu", type="primary", icon=":material/save:", key="targets_save"):
            common.run(settings.save_criteria, chosen.framework, chosen.year,
                       app_services.criteria_from_editor(edited), period=chosen.period)
            st.session_state.pop(editor_key, None)
            st.session_state[MESSAGE_KEY] = "Đã lưu chỉ tiêu và thang điểm. Điểm số đã được tính lại."
            st.rerun()
        if reset.button("Khôi phục mặc định", icon=":material/restart_alt:", key="targets_reset"):
            common.run(settings.reset_criteria, chosen.framework, chosen.year)
            st.session_state.pop(editor_key, None)
            st.session_state[MESSAGE_KEY] = "Đã khôi phục chỉ tiêu và thang điểm mặc định của năm này."
            st.rerun()

    st.subheader("Ngày bắt đầu năm đánh giá")
    start, end = common.cached(app_services.evaluation_period, chosen.framework, chosen.year)
    st.caption(f"Năm đánh giá {chosen.year} tính từ {format_date(start)} đến {format_date(end)} "
               "(mặc định từ 15/12 năm trước đến 14/12).")
    if may_edit:
        day_box, month_box, button_box = st.columns([1, 1, 3], vertical_alignment="bottom")
        key = f"{chosen.framework}_{chosen.year}"
        day = day_box.number_input("Ngày", 1, 31, start.day, key=f"start_day_{key}")
        month = month_box.number_input("Tháng", 1, 12, start.month, key=f"start_month_{key}")
        if button_box.button("Lưu ngày bắt đầu", icon=":material/event:", key="start_day_save"):
            common.run(settings.save_start_day, chosen.framework, chosen.year, int(day), int(month))
            st.session_state[MESSAGE_KEY] = (f"Đã đổi ngày bắt đầu năm đánh giá {chosen.year} thành "
                                             f"{int(day):02d}/{int(month):02d}. Điểm số đã được tính lại.")
            st.rerun()

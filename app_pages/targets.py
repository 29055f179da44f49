"""Chỉ tiêu & thang điểm: view and change the year's targets, rules and manual values."""
import streamlit as st

from cchc_metrics import app_services, settings, targets_editor, workdays
from cchc_metrics.formatting import NO_DATA_SHORT, format_date, styled_table
from app_pages import common

PERCENT_HELP = "Nhập phần trăm, ví dụ 55 nghĩa là 55%; có thể dùng dấu phẩy thập phân (99,5)."
NUMBER_HELP = "Dùng dấu phẩy thập phân, ví dụ 4,5. Để trống nếu không dùng."
RULE_COLUMNS = {
    "code": st.column_config.TextColumn("Mã", disabled=True, pinned=True, width=85),
    "name": st.column_config.TextColumn("Tiêu chí", disabled=True, width=250),
    "rule": st.column_config.SelectboxColumn(
        "Cách tính điểm", options=list(app_services.EDITOR_RULE_LABELS.values()), required=True, width=190),
    "max_points": st.column_config.TextColumn("Điểm tối đa", help=NUMBER_HELP, width=105),
    "target": st.column_config.TextColumn("Chỉ tiêu (%)", help=PERCENT_HELP, width=105),
    "threshold": st.column_config.TextColumn("Ngưỡng đủ điểm (%)", help=PERCENT_HELP, width=160),
}
MANUAL_COLUMNS = {
    "code": st.column_config.TextColumn("Mã", disabled=True, pinned=True, width=85),
    "name": st.column_config.TextColumn("Tiêu chí", disabled=True, width=250),
    "manual_numerator": st.column_config.TextColumn("Tử số", help=NUMBER_HELP, width=70),
    "manual_denominator": st.column_config.TextColumn("Mẫu số", help=NUMBER_HELP, width=70),
    "manual_points": st.column_config.TextColumn("Điểm nhập tay", help=NUMBER_HELP, width=105),
    "deduction": st.column_config.CheckboxColumn("Trừ 30%", help="Minh chứng phải giải trình bổ sung.", width=75),
    "deduction_base": st.column_config.TextColumn("Điểm trước khi trừ", help=NUMBER_HELP, width=140),
}
BAND_COLUMNS = {
    "lower": st.column_config.TextColumn("Từ tỷ lệ (%)", help=PERCENT_HELP, width=110, required=True),
    "points": st.column_config.TextColumn("Điểm", help=NUMBER_HELP, width=80, required=True),
}
BANDS_PER_ROW = 3
MESSAGE_KEY = "targets_message"
CALENDAR_KINDS = {"Ngày nghỉ": False, "Ngày làm việc (làm bù)": True}



def clear_editors(editor_key: str) -> None:
    """Forget the edits of every table of this framework and year, so they show the saved values."""
    for key in [k for k in st.session_state if str(k).startswith(editor_key)]:
        st.session_state.pop(key, None)


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
    st.subheader("Cách tính điểm và chỉ tiêu")
    rules = st.data_editor(targets_editor.rules_table(table), key=f"{editor_key}_rules", column_config=RULE_COLUMNS,
                           hide_index=True, num_rows="fixed", disabled=not may_edit, height="content")
    st.subheader("Số liệu nhập tay")
    st.caption("Tiêu chí không tính được từ dữ liệu hồ sơ: nhập tử số và mẫu số (số nhiệm vụ, số phản ánh, "
               "kiến nghị…) hoặc nhập thẳng điểm; đánh dấu «Trừ 30%» khi minh chứng phải giải trình bổ sung.")
    manual = st.data_editor(targets_editor.manual_table(table), key=f"{editor_key}_manual",
                            column_config=MANUAL_COLUMNS, hide_index=True, num_rows="fixed",
                            disabled=not may_edit, height="content")
    banded = targets_editor.banded_codes(rules, app_services.EDITOR_RULE_LABELS["bands"])
    bands = {}
    if banded:
        st.subheader("Các mức điểm")
        st.caption("Mỗi dòng: tỷ lệ từ bao nhiêu phần trăm trở lên thì được bao nhiêu điểm. Thêm hoặc xóa dòng "
                   "ở cuối bảng.")
        names = dict(zip(table["code"], table["name"]))
        bands_text = dict(zip(table["code"], table["bands"]))
        for start_at in range(0, len(banded), BANDS_PER_ROW):
            for column, code in zip(st.columns(BANDS_PER_ROW), banded[start_at:start_at + BANDS_PER_ROW]):
                column.markdown(f"**{app_services.escape_markdown(code)}** · "
                                f"{app_services.escape_markdown(names[code])}")
                bands[code] = column.data_editor(
                    targets_editor.bands_table(bands_text[code]), key=f"{editor_key}_bands_{code}",
                    column_config=BAND_COLUMNS, hide_index=True, num_rows="dynamic", disabled=not may_edit)
    with st.expander("Ghi chú về các tiêu chí"):
        st.markdown("\n".join(f"- **{app_services.escape_markdown(code)}**: {app_services.escape_markdown(note)}"
                               for code, note in targets_editor.notes(table)) or "Không có ghi chú.")
    if common.require_editor("sửa chỉ tiêu và thang điểm"):
        save, reset = st.columns([1, 5])
        if save.button("Lưu", type="primary", icon=":material/save:", key="targets_save"):
            edited = targets_editor.merge_edited(table, rules, manual, bands)
            common.run(settings.save_criteria, chosen.framework, chosen.year,
                       app_services.criteria_from_editor(edited), period=chosen.period)
            clear_editors(editor_key)
            st.session_state[MESSAGE_KEY] = "Đã lưu chỉ tiêu và thang điểm. Điểm số đã được tính lại."
            st.rerun()
        if reset.button("Khôi phục mặc định", icon=":material/restart_alt:", key="targets_reset"):
            common.run(settings.reset_criteria, chosen.framework, chosen.year)
            clear_editors(editor_key)
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

    st.subheader("Ngày nghỉ lễ và ngày làm bù")
    st.caption("Ngày nghỉ lễ, Tết và ngày làm bù hằng năm đã có sẵn theo lịch của Nhà nước. Khi có thông báo "
               "muộn (nghỉ thêm, hoán đổi ngày làm việc), hãy thêm ngày đó ở đây: số ngày làm việc còn lại của "
               "hồ sơ sắp đến hạn, số ngày trễ và điểm dự kiến cuối năm được tính lại ngay.")
    overrides = common.cached(workdays.list_overrides)
    if overrides.empty:
        st.caption("Chưa có ngày nào được sửa.")
    else:
        st.dataframe(styled_table(overrides.assign(kind=workdays.override_kinds_vi(overrides)), {
            "day": ("Ngày", "date"), "kind": ("Loại ngày", "text"), "note": ("Ghi chú", "text")}),
            hide_index=True, placeholder=NO_DATA_SHORT, width="content")
    if may_edit:
        day_box, kind_box, note_box, add_box = st.columns([1.1, 1.4, 2, 1.2], vertical_alignment="bottom")
        typed = day_box.text_input("Ngày (ngày/tháng/năm)", key="calendar_day", placeholder="ví dụ 02/05/2025")
        kind = kind_box.selectbox("Là", list(CALENDAR_KINDS), key="calendar_kind")
        note = note_box.text_input("Ghi chú", key="calendar_note", placeholder="ví dụ: làm bù cho ngày 02/05")
        if add_box.button("Thêm / sửa ngày", icon=":material/event_available:", key="calendar_add"):
            day = app_services.parse_day(typed)
            if day is None:
                st.error(f"«{app_services.escape_markdown(typed)}» không phải là một ngày hợp lệ. Hãy gõ theo dạng ngày/tháng/năm, ví dụ 02/05/2025.",
                         icon=":material/event_busy:")
            else:
                common.run(workdays.save_override, day, CALENDAR_KINDS[kind], note)
                st.session_state[MESSAGE_KEY] = (f"Đã lưu: {workdays.override_label_vi(day, CALENDAR_KINDS[kind], note)}. "
                                                 "Số ngày làm việc và điểm dự kiến đã được tính lại.")
                st.rerun()
        if not overrides.empty:
            remove_box, button_box = st.columns([3, 2], vertical_alignment="bottom")
            choices = workdays.override_choices(overrides)
            chosen_day = remove_box.selectbox("Bỏ một ngày đã sửa", list(choices), format_func=choices.get,
                                              key="calendar_remove_day")
            if button_box.button("Bỏ ngày này", icon=":material/event_busy:", key="calendar_remove"):
                common.run(workdays.remove_override, chosen_day)
                st.session_state[MESSAGE_KEY] = (f"Đã bỏ ngày {chosen_day:%d/%m/%Y}: ngày này lại theo lịch của "
                                                 "Nhà nước.")
                st.rerun()

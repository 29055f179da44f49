"""Cán bộ: each officer's share of late dossiers, flagged at the plan's 10% rating threshold."""
import streamlit as st

from cchc_metrics import app_services, officers
from cchc_metrics.formatting import NO_DATA_SHORT, format_number, format_percent, styled_table
from app_pages import common

chosen = common.filters()
st.title("Cán bộ xử lý hồ sơ")
with common.user_errors():
    start, end = common.cached(app_services.evaluation_period, chosen.framework, chosen.year)
    shares = common.cached(officers.officer_late_shares, start, end, units=chosen.units)
    flagged = officers.flagged_officers(shares)
    st.caption(f"Hồ sơ giải quyết trong năm đánh giá {chosen.year} ({chosen.units_label}). Cán bộ có tỷ lệ "
               f"trễ hạn từ {format_percent(officers.DEFAULT_THRESHOLD, 0)} trở lên không được xếp loại "
               "«hoàn thành tốt nhiệm vụ» trở lên.")
    first, second = st.columns(2)
    first.metric("Số cán bộ có hồ sơ giải quyết", format_number(len(shares)), border=True)
    second.metric(f"Trễ hạn từ {format_percent(officers.DEFAULT_THRESHOLD, 0)} trở lên",
                  format_number(len(flagged)), border=True)
    only_flagged = st.toggle("Chỉ hiện cán bộ cần lưu ý", key="officers_only_flagged")
    shown = flagged if only_flagged else shares
    if shown.empty:
        st.success("Không có cán bộ nào cần lưu ý.", icon=":material/check_circle:")
    else:
        st.dataframe(styled_table(shown.assign(flag=app_services.flag_marks(shown)), {
            "unit": ("Đơn vị", "text"), "officer": ("Cán bộ", "text"), "resolved": ("Đã giải quyết", "int"),
            "late": ("Trễ hạn", "int"), "late_share": ("Tỷ lệ trễ hạn", "percent"), "flag": ("Cần lưu ý", "text"),
        }), hide_index=True, placeholder=NO_DATA_SHORT)

    labels = app_services.late_officer_choices(shares)
    if labels:
        st.subheader("Hồ sơ trễ hạn của một cán bộ")
        unit, officer = labels[st.selectbox("Cán bộ", list(labels), key="officers_late_choice")]
        late = common.cached(officers.late_dossiers, start, end, units=[unit], officers=[officer])
        st.dataframe(styled_table(late, {
            "dossier_id": ("Mã hồ sơ", "text"), "procedure_name": ("Thủ tục", "text"),
            "received_at": ("Ngày tiếp nhận", "date"), "due_at": ("Hạn trả", "date"),
            "finished_at": ("Ngày có kết quả", "date"), "working_days_late": ("Số ngày làm việc trễ", "int"),
        }), hide_index=True, placeholder=NO_DATA_SHORT,
            column_config={"Thủ tục": st.column_config.Column(width=280)})

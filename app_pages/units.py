"""So sánh đơn vị: units side by side against the target, gaps per unit × criterion, one unit in detail."""
import streamlit as st

from cchc_metrics import app_services, charts, scoring, wording
from cchc_metrics.formatting import NO_DATA_SHORT, styled_table
from app_pages import common

DETAIL_COLUMNS = {
    "received": ("Tiếp nhận", "int"), "resolved": ("Đã giải quyết", "int"),
    "resolved_late": ("Trễ hạn", "int"), "on_time_rate": ("Đúng hạn", "percent"),
    "online_rate": ("Trực tuyến", "percent"), "paid_online_rate": ("Thanh toán trực tuyến", "percent"),
    "digitized_rate": ("Số hóa", "percent"), "e_result_rate": ("Kết quả điện tử", "percent"),
}
DRILL_KEY = "units_drill_unit"
CLICKED_KEY = "units_clicked_unit"
DRILL_LEVELS = {"field": "Lĩnh vực", "procedure": "Thủ tục", "officer": "Cán bộ"}

chosen = common.filters()
st.title("So sánh đơn vị")
with common.user_errors():
    by_unit = common.cached(scoring.score_by_unit, chosen.framework, chosen.year, units=chosen.units,
                            period=chosen.period)
    if by_unit.empty:
        st.info("Chưa có dữ liệu theo đơn vị cho năm đánh giá này.")
        st.stop()
    labels = app_services.criterion_labels(by_unit)
    code = st.selectbox("Tiêu chí", list(labels), format_func=labels.get, key="units_criterion")
    target = app_services.criterion_target(by_unit, code)
    event = st.plotly_chart(charts.unit_bars(app_services.criterion_unit_results(by_unit, code), target,
                                             labels[code]), theme=None, key="unit_bars",
                            on_select="rerun", selection_mode="points")
    without_data = app_services.units_without_data(by_unit, code)
    if without_data:
        st.caption(app_services.escape_markdown(
            "Chưa có dữ liệu (không vẽ cột): " + "; ".join(without_data) + "."))
    unit_names = app_services.unit_names(by_unit)
    clicked = next((point.get("y") for point in event.selection.points), None)
    if clicked in unit_names and clicked != st.session_state.get(CLICKED_KEY):  # a new click picks the unit below
        st.session_state[CLICKED_KEY] = clicked
        st.session_state[DRILL_KEY] = clicked
    st.caption("Tỷ trọng điểm bị mất: phần điểm bị mất của tiêu chí này do từng đơn vị gây ra.")
    rows = wording.with_unit_missing(app_services.with_no_data_notes(app_services.units_by_lost_share(by_unit, code)))
    st.dataframe(styled_table(rows, {
        "unit": ("Đơn vị", "text"), "ratio": ("Kết quả", "percent"), "numerator": ("Tử số", "int"),
        "denominator": ("Mẫu số", "int"), "missing": ("Còn thiếu (hồ sơ)", "int"),
        "points_lost_share": ("Tỷ trọng điểm bị mất", "percent"), "no_data_vi": ("Ghi chú dữ liệu", "text"),
    }), hide_index=True, placeholder=NO_DATA_SHORT, height="content")

    st.plotly_chart(charts.gap_heatmap(by_unit), theme=None, key="gap_heatmap")
    st.caption("Mã tiêu chí: " + "; ".join(f"{key} – {name}" for key, name in labels.items()) + ".")

    st.subheader("Chi tiết một đơn vị")
    unit = st.selectbox("Đơn vị (hoặc bấm vào một thanh ở biểu đồ trên)", unit_names, key=DRILL_KEY)
    level = st.radio("Xem theo", list(DRILL_LEVELS), format_func=DRILL_LEVELS.get, horizontal=True,
                     key="units_drill_level")
    detail = common.cached(app_services.unit_breakdown, chosen.framework, chosen.year, unit, level)
    st.dataframe(styled_table(app_services.with_missing_columns_note(detail),
                               {level: (DRILL_LEVELS[level], "text"), **DETAIL_COLUMNS,
                                "no_data_vi": ("Ghi chú dữ liệu", "text")}), hide_index=True, placeholder=NO_DATA_SHORT)

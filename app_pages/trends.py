"""Xu hướng: each indicator month by month against its target, with the projection to year end."""
import streamlit as st

from cchc_metrics import app_services, charts, metrics, scoring
from cchc_metrics.formatting import is_missing
from app_pages import common

ALL_UNITS = "Tất cả đơn vị đang chọn"

chosen = common.filters()
st.title("Xu hướng theo tháng")
with common.user_errors():
    year_label = common.cached(app_services.evaluation_year_labels).get(chosen.year, str(chosen.year))
    if year_label != str(chosen.year):
        st.warning(f"Năm đánh giá {year_label}: kết quả và điểm của năm này chưa có ý nghĩa. Hãy chọn năm đánh "
                   "giá có đủ dữ liệu ở thanh bên trái, hoặc tải thêm dữ liệu của năm này.", icon=":material/event_note:")
    units = chosen.units or common.cached(metrics.list_units)
    unit = st.selectbox("Đơn vị", [ALL_UNITS, *units], key="trend_unit")
    scope = chosen.units if unit == ALL_UNITS else [unit]
    report = common.cached(scoring.score_year, chosen.framework, chosen.year, units=scope)
    series = common.cached(scoring.monthly_series, chosen.framework, chosen.year, units=scope)
    scored = report.scored_rows()
    if scored.empty:
        st.info("Bộ tiêu chí này không có chỉ số nào tính từ dữ liệu hồ sơ.")
        st.stop()
    year_over = report.as_of >= report.end
    st.caption("Đường xám: kết quả từng tháng. Đường xanh đậm: lũy kế từ đầu năm (con số được chấm điểm). "
               + ("" if year_over else "Đường chấm: dự kiến cuối năm đánh giá nếu giữ nhịp hiện tại. ")
               + "Đường đỏ gạch: chỉ tiêu.")
    for row in scored.itertuples(index=False):
        if is_missing(row.ratio):
            st.caption(app_services.escape_markdown(f"{row.name} ({row.code}): "
                                                    + app_services.no_data_text(row.no_data_reason_vi)))
        st.plotly_chart(charts.trend_chart(scoring.criterion_series(series, row.code), row.target,
                                           f"{row.name} ({row.code})",
                                           projection=None if year_over else (report.end, row.projected_ratio)),
                        theme=None, key=f"trend_{row.code}")

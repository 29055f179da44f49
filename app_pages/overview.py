"""Tổng quan: the year's score per criterion, where points are lost and how fresh the data is."""
import datetime as dt

import streamlit as st

from cchc_metrics import app_services, charts, metrics, scoring
from cchc_metrics.formatting import (format_date, format_fraction, format_number,
                                     format_percent, format_points, format_shortfall_pp, is_missing)
from app_pages import common

CARDS_PER_ROW = 3
DELTA_COLOURS = {"met": "green", "close": "orange", "missed": "red"}


def criterion_card(row) -> None:
    with st.container(border=True):
        st.markdown(f"**{app_services.escape_markdown(row.name)}**  \n:gray[{app_services.escape_markdown(row.code)}]")
        if is_missing(row.points):  # no data is not zero: say so, and why
            st.metric("Kết quả", app_services.NO_DATA_LABEL_VI)
            st.caption(f"{app_services.escape_markdown(app_services.no_data_text(row.no_data_reason_vi))}  \n"
                       f"Điểm: **chưa tính được** / {format_points(row.max_points)}")
            return
        if not is_missing(row.score_note_vi):  # e.g. the portal's 0 for a period without dossiers
            st.metric("Điểm", f"{format_points(row.points)} / {format_points(row.max_points)}")
            st.caption(app_services.escape_markdown(row.score_note_vi))
            return
        if is_missing(row.ratio) and row.indicator == "manual":
            st.metric("Điểm (nhập tay)", f"{format_points(row.points)} / {format_points(row.max_points)}")
            return
        status = charts.status_for(row.ratio, row.target)
        st.metric("Kết quả", format_percent(row.ratio),
                  delta=None if status == "none" else format_shortfall_pp(row.gap_pp).capitalize(),
                  delta_color=DELTA_COLOURS.get(status, "off"), delta_arrow="up" if status == "met" else "down")
        st.caption(f"Chỉ tiêu: {format_percent(row.target)} · {format_fraction(row.numerator, row.denominator)}  \n"
                   f"Điểm: **{format_points(row.points)} / {format_points(row.max_points)}** · "
                   f"dự kiến cuối năm: {format_points(row.projected_points)}")


def freshness_notice(freshness: dict) -> None:
    latest = freshness.get("latest_dossier_at")
    age = app_services.stale_days(latest, dt.date.today())
    if freshness.get("dossier_count", 0) == 0:
        st.warning("Chưa có hồ sơ nào trong cơ sở dữ liệu. Hãy tải tệp xuất từ phần mềm Một cửa ở trang "
                   "«Tải dữ liệu».", icon=":material/info:")
    elif age is not None and not freshness.get("is_sample"):  # the sample banner already says it
        st.warning(f"Dữ liệu mới nhất là ngày {format_date(latest)}, cách đây {format_number(age)} ngày. "
                   "Số liệu có thể đã cũ: hãy tải tệp xuất mới nhất ở trang «Tải dữ liệu».",
                   icon=":material/schedule:")


chosen = common.filters()
st.title("Tổng quan")
with common.user_errors():
    report = common.score_report(chosen)
    freshness = common.cached(metrics.data_freshness)
    period = "kỳ chấm điểm" if chosen.period else f"năm đánh giá {report.year}"
    st.caption(f"{report.framework_title} · {period}: {format_date(report.start)} – "
               f"{format_date(report.end)} · số liệu đến ngày {format_date(report.as_of)} · {chosen.units_label}")
    freshness_notice(freshness)

    rows = report.rows
    total, projected, lost, unknown = st.columns(4)
    total.metric("Tổng điểm hiện tại", f"{format_points(report.total)} / {format_points(report.max_total)}",
                 border=True)
    projected.metric("Dự kiến cuối năm", format_points(report.projected_total), border=True,
                     help="Chỉ cộng các tiêu chí đã có dữ liệu; tiêu chí chưa có dữ liệu vẫn chưa tính được.")
    lost.metric("Điểm bị mất", format_points(report.points_lost_total), border=True)
    unknown.metric("Điểm chưa tính được", format_points(report.points_unknown), border=True,
                   help="Điểm tối đa của các tiêu chí chưa có dữ liệu (tệp tải lên thiếu cột cần thiết, "
                        "chưa có hồ sơ hoặc chưa nhập số liệu): không tính là mất điểm.")

    st.subheader("Kết quả từng tiêu chí")
    records = list(rows.itertuples(index=False))
    for start in range(0, len(records), CARDS_PER_ROW):
        for column, row in zip(st.columns(CARDS_PER_ROW), records[start:start + CARDS_PER_ROW]):
            with column:
                criterion_card(row)

    if not report.parts.empty:
        with st.expander("Chỉ số thành phần (như Cổng DVCQG hiển thị)"):
            st.dataframe(app_services.parts_table(report.parts), hide_index=True)

    if not report.department_rows.empty:  # units selected: typed-in criteria are the department's
        st.subheader(scoring.DEPARTMENT_WIDE_VI)
        st.caption("Điểm nhập tay của cả Sở: chỉ để tham khảo, không cộng vào tổng điểm của đơn vị đã chọn.")
        department = list(report.department_rows.itertuples(index=False))
        for start in range(0, len(department), CARDS_PER_ROW):
            for column, row in zip(st.columns(CARDS_PER_ROW), department[start:start + CARDS_PER_ROW]):
                with column:
                    criterion_card(row)

    st.html(charts.bullet_chart_html(report.scored_rows()))

    st.subheader("Nơi có thể lấy lại nhiều điểm nhất")
    recoverable = report.recovery_ranking()
    if recoverable.empty:
        st.success("Không còn tiêu chí nào có thể lấy lại điểm trong năm nay.", icon=":material/check_circle:")
    for rank, row in enumerate(recoverable.itertuples(index=False), start=1):
        action = row.what_it_takes_vi if not is_missing(row.what_it_takes_vi) else "Tiêu chí chấm theo số liệu nhập tay: cập nhật ở trang «Chỉ tiêu & thang điểm»."
        owner = (f" · Đơn vị chịu trách nhiệm: {app_services.escape_markdown(row.responsible_unit)}"
                 if not is_missing(row.responsible_unit) else "")
        st.markdown(f"{rank}. **{app_services.escape_markdown(row.name)}** ({app_services.escape_markdown(row.code)}): "
                    f"có thể lấy lại **{format_points(row.recoverable_points)} điểm**.  \n"
                    f"{app_services.escape_markdown(action)}{owner}")

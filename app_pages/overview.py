"""Tổng quan: the year's score per criterion, where points are lost and how fresh the data is."""
import datetime as dt

import streamlit as st

from cchc_metrics import app_services, charts, metrics, priorities, scoring, wording
from cchc_metrics.formatting import (NO_DATA_LABEL, format_date, format_datetime, format_missing,
                                     format_number, format_percent, format_points, is_missing)
from app_pages import common

CARDS_PER_ROW = 3
# The first screen of a 1366×768 office laptop holds the totals and the three criteria to act on:
# less space above the title and smaller figures in the totals than Streamlit's defaults.
FIRST_SCREEN_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
[data-testid="stMetricValue"] { font-size: 1.45rem; }
</style>"""
DELTA_COLOURS = {"met": "green", "close": "orange", "missed": "red"}


def criterion_card(row, nouns: wording.Nouns, term: str) -> None:
    with st.container(border=True):
        st.markdown(f"**{app_services.escape_markdown(row.name)}**  \n:gray[{app_services.escape_markdown(row.code)}]")
        if is_missing(row.points):  # no data is not zero: say so, and why
            st.metric("Kết quả", NO_DATA_LABEL)
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
                  delta=None if status == "none" else wording.gap_vi(row, nouns, short=True).capitalize(),
                  delta_color=DELTA_COLOURS.get(status, "off"), delta_arrow="up" if status == "met" else "down")
        st.caption(f"Chỉ tiêu: {format_percent(row.target)} · {wording.fraction_vi(row, nouns)} · "
                   f"{wording.gap_vi(row, nouns)}  \n"
                   f"Điểm: **{format_points(row.points)} / {format_points(row.max_points)}** · "
                   f"dự kiến cuối {term}: {format_points(row.projected_points)}")


def priority_card(rank: int, priority: priorities.Priority) -> None:
    """One criterion worth the most recoverable points: the units to call on, with their counts."""
    with st.container(border=True):
        st.markdown(f"**{rank}. {app_services.escape_markdown(priority.name)}**  \n"
                    f":gray[{app_services.escape_markdown(priority.code)}] · có thể lấy lại "
                    f"**{format_points(priority.recoverable_points)} điểm** · "
                    f"{format_missing(priority.missing, priority.counted_vi)}")
        lines = []
        if priority.most_missing:
            lines.append(":material/groups: Thiếu nhiều nhất: "
                         + app_services.escape_markdown(priority.most_missing.text_vi()))
        if priority.worst_rate:
            lines.append(":material/trending_down: Tỷ lệ thấp nhất: "
                         + app_services.escape_markdown(priority.worst_rate.text_vi()))
        if lines:
            st.caption("  \n".join(lines))


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
st.html(FIRST_SCREEN_CSS)
st.title("Tổng quan")
with common.user_errors():
    report = common.score_report(chosen)
    freshness = common.cached(metrics.data_freshness)
    period = "kỳ chấm điểm" if chosen.period else f"năm đánh giá {report.year}"
    term = scoring.PERIOD_TERM_VI if chosen.period else scoring.YEAR_TERM_VI
    st.caption(f"{report.framework_title} · {period}: {format_date(report.start)} – "
               f"{format_date(report.end)} · số liệu đến ngày {format_date(report.as_of)} · {chosen.units_label}")
    freshness_notice(freshness)

    rows = report.rows
    total, projected, lost, unknown, fresh = st.columns([1.15, 1, 0.9, 1.25, 1.1])
    total.metric("Tổng điểm hiện tại", f"{format_points(report.total)} / {format_points(report.max_total)}",
                 border=True)
    projected.metric(f"Dự kiến cuối {term}", format_points(report.projected_total), border=True,
                     help="Chỉ cộng các tiêu chí đã có dữ liệu; tiêu chí chưa có dữ liệu vẫn chưa tính được.")
    lost.metric("Điểm bị mất", format_points(report.points_lost_total), border=True)
    unknown.metric("Điểm chưa tính được", format_points(report.points_unknown), border=True,
                   help="Điểm tối đa của các tiêu chí chưa có dữ liệu (tệp tải lên thiếu cột cần thiết, "
                        "chưa có hồ sơ hoặc chưa nhập số liệu): không tính là mất điểm.")
    fresh.metric("Hồ sơ mới nhất", format_date(freshness.get("latest_dossier_at")), border=True,
                 help=f"Ngày của hồ sơ mới nhất trong dữ liệu. Lần tải gần nhất: "
                      f"{format_datetime(freshness.get('last_upload_at'))}.")

    st.subheader("Việc cần làm: nơi lấy lại nhiều điểm nhất")
    top = common.cached(priorities.week_priorities, chosen.framework, chosen.year, units=chosen.units,
                        period=chosen.period)
    if not top:
        st.success(f"Không còn tiêu chí tính từ dữ liệu hồ sơ nào có thể lấy lại điểm trong {term} này.",
                   icon=":material/check_circle:")
    for column, (rank, priority) in zip(st.columns(priorities.TOP_CRITERIA), enumerate(top, start=1)):
        with column:
            priority_card(rank, priority)

    st.subheader("Kết quả từng tiêu chí")
    nouns = common.cached(wording.criterion_nouns, chosen.framework, chosen.year)
    records = list(rows.itertuples(index=False))
    for start in range(0, len(records), CARDS_PER_ROW):
        for column, row in zip(st.columns(CARDS_PER_ROW), records[start:start + CARDS_PER_ROW]):
            with column:
                criterion_card(row, nouns.get(row.code, wording.DOSSIER_NOUNS), term)

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
                    criterion_card(row, nouns.get(row.code, wording.DOSSIER_NOUNS), term)

    st.html(charts.bullet_chart_html(report.scored_rows()))

    st.subheader("Mọi tiêu chí còn có thể lấy lại điểm")
    recoverable = report.recovery_ranking()
    if recoverable.empty:
        st.success(f"Không còn tiêu chí nào có thể lấy lại điểm trong {term} này.", icon=":material/check_circle:")
    for rank, row in enumerate(recoverable.itertuples(index=False), start=1):
        action = row.what_it_takes_vi if not is_missing(row.what_it_takes_vi) else (
            f"{wording.gap_vi(row, nouns.get(row.code, wording.DOSSIER_NOUNS)).capitalize()}: tiêu chí nhập tay, "
            "cập nhật ở trang «Chỉ tiêu & thang điểm».")
        owner = (f" · Đơn vị chịu trách nhiệm: {app_services.escape_markdown(row.responsible_unit)}"
                 if not is_missing(row.responsible_unit) else "")
        st.markdown(f"{rank}. **{app_services.escape_markdown(row.name)}** ({app_services.escape_markdown(row.code)}): "
                    f"có thể lấy lại **{format_points(row.recoverable_points)} điểm**.  \n"
                    f"{app_services.escape_markdown(action)}{owner}")

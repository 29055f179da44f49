"""CCHC Dashboard: `streamlit run dashboard.py`.

Builds the navigation, the sidebar shared by every page (framework, evaluation year, units,
sign-in) and catches whatever a page lets escape, so no traceback ever reaches the user.
On an empty database the sample data is loaded and every page says so.

The file is read twice. `streamlit run` first imports it as a module and finds `app` (an
`st.App`): its start-up hook runs the app once before the server takes visitors, so the
libraries, the database and the overview's numbers are ready for the first one. Then Streamlit
runs it as `__main__` for every visit, which draws the page.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os

import streamlit as st

from cchc_metrics import app_services, auth, frameworks, metrics
from cchc_metrics.errors import CchcError
from cchc_metrics.formatting import format_date, format_datetime, format_number
from app_pages import common

def sign_in_page() -> None:
    st.title("CCHC Dashboard")
    st.write("Ứng dụng này yêu cầu mật khẩu. Vui lòng đăng nhập để xem số liệu.")
    common.sign_in_form("viewer_sign_in", "Mật khẩu")


def sidebar_filters() -> None:
    """Framework, year and units; created here so that their values survive page switches."""
    choices = {f.key: f.title_vi for f in frameworks.list_frameworks()}
    st.sidebar.selectbox("Bộ tiêu chí chấm điểm", list(choices), format_func=choices.get,
                         key=common.FRAMEWORK_KEY)
    calendar = frameworks.uses_calendar_periods(st.session_state[common.FRAMEWORK_KEY])
    today = dt.date.today().year
    labels = (common.cached(app_services.evaluation_year_labels, (1, 1) if calendar else (15, 12))
              or {today: str(today)})
    years = list(labels)
    if st.session_state.get(common.YEAR_KEY) not in years:
        st.session_state.pop(common.YEAR_KEY, None)  # default to the newest year with data
    st.sidebar.selectbox("Năm đánh giá", years, key=common.YEAR_KEY, format_func=labels.get,
                         help=("Năm dương lịch, như Cổng DVCQG chấm Bộ chỉ số 766." if calendar else
                               "Mặc định năm đánh giá Y tính từ 15/12 năm Y-1 đến 14/12 năm Y.")
                         + " Năm có hồ sơ tiếp nhận trong ít tháng được ghi rõ số tháng: điểm của năm đó "
                           "chưa có ý nghĩa.")
    latest = common.cached(metrics.data_freshness).get("latest_dossier_at")
    common.period_choice(latest.date() if latest else None)
    units = common.cached(metrics.list_units)
    st.sidebar.multiselect("Đơn vị", units, key=common.UNITS_KEY, placeholder="Tất cả đơn vị")


def sidebar_access() -> None:
    config = common.access_config()
    if config.is_open:
        st.sidebar.caption(":material/lock_open: Ứng dụng không đặt mật khẩu: ai mở được trang này "
                           "đều xem và sửa được dữ liệu.")
        return
    if common.can_edit():
        st.sidebar.caption(":material/verified_user: Đã đăng nhập: được xem và chỉnh sửa dữ liệu.")
    else:
        with st.sidebar.expander("Đăng nhập để tải dữ liệu, chỉnh sửa"):
            common.sign_in_form("editor_sign_in", "Mật khẩu chỉnh sửa")
    if common.role():
        with st.sidebar:
            common.sign_out_button()


def freshness_notices() -> None:
    freshness = common.cached(metrics.data_freshness)
    if freshness.get("is_sample"):
        st.warning("**Dữ liệu mẫu**: các số liệu đang hiển thị là dữ liệu minh họa đi kèm phần mềm, không "
                   "phải của đơn vị. Hãy tải tệp xuất từ phần mềm Một cửa ở trang «Tải dữ liệu».",
                   icon=":material/science:")
    st.sidebar.caption(f"Số hồ sơ: {format_number(freshness.get('dossier_count'))}  \n"
                       f"Lần tải gần nhất: {format_datetime(freshness.get('last_upload_at'))}  \n"
                       f"Hồ sơ mới nhất: {format_date(freshness.get('latest_dossier_at'))}")


def all_pages() -> dict[str, list]:
    return {
        "Theo dõi": [
            st.Page("app_pages/overview.py", title="Tổng quan", icon=":material/dashboard:", default=True),
            st.Page("app_pages/units.py", title="So sánh đơn vị", icon=":material/compare:"),
            st.Page("app_pages/trends.py", title="Xu hướng", icon=":material/trending_up:"),
            st.Page("app_pages/due_soon.py", title="Hồ sơ sắp đến hạn", icon=":material/alarm:"),
            st.Page("app_pages/officers.py", title="Cán bộ", icon=":material/badge:"),
            st.Page("app_pages/statistics.py", title="Thống kê giải quyết TTHC", icon=":material/table_chart:"),
        ],
        "Dữ liệu và báo cáo": [
            st.Page("app_pages/upload.py", title="Tải dữ liệu", icon=":material/upload_file:"),
            st.Page("app_pages/targets.py", title="Chỉ tiêu & thang điểm", icon=":material/tune:"),
            st.Page("app_pages/export.py", title="Xuất báo cáo", icon=":material/description:"),
        ],
    }


def main() -> None:
    config = common.access_config()
    if not config.is_open:
        common.remember_role()
    if not config.is_open and not common.role() and config.viewer_required:
        st.navigation([st.Page(sign_in_page, title="Đăng nhập", icon=":material/login:")]).run()
        st.html(common.browser_script(), unsafe_allow_javascript=True)  # "Nhấn Enter để gửi" under the box
        common.sync_session_cookie()
        return
    page = st.navigation(all_pages())
    st.html(common.VIETNAMESE_CSS)
    common.database()
    sidebar_filters()
    freshness_notices()
    sidebar_access()
    with st.sidebar:
        common.sync_session_cookie()  # before the page, which may stop the run early
    page.run()
    st.sidebar.html(common.browser_script(), unsafe_allow_javascript=True)


@contextlib.asynccontextmanager
async def warm_up(_app):
    """Server start-up hook: before the server takes its first visitor, run the app once in a hidden
    session (the way Streamlit's script health check does), so that visitor finds everything
    imported, opened and cached. A failing run changes nothing: the visitor then sees the error.
    Then the inbox watcher starts: files copied into the inbox load like uploads (cchc_metrics.inbox)."""
    from streamlit.runtime import Runtime

    from cchc_metrics import db, inbox
    await Runtime.instance().does_script_run_without_error()
    watcher = inbox.InboxWatcher(db.SharedDatabase.for_path(), db.inbox_folder()).start()
    yield
    watcher.stop()


if __name__ == "__main__":  # a visit: Streamlit runs this file as __main__
    # An emoji icon is drawn by the browser itself; a ":material/…:" icon is fetched from fonts.gstatic.com.
    st.set_page_config(page_title="CCHC Dashboard", page_icon="📊", layout="wide")
    try:
        main()
    except CchcError as err:
        st.error(app_services.escape_markdown(str(err)), icon=":material/error:")  # may quote file text
    except Exception:
        common.LOG.exception("Unexpected error in the dashboard")
        st.error(common.APOLOGY, icon=":material/sentiment_dissatisfied:")
else:  # `streamlit run dashboard.py` imports this file to find the server app. The import comes before
    # Streamlit's runtime exists, so Streamlit logs "No runtime found, using MemoryCacheStorageManager"
    # once while checking app_pages.common's cache settings; the caches themselves are made later.
    try:
        common.trust_forwarded_for_only_from(auth.trusted_proxies(os.environ))
    except CchcError as err:   # a mistyped CCHC_TRUSTED_PROXIES: say so and stop, no traceback
        raise SystemExit(str(err)) from None
    app = st.App(__file__, lifespan=warm_up, routes=common.session_routes())

"""Streamlit glue shared by dashboard.py and every page: the shared database, cached queries,
the sidebar choices, access rights and the way errors are shown.

Not a page itself: `st.navigation` in dashboard.py lists the pages explicitly.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import importlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from cchc_metrics import app_services, auth, db, frameworks, ingest, periods, scoring
from cchc_metrics.errors import CchcError

LOG = logging.getLogger("cchc_dashboard")

APOLOGY = ("Xin lỗi, ứng dụng gặp sự cố ngoài dự kiến nên chưa thực hiện được thao tác này. "
           "Dữ liệu đã lưu không bị ảnh hưởng. Vui lòng tải lại trang (phím F5) và thử lại; nếu vẫn "
           "lỗi, hãy báo cho bộ phận quản trị kèm thời điểm xảy ra.")

# Streamlit has no locale: the upload box's English texts are hidden and replaced here with CSS (the
# browser script below also swaps them, for screen readers).
VIETNAMESE_CSS = """<style>
[data-testid="stFileUploaderDropzone"] button p { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button p::after { content: "Chọn tệp"; font-size: 0.875rem; }
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
    content: "hoặc kéo thả tệp vào đây · tối đa 200 MB mỗi tệp"; font-size: 0.875rem; }
[data-testid="stStatusWidget"] { visibility: hidden; }
</style>"""

# Streamlit's and Plotly's built-in English labels (table toolbar and column menu, chart buttons,
# "No results" in lists) that CSS cannot reach: the browser script below swaps them for Vietnamese
# as they appear. Only whole labels (and a few patterns: the table search's "3 of 12 results",
# "Help for …", the upload box's refusals) are replaced, so no data text is ever touched.
VIETNAMESE_LABELS = {
    "Download as CSV": "Tải về tệp CSV", "Search": "Tìm trong bảng", "Type to search": "Gõ để tìm",
    "Close Search": "Đóng tìm kiếm", "Next Result": "Kết quả sau", "Previous Result": "Kết quả trước",
    "Fullscreen": "Xem toàn màn hình", "Close fullscreen": "Thoát toàn màn hình",
    "Show/hide columns": "Hiện/ẩn cột", "Select all": "Chọn tất cả", "Clear selection": "Bỏ chọn",
    "Sort ascending": "Sắp xếp tăng dần", "Sort descending": "Sắp xếp giảm dần", "Format": "Định dạng số",
    "Autosize": "Tự chỉnh độ rộng", "Pin column": "Ghim cột", "Unpin column": "Bỏ ghim cột",
    "Hide column": "Ẩn cột", "Copy column name": "Chép tên cột", "Dataframe column menu": "Tùy chọn cột",
    "Statistics": "Thống kê", "Values": "Số giá trị", "Empty": "Ô trống", "Distinct": "Số giá trị khác nhau",
    "Minimum": "Nhỏ nhất", "Maximum": "Lớn nhất", "Median": "Trung vị", "Average": "Trung bình",
    "Sum": "Tổng", "Standard deviation": "Độ lệch chuẩn", "Range": "Khoảng", "Count": "Số lượng",
    "Automatic": "Tự động", "Localized": "Theo máy tính", "Plain": "Số thường", "Compact": "Rút gọn",
    "Scientific": "Dạng khoa học", "Engineering": "Dạng kỹ thuật", "Percent": "Phần trăm",
    "Dollar": "Đô la", "Euro": "Euro", "Yen": "Yên", "Accounting": "Kế toán", "Relative": "Tương đối",
    "Distance": "Khoảng cách", "Calendar": "Lịch", "Duration": "Thời lượng",
    "Press Enter to apply": "Nhấn Enter để áp dụng", "Press Enter to submit form": "Nhấn Enter để gửi",
    "Press Ctrl+Enter to apply": "Nhấn Ctrl+Enter để áp dụng", "No results": "Không có kết quả", "Clear all": "Bỏ chọn tất cả", "Clear value": "Bỏ chọn",
    "Download plot as a PNG": "Tải ảnh biểu đồ (PNG)", "Zoom": "Phóng to vùng chọn", "Pan": "Kéo biểu đồ",
    "Zoom in": "Phóng to", "Zoom out": "Thu nhỏ", "Autoscale": "Vừa khung", "Reset axes": "Về ban đầu",
    "Box Select": "Chọn theo khung", "Lasso Select": "Chọn tự do", "Collapse sidebar": "Thu gọn thanh bên",
    "Expand sidebar": "Mở thanh bên", "Close": "Đóng", "Add files": "Thêm tệp", "Error:": "Lỗi:",
    "Show password": "Hiện mật khẩu", "Hide password": "Ẩn mật khẩu",
    # Read aloud by screen readers, or shown on keyboard focus only.
    "Skip to main content": "Chuyển đến nội dung chính", "Sidebar": "Thanh bên", "App pages": "Các trang",
    "Open": "Mở danh sách", "Link to heading": "Liên kết đến đề mục", "Choose an option": "Chọn một mục",
    "Increment": "Tăng", "Decrement": "Giảm", "file upload": "Tải tệp lên",
    "File size is too small.": "Tệp trống hoặc quá nhỏ.", "Upload": "Chọn tệp",
    "200MB per file": "hoặc kéo thả tệp vào đây · tối đa 200 MB mỗi tệp",
}
# Streamlit's browser code for tables and Plotly charts (about 6 MB of script) loads only when a
# page first shows one, which made the first visit to such a page take a second longer. Once a
# page is fully drawn (never while it is still being drawn) and the browser is idle, these chunks
# are imported ahead of time, once per tab. Starting 0.2 s after the draw instead of 1 s took the
# first switch to So sánh đơn vị from 1.8 s to 1.1-1.4 s when clicked 1 s after the overview.
PREFETCHED_CHUNKS = ("DataFrame", "PlotlyChart")
BROWSER_SCRIPT = r"""<script>
if (!window.cchcHelpers) {
  window.cchcHelpers = true;
  const labels = %(labels)s, attributes = ["aria-label", "title", "placeholder", "data-title"];
  const patterns = [[/^(\d+) of (\d+) results?$/, "$1/$2 kết quả"], [/^(\d+) of over 1000$/, "$1/hơn 1.000 kết quả"],
                    [/^(\d+) results?$/, "$1 kết quả"], [/^over 1000$/, "hơn 1.000 kết quả"],
                    [/^Help for (.+)$/, "Giải thích: $1"], [/^File must be (.+) or smaller\.$/, "Tệp phải nhỏ hơn $1."],
                    [/^.+ files are not allowed\.$/, "Không nhận loại tệp này: hãy chọn tệp .xlsx, .xls, .csv, .htm hoặc .xml."],
                    [/^[a-z_]+ icon$/, "biểu tượng"]];
  const vietnamese = (text) => {
    const label = (text || "").trim(), pattern = patterns.find(([english]) => english.test(label));
    return labels[label] || (pattern && label.replace(...pattern));
  };
  const translate = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const vi = vietnamese(node.nodeValue);
      if (vi) node.nodeValue = node.nodeValue.replace(node.nodeValue.trim(), vi);  // keeps the spaces around
    } else if (node.nodeType === Node.ELEMENT_NODE) {
      for (const element of [node, ...node.querySelectorAll("*")]) {
        for (const name of attributes) {
          const vi = vietnamese(element.getAttribute(name));
          if (vi) element.setAttribute(name, vi);
        }
      }
      const texts = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
      while (texts.nextNode()) translate(texts.currentNode);
    }
  };
  new MutationObserver((changes) => {
    for (const change of changes) {
      if (change.type === "childList") change.addedNodes.forEach(translate);
      else translate(change.target);
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true, attributeFilter: attributes});
  translate(document.body);
  const index = document.querySelector('script[type="module"][src*="/static/js/index."]');
  const prefetch = () => Promise.all(%(chunks)s.map((name) => import(new URL(name, index.src).href))).catch(() => {});
  const app = document.querySelector('[data-testid="stApp"]');
  const drawn = () => app.getAttribute("data-test-script-state") === "notRunning"
                      && !document.querySelector('[data-testid="stSkeleton"]');
  const afterDrawn = () => drawn() ? setTimeout(() => requestIdleCallback(prefetch, {timeout: 3000}), 200)
                                   : setTimeout(afterDrawn, 200);
  if (index && app && window.requestIdleCallback) setTimeout(afterDrawn, 200);
}
</script>"""

FRAMEWORK_KEY = "filter_framework"
YEAR_KEY = "filter_year"
UNITS_KEY = "filter_units"
PERIOD_KIND_KEY = "filter_period_kind"
PERIOD_NUMBER_KEY = "filter_period_number"
PERIOD_DATES_KEY = "filter_period_dates"
ROLE_KEY = "signed_in_role"


@st.cache_resource(show_spinner="Đang mở cơ sở dữ liệu (lần đầu sẽ nạp dữ liệu mẫu, mất khoảng 10 giây)…")
def _database_for(path: str) -> db.SharedDatabase:
    """One shared database per server process and file (opened when used, let go when idle, so
    CLI commands can run meanwhile); loads the sample data on a fresh one."""
    database = db.SharedDatabase.for_path(path)
    with database.use() as con:
        if not app_services.has_uploads(con):
            ingest.load_sample_data(con)
    return database


def database() -> db.SharedDatabase:
    return _database_for(str(db.resolve_db_path()))


def data_version() -> tuple:
    with database().use() as con:
        return app_services.data_version(con)


@st.cache_data(show_spinner=False, max_entries=300, ttl=3600)
def _cached_call(version: tuple, target: str, args: tuple, kwargs: tuple) -> Any:
    module_name, func_name = target.rsplit(".", 1)
    func = getattr(importlib.import_module(module_name), func_name)
    with database().use() as con:
        return func(con.cursor(), *args, **dict(kwargs))


def cached(func: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call a core function `func(con, *args, **kwargs)` once per data version and arguments."""
    target = f"{func.__module__}.{func.__qualname__}"
    return _cached_call(data_version(), target, args, tuple(sorted(kwargs.items())))


def run(func: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call a core function that changes data (upload, undo, save) on its own cursor, as the
    process's one writer (the inbox watcher waits meanwhile, and the other way round)."""
    with database().use() as con:
        cursor = con.cursor()
        with db.writing(cursor):
            return func(cursor, *args, **kwargs)


@dataclass(frozen=True)
class Filters:
    framework: str
    year: int
    units: list[str] | None  # None means every unit
    period: tuple[dt.date, dt.date] | None = None  # a calendar period (766), else the year

    @property
    def units_label(self) -> str:
        """The chosen units for a Markdown caption: names come from data, so they are escaped."""
        return "tất cả đơn vị" if not self.units else app_services.escape_markdown(", ".join(self.units))


def filters() -> Filters:
    """The sidebar choices made in dashboard.py (they persist across pages)."""
    units = st.session_state.get(UNITS_KEY) or None
    framework, year = st.session_state[FRAMEWORK_KEY], int(st.session_state[YEAR_KEY])
    period = chosen_period(year) if frameworks.uses_calendar_periods(framework) else None
    return Filters(framework, year, list(units) if units else None, period)


def period_choice(latest: dt.date | None) -> None:
    """Sidebar: for a framework scored over calendar periods (the 766 index, as the national portal
    scores it), a month, quarter, the year or any dates within the chosen year. Defaults to the
    month of the latest data."""
    if not frameworks.uses_calendar_periods(st.session_state[FRAMEWORK_KEY]):
        return
    year = int(st.session_state[YEAR_KEY])
    kind = st.sidebar.radio("Kỳ chấm điểm", list(periods.PERIOD_KINDS), key=PERIOD_KIND_KEY,
                            format_func=periods.PERIOD_KINDS.get, horizontal=True,
                            help="Cổng DVCQG chấm Bộ chỉ số 766 theo tháng, quý và năm dương lịch.")
    if kind in ("month", "quarter"):
        count = 12 if kind == "month" else 4
        default = (latest.month if latest and latest.year == year else 12)
        default = default if kind == "month" else (default - 1) // 3 + 1
        if st.session_state.get(PERIOD_NUMBER_KEY, 0) > count:
            st.session_state.pop(PERIOD_NUMBER_KEY)
        st.sidebar.selectbox(periods.PERIOD_KINDS[kind], range(1, count + 1), index=default - 1,
                             key=PERIOD_NUMBER_KEY)
    elif kind == "dates":
        st.sidebar.date_input("Từ ngày – đến ngày", value=periods.calendar_period("year", year),
                              format="DD/MM/YYYY", key=PERIOD_DATES_KEY)


def chosen_period(year: int) -> tuple[dt.date, dt.date]:
    """The calendar period the sidebar holds (the whole year until something else is chosen)."""
    kind = st.session_state.get(PERIOD_KIND_KEY, "year")
    if kind in ("month", "quarter"):
        return periods.calendar_period(kind, year, int(st.session_state.get(PERIOD_NUMBER_KEY) or 1))
    dates = st.session_state.get(PERIOD_DATES_KEY)
    if kind == "dates" and dates and len(dates) == 2:
        return dates[0], dates[1]
    return periods.calendar_period("year", year)


def score_report(chosen: Filters) -> scoring.ScoreReport:
    """The chosen framework's scores for the sidebar's period (or evaluation year) and units."""
    if chosen.period:
        return cached(scoring.score_period, chosen.framework, *chosen.period, units=chosen.units)
    return cached(scoring.score_year, chosen.framework, chosen.year, units=chosen.units)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Show input errors as their Vietnamese message, anything else as an apology; never a traceback."""
    try:
        yield
    except CchcError as err:
        st.error(app_services.escape_markdown(str(err)), icon=":material/error:")  # quotes file text
    except Exception:
        LOG.exception("Unexpected error in the dashboard")
        st.error(APOLOGY, icon=":material/sentiment_dissatisfied:")


@functools.cache
def browser_script() -> str:
    """BROWSER_SCRIPT with the labels and the file names of PREFETCHED_CHUNKS in this Streamlit version."""
    folder = Path(st.__file__).parent / "static" / "static" / "js"
    names = [f"./{path.name}" for chunk in PREFETCHED_CHUNKS for path in sorted(folder.glob(f"{chunk}.*.js"))]
    return BROWSER_SCRIPT % {"labels": json.dumps(VIETNAMESE_LABELS, ensure_ascii=False), "chunks": json.dumps(names)}


# ---- access -------------------------------------------------------------------------------------

@st.cache_resource
def login_throttle() -> auth.LoginThrottle:
    """Shared by every session of the server process, so retrying in a new tab does not reset it."""
    return auth.LoginThrottle()


def _secrets() -> Any:
    try:
        return dict(st.secrets)
    except Exception:  # no secrets.toml: Streamlit raises its own FileNotFoundError subclass
        return None


def access_config() -> auth.AccessConfig:
    return auth.load_access_config(os.environ, _secrets())


def role() -> str | None:
    return st.session_state.get(ROLE_KEY)


def can_edit() -> bool:
    return auth.can_edit(access_config(), role())


def require_editor(action_vi: str) -> bool:
    """True when the user may change data; otherwise says how to get the right."""
    if can_edit():
        return True
    st.info(f"Cần đăng nhập với quyền chỉnh sửa để {action_vi}. Hãy nhập mật khẩu ở mục "
            "«Đăng nhập» trên thanh bên trái.", icon=":material/lock:")
    return False


def sign_in_form(form_key: str, label: str) -> None:
    """Password box; on success stores the role in the session, has the browser keep a signed token
    (see remember_role) and reruns."""
    with st.form(form_key, clear_on_submit=True, border=False):
        password = st.text_input(label, type="password")
        submitted = st.form_submit_button("Đăng nhập", type="primary")
    if submitted:
        config = access_config()
        result = auth.sign_in(config, login_throttle(), password, auth.client_key(st.context.ip_address),
                              time.monotonic())
        if result.role:
            st.session_state[ROLE_KEY] = result.role
            st.session_state[TOKEN_KEY] = session_tokens().issue(config, result.role, time.time())
            st.session_state[COOKIE_ACTION_KEY] = "set"
            st.rerun()
        st.error(result.message_vi)


def sign_out_button() -> None:
    if st.button("Đăng xuất", key="sign_out"):
        st.session_state.pop(ROLE_KEY, None)
        session_tokens().revoke(st.session_state.pop(TOKEN_KEY, None))
        st.session_state[COOKIE_ACTION_KEY] = "clear"
        st.rerun()


# ---- staying signed in across a refresh -----------------------------------------------------------

TOKEN_KEY = "session_token"
COOKIE_ACTION_KEY = "session_cookie_action"
SESSION_PATH = "/_cchc/session"
_PROCESS_SECRET = os.urandom(32)  # used when no CCHC_SESSION_SECRET is set: a restart signs everyone out


@functools.cache
def _tokens_for(secret: bytes) -> auth.SessionTokens:
    return auth.SessionTokens(secret)


def session_tokens() -> auth.SessionTokens:
    """One token signer (and revocation list) per server process and secret."""
    return _tokens_for(auth.session_secret(os.environ, _secrets()) or _PROCESS_SECRET)


def remember_role() -> None:
    """At the start of every run: a session without a role takes the one its cookie's token grants
    (a refresh opens a new session; the cookie came with it)."""
    if ROLE_KEY in st.session_state:
        return
    token = st.context.cookies.get(auth.SESSION_COOKIE)
    granted = session_tokens().verify(access_config(), token, time.time()) if token else None
    if granted:
        st.session_state[ROLE_KEY] = granted
        st.session_state[TOKEN_KEY] = token


def sync_session_cookie() -> None:
    """At the end of a run after signing in or out: the browser asks the server (session_cookie_route)
    to set or clear the HttpOnly cookie, which only the server can do; the page script never keeps it."""
    action = st.session_state.pop(COOKIE_ACTION_KEY, None)
    if action == "set":
        call = f"fetch({json.dumps(SESSION_PATH)}, {{method: 'POST', body: {json.dumps(st.session_state.get(TOKEN_KEY))}, credentials: 'same-origin'}})"
    elif action == "clear":
        call = f"fetch({json.dumps(SESSION_PATH)}, {{method: 'DELETE', credentials: 'same-origin'}})"
    else:
        return
    st.html(f"<script>{call};</script>", unsafe_allow_javascript=True)


async def session_cookie_route(request):
    """POST a token: set it as an HttpOnly, SameSite=Strict cookie until it expires (only a token this
    server signed is accepted); DELETE: clear the cookie. Requests from another site are refused."""
    from starlette.responses import Response

    origin = request.headers.get("origin")
    if origin and origin.split("://", 1)[-1] != request.headers.get("host"):
        return Response(status_code=403)
    response = Response(status_code=204)
    if request.method == "DELETE":
        response.delete_cookie(auth.SESSION_COOKIE, path="/", httponly=True, samesite="strict")
        return response
    token = (await request.body())[:1024].decode("utf-8", "replace")
    now = time.time()
    if session_tokens().verify(access_config(), token, now) is None:
        return Response(status_code=403)
    response.set_cookie(auth.SESSION_COOKIE, token, max_age=int(token.split(".")[2]) - int(now), path="/",
                        httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


def session_routes() -> list:
    from starlette.routing import Route

    return [Route(SESSION_PATH, session_cookie_route, methods=["POST", "DELETE"])]


# ---- whose address counts -------------------------------------------------------------------------

def trust_forwarded_for_only_from(proxies: list[str]) -> None:
    """Make the server honour X-Forwarded-For only from `proxies` (CCHC_TRUSTED_PROXIES).

    Streamlit's server, uvicorn, replaces a connection's address by that header's when the
    connection comes from a host it trusts, by default 127.0.0.1 and ::1: anyone on this machine,
    or behind a proxy that passes the header on, could then choose the address their failed
    sign-ins are counted on. uvicorn reads its trusted hosts before it imports this app and wraps
    the app after; this runs in between (dashboard.py's import) and hands it `proxies` instead
    (none: the header is never honoured)."""
    import uvicorn.config
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    trusted = ",".join(proxies)  # "" trusts no host

    class ConfiguredProxyHeaders(ProxyHeadersMiddleware):
        def __init__(self, app, trusted_hosts=None):
            super().__init__(app, trusted_hosts=trusted)

    uvicorn.config.ProxyHeadersMiddleware = ConfiguredProxyHeaders

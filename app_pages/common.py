"""Streamlit glue shared by dashboard.py and every page: the one connection, cached queries,
the sidebar choices, access rights and the way errors are shown.

Not a page itself: `st.navigation` in dashboard.py lists the pages explicitly.
"""
from __future__ import annotations

import contextlib
import importlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import streamlit as st

from cchc_metrics import app_services, auth, db, ingest
from cchc_metrics.errors import CchcError

LOG = logging.getLogger("cchc_dashboard")

APOLOGY = ("Xin lỗi, ứng dụng gặp sự cố ngoài dự kiến nên chưa thực hiện được thao tác này. "
           "Dữ liệu đã lưu không bị ảnh hưởng. Vui lòng tải lại trang (phím F5) và thử lại; nếu vẫn "
           "lỗi, hãy báo cho bộ phận quản trị kèm thời điểm xảy ra.")

# Streamlit has no locale: its few built-in English texts are replaced here with CSS.
VIETNAMESE_CSS = """<style>
[data-testid="stFileUploaderDropzone"] button p { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button p::after { content: "Chọn tệp"; font-size: 0.875rem; }
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
    content: "hoặc kéo thả tệp vào đây · tối đa 200 MB mỗi tệp"; font-size: 0.875rem; }
[data-testid="stStatusWidget"] { visibility: hidden; }
</style>"""

FRAMEWORK_KEY = "filter_framework"
YEAR_KEY = "filter_year"
UNITS_KEY = "filter_units"
ROLE_KEY = "signed_in_role"


@st.cache_resource(show_spinner="Đang mở cơ sở dữ liệu (lần đầu sẽ nạp dữ liệu mẫu, mất khoảng 10 giây)…")
def _connection_for(path: str):
    """One DuckDB connection per server process and database file; loads the sample data on a fresh one."""
    con = db.connect(path)
    if not app_services.has_uploads(con):
        ingest.load_sample_data(con)
    return con


def connection():
    return _connection_for(str(db.resolve_db_path()))


def data_version() -> tuple:
    return app_services.data_version(connection())


@st.cache_data(show_spinner=False, max_entries=300, ttl=3600)
def _cached_call(version: tuple, target: str, args: tuple, kwargs: tuple) -> Any:
    module_name, func_name = target.rsplit(".", 1)
    func = getattr(importlib.import_module(module_name), func_name)
    return func(connection().cursor(), *args, **dict(kwargs))


def cached(func: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call a core function `func(con, *args, **kwargs)` once per data version and arguments."""
    target = f"{func.__module__}.{func.__qualname__}"
    return _cached_call(data_version(), target, args, tuple(sorted(kwargs.items())))


def run(func: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call a core function that changes data (upload, undo, save) on its own cursor."""
    return func(connection().cursor(), *args, **kwargs)


@dataclass(frozen=True)
class Filters:
    framework: str
    year: int
    units: list[str] | None  # None means every unit

    @property
    def units_label(self) -> str:
        return "tất cả đơn vị" if not self.units else ", ".join(self.units)


def filters() -> Filters:
    """The sidebar choices made in dashboard.py (they persist across pages)."""
    units = st.session_state.get(UNITS_KEY) or None
    return Filters(st.session_state[FRAMEWORK_KEY], int(st.session_state[YEAR_KEY]),
                   list(units) if units else None)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Show input errors as their Vietnamese message, anything else as an apology; never a traceback."""
    try:
        yield
    except CchcError as err:
        st.error(str(err), icon=":material/error:")
    except Exception:
        LOG.exception("Unexpected error in the dashboard")
        st.error(APOLOGY, icon=":material/sentiment_dissatisfied:")


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
    """Password box; on success stores the role in the session and reruns."""
    with st.form(form_key, clear_on_submit=True, border=False):
        password = st.text_input(label, type="password")
        submitted = st.form_submit_button("Đăng nhập", type="primary")
    if submitted:
        client_key = st.context.ip_address or "local"
        result = auth.sign_in(access_config(), login_throttle(), password, client_key, time.monotonic())
        if result.role:
            st.session_state[ROLE_KEY] = result.role
            st.rerun()
        st.error(result.message_vi)


def sign_out_button() -> None:
    if st.button("Đăng xuất", key="sign_out"):
        st.session_state.pop(ROLE_KEY, None)
        st.rerun()

"""The /_cchc/session route that turns a signed token into an HttpOnly cookie: only tokens this
server signed, only from the app's own pages."""
from __future__ import annotations

import asyncio
import time

import pytest
from starlette.requests import Request

from app_pages import common
from cchc_metrics import auth


def call(method: str, body: bytes = b"", origin: str | None = "http://127.0.0.1:8501"):
    headers = [(b"host", b"127.0.0.1:8501")] + ([(b"origin", origin.encode())] if origin else [])
    scope = {"type": "http", "method": method, "path": common.SESSION_PATH, "headers": headers,
             "scheme": "http", "server": ("127.0.0.1", 8501), "query_string": b""}

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    return asyncio.run(common.session_cookie_route(Request(scope, receive)))


@pytest.fixture
def viewer_password(monkeypatch):
    monkeypatch.setenv(auth.VIEWER_ENV, auth.hash_password("xem", iterations=1000))
    monkeypatch.delenv(auth.EDITOR_ENV, raising=False)
    return common.access_config()


def test_a_signed_token_becomes_an_httponly_cookie_until_it_expires(viewer_password):
    token = common.session_tokens().issue(viewer_password, "viewer", time.time())
    response = call("POST", token.encode())
    assert response.status_code == 204
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{auth.SESSION_COOKIE}={token};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    max_age = int(cookie.split("Max-Age=")[1].split(";")[0])
    assert auth.SESSION_HOURS * 3600 - 5 <= max_age <= auth.SESSION_HOURS * 3600  # 8 h, less the seconds passed


def test_a_forged_token_or_another_site_is_refused(viewer_password):
    token = common.session_tokens().issue(viewer_password, "viewer", time.time())
    assert call("POST", token.replace("viewer", "editor").encode()).status_code == 403
    assert call("POST", b"v1.editor.99999999999.x.y").status_code == 403
    assert call("POST", token.encode(), origin="http://evil.example").status_code == 403
    assert "set-cookie" not in call("POST", token.encode(), origin="http://evil.example").headers


def test_delete_clears_the_cookie(viewer_password):
    response = call("DELETE")
    assert response.status_code == 204
    assert 'cchc_session="";' in response.headers["set-cookie"] or "cchc_session=;" in response.headers["set-cookie"]
    assert "Max-Age=0" in response.headers["set-cookie"]

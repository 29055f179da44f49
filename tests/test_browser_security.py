"""The real server in headless chromium, attacked: hostile names stay text and fetch nothing, the
sign-in lockout cannot be dodged or aimed with X-Forwarded-For, and a signed-in user survives a
refresh through an HttpOnly cookie."""
from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import expect, sync_playwright

from app_server import is_local, launch_chromium, running_app, wait_until_idle
from cchc_metrics import auth, db, ingest
from test_hostile_names import ANCHOR, HTML, IMAGE, LINK, hostile_export
from test_undo_preview import export

SLUGS = ["", "units", "trends", "due_soon", "officers", "statistics", "upload", "targets", "export"]
PASSWORD = "mat-khau-xem"
LOCKED = "Đăng nhập sai quá nhiều lần"


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "cchc.duckdb"
    con = db.connect(path)
    source = hostile_export(folder)
    ingest.ingest_file(con, source.read_bytes(), source.name)
    con.close()
    return path


def test_hostile_names_are_text_and_no_request_leaves_the_machine(hostile_db, tmp_path):
    with running_app(hostile_db, tmp_path / "server.log") as base_url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        elsewhere, dialogs = [], []
        page.on("request", lambda request: None if is_local(request.url) else elsewhere.append(request.url))
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        shown = []
        for slug in SLUGS:
            page.goto(f"{base_url}/{slug}")
            expect(page.get_by_test_id("stHeading").first).to_be_visible(timeout=30_000)
            wait_until_idle(page)
            page.wait_for_timeout(500)  # let charts draw their labels
            expect(page.get_by_test_id("stException")).to_have_count(0)
            assert page.locator('a[href*="evil"], img[src*="evil"], img[src="x"], img[onerror]').count() == 0, slug
            assert page.locator("svg a").count() == 0, slug  # no Plotly link made of a unit name
            shown.append(page.get_by_test_id("stMain").inner_text().replace("\u2060", ""))  # invisible joiners
        browser.close()
    text = "\n".join(shown)
    for name in (IMAGE, LINK, HTML, ANCHOR):
        assert name in text, name  # shown as typed
    assert elsewhere == [] and dialogs == []


def guess(browser, base_url: str, password: str, forwarded_for: str | None) -> str:
    """One sign-in attempt in a fresh browser (a new connection, so a new X-Forwarded-For is read);
    returns the page's answer."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    context = browser.new_context(extra_http_headers=headers)
    page = context.new_page()
    page.goto(base_url)
    box = page.get_by_label("Mật khẩu", exact=True)
    expect(box).to_be_visible(timeout=30_000)
    box.fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    answer = page.get_by_test_id("stAlertContentError").or_(page.get_by_test_id("stMetric")).first
    expect(answer).to_be_visible(timeout=30_000)
    text = answer.inner_text()
    context.close()
    return text


def viewer_env(**extra) -> dict:
    """A viewer password, and the server bound to 127.0.0.1 only: the browser's connections then come
    from plain 127.0.0.1, a host uvicorn trusts by default to name the client in X-Forwarded-For."""
    return {auth.VIEWER_ENV: auth.hash_password(PASSWORD, iterations=1000),
            "STREAMLIT_SERVER_ADDRESS": "127.0.0.1", **extra}


def test_refresh_keeps_the_user_signed_in_and_forged_forwarded_for_does_not_dodge_the_lockout(hostile_db, tmp_path):
    with running_app(hostile_db, tmp_path / "server.log", viewer_env()) as base_url, \
            sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context()
        page = context.new_page()
        page.goto(base_url)
        page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=30_000)
        page.wait_for_timeout(500)  # the cookie request follows the first signed-in draw
        cookie = next(c for c in context.cookies() if c["name"] == auth.SESSION_COOKIE)
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert page.evaluate("document.cookie").find(auth.SESSION_COOKIE) == -1  # page scripts cannot read it
        page.reload()
        expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=30_000)  # still signed in
        expect(page.get_by_label("Mật khẩu", exact=True)).to_have_count(0)
        page.get_by_role("button", name="Đăng xuất").click()
        expect(page.get_by_label("Mật khẩu", exact=True)).to_be_visible(timeout=30_000)
        page.wait_for_timeout(500)
        page.reload()
        expect(page.get_by_label("Mật khẩu", exact=True)).to_be_visible(timeout=30_000)  # signed out stays out
        context.close()

        # 11 wrong guesses, each claiming another address: all counted on this one connection's address
        answers = [guess(browser, base_url, "sai", f"10.1.2.{n}") for n in range(11)]
        assert [LOCKED in a for a in answers] == [False] * 4 + [True] * 7, answers
        assert LOCKED in guess(browser, base_url, PASSWORD, "10.1.2.200")  # the right one waits too
        browser.close()


def test_forwarded_for_from_a_trusted_proxy_names_the_client_and_cannot_be_aimed(hostile_db, tmp_path):
    """Here the test browser plays the proxy at 127.0.0.1, which appends the real client's address:
    a client that sends "X-Forwarded-For: <victim>" arrives as "<victim>, <itself>"."""
    env = viewer_env(**{auth.TRUSTED_PROXIES_ENV: "127.0.0.1"})
    with running_app(hostile_db, tmp_path / "server.log", env) as base_url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        attacker = "10.0.0.99, 10.0.0.7"   # forged victim address, then the attacker's real one
        answers = [guess(browser, base_url, "sai", attacker) for _ in range(5)]
        assert LOCKED in answers[-1]
        assert LOCKED in guess(browser, base_url, PASSWORD, "10.0.0.7")      # the attacker is locked out
        assert LOCKED not in guess(browser, base_url, PASSWORD, "10.0.0.99")  # the victim signs in
        browser.close()


def test_undo_box_offers_the_newest_upload_after_each_load_and_asks_first(sample_template, tmp_path):
    """In the browser, which keeps a widget's value across reruns: after loading two files the
    undo box shows the second (#15), not a choice left over from before."""
    path = tmp_path / "cchc.duckdb"
    shutil.copy(sample_template, path)  # the sample: uploads 1-13
    first, second = tmp_path / "moi-1.xlsx", tmp_path / "moi-2.xlsx"
    first.write_bytes(export(["MOI-1", "MOI-2"]))
    second.write_bytes(export(["MOI-2", "MOI-3"], unit="Phòng 2"))
    with running_app(path, tmp_path / "server.log") as base_url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1440, "height": 1200})
        page.goto(f"{base_url}/upload")
        undo_box = page.get_by_role("combobox", name="Hoàn tác một lần tải (dữ liệu trở về đúng như trước lần tải đó)")
        expect(undo_box).to_have_value(re.compile("^#13 – "), timeout=30_000)
        undo_box.scroll_into_view_if_needed()  # its list opens below it, inside the window
        undo_box.click()  # an older choice in the box before loading
        page.keyboard.type("#12 –")
        older = page.get_by_role("option", name=re.compile("^#12 – "))
        older.scroll_into_view_if_needed()
        older.click()
        expect(undo_box).to_have_value(re.compile("^#12 – "))
        for number, source in ((14, first), (15, second)):
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(source)
            confirm = page.get_by_role("button", name="Nạp 1 tệp vào cơ sở dữ liệu")
            expect(confirm).to_be_enabled(timeout=30_000)
            wait_until_idle(page)
            confirm.click()
            expect(page.get_by_test_id("stAlertContentSuccess").first).to_be_visible(timeout=30_000)
            # the box of the previous newest upload stays on screen until the rerun ends (slow under load)
            expect(undo_box).to_have_count(1, timeout=60_000)
            expect(undo_box).to_have_value(re.compile(f"^#{number} – {source.name}"), timeout=30_000)
        page.get_by_role("button", name="Hoàn tác…").click()
        question = page.get_by_test_id("stAlertContentWarning").filter(has_text="Hoàn tác lần tải số 15")
        expect(question).to_contain_text("tệp «moi-2.xlsx», tải lúc", timeout=30_000)
        expect(question).to_contain_text("Sẽ bỏ 1 hồ sơ chỉ có trong tệp này và đưa 1 hồ sơ về phiên bản")
        page.get_by_role("button", name="Xác nhận hoàn tác").click()
        expect(page.get_by_test_id("stAlertContentSuccess").first).to_contain_text(
            "Đã hoàn tác lần tải số 15", timeout=30_000)
        expect(undo_box).to_have_count(1, timeout=60_000)
        expect(undo_box).to_have_value(re.compile("^#14 – moi-1.xlsx"))
        browser.close()

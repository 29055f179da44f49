"""At 1366×768 (a common office laptop) in headless chromium: the overview's first screen holds the
totals and the three criteria to act on, and no table on the pages below is wider than its frame
(Streamlit's data grid scrolls inside `.dvn-scroller`: a clipped column makes its scroll width exceed
its client width). Screenshots go to test-output/screenshots/1366/."""
from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect, sync_playwright

from app_server import PROJECT_ROOT, launch_chromium, running_app, wait_until_idle

SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots" / "1366"
TABLE_PAGES = {"targets": "Chỉ tiêu & thang điểm", "upload": "Tải dữ liệu", "due_soon": "Hồ sơ sắp đến hạn",
               "export": "Xuất báo cáo giao ban", "units": "So sánh đơn vị", "officers": "Cán bộ xử lý hồ sơ",
               "statistics": "Thống kê tình hình giải quyết TTHC"}
GRID_WIDTHS = """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')].map(frame => {
    const scroller = frame.querySelector('.dvn-scroller');
    return scroller ? [scroller.scrollWidth, scroller.clientWidth] : null;
})"""


@pytest.fixture(scope="module")
def sample_db(sample_template, tmp_path_factory):
    """This module's own copy of the sample database (its tests change it)."""
    path = tmp_path_factory.mktemp("browser_fit") / "cchc.duckdb"
    shutil.copy(sample_template, path)
    return path


def test_first_screen_and_tables_fit_1366(sample_db, tmp_path):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with running_app(sample_db, tmp_path / "server.log") as base_url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1366, "height": 768})

        page.goto(base_url)
        expect(page.get_by_test_id("stHeading").first).to_contain_text("Tổng quan", timeout=30_000)
        wait_until_idle(page)
        page.screenshot(path=str(SCREENSHOTS / "overview-first-screen.png"))
        # the totals, the freshness and the three criteria with their units, all above the fold
        for text in ("Tổng điểm hiện tại", "Dự kiến cuối năm", "Điểm bị mất", "Điểm chưa tính được",
                     "Hồ sơ mới nhất", "1. Tỷ lệ hồ sơ trực tuyến", "2. Tỷ lệ hồ sơ có phát sinh giao dịch",
                     "3. Tỷ lệ hồ sơ TTHC tiếp nhận", "Tỷ lệ thấp nhất: Phòng Thanh tra"):
            box = page.get_by_test_id("stMain").get_by_text(text).first.bounding_box()
            assert box is not None and box["y"] + box["height"] <= 768, (text, box)
        assert page.get_by_test_id("stMain").get_by_text("Kết quả từng tiêu chí").bounding_box()["y"] > 700  # cards below

        for slug, title in TABLE_PAGES.items():
            page.goto(f"{base_url}/{slug}")
            expect(page.get_by_test_id("stHeading").first).to_contain_text(title, timeout=30_000)
            wait_until_idle(page)
            frames = page.get_by_test_id("stDataFrame")
            expect(frames.first).to_be_attached(timeout=10_000)
            page.wait_for_function(f"() => ({GRID_WIDTHS})().every(widths => widths !== null)", timeout=10_000)
            widths = page.evaluate(GRID_WIDTHS)
            assert widths, slug
            for position, (scroll_width, client_width) in enumerate(widths):
                assert scroll_width <= client_width, (slug, position, scroll_width, client_width)
            page.screenshot(path=str(SCREENSHOTS / f"{slug}.png"), full_page=True)
        browser.close()

"""The real server in headless chromium: every page renders, an upload through the page updates the
overview, the giao ban workbook downloads; screenshots go to test-output/screenshots/."""
from __future__ import annotations

import datetime as dt
import shutil

import openpyxl
import pytest
from playwright.sync_api import expect, sync_playwright

from app_server import (PROJECT_ROOT, full_page_screenshot, is_local, launch_chromium, running_app,
                        wait_until_idle)
from cchc_metrics import export

SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"
PAGES = {"": "Tổng quan", "units": "So sánh đơn vị", "trends": "Xu hướng theo tháng",
         "due_soon": "Hồ sơ sắp đến hạn", "officers": "Cán bộ xử lý hồ sơ",
         "statistics": "Thống kê tình hình giải quyết TTHC", "upload": "Tải dữ liệu",
         "targets": "Chỉ tiêu & thang điểm", "export": "Xuất báo cáo giao ban"}


@pytest.fixture(scope="module")
def sample_db(sample_template, tmp_path_factory):
    """This module's own copy of the sample database (its tests change it)."""
    path = tmp_path_factory.mktemp("browser") / "cchc.duckdb"
    shutil.copy(sample_template, path)
    return path


def new_dossiers_file(folder):
    """Two dossiers the sample does not have."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Mã hồ sơ", "Tên thủ tục", "Lĩnh vực", "Đơn vị xử lý", "Ngày tiếp nhận", "Ngày hẹn trả",
                  "Ngày có kết quả", "Hình thức nộp"])
    for number in range(2):
        sheet.append([f"TRINH-DUYET-{number}", "Chứng thực bản sao", "Chứng thực", "Văn phòng Sở",
                      dt.datetime(2023, 12, 1, 8), dt.datetime(2023, 12, 5, 17), dt.datetime(2023, 12, 4, 9),
                      "Trực tiếp"])
    path = folder / "them-2-ho-so.xlsx"
    book.save(path)
    return path


def register_file(folder):
    """An official register with a running number "TT" only: no dossier id, unit or channel column."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["SỔ THEO DÕI HỒ SƠ"])
    sheet.append(["TT", "Tên thủ tục", "Họ tên người nộp", "Ngày nhận hồ sơ", "Ngày hẹn trả", "Ngày trả kết quả",
                  "Ghi chú"])
    for number in range(3):
        sheet.append([number + 1, "Chứng thực bản sao", "Nguyễn Văn A", dt.datetime(2023, 12, 1, 8 + number),
                      dt.datetime(2023, 12, 4), None, ""])
    path = folder / "so-theo-doi-thang-12.xlsx"
    book.save(path)
    return path


def open_page(page, base_url: str, slug: str) -> None:
    page.goto(f"{base_url}/{slug}")
    expect(page.get_by_test_id("stHeading").first).to_contain_text(PAGES[slug], timeout=30_000)
    wait_until_idle(page)


def test_pages_upload_and_download_in_chromium(sample_db, tmp_path):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with running_app(sample_db, tmp_path / "server.log") as base_url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1440, "height": 900}, accept_downloads=True)
        elsewhere = []  # offline offices: no request may leave this machine, on any page
        page.on("request", lambda request: None if is_local(request.url) else elsewhere.append(request.url))
        sidebar = page.get_by_test_id("stSidebar")

        open_page(page, base_url, "")
        expect(sidebar).to_contain_text("Số hồ sơ: 15.221")
        expect(page.get_by_test_id("stException")).to_have_count(0)
        # once the overview is drawn, the browser loads the Plotly chart code ahead of the first chart page
        page.wait_for_function("() => performance.getEntriesByType('resource')"
                               ".some(entry => entry.name.includes('/PlotlyChart.'))", timeout=10_000)
        for slug in PAGES:
            open_page(page, base_url, slug)
            expect(page.get_by_test_id("stException")).to_have_count(0)
            expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
            full_page_screenshot(page, SCREENSHOTS / f"{slug or 'overview'}.png")

        open_page(page, base_url, "units")  # Streamlit's and Plotly's own button labels read Vietnamese
        grid = page.get_by_test_id("stDataFrame").first
        grid.evaluate("element => element.scrollIntoView({block: 'center'})")  # toolbar clear of the grid's edge
        grid.hover()
        toolbar = page.get_by_test_id("stElementToolbar").first
        for label in ("Tải về tệp CSV", "Tìm trong bảng", "Xem toàn màn hình"):
            expect(toolbar.get_by_role("button", name=label, exact=True)).to_be_visible()
        toolbar.get_by_role("button", name="Tìm trong bảng", exact=True).click()
        page.keyboard.type("phòng")  # the search ignores case: five of the six units, all but "Trung tâm …"
        expect(page.get_by_test_id("search-result-area").first).to_have_text("5 kết quả")
        page.locator(".js-plotly-plot").first.hover()
        expect(page.locator('.modebar-btn[data-title="Tải ảnh biểu đồ (PNG)"]').first).to_be_attached()
        # what screen readers read and keyboard users see on focus is Vietnamese too
        for english, vietnamese in (("Sidebar", "Thanh bên"), ("App pages", "Các trang"),
                                    ("Link to heading", "Liên kết đến đề mục")):
            expect(page.locator(f'[aria-label="{vietnamese}"]').first).to_be_attached()
            expect(page.locator(f'[aria-label="{english}"]')).to_have_count(0)
        expect(page.get_by_text("Chuyển đến nội dung chính", exact=True)).to_be_attached()

        open_page(page, base_url, "upload")
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(new_dossiers_file(tmp_path))
        confirm = page.get_by_role("button", name="Nạp 1 tệp vào cơ sở dữ liệu")
        expect(confirm).to_be_enabled(timeout=30_000)
        wait_until_idle(page)
        full_page_screenshot(page, SCREENSHOTS / "upload-mapping.png")
        confirm.click()
        expect(page.get_by_test_id("stAlertContentSuccess").first).to_be_visible(timeout=30_000)
        # The department's first own file takes the 15.221 sample dossiers out: its 2 are left.
        expect(page.get_by_test_id("stMetricValue").first).to_have_text("2")
        wait_until_idle(page)
        full_page_screenshot(page, SCREENSHOTS / "upload-done.png")

        page.get_by_test_id("stSidebarNav").get_by_text("Tổng quan").click()
        expect(page.get_by_test_id("stHeading").first).to_contain_text("Tổng quan")
        expect(sidebar).to_contain_text("Số hồ sơ: 2", timeout=30_000)

        open_page(page, base_url, "export")
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Tải báo cáo giao ban (.xlsx)").click()
        download = download_info.value
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)

        # Before loading, the page says what a register without id, unit or channel column can feed.
        open_page(page, base_url, "upload")
        page.set_viewport_size({"width": 1366, "height": 768})
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(register_file(tmp_path))
        heading = page.get_by_text("Tệp này tính được chỉ số nào")
        expect(heading).to_be_visible(timeout=30_000)
        wait_until_idle(page)
        main = page.get_by_test_id("stMain")
        expect(main).to_contain_text("Tỷ lệ giải quyết đúng hạn — cột «Ngày trả kết quả», «Ngày hẹn trả»")
        expect(main).to_contain_text("Tỷ lệ hồ sơ trực tuyến — tệp không có cột «Hình thức nộp (kênh nộp)»")
        expect(main).to_contain_text("Cột không dùng: «TT», «Ghi chú».")
        expect(main).to_contain_text("Tệp không có cột mã hồ sơ: mã hồ sơ được tạo từ")
        heading.evaluate("element => element.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(300)
        page.screenshot(path=str(SCREENSHOTS / "upload-feeds.png"))
        page.set_viewport_size({"width": 1440, "height": 900})

        open_page(page, base_url, "upload")  # the upload box refuses other file types in Vietnamese
        note = tmp_path / "ghi-chu.txt"
        note.write_text("không phải tệp xuất")
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(note)
        expect(page.get_by_test_id("stMain")).to_contain_text(
            "Lỗi: Không nhận loại tệp này: hãy chọn tệp .xlsx, .xls, .csv, .htm hoặc .xml.")
        browser.close()

    assert elsewhere == []
    assert saved.suffix == ".xlsx"
    workbook = openpyxl.load_workbook(saved)
    assert workbook.sheetnames == [export.GAP_SHEET, export.UNIT_SHEET, export.DUE_SOON_SHEET,
                                   export.FIELD_STATISTICS_SHEET, export.UNIT_STATISTICS_SHEET, export.CHART_SHEET]
    shutil.copy(saved, SCREENSHOTS.parent / saved.name)

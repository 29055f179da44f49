"""The Streamlit app through AppTest on the bundled sample data.

The sample data is loaded once per session into a template DuckDB file (conftest.py); each test copies it.
Expected numbers (worked out by hand from the sample's counts, see the Khánh Hòa framework):
total 2 + 0,35 + 0,31 + 0,31 + 4,5 + 0 + 0 + 0,85 + 0 + 1,26 + 1,39 = 10,97 of 19,5; online
3.159 / 15.047 = 20,99% against a 50% target gives 20,99 / 50 × 3 = 1,26 points, and against a
20% target full marks 3, so the total becomes 10,97 − 1,26 + 3 = 12,71.
"""
from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from cchc_metrics import auth, db, profiles, settings
from dossier_factory import insert_dossiers

APP = str(Path(__file__).resolve().parent.parent / "dashboard.py")
PAGES = ["overview", "units", "trends", "due_soon", "officers", "statistics", "upload", "targets", "export"]
SAMPLE_DOSSIERS = "15.221"
FRAMEWORK = "khanh_hoa_department"


def run_app(db_path: Path, monkeypatch, *, editor: str | None = None, viewer: str | None = None) -> AppTest:
    """The app run once on the database at `db_path`, with the given passwords (None: no password,
    whatever the machine's environment holds)."""
    monkeypatch.setenv("CCHC_DB", str(db_path))
    for name, password in ((auth.EDITOR_ENV, editor), (auth.VIEWER_ENV, viewer)):
        if password is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, auth.hash_password(password, iterations=1000))
    return AppTest.from_file(APP, default_timeout=30).run()


def start_app(sample_template, tmp_path, monkeypatch, *, editor: str | None = None,
              viewer: str | None = None) -> AppTest:
    """The app run once on a fresh copy of the sample database, with the given passwords."""
    path = tmp_path / "cchc.duckdb"
    shutil.copy(sample_template, path)
    return run_app(path, monkeypatch, editor=editor, viewer=viewer)


@pytest.fixture
def app(sample_template, tmp_path, monkeypatch) -> AppTest:
    """No passwords, the app run once on the overview."""
    return start_app(sample_template, tmp_path, monkeypatch)


def open_page(at: AppTest, name: str) -> AppTest:
    return at.switch_page(f"app_pages/{name}.py").run()


def metric_value(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def export_with_new_dossiers() -> bytes:
    """Three dossiers the sample does not have, in a plain one-header layout."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Mã hồ sơ", "Tên thủ tục", "Lĩnh vực", "Đơn vị xử lý", "Cán bộ xử lý", "Ngày tiếp nhận",
                  "Ngày hẹn trả", "Ngày có kết quả", "Hình thức nộp"])
    for number in range(3):
        sheet.append([f"TEST-{number}", "Cấp phiếu lý lịch tư pháp", "Lý lịch tư pháp", "Văn phòng Sở",
                      "Nguyễn Văn Thử", dt.datetime(2023, 11, 1, 8), dt.datetime(2023, 11, 10, 17),
                      dt.datetime(2023, 11, 3, 10), "Trực tuyến toàn trình"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_every_page_opens_on_the_sample_data(app):
    assert_clean(app)
    assert app.title[0].value == "Tổng quan"
    assert metric_value(app, "Tổng điểm hiện tại") == "10,97 / 19,50"
    assert app.warning[0].value.startswith("**Dữ liệu mẫu**")
    assert app.sidebar.selectbox(key="filter_year").value == 2023
    for name in PAGES[1:]:
        assert_clean(open_page(app, name))


def test_sidebar_choices_persist_across_pages(app):
    app.sidebar.multiselect(key="filter_units").set_value(["Văn phòng Sở"]).run()
    open_page(app, "officers")
    assert app.sidebar.multiselect(key="filter_units").value == ["Văn phòng Sở"]
    assert set(app.dataframe[0].value["Đơn vị"]) == {"Văn phòng Sở"}


def test_upload_then_undo_changes_and_restores_the_counts(app):
    open_page(app, "upload")
    assert metric_value(app, "Số hồ sơ trong cơ sở dữ liệu") == SAMPLE_DOSSIERS
    app.file_uploader[0].set_value([("moi.xlsx", export_with_new_dossiers(),
                                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")])
    app.run()
    assert_clean(app)
    app.button(key="upload_confirm").click().run()
    assert_clean(app)
    assert app.success, "the upload reports what it loaded"
    # The first upload of the department's own data took the sample out: its 3 dossiers are left.
    assert metric_value(app, "Số hồ sơ trong cơ sở dữ liệu") == "3"
    assert app.dataframe[0].value["Tệp"].iloc[0] == "moi.xlsx"

    newest = app.dataframe[0].value["Lần tải"].astype(int).max()
    assert app.selectbox(key=f"undo_choice_{newest}").value == newest
    app.button(key="undo_request").click().run()
    app.button(key="undo_confirm").click().run()
    assert_clean(app)
    assert metric_value(app, "Số hồ sơ trong cơ sở dữ liệu") == "0"   # the sample stays out


def test_editing_a_target_changes_the_score(app, tmp_path):
    open_page(app, "targets")
    codes = list(settings.editable_criteria(db.connect(tmp_path / "other.duckdb"), FRAMEWORK, 2023)["code"])
    app.session_state[f"criteria_editor_{FRAMEWORK}_2023_rules"] = {
        "edited_rows": {codes.index("II.6.5.2"): {"target": "20"}}, "added_rows": [], "deleted_rows": []}
    app.run()
    app.button(key="targets_save").click().run()
    assert_clean(app)
    assert app.success[0].value.startswith("Đã lưu")
    open_page(app, "overview")
    assert metric_value(app, "Tổng điểm hiện tại") == "12,71 / 19,50"

    open_page(app, "targets")
    app.button(key="targets_reset").click().run()
    open_page(app, "overview")
    assert metric_value(app, "Tổng điểm hiện tại") == "10,97 / 19,50"


def test_changing_the_start_day_moves_the_evaluation_year(app):
    open_page(app, "targets")
    app.number_input(key="start_day_khanh_hoa_department_2023").set_value(1)
    app.number_input(key="start_month_khanh_hoa_department_2023").set_value(1)
    app.button(key="start_day_save").click().run()
    assert_clean(app)
    # Year 2023 now runs 01/01/2023 – 31/12/2023 (the default is 15/12/2022 – 14/12/2023).
    assert any("01/01/2023 đến 31/12/2023" in c.value for c in app.caption)
    assert any("01/01" in s.value for s in app.success)


def test_editor_password_locks_changes_until_signed_in(sample_template, tmp_path, monkeypatch):
    at = start_app(sample_template, tmp_path, monkeypatch, editor="mat-khau-dung")
    open_page(at, "upload")
    assert not at.file_uploader, "uploading needs the editor role"
    assert any("quyền chỉnh sửa" in i.value for i in at.info)
    at.sidebar.text_input[0].input("sai")
    at.sidebar.button[0].click().run()
    assert any("Mật khẩu không đúng" in e.value for e in at.error)
    at.sidebar.text_input[0].input("mat-khau-dung")
    at.sidebar.button[0].click().run()
    assert_clean(at)
    assert at.file_uploader, "signed in as editor, the uploader appears"


def test_viewer_password_hides_everything_until_signed_in(sample_template, tmp_path, monkeypatch):
    at = start_app(sample_template, tmp_path, monkeypatch, viewer="xem")
    assert not at.metric, "no figure is shown before signing in"
    at.text_input[0].input("xem")
    at.button[0].click().run()
    assert_clean(at)
    assert metric_value(at, "Tổng điểm hiện tại") == "10,97 / 19,50"


def test_a_broken_file_gets_a_vietnamese_message_not_a_traceback(app):
    open_page(app, "upload")
    app.file_uploader[0].set_value([("hong.xlsx", b"day khong phai tep Excel", "application/octet-stream")])
    app.run()
    assert not app.exception
    assert app.error and "hong\\.xlsx" in app.error[0].value  # file text is escaped for Markdown
    assert app.button(key="upload_confirm").disabled
    assert metric_value(app, "Số hồ sơ trong cơ sở dữ liệu") == SAMPLE_DOSSIERS


def test_correcting_the_mapping_and_saving_it_as_a_profile(app, tmp_path):
    book = openpyxl.load_workbook(io.BytesIO(export_with_new_dossiers()))
    book.active["F1"] = "Cột A"  # a header no vendor uses: the received date is not recognised
    buffer = io.BytesIO()
    book.save(buffer)
    open_page(app, "upload")
    app.file_uploader[0].set_value([("cot-la.xlsx", buffer.getvalue(), "application/octet-stream")]).run()
    assert any("Chưa có cột cho: Ngày tiếp nhận" in w.value for w in app.warning)
    assert app.button(key="upload_confirm").disabled

    next(box for box in app.selectbox if box.label == "Ngày tiếp nhận").set_value("Cột A").run()
    assert not app.button(key="upload_confirm").disabled
    next(box for box in app.text_input if box.label.startswith("Lưu cách ghép cột")).input("Phần mềm X")
    next(b for b in app.button if b.label == "Lưu cấu hình cột").click().run()
    assert any("Phần mềm X" in s.value for s in app.success)
    assert profiles.get_profile(db.connect(tmp_path / "cchc.duckdb"), "Phần mềm X")["received_at"] == "Cột A"
    app.button(key="upload_confirm").click().run()
    assert_clean(app)
    assert metric_value(app, "Số hồ sơ trong cơ sở dữ liệu") == "3"     # the sample is taken out


def two_dossier_lists() -> bytes:
    """«Tháng 3» lists TEST-M1, TEST-M2; «Tháng 4» lists TEST-A1, TEST-A2, TEST-A3."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, prefix, count in (("Tháng 3", "TEST-M", 2), ("Tháng 4", "TEST-A", 3)):
        sheet = book.create_sheet(title)
        sheet.append(["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận"])
        for number in range(1, count + 1):
            sheet.append([f"{prefix}{number}", "Chứng thực bản sao", "Văn phòng Sở",
                          dt.datetime(2023, 11, number, 8)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_workbook_of_two_lists_asks_which_sheet_and_loads_it(app, tmp_path):
    open_page(app, "upload")
    app.file_uploader[0].set_value([("hai-trang.xlsx", two_dossier_lists(), "application/octet-stream")]).run()
    assert_clean(app)
    box = next(b for b in app.selectbox if b.label == "Tệp có nhiều danh sách hồ sơ: chọn trang tính cần nạp")
    assert box.options == ["Tháng 3", "Tháng 4"]
    box.set_value("Tháng 4").run()
    assert_clean(app)
    assert list(app.dataframe[0].value["Mã hồ sơ"]) == ["TEST-A1", "TEST-A2", "TEST-A3"]   # its preview
    app.button(key="upload_confirm").click().run()
    assert_clean(app)
    assert any("trang tính «Tháng 4»" in s.value for s in app.success)
    # The sample is taken out by this first upload of own data: 0 + the 3 dossiers of «Tháng 4».
    assert metric_value(app, "Số hồ sơ trong cơ sở dữ liệu") == "3"
    con = db.connect(tmp_path / "cchc.duckdb")
    assert con.execute("SELECT dossier_id FROM dossiers ORDER BY 1").fetchall() == [
        ("TEST-A1",), ("TEST-A2",), ("TEST-A3",)]


def id_less_register() -> bytes:
    """An official register: a running number "TT", no dossier id, unit or channel column; a header
    that would render as an image if it were not escaped."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["SỔ THEO DÕI HỒ SƠ"])
    sheet.append(["TT", "Tên thủ tục", "Ngày nhận hồ sơ", "Ngày hẹn trả", "Ngày trả kết quả",
                  "![x](http://127.0.0.1:9/x.png)"])
    for number in range(4):
        sheet.append([number + 1, "Chứng thực bản sao", dt.datetime(2023, 11, 6, 8 + number),
                      dt.datetime(2023, 11, 8), None, ""])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_upload_page_says_what_a_file_can_feed_and_warns(app):
    open_page(app, "upload")
    app.file_uploader[0].set_value([("so-theo-doi.xlsx", id_less_register(), "application/octet-stream")]).run()
    assert_clean(app)
    shown = "\n".join(m.value for m in app.markdown)
    assert "- :green[✓] **Số hồ sơ tiếp nhận** — cột «Ngày nhận hồ sơ»" in shown
    assert "- :green[✓] **Tỷ lệ giải quyết đúng hạn** — cột «Ngày trả kết quả», «Ngày hẹn trả»" in shown
    assert "- :red[✗] **Tỷ lệ hồ sơ trực tuyến** — tệp không có cột «Hình thức nộp \\(kênh nộp\\)»" in shown
    captions = " ".join(c.value for c in app.caption)
    assert "Cột không dùng: «TT», «\\!\\[x\\]\\(http\u2060\\://127\\.0\\.0\\.1\\:9/x\\.png\\)»." in captions
    assert "![x]" not in shown + captions, "data text never reaches Markdown unescaped"
    warnings = [w.value for w in app.warning]
    assert any(w.startswith("Tệp không có cột mã hồ sơ\\: mã hồ sơ được tạo từ ngày giờ tiếp nhận") for w in warnings)
    assert any("chưa chọn đơn vị cho cả tệp" in w for w in warnings)
    assert not app.button(key="upload_confirm").disabled, "no id, unit or channel column: still loadable"

    next(box for box in app.text_input if box.label.startswith("Tệp không có cột đơn vị")).input("UBND xã An Phú")
    app.run()
    assert not any("chưa chọn đơn vị cho cả tệp" in w.value for w in app.warning)
    app.button(key="upload_confirm").click().run()
    assert_clean(app)
    assert metric_value(app, "Số hồ sơ trong cơ sở dữ liệu") == "4"     # the sample is taken out
    after = [w.value for w in app.warning]
    assert any(w.startswith("«so\\-theo\\-doi\\.xlsx»\\: Tệp không có cột mã hồ sơ") for w in after), after
    newest = int(app.dataframe[0].value["Lần tải"].max())   # the warnings are listed under the history
    assert any(m.value.startswith(f"- **Lần tải {newest}**: Tệp không có cột mã hồ sơ") for m in app.markdown)


def test_an_empty_database_opens_on_the_sample_data(tmp_path, monkeypatch):
    monkeypatch.setenv("CCHC_DB", str(tmp_path / "fresh" / "cchc.duckdb"))
    monkeypatch.delenv(auth.EDITOR_ENV, raising=False)
    monkeypatch.delenv(auth.VIEWER_ENV, raising=False)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert_clean(at)
    assert at.warning[0].value.startswith("**Dữ liệu mẫu**")
    assert metric_value(at, "Tổng điểm hiện tại") == "10,97 / 19,50"


def test_old_real_data_gets_a_stale_warning(tmp_path, monkeypatch):
    path = tmp_path / "cu.duckdb"
    con = db.connect(path)
    con.execute("INSERT INTO uploads (upload_id, file_name, sha256, uploaded_at) "
                "VALUES (1, 'thang-3.xlsx', 'x', TIMESTAMP '2023-04-01 08:00:00')")
    insert_dossiers(con, [{"received_at": dt.datetime(2023, 3, 1, 8), "due_at": dt.date(2023, 3, 10),
                           "finished_at": dt.datetime(2023, 3, 8, 9)}])
    con.close()
    monkeypatch.setenv("CCHC_DB", str(path))
    monkeypatch.delenv(auth.EDITOR_ENV, raising=False)
    monkeypatch.delenv(auth.VIEWER_ENV, raising=False)
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert_clean(at)
    assert len(at.warning) == 1 and at.warning[0].value.startswith("Dữ liệu mới nhất là ngày 08/03/2023")


def test_officers_page_lists_a_late_officers_dossiers(app):
    open_page(app, "officers")
    choice = app.selectbox(key="officers_late_choice")
    assert choice.value.startswith("Lê Quang Vinh")  # the sample's only officer at 10% or more late
    late = app.dataframe[1].value
    assert len(late) == 3 and (late["Số ngày làm việc trễ"].astype(int) > 0).all()


def test_units_page_drills_into_one_unit_by_field_procedure_and_officer(app):
    open_page(app, "units")
    app.selectbox(key="units_drill_unit").set_value("Văn phòng Sở").run()
    for level, header in (("field", "Lĩnh vực"), ("procedure", "Thủ tục"), ("officer", "Cán bộ")):
        app.radio(key="units_drill_level").set_value(level).run()
        assert_clean(app)
        detail = app.dataframe[-1].value
        assert detail.columns[0] == header and len(detail) > 0


def test_due_soon_day_is_typed_day_first_and_a_wrong_day_says_so(app):
    open_page(app, "due_soon")
    day = app.text_input(key="due_as_of")
    assert day.value == "14/12/2023"  # the sample's latest dossier day, older than today
    default_counts = [m.value for m in app.metric]
    day.set_value("31/02/2023").run()
    assert not app.exception
    assert len(app.error) == 1 and app.error[0].value.startswith("«31/02/2023» không phải là một ngày hợp lệ")
    assert [m.value for m in app.metric] == default_counts  # falls back to 14/12/2023
    day.set_value("01/01/2020").run()  # before the sample's first dossier (17/11/2022): nothing open yet
    assert_clean(app)
    assert [m.value for m in app.metric] == ["0", "0"]
    assert app.success[0].value == "Không có hồ sơ nào sắp đến hạn hoặc quá hạn."

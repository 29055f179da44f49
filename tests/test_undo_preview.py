"""Undo that cannot surprise: the newest upload still in force is offered first, and undoing asks
for confirmation naming the file, its upload time and what will change."""
from __future__ import annotations

from table_display import shown_table

import io
import shutil

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from cchc_metrics import ingest
from cchc_metrics.errors import IngestError
from cchc_metrics.formatting import format_datetime
from cchc_metrics.undo_preview import newest_in_force, undo_preview
from test_app_pages import metric_value, run_app

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export(ids: list[str], unit: str = "Văn phòng Sở") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày có kết quả"])
    for dossier_id in ids:
        sheet.append([dossier_id, "Chứng thực bản sao", unit, "01/11/2023", "10/11/2023", "03/11/2023"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_preview_counts_what_undo_then_does(con):
    ingest.ingest_file(con, export(["A", "B", "C"]), "thang-10.xlsx")                # upload 1
    second = ingest.ingest_file(con, export(["C", "D"], unit="Phòng 2"), "thang-11.xlsx")  # upload 2
    preview = undo_preview(con, second.upload_id)
    # upload 2 holds C (also in upload 1: goes back to that version) and D (only here: removed)
    assert (preview.dossiers_removed, preview.dossiers_restored) == (1, 1)
    assert preview.file_name == "thang-11.xlsx"
    assert preview.message_vi == (
        f"Hoàn tác lần tải số 2: tệp «thang-11.xlsx», tải lúc {format_datetime(second.uploaded_at)}. "
        "Sẽ bỏ 1 hồ sơ chỉ có trong tệp này và đưa 1 hồ sơ về phiên bản của các lần tải khác.")
    assert [r[0] for r in con.execute("SELECT dossier_id FROM dossiers ORDER BY 1").fetchall()] == ["A", "B", "C", "D"]
    result = ingest.undo_upload(con, second.upload_id)
    assert (result.dossiers_removed, result.dossiers_restored) == (1, 1)
    assert newest_in_force(ingest.list_uploads(con)) == 1
    with pytest.raises(IngestError, match="đã được hoàn tác"):
        undo_preview(con, second.upload_id)
    with pytest.raises(IngestError, match="không có lần tải dữ liệu số 9"):
        undo_preview(con, 9)


def test_newest_in_force_skips_undone_uploads(con):
    for number in range(3):
        ingest.ingest_file(con, export([f"X{number}"]), f"tep-{number}.xlsx")
    ingest.undo_upload(con, 3)
    assert newest_in_force(ingest.list_uploads(con)) == 2


@pytest.fixture
def upload_page(sample_template, tmp_path, monkeypatch) -> AppTest:  # noqa: F811
    path = tmp_path / "cchc.duckdb"
    shutil.copy(sample_template, path)  # the sample: uploads 1-13
    return run_app(path, monkeypatch).switch_page("app_pages/upload.py").run()


def load(at: AppTest, name: str, data: bytes) -> None:
    at.file_uploader[0].set_value([(name, data, XLSX)]).run()
    at.button(key="upload_confirm").click().run()
    assert not at.exception and not at.error


def test_after_two_uploads_the_newest_is_preselected_and_undo_asks_first(upload_page):
    at = upload_page
    at.selectbox(key="undo_choice_13").set_value(12).run()  # an older choice left in the box
    load(at, "moi-1.xlsx", export(["MOI-1", "MOI-2"]))      # upload 14
    load(at, "moi-2.xlsx", export(["MOI-2", "MOI-3"], unit="Phòng 2"))  # upload 15
    assert at.selectbox(key="undo_choice_15").value == 15
    # the first own upload retired the sample: MOI-1, MOI-2, MOI-3
    assert metric_value(at, "Số hồ sơ trong cơ sở dữ liệu") == "3"

    at.button(key="undo_request").click().run()
    question = at.warning[-1].value.replace("\\", "")
    history = shown_table(at.dataframe[0])   # as the reader sees it
    assert history["Lần tải"].iloc[0] == "15"
    uploaded_at = history["Thời điểm tải"].iloc[0]  # as the history shows it, dd/mm/yyyy HH:MM
    assert f"Hoàn tác lần tải số 15: tệp «moi-2.xlsx», tải lúc {uploaded_at}." in question
    # MOI-3 is only in upload 15 (removed); MOI-2 is also in upload 14 (back to that version)
    assert "Sẽ bỏ 1 hồ sơ chỉ có trong tệp này và đưa 1 hồ sơ về phiên bản của các lần tải khác" in question
    assert metric_value(at, "Số hồ sơ trong cơ sở dữ liệu") == "3"  # nothing done yet

    at.button(key="undo_cancel").click().run()
    assert metric_value(at, "Số hồ sơ trong cơ sở dữ liệu") == "3"
    assert at.selectbox(key="undo_choice_15").value == 15

    at.button(key="undo_request").click().run()
    at.button(key="undo_confirm").click().run()
    assert not at.exception and not at.error
    assert metric_value(at, "Số hồ sơ trong cơ sở dữ liệu") == "2"  # MOI-3 gone
    assert at.selectbox(key="undo_choice_14").value == 14  # now the newest still in force

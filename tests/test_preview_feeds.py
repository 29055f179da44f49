"""What a file can feed, said before loading; only the received date required; registers without a
dossier id get a stable derived id. Expected lines and counts written out by hand."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from cchc_metrics.cli import main
from cchc_metrics.errors import IngestError
from cchc_metrics.ingest import ingest_file, list_uploads, preview_export, rejected_rows
from cchc_metrics.ingest.explain import UNKNOWN_PROCEDURE, UNKNOWN_UNIT, feed_line_vi
from conftest import write_xlsx

D = dt.datetime

FULL_HEADER = ["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày có kết quả",
               "Hình thức nộp", "Số hóa hồ sơ", "Họ tên người nộp", "Ghi chú"]
FULL_ROW = ["H-1", "Chứng thực bản sao", "Phòng Tư pháp", "02/10/2023 08:00", "04/10/2023", "03/10/2023",
            "Trực tuyến", "Có", "Nguyễn Văn An", "gấp"]


def lines(preview) -> list[str]:
    return [feed_line_vi(f) for f in preview.feeds]


def test_a_full_export_feeds_everything_but_fees_and_e_results(tmp_path):
    data = write_xlsx(tmp_path / "du.xlsx", [FULL_HEADER, FULL_ROW]).read_bytes()
    preview = preview_export(data, "du.xlsx")
    assert lines(preview) == [
        "Số hồ sơ tiếp nhận: có — cột «Ngày tiếp nhận»",
        "Số hồ sơ đã giải quyết, đang giải quyết: có — cột «Ngày có kết quả»",
        "Tỷ lệ giải quyết đúng hạn: có — cột «Ngày có kết quả», «Ngày hẹn trả»",
        "Tỷ lệ đúng hạn (Bộ chỉ số 766): có — cột «Ngày có kết quả», «Ngày hẹn trả»",
        "Tỷ lệ hồ sơ trực tuyến: có — cột «Hình thức nộp»",
        "Tỷ lệ hồ sơ qua bưu chính công ích: có — cột «Hình thức nộp»",
        "Tỷ lệ thanh toán trực tuyến: không — tệp không có cột «Phí, lệ phí», «Thanh toán trực tuyến»",
        "Tỷ lệ hồ sơ được số hóa: có — cột «Ngày có kết quả», «Số hóa hồ sơ»",
        "Tỷ lệ kết quả điện tử: không — tệp không có cột «Kết quả điện tử»",
    ]
    assert preview.unused_headers == ["Ghi chú"]
    assert preview.personal_headers == ["Họ tên người nộp"]
    assert preview.missing_required == [] and not preview.derived_id
    assert preview.warnings() == []


def test_a_register_without_due_finish_or_channel(tmp_path):
    rows = [["TT", "Tên thủ tục", "Ngày nhận hồ sơ"], [1, "Chứng thực bản sao", "02/10/2023"]]
    preview = preview_export(write_xlsx(tmp_path / "so.xlsx", rows).read_bytes(), "so.xlsx")
    assert lines(preview)[:4] == [
        "Số hồ sơ tiếp nhận: có — cột «Ngày nhận hồ sơ»",
        "Số hồ sơ đã giải quyết, đang giải quyết: không — tệp không có cột «Ngày có kết quả / Ngày trả kết quả»",
        "Tỷ lệ giải quyết đúng hạn: không — tệp không có cột «Ngày có kết quả / Ngày trả kết quả», «Ngày hẹn trả»",
        "Tỷ lệ đúng hạn (Bộ chỉ số 766): không — tệp không có cột «Ngày có kết quả / Ngày trả kết quả», "
        "«Ngày hẹn trả»"]
    assert lines(preview)[4] == "Tỷ lệ hồ sơ trực tuyến: không — tệp không có cột «Hình thức nộp (kênh nộp)»"
    assert not any(f.can_feed for f in preview.feeds[1:])
    assert preview.unused_headers == ["TT"] and preview.derived_id
    warnings = preview.warnings()
    starts = ["Tệp không có cột mã hồ sơ: mã hồ sơ được tạo từ ngày giờ tiếp nhận, thủ tục, đơn vị xử lý và "
              "ngày hẹn trả", "Tệp không có cột đơn vị xử lý và chưa chọn đơn vị cho cả tệp",
              "Tệp không có cột «Ngày có kết quả / Ngày trả kết quả»:", "Tệp không có cột «Ngày hẹn trả»:"]
    assert len(warnings) == 4 and all(w.startswith(s) for w, s in zip(warnings, starts))
    assert "không tính được Số hồ sơ đã giải quyết, đang giải quyết, Tỷ lệ giải quyết đúng hạn, Tỷ lệ đúng " \
           "hạn (Bộ chỉ số 766), Tỷ lệ hồ sơ được số hóa, Tỷ lệ kết quả điện tử" in warnings[2]
    assert "không tính được Tỷ lệ giải quyết đúng hạn, Tỷ lệ đúng hạn (Bộ chỉ số 766) (" in warnings[3]
    # A unit named for the file removes the unit warning.
    assert len(preview.warnings("Phòng Tư pháp")) == 3


def test_a_return_date_stands_in_for_the_finish(tmp_path):
    rows = [["Mã hồ sơ", "Thủ tục", "Ngày nhận", "Hẹn trả", "Ngày trả kết quả"],
            ["A", "X", "02/10/2023", "04/10/2023", "03/10/2023"]]
    preview = preview_export(write_xlsx(tmp_path / "tra.xlsx", rows).read_bytes(), "tra.xlsx")
    assert lines(preview)[1:3] == [
        "Số hồ sơ đã giải quyết, đang giải quyết: có — cột «Ngày trả kết quả»",
        "Tỷ lệ giải quyết đúng hạn: có — cột «Ngày trả kết quả», «Hẹn trả»"]


# ---- an official register with only a running number "TT", loaded twice with overlap -----------

REGISTER_HEADER = ["TT", "Tên thủ tục", "Ngày nhận hồ sơ", "Ngày hẹn trả", "Ngày trả kết quả"]
TITLE = [["SỔ THEO DÕI HỒ SƠ"], ["Bộ phận Một cửa xã An Phú"], []]
BOOK_1 = [
    [1, "Cấp giấy phép xây dựng", "02/10/2023 08:15", "16/10/2023", "13/10/2023"],
    [2, "Chứng thực bản sao", "02/10/2023 09:00", "02/10/2023", None],
    [3, "Chứng thực bản sao", "02/10/2023 09:00", "02/10/2023", None],   # same as TT 2: a second dossier
    [4, "Đăng ký hộ kinh doanh", "03/10/2023 14:30", "06/10/2023", None],
]
# The same book a week later: return dates filled in, two new dossiers, a totals line.
BOOK_2 = [
    [1, "Cấp giấy phép xây dựng", "02/10/2023 08:15", "16/10/2023", "13/10/2023"],
    [2, "Chứng thực bản sao", "02/10/2023 09:00", "02/10/2023", "02/10/2023"],
    [3, "Chứng thực bản sao", "02/10/2023 09:00", "02/10/2023", "03/10/2023"],
    [4, "Đăng ký hộ kinh doanh", "03/10/2023 14:30", "06/10/2023", "05/10/2023"],
    [5, "Cấp giấy phép xây dựng", "04/10/2023 10:00", "18/10/2023", None],
    [6, "Chứng thực bản sao", "05/10/2023 08:00", "05/10/2023", "20/10/2023"],
    ["Tổng cộng: 6 hồ sơ", None, None, None, None],
]


def register(tmp_path, name, rows) -> bytes:
    return write_xlsx(tmp_path / name, TITLE + [REGISTER_HEADER] + rows).read_bytes()


def state(con):
    return con.execute("SELECT dossier_id, procedure_name, unit, received_at, returned_at, finished_at "
                       "FROM dossiers ORDER BY received_at, source_row").fetchall()


@pytest.mark.parametrize("order", ["in order", "reversed"])
def test_an_id_less_register_loaded_twice_with_overlap_counts_each_dossier_once(con, tmp_path, order):
    books = [("so-t10-tuan1.xlsx", register(tmp_path, "a.xlsx", BOOK_1)),
             ("so-t10-tuan2.xlsx", register(tmp_path, "b.xlsx", BOOK_2))]
    if order == "reversed":
        books.reverse()
    first = ingest_file(con, books[0][1], books[0][0], default_unit="UBND xã An Phú")
    second = ingest_file(con, books[1][1], books[1][0], default_unit="UBND xã An Phú")
    # 4 dossiers in week 1, the same 4 plus TT 5 and 6 in week 2: 6 dossiers, never 10.
    assert con.execute("SELECT count(*) FROM dossiers").fetchone()[0] == 6
    if order == "in order":
        assert (first.added, second.added, second.updated, second.unchanged) == (4, 2, 3, 1)
    else:
        assert (first.added, second.added) == (6, 0)
    rows = state(con)
    assert [r[0][:16] for r in rows] == ["TT-202310020815-", "TT-202310020900-", "TT-202310020900-",
                                        "TT-202310031430-", "TT-202310041000-", "TT-202310050800-"]
    assert len({r[0] for r in rows}) == 6
    assert {r[2] for r in rows} == {"UBND xã An Phú"}
    # Week 2 has the newer data (latest date 20/10 against 13/10) and wins in either order: TT 2, 3, 4 are now returned (the return date is the finish).
    assert [r[4] for r in rows] == [D(2023, 10, 13), D(2023, 10, 2), D(2023, 10, 3), D(2023, 10, 5), None,
                                    D(2023, 10, 20)]
    assert [r[5] for r in rows] == [r[4] for r in rows]
    assert any("không có cột mã hồ sơ" in w for w in second.warnings)


def test_derived_ids_do_not_depend_on_return_dates_or_the_running_number(con, tmp_path):
    renumbered = [[10 + r[0]] + r[1:4] + [None] for r in BOOK_1]
    ingest_file(con, register(tmp_path, "a.xlsx", BOOK_1), "a.xlsx")
    first = [r[0] for r in state(con)]
    con.execute("DELETE FROM dossiers; DELETE FROM dossier_versions; DELETE FROM uploads")
    ingest_file(con, register(tmp_path, "c.xlsx", renumbered), "c.xlsx")
    assert [r[0] for r in state(con)] == first


def test_no_unit_column_loads_with_the_placeholder_and_a_warning(con, tmp_path):
    result = ingest_file(con, register(tmp_path, "a.xlsx", BOOK_1), "a.xlsx")
    assert {r[2] for r in state(con)} == {UNKNOWN_UNIT}
    assert any(f"đơn vị «{UNKNOWN_UNIT}»" in w for w in result.warnings)
    stored = json.loads(list_uploads(con)["warnings"].iloc[0])
    assert stored == result.warnings


def test_no_procedure_column_and_blank_cells(con, tmp_path):
    rows = [["Mã hồ sơ", "Đơn vị xử lý", "Ngày tiếp nhận"], ["A", "Phòng 1", "02/10/2023"],
            ["B", None, "03/10/2023"]]
    result = ingest_file(con, write_xlsx(tmp_path / "np.xlsx", rows).read_bytes(), "np.xlsx")
    assert con.execute("SELECT dossier_id, procedure_name, unit FROM dossiers ORDER BY 1").fetchall() == [
        ("A", UNKNOWN_PROCEDURE, "Phòng 1"), ("B", UNKNOWN_PROCEDURE, UNKNOWN_UNIT)]
    assert f"Tệp không có cột thủ tục: các hồ sơ được ghi là «{UNKNOWN_PROCEDURE}»." in result.warnings
    assert f"1 dòng để trống đơn vị xử lý: ghi là «{UNKNOWN_UNIT}»." in result.warnings
    assert not any("mã hồ sơ" in w for w in result.warnings)


def test_an_identical_reupload_reports_the_stored_warnings(con, tmp_path):
    data = register(tmp_path, "a.xlsx", BOOK_1)
    first = ingest_file(con, data, "a.xlsx")
    again = ingest_file(con, data, "a-lan-2.xlsx")
    assert again.status == "already_loaded" and again.warnings == first.warnings


def test_personal_values_never_appear_in_messages_or_rejected_rows(con, tmp_path):
    rows = [["Mã hồ sơ", "Tên thủ tục", "Họ tên người nộp", "Số điện thoại", "Ngày tiếp nhận"],
            ["A-1", "X", "Trần Thị Bích", "0912345678", "31/02/2023"],
            ["B-2", "X", "Lê Văn Cường", "0987654321", None]]
    data = write_xlsx(tmp_path / "cn.xlsx", rows).read_bytes()
    with pytest.raises(IngestError) as caught:
        ingest_file(con, data, "cn.xlsx")
    text = str(caught.value) + repr(caught.value.problems)
    for personal in ("Trần Thị Bích", "0912345678", "Lê Văn Cường", "0987654321"):
        assert personal not in text
    result = ingest_file(con, data, "cn.xlsx", skip_invalid=True)
    kept = rejected_rows(con, result.upload_id).to_string()
    assert "Bích" not in kept and "0912345678" not in kept and "31/02/2023" in kept


def test_cli_preview_load_warnings_and_history(tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    path = tmp_path / "so-thang-10.xlsx"
    path.write_bytes(register(tmp_path, "a.xlsx", BOOK_1))
    assert main(["ingest", "--preview", "--db", str(db), str(path)]) == 0
    out = capsys.readouterr().out
    assert not db.exists(), "a preview opens no database"
    assert "  ✓ Số hồ sơ đã giải quyết, đang giải quyết: có — cột «Ngày trả kết quả»" in out
    assert "  ✗ Tỷ lệ hồ sơ trực tuyến: không — tệp không có cột «Hình thức nộp (kênh nộp)»" in out
    assert "Cột không dùng: «TT»." in out
    assert "Cảnh báo khi nạp: Tệp không có cột mã hồ sơ" in out
    assert "Cảnh báo khi nạp: Tệp không có cột đơn vị xử lý" in out

    assert main(["ingest", "--db", str(db), "--unit", "UBND xã An Phú", str(path)]) == 0
    out = capsys.readouterr().out
    assert "[1] Đã nạp «so-thang-10.xlsx»: 4 dòng hồ sơ, 4 hồ sơ mới" in out
    assert "  Cảnh báo: Tệp không có cột mã hồ sơ" in out and "đơn vị xử lý và chưa chọn" not in out
    assert main(["uploads", "--db", str(db)]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[1].split()[:2] == ["1", "so-thang-10.xlsx"]
    assert listing[2].startswith("      Cảnh báo: Tệp không có cột mã hồ sơ")


# ---- the page's formatting (cchc_metrics.app_services) ------------------------------------------

def test_escape_markdown_makes_file_text_inert():
    from cchc_metrics.app_services import escape_markdown

    # a word joiner (U+2060) after "http" keeps the bare address from becoming a link
    assert escape_markdown("![x](http://a.b/c.png)") == "\\!\\[x\\]\\(http\u2060\\://a\\.b/c\\.png\\)"
    assert escape_markdown("$x$ :red[đỏ] *in đậm* <b>") == r"\$x\$ \:red\[đỏ\] \*in đậm\* \<b\>"
    assert escape_markdown("dòng 1\n- dòng 2") == "dòng 1  \n\\- dòng 2"


def test_feed_lists_and_unused_columns_for_the_page(tmp_path):
    from cchc_metrics.app_services import feed_lists_markdown, unused_columns_markdown

    rows = [["Mã hồ sơ", "Thủ tục", "Ngày nhận", "Kênh_nộp*", "Ghi chú [1]", "Số CCCD"],
            ["A", "X", "02/10/2023", "Trực tuyến", "", "0123"]]
    preview = preview_export(write_xlsx(tmp_path / "k.xlsx", rows).read_bytes(), "k.xlsx")
    can, cannot = feed_lists_markdown(preview.feeds)
    assert can.splitlines() == [
        "- :green[✓] **Số hồ sơ tiếp nhận** — cột «Ngày nhận»",
        r"- :green[✓] **Tỷ lệ hồ sơ trực tuyến** — cột «Kênh\_nộp\*»",
        r"- :green[✓] **Tỷ lệ hồ sơ qua bưu chính công ích** — cột «Kênh\_nộp\*»"]
    assert cannot.splitlines()[0] == (r"- :red[✗] **Số hồ sơ đã giải quyết, đang giải quyết** — tệp không có "
                                      r"cột «Ngày có kết quả / Ngày trả kết quả»")
    assert len(cannot.splitlines()) == 6  # 9 lines in all, 3 fed
    assert unused_columns_markdown(preview.unused_headers, preview.personal_headers) == (
        r"Cột không dùng: «Ghi chú \[1\]». Cột thông tin cá nhân, bỏ đi và không lưu: «Số CCCD».")
    assert unused_columns_markdown([], []) == ""


def test_upload_warning_texts_of_the_history():
    import pandas as pd

    from cchc_metrics.app_services import upload_warning_texts

    uploads = pd.DataFrame({"warnings": [json.dumps(["Một.", "Hai."]), None]})
    assert upload_warning_texts(uploads) == ["Một. · Hai.", ""]
    assert upload_warning_texts(pd.DataFrame({"upload_id": [1]})) == [""]


def test_an_older_database_gains_the_warnings_column(tmp_path):
    from cchc_metrics.db import connect

    path = tmp_path / "old.duckdb"
    con = connect(path)
    ingest_file(con, register(tmp_path, "a.xlsx", BOOK_1), "a.xlsx")
    con.execute("ALTER TABLE uploads DROP COLUMN warnings")
    con.close()
    con = connect(path)
    assert list_uploads(con)["warnings"].isna().all()    # older uploads: no warnings recorded
    assert ingest_file(con, register(tmp_path, "b.xlsx", BOOK_2), "b.xlsx").warnings
    assert json.loads(list_uploads(con)["warnings"].iloc[0])[0].startswith("Tệp không có cột mã hồ sơ")
    con.close()


def test_a_mistyped_date_in_an_id_less_register_is_reported_not_dropped(con, tmp_path):
    rows = BOOK_1[:2] + [[3, "Chứng thực bản sao", "31/02/2023", "02/10/2023", None],
                         [None, None, None, None, "An Phú, ngày 30 tháng 10 năm 2023"]]
    with pytest.raises(IngestError) as caught:
        ingest_file(con, register(tmp_path, "typo.xlsx", rows), "typo.xlsx")
    # Title rows 1-3, header row 4: TT 3 is Excel row 7; the signature line is not a dossier.
    assert [(p.row, p.column, p.value) for p in caught.value.problems] == [(7, "Ngày nhận hồ sơ", "31/02/2023")]

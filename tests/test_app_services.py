"""The small core layer the pages call: data version, evaluation years, as-of day, editor round trip."""
import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from cchc_metrics import app_services, db, profiles, settings
from dossier_factory import insert_dossiers


def test_data_version_changes_with_uploads_undo_settings_and_profiles(tmp_path, monkeypatch):
    monkeypatch.setenv("CCHC_DB", str(tmp_path / "v.duckdb"))
    con = db.connect()
    empty = app_services.data_version(con)
    con.execute("INSERT INTO uploads (upload_id, file_name, sha256, uploaded_at) "
                "VALUES (1, 'a.xlsx', 'x', TIMESTAMP '2023-01-05 08:00:00')")
    uploaded = app_services.data_version(con)
    con.execute("UPDATE uploads SET undone_at = TIMESTAMP '2023-01-06 08:00:00'")
    undone = app_services.data_version(con)
    settings.reset_criteria(con, "khanh_hoa_department", 2023)  # writes nothing: no overrides
    assert app_services.data_version(con) == undone
    edited = settings.editable_criteria(con, "khanh_hoa_department", 2023)
    edited.loc[edited["code"] == "II.6.5.2", "target"] = 20
    settings.save_criteria(con, "khanh_hoa_department", 2023, edited)
    saved = app_services.data_version(con)
    profiles.save_profile(con, "iGate", {"dossier_id": "Mã hồ sơ"})
    with_profile = app_services.data_version(con)
    assert len({empty, uploaded, undone, saved, with_profile}) == 5
    assert empty[0] == str(tmp_path / "v.duckdb")


def test_evaluation_years_follow_the_15_december_start_and_partial_years_say_so(tmp_path):
    con = db.connect(tmp_path / "y.duckdb")
    assert app_services.evaluation_year_labels(con) == {}
    insert_dossiers(con, [{"received_at": dt.datetime(2022, 12, 14, 9)},   # year 2022, its month 12
                          {"received_at": dt.datetime(2022, 12, 15, 9)},   # year 2023, month 1 (15/12–14/01)
                          {"received_at": dt.datetime(2023, 12, 14, 16)}])  # year 2023, month 12
    assert app_services.evaluation_year_labels(con) == {2023: "2023 (chỉ có 2 tháng dữ liệu)",
                                                        2022: "2022 (chỉ có 1 tháng dữ liệu)"}
    # months 2..6 of 2023: 15/01–14/02 … 15/05–14/06 -> seven months in all, a full year
    insert_dossiers(con, [{"received_at": dt.datetime(2023, month, 20, 9)} for month in range(1, 6)])
    assert app_services.evaluation_year_labels(con) == {2023: "2023", 2022: "2022 (chỉ có 1 tháng dữ liệu)"}


def test_default_as_of_is_the_latest_data_day_when_the_data_is_older():
    today = dt.date(2026, 11, 23)
    assert app_services.default_as_of(dt.datetime(2023, 12, 14, 16, 30), today) == dt.date(2023, 12, 14)
    assert app_services.default_as_of(dt.datetime(2026, 11, 25, 8), today) == today
    assert app_services.default_as_of(None, today) == today


def test_stale_days():
    today = dt.date(2023, 12, 30)
    assert app_services.stale_days(dt.datetime(2023, 12, 14, 16), today) == 16
    assert app_services.stale_days(dt.date(2023, 12, 20), today) is None  # exactly 10 days: fresh
    assert app_services.stale_days(None, today) is None


def test_describe_layout_in_vietnamese():
    text = app_services.describe_layout({"format": "xlsx", "sheet": "Báo cáo", "header_rows": [5, 6],
                                         "first_data_row": 7}, dt.date(2023, 1, 1), dt.date(2023, 1, 31))
    assert text == ("Tệp Excel (.xlsx), trang tính «Báo cáo», dòng tiêu đề 5–6, dữ liệu từ dòng 7, "
                    "kỳ báo cáo 01/01/2023 – 31/01/2023.")


def test_criteria_editor_round_trip_keeps_values_and_blanks(tmp_path):
    con = db.connect(tmp_path / "c.duckdb")
    criteria = settings.editable_criteria(con, "khanh_hoa_department", 2023)
    shown = app_services.criteria_for_editor(criteria)
    online = shown[shown["code"] == "II.6.5.2"].iloc[0]
    assert (online["target"], online["max_points"], online["manual_points"]) == ("50", "3", "")
    assert online["rule"] == "Tỷ lệ so với chỉ tiêu × điểm tối đa"  # the editor never shows rule codes
    shown.loc[shown["code"] == "II.6.5.2", "target"] = "20"
    settings.save_criteria(con, "khanh_hoa_department", 2023, app_services.criteria_from_editor(shown))
    saved = settings.editable_criteria(con, "khanh_hoa_department", 2023)
    assert saved.loc[saved["code"] == "II.6.5.2", "target"].item() == 20  # percent in the editor, 0.2 stored
    assert saved.drop(columns="target").equals(criteria.drop(columns="target"))


def test_table_downloads_keep_text_as_text():
    frame = pd.DataFrame({"Mã hồ sơ": ["=HYPERLINK(\"http://x\")", "000123"], "Số": ["1.234", "2"]})
    sheet = openpyxl.load_workbook(io.BytesIO(app_services.table_to_xlsx(frame, "Danh sách"))).active
    assert sheet["A2"].value == "=HYPERLINK(\"http://x\")" and sheet["A2"].data_type == "s"
    assert sheet["A3"].value == "000123"
    assert app_services.table_to_csv(frame).startswith("\ufeffMã hồ sơ".encode("utf-8"))


NAN = float("nan")
# A hand-made `scoring.score_by_unit` frame: two criteria, three units (one row without a unit).
BY_UNIT = pd.DataFrame({
    "unit": ["Phòng B", "Phòng A", "Phòng C", "Phòng B", "Phòng A", None],
    "code": ["II.6.5.2", "II.6.5.2", "II.6.5.2", "II.2.4.2.1", "II.2.4.2.1", "II.2.4.2.1"],
    "name": ["Trực tuyến", "Trực tuyến", "Trực tuyến", "Đúng hạn", "Đúng hạn", "Đúng hạn"],
    "target": [0.5, 0.5, 0.5, NAN, NAN, NAN],
    "points_lost_share": [0.25, 0.75, NAN, 0.4, 0.4, 0.2],
})


def test_criterion_labels_and_target_from_the_unit_scores():
    assert app_services.criterion_labels(BY_UNIT) == {"II.6.5.2": "Trực tuyến", "II.2.4.2.1": "Đúng hạn"}
    assert list(app_services.criterion_labels(BY_UNIT)) == ["II.6.5.2", "II.2.4.2.1"]  # first seen first
    assert app_services.criterion_target(BY_UNIT, "II.6.5.2") == 0.5
    assert pd.isna(app_services.criterion_target(BY_UNIT, "II.2.4.2.1"))
    assert app_services.criterion_labels(BY_UNIT.iloc[:0]) == {}


def test_criterion_unit_results_and_lost_share_ranking():
    one = app_services.criterion_unit_results(BY_UNIT, "II.6.5.2")
    assert one["unit"].tolist() == ["Phòng B", "Phòng A", "Phòng C"]  # the frame's order
    # 0.75 before 0.25; Phòng C has no share: last
    assert app_services.units_by_lost_share(BY_UNIT, "II.6.5.2")["unit"].tolist() == [
        "Phòng A", "Phòng B", "Phòng C"]
    # a tie (0.4, 0.4) keeps the frame's order: B before A, then the 0.2 row
    ranked = app_services.units_by_lost_share(BY_UNIT, "II.2.4.2.1")
    assert ranked["points_lost_share"].tolist() == [0.4, 0.4, 0.2]
    assert ranked["unit"].tolist()[:2] == ["Phòng B", "Phòng A"]


def test_unit_names_sorted_without_blanks():
    assert app_services.unit_names(BY_UNIT) == ["Phòng A", "Phòng B", "Phòng C"]
    assert app_services.unit_names(BY_UNIT.iloc[:0]) == []


def test_unit_breakdown_of_the_evaluation_year_most_received_first(tmp_path):
    con = db.connect(tmp_path / "d.duckdb")
    in_year = dt.datetime(2023, 3, 1, 8)
    insert_dossiers(con, [
        *[dict(unit="X", field="Đất đai", received_at=in_year) for _ in range(3)],
        *[dict(unit="X", field="Tư pháp", received_at=in_year) for _ in range(2)],
        dict(unit="X", field="Hộ tịch", received_at=in_year),
        # before 15/12/2022: evaluation year 2022, not counted in 2023
        *[dict(unit="X", field="Hộ tịch", received_at=dt.datetime(2022, 12, 14, 9)) for _ in range(4)],
        # another unit: not counted
        *[dict(unit="Y", field="Hộ tịch", received_at=in_year) for _ in range(5)],
    ])
    detail = app_services.unit_breakdown(con, "khanh_hoa_department", 2023, "X", "field")
    assert list(zip(detail["field"], detail["received"])) == [("Đất đai", 3), ("Tư pháp", 2), ("Hộ tịch", 1)]
    officers = app_services.unit_breakdown(con, "khanh_hoa_department", 2022, "X", "officer")
    assert list(zip(officers["officer"], officers["received"])) == [("Nguyễn Văn A", 4)]


# A hand-made `officers.officer_late_shares` frame (worst first).
SHARES = pd.DataFrame({"unit": ["X", "X", "Y"], "officer": ["An", "Bình", "An"], "resolved": [10, 11, 2],
                       "late": [1, 1, 0], "late_share": [0.1, 1 / 11, 0.0], "flagged": [True, False, False]})


def test_officer_flag_marks_and_late_choices():
    assert app_services.flag_marks(SHARES) == ["⚠ Có", "", ""]
    assert app_services.late_officer_choices(SHARES) == {"An (X)": ("X", "An"), "Bình (X)": ("X", "Bình")}
    assert app_services.late_officer_choices(SHARES.iloc[:0]) == {}


# A hand-made `ingest.list_uploads` frame (newest first).
UPLOADS = pd.DataFrame({
    "upload_id": [4, 3, 2, 1],
    "file_name": ["thang-3.xlsx", "thang-2.xlsx", "mau-2.csv", "mau-1.csv"],
    "uploaded_at": pd.to_datetime(["2023-04-02 09:05", "2023-03-01 14:30", "2023-01-01 08:00",
                                   "2023-01-01 08:00"]),
    "undone_at": pd.to_datetime([None, "2023-03-02 10:00", None, None]),
    "is_sample": [False, False, True, True],
    "rejected": [2, 0, None, 1],
})


def test_upload_status_labels():
    assert app_services.upload_status_labels(UPLOADS) == [
        "Đang dùng", "Đã hoàn tác lúc 02/03/2023 10:00", "Dữ liệu mẫu", "Dữ liệu mẫu"]


def test_active_uploads_rejects_and_undo_choices():
    assert app_services.active_uploads(UPLOADS)["upload_id"].tolist() == [4, 2, 1]
    assert app_services.uploads_with_rejects(UPLOADS) == [4, 1]  # 0 and blank rejected rows left out
    assert app_services.undo_choices(UPLOADS) == {
        4: "#4 – thang-3.xlsx (02/04/2023 09:05)",
        2: "#2 – mau-2.csv (01/01/2023 08:00)",
        1: "#1 – mau-1.csv (01/01/2023 08:00)",
    }
    all_undone = UPLOADS.assign(undone_at=pd.Timestamp("2023-05-01"))
    assert app_services.active_uploads(all_undone).empty and app_services.undo_choices(all_undone) == {}


def test_still_missing_counts_a_typed_unit_as_the_unit_column():
    assert app_services.still_missing(["unit", "received_at"], None) == ["received_at", "unit"]
    assert app_services.still_missing(["unit", "received_at"], "Phòng Tư pháp") == ["received_at"]
    assert app_services.still_missing(["unit"], "Phòng Tư pháp") == []
    assert app_services.still_missing([], None) == []


def test_upload_progress_moves_forward_through_the_stages():
    # read spans 0-60%, validate 60-80%, write 80-100% of one file's bar.
    assert app_services.upload_progress("read", 0.0) == (0.0, "đọc tệp")
    assert app_services.upload_progress("read", 0.5) == (0.3, "đọc tệp")
    assert app_services.upload_progress("validate", 0.0) == (0.6, "kiểm tra")
    overall, label = app_services.upload_progress("write", 0.5)
    assert overall == pytest.approx(0.9) and label == "ghi dữ liệu"
    assert app_services.upload_progress("write", 1.0) == (1.0, "ghi dữ liệu")


@pytest.mark.parametrize("text, day", [
    ("22/11/2023", dt.date(2023, 11, 22)), (" 2/1/2024 ", dt.date(2024, 1, 2)),
    ("22-11-2023", dt.date(2023, 11, 22)), ("22.11.2023", dt.date(2023, 11, 22)),
    ("29/02/2024", dt.date(2024, 2, 29)),
    ("31/02/2023", None), ("29/02/2023", None), ("2023-11-22", None), ("11/2023", None),
    ("22/11/23", None), ("hôm nay", None), ("", None), (None, None),
])
def test_parse_day_reads_day_first_dates_and_refuses_the_rest(text, day):
    assert app_services.parse_day(text) == day

"""«Chỉ tiêu & thang điểm»: the criteria editor cut into tables that fit, bands as a small table per
criterion, and the calendar corrections (late-announced holidays and swapped working days).

Sample numbers (see test_app_pages.py): total 10,97 of 19,5; on time 14.673 / 14.697 = 99,84% is in
the 99% band (4,5 of 5); tasks 285 / 291 = 97,94% is in the 96% band (2 of 3).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
from dossier_factory import insert_dossiers
from test_app_pages import FRAMEWORK, app, assert_clean, metric_value, open_page  # noqa: F401

from cchc_metrics import db, scoring, targets_editor, watchlist, workdays

D = dt.date


def test_bands_table_round_trip_and_merge():
    bands = targets_editor.bands_table("100:5; 99:4,5;; 96:2")
    assert bands.values.tolist() == [["100", "5"], ["99", "4,5"], ["96", "2"]]
    edited = pd.concat([bands, pd.DataFrame({"lower": [None, "95"], "points": [None, "1"]})])
    assert targets_editor.bands_text(edited) == "100:5; 99:4,5; 96:2; 95:1"   # the blank row is skipped
    assert targets_editor.bands_text(bands.iloc[:0]) is None
    half = pd.DataFrame({"lower": ["97"], "points": [None]})
    assert targets_editor.bands_text(half) == "97:"   # kept, so the save names the mistake

    table = pd.DataFrame({"code": ["A", "B"], "name": ["a", "b"], "indicator": ["manual", "on_time_rate"],
                          "rule": ["Theo mức", "Theo mức"], "max_points": ["3", "5"], "target": ["", ""],
                          "threshold": ["", ""], "bands": ["100:3", "100:5"], "manual_numerator": ["1", ""],
                          "manual_denominator": ["2", ""], "manual_points": ["", ""], "deduction": [False, False],
                          "deduction_base": ["", ""], "note": ["ghi chú A", ""]})
    rules = targets_editor.rules_table(table).assign(max_points=["3", "4"])
    manual = targets_editor.manual_table(table)
    assert list(manual["code"]) == ["A"]      # only the typed-in criterion
    manual["manual_numerator"] = ["2"]
    merged = targets_editor.merge_edited(table, rules, manual, {"B": pd.DataFrame({"lower": ["99"], "points": ["4"]})})
    assert merged[["code", "max_points", "manual_numerator", "bands"]].values.tolist() == [
        ["A", "3", "2", "100:3"], ["B", "4", "", "99:4"]]
    assert targets_editor.notes(table) == [("A", "ghi chú A")]


def test_editing_a_band_and_a_manual_value_changes_the_score(app):
    open_page(app, "targets")
    assert_clean(app)
    key = f"criteria_editor_{FRAMEWORK}_2023"
    # the on-time bands are a small table, highest first: (100, 5), (99, 4,5), …; edits go in through
    # the editor's session state, as AppTest cannot type into a table
    app.session_state[f"{key}_bands_II.2.4.2.1"] = {
        "edited_rows": {1: {"points": "5"}}, "added_rows": [], "deleted_rows": []}   # 99% -> 5 points
    app.session_state[f"{key}_manual"] = {
        "edited_rows": {0: {"manual_numerator": "291"}}, "added_rows": [], "deleted_rows": []}  # I.5: 291/291
    app.run()
    app.button(key="targets_save").click().run()
    assert_clean(app)
    open_page(app, "overview")
    # 10,97 + (5 − 4,5) for on time + (3 − 2) for the tasks = 12,47
    assert metric_value(app, "Tổng điểm hiện tại") == "12,47 / 19,50"


def test_a_band_without_points_is_refused_with_the_criterion_named(app):
    open_page(app, "targets")
    key = f"criteria_editor_{FRAMEWORK}_2023"
    app.session_state[f"{key}_bands_II.2.4.2.1"] = {
        "edited_rows": {1: {"points": None}}, "added_rows": [], "deleted_rows": []}
    app.run()
    app.button(key="targets_save").click().run()
    shown = [e.value.replace("\\", "") for e in app.error]   # the message is Markdown-escaped
    assert any(e.startswith("Tiêu chí II.2.4.2.1, cột «Các mức điểm»: giá trị «100:5; 99:; 98:4") and
               "Mỗi mức cần đủ hai ô" in e for e in shown), shown
    open_page(app, "overview")
    assert metric_value(app, "Tổng điểm hiện tại") == "10,97 / 19,50"


# ---- calendar corrections ---------------------------------------------------------------------------

def test_a_late_holiday_changes_the_due_soon_list_at_once(tmp_path):
    con = db.connect(tmp_path / "cal.duckdb")
    insert_dossiers(con, [dict(received_at=dt.datetime(2023, 11, 15, 8), due_at=dt.datetime(2023, 11, 22, 17),
                               finished_at=None)])
    friday = D(2023, 11, 17)
    # Working days after Fri 17/11 up to Wed 22/11: Mon 20, Tue 21, Wed 22 = 3 > 2: not due soon.
    assert watchlist.due_soon(con, friday, days=2).empty
    workdays.save_override(con, D(2023, 11, 20), False, "nghỉ bù")     # Mon 20/11 declared a day off
    due = watchlist.due_soon(con, friday, days=2)
    assert due["working_days_left"].tolist() == [2]                   # Tue 21, Wed 22
    workdays.save_override(con, D(2023, 11, 18), True, "làm bù")      # Sat 18/11 a working day
    assert watchlist.due_soon(con, friday, days=2).empty               # Sat 18, Tue 21, Wed 22 = 3
    listed = workdays.list_overrides(con)
    assert listed[["day", "is_working", "note"]].values.tolist() == [
        [D(2023, 11, 18), True, "làm bù"], [D(2023, 11, 20), False, "nghỉ bù"]]
    assert workdays.override_label_vi(D(2023, 11, 18), True, "làm bù") == "Thứ Bảy 18/11/2023 – ngày làm việc (làm bù)"
    workdays.save_override(con, D(2023, 11, 20), True)                 # the same day again replaces it
    workdays.remove_override(con, D(2023, 11, 18))
    assert workdays.list_overrides(con)[["day", "is_working"]].values.tolist() == [[D(2023, 11, 20), True]]
    con.close()


def test_a_late_holiday_changes_the_projection(tmp_path):
    """Mid-year, the online rate so far is low and the last 30 days are all online, so the year-end
    projection leans on how many working days are still to come: one more day off after `as_of`
    leaves fewer dossiers to come at the recent (higher) rate, a swapped working Saturday more."""
    con = db.connect(tmp_path / "projection.duckdb")
    direct = [dict(received_at=dt.datetime(2023, 3, 1 + n, 8), channel="direct") for n in range(20)]
    online = [dict(received_at=dt.datetime(2023, 6, 1 + n, 8), channel="online_full") for n in range(10)]
    insert_dossiers(con, direct + online)
    as_of = D(2023, 6, 30)

    def projected_online() -> float:
        rows = scoring.score_year(con, FRAMEWORK, 2023, as_of=as_of).rows.set_index("code")
        return rows.loc["II.6.5.2", "projected_ratio"]

    plain = projected_online()
    assert 10 / 30 < plain < 1          # between the year so far (10 of 30) and the recent rate (100%)
    workdays.save_override(con, D(2023, 9, 5), False, "nghỉ thêm")     # a Tuesday after as_of
    fewer = projected_online()
    workdays.remove_override(con, D(2023, 9, 5))
    workdays.save_override(con, D(2023, 9, 9), True, "làm bù")         # a Saturday after as_of
    more = projected_online()
    con.close()
    assert fewer < plain < more


def test_calendar_corrections_on_the_targets_page(app):
    open_page(app, "targets")
    assert any("Chưa có ngày nào được sửa" in c.value for c in app.caption)
    app.text_input(key="calendar_day").set_value("02/05/2025")
    app.selectbox(key="calendar_kind").set_value("Ngày nghỉ")
    app.text_input(key="calendar_note").set_value("nghỉ thêm")
    app.button(key="calendar_add").click().run()
    assert_clean(app)
    assert any(s.value.startswith("Đã lưu: Thứ Sáu 02/05/2025 – ngày nghỉ (nghỉ thêm)") for s in app.success)
    shown = app.dataframe[-1].value
    assert shown.values.tolist() == [[pd.Timestamp("2025-05-02").date(), "Ngày nghỉ", "nghỉ thêm"]]
    app.text_input(key="calendar_day").set_value("31/02/2025")
    app.button(key="calendar_add").click().run()
    assert any("«31/02/2025» không phải là một ngày hợp lệ" in e.value for e in app.error)
    app.button(key="calendar_remove").click().run()
    assert any("Chưa có ngày nào được sửa" in c.value for c in app.caption)


def test_a_holiday_added_on_the_page_changes_the_due_soon_list_at_once(app, sample_template):
    import duckdb

    open_page(app, "due_soon")
    label = "Sắp đến hạn trong 2 ngày làm việc"
    before = int(metric_value(app, label).replace(".", ""))
    # As of Thu 14/12/2023 (the sample's last day), a dossier due Tue 19/12 has Fri 15, Mon 18 and
    # Tue 19 left: 3 > 2. With Fri 15/12 declared a day off it has 2 and joins the list.
    with duckdb.connect(str(sample_template), read_only=True) as con:   # the app's copy is open in this process
        due_tuesday = con.execute(
            "SELECT count(*) FROM dossiers WHERE due_at::DATE = DATE '2023-12-19' AND received_at < DATE '2023-12-15' "
            "AND (finished_at IS NULL OR finished_at >= DATE '2023-12-15')").fetchone()[0]
    assert due_tuesday > 0
    open_page(app, "targets")
    app.text_input(key="calendar_day").set_value("15/12/2023")
    app.selectbox(key="calendar_kind").set_value("Ngày nghỉ")
    app.button(key="calendar_add").click().run()
    assert_clean(app)
    open_page(app, "due_soon")
    assert int(metric_value(app, label).replace(".", "")) == before + due_tuesday

"""Year scores, what it takes, projection, per-unit shares and monthly series on hand-made data."""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from dossier_factory import insert_dossiers

from cchc_metrics import settings
from cchc_metrics.scoring import ScoreReport, criterion_series, monthly_series, score_by_unit, score_year

KEY = "khanh_hoa_department"


def insert_seed_year(con):
    """The seed's 2023 figures: 15,047 received, 3,159 online; 14,697 resolved, 24 late, 9,129
    with e-result, 9,042 digitised; every dossier carries a fee, 3,158 paid online."""
    con.cursor().execute("""
        INSERT INTO dossiers (upload_id, source_row, row_hash, dossier_id, unit, received_at,
                              due_at, finished_at, channel, digitized, e_result, has_fee, paid_online)
        SELECT 1, i, i, 'HS' || i, 'Phòng Hành chính tư pháp', TIMESTAMP '2023-03-01 08:00',
               TIMESTAMP '2023-03-10 23:59:59',
               CASE WHEN i < 24 THEN TIMESTAMP '2023-03-15 10:00'
                    WHEN i < 14697 THEN TIMESTAMP '2023-03-09 10:00' END,
               CASE WHEN i < 3159 THEN 'online_full' ELSE 'direct' END,
               i < 9042, i < 9129, true, i < 3158
        FROM range(15047) AS t(i)""")


def test_seed_year_scores(con):
    insert_seed_year(con)
    report = score_year(con, KEY, 2023, as_of=dt.date(2023, 12, 14))
    rows = report.rows.set_index("code")
    expected_points = {
        "II.2.4.2.1": 4.5,   # 14,673/14,697 = 99.84% -> 99–<100 band
        "II.2.3.3.1": 0.31,  # 9,129/14,697 x 0.5 = 0.3106
        "II.2.3.3.2": 0.31,  # 9,042/14,697 x 0.5 = 0.3076
        "II.6.5.2": 1.26,    # 3,159/15,047 = 20.99%; / 50% x 3 = 1.2597
        "II.6.6.2": 1.26,    # 3,158/15,047 = 20.99%; / 50% x 3 = 1.2593
        "I.5": 2,            # shipped 2023 manual value 285/291 = 97.94%
        "II.6.4.2": 0,       # 0 of 1 satisfied
        "II.2.2.2.3": 0.35, "II.4.5.1": 0.85, "II.3.2.4": 0, "II.3.2.5": 0,
    }
    assert rows["points"].to_dict() == expected_points
    assert (rows.loc["II.2.4.2.1", "numerator"], rows.loc["II.2.4.2.1", "denominator"]) == (14_673, 14_697)
    # 4.5 + 0.31 + 0.31 + 1.26 + 1.26 + 2 + 0 + 0.35 + 0.85 = 10.84 of 19.5
    assert (report.total, report.max_total) == (10.84, 19.5)
    # The year is over: projected = actual; the gaps cannot be closed any more.
    assert report.projected_total == 10.84
    assert rows.loc["II.6.5.2", "needed_more"] == 4_365        # ceil(0.5 x 15,047 - 3,159)
    assert pd.isna(rows.loc["II.6.5.2", "needed_rate"])
    assert rows.loc["II.6.5.2", "what_it_takes_vi"] == (
        "Cần thêm 4.365 hồ sơ trực tuyến; không thể đạt chỉ tiêu 50,0% trong năm đánh giá này")
    assert rows.loc["II.2.4.2.1", "needed_more"] == 24
    assert rows.loc["II.6.5.2", "points_lost"] == 1.74         # 3 - 1.26
    assert math.isclose(rows.loc["II.6.5.2", "gap_pp"], (0.5 - 3_159 / 15_047) * 100)


def test_no_data_is_not_zero(con):
    report = score_year(con, KEY, 2023)
    rows = report.rows.set_index("code")
    assert report.as_of == dt.date(2023, 12, 14)          # empty database: the period end
    assert pd.isna(rows.loc["II.2.4.2.1", "points"])
    assert rows.loc["II.2.4.2.1", "status_vi"] == "chưa có dữ liệu"
    assert pd.isna(rows.loc["II.2.4.2.1", "points_lost"])
    # Only the typed values count: 2 + 0.35 + 0.85 + 0 + 0 + 0 = 3.2
    assert report.total == 3.2


@pytest.fixture
def half_year(con):
    """Evaluation year 2023 moved to the calendar year (start day 1/1), data up to 30/06:
    Phòng A: 10 dossiers received 01/02, at the desk, resolved 10/02 on time, no e-result;
    Phòng B: 10 received 10/06 (in the last 30 days), 6 of them online, still open, due 30/06."""
    settings.save_start_day(con, KEY, 2023, 1, 1)
    insert_dossiers(con, [dict(unit="Phòng A", received_at="2023-02-01T08:00:00",
                               due_at="2023-02-20", finished_at="2023-02-10T09:00:00")] * 10)
    insert_dossiers(con, [dict(unit="Phòng B", received_at="2023-06-10T08:00:00", due_at="2023-06-30",
                               channel="online_full" if i < 6 else "direct") for i in range(10)])
    return con


def test_what_it_takes_and_projection_mid_year(half_year):
    report = score_year(half_year, KEY, 2023, as_of=dt.date(2023, 6, 30))
    assert (report.start, report.end, report.as_of) == (
        dt.date(2023, 1, 1), dt.date(2023, 12, 31), dt.date(2023, 6, 30))
    online = report.rows.set_index("code").loc["II.6.5.2"]
    # So far 6 online of 20 received = 30% against 50%: 0.3 / 0.5 x 3 = 1.8 points.
    assert (online["numerator"], online["denominator"], online["points"]) == (6, 20, 1.8)
    assert math.isclose(online["gap_pp"], 20)
    assert online["needed_more"] == 4                        # 0.5 x 20 - 6
    # Working days in 2023: 260 weekdays minus 11 weekday holidays (2/1; 20, 23-26/1 Tết;
    # 1-3/5; 1/9, 4/9) = 249; 1/1-30/6: 130 weekdays minus 9 of those holidays = 121.
    # Expected year-end received: 20 x 249/121 = 4980/121. Online needed by year end:
    # 0.5 x 4980/121 - 6 = 1764/121, out of 4980/121 - 20 = 2560/121 to come -> 1764/2560.
    assert math.isclose(online["needed_rate"], 1764 / 2560)
    assert online["what_it_takes_vi"] == ("Cần thêm 4 hồ sơ trực tuyến; phần còn lại của năm "
                                          "phải đạt 68,9%")
    # The last 30 days ran at 6/10 online: 6 + 0.6 x 2560/121 = 2262/121 of 4980/121 = 45.42%
    # -> 0.4542 / 0.5 x 3 = 2.7253 -> 2.73 points; 3 - 2.73 = 0.27 still recoverable.
    assert math.isclose(online["projected_ratio"], 2262 / 4980)
    assert online["projected_points"] == 2.73
    assert online["recoverable_points"] == 0.27
    assert online["responsible_unit"] == "Phòng A"           # A misses 5, B is above 50%

    e_result = report.rows.set_index("code").loc["II.2.3.3.1"]
    # 0 of 10 resolved with e-result against 100%: the rest of the year cannot make up for it.
    assert e_result["needed_more"] == 10
    assert pd.isna(e_result["needed_rate"])
    assert "không thể đạt" in e_result["what_it_takes_vi"]


def test_as_of_defaults_to_the_latest_data(half_year):
    assert score_year(half_year, KEY, 2023).as_of == dt.date(2023, 6, 10)


def test_units_filter(half_year):
    online = score_year(half_year, KEY, 2023, units=["Phòng B"]).rows.set_index("code").loc["II.6.5.2"]
    assert (online["numerator"], online["denominator"], online["points"]) == (6, 10, 3)


def test_score_by_unit_shares(half_year):
    rows = score_by_unit(half_year, KEY, 2023).set_index(["code", "unit"])
    online_a, online_b = rows.loc[("II.6.5.2", "Phòng A")], rows.loc[("II.6.5.2", "Phòng B")]
    assert (online_a["numerator"], online_a["denominator"], online_a["gap_pp"]) == (0, 10, 50)
    # A misses 0.5 x 10 - 0 = 5 online dossiers, B none (6 of 10 >= 50%): A carries it all.
    assert (online_a["points_lost_share"], online_b["points_lost_share"]) == (1, 0)
    assert (online_b["ratio"], online_b["gap_pp"]) == (0.6, 0)
    # B resolved nothing: its on-time ratio is no data, not 0.
    assert math.isnan(rows.loc[("II.2.4.2.1", "Phòng B"), "ratio"])


def test_monthly_series(half_year):
    series = monthly_series(half_year, KEY, 2023)
    online = series[series["code"] == "II.6.5.2"].set_index("month")
    assert len(online) == 12 and online["unit"].isna().all()
    assert (online.loc["2023-02", "numerator"], online.loc["2023-02", "denominator"]) == (0, 10)
    assert (online.loc["2023-06", "ratio"], online.loc["2023-06", "target"]) == (0.6, 0.5)
    assert math.isnan(online.loc["2023-03", "ratio"])
    per_unit = monthly_series(half_year, KEY, 2023, per_unit=True)
    june_b = per_unit[(per_unit["code"] == "II.6.5.2") & (per_unit["unit"] == "Phòng B")
                      & (per_unit["month"] == "2023-06")]
    assert june_b[["numerator", "denominator"]].values.tolist() == [[6, 10]]


def test_projection_falls_back_to_the_year_rate_without_recent_dossiers(half_year):
    # Nothing arrived 01/09–30/09: the rest of the year is expected at the year's 6/20 = 30%,
    # so the projected ratio stays 30% -> 0.3 / 0.5 x 3 = 1.8 points.
    online = score_year(half_year, KEY, 2023, as_of=dt.date(2023, 9, 30)).rows.set_index(
        "code").loc["II.6.5.2"]
    assert math.isclose(online["projected_ratio"], 0.3)
    assert online["projected_points"] == 1.8


def test_national_766_points(half_year):
    rows = score_year(half_year, "national_766", 2023, as_of=dt.date(2023, 6, 30)).rows.set_index("code")
    # Progress: 10 resolved early + 10 open but due 30/06 23:59:59, overdue at the end of 30/06:
    # (10 + 10 - 10) / (10 + 10) = 50% -> 20 x 0.5 = 10.
    assert (rows.loc["766.2", "numerator"], rows.loc["766.2", "denominator"]) == (10, 20)
    assert rows.loc["766.2", "points"] == 10
    # Online: 6/20 = 30% is shown, but the 766.3 formula is unconfirmed: its points are typed in,
    # so none yet (the old "threshold 50%" rule gave 7.2, and 12 at >= 50%).
    assert rows.loc["766.3", "ratio"] == 0.3
    assert math.isnan(rows.loc["766.3", "points"]) and rows.loc["766.3", "status_vi"] == "chưa có dữ liệu"
    assert rows.loc["766.6.1", "points"] == 0                  # 0 of 10 with e-result
    # No fee dossier: the national portal gives 0 for payment, and says why.
    assert rows.loc["766.4", "points"] == 0
    assert rows.loc["766.4", "score_note_vi"] == "Cổng DVCQG chấm 0 khi không có hồ sơ"
    assert rows.loc["766.1", "status_vi"] == "chưa có dữ liệu"  # transparency not typed in yet


def hand_report(rows: list[dict]) -> ScoreReport:
    """A ScoreReport around hand-made rows (only the columns the helpers read; rule defaults to a
    ratio rule)."""
    return ScoreReport(framework=KEY, framework_title="", year=2023, start=dt.date(2022, 12, 15),
                       end=dt.date(2023, 12, 14), as_of=dt.date(2023, 6, 30), total=0.0,
                       max_total=0.0, projected_total=0.0,
                       rows=pd.DataFrame([{"rule": "proportional", **row} for row in rows]))


NAN = float("nan")
HAND_ROWS = [
    dict(code="A", indicator="online_rate", points_lost=1.5, recoverable_points=0.5),
    dict(code="B", indicator="manual", points_lost=0.25, recoverable_points=NAN),
    dict(code="C", indicator="on_time_rate", points_lost=NAN, recoverable_points=0.0),
    dict(code="D", indicator="digitized_rate", points_lost=2.0, recoverable_points=1.25),
    dict(code="E", indicator="manual", points_lost=0.0, recoverable_points=0.5),
]


def test_points_lost_total_skips_criteria_without_points():
    # 1.5 + 0.25 + 2.0 + 0.0 = 3.75 (C has no points yet)
    assert hand_report(HAND_ROWS).points_lost_total == 3.75
    no_points = [dict(code="A", indicator="online_rate", points_lost=NAN, recoverable_points=NAN)]
    assert hand_report(no_points).points_lost_total is None


def test_scored_rows_leave_out_manual_criteria():
    assert hand_report(HAND_ROWS).scored_rows()["code"].tolist() == ["A", "C", "D"]


def test_scored_rows_leave_out_points_typed_in_for_a_data_indicator():
    # 766.3: the online share is computed, but its points are typed in until the formula is confirmed
    rows = [dict(code="766.2", indicator="on_time_rate_766"),
            dict(code="766.3", indicator="online_rate", rule="manual_points")]
    assert hand_report(rows).scored_rows()["code"].tolist() == ["766.2"]


def test_recovery_ranking_most_recoverable_first_ties_in_framework_order():
    ranking = hand_report(HAND_ROWS).recovery_ranking()
    # D 1.25, then A and E (0.5 each, A first in the framework); B (no value) and C (0) left out
    assert ranking["code"].tolist() == ["D", "A", "E"]
    nothing = [dict(code="A", indicator="online_rate", points_lost=0.0, recoverable_points=0.0)]
    assert hand_report(nothing).recovery_ranking().empty


def test_criterion_series_keeps_one_criterion_in_month_order():
    series = pd.DataFrame({"month": ["2023-01", "2023-01", "2023-02", "2023-02"],
                           "code": ["A", "B", "A", "B"], "ratio": [0.1, 0.2, 0.3, 0.4]})
    one = criterion_series(series, "B")
    assert list(zip(one["month"], one["ratio"])) == [("2023-01", 0.2), ("2023-02", 0.4)]
    assert criterion_series(series, "Z").empty

"""Vietnamese formatting of numbers, percents, points and dates; missing values never read as 0."""
import datetime as dt
import math

import pandas as pd
import pytest

from cchc_metrics.formatting import (NO_DATA, display_table, format_cell_text, format_date, format_datetime,
                                     format_fraction, format_gap_pp, format_number, format_percent,
                                     format_points, format_shortfall_pp)


@pytest.mark.parametrize("value, decimals, expected", [
    (14697, 0, "14.697"),
    (1234567, 0, "1.234.567"),
    (999, 0, "999"),
    (0, 0, "0"),
    (2.5, 0, "3"),
    (-1500, 0, "-1.500"),
    (1234.5, 1, "1.234,5"),
])
def test_numbers_use_dot_for_thousands_and_comma_for_decimals(value, decimals, expected):
    assert format_number(value, decimals) == expected


@pytest.mark.parametrize("ratio, expected", [
    (14673 / 14697, "99,84%"),
    (0.21, "21,00%"),
    (1.0, "100,00%"),
    (0.0, "0,00%"),
])
def test_percent_of_a_ratio(ratio, expected):
    assert format_percent(ratio) == expected


def test_points_and_gap():
    assert format_points(84.27) == "84,27"
    assert format_points(0.31) == "0,31"
    assert format_gap_pp(-29.0) == "-29,00 điểm phần trăm"
    assert format_gap_pp(1.5) == "+1,50 điểm phần trăm"
    assert format_fraction(14673, 14697) == "14.673 / 14.697 hồ sơ"
    assert format_shortfall_pp(35.754) == "thấp hơn chỉ tiêu 35,75 điểm phần trăm"
    assert format_shortfall_pp(0.0) == "đạt chỉ tiêu"


@pytest.mark.parametrize("missing", [None, math.nan, pd.NA, pd.NaT])
def test_missing_values_are_never_zero(missing):
    assert format_number(missing) == NO_DATA
    assert format_percent(missing) == NO_DATA
    assert format_percent(missing, missing="–") == "–"
    assert format_date(missing) == NO_DATA
    assert format_fraction(missing, 10) == NO_DATA


def test_dates_read_day_month_year():
    assert format_date(dt.date(2023, 12, 14)) == "14/12/2023"
    assert format_date(pd.Timestamp("2022-12-15 08:30")) == "15/12/2022"
    assert format_date("2023-01-02") == "02/01/2023"
    assert format_datetime(dt.datetime(2023, 1, 2, 8, 5)) == "02/01/2023 08:05"


def test_display_table_formats_each_column_by_kind_and_renames_it():
    frame = pd.DataFrame({
        "unit": ["Phòng A", None], "resolved": [14697, 0], "on_time_rate": [14673 / 14697, None],
        "due_at": [pd.Timestamp("2023-12-14 23:59:59"), pd.NaT], "ignored": [1, 2],
    }, index=[7, 3])  # a filtered, re-sorted frame keeps its old index labels
    shown = display_table(frame, {"unit": ("Đơn vị", "text"), "resolved": ("Đã giải quyết", "int"),
                                  "on_time_rate": ("Đúng hạn", "percent"), "due_at": ("Hạn trả", "date")})
    assert list(shown.columns) == ["Đơn vị", "Đã giải quyết", "Đúng hạn", "Hạn trả"]
    assert shown.iloc[0].tolist() == ["Phòng A", "14.697", "99,84%", "14/12/2023"]
    assert shown.iloc[1].tolist() == ["–", "0", "–", "–"]


@pytest.mark.parametrize("text, shown", [
    ("2023-12-01 08:00:00", "01/12/2023 08:00"),      # an Excel date-time as fastexcel reads it
    ("2023-12-05 17:30:15", "05/12/2023 17:30:15"),
    ("2023-12-05 00:00:00", "05/12/2023"),            # an Excel date without time
    ("2023-12-05", "05/12/2023"),
    ("2023-12-05T08:05", "05/12/2023 08:05"),
    ("05/12/2023", "05/12/2023"),                     # text dates and anything else: unchanged
    ("000.00.19.H34-231201-0012", "000.00.19.H34-231201-0012"),
    ("2023-12-05 là ngày hẹn", "2023-12-05 là ngày hẹn"),
    (None, None),
])
def test_format_cell_text_shows_excel_dates_the_vietnamese_way(text, shown):
    assert format_cell_text(text) == shown


def test_gaps_in_what_the_criterion_counts():
    from cchc_metrics.formatting import format_missing
    assert format_missing(310, "hồ sơ trực tuyến") == "còn thiếu 310 hồ sơ trực tuyến"
    assert format_missing(1234, "nhiệm vụ hoàn thành đúng hạn") == "còn thiếu 1.234 nhiệm vụ hoàn thành đúng hạn"
    assert format_missing(0) == "đạt chỉ tiêu"
    assert format_missing(None) == NO_DATA
    assert format_fraction(285, 291, unit_vi="nhiệm vụ") == "285 / 291 nhiệm vụ"


def test_styled_table_keeps_numbers_numeric_and_shows_them_vietnamese():
    from cchc_metrics.formatting import styled_table
    frame = pd.DataFrame({"unit": ["Phòng A", None], "resolved": [14697, 9], "rate": [0.99837, math.nan],
                          "due": [pd.Timestamp("2023-12-14 17:00"), pd.NaT]})
    styled = styled_table(frame, {"unit": ("Đơn vị", "text"), "resolved": ("Đã giải quyết", "int"),
                                  "rate": ("Đúng hạn", "percent"), "due": ("Hạn trả", "date")})
    assert list(styled.data.columns) == ["Đơn vị", "Đã giải quyết", "Đúng hạn", "Hạn trả"]
    assert styled.data["Đã giải quyết"].dtype.kind == "i"       # sorts 9 < 14697, not "14.697" < "9"
    assert styled.data["Đúng hạn"].dtype.kind == "f"
    html = styled.to_html()
    for shown in ("14.697", "99,84%", "14/12/2023", "–"):
        assert shown in html


def test_gap_wording_of_a_score_row():
    from types import SimpleNamespace

    from cchc_metrics import wording
    tasks = wording.Nouns("nhiệm vụ", "nhiệm vụ hoàn thành đúng hạn")
    # a manual ratio: 285 of 291 tasks against 100% -> 6 missing (scoring leaves needed_more empty)
    row = SimpleNamespace(rule="bands", ratio=285 / 291, numerator=285, denominator=291, target=1.0,
                          needed_more=None, gap_pp=2.06)
    assert wording.gap_vi(row, tasks) == "còn thiếu 6 nhiệm vụ hoàn thành đúng hạn"
    assert wording.gap_vi(row, tasks, short=True) == "còn thiếu 6 nhiệm vụ"
    assert wording.fraction_vi(row, tasks) == "285 / 291 nhiệm vụ"
    # online 3.159 / 15.047 against 50%: scoring's needed_more 4.365 = ceil(7.523,5 − 3.159)
    online = SimpleNamespace(rule="proportional_to_target", ratio=0.2099, numerator=3159, denominator=15047,
                             target=0.5, needed_more=4365, gap_pp=29.01)
    assert wording.gap_vi(online, wording.Nouns("hồ sơ", "hồ sơ trực tuyến")) == "còn thiếu 4.365 hồ sơ trực tuyến"
    typed_points = SimpleNamespace(rule="manual_points", ratio=None, numerator=None, denominator=None, target=None,
                                   needed_more=None, gap_pp=None)
    assert wording.gap_vi(typed_points) == "chấm điểm trực tiếp"
    no_data = SimpleNamespace(rule="proportional_to_target", ratio=None, numerator=0, denominator=0, target=0.5,
                              needed_more=None, gap_pp=None)
    assert wording.gap_vi(no_data) == "chưa có dữ liệu"
    no_count = SimpleNamespace(rule="threshold", ratio=0.5, numerator=None, denominator=None, target=0.8,
                               needed_more=None, gap_pp=30.0)
    assert wording.gap_vi(no_count) == "thấp hơn chỉ tiêu 30,00 điểm phần trăm"



def test_each_units_gap_in_dossiers():
    from cchc_metrics import wording
    by_unit = pd.DataFrame({"unit": ["A", "B", "C"], "numerator": [40, 6, pd.NA], "denominator": [100, 10, 0],
                            "ratio": [0.4, 0.6, math.nan], "target": [0.5, 0.5, 0.5], "gap_pp": [10.0, 0.0, math.nan]})
    # A: ceil(0,5 x 100 − 40) = 10; B at 60% is above 50%: 0; C has no ratio: unknown
    assert wording.with_unit_missing(by_unit)["missing"].tolist() == [10, 0, pd.NA]

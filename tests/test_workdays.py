"""The Vietnamese working-day calendar on dates whose answers were counted by hand from the
government's announcements: Tết 2023 (Fri 20/01 .. Thu 26/01), 2/9/2023 (Fri 1/9 and Mon 4/9 off),
2/9/2026 (Sat 22/08 worked in exchange for Mon 31/08; Tue 1/9 and Wed 2/9 off) and the new
24/11 holiday from 2026 (a Tuesday)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from cchc_metrics.db import connect
from cchc_metrics.workdays import calendar_covering, calendar_for, load_overrides

D = dt.date


@pytest.mark.parametrize("day, working", [
    (D(2023, 1, 2), False),    # New Year's Day fell on a Sunday: Monday off
    (D(2023, 1, 19), True),
    (D(2023, 1, 20), False),   # Tết 2023
    (D(2023, 1, 26), False),
    (D(2023, 1, 27), True),
    (D(2023, 9, 1), False),    # adjacent day of 2/9/2023
    (D(2023, 9, 4), False),    # 2/9/2023 was a Saturday: Monday off
    (D(2026, 8, 22), True),    # swapped Saturday
    (D(2026, 8, 31), False),   # ... for this Monday
    (D(2026, 9, 1), False),
    (D(2026, 9, 2), False),
    (D(2026, 11, 24), False),  # Vietnamese Culture Day, from 2026
    (D(2026, 11, 21), False),  # an ordinary Saturday
])
def test_is_working_day(day, working):
    assert calendar_for([day.year]).is_working_day(day) is working


@pytest.mark.parametrize("start, end, expected", [
    # Mon 16/01 .. Tue 31/01/2023: 12 weekdays minus 20, 23, 24, 25, 26 = 7
    (D(2023, 1, 16), D(2023, 1, 31), 7),
    # January 2023: 22 weekdays minus 02/01 and the 5 Tết weekdays = 16
    (D(2023, 1, 1), D(2023, 1, 31), 16),
    # Mon 28/08 .. Fri 08/09/2023: 10 weekdays minus 01/09 and 04/09 = 8
    (D(2023, 8, 28), D(2023, 9, 8), 8),
    # Mon 17/08 .. Sun 23/08/2026: 5 weekdays + the swapped Saturday 22/08 = 6
    (D(2026, 8, 17), D(2026, 8, 23), 6),
    # Fri 28/08 .. Fri 04/09/2026: 28, 03, 04 (31/08, 01/09, 02/09 off) = 3
    (D(2026, 8, 28), D(2026, 9, 4), 3),
    # Mon 23/11 .. Fri 27/11/2026: 5 weekdays minus 24/11 = 4
    (D(2026, 11, 23), D(2026, 11, 27), 4),
    (D(2023, 1, 20), D(2023, 1, 20), 0),  # a single day off
    (D(2023, 1, 27), D(2023, 1, 20), 0),  # end before start
])
def test_working_days_inclusive(start, end, expected):
    assert calendar_for([start.year, end.year]).working_days(start, end) == expected


@pytest.mark.parametrize("day, n, expected", [
    (D(2023, 1, 19), 1, D(2023, 1, 27)),   # over Tết
    (D(2023, 1, 19), 2, D(2023, 1, 30)),
    (D(2023, 8, 31), 1, D(2023, 9, 5)),    # over 1/9 .. 4/9/2023
    (D(2026, 8, 21), 1, D(2026, 8, 22)),   # onto the swapped Saturday
    (D(2026, 8, 28), 1, D(2026, 9, 3)),    # over 31/08 .. 02/09/2026
    (D(2026, 11, 23), 1, D(2026, 11, 25)),  # over 24/11/2026
])
def test_add_working_days(day, n, expected):
    assert calendar_for([day.year]).add_working_days(day, n) == expected


def test_working_days_is_vectorised():
    cal = calendar_for([2023])
    starts = np.array(["2023-01-16", "2023-08-28", "2023-01-27"], dtype="datetime64[D]")
    ends = np.array(["2023-01-31", "2023-09-08", "2023-01-20"], dtype="datetime64[D]")
    assert cal.working_days(starts, ends).tolist() == [7, 8, 0]


def test_overrides_from_the_database(tmp_path):
    con = connect(tmp_path / "cal.duckdb")
    con.execute("INSERT INTO calendar_overrides VALUES ('2026-11-24', true, 'làm bù'), "
                "('2023-01-28', true, 'làm bù Tết'), ('2023-01-31', false, 'nghỉ thêm')")
    overrides = load_overrides(con)
    assert overrides == {D(2026, 11, 24): True, D(2023, 1, 28): True, D(2023, 1, 31): False}
    cal = calendar_for([2023, 2026], overrides)
    assert cal.working_days(D(2026, 11, 23), D(2026, 11, 27)) == 5
    # 16/01 .. 31/01/2023: 7, plus Saturday 28/01, minus 31/01 = 7
    assert cal.working_days(D(2023, 1, 16), D(2023, 1, 31)) == 7
    assert cal.add_working_days(D(2023, 1, 27), 1) == D(2023, 1, 28)
    con.close()


def test_calendar_covering_spans_every_year_between():
    days = np.array(["2023-01-20", "2025-03-01"], dtype="datetime64[D]")
    cal = calendar_covering(days, D(2026, 11, 24))
    assert cal.years == [2023, 2024, 2025, 2026]
    assert calendar_covering(np.array([], dtype="datetime64[D]"), D(2024, 5, 1)).years == [2024]

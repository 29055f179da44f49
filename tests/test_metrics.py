"""Counts and ratios on small hand-made dossiers; every expected number is worked out by hand."""
from __future__ import annotations

import datetime as dt
import math

import pytest
from dossier_factory import insert_dossiers

from cchc_metrics.errors import CchcError
from cchc_metrics.metrics import (COUNT_NAMES, RATIO_NAMES, compute_metrics, data_freshness,
                                  list_officers, list_units)
from cchc_metrics.periods import evaluation_period

MARCH = (dt.date(2023, 3, 1), dt.date(2023, 3, 31))


def totals(con, start, end, **kwargs) -> dict:
    frame = compute_metrics(con, start, end, **kwargs)
    assert len(frame) == 1
    return frame.to_dict("records")[0]


# One dossier per case, period = March 2023; the counts not listed must be 0.
SINGLE_DOSSIER_CASES = {
    "received before, finished in period a day before due: early": (
        dict(received_at="2023-02-20 08:00", due_at="2023-03-03", finished_at="2023-03-02 10:00"),
        dict(resolved=1, resolved_early=1, carried_over=1)),
    "finished one minute after a due time: late": (
        dict(received_at="2023-03-01 08:00", due_at="2023-03-10 17:00", finished_at="2023-03-10 17:01"),
        dict(received=1, resolved=1, resolved_late=1)),
    "finished exactly at the due time: on time": (
        dict(received_at="2023-03-01 08:00", due_at="2023-03-10 17:00", finished_at="2023-03-10 17:00"),
        dict(received=1, resolved=1, resolved_on_time=1)),
    "due without a time, finished late on the due day: on time": (
        dict(received_at="2023-03-01 08:00", due_at="2023-03-10", finished_at="2023-03-10 22:30"),
        dict(received=1, resolved=1, resolved_on_time=1)),
    "finished 23:59 the day before the due day: early": (
        dict(received_at="2023-03-01 08:00", due_at="2023-03-10", finished_at="2023-03-09 23:59"),
        dict(received=1, resolved=1, resolved_early=1)),
    "finished the next morning: late": (
        dict(received_at="2023-03-01 08:00", due_at="2023-03-10", finished_at="2023-03-11 07:00"),
        dict(received=1, resolved=1, resolved_late=1)),
    "resolved without a due date: on time": (
        dict(received_at="2023-03-01 08:00", due_at=None, finished_at="2023-03-02 08:00"),
        dict(received=1, resolved=1, resolved_on_time=1)),
    "open, due before the period end: pending overdue": (
        dict(received_at="2023-03-06 08:00", due_at="2023-03-20"),
        dict(received=1, pending=1, pending_overdue=1)),
    "open, due on the last day (23:59:59): overdue at midnight": (
        dict(received_at="2023-03-06 08:00", due_at="2023-03-31"),
        dict(received=1, pending=1, pending_overdue=1)),
    "open, due after the period: pending not overdue": (
        dict(received_at="2023-03-27 08:00", due_at="2023-04-05"),
        dict(received=1, pending=1)),
    "open without a due date: never overdue": (
        dict(received_at="2023-03-27 08:00", due_at=None),
        dict(received=1, pending=1)),
    "received in period, finished after it: pending": (
        dict(received_at="2023-03-27 08:00", due_at="2023-04-05", finished_at="2023-04-03 09:00"),
        dict(received=1, pending=1)),
    "received before the period, still open: carried over and pending": (
        dict(received_at="2023-01-10 08:00", due_at="2023-01-20"),
        dict(pending=1, pending_overdue=1, carried_over=1)),
    "received on the last day at 23:59: received": (
        dict(received_at="2023-03-31 23:59", due_at="2023-04-10"),
        dict(received=1, pending=1)),
    "received the day after the period: nothing": (
        dict(received_at="2023-04-01 00:00", due_at="2023-04-10"),
        dict()),
    "received and finished before the period: nothing": (
        dict(received_at="2023-02-01 08:00", due_at="2023-02-10", finished_at="2023-02-28 16:00"),
        dict()),
    "online, fee paid online, digitised, e-result": (
        dict(received_at="2023-03-01 08:00", due_at="2023-03-10", finished_at="2023-03-10 09:00",
             channel="online_full", has_fee=True, paid_online=True, digitized=True, e_result=True),
        dict(received=1, resolved=1, resolved_on_time=1, online=1, fee_dossiers=1, paid_online=1,
             digitized=1, e_result=1)),
    "partly online, fee paid at the desk": (
        dict(received_at="2023-03-01 08:00", channel="online_partial", has_fee=True, paid_online=False,
             due_at="2023-04-10"),
        dict(received=1, pending=1, online=1, fee_dossiers=1)),
    "zero-fee dossier flagged paid online: not a fee dossier": (
        dict(received_at="2023-03-01 08:00", has_fee=False, paid_online=True, due_at="2023-04-10"),
        dict(received=1, pending=1)),
    "bcci": (
        dict(received_at="2023-03-01 08:00", channel="bcci", due_at="2023-04-10"),
        dict(received=1, pending=1, bcci=1)),
    "digitised but still open: not counted as digitised": (
        dict(received_at="2023-03-01 08:00", digitized=True, e_result=True, due_at="2023-04-10"),
        dict(received=1, pending=1)),
    "received before, digitised, resolved in the period": (
        dict(received_at="2023-02-27 08:00", due_at="2023-03-02", finished_at="2023-03-01 08:00",
             digitized=True),
        dict(resolved=1, resolved_early=1, digitized=1, carried_over=1)),
}


def with_denominators(expected: dict) -> dict:
    """Every count, 0 unless given; a file carrying every column makes each ratio's denominator
    count the same as the plain count it narrows (resolved_timed = resolved, ...)."""
    full = {name: expected.get(name, 0) for name in COUNT_NAMES}
    same = {"resolved_timed": "resolved", "pending_timed": "pending", "received_with_channel": "received",
            "received_with_fee": "received", "fee_dossiers_with_payment": "fee_dossiers",
            "resolved_with_digitized": "resolved", "resolved_with_e_result": "resolved"}
    full.update({name: full[plain] for name, plain in same.items() if name not in expected})
    return full


@pytest.mark.parametrize("dossier, expected", SINGLE_DOSSIER_CASES.values(), ids=SINGLE_DOSSIER_CASES.keys())
def test_each_count_on_one_dossier(con, dossier, expected):
    insert_dossiers(con, [dossier])
    row = totals(con, *MARCH)
    assert {name: row[name] for name in COUNT_NAMES} == with_denominators(expected)


def test_ratios_on_a_mix(con):
    insert_dossiers(con, [
        # 4 resolved: 1 early, 2 on time, 1 late; 2 digitised, 1 e-result.
        dict(received_at="2023-03-01 08:00", due_at="2023-03-10", finished_at="2023-03-08 10:00",
             digitized=True, e_result=True, channel="online_full", has_fee=True, paid_online=True),
        dict(received_at="2023-03-01 08:00", due_at="2023-03-10", finished_at="2023-03-10 10:00",
             digitized=True, has_fee=True),
        dict(received_at="2023-03-01 08:00", due_at="2023-03-10", finished_at="2023-03-10 11:00",
             channel="bcci", has_fee=True),
        dict(received_at="2023-03-01 08:00", due_at="2023-03-10", finished_at="2023-03-13 10:00"),
        # 2 pending, 1 of them overdue.
        dict(received_at="2023-03-20 08:00", due_at="2023-03-30"),
        dict(received_at="2023-03-20 08:00", due_at="2023-04-05", channel="online_partial"),
    ])
    row = totals(con, *MARCH)
    assert row["on_time_rate"] == pytest.approx(3 / 4)            # (1 early + 2 on time) / 4
    assert row["on_time_rate_766"] == pytest.approx((3 + 1) / 6)  # + 1 pending not overdue, over 4 + 2
    assert row["online_rate"] == pytest.approx(2 / 6)             # online_full + online_partial of 6
    assert row["bcci_rate"] == pytest.approx(1 / 6)
    assert row["paid_online_rate"] == pytest.approx(1 / 3)        # 1 of 3 fee dossiers
    assert row["digitized_rate"] == pytest.approx(2 / 4)
    assert row["e_result_rate"] == pytest.approx(1 / 4)


def test_no_data_gives_zero_counts_and_null_ratios(con):
    row = totals(con, *MARCH)
    assert all(row[name] == 0 for name in COUNT_NAMES)
    assert all(math.isnan(row[name]) for name in RATIO_NAMES)


def test_zero_denominators_are_null_not_zero(con):
    # Only a dossier pending from before: nothing received, resolved or fee-bearing in March.
    insert_dossiers(con, [dict(received_at="2023-02-01 08:00", due_at="2023-04-10")])
    row = totals(con, *MARCH)
    for name in ("on_time_rate", "online_rate", "bcci_rate", "paid_online_rate", "digitized_rate",
                 "e_result_rate"):
        assert math.isnan(row[name]), name
    assert row["on_time_rate_766"] == 1.0  # 1 pending not overdue / (0 resolved + 1 pending)


@pytest.fixture
def months_data(con):
    """Period 15/01/2023 .. 10/03/2023 across three months, two units."""
    insert_dossiers(con, [
        # A: open since December, due 31/01: pending and overdue at every month end.
        dict(unit="X", received_at="2022-12-20 08:00", due_at="2023-01-31"),
        # B: received January, resolved early in February.
        dict(unit="X", received_at="2023-01-20 08:00", due_at="2023-02-10", finished_at="2023-02-03 09:00"),
        # C: received 31/01 late evening, due 28/02, resolved late on 10/03 (the last day).
        dict(unit="Y", received_at="2023-01-31 23:00", due_at="2023-02-28", finished_at="2023-03-10 12:00"),
        # D: received after the period: nowhere.
        dict(unit="Y", received_at="2023-03-11 08:00", due_at="2023-03-20"),
        # E: received before the period, resolved on its due day inside it: on time in January.
        dict(unit="X", received_at="2023-01-10 08:00", due_at="2023-01-16", finished_at="2023-01-16 15:00"),
    ])
    return con


PERIOD_ACROSS_MONTHS = (dt.date(2023, 1, 15), dt.date(2023, 3, 10))


def test_month_grouping_across_month_boundaries(months_data):
    frame = compute_metrics(months_data, *PERIOD_ACROSS_MONTHS, by="month")
    got = frame.set_index("month")[["received", "resolved", "resolved_early", "resolved_on_time",
                                    "resolved_late", "pending", "pending_overdue"]].to_dict("index")
    assert got == {
        # received B, C; resolved E; open at 31/01 end: A, B, C, overdue A (due 31/01).
        "2023-01": dict(received=2, resolved=1, resolved_early=0, resolved_on_time=1, resolved_late=0,
                        pending=3, pending_overdue=1),
        # resolved B (early); open at 28/02 end: A, C, both past due.
        "2023-02": dict(received=0, resolved=1, resolved_early=1, resolved_on_time=0, resolved_late=0,
                        pending=2, pending_overdue=2),
        # clipped to 10/03: C resolved late; A still open and overdue.
        "2023-03": dict(received=0, resolved=1, resolved_early=0, resolved_on_time=0, resolved_late=1,
                        pending=1, pending_overdue=1),
    }


def test_totals_of_the_same_period(months_data):
    row = totals(months_data, *PERIOD_ACROSS_MONTHS)
    # received B, C; resolved E (on time), B (early), C (late); open at 10/03 end: A (overdue).
    assert (row["received"], row["resolved"], row["resolved_early"], row["resolved_on_time"],
            row["resolved_late"], row["pending"], row["pending_overdue"]) == (2, 3, 1, 1, 1, 1, 1)


def test_unit_by_month_keeps_every_month_of_active_units(months_data):
    frame = compute_metrics(months_data, *PERIOD_ACROSS_MONTHS, by=["unit", "month"])
    got = {(r.unit, r.month): (r.received, r.resolved, r.pending) for r in frame.itertuples()}
    assert got == {
        ("X", "2023-01"): (1, 1, 2),  # received B; resolved E; open A, B
        ("X", "2023-02"): (0, 1, 1),  # resolved B; open A
        ("X", "2023-03"): (0, 0, 1),  # open A
        ("Y", "2023-01"): (1, 0, 1),  # received C; open C
        ("Y", "2023-02"): (0, 0, 1),  # open C
        ("Y", "2023-03"): (0, 1, 0),  # resolved C
    }


def test_units_filter(months_data):
    row = totals(months_data, *PERIOD_ACROSS_MONTHS, units=["Y"])
    assert (row["received"], row["resolved"], row["resolved_late"], row["pending"]) == (1, 1, 1, 0)
    by_unit = compute_metrics(months_data, *PERIOD_ACROSS_MONTHS, by="unit", units=["X"])
    assert by_unit["unit"].tolist() == ["X"]


def test_group_key_columns_are_named_after_by(con):
    insert_dossiers(con, [
        dict(received_at="2023-03-02 08:00", procedure_name="Đăng ký khai sinh", field="Hộ tịch",
             officer="Lê Thị B", channel="online_full", due_at="2023-03-20"),
        dict(received_at="2023-03-03 08:00", procedure_name="Cấp phiếu lý lịch tư pháp",
             field="Lý lịch tư pháp", officer="Trần Văn C", channel="direct", due_at="2023-03-20"),
        dict(received_at="2023-03-03 08:00", procedure_name="Cấp phiếu lý lịch tư pháp",
             field="Lý lịch tư pháp", officer="Trần Văn C", channel="direct", due_at="2023-03-20"),
    ])
    for by, expected in {"procedure": {"Đăng ký khai sinh": 1, "Cấp phiếu lý lịch tư pháp": 2},
                         "field": {"Hộ tịch": 1, "Lý lịch tư pháp": 2},
                         "officer": {"Lê Thị B": 1, "Trần Văn C": 2},
                         "channel": {"online_full": 1, "direct": 2}}.items():
        frame = compute_metrics(con, *MARCH, by=by)
        assert list(frame.columns) == [by, *COUNT_NAMES, *RATIO_NAMES]
        assert dict(zip(frame[by], frame["received"])) == expected


def test_unknown_grouping_is_refused(con):
    with pytest.raises(ValueError):
        compute_metrics(con, *MARCH, by="district")


def test_data_freshness(con):
    cur = con.cursor()
    insert = ("INSERT INTO uploads (upload_id, file_name, sha256, uploaded_at, undone_at, is_sample) "
              "VALUES (?, ?, 'x', ?, ?, ?)")
    assert data_freshness(con) == dict(last_upload_at=None, latest_dossier_at=None, dossier_count=0,
                                       is_sample=False)
    cur.execute(insert, [1, "mau.xlsx", dt.datetime(2023, 12, 1, 9), None, True])
    insert_dossiers(con, [dict(received_at="2023-11-30 08:00", finished_at="2023-12-01 10:00"),
                          dict(received_at="2023-12-02 08:00")])
    assert data_freshness(con) == dict(last_upload_at=dt.datetime(2023, 12, 1, 9),
                                       latest_dossier_at=dt.datetime(2023, 12, 2, 8),
                                       dossier_count=2, is_sample=True)
    # A real upload, then one undone later: the undone one does not count.
    cur.execute(insert, [2, "thang12.xlsx", dt.datetime(2023, 12, 5, 9), None, False])
    cur.execute(insert, [3, "sai.xlsx", dt.datetime(2023, 12, 6, 9), dt.datetime(2023, 12, 6, 10), False])
    fresh = data_freshness(con)
    assert (fresh["last_upload_at"], fresh["is_sample"]) == (dt.datetime(2023, 12, 5, 9), False)


def test_list_units_and_officers(con):
    insert_dossiers(con, [dict(unit="Văn phòng Sở", officer="Bùi C"),
                          dict(unit="Phòng Hành chính tư pháp", officer="An B"),
                          dict(unit="Phòng Hành chính tư pháp", officer="An B"),
                          dict(unit="Phòng Hành chính tư pháp", officer=None),
                          dict(unit=None, officer="Đỗ D")])
    assert list_units(con) == ["Phòng Hành chính tư pháp", "Văn phòng Sở"]
    assert list_officers(con) == ["An B", "Bùi C", "Đỗ D"]
    assert list_officers(con, units=["Văn phòng Sở"]) == ["Bùi C"]


@pytest.mark.parametrize("year, start_day, expected", [
    (2023, (15, 12), (dt.date(2022, 12, 15), dt.date(2023, 12, 14))),
    (2024, (15, 12), (dt.date(2023, 12, 15), dt.date(2024, 12, 14))),
    (2023, (1, 1), (dt.date(2023, 1, 1), dt.date(2023, 12, 31))),
    (2024, (1, 3), (dt.date(2023, 3, 1), dt.date(2024, 2, 29))),  # 2024 is a leap year
])
def test_evaluation_period(year, start_day, expected):
    assert evaluation_period(year, start_day) == expected


def test_evaluation_period_refuses_a_day_missing_some_years():
    with pytest.raises(CchcError, match="29/2"):
        evaluation_period(2024, (29, 2))


def test_missing_unit_is_its_own_group_and_empty_units_means_all(con):
    insert_dossiers(con, [dict(unit="X", received_at="2023-03-02 08:00", due_at="2023-03-20"),
                          dict(unit=None, received_at="2023-03-03 08:00", due_at="2023-03-20"),
                          dict(unit=None, received_at="2023-03-04 08:00", due_at="2023-03-20")])
    frame = compute_metrics(con, *MARCH, by="unit", units=[])
    assert frame["unit"].tolist()[0] == "X" and frame["unit"].isna().tolist() == [False, True]
    assert frame["received"].tolist() == [1, 2]


def test_month_grouping_across_the_year_boundary(con):
    # evaluation-year style period 15/12/2022 .. 14/01/2023; received in December, resolved in January
    insert_dossiers(con, [dict(received_at="2022-12-20 08:00", due_at="2023-01-06",
                               finished_at="2023-01-05 10:00")])
    frame = compute_metrics(con, dt.date(2022, 12, 15), dt.date(2023, 1, 14), by="month")
    got = {r.month: (r.received, r.resolved, r.pending) for r in frame.itertuples()}
    assert got == {"2022-12": (1, 0, 1), "2023-01": (0, 1, 0)}

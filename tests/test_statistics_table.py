"""The periodic statistics table (Biểu 06a) on hand-made dossiers that cross the period's
boundaries; every expected number is worked out by hand in the comments."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from dossier_factory import insert_dossiers

from cchc_metrics.coverage import FIELD_BITS
from cchc_metrics.errors import CchcError
from cchc_metrics.statistics_table import (HEADINGS, last_full_period, report_period,
                                           statistics_table)

Q1 = report_period("quarter", 2026, 1)  # 15/12/2025 – 14/03/2026
HO_TICH, CHUNG_THUC = "Hộ tịch", "Chứng thực"
UNIT_A, UNIT_B = "Phòng Hành chính tư pháp", "Văn phòng Sở"

# Hộ tịch, unit A, every column in the file.
HO_TICH_DOSSIERS = [
    # 1 received before, resolved in the period after its due date: carried over, late
    dict(received_at="2025-12-10 08:00", due_at="2025-12-18", finished_at="2025-12-20 09:00"),
    # 2 received and resolved before the period (14/12 23:00): nowhere
    dict(received_at="2025-12-01 08:00", due_at="2025-12-20", finished_at="2025-12-14 23:00"),
    # 3 received on the last day before the period, still open, due after it: carried over, within time
    dict(received_at="2025-12-14 16:00", due_at="2026-03-20"),
    # 4 received online in the period, open, due on the period's last day: overdue at its end
    dict(received_at="2026-03-10 08:00", due_at="2026-03-14", channel="online_full"),
    # 5 by post, resolved on its due day (due 14/03 23:59:59, finished 17:00): on time
    dict(received_at="2026-01-05 08:00", due_at="2026-03-14", finished_at="2026-03-14 17:00", channel="bcci"),
    # 6 partly online, finished a week before its due day: early
    dict(received_at="2026-02-02 08:00", due_at="2026-02-10", finished_at="2026-02-03 10:00",
         channel="online_partial"),
    # 7 received at midnight after the period: nowhere
    dict(received_at="2026-03-15 00:00", due_at="2026-03-25"),
    # 8 received at the desk in the period, finished after it, due in it: pending, overdue
    dict(received_at="2026-03-01 08:00", due_at="2026-03-10", finished_at="2026-03-20 08:00"),
]
CHUNG_THUC_DOSSIERS = [
    # 9 received before, resolved in the period after its due date: carried over, late
    dict(received_at="2025-11-20 08:00", due_at="2025-12-10", finished_at="2026-01-05 08:00"),
    # 10 received at the desk, open, due after the period: pending within time
    dict(received_at="2026-01-20 08:00", due_at="2026-04-01"),
]


def _insert(con, dossiers, **common):
    insert_dossiers(con, [{"channel": "direct", **d, **common} for d in dossiers])


def _rows(table: pd.DataFrame) -> dict[str, dict]:
    columns = [name for name, _, _ in HEADINGS] + ["received"]
    return {row["key"]: {c: (None if pd.isna(row[c]) else int(row[c])) for c in columns}
            for row in table.to_dict("records")}


def test_counts_cross_the_period_boundaries(con):
    _insert(con, HO_TICH_DOSSIERS, field=HO_TICH, unit=UNIT_A)
    _insert(con, CHUNG_THUC_DOSSIERS, field=CHUNG_THUC, unit=UNIT_B)
    table = statistics_table(con, Q1.start, Q1.end, by="field")
    assert list(table["key"]) == [CHUNG_THUC, HO_TICH, "Tổng cộng"]
    assert list(table["is_total"]) == [False, False, True]
    assert _rows(table) == {
        # Hộ tịch: carried over 1, 3 = 2; received 4, 5, 6, 8 = 4 (online 4, 6 = 2; direct or
        # post 5, 8 = 2); total 2 + 4 = 6; resolved 1, 5, 6 = 3 (early 6, on time 5, late 1);
        # pending 3, 4, 8 = 3 (within time 3; overdue 4, 8); 6 = 3 resolved + 3 pending.
        HO_TICH: dict(total=6, online=2, direct_or_postal=2, carried_over=2, resolved=3, resolved_early=1,
                      resolved_on_time=1, resolved_late=1, pending=3, pending_within_time=1,
                      pending_overdue=2, received=4),
        # Chứng thực: carried over 9; received 10 (direct); resolved 9 (late); pending 10 (within).
        CHUNG_THUC: dict(total=2, online=0, direct_or_postal=1, carried_over=1, resolved=1, resolved_early=0,
                         resolved_on_time=0, resolved_late=1, pending=1, pending_within_time=1,
                         pending_overdue=0, received=1),
        "Tổng cộng": dict(total=8, online=2, direct_or_postal=3, carried_over=3, resolved=4, resolved_early=1,
                          resolved_on_time=1, resolved_late=2, pending=4, pending_within_time=2,
                          pending_overdue=2, received=5),
    }


def test_by_unit_and_unit_filter(con):
    _insert(con, HO_TICH_DOSSIERS, field=HO_TICH, unit=UNIT_A)
    _insert(con, CHUNG_THUC_DOSSIERS, field=CHUNG_THUC, unit=UNIT_B)
    by_unit = _rows(statistics_table(con, Q1.start, Q1.end, by="unit"))
    assert by_unit[UNIT_A]["total"] == 6 and by_unit[UNIT_B]["total"] == 2
    only_b = _rows(statistics_table(con, Q1.start, Q1.end, by="field", units=[UNIT_B]))
    assert list(only_b) == [CHUNG_THUC, "Tổng cộng"]
    assert only_b["Tổng cộng"]["carried_over"] == 1 and only_b["Tổng cộng"]["pending"] == 1


def test_no_data_is_not_zero(con):
    """A file without due-date and channel columns: early / on time / late, within time / overdue
    and online / direct are unknown for its field, and so are those totals; the rest is counted."""
    _insert(con, HO_TICH_DOSSIERS, field=HO_TICH, unit=UNIT_A)
    no_due_no_channel = sum(FIELD_BITS.values()) & ~FIELD_BITS["due_at"] & ~FIELD_BITS["channel"]
    _insert(con, CHUNG_THUC_DOSSIERS, field=CHUNG_THUC, unit=UNIT_B, fields_carried=no_due_no_channel)
    rows = _rows(statistics_table(con, Q1.start, Q1.end))
    unknown = dict(online=None, direct_or_postal=None, resolved_early=None, resolved_on_time=None,
                   resolved_late=None, pending_within_time=None, pending_overdue=None)
    assert rows[CHUNG_THUC] == dict(total=2, carried_over=1, received=1, resolved=1, pending=1, **unknown)
    assert rows["Tổng cộng"] == dict(total=8, carried_over=3, received=5, resolved=4, pending=4, **unknown)


def test_no_finish_column_leaves_carried_over_unknown(con):
    no_finish = sum(FIELD_BITS.values()) & ~FIELD_BITS["finished_at"] & ~FIELD_BITS["returned_at"]
    _insert(con, CHUNG_THUC_DOSSIERS, field=CHUNG_THUC, fields_carried=no_finish)
    row = _rows(statistics_table(con, Q1.start, Q1.end))[CHUNG_THUC]
    # received is known (1: dossier 10); whether 9 was still open on 15/12 is not.
    assert row["received"] == 1
    assert row["carried_over"] is None and row["total"] is None and row["resolved"] is None


@pytest.mark.parametrize("kind, number, start, end", [
    ("month", 1, dt.date(2025, 12, 15), dt.date(2026, 1, 14)),
    ("month", 12, dt.date(2026, 11, 15), dt.date(2026, 12, 14)),
    ("quarter", 1, dt.date(2025, 12, 15), dt.date(2026, 3, 14)),
    ("quarter", 3, dt.date(2026, 6, 15), dt.date(2026, 9, 14)),
    ("half", 2, dt.date(2026, 6, 15), dt.date(2026, 12, 14)),
    ("year", 1, dt.date(2025, 12, 15), dt.date(2026, 12, 14)),
])
def test_report_periods_run_from_the_15th_to_the_14th(kind, number, start, end):
    period = report_period(kind, 2026, number)
    assert (period.start, period.end) == (start, end)


def test_period_labels():
    assert report_period("quarter", 2026, 1).label_vi == "Quý I năm 2026 (15/12/2025 – 14/03/2026)"
    assert report_period("half", 2026, 1).label_vi == "6 tháng đầu năm 2026 (15/12/2025 – 14/06/2026)"


@pytest.mark.parametrize("kind, as_of, start", [
    ("quarter", dt.date(2026, 3, 14), dt.date(2025, 9, 15)),   # Q1 ends that day: not full yet
    ("quarter", dt.date(2026, 3, 15), dt.date(2025, 12, 15)),  # Q1 2026 ended the day before
    ("quarter", dt.date(2025, 12, 20), dt.date(2025, 9, 15)),  # already in Q1 2026: Q4 2025
    ("month", dt.date(2026, 1, 1), dt.date(2025, 11, 15)),     # December 2025 = 15/11 – 14/12
    ("year", dt.date(2026, 12, 15), dt.date(2025, 12, 15)),    # year 2026 ended 14/12/2026
])
def test_last_full_period(kind, as_of, start):
    assert last_full_period(kind, as_of).start == start


def test_bad_period_number():
    with pytest.raises(CchcError, match="chỉ từ 1 đến 4"):
        report_period("quarter", 2026, 5)

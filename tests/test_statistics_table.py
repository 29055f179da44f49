"""The periodic statistics table (Biểu 06a) on hand-made dossiers that cross the period's
boundaries; every expected number is worked out by hand in the comments."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from period_dossiers import (CHUNG_THUC, CHUNG_THUC_DOSSIERS, EXPECTED, HO_TICH, HO_TICH_DOSSIERS, Q1,
                             UNIT_A, UNIT_B, insert as _insert, insert_both)

from cchc_metrics.coverage import FIELD_BITS
from cchc_metrics.errors import CchcError
from cchc_metrics.statistics_table import (HEADINGS, last_full_period, report_period,
                                           statistics_table)

def _rows(table: pd.DataFrame) -> dict[str, dict]:
    columns = [name for name, _, _ in HEADINGS] + ["received"]
    return {row["key"]: {c: (None if pd.isna(row[c]) else int(row[c])) for c in columns}
            for row in table.to_dict("records")}


def test_counts_cross_the_period_boundaries(con):
    """The dossiers and the hand-worked numbers are in period_dossiers.py (see its comments)."""
    insert_both(con)
    table = statistics_table(con, Q1.start, Q1.end, by="field")
    assert list(table["key"]) == [CHUNG_THUC, HO_TICH, "Tổng cộng"]
    assert list(table["is_total"]) == [False, False, True]
    assert _rows(table) == EXPECTED


def test_by_unit_and_unit_filter(con):
    insert_both(con)
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
    assert report_period("month", 2026, 11).label_vi == "Tháng 11 năm 2026 (15/10/2026 – 14/11/2026)"
    assert report_period("year", 2026).label_vi == "Năm 2026 (15/12/2025 – 14/12/2026)"


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

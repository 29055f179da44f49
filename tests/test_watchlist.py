"""The due-soon list around Tết 2023 (Fri 20/01 .. Thu 26/01 off); working days counted by hand."""
from __future__ import annotations

import datetime as dt

import pytest
from dossier_factory import insert_dossiers

from cchc_metrics.db import connect
from cchc_metrics.watchlist import COLUMNS, STATE_DUE_SOON, STATE_OVERDUE, count_by_state, due_soon

THU_BEFORE_TET = dt.date(2023, 1, 19)  # the next working days are Fri 27/01, then Mon 30/01


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "test.duckdb")
    insert_dossiers(con, [
        dict(dossier_id="DUE-TODAY", received_at="2023-01-16 08:00", due_at="2023-01-19"),
        dict(dossier_id="DUE-27", received_at="2023-01-16 08:00", due_at="2023-01-27"),
        dict(dossier_id="DUE-30", received_at="2023-01-16 08:00", due_at="2023-01-30"),
        dict(dossier_id="DUE-31", received_at="2023-01-16 08:00", due_at="2023-01-31"),
        dict(dossier_id="DUE-IN-TET", received_at="2023-01-16 08:00", due_at="2023-01-25"),
        dict(dossier_id="LATE-18", received_at="2023-01-10 08:00", due_at="2023-01-18", unit="B",
             officer="Trần C"),
        dict(dossier_id="LATE-13", received_at="2023-01-09 08:00", due_at="2023-01-13"),
        # finished after the as-of day: still open on it
        dict(dossier_id="LATE-17", received_at="2023-01-09 08:00", due_at="2023-01-17",
             finished_at="2023-01-20 09:00"),
        # finished on the as-of day, received after it, or with no due date: not listed
        dict(dossier_id="DONE", received_at="2023-01-16 08:00", due_at="2023-01-19",
             finished_at="2023-01-19 10:00"),
        dict(dossier_id="NOT-YET-RECEIVED", received_at="2023-01-20 08:00", due_at="2023-01-27"),
        dict(dossier_id="NO-DUE", received_at="2023-01-16 08:00", due_at=None),
    ])
    yield con
    con.close()


def test_due_soon_and_overdue_most_urgent_first(con):
    frame = due_soon(con, THU_BEFORE_TET, days=2)
    assert list(frame.columns) == list(COLUMNS)
    got = list(zip(frame["dossier_id"], frame["working_days_left"], frame["state"]))
    assert got == [
        ("LATE-13", -4, STATE_OVERDUE),   # working days after Fri 13/01 up to 19/01: 16, 17, 18, 19
        ("LATE-17", -2, STATE_OVERDUE),   # 18, 19
        ("LATE-18", -1, STATE_OVERDUE),   # 19
        ("DUE-TODAY", 0, STATE_DUE_SOON),
        ("DUE-IN-TET", 0, STATE_DUE_SOON),  # 20..25/01 are all days off
        ("DUE-27", 1, STATE_DUE_SOON),     # Fri 27/01 is the first working day after Tết
        ("DUE-30", 2, STATE_DUE_SOON),     # Mon 30/01 the second; DUE-31 (3) is out
    ]


def test_days_zero_keeps_overdue_and_due_today(con):
    ids = due_soon(con, THU_BEFORE_TET, days=0)["dossier_id"].tolist()
    assert ids == ["LATE-13", "LATE-17", "LATE-18", "DUE-TODAY", "DUE-IN-TET"]


def test_filters_by_unit_and_officer(con):
    assert due_soon(con, THU_BEFORE_TET, units=["B"])["dossier_id"].tolist() == ["LATE-18"]
    assert due_soon(con, THU_BEFORE_TET, officers=["Trần C"])["dossier_id"].tolist() == ["LATE-18"]
    assert due_soon(con, THU_BEFORE_TET, units=["Nowhere"]).empty


def test_due_friday_seen_on_saturday_is_overdue_by_zero_working_days(tmp_path):
    con = connect(tmp_path / "sat.duckdb")
    insert_dossiers(con, [dict(received_at="2023-03-06 08:00", due_at="2023-03-10")])
    row = due_soon(con, dt.date(2023, 3, 11)).iloc[0]
    assert (row["working_days_left"], row["state"]) == (0, STATE_OVERDUE)
    # the Monday after: one working day (13/03) past due
    assert due_soon(con, dt.date(2023, 3, 13)).iloc[0]["working_days_left"] == -1


def test_count_by_state(con):
    # days=2 lists LATE-13, LATE-17, LATE-18 (overdue) and DUE-TODAY, DUE-IN-TET, DUE-27, DUE-30
    assert count_by_state(due_soon(con, THU_BEFORE_TET, days=2)) == {STATE_OVERDUE: 3, STATE_DUE_SOON: 4}
    # days=0 keeps the three overdue ones and the two due on the day
    assert count_by_state(due_soon(con, THU_BEFORE_TET, days=0)) == {STATE_OVERDUE: 3, STATE_DUE_SOON: 2}
    assert count_by_state(due_soon(con, THU_BEFORE_TET, units=["Nowhere"])) == {STATE_OVERDUE: 0,
                                                                                STATE_DUE_SOON: 0}


def test_what_the_list_cannot_watch_is_counted_not_hidden(con):
    from cchc_metrics.coverage import ALL_FIELD_BITS, FIELD_BITS
    from cchc_metrics.watchlist import untracked, untracked_message_vi

    no_finish_column = ALL_FIELD_BITS & ~FIELD_BITS["finished_at"]
    insert_dossiers(con, [
        # From a register without finish or return columns: open or not, nobody can tell.
        dict(dossier_id="REG-1", received_at="2023-01-05 08:00", due_at="2023-01-10",
             fields_carried=no_finish_column),
        dict(dossier_id="REG-2", received_at="2023-01-06 08:00", due_at="2023-01-11",
             fields_carried=no_finish_column),
    ])
    listed = set(due_soon(con, THU_BEFORE_TET, days=2)["dossier_id"])
    assert not listed & {"REG-1", "REG-2"}       # never shown as overdue
    # NO-DUE is open without a due date; REG-1, REG-2 have no finish column.
    counts = untracked(con, THU_BEFORE_TET)
    assert counts == {"no_finish": 2, "no_due": 1}
    message = untracked_message_vi(counts)
    assert "1 hồ sơ đang giải quyết không có ngày hẹn trả" in message
    assert "2 hồ sơ từ tệp không có cột «Ngày có kết quả / Ngày trả kết quả»" in message
    assert untracked_message_vi({"no_finish": 0, "no_due": 0}) is None

"""Officers' late shares and the late dossiers behind them, on hand-made March 2023 data."""
from __future__ import annotations

import datetime as dt

import pytest
from dossier_factory import insert_dossiers

from cchc_metrics.db import connect
from cchc_metrics.officers import flagged_officers, late_dossiers, officer_late_shares, officers_with_late

MARCH = (dt.date(2023, 3, 1), dt.date(2023, 3, 31))


def resolved(unit, officer, n, **extra):
    return [dict(unit=unit, officer=officer, received_at="2023-03-01 08:00", due_at="2023-03-20",
                 finished_at="2023-03-15 10:00", **extra) for _ in range(n)]


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "test.duckdb")
    insert_dossiers(con, [
        # X / An: 9 on time + 1 late (due Fri 10/03, finished Mon 13/03) = 10% exactly: flagged.
        *resolved("X", "An", 9),
        dict(dossier_id="AN-LATE", unit="X", officer="An", received_at="2023-03-01 08:00",
             due_at="2023-03-10", finished_at="2023-03-13 09:00"),
        # X / Bình: 10 on time + 1 late by one minute = 1/11 = 9.09%: not flagged.
        *resolved("X", "Bình", 10),
        dict(dossier_id="BINH-LATE", unit="X", officer="Bình", received_at="2023-03-01 08:00",
             due_at="2023-03-01 17:00", finished_at="2023-03-01 17:01"),
        # Y / An: the same name in another unit is another row.
        *resolved("Y", "An", 2),
        # X / Chi: nothing resolved in March (open, and one late in February): left out.
        dict(unit="X", officer="Chi", received_at="2023-03-01 08:00", due_at="2023-03-05"),
        dict(unit="X", officer="Chi", received_at="2023-02-01 08:00", due_at="2023-02-05",
             finished_at="2023-02-20 08:00"),
    ])
    yield con
    con.close()


def test_late_shares_worst_first_and_flag_at_threshold(con):
    frame = officer_late_shares(con, *MARCH)
    assert list(frame.columns) == ["unit", "officer", "resolved", "late", "late_share", "flagged"]
    got = [(r.unit, r.officer, r.resolved, r.late, round(r.late_share, 4), r.flagged)
           for r in frame.itertuples()]
    assert got == [("X", "An", 10, 1, 0.1, True),
                   ("X", "Bình", 11, 1, 0.0909, False),
                   ("Y", "An", 2, 0, 0.0, False)]


def test_threshold_and_units_filter(con):
    frame = officer_late_shares(con, *MARCH, units=["X"], threshold=0.09)
    assert frame["flagged"].tolist() == [True, True]


def test_late_dossiers_with_working_days_late(con):
    frame = late_dossiers(con, *MARCH, units=["X"])
    # latest finish first; Fri 10/03 -> Mon 13/03 is 1 working day; same-day lateness is 0
    assert list(zip(frame["dossier_id"], frame["working_days_late"])) == [("AN-LATE", 1), ("BINH-LATE", 0)]
    assert late_dossiers(con, *MARCH, officers=["Bình"])["dossier_id"].tolist() == ["BINH-LATE"]
    assert late_dossiers(con, *MARCH, units=["Y"]).empty


def test_flagged_officers_and_officers_with_late(con):
    shares = officer_late_shares(con, *MARCH)
    # X/An 1 of 10 late (flagged), X/Bình 1 of 11 late, Y/An none late
    assert list(zip(flagged_officers(shares)["unit"], flagged_officers(shares)["officer"])) == [("X", "An")]
    with_late = officers_with_late(shares)
    assert list(zip(with_late["unit"], with_late["officer"])) == [("X", "An"), ("X", "Bình")]
    nobody = officer_late_shares(con, *MARCH, units=["Nowhere"])
    assert flagged_officers(nobody).empty and officers_with_late(nobody).empty

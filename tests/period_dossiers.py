"""Hand-made dossiers around the first report quarter of 2026 (15/12/2025 – 14/03/2026) and the
statistics table worked out by hand for them; shared by the statistics-table and report tests."""
from __future__ import annotations

from dossier_factory import insert_dossiers

from cchc_metrics.statistics_table import report_period

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


def insert(con, dossiers, **common):
    insert_dossiers(con, [{"channel": "direct", **d, **common} for d in dossiers])



def insert_both(con) -> None:
    insert(con, HO_TICH_DOSSIERS, field=HO_TICH, unit=UNIT_A)
    insert(con, CHUNG_THUC_DOSSIERS, field=CHUNG_THUC, unit=UNIT_B)


# Hộ tịch: carried over 1, 3 = 2; received 4, 5, 6, 8 = 4 (online 4, 6 = 2; direct or post 5, 8 = 2);
# total 2 + 4 = 6; resolved 1, 5, 6 = 3 (early 6, on time 5, late 1); pending 3, 4, 8 = 3 (within
# time 3; overdue 4, 8); 6 = 3 resolved + 3 pending.
# Chứng thực: carried over 9; received 10 (direct); resolved 9 (late); pending 10 (within time).
EXPECTED = {
    HO_TICH: dict(total=6, online=2, direct_or_postal=2, carried_over=2, resolved=3, resolved_early=1,
                  resolved_on_time=1, resolved_late=1, pending=3, pending_within_time=1,
                  pending_overdue=2, received=4),
    CHUNG_THUC: dict(total=2, online=0, direct_or_postal=1, carried_over=1, resolved=1, resolved_early=0,
                     resolved_on_time=0, resolved_late=1, pending=1, pending_within_time=1,
                     pending_overdue=0, received=1),
    "Tổng cộng": dict(total=8, online=2, direct_or_postal=3, carried_over=3, resolved=4, resolved_early=1,
                      resolved_on_time=1, resolved_late=2, pending=4, pending_within_time=2,
                      pending_overdue=2, received=5),
}

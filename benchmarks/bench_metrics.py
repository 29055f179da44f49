"""Speed of the counts and ratios on synthetic data: python benchmarks/bench_metrics.py [--rows N ...].

Generates N dossiers straight into a `dossiers` table with SQL (range() + hash), then times
compute_metrics by unit x month, by unit, totals, and the watch list, each the best of a few runs.
Each timing shows wall and CPU time and the machine's load average: on 2 cores, other busy
processes can double the wall times.
Targets (issue 3): every count and ratio by unit x month < 100 ms over 1M dossiers, < 1 s over 10M.

Measured 23/11/2026 on the quiet 2-core machine (load average 1.1-1.2):
  unit x month, 1M:  59 ms wall, 101 ms CPU;   10M: 429 ms wall, 833 ms CPU
  totals,       1M:  38 ms wall,  66 ms CPU;   10M: 281 ms wall, 549 ms CPU
  watch list,   1M:  43 ms wall;               10M: 486 ms wall
With other processes keeping both cores busy (load average 3-5) the wall times double.
"No data is not zero" (30/11/2026, counts per carried column, 8 more counts): measured before and
after in one process, alternating, best of 2 x 15 runs, 1M dossiers, CPU time (the machine was at
load average 7-9, so wall times there say little): unit x month 108.8-111.4 -> 116.1-117.5 ms CPU
(+5-7%), unit 77.2-79.3 -> 83.2-84.8, totals 58.3-61.6 -> 61.3-66.0; with 30% of the dossiers from
a second layout without due-date and channel columns, unit x month 101.3 -> 122.9 ms CPU (+21%:
the scan has twice the rows, 1,884 by unit; the numpy placement takes 10 ms of it). At the quiet
start of the day (load 0.3) the old code ran unit x month in 57.6 ms wall, 98.9 ms CPU.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cchc_metrics.coverage import ALL_FIELD_BITS  # noqa: E402
from cchc_metrics.db import connect  # noqa: E402
from cchc_metrics.metrics import compute_metrics  # noqa: E402
from cchc_metrics.officers import officer_late_shares  # noqa: E402
from cchc_metrics.periods import evaluation_period  # noqa: E402
from cchc_metrics.watchlist import due_soon  # noqa: E402
from cchc_metrics.statistics_table import report_period, statistics_table  # noqa: E402

# One evaluation year and a bit before it; 20 units, 150 officers, 300 procedures, 8 fields;
# about 5% open, 2% late, 30% online.
GENERATE_SQL = """
INSERT INTO dossiers
SELECT 1 AS upload_id, (i % 1000000)::INTEGER AS source_row, hash(i) AS row_hash,
       'HS-' || i AS dossier_id,
       '1.' || lpad((h % 300)::VARCHAR, 6, '0') AS procedure_code,
       'Thủ tục số ' || (h % 300) AS procedure_name,
       'Lĩnh vực ' || (h % 8) AS field,
       'Đơn vị ' || (h % 20) AS unit,
       'Cán bộ ' || (h % 150) AS officer,
       received_at,
       (received_at::DATE + INTERVAL (5 + h % 10) DAY + INTERVAL '23:59:59') AS due_at,
       CASE WHEN h % 100 < 5 THEN NULL
            WHEN h % 100 < 7 THEN received_at + INTERVAL (16 + h % 5) DAY
            ELSE received_at + INTERVAL (h % 5) DAY + INTERVAL (h % 7) HOUR END AS finished_at,
       NULL AS returned_at,
       ['online_full', 'online_partial', 'direct', 'direct', 'direct', 'direct', 'bcci',
        'direct', 'online_full', 'direct'][1 + (h // 7) % 10] AS channel,
       NULL AS status,
       (h // 11) % 10 < 6 AS digitized, (h // 13) % 10 < 6 AS e_result,
       (h // 17) % 10 < 4 AS has_fee, NULL AS fee_amount, (h // 19) % 10 < 2 AS paid_online,
       FALSE AS reused_data, $all_fields::UINTEGER AS fields_carried
FROM (SELECT i, (hash(i) % 1000003)::BIGINT AS h,
             TIMESTAMP '2022-11-01 07:30:00' + INTERVAL ((hash(i * 31) % 420)::BIGINT) DAY
                 + INTERVAL ((hash(i * 7) % 540)::BIGINT) MINUTE AS received_at
      FROM range($rows) t(i))
"""


def best_of(fn, runs: int = 5) -> tuple[float, float]:
    """Best wall time and best CPU time (all threads) in ms. The CPU time does not grow when other
    processes compete for the 2 cores, so it tells what an idle machine would show (about half of
    it as wall time with DuckDB's 2 threads)."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return min(walls), min(cpus)


def run(rows: int, workdir: Path) -> None:
    con = connect(workdir / f"bench_{rows}.duckdb")
    t0 = time.perf_counter()
    con.execute(GENERATE_SQL, {"rows": rows, "all_fields": ALL_FIELD_BITS})
    print(f"\n{rows:,} dossiers generated in {time.perf_counter() - t0:.1f} s")
    start, end = evaluation_period(2023)
    quarter = report_period("quarter", 2023, 3)
    cases = {
        "unit x month (all counts + ratios)": lambda: compute_metrics(con, start, end, by=["unit", "month"]),
        "unit": lambda: compute_metrics(con, start, end, by="unit"),
        "month": lambda: compute_metrics(con, start, end, by="month"),
        "totals": lambda: compute_metrics(con, start, end),
        "officer x unit late shares": lambda: officer_late_shares(con, start, end),
        "watch list (as of 2023-12-14)": lambda: due_soon(con, dt.date(2023, 12, 14)),
        "statistics table, a quarter by field": lambda: statistics_table(con, quarter.start, quarter.end, "field"),
    }
    for name, fn in cases.items():
        wall, cpu = best_of(fn)
        print(f"  {name:<38} {wall:8.1f} ms wall {cpu:8.1f} ms CPU   (load average {os.getloadavg()[0]:.1f})")
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            run(rows, Path(tmp))


if __name__ == "__main__":
    main()

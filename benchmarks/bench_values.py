"""Value parsing in DuckDB at a million rows: dates (timestamp_sql before/after the added forms
and the 2000-2100 year check) and NFC normalisation of short texts.

    python3 benchmarks/bench_values.py [rows]

Runs the variants interleaved, several rounds, and prints the best and median wall and CPU
seconds of each (the machines are shared: CPU time and the best of several rounds are the
steadiest figures).

Measured 2026-11-30 (2 cores shared with other jobs, load ~9; CPU seconds, best / median of 9):
dates 'dd/mm/yyyy HH:MM', 1M rows: before 0.629 / 0.645, after 0.638 / 0.659 (+1.4% / +2.2%;
without the 2000-2100 year check the new forms cost nothing: 0.629 / 0.646). An earlier quieter
run, wall best: 0.298 s before, 0.304 s after. Text, 1M short NFC strings (wall, quiet run):
trim/nullif 0.060 s, with the combining-mark check 0.074 s, nfc_normalize on every value 0.457 s.
In a whole 100,000-row load that SQL check still cost 0.07-0.09 s (seven text columns), so the
ingest now checks each column's distinct values in Arrow (values.normalise_text_columns, ~1-7 ms a column)
and normalises only a column that holds combining marks.
TCVN3 -> Unicode of 1M rows x 5 columns (few distinct values): 0.20 s.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cchc_metrics.ingest.legacy_text import convert_table  # noqa: E402
from cchc_metrics.ingest.values import timestamp_sql  # noqa: E402

# timestamp_sql as it was before yyyyMMddHHmmss, time-first, offsets and the year check (aa49c6c).
BASELINE = (
    "CASE WHEN c[2] IN ('/', '-', '.') OR c[3] IN ('/', '-', '.') "
    "THEN CASE WHEN length(c) <= 10 THEN try_strptime(c, ['%d/%m/%Y', '%d-%m-%Y', '%d.%m.%Y']) "
    "ELSE try_strptime(c, ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d-%m-%Y %H:%M:%S', "
    "'%d-%m-%Y %H:%M', '%d.%m.%Y %H:%M:%S', '%d.%m.%Y %H:%M']) END "
    "WHEN regexp_full_match(c, '\\d{5}(\\.\\d+)?') "
    "THEN TIMESTAMP '1899-12-30' + to_microseconds(CAST(round(CAST(c AS DOUBLE) * 86400000000) AS BIGINT)) "
    "ELSE try_cast(c AS TIMESTAMP) END")


def run(con, sql: str) -> tuple[float, float]:
    """(wall, CPU) seconds; CPU (all threads of this process) is steadier on a shared machine."""
    start, cpu = time.perf_counter(), time.process_time()
    con.execute(sql).fetchone()
    return time.perf_counter() - start, time.process_time() - cpu


def compare(con, variants: dict[str, str], rounds: int) -> None:
    times = {name: [] for name in variants}
    for _ in range(rounds):
        for name, sql in variants.items():
            times[name].append(run(con, sql))
    for name, ts in times.items():
        wall, cpu = [t[0] for t in ts], [t[1] for t in ts]
        print(f"  {name:<34} wall best {min(wall):.3f} s, median {statistics.median(wall):.3f} s;"
              f" CPU best {min(cpu):.3f} s, median {statistics.median(cpu):.3f} s")


def main(rows: int = 1_000_000, rounds: int = 9) -> None:
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute(f"""CREATE TABLE d AS SELECT strftime(TIMESTAMP '2023-01-01'
                    + to_seconds(CAST(i * 37 AS BIGINT)), '%d/%m/%Y %H:%M') AS c FROM range({rows}) r(i)""")
    print(f"{rows:,} dates 'dd/mm/yyyy HH:MM' -> TIMESTAMP ({rounds} rounds, 2 threads)")
    compare(con, {"before (aa49c6c)": f"SELECT count({BASELINE}) FROM d",
                  "after (timestamp_sql)": f"SELECT count({timestamp_sql('c')}) FROM d"}, rounds)

    words = ["Phòng Hành chính tư pháp", "Văn phòng Sở", "Trung tâm Trợ giúp pháp lý",
             "Phòng Bổ trợ tư pháp", "Nguyễn Văn An", "Hộ tịch", "Lý lịch tư pháp", "Chứng thực"]
    listed = ", ".join("'" + w + "'" for w in words)
    con.execute(f"CREATE TABLE s AS SELECT [{listed}][1 + i % {len(words)}] AS c FROM range({rows}) r(i)")
    print(f"{rows:,} short Vietnamese texts (NFC already)")
    compare(con, {"trim/nullif (text_sql before)": "SELECT count(nullif(trim(c), '')) FROM s",
                  "nfc_normalize on every value": "SELECT count(nfc_normalize(nullif(trim(c), ''))) FROM s",
                  "regexp check, then nfc_normalize": "SELECT count(CASE WHEN regexp_matches(c, "
                  "'[\u0300-\u036f]') THEN nfc_normalize(c) ELSE c END) FROM s"},
            rounds)

    # Legacy TCVN3 text: the columns the reader keeps (ids ASCII, units and procedures a few
    # distinct values, officers a few hundred), converted once per distinct value.
    import pyarrow as pa
    units = ["Phßng Hµnh chÝnh t\xad ph¸p", "V¨n phßng Së", "Trung t©m Trî gióp ph¸p lý"]
    procedures = ["§¨ng ký kÕt h«n", "Chøng thùc b¶n sao", "CÊp phiÕu lý lÞch t\xad ph¸p"]
    table = pa.table({"id": [f"HS-{i:07d}" for i in range(rows)],
                      "unit": [units[i % 3] for i in range(rows)],
                      "procedure": [procedures[i % 3] for i in range(rows)],
                      "officer": [f"NguyÔn V¨n {i % 300}" for i in range(rows)],
                      "received": ["18/03/2024 08:00"] * rows})
    times = []
    for _ in range(3):
        start = time.perf_counter()
        convert_table(table, "tcvn3")
        times.append(time.perf_counter() - start)
    print(f"{rows:,} rows x 5 columns of TCVN3 text -> Unicode (convert_table)")
    print(f"  {'convert_table':<34} best {min(times):.3f} s   median {statistics.median(times):.3f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)

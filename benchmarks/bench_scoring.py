"""Speed of a year's scores with projections: python benchmarks/bench_scoring.py [--rows N ...].

Reuses bench_metrics' synthetic dossiers (generated straight into a tmp DuckDB `dossiers` table
with SQL) and times score_year (mid-year, with projection and what it takes), score_by_unit and
monthly_series per unit, each the best of a few runs. Target (issue 3): a year's full score with
projections under 500 ms over 1M dossiers.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from bench_metrics import GENERATE_SQL, best_of  # noqa: E402

from cchc_metrics.coverage import ALL_FIELD_BITS  # noqa: E402
from cchc_metrics.db import connect  # noqa: E402
from cchc_metrics.scoring import monthly_series, score_by_unit, score_year  # noqa: E402


def run(rows: int, workdir: Path) -> None:
    con = connect(workdir / f"bench_scoring_{rows}.duckdb")
    t0 = time.perf_counter()
    con.execute(GENERATE_SQL, {"rows": rows, "all_fields": ALL_FIELD_BITS})
    print(f"\n{rows:,} dossiers generated in {time.perf_counter() - t0:.1f} s")
    cases = {
        "score_year 2023, as of 30/06 (projection)":
            lambda: score_year(con, "khanh_hoa_department", 2023, as_of=dt.date(2023, 6, 30)),
        "score_year 2023, whole year": lambda: score_year(con, "national_766", 2023),
        "score_by_unit 2023": lambda: score_by_unit(con, "khanh_hoa_department", 2023),
        "monthly_series 2023 per unit":
            lambda: monthly_series(con, "khanh_hoa_department", 2023, per_unit=True),
    }
    for name, fn in cases.items():
        wall, cpu = best_of(fn)
        print(f"  {name:<44} {wall:8.1f} ms wall {cpu:8.1f} ms CPU")
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        for rows in args.rows:
            run(rows, Path(workdir))


if __name__ == "__main__":
    main()

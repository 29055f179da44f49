"""The bundled sample exports, loaded as a user would, give the seed plan's 2023 points."""
from __future__ import annotations

import pytest

from cchc_metrics import db
from cchc_metrics.ingest import load_sample_data
from cchc_metrics.scoring import score_year


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    con = db.connect(tmp_path_factory.mktemp("sample") / "cchc.duckdb")
    load_sample_data(con)
    yield score_year(con, "khanh_hoa_department", 2023)
    con.close()


@pytest.mark.parametrize("code, numerator, denominator, points", [
    ("II.2.4.2.1", 14_673, 14_697, 4.5),   # 99.84% -> the 99–<100% band
    ("II.2.3.3.1", 9_129, 14_697, 0.31),   # 62.11% x 0.5 = 0.3106
    ("II.2.3.3.2", 9_042, 14_697, 0.31),   # 61.52% x 0.5 = 0.3076
    ("II.6.5.2", 3_159, 15_047, 1.26),     # 20.99% / 50% x 3 = 1.2597 (the plan says 1.46)
    ("II.6.6.2", 3_158, 13_599, 1.39),     # fee dossiers only: 23.22% / 50% x 3 = 1.3933 (plan 1.46)
    ("I.5", 285, 291, 2),                  # shipped manual value: 97.94% -> 2
    ("II.6.4.2", 0, 1, 0),                 # shipped manual value: 0 of 1 satisfied
])
def test_seed_points_from_the_sample_data(report, code, numerator, denominator, points):
    row = report.rows.set_index("code").loc[code]
    assert (row["numerator"], row["denominator"], row["points"]) == (numerator, denominator, points)


def test_sample_year_is_complete(report):
    # The sample runs to the period end, so the projection is the actual score.
    assert report.as_of.isoformat() == "2023-12-14"
    assert report.projected_total == report.total

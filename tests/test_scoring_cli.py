"""`python -m cchc_metrics score`: json / csv output and the unknown-framework message."""
from __future__ import annotations

import json

from dossier_factory import insert_dossiers

from cchc_metrics import db
from cchc_metrics.cli import main


def make_db(tmp_path):
    path = tmp_path / "cchc.duckdb"
    con = db.connect(path)
    # One on-time dossier and one late one, both at the desk, resolved in the 2023 period.
    insert_dossiers(con, [
        dict(received_at="2023-03-01T08:00:00", due_at="2023-03-10", finished_at="2023-03-09T10:00:00"),
        dict(received_at="2023-03-01T08:00:00", due_at="2023-03-10", finished_at="2023-03-13T10:00:00"),
    ])
    con.close()
    return path


def test_score_json(tmp_path, capsys):
    path = make_db(tmp_path)
    assert main(["score", "--db", str(path), "--year", "2023"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {k: out[k] for k in ("framework", "year", "start", "end", "max_total")} == {
        "framework": "khanh_hoa_department", "year": 2023, "start": "2022-12-15",
        "end": "2023-12-14", "max_total": 19.5}
    on_time = next(r for r in out["rows"] if r["code"] == "II.2.4.2.1")
    # 1 of 2 on time = 50%: below every band -> 0 of 5; nothing paid online: no data (null).
    assert (on_time["numerator"], on_time["denominator"], on_time["ratio"]) == (1, 2, 0.5)
    assert (on_time["points"], on_time["max_points"], on_time["points_lost"]) == (0, 5, 5)
    assert "projected_points" in on_time
    paid = next(r for r in out["rows"] if r["code"] == "II.6.6.2")
    assert paid["points"] is None and paid["status_vi"] == "chưa có dữ liệu"


def test_score_csv(tmp_path, capsys):
    path = make_db(tmp_path)
    assert main(["score", "--db", str(path), "--year", "2023", "--framework", "national_766",
                 "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("code,name,indicator,rule,numerator,denominator,ratio,target")
    assert len(lines) == 1 + 9


def test_unknown_framework_lists_the_available_ones(tmp_path, capsys):
    path = make_db(tmp_path)
    assert main(["score", "--db", str(path), "--year", "2023", "--framework", "hanoi"]) == 1
    err = capsys.readouterr().err
    assert "hanoi" in err and "khanh_hoa_department, national_766, tay_ninh_2025_2030" in err

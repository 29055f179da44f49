"""`python -m cchc_metrics metrics|watchlist`: the json other tools read, csv, and input errors."""
from __future__ import annotations

import json

import pytest
from dossier_factory import insert_dossiers

from cchc_metrics.cli import main
from cchc_metrics.db import connect
from cchc_metrics.metrics import COUNT_NAMES, RATIO_NAMES


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "cli.duckdb"
    con = connect(path)
    insert_dossiers(con, [
        dict(unit="X", received_at="2023-01-20 08:00", due_at="2023-02-10", finished_at="2023-02-03 09:00"),
        dict(dossier_id="Y-1", unit="Y", received_at="2023-01-31 23:00", due_at="2023-02-28", channel="bcci"),
    ])
    con.close()  # the command opens the file read-only
    return path


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_metrics_json_by_month(capsys, db_path):
    code, out, _ = run(capsys, "metrics", "--db", str(db_path), "--start", "2023-01-01",
                       "--end", "2023-02-28", "--by", "month")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {"start", "end", "by", "rows"}
    assert (doc["start"], doc["end"], doc["by"]) == ("2023-01-01", "2023-02-28", "month")
    assert [set(r) for r in doc["rows"]] == [{"month", *COUNT_NAMES, *RATIO_NAMES}] * 2
    jan, feb = doc["rows"]
    # January: both received (1 by bcci), none resolved, both open at 31/01
    assert (jan["month"], jan["received"], jan["bcci"], jan["resolved"], jan["pending"]) == (
        "2023-01", 2, 1, 0, 2)
    assert jan["on_time_rate"] is None and jan["bcci_rate"] == 0.5
    # February: X resolved early; Y open and overdue at 28/02 end (due 23:59:59 that day)
    assert (feb["resolved"], feb["resolved_early"], feb["pending"], feb["pending_overdue"]) == (1, 1, 1, 1)
    assert feb["received"] == 0 and feb["online_rate"] is None and feb["on_time_rate"] == 1.0


def test_metrics_json_totals_has_by_null(capsys, db_path):
    _, out, _ = run(capsys, "metrics", "--db", str(db_path), "--start", "2023-01-01", "--end", "2023-01-31")
    doc = json.loads(out)
    assert doc["by"] is None and len(doc["rows"]) == 1
    assert set(doc["rows"][0]) == {*COUNT_NAMES, *RATIO_NAMES}


def test_metrics_csv_by_unit(capsys, db_path):
    code, out, _ = run(capsys, "metrics", "--db", str(db_path), "--start", "2023-01-01",
                       "--end", "2023-02-28", "--by", "unit", "--format", "csv")
    lines = out.splitlines()
    assert code == 0 and lines[0].split(",")[:3] == ["unit", "received", "resolved"]
    assert [line.split(",")[0] for line in lines[1:]] == ["X", "Y"]


@pytest.mark.parametrize("args, message", [
    (["--start", "2023-02-30", "--end", "2023-03-31"], "không phải là ngày hợp lệ"),
    (["--start", "01/03/2023", "--end", "2023-03-31"], "không phải là ngày hợp lệ"),
    (["--start", "2023-03-31", "--end", "2023-03-01"], "trước ngày bắt đầu"),
])
def test_metrics_bad_dates(capsys, db_path, args, message):
    code, out, err = run(capsys, "metrics", "--db", str(db_path), *args)
    assert code == 1 and out == "" and message in err


def test_missing_database_is_an_input_error(capsys, tmp_path):
    code, _, err = run(capsys, "metrics", "--db", str(tmp_path / "none.duckdb"),
                       "--start", "2023-01-01", "--end", "2023-01-31")
    assert code == 1 and "Không tìm thấy cơ sở dữ liệu" in err
    assert not (tmp_path / "none.duckdb").exists()


def test_watchlist_json(capsys, db_path):
    code, out, _ = run(capsys, "watchlist", "--db", str(db_path), "--as-of", "2023-02-27", "--days", "1")
    doc = json.loads(out)
    assert code == 0 and (doc["as_of"], doc["days"], doc["units"], doc["officers"]) == (
        "2023-02-27", 1, None, None)
    # Y is due Tue 28/02: 1 working day after Mon 27/02
    assert [(r["dossier_id"], r["unit"], r["working_days_left"], r["state"], r["due_at"])
            for r in doc["rows"]] == [("Y-1", "Y", 1, "Sắp đến hạn", "2023-02-28T23:59:59")]


def test_watchlist_filtered_by_unit_and_officer(capsys, db_path):
    def ids(*filters):
        _, out, _ = run(capsys, "watchlist", "--db", str(db_path), "--as-of", "2023-02-27", *filters)
        return [r["dossier_id"] for r in json.loads(out)["rows"]]

    # Only Y-1 (unit Y, officer Nguyễn Văn A) is open at 27/02; X was resolved on 03/02.
    assert ids("--unit", "Y") == ids("--unit", "X", "--unit", "Y") == ["Y-1"]
    assert ids("--unit", "X") == []
    assert ids("--officer", "Nguyễn Văn A") == ["Y-1"]
    assert ids("--unit", "Y", "--officer", "Trần Thị B") == []


def test_watchlist_bad_date(capsys, db_path):
    code, _, err = run(capsys, "watchlist", "--db", str(db_path), "--as-of", "hôm nay")
    assert code == 1 and "--as-of" in err

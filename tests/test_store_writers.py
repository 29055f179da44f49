"""Issue 10, items 6 and 8: one writer at a time, `dossiers` keyed on the dossier id, and the sample
that steps aside when the department's own data arrives."""
from __future__ import annotations

import threading

import duckdb
import pytest

from cchc_metrics import app_services, metrics
from cchc_metrics.cli import main
from cchc_metrics.db import connect
from cchc_metrics.errors import IngestError
from cchc_metrics.ingest import ingest_file, list_uploads, load_sample_data
from cchc_metrics.ingest.store import SAMPLE_DIR
from conftest import write_xlsx

SEVEN_SAMPLE_FILES = sorted(p for p in SAMPLE_DIR.iterdir() if p.suffix in (".xlsx", ".csv"))[:7]
OWN_ROWS = [["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận"],
            ["X1", "Thủ tục 1", "Phòng 1", "01/03/2024"],
            ["X2", "Thủ tục 2", "Phòng 2", "02/03/2024"]]


def content(con) -> list[tuple]:
    """Every stored field of every current dossier (the upload ids depend on the order of loads)."""
    return con.execute("SELECT * EXCLUDE (upload_id, source_row) FROM dossiers ORDER BY dossier_id").fetchall()


def test_uploads_from_several_threads_at_once_end_as_one_by_one(tmp_path):
    # The case: seven sample files on parallel threads stored some dossiers twice
    # (each transaction saw only its own snapshot). Now: the state of loading them one by one.
    one_by_one = connect(tmp_path / "sequential.duckdb")
    for path in SEVEN_SAMPLE_FILES:
        ingest_file(one_by_one, path.read_bytes(), path.name)

    together = connect(tmp_path / "threads.duckdb")
    start, failures = threading.Barrier(len(SEVEN_SAMPLE_FILES)), []

    def load(path):
        start.wait()                        # all seven begin at the same moment
        try:
            ingest_file(together, path.read_bytes(), path.name)
        except BaseException as exc:        # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=load, args=(p,)) for p in SEVEN_SAMPLE_FILES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    rows, ids = together.execute("SELECT count(*), count(DISTINCT dossier_id) FROM dossiers").fetchone()
    assert rows == ids == len(content(one_by_one))
    assert content(together) == content(one_by_one)
    assert together.execute("SELECT count(*) FROM uploads").fetchone()[0] == 7


def test_the_current_dossier_table_refuses_a_second_row_for_an_id(con, tmp_path):
    ingest_file(con, write_xlsx(tmp_path / "own.xlsx", OWN_ROWS).read_bytes(), "own.xlsx")
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO dossiers SELECT * FROM dossiers WHERE dossier_id = 'X1'")


def test_an_older_database_gets_the_key_and_its_doubled_dossiers_merged(tmp_path):
    path = tmp_path / "old.duckdb"
    con = connect(path)
    ingest_file(con, write_xlsx(tmp_path / "own.xlsx", OWN_ROWS).read_bytes(), "own.xlsx")
    # As an older version left it: `dossiers` without a key, X1 stored twice by a race.
    con.execute("CREATE TABLE unkeyed AS SELECT * FROM dossiers; DROP TABLE dossiers; "
                "ALTER TABLE unkeyed RENAME TO dossiers; "
                "INSERT INTO dossiers SELECT * FROM dossiers WHERE dossier_id = 'X1'")
    assert con.execute("SELECT count(*) FROM dossiers").fetchone()[0] == 3
    con.close()
    con = connect(path)
    assert con.execute("SELECT dossier_id FROM dossiers ORDER BY 1").fetchall() == [("X1",), ("X2",)]
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO dossiers SELECT * FROM dossiers WHERE dossier_id = 'X1'")
    con.close()


@pytest.fixture
def sampled(con):
    load_sample_data(con)
    return con


def test_the_first_upload_of_own_data_retires_the_sample(sampled, tmp_path):
    con = sampled
    assert metrics.data_freshness(con)["is_sample"]
    result = ingest_file(con, write_xlsx(tmp_path / "own.xlsx", OWN_ROWS).read_bytes(), "own.xlsx")
    assert result.added == 2 and "Đã gỡ dữ liệu mẫu" in result.message_vi
    # Only the department's two dossiers are left: the sample is excluded from everything.
    assert con.execute("SELECT dossier_id FROM dossiers ORDER BY 1").fetchall() == [("X1",), ("X2",)]
    assert con.execute("SELECT count(*) FROM dossier_versions").fetchone()[0] == 2
    assert metrics.list_units(con) == ["Phòng 1", "Phòng 2"]
    assert not metrics.data_freshness(con)["is_sample"]
    uploads = list_uploads(con)
    labels = app_services.upload_status_labels(uploads)
    assert labels[0] == "Đang dùng"
    assert labels[1:] == ["Dữ liệu mẫu (đã gỡ)"] * 13     # the 13 sample files


def test_a_refused_own_file_leaves_the_sample_in_place(sampled, tmp_path):
    con = sampled
    before = con.execute("SELECT count(*) FROM dossiers").fetchone()[0]
    bad = write_xlsx(tmp_path / "bad.xlsx", [*OWN_ROWS, ["X3", "Thủ tục 1", "Phòng 1", "31/02/2024"]])
    with pytest.raises(IngestError):
        ingest_file(con, bad.read_bytes(), "bad.xlsx")
    assert con.execute("SELECT count(*) FROM dossiers").fetchone()[0] == before
    assert metrics.data_freshness(con)["is_sample"]


def test_the_cli_retires_the_sample_too_and_it_can_be_loaded_again(tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    con = connect(db)
    load_sample_data(con)
    con.close()
    assert main(["ingest", "--db", str(db), str(write_xlsx(tmp_path / "own.xlsx", OWN_ROWS))]) == 0
    assert "Đã gỡ dữ liệu mẫu" in capsys.readouterr().out
    con = connect(db)
    assert con.execute("SELECT count(*) FROM dossiers").fetchone()[0] == 2
    # For a demonstration the sample loads again (the identical files count as new uploads).
    results = load_sample_data(con)
    assert [r.status for r in results] == ["loaded"] * 13
    assert con.execute("SELECT count(*) FROM uploads WHERE is_sample AND undone_at IS NULL").fetchone()[0] == 13
    con.close()

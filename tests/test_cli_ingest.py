"""`python -m cchc_metrics ingest|uploads|undo`: summaries, exit codes, messages on stderr."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cchc_metrics.cli import main
from cchc_metrics.db import connect
from conftest import write_xlsx

ROWS = [["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận"],
        ["A", "Thủ tục 1", "Phòng 1", "01/03/2023"],
        ["B", "Thủ tục 2", "Phòng 2", "02/03/2023"]]


def dossier_ids(db: Path) -> list[str]:
    con = connect(db)
    ids = [r[0] for r in con.execute("SELECT dossier_id FROM dossiers ORDER BY 1").fetchall()]
    con.close()
    return ids


def test_ingest_reports_each_file_and_fails_for_a_bad_one(tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    good = write_xlsx(tmp_path / "thang3.xlsx", ROWS)
    bad = tmp_path / "ghi-chu.xlsx"
    bad.write_bytes(b"not a spreadsheet\x00\x01")
    assert main(["ingest", "--db", str(db), str(good), str(bad)]) == 1
    out, err = capsys.readouterr()
    assert "[1] Đã nạp «thang3.xlsx»: 2 dòng hồ sơ, 2 hồ sơ mới" in out
    assert "Tệp «ghi-chu.xlsx»: đây không phải tệp Excel" in err
    assert dossier_ids(db) == ["A", "B"]

    assert main(["ingest", "--db", str(db), str(good)]) == 0
    assert "giống hệt" in capsys.readouterr().out


def test_mapping_file_unit_and_skip_invalid(tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    rows = [["Số BN", "Việc", "Ngày vào"], ["X-1", "Thủ tục A", "01/04/2023"],
            ["X-2", "Thủ tục A", "31/04/2023"]]
    path = write_xlsx(tmp_path / "la.xlsx", rows)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"dossier_id": "Số BN", "procedure_name": "Việc",
                                   "received_at": "Ngày vào"}), encoding="utf-8")
    args = ["ingest", "--db", str(db), "--mapping", str(mapping), "--unit", "Văn phòng Sở", str(path)]
    assert main(args) == 1
    assert "dòng 3, cột «Ngày vào», giá trị «31/04/2023»" in capsys.readouterr().err
    assert main(args[:1] + ["--skip-invalid"] + args[1:]) == 0
    assert "1 hồ sơ mới" in capsys.readouterr().out and dossier_ids(db) == ["X-1"]


def test_uploads_and_undo(tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    main(["ingest", "--db", str(db), str(write_xlsx(tmp_path / "thang3.xlsx", ROWS))])
    capsys.readouterr()
    assert main(["uploads", "--db", str(db)]) == 0
    listing = capsys.readouterr().out
    assert "thang3.xlsx" in listing and "01/03/2023–02/03/2023" in listing and "đang dùng" in listing
    assert main(["undo", "--db", str(db), "1"]) == 0
    assert "Đã hoàn tác lần tải số 1" in capsys.readouterr().out
    assert dossier_ids(db) == []
    main(["uploads", "--db", str(db)])
    assert "đã hoàn tác" in capsys.readouterr().out
    assert main(["undo", "--db", str(db), "7"]) == 1
    assert "không có lần tải dữ liệu số 7" in capsys.readouterr().err


def test_module_entry_point(tmp_path):
    path = write_xlsx(tmp_path / "thang3.xlsx", ROWS)
    done = subprocess.run([sys.executable, "-m", "cchc_metrics", "ingest", "--db",
                           str(tmp_path / "m.duckdb"), str(path)], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    assert "2 hồ sơ mới" in done.stdout


def test_reading_commands_bring_a_database_of_an_older_version_up_to_date(tmp_path, capsys):
    """They open the file read-only, which cannot add the columns newer code reads: before, `uploads`
    stopped on KeyError 'warnings' and `score` on a missing «fields_carried»."""
    from cchc_metrics import db
    from cchc_metrics.cli import main

    path = tmp_path / "cu.duckdb"
    con = db.connect(path)
    con.execute("ALTER TABLE uploads DROP COLUMN warnings")
    con.execute("ALTER TABLE dossiers DROP COLUMN fields_carried")
    con.close()
    assert main(["uploads", "--db", str(path)]) == 0
    assert main(["score", "--db", str(path), "--year", "2024"]) == 0
    with db.connect(path, read_only=True) as con:
        assert not db.needs_upgrade(con)

"""The real server (issue 10, item 7): a file dropped into the inbox while the dashboard runs is
loaded and shows in the upload history; CLI reading commands work meanwhile."""
from __future__ import annotations

import json
import subprocess
import sys
import time

from app_server import PROJECT_ROOT, running_app
from cchc_metrics.db import connect
from cchc_metrics.ingest import ingest_file
from conftest import write_xlsx

HEADER = ["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày có kết quả"]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cchc_metrics", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)


def wait_for(check, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)
    return found


def test_a_file_dropped_into_the_inbox_is_loaded_while_the_server_runs(tmp_path):
    db_path = tmp_path / "cchc.duckdb"
    with connect(db_path) as con:     # the department's own data already in (no sample to load)
        ingest_file(con, write_xlsx(tmp_path / "11.xlsx", [
            HEADER, ["N1", "Thủ tục 1", "Phòng 1", "01/11/2023", "10/11/2023", "08/11/2023"]]).read_bytes(),
            "11.xlsx")
    inbox = tmp_path / "inbox"
    december = write_xlsx(tmp_path / "12.xlsx", [
        HEADER, ["N1", "Thủ tục 1", "Phòng 1", "01/11/2023", "10/11/2023", "08/11/2023"],
        ["D1", "Thủ tục 1", "Phòng 1", "01/12/2023", "12/12/2023", "11/12/2023"],
        ["D2", "Thủ tục 2", "Phòng 2", "04/12/2023", "13/12/2023", None]])
    with running_app(db_path, tmp_path / "server.log"):
        # Written under a name the watcher skips, then renamed: never taken half-copied.
        (inbox / ".12.xlsx.part").parent.mkdir(exist_ok=True)
        (inbox / ".12.xlsx.part").write_bytes(december.read_bytes())
        (inbox / ".12.xlsx.part").rename(inbox / "thang-12.xlsx")
        (inbox / "ghi-chu.xlsx").write_bytes(b"khong phai tep Excel\x00\x01")

        def history():
            listed = cli("uploads", "--db", str(db_path))
            assert listed.returncode == 0, listed.stderr     # a reading command, while the server runs
            return "thang-12.xlsx" in listed.stdout and listed.stdout
        listed = wait_for(history)
        # Upload 2: 3 rows, D1 and D2 new, N1 the same as November's.
        assert "thang-12.xlsx" in listed.splitlines()[1] and " 3 " in listed.splitlines()[1]
        wait_for(lambda: (inbox / "done" / "thang-12.xlsx").exists())
        reason = wait_for(lambda: (inbox / "refused" / "ghi-chu.xlsx.loi.txt").exists()
                          and (inbox / "refused" / "ghi-chu.xlsx.loi.txt").read_text(encoding="utf-8"))
        assert reason.startswith("Tệp «ghi-chu.xlsx»: đây không phải tệp Excel")
        assert not (inbox / "ghi-chu.xlsx").exists()

        score = cli("score", "--db", str(db_path), "--year", "2023")
        assert score.returncode == 0, score.stderr
        rows = {r["code"]: r for r in json.loads(score.stdout)["rows"]}
        # Resolved in the 2023 evaluation year: N1 (08/11, due 10/11) and D1 (11/12, due 12/12),
        # both before their due day: 2 of 2 on time.
        on_time = next(r for r in rows.values() if r["indicator"] == "on_time_rate")
        assert (on_time["numerator"], on_time["denominator"]) == (2, 2)

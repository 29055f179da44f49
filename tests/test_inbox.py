"""The inbox watcher, one look at a time (the real server's watcher: test_server_inbox.py)."""
from __future__ import annotations

import subprocess
import sys
import time

from cchc_metrics import inbox
from cchc_metrics.db import SharedDatabase, connect
from cchc_metrics.errors import DatabaseBusyError
from cchc_metrics.ingest import list_uploads
from conftest import write_xlsx

ROWS = [["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận"],
        ["A", "Thủ tục 1", "Phòng 1", "01/03/2023"],
        ["B", "Thủ tục 2", "Phòng 2", "02/03/2023"]]


def watcher_for(tmp_path):
    database = SharedDatabase(tmp_path / "cchc.duckdb", idle_seconds=0.05)
    return database, inbox.InboxWatcher(database, tmp_path / "inbox")


def test_a_file_is_loaded_once_it_stopped_changing_then_moved_to_done(tmp_path):
    database, watcher = watcher_for(tmp_path)
    folder = watcher.folder
    folder.mkdir()
    data = write_xlsx(tmp_path / "thang-3.xlsx", ROWS).read_bytes()
    (folder / "thang-3.xlsx").write_bytes(data[:100])           # still being copied
    (folder / ".dang-chep.xlsx").write_bytes(data)              # never taken: hidden name
    (folder / "thang-4.xlsx.part").write_bytes(data)            # never taken: .part
    assert watcher.poll(now=0) == []                             # first look: only noted
    (folder / "thang-3.xlsx").write_bytes(data)                  # the copy goes on
    assert watcher.poll(now=2) == []                             # changed since: wait
    outcomes = watcher.poll(now=4)
    assert [(o.file_name, o.status) for o in outcomes] == [("thang-3.xlsx", "loaded")]
    assert outcomes[0].message_vi.startswith("Đã nạp «thang-3.xlsx»: 2 dòng hồ sơ, 2 hồ sơ mới")
    assert (folder / "done" / "thang-3.xlsx").read_bytes() == data
    assert sorted(p.name for p in folder.iterdir()) == [".dang-chep.xlsx", "done", "thang-4.xlsx.part"]
    with database.use() as con:
        assert list(list_uploads(con)["file_name"]) == ["thang-3.xlsx"]
    database.close()


def test_a_refused_file_goes_aside_with_its_reason_and_a_same_name_does_not_overwrite(tmp_path):
    database, watcher = watcher_for(tmp_path)
    folder = watcher.folder
    folder.mkdir()
    for _ in range(2):
        (folder / "ghi-chu.xlsx").write_bytes(b"not a spreadsheet\x00\x01")
        watcher.poll(now=0)
        [outcome] = watcher.poll(now=2)
        assert outcome.status == "refused"
    refused = sorted(p.name for p in (folder / "refused").iterdir())
    assert len(refused) == 4 and refused[0] == "ghi-chu.xlsx" and "ghi-chu.xlsx.loi.txt" in refused
    reason = (folder / "refused" / "ghi-chu.xlsx.loi.txt").read_text(encoding="utf-8")
    assert reason.startswith("Tệp «ghi-chu.xlsx»: đây không phải tệp Excel")
    with database.use() as con:
        assert list_uploads(con).empty
    database.close()


def test_a_file_waits_in_the_inbox_while_the_database_cannot_take_it(tmp_path, monkeypatch):
    database, watcher = watcher_for(tmp_path)
    folder = watcher.folder
    folder.mkdir()
    write_xlsx(folder / "thang-3.xlsx", ROWS)

    def busy():
        raise DatabaseBusyError("Cơ sở dữ liệu đang được một chương trình khác dùng.")
    monkeypatch.setattr(database, "_open", busy)
    watcher.poll(now=0)
    assert [o.status for o in watcher.poll(now=2)] == ["waiting"]
    assert (folder / "thang-3.xlsx").exists()
    monkeypatch.undo()
    assert watcher.poll(now=2 + inbox.RETRY_SECONDS - 1) == []   # not before a minute has passed
    assert [o.status for o in watcher.poll(now=2 + inbox.RETRY_SECONDS)] == ["loaded"]
    database.close()
    with connect(tmp_path / "cchc.duckdb", read_only=True) as con:
        assert con.execute("SELECT count(*) FROM dossiers").fetchone()[0] == 2


def test_the_shared_database_lets_go_of_the_file_when_idle(tmp_path):
    path = tmp_path / "cchc.duckdb"
    other_process = [sys.executable, "-c", f"import duckdb; duckdb.connect({str(path)!r}, read_only=True)"]
    database = SharedDatabase(path, idle_seconds=0.05)
    with database.use() as con:
        con.execute("SELECT 1")
        assert subprocess.run(other_process, capture_output=True).returncode != 0   # held
    deadline = time.monotonic() + 5
    while database.is_open and time.monotonic() < deadline:
        time.sleep(0.02)
    assert subprocess.run(other_process, capture_output=True).returncode == 0      # let go

"""Storage faults (issue 10, item 10): a full disk, a read-only folder, a damaged database file.
Each gives a Vietnamese message that says what to do, never a traceback or DuckDB's "cannot
rollback - no transaction is active"; nothing stored is lost; reading still works where it can."""
from __future__ import annotations

import resource
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cchc_metrics.db import connect
from cchc_metrics.ingest import ingest_file
from conftest import write_xlsx
from test_app_pages import run_app

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FILE = PROJECT_ROOT / "sample_data" / "2023-01_bao-cao-ho-so_vnpt.xlsx"
OWN_ROWS = [["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận"],
            ["X1", "Thủ tục 1", "Phòng 1", "01/03/2024"],
            ["X2", "Thủ tục 2", "Phòng 2", "02/03/2024"]]


def own_database(folder: Path) -> Path:
    path = folder / "cchc.duckdb"
    with connect(path) as con:
        ingest_file(con, write_xlsx(folder / "own.xlsx", OWN_ROWS).read_bytes(), "own.xlsx")
    return path


def stored(path: Path) -> tuple:
    with connect(path, read_only=True) as con:
        return (con.execute("SELECT dossier_id FROM dossiers ORDER BY 1").fetchall(),
                con.execute("SELECT upload_id, undone_at FROM uploads ORDER BY 1").fetchall())


def cli(*args: str, preexec_fn=None, wrap: list[str] | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "cchc_metrics", *args]
    return subprocess.run((wrap or []) + command, cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=120, preexec_fn=preexec_fn)


def assert_message_only(result: subprocess.CompletedProcess, words: str) -> None:
    assert result.returncode == 1
    assert words in result.stderr
    assert "Traceback" not in result.stderr and "cannot rollback" not in result.stderr


def no_room_to_write():
    """In the child: no file may grow past 4 KB (a full disk, as DuckDB meets it: EFBIG on write)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_a_full_disk_during_an_upload_says_so_and_loses_nothing(tmp_path):
    db = own_database(tmp_path)
    before = stored(db)
    result = cli("ingest", "--db", str(db), str(SAMPLE_FILE), preexec_fn=no_room_to_write)
    assert_message_only(result, "ổ đĩa đã đầy")
    assert "Hãy giải phóng dung lượng ổ đĩa" in result.stderr
    assert stored(db) == before                         # X1, X2 and upload 1, as they were
    listed = cli("uploads", "--db", str(db), preexec_fn=no_room_to_write)   # reading still works
    assert listed.returncode == 0 and "own.xlsx" in listed.stdout


def read_only_mount(folder: Path) -> list[str]:
    """A command prefix that runs it with `folder` mounted read-only (a private mount namespace:
    as root, permission bits would not stop a write)."""
    shell = f"mount --bind {folder} {folder} && mount -o remount,ro,bind {folder} {folder} && exec \"$@\""
    return ["unshare", "--mount", "sh", "-c", shell, "sh"]


def test_a_read_only_folder_refuses_writes_and_still_reads(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    db = own_database(folder)
    probe = subprocess.run(read_only_mount(folder) + ["touch", str(folder / "probe")], capture_output=True)
    if probe.returncode == 0 or shutil.which("unshare") is None or b"Read-only" not in probe.stderr:
        pytest.skip("this machine cannot mount a folder read-only for a child process")
    before = stored(db)
    wrap = read_only_mount(folder)
    assert_message_only(cli("ingest", "--db", str(db), str(SAMPLE_FILE), wrap=wrap), "chỉ cho đọc")
    assert_message_only(cli("undo", "--db", str(db), "1", wrap=wrap), "chỉ cho đọc")
    score = cli("score", "--db", str(db), "--year", "2024", wrap=wrap)
    assert score.returncode == 0, score.stderr
    # The server's shared database falls back to reading: pages show the data, an upload says why not.
    script = textwrap.dedent(f"""
        from cchc_metrics.db import SharedDatabase
        from cchc_metrics.errors import StorageError
        from cchc_metrics.ingest import ingest_file
        database = SharedDatabase({str(db)!r})
        with database.use() as con:
            print(con.execute("SELECT count(*) FROM dossiers").fetchone()[0])
            try:
                ingest_file(con, open({str(SAMPLE_FILE)!r}, "rb").read(), "thang-1.xlsx")
            except StorageError as err:
                print(err)
    """)
    shared = subprocess.run(wrap + [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=120)
    assert shared.returncode == 0, shared.stderr
    count, message = shared.stdout.split("\n", 1)
    assert count == "2" and "chỉ cho đọc" in message and "Hãy cấp quyền ghi" in message
    assert stored(db) == before


def test_a_database_file_that_is_no_database_says_what_to_do_and_stays(tmp_path):
    db = tmp_path / "cchc.duckdb"
    db.write_bytes(b"\x00" * 5000)
    for args in (["score", "--year", "2023"], ["uploads"], ["ingest", str(SAMPLE_FILE)]):
        assert_message_only(cli(*args, "--db", str(db)), "bị hỏng")
    assert db.read_bytes() == b"\x00" * 5000            # never overwritten nor removed


def test_a_damaged_block_met_while_reading_says_the_file_is_damaged(tmp_path):
    db = own_database(tmp_path)
    with connect(db) as con:    # enough rows that the table's data sits in its own blocks
        con.execute("CREATE TABLE filler AS SELECT range AS x FROM range(300000)")
    data = bytearray(db.read_bytes())
    data[3 * 4096:len(data)] = b"\xff" * (len(data) - 3 * 4096)    # every data block overwritten
    db.write_bytes(bytes(data))
    result = cli("uploads", "--db", str(db))
    assert_message_only(result, "bị hỏng")
    assert "Hãy khôi phục tệp từ bản sao lưu" in result.stderr


def test_the_dashboard_on_a_damaged_database_shows_what_to_do(tmp_path, monkeypatch):
    db = tmp_path / "cchc.duckdb"
    db.write_bytes(b"\x00" * 5000)
    at = run_app(db, monkeypatch)
    assert not at.exception
    assert any("bị hỏng" in e.value and "Đừng xóa tệp này" in e.value for e in at.error)

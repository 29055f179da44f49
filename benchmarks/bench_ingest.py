"""Ingest benchmark: pandas+openpyxl reading alone vs our ingest_file end to end.

Generates its own 20-column export (title rows, text and Excel dates, flags, personal data) with
xlsxwriter. By default the strings go to the shared-strings table, as Excel itself writes them;
--inline-strings writes them inline (xlsxwriter constant-memory mode): a larger file, much slower
for openpyxl.
Generated files are cached under benchmarks/output/ so reruns skip generation. Both paths are
timed in this one run; ours runs in a fresh subprocess so that its peak memory (ru_maxrss) is
not polluted by the pandas run.

    python benchmarks/bench_ingest.py [--rows 100000] [--skip-pandas] [--inline-strings]

The machine's speed drifts during the day: the pandas time printed beside ours shows where it
stands (the issue's reference: about 11 s). Measured numbers and where the time goes: README,
Performance. Generating the files: 15 s for 100,000 rows, 141 s and 2.7 GB for
1,000,000 rows with shared strings (xlsxwriter keeps the workbook in memory), then cached.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter

ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = ROOT / "benchmarks" / "output"
sys.path.insert(0, str(ROOT))

HEADERS = ["STT", "Mã hồ sơ", "Mã TTHC", "Tên thủ tục hành chính", "Lĩnh vực", "Đơn vị xử lý",
           "Cán bộ xử lý", "Người nộp", "Số điện thoại", "Địa chỉ", "Ngày tiếp nhận", "Ngày hẹn trả",
           "Ngày có kết quả", "Ngày trả kết quả", "Hình thức nộp", "Trạng thái", "Số hóa hồ sơ",
           "Kết quả điện tử", "Phí, lệ phí (đồng)", "Thanh toán trực tuyến"]
UNITS = ["Văn phòng Sở", "Phòng Hành chính tư pháp", "Phòng Thanh tra – Bổ trợ tư pháp",
         "Trung tâm Trợ giúp pháp lý", "Phòng Công chứng số 1"]
CHANNELS = ["Trực tiếp tại Bộ phận Một cửa", "Trực tuyến toàn trình", "Trực tuyến một phần",
            "Qua dịch vụ bưu chính công ích"]


def write_export(path: Path, rows: int, inline_strings: bool = False) -> None:
    """A realistic export: two title rows, a header on row 4, `rows` dossiers, a totals row."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": inline_strings})
    ws = wb.add_worksheet("Báo cáo")
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    ws.write(0, 0, "SỞ TƯ PHÁP TỈNH KHÁNH HÒA")
    ws.write(1, 0, "Từ ngày 01/01/2023 đến ngày 31/12/2023")
    ws.write_row(3, 0, HEADERS)
    start = dt.datetime(2023, 1, 2, 8, 0)
    for i in range(rows):
        received = start + dt.timedelta(minutes=5 * i % 500_000)
        r = 4 + i
        ws.write_number(r, 0, i + 1)
        ws.write_string(r, 1, f"000.00.{i % 97:02d}.H{i:08d}")
        ws.write_string(r, 2, f"2.000{i % 40:03d}")
        ws.write_string(r, 3, f"Thủ tục số {i % 40} về hộ tịch")
        ws.write_string(r, 4, ["Hộ tịch", "Chứng thực", "Công chứng", "Luật sư"][i % 4])
        ws.write_string(r, 5, UNITS[i % len(UNITS)])
        ws.write_string(r, 6, f"Cán bộ {i % 30}")
        ws.write_string(r, 7, f"Nguyễn Văn {i}")
        ws.write_string(r, 8, f"09{i:08d}")
        ws.write_string(r, 9, f"{i} Trần Phú, Nha Trang")
        ws.write_datetime(r, 10, received, date_fmt)
        ws.write_string(r, 11, (received + dt.timedelta(days=7)).strftime("%d/%m/%Y"))
        ws.write_datetime(r, 12, received + dt.timedelta(days=5), date_fmt)
        ws.write_string(r, 13, (received + dt.timedelta(days=6)).strftime("%d/%m/%Y %H:%M"))
        ws.write_string(r, 14, CHANNELS[i % len(CHANNELS)])
        ws.write_string(r, 15, "Đã trả kết quả")
        ws.write_string(r, 16, "Có" if i % 3 else "Không")
        ws.write_string(r, 17, "x" if i % 2 else "")
        ws.write_number(r, 18, [0, 15000, 50000][i % 3])
        ws.write_string(r, 19, "Đã" if i % 5 == 0 else "Chưa")
    ws.write_row(4 + rows, 0, ["", "Tổng cộng", rows])
    wb.close()


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export_path(rows: int, inline_strings: bool) -> Path:
    """The cached benchmark file, generated on first use."""
    path = OUTPUT_DIR / f"export_{rows}_{'inline' if inline_strings else 'shared'}.xlsx"
    if not path.exists():
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.xlsx")
        t0 = time.perf_counter()
        write_export(partial, rows, inline_strings)
        partial.rename(path)
        print(f"generated {rows:,} rows x {len(HEADERS)} columns in {time.perf_counter() - t0:.1f} s")
    return path


def run_ours(path: Path) -> dict:
    """ingest_file end to end into a fresh database (run in a subprocess by main)."""
    from cchc_metrics.db import connect
    from cchc_metrics.ingest import ingest_file

    with tempfile.TemporaryDirectory() as tmp:
        data = path.read_bytes()
        con = connect(Path(tmp) / "bench.duckdb")
        t0, cpu0 = time.perf_counter(), time.process_time()
        result = ingest_file(con, data, path.name)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        con.close()
    return {"seconds": seconds, "cpu": cpu, "added": result.added, "peak_mb": peak_memory_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--skip-pandas", action="store_true", help="time only our ingest")
    parser.add_argument("--inline-strings", action="store_true",
                        help="inline strings (worst case) instead of the shared-strings table")
    parser.add_argument("--ours-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ours_only:
        print(json.dumps(run_ours(args.ours_only)))
        return

    path = export_path(args.rows, args.inline_strings)
    print(f"file: {path.name} ({path.stat().st_size / 1e6:.1f} MB, "
          f"{'inline' if args.inline_strings else 'shared'} strings)")
    out = subprocess.run([sys.executable, __file__, "--ours-only", str(path)], check=True,
                         capture_output=True, text=True).stdout
    ours = json.loads(out.strip().splitlines()[-1])
    print(f"ingest_file end to end: {ours['seconds']:.2f} s (CPU {ours['cpu']:.1f} s, all threads), "
          f"{ours['added']:,} dossiers added, peak memory (ru_maxrss, fresh process) "
          f"{ours['peak_mb']:.0f} MB")
    if not args.skip_pandas:
        import pandas as pd
        t0 = time.perf_counter()
        pd.read_excel(path, engine="openpyxl", header=3)
        theirs = time.perf_counter() - t0
        print(f"pandas.read_excel(openpyxl) reading alone: {theirs:.2f} s")
        print(f"ratio: ours is {theirs / ours['seconds']:.1f}x faster")


if __name__ == "__main__":
    main()

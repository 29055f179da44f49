"""Command line: monthly loads, history, undo, indicators, scores and the watch list.

Each sub-command parses its arguments here and calls the core; messages for people are Vietnamese,
machine output (json / csv) keeps stable English keys. Input errors exit 1 with the message on stderr.

Every command opens the database for itself only (the reading ones read-only) and waits up to
db.WAIT_SECONDS while another process holds it: the dashboard lets go of the file when idle, so
these commands also work while it runs (scheduled loads can instead copy files into the inbox).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .db import WAIT_SECONDS, connect
from .errors import CchcError
from .formatting import format_date, format_number, is_missing
from .schema import FIELD_BY_NAME
from .ingest import ingest_file, list_uploads, preview_export, undo_upload
from .ingest.explain import feed_line_vi


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="tệp DuckDB (mặc định: data/cchc.duckdb hoặc biến CCHC_DB)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cchc_metrics",
                                     description="CCHC Dashboard: nạp dữ liệu và tính chỉ số.")
    sub = parser.add_subparsers(dest="command", required=True)

    # --- ingest engineer: ingest, uploads, undo -------------------------------------------
    p = sub.add_parser("ingest", help="nạp tệp xuất từ hệ thống một cửa")
    _add_db(p)
    p.add_argument("--mapping", help="tệp JSON ánh xạ cột (trường chuẩn -> tiêu đề cột trong tệp)")
    p.add_argument("--skip-invalid", action="store_true", help="nạp các dòng hợp lệ, giữ dòng lỗi để xem lại")
    p.add_argument("--unit", help="đơn vị xử lý cho tệp không có cột đơn vị (không chọn: «(chưa rõ đơn vị)»)")
    p.add_argument("--preview", action="store_true",
                   help="chỉ xem trước: tệp tính được chỉ số nào, từ cột nào (không nạp, không mở cơ sở dữ liệu)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(handler=_cmd_ingest)

    p = sub.add_parser("uploads", help="liệt kê các lần tải dữ liệu")
    _add_db(p)
    p.set_defaults(handler=_cmd_uploads)

    p = sub.add_parser("undo", help="hoàn tác một lần tải dữ liệu")
    _add_db(p)
    p.add_argument("upload_id", type=int, metavar="UPLOAD_ID")
    p.set_defaults(handler=_cmd_undo)

    # --- metrics engineer: metrics, score, watchlist -------------------------------------
    p = sub.add_parser("metrics", help="các số đếm và tỷ lệ trong một kỳ")
    _add_db(p)
    p.add_argument("--start", required=True, help="ngày đầu kỳ, dạng YYYY-MM-DD")
    p.add_argument("--end", required=True, help="ngày cuối kỳ (tính cả ngày này), dạng YYYY-MM-DD")
    p.add_argument("--by", choices=["unit", "field", "procedure", "officer", "month", "channel"],
                   help="nhóm theo đơn vị, lĩnh vực, thủ tục, cán bộ, tháng hoặc hình thức nộp")
    p.add_argument("--format", choices=["json", "csv"], default="json", help="định dạng kết quả")
    p.set_defaults(handler=_cmd_metrics)

    p = sub.add_parser("score", help="điểm theo bộ tiêu chí của một năm đánh giá hoặc một kỳ bất kỳ")
    _add_db(p)
    p.add_argument("--year", type=int, help="năm đánh giá (mặc định kết thúc ngày 14/12 năm này; "
                   "Bộ chỉ số 766: năm dương lịch)")
    p.add_argument("--start", help="ngày đầu kỳ, dạng YYYY-MM-DD (dùng cùng --end thay cho --year)")
    p.add_argument("--end", help="ngày cuối kỳ (tính cả ngày này), dạng YYYY-MM-DD")
    p.add_argument("--unit", action="append", metavar="NAME",
                   help="chỉ chấm hồ sơ của đơn vị này (lặp lại để chọn nhiều đơn vị); tiêu chí "
                        "toàn Sở được liệt kê riêng, không cộng vào tổng")
    p.add_argument("--framework", default="khanh_hoa_department", help="bộ tiêu chí chấm điểm")
    p.add_argument("--format", choices=["json", "csv"], default="json", help="định dạng kết quả")
    p.set_defaults(handler=_cmd_score)

    p = sub.add_parser("watchlist", help="hồ sơ sắp đến hạn và quá hạn")
    _add_db(p)
    p.add_argument("--as-of", required=True, help="tính đến ngày, dạng YYYY-MM-DD")
    p.add_argument("--days", type=int, default=2, help="sắp đến hạn trong số ngày làm việc này (mặc định 2)")
    p.add_argument("--unit", action="append", metavar="NAME",
                   help="chỉ hồ sơ của đơn vị này (lặp lại để chọn nhiều đơn vị)")
    p.add_argument("--officer", action="append", metavar="NAME",
                   help="chỉ hồ sơ của cán bộ này (lặp lại để chọn nhiều cán bộ)")
    p.add_argument("--format", choices=["json", "csv"], default="json", help="định dạng kết quả")
    p.set_defaults(handler=_cmd_watchlist)

    # --- report: the giao ban workbook and PDF ---------------------------------------------
    p = sub.add_parser("report", help="báo cáo giao ban: tệp Excel để in (và tệp PDF)")
    _add_db(p)
    p.add_argument("--year", type=int, required=True, help="năm đánh giá (kết thúc ngày 14/12 năm này)")
    p.add_argument("--framework", default="khanh_hoa_department", help="bộ tiêu chí chấm điểm")
    p.add_argument("--as-of", help="số liệu tính đến ngày, dạng YYYY-MM-DD (mặc định: ngày của hồ sơ mới nhất)")
    p.add_argument("--period", nargs=2, metavar=("START", "END"),
                   help="kỳ của biểu thống kê, dạng YYYY-MM-DD YYYY-MM-DD (mặc định: quý trọn vẹn gần nhất "
                        "trước --as-of, từ ngày 15 đến ngày 14)")
    p.add_argument("--out", required=True, metavar="FILE.xlsx", help="tệp Excel sẽ ghi")
    p.add_argument("--pdf", metavar="FILE.pdf", help="tệp PDF sẽ ghi (không bắt buộc)")
    p.set_defaults(handler=_cmd_report)

    # --- access: hash-password ------------------------------------------------------------
    p = sub.add_parser("hash-password", help="tạo mã băm mật khẩu cho cấu hình quyền truy cập (đọc từ stdin)")
    p.set_defaults(handler=_cmd_hash_password)
    return parser


def _cmd_ingest(args) -> int:
    """Load each file in its own transaction; a failed file leaves the database as it was."""
    mapping = None
    if args.mapping:
        try:
            mapping = json.loads(Path(args.mapping).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CchcError(f"Không đọc được tệp ánh xạ cột «{args.mapping}» (cần JSON dạng "
                            f"{{\"dossier_id\": \"Số biên nhận\", ...}}): {exc}") from exc
    con = None if args.preview else connect(args.db, wait_seconds=WAIT_SECONDS)
    failed = 0
    for name in args.files:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            print(f"Không mở được tệp «{name}»: {exc.strerror}.", file=sys.stderr)
            failed += 1
            continue
        try:
            if args.preview:
                print("\n".join(preview_report(data, path.name, mapping, args.unit)) + "\n")
                continue
            result = ingest_file(con, data, path.name, mapping=mapping,
                                 skip_invalid=args.skip_invalid, default_unit=args.unit)
        except CchcError as exc:
            print(str(exc), file=sys.stderr)
            failed += 1
            continue
        print(f"[{result.upload_id}] {result.message_vi}")
        for warning in result.warnings:
            print(f"  Cảnh báo: {warning}")
    if con is not None:
        con.close()
    return 1 if failed else 0


def preview_report(data: bytes, file_name: str, mapping: dict | None, unit: str | None) -> list[str]:
    """`ingest --preview`: what a clerk checks before loading a file, one line each."""
    from .app_services import describe_layout

    preview = preview_export(data, file_name, mapping=mapping, rows=0)
    lines = [f"«{file_name}»: {describe_layout(preview.layout, preview.period_start, preview.period_end)}",
             "Cột trong tệp ứng với: " + "; ".join(
                 f"{FIELD_BY_NAME[f].label_vi} ← «{h}»" for f, h in preview.mapping.items()) + ".",
             "Tính được gì từ tệp này:"]
    lines += [f"  {'✓' if feed.can_feed else '✗'} {feed_line_vi(feed)}" for feed in preview.feeds]
    if preview.unused_headers:
        lines.append("Cột không dùng: " + ", ".join(f"«{h}»" for h in preview.unused_headers) + ".")
    if preview.personal_headers:
        lines.append("Cột thông tin cá nhân (bỏ đi, không lưu): "
                     + ", ".join(f"«{h}»" for h in preview.personal_headers) + ".")
    if preview.missing_required:
        lines.append("Chưa nạp được: thiếu cột " + ", ".join(
            FIELD_BY_NAME[m].label_vi for m in preview.missing_required) + " (chỉ rõ bằng --mapping).")
    lines += [f"Cảnh báo khi nạp: {w}" for w in preview.warnings(unit)]
    if "unit" not in preview.mapping and not unit:
        lines.append("Tên đơn vị cho cả tệp: thêm --unit \"Tên đơn vị\" vào lệnh nạp.")
    if preview.derived_id:
        lines.append("Cột mã hồ sơ: chỉ rõ bằng --mapping nếu tệp có (ví dụ {\"dossier_id\": \"Số biên nhận\"}).")
    return lines


def _cmd_uploads(args) -> int:
    """The upload history as an aligned text table, newest first."""
    with _open_existing_db(args) as con:
        uploads = list_uploads(con)
    if uploads.empty:
        print("Chưa có lần tải dữ liệu nào.")
        return 0
    table = [["Số", "Tệp", "Kỳ dữ liệu", "Dòng", "Mới", "Cập nhật", "Không đổi", "Lỗi", "Lúc tải",
              "Trạng thái"]]
    for u in uploads.itertuples():
        table.append([str(u.upload_id), u.file_name,
                      f"{format_date(u.period_start, missing='')}–{format_date(u.period_end, missing='')}",
                      *(format_number(v, missing="") for v in (u.rows_read, u.added, u.updated,
                                                               u.unchanged, u.rejected)),
                      f"{u.uploaded_at:%H:%M %d/%m/%Y}",
                      "đang dùng" if is_missing(u.undone_at) else "đã hoàn tác"])
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    warnings = [json.loads(w) if isinstance(w, str) else [] for w in uploads["warnings"]]
    for row, upload_warnings in zip(table, [[], *warnings]):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        for warning in upload_warnings:
            print(f"      Cảnh báo: {warning}")
    return 0


def _cmd_undo(args) -> int:
    with connect(args.db, wait_seconds=WAIT_SECONDS) as con:
        result = undo_upload(con, args.upload_id)
    print(result.message_vi)
    return 0


def _open_existing_db(args):
    """A read-only connection to --db (waiting while another process writes to it); a missing file
    is an input error, not a new empty database."""
    from .db import resolve_db_path

    path = resolve_db_path(args.db)
    if not path.exists():
        raise CchcError(f"Không tìm thấy cơ sở dữ liệu «{path}». Hãy nạp dữ liệu trước "
                        "(python -m cchc_metrics ingest TỆP) hoặc chỉ đúng tệp bằng --db.")
    return connect(path, read_only=True, wait_seconds=WAIT_SECONDS)


def _records(frame) -> list[dict]:
    """The rows of a frame as JSON-able dicts (NaN/NaT/NA -> None, dates ISO, numpy -> Python)."""
    import pandas as pd

    def plain(value):
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return None
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return value.item() if hasattr(value, "item") else value

    return [{k: plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _print_rows(header: dict, frame, fmt: str) -> None:
    """json: one object, `header` plus "rows" (NaN/NaT -> null, dates ISO); csv: the rows only."""
    if fmt == "csv":
        frame.to_csv(sys.stdout, index=False)
        return
    json.dump({**header, "rows": _records(frame)}, sys.stdout, ensure_ascii=False, indent=1)
    print()


def _cmd_metrics(args) -> int:
    from .metrics import compute_metrics
    from .periods import check_period, parse_date

    start = parse_date(args.start, "--start")
    end = parse_date(args.end, "--end")
    check_period(start, end)
    with _open_existing_db(args) as con:
        frame = compute_metrics(con, start, end, by=args.by)
    _print_rows({"start": start.isoformat(), "end": end.isoformat(), "by": args.by}, frame, args.format)
    return 0


def _cmd_score(args) -> int:
    from .frameworks import check_framework
    from .periods import check_period, parse_date
    from .scoring import DEPARTMENT_WIDE_VI, score_period, score_year

    by_dates = args.start is not None or args.end is not None
    if (args.year is not None) == by_dates or (by_dates and (args.start is None or args.end is None)):
        raise CchcError("Hãy chọn kỳ chấm điểm: --year NĂM, hoặc --start NGÀY --end NGÀY "
                        "(ví dụ --start 2026-08-01 --end 2026-08-31), không dùng cả hai.")
    check_framework(args.framework)
    with _open_existing_db(args) as con:
        if by_dates:
            start, end = parse_date(args.start, "--start"), parse_date(args.end, "--end")
            check_period(start, end)
            report = score_period(con, args.framework, start, end, units=args.unit)
        else:
            report = score_year(con, args.framework, args.year, units=args.unit)
    header = {"framework": report.framework, "year": report.year,
              "start": report.start.isoformat(), "end": report.end.isoformat(),
              "as_of": report.as_of.isoformat(), "units": list(report.units), "total": report.total,
              "max_total": report.max_total,
              "points_lost": report.points_lost_total or 0.0,   # total + lost + unknown = max_total
              "points_unknown": report.points_unknown,
              "projected_total": report.projected_total,
              "parts": _records(report.parts),
              "department_wide": {"label": DEPARTMENT_WIDE_VI,
                                  "rows": _records(report.department_rows)}}
    _print_rows(header, report.rows, args.format)
    return 0


def _cmd_watchlist(args) -> int:
    from .periods import parse_date
    from .watchlist import due_soon, untracked, untracked_message_vi

    as_of = parse_date(args.as_of, "--as-of")
    if args.days < 0:
        raise CchcError(f"--days phải là số ngày làm việc không âm (đang là {args.days}).")
    with _open_existing_db(args) as con:
        frame = due_soon(con, as_of, days=args.days, units=args.unit, officers=args.officer)
        blind = untracked(con, as_of, units=args.unit, officers=args.officer)
    _print_rows({"as_of": as_of.isoformat(), "days": args.days, "units": args.unit,
                 "officers": args.officer, "untracked": blind}, frame, args.format)
    if untracked_message_vi(blind):
        print(untracked_message_vi(blind), file=sys.stderr)
    return 0


def _cmd_report(args) -> int:
    """Gather once, write the workbook, then the PDF; say where they are."""
    from . import giao_ban
    from .frameworks import check_framework
    from .periods import parse_date
    from .statistics_table import custom_period

    check_framework(args.framework)
    as_of = parse_date(args.as_of, "--as-of") if args.as_of else None
    period = (custom_period(parse_date(args.period[0], "--period"), parse_date(args.period[1], "--period"))
              if args.period else None)
    with _open_existing_db(args) as con:
        content = giao_ban.gather(con, args.framework, args.year, as_of=as_of, period=period)
    outputs = [(Path(args.out), giao_ban.workbook)]
    if args.pdf:
        outputs.append((Path(args.pdf), giao_ban.pdf))
    for path, build in outputs:
        try:
            path.write_bytes(build(content))
        except OSError as exc:
            raise CchcError(f"Không ghi được tệp «{path}»: {exc.strerror}. Hãy chọn thư mục khác "
                            "hoặc đóng tệp nếu đang mở trong Excel.") from exc
        print(f"Đã ghi {path}")
    print(f"Biểu thống kê: {content.statistics.period.label_vi}.")
    if not content.chart_png:
        print("Không vẽ được biểu đồ (thiếu Chromium): báo cáo ghi rõ điều này.", file=sys.stderr)
    return 0


def _cmd_hash_password(args) -> int:
    """Print the hash of a password read from stdin (asked twice, hidden, when stdin is a terminal)."""
    import getpass

    from .auth import hash_password

    if sys.stdin.isatty():
        password = getpass.getpass("Mật khẩu: ")
        if getpass.getpass("Nhập lại mật khẩu: ") != password:
            raise CchcError("Hai lần nhập mật khẩu không khớp. Hãy chạy lại lệnh.")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise CchcError("Mật khẩu trống. Hãy nhập một mật khẩu.")
    print(hash_password(password))
    return 0


def main(argv: list[str] | None = None) -> int:
    import duckdb

    from .db import resolve_db_path, storage_error

    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except CchcError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except duckdb.Error as exc:     # a damaged block met while reading, a full disk on closing
        problem = storage_error(exc, resolve_db_path(getattr(args, "db", None)))
        if problem is None:
            raise
        print(str(problem), file=sys.stderr)
        return 1

"""Command line: monthly loads, history, undo, indicators, scores and the watch list.

Each sub-command parses its arguments here and calls the core; messages for people are Vietnamese,
machine output (json / csv) keeps stable English keys. Input errors exit 1 with the message on stderr.

Every command opens the database for itself only (the reading ones read-only) and waits up to
db.WAIT_SECONDS while another process holds it: the dashboard lets go of the file when idle, so
these commands also work while it runs (scheduled loads can instead copy files into the inbox).
"""
from __future__ import annotations

import argparse
import contextlib
import errno
import json
import re
import sys
from pathlib import Path

from .db import WAIT_SECONDS, connect, needs_upgrade
from .errors import CchcError
from .formatting import csv_safe_frame, format_date, format_number, is_missing, terminal_text
from .schema import FIELD_BY_NAME
from .ingest import ingest_file, list_uploads, preview_export, undo_upload
from .ingest.explain import feed_line_vi


# ---- Vietnamese argument parsing ------------------------------------------------------------------

# argparse's English error texts (Python 3.11) and their Vietnamese wording; matched whole.
_ARGPARSE_ERRORS_VI = (
    (r"the following arguments are required: (.+)", r"thiếu tham số bắt buộc: \1"),
    (r"unrecognized arguments: (.+)", r"không hiểu tham số: \1"),
    (r"invalid choice: (.+) \(choose from (.+)\)", r"giá trị \1 không hợp lệ (chọn một trong: \2)"),
    (r"invalid int value: (.+)", r"\1 không phải là số nguyên"),
    (r"invalid float value: (.+)", r"\1 không phải là số"),
    (r"invalid (\w+) value: (.+)", r"giá trị \2 không hợp lệ"),
    (r"expected one argument", "cần đúng một giá trị"),
    (r"expected at least one argument", "cần ít nhất một giá trị"),
    (r"expected at most one argument", "cần nhiều nhất một giá trị"),
    (r"ambiguous option: (\S+) could match (.+)", r"tùy chọn \1 không rõ: có thể là \2"),
    (r"ignored explicit argument (.+)", r"tùy chọn này không nhận giá trị \1"),
    (r"not allowed with argument (.+)", r"không dùng được cùng với \1"),
    (r"one of the arguments (.+) is required", r"cần một trong các tham số \1"),
)


def _argparse_error_vi(message: str) -> str:
    """argparse's English message in Vietnamese ("argument --year: invalid int value: 'x'" ->
    "tham số --year: 'x' không phải là số nguyên"); a message not listed is kept as it is."""
    prefix = ""
    if match := re.fullmatch(r"argument (\S+?): (.+)", message, flags=re.S):
        prefix, message = f"tham số {match[1]}: ", match[2]
    for english, vietnamese in _ARGPARSE_ERRORS_VI:
        if re.fullmatch(english, message, flags=re.S):
            return prefix + re.sub(english, vietnamese, message, flags=re.S)
    return prefix + message


class _VietnameseHelpFormatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "Cách dùng: " if prefix is None else prefix)


class VietnameseArgumentParser(argparse.ArgumentParser):
    """ArgumentParser whose usage, help headings and errors read in Vietnamese; errors exit 2."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _VietnameseHelpFormatter)
        add_help = kwargs.pop("add_help", True)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "tham số"
        self._optionals.title = "tùy chọn"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                              help="hiện hướng dẫn này rồi thoát")

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, f"Lỗi: {_argparse_error_vi(message)}\nXem hướng dẫn: {self.prog} --help\n")


def os_error_vi(exc: OSError) -> str:
    """Why the system refused a file, in Vietnamese (Python gives the English strerror)."""
    reasons = {errno.ENOENT: "không tìm thấy tệp hoặc thư mục", errno.EACCES: "không có quyền truy cập",
               errno.EPERM: "không được phép thao tác", errno.EISDIR: "đây là một thư mục, không phải tệp",
               errno.ENOTDIR: "một phần của đường dẫn không phải thư mục", errno.ENOSPC: "ổ đĩa đã đầy",
               errno.EROFS: "ổ đĩa hoặc thư mục chỉ cho phép đọc", errno.ENAMETOOLONG: "tên tệp quá dài",
               errno.EMFILE: "mở quá nhiều tệp cùng lúc", errno.EIO: "lỗi đọc/ghi ổ đĩa"}
    reason = reasons.get(exc.errno, f"lỗi hệ thống số {exc.errno}" if exc.errno else "lỗi hệ thống")
    return f"«{exc.filename}»: {reason}" if exc.filename else reason


def mapping_file(path: str) -> dict[str, str]:
    """`--mapping FILE`: a JSON object {canonical field: column header}; anything else is refused
    here, so argparse reports it (exit 2) before any file is read or the database opened."""
    example = "{\"dossier_id\": \"Số biên nhận\", \"received_at\": \"Ngày nhận\"}"
    try:
        mapping = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"không đọc được tệp ánh xạ cột: {os_error_vi(exc)}") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise argparse.ArgumentTypeError(
            f"tệp ánh xạ cột «{path}» không phải JSON hợp lệ (cần dạng {example})") from exc
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                for k, v in mapping.items()):
        kind = {list: "một danh sách", str: "một chuỗi chữ"}.get(type(mapping), "không phải bảng ánh xạ")
        raise argparse.ArgumentTypeError(
            f"tệp ánh xạ cột «{path}» là {kind}; cần một đối tượng JSON ghép trường chuẩn với tiêu đề "
            f"cột, ví dụ {example}")
    return mapping


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="tệp DuckDB (mặc định: data/cchc.duckdb hoặc biến CCHC_DB)")


def build_parser() -> argparse.ArgumentParser:
    parser = VietnameseArgumentParser(prog="python -m cchc_metrics",
                                      description="CCHC Dashboard: nạp dữ liệu và tính chỉ số.")
    sub = parser.add_subparsers(dest="command", required=True, title="lệnh", metavar="LỆNH")

    # --- ingest engineer: ingest, uploads, undo -------------------------------------------
    p = sub.add_parser("ingest", help="nạp tệp xuất từ hệ thống một cửa")
    _add_db(p)
    p.add_argument("--mapping", type=mapping_file, metavar="FILE",
                   help="tệp JSON ánh xạ cột (trường chuẩn -> tiêu đề cột trong tệp)")
    p.add_argument("--skip-invalid", action="store_true", help="nạp các dòng hợp lệ, giữ dòng lỗi để xem lại")
    p.add_argument("--unit", help="đơn vị xử lý cho tệp không có cột đơn vị (không chọn: «(chưa rõ đơn vị)»)")
    p.add_argument("--preview", action="store_true",
                   help="chỉ xem trước: tệp tính được chỉ số nào, từ cột nào (không nạp, không mở cơ sở dữ liệu)")
    p.add_argument("--sheet", metavar="TÊN",
                   help="trang tính cần nạp, khi tệp Excel có nhiều trang là danh sách hồ sơ (áp dụng cho mọi tệp)")
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
    mapping = args.mapping  # already read and checked by mapping_file
    con = None if args.preview else connect(args.db, wait_seconds=WAIT_SECONDS)
    failed = 0
    for name in args.files:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            print(f"Không mở được tệp: {os_error_vi(exc)}.", file=sys.stderr)
            failed += 1
            continue
        try:
            if args.preview:
                print("\n".join(preview_report(data, path.name, mapping, args.unit, args.sheet)) + "\n")
                continue
            result = ingest_file(con, data, path.name, mapping=mapping,
                                 skip_invalid=args.skip_invalid, default_unit=args.unit, sheet=args.sheet)
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


def preview_report(data: bytes, file_name: str, mapping: dict | None, unit: str | None,
                   sheet: str | None = None) -> list[str]:
    """`ingest --preview`: what a clerk checks before loading a file, one line each."""
    from .app_services import describe_layout

    preview = preview_export(data, file_name, mapping=mapping, rows=0, sheet=sheet)
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
    con = connect(path, read_only=True, wait_seconds=WAIT_SECONDS)
    if needs_upgrade(con):  # an older version made the file: open it once for writing to bring it up to date
        con.close()
        connect(path, wait_seconds=WAIT_SECONDS).close()
        con = connect(path, read_only=True, wait_seconds=WAIT_SECONDS)
    return con


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
    if fmt == "csv":  # cells a spreadsheet would run as formulas get a leading "'"
        csv_safe_frame(frame).to_csv(sys.stdout, index=False)
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
            raise CchcError(f"Không ghi được tệp «{path}»: {os_error_vi(exc)}. Hãy chọn thư mục khác "
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


class _TerminalSafe:
    """A text stream that drops escape sequences and control characters (see terminal_text) from
    everything written: names from files cannot recolour, move or retitle the user's terminal."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(terminal_text(text))

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextlib.contextmanager
def _terminal_safe_output():
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _TerminalSafe(sys.stdout), _TerminalSafe(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def main(argv: list[str] | None = None) -> int:
    import duckdb

    from .db import resolve_db_path, storage_error

    with _terminal_safe_output():
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
        except OSError as exc:
            print(f"Lỗi khi đọc hoặc ghi tệp: {os_error_vi(exc)}.", file=sys.stderr)
            return 1

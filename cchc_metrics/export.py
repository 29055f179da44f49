"""The giao ban workbook: gap table, per-unit results and the due-soon list as one printable .xlsx.

Numbers are written as numbers with Excel number formats, not as pre-formatted text, so the workbook
stays computable. Format codes always use "," for thousands and "." for decimals; Excel shows them with
the viewer's locale, so on a Vietnamese Windows '#,##0' reads 14.697 and '0.00%' reads 99,84%. Dates
are real dates formatted dd/mm/yyyy. The gap column is the shortfall below target in percentage points,
as scoring reports it (0 when the target is met); fills compare ratio and target with the app's shared
thresholds (charts.status_for). A missing value is written as the text "chưa có dữ liệu" (or "–"
in secondary columns), never as 0.

Every text cell is written with `write_string` in a workbook created with strings_to_formulas,
strings_to_numbers and strings_to_urls off: text from uploads such as "=HYPERLINK(...)" or "+1+2"
stays inert text and never becomes a formula, number or link. Control characters other than tab and
line breaks (NUL...) are dropped from text, since xlsx can only store them escaped.
"""
from __future__ import annotations

import datetime as dt
import io
import math
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import xlsxwriter

from .charts import status_for
from .formatting import (NO_DATA, NO_DATA_SHORT, format_date, format_datetime, format_points, is_missing,
                         no_data_text)
from .watchlist import STATE_DUE_SOON, STATE_OVERDUE

GAP_SHEET = "Bảng chênh lệch"
UNIT_SHEET = "Theo đơn vị"
DUE_SOON_SHEET = "Hồ sơ sắp đến hạn"

NUMBER_FORMATS = {
    "int": "#,##0",
    "pct": "0.00%",
    "points": "0.00",
    "date": "dd/mm/yyyy",
}
# Excel's own "Good / Neutral / Bad" cell styles: familiar to users and legible when printed in grey.
STATUS_STYLES = {
    "met": {"bg_color": "#C6EFCE", "font_color": "#006100"},
    "close": {"bg_color": "#FFEB9C", "font_color": "#9C5700"},
    "missed": {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
}
DUE_STATE_STATUS = {STATE_OVERDUE: "missed", STATE_DUE_SOON: "close"}

TITLE_ROWS = 4  # department, sheet title, framework, period and date of data; then one blank row
HEADER_ROW = TITLE_ROWS + 1
# C0 control characters other than tab, LF and CR: invisible garbage that xlsx can only store escaped.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
WORKBOOK_OPTIONS = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "remove_timezone": True,
}


@dataclass(frozen=True)
class _Column:
    """One table column: header, how its values are written, what a missing value reads."""

    header: str
    kind: str  # "text" or a key of NUMBER_FORMATS
    missing: str = NO_DATA_SHORT
    max_width: int = 40


@dataclass
class _Cell:
    value: Any
    status: str | None = None  # a key of STATUS_STYLES, or None for no fill


class _Styles:
    """Creates each cell format once per (kind, status, bold) combination."""

    def __init__(self, workbook: xlsxwriter.Workbook):
        self._workbook = workbook
        self._cache: dict[tuple, Any] = {}
        self.department = workbook.add_format({"bold": True, "font_size": 12})
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.subtitle = workbook.add_format({"italic": True})
        self.header = workbook.add_format({"bold": True, "text_wrap": True, "align": "center",
                                           "valign": "vcenter", "border": 1, "bg_color": "#D9E1F2"})
        self.note = workbook.add_format({"italic": True})

    def cell(self, kind: str, status: str | None = None, bold: bool = False):
        key = (kind, status, bold)
        if key not in self._cache:
            props: dict[str, Any] = {"border": 1, "valign": "top", "bold": bold}
            if kind == "text":
                props["text_wrap"] = True
            else:
                props["num_format"] = NUMBER_FORMATS[kind]
            props.update(STATUS_STYLES.get(status, {}))
            self._cache[key] = self._workbook.add_format(props)
        return self._cache[key]


def _shown_width(value: Any, column: _Column) -> int:
    """Characters the value takes once formatted, to size the column."""
    kind = column.kind
    if is_missing(value):
        return len(column.missing)
    if isinstance(value, str):
        return len(value)
    if kind == "date":
        return 10
    if kind == "int":
        return len(f"{value:,.0f}")
    if kind == "pct":
        return len(f"{value * 100:.2f}%")
    if kind == "points":
        return len(f"{value:.2f}")
    return len(str(value))


def _column_width(column: _Column, values: list[Any]) -> float:
    """Fit the longest value; headers wrap, but over two lines at most and never mid-word."""
    header = max(max(len(word) for word in column.header.split()), math.ceil(len(column.header) / 2))
    content = max((_shown_width(v, column) for v in values), default=0)
    return min(max(content, header) + 2, column.max_width)


def _write_value(ws, row: int, col: int, cell: _Cell, column: _Column, styles: _Styles, bold: bool) -> None:
    """Numbers and dates as typed values, everything else (and missing values) as inert text."""
    value = column.missing if is_missing(cell.value) else cell.value
    if column.kind == "date" and isinstance(value, dt.date):
        ws.write_datetime(row, col, value, styles.cell("date", cell.status, bold))
    elif column.kind not in ("text", "date") and isinstance(value, numbers.Real) and not isinstance(value, bool):
        ws.write_number(row, col, float(value), styles.cell(column.kind, cell.status, bold))
    elif isinstance(value, str) and not value:
        ws.write_blank(row, col, None, styles.cell("text", cell.status, bold))
    else:
        ws.write_string(row, col, CONTROL_CHARACTERS.sub("", str(value)), styles.cell("text", cell.status, bold))


def _write_table(workbook: xlsxwriter.Workbook, styles: _Styles, name: str, titles: Sequence[str],
                 columns: Sequence[_Column], rows: Sequence[Sequence[_Cell]], *,
                 empty_message: str, total: Sequence[_Cell] | None = None, filterable: bool = False) -> None:
    """One printable sheet: title block, header row, data rows, optional bold total row."""
    ws = workbook.add_worksheet(name)
    last_col = len(columns) - 1
    title_formats = (styles.department, styles.title, styles.subtitle, styles.subtitle)
    for row, (text, fmt) in enumerate(zip(titles, title_formats)):
        ws.merge_range(row, 0, row, last_col, "", fmt)  # spans the table so nothing clips on print
        ws.write_string(row, 0, text, fmt)
    for col, column in enumerate(columns):
        ws.write_string(HEADER_ROW, col, column.header, styles.header)

    body = [*rows, total] if rows and total is not None else list(rows)
    for offset, cells in enumerate(body):
        bold = total is not None and offset == len(rows)
        for col, (cell, column) in enumerate(zip(cells, columns)):
            _write_value(ws, HEADER_ROW + 1 + offset, col, cell, column, styles, bold)
    if not rows:
        ws.write_string(HEADER_ROW + 1, 0, empty_message, styles.note)

    for col, column in enumerate(columns):
        ws.set_column(col, col, _column_width(column, [cells[col].value for cells in body]))
    ws.freeze_panes(HEADER_ROW + 1, 0)
    if filterable and rows:
        ws.autofilter(HEADER_ROW, 0, HEADER_ROW + len(rows), last_col)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # one page wide, as many pages tall as needed
    ws.repeat_rows(HEADER_ROW)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.set_footer("&CTrang &P / &N")


def _titles(department_name: str, sheet_title: str, report, data_as_of: dt.datetime,
            generated_at: dt.datetime) -> list[str]:
    return [
        department_name,
        sheet_title,
        f"Bộ tiêu chí: {report.framework_title}",
        f"Kỳ đánh giá: {format_date(report.start)} – {format_date(report.end)}. "
        f"Số liệu đến ngày {format_date(data_as_of)}. Lập lúc {format_datetime(generated_at)}.",
    ]


CRITERION_RESULT_COLUMNS = [
    _Column("Mã tiêu chí", "text", max_width=16),
    _Column("Tiêu chí", "text", max_width=45),
    _Column("Giá trị", "pct", missing=NO_DATA),
    _Column("Tử số", "int"),
    _Column("Mẫu số", "int"),
    _Column("Chỉ tiêu", "pct"),
    _Column("Còn thiếu (điểm %)", "points"),
]

GAP_COLUMNS = [
    *CRITERION_RESULT_COLUMNS,
    _Column("Điểm", "points", missing=NO_DATA),
    _Column("Điểm tối đa", "points"),
    _Column("Điểm bị mất", "points"),
    _Column("Điểm dự kiến cuối năm", "points"),
    _Column("Cần làm gì để đạt", "text", missing="", max_width=50),
    _Column("Đơn vị chịu trách nhiệm", "text", missing="", max_width=30),
]

UNIT_COLUMNS = [
    _Column("Đơn vị", "text", max_width=30),
    *CRITERION_RESULT_COLUMNS,
    _Column("Tỷ trọng điểm bị mất", "pct"),
    _Column("Ghi chú dữ liệu", "text", missing="", max_width=45),
]

DUE_SOON_COLUMNS = [
    _Column("Mã hồ sơ", "text", max_width=24),
    _Column("Đơn vị", "text", max_width=30),
    _Column("Cán bộ xử lý", "text", max_width=24),
    _Column("Thủ tục", "text", max_width=45),
    _Column("Lĩnh vực", "text", max_width=20),
    _Column("Ngày tiếp nhận", "date"),
    _Column("Hạn trả", "date"),
    _Column("Số ngày làm việc còn lại", "int"),
    _Column("Trạng thái", "text", max_width=14),
]


MANUAL_POINTS_VI = "nhập điểm"


def _gap_status(row) -> str | None:
    """Fill key from ratio vs target (the app's shared thresholds); None when either is missing."""
    status = status_for(row.ratio, row.target)
    return None if status == "none" else status


def _no_data_note(value, row) -> str | None:
    """"Chưa có dữ liệu — <reason>" when `value` (a ratio or points) is missing, else None."""
    return no_data_text(getattr(row, "no_data_reason_vi", None)) if is_missing(value) else None


def _gap_rows(rows: pd.DataFrame) -> list[list[_Cell]]:
    """One row per criterion. Where points cannot be computed, "Cần làm gì để đạt" says why (the
    column the uploads lack): that is what to do. A criterion scored by typed-in points has no
    ratio: "nhập điểm", not "chưa có dữ liệu"."""
    table = []
    for row in rows.itertuples(index=False):
        status = _gap_status(row)
        ratio = MANUAL_POINTS_VI if row.rule == "manual_points" else row.ratio
        table.append([
            _Cell(row.code), _Cell(row.name), _Cell(ratio, status), _Cell(row.numerator),
            _Cell(row.denominator), _Cell(row.target), _Cell(row.gap_pp, status), _Cell(row.points),
            _Cell(row.max_points), _Cell(row.points_lost), _Cell(row.projected_points),
            _Cell(_no_data_note(row.points, row) or row.what_it_takes_vi), _Cell(row.responsible_unit),
        ])
    return table


def _gap_total(report) -> list[_Cell]:
    """Points, maximum and projection come from the report; points lost add up the column above."""
    lost = pd.to_numeric(report.rows["points_lost"], errors="coerce").sum(min_count=1)
    cells = [_Cell("") for _ in GAP_COLUMNS]
    cells[0] = _Cell("Tổng cộng")
    cells[7], cells[8] = _Cell(report.total), _Cell(report.max_total)
    cells[9], cells[10] = _Cell(lost), _Cell(report.projected_total)
    unknown = getattr(report, "points_unknown", 0) or 0
    if unknown:
        cells[11] = _Cell(f"Điểm chưa tính được (chưa có dữ liệu): {format_points(unknown)}")
    return cells


def _unit_rows(unit_scores: pd.DataFrame) -> list[list[_Cell]]:
    ordered = unit_scores.sort_values("unit", kind="stable", na_position="last")
    table = []
    for row in ordered.itertuples(index=False):
        status = _gap_status(row)
        table.append([
            _Cell(row.unit), _Cell(row.code), _Cell(row.name), _Cell(row.ratio, status), _Cell(row.numerator),
            _Cell(row.denominator), _Cell(row.target), _Cell(row.gap_pp, status), _Cell(row.points_lost_share),
            _Cell(_no_data_note(row.ratio, row)),
        ])
    return table


def _as_date(value: Any) -> Any:
    return value.to_pydatetime() if isinstance(value, pd.Timestamp) else value


def _due_soon_rows(due_soon: pd.DataFrame) -> list[list[_Cell]]:
    table = []
    for row in due_soon.itertuples(index=False):
        table.append([
            _Cell(row.dossier_id), _Cell(row.unit), _Cell(row.officer), _Cell(row.procedure_name),
            _Cell(row.field), _Cell(_as_date(row.received_at)), _Cell(_as_date(row.due_at)),
            _Cell(row.working_days_left), _Cell(row.state, DUE_STATE_STATUS.get(row.state)),
        ])
    return table


def giao_ban_file_name(year: int, data_as_of: dt.date) -> str:
    """ASCII download name with the evaluation year and the date of the data, e.g.
    "giao-ban-cchc-2026_23-11-2026.xlsx" (safe in any browser or file share)."""
    return f"giao-ban-cchc-{year}_{data_as_of:%d-%m-%Y}.xlsx"


def build_giao_ban_workbook(report, unit_scores: pd.DataFrame, due_soon: pd.DataFrame, *,
                            data_as_of: dt.datetime, generated_at: dt.datetime | None = None,
                            department_name: str = "Sở Tư pháp") -> bytes:
    """Build the .xlsx taken to the weekly leadership meeting from a ScoreReport and two frames."""
    generated_at = generated_at or dt.datetime.now()
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    workbook.set_properties({"title": f"Giao ban CCHC năm {report.year}", "company": department_name})
    styles = _Styles(workbook)

    def titles(sheet_title: str) -> list[str]:
        return _titles(department_name, sheet_title, report, data_as_of, generated_at)

    _write_table(workbook, styles, GAP_SHEET,
                 titles(f"BẢNG CHÊNH LỆCH CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {report.year}"),
                 GAP_COLUMNS, _gap_rows(report.rows), total=_gap_total(report),
                 empty_message="Chưa có tiêu chí nào được chấm điểm.")
    _write_table(workbook, styles, UNIT_SHEET,
                 titles(f"KẾT QUẢ THEO ĐƠN VỊ NĂM {report.year}"),
                 UNIT_COLUMNS, _unit_rows(unit_scores), filterable=True,
                 empty_message="Chưa có dữ liệu theo đơn vị.")
    _write_table(workbook, styles, DUE_SOON_SHEET,
                 titles("DANH SÁCH HỒ SƠ SẮP ĐẾN HẠN VÀ QUÁ HẠN"),
                 DUE_SOON_COLUMNS, _due_soon_rows(due_soon), filterable=True,
                 empty_message="Không có hồ sơ nào sắp đến hạn hoặc quá hạn.")
    workbook.close()
    return buffer.getvalue()

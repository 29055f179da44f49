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
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import xlsxwriter

from . import wording
from .charts import status_for
from .formatting import (NO_DATA, NO_DATA_SHORT, format_date, format_datetime, format_points, is_missing,
                         no_data_text)
from .statistics_table import BY_LABELS_VI, HEADINGS
from .watchlist import STATE_DUE_SOON, STATE_OVERDUE

GAP_SHEET = "Bảng chênh lệch"
UNIT_SHEET = "Theo đơn vị"
DUE_SOON_SHEET = "Hồ sơ sắp đến hạn"
FIELD_STATISTICS_SHEET = "Thống kê theo lĩnh vực"
UNIT_STATISTICS_SHEET = "Thống kê theo đơn vị"
CHART_SHEET = "Biểu đồ chênh lệch"

# "[$-42A]" tags each format Vietnamese: LibreOffice then prints 14.697 and 99,84% whatever its own
# locale; Excel keeps the viewer's separators (on a Vietnamese Windows the same).
VIETNAMESE = "[$-42A]"
NUMBER_FORMATS = {
    "int": VIETNAMESE + "#,##0",
    "pct": VIETNAMESE + "0.00%",
    "points": VIETNAMESE + "0.00",
    "date": VIETNAMESE + "dd/mm/yyyy",
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
    # Arial 10 as the workbook's own font: its digit (7 px) is the column width unit, as with Excel's
    # Calibri 11, and LibreOffice has a metric twin for it (Liberation Sans).
    "default_format_properties": {"font_name": "Arial", "font_size": 10},
}

# Printing. Tables are printed at 100%: "fit to one page wide" is set, but the columns are sized to
# fit A4 landscape already, so neither Excel nor LibreOffice shrinks the 10 pt text. A column of
# width w (characters of the default font's digit) takes 7w + 5 pixels at 96 per inch in Excel;
# LibreOffice takes the digit unrounded (Arial 10: 7.41 px), so widths are summed at that size.
DIGIT_PX = 7.42
FONT = {"font_name": "Arial", "font_size": 10}
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.55, "bottom": 0.6}  # inches
PAGE_WIDTH_PX = int((11.69 - MARGINS["left"] - MARGINS["right"]) * 96) - 30
PAGE_HEIGHT_PT = (8.27 - MARGINS["top"] - MARGINS["bottom"]) * 72 - 10
# Row heights are set from the wrapped text. Vietnamese text in Arial 10 (or LibreOffice's Noto Sans
# substitute) fits about 1.3 characters per unit of width (measured on this report's printouts); 1.1
# leaves room for wide words. LINE_PT is one line of Arial 10 in Excel (LibreOffice: ~12 pt).
CHARS_PER_UNIT = 1.2
BOLD_CHARS_PER_UNIT = 1.1
LINE_PT = 12.75
TITLE_HEIGHTS = (18.0, 21.0, 15.0, 15.0)
MIN_TEXT_WIDTH = 12
FIT_PAGES_TALL = 999
CHART_PIXEL_RATIO = 2  # the chart PNG has two pixels per printed pixel (giao_ban.CHART_SCALE)


@dataclass(frozen=True)
class _Column:
    """One table column: header, how its values are written, what a missing value reads."""

    header: str
    kind: str  # "text" or a key of NUMBER_FORMATS
    missing: str = NO_DATA_SHORT
    max_width: int = 40
    header_lines: int = 3  # the header wraps over this many lines at most
    shrink: bool = True  # may be narrowed to fit the page (not ids and codes: they would break)
    min_width: int = 0


@dataclass
class _Cell:
    value: Any
    status: str | None = None  # a key of STATUS_STYLES, or None for no fill


class _Styles:
    """Creates each cell format once per (kind, status, bold) combination."""

    def __init__(self, workbook: xlsxwriter.Workbook):
        self._workbook = workbook
        self._cache: dict[tuple, Any] = {}
        wrap = {"text_wrap": True, "valign": "top"}
        self.department = workbook.add_format({**FONT, **wrap, "bold": True, "font_size": 12})
        self.title = workbook.add_format({**FONT, **wrap, "bold": True, "font_size": 14})
        self.subtitle = workbook.add_format({**FONT, **wrap, "italic": True})
        self.header = workbook.add_format({**FONT, "bold": True, "text_wrap": True, "align": "center",
                                           "valign": "vcenter", "border": 1, "bg_color": "#D9E1F2"})
        self.note = workbook.add_format({**FONT, "italic": True, "text_wrap": True, "valign": "top"})

    def cell(self, kind: str, status: str | None = None, bold: bool = False):
        key = (kind, status, bold)
        if key not in self._cache:
            props: dict[str, Any] = {**FONT, "border": 1, "valign": "top", "bold": bold}
            if kind == "text":
                props["text_wrap"] = True
            else:
                props["num_format"] = NUMBER_FORMATS[kind]
            props.update(STATUS_STYLES.get(status, {}))
            self._cache[key] = self._workbook.add_format(props)
        return self._cache[key]


def _shown_text(value: Any, column: _Column) -> str:
    """The value as it prints, to size columns and rows."""
    kind = column.kind
    if is_missing(value):
        return column.missing
    if isinstance(value, str):
        return value
    if kind == "date":
        return "00/00/0000"
    if kind == "int":
        return f"{value:,.0f}"
    if kind == "pct":
        return f"{value * 100:.2f}%"
    if kind == "points":
        return f"{value:.2f}"
    return str(value)


def wrapped_lines(text: str, width: float, chars_per_unit: float = CHARS_PER_UNIT) -> int:
    """Lines `text` takes in a wrapping cell `width` characters wide (words kept whole)."""
    per_line = max(1, int((width - 1) * chars_per_unit))
    return sum(max(1, len(textwrap.wrap(part, per_line, break_on_hyphens=False)))
               for part in str(text).split("\n"))


def _header_width(header: str, max_lines: int = 3) -> int:
    """The narrowest width that holds a header in `max_lines` lines, words whole."""
    width = max(len(word) for word in header.split()) + 1
    while wrapped_lines(header, width, BOLD_CHARS_PER_UNIT) > max_lines:
        width += 1
    return width


def _column_width(column: _Column, values: list[Any]) -> float:
    """Fit the longest value (up to the column's cap; in a number column only the numbers: a
    note such as "chưa có dữ liệu" wraps); the header wraps over `header_lines` lines at most."""
    if column.kind != "text":
        values = [v for v in values if not isinstance(v, str) and not is_missing(v)]
    content = max((len(_shown_text(v, column)) + (2 if column.kind == "text" else 1) for v in values),
                  default=0)
    return max(min(content, column.max_width), _header_width(column.header, column.header_lines),
               column.min_width)


def _fit_page(widths: list[float], columns: Sequence[_Column]) -> list[float]:
    """Narrow the text columns, each in proportion to its width above MIN_TEXT_WIDTH, until the
    table fits A4 landscape at 100% (so long names keep more room than short ones)."""
    def pixels(candidate: list[float]) -> int:
        return sum(int(w * DIGIT_PX + 5) for w in candidate)

    shrinkable = [c.kind == "text" and c.shrink and w > MIN_TEXT_WIDTH for c, w in zip(columns, widths)]
    factor = 1.0
    fitted = list(widths)
    while pixels(fitted) > PAGE_WIDTH_PX and factor > 0:
        factor = round(factor - 0.02, 2)
        fitted = [MIN_TEXT_WIDTH + (w - MIN_TEXT_WIDTH) * max(factor, 0) if shrink else w
                  for w, shrink in zip(widths, shrinkable)]
    return [math.floor(w) for w in fitted]


def _row_height(cells: Sequence[_Cell], columns: Sequence[_Column], widths: Sequence[float]) -> float:
    lines = max(wrapped_lines(_shown_text(cell.value, column), width)
                for cell, column, width in zip(cells, columns, widths))
    return lines * LINE_PT + 3


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


def _page_breaks(first_row: int, heights: Sequence[float], groups: Sequence[Any], used: float,
                 header: float) -> list[int]:
    """Rows before which a page should break so that a group's rows print on one page (a group
    taller than a page simply flows on). `used`: height of the first page above the data."""
    breaks, block_start = [], 0
    for index in range(1, len(heights) + 1):
        if index < len(heights) and groups[index] == groups[block_start]:
            continue
        block = sum(heights[block_start:index])
        if used + block > PAGE_HEIGHT_PT and used > header:
            breaks.append(first_row + block_start)
            used = header
        used += block
        block_start = index
    return breaks


def _setup_print(ws, header_rows: tuple[int, int], page_breaks: bool = False) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    if page_breaks:
        # Excel and LibreOffice ignore manual page breaks under "fit to page": print at 100%
        # (the columns fit by construction).
        ws.set_print_scale(100)  # the default: no fit-to-page, no scaling
    else:
        # One page wide, "up to 999 pages tall" (= width only: Excel's usual 0 makes LibreOffice
        # shrink some sheets to 98% to save a page). The columns already fit: the scale stays 100%.
        ws.fit_to_pages(1, FIT_PAGES_TALL)
    ws.repeat_rows(*header_rows)
    ws.set_margins(**MARGINS)
    ws.set_footer("&C&\"Arial\"&10Trang &P / &N")


def _write_titles(ws, styles: _Styles, titles: Sequence[str], last_col: int, width: float) -> float:
    """The title block over the table's `width`, wrapped where longer; returns its height."""
    title_formats = (styles.department, styles.title, styles.subtitle, styles.subtitle)
    chars_per_unit = (0.95, 0.8, CHARS_PER_UNIT, CHARS_PER_UNIT)  # 12 pt bold, 14 pt bold, 10 pt
    total = 0.0
    for row, (text, fmt, height, fit) in enumerate(zip(titles, title_formats, TITLE_HEIGHTS, chars_per_unit)):
        if last_col:
            ws.merge_range(row, 0, row, last_col, "", fmt)  # spans the table so nothing clips on print
        ws.write_string(row, 0, text, fmt)
        ws.set_row(row, height * wrapped_lines(text, width, fit))
        total += height * wrapped_lines(text, width, fit)
    return total


def _write_table(workbook: xlsxwriter.Workbook, styles: _Styles, name: str, titles: Sequence[str],
                 columns: Sequence[_Column], rows: Sequence[Sequence[_Cell]], *,
                 empty_message: str, total: Sequence[_Cell] | None = None, filterable: bool = False,
                 group_column: int | None = None, header_groups: Sequence[tuple[int, int, str]] = (),
                 notes: Sequence[str] = ()) -> None:
    """One printable sheet: title block, header row(s), data rows, optional bold total row, notes.
    `header_groups` (first column, last column, text) adds a row of group headings above the
    headers; columns outside every group have their header merged over both rows. Rows with the
    same value in `group_column` are kept on one page."""
    ws = workbook.add_worksheet(name)
    last_col = len(columns) - 1
    body = [*rows, total] if rows and total is not None else list(rows)
    widths = _fit_page([_column_width(column, [cells[col].value for cells in body])
                        for col, column in enumerate(columns)], columns)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    titles_height = _write_titles(ws, styles, titles, last_col, sum(widths))

    header_top = HEADER_ROW
    header_bottom = HEADER_ROW + (1 if header_groups else 0)
    grouped = {col for first, last, _ in header_groups for col in range(first, last + 1)}
    for first, last, text in header_groups:
        ws.merge_range(header_top, first, header_top, last, text, styles.header)
    for col, column in enumerate(columns):
        if header_groups and col not in grouped:
            ws.merge_range(header_top, col, header_bottom, col, column.header, styles.header)
        else:
            ws.write_string(header_bottom, col, column.header, styles.header)
    header_lines = max(wrapped_lines(c.header, w, BOLD_CHARS_PER_UNIT) for c, w in zip(columns, widths))
    header_height = header_lines * LINE_PT + 4
    if header_groups:
        group_lines = max(wrapped_lines(text, sum(widths[first:last + 1]), BOLD_CHARS_PER_UNIT)
                          for first, last, text in header_groups)
        ws.set_row(header_top, group_lines * LINE_PT + 4)
        header_height += group_lines * LINE_PT + 4
    ws.set_row(header_bottom, header_lines * LINE_PT + 4)

    first_data = header_bottom + 1
    heights = []
    for offset, cells in enumerate(body):
        bold = total is not None and offset == len(rows)
        for col, (cell, column) in enumerate(zip(cells, columns)):
            _write_value(ws, first_data + offset, col, cell, column, styles, bold)
        heights.append(_row_height(cells, columns, widths))
        ws.set_row(first_data + offset, heights[-1])
    if not rows:
        ws.merge_range(first_data, 0, first_data, last_col, empty_message, styles.note)
    for offset, note in enumerate(notes):
        row = first_data + max(len(body), 1) + 1 + offset
        ws.merge_range(row, 0, row, last_col, note, styles.note)
        ws.set_row(row, wrapped_lines(note, sum(widths)) * LINE_PT + 3)

    if group_column is not None and rows:
        groups = [cells[group_column].value for cells in body]
        ws.set_h_pagebreaks(_page_breaks(first_data, heights, groups,
                                         titles_height + 15 + header_height, header_height))
    ws.freeze_panes(first_data, 0)
    if filterable and rows:
        ws.autofilter(header_bottom, 0, header_bottom + len(rows), last_col)
    _setup_print(ws, (header_top, header_bottom), page_breaks=group_column is not None and bool(rows))


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
    _Column("Mã tiêu chí", "text", max_width=16, shrink=False),
    _Column("Tiêu chí", "text", max_width=45),
    _Column("Giá trị", "pct", missing=NO_DATA),
    _Column("Tử số", "int"),
    _Column("Mẫu số", "int"),
    _Column("Chỉ tiêu", "pct"),
    _Column("Còn thiếu (điểm phần trăm)", "points"),
]

GAP_COLUMNS = [
    *CRITERION_RESULT_COLUMNS,
    _Column("Còn thiếu", "text", max_width=18),
    _Column("Điểm", "points", missing=NO_DATA),
    _Column("Điểm tối đa", "points"),
    _Column("Điểm bị mất", "points"),
    _Column("Điểm dự kiến cuối năm", "points"),
    _Column("Cần làm gì để đạt (đơn vị chịu trách nhiệm)", "text", missing="", max_width=44),
]

UNIT_COLUMNS = [
    _Column("Đơn vị", "text", max_width=28, shrink=False),
    *CRITERION_RESULT_COLUMNS,
    _Column("Tỷ trọng điểm bị mất", "pct"),
    _Column("Ghi chú dữ liệu", "text", missing="", max_width=30),
]

DUE_SOON_COLUMNS = [
    _Column("Mã hồ sơ", "text", max_width=26, shrink=False),
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
            _Cell(row.denominator), _Cell(row.target), _Cell(row.gap_pp, status),
            _Cell(row.gap_vi), _Cell(row.points),
            _Cell(row.max_points), _Cell(row.points_lost), _Cell(row.projected_points),
            _Cell(advice_text(row)),
        ])
    return table


def advice_text(row) -> str | None:
    """What to do, and who: "Cần thêm 24 hồ sơ …\nĐơn vị: Văn phòng Sở"; where points cannot be
    computed, why (the column the uploads lack)."""
    advice = _no_data_note(row.points, row) or row.what_it_takes_vi
    unit = getattr(row, "responsible_unit", None)
    if is_missing(unit) or is_missing(advice):
        return None if is_missing(advice) else advice
    return f"{advice}\nĐơn vị: {unit}"


def _gap_total(report) -> list[_Cell]:
    """Points, maximum, points lost and projection as the report sums them."""
    lost = report.points_lost_total
    cells = [_Cell("") for _ in GAP_COLUMNS]
    cells[0] = _Cell("Tổng cộng")
    cells[8], cells[9] = _Cell(report.total), _Cell(report.max_total)
    cells[10], cells[11] = _Cell(lost), _Cell(report.projected_total)
    unknown = getattr(report, "points_unknown", 0) or 0
    if unknown:
        cells[12] = _Cell(f"Điểm chưa tính được (chưa có dữ liệu): {format_points(unknown)}")
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


def statistics_columns(by: str) -> list[_Column]:
    """STT, the field or unit, then the form's columns (statistics_table.HEADINGS)."""
    return [_Column("STT", "int", max_width=5), _Column(BY_LABELS_VI[by], "text", max_width=34),
            *(_Column(heading, "int", header_lines=5, min_width=8) for _, _, heading in HEADINGS)]


def statistics_header_groups() -> list[tuple[int, int, str]]:
    """The form's group headings over its columns (two leading columns: STT and the name)."""
    groups: list[tuple[int, int, str]] = []
    for col, (_, group, _) in enumerate(HEADINGS, start=2):
        if groups and groups[-1][2] == group:
            groups[-1] = (groups[-1][0], col, group)
        else:
            groups.append((col, col, group))
    return groups


def statistics_rows(table: pd.DataFrame) -> tuple[list[list[_Cell]], list[_Cell]]:
    """Numbered rows and the totals row of statistics_table.statistics_table."""
    names = [name for name, _, _ in HEADINGS]
    rows = [[_Cell(number), _Cell(row["key"]), *(_Cell(row[n]) for n in names)]
            for number, row in enumerate(table[~table["is_total"]].to_dict("records"), start=1)]
    total = table[table["is_total"]].to_dict("records")[0]
    return rows, [_Cell(""), _Cell(total["key"]), *(_Cell(total[n]) for n in names)]


STATISTICS_NOTES = (
    "«–»: chưa có dữ liệu — tệp tải lên thiếu cột cần cho số này (ngày hẹn trả, ngày có kết quả hoặc hình "
    "thức nộp); không phải 0 hồ sơ.",
    "Tổng số nhận giải quyết = từ kỳ trước chuyển qua + mới tiếp nhận. Kỳ trước chuyển qua: tiếp nhận trước "
    "ngày đầu kỳ, chưa giải quyết xong trước ngày đó.",
)


def _write_statistics(workbook, styles: _Styles, name: str, statistics, by: str, header: tuple[str, str]) -> None:
    department, data_line = header
    table = statistics.by_field if by == "field" else statistics.by_unit
    rows, total = statistics_rows(table)
    _write_table(workbook, styles, name, [
        department,
        f"TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH THEO {BY_LABELS_VI[by].upper()}",
        f"Kỳ báo cáo: {statistics.period.label_vi}. Đơn vị tính: hồ sơ. "
        "Theo mẫu Biểu số 06/VPCP/KSTT (Thông tư 01/2020/TT-VPCP).",
        data_line,
    ], statistics_columns(by), rows, total=total, header_groups=statistics_header_groups(),
        notes=STATISTICS_NOTES, empty_message="Không có hồ sơ nào trong kỳ báo cáo.")


def _write_chart(workbook, styles: _Styles, titles: Sequence[str], chart_png: bytes | None) -> None:
    """The gap chart as a picture scaled to the printable width, or why there is none."""
    ws = workbook.add_worksheet(CHART_SHEET)
    ws.set_column(0, 0, (PAGE_WIDTH_PX - 5) / DIGIT_PX)
    _write_titles(ws, styles, titles, 0, (PAGE_WIDTH_PX - 5) / DIGIT_PX)
    if chart_png:
        width, height = (size / CHART_PIXEL_RATIO for size in png_size(chart_png))
        scale = min(1.0, PAGE_WIDTH_PX / width, (PAGE_HEIGHT_PT - 130) / 0.75 / height) / CHART_PIXEL_RATIO
        ws.insert_image(HEADER_ROW, 0, "bieu-do.png", {"image_data": io.BytesIO(chart_png),
                                                       "x_scale": scale, "y_scale": scale,
                                                       "object_position": 3})
        ws.print_area(0, 0, HEADER_ROW + 1 + math.ceil(height * scale * CHART_PIXEL_RATIO * 0.75 / 15), 0)
    else:
        ws.write_string(HEADER_ROW, 0, "Không vẽ được biểu đồ trên máy này (thiếu trình duyệt Chromium để "
                        "xuất hình); các số liệu có trong bảng chênh lệch.", styles.note)
    ws.set_landscape()
    ws.set_paper(9)
    ws.set_margins(**MARGINS)  # the picture is sized to the page: printed at 100%


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG from its header."""
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def build_statistics_workbook(statistics, *, data_as_of: dt.datetime, department_name: str = "Sở Tư pháp",
                              generated_at: dt.datetime | None = None) -> bytes:
    """The two statistics sheets alone (by field, by unit), for filing the periodic table."""
    generated_at = generated_at or dt.datetime.now()
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    styles = _Styles(workbook)
    data_line = f"Số liệu đến ngày {format_date(data_as_of)}. Lập lúc {format_datetime(generated_at)}."
    for name, by in ((FIELD_STATISTICS_SHEET, "field"), (UNIT_STATISTICS_SHEET, "unit")):
        _write_statistics(workbook, styles, name, statistics, by, (department_name, data_line))
    workbook.close()
    return buffer.getvalue()


def giao_ban_file_name(year: int, data_as_of: dt.date, extension: str = "xlsx") -> str:
    """ASCII download name with the evaluation year and the date of the data, e.g.
    "giao-ban-cchc-2026_23-11-2026.xlsx" (safe in any browser or file share)."""
    return f"giao-ban-cchc-{year}_{data_as_of:%d-%m-%Y}.{extension}"


def build_giao_ban_workbook(report, unit_scores: pd.DataFrame, due_soon: pd.DataFrame, *,
                            data_as_of: dt.datetime, generated_at: dt.datetime | None = None,
                            department_name: str = "Sở Tư pháp", statistics=None,
                            chart_png: bytes | None = None) -> bytes:
    """Build the .xlsx taken to the weekly leadership meeting from a ScoreReport and two frames;
    with `statistics` (giao_ban.Statistics) the two statistics sheets, with `chart_png` the chart
    sheet (b"" when it could not be drawn)."""
    generated_at = generated_at or dt.datetime.now()
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    workbook.set_properties({"title": f"Giao ban CCHC năm {report.year}", "company": department_name})
    styles = _Styles(workbook)

    def titles(sheet_title: str) -> list[str]:
        return _titles(department_name, sheet_title, report, data_as_of, generated_at)

    _write_table(workbook, styles, GAP_SHEET,
                 titles(f"BẢNG CHÊNH LỆCH CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {report.year}"),
                 GAP_COLUMNS, _gap_rows(wording.worded(report.rows)), total=_gap_total(report),
                 empty_message="Chưa có tiêu chí nào được chấm điểm.")
    _write_table(workbook, styles, UNIT_SHEET,
                 titles(f"KẾT QUẢ THEO ĐƠN VỊ NĂM {report.year}"),
                 UNIT_COLUMNS, _unit_rows(unit_scores), filterable=True, group_column=0,
                 empty_message="Chưa có dữ liệu theo đơn vị.")
    _write_table(workbook, styles, DUE_SOON_SHEET,
                 titles("DANH SÁCH HỒ SƠ SẮP ĐẾN HẠN VÀ QUÁ HẠN"),
                 DUE_SOON_COLUMNS, _due_soon_rows(due_soon), filterable=True,
                 empty_message="Không có hồ sơ nào sắp đến hạn hoặc quá hạn.")
    if statistics is not None:
        data_line = f"Số liệu đến ngày {format_date(data_as_of)}. Lập lúc {format_datetime(generated_at)}."
        for name, by in ((FIELD_STATISTICS_SHEET, "field"), (UNIT_STATISTICS_SHEET, "unit")):
            _write_statistics(workbook, styles, name, statistics, by, (department_name, data_line))
    if chart_png is not None:  # b"" when the picture could not be drawn: the sheet says so
        _write_chart(workbook, styles, titles(f"CHÊNH LỆCH SO VỚI CHỈ TIÊU THEO ĐƠN VỊ NĂM {report.year}"),
                     chart_png)
    workbook.close()
    return buffer.getvalue()

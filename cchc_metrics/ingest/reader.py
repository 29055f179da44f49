"""From the bytes of an export to a RawExport: format, sheets, header, column mapping, rows as Arrow text."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa

from .columns import NOT_AN_ID_VI, confirm_columns, is_personal, rank_columns
from .csv_text import read_csv_grids
from .excel import read_excel_grids
from .grid import ROW_COLUMN, Grid, chosen_sheet
from . import summary
from .header import Header, find_header, header_like_cells, title_period
from .html_table import read_html_grids
from .legacy_text import convert_table, font_encodings, prepare_grid
from .safety import detect_format
from .spreadsheet_xml import read_spreadsheet_xml_grids
from ..errors import IngestError, SeveralListsError
from ..schema import FIELD_BY_NAME

CONFIDENT_HEADER_SCORE = 4    # fields recognised on a sheet that make it a dossier list

REQUIRED_HELP = ("ngày tiếp nhận (bắt buộc); nên có thêm mã hồ sơ, thủ tục (mã hoặc tên thủ tục), "
                 "đơn vị xử lý, ngày hẹn trả, ngày có kết quả hoặc ngày trả kết quả")


# A column headed as the dossier id holds words: the data sit under the wrong headers (a real
# exporter writes 12 header cells over 11 data cells, see tests/test_real_layouts.py).
_SHIFTED_VI = ("cột mã hồ sơ của tệp không chứa mã hồ sơ (các ô là chữ, không có chữ số): có thể dữ "
               "liệu bị lệch cột so với dòng tiêu đề (phần mềm xuất thiếu hoặc thừa một ô). Hãy mở tệp "
               "bằng Excel, kiểm tra mỗi cột có đúng với tiêu đề của nó không, sửa rồi tải lại; hoặc "
               "chỉ rõ cột mã hồ sơ ở phần ghép cột.")


@dataclass
class RawExport:
    """An export as read: source headers, detected mapping, data rows as Arrow text columns."""

    file_name: str
    file_format: str                  # xlsx | xls | csv | html | xml2003
    sheet: str | None
    headers: list[str]                # display headers, unique, in source order
    header_rows: list[int]            # Excel row numbers of the header (up to four when merged)
    mapping: dict[str, str]           # canonical field -> source header
    personal_headers: list[str]       # dropped, never stored
    table: pa.Table                   # ROW_COLUMN + one text column per header
    period_start: date | None = None
    period_end: date | None = None
    delimiter: str | None = None
    first_data_row: int | None = None  # Excel row number; after a column-number row if there is one
    # Rows after `table` (sheets read in pieces): tables of ROW_COLUMN + the mapped columns, read
    # as they are taken, so a million rows are never all in memory. Close it when not taken.
    more: Iterator[pa.Table] = field(default_factory=lambda: (t for t in ()))
    # Why a column that looked like a field was not used (its values, or a vendor profile's rule).
    column_notes: list[str] = field(default_factory=list)
    vendor: str | None = None         # the vendor profile recognised (vendor_profiles.toml name)
    # CSV rows with fewer fields than the header (a file cut off mid-row): (row number, header of
    # the first missing field). Their missing cells are unknown, not blank: each is a row error.
    short_rows: list[tuple[int, str]] = field(default_factory=list)
    # A vendor profile's codes: field -> {source value (lower-case) -> canonical value}, read
    # before the generic vocabulary (store._value_lookups).
    value_codes: dict[str, dict] = field(default_factory=dict)
    sheet_chosen: bool = False        # `sheet` was named by the user (read_export's sheet=)

    @property
    def layout(self) -> dict:
        layout = {"format": self.file_format, "header_rows": self.header_rows,
                  "first_data_row": self.first_data_row or self.header_rows[-1] + 1}
        if self.sheet is not None:
            layout["sheet"] = self.sheet
        if self.sheet_chosen:
            layout["sheet_chosen"] = True
        if self.delimiter is not None:
            layout["delimiter"] = self.delimiter
        if self.vendor is not None:
            layout["vendor"] = self.vendor
        return layout

    @property
    def missing_required(self) -> list[str]:
        """Canonical fields the mapping lacks and a load cannot do without: the received date.

        A dossier needs an id and a received date; without an id column the id is derived from
        the row (store.derived_id_sql), without a unit or procedure column the unit named for
        the file or a placeholder stands in (store.UNKNOWN_UNIT, store.UNKNOWN_PROCEDURE)."""
        return [name for name in ("received_at",) if name not in self.mapping]


def read_export(data: bytes, file_name: str, *, mapping: dict | None = None,
                sheet: str | None = None) -> RawExport:
    """Read any supported export: detect format and header, map columns, keep rows as text.

    `sheet` names the visible sheet to read (a workbook of several dossier lists raises
    SeveralListsError without it); a file without sheets (CSV, HTML table) refuses it."""
    file_format = detect_format(data, file_name)
    if sheet is not None and file_format in ("csv", "html"):
        raise IngestError(f"tệp dạng {file_format.upper()} không chia trang tính nên không chọn được "
                          f"trang «{sheet}». Hãy nạp tệp này mà không chọn trang tính.", file_name)
    if file_format == "csv":
        grids = read_csv_grids(data, file_name)
    elif file_format == "html":
        grids = read_html_grids(data, file_name)
    elif file_format == "xml2003":
        grids = read_spreadsheet_xml_grids(data, file_name)
        if sheet is not None:
            grids = [grids[chosen_sheet([grid.sheet for grid in grids], sheet, file_name)]]
    else:
        grids = read_excel_grids(data, file_name, file_format, sheet)
    best, seen, tops, lists = None, [], [], []
    fonts = font_encodings(data, file_format)
    for grid in grids:
        grid = prepare_grid(grid, fonts, file_name)    # legacy TCVN3/VNI text -> Unicode, NFC headers
        seen += [c for row in grid.top for c in row if c]
        tops.append(grid.top)
        found = find_header(grid.top, mapping)
        if found and (best is None or found.score > best[1].score):
            best = (grid, found)
        if found and found.score >= CONFIDENT_HEADER_SCORE and not summary.is_summary(
                [display for display, _ in found.cells if display], grid.top[found.data_start:]):
            lists.append(grid)
    if len(lists) > 1:          # never silently only the first: the user chooses
        for grid in lists:
            if grid.rest is not None:
                grid.rest.close()
        names = [grid.sheet for grid in lists]
        raise SeveralListsError(
            f"tệp có {len(lists)} trang tính đều là danh sách hồ sơ: "
            + ", ".join(f"«{name}»" for name in names) + ". Mỗi lần nạp một trang: trên trang «Tải "
            "dữ liệu» hãy chọn trang tính cần nạp; với dòng lệnh thêm --sheet TÊN (ví dụ --sheet "
            f"\"{names[-1]}\"). Nạp lần lượt từng trang để nạp tất cả.", file_name, sheets=names)
    if best is None and not seen:
        raise IngestError("tệp trống, không có ô dữ liệu nào. Hãy xuất lại tệp từ hệ thống một cửa.",
                          file_name)
    if best is None:
        for top in tops:
            counted = summary.sheet_summary_headers(top)
            if counted:
                raise summary.refuse(file_name, counted)
        # Quote only cells that name columns: the first rows may hold names, addresses, ID numbers.
        quoted = header_like_cells([row for top in tops for row in top])
        raise IngestError(
            "không tìm thấy dòng tiêu đề cột nào nhận ra được trong 25 dòng đầu. "
            + ("Các ô giống tiêu đề tìm thấy: " + ", ".join(f"«{c}»" for c in quoted) + ". " if quoted
               else "Không có ô nào giống tiêu đề cột. ")
            + f"Tệp cần có các cột: {REQUIRED_HELP}. Hãy kiểm tra lại tệp xuất hoặc chỉ rõ "
            "cột nào ứng với trường nào (ánh xạ cột).", file_name)
    grid, found = best
    header_texts = [display for display, _ in found.cells if display]
    if summary.is_summary(header_texts, grid.top[found.data_start:]):
        raise summary.refuse(file_name, header_texts)
    export = _build_export(grid, file_name, file_format, found, mapping)
    export.sheet_chosen = sheet is not None
    return export


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for j, name in enumerate(names):
        name = name or f"Cột {j + 1}"
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return unique


def _build_export(grid: Grid, file_name, file_format, found: Header, explicit) -> RawExport:
    header_index, header_count, cells = found.index, found.rows, found.cells
    headers = _unique([display for display, _ in cells])
    if explicit:
        unknown = [k for k in explicit if k not in FIELD_BY_NAME]
        absent = [v for v in explicit.values() if v and v not in headers]
        if unknown or absent:
            raise IngestError(
                "ánh xạ cột không khớp với tệp: "
                + "; ".join([f"không có trường chuẩn «{k}»" for k in unknown]
                            + [f"không có cột «{v}»" for v in absent])
                + ". Các cột trong tệp: " + ", ".join(f"«{h}»" for h in headers) + ".", file_name)
    named = [(display, texts) for (_, texts), display in zip(cells, headers)]
    data_start = found.data_start
    table = grid.table.slice(data_start)
    candidates = rank_columns(named, explicit)
    chosen, column_notes = confirm_columns(candidates, table.column, headers)
    if "dossier_id" not in chosen and any(NOT_AN_ID_VI in note for note in column_notes):
        raise IngestError(_SHIFTED_VI, file_name)
    mapping = {name: headers[j] for name, j in chosen.items()}
    profile = candidates.profile
    personal = [h for (h, (display, texts)) in zip(headers, cells)
                if (any(is_personal(t) for t in texts) or (profile and profile.is_personal(display)))
                and h not in mapping.values()]
    # A profile's codes follow its column, however the column was chosen (a hand mapping too).
    value_codes = {name: codes for name, codes in profile.value_codes.items()
                   if name in chosen and profile.field_of(cells[chosen[name]][0]) == name} \
        if profile else {}
    rows = grid.row_numbers.slice(data_start)
    kept = [j for j, h in enumerate(headers) if h not in personal]
    table = pa.table([rows] + [table.column(j) for j in kept],
                     names=[ROW_COLUMN] + [headers[j] for j in kept])
    if grid.legacy_encoding:
        table = convert_table(table, grid.legacy_encoding)     # TCVN3 / VNI text -> Unicode
    header_rows = [grid.row_number(header_index + k) for k in range(header_count)]
    period = title_period(grid.top[:header_index])
    # The rest of a big sheet: only the mapped columns (nothing else is stored), read as such.
    mapped = [(grid.table.column_names[j], h) for j, h in enumerate(headers) if h in mapping.values()]
    grid.columns["wanted"] = {int(name[1:]) for name, _ in mapped}
    return RawExport(short_rows=_short_rows(grid, found, headers),
                     file_name=file_name, file_format=file_format, sheet=grid.sheet, headers=headers,
                     header_rows=header_rows, mapping=mapping, personal_headers=personal, table=table,
                     period_start=period[0], period_end=period[1], delimiter=grid.delimiter,
                     first_data_row=grid.row_number(data_start) if data_start < grid.table.num_rows else None,
                     more=_more_rows(grid.rest or (), mapped), column_notes=column_notes,
                     vendor=profile.name if profile else None, value_codes=value_codes)


def _short_rows(grid: Grid, found: Header, headers: list[str]) -> list[tuple[int, str]]:
    """Data rows of a CSV with fewer fields than its (last) header row, and the first header they lack."""
    if grid.field_counts is None:
        return []
    width = grid.field_counts[found.index + found.rows - 1]
    return [(grid.row_number(i), headers[min(count, len(headers) - 1)])
            for i, count in enumerate(grid.field_counts)
            if i >= found.data_start and 0 < count < width]


def _more_rows(pieces, mapped: list[tuple[str, str]]):
    """The later pieces of a big sheet as ROW_COLUMN + the mapped columns, read lazily."""
    for piece, first_row in pieces:
        count = piece.num_rows
        columns = [piece.column(name).cast(pa.string()) if name in piece.column_names
                   else pa.nulls(count, pa.string()) for name, _ in mapped]
        yield pa.table([pa.array(np.arange(first_row, first_row + count, dtype=np.int32))] + columns,
                       names=[ROW_COLUMN] + [header for _, header in mapped])

"""Reading Excel 2003 XML spreadsheets (SpreadsheetML) into text grids, one per worksheet.

Report exporters write this format as text (`<?mso-application progid="Excel.Sheet"?>`,
`<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">`, Worksheet / Table / Row / Cell /
Data) and name it .xls or .xml; Excel opens it. Cells follow Excel's reading: ss:Index on a Row or
Cell jumps to that row or column, ss:MergeAcross / ss:MergeDown leave the value in the top-left cell
and the covered cells empty (later cells of covered rows skip them), DateTime values become ISO text
like the .xlsx reader gives ("2024-03-18 13:05:00"), numbers stay as written.

Hostile input: parsed by lxml without entity expansion, DTD loading or network, streamed (rows
freed as read); a document type declaration is refused; declared indexes and merges are bounded
(limits.MAX_COLUMNS columns, Excel's row count), never allocated.
"""
from __future__ import annotations

import codecs
import io
import re

import pyarrow as pa
from lxml import etree

from . import limits
from .grid import Grid, check_rows, top_rows
from ..errors import IngestError
from ..formatting import format_number

NAMESPACE = "urn:schemas-microsoft-com:office:spreadsheet"
_SS = "{" + NAMESPACE + "}"
_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)(?:\.\d*)?$")


def read_spreadsheet_xml_grids(data: bytes, file_name: str) -> list[Grid]:
    """A text grid per worksheet, in order; the first limits.MAX_SHEETS_TRIED only."""
    prolog = data[:1 << 16]
    if prolog.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        prolog = prolog.decode("utf-16", "replace").encode("utf-8")
    if re.search(rb"<!DOCTYPE|<!ENTITY", prolog.split(b"Workbook", 1)[0]):
        raise IngestError("tệp Excel 2003 XML có khai báo DOCTYPE/ENTITY, điều mà Excel không bao giờ ghi: "
                          "có thể là tệp độc hại nên đã bị từ chối. Hãy xuất lại tệp từ hệ thống một cửa.",
                          file_name)
    try:
        return _read(data, file_name)
    except IngestError:
        raise
    except (etree.LxmlError, ValueError, RecursionError) as exc:
        raise IngestError("tệp hỏng: tệp Excel 2003 XML bị cắt ngang hoặc sai cấu trúc (có thể tải về bị "
                          "ngắt giữa chừng). Hãy mở thử bằng Excel; nếu mở được, lưu lại dạng .xlsx rồi "
                          "tải lại, nếu không hãy xuất lại từ hệ thống một cửa.", file_name) from exc


def _attr(element, name: str) -> str | None:
    value = element.get(_SS + name)
    return value if value is not None else element.get(name)


def _index(value: str | None, limit: int, what: str, file_name: str) -> int | None:
    """A 1-based ss:Index, refused beyond `limit` (nothing is allocated from it)."""
    if value is None:
        return None
    try:
        index = int(value.strip())
    except ValueError:
        return None
    if index > limit:
        raise IngestError(f"tệp Excel 2003 XML đặt một ô ở {what} {format_number(index)}, vượt giới hạn "
                          f"{format_number(limit)}. Hãy xuất lại chỉ các cột, các dòng của danh sách hồ sơ.",
                          file_name)
    return index if index >= 1 else None


def _merge(value: str | None, cap: int) -> int:
    if value is None:
        return 0
    try:
        return max(0, min(int(value.strip()), cap))
    except (AttributeError, ValueError):
        return 0


def _value(data) -> str | None:
    if data is None:
        return None
    # Data may carry HTML formatting (ss:Data, <B>…): then its text is in the children.
    text = (data.text if not len(data) else "".join(data.itertext())) or ""
    text = text.strip()
    if not text:
        return None
    if (_attr(data, "Type") or "").lower() == "datetime":
        match = _DATETIME.match(text)
        if match:
            time = match.group(2) if len(match.group(2)) == 8 else match.group(2) + ":00"
            return f"{match.group(1)} {time}"
    return text


class _Sheet:
    def __init__(self, name: str | None):
        self.name = name
        self.rows: list[dict[int, str]] = []
        self.numbers: list[int] = []
        self.covered: dict[int, int] = {}      # column -> last row number a MergeDown covers
        self.last_row = 0

    def add(self, row, file_name: str) -> None:
        number = _index(_attr(row, "Index"), limits.EXCEL_MAX_ROW, "dòng", file_name)
        number = number if number and number > self.last_row else self.last_row + 1
        if number > limits.EXCEL_MAX_ROW:
            raise IngestError(f"tệp Excel 2003 XML có hơn {format_number(limits.EXCEL_MAX_ROW)} dòng.", file_name)
        self.last_row = number
        self.covered = {j: last for j, last in self.covered.items() if last >= number}
        cells: dict[int, str] = {}
        below: dict[int, int] = {}
        column = 0
        for cell in row:
            if cell.tag not in (_SS + "Cell", "Cell"):
                continue
            # ss:Index, ss:MergeAcross, ss:MergeDown: only looked up when the cell has more than a style
            placed = len(cell.attrib) > (1 if _SS + "StyleID" in cell.attrib else 0)
            explicit = _index(_attr(cell, "Index"), limits.MAX_COLUMNS, "cột", file_name) if placed else None
            if explicit is not None:
                column = explicit - 1
            else:
                while column in self.covered:
                    column += 1
            if column >= limits.MAX_COLUMNS:
                raise IngestError(f"trang «{self.name}» có hơn {format_number(limits.MAX_COLUMNS)} cột, vượt "
                                  "giới hạn. Hãy xuất lại chỉ các cột của danh sách hồ sơ.", file_name)
            data = next((c for c in cell if c.tag in (_SS + "Data", "Data")), None)
            text = _value(data)
            if text:
                cells[column] = text
            across = _merge(_attr(cell, "MergeAcross"), limits.MAX_COLUMNS - column - 1) if placed else 0
            down = _merge(_attr(cell, "MergeDown"), limits.EXCEL_MAX_ROW) if placed else 0
            if down:
                for j in range(column, column + across + 1):
                    below[j] = number + down
            column += across + 1
        self.covered.update(below)
        self.rows.append(cells)
        self.numbers.append(number)

    def grid(self) -> Grid:
        width = max((max(row) + 1 for row in self.rows if row), default=0)
        table = pa.table({f"c{j}": pa.array([row.get(j) for row in self.rows], pa.string())
                          for j in range(width)}) if width else pa.table({})
        return Grid(table, pa.array(self.numbers, pa.int32()), sheet=self.name, top=top_rows(table))


_EXCEL_NS = "{urn:schemas-microsoft-com:office:excel}"


def _hidden(worksheet) -> bool:
    """Whether Excel hides the sheet: <x:WorksheetOptions><x:Visible>SheetHidden</x:Visible> (or
    SheetVeryHidden), written after the sheet's table, so known at its end."""
    return any((visible.text or "").strip() in ("SheetHidden", "SheetVeryHidden")
               for visible in worksheet.iter(_EXCEL_NS + "Visible", "Visible"))


def _read(data: bytes, file_name: str) -> list[Grid]:
    grids: list[Grid] = []
    sheet: _Sheet | None = None
    parser = etree.iterparse(io.BytesIO(data), events=("start", "end"), resolve_entities=False,
                             no_network=True, huge_tree=False, load_dtd=False, remove_comments=True,
                             remove_pis=True, tag=(_SS + "Worksheet", _SS + "Row", "Worksheet", "Row"))
    for event, element in parser:
        tag = element.tag if isinstance(element.tag, str) else ""
        local = tag.rsplit("}", 1)[-1]
        if local == "Worksheet":
            if event == "start":
                sheet = _Sheet(_attr(element, "Name") or f"Trang {len(grids) + 1}")
                continue
            if sheet is not None and not _hidden(element):
                grids.append(sheet.grid())
            sheet = None
            element.clear(keep_tail=True)
            if len(grids) >= limits.MAX_SHEETS_TRIED:
                break
        elif local == "Row" and event == "end" and sheet is not None:
            sheet.add(element, file_name)
            check_rows(len(sheet.rows), sheet.name, file_name)
            element.clear(keep_tail=True)
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
    if not grids:
        raise IngestError("tệp Excel 2003 XML không có trang tính nào.", file_name)
    return grids

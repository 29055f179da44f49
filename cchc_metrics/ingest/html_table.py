"""Reading HTML tables saved with an Excel name into a text grid.

Web one-stop systems "export to Excel" by sending the page's <table> as an .xls file: the Tân Dân
platform's `downloadPhieuExcel` (exportTableToExcel.js in github.com/HuanVu201/
DichVuCong_KhoaLuan_PASETO) wraps the innerHTML of an element in
`<html xmlns:x=...><head><!--[if gte mso 9]>...<![endif]--></head><body><table border="1">...`,
UTF-8 without a meta charset (a BOM only on the IE path). When the element is a <div>, its title
table and data table arrive nested in that outer <table>; Excel shows them one under the other,
so every table is read, stacked in document order, with headings and paragraphs outside the
tables (titles other exporters write as <h3>/<p>) as rows of their own. Cells follow Excel's reading: the text of a
rowspan/colspan sits in the top-left cell of the span, the covered cells stay empty; <br> is a line
break, other whitespace collapses, numbers and dates stay text.

The parse is streamed (lxml iterparse, rows freed as read): memory follows the rows kept, not the
markup. Spans are counted, never allocated, and a row may not reach past limits.MAX_COLUMNS.
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

_BREAK = "\ue000"              # stands for <br> while source whitespace is collapsed
_SPACES = re.compile(r"\s+")
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_TEXT_BLOCKS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "caption")
_BLOCKS = _TEXT_BLOCKS + ("div", "li", "ul", "ol")
_LAST_TABLE_TAG = re.compile(rb"<\s*(/?)\s*(table|tr|td|th)\b", re.IGNORECASE)


def read_html_grids(data: bytes, file_name: str) -> list[Grid]:
    """The rows of every table of an HTML export, stacked as Excel shows them, as one grid."""
    body, encoding = _encoding(data, file_name)
    _check_complete(data, file_name)
    try:
        rows = _read_rows(body, encoding, file_name)
    except IngestError:
        raise
    except (etree.LxmlError, ValueError, RecursionError) as exc:
        raise _corrupt(file_name) from exc
    if rows is None:
        raise IngestError("tệp là một trang web (HTML) mang đuôi Excel nhưng không chứa bảng dữ liệu "
                          "nào (có thể là trang đăng nhập hoặc trang báo lỗi được lưu thay cho tệp "
                          "xuất). Hãy đăng nhập hệ thống một cửa, xuất lại danh sách hồ sơ ra Excel rồi "
                          "tải tệp đó lên.", file_name)
    width = max((max(row) + 1 for row in rows if row), default=0)
    table = pa.table({f"c{j}": pa.array([row.get(j) for row in rows], pa.string()) for j in range(width)})
    numbers = pa.array(range(1, len(rows) + 1), pa.int32())
    return [Grid(table, numbers, top=top_rows(table))]


def _encoding(data: bytes, file_name: str) -> tuple[bytes, str]:
    """The markup without its BOM and its encoding, checked: the BOM first, then a declared meta
    charset, else UTF-8 (what the Tân Dân exporter writes). UTF-8 is checked piece by piece, so a
    big file is not held twice; other encodings (rare, older systems) are converted to UTF-8."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                       (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            data, declared = data[len(bom):], codec
            break
    else:
        match = _META_CHARSET.search(data[:4096])
        declared = match.group(1).decode("ascii").lower() if match else "utf-8"
    try:
        declared = codecs.lookup(declared).name
    except LookupError:
        declared = "utf-8"
    try:
        if declared == "utf-8":
            decoder = codecs.getincrementaldecoder("utf-8")()
            for start in range(0, len(data), 1 << 20):
                decoder.decode(data[start: start + (1 << 20)])
            decoder.decode(b"", final=True)
            return data, "utf-8"
        return data.decode(declared).encode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        raise IngestError(f"tệp trang web (HTML) không đúng bảng mã {declared.upper()} nên tiếng Việt "
                          "sẽ bị lỗi. Hãy mở tệp bằng Excel, lưu lại dạng «Excel Workbook (.xlsx)» rồi "
                          "tải lại.", file_name) from exc


def _check_complete(data: bytes, file_name: str) -> None:
    """The HTML parser mends a cut file silently: refuse one whose last table is never closed."""
    last = None
    for last in _LAST_TABLE_TAG.finditer(data, max(0, len(data) - (1 << 20))):
        pass
    if last is not None and not (last.group(1) and last.group(2).lower() == b"table"):
        raise _corrupt(file_name)


def _corrupt(file_name: str) -> IngestError:
    return IngestError("tệp hỏng: bảng trong tệp trang web (HTML) bị cắt ngang hoặc sai cấu trúc (có thể "
                       "tải về bị ngắt giữa chừng). Hãy xuất lại tệp từ hệ thống một cửa.", file_name)


def _read_rows(markup: bytes, encoding: str, file_name: str) -> list[dict[int, str]] | None:
    """Rows as {column index: text} in document order; None when the page holds no table."""
    rows: list[dict[int, str]] = []
    spans: list[dict[int, int]] = []       # per open table: column -> rows still covered from above
    tables = 0
    parser = etree.iterparse(io.BytesIO(markup), events=("start", "end"), html=True, encoding=encoding,
                             no_network=True, huge_tree=False, remove_comments=True, remove_pis=True,
                             tag=("table", "tr") + _TEXT_BLOCKS)
    for event, element in parser:
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if event == "start":
            if tag == "table":
                spans.append({})
                tables += 1
            continue
        if tag == "table":
            if spans:
                spans.pop()
        elif tag == "tr":
            if not spans:
                spans.append({})
            rows.append(_row(element, spans[-1], file_name))
            element.clear(keep_tail=True)
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]                      # rows already read
            check_rows(len(rows), "bảng HTML", file_name)
        elif next(element.iterancestors("td", "th"), None) is None:
            # A heading or paragraph outside the tables (a report title, "Từ ngày … đến ngày …"):
            # Excel shows it as a row of its own, in column A.
            text = _cell_text(element)
            if text:
                rows.append({0: text})
            element.clear(keep_tail=True)
    # The HTML parser mends what it can and stops silently at its safety limits (nesting deeper
    # than 256, a text over 10 MB): those stops are fatal errors in its log.
    if any(error.level_name == "FATAL" for error in parser.error_log):
        raise _corrupt(file_name)
    return rows if tables else None


def _span(value: str | None, cap: int) -> int:
    if value is None:
        return 1
    try:
        return max(1, min(int(str(value).strip()), cap))
    except (TypeError, ValueError):
        return 1


def _row(tr, covered: dict[int, int], file_name: str) -> dict[int, str]:
    """One <tr> placed as Excel places it: skip columns a rowspan above still covers."""
    cells: dict[int, str] = {}
    below: dict[int, int] = {}
    column = 0
    for cell in tr:
        if not isinstance(cell.tag, str) or cell.tag.lower() not in ("td", "th"):
            continue
        while column in covered:
            column += 1
        if column >= limits.MAX_COLUMNS:
            raise IngestError(f"bảng trong tệp có hơn {format_number(limits.MAX_COLUMNS)} cột, vượt giới "
                              "hạn. Hãy xuất lại chỉ các cột của danh sách hồ sơ.", file_name)
        text = _cell_text(cell)
        if text:
            cells[column] = text
        width = _span(cell.get("colspan"), limits.MAX_COLUMNS - column)
        height = _span(cell.get("rowspan"), limits.MAX_ROWS)
        if height > 1:
            for j in range(column, column + width):
                below[j] = height - 1
        column += width
    for j in list(covered):
        covered[j] -= 1
        if not covered[j]:
            del covered[j]
    covered.update(below)
    return cells


def _cell_text(cell) -> str | None:
    """Text as Excel shows it: entities decoded, <br> a line break, other whitespace collapsed."""
    if not len(cell):                              # plain text, most cells
        return " ".join((cell.text or "").split()) or None
    for inner in list(cell.iter("table", "script", "style")):
        if inner is not cell:                      # a nested table's rows were read on their own
            _drop_keeping_tail(inner, _BREAK if inner.tag == "table" else "")
    for br in cell.iter("br"):
        br.tail = _BREAK + (br.tail or "")
    for block in cell.iter(_BLOCKS):
        if block is not cell:                      # <p>, <div>… inside a cell: lines of their own
            block.text = _BREAK + (block.text or "")
            block.tail = _BREAK + (block.tail or "")
    text = _SPACES.sub(" ", "".join(cell.itertext()))
    lines = [line.strip() for line in text.split(_BREAK)]
    return "\n".join(line for line in lines if line) or None


def _drop_keeping_tail(element, separator: str) -> None:
    """Remove an element but not the text that follows it (lxml's remove() takes the tail too)."""
    parent, previous, tail = element.getparent(), element.getprevious(), separator + (element.tail or "")
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(element)

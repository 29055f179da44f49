"""Reading CSV text (UTF-8 with or without BOM, UTF-16) into a text grid."""
from __future__ import annotations

import codecs
import csv
import io

import pyarrow as pa

from . import limits
from .grid import Grid, top_rows
from .header import find_header
from ..errors import IngestError
from ..formatting import format_number

# Text encodings told by their byte-order mark; UTF-32's before UTF-16's, which it starts with.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def read_csv_grids(data: bytes, file_name: str):
    """UTF-8 (with or without BOM), UTF-16 or UTF-32 text (with BOM); delimiter chosen by the header
    it yields."""
    codec = next((codec for bom, codec in _BOMS if data.startswith(bom)), "utf-8-sig")
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise IngestError("tệp CSV không ở bảng mã UTF-8 nên tiếng Việt sẽ bị lỗi. Hãy mở tệp bằng "
                          "Excel và lưu lại dạng «CSV UTF-8 (Comma delimited)» rồi tải lại.",
                          file_name) from exc
    if not text.strip():
        raise IngestError("tệp trống, không có dòng nào. Hãy xuất lại tệp từ hệ thống một cửa.", file_name)
    head = text[:65536].splitlines()[:limits.HEADER_SEARCH_ROWS]
    scored = []
    for delimiter in (";", ",", "\t"):
        top = [[c or None for c in row] for row in csv.reader(head, delimiter=delimiter)]
        found = find_header(top, None)
        scored.append((found[0] if found else 0, head[0].count(delimiter) if head else 0, delimiter))
    delimiter = max(scored)[2]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, row_numbers = [], []
    try:
        for row in reader:
            rows.append(row)
            row_numbers.append(reader.line_num)
            if len(rows) > limits.MAX_ROWS + limits.HEADER_SEARCH_ROWS:
                raise IngestError(f"tệp có hơn {format_number(limits.MAX_ROWS)} dòng, vượt giới hạn. Hãy "
                                  "xuất theo từng tháng hoặc quý.", file_name)
    except csv.Error as exc:      # a quote never closed: the field runs past the csv field limit
        start = (row_numbers[-1] if row_numbers else 0) + 1
        raise IngestError(f"tệp CSV có dấu ngoặc kép (\") mở mà không đóng, ở dòng {format_number(start)}"
                          " hoặc ngay sau đó: phần còn lại của tệp bị đọc thành một ô. Hãy mở tệp bằng "
                          "Excel hoặc trình soạn thảo, sửa dấu ngoặc kép ở dòng đó rồi tải lại.",
                          file_name) from exc
    width = max(len(r) for r in rows)
    if width > limits.MAX_COLUMNS:   # one line of commas would make a table of width x rows cells
        raise IngestError(f"tệp CSV có dòng hơn {format_number(limits.MAX_COLUMNS)} cột, vượt giới hạn. Hãy "
                          "xuất lại chỉ các cột của danh sách hồ sơ.", file_name)
    columns = {f"c{i}": pa.array([(r[i] or None) if i < len(r) else None for r in rows], pa.string())
               for i in range(width)}
    table = pa.table(columns)
    # line_num is the physical line a record ends on (records may hold quoted line breaks).
    return [Grid(table, pa.array(row_numbers, pa.int32()), delimiter=delimiter, top=top_rows(table),
                 field_counts=[len(r) for r in rows])]

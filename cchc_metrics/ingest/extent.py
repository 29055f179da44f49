"""The real extent of an .xlsx worksheet, from its XML, before a grid reader sizes a grid by it.

calamine (inside fastexcel) allocates one cell for every position between the smallest and the
largest row and column its cells name: one value in XFD1048576 asks for 512 GB and aborts the
process, which no `except` can catch. So the rows and columns the cells really name are measured
first, and a sheet whose grid would be far larger than its XML could fill is refused
(`check_extent`).

The XML is measured while the zip check inflates it anyway (safety.py). Measuring every cell
reference in Python costs ~0.5 s per 100,000 rows, so a block of XML is first tested in one pass of
RE2 (pyarrow; ~0.08 s for 100,000 rows of 20 columns): "is there a row or cell tag in an unusual
form, a row outside the block's first..last row, or a column beyond the widest seen so far?". Only a
block where the answer is yes (a hostile file, or a cell to the right of the header) is read
reference by reference, numbering cells without a reference the way calamine does (the next row,
the next column).
"""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import limits
from ..formatting import format_number

# Opening tags of rows and cells, and their r="..." attribute (either quote).
_TAG = re.compile(rb"<(?:[\w.-]+:)?(row|c)(?=[\s/>])([^>]*)>")
_REF_ATTR = re.compile(rb"""\s(?:[\w.-]+:)?r\s*=\s*(["'])([^"']*)\1""")
_REF = re.compile(rb"([A-Z]*)(\d+)")
_EXACT_HEAD_BYTES = 1 << 16   # the first XML of a sheet, read reference by reference
_ROW_NUMBER = re.compile(rb'<(?:[\w.-]+:)?row\sr="(\d+)"')
# What a writer (Excel, openpyxl, xlsxwriter...) never writes in a row or cell tag: anything but
# ' r="' right after the tag name, a reference other than 1-3 capital letters + 1-7 digits without
# leading zero, a second r attribute (calamine takes the last one). RE2 syntax (no look-ahead);
# every alternative starts at the tag's '<', which RE2 finds with memchr: 1.5x faster than testing
# every ' r="' on its own.
_ANY_TAG = r"<([\w.-]+:)?(c|row)[\s/>]"
_UNUSUAL_REF = r'([^A-Z1-9]|[A-Z]{4}|[A-Z]*0|[A-Z]*[0-9]{8}|[A-Z]*[0-9]+[^"0-9]|[A-Z]+[^A-Z0-9])'


@dataclass
class Extent:
    """First and last row, last column (1-based) named by a sheet's cells; the bytes of XML (or
    BIFF records) that name them."""

    first_row: int = 0
    last_row: int = 0
    last_column: int = 0
    content_bytes: int = 0

    def grid_cells(self) -> int:
        """Cells a grid reader allocates for this sheet (column A onwards, to be safe)."""
        return (self.last_row - self.first_row + 1) * self.last_column if self.last_row else 0


class FarCellsError(Exception):
    """A sheet names cells beyond what its content could fill (the Vietnamese text says where)."""


class ExtentScan:
    """Feed a sheet's XML block by block (tags may straddle blocks); `extent` after the last."""

    def __init__(self) -> None:
        self.extent = Extent()
        self._carry = b""
        self._row = 0          # calamine's current row and column, for cells without a reference
        self._column = 0

    def feed(self, block: bytes) -> None:
        self.extent.content_bytes += len(block)
        block = memoryview(block)
        start = bytes(block[:4096]).find(b"<") if self._carry else 0
        if start < 0:                       # a tag longer than 4 KB: only ever in a hostile file
            start = len(block)
        cut = bytes(block[-4096:]).rfind(b"<")
        cut = len(block) - min(len(block), 4096) + cut if cut >= 0 else len(block)
        cut = max(cut, start)
        if self._carry or start:            # the tag straddling the previous block and this one
            self._scan(self._carry + bytes(block[:start]))
        self._carry = bytes(block[cut:])
        if not self.extent.last_column and cut - start > _EXACT_HEAD_BYTES:
            head = start + bytes(block[start: start + _EXACT_HEAD_BYTES]).rfind(b"<")
            self._scan(block[start:head])   # the first rows reference by reference: the width
            start = head
        if cut > start:
            self._scan(block[start:cut])

    def finish(self) -> Extent:
        if self._carry:
            self._scan(self._carry)
            self._carry = b""
        return self.extent

    def _scan(self, text) -> None:
        # Rows ascend: the block spans from the row in force when it starts (or its first row
        # tag) to its last row tag, unless the RE2 pass finds otherwise.
        first = self._row or int(next(iter(_ROW_NUMBER.findall(text[:4096])), 0))
        last = _ROW_NUMBER.findall(text[-4096:])
        if not (first and last) and not _matches(text, _ANY_TAG):
            return                          # no row or cell here (shared strings, styles...)
        if self.extent.last_column and first and last and not _unusual(
                text, first, int(last[-1]), self.extent.last_column):
            self._widen(first, 0)
            self._row, self._column = int(last[-1]), self.extent.last_column
            self._widen(self._row, 0)
            return
        for tag in _TAG.finditer(text):
            refs = [_REF.fullmatch(value) for _, value in _REF_ATTR.findall(tag.group(2))]
            for ref in refs[:-1]:           # calamine takes the last of several: all are counted
                if ref:
                    self._widen(int(ref.group(2)), _column_number(ref.group(1)) if ref.group(1) else 0)
            ref = refs[-1] if refs else None
            if tag.group(1) == b"row":
                self._row = int(ref.group(2)) if ref and not ref.group(1) else self._row + 1
                self._column = 0
            elif ref:
                self._row, self._column = int(ref.group(2)), _column_number(ref.group(1))
            else:
                self._column += 1
            self._widen(self._row, self._column)

    def _widen(self, row: int, column: int) -> None:
        if row:
            _widen(self.extent, row, column)
        else:
            self.extent.last_column = max(self.extent.last_column, column)


def _unusual(text: bytes, first_row: int, last_row: int, last_column: int) -> bool:
    """One RE2 pass: does `text` hold a row or cell tag in an unusual form, a row outside
    first_row..last_row or a column beyond last_column?"""
    below = f"|[A-Z]*({_below(first_row)})\"" if first_row > 1 else ""
    far = f'{_UNUSUAL_REF}|({_letters_above(last_column)})[0-9]|[A-Z]*({_above(last_row)})"{below}'
    pattern = (r'<([\w.-]+:)?(c|row)([>/\t\r\n]| [^r]| r[^=]| r=[^"]'
               rf'| r="({far})| r="[A-Z]*[0-9]+"[^>]*\sr\s*=)')
    return _matches(text, pattern)


def _matches(text, pattern: str) -> bool:
    """Whether RE2 finds `pattern` in `text` (bytes or a memoryview, not copied)."""
    offsets = pa.py_buffer(np.array([0, len(text)], np.int64))
    one = pa.LargeBinaryArray.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(text)])
    return pc.match_substring_regex(one, pattern)[0].as_py()


def _above(number: int) -> str:
    """RE2 alternatives matching the decimal integers (no leading zero) greater than `number`."""
    digits = str(number)
    options = [rf"[1-9][0-9]{{{len(digits)},}}"]
    for i, digit in enumerate(digits):
        if digit != "9":
            options.append(digits[:i] + f"[{int(digit) + 1}-9]" + f"[0-9]{{{len(digits) - i - 1}}}")
    return "|".join(options)


def _below(number: int) -> str:
    """RE2 alternatives matching the decimal integers (no leading zero, >= 1) less than `number`."""
    digits = str(number)
    options = [rf"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(digit) > low:
            options.append(digits[:i] + f"[{low}-{int(digit) - 1}]" + f"[0-9]{{{len(digits) - i - 1}}}")
    return "|".join(options)


def _letters_above(column: int) -> str:
    """RE2 alternatives matching the column letters after column number `column` (<= 702: ZZ)."""
    options = ["[A-Z]{3}"]
    name = column_letters(column)
    if len(name) == 1:
        options.append("[A-Z]{2}")
        if name != "Z":
            options.append(f"[{chr(ord(name) + 1)}-Z]")
    else:
        if name[0] != "Z":
            options.append(f"[{chr(ord(name[0]) + 1)}-Z][A-Z]")
        if name[1] != "Z":
            options.append(f"{name[0]}[{chr(ord(name[1]) + 1)}-Z]")
    return "|".join(options)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def check_extent(extent: Extent) -> None:
    """Raise FarCellsError when the grid a reader would allocate is beyond the limits or far
    larger than the sheet's XML could fill (limits.XML_BYTES_PER_GRID_CELL)."""
    allowed = max(limits.MIN_GRID_CELLS, extent.content_bytes // limits.XML_BYTES_PER_GRID_CELL)
    column = (column_letters(extent.last_column) if extent.last_column <= limits.EXCEL_MAX_COLUMN
              else f"sau cột {column_letters(limits.EXCEL_MAX_COLUMN)} (cột cuối của Excel)")
    where = f"ô xa nhất ở dòng {format_number(extent.last_row)}, cột {column}"
    fix = (" Thường đó là một ô bị gõ nhầm ở xa vùng dữ liệu: hãy mở tệp bằng Excel, xóa các dòng, "
           "cột thừa ở ngoài bảng (hoặc chép bảng sang một trang mới) rồi tải lại.")
    if extent.last_column > limits.MAX_COLUMNS:
        raise FarCellsError(f"có ô ở ngoài {limits.MAX_COLUMNS} cột đầu tiên ({where})." + fix)
    if extent.last_row > limits.EXCEL_MAX_ROW:
        raise FarCellsError(f"có ô ở dòng vượt quá giới hạn của Excel ({where})." + fix)
    if extent.grid_cells() > allowed:
        raise FarCellsError(f"có ô nằm cách xa vùng dữ liệu ({where}), nên bảng tính khai báo lớn hơn "
                            "rất nhiều so với nội dung thật." + fix)


# Legacy .xls (BIFF): calamine reads every sheet of the workbook when it is opened, sizing each
# grid from the sheet's DIMENSIONS record and the row and column of its cell records (16 bits
# each, so up to 65,536 x 65,536 cells from one 14-byte record).
_BIFF_SHEET_START, _BIFF_GLOBALS, _BIFF_END, _BIFF_DIMENSIONS = 0x0809, 0x0005, 0x000A, 0x0200
_BIFF_CELLS = {0x0006, 0x00D6, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E}   # row, column first
_BIFF_MULTIPLE = {0x00BD, 0x00BE}     # MULRK, MULBLANK: row, first column, ..., last column


def biff_extents(stream: bytes) -> list[Extent]:
    """The extent of each sheet of a BIFF workbook stream: what its DIMENSIONS record declares
    and what its cell records name, whichever is larger, and the bytes of its records."""
    extents, sheet, position = [], None, 0
    unpack = struct.unpack_from
    while position + 4 <= len(stream):
        kind, size = unpack("<HH", stream, position)
        body, position = position + 4, position + 4 + size
        if kind == _BIFF_SHEET_START:      # its second field says what follows: 5 = the globals
            sheet = None if size >= 4 and unpack("<H", stream, body + 2)[0] == _BIFF_GLOBALS else Extent()
            if sheet is not None:
                extents.append(sheet)
            sheet_start = body
        elif sheet is None:
            continue
        elif kind in _BIFF_CELLS and size >= 4:
            row, column = unpack("<HH", stream, body)
            _widen(sheet, row + 1, column + 1)
        elif kind in _BIFF_MULTIPLE and size >= 6:
            row, _ = unpack("<HH", stream, body)
            _widen(sheet, row + 1, unpack("<H", stream, body + size - 2)[0] + 1)
        elif kind == _BIFF_DIMENSIONS and size >= 10:
            first_row, last_row, first_column, last_column = (
                unpack("<IIHH", stream, body) if size >= 14 else unpack("<HHHH", stream, body))
            if last_row and last_column:
                _widen(sheet, first_row + 1, last_column)
                _widen(sheet, last_row, last_column)
        elif kind == _BIFF_END:
            sheet.content_bytes = position - sheet_start
            sheet = None
    if sheet is not None:
        sheet.content_bytes = len(stream) - sheet_start
    return extents


def _widen(extent: Extent, row: int, column: int) -> None:
    extent.first_row = min(extent.first_row or row, row)
    extent.last_row = max(extent.last_row, row)
    extent.last_column = max(extent.last_column, column)

"""Reading one-stop exports of any vendor layout into a table of text columns.

The format is detected from the content (zip / OLE2 / text), never from the file name. Hostile
files are refused before any parsing: size, zip-bomb (declared sizes and compression ratios, then
every part inflated into nothing to prove it is no bigger than declared), encrypted workbooks. Excel files are read by fastexcel straight to Arrow with every cell
as text (identifiers keep their leading zeros, real Excel dates arrive as ISO text); nothing is
evaluated (cached formula values only) and no macro runs. Values are typed later, in DuckDB.
"""
from __future__ import annotations

import contextlib
import csv
import html
import io
import itertools
import mmap
import os
import queue
import re
import shutil
import struct
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

import fastexcel
import numpy as np
import pyarrow as pa
from isal import isal_zlib

from .errors import IngestError
from .formatting import format_number
from .normalize import field_for_header, fold, is_personal
from .schema import FIELD_BY_NAME

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 3 * 1024 * 1024 * 1024   # a 2M-row sheet of inline strings is ~2.4 GB of XML
MAX_COMPRESSION_RATIO = 100                        # real sheets compress 5-20x; zeros compress 1000x
INFLATE_BLOCK = 1 << 16                            # compressed bytes inflated per step of the check
MAX_ROWS = 2_000_000
HEADER_SEARCH_ROWS = 25
MAX_SHEETS_TRIED = 3
CONFIDENT_HEADER_SCORE = 4    # fields recognised on a sheet before the next sheets are not tried
# fastexcel holds every cell of a sheet (~2 GB for a million 20-column rows): sheets with more XML
# than PIECED_SHEET_BYTES (~200,000 rows) are cut into pieces of PIECE_XML_BYTES (complete one-sheet
# workbooks, each with only the shared strings it uses), read on READ_THREADS threads (fastexcel
# releases the GIL), at most READ_THREADS pieces at once. Smaller sheets are read whole: cutting
# costs more than two threads gain on them (measured: 100,000 rows, 1.1 s in two pieces, 0.9 s whole).
PIECED_SHEET_BYTES = 256 * 2**20
PIECE_XML_BYTES = 32 * 2**20
READ_THREADS = 2
ROW_COLUMN = "__source_row"   # Excel row number of each data row, kept beside the source columns

REQUIRED_HELP = ("mã hồ sơ, ngày tiếp nhận, đơn vị xử lý (hoặc chọn đơn vị cho cả tệp) và thủ tục "
                 "(mã hoặc tên thủ tục)")

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_DATE_OR_NUMBER = re.compile(r"^\s*(\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}.*|[\d.,]+)\s*$")
_PERIOD = re.compile(r"tu(?:\s+ngay)?\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
                     r".{0,40}?den(?:\s+ngay)?\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


@dataclass
class RawExport:
    """An export as read: source headers, detected mapping, data rows as Arrow text columns."""

    file_name: str
    file_format: str                  # xlsx | xls | csv
    sheet: str | None
    headers: list[str]                # display headers, unique, in source order
    header_rows: list[int]            # Excel row numbers of the header (two for a merged header)
    mapping: dict[str, str]           # canonical field -> source header
    personal_headers: list[str]       # dropped, never stored
    table: pa.Table                   # ROW_COLUMN + one text column per header
    period_start: date | None = None
    period_end: date | None = None
    delimiter: str | None = None
    # Rows after `table` (sheets read in pieces): tables of ROW_COLUMN + the mapped columns, read
    # as they are taken, so a million rows are never all in memory. Close it when not taken.
    more: Iterator[pa.Table] = field(default_factory=lambda: (t for t in ()))

    @property
    def layout(self) -> dict:
        layout = {"format": self.file_format, "header_rows": self.header_rows,
                  "first_data_row": self.header_rows[-1] + 1}
        if self.sheet is not None:
            layout["sheet"] = self.sheet
        if self.delimiter is not None:
            layout["delimiter"] = self.delimiter
        return layout

    @property
    def missing_required(self) -> list[str]:
        """Canonical fields the mapping lacks: dossier id, received date, a procedure, a unit."""
        missing = [name for name in ("dossier_id", "received_at") if name not in self.mapping]
        if "procedure_code" not in self.mapping and "procedure_name" not in self.mapping:
            missing.append("procedure_name")
        if "unit" not in self.mapping:
            missing.append("unit")
        return missing


@dataclass
class _Grid:
    """Cells of one sheet as text columns, and the row number Excel shows for each row."""

    table: pa.Table
    row_numbers: pa.Array
    sheet: str | None = None
    delimiter: str | None = None
    top: list[list[str | None]] = field(default_factory=list)
    rest: Iterator[tuple[pa.Table, int]] | None = None   # pieces of a big sheet not read yet
    columns: dict = field(default_factory=dict)          # "wanted": columns the rest should read

    def row_number(self, index: int) -> int:
        return self.row_numbers[index].as_py()


def read_export(data: bytes, file_name: str, *, mapping: dict | None = None) -> RawExport:
    """Read any supported export: detect format and header, map columns, keep rows as text."""
    file_format = detect_format(data, file_name)
    grids = _read_csv(data, file_name) if file_format == "csv" else _read_excel(data, file_name, file_format)
    best, seen = None, []
    for grid in grids:
        seen += [c for row in grid.top for c in row if c]
        found = _find_header(grid.top, mapping)
        if found and (best is None or found[0] > best[1][0]):
            best = (grid, found)
        if found and found[0] >= CONFIDENT_HEADER_SCORE:
            break
    if best is None and not seen:
        raise IngestError("tệp trống, không có ô dữ liệu nào. Hãy xuất lại tệp từ hệ thống một cửa.",
                          file_name)
    if best is None:
        raise IngestError(
            "không tìm thấy dòng tiêu đề cột nào nhận ra được trong 25 dòng đầu. Các ô tìm thấy: "
            + ", ".join(f"«{c}»" for c in seen[:30])
            + f". Tệp cần có các cột: {REQUIRED_HELP}. Hãy kiểm tra lại tệp xuất hoặc chỉ rõ "
            "cột nào ứng với trường nào (ánh xạ cột).", file_name)
    grid, (_, header_index, header_count, headers) = best
    return _build_export(grid, file_name, file_format, header_index, header_count, headers, mapping)


def detect_format(data: bytes, file_name: str) -> str:
    """xlsx / xls / csv from the content; refuses empty, oversized, encrypted and foreign files."""
    if not data:
        raise IngestError("tệp trống (0 byte). Hãy xuất lại tệp từ hệ thống một cửa.", file_name)
    if len(data) > MAX_FILE_BYTES:
        raise IngestError(f"tệp quá lớn ({format_number(len(data) / 2**20)} MB, tối đa "
                          f"{format_number(MAX_FILE_BYTES / 2**20)} MB)."
                          " Hãy xuất theo từng tháng hoặc từng quý.", file_name)
    if data.startswith(_OLE2_MAGIC):
        if _ENCRYPTED_STREAM in data:
            raise IngestError("tệp Excel được đặt mật khẩu nên không đọc được. Hãy mở tệp bằng Excel,"
                              " gỡ mật khẩu (Tệp > Thông tin > Bảo vệ sổ làm việc) rồi tải lại.", file_name)
        return "xls"
    if data.startswith(_ZIP_MAGIC):
        _check_zip(data, file_name)
        return "xlsx"
    head = data[:4096]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError("đây không phải tệp Excel (.xlsx, .xls) hay CSV. Hãy xuất dữ liệu từ hệ "
                          "thống một cửa ra Excel rồi tải tệp đó lên.", file_name)
    if re.search(rb"<\s*(html|table)\b", head[:2048], re.IGNORECASE):
        raise IngestError("tệp là trang HTML mang đuôi Excel, không phải bảng tính thật. Hãy mở tệp "
                          "bằng Excel và lưu lại dạng «Excel Workbook (.xlsx)» rồi tải lại.", file_name)
    return "csv"


def _check_zip(data: bytes, file_name: str) -> None:
    """Refuse corrupt / non-Excel zips and zip bombs from the central directory alone."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.infolist()
    except zipfile.BadZipFile as exc:
        raise IngestError("tệp Excel bị hỏng hoặc không đầy đủ (có thể tải về bị ngắt giữa chừng). "
                          "Hãy xuất lại tệp từ hệ thống một cửa.", file_name) from exc
    if not any(m.filename == "xl/workbook.xml" for m in members):
        raise IngestError("tệp nén này không phải bảng tính Excel (.xlsx). Hãy tải lên tệp Excel "
                          "hoặc CSV xuất từ hệ thống một cửa.", file_name)
    total = sum(m.file_size for m in members)
    suspicious = [m for m in members if m.file_size > 2**20
                  and m.file_size > MAX_COMPRESSION_RATIO * max(m.compress_size, 1)]
    if total > MAX_UNCOMPRESSED_BYTES or suspicious:
        raise IngestError(f"tệp Excel khi giải nén quá lớn ({format_number(total / 2**20)} MB) hoặc "
                          "nén bất thường, có thể là tệp độc hại nên đã bị từ chối. Hãy xuất lại tệp "
                          "từ hệ thống một cửa, chia nhỏ theo tháng nếu cần.", file_name)
    for member in members:
        inflated = _inflated_size(data, member)
        if inflated is None:
            raise IngestError("tệp Excel bị hỏng hoặc không đầy đủ (có thể tải về bị ngắt giữa chừng). "
                              "Hãy xuất lại tệp từ hệ thống một cửa.", file_name)
        if inflated != member.file_size:
            raise IngestError("tệp Excel khai sai kích thước các phần nén bên trong (giải nén ra lớn hơn "
                              "khai báo), có thể là tệp độc hại nên đã bị từ chối. Hãy xuất lại tệp từ "
                              "hệ thống một cửa.", file_name)


def _inflated_size(data: bytes, member: zipfile.ZipInfo) -> int | None:
    """Bytes a zip part really inflates to, counting no further than one byte past its declared
    size; None when the part is unreadable (broken header, unknown method, corrupt stream).

    The checks above trust the sizes the zip declares, and fastexcel does not: it inflates a part
    to its end whatever the zip says, so a part that lies would unpack to gigabytes. Inflating
    into nothing (ISA-L: ~30 ms for a 100,000-row export) bounds both time and memory.
    """
    stream = _stored_bytes(data, member)
    if stream is None:
        return None
    if member.compress_type == zipfile.ZIP_STORED:
        return len(stream)
    if member.compress_type != zipfile.ZIP_DEFLATED:
        return None
    inflater, size = isal_zlib.decompressobj(-15), 0
    try:
        for offset in range(0, len(stream), INFLATE_BLOCK):
            # At most one byte past the declared size: enough to know it lies.
            size += len(inflater.decompress(stream[offset: offset + INFLATE_BLOCK],
                                            member.file_size - size + 1))
            if size > member.file_size:
                return size
    except isal_zlib.error:
        return None
    return size if inflater.eof else None


def _stored_bytes(data: bytes, member: zipfile.ZipInfo) -> memoryview | None:
    """The bytes of a zip part as stored (compressed), found through its local header; None when
    that header is broken, the part is cut short or encrypted."""
    start = member.header_offset
    if member.flag_bits & 1 or len(data) < start + 30 or not data.startswith(_ZIP_MAGIC, start):
        return None
    name_length, extra_length = struct.unpack_from("<HH", data, start + 26)
    start += 30 + name_length + extra_length
    stream = memoryview(data)[start: start + member.compress_size]
    return stream if len(stream) == member.compress_size else None


# --- Excel --------------------------------------------------------------------------------

def _read_excel(data: bytes, file_name: str, file_format: str):
    """Yield a text grid per sheet (first sheets first), loaded lazily one at a time."""
    zf = zipfile.ZipFile(io.BytesIO(data)) if file_format == "xlsx" else None
    # A workbook whose first sheet is read in pieces is not opened whole: opening parses the
    # shared strings, which every piece parses again anyway.
    names = _big_first_sheet_names(zf) if zf else None
    reader = None
    if names is None:
        reader, names = _open_excel(data, file_name, file_format)
    if not names:
        raise IngestError("tệp Excel không có trang tính nào.", file_name)
    for index, name in enumerate(names[:MAX_SHEETS_TRIED]):
        path = _sheet_path(zf, index) if zf else None
        rest, columns = None, {}
        try:
            sheet_bytes = zf.getinfo(path).file_size if path else 0
            if sheet_bytes > PIECED_SHEET_BYTES:
                rest, pieces = _stream_pieces(data, zf, path, index, columns, file_name, name), []
                for piece in rest:              # the header search needs the first rows
                    pieces.append(piece)
                    if sum(t.num_rows for t, _ in pieces) >= HEADER_SEARCH_ROWS:
                        break
            else:
                first_row = _first_row_in(_xml_head(zf, path)) if path else _first_row_xls(data, index)
                if reader is None:
                    reader = _open_excel(data, file_name, file_format)[0]
                pieces = [_load_piece(reader, index, first_row)]
        except fastexcel.FastExcelError as exc:
            raise _corrupt(file_name, file_format) from exc
        table, row_numbers = _join_pieces(pieces)
        _check_rows(table.num_rows, name, file_name)
        yield _Grid(table, row_numbers, sheet=name, top=_top_rows(table), rest=rest, columns=columns)


def _check_rows(count: int, sheet: str, file_name: str) -> None:
    if count > MAX_ROWS:
        raise IngestError(f"trang «{sheet}» có từ {format_number(count)} dòng trở lên, vượt giới "
                          f"hạn {format_number(MAX_ROWS)} dòng. Hãy xuất theo từng tháng hoặc quý.",
                          file_name)


def _open_excel(data: bytes, file_name: str, file_format: str):
    try:
        reader = fastexcel.read_excel(data)
        return reader, reader.sheet_names
    except fastexcel.FastExcelError as exc:
        raise _corrupt(file_name, file_format) from exc


def _big_first_sheet_names(zf: zipfile.ZipFile) -> list[str] | None:
    """Sheet names from workbook.xml when the first sheet will be read in pieces, else None."""
    try:
        path = _sheet_path(zf, 0)
        if path is None or zf.getinfo(path).file_size <= PIECED_SHEET_BYTES:
            return None
        workbook = zf.read("xl/workbook.xml").decode("utf-8")
    except (KeyError, ValueError, zipfile.BadZipFile, OSError):
        return None
    tags = re.findall(r"<(?:\w+:)?sheet\b[^>]*>", workbook)
    names = [re.search(r'\bname="([^"]*)"', tag) for tag in tags]
    return [html.unescape(n.group(1)) for n in names] if names and all(names) else None


def _corrupt(file_name: str, file_format: str) -> IngestError:
    return IngestError(f"không đọc được tệp {file_format.upper()}: tệp bị hỏng, không đầy đủ hoặc "
                       "được đặt mật khẩu. Hãy mở thử bằng Excel; nếu mở được, lưu lại dạng .xlsx "
                       "(không mật khẩu) rồi tải lại, nếu không hãy xuất lại từ hệ thống một cửa.",
                       file_name)


def _top_rows(table: pa.Table) -> list[list[str | None]]:
    top = table.slice(0, HEADER_SEARCH_ROWS).to_pydict()
    columns = list(top.values())
    return [[col[i] for col in columns] for i in range(len(columns[0]) if columns else 0)]


def _load_piece(reader, index: int, first_row: int, columns: set[int] | None = None
                ) -> tuple[pa.Table, int]:
    """One sheet (or piece of it) as text columns named c<absolute column index>.

    fastexcel starts at the first non-empty row and column; the absolute column indexes keep the
    columns of separately read pieces aligned, `first_row` (from the XML) numbers the rows.
    `columns` (absolute indexes) limits the columns read, None reads all.
    """
    absolute: list[int] = []

    def keep(column) -> bool:
        if columns is not None and column.absolute_index not in columns:
            return False
        absolute.append(column.absolute_index)
        return True

    batch = reader.load_sheet(index, header_row=None, dtypes="string", eager=True, use_columns=keep)
    return pa.Table.from_batches([batch]).rename_columns([f"c{i}" for i in absolute]), first_row


def _stream_pieces(data: bytes, zf: zipfile.ZipFile, path: str, index: int, columns: dict,
                   file_name: str, sheet: str):
    """Yield the (table, first row) pieces of a big sheet in order.

    A thread of its own cuts the pieces and READ_THREADS threads read them, while the consumer
    (ingest) stores each piece in DuckDB before taking the next: cutting, reading and storing
    overlap. At most READ_THREADS + 1 pieces are cut ahead of the consumer, so memory stays
    bounded however big the sheet. Once the header is known, `columns["wanted"]` (absolute
    indexes) limits the columns later pieces read.
    """
    def load(head: bytes, piece: str) -> tuple[pa.Table, int]:
        try:
            return _load_piece(fastexcel.read_excel(piece), index, _first_row_in(head),
                               columns.get("wanted"))
        finally:
            os.remove(piece)

    def cut() -> None:
        try:
            for head, piece in _sheet_pieces(data, zf, path, folder):
                slots.acquire()
                if stop.is_set():
                    return
                read.put(pool.submit(load, head, piece))
        except BaseException as exc:      # handed to the consumer
            read.put(exc)
        finally:
            read.put(None)

    rows, read, slots, stop = 0, queue.Queue(), threading.Semaphore(READ_THREADS + 1), threading.Event()
    with tempfile.TemporaryDirectory(prefix="cchc-pieces-") as folder, \
            ThreadPoolExecutor(READ_THREADS) as pool:
        cutter = threading.Thread(target=cut, name="cchc-cut-pieces", daemon=True)
        cutter.start()
        try:
            while (item := read.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                table, first_row = item.result()
                slots.release()
                rows += table.num_rows
                _check_rows(rows, sheet, file_name)
                yield table, first_row
                del table                   # the consumer holds it now
        except (fastexcel.FastExcelError, zipfile.BadZipFile, isal_zlib.error) as exc:
            raise _corrupt(file_name, "xlsx") from exc
        finally:
            stop.set()
            slots.release(READ_THREADS + 1)
            cutter.join()
            while not read.empty():
                if isinstance(item := read.get(), Future):
                    item.cancel()


def _join_pieces(pieces: list[tuple[pa.Table, int]]) -> tuple[pa.Table, pa.Array]:
    """Concatenate pieces (columns aligned by absolute index) and number their rows."""
    tables = [t for t, _ in pieces]
    table = tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="default")
    table = table.select(sorted(table.column_names, key=lambda c: int(c[1:])))
    numbers = np.concatenate([np.arange(first, first + t.num_rows, dtype=np.int32) for t, first in pieces])
    return table, pa.array(numbers)


def _sheet_path(zf: zipfile.ZipFile, sheet_index: int) -> str | None:
    """Zip member of the n-th sheet, following workbook.xml and its relationships."""
    workbook = zf.read("xl/workbook.xml").decode("utf-8", "replace")
    rel_ids = re.findall(r"<(?:\w+:)?sheet\b[^>]*?\br:id=\"([^\"]+)\"", workbook)
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    targets = {}
    for tag in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", rels):
        rel_id, target = re.search(r'\bId="([^"]+)"', tag), re.search(r'\bTarget="([^"]+)"', tag)
        if rel_id and target:
            targets[rel_id.group(1)] = target.group(1)
    target = targets.get(rel_ids[sheet_index]) if sheet_index < len(rel_ids) else None
    if target is None:
        return None
    path = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return path if path in zf.namelist() else None


def _xml_head(zf: zipfile.ZipFile, path: str) -> bytes:
    with zf.open(path) as sheet_xml:
        return sheet_xml.read(1 << 20)


def _member_blocks(data: bytes, zf: zipfile.ZipFile, name: str):
    """Yield the uncompressed bytes of a zip part a block at a time, a deflated part inflated by
    ISA-L: 2-3x faster than zipfile's zlib on the hundreds of MB of a big sheet."""
    member = zf.getinfo(name)
    stream = _stored_bytes(data, member) if member.compress_type == zipfile.ZIP_DEFLATED else None
    if stream is None:
        with zf.open(member) as part:
            yield from iter(lambda: part.read(1 << 20), b"")
        return
    inflater, crc = isal_zlib.decompressobj(-15), 0
    for offset in range(0, len(stream), 1 << 18):
        block = inflater.decompress(stream[offset: offset + (1 << 18)])
        crc = isal_zlib.crc32(block, crc)
        yield block
    if not inflater.eof or crc != member.CRC:
        raise zipfile.BadZipFile(f"bad data in {name}")


def _first_row_in(xml: bytes) -> int:
    """Excel row number of the first row holding a value in (the beginning of) a sheet's XML."""
    head = xml[: 1 << 20].decode("utf-8", "replace")
    rows = re.finditer(r"<(?:\w+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)", head, re.DOTALL)
    for count, row in enumerate(rows, 1):
        if row.group(2) and re.search(r"<(?:\w+:)?v>[^<]|<(?:\w+:)?t(?:\s[^>]*)?>[^<]", row.group(2)):
            number = re.search(r'\br="(\d+)"', row.group(1))
            return int(number.group(1)) if number else count
    return 1


def _sheet_pieces(data: bytes, zf: zipfile.ZipFile, path: str, folder: str):
    """Yield (first rows' XML, workbook file) pieces of about PIECE_XML_BYTES of whole rows.

    Each piece is a complete worksheet (same head, no dimension) inside a copy of the workbook's
    other parts, stored uncompressed in a file in `folder`: fastexcel reads a file where it would
    copy bytes, so a piece in flight costs its parsed cells, not two more copies of its XML.
    The reader of a piece deletes its file.
    """
    piece_bytes = PIECE_XML_BYTES
    strings = _SharedStrings.of(data, zf, folder)
    template = io.BytesIO()
    with zipfile.ZipFile(template, "w") as out:
        for member in zf.namelist():
            if member != path and (strings is None or member != strings.path):
                out.writestr(member, zf.read(member))
    template = template.getvalue()
    blocks = _member_blocks(data, zf, path)
    with contextlib.closing(blocks), contextlib.ExitStack() as cleanup:
        if strings is not None:
            cleanup.callback(strings.close)
        buffer = b""
        while (start := re.search(rb"<((?:\w+:)?)sheetData\b[^>]*?(/?)>", buffer)) is None:
            block = next(blocks, b"")
            if not block:
                return
            buffer += block
        if start.group(2):
            return
        prefix = start.group(1)
        head = re.sub(rb"<(?:\w+:)?dimension\b[^>]*/>", b"", buffer[: start.end()])
        tail = b"</" + prefix + b"sheetData></" + prefix + b"worksheet>"
        row_end, data_end = b"</" + prefix + b"row>", b"</" + prefix + b"sheetData>"
        buffer = bytearray(buffer[start.end():])   # grows in place: no copies of a whole piece
        for number in itertools.count():
            if buffer is None:
                return
            while len(buffer) < piece_bytes and (block := next(blocks, b"")):
                buffer += block
            stop = buffer.find(data_end)
            cut = buffer.rfind(row_end, 0, piece_bytes)
            cut = buffer.find(row_end) if cut < 0 else cut
            if cut < 0 or 0 <= stop <= cut:      # the last rows (or a truncated sheet: calamine judges)
                rows, buffer = buffer[: stop if stop >= 0 else len(buffer)], None
            else:
                cut += len(row_end)
                rows = buffer[:cut]               # a copy, renumbered by write_used
                del buffer[:cut]
            if not rows or rows.isspace():
                continue
            piece = os.path.join(folder, f"piece{number}.xlsx")
            with open(piece, "wb") as file:
                file.write(template)
            with zipfile.ZipFile(piece, "a") as out:
                if strings is not None:
                    with out.open(strings.path, "w") as table:
                        strings.write_used(rows, table)
                with out.open(path, "w") as sheet:
                    sheet.write(head)
                    sheet.write(rows)
                    sheet.write(tail)
            yield bytes(rows[: 1 << 20]), piece
            del rows


_CELL_REF = np.frombuffer(b't="s"><v>', np.uint8)
_REF = re.compile(rb't="s"[^>]*><v>(\d+)</v>')


def _string_refs(rows) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None] | None:
    """(index, offset of its digits, number of digits) of every shared-string reference in
    `rows`; the offsets are None for cells in a form only a regular expression reads, and it is
    all None when any `t="s"` is not understood (its piece then keeps the whole table).

    Cells as Excel, LibreOffice and xlsxwriter write them (`t="s"><v>12</v>`) are found with
    numpy, several times faster than a regular expression over the hundreds of MB of a big sheet.
    """
    data = np.frombuffer(rows, np.uint8)
    at = np.flatnonzero(data[: max(len(data) - 4, 0)] == _CELL_REF[0])
    for k in range(1, 5):
        at = at[data[at + k] == _CELL_REF[k]]
    marked = len(at)                                   # every t="s"
    at = at[at < len(data) - 14]
    for k in range(5, len(_CELL_REF)):
        at = at[data[at + k] == _CELL_REF[k]]
    if len(at) != marked:                              # another form: a regular expression reads it
        found = _REF.findall(rows)
        if len(found) != marked:
            return None
        return np.fromiter(map(int, found), np.int64, len(found)), None, None
    position = at + len(_CELL_REF)
    refs, width = np.zeros(len(at), np.int64), np.zeros(len(at), np.int64)
    for _ in range(11):
        byte = data[np.minimum(position, len(data) - 1)]
        digit = (position < len(data)) & (byte >= ord("0")) & (byte <= ord("9"))
        if not digit.any():
            break
        refs[digit] = refs[digit] * 10 + (byte[digit] - ord("0"))
        width += digit
        position = np.where(digit, position + 1, len(data))   # past the digits: no more reading
    end = np.minimum(at + len(_CELL_REF) + width, len(data) - 4)
    closed = (width > 0) & (width <= 10)
    for k, byte in enumerate(b"</v>"):
        closed &= data[end + k] == byte
    return (refs, at + len(_CELL_REF), width) if closed.all() else None


class _SharedStrings:
    """The shared-strings table of a workbook, cut down per piece of a sheet.

    Every piece would otherwise parse (and hold, ~400 MB for a million rows) the whole table. A
    piece gets only the entries its cells reference (see write_used). The table waits in a file
    beside the pieces (145 MB for a million rows): memory holds only the offset of each entry.
    """

    def __init__(self, path: str, file, bounds: np.ndarray):
        self.path, self.file, self.bounds = path, file, bounds    # bounds[i]: offset of entry i

    @classmethod
    def of(cls, data: bytes, zf: zipfile.ZipFile, folder: str) -> "_SharedStrings | None":
        """The table, or None (no table, or a form this cutting does not handle)."""
        try:
            rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
        except KeyError:
            return None
        targets = [re.search(r'\bTarget="([^"]+)"', tag) for tag in re.findall(
            r"<(?:\w+:)?Relationship\b[^>]*/sharedStrings\"[^>]*>", rels)]
        if len(targets) != 1 or targets[0] is None:
            return None
        target = targets[0].group(1)
        path = target.lstrip("/") if target.startswith("/") else "xl/" + target
        if path not in zf.namelist():
            return None
        file = open(os.path.join(folder, "sharedStrings.xml"), "w+b")
        for block in _member_blocks(data, zf, path):
            file.write(block)
        file.flush()
        if file.tell() == 0:
            file.close()
            return None
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as xml:
            end = xml.rfind(b"</sst>")
            if end < 0 or xml.find(b"<si ") >= 0 or xml.find(b"<si/>") >= 0 or xml.find(b"<si>") < 0:
                file.close()
                return None
            starts, position = [], 0                  # entry offsets, a block of entries at a time
            while position >= 0:
                stop = xml.find(b"<si>", position + (16 << 20))
                parts = xml[position: stop if stop >= 0 else end].split(b"<si>")
                lengths = np.fromiter(map(len, parts), np.int64, len(parts))
                starts.append(position + np.cumsum(lengths[:-1]) + 4 * np.arange(len(parts) - 1))
                position = stop
        bounds = np.concatenate(starts + [np.array([end])])
        return cls(path, file, bounds.astype(np.int32) if end < 2**31 else bounds)

    def close(self) -> None:
        self.file.close()

    def _read(self, start: int, stop: int) -> bytes:
        self.file.seek(start)
        return self.file.read(stop - start)

    def write_used(self, rows: bytearray, sink) -> None:
        """Write to `sink` the table with only the entries referenced by the cells in `rows`.

        Cells in the usual form are renumbered in place to the entries kept, zero-padded to
        their width (`<v>0000012</v>`, which readers take as 12): a piece late in a big sheet
        then parses only its own strings, not millions of empty entries before them.
        """
        found = _string_refs(rows)
        count = len(self.bounds) - 1
        if found is None or len(found[0]) and found[0].max() >= count:   # broken: calamine judges
            self.file.seek(0)
            shutil.copyfileobj(self.file, sink, 16 << 20)
            return
        refs, digits, width = found
        used, dense = np.unique(refs, return_inverse=True)
        if digits is not None:
            cells = np.frombuffer(rows, np.uint8)
            for k in range(int(width.max()) if len(width) else 0):
                some = width > k
                place = np.power(10, width[some] - 1 - k)
                cells[digits[some] + k] = ord("0") + dense[some] // place % 10
        parts = [self._read(0, int(self.bounds[0]))]
        if len(used):
            breaks = np.flatnonzero(np.diff(used) != 1)
            firsts = np.concatenate(([used[0]], used[breaks + 1]))
            lasts = np.concatenate((used[breaks], [used[-1]]))
            done, window, window_start, end = 0, b"", 0, int(self.bounds[-1])
            # Tens of thousands of runs per piece: read the file a window at a time.
            for first, last in zip(firsts.tolist(), lasts.tolist()):
                if digits is None:                    # not renumbered: entries keep their place
                    parts.append(b"<si/>" * (first - done))
                start, stop = int(self.bounds[first]), int(self.bounds[last + 1])
                if not window_start <= start <= stop <= window_start + len(window):
                    window_start = start
                    window = self._read(start, max(stop, min(start + (8 << 20), end)))
                parts.append(window[start - window_start: stop - window_start])
                done = last + 1
        parts.append(b"</sst>")
        sink.write(b"".join(parts))


def _first_row_xls(data: bytes, sheet_index: int) -> int:
    """Excel row number of the first non-empty row of a legacy .xls sheet (via calamine)."""
    import python_calamine

    sheet = python_calamine.CalamineWorkbook.from_object(io.BytesIO(data)).get_sheet_by_index(sheet_index)
    return (sheet.start or (0, 0))[0] + 1


# --- CSV ----------------------------------------------------------------------------------

def _read_csv(data: bytes, file_name: str):
    """UTF-8 (with or without BOM) or UTF-16 text; delimiter chosen by the header it yields."""
    try:
        text = data.decode("utf-16") if data.startswith((b"\xff\xfe", b"\xfe\xff")) else data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError("tệp CSV không ở bảng mã UTF-8 nên tiếng Việt sẽ bị lỗi. Hãy mở tệp bằng "
                          "Excel và lưu lại dạng «CSV UTF-8 (Comma delimited)» rồi tải lại.",
                          file_name) from exc
    if not text.strip():
        raise IngestError("tệp trống, không có dòng nào. Hãy xuất lại tệp từ hệ thống một cửa.", file_name)
    head = text[:65536].splitlines()[:HEADER_SEARCH_ROWS]
    scored = []
    for delimiter in (";", ",", "\t"):
        top = [[c or None for c in row] for row in csv.reader(head, delimiter=delimiter)]
        found = _find_header(top, None)
        scored.append((found[0] if found else 0, head[0].count(delimiter) if head else 0, delimiter))
    delimiter = max(scored)[2]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, row_numbers = [], []
    for row in reader:
        rows.append(row)
        row_numbers.append(reader.line_num)
        if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise IngestError(f"tệp có hơn {format_number(MAX_ROWS)} dòng, vượt giới hạn. Hãy xuất "
                              "theo từng tháng hoặc quý.", file_name)
    width = max(len(r) for r in rows)
    columns = {f"c{i}": pa.array([(r[i] or None) if i < len(r) else None for r in rows], pa.string())
               for i in range(width)}
    table = pa.table(columns)
    # line_num is the physical line a record ends on (records may hold quoted line breaks).
    return [_Grid(table, pa.array(row_numbers, pa.int32()), delimiter=delimiter, top=_top_rows(table))]


# --- header -------------------------------------------------------------------------------

def _clean(cell: str | None) -> str:
    return re.sub(r"\s+", " ", cell).strip() if cell else ""


def _header_cells(top: list, index: int, two_rows: bool) -> list[tuple[str, list[str]]]:
    """(display header, texts to match) per column, combining a merged group row with its sub row.

    Merged cells keep their value in the first cell only, so a group ("Thời gian") spans the
    following blank cells while the sub row has a value under them.
    """
    group = [_clean(c) for c in top[index]]
    if not two_rows:
        return [(g, [g]) for g in group]
    sub = [_clean(c) for c in top[index + 1]]
    cells, span = [], ""
    for g, s in zip(group, sub):
        if g:
            span = g if s else ""
        if not s:
            cells.append((g, [g]))
        elif span:
            cells.append((f"{span} - {s}", [f"{span} {s}", s]))
        else:
            cells.append((s, [s]))
    return cells


def _match(cells, explicit: dict | None) -> dict[str, int]:
    """Canonical field -> column index: the explicit mapping first (a field mapped to nothing
    stays unmapped), then the synonym table on the other columns, first column wins."""
    explicit = explicit or {}
    index = {display: j for j, (display, _) in enumerate(cells)}
    found = {name: index[header] for name, header in explicit.items() if header in index}
    taken = set(found.values())
    for j, (_, texts) in enumerate(cells):
        name = next((f for f in map(field_for_header, texts) if f), None)
        if name and j not in taken and name not in found and name not in explicit:
            found[name] = j
    return found


def _is_sub_header(group: list, sub: list) -> bool:
    """A second header row holds no dates or numbers and sits under at least one group cell."""
    return (any(g and s for g, s in zip(group, sub))
            and not any(s and _DATE_OR_NUMBER.match(s) for s in sub))


def _find_header(top: list, explicit: dict | None):
    """(score, row index, 1 or 2 header rows, cells) of the best header in the first rows.

    The score is the number of canonical fields recognised. A two-row header must recognise more
    than its second row alone (so a title line just above a header is not taken as a group row);
    on equal scores the earlier, simpler candidate wins.
    """
    single = [len(_match(_header_cells(top, i, False), explicit)) for i in range(len(top))]
    best = None
    for i in range(len(top)):
        candidates = [(single[i], 1)]
        if i + 1 < len(top) and _is_sub_header(top[i], top[i + 1]):
            double = len(_match(_header_cells(top, i, True), explicit))
            if double > single[i + 1]:
                candidates.append((double, 2))
        for score, rows in candidates:
            if score >= 2 and (best is None or score > best[0]):
                best = (score, i, rows, _header_cells(top, i, rows == 2))
    return best


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for j, name in enumerate(names):
        name = name or f"Cột {j + 1}"
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return unique


def _build_export(grid: _Grid, file_name, file_format, header_index, header_count, cells,
                  explicit) -> RawExport:
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
    mapping = {name: headers[j] for name, j in _match(named, explicit).items()}
    personal = [h for (h, (_, texts)) in zip(headers, cells)
                if any(is_personal(t) for t in texts) and h not in mapping.values()]

    data_start = header_index + header_count
    table = grid.table.slice(data_start)
    rows = grid.row_numbers.slice(data_start)
    kept = [j for j, h in enumerate(headers) if h not in personal]
    table = pa.table([rows] + [table.column(j) for j in kept],
                     names=[ROW_COLUMN] + [headers[j] for j in kept])
    header_rows = [grid.row_number(header_index + k) for k in range(header_count)]
    period = _period(grid.top[:header_index])
    # The rest of a big sheet: only the mapped columns (nothing else is stored), read as such.
    mapped = [(grid.table.column_names[j], h) for j, h in enumerate(headers) if h in mapping.values()]
    grid.columns["wanted"] = {int(name[1:]) for name, _ in mapped}
    return RawExport(file_name=file_name, file_format=file_format, sheet=grid.sheet, headers=headers,
                     header_rows=header_rows, mapping=mapping, personal_headers=personal, table=table,
                     period_start=period[0], period_end=period[1], delimiter=grid.delimiter,
                     more=_more_rows(grid.rest or (), mapped))


def _more_rows(pieces, mapped: list[tuple[str, str]]):
    """The later pieces of a big sheet as ROW_COLUMN + the mapped columns, read lazily."""
    for piece, first_row in pieces:
        count = piece.num_rows
        columns = [piece.column(name).cast(pa.string()) if name in piece.column_names
                   else pa.nulls(count, pa.string()) for name, _ in mapped]
        yield pa.table([pa.array(np.arange(first_row, first_row + count, dtype=np.int32))] + columns,
                       names=[ROW_COLUMN] + [header for _, header in mapped])


def _period(title_rows: list) -> tuple[date | None, date | None]:
    """"Từ ngày dd/mm/yyyy đến ngày dd/mm/yyyy" in a title row above the header."""
    for row in title_rows:
        match = _PERIOD.search(fold(" ".join(c for c in row if c)))
        if match:
            d1, m1, y1, d2, m2, y2 = map(int, match.groups())
            try:
                return date(y1, m1, d1), date(y2, m2, d2)
            except ValueError:
                continue
    return None, None

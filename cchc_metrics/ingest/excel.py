"""Reading .xlsx and .xls sheets with fastexcel into text grids; big sheets in pieces, read as taken."""
from __future__ import annotations

import io
import os
import queue
import re
import struct
import tempfile
import threading
import zipfile
import html
from concurrent.futures import Future, ThreadPoolExecutor

import fastexcel
import numpy as np
import olefile
import pyarrow as pa
from isal import isal_zlib

from . import excel_pieces, limits
from .extent import FarCellsError, biff_extents, check_extent
from .grid import Grid, check_rows, chosen_sheet, top_rows
from ..errors import IngestError


def read_excel_grids(data: bytes, file_name: str, file_format: str, sheet: str | None = None):
    """Yield a text grid per visible sheet (first sheets first), loaded lazily one at a time; only
    the visible sheet named `sheet` when given."""
    zf = zipfile.ZipFile(io.BytesIO(data)) if file_format == "xlsx" else None
    if file_format == "xls":
        _check_xls_extents(data, file_name)
    # A workbook whose first sheet is read in pieces is not opened whole: opening parses the
    # shared strings, which every piece parses again anyway.
    names = _big_first_sheet_names(zf) if zf else None
    reader = None
    if names is None:
        reader, names = _open_excel(data, file_name, file_format)
    if not names:
        raise IngestError("tệp Excel không có trang tính nào.", file_name)
    try:
        visible = _visible_sheets(data, zf, len(names))
    except zipfile.BadZipFile as exc:
        raise _corrupt(file_name, file_format) from exc
    if sheet is not None:
        visible = [visible[chosen_sheet([names[i] for i in visible], sheet, file_name)]]
    for index in visible[:limits.MAX_SHEETS_TRIED]:
        name = names[index]
        path = _sheet_path(zf, index) if zf else None
        rest, columns = None, {}
        if zf and path is None:     # its relationship points at no part of the file (outside xl/)
            raise _corrupt(file_name, file_format)
        try:
            sheet_bytes = zf.getinfo(path).file_size if path else 0
            if sheet_bytes > limits.PIECED_SHEET_BYTES:
                rest, pieces = _stream_pieces(data, zf, path, index, columns, file_name, name), []
                for piece in rest:              # the header search needs the first rows
                    pieces.append(piece)
                    if sum(t.num_rows for t, _ in pieces) >= limits.HEADER_SEARCH_ROWS:
                        break
            else:
                first_row = _first_row_in(_xml_head(zf, path)) if path else _first_row_xls(data, index)
                if reader is None:
                    reader = _open_excel(data, file_name, file_format)[0]
                pieces = [_load_piece(reader, index, first_row)]
        except (fastexcel.FastExcelError, zipfile.BadZipFile) as exc:   # BadZipFile: CRC, local header
            raise _corrupt(file_name, file_format) from exc
        table, row_numbers = _join_pieces(pieces)
        check_rows(table.num_rows, name, file_name)
        yield Grid(table, row_numbers, sheet=name, top=top_rows(table), rest=rest, columns=columns)


def _check_xls_extents(data: bytes, file_name: str) -> None:
    """Refuse an .xls whose sheets declare or name cells far beyond their content: calamine sizes
    every sheet's grid by them as soon as the workbook is opened."""
    try:
        with olefile.OleFileIO(data) as ole:
            name = next((n for n in ("Workbook", "Book") if ole.exists(n)), None)
            stream = ole.openstream(name).read() if name else b""
    except (OSError, ValueError, struct.error) as exc:    # olefile: not a readable OLE2 container
        raise _corrupt(file_name, "xls") from exc
    for number, extent in enumerate(biff_extents(stream), 1):
        try:
            check_extent(extent)
        except FarCellsError as exc:
            raise IngestError(f"trang thứ {number} {exc}", file_name) from exc


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
        if path is None or zf.getinfo(path).file_size <= limits.PIECED_SHEET_BYTES:
            return None
        workbook = zf.read("xl/workbook.xml").decode("utf-8")
    except (KeyError, ValueError, zipfile.BadZipFile, OSError):
        return None
    tags = re.findall(r"<(?:\w+:)?sheet\b[^>]*>", workbook)
    names = [re.search(r'\bname="([^"]*)"', tag) for tag in tags]
    return [html.unescape(n.group(1)) for n in names] if names and all(names) else None


def _visible_sheets(data: bytes, zf: zipfile.ZipFile | None, count: int) -> list[int]:
    """Indexes of the sheets not hidden, in order (all of them if that cannot be told, or if all
    are hidden). A hidden sheet holds lookups or an old copy, never the data to load."""
    if zf is not None:
        tags = re.findall(r"<(?:\w+:)?sheet\b[^>]*>", zf.read("xl/workbook.xml").decode("utf-8", "replace"))
        hidden = [bool(re.search(r'\bstate="(?:hidden|veryHidden)"', tag)) for tag in tags]
    else:
        import python_calamine

        sheets = python_calamine.CalamineWorkbook.from_object(io.BytesIO(data)).sheets_metadata
        hidden = [sheet.visible != python_calamine.SheetVisibleEnum.Visible for sheet in sheets]
    visible = [i for i, is_hidden in enumerate(hidden) if not is_hidden]
    return visible if len(hidden) == count and visible else list(range(count))


def _corrupt(file_name: str, file_format: str) -> IngestError:
    return IngestError(f"không đọc được tệp {file_format.upper()}: tệp bị hỏng, không đầy đủ hoặc "
                       "được đặt mật khẩu. Hãy mở thử bằng Excel; nếu mở được, lưu lại dạng .xlsx "
                       "(không mật khẩu) rồi tải lại, nếu không hãy xuất lại từ hệ thống một cửa.",
                       file_name)


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

    A thread of its own cuts the pieces and limits.READ_THREADS threads read them, while the consumer
    (ingest) stores each piece in DuckDB before taking the next: cutting, reading and storing
    overlap. At most limits.READ_THREADS + 1 pieces are cut ahead of the consumer, so memory stays
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
            for head, piece in excel_pieces.sheet_pieces(data, zf, path, folder):
                slots.acquire()
                if stop.is_set():
                    return
                read.put(pool.submit(load, head, piece))
        except BaseException as exc:      # handed to the consumer
            read.put(exc)
        finally:
            read.put(None)

    rows, read, slots, stop = 0, queue.Queue(), threading.Semaphore(limits.READ_THREADS + 1), threading.Event()
    with tempfile.TemporaryDirectory(prefix="cchc-pieces-") as folder, \
            ThreadPoolExecutor(limits.READ_THREADS) as pool:
        cutter = threading.Thread(target=cut, name="cchc-cut-pieces", daemon=True)
        cutter.start()
        try:
            while (item := read.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                table, first_row = item.result()
                slots.release()
                rows += table.num_rows
                check_rows(rows, sheet, file_name)
                yield table, first_row
                del table                   # the consumer holds it now
        except (fastexcel.FastExcelError, zipfile.BadZipFile, isal_zlib.error) as exc:
            raise _corrupt(file_name, "xlsx") from exc
        except FarCellsError as exc:
            raise IngestError(f"trang «{sheet}» {exc}", file_name) from exc
        finally:
            stop.set()
            slots.release(limits.READ_THREADS + 1)
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


def sheet_paths(zf: zipfile.ZipFile) -> list[tuple[str, str | None]]:
    """(name, zip member) of each sheet, in order, from workbook.xml and its relationships."""
    workbook = zf.read("xl/workbook.xml").decode("utf-8", "replace")
    names = [re.search(r'\bname="([^"]*)"', tag) for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", workbook)]
    return [(html.unescape(name.group(1)) if name else "", _sheet_path(zf, i)) for i, name in enumerate(names)]


def _xml_head(zf: zipfile.ZipFile, path: str) -> bytes:
    with zf.open(path) as sheet_xml:
        return sheet_xml.read(1 << 20)


def _first_row_in(xml: bytes) -> int:
    """Excel row number of the first row holding a value in (the beginning of) a sheet's XML."""
    head = xml[: 1 << 20].decode("utf-8", "replace")
    rows = re.finditer(r"<(?:\w+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)", head, re.DOTALL)
    for count, row in enumerate(rows, 1):
        if row.group(2) and re.search(r"<(?:\w+:)?v>[^<]|<(?:\w+:)?t(?:\s[^>]*)?>[^<]", row.group(2)):
            number = re.search(r'\br="(\d+)"', row.group(1))
            return int(number.group(1)) if number else count
    return 1


def _first_row_xls(data: bytes, sheet_index: int) -> int:
    """Excel row number of the first non-empty row of a legacy .xls sheet (via calamine)."""
    import python_calamine

    sheet = python_calamine.CalamineWorkbook.from_object(io.BytesIO(data)).get_sheet_by_index(sheet_index)
    return (sheet.start or (0, 0))[0] + 1

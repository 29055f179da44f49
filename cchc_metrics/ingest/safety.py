"""The first look at a file: its format from the content, and refusal of empty, oversized,
encrypted and foreign files, of zip bombs and of .xlsx sheets naming far cells (extent.py) before
any parser sees them."""
from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Callable

from isal import isal_zlib

from . import limits
from .extent import ExtentScan, FarCellsError, check_extent
from ..errors import IngestError
from ..formatting import format_number

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_SPREADSHEET_NS = b"urn:schemas-microsoft-com:office:spreadsheet"


def check_file_size(size: int, file_name: str) -> None:
    """Refuse a file over the size limit (before reading it, where its size is known first)."""
    if size > limits.MAX_FILE_BYTES:
        raise IngestError(f"tệp quá lớn ({format_number(size / 2**20)} MB, tối đa "
                          f"{format_number(limits.MAX_FILE_BYTES / 2**20)} MB)."
                          " Hãy xuất theo từng tháng hoặc từng quý.", file_name)


def detect_format(data: bytes, file_name: str) -> str:
    """xlsx / xls / html / xml2003 / csv from the content, never the name; refuses empty, oversized,
    encrypted and foreign files."""
    if not data:
        raise IngestError("tệp trống (0 byte). Hãy xuất lại tệp từ hệ thống một cửa.", file_name)
    check_file_size(len(data), file_name)
    if data.startswith(_OLE2_MAGIC):
        if _ENCRYPTED_STREAM in data:
            raise IngestError("tệp Excel được đặt mật khẩu nên không đọc được. Hãy mở tệp bằng Excel,"
                              " gỡ mật khẩu (Tệp > Thông tin > Bảo vệ sổ làm việc) rồi tải lại.", file_name)
        return "xls"
    if data.startswith(_ZIP_MAGIC):
        _check_zip(data, file_name)
        return "xlsx"
    head = data[:4096]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        raise IngestError("đây không phải tệp Excel (.xlsx, .xls) hay CSV. Hãy xuất dữ liệu từ hệ "
                          "thống một cửa ra Excel rồi tải tệp đó lên.", file_name)
    return _markup_format(head, file_name) or "csv"


def _markup_format(head: bytes, file_name: str) -> str | None:
    """"html" (a web page's table saved with an Excel name) or "xml2003" (Excel 2003 XML) from the
    first bytes after an optional BOM and whitespace; None for anything else (read as CSV)."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        head = head[:len(head) // 4 * 4].decode("utf-32", "replace").encode("utf-8", "replace")
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "replace").encode("utf-8", "replace")
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if not text.startswith(b"<"):
        return None
    if _SPREADSHEET_NS in text and re.search(rb"<(\w+:)?workbook\b", text):
        return "xml2003"
    if re.search(rb"<\s*(html|table|body)\b|<!doctype\s+html", text[:2048]):
        return "html"
    if text.startswith(b"<?xml"):
        raise IngestError("tệp XML này không phải bảng tính Excel 2003 (XML Spreadsheet). Hãy xuất dữ "
                          "liệu từ hệ thống một cửa ra Excel (.xlsx, .xls) hoặc CSV rồi tải lại.", file_name)
    return None


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
                  and m.file_size > limits.MAX_COMPRESSION_RATIO * max(m.compress_size, 1)]
    if total > limits.MAX_UNCOMPRESSED_BYTES or suspicious:
        raise IngestError(f"tệp Excel khi giải nén quá lớn ({format_number(total / 2**20)} MB) hoặc "
                          "nén bất thường, có thể là tệp độc hại nên đã bị từ chối. Hãy xuất lại tệp "
                          "từ hệ thống một cửa, chia nhỏ theo tháng nếu cần.", file_name)
    for member in members:
        scan = ExtentScan()
        inflated = _inflated_size(data, member, scan.feed)
        if inflated is None:
            raise IngestError("tệp Excel bị hỏng hoặc không đầy đủ (có thể tải về bị ngắt giữa chừng). "
                              "Hãy xuất lại tệp từ hệ thống một cửa.", file_name)
        if inflated != member.file_size:
            raise IngestError("tệp Excel khai sai kích thước các phần nén bên trong (giải nén ra lớn hơn "
                              "khai báo), có thể là tệp độc hại nên đã bị từ chối. Hãy xuất lại tệp từ "
                              "hệ thống một cửa.", file_name)
        try:
            check_extent(scan.finish())
        except FarCellsError as exc:
            raise IngestError(f"trang «{_sheet_name(data, member.filename)}» {exc}", file_name) from exc


def _inflated_size(data: bytes, member: zipfile.ZipInfo, see: Callable[[bytes], None]) -> int | None:
    """Bytes a zip part really inflates to, counting no further than one byte past its declared
    size; None when the part is unreadable (broken header, unknown method, corrupt stream). `see`
    is shown the inflated bytes a block at a time (extent.ExtentScan.feed: the cells a sheet names).

    The checks above trust the sizes the zip declares, and fastexcel does not: it inflates a part
    to its end whatever the zip says, so a part that lies would unpack to gigabytes. Inflating
    a block at a time (ISA-L: ~30 ms for a 100,000-row export) bounds both time and memory.
    """
    stream = stored_bytes(data, member)
    if stream is None:
        return None
    if member.compress_type == zipfile.ZIP_STORED:
        see(stream)
        return len(stream)
    if member.compress_type != zipfile.ZIP_DEFLATED:
        return None
    inflater, size = isal_zlib.decompressobj(-15), 0
    try:
        for offset in range(0, len(stream), limits.INFLATE_BLOCK):
            # At most one byte past the declared size: enough to know it lies.
            block = inflater.decompress(stream[offset: offset + limits.INFLATE_BLOCK],
                                        member.file_size - size + 1)
            size += len(block)
            if size > member.file_size:
                return size
            see(block)
    except isal_zlib.error:
        return None
    return size if inflater.eof else None


def _sheet_name(data: bytes, path: str) -> str:
    """The name the workbook gives the sheet stored at `path` (the path itself if none does)."""
    from .excel import sheet_paths            # excel reads parts this module has checked

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return next((name for name, sheet_path in sheet_paths(zf) if sheet_path == path), path)


def stored_bytes(data: bytes, member: zipfile.ZipInfo) -> memoryview | None:
    """The bytes of a zip part as stored (compressed), found through its local header; None when
    that header is broken, the part is cut short or encrypted."""
    start = member.header_offset
    if member.flag_bits & 1 or len(data) < start + 30 or not data.startswith(_ZIP_MAGIC, start):
        return None
    name_length, extra_length = struct.unpack_from("<HH", data, start + 26)
    start += 30 + name_length + extra_length
    stream = memoryview(data)[start: start + member.compress_size]
    return stream if len(stream) == member.compress_size else None

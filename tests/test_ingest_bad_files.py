"""Bad and hostile files: each refused with a Vietnamese message naming the file, DB untouched."""
from __future__ import annotations

import io
import struct
import time
import zipfile

import pytest
from msoffcrypto.format.ooxml import OOXMLFile

from cchc_metrics.ingest import limits
from cchc_metrics.errors import IngestError
from cchc_metrics.ingest import ingest_file
from conftest import write_xlsx

GOOD_ROWS = [["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận"],
             ["A", "Thủ tục 1", "Phòng 1", "01/03/2023"]]


def refused(con, data: bytes, name: str, **kwargs) -> str:
    with pytest.raises(IngestError) as caught:
        ingest_file(con, data, name, **kwargs)
    assert caught.value.file_name == name
    assert con.execute("SELECT count(*) FROM uploads").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM dossiers").fetchone()[0] == 0
    return str(caught.value)


def test_not_an_excel_or_csv_file(con):
    assert "không phải tệp Excel" in refused(con, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "anh.xlsx")


def test_empty_file(con, tmp_path):
    assert "tệp trống" in refused(con, b"", "rong.xlsx")
    empty_sheet = write_xlsx(tmp_path / "empty.xlsx", []).read_bytes()
    assert "tệp trống" in refused(con, empty_sheet, "empty.xlsx")


def test_truncated_xlsx(con, tmp_path):
    data = write_xlsx(tmp_path / "ok.xlsx", GOOD_ROWS).read_bytes()
    assert "bị hỏng hoặc không đầy đủ" in refused(con, data[: len(data) // 2], "cut.xlsx")


def test_zip_that_is_not_a_workbook(con):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    assert "không phải bảng tính Excel" in refused(con, buffer.getvalue(), "vanban.xlsx")


def test_password_protected_workbook(con, tmp_path):
    # Encrypted as Excel does it ("Encrypt with Password": agile encryption, AES-256).
    plain = write_xlsx(tmp_path / "plain.xlsx", GOOD_ROWS)
    encrypted = io.BytesIO()
    with plain.open("rb") as source:
        OOXMLFile(source).encrypt("MatKhau@2023", encrypted)
    message = refused(con, encrypted.getvalue(), "matkhau.xlsx")
    assert "được đặt mật khẩu" in message and "gỡ mật khẩu" in message


def test_corrupt_legacy_xls(con):
    garbage = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x07" * 4000
    assert "không đọc được tệp XLS" in refused(con, garbage, "hong.xls")


def test_csv_not_in_utf8(con):
    # A legacy Windows code page, as old Excel "CSV" saves it: "ò" is one byte 0xF2, not UTF-8.
    data = "Ma ho so;Ngay tiep nhan;Don vi\nA;01/03/2023;Phòng 1\n".encode("cp1252")
    assert "UTF-8" in refused(con, data, "cu.csv")


def test_html_saved_as_xls_is_read_and_needs_a_header(con):
    # HTML tables are read now (tests/test_formats_html_xml.py); this one has no header row.
    assert "không tìm thấy dòng tiêu đề" in refused(con, b"<html><body><table><tr><td>1</td></tr></table>",
                                                     "web.xls")


def test_no_recognisable_header_lists_what_was_found(con, tmp_path):
    data = write_xlsx(tmp_path / "other.xlsx", [["Họ", "Tên", "Lớp"], ["Lê", "An", "10A"]]).read_bytes()
    message = refused(con, data, "other.xlsx")
    assert "không tìm thấy dòng tiêu đề" in message
    assert "«Họ», «Tên», «Lớp»" in message and "ngày tiếp nhận (bắt buộc)" in message
    assert "Lê" not in message and "10A" not in message, "data rows (personal data) are never quoted"


def test_missing_required_column_names_it(con, tmp_path):
    # Only the received date is required (no unit, procedure or id column still loads).
    data = write_xlsx(tmp_path / "nodate.xlsx", [row[:3] for row in GOOD_ROWS]).read_bytes()
    message = refused(con, data, "nodate.xlsx")
    assert "thiếu cột bắt buộc: Ngày tiếp nhận" in message
    assert "«Mã hồ sơ», «Tên thủ tục», «Đơn vị xử lý»" in message


def test_header_without_data_rows(con, tmp_path):
    data = write_xlsx(tmp_path / "head.xlsx", GOOD_ROWS[:1] + [["Tổng cộng"]]).read_bytes()
    assert "không có dòng hồ sơ nào" in refused(con, data, "head.xlsx")


def test_too_big_file_and_too_many_rows(con, tmp_path, monkeypatch):
    data = write_xlsx(tmp_path / "ok.xlsx", GOOD_ROWS + [["B", "Thủ tục 1", "Phòng 1", "02/03/2023"]]
                      ).read_bytes()
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", len(data) - 1)
    assert "tệp quá lớn" in refused(con, data, "big.xlsx")
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 10**9)
    monkeypatch.setattr(limits, "MAX_ROWS", 2)
    assert "vượt giới hạn 2 dòng" in refused(con, data, "rows.xlsx")


def zip_bomb() -> bytes:
    """A well-formed .xlsx whose sheet XML inflates from ~60 KB to 64 MB of padding."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.'
                    'openxmlformats.org/package/2006/content-types"/>')
        zf.writestr("xl/workbook.xml", '<workbook xmlns:r="r"><sheets><sheet name="S" sheetId="1" '
                    'r:id="rId1"/></sheets></workbook>')
        zf.writestr("xl/_rels/workbook.xml.rels", '<Relationships><Relationship Id="rId1" '
                    'Target="worksheets/sheet1.xml"/></Relationships>')
        zf.writestr("xl/worksheets/sheet1.xml", b"<worksheet><sheetData>" + b" " * (64 << 20)
                    + b"</sheetData></worksheet>")
    return buffer.getvalue()


def test_zip_bomb_is_refused_fast_without_unpacking(con):
    bomb = zip_bomb()
    assert len(bomb) < 200_000
    started = time.perf_counter()
    message = refused(con, bomb, "bomb.xlsx")
    assert time.perf_counter() - started < 1.0
    assert "có thể là tệp độc hại" in message


def with_declared_size(workbook: bytes, member: str, declared: int) -> bytes:
    """The workbook with `member`'s uncompressed size rewritten, in its local header and in the
    central directory, as a hostile file would lie about it."""
    data = bytearray(workbook)
    info = zipfile.ZipFile(io.BytesIO(workbook)).getinfo(member)
    struct.pack_into("<L", data, info.header_offset + 22, declared)
    entry = data.find(b"PK\x01\x02")
    while struct.unpack_from("<L", data, entry + 42)[0] != info.header_offset:  # its central entry
        entry = data.find(b"PK\x01\x02", entry + 1)
    struct.pack_into("<L", data, entry + 24, declared)
    return bytes(data)


def test_zip_bomb_lying_about_its_size_is_refused_fast(con):
    # 64 MB of padding declared as 2,000 bytes: the declared sizes and ratios all look harmless.
    bomb = with_declared_size(zip_bomb(), "xl/worksheets/sheet1.xml", 2000)
    assert zipfile.ZipFile(io.BytesIO(bomb)).getinfo("xl/worksheets/sheet1.xml").file_size == 2000
    started = time.perf_counter()
    message = refused(con, bomb, "bomb.xlsx")
    assert time.perf_counter() - started < 1.0
    assert "khai sai kích thước" in message and "có thể là tệp độc hại" in message


def test_part_smaller_than_declared_is_refused(con, tmp_path):
    data = write_xlsx(tmp_path / "ok.xlsx", GOOD_ROWS).read_bytes()
    size = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/workbook.xml").file_size
    assert "khai sai kích thước" in refused(con, with_declared_size(data, "xl/workbook.xml", size + 1),
                                            "ok.xlsx")


def test_corrupt_compressed_part_is_refused(con, tmp_path):
    data = bytearray(write_xlsx(tmp_path / "ok.xlsx", GOOD_ROWS).read_bytes())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/worksheets/sheet1.xml")
    name_length, extra_length = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    data[start: start + 4] = b"\xff" * 4           # an invalid deflate block type
    assert "bị hỏng hoặc không đầy đủ" in refused(con, bytes(data), "hong.xlsx")


def test_total_uncompressed_size_limit(con, tmp_path, monkeypatch):
    data = write_xlsx(tmp_path / "ok.xlsx", GOOD_ROWS).read_bytes()
    monkeypatch.setattr(limits, "MAX_UNCOMPRESSED_BYTES", 1000)
    assert "khi giải nén quá lớn" in refused(con, data, "ok.xlsx")

"""Hostile files (issue 10, "Why"): far cell references that made the grid reader allocate
gigabytes and abort the process, Rust panics, broken zips and CSVs. Each is refused with a
Vietnamese message naming the file, the database unchanged.

A far-cell file is read in a subprocess under a memory cap: should the guard fail, the abort
(exit 134, "memory allocation of 549755813888 bytes failed") ends that subprocess, not the test run.
"""
from __future__ import annotations

import io
import json
import random
import re
import resource
import struct
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from cchc_metrics.errors import IngestError
from cchc_metrics.ingest import ingest_file
from cchc_metrics.ingest.boundary import UNEXPECTED_VI
from cchc_metrics.ingest.extent import ExtentScan
from conftest import write_xlsx

ROOT = Path(__file__).resolve().parent.parent
MEMORY_CAP = 3 * 2**30
ROWS = [["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận"],
        ["HS-1", "Chứng thực bản sao", "Văn phòng Sở", "01/03/2024"],
        ["HS-2", "Đăng ký khai sinh", "Văn phòng Sở", "02/03/2024"]]

# Reads a file the way the upload page and the CLI do (preview, then load) and says what happened.
READ_SCRIPT = textwrap.dedent("""
    import json, sys
    from cchc_metrics.db import connect
    from cchc_metrics.errors import IngestError
    from cchc_metrics.ingest import ingest_file, limits, preview_export
    path, db, settings = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    for name, value in settings.items():
        setattr(limits, name, value)
    data, outcome = open(path, "rb").read(), {}
    con = connect(db)
    for step in (preview_export, lambda d, n: ingest_file(con, d, n)):
        try:
            step(data, path.rsplit("/", 1)[-1])
            outcome.setdefault("results", []).append("read")
        except IngestError as error:
            outcome.setdefault("results", []).append(str(error))
    outcome["uploads"] = con.execute("SELECT count(*) FROM uploads").fetchone()[0]
    print(json.dumps(outcome, ensure_ascii=False))
""")


def read_capped(path: Path, tmp_path: Path, **settings) -> list[str]:
    """Preview and load `path` in a subprocess whose address space is capped; the two outcomes
    ("read" or the IngestError text). Fails on any other ending (abort, traceback)."""
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    done = subprocess.run([sys.executable, "-c", READ_SCRIPT, str(path), str(tmp_path / "capped.duckdb"),
                           json.dumps(settings)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          preexec_fn=cap)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["uploads"] == 0 or outcome["results"][1] == "read"
    return outcome["results"]


def with_cell(data: bytes, ref: str, value: str = "x") -> bytes:
    """The workbook with one more text cell at `ref` (its own row element, as Excel writes it)."""
    row = re.search(r"\d+$", ref).group(0)
    cell = f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c></row>'
    return rewrite(data, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(b"</sheetData>", cell.encode() + b"</sheetData>"))


def rewrite(data: bytes, member: str, change, *, stored: bool = False) -> bytes:
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            target.writestr(info.filename, change(body) if info.filename == member else body)
    return out.getvalue()


@pytest.fixture
def workbook(tmp_path) -> bytes:
    return write_xlsx(tmp_path / "base.xlsx", ROWS).read_bytes()


def test_value_at_XFD1048576_is_refused_without_killing_the_process(tmp_path, workbook):
    path = tmp_path / "xfd.xlsx"
    path.write_bytes(with_cell(workbook, "XFD1048576"))
    preview, load = read_capped(path, tmp_path)
    # XFD is column 16,384 (4 x 26^2 + 6 x 26 + 4... = 16,384), beyond the 200 read.
    assert preview == load
    assert preview.startswith("Tệp «xfd.xlsx»: trang «Sheet» có ô ở ngoài 200 cột đầu tiên")
    assert "dòng 1.048.576, cột XFD" in preview and "xóa các dòng, cột thừa" in preview


def test_value_at_CV1048576_is_refused_instead_of_taking_gigabytes(tmp_path, workbook):
    path = tmp_path / "cv.xlsx"
    path.write_bytes(with_cell(workbook, "CV1048576"))
    preview, load = read_capped(path, tmp_path)
    # CV = column 100, within 200; but rows 1..1,048,576 x 100 columns = 104,857,600 cells for a
    # sheet of a few hundred bytes of XML (allowed: 2,000,000).
    assert preview == load
    assert "trang «Sheet» có ô nằm cách xa vùng dữ liệu (ô xa nhất ở dòng 1.048.576, cột CV)" in preview


def test_reference_ZZZZZZ99999999999_is_a_message_not_a_rust_panic(tmp_path, workbook):
    path = tmp_path / "zz.xlsx"
    path.write_bytes(with_cell(workbook, "ZZZZZZ99999999999"))
    preview, load = read_capped(path, tmp_path)
    assert preview == load
    assert "dòng 99.999.999.999, cột sau cột XFD (cột cuối của Excel)" in preview
    assert UNEXPECTED_VI not in preview


def big_sheet(tmp_path, cell: bytes) -> bytes:
    """401 rows of four columns, `cell` (a row element) put before row 300."""
    rows = [ROWS[0]] + [[f"HS-{i}", "Chứng thực bản sao", "Văn phòng Sở", "01/03/2024"] for i in range(400)]
    data = write_xlsx(tmp_path / "big.xlsx", rows).read_bytes()
    return rewrite(data, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(b'<row r="300">', cell + b'<row r="300">'))


def test_second_r_attribute_naming_a_far_cell_is_refused(tmp_path, workbook):
    # calamine takes the last of two r attributes: r="D2" r="XFD1048576" aborted the process.
    for name, second in (("hai-r.xlsx", b' r="XFD1048576"'), ("tab-r.xlsx", b'\tr="XFD1048576"')):
        path = tmp_path / name
        path.write_bytes(rewrite(workbook, "xl/worksheets/sheet1.xml",
                                 lambda xml: xml.replace(b'r="D2"', b'r="D2"' + second)))
        preview, load = read_capped(path, tmp_path)
        assert preview == load
        assert "có ô ở ngoài 200 cột đầu tiên (ô xa nhất ở dòng 1.048.576, cột XFD)" in preview


def test_far_cell_in_a_hidden_sheet_is_refused_too(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    for row in ROWS:
        book.active.append(row)
    hidden = book.create_sheet("Ẩn")
    hidden["A1"] = "x"
    hidden.sheet_state = "hidden"
    book.save(tmp_path / "an.xlsx")
    data = (tmp_path / "an.xlsx").read_bytes()
    path = tmp_path / "an-xa.xlsx"
    # calamine may read any sheet; every one is measured before any is read.
    path.write_bytes(rewrite(data, "xl/worksheets/sheet2.xml", lambda xml: xml.replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')))
    preview, _ = read_capped(path, tmp_path)
    assert preview.startswith("Tệp «an-xa.xlsx»: trang «Ẩn» có ô ở ngoài 200 cột đầu tiên"), preview


def test_far_cell_in_a_sheet_read_in_pieces_is_refused(tmp_path):
    path = tmp_path / "pieces.xlsx"
    path.write_bytes(big_sheet(tmp_path, b'<row r="299999"><c r="GZ299999" t="inlineStr"><is><t>x</t></is></c></row>'))
    # Pieces of ~4 KB of XML; the whole sheet is measured before it is cut (GZ = column 208).
    preview, load = read_capped(path, tmp_path, PIECED_SHEET_BYTES=1000, PIECE_XML_BYTES=4096)
    assert preview == load
    assert load.startswith("Tệp «pieces.xlsx»: trang «Sheet» có ô ở ngoài 200 cột đầu tiên (ô xa nhất "
                           "ở dòng 299.999, cột GZ)"), load


def test_each_piece_of_a_big_sheet_is_measured_on_its_own(tmp_path):
    path = tmp_path / "piece.xlsx"
    path.write_bytes(big_sheet(tmp_path, b'<row r="2000"><c r="D2000"><v>1</v></c></row>'))
    # Whole sheet: rows 1..2,000 x 4 columns = 8,000 cells, allowed (~60 KB of XML / 6 bytes).
    # The ~4 KB piece holding row 2,000 spans rows ~270..2,000: ~7,000 cells for ~680 allowed.
    preview, load = read_capped(path, tmp_path, PIECED_SHEET_BYTES=1000, PIECE_XML_BYTES=4096,
                                MIN_GRID_CELLS=100)
    assert preview == "read"          # the preview reads only the first pieces, not that one
    assert load.startswith("Tệp «piece.xlsx»: trang «Sheet» có ô nằm cách xa vùng dữ liệu (ô xa nhất "
                           "ở dòng 2.000, cột D)"), load


def test_far_cells_in_an_xls_are_refused_before_calamine_opens_it(tmp_path, to_xls, workbook):
    good = to_xls(write_xlsx(tmp_path / "legacy.xlsx", ROWS)).read_bytes()
    # A LABELSST record (type 0x00FD, 10 bytes: row, column, format, string index) moved to row
    # 65,536, column 65,536; and, in another copy, a DIMENSIONS record (0x0200, 14 bytes) that
    # declares 4,294,967,295 rows x 65,535 columns. calamine sized grids by both (abort).
    cell = good.rfind(b"\xfd\x00\x0a\x00")
    far_cell = bytearray(good)
    struct.pack_into("<HH", far_cell, cell + 4, 0xFFFF, 0xFFFF)
    dimensions = good.find(b"\x00\x02\x0e\x00")
    far_dimensions = bytearray(good)
    struct.pack_into("<IIHH", far_dimensions, dimensions + 4, 0, 0xFFFFFFFF, 0, 0xFFFF)
    for name, data, where in (("far-cell.xls", far_cell, "dòng 65.536"), ("far-dims.xls", far_dimensions,
                                                                           "dòng 4.294.967.295")):
        path = tmp_path / name
        path.write_bytes(bytes(data))
        preview, load = read_capped(path, tmp_path)
        assert preview == load
        assert preview.startswith(f"Tệp «{name}»: trang thứ 1 có ô ở ngoài 200 cột đầu tiên"), preview
        assert where in preview
    path = tmp_path / "legacy.xls"
    path.write_bytes(good)
    assert read_capped(path, tmp_path) == ["read", "read"]


def test_a_note_beside_the_table_and_a_few_blank_rows_still_load(con, tmp_path, workbook):
    # Z3 (column 26) and row 40: a grid of 40 x 26 = 1,040 cells, far under 2,000,000.
    data = with_cell(with_cell(workbook, "Z3", "ghi chú"), "A40", "Người lập biểu")
    result = ingest_file(con, data, "ghi-chu.xlsx")
    assert (result.added, result.rejected) == (2, 0)


def test_extent_of_a_sheet_counted_by_hand():
    xml = (b'<worksheet><sheetData><row r="3"><c r="B3"><v>1</v></c></row>'
           b'<row r="4"><c r="AB4"><v>2</v></c><c><v>3</v></c></row>'   # no r: column AC
           b'<row><c r="C5"><v>4</v></c></row></sheetData></worksheet>')  # no r: row 5
    scan = ExtentScan()
    for start in range(0, len(xml), 7):      # tags cut across blocks
        scan.feed(xml[start: start + 7])
    extent = scan.finish()
    # Rows 3..5; AB = 1 x 26 + 2 = 28, the cell after it 29.
    assert (extent.first_row, extent.last_row, extent.last_column) == (3, 5, 29)


def test_extent_scan_by_blocks_never_undercounts_the_cell_by_cell_reading():
    """The RE2 fast path against the exact reading, on seeded random sheets with unusual forms."""
    rng = random.Random(20261130)
    odd_refs = ["XFD1048576", "A999", "ZZZZZZ99999999999", "AB3", "A0012", "a1"]
    for _ in range(300):
        rows, row = [], rng.randint(1, 5)
        for _ in range(rng.randint(1, 80)):
            row += rng.choice([1, 1, 2])
            cells = []
            for column in range(1, rng.randint(2, 12)):
                ref = f"{chr(64 + column)}{row}" if rng.random() > 0.02 else rng.choice(odd_refs)
                attribute = rng.choice([f' r="{ref}"'] * 40 + ["", f"\tr='{ref}'", f' r = "{ref}"',
                                                               f' x:r="{ref}"', f' t="s" r="{ref}"'])
                cells.append(f"<c{attribute}><v>{column}</v></c>")
            number = f' r="{row}"' if rng.random() > 0.02 else rng.choice(["", f' r="{rng.randint(1, 10**6)}"'])
            rows.append(f"<row{number}>" + "".join(cells) + "</row>")
        xml = ("<worksheet><sheetData>" + "".join(rows) + '</sheetData><pageMargins header="0.5"/>'
               "</worksheet>").encode()
        exact = ExtentScan()
        exact._scan(xml)                      # one block, no width known yet: cell by cell
        blocks = ExtentScan()
        for start in range(0, len(xml), 1500):
            blocks.feed(xml[start: start + 1500])
        fast = blocks.finish()
        assert fast.first_row <= exact.extent.first_row
        assert fast.last_row >= exact.extent.last_row
        assert fast.last_column >= exact.extent.last_column


def refused(con, data: bytes, name: str) -> str:
    with pytest.raises(IngestError) as caught:
        ingest_file(con, data, name)
    assert con.execute("SELECT count(*) FROM uploads").fetchone()[0] == 0
    assert UNEXPECTED_VI not in caught.value.message
    return str(caught.value)


def stored_workbook(workbook: bytes) -> tuple[bytearray, zipfile.ZipInfo]:
    data = rewrite(workbook, "", None, stored=True)
    return bytearray(data), zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml")


def test_bad_crc_in_the_zip_is_a_message(con, workbook):
    data, sheet = stored_workbook(workbook)
    at = sheet.header_offset + 30 + len(sheet.filename) + 100     # a byte of the sheet's XML
    data[at] = ord("X") if data[at] != ord("X") else ord("Y")
    assert "tệp bị hỏng, không đầy đủ" in refused(con, bytes(data), "crc.xlsx")


def test_local_header_that_disagrees_with_the_directory_is_a_message(con, workbook):
    data, sheet = stored_workbook(workbook)
    data[sheet.header_offset + 30: sheet.header_offset + 32] = b"YY"   # "YY/worksheets/sheet1.xml"
    assert "tệp bị hỏng, không đầy đủ" in refused(con, bytes(data), "header.xlsx")


def test_sheet_relationship_outside_xl_is_a_message(con, workbook):
    data = rewrite(workbook, "xl/_rels/workbook.xml.rels",
                   lambda rels: re.sub(rb'Target="/?(xl/)?worksheets/sheet1.xml"', b'Target="../../outside.xml"', rels))
    assert "tệp bị hỏng, không đầy đủ" in refused(con, data, "rels.xlsx")


def test_stray_quote_in_a_csv_is_a_message_naming_the_line(con):
    lines = ["Mã hồ sơ,Tên thủ tục,Đơn vị xử lý,Ngày tiếp nhận", 'HS-1,"Chứng thực,Văn phòng Sở,01/03/2024']
    lines += [f"HS-{i},Chứng thực,Văn phòng Sở,01/03/2024" for i in range(2, 9000)]
    # The quote opens on line 2 and never closes: the rest (~370,000 characters) would be one
    # field, past the csv module's 131,072.
    message = refused(con, "\n".join(lines).encode(), "ngoac.csv")
    assert "dấu ngoặc kép (\") mở mà không đóng, ở dòng 2" in message


def test_utf32_csv_loads(con):
    text = "\n".join(row and ",".join(row) for row in ROWS) + "\n"
    result = ingest_file(con, text.encode("utf-32"), "utf32.csv")
    assert result.added == 2
    units = con.execute("SELECT DISTINCT unit FROM dossiers").fetchall()
    assert units == [("Văn phòng Sở",)]


def sheets_workbook(tmp_path, *sheets: tuple[str, list[list], str]) -> bytes:
    """A workbook of (title, rows, state) sheets, in order."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows, state in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        sheet.sheet_state = state
    path = tmp_path / "sheets.xlsx"
    book.save(path)
    return path.read_bytes()


OLD_COPY = [ROWS[0], ["CU-1", "Chứng thực bản sao", "Văn phòng Sở", "01/01/2020"]]


def test_hidden_first_sheet_is_ignored_for_the_visible_data_sheet(con, tmp_path):
    data = sheets_workbook(tmp_path, ("Bản cũ", OLD_COPY, "hidden"), ("Danh sách", ROWS, "visible"))
    result = ingest_file(con, data, "an-trang.xlsx")
    assert result.layout["sheet"] == "Danh sách"
    assert con.execute("SELECT dossier_id FROM dossiers ORDER BY 1").fetchall() == [("HS-1",), ("HS-2",)]


def test_hidden_sheet_in_an_xls_is_ignored(con, tmp_path, to_xls):
    data = sheets_workbook(tmp_path, ("Bản cũ", OLD_COPY, "veryHidden"), ("Danh sách", ROWS, "visible"))
    (tmp_path / "an-trang.xlsx").write_bytes(data)
    result = ingest_file(con, to_xls(tmp_path / "an-trang.xlsx").read_bytes(), "an-trang.xls")
    assert result.layout["sheet"] == "Danh sách" and result.added == 2


def test_two_visible_dossier_lists_are_refused_naming_both(con, tmp_path):
    second = [ROWS[0], ["HS-9", "Đăng ký khai sinh", "Phòng Tư pháp", "05/03/2024"]]
    data = sheets_workbook(tmp_path, ("Tháng 3", ROWS, "visible"), ("Tháng 4", second, "visible"))
    message = refused(con, data, "hai-trang.xlsx")
    assert "tệp có 2 trang tính đều là danh sách hồ sơ: «Tháng 3», «Tháng 4»" in message
    assert "hãy chọn trang tính cần nạp" in message and "--sheet TÊN" in message   # how to choose
    # Choosing is tested in tests/test_several_lists.py.


def test_a_dossier_list_beside_a_title_sheet_loads(con, tmp_path):
    data = sheets_workbook(tmp_path, ("Bìa", [["BÁO CÁO HỒ SƠ THÁNG 3/2024"]], "visible"),
                           ("Danh sách", ROWS, "visible"))
    assert ingest_file(con, data, "bia.xlsx").added == 2

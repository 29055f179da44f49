"""HTML tables saved as .xls and Excel 2003 XML spreadsheets: read from the content, end to end
into DuckDB without a hand mapping, and hostile variants refused with a Vietnamese message."""
from __future__ import annotations

import datetime as dt

import pytest

from cchc_metrics.app_services import describe_layout
from cchc_metrics.errors import IngestError
from cchc_metrics.ingest import ingest_file, limits, read_export
from cchc_metrics.ingest.html_table import read_html_grids
from cchc_metrics.ingest.safety import detect_format
from cchc_metrics.ingest.spreadsheet_xml import read_spreadsheet_xml_grids

CONTENT = "dossier_id, procedure_name, unit, received_at, due_at, finished_at, status, source_row"


def content(con) -> list[tuple]:
    return con.execute(f"SELECT {CONTENT} FROM dossiers ORDER BY dossier_id").fetchall()


def refused(con, data: bytes, name: str) -> str:
    with pytest.raises(IngestError) as caught:
        ingest_file(con, data, name)
    assert caught.value.file_name == name
    for table in ("uploads", "dossiers", "dossier_versions"):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
    return str(caught.value)


# --- HTML saved as .xls -------------------------------------------------------------------------

# Source: github.com/HuanVu201/DichVuCong_KhoaLuan_PASETO,
# quantri_client/src/pages/dvc/MauPhieu/ExportExcel/exportTableToExcel.js (`downloadPhieuExcel`):
# this template around the innerHTML of the exported element, sent as UTF-8 (a BOM only on the
# msSaveOrOpenBlob path) with an .xls name and no meta charset.
TAN_DAN_TEMPLATE = (
    '<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel"'
    ' xmlns="http://www.w3.org/TR/REC-html40"><head><!--[if gte mso 9]><xml><x:ExcelWorkbook>'
    '<x:ExcelWorksheets><x:ExcelWorksheet><x:Name>{worksheet}</x:Name><x:WorksheetOptions>'
    '<x:DisplayGridlines/></x:WorksheetOptions></x:ExcelWorksheet></x:ExcelWorksheets>'
    '</x:ExcelWorkbook></xml><![endif]--></head><body><table border="1" style="border-width:1px;">'
    '{table}</table></body></html>')

CELL = 'style="vertical-align: middle; padding: 5px; border: 1px solid #333;"'


def tan_dan_dossier_list() -> str:
    """The innerHTML of a <div> export (as in .../exportElements/XuatBaoCaoHoSoLLTPVNeId.tsx and
    XuatDanhSachHoSoChungThuc.tsx of that repository): a title table (unit | national motto with
    <br/>, a report title spanning the width with the period in <i>, an empty <tr><p></p></tr>),
    then the data table: two header rows (rowspan/colspan, <strong>, <br/>), dossier rows with
    entities, a totals row. Excel rows: 1-2 titles, 3 empty, 4-5 header, 6-8 dossiers, 9 totals."""
    def th(text, **span):
        attrs = "".join(f' {k}="{v}"' for k, v in span.items())
        return f"<td{attrs} {CELL}><strong>{text}</strong></td>"

    def td(text):
        return f"<td {CELL}>{text}</td>"

    dossiers = [
        ("000.00.25.H01-240318-0001", "Cấp giấy phép xây dựng", "Phòng Kinh tế &amp; Hạ tầng", "Nguyễn Văn An",
         "18/03/2024&nbsp;08:30", "01/04/2024 17:00", "28/03/2024 10:15", "Đã trả kết quả"),
        ("000.00.25.H01-240319-0002", "Đăng ký hộ kinh doanh", "Phòng Tài chính - Kế hoạch", "Trần Thị Bình",
         "19/03/2024 14:05", "22/03/2024 17:00", "", "Đang xử lý"),
        ("000.00.25.H01-240320-0003", "Chứng thực bản sao từ bản chính", "Phòng Tư pháp", "Lê Văn Cường",
         "20/03/2024\n            09:00", "20/03/2024 17:00", "20/03/2024 11:40", "Đã trả&nbsp;kết quả"),
    ]
    body = "".join(f"<tr>{td(i)}{''.join(td(v) for v in row)}</tr>" for i, row in enumerate(dossiers, 1))
    return (
        '<table style="vertical-align: middle; border-collapse: collapse; width: 100%;"><thead>'
        '<tr><td colspan="4" style="vertical-align: top;"><strong>UBND HUYỆN AN PHÚ </strong></td>'
        '<td colspan="5"><strong>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM<br><u>Độc lập - Tự do - Hạnh phúc</u>'
        '</strong></td></tr>'
        '<tr><td colspan="9"><strong> DANH SÁCH HỒ SƠ TIẾP NHẬN</strong><br><i>(Từ ngày 01/03/2024 đến ngày '
        '31/03/2024 )</i></td></tr><tr><p></p></tr></thead></table>'
        '<table id="tableToExcel" style="border-collapse: collapse;"><thead>'
        f'<tr>{th("STT", rowspan=2)}{th("Mã hồ sơ", rowspan=2)}{th("Tên thủ tục", rowspan=2)}'
        f'{th("Đơn vị<br>xử lý", rowspan=2)}{th("Người nộp", rowspan=2)}{th("Thời gian", colspan=3)}'
        f'{th("Trạng thái", rowspan=2)}</tr>'
        f'<tr>{th("Tiếp nhận")}{th("Hẹn trả")}{th("Có kết quả")}</tr></thead>'
        f'<tbody id="data">{body}'
        f'<tr>{td("")}{td("Tổng số")}{td("3")}<td colspan="6" {CELL}></td></tr></tbody></table>')


def tan_dan_xls(encoding: str = "utf-8") -> bytes:
    html = TAN_DAN_TEMPLATE.format(worksheet="Danh sách hồ sơ", table=tan_dan_dossier_list())
    return html.encode(encoding)


EXPECTED_HTML = [
    ("000.00.25.H01-240318-0001", "Cấp giấy phép xây dựng", "Phòng Kinh tế & Hạ tầng",
     dt.datetime(2024, 3, 18, 8, 30), dt.datetime(2024, 4, 1, 17, 0), dt.datetime(2024, 3, 28, 10, 15),
     "Đã trả kết quả", 6),
    ("000.00.25.H01-240319-0002", "Đăng ký hộ kinh doanh", "Phòng Tài chính - Kế hoạch",
     dt.datetime(2024, 3, 19, 14, 5), dt.datetime(2024, 3, 22, 17, 0), None, "Đang xử lý", 7),
    ("000.00.25.H01-240320-0003", "Chứng thực bản sao từ bản chính", "Phòng Tư pháp",
     dt.datetime(2024, 3, 20, 9, 0), dt.datetime(2024, 3, 20, 17, 0), dt.datetime(2024, 3, 20, 11, 40),
     "Đã trả kết quả", 8),
]


# "utf-8": the data-URL download; "utf-8-sig": the msSaveOrOpenBlob path (a BOM before the text);
# "utf-16": the same page saved again from a browser or Excel as Unicode text.
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
@pytest.mark.parametrize("name", ["Danh sách hồ sơ 31/3/2024 17:5.xls", "export.htm", "hoso.xlsx"])
def test_tan_dan_html_export_loads_end_to_end(con, encoding, name):
    data = tan_dan_xls(encoding)
    assert detect_format(data, name) == "html"
    result = ingest_file(con, data, name)
    assert (result.rows_read, result.added, result.rejected) == (3, 3, 0)
    assert result.layout == {"format": "html", "header_rows": [4, 5], "first_data_row": 6}
    assert (result.period_start, result.period_end) == (dt.date(2024, 3, 1), dt.date(2024, 3, 31))
    assert result.mapping["received_at"] == "Thời gian - Tiếp nhận"
    assert result.mapping["unit"] == "Đơn vị xử lý"
    assert content(con) == EXPECTED_HTML
    assert con.execute("SELECT file_format FROM uploads").fetchone() == ("html",)
    assert describe_layout(result.layout).startswith("Tệp bảng trang web (HTML) mang đuôi Excel, dòng tiêu đề 4–5")
    assert "Nguyễn Văn An" not in str(con.execute("SELECT * FROM dossier_versions").fetchall())


def test_html_cells_read_as_excel_shows_them():
    """Spans leave the covered cells empty (as merged cells arrive from .xlsx); a rowspan in the
    body shifts the next rows' cells right; <br> is a line break; numbers stay text."""
    html = ('<table><tr><th rowspan="2">A</th><th colspan="2">B &lt;nhóm&gt;</th></tr>'
            '<tr><th>B1</th><th>B2<br/>dòng 2</th></tr>'
            '<tr><td rowspan="2">x</td><td>007</td><td colspan="0">1.234,5</td></tr>'
            '<tr><td>y1</td><td>  y2 \n\t z </td></tr></table>').encode()
    [grid] = read_html_grids(html, "t.xls")
    assert grid.top == [["A", "B <nhóm>", None], [None, "B1", "B2\ndòng 2"], ["x", "007", "1.234,5"],
                        [None, "y1", "y2 z"]]
    assert grid.row_numbers.to_pylist() == [1, 2, 3, 4]
    # A table nested in a cell: its rows come first (read as they close), the cell keeps its own text.
    nested = ('<table><tr><td>trước<table><tr><td>trong</td></tr></table>sau<script>var x;</script> '
              'hết</td><td>b</td></tr></table>').encode()
    assert read_html_grids(nested, "n.xls")[0].top == [["trong", None], ["trước\nsau hết", "b"]]


def test_html_titles_outside_the_table_are_rows():
    """Exporters that write the title as <h3>/<p> above the <table>: Excel shows them as rows."""
    html = ('<html><head><meta charset="utf-8"></head><body><h3>BÁO CÁO HỒ SƠ</h3><p><i>Từ ngày 01/02/2024 '
            'đến ngày 29/02/2024</i></p><table><caption>Bảng 1</caption><tr><th>Mã hồ sơ</th><th>Ngày tiếp '
            'nhận</th><th>Đơn vị xử lý</th><th>Thủ tục</th></tr><tr><td>H1</td><td>05/02/2024</td><td>Phòng '
            'A</td><td><p>Thủ tục</p><p>một</p></td></tr></table><p>Người lập biểu</p></body></html>')
    [grid] = read_html_grids(html.encode(), "bc.xls")
    assert grid.top == [["BÁO CÁO HỒ SƠ", None, None, None], ["Từ ngày 01/02/2024 đến ngày 29/02/2024", None, None, None],
                        ["Bảng 1", None, None, None], ["Mã hồ sơ", "Ngày tiếp nhận", "Đơn vị xử lý", "Thủ tục"],
                        ["H1", "05/02/2024", "Phòng A", "Thủ tục\nmột"], ["Người lập biểu", None, None, None]]
    export = read_export(html.encode(), "bc.xls")
    assert (export.period_start, export.period_end, export.header_rows) == (
        dt.date(2024, 2, 1), dt.date(2024, 2, 29), [4])


def test_html_in_a_declared_legacy_charset():
    html = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1258">'
            '</head><body><table><tr><td>Tư pháp</td></tr></table></body></html>')
    [grid] = read_html_grids(html.encode("cp1258"), "cu.xls")
    assert grid.top == [["Tư pháp"]]


# --- Excel 2003 XML -----------------------------------------------------------------------------

# Source: github.com/tuanhud/quanlytaisan-cntt-dhcantho, VPP_export.php: a report written as
# SpreadsheetML with an .xls name (`<?mso-application progid="Excel.Sheet"?>`, Styles, a Table
# with ss:ExpandedColumnCount and <Column ss:Index>, title rows as ss:MergeAcross cells, empty
# styled <Cell/>s, `&amp;`). Below: the same shape for a dossier list, with a header group over
# three dates (MergeAcross), the cells under the group's neighbours merged down (MergeDown, the
# row below skipping them with ss:Index, as Excel writes it), DateTime cells, and an empty row
# skipped with Row ss:Index.
def spreadsheet_xml(second_sheet: bool = False) -> bytes:
    def s(text, **attrs):
        extra = "".join(f' ss:{k}="{v}"' for k, v in attrs.items())
        return f'<Cell ss:StyleID="s65"{extra}><Data ss:Type="String">{text}</Data></Cell>'

    def d(value):
        return f'<Cell ss:StyleID="s70"><Data ss:Type="DateTime">{value}</Data></Cell>'

    def n(value):
        return f'<Cell><Data ss:Type="Number">{value}</Data></Cell>'

    rows = [
        f'<Row>{s("SỞ TƯ PHÁP TỈNH AN GIANG", MergeAcross=2)}{s("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", MergeAcross=3)}</Row>',
        f'<Row>{s("BÁO CÁO CHI TIẾT HỒ SƠ - Từ ngày 01/03/2024 đến ngày 31/03/2024", MergeAcross=7)}</Row>',
        '<Row ss:Index="4">'
        f'{s("TT", MergeDown=1)}{s("Số hồ sơ", MergeDown=1)}{s("Thủ tục", MergeDown=1)}'
        f'{s("Cơ quan thụ lý", MergeDown=1)}{s("Ngày, tháng, năm", MergeAcross=2)}'
        f'{s("Tình trạng", MergeDown=1)}</Row>',
        f'<Row>{s("Ngày nhận hồ sơ", Index=5)}{s("Ngày hẹn trả kết quả")}{s("Ngày hoàn thành")}</Row>',
        f'<Row>{n(1)}{s("HS-0001")}{s("Đăng ký khai sinh")}{s("Phòng Hộ tịch &amp; Quốc tịch")}'
        f'{d("2024-03-18T13:05:00.000")}{d("2024-03-25T00:00:00.000")}{d("2024-03-19T09:30:00.000")}'
        f'{s("Đã giải quyết")}</Row>',
        f'<Row>{n(2)}{s("HS-0002")}{s("Cấp phiếu lý lịch tư pháp")}{s("Phòng Hành chính tư pháp")}'
        f'{d("2024-03-20T08:00:00.000")}{d("2024-03-29T17:00:00.000")}'
        f'{s("Đang giải quyết", Index=8)}</Row>',
        f'<Row ss:Index="9">{n(3)}{s("HS-0003")}{s("Chứng thực chữ ký")}{s("Phòng Hành chính tư pháp")}'
        f'{d("2024-03-21T10:15:00.000")}{d("2024-03-21T17:00:00.000")}{d("2024-03-21T15:45:00.000")}'
        f'{s("Đã giải quyết")}</Row>',
        f'<Row>{s("Tổng cộng", Index=2)}{n(3)}</Row>',
    ]
    sheet = ('<Worksheet ss:Name="Chi tiết"><Table ss:ExpandedColumnCount="8" ss:ExpandedRowCount="10" '
             'x:FullColumns="1" x:FullRows="1">'
             '<Column ss:AutoFitWidth="0" ss:Width="26.25"/><Column ss:Index="4" ss:Width="37.5"/>'
             f'{"".join(rows)}</Table><WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel">'
             '<Selected/></WorksheetOptions></Worksheet>')
    other = ('<Worksheet ss:Name="Ghi chú"><Table><Row><Cell><Data ss:Type="String">Xuất từ phần mềm'
             '</Data></Cell></Row></Table></Worksheet>')
    return ('<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
            '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"\n'
            ' xmlns:o="urn:schemas-microsoft-com:office:office"\n'
            ' xmlns:x="urn:schemas-microsoft-com:office:excel"\n'
            ' xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"\n'
            ' xmlns:html="http://www.w3.org/TR/REC-html40">\n'
            ' <DocumentProperties xmlns="urn:schemas-microsoft-com:office:office"><Author>CCHC</Author>'
            '</DocumentProperties>\n <Styles><Style ss:ID="Default" ss:Name="Normal"><Alignment '
            'ss:Vertical="Bottom"/></Style><Style ss:ID="s70"><NumberFormat ss:Format="dd/mm/yyyy\\ hh:mm"/>'
            '</Style></Styles>\n'
            + (other if second_sheet else "") + sheet + '</Workbook>').encode("utf-8")


EXPECTED_XML = [
    ("HS-0001", "Đăng ký khai sinh", "Phòng Hộ tịch & Quốc tịch", dt.datetime(2024, 3, 18, 13, 5),
     dt.datetime(2024, 3, 25, 23, 59, 59), dt.datetime(2024, 3, 19, 9, 30), "Đã giải quyết", 6),
    ("HS-0002", "Cấp phiếu lý lịch tư pháp", "Phòng Hành chính tư pháp", dt.datetime(2024, 3, 20, 8, 0),
     dt.datetime(2024, 3, 29, 17, 0), None, "Đang giải quyết", 7),
    ("HS-0003", "Chứng thực chữ ký", "Phòng Hành chính tư pháp", dt.datetime(2024, 3, 21, 10, 15),
     dt.datetime(2024, 3, 21, 17, 0), dt.datetime(2024, 3, 21, 15, 45), "Đã giải quyết", 9),
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
@pytest.mark.parametrize("name", ["baocao.xls", "baocao.xml"])
def test_spreadsheet_xml_loads_end_to_end(con, name, encoding):
    data = spreadsheet_xml()
    if encoding != "utf-8":      # as Excel's "XML Spreadsheet 2003" or .NET writers may save it
        data = data.decode().replace('<?xml version="1.0"?>', f'<?xml version="1.0" encoding="{encoding}"?>'
                                     ).encode(encoding)
    assert detect_format(data, name) == "xml2003"
    result = ingest_file(con, data, name)
    assert (result.rows_read, result.added, result.rejected) == (3, 3, 0)
    assert result.layout == {"format": "xml2003", "header_rows": [4, 5], "first_data_row": 6,
                             "sheet": "Chi tiết"}
    assert (result.period_start, result.period_end) == (dt.date(2024, 3, 1), dt.date(2024, 3, 31))
    assert content(con) == EXPECTED_XML
    assert con.execute("SELECT file_format FROM uploads").fetchone() == ("xml2003",)
    assert describe_layout(result.layout).startswith("Tệp Excel 2003 XML, trang tính «Chi tiết»")


def test_spreadsheet_xml_cells_and_sheets():
    grids = read_spreadsheet_xml_grids(spreadsheet_xml(second_sheet=True), "bc.xls")
    assert [g.sheet for g in grids] == ["Ghi chú", "Chi tiết"]
    detail = grids[1]
    assert detail.row_numbers.to_pylist() == [1, 2, 4, 5, 6, 7, 9, 10]
    assert detail.top[2] == ["TT", "Số hồ sơ", "Thủ tục", "Cơ quan thụ lý", "Ngày, tháng, năm", None, None,
                             "Tình trạng"]
    assert detail.top[3] == [None, None, None, None, "Ngày nhận hồ sơ", "Ngày hẹn trả kết quả", "Ngày hoàn thành", None]
    assert detail.top[4][4:7] == ["2024-03-18 13:05:00", "2024-03-25 00:00:00", "2024-03-19 09:30:00"]
    assert detail.top[5][6:] == [None, "Đang giải quyết"]
    # read_export tries the sheets in order and takes the one with the dossier header.
    export = read_export(spreadsheet_xml(second_sheet=True), "bc.xls")
    assert (export.file_format, export.sheet, export.table.num_rows) == ("xml2003", "Chi tiết", 4)


def test_merge_down_without_index_skips_covered_cells():
    xml = ('<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
           'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="S"><Table>'
           '<Row><Cell ss:MergeDown="2" ss:MergeAcross="1"><Data ss:Type="String">A</Data></Cell>'
           '<Cell><Data ss:Type="String">B</Data></Cell></Row>'
           '<Row><Cell><Data ss:Type="String">C</Data></Cell></Row>'
           '<Row><Cell><Data ss:Type="String">D</Data></Cell></Row>'
           '<Row><Cell><Data ss:Type="String">E</Data></Cell></Row></Table></Worksheet></Workbook>')
    [grid] = read_spreadsheet_xml_grids(xml.encode(), "m.xml")
    assert grid.top == [["A", None, "B"], [None, None, "C"], [None, None, "D"], ["E", None, None]]


# --- Hostile and broken files -------------------------------------------------------------------

XML_HEAD = ('<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
            '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
            'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">')
LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE Workbook [<!ENTITY a "aaaaaaaaaa">'
          + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
          + ']>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
            'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="S"><Table>'
            '<Row><Cell><Data ss:Type="String">&j;</Data></Cell></Row></Table></Worksheet></Workbook>')
EXTERNAL = ('<?xml version="1.0"?>\n<!DOCTYPE Workbook [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
            '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet><Table><Row><Cell>'
            '<Data>&x;</Data></Cell></Row></Table></Worksheet></Workbook>')
LOGIN_PAGE = ('<!DOCTYPE html>\n<html lang="vi"><head><meta charset="utf-8"><title>Đăng nhập - Hệ thống '
              'một cửa điện tử</title></head><body><form action="/login" method="post"><h1>Đăng nhập</h1>'
              '<input name="username" placeholder="Tên đăng nhập"><input type="password" name="password">'
              '<button>Đăng nhập</button></form></body></html>')

HOSTILE = [
    pytest.param(b'<table><tr><td colspan="1000000">x</td></tr><tr><td>y</td></tr></table>', "span.xls",
                 "không tìm thấy dòng tiêu đề", id="html-huge-colspan"),
    pytest.param(b'<table><tr><td rowspan="2147483647">a</td><td colspan="-5">b</td></tr></table>',
                 "rowspan.xls", "không tìm thấy dòng tiêu đề", id="html-huge-rowspan"),
    pytest.param(("<table><tr>" + "<td>c</td>" * 250 + "</tr></table>").encode(), "wide.xls",
                 "hơn 200 cột", id="html-too-many-columns"),
    pytest.param(tan_dan_xls()[:len(tan_dan_xls()) * 2 // 3], "cut.xls", "tệp hỏng", id="html-truncated"),
    pytest.param(tan_dan_xls()[:tan_dan_xls().index(b"</tr>", tan_dan_xls().index(b"240319-0002")) + 5],
                 "cut2.xls", "tệp hỏng", id="html-cut-after-a-row"),
    pytest.param(b"<table><tr><td>" + b"<b>" * 100_000 + b"x" + b"</b>" * 100_000 + b"</td></tr></table>",
                 "deep.xls", "tệp hỏng", id="html-deep-nesting"),
    pytest.param(b"<table><tr><td>" + b"a" * 11_000_000 + b"</td></tr></table>", "long.xls", "tệp hỏng",
                 id="html-huge-text"),
    pytest.param(b"<html><body><table></table></body></html>", "rong.xls", "tệp trống", id="html-0-rows"),
    pytest.param(LOGIN_PAGE.encode(), "dangnhap.xls", "không chứa bảng dữ liệu", id="html-login-page"),
    pytest.param("<table><tr><td>Tư pháp</td></tr></table>".encode("cp1258"), "ansi.xls",
                 "UTF-8", id="html-undeclared-legacy-charset"),
    pytest.param((XML_HEAD + '<Worksheet ss:Name="S"><Table><Row><Cell ss:Index="16384000"><Data '
                  'ss:Type="String">x</Data></Cell></Row></Table></Worksheet></Workbook>').encode(),
                 "index.xls", "vượt giới hạn", id="xml-huge-cell-index"),
    pytest.param((XML_HEAD + '<Worksheet ss:Name="S"><Table><Row ss:Index="99999999"><Cell><Data '
                  'ss:Type="String">x</Data></Cell></Row></Table></Worksheet></Workbook>').encode(),
                 "row.xls", "vượt giới hạn", id="xml-huge-row-index"),
    pytest.param((XML_HEAD + '<Worksheet ss:Name="S"><Table><Row><Cell ss:MergeAcross="99999999" '
                  'ss:MergeDown="99999999"><Data ss:Type="String">x</Data></Cell></Row></Table></Worksheet>'
                  '</Workbook>').encode(), "merge.xls", "không tìm thấy dòng tiêu đề", id="xml-huge-merge"),
    pytest.param(LAUGHS.encode(), "laughs.xls", "DOCTYPE", id="xml-entity-expansion"),
    pytest.param(EXTERNAL.encode(), "xxe.xml", "DOCTYPE", id="xml-external-entity"),
    pytest.param(EXTERNAL.encode("utf-16"), "xxe16.xml", "DOCTYPE", id="xml-external-entity-utf16"),
    pytest.param(spreadsheet_xml()[:1500], "cut.xml", "tệp hỏng", id="xml-truncated"),
    pytest.param((XML_HEAD + '<Worksheet><Table><Row><Cell><Data>' + "<B>" * 100_000 + "x" + "</B>" * 100_000
                  + '</Data></Cell></Row></Table></Worksheet></Workbook>').encode(), "deep.xml", "tệp hỏng",
                 id="xml-deep-nesting"),
    pytest.param((XML_HEAD + '<Worksheet ss:Name="S"><Table></Table></Worksheet></Workbook>').encode(),
                 "rong.xml", "tệp trống", id="xml-0-rows"),
    pytest.param((XML_HEAD + '</Workbook>').encode(), "nosheet.xml", "không có trang tính", id="xml-no-sheet"),
    pytest.param(b'<?xml version="1.0"?><rss><channel/></rss>', "feed.xml", "không phải bảng tính Excel 2003",
                 id="xml-not-spreadsheet"),
]


@pytest.mark.parametrize("data, name, expected", HOSTILE)
def test_hostile_markup_is_refused_in_vietnamese(con, data, name, expected):
    assert expected in refused(con, data, name)


def test_markup_limits_are_read_at_call_time(con, monkeypatch):
    monkeypatch.setattr(limits, "MAX_ROWS", 5)
    assert "vượt giới hạn" in refused(con, tan_dan_xls(), "hoso.xls")
    assert "vượt giới hạn" in refused(con, spreadsheet_xml(), "hoso.xml")


def test_hidden_sheet_in_excel_2003_xml_is_ignored(con):
    """A hidden sheet (<x:WorksheetOptions><x:Visible>SheetHidden</x:Visible>, as Excel writes it)
    holding an older copy of the list is skipped: without the check the two visible-looking lists
    were refused as "several lists" and the user asked to pick one they cannot see in Excel."""
    data = spreadsheet_xml().decode("utf-8")
    visible = data[data.index('<Worksheet ss:Name="Chi tiết">'):data.index("</Workbook>")]
    hidden = (visible.replace('ss:Name="Chi tiết"', 'ss:Name="Bản cũ"')
              .replace("HS-0003", "HS-0099")
              .replace("<Selected/>", "<Visible>SheetHidden</Visible>"))
    result = ingest_file(con, (data.replace(visible, hidden + visible)).encode("utf-8"), "an-trang.xls")
    assert result.layout["sheet"] == "Chi tiết"
    assert [r[0] for r in con.execute("SELECT dossier_id FROM dossiers ORDER BY 1").fetchall()] == [
        "HS-0001", "HS-0002", "HS-0003"]

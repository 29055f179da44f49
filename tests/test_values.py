"""Value parsing in SQL (dates, NFC text) and legacy Vietnamese encodings (TCVN3, VNI), alone and
through ingest_file into a real DuckDB."""
from __future__ import annotations

import datetime as dt
import unicodedata

import duckdb
import openpyxl
import pyarrow as pa
import pytest
from openpyxl.styles import Font

from cchc_metrics.errors import IngestError
from cchc_metrics.ingest import ingest_file, preview_export, rejected_rows
from cchc_metrics.ingest.legacy_text import (TCVN3_TO_UNICODE, VNI_TO_UNICODE, detect,
                                             font_encodings, to_unicode)
from cchc_metrics.ingest.values import normalise_text_columns, text_sql, timestamp_sql
from conftest import write_csv

T = dt.datetime

DATE_CASES = [
    ("dd/mm/yyyy HH:MM", "18/03/2024 13:05", T(2024, 3, 18, 13, 5)),
    ("dd/mm/yyyy HH:MM:SS", "18/03/2024 13:05:09", T(2024, 3, 18, 13, 5, 9)),
    ("dd/mm/yyyy", "18/03/2024", T(2024, 3, 18)),
    ("d/m/yyyy", "8/3/2024", T(2024, 3, 8)),
    # Song Anh report: "<date><br><I><B>Lý do không XL:</B></I> …" in one cell.
    ("date then a reason on the next line", "19/3/2024\nLý do không XL: thiếu giấy tờ", T(2024, 3, 19)),
    ("two dates on two lines: the first", "19/03/2024 08:00\n20/03/2024", T(2024, 3, 19, 8, 0)),
    ("text then a date: unreadable", "Lý do\n19/3/2024", None),
    ("dd-mm-yyyy", "18-03-2024", T(2024, 3, 18)),
    ("dd-mm-yyyy HH:MM", "18-03-2024 07:30", T(2024, 3, 18, 7, 30)),
    ("dd.mm.yyyy", "18.03.2024", T(2024, 3, 18)),
    ("time first with comma", "13:05, 18/03/2024", T(2024, 3, 18, 13, 5)),
    ("time first without comma", "13:05 18/03/2024", T(2024, 3, 18, 13, 5)),
    ("time first one-digit hour", "9:05 18/03/2024", T(2024, 3, 18, 9, 5)),
    ("time first with seconds", "13:05:09, 18/03/2024", T(2024, 3, 18, 13, 5, 9)),
    ("yyyyMMddHHmmss", "20240318130500", T(2024, 3, 18, 13, 5)),
    ("yyyyMMdd not read (not seen in exports)", "20240318", None),
    ("ISO date", "2024-03-18", T(2024, 3, 18)),
    ("ISO space", "2024-03-18 13:05:00", T(2024, 3, 18, 13, 5)),
    ("ISO T milliseconds", "2024-03-18T13:05:00.123", T(2024, 3, 18, 13, 5, 0, 123000)),
    ("ISO +07:00 stays", "2024-03-18T13:05:00+07:00", T(2024, 3, 18, 13, 5)),
    ("ISO Z to +7", "2024-03-18T06:05:00Z", T(2024, 3, 18, 13, 5)),
    ("ISO +00:00 to +7", "2024-03-18T06:05:00+00:00", T(2024, 3, 18, 13, 5)),
    ("ISO Z crossing midnight", "2024-03-18T20:30:00Z", T(2024, 3, 19, 3, 30)),
    ("ISO -05:00 to +7", "2024-03-18T01:05:00-05:00", T(2024, 3, 18, 13, 5)),
    ("ISO ms and +0700", "2024-03-18T13:05:00.250+0700", T(2024, 3, 18, 13, 5, 0, 250000)),
    ("Excel serial", "45369", T(2024, 3, 18)),
    ("Excel serial with time", "45369.5", T(2024, 3, 18, 12)),
    ("year 2000 kept", "01/01/2000", T(2000, 1, 1)),
    ("year 2100 kept", "31/12/2100 23:59", T(2100, 12, 31, 23, 59)),
    # unreadable: NULL, so the row is reported
    ("month 13", "18/13/2024", None),
    ("day 32", "32/01/2024", None),
    ("30 February", "30/02/2024", None),
    ("14 digits month 13", "20241318130500", None),
    ("14 digits hour 25", "20240318250000", None),
    ("14 digits not a date", "12345678901234", None),
    ("8 digits not a date", "20241340", None),
    ("time first month 13", "13:05, 18/13/2024", None),
    ("year 2203 typo", "18/03/2203", None),
    ("year 1900", "18/03/1900", None),
    ("year 1999", "31/12/1999 23:59", None),
    ("year 2101", "01/01/2101", None),
    ("14 digits year 2203", "22030318130500", None),
    ("ISO year 1900", "1900-03-18T13:05:00Z", None),
    ("text", "chưa có", None),
    ("null", None, None),
]


@pytest.fixture(scope="module")
def duck():
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.mark.parametrize("text, expected", [c[1:] for c in DATE_CASES], ids=[c[0] for c in DATE_CASES])
def test_timestamp_sql(duck, text, expected):
    got = duck.execute(f"SELECT {timestamp_sql('c')} FROM (SELECT ?::VARCHAR AS c)", [text]).fetchone()[0]
    assert got == expected


def test_timestamp_sql_reads_a_column_of_mixed_forms_in_one_pass(duck):
    texts = [c[1] for c in DATE_CASES]
    duck.execute("CREATE OR REPLACE TEMP TABLE mixed AS SELECT unnest(?::VARCHAR[]) AS c", [texts])
    got = [r[0] for r in duck.execute(f"SELECT {timestamp_sql('c')} FROM mixed").fetchall()]
    assert got == [c[2] for c in DATE_CASES]


NFC_CASES = [
    ("composed stays", "Phòng Hành chính tư pháp", "Phòng Hành chính tư pháp"),
    ("decomposed composed", unicodedata.normalize("NFD", "Phòng Hành chính tư pháp"),
     "Phòng Hành chính tư pháp"),
    ("decomposed trimmed", " " + unicodedata.normalize("NFD", "Sở Tư pháp") + " ", "Sở Tư pháp"),
    ("ascii", " HS-001 ", "HS-001"),
    ("blank", "   ", None),
]


@pytest.mark.parametrize("text, expected", [c[1:] for c in NFC_CASES], ids=[c[0] for c in NFC_CASES])
def test_text_is_composed_then_trimmed(duck, text, expected):
    table = normalise_text_columns(pa.table({"c": [text, "Văn phòng Sở"]}), ["c"])
    cur = duck.cursor()
    cur.register("composed", table)
    got = cur.execute(f"SELECT {text_sql('c')} FROM composed").fetchall()[0][0]
    assert got == expected


# A few letters checked against the sources named in legacy_text (two per encoding).
TABLE_CASES = [
    ("tcvn3 a huyen", TCVN3_TO_UNICODE, "µ", "à"), ("tcvn3 a sac", TCVN3_TO_UNICODE, "¸", "á"),
    ("tcvn3 a hoi", TCVN3_TO_UNICODE, "¶", "ả"), ("tcvn3 a nga", TCVN3_TO_UNICODE, "·", "ã"),
    ("tcvn3 a nang", TCVN3_TO_UNICODE, "¹", "ạ"), ("tcvn3 d", TCVN3_TO_UNICODE, "®", "đ"),
    ("tcvn3 u horn", TCVN3_TO_UNICODE, "\xad", "ư"), ("tcvn3 i sac", TCVN3_TO_UNICODE, "Ý", "í"),
    ("tcvn3 o huyen", TCVN3_TO_UNICODE, "ß", "ò"), ("tcvn3 e circ sac", TCVN3_TO_UNICODE, "Õ", "ế"),
    ("tcvn3 y nang", TCVN3_TO_UNICODE, "þ", "ỵ"), ("tcvn3 D", TCVN3_TO_UNICODE, "§", "Đ"),
    ("tcvn3 A breve", TCVN3_TO_UNICODE, "¡", "Ă"), ("tcvn3 U horn", TCVN3_TO_UNICODE, "¦", "Ư"),
    ("vni a huyen", VNI_TO_UNICODE, "aø", "à"), ("vni a breve", VNI_TO_UNICODE, "aê", "ă"),
    ("vni a breve nang", VNI_TO_UNICODE, "aë", "ặ"), ("vni a circ nga", VNI_TO_UNICODE, "aã", "ẫ"),
    ("vni i nga", VNI_TO_UNICODE, "ó", "ĩ"), ("vni i hoi", VNI_TO_UNICODE, "æ", "ỉ"),
    ("vni o horn", VNI_TO_UNICODE, "ô", "ơ"), ("vni o horn sac", VNI_TO_UNICODE, "ôù", "ớ"),
    ("vni U horn", VNI_TO_UNICODE, "Ö", "Ư"), ("vni y nang", VNI_TO_UNICODE, "î", "ỵ"),
    ("vni D", VNI_TO_UNICODE, "Ñ", "Đ"), ("vni O circ huyen", VNI_TO_UNICODE, "OÀ", "Ồ"),
]


@pytest.mark.parametrize("table, code, letter", [c[1:] for c in TABLE_CASES], ids=[c[0] for c in TABLE_CASES])
def test_conversion_tables(table, code, letter):
    assert table[code] == letter


TEXT_CASES = [
    ("tcvn3 unit", "Phßng Hµnh chÝnh t\xad ph¸p", "tcvn3", "Phòng Hành chính tư pháp"),
    ("tcvn3 procedure", "§¨ng ký kÕt h«n", "tcvn3", "Đăng ký kết hôn"),
    ("tcvn3 province", "Uû ban nh©n d©n tØnh Kh¸nh Hßa", "tcvn3", "Uỷ ban nhân dân tỉnh Khánh Hòa"),
    ("tcvn3 capital font", "PHßNG T¦ PH¸P", "tcvn3", "PHÒNG TƯ PHÁP"),
    ("tcvn3 short word kept lower", "Hµ Néi", "tcvn3", "Hà Nội"),
    ("vni unit", "Phoøng Haønh chính tö phaùp", "vni", "Phòng Hành chính tư pháp"),
    ("vni procedure", "Ñaêng kyù keát hoân", "vni", "Đăng ký kết hôn"),
    ("vni capitals", "TRUNG TAÂM TRÔÏ GIUÙP PHAÙP LYÙ", "vni", "TRUNG TÂM TRỢ GIÚP PHÁP LÝ"),
    ("unicode cell untouched", "Phòng Tư pháp", "tcvn3", "Phòng Tư pháp"),
    ("ascii untouched", "HS-2024-001", "vni", "HS-2024-001"),
]


@pytest.mark.parametrize("text, encoding, expected", [c[1:] for c in TEXT_CASES], ids=[c[0] for c in TEXT_CASES])
def test_to_unicode(text, encoding, expected):
    assert to_unicode(text, encoding) == expected


def test_detect_unicode_with_stray_symbols_is_left_alone():
    cells = ["Phòng Tư pháp", "Văn phòng Sở", "Hộ tịch"] * 10 + ["© VNPT iGate", "Giá «trọn gói»"]
    assert detect(cells, set(), "x.xlsx") is None


def test_detect_is_sure_with_many_cells_or_the_font():
    tcvn3 = ["Phßng Hµnh chÝnh", "§¨ng ký kÕt h«n", "V¨n phßng Së", "Chøng thùc"]
    assert detect(tcvn3, set(), "x.xlsx") == "tcvn3"
    assert detect(tcvn3[:1], {"tcvn3"}, "x.xlsx") == "tcvn3"
    vni = ["Phoøng Haønh chính", "Ñaêng kyù keát hoân", "Vaên phoøng Sôû"]
    assert detect(vni, set(), "x.xlsx") == "vni"
    with pytest.raises(IngestError, match="bảng mã cũ"):
        detect(["Phßng Hµnh chÝnh", "Phòng Tư pháp", "Hộ tịch"], set(), "x.xlsx")


# --- end to end ------------------------------------------------------------------------------

def _xlsx(path, rows, font: str | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    if font:
        for row in ws.iter_rows():
            for cell in row:
                cell.font = Font(name=font)
    wb.save(path)
    return path.read_bytes()


def _dossiers(con) -> list[tuple]:
    return con.execute("SELECT dossier_id, procedure_name, unit, received_at, due_at FROM dossiers "
                       "ORDER BY dossier_id").fetchall()


EXPECTED_LEGACY = [
    ("HS-1", "Đăng ký kết hôn", "Phòng Hành chính tư pháp", T(2024, 3, 18, 8, 0), T(2024, 3, 25, 23, 59, 59)),
    ("HS-2", "Chứng thực bản sao", "Văn phòng Sở", T(2024, 3, 19), T(2024, 3, 19, 23, 59, 59)),
]


def test_tcvn3_workbook_with_vntime_font_is_converted(con, tmp_path):
    # Typed by hand in TCVN3 codes: M· hå s¬ = Mã hồ sơ, Tªn thñ tôc = Tên thủ tục, ...
    data = _xlsx(tmp_path / "tcvn3.xlsx", [
        ["Së T\xad ph¸p tØnh Kh¸nh Hßa"],
        ["M· hå s¬", "Tªn thñ tôc", "§¬n vÞ xö lý", "Ngµy tiÕp nhËn", "Ngµy hÑn tr¶"],
        ["HS-1", "§¨ng ký kÕt h«n", "Phßng Hµnh chÝnh t\xad ph¸p", "18/03/2024 08:00", "25/03/2024"],
        ["HS-2", "Chøng thùc b¶n sao", "V¨n phßng Së", "19/03/2024", "19/03/2024"],
    ], font=".VnTime")
    assert font_encodings(data, "xlsx") == {"tcvn3"}
    preview = preview_export(data, "tcvn3.xlsx")
    assert preview.headers == ["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận", "Ngày hẹn trả"]
    assert list(preview.sample["Đơn vị xử lý"]) == ["Phòng Hành chính tư pháp", "Văn phòng Sở"]
    result = ingest_file(con, data, "tcvn3.xlsx")
    assert result.mapping["unit"] == "Đơn vị xử lý"
    assert result.mapping["received_at"] == "Ngày tiếp nhận"
    assert _dossiers(con) == EXPECTED_LEGACY


def test_vni_workbook_is_converted(con, tmp_path):
    data = _xlsx(tmp_path / "vni.xlsx", [
        ["Maõ hoà sô", "Teân thuû tuïc", "Ñôn vò xöû lyù", "Ngaøy tieáp nhaän", "Ngaøy heïn traû"],
        ["HS-1", "Ñaêng kyù keát hoân", "Phoøng Haønh chính tö phaùp", "18/03/2024 08:00", "25/03/2024"],
        ["HS-2", "Chöùng thöïc baûn sao", "Vaên phoøng Sôû", "19/03/2024", "19/03/2024"],
    ], font="VNI-Times")
    assert font_encodings(data, "xlsx") == {"vni"}
    result = ingest_file(con, data, "vni.xlsx")
    assert result.mapping["procedure_name"] == "Tên thủ tục"
    assert _dossiers(con) == EXPECTED_LEGACY


def test_a_file_with_some_legacy_looking_cells_is_refused_and_nothing_stored(con, tmp_path):
    data = _xlsx(tmp_path / "mixed.xlsx", [
        ["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận"],
        ["HS-1", "Đăng ký kết hôn", "Phòng Tư pháp", "18/03/2024"],
        ["HS-2", "Chứng thực", "Phßng Hµnh chÝnh", "19/03/2024"],
    ])
    with pytest.raises(IngestError) as refused:
        ingest_file(con, data, "mixed.xlsx")
    assert "bảng mã cũ" in str(refused.value) and "«Phßng Hµnh chÝnh»" in str(refused.value)
    assert con.execute("SELECT count(*) FROM uploads").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM dossiers").fetchone()[0] == 0


def test_decomposed_csv_text_is_the_same_unit_as_composed_text(con, tmp_path):
    unit = "Phòng Hành chính tư pháp"
    header = ["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận"]
    composed = _xlsx(tmp_path / "nfc.xlsx", [header, ["HS-1", "Đăng ký kết hôn", unit, "18/03/2024"]])
    nfd = [[unicodedata.normalize("NFD", c) for c in row] for row in
           [header, ["HS-2", "Đăng ký kết hôn", unit, "19/03/2024"],
            ["HS-3", "Chứng thực", unit, "20/03/2024"]]]
    assert nfd[1][2] != unit
    decomposed = write_csv(tmp_path / "nfd.csv", nfd, bom=True).read_bytes()
    ingest_file(con, composed, "nfc.xlsx")
    result = ingest_file(con, decomposed, "nfd.csv")
    assert result.mapping["unit"] == "Đơn vị xử lý"       # headers composed too
    assert con.execute("SELECT unit, count(*) FROM dossiers GROUP BY unit").fetchall() == [(unit, 3)]
    assert con.execute("SELECT procedure_name, count(*) FROM dossiers GROUP BY 1 ORDER BY 1").fetchall() \
        == [("Chứng thực", 1), ("Đăng ký kết hôn", 2)]


def test_national_portal_dates_yyyymmddhhmmss(con, tmp_path):
    header = ["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận", "Ngày hẹn trả",
              "Ngày có kết quả"]
    data = _xlsx(tmp_path / "dvcqg.xlsx", [
        header,
        ["000.00.12.H34-240318-0001", "Đăng ký kết hôn", "Phòng Hành chính tư pháp",
         "20240318130500", "20240325170000", "20240322091500"],
        ["000.00.12.H34-240319-0002", "Chứng thực", "Văn phòng Sở", 20240319080000, "20240319000000",
         None],
        ["000.00.12.H34-240320-0003", "Chứng thực", "Văn phòng Sở", "20241320080000", "22030325170000",
         None],
    ])
    result = ingest_file(con, data, "dvcqg.xlsx", skip_invalid=True)
    assert (result.rows_read, result.added, result.rejected) == (3, 2, 1)
    assert con.execute("SELECT dossier_id, received_at, due_at, finished_at FROM dossiers "
                       "ORDER BY dossier_id").fetchall() == [
        ("000.00.12.H34-240318-0001", T(2024, 3, 18, 13, 5), T(2024, 3, 25, 17), T(2024, 3, 22, 9, 15)),
        ("000.00.12.H34-240319-0002", T(2024, 3, 19, 8), T(2024, 3, 19, 23, 59, 59), None),
    ]
    bad = rejected_rows(con, result.upload_id)
    assert list(bad["value"]) == ["22030325170000", "20241320080000"]
    assert list(bad["column_name"]) == ["Ngày hẹn trả", "Ngày tiếp nhận"]
    assert all("2000–2100" in m for m in bad["message"])


def test_tcvn3_big_sheet_read_in_pieces_is_converted_throughout(con, tmp_path, monkeypatch):
    from cchc_metrics.ingest import excel_pieces, limits, store
    units = ["Phßng Hµnh chÝnh t\xad ph¸p", "V¨n phßng Së", "Trung t©m Trî gióp ph¸p lý"]
    rows = [["Hä tªn ng\xadêi nép", "M· hå s¬", "Tªn thñ tôc", "§¬n vÞ xö lý", "Ngµy tiÕp nhËn"]]
    rows += [[f"NguyÔn V¨n {i}", f"HS-{i:03d}", "§¨ng ký kÕt h«n", units[i % 3], f"{1 + i % 28:02d}/03/2024"]
             for i in range(90)]
    data = _xlsx(tmp_path / "big_tcvn3.xlsx", rows, font=".VnArial")
    pieces_cut = []
    real_pieces = excel_pieces.sheet_pieces
    monkeypatch.setattr(excel_pieces, "sheet_pieces",
                        lambda *a: (pieces_cut.append(p) or p for p in real_pieces(*a)))
    monkeypatch.setattr(limits, "PIECED_SHEET_BYTES", 4000)
    monkeypatch.setattr(limits, "PIECE_XML_BYTES", 1500)
    monkeypatch.setattr(store, "STAGE_BATCH_ROWS", 20)
    result = ingest_file(con, data, "big_tcvn3.xlsx")
    assert len(pieces_cut) > 3
    assert result.rows_read == 90
    assert con.execute("SELECT unit, count(*) FROM dossiers GROUP BY unit ORDER BY unit").fetchall() == [
        ("Phòng Hành chính tư pháp", 30), ("Trung tâm Trợ giúp pháp lý", 30), ("Văn phòng Sở", 30)]
    assert con.execute("SELECT DISTINCT procedure_name FROM dossiers").fetchall() == [("Đăng ký kết hôn",)]
    # The applicant's name (personal data, "Họ tên người nộp" once converted) is not stored.
    assert "Nguy" not in str(con.execute("SELECT * FROM dossier_versions").fetchall())


def test_unicode_workbook_in_a_vntime_template_is_not_converted(con, tmp_path):
    # An old template's .VnTime font, but the text typed in Unicode (one symbol cell too).
    data = _xlsx(tmp_path / "unicode_vntime.xlsx", [
        ["Sở Tư pháp © 2024"],
        ["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Ngày tiếp nhận", "Ngày hẹn trả"],
        ["HS-1", "Đăng ký kết hôn", "Phòng Hành chính tư pháp", "18/03/2024 08:00", "25/03/2024"],
        ["HS-2", "Chứng thực bản sao", "Văn phòng Sở", "19/03/2024", "19/03/2024"],
    ], font=".VnTime")
    assert font_encodings(data, "xlsx") == {"tcvn3"}
    ingest_file(con, data, "unicode_vntime.xlsx")
    assert _dossiers(con) == EXPECTED_LEGACY

"""The giao ban workbook, read back with openpyxl: values, formats, fills, print settings, injection."""
from __future__ import annotations

import datetime as dt
import io
import math

import openpyxl
import pandas as pd
import pytest
from dossier_factory import insert_dossiers

from cchc_metrics import db, scoring, watchlist
from cchc_metrics.export import build_giao_ban_workbook, giao_ban_file_name

NAN = math.nan
GREEN, AMBER, RED = "FFC6EFCE", "FFFFEB9C", "FFFFC7CE"
HOSTILE = ['=HYPERLINK("http://x","y")', "+1+2", "@SUM(A1)", "-2+3", "\t=1+1"]
LONG_NAME = ("Tỷ lệ hồ sơ thủ tục hành chính được giải quyết trước hạn và đúng hạn "
             "trên tổng số hồ sơ đã giải quyết")  # 100 characters, wider than the 45 cap


def _report():
    rows = pd.DataFrame([
        # code, name, num, den, ratio, target, gap_pp, points, max, lost, projected, what it takes, unit
        ("II.2.4.2.1", LONG_NAME, 14673, 14697, 0.9984, 1.0, 0.16, 4.5, 5.0, 0.5, 4.5,
         "Giải quyết đúng hạn thêm 24 hồ sơ", "Văn phòng Sở"),
        ("II.6.5.2", "Tỷ lệ hồ sơ trực tuyến", 3159, 15047, 0.21, 0.5, 29.0, 1.46, 3.0, 1.54, 1.5,
         "Cần thêm 4.365 hồ sơ trực tuyến", "Phòng Hành chính tư pháp"),
        ("II.2.3.3.1", "Kết quả điện tử", 9129, 9129, 1.0, 1.0, 0.0, 0.5, 0.5, 0.0, 0.5, None, None),
        ("II.6.4.2", "Hài lòng xử lý PAKN", None, None, None, None, None, None, 1.0, None, None, None, None),
    ], columns=["code", "name", "numerator", "denominator", "ratio", "target", "gap_pp", "points",
                "max_points", "points_lost", "projected_points", "what_it_takes_vi", "responsible_unit"])
    rows["rule"] = ["bands", "proportional_to_target", "proportional", "proportional"]
    rows["needed_more"] = [24, 4365, NAN, NAN]  # dossiers still needed to reach the target
    return scoring.ScoreReport(framework="khanh_hoa_department", framework_title="Chỉ số CCHC cấp sở",
                               year=2026, start=dt.date(2025, 12, 15), end=dt.date(2026, 12, 14),
                               as_of=dt.date(2026, 11, 20), total=6.46, max_total=9.5, projected_total=6.5,
                               rows=rows)


def _unit_scores():
    return pd.DataFrame({
        "unit": ["Văn phòng Sở", "Phòng Hành chính tư pháp"],
        "code": ["II.6.5.2", "II.6.5.2"],
        "name": ["Tỷ lệ hồ sơ trực tuyến"] * 2,
        "numerator": [450, NAN],
        "denominator": [1000, NAN],
        "ratio": [0.45, NAN],
        "target": [0.5, 0.5],
        "gap_pp": [5.0, NAN],
        "points_lost_share": [0.25, NAN],
    })


def _due_soon():
    return pd.DataFrame({
        "dossier_id": [HOSTILE[3], "000123"],
        "unit": [HOSTILE[0], "Văn phòng Sở"],
        "officer": [HOSTILE[1], "Nguyễn Văn A"],
        "procedure_name": [HOSTILE[2], "\x00=1+1 Cấp Phiếu\x07 lý lịch tư pháp"],
        "field": [HOSTILE[4], "Lý lịch tư pháp"],
        "received_at": pd.to_datetime(["2026-11-10 08:30:00", "2026-11-02 14:00:00"]),
        "due_at": pd.to_datetime(["2026-11-24 23:59:59", "2026-11-19 17:00:00"]),
        "working_days_left": [1, -2],
        "state": ["Sắp đến hạn", "Quá hạn"],
    })


@pytest.fixture(scope="module")
def workbook():
    data = build_giao_ban_workbook(_report(), _unit_scores(), _due_soon(),
                                   data_as_of=dt.datetime(2026, 11, 20, 16, 45),
                                   generated_at=dt.datetime(2026, 11, 23, 7, 5),
                                   department_name="Sở Tư pháp tỉnh Khánh Hòa")
    return openpyxl.load_workbook(io.BytesIO(data))


def _fill(cell) -> str | None:
    return cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else None


def test_sheet_names_and_title_block(workbook):
    assert workbook.sheetnames == ["Bảng chênh lệch", "Theo đơn vị", "Hồ sơ sắp đến hạn"]
    ws = workbook["Bảng chênh lệch"]
    assert ws["A1"].value == "Sở Tư pháp tỉnh Khánh Hòa"
    assert ws["A2"].value == "BẢNG CHÊNH LỆCH CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2026"
    assert ws["A3"].value == "Bộ tiêu chí: Chỉ số CCHC cấp sở"
    assert ws["A4"].value == ("Kỳ đánh giá: 15/12/2025 – 14/12/2026. Số liệu đến ngày 20/11/2026. "
                              "Lập lúc 23/11/2026 07:05.")
    # One vocabulary: the gap in percentage points and in what the criterion counts, never "điểm %"
    # beside score points.
    assert [c.value for c in ws[6]] == [
        "Mã tiêu chí", "Tiêu chí", "Giá trị", "Tử số", "Mẫu số", "Chỉ tiêu", "Còn thiếu (điểm phần trăm)",
        "Còn thiếu", "Điểm", "Điểm tối đa", "Điểm bị mất", "Điểm dự kiến cuối năm",
        "Cần làm gì để đạt (đơn vị chịu trách nhiệm)"]


def test_gap_table_values_and_number_formats(workbook):
    ws = workbook["Bảng chênh lệch"]
    assert [c.value for c in ws[7]] == [
        "II.2.4.2.1", LONG_NAME, 0.9984, 14673, 14697, 1, 0.16, "còn thiếu 24 hồ sơ", 4.5, 5, 0.5, 4.5,
        "Giải quyết đúng hạn thêm 24 hồ sơ\nĐơn vị: Văn phòng Sở"]
    # Vietnamese-tagged formats: LibreOffice prints 14.697 and 99,84% whatever its locale.
    assert [ws.cell(7, col).number_format for col in range(3, 13)] == [
        "[$-42A]0.00%", "[$-42A]#,##0", "[$-42A]#,##0", "[$-42A]0.00%", "[$-42A]0.00", "General",
        "[$-42A]0.00", "[$-42A]0.00", "[$-42A]0.00", "[$-42A]0.00"]
    assert ws["M9"].value is None  # met, nothing to do


def test_missing_values_are_not_zero(workbook):
    ws = workbook["Bảng chênh lệch"]
    assert [c.value for c in ws[10]][:11] == [
        "II.6.4.2", "Hài lòng xử lý PAKN", "chưa có dữ liệu", "–", "–", "–", "–", "chưa có dữ liệu",
        "chưa có dữ liệu", 1, "–"]
    assert ws["C10"].data_type == "s"
    # What to do for a criterion without points: its reason (none given here), not an empty cell.
    assert ws["M10"].value == "Chưa có dữ liệu" and ws["M7"].value.startswith("Giải quyết đúng hạn thêm 24 hồ sơ")
    units = workbook["Theo đơn vị"]
    assert units["D7"].value == "chưa có dữ liệu" and units["J7"].value == "Chưa có dữ liệu"


def test_total_row(workbook):
    ws = workbook["Bảng chênh lệch"]
    total = [c.value for c in ws[11]]
    assert total[0] == "Tổng cộng"
    assert total[8:12] == [6.46, 9.5, pytest.approx(2.04), 6.5]  # 0.5 + 1.54 + 0 points lost
    assert ws["I11"].font.b
    assert ws.max_row == 11


def test_status_fills(workbook):
    ws = workbook["Bảng chênh lệch"]
    # 0.16 pp short is within 5 pp: amber; -29 pp: red; at target: green; no data: no fill.
    assert [_fill(ws[f"C{row}"]) for row in range(7, 11)] == [AMBER, RED, GREEN, None]
    assert [_fill(ws[f"G{row}"]) for row in range(7, 11)] == [AMBER, RED, GREEN, None]
    assert _fill(ws["A7"]) is None
    units = workbook["Theo đơn vị"]
    assert _fill(units["D7"]) is None and _fill(units["D8"]) == AMBER  # exactly 5 pp short
    due = workbook["Hồ sơ sắp đến hạn"]
    assert (_fill(due["I7"]), _fill(due["I8"])) == (AMBER, RED)


def test_unit_sheet_sorted_by_unit(workbook):
    ws = workbook["Theo đơn vị"]
    assert [c.value for c in ws[6]] == ["Đơn vị", "Mã tiêu chí", "Tiêu chí", "Giá trị", "Tử số", "Mẫu số",
                                       "Chỉ tiêu", "Còn thiếu (điểm phần trăm)", "Tỷ trọng điểm bị mất",
                                       "Ghi chú dữ liệu"]
    assert [c.value for c in ws[7]][:4] == ["Phòng Hành chính tư pháp", "II.6.5.2", "Tỷ lệ hồ sơ trực tuyến",
                                           "chưa có dữ liệu"]
    assert [c.value for c in ws[8]] == ["Văn phòng Sở", "II.6.5.2", "Tỷ lệ hồ sơ trực tuyến", 0.45, 450, 1000,
                                       0.5, 5.0, 0.25, None]
    assert ws["I8"].number_format == "[$-42A]0.00%"


def test_due_soon_dates_are_real_dates(workbook):
    ws = workbook["Hồ sơ sắp đến hạn"]
    received, due = ws["F7"], ws["G7"]
    assert received.is_date and received.value == dt.datetime(2026, 11, 10, 8, 30)
    assert due.value == dt.datetime(2026, 11, 24, 23, 59, 59)
    assert received.number_format == due.number_format == "[$-42A]dd/mm/yyyy"
    assert [ws["H7"].value, ws["H8"].value] == [1, -2]
    assert ws["A8"].value == "000123" and ws["A8"].data_type == "s"


def test_upload_text_never_becomes_a_formula(workbook):
    ws = workbook["Hồ sơ sắp đến hạn"]
    cells = [ws["B7"], ws["C7"], ws["D7"], ws["A7"], ws["E7"]]
    assert [c.value for c in cells] == HOSTILE
    assert all(c.data_type == "s" for c in cells)
    assert not any(c.hyperlink for c in cells)
    # NUL and other control characters are dropped; what is left is still text, not a formula.
    assert (ws["D8"].value, ws["D8"].data_type) == ("=1+1 Cấp Phiếu lý lịch tư pháp", "s")


def test_print_settings(workbook):
    for ws in workbook.worksheets:
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.paperSize == 9
        if ws.title == "Theo đơn vị":  # manual page breaks between units: fit-to-page would ignore them
            assert not ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.scale in (None, 100)
            continue
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth in (None, 1)  # absent means 1 page wide in OOXML
        assert ws.page_setup.fitToHeight == 999  # width only (0 makes LibreOffice shrink some sheets)
        assert ws.print_title_rows == "$6:$6"
        assert ws.freeze_panes == "A7"


def _widths(ws) -> list[float]:
    """Every column's width (openpyxl groups equal neighbours into one dimension)."""
    widths = {}
    for dim in ws.column_dimensions.values():
        for col in range(dim.min, dim.max + 1):
            widths[col] = dim.width
    return [widths[col] for col in sorted(widths)]


def test_columns_fit_a4_landscape_at_100_percent(workbook):
    """A4 landscape is 11.69 in; minus 0.4 in margins each side that is 1,045 px at 96 per inch.
    LibreOffice gives a width unit 7.41 px (Arial 10's digit) + 5 px padding: the columns fit, so
    "fit to one page wide" never shrinks the 10 pt text."""
    for ws in workbook.worksheets:
        assert sum((w - 0.71) * 7.42 + 5 for w in _widths(ws)) <= 1045, ws.title
    ws = workbook["Bảng chênh lệch"]
    assert ws["B7"].alignment.wrap_text
    widths = _widths(ws)
    assert widths[0] >= 11  # "II.2.4.2.1" (10) whole, codes never shrink
    assert 7 <= widths[3] < 9  # "14.673" (6) + 1
    # the 100-character name narrowed to fit the page wraps, and its row is tall enough:
    # at most ~1.4 characters per unit of width, 12.75 pt per line of Arial 10
    lines = -(-len(LONG_NAME) // int(widths[1] * 1.4))
    assert ws.row_dimensions[7].height >= lines * 12.75


def test_header_rows_are_tall_enough_for_wrapped_headers(workbook):
    ws = workbook["Bảng chênh lệch"]
    # "Còn thiếu (điểm phần trăm)" in a column about 11 wide takes three lines
    assert ws.row_dimensions[6].height >= 3 * 12.75


def test_fonts_are_10_pt_or_more(workbook):
    for ws in workbook.worksheets:
        assert min(c.font.sz for row in ws.iter_rows() for c in row if c.value is not None) >= 10, ws.title


def test_download_file_name():
    assert giao_ban_file_name(2026, dt.datetime(2026, 11, 23, 7, 5)) == "giao-ban-cchc-2026_23-11-2026.xlsx"


def test_empty_frames_say_so():
    empty_report = _report()
    empty_report.rows = empty_report.rows.iloc[0:0]
    data = build_giao_ban_workbook(empty_report, _unit_scores().iloc[0:0], _due_soon().iloc[0:0],
                                   data_as_of=dt.datetime(2026, 11, 20))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb["Bảng chênh lệch"]["A7"].value == "Chưa có tiêu chí nào được chấm điểm."
    assert wb["Hồ sơ sắp đến hạn"]["A7"].value == "Không có hồ sơ nào sắp đến hạn hoặc quá hạn."
    assert wb["Bảng chênh lệch"].max_row == 7


def test_workbook_from_real_scores_and_watch_list(tmp_path):
    """Scoring and watch-list outputs on three hand-made dossiers flow into the workbook unchanged."""
    con = db.connect(tmp_path / "cchc.duckdb")
    insert_dossiers(con, [
        # resolved 09/03 before the due day 10/03 (on time), resolved 13/03 after it (late)
        dict(unit="Văn phòng Sở", received_at="2023-03-01T08:00:00", due_at="2023-03-10",
             finished_at="2023-03-09T10:00:00", channel="online_full"),
        dict(unit="Văn phòng Sở", received_at="2023-03-02T08:00:00", due_at="2023-03-10",
             finished_at="2023-03-13T10:00:00"),
        # open, due Thursday 23/11/2023: one working day left on Wednesday 22/11
        dict(unit=HOSTILE[0], officer=HOSTILE[1], received_at="2023-11-20T08:00:00", due_at="2023-11-23"),
    ])
    report = scoring.score_year(con, "khanh_hoa_department", 2023, as_of=dt.date(2023, 11, 22))
    data = build_giao_ban_workbook(report, scoring.score_by_unit(con, "khanh_hoa_department", 2023),
                                   watchlist.due_soon(con, dt.date(2023, 11, 22)),
                                   data_as_of=dt.datetime(2023, 11, 22))
    wb = openpyxl.load_workbook(io.BytesIO(data))

    gaps = wb["Bảng chênh lệch"]
    assert gaps["A4"].value.startswith("Kỳ đánh giá: 15/12/2022 – 14/12/2023. Số liệu đến ngày 22/11/2023.")
    by_code = {row[0].value: row for row in gaps.iter_rows(min_row=7)}
    on_time = [c.value for c in by_code["II.2.4.2.1"]]
    assert on_time[2:7] == [0.5, 1, 2, 1, 50]  # 1 of 2 resolved on time, 50 points short of 100%
    assert _fill(by_code["II.2.4.2.1"][2]) == RED
    assert by_code["Tổng cộng"][8].value == report.total
    assert len(by_code) == len(report.rows) + 1

    due = wb["Hồ sơ sắp đến hạn"]
    assert [due["B7"].value, due["C7"].value, due["H7"].value, due["I7"].value] == [
        HOSTILE[0], HOSTILE[1], 1, "Sắp đến hạn"]
    assert due["B7"].data_type == "s" and _fill(due["I7"]) == AMBER
    assert due["G7"].value == dt.datetime(2023, 11, 23, 23, 59, 59)


def test_page_breaks_keep_a_units_rows_together():
    """A4 landscape is 8.27 in tall; minus 0.55 + 0.6 in margins and 10 pt of footer room that
    leaves (8.27 - 1.15) * 72 - 10 = 502.6 pt a page."""
    from cchc_metrics.export import _page_breaks

    # page 1 holds 100 pt of titles and headings, then unit A (2 × 200 = 400 pt: 500 in all);
    # unit B (400 pt) would overflow: the page breaks before its first row (row 10 + 2).
    assert _page_breaks(10, [200, 200, 200, 200], ["A", "A", "B", "B"], used=100, header=20) == [12]
    # a unit taller than a page is not pushed off an otherwise empty page: it flows on
    assert _page_breaks(10, [300, 300], ["A", "A"], used=20, header=20) == []
    # small units share pages: 100 + 150 + 150 = 400, then C (150) breaks, then D fits after C
    assert _page_breaks(10, [150, 150, 150, 150], ["A", "B", "C", "D"], used=100, header=20) == [12]


def test_unit_sheet_breaks_between_units():
    many = pd.concat([_unit_scores().assign(unit=f"Đơn vị {n:02d}", name=LONG_NAME) for n in range(12)],
                     ignore_index=True)
    data = build_giao_ban_workbook(_report(), many, _due_soon(), data_as_of=dt.datetime(2026, 11, 20))
    ws = openpyxl.load_workbook(io.BytesIO(data))["Theo đơn vị"]
    breaks = [brk.id for brk in ws.row_breaks.brk]
    assert breaks, "24 tall rows do not fit one page"
    for row in breaks:  # openpyxl: the break is after row `id` (1-based): units differ across it
        assert ws.cell(row, 1).value != ws.cell(row + 1, 1).value


def test_chart_sheet_says_when_there_is_no_picture():
    data = build_giao_ban_workbook(_report(), _unit_scores(), _due_soon(), data_as_of=dt.datetime(2026, 11, 20),
                                   chart_png=b"")
    ws = openpyxl.load_workbook(io.BytesIO(data))["Biểu đồ chênh lệch"]
    assert ws["A6"].value.startswith("Không vẽ được biểu đồ") and not ws._images

"""The giao ban report as a PDF: the same sections as the workbook, laid out for A4 landscape.

fpdf2 writes it directly (no office suite, no browser): tables wrap their text, repeat their
headings on every page, and a unit's rows start on a new page when they would not fit on the
current one. The text font is Noto Sans (or DejaVu Sans), embedded, so Vietnamese prints on any
printer; numbers and dates use the Vietnamese forms of `formatting`. The chart is the PNG the
workbook holds (giao_ban.chart_png).
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from . import wording
from .errors import CchcError
from .export import MANUAL_POINTS_VI, advice_text, png_size, statistics_header_groups, STATISTICS_NOTES
from .formatting import (NO_DATA, NO_DATA_SHORT, format_date, format_datetime, format_number, format_percent,
                         format_points, is_missing)
from .statistics_table import BY_LABELS_VI, HEADINGS

FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/truetype/dejavu"))
FONT_FILES = {  # family -> (regular, bold, italic), first found wins
    "NotoSans": ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf", "NotoSans-Italic.ttf"),
    "DejaVuSans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf"),
}
BODY_PT = 10
LINE_MM = 4.6  # one line of 10 pt text plus leading
PADDING_MM = 1.0
HEADER_FILL = (217, 225, 242)
STATUS_FILLS = {"met": (198, 239, 206), "close": (255, 235, 156), "missed": (255, 199, 206)}


def _font_paths() -> tuple[str, dict[str, Path]]:
    for family, names in FONT_FILES.items():
        for folder in FONT_DIRS:
            paths = [folder / name for name in names]
            if all(p.exists() for p in paths):
                return family, dict(zip(("", "B", "I"), paths))
    raise CchcError("Không tìm thấy phông chữ tiếng Việt để tạo tệp PDF. Hãy cài gói fonts-noto-core "
                    "(hoặc fonts-dejavu-core) trên máy chủ rồi xuất lại.")


class _Report(FPDF):
    def __init__(self, footer_text: str):
        super().__init__(orientation="L", unit="mm", format="A4")
        self.footer_text = footer_text
        self.family, paths = _font_paths()
        for style, path in paths.items():
            self.add_font(self.family, style, str(path))
        self.set_margins(12, 12, 12)
        self.set_auto_page_break(True, margin=14)

    def footer(self):
        self.set_y(-11)
        self.set_font(self.family, "", 9)
        self.cell(0, 5, f"{self.footer_text} — Trang {self.page_no()}/{{nb}}", align="C")

    def text_lines(self, text: str, width: float) -> int:
        """Lines `text` takes in a table cell `width` mm wide (the table's own wrapping)."""
        return max(1, len(self.multi_cell(width - 2 * PADDING_MM, LINE_MM, text, dry_run=True,
                                          output="LINES")))


def _titles(pdf: _Report, lines: Sequence[str]) -> None:
    pdf.set_font(pdf.family, "B", 12)
    pdf.multi_cell(0, 6, new_x="LMARGIN", new_y="NEXT", text=lines[0])
    pdf.set_font(pdf.family, "B", 14)
    pdf.multi_cell(0, 7.5, new_x="LMARGIN", new_y="NEXT", text=lines[1])
    pdf.set_font(pdf.family, "I", BODY_PT)
    for line in lines[2:]:
        pdf.multi_cell(0, LINE_MM + 0.4, new_x="LMARGIN", new_y="NEXT", text=line)
    pdf.ln(2)


def _table(pdf: _Report, headings: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float], *,
           numeric: Sequence[bool], fills: Sequence[Sequence[str | None]] | None = None,
           bold_last: bool = False, groups: Sequence[tuple[int, int, str]] = ()) -> None:
    """One table; headings repeated on every page. `groups`: (first, last, text) group headings
    above `headings`; columns outside every group span both heading rows."""
    pdf.set_font(pdf.family, "", BODY_PT)
    heading_style = FontFace(emphasis="BOLD", fill_color=HEADER_FILL)
    with pdf.table(col_widths=list(widths), width=sum(widths), align="LEFT", line_height=LINE_MM,
                   text_align="LEFT", v_align="TOP", padding=PADDING_MM, headings_style=heading_style,
                   num_heading_rows=2 if groups else 1, repeat_headings=1) as table:
        if groups:
            grouped = {c for first, last, _ in groups for c in range(first, last + 1)}
            top = table.row()
            col = 0
            while col < len(headings):
                group = next((g for g in groups if g[0] == col), None)
                if group:
                    top.cell(group[2], align="C", colspan=group[1] - group[0] + 1)
                    col = group[1] + 1
                else:
                    top.cell(headings[col], align="C", rowspan=2, v_align="M")
                    col += 1
            second = table.row()
            for col, text in enumerate(headings):
                if col in grouped:
                    second.cell(text, align="C", v_align="M")
        else:
            top = table.row()
            for text in headings:
                top.cell(text, align="C", v_align="M")
        for index, cells in enumerate(rows):
            bold = bold_last and index == len(rows) - 1
            row = table.row()
            for col, text in enumerate(cells):
                fill = fills[index][col] if fills else None
                style = FontFace(emphasis="BOLD" if bold else None,
                                 fill_color=STATUS_FILLS[fill] if fill else None)
                row.cell(text, align="R" if numeric[col] else "L", style=style)


def _count(value) -> str:
    return format_number(value, missing=NO_DATA_SHORT)


def _gap_section(pdf: _Report, content, title_lines) -> None:
    from .charts import status_for

    report = content.report
    _titles(pdf, title_lines(f"BẢNG CHÊNH LỆCH CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {report.year}"))
    pdf.set_font(pdf.family, "B", BODY_PT)
    summary = (f"Tổng điểm: {format_points(report.total)} / {format_points(report.max_total)}; "
               f"điểm bị mất: {format_points(report.points_lost_total, missing=NO_DATA_SHORT)}; "
               f"dự kiến cuối năm: {format_points(report.projected_total)}.")
    if report.points_unknown:
        summary += f" Điểm chưa tính được (chưa có dữ liệu): {format_points(report.points_unknown)}."
    pdf.multi_cell(0, LINE_MM + 0.6, new_x="LMARGIN", new_y="NEXT", text=summary)
    pdf.ln(1.5)
    headings = ["Mã tiêu chí", "Tiêu chí", "Kết quả", "Chỉ tiêu", "Còn thiếu", "Điểm / tối đa",
                "Điểm bị mất", "Điểm dự kiến cuối năm", "Cần làm gì để đạt (đơn vị chịu trách nhiệm)"]
    rows, fills = [], []
    for row in wording.worded(report.rows).itertuples(index=False):
        status = status_for(row.ratio, row.target)
        fill = None if status == "none" else status
        if row.rule == "manual_points":
            result = MANUAL_POINTS_VI
        elif is_missing(row.ratio):
            result = NO_DATA
        else:
            result = f"{format_percent(row.ratio)}\n({_count(row.numerator)} / {_count(row.denominator)})"
        rows.append([row.code, row.name, result, format_percent(row.target, missing=NO_DATA_SHORT),
                     row.gap_vi, f"{format_points(row.points)} / {format_points(row.max_points)}",
                     format_points(row.points_lost, missing=NO_DATA_SHORT),
                     format_points(row.projected_points, missing=NO_DATA_SHORT), advice_text(row) or ""])
        fills.append([None, None, fill, None, fill, None, None, None, None])
    _table(pdf, headings, rows, [22, 58, 30, 17, 30, 22, 15, 18, 61],
           numeric=[False, False, True, True, False, True, True, True, False], fills=fills)


def _chart_section(pdf: _Report, content, title_lines) -> None:
    _titles(pdf, title_lines(f"CHÊNH LỆCH SO VỚI CHỈ TIÊU THEO ĐƠN VỊ NĂM {content.report.year}"))
    if not content.chart_png:
        pdf.set_font(pdf.family, "I", BODY_PT)
        pdf.multi_cell(0, LINE_MM, new_x="LMARGIN", new_y="NEXT", text="Không vẽ được biểu đồ trên máy này (thiếu trình duyệt Chromium để xuất "
                                   "hình); các số liệu có trong bảng chênh lệch.")
        return
    width_px, height_px = png_size(content.chart_png)
    width = min(pdf.epw, (pdf.page_break_trigger - pdf.get_y()) * width_px / height_px)
    pdf.image(io.BytesIO(content.chart_png), w=width)


def _statistics_section(pdf: _Report, content, by: str) -> None:
    statistics = content.statistics
    table = statistics.by_field if by == "field" else statistics.by_unit
    _titles(pdf, [content.department_name,
                  f"TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH THEO {BY_LABELS_VI[by].upper()}",
                  f"Kỳ báo cáo: {statistics.period.label_vi}. Đơn vị tính: hồ sơ. "
                  "Theo mẫu Biểu số 06/VPCP/KSTT (Thông tư 01/2020/TT-VPCP).",
                  f"Số liệu đến ngày {format_date(content.data_as_of)}. "
                  f"Lập lúc {format_datetime(content.generated_at)}."])
    names = [name for name, _, _ in HEADINGS]
    rows = []
    for number, row in enumerate(table.to_dict("records"), start=1):
        rows.append(["" if row["is_total"] else str(number), row["key"], *(_count(row[n]) for n in names)])
    headings = ["STT", BY_LABELS_VI[by], *(heading for _, _, heading in HEADINGS)]
    _table(pdf, headings, rows, [10, 60] + [18.4] * len(HEADINGS),
           numeric=[True, False] + [True] * len(HEADINGS), bold_last=True, groups=statistics_header_groups())
    pdf.ln(2)
    pdf.set_font(pdf.family, "I", BODY_PT)
    for note in STATISTICS_NOTES:
        pdf.multi_cell(0, LINE_MM, new_x="LMARGIN", new_y="NEXT", text=note)


UNIT_WIDTHS = [48, 22, 64, 30, 17, 28, 20, 44]


def _unit_section(pdf: _Report, content, title_lines) -> None:
    from .charts import status_for
    from .formatting import no_data_text

    _titles(pdf, title_lines(f"KẾT QUẢ THEO ĐƠN VỊ NĂM {content.report.year}"))
    headings = ["Đơn vị", "Mã tiêu chí", "Tiêu chí", "Kết quả", "Chỉ tiêu", "Còn thiếu (điểm phần trăm)",
                "Tỷ trọng điểm bị mất", "Ghi chú dữ liệu"]
    scores = content.unit_scores.sort_values("unit", kind="stable", na_position="last")
    if scores.empty:
        pdf.set_font(pdf.family, "I", BODY_PT)
        pdf.multi_cell(0, LINE_MM, new_x="LMARGIN", new_y="NEXT", text="Chưa có dữ liệu theo đơn vị.")
        return
    for unit, block in scores.groupby("unit", sort=False, dropna=False):
        rows, fills = [], []
        for row in block.itertuples(index=False):
            status = status_for(row.ratio, row.target)
            fill = None if status == "none" else status
            result = (NO_DATA if is_missing(row.ratio) else
                      f"{format_percent(row.ratio)}\n({_count(row.numerator)} / {_count(row.denominator)})")
            note = no_data_text(getattr(row, "no_data_reason_vi", None)) if is_missing(row.ratio) else ""
            rows.append([str(unit), row.code, row.name, result, format_percent(row.target, missing=NO_DATA_SHORT),
                         format_number(row.gap_pp, 2, missing=NO_DATA_SHORT),
                         format_percent(row.points_lost_share, missing=NO_DATA_SHORT), note])
            fills.append([None, None, None, fill, None, fill, None, None])
        height = sum(max(pdf.text_lines(text, w) for text, w in zip(cells, UNIT_WIDTHS)) * LINE_MM
                     + 2 * PADDING_MM for cells in rows)
        if pdf.will_page_break(height + 14):  # 14 mm: the heading row
            pdf.add_page()
        _table(pdf, headings, rows, UNIT_WIDTHS,
               numeric=[False, False, False, True, True, True, True, False], fills=fills)
        pdf.ln(2)


def _due_soon_section(pdf: _Report, content, title_lines) -> None:
    _titles(pdf, title_lines("DANH SÁCH HỒ SƠ SẮP ĐẾN HẠN VÀ QUÁ HẠN"))
    due = content.due_soon
    if due.empty:
        pdf.set_font(pdf.family, "I", BODY_PT)
        pdf.multi_cell(0, LINE_MM, new_x="LMARGIN", new_y="NEXT", text="Không có hồ sơ nào sắp đến hạn hoặc quá hạn.")
        return
    from .watchlist import STATE_DUE_SOON, STATE_OVERDUE

    state_fill = {STATE_OVERDUE: "missed", STATE_DUE_SOON: "close"}
    rows, fills = [], []
    for row in due.itertuples(index=False):
        rows.append([str(row.dossier_id), str(row.unit), "" if is_missing(row.officer) else str(row.officer),
                     str(row.procedure_name), "" if is_missing(row.field) else str(row.field),
                     format_date(row.received_at), format_date(row.due_at),
                     format_number(row.working_days_left, missing=NO_DATA_SHORT), str(row.state)])
        fills.append([None] * 8 + [state_fill.get(row.state)])
    _table(pdf, ["Mã hồ sơ", "Đơn vị", "Cán bộ xử lý", "Thủ tục", "Lĩnh vực", "Ngày tiếp nhận", "Hạn trả",
                 "Số ngày làm việc còn lại", "Trạng thái"], rows, [50, 32, 28, 52, 22, 22, 22, 20, 25],
           numeric=[False] * 5 + [True] * 3 + [False], fills=fills)


def build_giao_ban_pdf(content) -> bytes:
    """The PDF of a giao_ban.GiaoBan, in the workbook's order: gap table, per-unit results,
    due-soon list, statistics by field and by unit, chart; every section starts on a new page."""
    report = content.report
    pdf = _Report(f"Giao ban CCHC năm {report.year} — lập lúc {format_datetime(content.generated_at)}")
    pdf.set_title(f"Giao ban CCHC năm {report.year}")
    pdf.set_author(content.department_name)

    def title_lines(sheet_title: str) -> list[str]:
        return [content.department_name, sheet_title, f"Bộ tiêu chí: {report.framework_title}",
                f"Kỳ đánh giá: {format_date(report.start)} – {format_date(report.end)}. "
                f"Số liệu đến ngày {format_date(content.data_as_of)}. "
                f"Lập lúc {format_datetime(content.generated_at)}."]

    for section in (_gap_section, _unit_section, _due_soon_section):
        pdf.add_page()
        section(pdf, content, title_lines)
    for by in ("field", "unit"):
        pdf.add_page()
        _statistics_section(pdf, content, by)
    pdf.add_page()
    _chart_section(pdf, content, title_lines)
    return bytes(pdf.output())

"""`python -m cchc_metrics report`: the giao ban workbook and PDF written from a small database, read
back with openpyxl and pdftotext. The statistics numbers are the hand-worked ones of
period_dossiers.py."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from period_dossiers import EXPECTED, insert_both

from cchc_metrics import db, scoring
from cchc_metrics.cli import main
from cchc_metrics.statistics_table import HEADINGS

REPO = Path(__file__).resolve().parents[1]
PRINTED_SHEETS = ["Bảng chênh lệch", "Theo đơn vị", "Hồ sơ sắp đến hạn", "Thống kê theo lĩnh vực",
                  "Thống kê theo đơn vị"]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The report of evaluation year 2026 as of 20/03/2026: the default statistics period is the
    last quarter that ended before, 15/12/2025 – 14/03/2026 (the one period_dossiers works out)."""
    folder = tmp_path_factory.mktemp("report")
    path = folder / "cchc.duckdb"
    con = db.connect(path)
    insert_both(con)
    report = scoring.score_year(con, "khanh_hoa_department", 2026, as_of=dt.date(2026, 3, 20))
    con.close()
    xlsx, pdf = folder / "giao-ban.xlsx", folder / "giao-ban.pdf"
    # A real process, as the weekly automation runs it.
    result = subprocess.run([sys.executable, "-m", "cchc_metrics", "report", "--db", str(path), "--year", "2026",
                             "--as-of", "2026-03-20", "--out", str(xlsx), "--pdf", str(pdf)],
                            cwd=REPO, capture_output=True, text=True, timeout=180)
    return result, xlsx, pdf, report


def test_exits_0_and_writes_both(written):
    result, xlsx, pdf, _ = written
    assert result.returncode == 0, result.stderr
    assert f"Đã ghi {xlsx}" in result.stdout and f"Đã ghi {pdf}" in result.stdout
    assert "Quý I năm 2026 (15/12/2025 – 14/03/2026)" in result.stdout
    assert xlsx.stat().st_size > 0 and pdf.read_bytes().startswith(b"%PDF")


def test_workbook_fonts_print_titles_and_sheets(written):
    _, xlsx, _, _ = written
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == [*PRINTED_SHEETS, "Biểu đồ chênh lệch"]
    for name in PRINTED_SHEETS:
        ws = wb[name]
        sizes = {cell.font.sz for row in ws.iter_rows() for cell in row if cell.value is not None}
        assert sizes and min(sizes) >= 10, name
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        assert ws.print_title_rows in ("$6:$6", "$6:$7"), name
        # fit to one page wide only (the columns are sized so that the scale stays 100%), or 100%
        # where page breaks keep a unit's rows together (fit-to-page would ignore them)
        fits = ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)
        assert fits or ws.page_setup.scale in (None, 100), name  # absent means 100%
    assert wb["Thống kê theo lĩnh vực"].print_title_rows == "$6:$7"  # group headings over headings
    assert wb["Biểu đồ chênh lệch"]._images, "the chart picture"


def test_long_texts_wrap_and_rows_are_tall_enough(written):
    _, xlsx, _, report = written
    ws = openpyxl.load_workbook(xlsx)["Bảng chênh lệch"]
    names = {row[1].value: row[1] for row in ws.iter_rows(min_row=7) if row[0].value in set(report.rows["code"])}
    assert set(names) == set(report.rows["name"])
    width = ws.column_dimensions["B"].width
    for name, cell in names.items():
        assert cell.alignment.wrap_text
        # a line holds at most ~1.4 characters per unit of width in Arial 10; 12.75 pt a line
        lines_needed = -(-len(name) // int(width * 1.4))
        assert ws.row_dimensions[cell.row].height >= lines_needed * 12.75, name


def test_statistics_sheet_holds_the_hand_worked_numbers(written):
    _, xlsx, _, _ = written
    ws = openpyxl.load_workbook(xlsx)["Thống kê theo lĩnh vực"]
    assert ws["A3"].value.startswith("Kỳ báo cáo: Quý I năm 2026 (15/12/2025 – 14/03/2026).")
    assert [c.value for c in ws[6]][:3] == ["STT", "Lĩnh vực", "Số hồ sơ nhận giải quyết"]
    assert [c.value for c in ws[7]][2:] == [heading for _, _, heading in HEADINGS]
    names = [name for name, _, _ in HEADINGS]
    rows = {row[1]: dict(zip(names, row[2:])) for row in ws.iter_rows(min_row=8, max_row=10, values_only=True)}
    assert rows == {key: {n: expected[n] for n in names} for key, expected in EXPECTED.items()}
    assert ws["C8"].number_format == "[$-42A]#,##0"


def _pdf_text(pdf: Path) -> str:
    """Text in content order (each table cell's lines together), whitespace collapsed."""
    raw = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", " ", raw)


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_pdf_holds_every_criterion_name_and_advice_in_full(written):
    _, _, pdf, report = written
    text = _pdf_text(pdf)
    advice = [a for a in report.rows["what_it_takes_vi"] if isinstance(a, str)]
    assert advice, "the fixture leaves points to recover"
    for expected in [*report.rows["name"], *advice]:
        assert re.sub(r"\s+", " ", expected) in text
    assert "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH THEO LĨNH VỰC" in text
    assert "Quý I năm 2026 (15/12/2025 – 14/03/2026)" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert all(" yes " in line for line in fonts.splitlines()[2:]), "every font embedded"


def test_bad_period_is_an_input_error(tmp_path, capsys):
    path = tmp_path / "cchc.duckdb"
    db.connect(path).close()
    assert main(["report", "--db", str(path), "--year", "2026", "--period", "2026-03-14", "2025-12-15",
                 "--out", str(tmp_path / "x.xlsx")]) == 1
    assert "ngày kết thúc 15/12/2025 trước ngày bắt đầu 14/03/2026" in capsys.readouterr().err
    assert not (tmp_path / "x.xlsx").exists()


def _has_liberation_sans() -> bool:
    fonts = subprocess.run(["fc-list"], capture_output=True, text=True).stdout if shutil.which("fc-list") else ""
    return "Liberation Sans" in fonts


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext") and _has_liberation_sans()),
                    reason="needs LibreOffice, poppler-utils and fonts-liberation2 (.ci/run installs them)")
def test_libreoffice_prints_every_page_at_100_percent(written, tmp_path):
    """The workbook printed through LibreOffice: every word's box is as tall as Arial 10 at 100%
    (13.0 pt in Liberation Sans, its metric twin), so no sheet was shrunk to fit."""
    _, xlsx, _, _ = written
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(xlsx)],
                   check=True, capture_output=True, timeout=180)
    boxes = subprocess.run(["pdftotext", "-bbox", str(tmp_path / "giao-ban.pdf"), "-"],
                           capture_output=True, text=True, check=True).stdout
    pages = boxes.split("<page ")[1:]
    assert len(pages) >= 6  # five tables and the chart
    for number, page in enumerate(pages, start=1):
        heights = [float(y1) - float(y0) for y0, y1 in
                   re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', page)]
        assert heights and min(heights) >= 12.9, f"page {number} printed below 10 pt"

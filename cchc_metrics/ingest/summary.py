"""Summary reports are not dossier lists: telling them apart, and saying so.

A summary report holds counts per field or unit: the periodic statistics table (Biểu 06a-style,
Thông tư 01/2020/TT-VPCP: "Số kỳ trước chuyển qua", "Số mới tiếp nhận", "Trước hạn", "Đúng hạn",
"Quá hạn" under a three-row header), score exports of the national 766 index ("Chỉ số", "Điểm",
"Tiến độ giải quyết", "Dịch vụ công trực tuyến") and statistics dumps ("tongSoHoSo",
"daXuLyDungHan"). Loaded as dossiers they would give nonsense, so they are refused. The decision
takes both the header words and the values: columns of small numbers and no date column.
"""
from __future__ import annotations

import re

from .columns import fold, folded_words
from .header import is_column_number_row
from ..errors import IngestError

# Word sequences of summary-report headers, compared on folded words (camelCase split first).
SUMMARY_TERMS = ("tong so", "ky truoc", "chuyen qua", "moi tiep nhan", "truoc han", "dung han",
                 "qua han", "trong han", "chua den han", "da giai quyet", "dang giai quyet",
                 "da xu ly", "dang xu ly", "chi so", "diem", "tien do", "ty le", "ti le",
                 "trong do", "so luong", "tong diem")
_NUMBER = re.compile(r"-?\d{1,7}(?:[.,]\d+)?\s*%?|-?\d{1,3}(?:[.,]\d{3})+")
_DATE = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{8}(?:\d{6})?")
_FOOTER = ("nguoi lap", "thu truong", "giam doc", "xac nhan", "ky ", "ghi chu", "noi nhan")

MESSAGE = ("đây là báo cáo tổng hợp (bảng số liệu đếm theo lĩnh vực hoặc đơn vị, như biểu thống kê "
           "kết quả giải quyết TTHC hay bảng điểm Chỉ số 766), không phải danh sách hồ sơ{detail}. "
           "Ứng dụng cần danh sách hồ sơ: mỗi dòng là một hồ sơ, có mã hồ sơ và ngày tiếp nhận. Hãy "
           "vào phần mềm một cửa, mục tra cứu / danh sách hồ sơ (không phải mục báo cáo, thống kê), "
           "chọn khoảng thời gian rồi bấm «Xuất Excel» và tải tệp đó lên.")


def _words(text: str) -> str:
    return " " + " ".join(folded_words(text)) + " "


def summary_terms(header_texts: list[str]) -> set[str]:
    """The summary-report words found in header cells."""
    found = set()
    for text in header_texts:
        words = _words(text)
        found.update(t for t in SUMMARY_TERMS if f" {t} " in words)
    return found


def _column_kinds(rows: list[list]) -> tuple[int, int]:
    """(columns of numbers, columns of dates) among data rows, footers and signatures left out."""
    width = max((len(r) for r in rows), default=0)
    counts = dates = 0
    for j in range(width):
        values = [str(r[j]).strip() for r in rows if j < len(r) and r[j] and str(r[j]).strip()]
        values = [v for v in values if not fold(v).startswith(_FOOTER)]
        if not values:
            continue
        if sum(bool(_DATE.match(v)) for v in values) * 2 >= len(values):
            dates += 1
        elif sum(bool(_NUMBER.fullmatch(v)) for v in values) * 10 >= len(values) * 7:
            counts += 1
    return counts, dates


def is_summary(header_texts: list[str], rows: list[list]) -> bool:
    """Counts, not dossiers: two summary words in the header, two columns of numbers, no dates."""
    if len(summary_terms(header_texts)) < 2:
        return False
    counts, dates = _column_kinds(rows)
    return counts >= 2 and dates == 0


def _numeric_row(row: list) -> bool:
    cells = [str(c).strip() for c in row if c and str(c).strip()]
    numbers = sum(bool(_NUMBER.fullmatch(c)) for c in cells)
    return numbers >= 2 and numbers * 2 >= len(cells) and not is_column_number_row(row)


def sheet_summary_headers(top: list[list]) -> list[str] | None:
    """For a sheet without a dossier header: the header cells if it is a summary report, else None.
    The rows above its first row of numbers are its header."""
    first = next((i for i, row in enumerate(top) if _numeric_row(row)), None)
    if not first:
        return None
    header_texts = [c for row in top[:first] for c in row if c]
    return header_texts if is_summary(header_texts, top[first:]) else None


def refuse(file_name: str, header_texts: list[str]) -> IngestError:
    """The refusal, quoting a few of the count headers (header cells, never data)."""
    quoted, covered = [], set()
    for text in dict.fromkeys(t.strip() for t in header_texts if t):    # cells adding new words first
        terms = summary_terms([text])
        if terms - covered and len(quoted) < 5:
            quoted.append(text)
            covered |= terms
    detail = " (các cột: " + ", ".join(f"«{t}»" for t in quoted) + ")" if quoted else ""
    return IngestError(MESSAGE.format(detail=detail), file_name)

"""Finding the header rows of a sheet and the report period in the title rows above them.

Real exports put up to four header rows above the data: group cells merged across the columns of
their sub-headers ("Ngày, tháng, năm" over "Nhận hồ sơ | Hẹn trả kết quả | ..."), cells merged down
over several header rows, and often a row of column numbers "(1) (2) ... (13)" under the header.
Merged cells keep their text in their first cell only: the covered cells arrive as None.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date
from typing import NamedTuple

from .columns import field_for_header, fold, folded_words, match_columns, synonyms
from .values import FIRST_YEAR, LAST_YEAR

MAX_HEADER_ROWS = 4

_DATE_OR_NUMBER = re.compile(r"^\s*(\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}.*|[\d.,]+)\s*$")
# One cell of a column-number row: "(1)", "1", "Cột 1", "(13)=(5)+(6)", "13 = 5 + 6", "1.0".
_COLUMN_NUMBER = re.compile(r"^\(?\s*(?:cot\s*)?(\d{1,3})(?:\.0)?\s*\)?\s*(?:[=:].*)?$")
_COLUMN_LETTER = re.compile(r"^\(?\s*[a-e]\s*\)?$")
# Sub-headers that only say "the date of" the group above them, and the groups that say it.
_GENERIC_DATE = {"ngay thang nam", "ngay", "ngay gio", "thoi gian", "thoi diem", "ngay thang"}


class Header(NamedTuple):
    """The header found in the first rows of a sheet (indexes into those rows)."""

    score: int                           # canonical fields recognised
    index: int                           # first header row
    rows: int                            # header rows (1 to MAX_HEADER_ROWS)
    cells: list[tuple[str, list[str]]]   # (display header, texts to match) per column
    data_start: int                      # first data row: after the header and a column-number row


def _clean(cell: str | None) -> str:
    return re.sub(r"\s+", " ", cell).strip() if cell else ""


def _folded_words(text: str) -> str:
    return " ".join(folded_words(text))


def is_column_number_row(row: list) -> bool:
    """A row numbering the columns ("(1) (2) (3)", "1 2 3", "Cột 1 Cột 2", "(13)=(5)+(6)"): at
    least three numbers, rising, mostly by one, starting low; a few lettered columns allowed."""
    numbers = []
    for cell in (_clean(c) for c in row):
        if not cell:
            continue
        folded = fold(cell)
        match = _COLUMN_NUMBER.match(folded)
        if match:
            numbers.append(int(match.group(1)))
        elif not _COLUMN_LETTER.match(folded):
            return False
    if len(numbers) < 3 or numbers[0] > 3:
        return False
    steps = [b - a for a, b in zip(numbers, numbers[1:])]
    return all(s > 0 for s in steps) and sum(s == 1 for s in steps) * 3 >= len(steps) * 2


def _texts_to_try(path: list[str]) -> list[str]:
    """Wordings to match for a column whose header cells, top to bottom, are `path`."""
    if len(path) == 1:
        return path
    leaf = path[-1]
    texts = [" ".join(path)]
    if len(path) > 2:
        texts.append(f"{path[-2]} {leaf}")
    named = [p for p in path if _folded_words(p) not in _GENERIC_DATE]
    if _folded_words(leaf) in _GENERIC_DATE and named:
        # "Trả kết quả" over "Ngày, tháng, năm": the date of returning.
        texts.append(f"Ngày {named[-1]}")
    elif len(named) < len(path):
        # "Ngày, tháng, năm" over "Hẹn trả kết quả": the due date.
        texts.append(f"Ngày {leaf}")
    texts.append(leaf)
    return texts


def header_cells(top: list, index: int, depth: int) -> list[tuple[str, list[str]]]:
    """(display header, texts to match) per column of the header rows top[index:index + depth].

    A group cell covers the blank cells to its right in its row while some row below has text in
    them, bounded by the next cell of its row and by the span of its own group above. A cell with
    nothing under it (merged down) is the header of its column alone.
    """
    rows = [[_clean(c) for c in top[index + k]] for k in range(depth)]
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    below = [[any(rows[m][j] for m in range(k + 1, depth)) for j in range(width)] for k in range(depth)]
    owner: list[list[tuple[int, str] | None]] = [[None] * width for _ in range(depth)]
    for k in range(depth):
        current = None
        for j in range(width):
            if rows[k][j]:
                current = (j, rows[k][j])
                owner[k][j] = current
            elif (current and below[k][j] and below[k][current[0]]
                  and (k == 0 or owner[k - 1][j] == owner[k - 1][current[0]])):
                owner[k][j] = current
            else:
                current = None
    cells = []
    for j in range(width):
        path = [owner[k][j][1] for k in range(depth) if owner[k][j]]
        # A reader that repeats a merged cell's text in the cells it covers: once is enough.
        path = [t for n, t in enumerate(path) if n == 0 or fold(t) != fold(path[n - 1])]
        cells.append((" - ".join(path), _texts_to_try(path)) if path else ("", [""]))
    return cells


def _under_group(upper: list, row: list) -> bool:
    """Some cell of `row` sits under a group cell of the row above: blank there, text to its left."""
    cells = [_clean(c) for c in row]
    above = [_clean(c) for c in upper] + [""] * max(0, len(cells) - len(upper))
    return any(c and not above[j] and any(above[:j]) for j, c in enumerate(cells))


def _is_sub_row(upper: list, row: list) -> bool:
    """A header row under another: no dates or numbers, and a cell under a group cell of the row
    above or under a cell merged down over it (blank under text)."""
    cells = [_clean(c) for c in row]
    if not any(cells) or any(c and _DATE_OR_NUMBER.match(c) for c in cells) or is_column_number_row(row):
        return False
    above = [_clean(c) for c in upper]
    return _under_group(upper, row) \
        or any(a and not (cells[j] if j < len(cells) else "") for j, a in enumerate(above))


def find_header(top: list, explicit: dict | None) -> Header | None:
    """The best header in the first rows, by the number of canonical fields recognised.

    A header of several rows must recognise more than the same rows without its top row (so a
    title line just above a header is not taken as a group row). From one first row, a deeper
    header scoring as much wins (a last sub-header row may add no field: "Ký nhận"); between first
    rows, the earlier wins on equal scores.
    """
    scores: dict[tuple[int, int], int] = {}

    def score(i: int, depth: int) -> int:
        if (i, depth) not in scores:
            scores[i, depth] = len(match_columns(header_cells(top, i, depth), explicit))
        return scores[i, depth]

    best = None
    for i in range(len(top)):
        if is_column_number_row(top[i]):
            continue
        here = None         # from one first row, a deeper header that loses nothing wins
        for depth in range(1, MAX_HEADER_ROWS + 1):
            if i + depth > len(top) or (depth > 1 and not _is_sub_row(top[i + depth - 2], top[i + depth - 1])):
                break
            value = score(i, depth)
            if depth > 1 and value <= score(i + 1, depth - 1):
                continue
            # A deeper header that recognises no more must have a sub-header under a group cell
            # ("Ký nhận" under "Trả kết quả"), not a heading row of the data ("Phòng Tư pháp").
            deeper_ok = here is not None and value == here[0] and _under_group(top[i + depth - 2], top[i + depth - 1])
            if value >= 2 and (here is None or value > here[0] or deeper_ok):
                here = (value, i, depth)
        if here and (best is None or here[0] > best[0]):
            best = here
    if best is None:
        return None
    value, i, depth = best
    data_start = i + depth
    if data_start < len(top) and is_column_number_row(top[data_start]):
        data_start += 1
    return Header(value, i, depth, header_cells(top, i, depth), data_start)


def _vocabulary_cell(text: str) -> bool:
    """Short, no digits, no "label: value", and a known wording or a word only headers use."""
    if not text or len(text) > 60 or re.search(r"\d", text) or re.search(r":\s*\S", text):
        return False
    if _known_wording(text):
        return True
    words = f" {_folded_words(text)} "
    return len(words.split()) <= 8 and any(f" {w} " in words for w in _HEADER_WORDS)


def _known_wording(text: str) -> bool:
    """A wording of the synonym table as written (diacritics count: "Lê Phi" is a name, "Lệ phí"
    a header), or a field name with no spaces ("NgayTiepNhan", "maHoSo")."""
    if " " not in text and field_for_header(text):
        return True
    return unicodedata.normalize("NFC", text).lower() in _wordings()


@functools.cache
def _wordings() -> frozenset[str]:
    data = synonyms()
    wordings = [w for ws in data["fields"].values() for w in ws] + list(data["personal"]["headers"])
    return frozenset(unicodedata.normalize("NFC", w).lower() for w in wordings)


def header_like_cells(rows: list[list], limit: int = 20) -> list[str]:
    """Cells of the first rows that look like column headers, safe to quote in a message: cells
    holding header words, and the short cells of a row that holds them and no digit at all (a
    candidate header row). Names, addresses, phone and ID numbers are never quoted."""
    quoted: dict[str, None] = {}
    for row in rows:
        cells = [_clean(c) for c in row if _clean(c)]
        candidate = any(map(_vocabulary_cell, cells)) and not any(re.search(r"\d", c) for c in cells)
        for cell in cells:
            if _vocabulary_cell(cell) or (candidate and len(cell) <= 30 and ":" not in cell):
                quoted[cell] = None
    return list(quoted)[:limit]


_HEADER_WORDS = ("stt", "ma", "ngay", "thu tuc", "tthc", "don vi", "co quan", "phong ban", "linh vuc",
                 "trang thai", "tinh trang", "ho so", "ket qua", "tiep nhan", "hinh thuc", "kenh",
                 "can bo", "so hoa", "thanh toan", "ghi chu", "thoi gian", "hen tra", "xu ly",
                 "giai quyet", "thoi han", "ten", "so luong", "tong so", "chi so")

# Report period in title rows. A date: dd/mm/yyyy with / . or -, "dd tháng mm năm yyyy", or the
# ISO text a real Excel date cell is read as.
_DATE = (r"(?:(\d{1,2})\s*(?:[/.-]|\s+thang\s+)\s*(\d{1,2})\s*(?:[/.-]|\s+nam\s+)\s*(\d{4})"
         r"|(\d{4})-(\d{2})-(\d{2})(?:[ t]\d{2}:\d{2}(?::\d{2})?)?)")
_PERIOD = re.compile(r"\btu(?:\s+ngay)?\s*:?\s*" + _DATE
                     + r"\s*[,;)]?\s*(?:[-–]\s*(?:den(?:\s+het)?(?:\s+ngay)?)?|den(?:\s+het)?(?:\s+ngay)?)\s*:?\s*"
                     + _DATE)


def _date(groups: tuple) -> date | None:
    """The date of a title, None when it is no real day or its year is one no load stores."""
    d, m, y, iy, im, iday = groups
    try:
        day = date(int(y), int(m), int(d)) if d else date(int(iy), int(im), int(iday))
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def title_period(title_rows: list) -> tuple[date | None, date | None]:
    """"Từ ngày dd/mm/yyyy đến ngày dd/mm/yyyy" in the title rows above the header: with or
    without colons, with / . or - in dates, "Kỳ báo cáo: từ ... đến ...", on one line or on
    several lines of one cell, split over cells of a row, or over two consecutive rows."""
    lines = [" ".join(_clean(c) for c in row if c) for row in title_rows]
    candidates = lines + [f"{a} {b}" for a, b in zip(lines, lines[1:])]
    for text in candidates:
        for match in _PERIOD.finditer(fold(text)):
            start, end = _date(match.groups()[:6]), _date(match.groups()[6:])
            if start and end and start <= end:
                return start, end
    return None, None

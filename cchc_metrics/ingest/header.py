"""Finding the header rows of a sheet and the report period in the title rows above them."""
from __future__ import annotations

import re
from datetime import date

from .columns import fold, match_columns

_DATE_OR_NUMBER = re.compile(r"^\s*(\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}.*|[\d.,]+)\s*$")
_PERIOD = re.compile(r"tu(?:\s+ngay)?\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
                     r".{0,40}?den(?:\s+ngay)?\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def _clean(cell: str | None) -> str:
    return re.sub(r"\s+", " ", cell).strip() if cell else ""


def _header_cells(top: list, index: int, two_rows: bool) -> list[tuple[str, list[str]]]:
    """(display header, texts to match) per column, combining a merged group row with its sub row.

    Merged cells keep their value in the first cell only, so a group ("Thời gian") spans the
    following blank cells while the sub row has a value under them.
    """
    group = [_clean(c) for c in top[index]]
    if not two_rows:
        return [(g, [g]) for g in group]
    sub = [_clean(c) for c in top[index + 1]]
    cells, span = [], ""
    for g, s in zip(group, sub):
        if g:
            span = g if s else ""
        if not s:
            cells.append((g, [g]))
        elif span:
            cells.append((f"{span} - {s}", [f"{span} {s}", s]))
        else:
            cells.append((s, [s]))
    return cells


def _is_sub_header(group: list, sub: list) -> bool:
    """A second header row holds no dates or numbers and sits under at least one group cell."""
    return (any(g and s for g, s in zip(group, sub))
            and not any(s and _DATE_OR_NUMBER.match(s) for s in sub))


def find_header(top: list, explicit: dict | None):
    """(score, row index, 1 or 2 header rows, cells) of the best header in the first rows.

    The score is the number of canonical fields recognised. A two-row header must recognise more
    than its second row alone (so a title line just above a header is not taken as a group row);
    on equal scores the earlier, simpler candidate wins.
    """
    single = [len(match_columns(_header_cells(top, i, False), explicit)) for i in range(len(top))]
    best = None
    for i in range(len(top)):
        candidates = [(single[i], 1)]
        if i + 1 < len(top) and _is_sub_header(top[i], top[i + 1]):
            double = len(match_columns(_header_cells(top, i, True), explicit))
            if double > single[i + 1]:
                candidates.append((double, 2))
        for score, rows in candidates:
            if score >= 2 and (best is None or score > best[0]):
                best = (score, i, rows, _header_cells(top, i, rows == 2))
    return best


def title_period(title_rows: list) -> tuple[date | None, date | None]:
    """"Từ ngày dd/mm/yyyy đến ngày dd/mm/yyyy" in a title row above the header."""
    for row in title_rows:
        match = _PERIOD.search(fold(" ".join(c for c in row if c)))
        if match:
            d1, m1, y1, d2, m2, y2 = map(int, match.groups())
            try:
                return date(y1, m1, d1), date(y2, m2, d2)
            except ValueError:
                continue
    return None, None

"""The shared words for a criterion's result, used on every page, in the workbook and the PDF.

Rules (docs/DESIGN.md, "Wording"): "điểm" means score points only; a gap to a target is said in
what the criterion counts ("còn thiếu 310 hồ sơ trực tuyến", "còn thiếu 6 nhiệm vụ hoàn thành
đúng hạn"), and only where no count exists in percentage points written in full ("thấp hơn chỉ
tiêu 2,06 điểm phần trăm"); each criterion's fraction is in its own unit ("285 / 291 nhiệm vụ").
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import pandas as pd

from . import frameworks, rules
from .formatting import (NO_DATA, format_fraction, format_missing, format_shortfall_pp,
                         is_missing)


@dataclass(frozen=True)
class Nouns:
    unit_vi: str      # what the denominator counts: "hồ sơ", "nhiệm vụ"
    counted_vi: str   # what a gap lacks: "hồ sơ trực tuyến", "nhiệm vụ hoàn thành đúng hạn"


DOSSIER_NOUNS = Nouns("hồ sơ", "hồ sơ")
MANUAL_POINTS_VI = "chấm điểm trực tiếp"


def criterion_nouns(con, key: str, year: int) -> dict[str, Nouns]:
    """{criterion code: its nouns} of a framework (TOML `unit` / `counted`; data-fed criteria
    count dossiers)."""
    framework = frameworks.load_framework(con, key, year)
    return {c.code: Nouns(c.unit_vi, c.counted_vi) for c in framework.criteria}


def missing_count(row) -> int | None:
    """What a criterion lacks to reach its target, in its own unit: scoring's `needed_more`,
    else (manual ratios) worked out from the typed numerator, denominator and target; None
    when a count cannot be given (no ratio, points typed in, no target)."""
    if is_missing(row.ratio):
        return None
    if not is_missing(row.needed_more):
        return int(row.needed_more)
    if any(is_missing(v) for v in (row.numerator, row.denominator, row.target)):
        return None
    if float(row.numerator) != int(row.numerator) or float(row.denominator) != int(row.denominator):
        return None
    target = Fraction(float(row.target)).limit_denominator(10**6)
    return rules.needed_more(int(row.numerator), int(row.denominator), target)


def gap_vi(row, nouns: Nouns = DOSSIER_NOUNS, *, short: bool = False) -> str:
    """'còn thiếu 310 hồ sơ trực tuyến' / 'đạt chỉ tiêu'; the percentage-point gap when no
    count can be given; 'chưa có dữ liệu' when there is neither; MANUAL_POINTS_VI for criteria
    whose points are typed in (no target to fall short of). `short` names only the unit ('còn
    thiếu 6 nhiệm vụ'), for places as narrow as a card's delta."""
    if row.rule == "manual_points":
        return MANUAL_POINTS_VI
    count = missing_count(row)
    if count is not None:
        return format_missing(count, nouns.unit_vi if short else nouns.counted_vi)
    return format_shortfall_pp(row.gap_pp, 2, NO_DATA)


def fraction_vi(row, nouns: Nouns = DOSSIER_NOUNS) -> str:
    """'14.673 / 14.697 hồ sơ', '285 / 291 nhiệm vụ'."""
    return format_fraction(row.numerator, row.denominator, unit_vi=nouns.unit_vi)


def with_wording(rows: pd.DataFrame, nouns: dict[str, Nouns]) -> pd.DataFrame:
    """`ScoreReport.rows` with `missing` (count, nullable), `gap_vi` and `fraction_vi` columns, for
    tables, the workbook and the PDF."""
    records = list(rows.itertuples(index=False))
    chosen = [nouns.get(r.code, DOSSIER_NOUNS) for r in records]
    return rows.assign(
        missing=pd.array([missing_count(r) for r in records], dtype="Int64"),
        gap_vi=[gap_vi(r, n) for r, n in zip(records, chosen)],
        fraction_vi=[fraction_vi(r, n) for r, n in zip(records, chosen)])


def worded(rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` as they are when `with_wording` already ran on them (giao_ban.gather does, with the
    framework's nouns), else with dossier nouns: the workbook and the PDF say gaps one way."""
    return rows if "gap_vi" in rows.columns else with_wording(rows, {})


def with_unit_missing(by_unit: pd.DataFrame) -> pd.DataFrame:
    """A `scoring.score_by_unit` frame with `missing`: the dossiers each unit lacks to reach the
    target (0 at or above it, NA without a ratio or target), to say a unit's gap in dossiers."""
    missing = [missing_count(row) for row in by_unit.assign(needed_more=None).itertuples(index=False)]
    return by_unit.assign(missing=pd.array(missing, dtype="Int64"))

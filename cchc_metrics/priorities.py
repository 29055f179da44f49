"""What to do this week: the data-fed criteria worth most recoverable points, each with the units
to call on and a count a person can act on.

For each criterion below target two units can matter, and they are often not the same one:
- the unit that contributes the most missing dossiers (the largest unit usually: most work);
- the unit with the worst rate (a small office at 0% online is where a rule or habit is broken).
Both are named with the dossiers they lack to reach the target and their rate, so the overview
reads "Phòng Công chứng số 2: còn thiếu 900 hồ sơ có kết quả điện tử, đạt 29,0%".

Built on `scoring.score_year` (recoverable points) and `scoring.score_by_unit` (per-unit counts).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import pandas as pd

from . import rules, scoring
from .formatting import format_missing, format_percent, is_missing
from .frameworks import INDICATORS

TOP_CRITERIA = 3


@dataclass(frozen=True)
class UnitGap:
    """One unit's result on one criterion: `missing` = dossiers it lacks to reach the target."""

    unit: str
    numerator: int
    denominator: int
    ratio: float
    missing: int
    counted_vi: str

    def text_vi(self) -> str:
        """'Phòng Công chứng số 2: còn thiếu 900 hồ sơ có kết quả điện tử, đạt 29,0%' (plain text)."""
        return f"{self.unit}: {format_missing(self.missing, self.counted_vi)}, đạt {format_percent(self.ratio, 1)}"


@dataclass(frozen=True)
class Priority:
    """A data-fed criterion that can still win points back, with the units to act on."""

    code: str
    name: str
    recoverable_points: float
    points: float | None
    max_points: float
    missing: int | None            # dossiers missing over every selected unit
    counted_vi: str
    what_it_takes_vi: str | None
    most_missing: UnitGap | None   # the unit contributing most of the missing dossiers
    worst_rate: UnitGap | None     # the unit with the lowest rate, when it is another unit


def unit_gaps(by_unit: pd.DataFrame, code: str, target: float) -> list[UnitGap]:
    """Units of a `score_by_unit` frame below `target` on criterion `code`, with what they lack
    (units without a ratio or at target are left out), in the frame's order."""
    rows = by_unit[(by_unit["code"] == code) & by_unit["ratio"].notna() & by_unit["unit"].notna()]
    aim = Fraction(target).limit_denominator(10**6)
    gaps = []
    for row in rows.itertuples(index=False):
        numerator, denominator = int(row.numerator), int(row.denominator)
        missing = rules.needed_more(numerator, denominator, aim)
        if missing > 0:
            gaps.append(UnitGap(str(row.unit), numerator, denominator, float(row.ratio), missing,
                                INDICATORS[row.indicator].counted_vi))
    return gaps


def units_to_act_on(gaps: list[UnitGap]) -> tuple[UnitGap | None, UnitGap | None]:
    """(most missing dossiers, worst rate when another unit). Ties: most missing by the lower
    rate, worst rate by the more missing dossiers, then the list's order."""
    if not gaps:
        return None, None
    most = min(gaps, key=lambda gap: (-gap.missing, gap.ratio))
    worst = min(gaps, key=lambda gap: (gap.ratio, -gap.missing))
    return most, (None if worst.unit == most.unit else worst)


def top_priorities(report: scoring.ScoreReport, by_unit: pd.DataFrame,
                   limit: int = TOP_CRITERIA) -> list[Priority]:
    """The `limit` data-fed criteria with the most recoverable points (ties in framework order)."""
    ranked = report.recovery_ranking()
    ranked = ranked[scoring.from_dossiers(ranked)].head(limit)
    result = []
    for row in ranked.itertuples(index=False):
        most, worst = units_to_act_on(unit_gaps(by_unit, row.code, row.target)
                                      if not is_missing(row.target) else [])
        result.append(Priority(
            code=row.code, name=row.name, recoverable_points=float(row.recoverable_points),
            points=None if is_missing(row.points) else float(row.points),
            max_points=float(row.max_points),
            missing=None if is_missing(row.needed_more) else int(row.needed_more),
            counted_vi=INDICATORS[row.indicator].counted_vi,
            what_it_takes_vi=None if is_missing(row.what_it_takes_vi) else row.what_it_takes_vi,
            most_missing=most, worst_rate=worst))
    return result


def week_priorities(con, key: str, year: int, *, units: Sequence[str] | None = None,
                    period: tuple | None = None, limit: int = TOP_CRITERIA) -> list[Priority]:
    """`top_priorities` for a framework, year (or calendar period) and unit selection (one call
    the pages can cache)."""
    report = (scoring.score_period(con, key, *period, units=units) if period
              else scoring.score_year(con, key, year, units=units))
    by_unit = scoring.score_by_unit(con, key, year, units=units, period=period)
    return top_priorities(report, by_unit, limit)

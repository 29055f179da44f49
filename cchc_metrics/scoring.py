"""Scores of an evaluation year: points per criterion, gaps, what it takes, year-end projection.

Choices the brief leaves open:
- `as_of` defaults to the earlier of the period end and the latest date in the data, so a
  database loaded up to 31/07 is scored "so far" at 31/07, not at a future day.
- The target a criterion aims at is its year's target, else the ratio that gives full points.
- Projection: the year-end denominator is the count so far scaled by working days (period /
  elapsed, Vietnamese calendar with the user's overrides). The remaining dossiers are expected at
  the rate of the last RECENT_DAYS calendar days up to `as_of` (the year's rate when those days
  hold none): recent behaviour tells more about the coming weeks than January does. When the year
  is over, projected = actual.
- For on_time_rate_766 the open dossiers are a stock, not a flow; scaling them by working days is
  only a rough estimate.
- No data is not zero: a criterion whose ratio cannot be computed (no dossier in its denominator,
  no dossier whose file carried the columns it needs, or a manual value not typed in) has ratio,
  points, points lost and projection null, status "chưa có dữ liệu" and a reason in
  `no_data_reason_vi` ("tệp tải lên không có cột «Ngày hẹn trả»"). Its maximum goes to
  `points_unknown`, so total + points lost + points unknown = max total. The projection keeps an
  unknown criterion unknown (projected_total adds up the criteria that have points).
- Any period: `score_period` scores [start, end] (a calendar month, quarter or year for the 766
  index, which the national portal scores that way) with the settings of the evaluation year the
  period ends in; `score_year` is the evaluation year.
- Empty denominators: a criterion with `when_empty = "zero"` gets 0 when its dossiers are known
  to number 0 (the portal gives 0 for progress and payment without dossiers), with the reason in
  `score_note_vi`; "full" gives full points (no complaint to handle). Columns absent stay no data.
- Sub-indicators (rule "sum_of_parts"): each part scored like a criterion (`ScoreReport.parts`),
  the criterion's points their sum, null while any part is (a typed part not typed in yet).
- Unit scope: with units selected, only criteria whose points come from dossiers are scored for
  them (`rows`, total, max_total); department-wide ones (typed-in points) are scored apart in
  `department_rows`, labelled DEPARTMENT_WIDE_VI, and never added to the units' total.
Counts come from `metrics.compute_metrics` (DuckDB aggregates); pandas only sees the aggregates.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import pandas as pd

from . import coverage, frameworks, metrics, periods, rules, settings
from .formatting import format_number, format_percent
from .frameworks import INDICATORS, Criterion, Framework
from .workdays import calendar_for, load_overrides

RECENT_DAYS = 30
NO_DATA_VI = "chưa có dữ liệu"
NO_DOSSIERS_VI = "chưa có hồ sơ nào được tính vào chỉ tiêu này trong kỳ"
NOT_TYPED_VI = "chưa nhập số liệu ở trang «Chỉ tiêu & thang điểm»"
CANNOT_REACH_VI = "không thể đạt"
PORTAL_ZERO_VI = "Cổng DVCQG chấm 0 khi không có hồ sơ"
NONE_TO_HANDLE_VI = "không có trường hợp nào trong kỳ: đủ điểm"
DEPARTMENT_WIDE_VI = "Tiêu chí toàn Sở — không tính theo đơn vị"
NOT_YET_COMPUTABLE_VI = "chưa tính được"

ROW_COLUMNS = (
    "code", "name", "indicator", "rule", "numerator", "denominator", "ratio", "target", "gap_pp",
    "points", "max_points", "points_lost", "status_vi", "projected_ratio", "projected_points",
    "needed_more", "needed_rate", "what_it_takes_vi", "recoverable_points", "responsible_unit",
    "note", "no_data_reason_vi", "score_note_vi")
PART_COLUMNS = ("parent", "code", "name", "indicator", "rule", "numerator", "denominator", "ratio",
                "points", "max_points", "status_vi", "note", "no_data_reason_vi", "score_note_vi")
UNIT_COLUMNS = ("unit", "code", "name", "indicator", "numerator", "denominator", "ratio", "target",
                "gap_pp", "shortfall", "points_lost_share", "no_data_reason_vi")
SERIES_COLUMNS = ("month", "unit", "code", "indicator", "numerator", "denominator", "ratio",
                  "target", "no_data_reason_vi")


@dataclass
class ScoreReport:
    framework: str
    framework_title: str
    year: int
    start: dt.date
    end: dt.date
    as_of: dt.date
    total: float
    max_total: float
    projected_total: float
    rows: pd.DataFrame
    points_unknown: float = 0.0     # maximum points of the criteria without data
    parts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(PART_COLUMNS)))
    department_rows: pd.DataFrame = field(  # with units selected: typed-in criteria, not in total
        default_factory=lambda: pd.DataFrame(columns=list(ROW_COLUMNS)))
    units: tuple[str, ...] = ()

    @property
    def points_lost_total(self) -> float | None:
        """Points lost over every criterion; None when no criterion has points yet."""
        total = self.rows["points_lost"].sum(min_count=1)
        return None if pd.isna(total) else float(total)

    def scored_rows(self) -> pd.DataFrame:
        """The criteria scored from dossier data, in framework order."""
        return self.rows[from_dossiers(self.rows)]

    def recovery_ranking(self) -> pd.DataFrame:
        """Criteria that can still win points back this year (recoverable_points > 0), most
        recoverable points first; ties keep the framework order."""
        recoverable = self.rows[self.rows["recoverable_points"].fillna(0) > 0]
        return recoverable.sort_values("recoverable_points", ascending=False, kind="stable")


def from_dossiers(rows: pd.DataFrame) -> pd.Series:
    """Which rows are scored from dossier data: not typed in, neither as a ratio ("manual") nor as
    points ("manual_points", e.g. 766.3 until its formula is confirmed); Criterion.is_department_wide
    for report rows."""
    return (rows["indicator"] != frameworks.MANUAL) & (rows["rule"] != "manual_points")


def parts(counts: pd.DataFrame, indicator: str) -> tuple[pd.Series, pd.Series]:
    """Numerator and denominator of a ratio indicator, per row of a compute_metrics frame
    (nullable Int64: NA where no dossier of the row could support it)."""
    definition = INDICATORS[indicator]
    numerator = sum(sign * counts[name].astype("Int64") for name, sign in definition.numerator)
    denominator = sum(counts[name].astype("Int64") for name in definition.denominator)
    return numerator, denominator


def reasons(counts: pd.DataFrame, indicator: str) -> list[str | None]:
    """Per row of a compute_metrics frame: why the indicator has no value there (its files lacked
    a column, or no dossier at all), None where it has one."""
    numerator, denominator = parts(counts, indicator)
    known = (numerator.notna() & denominator.notna() & (denominator.fillna(0) > 0)).to_numpy()
    result: list[str | None] = [None] * len(counts)
    for position in (~known).nonzero()[0]:
        row = counts.iloc[position]
        result[position] = (coverage.reason_from_counts(INDICATORS[indicator].needs or indicator, row)
                            or NO_DOSSIERS_VI)
    return result


def _as_of_within(con, start: dt.date, end: dt.date, as_of: dt.date | None) -> dt.date:
    if as_of is None:
        latest = metrics.data_freshness(con)["latest_dossier_at"]
        as_of = end if latest is None else latest.date()
    return max(start, min(end, as_of))


def _points(criterion: Criterion, ratio: Fraction | None, decimals: int) -> float | None:
    raw = rules.rule_points(criterion.rule, ratio, criterion.max_points, target=criterion.target,
                            threshold=criterion.threshold, bands=criterion.bands,
                            manual_points=criterion.manual_points)
    return rules.round_points(rules.apply_deduction(raw, criterion.deduction,
                                                    criterion.deduction_base), decimals)


def _gap_pp(aim: Fraction | None, ratio: Fraction | None) -> float | None:
    if aim is None or ratio is None:
        return None
    return float(max(Fraction(0), aim - ratio) * 100)


def _status(criterion: Criterion, points: float | None, gap_pp: float | None) -> str:
    if points is None:
        return NO_DATA_VI
    if criterion.rule == "manual_points":
        return "nhập tay"
    return "chưa đạt chỉ tiêu" if gap_pp else "đạt chỉ tiêu"


YEAR_TERM_VI = "năm"
PERIOD_TERM_VI = "kỳ"
"""What the scored stretch of time is called in advice: an evaluation year, or any period."""


def _what_it_takes(criterion: Criterion, needed: int, rate: Fraction | None, term: str) -> str:
    counted = INDICATORS[criterion.indicator].counted_vi
    head = f"Cần thêm {format_number(needed)} {counted}"
    if rate is None:
        return (f"{head}; {CANNOT_REACH_VI} chỉ tiêu {format_percent(float(criterion.aim), 1)} "
                + ("trong năm đánh giá này" if term == YEAR_TERM_VI else f"trong {term} này"))
    return f"{head}; phần còn lại của {term} phải đạt {format_percent(float(rate), 1)}"


def unit_shortfalls(by_unit: pd.DataFrame, criterion: Criterion) -> pd.DataFrame:
    """Per unit: counts, ratio, gap and the dossiers missing to reach the aim, with each unit's
    share of the criterion's total shortfall (NaN when no unit falls short)."""
    numerator, denominator = parts(by_unit, criterion.indicator)
    aim = criterion.aim
    ratio = metrics.ratio_series(numerator, denominator)
    target = float(aim) if aim is not None else float("nan")
    shortfall = (target * denominator.astype(float) - numerator.astype(float)).clip(lower=0)
    total = shortfall.sum()
    return pd.DataFrame({
        "unit": by_unit["unit"], "code": criterion.code, "name": criterion.name,
        "indicator": criterion.indicator, "numerator": numerator, "denominator": denominator,
        "ratio": ratio, "target": target, "gap_pp": ((target - ratio) * 100).clip(lower=0),
        "shortfall": shortfall,
        "points_lost_share": shortfall / total if total > 0 else float("nan"),
        "no_data_reason_vi": reasons(by_unit, criterion.indicator)})


def _observed(criterion: Criterion, counts: pd.DataFrame) -> tuple:
    """Numerator and denominator: typed in for manual ratios, counted for data-fed criteria (also
    when the points are typed in, as for 766.3: the ratio is shown beside them)."""
    if criterion.is_manual:
        if criterion.rule in ("manual_points", frameworks.PARTS):
            return None, None
        return criterion.manual_numerator, criterion.manual_denominator
    return tuple(None if pd.isna(series.iloc[0]) else int(series.iloc[0])
                 for series in parts(counts, criterion.indicator))


def _projected_ratio(criterion: Criterion, numerator: int, denominator: int,
                     recent: pd.DataFrame, scale: Fraction) -> Fraction:
    """Year-end ratio: the dossiers still expected arrive at the recent rate (else the year's)."""
    recent_rate = rules.ratio_of(*_observed(criterion, recent))
    if recent_rate is None:
        recent_rate = Fraction(numerator, denominator)
    expected = denominator * scale
    return (numerator + recent_rate * (expected - denominator)) / expected


def _what_it_takes_fields(criterion: Criterion, numerator: int, denominator: int,
                          by_unit: pd.DataFrame, scale: Fraction | None, term: str) -> dict:
    aim = criterion.aim
    needed = rules.needed_more(numerator, denominator, aim)
    expected = denominator * scale if scale is not None else denominator
    rate = rules.needed_rate(numerator, aim, expected, denominator)
    shortfalls = unit_shortfalls(by_unit, criterion).dropna(subset=["unit"])
    shortfalls = shortfalls[shortfalls["shortfall"] > 0]
    return {"needed_more": needed, "needed_rate": _as_float(rate),
            "what_it_takes_vi": _what_it_takes(criterion, needed, rate, term),
            "responsible_unit": (shortfalls.loc[shortfalls["shortfall"].idxmax(), "unit"]
                                 if len(shortfalls) else None)}


def _as_float(value) -> float | None:
    return None if value is None else float(value)


def _lost(criterion: Criterion, points: float | None, decimals: int) -> float | None:
    return None if points is None else rules.round_points(criterion.max_points - points, decimals)


def _empty_points(criterion: Criterion, denominator) -> tuple[float | None, str | None]:
    """Points and why, when the criterion's denominator is known to be 0 and its `when_empty`
    says what that gives; (None, None) otherwise."""
    if criterion.when_empty is None or denominator is None or pd.isna(denominator) or denominator != 0:
        return None, None
    if criterion.when_empty == "zero":
        return 0.0, PORTAL_ZERO_VI
    return criterion.max_points, NONE_TO_HANDLE_VI


def _part_row(part: Criterion, parent: str, decimals: int, so_far: pd.DataFrame) -> dict:
    """One sub-indicator: its ratio (counted or typed) and points under its own rule."""
    numerator, denominator = _observed(part, so_far)
    ratio = rules.ratio_of(numerator, denominator)
    points = _points(part, ratio, decimals)
    empty_points, score_note = _empty_points(part, denominator)
    if empty_points is not None:
        points = empty_points
    return {"parent": parent, "code": part.code, "name": part.name, "indicator": part.indicator,
            "rule": part.rule, "numerator": numerator, "denominator": denominator,
            "ratio": _as_float(ratio), "points": points, "max_points": part.max_points,
            "status_vi": NO_DATA_VI if points is None else ("nhập tay" if part.is_manual else "tính từ hồ sơ"),
            "note": part.note_vi, "score_note_vi": score_note,
            "no_data_reason_vi": None if points is not None else _no_data_reason(part, so_far)}


def _parts_points(part_rows: list[dict], decimals: int) -> tuple[float | None, str | None]:
    """The sum of the parts' points, or None with the parts still missing named."""
    points = rules.sum_of_parts([row["points"] for row in part_rows], decimals)
    if points is not None:
        return points, None
    codes_by_reason: dict[str, list[str]] = {}
    for row in part_rows:
        if row["points"] is None:
            codes_by_reason.setdefault(row["no_data_reason_vi"], []).append(row["code"])
    missing = "; ".join(f"{', '.join(codes)} {reason}" for reason, codes in codes_by_reason.items())
    return None, f"{NOT_YET_COMPUTABLE_VI}: {missing}"


def _score_row(criterion: Criterion, decimals: int, so_far: pd.DataFrame,
               recent: pd.DataFrame | None, by_unit: pd.DataFrame, scale: Fraction | None,
               part_rows: list[dict] | None = None, term: str = YEAR_TERM_VI) -> dict:
    """One criterion's row; `scale` = expected year-end / so far (None when the year is over).
    For a criterion made of parts, `part_rows` receives its parts' rows; `term` names the scored
    time in the advice ("năm" or "kỳ")."""
    numerator, denominator = _observed(criterion, so_far)
    ratio = rules.ratio_of(numerator, denominator)
    aim = None if criterion.rule == "manual_points" else criterion.aim
    parts_reason = None
    if criterion.parts:
        scored_parts = [_part_row(part, criterion.code, decimals, so_far) for part in criterion.parts]
        if part_rows is not None:
            part_rows.extend(scored_parts)
        points, parts_reason = _parts_points(scored_parts, decimals)
    else:
        points = _points(criterion, ratio, decimals)
    empty_points, score_note = _empty_points(criterion, denominator)
    if empty_points is not None:
        points = empty_points
    gap = _gap_pp(aim, ratio)
    projected_ratio, projected_points = ratio, points
    if not criterion.is_manual and not criterion.parts and ratio is not None and scale is not None:
        projected_ratio = _projected_ratio(criterion, numerator, denominator, recent, scale)
        projected_points = _points(criterion, projected_ratio, decimals)
    row = {"code": criterion.code, "name": criterion.name, "indicator": criterion.indicator,
           "rule": criterion.rule, "numerator": numerator, "denominator": denominator,
           "ratio": _as_float(ratio), "target": _as_float(aim), "gap_pp": gap, "points": points,
           "max_points": criterion.max_points, "points_lost": _lost(criterion, points, decimals),
           "status_vi": _status(criterion, points, gap),
           "projected_ratio": _as_float(projected_ratio), "projected_points": projected_points,
           "needed_more": None, "needed_rate": None, "what_it_takes_vi": None,
           "recoverable_points": _lost(criterion, projected_points, decimals),
           "responsible_unit": None, "note": criterion.note_vi, "score_note_vi": score_note,
           "no_data_reason_vi": None if points is not None else (
               parts_reason or _no_data_reason(criterion, so_far))}
    if not criterion.is_manual and gap:
        row.update(_what_it_takes_fields(criterion, numerator, denominator, by_unit, scale, term))
    return row


def _no_data_reason(criterion: Criterion, so_far: pd.DataFrame) -> str:
    if criterion.is_manual:
        return NOT_TYPED_VI
    return reasons(so_far, criterion.indicator)[0] or NO_DOSSIERS_VI


def _year_scale(con, start: dt.date, end: dt.date, as_of: dt.date) -> Fraction | None:
    """Working days of the whole period / working days elapsed; None once the period is over."""
    if as_of >= end:
        return None
    calendar = calendar_for(range(start.year, end.year + 1), load_overrides(con))
    elapsed = calendar.working_days(start, as_of)
    return Fraction(calendar.working_days(start, end), elapsed) if elapsed else Fraction(1)


def _sum_points(values: pd.Series, decimals: int) -> float:
    return rules.round_points(float(sum(rules.exact(v) for v in values.dropna())), decimals)


def _totals(by_unit: pd.DataFrame) -> pd.DataFrame:
    """One row of totals from the per-unit counts (every count adds up over units), which saves
    a second scan of the dossiers."""
    return metrics.sum_counts(by_unit)


def score_year(con, key: str, year: int, *, as_of: dt.date | None = None,
               units: Sequence[str] | None = None) -> ScoreReport:
    """Every criterion of the framework for the evaluation year ending in `year`, so far (up to
    `as_of`) and projected to the year end; see the module docstring for the choices made."""
    framework = frameworks.load_framework(con, key, year)
    start, end = periods.evaluation_period(framework.year, framework.start_day)
    return _score(con, framework, start, end, as_of, units, YEAR_TERM_VI)


def score_period(con, key: str, start: dt.date, end: dt.date, *, as_of: dt.date | None = None,
                 units: Sequence[str] | None = None) -> ScoreReport:
    """Every criterion over any period [start, end] (e.g. a calendar month for the 766 index),
    with the settings of the evaluation year the period ends in and the figures typed in for
    that period (settings.save_criteria with a period)."""
    periods.check_period(start, end)
    year = settings.year_of_period(con, key, (start, end))
    framework = frameworks.load_framework(con, key, year, period=(start, end))
    return _score(con, framework, start, end, as_of, units, PERIOD_TERM_VI)


def _with_procedure_counts(con, framework: Framework, start: dt.date, as_of: dt.date,
                           units: Sequence[str] | None, so_far: pd.DataFrame) -> pd.DataFrame:
    """The totals row with the distinct-procedure counts, when a criterion needs them."""
    used = {c.indicator for top in framework.criteria for c in (top, *top.parts)}
    if not used & set(frameworks.PROCEDURE_INDICATORS):
        return so_far
    counts = metrics.fee_procedure_counts(con, start, as_of, units=units)
    return so_far.assign(**{name: pd.array([value], dtype="Int64") for name, value in counts.items()})


def _score(con, framework: Framework, start: dt.date, end: dt.date, as_of: dt.date | None,
           units: Sequence[str] | None, term: str) -> ScoreReport:
    as_of = _as_of_within(con, start, end, as_of)
    units = tuple(units or ())
    by_unit = metrics.compute_metrics(con, start, as_of, by="unit", units=units)
    so_far = _with_procedure_counts(con, framework, start, as_of, units, _totals(by_unit))
    scale = _year_scale(con, start, end, as_of)
    recent = None if scale is None else metrics.compute_metrics(  # only a projection needs it
        con, max(start, as_of - dt.timedelta(days=RECENT_DAYS - 1)), as_of, units=units)
    scored = [c for c in framework.criteria if not (units and c.is_department_wide)]
    apart = [c for c in framework.criteria if units and c.is_department_wide]
    part_rows: list[dict] = []

    def table(criteria: list[Criterion]) -> pd.DataFrame:
        return pd.DataFrame([_score_row(c, framework.decimals, so_far, recent, by_unit, scale, part_rows, term)
                             for c in criteria], columns=list(ROW_COLUMNS))

    rows, department_rows = table(scored), table(apart)
    decimals = framework.decimals
    return ScoreReport(
        framework=framework.key, framework_title=framework.title_vi, year=framework.year,
        start=start, end=end, as_of=as_of, total=_sum_points(rows["points"], decimals),
        max_total=_sum_points(rows["max_points"], decimals),
        projected_total=_sum_points(rows["projected_points"], decimals), rows=rows,
        points_unknown=_sum_points(rows.loc[rows["points"].isna(), "max_points"], decimals),
        parts=pd.DataFrame(part_rows, columns=list(PART_COLUMNS)).astype(
            {"ratio": float, "points": float, "max_points": float}),  # NaN, never None, when unknown
        department_rows=department_rows, units=units)


def _data_criteria(framework: Framework) -> list[Criterion]:
    return [c for c in framework.criteria if not c.is_manual]


def score_by_unit(con, key: str, year: int, *, units: Sequence[str] | None = None,
                  period: tuple[dt.date, dt.date] | None = None) -> pd.DataFrame:
    """Per unit and data-fed criterion over the whole evaluation year (or `period`, as
    `score_period`): counts, ratio, target, gap and the unit's share of the dossiers missing to
    reach the target (its share of the points lost)."""
    if period is not None:
        framework = frameworks.load_framework(con, key, settings.year_of_period(con, key, period), period)
        start, end = period
    else:
        framework = frameworks.load_framework(con, key, year)
        start, end = periods.evaluation_period(year, framework.start_day)
    by_unit = metrics.compute_metrics(con, start, end, by="unit", units=units)
    frames = [unit_shortfalls(by_unit, c) for c in _data_criteria(framework)]
    if not frames or by_unit.empty:
        return pd.DataFrame(columns=list(UNIT_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(UNIT_COLUMNS)]


def monthly_series(con, key: str, year: int, *, units: Sequence[str] | None = None,
                   per_unit: bool = False) -> pd.DataFrame:
    """Per month ("YYYY-MM") and data-fed criterion: numerator, denominator, ratio and target, for
    the selected units together (unit None) or, with per_unit, for each unit."""
    framework = frameworks.load_framework(con, key, year)
    start, end = periods.evaluation_period(year, framework.start_day)
    by = ["unit", "month"] if per_unit else "month"
    counts = metrics.compute_metrics(con, start, end, by=by, units=units)
    frames = []
    for criterion in _data_criteria(framework):
        numerator, denominator = parts(counts, criterion.indicator)
        frames.append(pd.DataFrame({
            "month": counts["month"], "unit": counts["unit"] if per_unit else None,
            "code": criterion.code, "indicator": criterion.indicator, "numerator": numerator,
            "denominator": denominator, "ratio": metrics.ratio_series(numerator, denominator),
            "target": float(criterion.aim) if criterion.aim is not None else float("nan"),
            "no_data_reason_vi": reasons(counts, criterion.indicator)}))
    if not frames:
        return pd.DataFrame(columns=list(SERIES_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(SERIES_COLUMNS)]


def criterion_series(series: pd.DataFrame, code: str) -> pd.DataFrame:
    """The months of one criterion out of a `monthly_series` frame, in the frame's order."""
    return series[series["code"] == code]

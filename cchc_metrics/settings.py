"""The user's changes to a framework, per year: targets, rules, manual values, evaluation start day.

Stored in `setting_overrides` (one row per framework and year) as JSON holding only the differences
from the shipped defaults: {"start_day": [day, month], "criteria": {code: {field: value}}}. So a
corrected shipped file reaches every value the user did not change, and a reset deletes the row.
The editing table (`editable_criteria`) shows targets and thresholds in percent (55 for 55%) and
bands as text in percent, lower bound first: "100:5; 99:4,5; 96:2"; the JSON stores fractions.
A criterion made of sub-indicators (766: typed-in C of payment, transparency, satisfaction...) is
followed by one row per part, so a clerk types each figure the national portal shows.
Typed-in figures (frameworks.PERIOD_FIELDS) may be saved for one period (the portal shows them per
month): stored under "periods" {"2026-08-01..2026-08-31": {code: {field: value}}} in the payload of
the evaluation year the period ends in, they apply to that period only, over the year's values.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable

import pandas as pd

from . import frameworks, periods
from .errors import CchcError
from .formatting import format_editable_number
from .rules import RULE_LABELS_VI, RULES, Band, exact

EDITOR_COLUMNS = ("code", "name", "indicator", "rule", "max_points", "target", "threshold",
                  "bands", "manual_numerator", "manual_denominator", "manual_points", "deduction",
                  "deduction_base", "note")
"""Columns of `editable_criteria`; code, name, indicator and note are read-only."""


def stored_overrides(con, key: str, year: int) -> dict:
    """The stored differences for a framework and year ({} when none)."""
    row = con.cursor().execute(
        "SELECT payload FROM setting_overrides WHERE framework = ? AND year = ?",
        [key, year]).fetchone()
    return json.loads(row[0]) if row else {}


def _write_overrides(con, key: str, year: int, payload: dict) -> None:
    cur = con.cursor()
    cur.execute("DELETE FROM setting_overrides WHERE framework = ? AND year = ?", [key, year])
    if payload:
        cur.execute("INSERT INTO setting_overrides VALUES (?, ?, ?, ?)",
                    [key, year, json.dumps(payload, ensure_ascii=False), dt.datetime.now()])


THOUSANDS = re.compile(r"\d{1,3}(\.\d{3})+")


def parse_number(text: str) -> float:
    """A number typed the Vietnamese way: '0,55' -> 0.55, '14.697' or '14.697,5' -> thousands
    with dots; '0.55' still reads as 0.55. Raises ValueError when it is not a number."""
    text = text.strip().replace(" ", "")
    if "," in text or THOUSANDS.fullmatch(text):
        text = text.replace(".", "").replace(",", ".")
    return float(text)


def bands_to_text(bands: Iterable[Band]) -> str:
    """Bands as '100:5; 99:4,5' (percent lower bound : points, highest band first)."""
    ordered = sorted(bands, key=lambda band: band.lower, reverse=True)
    return "; ".join(f"{format_editable_number(b.lower * 100)}:{format_editable_number(b.points)}" for b in ordered)


def year_of_period(con, key: str, period: tuple) -> int:
    """The evaluation year whose settings a period uses: the one its last day falls in."""
    start_day = tuple(frameworks.default_settings(key, period[1].year)["start_day"])
    year = periods.evaluation_year_of(period[1], start_day)
    stored = stored_overrides(con, key, year).get("start_day")  # the user may move the start day
    return periods.evaluation_year_of(period[1], tuple(stored)) if stored else year


def editable_criteria(con, key: str, year: int, *, period: tuple | None = None) -> pd.DataFrame:
    """One row per criterion (and sub-indicator) with the year's effective values, ready for
    st.data_editor; with a period (start, end), its typed-in figures, and the year it ends in."""
    if period is not None:
        year = year_of_period(con, key, period)
    framework = frameworks.load_framework(con, key, year, period=period)
    rows = []
    for criterion in [row for top in framework.criteria for row in (top, *top.parts)]:
        rows.append({
            "code": criterion.code, "name": criterion.name, "indicator": criterion.indicator,
            "rule": criterion.rule, "max_points": criterion.max_points,
            "target": _as_percent(criterion.target), "threshold": _as_percent(criterion.threshold),
            "bands": bands_to_text(criterion.bands),
            "manual_numerator": _as_float(criterion.manual_numerator),
            "manual_denominator": _as_float(criterion.manual_denominator),
            "manual_points": _as_float(criterion.manual_points),
            "deduction": criterion.deduction,
            "deduction_base": _as_float(criterion.deduction_base),
            "note": criterion.note_vi})
    return pd.DataFrame(rows, columns=list(EDITOR_COLUMNS))


def _as_float(value) -> float:
    return math.nan if value is None else float(value)


def _as_percent(ratio) -> float:
    """Targets and thresholds are edited in percent (55 for 55%), like the bands and every figure
    the user reads; they are stored as fractions."""
    return math.nan if ratio is None else float(exact(ratio) * 100)


def _from_percent(percent: float | None) -> float | None:
    return None if percent is None else float(exact(percent) / 100)


def _is_blank(value) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or bool(pd.isna(value))


COLUMN_LABELS_VI = {
    "rule": "Cách tính điểm", "max_points": "Điểm tối đa", "target": "Chỉ tiêu (%)",
    "threshold": "Ngưỡng đủ điểm (%)", "bands": "Các mức điểm", "manual_numerator": "Tử số",
    "manual_denominator": "Mẫu số", "manual_points": "Điểm nhập tay", "deduction_base": "Điểm trước khi trừ"}
"""The headers the page shows for the editable columns, so an error names the column the user sees."""


class _Cell:
    """Parses one cell of the edited table, raising a message naming the criterion and column."""

    def __init__(self, code: str, column: str, value):
        self.code, self.column, self.value = code, column, value

    def error(self, what: str) -> CchcError:
        shown = "(trống)" if _is_blank(self.value) else f"«{self.value}»"
        column = COLUMN_LABELS_VI.get(self.column, self.column)
        return CchcError(f"Tiêu chí {self.code}, cột «{column}»: giá trị {shown} "
                         f"không hợp lệ. {what}")

    def number(self, *, low: float = 0.0, high: float | None = None,
               hint: str = "Hãy nhập một số không âm.") -> float | None:
        if _is_blank(self.value):
            return None
        try:
            number = parse_number(self.value) if isinstance(self.value, str) \
                else float(self.value)
        except ValueError:
            raise self.error(hint) from None
        if not math.isfinite(number) or number < low or (high is not None and number > high):
            raise self.error(hint)
        return number

    def bands(self, max_points: float) -> list[list[float]] | None:
        if _is_blank(self.value):
            return None
        hint = ("Mỗi mức cần đủ hai ô: tỷ lệ từ (%) và số điểm, ví dụ từ 99% được 4,5 điểm "
                "(viết gọn: «100:5; 99:4,5; 96:2»).")
        parsed = []
        for part in str(self.value).split(";"):
            if not part.strip():
                continue
            pieces = part.split(":")
            if len(pieces) != 2:
                raise self.error(hint)
            percent = _Cell(self.code, self.column, pieces[0]).number(high=100, hint=hint)
            points = _Cell(self.code, self.column, pieces[1]).number(high=max_points, hint=hint)
            if percent is None or points is None:
                raise self.error(hint)
            parsed.append([float(exact(percent) / 100), points])
        lowers = [lower for lower, _ in parsed]
        if not parsed or len(set(lowers)) != len(lowers):
            raise self.error(hint + " Mỗi mức tỷ lệ chỉ được xuất hiện một lần.")
        return sorted(parsed, reverse=True)


def _parse_row(row: pd.Series) -> dict:
    """The editable values of one edited row, validated."""
    code = str(row["code"])

    def cell(column: str) -> _Cell:
        return _Cell(code, column, row.get(column))

    rule = str(row.get("rule", "")).strip()
    if rule not in RULES:
        choices = "; ".join(f"{rule} ({RULE_LABELS_VI[rule]})" for rule in RULES)
        raise cell("rule").error(f"Hãy chọn một trong: {choices}.")
    max_points = cell("max_points").number(hint="Hãy nhập điểm tối đa là một số dương.")
    if not max_points:
        raise cell("max_points").error("Hãy nhập điểm tối đa là một số dương.")
    percent_hint = "Hãy nhập tỷ lệ phần trăm từ 0 đến 100 (ví dụ 55 cho 55%)."
    values = {
        "rule": rule, "max_points": max_points,
        "target": _from_percent(cell("target").number(high=100, hint=percent_hint)),
        "threshold": _from_percent(cell("threshold").number(high=100, hint=percent_hint)),
        "bands": cell("bands").bands(max_points),
        "manual_numerator": cell("manual_numerator").number(),
        "manual_denominator": cell("manual_denominator").number(),
        "manual_points": cell("manual_points").number(
            high=max_points, hint=f"Hãy nhập điểm từ 0 đến {format_editable_number(max_points)}."),
        "deduction": bool(row.get("deduction")) if not _is_blank(row.get("deduction")) else False,
        "deduction_base": cell("deduction_base").number(
            high=max_points, hint=f"Hãy nhập điểm từ 0 đến {format_editable_number(max_points)}."),
    }
    required = {"proportional_to_target": ("target", "cần chỉ tiêu"),
                "threshold": ("threshold", "cần ngưỡng đạt điểm tối đa"),
                "bands": ("bands", "cần các mức điểm")}
    if rule in required and values[required[rule][0]] is None:
        column, need = required[rule]
        raise cell(column).error(f"Cách tính «{RULE_LABELS_VI[rule]}» {need}.")
    if rule in ("proportional_to_target", "threshold") and values[required[rule][0]] == 0:
        raise cell(required[rule][0]).error("Chỉ tiêu / ngưỡng phải lớn hơn 0.")
    numerator, denominator = values["manual_numerator"], values["manual_denominator"]
    if numerator is not None and denominator is not None and numerator > denominator:
        raise cell("manual_numerator").error("Tử số không được lớn hơn mẫu số.")
    return values


def _same(a, b) -> bool:
    """Equal as exact numbers (0.55 typed equals 0.55 shipped), lists element-wise."""
    if isinstance(a, list) or isinstance(b, list):
        return (isinstance(a, list) and isinstance(b, list) and len(a) == len(b)
                and all(_same(x, y) for x, y in zip(a, b)))
    if any(x is None or isinstance(x, (bool, str)) for x in (a, b)):
        return a == b
    return exact(a) == exact(b)


def save_criteria(con, key: str, year: int, df: pd.DataFrame, *, period: tuple | None = None) -> None:
    """Validate the edited table and store its differences from the shipped defaults of `year`.

    Rows are matched by code; a criterion left out of the table keeps its default. With a period
    (start, end) the typed-in figures that differ from the year's are stored for that period only
    (in the year the period ends in), and the year's own typed-in figures stay as they were.
    """
    if period is not None:
        year = year_of_period(con, key, period)
    defaults = frameworks.default_settings(key, year)
    with_parts = set(frameworks.parent_codes(key).values())
    overrides = stored_overrides(con, key, year)
    year_values = frameworks.merge_settings(defaults, overrides)["criteria"]
    changed: dict[str, dict] = {}
    typed_for_period: dict[str, dict] = {}
    maxima: dict[str, float] = {}
    seen = set()
    for _, row in df.iterrows():
        code = str(row.get("code"))
        if code not in defaults["criteria"]:
            raise CchcError(f"Không có tiêu chí «{code}» trong bộ tiêu chí này. Hãy giữ nguyên "
                            "cột «code» (mã tiêu chí) khi chỉnh sửa.")
        if code in seen:
            raise CchcError(f"Tiêu chí {code} xuất hiện hai lần. Hãy giữ mỗi tiêu chí một dòng.")
        seen.add(code)
        values = _parse_row(row)
        maxima[code] = values["max_points"]
        if (values["rule"] == frameworks.PARTS) != (code in with_parts):
            raise _Cell(code, "rule", values["rule"]).error(
                f"Cách tính «{RULE_LABELS_VI[frameworks.PARTS]}» chỉ dùng cho tiêu chí có chỉ số "
                "thành phần, và tiêu chí có chỉ số thành phần luôn tính theo cách đó.")
        if period is not None:
            typed = {field: values[field] for field in frameworks.PERIOD_FIELDS
                     if not _same(values[field], year_values[code][field])}
            if typed:
                typed_for_period[code] = typed
            values.update({field: year_values[code][field] for field in frameworks.PERIOD_FIELDS})
        diff = {field: value for field, value in values.items()
                if not _same(value, _normalised(defaults["criteria"][code][field]))}
        if diff:
            changed[code] = diff
    _check_parts_add_up(key, {code: maxima.get(code, values["max_points"])
                              for code, values in year_values.items()})
    payload = {k: v for k, v in overrides.items() if k != "criteria"}
    if changed:
        payload["criteria"] = changed
    if period is not None:
        stored = {k: v for k, v in payload.get("periods", {}).items() if k != frameworks.period_key(period)}
        if typed_for_period:
            stored[frameworks.period_key(period)] = typed_for_period
        payload.pop("periods", None)
        if stored:
            payload["periods"] = stored
    _write_overrides(con, key, year, payload)


def _check_parts_add_up(key: str, maxima: dict[str, float]) -> None:
    """A criterion made of sub-indicators is worth exactly what its parts are worth together."""
    parts_of: dict[str, list[str]] = {}
    for part, parent in frameworks.parent_codes(key).items():
        parts_of.setdefault(parent, []).append(part)
    for parent, parts in parts_of.items():
        total = sum(exact(maxima[part]) for part in parts)
        if total != exact(maxima[parent]):
            raise CchcError(f"Tiêu chí {parent}, cột «{COLUMN_LABELS_VI['max_points']}»: điểm tối đa "
                            f"{format_editable_number(maxima[parent])} phải bằng tổng điểm tối đa của các chỉ số "
                            f"thành phần {', '.join(parts)} ({format_editable_number(total)}). Hãy sửa cho khớp.")


def _normalised(value):
    """Shipped TOML values in the shape the parser produces (bands sorted, numbers as floats)."""
    if isinstance(value, list):
        return sorted([float(lower), float(points)] for lower, points in value)[::-1]
    return value


def save_start_day(con, key: str, year: int, day: int, month: int) -> None:
    """Set the day the evaluation year starts (in the previous calendar year)."""
    periods.evaluation_period(year, (day, month))  # refuses a day that is not in every year
    defaults = frameworks.default_settings(key, year)
    payload = stored_overrides(con, key, year)
    payload.pop("start_day", None)
    if [day, month] != list(defaults["start_day"]):
        payload["start_day"] = [day, month]
    _write_overrides(con, key, year, payload)


def reset_criteria(con, key: str, year: int) -> None:
    """Drop every change of that framework and year: the shipped defaults apply again."""
    frameworks.default_settings(key, year)  # unknown framework -> Vietnamese error
    _write_overrides(con, key, year, {})

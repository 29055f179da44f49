"""Vietnamese number, percent, point and date formatting for everything the user reads.

Streamlit has no locale setting, so every figure shown on a page or in a label goes through
these functions: thousands with ".", decimals with "," (14.697; 99,84%; 84,27 điểm), dates
dd/mm/yyyy. A missing value is never shown as 0: it reads "chưa có dữ liệu" (or "–" in tables).
"""
from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import pandas as pd

NO_DATA = "chưa có dữ liệu"
NO_DATA_SHORT = "–"
DOSSIERS = "hồ sơ"
PERCENTAGE_POINTS = "điểm phần trăm"
MET_TARGET = "đạt chỉ tiêu"


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pandas.NA (everything that means 'no data')."""
    return not isinstance(value, str) and bool(pd.api.types.is_scalar(value) and pd.isna(value))


def _vietnamese_decimal(value: float, decimals: int) -> str:
    """Python's '{:,.Nf}' with the separators swapped to Vietnamese style."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


NO_DATA_LABEL = "Chưa có dữ liệu"


def no_data_text(reason: Any = None) -> str:
    """"Chưa có dữ liệu — tệp tải lên không có cột «Ngày hẹn trả»": what is shown in place of a
    ratio or points that cannot be computed, with its reason when there is one (plain text)."""
    if is_missing(reason) or not str(reason).strip():
        return NO_DATA_LABEL
    return f"{NO_DATA_LABEL} — {reason}"


def format_number(value: Any, decimals: int = 0, missing: str = NO_DATA) -> str:
    """14697 -> '14.697'; 1234.5 with decimals=1 -> '1.234,5'."""
    if is_missing(value):
        return missing
    number = float(value)
    if decimals == 0:
        number = math.floor(number + 0.5) if number >= 0 else -math.floor(-number + 0.5)
    return _vietnamese_decimal(number, decimals)


def format_percent(ratio: Any, decimals: int = 2, missing: str = NO_DATA) -> str:
    """A ratio in 0..1 as a Vietnamese percent: 0.99837 -> '99,84%'."""
    if is_missing(ratio):
        return missing
    return f"{_vietnamese_decimal(float(ratio) * 100, decimals)}%"


def format_points(points: Any, decimals: int = 2, missing: str = NO_DATA) -> str:
    """Score points with two decimals: 84.27 -> '84,27'."""
    return format_number(points, decimals, missing)


def format_gap_pp(gap_pp: Any, decimals: int = 2, missing: str = NO_DATA) -> str:
    """A gap in percentage points with its sign, said in full ("điểm" alone means score points):
    -29.0 -> '-29,00 điểm phần trăm'; 0 -> '0,00 điểm phần trăm'."""
    if is_missing(gap_pp):
        return missing
    sign = "+" if float(gap_pp) > 0 else ""
    return f"{sign}{format_number(gap_pp, decimals)} {PERCENTAGE_POINTS}"


def format_shortfall_pp(shortfall_pp: Any, decimals: int = 2, missing: str = NO_DATA) -> str:
    """How far below target (scoring's `gap_pp`, 0 when met), where no count can say it:
    35.75 -> 'thấp hơn chỉ tiêu 35,75 điểm phần trăm'."""
    if is_missing(shortfall_pp):
        return missing
    if float(shortfall_pp) <= 0:
        return MET_TARGET
    return f"thấp hơn chỉ tiêu {format_number(shortfall_pp, decimals)} {PERCENTAGE_POINTS}"


def format_missing(missing_count: Any, counted_vi: str = DOSSIERS, missing: str = NO_DATA) -> str:
    """The gap to a target in what the criterion counts (the preferred way to say a gap):
    310, 'hồ sơ trực tuyến' -> 'còn thiếu 310 hồ sơ trực tuyến'; 0 -> 'đạt chỉ tiêu'."""
    if is_missing(missing_count):
        return missing
    if int(missing_count) <= 0:
        return MET_TARGET
    return f"còn thiếu {format_number(missing_count)} {counted_vi}"


def format_fraction(numerator: Any, denominator: Any, missing: str = NO_DATA,
                    unit_vi: str = DOSSIERS) -> str:
    """Numerator over denominator as people say it, in the criterion's own unit:
    '14.673 / 14.697 hồ sơ', '285 / 291 nhiệm vụ'."""
    if is_missing(numerator) or is_missing(denominator):
        return missing
    return f"{format_number(numerator)} / {format_number(denominator)} {unit_vi}"


def format_editable_number(value: Any) -> str:
    """A number to type over in a table editor: decimal comma, no thousands dot (it would read as a
    decimal point when parsed back), at most 4 decimals: 0.55 -> '0,55', 14697.0 -> '14697'."""
    if is_missing(value):
        return ""
    return f"{float(value):.4f}".rstrip("0").rstrip(".").replace(".", ",")


def format_date(value: Any, missing: str = NO_DATA) -> str:
    """date, datetime, pandas.Timestamp or ISO text -> 'dd/mm/yyyy'."""
    return _format_moment(value, "%d/%m/%Y", missing)


def format_datetime(value: Any, missing: str = NO_DATA) -> str:
    """-> 'dd/mm/yyyy HH:MM' (upload times, data freshness)."""
    return _format_moment(value, "%d/%m/%Y %H:%M", missing)


_ISO_MOMENT = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?")


def format_cell_text(text: Any) -> Any:
    """A source cell as its reader expects to see it: Excel dates arrive as ISO text
    ('2023-12-01 08:00:00') and are shown as 'dd/mm/yyyy HH:MM' (seconds only when not zero, the
    time only when not midnight); any other value is returned unchanged."""
    match = _ISO_MOMENT.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        return text
    year, month, day, hour, minute, second = match.groups()
    shown = f"{day}/{month}/{year}"
    if hour is not None and (hour, minute, second or "00") != ("00", "00", "00"):
        shown += f" {hour}:{minute}" + (f":{second}" if second not in (None, "00") else "")
    return shown


def _format_moment(value: Any, pattern: str, missing: str) -> str:
    if is_missing(value):
        return missing
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.strftime(pattern)


_FORMATTERS = {
    "int": format_number,
    "percent": format_percent,
    "points": format_points,
    "gap": format_gap_pp,
    "shortfall": format_shortfall_pp,
    "date": format_date,
    "datetime": format_datetime,
}


def display_table(frame: pd.DataFrame, columns: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """A copy ready to show: only `columns` ({name: (Vietnamese header, kind)}), in that order,
    values formatted by kind (int, percent, points, gap, shortfall, date, datetime, text); missing -> "–"."""
    shown = {}
    for name, (label, kind) in columns.items():
        if kind == "text":
            shown[label] = [NO_DATA_SHORT if is_missing(v) else v for v in frame[name]]
        else:
            formatter = _FORMATTERS[kind]
            shown[label] = [formatter(v, missing=NO_DATA_SHORT) for v in frame[name]]
    return pd.DataFrame(shown, index=range(len(frame)))


def styled_table(frame: pd.DataFrame, columns: dict[str, tuple[str, str]]):
    """Like `display_table`, but numbers and dates stay numbers and dates (a column sorts by value,
    not alphabetically) and only their display is Vietnamese: a pandas Styler for st.dataframe."""
    kept = frame[list(columns)].rename(columns={name: label for name, (label, _) in columns.items()})
    kept.index = range(len(kept))
    formatters = {}
    for name, (label, kind) in columns.items():
        if kind == "text":
            formatters[label] = lambda v: NO_DATA_SHORT if is_missing(v) else v
        else:
            formatters[label] = lambda v, f=_FORMATTERS[kind]: f(v, missing=NO_DATA_SHORT)
    return kept.style.format(formatters)


# ---- Data text leaving the app: spreadsheets, terminals, Plotly -----------------------------------

# OWASP "CSV Injection": a cell starting with one of these is read as a formula by Excel/LibreOffice.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NEGATIVE_NUMBER = re.compile(r"-\d[\d.,]*")


def csv_safe_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula ("=HYPERLINK(…)", "@SUM(…)", "-2+3") gets a
    leading "'" as OWASP advises. A negative number written as text ("-3", "-1.234,5") cannot run and
    stays a number; non-text values are returned unchanged."""
    if (isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)
            and not _NEGATIVE_NUMBER.fullmatch(value)):
        return "'" + value
    return value


def csv_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with every text cell (and column name) passed through csv_safe_cell."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = [csv_safe_cell(v) for v in safe[column]]
    safe.columns = [csv_safe_cell(c) for c in safe.columns]
    return safe


_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_text(text: Any) -> str:
    """Text from a file (file, unit, sheet names) made safe to print in a terminal: escape sequences
    (colours, cursor moves, window titles) and other control characters removed; tabs and newlines kept."""
    return _CONTROL.sub("", "" if is_missing(text) else str(text))


def plotly_text(text: Any) -> str:
    """Text from data made inert for Plotly labels, which read a subset of HTML (<a href>, <b>, <br>):
    & < > escaped as entities, so Plotly shows them as typed."""
    text = "" if is_missing(text) else str(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

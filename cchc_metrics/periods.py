"""Evaluation years and date parsing for the period every indicator is counted over.

The CCHC evaluation year does not follow the calendar: the seed plan counts 15/12/(Y-1)..14/12/Y
as year Y. The start day is a setting, so it is a parameter here; a start day of 1/1 gives the
calendar year.
"""
from __future__ import annotations

import datetime as dt

from .errors import CchcError

DEFAULT_START_DAY = (15, 12)  # (day, month)


def evaluation_period(year: int, start_day: tuple[int, int] = DEFAULT_START_DAY) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) of the evaluation year that ends in `year`."""
    day, month = start_day
    try:
        next_start = dt.date(year, month, day)
        dt.date(2023, month, day)  # a start day must exist every year (no 29/02)
    except ValueError as exc:
        raise CchcError(f"Ngày bắt đầu năm đánh giá «{day}/{month}» không hợp lệ. Hãy chọn một ngày "
                        "có trong mọi năm (không dùng 29/02).") from exc
    if (day, month) == (1, 1):
        next_start = dt.date(year + 1, 1, 1)
    return next_start.replace(year=next_start.year - 1), next_start - dt.timedelta(days=1)


def parse_date(text: str, label: str = "ngày") -> dt.date:
    """A YYYY-MM-DD date typed on the command line, with a Vietnamese error when it is not one."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise CchcError(f"Giá trị «{text}» của {label} không phải là ngày hợp lệ. "
                        "Hãy nhập theo dạng NĂM-THÁNG-NGÀY, ví dụ 2023-12-14.") from exc


def check_period(start: dt.date, end: dt.date) -> None:
    """Refuse a period that ends before it starts."""
    if end < start:
        raise CchcError(f"Kỳ báo cáo không hợp lệ: ngày kết thúc {end:%d/%m/%Y} trước ngày bắt đầu "
                        f"{start:%d/%m/%Y}. Hãy đổi lại hai ngày.")


PERIOD_KINDS = {"month": "Tháng", "quarter": "Quý", "year": "Năm", "dates": "Khoảng ngày"}
"""Calendar periods a framework that scores them offers (the national portal: month, quarter,
year), plus any dates."""


def calendar_period(kind: str, year: int, number: int = 1) -> tuple[dt.date, dt.date]:
    """First and last day of month `number` (1-12), quarter `number` (1-4) or the year."""
    months = {"month": (number, number), "quarter": (3 * number - 2, 3 * number), "year": (1, 12)}
    limits = {"month": 12, "quarter": 4, "year": 1}
    if kind not in months or not 1 <= (number if kind != "year" else 1) <= limits[kind]:
        raise ValueError(f"no {kind} {number} in a year")
    first, last = months[kind]
    next_start = dt.date(year + 1, 1, 1) if last == 12 else dt.date(year, last + 1, 1)
    return dt.date(year, first, 1), next_start - dt.timedelta(days=1)


def evaluation_year_of(day: dt.date, start_day: tuple[int, int] = DEFAULT_START_DAY) -> int:
    """The evaluation year a day belongs to (its settings apply to a period ending that day)."""
    start, _ = evaluation_period(day.year + 1, start_day)
    return day.year + 1 if day >= start else day.year

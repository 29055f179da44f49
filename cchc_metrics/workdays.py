"""The Vietnamese working-day calendar: Monday–Friday minus public holidays, plus swapped days.

Public holidays (lunar Tết, Giỗ Tổ, 30/4, 1/5, 2/9 and its adjacent day, 24/11 from 2026) and the
government's swapped days come from the `holidays` package, which tracks each year's announcements.
Late announcements go into `calendar_overrides` (a day forced to working or non-working).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import lru_cache

import holidays
import numpy as np
import pandas as pd

from .errors import CchcError


class WorkCalendar:
    """Answers working-day questions for a span of years; vectorised where the UI needs it."""

    def __init__(self, years: Iterable[int], overrides: Mapping[dt.date, bool] | None = None):
        years = sorted(set(years))
        vn = holidays.country_holidays("VN", years=years)
        overrides = dict(overrides or {})
        off = {d for d in vn if d.weekday() < 5}
        extra_working = {d for d in vn.weekend_workdays if d.year in years}
        for day, is_working in overrides.items():
            if is_working:
                off.discard(day)
                if day.weekday() >= 5:
                    extra_working.add(day)
            else:
                extra_working.discard(day)
                if day.weekday() < 5:
                    off.add(day)
        self.years = years
        self.holiday_names = {d: n for d, n in holidays.country_holidays(
            "VN", years=years, language="vi").items()}
        self._busday = np.busdaycalendar(weekmask="1111100",
                                         holidays=np.array(sorted(off), dtype="datetime64[D]"))
        self._extra = np.array(sorted(extra_working), dtype="datetime64[D]")

    def is_working_day(self, day: dt.date) -> bool:
        d = np.datetime64(day, "D")
        return bool(np.is_busday(d, busdaycal=self._busday) or d in self._extra)

    def working_days(self, start, end) -> np.ndarray | int:
        """Working days in [start, end], both inclusive; 0 when end < start. Accepts arrays."""
        s = np.asarray(start, dtype="datetime64[D]")
        e = np.asarray(end, dtype="datetime64[D]")
        e_excl = e + np.timedelta64(1, "D")
        count = np.busday_count(s, np.maximum(e_excl, s), busdaycal=self._busday)
        if self._extra.size:
            lo = np.searchsorted(self._extra, s, side="left")
            hi = np.searchsorted(self._extra, np.maximum(e_excl, s), side="left")
            count = count + (hi - lo)
        return int(count) if np.ndim(count) == 0 else count

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after `day` (n >= 1), skipping holidays and weekends."""
        current = day
        while n > 0:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                n -= 1
        return current


@lru_cache(maxsize=32)
def _cached(years: tuple[int, ...], overrides: tuple[tuple[dt.date, bool], ...]) -> WorkCalendar:
    return WorkCalendar(years, dict(overrides))


def calendar_for(years: Iterable[int], overrides: Mapping[dt.date, bool] | None = None) -> WorkCalendar:
    """A cached calendar; building one costs a few milliseconds per year."""
    return _cached(tuple(sorted(set(years))), tuple(sorted((overrides or {}).items())))


def load_overrides(con) -> dict[dt.date, bool]:
    """The user's calendar corrections stored in the database."""
    rows = con.cursor().execute("SELECT day, is_working FROM calendar_overrides").fetchall()
    return {day: bool(is_working) for day, is_working in rows}


OVERRIDE_COLUMNS = ("day", "is_working", "note")


def list_overrides(con) -> pd.DataFrame:
    """The user's calendar corrections, earliest day first: day (date), is_working, note."""
    rows = con.cursor().execute(
        "SELECT day, is_working, note FROM calendar_overrides ORDER BY day").fetchall()
    return pd.DataFrame(rows, columns=list(OVERRIDE_COLUMNS))


def save_override(con, day: dt.date, is_working: bool, note: str | None = None) -> None:
    """Force `day` to a working day (a swapped Saturday) or a day off (a late-announced holiday);
    replaces an earlier correction of the same day. Every working-day count (due-soon list,
    projection, officers' late days) reads it at once."""
    if not isinstance(day, dt.date):
        raise CchcError("Hãy chọn một ngày hợp lệ (ngày/tháng/năm) để sửa lịch làm việc.")
    con.cursor().execute("INSERT OR REPLACE INTO calendar_overrides VALUES (?, ?, ?)",
                         [day, bool(is_working), (note or "").strip() or None])


def remove_override(con, day: dt.date) -> None:
    """Drop the correction of `day`: the public calendar applies to it again."""
    con.cursor().execute("DELETE FROM calendar_overrides WHERE day = ?", [day])


def override_label_vi(day: dt.date, is_working: bool, note: str | None = None) -> str:
    """'Thứ Bảy 28/01/2023 – ngày làm việc (làm bù Tết)', for lists and choices."""
    kind = "ngày làm việc" if is_working else "ngày nghỉ"
    return f"{WEEKDAYS_VI[day.weekday()]} {day:%d/%m/%Y} – {kind}" + (f" ({note})" if note else "")


def override_kinds_vi(overrides: pd.DataFrame) -> list[str]:
    """'Ngày làm việc (làm bù)' / 'Ngày nghỉ' per row of `list_overrides`."""
    return ["Ngày làm việc (làm bù)" if working else "Ngày nghỉ" for working in overrides["is_working"]]


def override_choices(overrides: pd.DataFrame) -> dict[dt.date, str]:
    """{day: override_label_vi} of every row of `list_overrides`, for a choice list."""
    return {row.day: override_label_vi(row.day, row.is_working, row.note)
            for row in overrides.itertuples(index=False)}


WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


def calendar_covering(days: np.ndarray, *more: dt.date,
                      overrides: Mapping[dt.date, bool] | None = None) -> WorkCalendar:
    """A calendar for every year from the earliest to the latest of `days` (datetime64[D]) and
    `more`, so working-day counts between them see every holiday."""
    years = [d.year for d in more]
    if len(days):
        years += [int(str(days.min())[:4]), int(str(days.max())[:4])]
    return calendar_for(range(min(years), max(years) + 1), overrides)

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


def calendar_covering(days: np.ndarray, *more: dt.date,
                      overrides: Mapping[dt.date, bool] | None = None) -> WorkCalendar:
    """A calendar for every year from the earliest to the latest of `days` (datetime64[D]) and
    `more`, so working-day counts between them see every holiday."""
    years = [d.year for d in more]
    if len(days):
        years += [int(str(days.min())[:4]), int(str(days.max())[:4])]
    return calendar_for(range(min(years), max(years) + 1), overrides)

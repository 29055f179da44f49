"""The morning list: open dossiers about to fall due, and those already overdue.

Choices (domain.md leaves them open):
- `as_of` is a day. A dossier is open when it was received on or before that day and not finished
  by its end (the same cut as `pending` in cchc_metrics.metrics).
- Days are compared by the due day, not the due time: a dossier due on `as_of` has 0 working days
  left and is still "Sắp đến hạn" (it can be finished today); it is "Quá hạn" once its due day is
  before `as_of`.
- working_days_left = working days after `as_of` up to and including the due day; for overdue
  ones, minus the working days after the due day up to and including `as_of` (so a dossier due on
  Friday is "Quá hạn" with 0 on the Saturday and -1 on the Monday). Vietnamese calendar with the
  user's overrides (cchc_metrics.workdays).
- Dossiers without a due date cannot fall due and are left out; so are those whose file had no
  finish or return column (nobody can tell whether they are still open). `untracked` counts both
  kinds, so the page says how many dossiers the list cannot watch instead of showing "none due".
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .coverage import FIELD_BITS, missing_columns_vi
from .metrics import member_filter, period_params
from .formatting import format_number
from .workdays import calendar_covering, calendar_for, load_overrides

STATE_OVERDUE = "Quá hạn"
STATE_DUE_SOON = "Sắp đến hạn"

COLUMNS = ("dossier_id", "unit", "officer", "procedure_name", "field", "received_at", "due_at",
           "working_days_left", "state")


def due_soon(con, as_of: dt.date, days: int = 2, units: Sequence[str] | None = None,
             officers: Sequence[str] | None = None) -> pd.DataFrame:
    """Open dossiers due within `days` working days after `as_of`, and the overdue ones, most
    urgent first."""
    overrides = load_overrides(con)
    # A due day up to the day before the (days+1)-th working day is still within `days`.
    horizon = calendar_for(range(as_of.year, as_of.year + 2), overrides).add_working_days(as_of, days + 1)
    units_clause, units_params = member_filter("unit", units, "units")
    officers_clause, officers_params = member_filter("officer", officers, "officers")
    sql = f"""
        SELECT {', '.join(COLUMNS[:-2])}
        FROM dossiers
        WHERE received_at < $end_excl AND (finished_at IS NULL OR finished_at >= $end_excl)
          AND fields_carried & {FIELD_BITS["finished_at"]} <> 0
          AND due_at < $horizon{units_clause}{officers_clause}
    """
    params = {"end_excl": period_params(as_of, as_of)["end_excl"],
              "horizon": dt.datetime.combine(horizon, dt.time()), **units_params, **officers_params}
    frame = con.cursor().sql(sql, params=params).to_arrow_table().to_pandas()
    due_days = frame["due_at"].to_numpy(dtype="datetime64[D]")
    calendar = calendar_covering(due_days, as_of, horizon, overrides=overrides)
    today = np.datetime64(as_of, "D")
    one_day = np.timedelta64(1, "D")
    left = (calendar.working_days(np.full(len(frame), today + one_day), due_days)
            - calendar.working_days(due_days + one_day, np.full(len(frame), today)))
    frame["working_days_left"] = np.asarray(left, dtype="int64")
    frame["state"] = np.where(due_days < today, STATE_OVERDUE, STATE_DUE_SOON)
    frame = frame[(frame["state"] == STATE_OVERDUE) | (frame["working_days_left"] <= days)]
    return (frame.sort_values(["working_days_left", "due_at", "dossier_id"])
            .reset_index(drop=True)[list(COLUMNS)])


def count_by_state(due: pd.DataFrame) -> dict[str, int]:
    """How many dossiers of a `due_soon` list are overdue and how many are due soon:
    {STATE_OVERDUE: n, STATE_DUE_SOON: m} (both keys always present)."""
    states = due["state"]
    return {STATE_OVERDUE: int((states == STATE_OVERDUE).sum()),
            STATE_DUE_SOON: int((states == STATE_DUE_SOON).sum())}


def untracked(con, as_of: dt.date, units: Sequence[str] | None = None,
              officers: Sequence[str] | None = None) -> dict[str, int]:
    """Dossiers received by `as_of` that the list cannot watch: {"no_finish": whose file had no
    finish or return column (open or not, nobody can tell), "no_due": still open without a due
    date (blank, or the file had no due column)}."""
    units_clause, units_params = member_filter("unit", units, "units")
    officers_clause, officers_params = member_filter("officer", officers, "officers")
    finish = FIELD_BITS["finished_at"]
    no_finish, no_due = con.cursor().execute(f"""
        SELECT count(*) FILTER (fields_carried & {finish} = 0),
               count(*) FILTER (fields_carried & {finish} <> 0 AND due_at IS NULL
                                AND (finished_at IS NULL OR finished_at >= $end_excl))
        FROM dossiers WHERE received_at < $end_excl{units_clause}{officers_clause}""",
        {"end_excl": period_params(as_of, as_of)["end_excl"], **units_params, **officers_params}
    ).fetchone()
    return {"no_finish": int(no_finish), "no_due": int(no_due)}


def untracked_message_vi(counts: dict[str, int]) -> str | None:
    """What the list cannot watch, in words; None when it watches every dossier."""
    parts = []
    if counts["no_due"]:
        parts.append(f"{format_number(counts['no_due'])} hồ sơ đang giải quyết không có ngày hẹn trả "
                     "nên không biết sắp đến hạn hay quá hạn")
    if counts["no_finish"]:
        parts.append(f"{format_number(counts['no_finish'])} hồ sơ từ tệp không có cột "
                     f"{missing_columns_vi(['finished_at'])} nên không biết đã giải quyết xong chưa")
    if not parts:
        return None
    return "Danh sách không theo dõi được: " + "; ".join(parts) + ". Hãy tải tệp xuất có đủ các cột đó."

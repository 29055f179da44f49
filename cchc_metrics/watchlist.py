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
- Dossiers without a due date cannot fall due and are left out.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .metrics import member_filter, period_params
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

"""Officers' late shares: the 2024 plan rates no officer "hoàn thành tốt nhiệm vụ" or better
when 10% or more of the dossiers they resolved were late.

Resolved and late follow cchc_metrics.metrics (finished in the period; late = finished after the
due date-time). An officer is counted per unit: the same name in two units is two rows, because
each unit acts on its own staff. Officers with nothing resolved in the period are left out (a late
share of "no data" flags nobody); so are the dossiers from files without a due-date column, which
cannot say whether anything was late: `resolved` here is metrics' resolved_timed.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .metrics import LATE_CONDITION, compute_metrics, member_filter, period_params
from .workdays import calendar_covering, load_overrides

DEFAULT_THRESHOLD = 0.10


def officer_late_shares(con, start: dt.date, end: dt.date, units: Sequence[str] | None = None,
                        threshold: float = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """unit, officer, resolved, late, late_share, flagged (late_share >= threshold); worst first."""
    counts = compute_metrics(con, start, end, by=["unit", "officer"], units=units)
    timed = counts["resolved_timed"].fillna(0).to_numpy(dtype="int64")
    shares = (counts[timed > 0][["unit", "officer", "resolved_timed", "resolved_late"]]
              .rename(columns={"resolved_timed": "resolved", "resolved_late": "late"})
              .astype({"resolved": "int64", "late": "int64"}))
    shares["late_share"] = shares["late"] / shares["resolved"]
    shares["flagged"] = shares["late_share"] >= threshold
    return (shares.sort_values(["late_share", "late", "unit", "officer"],
                               ascending=[False, False, True, True])
            .reset_index(drop=True))


def flagged_officers(shares: pd.DataFrame) -> pd.DataFrame:
    """The rows of an `officer_late_shares` frame at or above the threshold, in its order."""
    return shares[shares["flagged"].astype(bool)]


def officers_with_late(shares: pd.DataFrame) -> pd.DataFrame:
    """The rows of an `officer_late_shares` frame with at least one late dossier, in its order."""
    return shares[shares["late"] > 0]


def late_dossiers(con, start: dt.date, end: dt.date, units: Sequence[str] | None = None,
                  officers: Sequence[str] | None = None) -> pd.DataFrame:
    """The late dossiers resolved in [start, end] behind the shares, with the working days each
    was late (working days after the due day up to and including the finish day), latest first."""
    units_clause, units_params = member_filter("unit", units, "units")
    officers_clause, officers_params = member_filter("officer", officers, "officers")
    sql = f"""
        SELECT dossier_id, unit, officer, procedure_name, field, received_at, due_at, finished_at
        FROM dossiers
        WHERE finished_at >= $start AND finished_at < $end_excl AND {LATE_CONDITION}
              {units_clause}{officers_clause}
        ORDER BY finished_at DESC, dossier_id
    """
    params = {**period_params(start, end), **units_params, **officers_params}
    frame = con.cursor().sql(sql, params=params).to_arrow_table().to_pandas()
    due_days = frame["due_at"].to_numpy(dtype="datetime64[D]")
    finish_days = frame["finished_at"].to_numpy(dtype="datetime64[D]")
    calendar = calendar_covering(due_days, start, end, overrides=load_overrides(con))
    frame["working_days_late"] = np.asarray(
        calendar.working_days(due_days + np.timedelta64(1, "D"), finish_days), dtype="int64")
    return frame

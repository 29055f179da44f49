"""Counts and ratios of a period, per unit, field, procedure, officer, month or channel.

Definitions follow ../shared/domain.md ("Indicators computable from dossier data"). A period
[start, end] includes both days, so a date-time t is "in the period" when start 00:00 <= t <
(end + 1 day) 00:00; "the end of `end`" below means (end + 1 day) 00:00.

- received: received_at in the period. online / bcci / fee_dossiers / paid_online: received ones
  by an online channel (online_full, online_partial) / by bcci / with has_fee / with has_fee and
  paid_online (a paid_online flag on a zero-fee dossier is ignored).
- resolved: finished_at in the period, whenever the dossier was received. Among them
  resolved_early: finished on a calendar day before the due day; resolved_late: finished_at >
  due_at (a due date without a time is stored as 23:59:59, so finishing later on the due day is on
  time); resolved_on_time: the rest. Choice: a resolved dossier with no due date counts as on time,
  because the system set no deadline it could miss. digitized / e_result: resolved ones with the
  flag (the denominator of the seed's 9,129 and 9,042 of 14,697).
- pending: received before the end of `end`, not finished by then (finished_at NULL or later).
  pending_overdue: pending and due_at before the end of `end` (a dossier due 23:59:59 on the last
  day and still open at midnight is overdue). A pending dossier with no due date is never overdue.
- Ratios are fractions (0..1); a zero denominator gives NaN ("no data"), never 0.
  on_time_rate = (early + on time) / resolved; on_time_rate_766 = (early + on time + pending not
  overdue) / (resolved + pending); online_rate, bcci_rate over received; paid_online_rate over
  fee_dossiers; digitized_rate, e_result_rate over resolved.
- Grouping by month: received-based counts go to the received month, resolved-based ones to the
  finish month, pending ones are the state at the end of each month, the last month clipped to the
  period end. Months are "YYYY-MM" strings. With month grouping every month of the period appears
  (zeros where nothing happened) for every group that has any count in the period; groups whose
  counts are all zero are left out, so a period without data gives an empty frame (without `by`:
  one row of zeros). A dossier with no unit (officer, field...) is a group of its own, key null.
- A finish date before the received date (bad data) closes the dossier from its received date.
- `units`: a list of unit names to keep; None or an empty list means every unit.

Speed: one DuckDB scan groups the dossiers by key and by the "slot" of their received / finished /
due date-times (before the period, one of its months, after it or none), counting the flags
alongside (a few thousand rows at most). numpy then places those aggregates into (group, month)
cells: pending at a month end E is "opened before E" minus "closed before E", a running sum over
months, so no month is ever scanned on its own.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import reduce

import numpy as np
import pandas as pd

from .schema import ONLINE_CHANNELS

COUNT_NAMES = (
    "received", "resolved", "resolved_early", "resolved_on_time", "resolved_late", "pending",
    "pending_overdue", "online", "bcci", "fee_dossiers", "paid_online", "digitized", "e_result",
)
RATIO_NAMES = (
    "on_time_rate", "on_time_rate_766", "online_rate", "bcci_rate", "paid_online_rate",
    "digitized_rate", "e_result_rate",
)

GROUP_COLUMNS = {
    "unit": "unit",
    "field": "field",
    "procedure": "procedure_name",
    "officer": "officer",
    "channel": "channel",
    "month": None,  # derived from the date that puts the dossier in each count
}

EARLY_CONDITION = "finished_at < due_at::DATE"  # before midnight starting the due day
LATE_CONDITION = "finished_at > due_at"


def member_filter(column: str, values: Sequence[str] | None, name: str) -> tuple[str, dict]:
    """An ` AND column IN (...)` clause and its bind value; nothing when no values are given
    (an empty selection means "all")."""
    if not values:
        return "", {}
    return f" AND {column} IN (SELECT unnest(${name}::VARCHAR[]))", {name: list(values)}


def period_params(start: dt.date, end: dt.date) -> dict:
    """[start 00:00, end + 1 day 00:00): the bounds every period query compares date-times with."""
    return {"start": dt.datetime.combine(start, dt.time()),
            "end_excl": dt.datetime.combine(end + dt.timedelta(days=1), dt.time())}


def _as_list(by: str | Sequence[str] | None) -> list[str]:
    names = [by] if isinstance(by, str) else list(by or [])
    unknown = [n for n in names if n not in GROUP_COLUMNS]
    if unknown:
        raise ValueError(f"unknown grouping {unknown}; expected some of {list(GROUP_COLUMNS)}")
    return names


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _scan_sql(keys: list[str], first_month: int, n_months: int, units_clause: str) -> str:
    """The one scan: dossiers grouped by key and by the slot of their received / finished / due
    date-times (0 = before the period, 1..n_months = month of the period, n_months + 1 = after the
    period or none), counting the flags alongside."""
    after = n_months + 1

    def slot(ts: str) -> str:
        in_period = f"year({ts}) * 12 + month({ts}) - {first_month}" if n_months > 1 else "1"
        return (f"(CASE WHEN {ts} < $start THEN 0 WHEN {ts} < $end_excl THEN {in_period} "
                f"ELSE {after} END)::SMALLINT")  # NULL falls through to "after"

    def count_where(condition: str) -> str:
        # measured ~12% cheaper over the whole scan than count(*) FILTER (...)
        return f"count_if(coalesce({condition}, false))"

    online = ", ".join(f"'{c}'" for c in ONLINE_CHANNELS)
    key_select = "".join(f'"{GROUP_COLUMNS[k]}" AS "{k}", ' for k in keys)
    return f"""
        SELECT {key_select}
            {slot('received_at')} AS received_slot,
            {slot('finished_at')} AS finished_slot,
            {slot('due_at')} AS due_slot,
            count(*) AS dossiers,
            {count_where(f'channel IN ({online})')} AS online,
            {count_where("channel = 'bcci'")} AS bcci,
            {count_where('has_fee')} AS fee_dossiers,
            {count_where('has_fee AND paid_online')} AS paid_online,
            {count_where(EARLY_CONDITION)} AS resolved_early,
            {count_where(LATE_CONDITION)} AS resolved_late,
            {count_where('digitized')} AS digitized,
            {count_where('e_result')} AS e_result
        FROM dossiers
        WHERE (finished_at IS NULL OR finished_at >= $start){units_clause}  -- finished before: counts nowhere
        GROUP BY ALL
    """


def _place_in_months(scan: pd.DataFrame, keys: list[str], first_month: int, n_months: int) -> pd.DataFrame:
    """Sum the scan's aggregates into one row per (group, month) and run the pending sums."""
    if keys:
        group = scan.groupby(keys, dropna=False, sort=True).ngroup().to_numpy()
        key_rows = scan[keys].assign(_group=group).drop_duplicates("_group").sort_values("_group")
    else:
        group = np.zeros(len(scan), dtype=np.int64)
        key_rows = pd.DataFrame(index=[0])
    n_groups = len(key_rows)
    col = {name: i for i, name in enumerate(COUNT_NAMES)}
    cells = np.zeros((n_groups, n_months, len(COUNT_NAMES)), dtype=np.int64)
    received, finished, due = (scan[f"{n}_slot"].to_numpy() for n in ("received", "finished", "due"))

    def by_end(slots: np.ndarray) -> np.ndarray:
        return slots <= n_months

    def month_of(*slots: np.ndarray) -> np.ndarray:
        # an event before the period lands in its first month, so the running sums start right
        return reduce(np.maximum, slots, 1) - 1

    # (dossiers it applies to, month it lands in, count -> scan column, sign)
    events = [
        ((received >= 1) & by_end(received), month_of(received),
         {"received": "dossiers", "online": "online", "bcci": "bcci", "fee_dossiers": "fee_dossiers",
          "paid_online": "paid_online"}, 1),
        ((finished >= 1) & by_end(finished), month_of(finished),
         {"resolved": "dossiers", "resolved_early": "resolved_early", "resolved_late": "resolved_late",
          "digitized": "digitized", "e_result": "e_result"}, 1),
        (by_end(received), month_of(received), {"pending": "dossiers"}, 1),
        (by_end(received) & by_end(finished), month_of(received, finished), {"pending": "dossiers"}, -1),
        (by_end(received) & by_end(due), month_of(received, due), {"pending_overdue": "dossiers"}, 1),
        (by_end(received) & by_end(due) & by_end(finished), month_of(received, due, finished),
         {"pending_overdue": "dossiers"}, -1),
    ]
    for applies, month, targets, sign in events:
        for target, source in targets.items():
            np.add.at(cells[:, :, col[target]], (group[applies], month[applies]),
                      sign * scan[source].to_numpy()[applies])
    for running in ("pending", "pending_overdue"):
        cells[:, :, col[running]] = cells[:, :, col[running]].cumsum(axis=1)

    counts = pd.DataFrame(cells.reshape(-1, len(COUNT_NAMES)), columns=list(COUNT_NAMES))
    counts["resolved_on_time"] = counts["resolved"] - counts["resolved_early"] - counts["resolved_late"]
    counts.insert(0, "month", [f"{m // 12:04d}-{m % 12 + 1:02d}"
                               for m in range(first_month, first_month + n_months)] * n_groups)
    for position, key in enumerate(keys):
        counts.insert(position, key, np.repeat(key_rows[key].to_numpy(), n_months))
    if keys:  # leave out groups with nothing in the period
        activity = (counts["received"] + counts["resolved"] + counts["pending"]).to_numpy()
        active = activity.reshape(n_groups, n_months).any(axis=1)
        counts = counts[np.repeat(active, n_months)]
    return counts


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return numerator / denominator.where(denominator > 0)


def add_ratios(counts: pd.DataFrame) -> pd.DataFrame:
    """Append every ratio of RATIO_NAMES to a frame holding the counts (NaN for no data)."""
    c = counts
    on_time = c["resolved_early"] + c["resolved_on_time"]
    return c.assign(
        on_time_rate=_ratio(on_time, c["resolved"]),
        on_time_rate_766=_ratio(on_time + c["pending"] - c["pending_overdue"], c["resolved"] + c["pending"]),
        online_rate=_ratio(c["online"], c["received"]),
        bcci_rate=_ratio(c["bcci"], c["received"]),
        paid_online_rate=_ratio(c["paid_online"], c["fee_dossiers"]),
        digitized_rate=_ratio(c["digitized"], c["resolved"]),
        e_result_rate=_ratio(c["e_result"], c["resolved"]),
    )


def compute_metrics(con, start: dt.date, end: dt.date, by: str | Sequence[str] | None = None,
                    units: Sequence[str] | None = None) -> pd.DataFrame:
    """Every count and ratio of [start, end], one row per group of `by` (a name or a list of names
    from GROUP_COLUMNS, e.g. ["unit", "month"]); without `by`, one row of totals."""
    keys = _as_list(by)
    by_month = "month" in keys
    plain_keys = [k for k in keys if k != "month"]
    first_month = _month_index(start)
    n_months = _month_index(end) - first_month + 1 if by_month else 1
    units_clause, units_params = member_filter("unit", units, "units")
    scan = con.cursor().sql(_scan_sql(plain_keys, first_month, n_months, units_clause),
                            params={**period_params(start, end), **units_params}).to_arrow_table().to_pandas()
    counts = _place_in_months(scan, plain_keys, first_month, n_months)
    return add_ratios(counts[[*keys, *COUNT_NAMES]]).reset_index(drop=True)


def data_freshness(con) -> dict:
    """How recent the data is: last active upload, latest date in the dossiers, whether it is
    only the bundled sample (the dashboard warns then)."""
    cur = con.cursor()
    last_upload_at, active, sample = cur.execute(
        "SELECT max(uploaded_at), count(*), count(*) FILTER (is_sample) "
        "FROM uploads WHERE undone_at IS NULL").fetchone()
    latest, count = cur.execute(
        "SELECT greatest(max(received_at), max(finished_at)), count(*) FROM dossiers").fetchone()
    return {
        "last_upload_at": last_upload_at,
        "latest_dossier_at": latest,
        "dossier_count": int(count),
        "is_sample": active > 0 and sample == active,
    }


def list_units(con) -> list[str]:
    """Every unit named in the data, sorted."""
    rows = con.cursor().execute(
        "SELECT DISTINCT unit FROM dossiers WHERE unit IS NOT NULL ORDER BY unit").fetchall()
    return [r[0] for r in rows]


def list_officers(con, units: Sequence[str] | None = None) -> list[str]:
    """Every officer named in the data (of the given units), sorted."""
    units_clause, params = member_filter("unit", units, "units")
    rows = con.cursor().execute(
        f"SELECT DISTINCT officer FROM dossiers WHERE officer IS NOT NULL{units_clause} ORDER BY officer",
        params).fetchall()
    return [r[0] for r in rows]

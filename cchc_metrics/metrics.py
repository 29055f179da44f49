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
  counts are all zero are left out.
- `units`: a list of unit names to keep; None or an empty list means every unit.

The counts are one DuckDB query; pending at each month end comes from running sums of "opened" and
"closed" events (pending at E = opened before E - closed before E), never a scan per month.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

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
UNITS_CONDITION = "($units IS NULL OR unit IN (SELECT unnest($units::VARCHAR[])))"


def _as_list(by: str | Sequence[str] | None) -> list[str]:
    names = [by] if isinstance(by, str) else list(by or [])
    unknown = [n for n in names if n not in GROUP_COLUMNS]
    if unknown:
        raise ValueError(f"unknown grouping {unknown}; expected some of {list(GROUP_COLUMNS)}")
    return names


def query_params(start: dt.date, end: dt.date, units: Sequence[str] | None) -> dict:
    """Bind values shared by every period query: [start 00:00, end + 1 day 00:00) and the units."""
    period_start = dt.datetime.combine(start, dt.time())
    return {
        "start": period_start,
        "end_excl": dt.datetime.combine(end + dt.timedelta(days=1), dt.time()),
        "units": list(units) if units else None,
    }


def _counts_sql(keys: list[str], by_month: bool) -> str:
    """The counts per group (and month) in one scan of `dossiers`.

    The scan groups the dossiers by their key, the months of their received / finished / due
    dates and whether each date falls before the period start or end (cheap comparisons that only
    split the first and last month), counting the flags alongside. The second stage turns this
    small table into events per month: received and resolved counts, +1 / -1 pending when a
    dossier opens / closes, +1 / -1 overdue when an open dossier passes its due date / closes;
    running sums of those give pending and pending_overdue at each month end.
    Months are integers (year * 12 + month - 1): computing them is the costliest part of the scan.
    """
    key_select = "".join(f'"{GROUP_COLUMNS[k]}" AS "{k}", ' for k in keys)
    key_list = "".join(f'"{k}", ' for k in keys)

    def month(ts: str) -> str:
        return f"(year({ts}) * 12 + month({ts}) - 1)::SMALLINT" if by_month else "$first_month"

    def at_or_after_first(*months: str) -> str:
        # events before the period belong to its first month, so the running sums start right
        return f"greatest({', '.join(months)}, $first_month)"

    online = ", ".join(f"'{c}'" for c in ONLINE_CHANNELS)
    opened = "received_before_end"
    # (month of the event, condition for it to have happened by the period end, what it counts)
    events = [
        ("received_month", "received_from_start AND received_before_end",
         "sum(dossiers) AS received, sum(online) AS online, sum(bcci) AS bcci, "
         "sum(fee_dossiers) AS fee_dossiers, sum(paid_online) AS paid_online"),
        ("finished_month", "finished_from_start AND finished_before_end",
         "sum(dossiers) AS resolved, sum(resolved_early) AS resolved_early, "
         "sum(resolved_late) AS resolved_late, sum(digitized) AS digitized, sum(e_result) AS e_result"),
        (at_or_after_first("received_month"), opened, "sum(dossiers) AS pending_change"),
        (at_or_after_first("received_month", "finished_month"), f"{opened} AND finished_before_end",
         "-sum(dossiers) AS pending_change"),
        (at_or_after_first("received_month", "due_month"), f"{opened} AND due_before_end",
         "sum(dossiers) AS overdue_change"),
        (at_or_after_first("received_month", "due_month", "finished_month"),
         f"{opened} AND due_before_end AND finished_before_end", "-sum(dossiers) AS overdue_change"),
    ]
    event_sql = "\n        UNION ALL BY NAME\n        ".join(
        f"SELECT {key_list}{month_of} AS month, {sums} FROM grouped WHERE {condition} GROUP BY ALL"
        for month_of, condition, sums in events)
    months = "SELECT range::SMALLINT AS month FROM range($first_month, $last_month + 1)"
    spine = f"SELECT DISTINCT {key_list}months.month FROM parts CROSS JOIN ({months}) AS months" if keys else months
    partition = f"PARTITION BY {key_list.rstrip(', ')}" if keys else ""
    keep_active = f"QUALIFY max(received + resolved + pending) OVER ({partition}) > 0" if keys else ""
    count_columns = ("received", "online", "bcci", "fee_dossiers", "paid_online", "resolved",
                     "resolved_early", "resolved_late", "digitized", "e_result")
    sums = ",\n            ".join(f"coalesce(sum({c}), 0)::BIGINT AS {c}" for c in count_columns)
    return f"""
    WITH grouped AS MATERIALIZED (
        SELECT {key_select}
            {month('received_at')} AS received_month,
            {month('finished_at')} AS finished_month,
            {month('due_at')} AS due_month,
            received_at >= $start AS received_from_start,
            received_at < $end_excl AS received_before_end,
            finished_at >= $start AS finished_from_start,
            finished_at < $end_excl AS finished_before_end,
            due_at < $end_excl AS due_before_end,
            count(*) AS dossiers,
            count_if(channel IN ({online})) AS online,
            count_if(channel = 'bcci') AS bcci,
            count_if(has_fee) AS fee_dossiers,
            count_if(has_fee AND paid_online) AS paid_online,
            count_if({EARLY_CONDITION}) AS resolved_early,
            count_if({LATE_CONDITION}) AS resolved_late,
            count_if(digitized) AS digitized,
            count_if(e_result) AS e_result
        FROM dossiers
        -- dossiers finished before the period count nowhere
        WHERE (finished_at IS NULL OR finished_at >= $start)
          AND (received_at < $end_excl OR finished_at < $end_excl) AND {UNITS_CONDITION}
        GROUP BY ALL
    ),
    parts AS (
        {event_sql}
    ),
    per_month AS (
        SELECT {key_list}month,
            {sums},
            coalesce(sum(pending_change), 0) AS pending_change,
            coalesce(sum(overdue_change), 0) AS overdue_change
        FROM (SELECT * FROM parts UNION ALL BY NAME {spine}) AS filled
        GROUP BY ALL
    ),
    running AS (
        SELECT * EXCLUDE (pending_change, overdue_change),
               (sum(pending_change) OVER w)::BIGINT AS pending,
               (sum(overdue_change) OVER w)::BIGINT AS pending_overdue
        FROM per_month
        WINDOW w AS ({partition} ORDER BY month)
    )
    SELECT {key_list}printf('%04d-%02d', month // 12, month % 12 + 1) AS month,
           received, resolved, resolved_early,
           resolved - resolved_early - resolved_late AS resolved_on_time,
           resolved_late, pending, pending_overdue, online, bcci, fee_dossiers, paid_online,
           digitized, e_result
    FROM running
    {keep_active}
    ORDER BY {key_list}running.month
    """


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
    first_month = start.year * 12 + start.month - 1 if by_month else 0
    last_month = end.year * 12 + end.month - 1 if by_month else 0
    params = {**query_params(start, end, units), "first_month": first_month, "last_month": last_month}
    sql = _counts_sql(plain_keys, by_month)
    params = {k: v for k, v in params.items() if f"${k}" in sql}
    counts = con.cursor().sql(sql, params=params).to_arrow_table().to_pandas()
    if not by_month:
        counts = counts.drop(columns="month")
    columns = [*keys, *COUNT_NAMES]
    return add_ratios(counts[columns]).reset_index(drop=True)


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
    rows = con.cursor().execute(
        f"SELECT DISTINCT officer FROM dossiers WHERE officer IS NOT NULL AND {UNITS_CONDITION} "
        "ORDER BY officer", {"units": list(units) if units else None}).fetchall()
    return [r[0] for r in rows]

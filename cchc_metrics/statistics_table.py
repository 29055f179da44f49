"""The periodic statistics table of TTHC resolution ("Biểu 06a"-style), per field or per unit.

The form is "Biểu số 06/VPCP/KSTT: Tình hình, kết quả giải quyết TTHC tại cơ quan, đơn vị trực
tiếp giải quyết TTHC", issued with Thông tư 01/2020/TT-VPCP (21/10/2020); one-stop systems print it
as "Biểu 06a" for a department. Its column headings (HEADINGS below) are copied from the form as a
public one-stop system reproduces it (a React report template "ThongKe06" found in the code corpus,
headed "Biểu số 06 /VPCP/KSTT — Ban hành theo Thông tư số 01/2020/TT-VPCP ngày 21/10/2020"):
STT | Lĩnh vực, công việc giải quyết theo cấp | Số hồ sơ nhận giải quyết (Tổng số; Trong đó: Trực
tuyến, Trực tiếp, dịch vụ bưu chính; Từ kỳ trước) | Số hồ sơ đã giải quyết (Tổng số, Trước hạn,
Đúng hạn, Quá hạn) | Số lượng hồ sơ đang giải quyết (Tổng số, Trong hạn, Quá hạn).

Report periods run from the 15th of the month before the period to the 14th of its last month:
the data cut-off of Nghị định 09/2019/NĐ-CP (art. 12), used by Thông tư 01/2020/TT-VPCP.

Every count comes from metrics.compute_metrics over [start, end] (same definitions, same "no data
is not zero" rules): carried over = received before `start`, not finished before it; received
online / direct or postal among the received whose file had a channel column (a blank channel
cell there counts as direct: the form has only these two kinds of new dossier); total to handle =
carried over + received; resolved early / on time / late; pending within time = pending whose file
had a due column and not overdue. A count that needs a column no file carried is null, and so is
the totals row's count when any row's is (the form is added up by hand: a partial sum misleads).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from .errors import CchcError
from .metrics import compute_metrics, sum_counts
from .periods import check_period

CUTOFF_DAY = 15  # a report period starts on the 15th of the month before and ends on the 14th

PERIOD_KINDS = {"month": 1, "quarter": 3, "half": 6, "year": 12}  # months per period
PERIOD_KIND_LABELS_VI = {"month": "Tháng", "quarter": "Quý", "half": "6 tháng", "year": "Năm"}
BY_LABELS_VI = {"field": "Lĩnh vực", "unit": "Đơn vị"}
UNKNOWN_KEY_VI = {"field": "(chưa rõ lĩnh vực)", "unit": "(chưa rõ đơn vị)"}
TOTAL_LABEL_VI = "Tổng cộng"

# (column, group heading, heading): the form's columns in its order.
HEADINGS: tuple[tuple[str, str, str], ...] = (
    ("total", "Số hồ sơ nhận giải quyết", "Tổng số"),
    ("online", "Số hồ sơ nhận giải quyết", "Mới tiếp nhận trực tuyến"),
    ("direct_or_postal", "Số hồ sơ nhận giải quyết", "Mới tiếp nhận trực tiếp, dịch vụ bưu chính"),
    ("carried_over", "Số hồ sơ nhận giải quyết", "Từ kỳ trước chuyển qua"),
    ("resolved", "Số hồ sơ đã giải quyết", "Tổng số"),
    ("resolved_early", "Số hồ sơ đã giải quyết", "Trước hạn"),
    ("resolved_on_time", "Số hồ sơ đã giải quyết", "Đúng hạn"),
    ("resolved_late", "Số hồ sơ đã giải quyết", "Quá hạn"),
    ("pending", "Số hồ sơ đang giải quyết", "Tổng số"),
    ("pending_within_time", "Số hồ sơ đang giải quyết", "Trong hạn"),
    ("pending_overdue", "Số hồ sơ đang giải quyết", "Quá hạn"),
)
COUNT_COLUMNS = tuple(name for name, _, _ in HEADINGS) + ("received",)
_SHORT_GROUPS = {"Số hồ sơ nhận giải quyết": "Nhận giải quyết", "Số hồ sơ đã giải quyết": "Đã giải quyết",
                 "Số hồ sơ đang giải quyết": "Đang giải quyết"}
# One-line labels for a screen table: "Đã giải quyết: Trước hạn".
COLUMN_LABELS_VI = {name: f"{_SHORT_GROUPS[group]}: {heading}" for name, group, heading in HEADINGS}


@dataclass(frozen=True)
class ReportPeriod:
    kind: str        # a key of PERIOD_KINDS, or "custom"
    number: int      # month 1..12, quarter 1..4, half 1..2, 1 for a year; 0 for custom dates
    year: int
    start: dt.date
    end: dt.date

    @property
    def label_vi(self) -> str:
        """"Quý I năm 2026 (15/12/2025 – 14/03/2026)"."""
        dates = f"{self.start:%d/%m/%Y} – {self.end:%d/%m/%Y}"
        if self.kind == "custom":
            return f"Từ ngày {self.start:%d/%m/%Y} đến ngày {self.end:%d/%m/%Y}"
        if self.kind == "month":
            name = f"Tháng {self.number:02d} năm"
        elif self.kind == "quarter":
            name = f"Quý {_ROMAN[self.number]} năm"
        elif self.kind == "half":
            name = f"6 tháng {'đầu' if self.number == 1 else 'cuối'} năm"
        else:
            name = "Năm"
        return f"{name} {self.year} ({dates})"


_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def _cutoff_start(year: int, month: int) -> dt.date:
    """The 15th of the month before `month` of `year` (month may be 1: December of year - 1)."""
    return dt.date(year - 1, 12, CUTOFF_DAY) if month == 1 else dt.date(year, month - 1, CUTOFF_DAY)


def report_period(kind: str, year: int, number: int = 1) -> ReportPeriod:
    """Period `number` of `kind` in `year`: quarter 1 of 2026 is 15/12/2025 – 14/03/2026."""
    if kind not in PERIOD_KINDS:
        raise CchcError(f"Loại kỳ báo cáo «{kind}» không có. Hãy chọn: tháng, quý, 6 tháng hoặc năm.")
    months = PERIOD_KINDS[kind]
    count = 12 // months
    if not 1 <= number <= count:
        raise CchcError(f"{PERIOD_KIND_LABELS_VI[kind]} {number} không có: chỉ từ 1 đến {count}.")
    last_month = number * months
    start = _cutoff_start(year, last_month - months + 1)
    end = dt.date(year, last_month, CUTOFF_DAY - 1)
    return ReportPeriod(kind, number, year, start, end)


def custom_period(start: dt.date, end: dt.date) -> ReportPeriod:
    check_period(start, end)
    return ReportPeriod("custom", 0, end.year, start, end)


def last_full_period(kind: str, as_of: dt.date) -> ReportPeriod:
    """The latest period of `kind` that ended before `as_of` (a period ending on `as_of` itself may
    still get that day's dossiers, so it is not full yet)."""
    months = PERIOD_KINDS[kind]
    year = as_of.year + (1 if (as_of.month, as_of.day) > (12, CUTOFF_DAY - 1) else 0)
    for _ in range(3):
        for number in range(12 // months, 0, -1):
            period = report_period(kind, year, number)
            if period.end < as_of:
                return period
        year -= 1
    raise AssertionError("unreachable: a period ends within two years before any date")


def periods_of_year(kind: str, year: int) -> list[ReportPeriod]:
    return [report_period(kind, year, n) for n in range(1, 12 // PERIOD_KINDS[kind] + 1)]


def default_period_index(periods: Sequence[ReportPeriod], as_of: dt.date) -> int:
    """The period a page offers first: the last one that ended before `as_of`, else the first."""
    ended = [i for i, p in enumerate(periods) if p.end < as_of]
    return ended[-1] if ended else 0


def _with_form_columns(counts: pd.DataFrame) -> pd.DataFrame:
    """The form's derived columns from metrics counts (nullable Int64: NA stays NA)."""
    return counts.assign(
        direct_or_postal=counts["received_with_channel"] - counts["online"],
        total=counts["carried_over"] + counts["received"],
        pending_within_time=counts["pending_timed"] - counts["pending_overdue"],
    )


def statistics_table(con, start: dt.date, end: dt.date, by: str = "field",
                     units: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per field (or unit) with the form's counts, sorted by name, then a totals row.
    Columns: `key` (the name; TOTAL_LABEL_VI on the last row), `is_total`, then COUNT_COLUMNS."""
    if by not in BY_LABELS_VI:
        raise ValueError(f"by must be one of {list(BY_LABELS_VI)}")
    counts = compute_metrics(con, start, end, by=by, units=units)
    total = sum_counts(counts)
    rows = _with_form_columns(counts).rename(columns={by: "key"})
    rows["key"] = rows["key"].fillna(UNKNOWN_KEY_VI[by])
    rows = rows.sort_values("key", kind="stable").assign(is_total=False)
    total = _with_form_columns(total).assign(key=TOTAL_LABEL_VI, is_total=True)
    for column in COUNT_COLUMNS:  # a sum over a row that cannot be counted cannot be counted either
        if rows[column].isna().any():
            total[column] = pd.NA
    table = pd.concat([rows, total], ignore_index=True)
    return table[["key", "is_total", *COUNT_COLUMNS]]


def statistics_file_name(period: ReportPeriod) -> str:
    """ASCII name for a download: "bieu-06a_15-12-2025_14-03-2026.xlsx"."""
    return f"bieu-06a_{period.start:%d-%m-%Y}_{period.end:%d-%m-%Y}.xlsx"


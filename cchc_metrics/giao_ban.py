"""Everything the giao ban report holds, gathered once for the workbook, the PDF and the CLI.

The statistics period defaults to the last full quarter (15th to 14th) before the date of the data.
The gap chart is a Plotly figure exported as PNG by kaleido, which drives a headless Chromium
(Debian's `chromium`; BROWSER_PATH points kaleido at it when it is not found by itself). A machine
without Chromium still gets the report: the chart is then b"" and both files say it is missing.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import shutil
from dataclasses import dataclass

import pandas as pd

from . import charts, metrics, scoring, watchlist, wording
from .statistics_table import ReportPeriod, last_full_period, statistics_table

LOG = logging.getLogger(__name__)
DEFAULT_PERIOD_KIND = "quarter"
CHART_TITLE = "Chênh lệch so với chỉ tiêu (điểm phần trăm)"
# Drawn at the printed width (96 px per inch, A4 landscape) so that its 14 px text prints at 10.5 pt;
# rendered twice as fine for a sharp print.
CHART_WIDTH_PX = 1000
CHART_SCALE = 2


@dataclass(frozen=True)
class Statistics:
    period: ReportPeriod
    by_field: pd.DataFrame
    by_unit: pd.DataFrame


@dataclass(frozen=True)
class GiaoBan:
    report: scoring.ScoreReport
    unit_scores: pd.DataFrame
    due_soon: pd.DataFrame
    statistics: Statistics
    chart_png: bytes
    data_as_of: dt.datetime
    generated_at: dt.datetime
    department_name: str


def gap_chart(unit_scores: pd.DataFrame):
    """The unit × criterion gap heatmap, worded for print (percentage points, not "điểm %")."""
    fig = charts.gap_heatmap(unit_scores, title=CHART_TITLE)
    fig.update_traces(colorbar_title_text="điểm phần trăm", textfont_size=14, selector=dict(type="heatmap"))
    fig.update_layout(margin=dict(r=120))  # room for the colour bar's title
    return fig


def chart_png(fig) -> bytes:
    """The figure as PNG, b"" when no browser can draw it here (logged, never raised)."""
    if "BROWSER_PATH" not in os.environ and shutil.which("chromium"):
        os.environ["BROWSER_PATH"] = shutil.which("chromium")
    height = int(fig.layout.height or 500)
    try:
        return fig.to_image(format="png", width=CHART_WIDTH_PX, height=max(height, 300), scale=CHART_SCALE)
    except Exception:  # kaleido raises its own errors (no Chrome, choreographer timeouts)
        LOG.exception("The gap chart could not be exported as PNG")
        return b""


def statistics(con, period: ReportPeriod, units=None) -> Statistics:
    return Statistics(period, statistics_table(con, period.start, period.end, "field", units),
                      statistics_table(con, period.start, period.end, "unit", units))


def gather(con, framework_key: str, year: int, *, as_of: dt.date | None = None,
           period: ReportPeriod | None = None, units=None, department_name: str = "Sở Tư pháp",
           with_chart: bool = True) -> GiaoBan:
    """Scores, per-unit results, the due-soon list as of `as_of` (default: the date of the latest
    dossier), the statistics table of `period` (default: the last full quarter before `as_of`)."""
    latest = metrics.data_freshness(con)["latest_dossier_at"]
    if as_of is None:
        as_of = (latest.date() if isinstance(latest, dt.datetime) else latest) or dt.date.today()
    report = scoring.score_year(con, framework_key, year, as_of=as_of, units=units)
    report = dataclasses.replace(report, rows=wording.with_wording(
        report.rows, wording.criterion_nouns(con, framework_key, year)))
    unit_scores = scoring.score_by_unit(con, framework_key, year, units=units)
    period = period or last_full_period(DEFAULT_PERIOD_KIND, as_of)
    return GiaoBan(
        report=report, unit_scores=unit_scores, due_soon=watchlist.due_soon(con, as_of, units=units),
        statistics=statistics(con, period, units),
        chart_png=chart_png(gap_chart(unit_scores)) if with_chart else b"",
        data_as_of=latest or dt.datetime.combine(as_of, dt.time()), generated_at=dt.datetime.now(),
        department_name=department_name)


def workbook(content: GiaoBan) -> bytes:
    from .export import build_giao_ban_workbook

    return build_giao_ban_workbook(content.report, content.unit_scores, content.due_soon,
                                   data_as_of=content.data_as_of, generated_at=content.generated_at,
                                   department_name=content.department_name, statistics=content.statistics,
                                   chart_png=content.chart_png)


def pdf(content: GiaoBan) -> bytes:
    from .report_pdf import build_giao_ban_pdf

    return build_giao_ban_pdf(content)


def files(con, framework_key: str, year: int, units, as_of: dt.date) -> tuple[bytes, bytes]:
    """The workbook and the PDF of one report (gathered once), for the export page."""
    content = gather(con, framework_key, year, as_of=as_of, units=units)
    return workbook(content), pdf(content)


def file_names(year: int, data_as_of: dt.date) -> tuple[str, str]:
    from .export import giao_ban_file_name

    return giao_ban_file_name(year, data_as_of), giao_ban_file_name(year, data_as_of, "pdf")


def statistics_workbook(con, period: ReportPeriod, units=None) -> bytes:
    """The statistics table of `period` as its own workbook (the statistics page's download)."""
    from .export import build_statistics_workbook

    latest = metrics.data_freshness(con)["latest_dossier_at"]
    return build_statistics_workbook(statistics(con, period, units),
                                     data_as_of=latest or dt.datetime.combine(period.end, dt.time()))

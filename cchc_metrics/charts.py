"""Every chart of the app as a pure function returning a `plotly.graph_objects.Figure`.

One template (`CCHC_TEMPLATE`) gives all figures Vietnamese separators (`,` decimal, `.`
thousands), readable fonts and the same three colours for "đạt chỉ tiêu" (met), "gần đạt"
(close) and "chưa đạt" (missed), so a colour means the same thing on every page. Ratios come in
as 0..1 and are drawn as percents; dates on axes read mm/yyyy, in hover dd/mm/yyyy.
"""
from __future__ import annotations

import datetime as dt
from html import escape

import pandas as pd
import plotly.graph_objects as go

from .formatting import (PERCENTAGE_POINTS, format_fraction, format_gap_pp, format_number, format_percent,
                         is_missing, plotly_text)

MET_COLOUR = "#2e7d32"
CLOSE_COLOUR = "#f0a202"
MISSED_COLOUR = "#c62828"
NEUTRAL_COLOUR = "#1f5fa8"
TARGET_COLOUR = "#212121"
TRACK_COLOUR = "#e8ecf1"

STATUS_LABELS = {"met": "Đạt chỉ tiêu", "close": "Gần đạt", "missed": "Chưa đạt", "none": "Chưa có dữ liệu"}
STATUS_COLOURS = {"met": MET_COLOUR, "close": CLOSE_COLOUR, "missed": MISSED_COLOUR, "none": "#9e9e9e"}

# Within this many percentage points below target an indicator counts as "close".
CLOSE_WITHIN_PP = 5.0

CCHC_TEMPLATE = go.layout.Template(
    layout=go.Layout(
        separators=",.",
        font=dict(family="Segoe UI, Roboto, Noto Sans, Arial, sans-serif", size=14, color="#212121"),
        title=dict(font=dict(size=17), x=0, xanchor="left"),
        colorway=[NEUTRAL_COLOUR, "#7b8fa6", "#00897b", "#8e5ea2", "#d9822b", "#5b6770"],
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin=dict(l=10, r=20, t=70, b=10),
        hoverlabel=dict(font=dict(size=14)),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
        xaxis=dict(gridcolor="#e0e0e0", zerolinecolor="#bdbdbd", automargin=True),
        yaxis=dict(gridcolor="#e0e0e0", zerolinecolor="#bdbdbd", automargin=True),
    )
)


def status_for_gap(gap_pp: float | None) -> str:
    """'met' at or above target, 'close' within CLOSE_WITHIN_PP below it, else 'missed'."""
    if is_missing(gap_pp):
        return "none"
    if gap_pp >= 0:
        return "met"
    return "close" if gap_pp >= -CLOSE_WITHIN_PP else "missed"


def status_for(ratio: float | None, target: float | None) -> str:
    """Status of a ratio against its target, the one rule for cards, charts and workbook fills."""
    return status_for_gap(_gap_pp(ratio, target))


def _gap_pp(ratio: float | None, target: float | None) -> float | None:
    """Signed gap in percentage points, rounded so that a gap of exactly 5 points is not lost to
    float noise (0.95 - 1.0 = -0.05000...04)."""
    if is_missing(ratio) or is_missing(target):
        return None
    return round((float(ratio) - float(target)) * 100, 9)


def _percent(value: float | None) -> float | None:
    return None if is_missing(value) else float(value) * 100


def _new_figure(title: str, height: int) -> go.Figure:
    return go.Figure(layout=dict(template=CCHC_TEMPLATE, separators=",.", title=dict(text=title),
                                 height=height))


def _empty(title: str, message: str = "Chưa có dữ liệu để vẽ biểu đồ") -> go.Figure:
    fig = _new_figure(title, 260)
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font=dict(size=16, color="#616161"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def bullet_chart_html(rows: pd.DataFrame, title: str = "Kết quả so với chỉ tiêu") -> str:
    """Actual vs target per indicator as plain HTML: a 0–100% track, a bar coloured by status, a
    black tick at the target, the value at the right.

    Plain HTML rather than Plotly because it sits on the first page everyone opens: it draws at
    once (Plotly's script costs the browser about a second on a first visit) and long Vietnamese
    names wrap instead of being cut. `rows` has `name`, `ratio` and `target` (0..1), optionally
    `no_data_reason_vi`; a row without a ratio gets no bar (an empty bar would read as 0%) but
    "Chưa có dữ liệu — <reason>" across its track.
    """
    heading = f'<div style="font-weight:600;font-size:1.05rem;margin:0.5rem 0">{escape(title)}</div>'
    if rows.empty:
        return f'{heading}<div style="color:#616161">Chưa có dữ liệu để vẽ biểu đồ</div>'
    reasons = rows["no_data_reason_vi"] if "no_data_reason_vi" in rows else [None] * len(rows)
    lines = []
    for name, ratio, target, reason in zip(rows["name"], rows["ratio"], rows["target"], reasons):
        if is_missing(ratio):
            text = "Chưa có dữ liệu" + ("" if is_missing(reason) else f" — {reason}")
            lines.append(
                '<div style="display:grid;grid-template-columns:minmax(12rem,38%) 1fr 5rem;'
                'gap:0.75rem;align-items:center;margin:0.35rem 0">'
                f'<div style="font-size:0.9rem;line-height:1.25">{escape(str(name))}</div>'
                f'<div style="border:1px dashed {STATUS_COLOURS["none"]};border-radius:3px;padding:0.2rem 0.5rem;'
                f'font-size:0.85rem;color:#616161">{escape(text)}</div>'
                '<div style="color:#616161">–</div></div>')
            continue
        status = status_for(ratio, target)
        tick = "" if is_missing(target) else (
            f'<div title="Chỉ tiêu {format_percent(target)}" style="position:absolute;top:0;bottom:0;'
            f'left:calc({_bar_width(target)}% - 2px);width:4px;background:{TARGET_COLOUR}"></div>')
        hover = f"Kết quả {format_percent(ratio)} · chỉ tiêu {format_percent(target)} · {STATUS_LABELS[status]}"
        lines.append(
            f'<div title="{escape(hover)}" style="display:grid;grid-template-columns:minmax(12rem,38%) 1fr 5rem;'
            'gap:0.75rem;align-items:center;margin:0.35rem 0">'
            f'<div style="font-size:0.9rem;line-height:1.25">{escape(str(name))}</div>'
            f'<div style="position:relative;height:1.6rem;background:{TRACK_COLOUR};border-radius:3px">'
            f'<div style="position:absolute;left:0;top:0.4rem;height:0.8rem;width:{_bar_width(ratio)}%;'
            f'background:{STATUS_COLOURS[status]};border-radius:2px"></div>{tick}</div>'
            f'<div style="font-variant-numeric:tabular-nums;font-weight:600">{format_percent(ratio)}</div>'
            '</div>')
    legend = (f'<div style="font-size:0.8rem;color:#616161;margin-top:0.25rem">'
              f'<span style="display:inline-block;width:4px;height:0.9rem;background:{TARGET_COLOUR};'
              'vertical-align:middle;margin-right:0.3rem"></span>Chỉ tiêu · màu thanh: '
              + " / ".join(f'<span style="color:{STATUS_COLOURS[s]}">{STATUS_LABELS[s]}</span>'
                           for s in ("met", "close", "missed")) + "</div>")
    return heading + "".join(lines) + legend


def _bar_width(ratio: float) -> float:
    """Percent of the 0–100% track, clipped so a value above 100% stays inside it."""
    return round(min(max(float(ratio), 0.0), 1.0) * 100, 2)


def unit_bars(rows: pd.DataFrame, target: float | None, title: str) -> go.Figure:
    """One indicator across units (`unit`, `ratio`, optional `numerator`/`denominator`) with the target line."""
    data = rows.dropna(subset=["ratio"]).sort_values("ratio")
    if data.empty:
        return _empty(title)
    statuses = [status_for(r, target) for r in data["ratio"]]
    colours = [STATUS_COLOURS[s] if s != "none" else NEUTRAL_COLOUR for s in statuses]
    has_counts = {"numerator", "denominator"} <= set(data.columns)
    detail = ([format_fraction(n, d) for n, d in zip(data["numerator"], data["denominator"])]
              if has_counts else [""] * len(data))
    fig = _new_figure(title, 110 + 44 * len(data))
    # Plotly reads labels as HTML: unit names are shown escaped, while the bars keep the real
    # names as values (a click on a bar hands back the real name).
    shown_units = [plotly_text(u) for u in data["unit"]]
    fig.add_bar(
        y=list(data["unit"]), x=[_percent(v) for v in data["ratio"]], orientation="h",
        marker_color=colours, text=[format_percent(v) for v in data["ratio"]], textposition="outside",
        customdata=detail, hovertext=shown_units, showlegend=False,
        hovertemplate="<b>%{hovertext}</b><br>%{text}<br>%{customdata}<extra></extra>",
    )
    if not is_missing(target):
        fig.add_vline(x=float(target) * 100, line=dict(color=TARGET_COLOUR, width=2, dash="dash"),
                      annotation_text=f"Chỉ tiêu {format_percent(target)}",
                      annotation_position="top")
    fig.update_xaxes(range=[0, 115], ticksuffix="%", title=None)
    fig.update_yaxes(title=None, tickmode="array", tickvals=list(data["unit"]), ticktext=shown_units)
    return fig


def gap_heatmap(rows: pd.DataFrame, title: str = "Chênh lệch so với chỉ tiêu (điểm phần trăm)") -> go.Figure:
    """Unit × criterion grid of (ratio − target) in percentage points, coloured by status.

    `rows` is long: `unit`, `code`, `name`, `ratio`, `target` (as `score_by_unit` returns them).
    Columns are labelled by criterion code (names are too long to sit side by side); the name
    is in the hover text.
    """
    data = rows.assign(signed_gap=[_gap_pp(r, t) for r, t in zip(rows["ratio"], rows["target"])])
    data = data.dropna(subset=["signed_gap"])
    if data.empty:
        return _empty(title)
    grid = data.pivot_table(index="unit", columns="code", values="signed_gap", aggfunc="first", sort=False)
    names = data.drop_duplicates("code").set_index("code")["name"]
    limit = max(2 * CLOSE_WITHIN_PP, float(grid.abs().max().max()))
    close_from = 0.5 - CLOSE_WITHIN_PP / limit / 2
    text = [[format_gap_pp(v, 1).replace(f" {PERCENTAGE_POINTS}", "") if not is_missing(v) else "–" for v in row]
            for row in grid.to_numpy()]
    fig = _new_figure(title, 170 + 46 * len(grid.index))
    fig.add_heatmap(
        z=grid.to_numpy(), x=list(grid.columns), y=[plotly_text(u) for u in grid.index], text=text,
        customdata=[[names[code] for code in grid.columns] for _ in grid.index],
        texttemplate="%{text}", zmin=-limit, zmax=limit,
        colorscale=[[0, MISSED_COLOUR], [close_from, MISSED_COLOUR], [close_from, CLOSE_COLOUR],
                    [0.5, CLOSE_COLOUR], [0.5, "#a5d6a7"], [1, MET_COLOUR]],
        colorbar=dict(title="điểm<br>phần trăm"), xgap=2, ygap=2,
        hovertemplate=f"<b>%{{y}}</b><br>%{{x}} %{{customdata}}<br>Chênh lệch: %{{text}} {PERCENTAGE_POINTS}<extra></extra>",
    )
    fig.update_xaxes(side="top", tickangle=0, showgrid=False, type="category")
    fig.update_yaxes(autorange="reversed", showgrid=False)
    fig.update_layout(margin=dict(t=90))
    return fig


def trend_chart(monthly: pd.DataFrame, target: float | None, title: str,
                projection: tuple[dt.date, float] | None = None) -> go.Figure:
    """Each month's ratio, the year-to-date ratio, the target line and a dashed projection.

    `monthly` has `month`, `numerator`, `denominator`, `ratio` (0..1). The year-to-date line is what
    the score uses, so the projection (year-end date, projected year ratio) continues it.
    """
    data = monthly.dropna(subset=["ratio"]).sort_values("month")
    if data.empty:
        return _empty(title)
    months = pd.to_datetime(data["month"])
    to_date = data["numerator"].cumsum() / data["denominator"].cumsum()
    fig = _new_figure(title, 380)
    fig.add_scatter(
        x=months, y=[_percent(v) for v in data["ratio"]], mode="lines+markers", name="Từng tháng",
        line=dict(color="#90a4ae", width=2), marker=dict(size=6),
        text=[format_percent(v) for v in data["ratio"]],
        hovertemplate="Tháng %{x|%m/%Y}: %{text}<extra></extra>",
    )
    fig.add_scatter(
        x=months, y=[_percent(v) for v in to_date], mode="lines+markers", name="Lũy kế từ đầu năm",
        line=dict(color=NEUTRAL_COLOUR, width=3), marker=dict(size=8),
        text=[format_percent(v) for v in to_date],
        hovertemplate="Lũy kế đến tháng %{x|%m/%Y}: %{text}<extra></extra>",
    )
    if projection is not None and not is_missing(projection[1]):
        end_date, projected = projection
        fig.add_scatter(
            x=[months.iloc[-1], pd.Timestamp(end_date)], y=[_percent(to_date.iloc[-1]), _percent(projected)],
            mode="lines+markers", name="Dự báo cuối năm",
            line=dict(color=NEUTRAL_COLOUR, width=2, dash="dot"), marker=dict(size=9, symbol="diamond"),
            text=[format_percent(to_date.iloc[-1]), format_percent(projected)],
            hovertemplate="Dự báo đến %{x|%d/%m/%Y}: %{text}<extra></extra>",
        )
    if not is_missing(target):  # behind the lines, so a result sitting on the target stays visible
        fig.add_hline(y=float(target) * 100, layer="below", line=dict(color=MISSED_COLOUR, width=2, dash="dash"),
                      annotation_text=f"Chỉ tiêu {format_percent(target)}", annotation_position="bottom left")
    fig.update_xaxes(tickformat="%m/%Y", dtick="M1", tickangle=0, tickfont=dict(size=12), title=None)
    drawn = [v for trace in fig.data for v in trace.y if v is not None]
    zoom = zoomed_range(drawn + ([] if is_missing(target) else [float(target) * 100]))
    if zoom is None:
        fig.update_yaxes(ticksuffix="%", rangemode="tozero", title=None)
    else:
        fig.update_yaxes(ticksuffix="%", range=list(zoom), title=None)
        fig.update_layout(title_text=f"{title}<br><sup>Trục dọc phóng to: bắt đầu từ "
                                     f"{format_number(zoom[0], 1)}%, không phải 0%</sup>")
    return fig


ZOOM_FROM_PERCENT = 80.0
TOP_MARGIN_PERCENT = 0.15


def zoomed_range(values: list[float]) -> tuple[float, float] | None:
    """A y-axis range (percent) that shows how far results sit from a target near the top, when
    every value is at least ZOOM_FROM_PERCENT (99,8% on a 100% line is invisible on 0–100%);
    None when the usual 0-based axis shows the differences well enough."""
    if not values or min(values) < ZOOM_FROM_PERCENT:
        return None
    low, high = min(values), max(values)
    pad = max(0.5, (high - low) * 0.25)
    top = high + pad if high > 100 else min(high + pad, 100 + TOP_MARGIN_PERCENT)  # no empty band above 100%
    return max(0.0, low - pad), top

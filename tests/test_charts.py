"""Chart builders: Vietnamese separators, status colours, target lines, no-data figures."""
import datetime as dt

import pandas as pd
import pytest

from cchc_metrics import charts


def test_status_thresholds():
    assert charts.status_for_gap(0.0) == "met"
    assert charts.status_for_gap(-5.0) == "close"
    assert charts.status_for_gap(-5.01) == "missed"
    assert charts.status_for_gap(None) == "none"


def test_status_of_a_ratio_against_its_target():
    assert charts.status_for(0.5, 0.5) == "met"
    assert charts.status_for(0.95, 1.0) == "close"      # exactly 5 points below, despite float noise
    assert charts.status_for(0.9499, 1.0) == "missed"   # 5,01 points below
    assert charts.status_for(None, 1.0) == "none" and charts.status_for(0.5, None) == "none"


def test_bullet_chart_colours_bars_by_status_and_marks_targets():
    rows = pd.DataFrame({
        "name": ["Đúng hạn", "Trực tuyến <b>", "Số hóa", "PAKN"],
        "ratio": [14673 / 14697, 0.21, 1.0, None],
        "target": [1.0, 0.5, 1.0, 0.9],
    })
    html = charts.bullet_chart_html(rows)
    # One line per indicator, in the given order; PAKN (no ratio) gets no bar, only "no data".
    assert html.count("grid-template-columns") == 4
    assert "PAKN</div><div style=\"border:1px dashed" in html and ">Chưa có dữ liệu<" in html
    assert html.index("Đúng hạn") < html.index("Trực tuyến") < html.index("Số hóa")
    assert "Trực tuyến &lt;b&gt;" in html and "<b>" not in html       # names are escaped
    # Bars: 14673/14697 = 99.84% (within 5 points: close), 21% (29 points short: missed), 100% (met).
    assert f"width:99.84%;background:{charts.CLOSE_COLOUR}" in html
    assert f"width:21.0%;background:{charts.MISSED_COLOUR}" in html
    assert f"width:100.0%;background:{charts.MET_COLOUR}" in html
    assert html.count("left:calc(100.0% - 2px)") == 2 and "left:calc(50.0% - 2px)" in html
    assert ">99,84%<" in html and ">21,00%<" in html and ">100,00%<" in html


def test_unit_bars_draw_the_target_line_and_counts():
    rows = pd.DataFrame({"unit": ["Phòng A", "Phòng B"], "ratio": [0.6, 0.2],
                         "numerator": [1200, 20], "denominator": [2000, 100]})
    fig = charts.unit_bars(rows, 0.5, "Tỷ lệ trực tuyến")
    bar = fig.data[0]
    assert list(bar.y) == ["Phòng B", "Phòng A"]
    assert list(bar.customdata) == ["20 / 100 hồ sơ", "1.200 / 2.000 hồ sơ"]
    assert list(bar.marker.color) == [charts.MISSED_COLOUR, charts.MET_COLOUR]
    line = fig.layout.shapes[0]
    assert (line.x0, line.x1) == (50.0, 50.0)
    assert fig.layout.annotations[0].text == "Chỉ tiêu 50,00%"


def test_gap_heatmap_is_unit_by_indicator_of_ratio_minus_target():
    rows = pd.DataFrame({"unit": ["A", "A", "B", "B"], "code": ["x", "y", "x", "y"],
                         "name": ["Tên x", "Tên y", "Tên x", "Tên y"],
                         "ratio": [0.2, 0.52, 0.47, None], "target": [0.5, 0.5, 0.5, 0.5]})
    heat = charts.gap_heatmap(rows).data[0]
    assert list(heat.y) == ["A", "B"] and list(heat.x) == ["x", "y"]
    assert heat.customdata[0] == ["Tên x", "Tên y"]
    assert heat.text[0] == ["-30,0", "+2,0"]
    assert heat.text[1] == ["-3,0", "–"]
    assert heat.zmin == pytest.approx(-30.0) and heat.zmax == pytest.approx(30.0)


def test_trend_chart_draws_months_year_to_date_and_projection():
    monthly = pd.DataFrame({"month": ["2023-01", "2023-02"], "numerator": [20, 30],
                            "denominator": [100, 100], "ratio": [0.2, 0.3]})
    fig = charts.trend_chart(monthly, 0.5, "Trực tuyến", projection=(dt.date(2023, 12, 14), 0.3))
    each_month, to_date, projection = fig.data
    assert list(each_month.y) == [20.0, 30.0]
    assert list(to_date.y) == [20.0, 25.0]  # (20 + 30) / (100 + 100)
    assert list(projection.y) == [25.0, 30.0]
    assert pd.Timestamp(projection.x[1]) == pd.Timestamp("2023-12-14")
    assert fig.layout.shapes[0].y0 == 50.0
    assert fig.layout.xaxis.tickformat == "%m/%Y"


@pytest.mark.parametrize("build", [
    lambda: charts.unit_bars(pd.DataFrame({"unit": [], "ratio": []}), 0.5, "t"),
    lambda: charts.gap_heatmap(pd.DataFrame({"unit": [], "code": [], "name": [], "ratio": [], "target": []})),
    lambda: charts.trend_chart(pd.DataFrame({"month": [], "numerator": [], "denominator": [], "ratio": []}),
                          None, "t"),
])
def test_empty_data_gives_a_message_not_an_error(build):
    fig = build()
    assert fig.layout.annotations[0].text == "Chưa có dữ liệu để vẽ biểu đồ"


def test_bullet_chart_without_data_says_so():
    html = charts.bullet_chart_html(pd.DataFrame({"name": [], "ratio": [], "target": []}))
    assert "Chưa có dữ liệu để vẽ biểu đồ" in html and "grid-template-columns" not in html


def test_bullet_chart_shows_why_a_ratio_is_unknown_instead_of_an_empty_bar():
    html = charts.bullet_chart_html(pd.DataFrame({
        "name": ["Đúng hạn", "Số hóa"], "ratio": [None, 0.5], "target": [1.0, 1.0],
        "no_data_reason_vi": ["tệp tải lên không có cột «Ngày hẹn trả» <x>", None]}))
    assert "Chưa có dữ liệu — tệp tải lên không có cột «Ngày hẹn trả» &lt;x&gt;" in html
    assert html.count("background:" + charts.STATUS_COLOURS["none"]) == 0   # no grey bar at 0%
    assert html.count("width:50.0%") == 1


def test_trend_chart_zooms_when_the_result_sits_on_a_target_near_the_top():
    # 14.673 / 14.697 on time (99,84%) against 100%: on a 0–100% axis the line hides under the target.
    monthly = pd.DataFrame({"month": ["2023-01", "2023-02"], "numerator": [998, 999],
                            "denominator": [1000, 1000], "ratio": [0.998, 0.999]})
    fig = charts.trend_chart(monthly, 1.0, "Đúng hạn")
    # values 99,8 / 99,9 (months), 99,8 / 99,85 (to date), target 100: low 99,8, high 100,
    # pad = max(0,5; 0,2 x 0,25) = 0,5 -> from 99,3; the top stops 0,15 above 100% (no ratio exceeds it)
    low, high = fig.layout.yaxis.range
    assert (round(low, 6), round(high, 6)) == (99.3, 100.15)
    assert fig.layout.shapes[0].layer == "below"             # the target line is drawn behind the results
    assert all("markers" in trace.mode for trace in fig.data)
    assert "Trục dọc phóng to: bắt đầu từ 99,3%, không phải 0%" in fig.layout.title.text


def test_trend_chart_keeps_a_zero_based_axis_for_low_results():
    monthly = pd.DataFrame({"month": ["2023-01"], "numerator": [21], "denominator": [100], "ratio": [0.21]})
    fig = charts.trend_chart(monthly, 0.5, "Trực tuyến")
    assert fig.layout.yaxis.rangemode == "tozero" and fig.layout.yaxis.range is None


def test_unit_names_are_shown_as_text_not_plotly_html():
    """A unit named like a link keeps its real name as the bar's value (clicks hand it back) but is
    drawn and hovered escaped, so Plotly makes no link of it."""
    hostile = '<a href="http://evil.example">Phòng</a>'
    rows = pd.DataFrame({"unit": [hostile], "ratio": [0.5], "numerator": [1], "denominator": [2]})
    bar = charts.unit_bars(rows, 0.5, "Tỷ lệ").data[0]
    shown = '&lt;a href="http://evil.example"&gt;Phòng&lt;/a&gt;'
    assert list(bar.y) == [hostile]
    assert list(bar.hovertext) == [shown]
    assert "%{y}" not in bar.hovertemplate
    layout = charts.unit_bars(rows, 0.5, "Tỷ lệ").layout.yaxis
    assert list(layout.tickvals) == [hostile] and list(layout.ticktext) == [shown]
    heat = charts.gap_heatmap(pd.DataFrame({"unit": [hostile], "code": ["I.1"], "name": ["Tiêu chí"],
                                            "ratio": [0.4], "target": [0.5]})).data[0]
    assert list(heat.y) == [shown]

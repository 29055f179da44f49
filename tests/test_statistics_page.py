"""The «Thống kê giải quyết TTHC» page and the export page's two downloads, through AppTest on the
sample data (the numbers themselves are tested in test_statistics_table.py)."""
from __future__ import annotations

from table_display import shown_table
from test_app_pages import assert_clean, open_page, start_app


def test_statistics_page_shows_the_last_full_quarter_with_a_totals_row(sample_template, tmp_path, monkeypatch):
    at = open_page(start_app(sample_template, tmp_path, monkeypatch), "statistics")
    assert_clean(at)
    # the sample's data end on 14/12/2023: the last quarter ended before is Q3 (15/06 – 14/09/2023)
    assert at.subheader[0].value == "Quý III năm 2023 (15/06/2023 – 14/09/2023)"
    table = at.dataframe[0].value
    assert list(table.columns[:3]) == ["Lĩnh vực", "Nhận giải quyết: Tổng số", "Nhận giải quyết: Mới tiếp nhận trực tuyến"]
    assert table.iloc[-1]["Lĩnh vực"] == "Tổng cộng"
    # Tổng số = dossiers received before 15/09/2023 and not finished before 15/06/2023: 4.300 on the
    # sample (counted with plain SQL on the sample database: received_at < '2023-09-15' AND
    # (finished_at IS NULL OR finished_at >= '2023-06-15')).
    assert table.iloc[-1]["Nhận giải quyết: Tổng số"] == 4300   # a number: sorts by value
    assert shown_table(at.dataframe[0]).iloc[-1]["Nhận giải quyết: Tổng số"] == "4.300"

    at.radio(key="stats_by").set_value("unit").run()
    assert_clean(at)
    assert at.dataframe[0].value.columns[0] == "Đơn vị"
    at.selectbox(key="stats_kind").set_value("month").run()
    assert_clean(at)
    assert at.subheader[0].value == "Tháng 11 năm 2023 (15/10/2023 – 14/11/2023)"


def test_export_page_offers_the_workbook_and_the_pdf(sample_template, tmp_path, monkeypatch):
    at = open_page(start_app(sample_template, tmp_path, monkeypatch), "export")
    assert_clean(at)
    labels = [button.proto.label for button in at.get("download_button")]
    assert labels == ["Tải báo cáo giao ban (.xlsx)", "Tải báo cáo giao ban (.pdf)"]

"""Helpers that make data text inert where it leaves the app: spreadsheets, terminals, Plotly."""
from __future__ import annotations

import pandas as pd
import pytest

from cchc_metrics.formatting import csv_safe_cell, csv_safe_frame, plotly_text, terminal_text


@pytest.mark.parametrize("cell, expected", [
    ("=1+1", "'=1+1"), ("+84 905", "'+84 905"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("Phòng Tư pháp", "Phòng Tư pháp"),
    ("-3", "-3"), ("-1.234,5", "-1.234,5"), (-7, -7), (None, None),  # negative numbers stay numbers
])
def test_csv_safe_cell_follows_owasp(cell, expected):
    assert csv_safe_cell(cell) == expected


def test_csv_safe_frame_guards_text_cells_and_headers_only():
    frame = pd.DataFrame({"=tên": ["=x", "y"], "số": [-1, 2]})
    safe = csv_safe_frame(frame)
    assert list(safe.columns) == ["'=tên", "số"]
    assert list(safe["'=tên"]) == ["'=x", "y"]
    assert list(safe["số"]) == [-1, 2]
    assert list(frame["=tên"]) == ["=x", "y"]  # the input is not changed


def test_terminal_text_drops_escape_sequences_and_control_characters():
    assert terminal_text("a\x1b[31mđỏ\x1b[0m\x1b]0;tiêu đề\x07b\x00\x7f\r") == "ađỏb"
    assert terminal_text("dòng 1\ndòng\t2") == "dòng 1\ndòng\t2"


def test_plotly_text_escapes_its_html_subset():
    assert plotly_text('<a href="http://evil.example">x</a> & <b>') == \
        '&lt;a href="http://evil.example"&gt;x&lt;/a&gt; &amp; &lt;b&gt;'


def test_due_soon_csv_download_neutralises_formulas_and_keeps_negative_days():
    """The «Tải CSV» bytes of the due-soon list as the page shows it (display_table formats numbers)."""
    import csv
    import io

    from cchc_metrics.app_services import table_to_csv
    from cchc_metrics.formatting import display_table

    due = pd.DataFrame({"working_days_left": [-3, 2], "procedure_name": ['=HYPERLINK("http://evil.example")', "@x"],
                        "unit": ["+Phòng", "Văn phòng Sở"]})
    shown = display_table(due, {"working_days_left": ("Ngày làm việc còn lại", "int"),
                                "procedure_name": ("Thủ tục", "text"), "unit": ("Đơn vị", "text")})
    rows = list(csv.reader(io.StringIO(table_to_csv(shown).decode("utf-8-sig"))))
    assert rows == [["Ngày làm việc còn lại", "Thủ tục", "Đơn vị"],
                    ["-3", "'=HYPERLINK(\"http://evil.example\")", "'+Phòng"],
                    ["2", "'@x", "Văn phòng Sở"]]

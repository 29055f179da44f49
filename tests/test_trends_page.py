"""«Xu hướng» and the year list: the sample's evaluation year 2022 (15/12/2021–14/12/2022) holds only
174 dossiers, all received in one of its twelve months (carried over into 2023), so it is labelled as
partial; 2023 has dossiers in all twelve."""
from __future__ import annotations

from test_app_pages import app, assert_clean, open_page  # noqa: F401


def test_partial_years_are_labelled_and_the_trends_page_says_so(app):
    year = app.sidebar.selectbox(key="filter_year")
    assert year.options == ["2023", "2022 (chỉ có 1 tháng dữ liệu)"]
    open_page(app, "trends")
    assert_clean(app)
    assert not app.warning or all("chưa có ý nghĩa" not in w.value for w in app.warning)
    app.sidebar.selectbox(key="filter_year").set_value(2022).run()
    assert_clean(app)
    assert any(w.value.startswith("Năm đánh giá 2022 (chỉ có 1 tháng dữ liệu): kết quả và điểm") for w in app.warning)

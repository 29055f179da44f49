"""The pages with calendar periods (766 index) and with a unit selection (issue 11, unit scope),
through AppTest on the bundled sample data (Khánh Hòa Department of Justice, 2023)."""
from __future__ import annotations

import math

from test_app_pages import PAGES, assert_clean, metric_value, open_page, start_app

from cchc_metrics import app_services, db, settings, targets_editor
from cchc_metrics.scoring import DEPARTMENT_WIDE_VI, PORTAL_ZERO_VI


def test_a_unit_selection_leaves_out_department_wide_criteria(sample_template, tmp_path, monkeypatch):
    at = start_app(sample_template, tmp_path, monkeypatch)
    at.sidebar.multiselect(key="filter_units").set_value(["Văn phòng Sở"]).run()
    assert_clean(at)
    # Only the five criteria computed from dossiers count for the unit: 0,5 + 0,5 + 5 + 3 + 3 = 12
    # points at stake, not the framework's 19,5 (the six typed-in ones are the department's).
    assert metric_value(at, "Tổng điểm hiện tại").endswith("/ 12,00")
    headings = [h.value for h in at.subheader]
    assert DEPARTMENT_WIDE_VI in headings
    # The six typed-in criteria get one card each, under that heading, none among the unit's.
    cards = [m.value for m in at.markdown if m.value.startswith("**")]
    typed_in = [card for card in cards if card.endswith((":gray[I\\.5]", ":gray[II\\.2\\.2\\.2\\.3]",
                                                         ":gray[II\\.3\\.2\\.4]", ":gray[II\\.3\\.2\\.5]",
                                                         ":gray[II\\.4\\.5\\.1]", ":gray[II\\.6\\.4\\.2]"))]
    assert len(typed_in) == 6 and cards[-6:] == typed_in, cards
    at.sidebar.multiselect(key="filter_units").set_value([]).run()
    assert metric_value(at, "Tổng điểm hiện tại") == "10,97 / 19,50"
    assert DEPARTMENT_WIDE_VI not in [h.value for h in at.subheader]


def test_the_766_index_offers_calendar_periods(sample_template, tmp_path, monkeypatch):
    at = start_app(sample_template, tmp_path, monkeypatch)
    assert not at.sidebar.radio  # Khánh Hòa: the evaluation year only
    at.sidebar.selectbox(key="filter_framework").set_value("national_766").run()
    assert_clean(at)
    kinds = at.sidebar.radio(key="filter_period_kind")
    assert kinds.options == ["Tháng", "Quý", "Năm", "Khoảng ngày"]
    kinds.set_value("month").run()
    at.sidebar.selectbox(key="filter_period_number").set_value(11).run()
    assert_clean(at)
    assert "kỳ chấm điểm: 01/11/2023 – 30/11/2023" in at.caption[0].value
    kinds = at.sidebar.radio(key="filter_period_kind")
    kinds.set_value("quarter").run()
    assert "kỳ chấm điểm: 01/10/2023 – 31/12/2023" in at.caption[0].value


def test_figures_typed_for_a_month_score_that_month(sample_template, tmp_path, monkeypatch):
    at = start_app(sample_template, tmp_path, monkeypatch)
    at.sidebar.selectbox(key="filter_framework").set_value("national_766").run()
    at.sidebar.radio(key="filter_period_kind").set_value("month").run()
    at.sidebar.selectbox(key="filter_period_number").set_value(11).run()
    at.switch_page("app_pages/targets.py").run()
    editing = app_services.criteria_for_editor(
        settings.editable_criteria(db.connect(tmp_path / "other.duckdb"), "national_766", 2023))
    codes = list(targets_editor.manual_table(editing)["code"])   # the «Số liệu nhập tay» table
    # C of 766.4 as the portal shows it for 11/2023: 7 of 35 fee procedures synchronised.
    at.session_state["criteria_editor_national_766_2023_20231101_20231130_manual"] = {
        "edited_rows": {codes.index("766.4.3"): {"manual_numerator": "7", "manual_denominator": "35"}},
        "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="targets_save").click().run()
    assert_clean(at)
    at.switch_page("app_pages/overview.py").run()
    parts = at.dataframe[0].value.set_index("Mã")
    assert parts.loc["766.4.3", "Điểm"] == 0.5           # 2 x (7 / 35) / 0.8
    at.sidebar.selectbox(key="filter_period_number").set_value(10).run()
    parts = at.dataframe[0].value.set_index("Mã")
    assert math.isnan(parts.loc["766.4.3", "Điểm"])      # October: not typed in


def test_every_page_opens_with_the_766_index_and_a_unit(sample_template, tmp_path, monkeypatch):
    at = start_app(sample_template, tmp_path, monkeypatch)
    at.sidebar.selectbox(key="filter_framework").set_value("national_766").run()
    at.sidebar.radio(key="filter_period_kind").set_value("quarter").run()
    at.sidebar.multiselect(key="filter_units").set_value(["Văn phòng Sở"]).run()
    for name in PAGES:
        assert_clean(open_page(at, name))


def test_an_empty_month_says_the_portal_gives_zero(sample_template, tmp_path, monkeypatch):
    at = start_app(sample_template, tmp_path, monkeypatch)
    at.sidebar.selectbox(key="filter_framework").set_value("national_766").run()
    # The sample starts on 15/12/2022: January 2022 holds no dossier.
    at.sidebar.selectbox(key="filter_year").set_value(2022).run()
    at.sidebar.radio(key="filter_period_kind").set_value("month").run()
    at.sidebar.selectbox(key="filter_period_number").set_value(1).run()
    assert_clean(at)
    assert [m.value for m in at.metric if m.label == "Điểm"] == ["0,00 / 20,00", "0,00 / 10,00"]
    assert "Dự kiến cuối kỳ" in [m.label for m in at.metric]       # a month is a period, not a year
    assert [c.value for c in at.caption].count(PORTAL_ZERO_VI) == 2   # progress and payment

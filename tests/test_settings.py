"""User overrides per framework and year: the editing table, validation, storage, reset."""
from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction

import pytest

from cchc_metrics import settings
from cchc_metrics.errors import CchcError
from cchc_metrics.frameworks import load_framework
from cchc_metrics.scoring import score_year

KEY = "khanh_hoa_department"


def stored_payload(con, year):
    row = con.cursor().execute("SELECT payload FROM setting_overrides WHERE framework = ? AND "
                               "year = ?", [KEY, year]).fetchone()
    return None if row is None else json.loads(row[0])


def edit(frame, code, **values):
    for column, value in values.items():
        frame[column] = frame[column].astype(object)  # what a text cell in the editor gives
        frame.loc[frame["code"] == code, column] = value
    return frame


def test_editable_table_shows_the_year_values(con):
    table = settings.editable_criteria(con, KEY, 2023).set_index("code")
    assert list(table.reset_index().columns) == list(settings.EDITOR_COLUMNS)
    assert table.loc["II.2.4.2.1", "bands"] == "100:5; 99:4,5; 98:4; 97:3,5; 96:3; 95:2,5"
    assert table.loc["I.5", "manual_numerator"] == 285
    assert table.loc["II.6.5.2", "target"] == 50  # edited in percent, stored as 0.5
    assert bool(table.loc["II.2.2.2.3", "deduction"]) is True


def test_unchanged_table_stores_nothing(con):
    settings.save_criteria(con, KEY, 2023, settings.editable_criteria(con, KEY, 2023))
    assert stored_payload(con, 2023) is None


def test_saved_override_is_read_back_for_its_year_only_and_reset(con):
    table = edit(settings.editable_criteria(con, KEY, 2024), "II.6.5.2", target=60)
    edit(table, "I.5", manual_numerator=290, manual_denominator=291)
    edit(table, "II.2.4.2.1", bands="100:5; 99:4; 0:1")
    settings.save_criteria(con, KEY, 2024, table)

    # Only the differences from the 2024 defaults are stored.
    assert stored_payload(con, 2024) == {"criteria": {
        "II.6.5.2": {"target": 0.6},
        "I.5": {"manual_numerator": 290.0, "manual_denominator": 291.0},
        "II.2.4.2.1": {"bands": [[1.0, 5.0], [0.99, 4.0], [0.0, 1.0]]}}}
    framework = load_framework(con, KEY, 2024)
    online = next(c for c in framework.criteria if c.code == "II.6.5.2")
    assert online.target == Fraction(3, 5)
    assert settings.editable_criteria(con, KEY, 2024).set_index("code").loc[
        "II.2.4.2.1", "bands"] == "100:5; 99:4; 0:1"
    # Other years keep the shipped values.
    assert settings.editable_criteria(con, KEY, 2025).set_index("code").loc["II.6.5.2", "target"] == 55

    settings.reset_criteria(con, KEY, 2024)
    assert stored_payload(con, 2024) is None
    assert settings.editable_criteria(con, KEY, 2024).set_index("code").loc["II.6.5.2", "target"] == 55


def test_override_changes_the_score(con):
    # 2023 defaults: I.5 is 285/291 -> 2 points. Typing 291/291 gives the top band: 3.
    table = edit(settings.editable_criteria(con, KEY, 2023), "I.5", manual_numerator=291)
    settings.save_criteria(con, KEY, 2023, table)
    rows = score_year(con, KEY, 2023, as_of=dt.date(2023, 12, 14)).rows.set_index("code")
    assert rows.loc["I.5", "points"] == 3


@pytest.mark.parametrize("code, values, column", [
    ("II.6.5.2", {"target": 155}, "target"),                      # over 100%
    ("II.6.5.2", {"target": "năm mươi"}, "target"),
    ("II.2.4.2.1", {"bands": "100-5"}, "bands"),
    ("II.2.4.2.1", {"bands": "100:5; 100:4"}, "bands"),           # same bound twice
    ("II.2.4.2.1", {"bands": "100:9"}, "bands"),                  # more than the maximum
    ("II.2.4.2.1", {"bands": ""}, "bands"),                       # bands rule without bands
    ("II.2.4.2.1", {"rule": "magic"}, "rule"),
    ("II.6.5.2", {"target": None}, "target"),                     # proportional_to_target
    ("I.5", {"manual_numerator": 300}, "manual_numerator"),       # 300 of 291
    ("II.2.2.2.3", {"manual_points": 0.8}, "manual_points"),      # more than 0.5
    ("II.4.5.1", {"max_points": 0}, "max_points"),
])
def test_invalid_values_name_the_criterion_and_column(con, code, values, column):
    table = edit(settings.editable_criteria(con, KEY, 2023), code, **values)
    with pytest.raises(CchcError) as error:
        settings.save_criteria(con, KEY, 2023, table)
    assert code in str(error.value) and f"«{settings.COLUMN_LABELS_VI[column]}»" in str(error.value)
    assert stored_payload(con, 2023) is None


def test_unknown_code_is_refused(con):
    table = settings.editable_criteria(con, KEY, 2023)
    table.loc[0, "code"] = "X.9"
    with pytest.raises(CchcError, match="X.9"):
        settings.save_criteria(con, KEY, 2023, table)


def test_start_day_setting_moves_the_period(con):
    settings.save_start_day(con, KEY, 2023, 1, 1)
    report = score_year(con, KEY, 2023)
    assert (report.start, report.end) == (dt.date(2023, 1, 1), dt.date(2023, 12, 31))
    # The criteria overrides survive a start-day change, and the reverse.
    settings.save_criteria(con, KEY, 2023, edit(settings.editable_criteria(con, KEY, 2023),
                                                 "II.6.5.2", target=60))
    assert stored_payload(con, 2023) == {"start_day": [1, 1],
                                         "criteria": {"II.6.5.2": {"target": 0.6}}}
    settings.save_start_day(con, KEY, 2023, 15, 12)   # back to the shipped day: not stored
    assert stored_payload(con, 2023) == {"criteria": {"II.6.5.2": {"target": 0.6}}}
    with pytest.raises(CchcError, match="31/2"):
        settings.save_start_day(con, KEY, 2023, 31, 2)
    with pytest.raises(CchcError, match="29/02"):   # not in every year: refused when saved, not later
        settings.save_start_day(con, KEY, 2023, 29, 2)


@pytest.mark.parametrize("text, expected", [
    ("0,55", 0.55), ("0.55", 0.55), ("14.697", 14_697), ("14.697,5", 14_697.5), (" 12 ", 12),
])
def test_numbers_typed_the_vietnamese_way(text, expected):
    assert settings.parse_number(text) == expected


def test_text_cells_from_the_editor_are_parsed(con):
    # The dashboard hands numbers back as Vietnamese text.
    table = edit(settings.editable_criteria(con, KEY, 2023), "I.5", manual_numerator="14.600",
                 manual_denominator="14.697")
    edit(table, "II.6.5.2", target="60")
    settings.save_criteria(con, KEY, 2023, table)
    assert stored_payload(con, 2023) == {"criteria": {
        "I.5": {"manual_numerator": 14_600.0, "manual_denominator": 14_697.0},
        "II.6.5.2": {"target": 0.6}}}

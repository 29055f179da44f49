"""Table tests of the 766 rule types at their edges: parts rounded then added, caps at a
threshold (min(1, x / 0.8)), linear parts, empty denominators (zero, full, no data), calendar
periods. Expected points are worked out by hand in each row."""
from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction

import pytest

from cchc_metrics import settings
from cchc_metrics.errors import CchcError
from cchc_metrics.periods import calendar_period, evaluation_year_of
from cchc_metrics.rules import round_points, rule_points, sum_of_parts
from cchc_metrics.scoring import NONE_TO_HANDLE_VI, PORTAL_ZERO_VI, score_period

KEY = "national_766"
AUGUST = (dt.date(2026, 8, 1), dt.date(2026, 8, 31))


@pytest.mark.parametrize("ratio, expected", [
    (Fraction(0), 0.0),                   # nothing
    (Fraction(2, 5), 1.0),                # 40% / 80% x 2
    (Fraction(79, 100), 1.975),           # just under the cap: 0.79 / 0.8 x 2
    (Fraction(4, 5), 2.0),                # at 80%: full
    (Fraction(81, 100), 2.0),             # above: capped, never more than 2
    (Fraction(1), 2.0),
])
def test_capped_part_min_1_x_over_08(ratio, expected):
    assert rule_points("threshold", ratio, 2, threshold=Fraction(4, 5)) == pytest.approx(expected)


@pytest.mark.parametrize("ratio, expected", [
    (Fraction(8006, 10000), 3.2024),      # linear: 80.06% of 4 is 3.20, no "full at 80%"
    (Fraction(1), 4.0),
    (Fraction(0), 0.0),
])
def test_linear_part(ratio, expected):
    assert rule_points("proportional", ratio, 4) == pytest.approx(expected)


@pytest.mark.parametrize("parts, expected", [
    ([5.427562, 0.878378, 0.405405], 6.72),   # 5.43 + 0.88 + 0.41; unrounded sum 6.711 -> 6.71
    ([6.0, 1.666667, 0.0], 7.67),             # 6 + 1.67 + 0
    ([0.0, 0.0, 0.0], 0.0),
    ([6.0, 2.0, None], None),                 # a part unknown: the whole is unknown, not 8
    ([], 0.0),
])
def test_sum_of_parts_rounds_each_part_first(parts, expected):
    assert sum_of_parts(parts, 2) == expected


def test_round_points_is_half_up():
    assert round_points(0.125) == 0.13 and round_points(0.645) == 0.65


def type_in(con, values: dict[str, tuple]) -> None:
    """Type (numerator, denominator) of sub-indicators as a clerk does on the settings page."""
    table = settings.editable_criteria(con, KEY, 2026)
    for code, (numerator, denominator) in values.items():
        row = table["code"] == code
        table.loc[row, "manual_numerator"], table.loc[row, "manual_denominator"] = numerator, denominator
    settings.save_criteria(con, KEY, 2026, table)


def august(con):
    report = score_period(con, KEY, *AUGUST)
    return report.rows.set_index("code"), report.parts.set_index("code")


@pytest.mark.parametrize("handled, complaints, expected", [
    (0, 0, 6.0),     # no complaint: full points
    (0, 2, 0.0),     # two complaints, none on time
    (2, 2, 6.0),
    (1, 4, 1.5),     # 25% x 6
])
def test_complaints_full_when_there_are_none(con, handled, complaints, expected):
    type_in(con, {"766.5.2": (handled, complaints)})
    _, parts = august(con)
    assert parts.loc["766.5.2", "points"] == expected
    assert parts.loc["766.5.2", "score_note_vi"] == (NONE_TO_HANDLE_VI if complaints == 0 else None)


@pytest.mark.parametrize("satisfied, dossiers, expected", [
    (2348, 2971, 5.27),   # Việt Trì 08/2026: 79.03% / 90% x 6 = 5.2687
    (9, 10, 6.0),         # at 90%: full
    (939, 1038, 6.0),     # 90.46%: full (Xuân Lũng)
])
def test_dossier_satisfaction_full_at_90_percent(con, satisfied, dossiers, expected):
    type_in(con, {"766.5.1": (satisfied, dossiers)})
    _, parts = august(con)
    assert parts.loc["766.5.1", "points"] == expected


@pytest.mark.parametrize("reused, dossiers, expected", [
    (3160, 184513, 0.04),   # province 08/2026: 1.71% / 80% x 2 = 0.043
    (35, 2971, 0.03),       # Việt Trì: 1.18% / 80% x 2 = 0.029
    (8, 10, 2.0),           # at 80%: full
    (10, 10, 2.0),
])
def test_reuse_min_2_of_2_ratio_over_08(con, reused, dossiers, expected):
    type_in(con, {"766.6.3": (reused, dossiers)})
    rows, _ = august(con)
    assert rows.loc["766.6.3", "points"] == expected


def test_typed_groups_add_up_their_parts(con):
    # Transparency as Ban quản lý KCN's portal page shows it, 08/2026: PUBLISH_ON_TIME and
    # PUBLIC_UPDATE_ON_TIME without data (typed 0 / 1 -> 0), 87 / 89 -> 1.96, 380 / 380 -> 6:
    # 0 + 0 + 1.96 + 6 = 7.96 (the official total).
    type_in(con, {"766.1.1": (0, 1), "766.1.2": (0, 1), "766.1.3": (87, 89), "766.1.4": (380, 380)})
    rows, parts = august(con)
    assert parts.loc["766.1.3", "points"] == 1.96
    assert rows.loc["766.1", "points"] == 7.96


def test_empty_denominators_in_an_empty_period(con):
    rows, parts = august(con)
    # No dossier at all: the portal gives 0 for progress and payment and says so...
    assert (rows.loc["766.2", "points"], rows.loc["766.2", "score_note_vi"]) == (0, PORTAL_ZERO_VI)
    assert (rows.loc["766.4", "points"], rows.loc["766.4", "score_note_vi"]) == (0, PORTAL_ZERO_VI)
    # ...but e-results and digitisation stay unknown, as on the portal (score null).
    assert math.isnan(rows.loc["766.6.1", "points"]) and math.isnan(rows.loc["766.6.2", "points"])
    assert math.isnan(parts.loc["766.4.2", "points"])  # B: no fee procedure with dossiers


def test_sum_of_parts_belongs_to_criteria_with_parts(con):
    table = settings.editable_criteria(con, KEY, 2026)
    table.loc[table["code"] == "766.2", "rule"] = "sum_of_parts"
    with pytest.raises(CchcError, match="766.2"):
        settings.save_criteria(con, KEY, 2026, table)
    table = settings.editable_criteria(con, KEY, 2026)
    table.loc[table["code"] == "766.4", "rule"] = "proportional"
    with pytest.raises(CchcError, match="766.4"):
        settings.save_criteria(con, KEY, 2026, table)


@pytest.mark.parametrize("kind, number, expected", [
    ("month", 2, (dt.date(2026, 2, 1), dt.date(2026, 2, 28))),
    ("month", 12, (dt.date(2026, 12, 1), dt.date(2026, 12, 31))),
    ("quarter", 1, (dt.date(2026, 1, 1), dt.date(2026, 3, 31))),
    ("quarter", 4, (dt.date(2026, 10, 1), dt.date(2026, 12, 31))),
    ("year", 1, (dt.date(2026, 1, 1), dt.date(2026, 12, 31))),
])
def test_calendar_periods(kind, number, expected):
    assert calendar_period(kind, 2026, number) == expected


@pytest.mark.parametrize("day, start_day, year", [
    (dt.date(2026, 12, 14), (15, 12), 2026), (dt.date(2026, 12, 15), (15, 12), 2027),
    (dt.date(2026, 12, 31), (1, 1), 2026), (dt.date(2026, 1, 1), (1, 1), 2026),
])
def test_evaluation_year_of_a_day(day, start_day, year):
    assert evaluation_year_of(day, start_day) == year


def test_a_criterion_is_worth_what_its_parts_are_worth(con):
    table = settings.editable_criteria(con, KEY, 2026)
    table.loc[table["code"] == "766.4.3", "max_points"] = 3      # 6 + 2 + 3 = 11, not 10
    with pytest.raises(CchcError, match="766.4.*766.4.1, 766.4.2, 766.4.3"):
        settings.save_criteria(con, KEY, 2026, table)
    table.loc[table["code"] == "766.4", "max_points"] = 11        # both changed: accepted
    settings.save_criteria(con, KEY, 2026, table)
    assert score_period(con, KEY, *AUGUST).max_total == 101

"""The shipped framework files: listing, per-year defaults, target carry-forward, unknown keys."""
from __future__ import annotations

from fractions import Fraction

import pytest

from cchc_metrics.errors import CchcError
from cchc_metrics.frameworks import list_frameworks, load_framework
from cchc_metrics.rules import ratio_of, rule_points


def criterion(framework, code):
    return next(c for c in framework.criteria if c.code == code)


def test_three_frameworks_default_first():
    keys = [info.key for info in list_frameworks()]
    assert keys[0] == "khanh_hoa_department"
    assert sorted(keys) == ["khanh_hoa_department", "national_766", "tay_ninh_2025_2030"]
    assert all(info.title_vi for info in list_frameworks())


def test_khanh_hoa_2023_ships_the_plan_values(con):
    framework = load_framework(con, "khanh_hoa_department", 2023)
    assert framework.start_day == (15, 12)
    # 3 + 0.5 + 0.5 + 0.5 + 5 + 1 + 1 + 1 + 1 + 3 + 3 = 19.5
    assert framework.max_total == 19.5
    tasks = criterion(framework, "I.5")
    assert (tasks.manual_numerator, tasks.manual_denominator) == (285, 291)
    assert criterion(framework, "II.2.2.2.3").deduction is True
    assert criterion(framework, "II.6.5.2").target == Fraction(1, 2)


@pytest.mark.parametrize("year, expected", [
    (2022, Fraction(1, 2)),    # before the first target: the earliest one
    (2023, Fraction(1, 2)),
    (2024, Fraction(55, 100)),
    (2026, Fraction(55, 100)), # carried forward
])
def test_online_target_per_year(con, year, expected):
    framework = load_framework(con, "khanh_hoa_department", year)
    assert criterion(framework, "II.6.5.2").target == expected


def test_manual_values_are_not_carried_to_later_years(con):
    framework = load_framework(con, "khanh_hoa_department", 2024)
    assert criterion(framework, "I.5").manual_numerator is None
    assert criterion(framework, "II.2.2.2.3").deduction is False


@pytest.mark.parametrize("year, code, expected", [
    (2025, "TN.1", Fraction(1, 2)), (2027, "TN.1", Fraction(1, 2)), (2030, "TN.1", Fraction(4, 5)),
    (2025, "TN.2", Fraction(3, 10)), (2030, "TN.2", Fraction(1, 2)),
    (2024, "TN.3", Fraction(3, 5)), (2026, "TN.3", Fraction(1)),
    (2025, "TN.4", Fraction(9, 10)), (2030, "TN.4", Fraction(95, 100)),
])
def test_tay_ninh_targets(con, year, code, expected):
    assert criterion(load_framework(con, "tay_ninh_2025_2030", year), code).target == expected


def test_national_766_is_100_points_with_the_data_fed_parts(con):
    framework = load_framework(con, "national_766", 2025)
    assert framework.max_total == 100 and framework.calendar_periods
    online = criterion(framework, "766.3")
    # Unconfirmed formula: the online share is computed, the points typed in (never 12 for >= 50%).
    assert (online.indicator, online.rule, online.max_points) == ("online_rate", "manual_points", 12)
    assert criterion(framework, "766.2").indicator == "on_time_rate_766"
    payment = criterion(framework, "766.4")
    assert [(p.code, p.max_points, p.rule, p.threshold) for p in payment.parts] == [
        ("766.4.1", 6, "proportional", None), ("766.4.2", 2, "threshold", Fraction(4, 5)),
        ("766.4.3", 2, "threshold", Fraction(4, 5))]
    assert [p.max_points for p in criterion(framework, "766.1").parts] == [6, 4, 2, 6]
    assert [p.max_points for p in criterion(framework, "766.5").parts] == [6, 6, 6]
    assert [p.max_points for p in criterion(framework, "766.6.4").parts] == [4, 2, 2, 2]


def test_the_other_frameworks_keep_evaluation_years(con):
    for key in ("khanh_hoa_department", "tay_ninh_2025_2030"):
        framework = load_framework(con, key, 2025)
        assert not framework.calendar_periods and framework.start_day == (15, 12)
        assert not any(c.parts for c in framework.criteria)


@pytest.mark.parametrize("key", [info.key for info in list_frameworks()])
def test_every_shipped_criterion_scores(con, key):
    # Every criterion (or sub-indicator) of every file, fed a 50% ratio, gives points within 0..max.
    framework = load_framework(con, key, 2025)
    for c in [part for top in framework.criteria for part in (top.parts or (top,))]:
        points = rule_points(c.rule, ratio_of(1, 2), c.max_points, target=c.target or Fraction(1),
                             threshold=c.threshold, bands=c.bands, manual_points=0)
        assert 0 <= points <= c.max_points, c.code


def test_unknown_framework_lists_the_available_ones(con):
    with pytest.raises(CchcError) as error:
        load_framework(con, "../secret", 2023)
    assert "khanh_hoa_department" in str(error.value)
    assert "national_766" in str(error.value)

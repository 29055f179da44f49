"""The rule engine at its edges; expected points are worked out by hand in each row's comment."""
from __future__ import annotations

from fractions import Fraction

import pytest

from cchc_metrics.rules import (Band, apply_deduction, full_marks_level, needed_more, needed_rate,
                                ratio_of, round_points, rule_points)


def bands(*pairs) -> tuple[Band, ...]:
    return tuple(Band(Fraction(lower), points) for lower, points in pairs)


ON_TIME_BANDS = bands(("1", 5), ("0.99", 4.5), ("0.98", 4), ("0.95", 2.5))
TASK_BANDS = bands(("1", 3), ("0.98", 2.5), ("0.96", 2))


def score(rule, numerator, denominator, max_points, **kwargs):
    return round_points(rule_points(rule, ratio_of(numerator, denominator), max_points, **kwargs))


@pytest.mark.parametrize("numerator, denominator, expected", [
    (14_697, 14_697, 5),      # 100% -> top band
    (14_673, 14_697, 4.5),    # seed: 99.84% is in 99–<100
    (14_553, 14_700, 4.5),    # exactly 99.00% (14,553 = 0.99 x 14,700) is in the 99 band
    (14_552, 14_700, 4),      # one dossier less: 98.993% -> 98 band
    (98, 100, 4),             # exactly at the 98 bound
    (95, 100, 2.5),           # exactly at the lowest bound
    (94, 100, 0),             # below every band -> 0
    (0, 0, None),             # nothing resolved: no data, not 0
])
def test_bands_edges(numerator, denominator, expected):
    assert score("bands", numerator, denominator, 5, bands=ON_TIME_BANDS) == expected


@pytest.mark.parametrize("numerator, denominator, expected", [
    (285, 291, 2),            # seed I.5: 97.94% -> 96–<98 -> 2
    (98, 100, 2.5),           # exactly 98% -> the (unconfirmed) 98–<100 band
    (291, 291, 3),
])
def test_task_bands(numerator, denominator, expected):
    assert score("bands", numerator, denominator, 3, bands=TASK_BANDS) == expected


def test_band_edge_from_a_float_ratio_is_exact():
    # 0.99 typed as a float must not become 0.98999... and drop a band.
    assert rule_points("bands", ratio_of(0.99, 1), 5, bands=ON_TIME_BANDS) == 4.5


@pytest.mark.parametrize("rule, numerator, denominator, max_points, kwargs, expected", [
    # (b/a) x 0.5: 9,129/14,697 = 0.62115 -> 0.31057 -> 0.31; 9,042/14,697 = 0.61523 -> 0.3076 -> 0.31
    ("proportional", 9_129, 14_697, 0.5, {}, 0.31),
    ("proportional", 9_042, 14_697, 0.5, {}, 0.31),
    ("proportional", 0, 1, 1, {}, 0),              # PAKN: 0 of 1 satisfied -> 0
    ("proportional", 0, 0, 1, {}, None),
    # linear to target: 3,159/15,047 = 0.20994; / 0.5 = 0.41989; x 3 = 1.2597 -> 1.26
    ("proportional_to_target", 3_159, 15_047, 3, {"target": Fraction("0.5")}, 1.26),
    # 3,158/15,065 = 0.20963; / 0.5 x 3 = 1.2578 -> 1.26
    ("proportional_to_target", 3_158, 15_065, 3, {"target": Fraction("0.5")}, 1.26),
    ("proportional_to_target", 55, 100, 3, {"target": Fraction("0.55")}, 3),   # exactly at target
    ("proportional_to_target", 70, 100, 3, {"target": Fraction("0.55")}, 3),   # above: capped
    # threshold 50%, 12 points: 25% -> 25/50 x 12 = 6; at and above 50% -> 12
    ("threshold", 25, 100, 12, {"threshold": Fraction("0.5")}, 6),
    ("threshold", 50, 100, 12, {"threshold": Fraction("0.5")}, 12),
    ("threshold", 80, 100, 12, {"threshold": Fraction("0.5")}, 12),
    ("threshold", 0, 100, 12, {"threshold": Fraction("0.5")}, 0),
    ("threshold", 0, 0, 12, {"threshold": Fraction("0.5")}, None),
])
def test_ratio_rules(rule, numerator, denominator, max_points, kwargs, expected):
    assert score(rule, numerator, denominator, max_points, **kwargs) == expected


@pytest.mark.parametrize("manual, deduction, base, expected", [
    (0.5, True, None, 0.35),   # II.2.2.2.3: 0.5 - 30% = 0.35
    (1, True, 0.5, 0.85),      # II.4.5.1: 1 - 30% x 0.5 = 0.85
    (1, False, 0.5, 1),
    (0, True, None, 0),        # staff reduction: 0
    (None, True, None, None),  # nothing typed: no data
])
def test_manual_points_and_deduction(manual, deduction, base, expected):
    raw = rule_points("manual_points", None, 1, manual_points=manual)
    assert round_points(apply_deduction(raw, deduction, base)) == expected


def test_deduction_applies_to_ratio_rules_too():
    # 9,129/14,697 x 0.5 = 0.310573; x 0.7 = 0.217401 -> 0.22
    raw = rule_points("proportional", ratio_of(9_129, 14_697), 0.5)
    assert round_points(apply_deduction(raw, True)) == 0.22


@pytest.mark.parametrize("points, expected", [(0.125, 0.13), (2.675, 2.68), (0.3076, 0.31)])
def test_round_half_up(points, expected):
    assert round_points(points) == expected


def test_rule_needing_a_level_refuses_none():
    with pytest.raises(ValueError):
        rule_points("proportional_to_target", Fraction(1, 2), 3)


@pytest.mark.parametrize("rule, kwargs, expected", [
    ("proportional", {}, Fraction(1)),
    ("proportional_to_target", {"target": Fraction("0.55")}, Fraction("0.55")),
    ("threshold", {"threshold": Fraction("0.8")}, Fraction("0.8")),
    ("bands", {"bands": ON_TIME_BANDS}, Fraction(1)),
    ("manual_points", {}, None),
])
def test_full_marks_level(rule, kwargs, expected):
    assert full_marks_level(rule, **kwargs) == expected


@pytest.mark.parametrize("numerator, denominator, target, expected", [
    (3_159, 15_047, "0.5", 4_365),   # 0.5 x 15,047 = 7,523.5; - 3,159 = 4,364.5 -> 4,365
    (14_673, 14_697, "1", 24),       # the 24 late dossiers
    (2, 4, "0.5", 0),                # met
    (1, 4, "0.5", 1),
])
def test_needed_more(numerator, denominator, target, expected):
    assert needed_more(numerator, denominator, Fraction(target)) == expected


@pytest.mark.parametrize("numerator, target, expected_den, so_far, expected", [
    (30, "0.5", 200, 100, Fraction(7, 10)),   # needs 100 of 200; 70 more in the 100 to come
    (10, "0.9", 100, 50, None),               # needs 80 more of 50 to come: impossible
    (10, "0.5", 100, 100, None),              # year over, target missed
    (60, "0.5", 100, 100, Fraction(0)),       # already there
])
def test_needed_rate(numerator, target, expected_den, so_far, expected):
    assert needed_rate(numerator, Fraction(target), expected_den, so_far) == expected

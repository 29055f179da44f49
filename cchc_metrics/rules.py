"""The scoring rule engine: pure functions turning a ratio into points.

Ratios are handled as exact fractions built from the counts, so a band edge is exact: 14,553 of
14,700 is 99% and lands in the "99–<100%" band, never at 98.9999%. Points are rounded half-up to
the framework's decimals (the province rounds to 2) only at the end, after any deduction.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from numbers import Real

RULES = ("proportional", "proportional_to_target", "threshold", "bands", "manual_points",
         "sum_of_parts")
"""proportional: ratio x max; proportional_to_target: min(ratio / target, 1) x max; threshold:
full at >= threshold, ratio / threshold x max below (min(1, ratio / threshold) x max); bands:
ordered ratio ranges -> points; manual_points: the points are typed in; sum_of_parts: the sum of
the criterion's sub-indicators (each with its own rule, see `sum_of_parts`)."""

RULE_LABELS_VI = {
    "proportional": "tỷ lệ × điểm tối đa",
    "proportional_to_target": "tỷ lệ so với chỉ tiêu × điểm tối đa",
    "threshold": "đủ điểm từ ngưỡng, dưới ngưỡng tính tỷ lệ",
    "bands": "theo bảng mức điểm",
    "manual_points": "nhập điểm trực tiếp",
    "sum_of_parts": "tổng điểm các chỉ số thành phần",
}

DEDUCTION_SHARE = Fraction(3, 10)
"""Evidence that needed a supplementary explanation costs 30% of the points it supports."""


@dataclass(frozen=True)
class Band:
    """Points for ratios from `lower` (inclusive) up to the next band's lower bound (exclusive)."""

    lower: Fraction
    points: float


def exact(value: Real | str | None) -> Fraction | None:
    """A number as an exact fraction; a float goes through its shortest repr (0.99 -> 99/100)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)


def ratio_of(numerator: Real | None, denominator: Real | None) -> Fraction | None:
    """numerator / denominator, or None when there is nothing to divide by ("no data" is not 0%)."""
    num, den = exact(numerator), exact(denominator)
    if num is None or den is None or den == 0:
        return None
    return num / den


def band_points(ratio: Fraction, bands: tuple[Band, ...]) -> float:
    """Points of the highest band whose lower bound the ratio reaches; 0 below every band."""
    for band in sorted(bands, key=lambda b: b.lower, reverse=True):
        if ratio >= band.lower:
            return band.points
    return 0.0


def full_marks_level(rule: str, *, target: Fraction | None = None,
                     threshold: Fraction | None = None,
                     bands: tuple[Band, ...] = ()) -> Fraction | None:
    """The ratio from which a rule gives full points (what to aim at when no target is set)."""
    if rule == "proportional":
        return Fraction(1)
    if rule == "proportional_to_target":
        return target
    if rule == "threshold":
        return threshold
    if rule == "bands" and bands:
        best = max(b.points for b in bands)
        return min(b.lower for b in bands if b.points == best)
    return None


def rule_points(rule: str, ratio: Fraction | None, max_points: float, *,
                target: Fraction | None = None, threshold: Fraction | None = None,
                bands: tuple[Band, ...] = (), manual_points: float | None = None) -> float | None:
    """Unrounded points a rule gives; None when the ratio (or the typed points) is missing."""
    if rule == "manual_points":
        return None if manual_points is None else float(manual_points)
    if ratio is None:
        return None
    if rule == "bands":
        return float(band_points(ratio, bands))
    if rule == "proportional":
        return float(min(ratio, Fraction(1)) * exact(max_points))
    level = target if rule == "proportional_to_target" else threshold
    if rule not in ("proportional_to_target", "threshold") or level is None or level <= 0:
        raise ValueError(f"rule {rule!r} needs a positive level, got {level!r}")
    return float(min(ratio / level, Fraction(1)) * exact(max_points))


def apply_deduction(points: float | None, deduction: bool,
                    deduction_base: float | None = None) -> float | None:
    """Take 30% off the points the faulty evidence supports (all of them unless a base is given).

    II.4.5.1 in the Khánh Hòa plan lost 0.15 of 1 point: 30% of the 0.5 its report part is worth.
    """
    if points is None or not deduction:
        return points
    base = exact(points) if deduction_base is None else min(exact(deduction_base), exact(points))
    return float(exact(points) - DEDUCTION_SHARE * base)


def round_points(points: float | None, decimals: int = 2) -> float | None:
    """Round half-up like the province's score sheets (0.125 -> 0.13, not banker's 0.12)."""
    if points is None:
        return None
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(points)).quantize(quantum, rounding=ROUND_HALF_UP))


def needed_more(numerator: int, denominator: int, target: Fraction) -> int:
    """How many more of the denominator's dossiers must count to reach the target (0 if met)."""
    return max(0, math.ceil(target * denominator - numerator))


def needed_rate(numerator: float, target: Fraction, expected_denominator: float,
                denominator_so_far: float) -> Fraction | None:
    """The rate the rest of the year's expected dossiers must reach so the year ends on target.

    None when it cannot be done any more (more than 100% needed, or no dossiers left to come).
    """
    remaining = exact(expected_denominator) - exact(denominator_so_far)
    missing = target * exact(expected_denominator) - exact(numerator)
    if missing <= 0:
        return Fraction(0)
    if remaining <= 0 or missing > remaining:
        return None
    return missing / remaining


def sum_of_parts(part_points: list[float | None], decimals: int = 2) -> float | None:
    """A criterion made of sub-indicators: each part's points rounded first, then added up, as the
    national portal does (766.4 of UBND xã Chí Tiên, 08/2026: 5.43 + 0.88 + 0.41 = 6.72, where the
    unrounded sum 6.711 would give 6.71). None when any part is unknown: a missing part is not 0."""
    if any(points is None for points in part_points):
        return None
    return round_points(float(sum(exact(round_points(p, decimals)) for p in part_points)), decimals)

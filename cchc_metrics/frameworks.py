"""Scoring frameworks: the shipped TOML files in `framework_files/`, merged with the user's changes.

A framework is data: criteria with their indicator, rule, maximum, targets per year and manual
values. The effective settings of a year are, in order of precedence: the user's overrides for
that year (table `setting_overrides`, see `settings.py`), the file's `[criteria.years.YYYY]` values,
the file's criterion values. A target carries forward from its year until a later year sets one.

A criterion may be made of sub-indicators (`[[criteria.parts]]`, rule "sum_of_parts"): each part
is a criterion of its own in the file (code, indicator, rule, maximum, typed values), edited on its
own row; the criterion's points are the sum of its parts' points (rules.sum_of_parts).
`when_empty` says what an empty denominator gives instead of "no data": "zero" (the national
portal gives 0 for progress and payment when there are no dossiers) or "full" (766.5: no
complaints, full points for handling them).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

from .errors import CchcError
from .rules import RULES, Band, exact, full_marks_level

FRAMEWORK_DIR = Path(__file__).resolve().parent / "framework_files"
DEFAULT_FRAMEWORK = "khanh_hoa_department"
DEFAULT_START_DAY = (15, 12)

MANUAL = "manual"


@dataclass(frozen=True)
class Indicator:
    """How a ratio is built from the counts of `metrics.compute_metrics`, and what it counts."""

    numerator: tuple[tuple[str, int], ...]   # (count name, sign)
    denominator: tuple[str, ...]
    counted_vi: str                          # "hồ sơ trực tuyến": what "Cần thêm N ..." adds
    needs: str | None = None                 # the coverage.INDICATOR_NEEDS entry that explains
                                             # "no data" (default: the indicator's own name)


INDICATORS: dict[str, Indicator] = {
    # Denominators count only the dossiers whose file carried what the ratio needs (metrics.py):
    # resolved_timed = early + on time + late, among resolved ones with finish and due columns.
    "on_time_rate": Indicator((("resolved_early", 1), ("resolved_on_time", 1)), ("resolved_timed",),
                              "hồ sơ giải quyết đúng hạn"),
    "on_time_rate_766": Indicator(
        (("resolved_early", 1), ("resolved_on_time", 1), ("pending_timed", 1), ("pending_overdue", -1)),
        ("resolved_timed", "pending_timed"), "hồ sơ đúng hạn"),
    "online_rate": Indicator((("online", 1),), ("received_with_channel",), "hồ sơ trực tuyến"),
    "bcci_rate": Indicator((("bcci", 1),), ("received_with_channel",), "hồ sơ qua bưu chính công ích"),
    "paid_online_rate": Indicator((("paid_online", 1),), ("fee_dossiers_with_payment",),
                                  "hồ sơ thanh toán trực tuyến"),
    "digitized_rate": Indicator((("digitized", 1),), ("resolved_with_digitized",), "hồ sơ được số hóa"),
    "e_result_rate": Indicator((("e_result", 1),), ("resolved_with_e_result",),
                               "hồ sơ có kết quả điện tử"),
    # The national portal (766.6.1, 766.6.2) divides by the progress denominator, resolved + open,
    # not by the resolved ones: province e-result 08/2026 6 x 133,274 / 184,513 = 4.33 (official).
    # Open dossiers are counted from every file with a finish column (metrics "pending").
    "e_result_rate_766": Indicator((("e_result", 1),), ("resolved_with_e_result", "pending"),
                                   "hồ sơ có kết quả điện tử", needs="e_result_rate"),
    "digitized_rate_766": Indicator((("digitized", 1),), ("resolved_with_digitized", "pending"),
                                    "hồ sơ được số hóa", needs="digitized_rate"),
    # 766.4 part B: fee procedures with at least one dossier paid online / fee procedures with fee
    # dossiers in the period (distinct procedures: metrics.fee_procedure_counts, not per unit sums).
    "fee_procedure_payment_rate": Indicator((("fee_procedures_paid_online", 1),), ("fee_procedures",),
                                            "thủ tục có hồ sơ thanh toán trực tuyến",
                                            needs="paid_online_rate"),
}
PROCEDURE_INDICATORS = ("fee_procedure_payment_rate",)
"""Indicators over distinct procedures: counted for the whole selection, never summed per unit."""
WHEN_EMPTY = (None, "zero", "full")
PARTS = "sum_of_parts"

EDITABLE_FIELDS = ("rule", "max_points", "target", "threshold", "bands", "manual_numerator",
                   "manual_denominator", "manual_points", "deduction", "deduction_base")
"""Criterion values a user may change per year; everything else is fixed by the file."""
PERIOD_FIELDS = ("manual_numerator", "manual_denominator", "manual_points")
"""Typed-in figures that may also be set for one period (the portal shows them per month):
they override the year's values for that period only."""


@dataclass(frozen=True)
class FrameworkInfo:
    key: str
    title_vi: str


@dataclass(frozen=True)
class Criterion:
    code: str
    name: str
    indicator: str                  # a key of INDICATORS, or "manual"
    rule: str                       # one of rules.RULES
    max_points: float
    target: Fraction | None
    threshold: Fraction | None
    bands: tuple[Band, ...]
    manual_numerator: float | None
    manual_denominator: float | None
    manual_points: float | None
    deduction: bool
    deduction_base: float | None
    note_vi: str
    parts: tuple[Criterion, ...] = ()   # sub-indicators (rule "sum_of_parts")
    when_empty: str | None = None       # see WHEN_EMPTY and the module docstring
    unit_vi: str = "hồ sơ"          # what the ratio's denominator counts: "285 / 291 nhiệm vụ"
    counted_vi: str = "hồ sơ"       # what a gap lacks: "còn thiếu 6 nhiệm vụ hoàn thành đúng hạn"

    @property
    def is_manual(self) -> bool:
        return self.indicator == MANUAL

    @property
    def is_department_wide(self) -> bool:
        """Points that do not come from dossiers (typed in), so they belong to the department as a
        whole and cannot be scored for a selection of units."""
        return self.is_manual or self.rule == "manual_points"

    @property
    def aim(self) -> Fraction | None:
        """The ratio to reach: the year's target, else the level that gives full points."""
        if self.target is not None:
            return self.target
        return full_marks_level(self.rule, target=self.target, threshold=self.threshold,
                                bands=self.bands)


@dataclass(frozen=True)
class Framework:
    key: str
    title_vi: str
    note_vi: str
    year: int
    start_day: tuple[int, int]      # (day, month) in the previous calendar year
    decimals: int
    criteria: tuple[Criterion, ...]
    calendar_periods: bool = False  # scored over calendar months, quarters and years (766 portal)

    @property
    def max_total(self) -> float:
        return float(sum(exact(c.max_points) for c in self.criteria))


def check_framework(key: str) -> None:
    """Raise a Vietnamese error listing the shipped frameworks when `key` is not one of them."""
    if not key.replace("_", "").isalnum() or not (FRAMEWORK_DIR / f"{key}.toml").is_file():
        available = ", ".join(info.key for info in list_frameworks())
        raise CchcError(f"Không có bộ tiêu chí «{key}». Các bộ tiêu chí có sẵn: {available}.")


@lru_cache(maxsize=None)
def _read_file(key: str) -> dict:
    check_framework(key)
    path = FRAMEWORK_DIR / f"{key}.toml"
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    for raw in _with_parts(data["criteria"]):
        if raw["rule"] not in RULES:
            raise ValueError(f"{path.name} {raw['code']}: unknown rule {raw['rule']!r}")
        if raw["indicator"] != MANUAL and raw["indicator"] not in INDICATORS:
            raise ValueError(f"{path.name} {raw['code']}: unknown indicator {raw['indicator']!r}")
        if raw.get("when_empty") not in WHEN_EMPTY:
            raise ValueError(f"{path.name} {raw['code']}: when_empty must be one of {WHEN_EMPTY}")
        if (raw["rule"] == PARTS) != bool(raw.get("parts")):
            raise ValueError(f"{path.name} {raw['code']}: rule {PARTS!r} goes with [[criteria.parts]]")
        if raw.get("parts") and sum(part["max_points"] for part in raw["parts"]) != raw["max_points"]:
            raise ValueError(f"{path.name} {raw['code']}: the parts' max_points must add up to the criterion's")
    return data


def _with_parts(raw_criteria: list[dict]) -> list[dict]:
    """Every criterion of a file followed by its parts: the rows a user edits."""
    return [row for raw in raw_criteria for row in (raw, *raw.get("parts", ()))]


def parent_codes(key: str) -> dict[str, str]:
    """{part code: its criterion's code} for every sub-indicator of a framework."""
    return {part["code"]: raw["code"] for raw in _read_file(key)["criteria"]
            for part in raw.get("parts", ())}


def uses_calendar_periods(key: str) -> bool:
    """Whether a framework scores calendar months, quarters and years (file: periods = "calendar")."""
    return _read_file(key).get("periods") == "calendar"


def list_frameworks() -> list[FrameworkInfo]:
    """The shipped frameworks, the default one first."""
    keys = sorted((p.stem for p in FRAMEWORK_DIR.glob("*.toml")),
                  key=lambda k: (k != DEFAULT_FRAMEWORK, k))
    return [FrameworkInfo(k, _read_file(k)["title"]) for k in keys]


def default_settings(key: str, year: int) -> dict:
    """The shipped values of a year, as plain JSON-able data: {"start_day": [d, m],
    "criteria": {code: {field: value for field in EDITABLE_FIELDS}}}."""
    data = _read_file(key)
    criteria = {}
    for raw in _with_parts(data["criteria"]):
        years = {int(y): values for y, values in raw.get("years", {}).items()}
        values = {field: raw.get(field) for field in EDITABLE_FIELDS}
        values["deduction"] = bool(raw.get("deduction", False))
        values.update(years.get(year, {}))
        values["target"] = _target_for(year, raw.get("target"), years)
        criteria[raw["code"]] = values
    return {"start_day": list(data.get("start_day", DEFAULT_START_DAY)), "criteria": criteria}


def _target_for(year: int, base_target, years: dict[int, dict]):
    """The latest target set at or before `year`; before the first one, the earliest set."""
    set_in = sorted(y for y, values in years.items() if "target" in values)
    earlier = [y for y in set_in if y <= year]
    if earlier:
        return years[earlier[-1]]["target"]
    if base_target is not None or not set_in:
        return base_target
    return years[set_in[0]]["target"]


def merge_settings(defaults: dict, overrides: dict) -> dict:
    """Defaults with the user's stored differences applied on top."""
    merged = {"start_day": overrides.get("start_day", defaults["start_day"]),
              "criteria": {code: dict(values) for code, values in defaults["criteria"].items()}}
    for code, changes in overrides.get("criteria", {}).items():
        if code in merged["criteria"]:  # a criterion dropped from the file loses its overrides
            merged["criteria"][code].update(changes)
    return merged


def build_framework(key: str, year: int, settings: dict) -> Framework:
    """A Framework from the file's fixed parts and the given effective settings of the year."""
    data = _read_file(key)
    criteria = tuple(_criterion(raw, settings) for raw in data["criteria"])
    day, month = settings["start_day"]
    return Framework(key=key, title_vi=data["title"], note_vi=data.get("note", ""), year=year,
                     start_day=(int(day), int(month)), decimals=int(data.get("decimals", 2)),
                     criteria=criteria, calendar_periods=data.get("periods") == "calendar")


def _criterion(raw: dict, settings: dict) -> Criterion:
    values = settings["criteria"][raw["code"]]
    return Criterion(
        code=raw["code"], name=raw["name"], indicator=raw["indicator"],
        rule=values["rule"], max_points=float(values["max_points"]),
        target=exact(values["target"]), threshold=exact(values["threshold"]),
        bands=tuple(Band(exact(lower), float(points))
                    for lower, points in (values["bands"] or ())),
        manual_numerator=values["manual_numerator"],
        manual_denominator=values["manual_denominator"],
        manual_points=values["manual_points"], deduction=bool(values["deduction"]),
        deduction_base=values["deduction_base"], note_vi=raw.get("note", ""),
        parts=tuple(_criterion(part, settings) for part in raw.get("parts", ())),
        when_empty=raw.get("when_empty"),
        unit_vi=raw.get("unit", "hồ sơ"),
        counted_vi=raw.get("counted") or (INDICATORS[raw["indicator"]].counted_vi
                                          if raw["indicator"] in INDICATORS else raw.get("unit", "hồ sơ")))


def period_key(period: tuple) -> str:
    """How a period's typed-in figures are filed: "2026-08-01..2026-08-31"."""
    start, end = period
    return f"{start.isoformat()}..{end.isoformat()}"


def load_framework(con, key: str, year: int, period: tuple | None = None) -> Framework:
    """The framework as it applies to `year`: shipped defaults merged with the user's overrides,
    and, for a period (start, end), the figures typed in for that period on top."""
    from . import settings  # settings imports this module for the defaults

    overrides = settings.stored_overrides(con, key, year)
    merged = merge_settings(default_settings(key, year), overrides)
    if period is not None:
        for code, typed in overrides.get("periods", {}).get(period_key(period), {}).items():
            if code in merged["criteria"]:
                merged["criteria"][code].update(typed)
    return build_framework(key, year, merged)

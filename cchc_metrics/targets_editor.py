"""The criteria editor of «Chỉ tiêu & thang điểm» as tables that fit a 1366-pixel screen.

One table of fourteen columns did not fit (the manual values, the deduction and the notes were
out of sight even at 1920 pixels), and bands read "100:3; 98:2,5; …". So the editing table of
`app_services.criteria_for_editor` is cut into: the rules of every criterion, the manual values of
the criteria typed in, one small bands table per banded criterion (lower bound in percent, points)
and the notes as text. `merge_edited` puts the edited pieces back into one table in the shape
`app_services.criteria_from_editor` / `settings.save_criteria` read, so the validation stays there.
Cells stay text with a decimal comma, as the user types them ("99,5"); settings parses them.
"""
from __future__ import annotations

import pandas as pd

RULE_COLUMNS = ("code", "name", "rule", "max_points", "target", "threshold")
MANUAL_COLUMNS = ("code", "name", "manual_numerator", "manual_denominator", "manual_points",
                  "deduction", "deduction_base")
BAND_COLUMNS = ("lower", "points")


def rules_table(table: pd.DataFrame) -> pd.DataFrame:
    """Code, name, rule, maximum, target and threshold of every criterion."""
    return table[list(RULE_COLUMNS)].reset_index(drop=True)


def manual_table(table: pd.DataFrame) -> pd.DataFrame:
    """The typed-in values of the manual criteria, and of any criterion with the 30% deduction on."""
    rows = (table["indicator"] == "manual") | table["deduction"].fillna(False).astype(bool)
    return table.loc[rows, list(MANUAL_COLUMNS)].reset_index(drop=True)


def bands_table(text) -> pd.DataFrame:
    """'100:5; 99:4,5' -> rows (lower '100', points '5'), (lower '99', points '4,5'), as typed."""
    rows = []
    for part in str(text or "").split(";"):
        if part.strip():
            lower, _, points = part.partition(":")
            rows.append((lower.strip(), points.strip()))
    return pd.DataFrame(rows, columns=list(BAND_COLUMNS), dtype="string")


def bands_text(bands: pd.DataFrame) -> str | None:
    """The rows of a bands table back as '100:5; 99:4,5' (blank rows skipped; None when none).
    A row with only one of its two cells filled is kept as it is, so the save names the mistake."""
    parts = []
    for lower, points in zip(bands["lower"], bands["points"]):
        lower = "" if pd.isna(lower) else str(lower).strip()
        points = "" if pd.isna(points) else str(points).strip()
        if lower or points:
            parts.append(f"{lower}:{points}")
    return "; ".join(parts) or None


def banded_codes(rules: pd.DataFrame, bands_label: str) -> list[str]:
    """Codes whose (edited) rule is the bands rule, shown in the table as `bands_label`."""
    return [code for code, rule in zip(rules["code"], rules["rule"]) if rule == bands_label]


def notes(table: pd.DataFrame) -> list[tuple[str, str]]:
    """(code, note) of the criteria that carry a note, in framework order."""
    return [(code, note) for code, note in zip(table["code"], table["note"])
            if isinstance(note, str) and note.strip()]


def merge_edited(table: pd.DataFrame, rules: pd.DataFrame, manual: pd.DataFrame,
                 bands: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The full editing table with the edited rules, manual values and bands put back by code."""
    merged = table.set_index("code", drop=False).copy()
    for part in (rules, manual):
        edited = part.set_index("code")
        for column in edited.columns.drop("name", errors="ignore"):
            merged[column] = merged[column].astype(object)
            merged.loc[edited.index, column] = edited[column].astype(object).values
    for code, frame in bands.items():
        merged.loc[code, "bands"] = bands_text(frame)
    return merged.reset_index(drop=True)

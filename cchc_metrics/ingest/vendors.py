"""Vendor profiles (`vendor_profiles.toml`): known systems recognised by their headers, bringing
their column meanings, the columns that must never be mapped, and their value codes.

The codes reach the SQL parsing through RawExport.value_codes: store._value_lookups wraps the
generic flag / channel parsing of a field in `coded_sql`, so a profile's code is read first.
"""
from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .columns import header_key
from .values import sql_literal

PROFILES_PATH = Path(__file__).with_name("vendor_profiles.toml")
CODED_FIELDS = ("channel", "digitized", "e_result", "paid_online", "reused_data")


@dataclass(frozen=True)
class VendorProfile:
    name: str
    label: str
    min_present: int
    distinctive: tuple[str, ...]
    columns: dict[str, str]                  # canonical field -> header as written
    not_fields: dict[str, str]               # header -> why it is never mapped
    personal: frozenset[str]                 # header keys
    value_codes: dict[str, dict[str, object]] = field(default_factory=dict)

    def present(self, headers: list[str]) -> int:
        written = {h.strip() for h in headers if h}
        return sum(h in written for h in self.distinctive)

    def field_of(self, header: str) -> str | None:
        header = header.strip()
        return next((name for name, h in self.columns.items() if h == header), None)

    def excluded_reason(self, header: str) -> str | None:
        return self.not_fields.get(header.strip())

    def is_personal(self, header: str) -> bool:
        return header_key(header) in self.personal


@functools.cache
def profiles() -> tuple[VendorProfile, ...]:
    """vendor_profiles.toml as loaded, once; codes only for flag and channel fields."""
    data = tomllib.loads(PROFILES_PATH.read_text(encoding="utf-8"))
    loaded = []
    for name, spec in data.get("profiles", {}).items():
        codes = {f: {str(k).strip().lower(): v for k, v in c.items()}
                 for f, c in spec.get("values", {}).items()}
        wrong = [f for f in codes if f not in CODED_FIELDS]
        if wrong:
            raise ValueError(f"vendor_profiles.toml [{name}]: value codes only for {CODED_FIELDS}, "
                             f"not {wrong}")
        loaded.append(VendorProfile(
            name=name, label=spec["label"], min_present=spec["min_present"],
            distinctive=tuple(spec["distinctive"]), columns=dict(spec.get("columns", {})),
            not_fields=dict(spec.get("not_fields", {})),
            personal=frozenset(header_key(h) for h in spec.get("personal", {}).get("headers", ())),
            value_codes=codes))
    return tuple(loaded)


def detect(headers: list[str]) -> VendorProfile | None:
    """The profile with most distinctive headers present, if it has at least its minimum."""
    scored = [(p.present(headers), p) for p in profiles()]
    scored = [(n, p) for n, p in scored if n >= p.min_present]
    return max(scored, key=lambda s: s[0])[1] if scored else None


def coded_sql(col: str, codes: dict[str, object], otherwise: str) -> str:
    """SQL: a profile's code of the trimmed value `col` first, else the generic parsing."""
    def literal(value) -> str:
        return ("true" if value else "false") if isinstance(value, bool) else sql_literal(str(value))
    whens = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in codes.items())
    return f"CASE lower({col}) {whens} ELSE {otherwise} END"
